/* SPDX-License-Identifier: ISC */
/*
 * cps-node status and rejected: what the node knows of its sync with the hub, read from
 * the store the daemon writes (safe while it runs: LMDB readers never block the writer).
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cps/cli.h"
#include "commands.h"
#include "cps/replay.h"
#include "node.h"

/* The witness part of status: replica size, trusted checkpoint, and whether the hub is
 * still trusted (and if not, why). */
static int
replica_status(struct cps_txn *txn, json_t *o)
{
    uint64_t size = 0, trusted = 0;
    struct cps_val v;
    json_t *r = json_object();
    int rc;

    if ((rc = cps_replay_size(txn, &cps_replay_replica, &size)) != 0) {
        json_decref(r);
        return rc;
    }
    if (cps_store_meta_get_u64(txn, "trusted_size", &trusted) != 0)
        trusted = 0;
    json_object_set_new(r, "entries", json_integer((json_int_t)size));
    json_object_set_new(r, "trusted_checkpoint_size", json_integer((json_int_t)trusted));
    if (cps_store_meta_get(txn, "distrust", &v) == 0 && v.len > 0) {
        json_object_set_new(r, "hub_trusted", json_false());
        json_object_set_new(r, "distrust_reason", json_stringn(v.data, v.len));
    } else {
        json_object_set_new(r, "hub_trusted", json_true());
    }
    json_object_set_new(o, "replica", r);
    return 0;
}

int
cmd_status_main(int argc, char **argv)
{
    static const char usage_text[] =
        "Usage: " NODE_PROG " status [--dir DIR]\n"
        "Print the node's sync state as JSON: partner, next seq, last acked seq, outbox\n"
        "depth, rejected updates, last contact with the hub, last error.\n";
    uint64_t next_seq = 0, last_acked = 0, contact = 0, depth = 0, rejected = 0;
    struct cps_txn *txn = NULL;
    struct cps_val v;
    struct node n;
    const char *dir = NULL;
    char err[512];
    json_t *o;
    int rc;

    if ((rc = cps_cli_parse_dir_opts(argc, argv, NODE_PROG " status", usage_text, &dir, NULL,
                                      NULL)) >= 0)
        return rc;
    if (optind != argc) {
        fputs(usage_text, stderr);
        return CPS_EXIT_USAGE;
    }
    if (node_open(&n, node_dir(dir), false, err, sizeof err) != 0) {
        cps_cli_error(NODE_PROG " status", "%s", err);
        return CPS_EXIT_USAGE;
    }
    if ((rc = cps_store_begin(n.st, false, &txn)) != 0 ||
        (rc = cps_store_meta_get_u64(txn, "next_seq", &next_seq)) != 0 ||
        (rc = cps_store_meta_get_u64(txn, "last_acked", &last_acked)) != 0 ||
        (rc = cps_store_count(txn, CPS_DB_OUTBOX, &depth)) != 0 ||
        (rc = cps_store_count(txn, CPS_DB_REJECTED, &rejected)) != 0) {
        cps_cli_error(NODE_PROG " status", "%s", cps_strerror(rc));
        cps_store_abort(&txn);
        node_close(&n);
        return CPS_EXIT_USAGE;
    }
    if (cps_store_meta_get_u64(txn, "last_contact_ms", &contact) != 0)
        contact = 0;
    o = json_object();
    json_object_set_new(o, "partner", json_string(n.partner));
    json_object_set_new(o, "programme", json_string(n.programme));
    json_object_set_new(o, "hub", json_string(n.hub));
    json_object_set_new(o, "next_seq", json_integer((json_int_t)next_seq));
    json_object_set_new(o, "last_acked_seq", json_integer((json_int_t)last_acked));
    json_object_set_new(o, "outbox_depth", json_integer((json_int_t)depth));
    json_object_set_new(o, "rejected", json_integer((json_int_t)rejected));
    json_object_set_new(o, "last_contact", cps_cli_json_time(contact));
    if (cps_store_meta_get(txn, "last_error", &v) == 0 && v.len > 0)
        json_object_set_new(o, "last_error", json_stringn(v.data, v.len));
    else
        json_object_set_new(o, "last_error", json_null());
    if ((rc = replica_status(txn, o)) != 0) {
        cps_cli_error(NODE_PROG " status", "replica: %s", cps_strerror(rc));
        cps_store_abort(&txn);
        json_decref(o);
        node_close(&n);
        return CPS_EXIT_USAGE;
    }
    cps_store_abort(&txn);
    json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(o);
    node_close(&n);
    return CPS_EXIT_OK;
}

int
cmd_rejected_main(int argc, char **argv)
{
    static const char usage_text[] =
        "Usage: " NODE_PROG " rejected [--dir DIR]\n"
        "List the updates the hub logged as rejected (NDJSON: seq, log index, code, reason).\n"
        "Their records stay in the node; correct them and write them again.\n";
    struct cps_cursor *cur = NULL;
    struct cps_txn *txn = NULL;
    struct cps_val k, v;
    struct node n;
    const char *dir = NULL;
    char err[512];
    int rc;

    if ((rc = cps_cli_parse_dir_opts(argc, argv, NODE_PROG " rejected", usage_text, &dir, NULL,
                                      NULL)) >= 0)
        return rc;
    if (optind != argc) {
        fputs(usage_text, stderr);
        return CPS_EXIT_USAGE;
    }
    if (node_open(&n, node_dir(dir), false, err, sizeof err) != 0) {
        cps_cli_error(NODE_PROG " rejected", "%s", err);
        return CPS_EXIT_USAGE;
    }
    if ((rc = cps_store_begin(n.st, false, &txn)) != 0 ||
        (rc = cps_store_cursor_open(txn, CPS_DB_REJECTED, &cur)) != 0) {
        cps_cli_error(NODE_PROG " rejected", "%s", cps_strerror(rc));
        cps_store_abort(&txn);
        node_close(&n);
        return CPS_EXIT_USAGE;
    }
    for (rc = cps_store_cursor_get(cur, CPS_SEEK_FIRST, NULL, 0, &k, &v); rc == 0;
         rc = cps_store_cursor_get(cur, CPS_SEEK_NEXT, NULL, 0, &k, &v)) {
        const uint8_t *p = v.data;
        json_t *o;

        /* value layout: be64 log index | be32 wire code | reason bytes */
        if (k.len != 8 || v.len < 12)
            continue;
        o = json_object();
        json_object_set_new(o, "seq", json_integer((json_int_t)cps_store_get_be64(k.data)));
        json_object_set_new(o, "index", json_integer((json_int_t)cps_store_get_be64(p)));
        json_object_set_new(o, "code", json_integer((json_int_t)((uint32_t)p[8] << 24 |
                                                                 (uint32_t)p[9] << 16 |
                                                                 (uint32_t)p[10] << 8 | p[11])));
        json_object_set_new(o, "reason", json_stringn((const char *)p + 12, v.len - 12));
        json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
        json_decref(o);
    }
    cps_store_cursor_close(&cur);
    cps_store_abort(&txn);
    node_close(&n);
    return CPS_EXIT_OK;
}
