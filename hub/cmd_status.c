/* SPDX-License-Identifier: ISC */
/*
 * cps-hub status and export: read-only views of the hub's store, safe while the hub runs.
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cps/cli.h"
#include "cps/export.h"
#include "commands.h"
#include "hub.h"

int
cmd_status_main(int argc, char **argv)
{
    static const char usage_text[] =
        "Usage: " HUB_PROG " status [--dir DIR]\n"
        "Print the hub's state as JSON: log size, records, and per partner the last seq,\n"
        "last contact, accepted and rejected updates, and the outbox depth it reported.\n";
    struct cps_txn *txn = NULL;
    const char *dir = NULL;
    uint64_t log_size = 0, records = 0;
    json_t *o, *arr;
    struct hub h;
    char err[512];
    size_t i;
    int rc;

    if ((rc = cps_cli_parse_dir_opts(argc, argv, HUB_PROG " status", usage_text, &dir, NULL,
                                      NULL)) >= 0)
        return rc;
    if (optind != argc) {
        fputs(usage_text, stderr);
        return CPS_EXIT_USAGE;
    }
    if (hub_open(&h, hub_dir(dir), false, err, sizeof err) != 0) {
        cps_cli_error(HUB_PROG " status", "%s", err);
        return CPS_EXIT_USAGE;
    }
    if ((rc = cps_store_begin(h.st, false, &txn)) != 0 ||
        (rc = cps_store_meta_get_u64(txn, "log_size", &log_size)) != 0 ||
        (rc = cps_store_count(txn, CPS_DB_RECORDS, &records)) != 0) {
        cps_cli_error(HUB_PROG " status", "%s", cps_strerror(rc));
        cps_store_abort(&txn);
        hub_close(&h);
        return CPS_EXIT_USAGE;
    }
    o = json_object();
    json_object_set_new(o, "programme", json_string(h.programme));
    json_object_set_new(o, "log_size", json_integer((json_int_t)log_size));
    json_object_set_new(o, "records", json_integer((json_int_t)records));
    arr = json_array();
    for (i = 0; i < hub_roster(&h)->n_partners; i++) {
        const struct cps_roster_partner *p = &hub_roster(&h)->partners[i];
        struct cps_pstate ps = { 0 };
        struct cps_val v;
        json_t *po = json_object();

        if (cps_store_get(txn, CPS_DB_PARTNERS, p->id, strlen(p->id), &v) == 0 &&
            cps_wire_decode_pstate(&ps, v.data, v.len) != 0)
            memset(&ps, 0, sizeof ps);
        json_object_set_new(po, "id", json_string(p->id));
        json_object_set_new(po, "name", json_string(p->name));
        json_object_set_new(po, "country", json_string(p->country));
        json_object_set_new(po, "status", json_string(cps_roster_status_name(p->status)));
        json_object_set_new(po, "last_seq", json_integer((json_int_t)ps.last_seq));
        json_object_set_new(po, "last_seen", cps_cli_json_time(ps.last_seen_ms));
        json_object_set_new(po, "accepted", json_integer((json_int_t)ps.accepted));
        json_object_set_new(po, "rejected", json_integer((json_int_t)ps.rejected));
        json_object_set_new(po, "outbox_depth", json_integer((json_int_t)ps.outbox_depth));
        json_array_append_new(arr, po);
    }
    json_object_set_new(o, "partners", arr);
    cps_store_abort(&txn);
    json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(o);
    hub_close(&h);
    return CPS_EXIT_OK;
}

int
cmd_export_main(int argc, char **argv)
{
    static const char usage_text[] =
        "Usage: " HUB_PROG " export [--dir DIR] [--format ndjson|csv] [--collection C]\n"
        "                      [--partner ID]\n"
        "Write the consolidated dataset to stdout in key order. NDJSON lines are\n"
        "{\"coll\",\"key\",\"value\"} (what cps-node import reads); CSV has the header\n"
        "coll,key,partner,value with the value as JSON.\n";
    struct cps_export_filter filter = { 0 };
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
    if ((rc = cps_store_begin(h.st, false, &txn)) != 0 ||
        (rc = cps_export_records(txn, CPS_DB_RECORDS, stdout, fmt, &filter, &count)) != 0)
        cps_cli_error(HUB_PROG " export", "%s", cps_strerror(rc));
    cps_store_abort(&txn);
    hub_close(&h);
    return rc == 0 ? CPS_EXIT_OK : CPS_EXIT_USAGE;
}
