/* SPDX-License-Identifier: ISC */
/*
 * cps-keys: the command table and nothing else. Each subcommand parses its own options
 * (cmd_*.c); exit 0 done, 1 the answer is no, 2 could not run.
 */
#include "cps/cli.h"
#include "cps/crypto.h"
#include "keys.h"

static const struct cps_cli_command commands[] = {
    {"gen", cmd_gen_main, "create a new key file"},
    {"pub", cmd_pub_main, "print a key file's public identity (or its verifier key)"},
    {"roster", cmd_roster_main, "create, edit, sign, verify and show the roster"},
};

int
main(int argc, char **argv)
{
    if (cps_crypto_init() != 0) {
        cps_cli_error(KEYS_PROG, "cannot initialise libsodium");
        return CPS_EXIT_USAGE;
    }
    return cps_cli_dispatch(KEYS_PROG,
                            "Key files and the signed roster of cps (ClusterPoliSEE Sync).",
                            commands, sizeof commands / sizeof commands[0], argc, argv);
}
