/* SPDX-License-Identifier: ISC */
/* cps-hub: the lead partner's hub. The command table and nothing else. */
#include "cps/cli.h"
#include "commands.h"

static const struct cps_cli_command commands[] = {
    { "init", cmd_init_main, "create the hub's store with its key and the signed roster" },
    { "run", cmd_run_main, "run the daemon: log, apply and ack the partners' updates" },
    { "status", cmd_status_main, "print per-partner sync health as JSON (exit 1: stalled)" },
    { "metrics", cmd_metrics_main, "print the hub's metrics in the Prometheus text format" },
    { "export", cmd_export_main, "write the consolidated dataset as NDJSON or CSV" },
    { "report", cmd_report_main, "completeness (text, CSV, JSON) or the HTML programme report" },
    { "programme", cmd_programme_main, "write programme-owned records with the programme key" },
    { "checkpoint", cmd_checkpoint_main, "sign a checkpoint now and print the latest" },
    { "audit-bundle", cmd_audit_bundle_main, "write a self-contained folder for auditors" },
    { "backup", cmd_backup_main, "copy the store while the hub runs (never the key)" },
    { "restore", cmd_restore_main, "make a hub directory from a backup, checked" },
    { "recover", cmd_recover_main, "append the entries a restored hub lacks from a node's replica" },
    { "rebuild", cmd_rebuild_main, "recompute every view from the log, check, swap in" },
    { "config", cmd_config_main, "check the configuration file, or show the settings" },
};

int
main(int argc, char **argv)
{
    return cps_cli_dispatch("cps-hub", "Hub of cps (ClusterPoliSEE Sync).", commands,
                            sizeof commands / sizeof commands[0], argc, argv);
}
