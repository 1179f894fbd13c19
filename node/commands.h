/* SPDX-License-Identifier: ISC */
/* The node's subcommands, one file each (or a small group of siblings). */
#ifndef CPS_NODE_COMMANDS_H
#define CPS_NODE_COMMANDS_H

int cmd_init_main(int argc, char **argv);
int cmd_put_main(int argc, char **argv);
int cmd_del_main(int argc, char **argv);
int cmd_get_main(int argc, char **argv);
int cmd_ls_main(int argc, char **argv);
int cmd_import_main(int argc, char **argv);
int cmd_export_main(int argc, char **argv);
int cmd_status_main(int argc, char **argv);
int cmd_rejected_main(int argc, char **argv);
int cmd_run_main(int argc, char **argv);
int cmd_replica_main(int argc, char **argv);
int cmd_verify_main(int argc, char **argv);
int cmd_prove_main(int argc, char **argv);
int cmd_rekey_main(int argc, char **argv);
int cmd_config_main(int argc, char **argv);
int cmd_backup_main(int argc, char **argv);

#endif
