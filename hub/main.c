/* SPDX-License-Identifier: ISC */
/* cps-hub: the lead partner's hub. The command table and nothing else. */
#include "cps/cli.h"
#include "commands.h"

static const struct cps_cli_command commands[] = {
    { "init", cmd_init_main, "create the hub's store with its key and the signed roster" },
    { "run", cmd_run_main, "run the daemon: log, apply and ack the partners' updates" },
    { "status", cmd_status_main, "print per-partner sync state as JSON" },
    { "export", cmd_export_main, "write the consolidated dataset as NDJSON or CSV" },
    { "programme", cmd_programme_main, "write programme-owned records with the programme key" },
    { "checkpoint", cmd_checkpoint_main, "sign a checkpoint now and print the latest" },
    { "audit-bundle", cmd_audit_bundle_main, "write a self-contained folder for auditors" },
};

int
main(int argc, char **argv)
{
    return cps_cli_dispatch("cps-hub", "Hub of cps (ClusterPoliSEE Sync).", commands,
                            sizeof commands / sizeof commands[0], argc, argv);
}
