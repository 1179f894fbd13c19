/* SPDX-License-Identifier: ISC */
/* cps-node: the partner's node. The command table and nothing else. */
#include "cps/cli.h"
#include "commands.h"

static const struct cps_cli_command commands[] = {
    { "init", cmd_init_main, "create the node's store for a partner of the roster" },
    { "put", cmd_put_main, "write a record and queue its signed update" },
    { "del", cmd_del_main, "delete a record and queue its signed update" },
    { "get", cmd_get_main, "print one record's value as JSON" },
    { "ls", cmd_ls_main, "list record keys, optionally of one collection and prefix" },
    { "import", cmd_import_main, "write records from an NDJSON or CSV file, all or nothing" },
    { "export", cmd_export_main, "write the node's records as NDJSON or CSV to stdout" },
    { "status", cmd_status_main, "print the node's sync state as JSON" },
    { "rejected", cmd_rejected_main, "list updates the hub logged as rejected, with reasons" },
    { "run", cmd_run_main, "run the daemon: ship the outbox, pull and verify the log" },
    { "replica", cmd_replica_main, "get, ls or export the verified programme dataset" },
    { "verify", cmd_verify_main, "check the replica against the latest trusted checkpoint" },
    { "prove", cmd_prove_main, "ask the hub for an inclusion or consistency proof" },
    { "rekey", cmd_rekey_main, "adopt a rotated key and roster; re-sign queued updates" },
    { "backup", cmd_backup_main, "copy the store while the daemon runs (never the key)" },
    { "config", cmd_config_main, "check the configuration file, or show the settings" },
};

int
main(int argc, char **argv)
{
    return cps_cli_dispatch("cps-node", "Partner node of cps (ClusterPoliSEE Sync).", commands,
                            sizeof commands / sizeof commands[0], argc, argv);
}
