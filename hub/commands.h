/* SPDX-License-Identifier: ISC */
/* The hub's subcommands. */
#ifndef CPS_HUB_COMMANDS_H
#define CPS_HUB_COMMANDS_H

int cmd_init_main(int argc, char **argv);
int cmd_run_main(int argc, char **argv);
int cmd_status_main(int argc, char **argv);
int cmd_export_main(int argc, char **argv);
int cmd_checkpoint_main(int argc, char **argv);
int cmd_audit_bundle_main(int argc, char **argv);
int cmd_programme_main(int argc, char **argv);
int cmd_config_main(int argc, char **argv);
int cmd_metrics_main(int argc, char **argv);
int cmd_backup_main(int argc, char **argv);
int cmd_restore_main(int argc, char **argv);
int cmd_rebuild_main(int argc, char **argv);
int cmd_recover_main(int argc, char **argv);
int cmd_report_main(int argc, char **argv);

#endif
