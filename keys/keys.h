/* SPDX-License-Identifier: ISC */
/*
 * Shared by the cps-keys subcommands only: the subcommands and the option error reporter.
 * Error lines, exit codes and whole-file reading and writing are cli.h's; everything
 * cryptographic goes through libcps (crypto, note, roster); nothing here sees a secret.
 */
#ifndef CPS_KEYS_KEYS_H
#define CPS_KEYS_KEYS_H

#include <stdio.h>

#define KEYS_PROG "cps-keys"

int cmd_gen_main(int argc, char **argv);
int cmd_pub_main(int argc, char **argv);
int cmd_roster_main(int argc, char **argv);

/*
 * After getopt_long returned '?' or ':' (optstring starts with ':', opterr is 0): name the
 * problem on stderr as "prog: ...", print usage there too, return CPS_EXIT_USAGE.
 */
int keys_bad_option(const char *prog, int c, char **argv, void (*usage)(FILE *));

#endif
