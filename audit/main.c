/* SPDX-License-Identifier: ISC */
/* cps-audit: the auditor's offline checks. The command table and nothing else. */
#include "commands.h"
#include "cps/cli.h"

static const struct cps_cli_command commands[] = {
    {"verify", cmd_verify_main, "check an audit bundle offline, with public keys only"},
    {"replay", cmd_replay_main, "verify a bundle, then write the dataset rebuilt from its log"},
    {"inclusion", cmd_inclusion_main, "check an inclusion receipt of cps-node prove"},
    {"consistency", cmd_consistency_main, "check a consistency receipt of cps-node prove"},
};

int
main(int argc, char **argv)
{
    return cps_cli_dispatch("cps-audit", "Offline auditor of cps (ClusterPoliSEE Sync) logs.",
                            commands, sizeof commands / sizeof commands[0], argc, argv);
}
