/* SPDX-License-Identifier: ISC */
/*
 * cps-hub export: the consolidated dataset as NDJSON or CSV, through the shared exporter
 * (common/export.c) that cps-node export and cps-node replica export use too. Read-only,
 * safe while the hub runs.
 */
#include <getopt.h>
#include <stdio.h>

#include "cps/cli.h"
#include "cps/export.h"
#include "commands.h"
#include "hub.h"

int
cmd_export_main(int argc, char **argv)
{
    static const char usage_text[] =
        "Usage: " HUB_PROG " export [--dir DIR] [--format ndjson|csv] [--collection C]\n"
        "                      [--partner ID] [--country CC] [--area AREA] [--period P]\n"
        "Write the consolidated dataset to stdout in key order. NDJSON lines are\n"
        "{\"coll\",\"key\",\"value\"} (what cps-node import reads). CSV of one collection\n"
        "(--collection) has a key column and one column per field in the order of\n"
        "docs/DATA.md, then any other fields sorted (what 'import --collection C' reads\n"
        "back); CSV of every collection has the header coll,key,partner,value.\n"
        "Filters: --partner ID; --country CC (the partner's record, else its roster entry);\n"
        "--area AREA (a cluster's areas too); --period P (2015 holds its halves and\n"
        "quarters; pilot actions running then).\n"
        "Examples:\n"
        "  " HUB_PROG " export --format csv --collection indicator --country HR --period 2015\n"
        "  " HUB_PROG " export --collection pilot_action --area rd\n";
    struct cps_export_filter filter = {0};
    enum cps_export_format fmt = CPS_EXPORT_NDJSON;
    struct cps_txn *txn = NULL;
    const char *dir = NULL;
    uint64_t count;
    struct hub h;
    char err[512];
    int rc;

    if ((rc = cps_cli_parse_dir_opts(argc, argv, HUB_PROG " export", usage_text, &dir, &filter,
                                     &fmt)) >= 0)
        return rc;
    if (optind != argc) {
        fputs(usage_text, stderr);
        return CPS_EXIT_USAGE;
    }
    if (hub_open(&h, hub_dir(dir), false, err, sizeof err) != 0) {
        cps_cli_error(HUB_PROG " export", "%s", err);
        return CPS_EXIT_USAGE;
    }
    filter.roster = hub_roster(&h);
    if ((rc = cps_store_begin(h.st, false, &txn)) != 0 ||
        (rc = cps_export_records(txn, CPS_DB_RECORDS, stdout, fmt, &filter, &count)) != 0)
        cps_cli_error(HUB_PROG " export", "%s", cps_strerror(rc));
    cps_store_abort(&txn);
    hub_close(&h);
    return rc == 0 ? CPS_EXIT_OK : CPS_EXIT_USAGE;
}
