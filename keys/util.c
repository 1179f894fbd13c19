/* SPDX-License-Identifier: ISC */
/*
 * Helpers for the cps-keys subcommands: reporting a bad option in the words of getopt's
 * silent mode. Error lines, reading and writing roster texts are cli.h's; key files are
 * written by libcps, never here.
 */
#include <getopt.h>
#include <stdio.h>

#include "cps/cli.h"
#include "keys.h"

int
keys_bad_option(const char *prog, int c, char **argv, void (*usage)(FILE *))
{
    const char *arg = argv[optind - 1];

    if (c == ':')
        cps_cli_error(prog, "%s: needs a value", arg);
    else if (optopt != 0)
        cps_cli_error(prog, "-%c: unknown option", optopt);
    else
        cps_cli_error(prog, "%s: unknown option", arg);
    usage(stderr);
    return CPS_EXIT_USAGE;
}
