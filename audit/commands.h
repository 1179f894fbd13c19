/* SPDX-License-Identifier: ISC */
/* The auditor's subcommands. */
#ifndef CPS_AUDIT_COMMANDS_H
#define CPS_AUDIT_COMMANDS_H

int cmd_verify_main(int argc, char **argv);
int cmd_replay_main(int argc, char **argv);
int cmd_inclusion_main(int argc, char **argv);
int cmd_consistency_main(int argc, char **argv);

#endif
