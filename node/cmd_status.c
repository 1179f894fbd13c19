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
#include "ops.h"

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
    json_object_set_new(r, "caught_up", json_boolean(size == trusted));
    /* checkpoint consistency: every checkpoint the hub sent extends the trusted one */
    if (cps_store_meta_get(txn, "distrust", &v) == 0 && v.len > 0) {
        json_object_set_new(r, "hub_trusted", json_false());
        json_object_set_new(r, "distrust_reason", json_stringn(v.data, v.len));
    } else {
        json_object_set_new(r, "hub_trusted", json_true());
    }
    json_object_set_new(o, "replica", r);
    return 0;
}

/* When the oldest queued update was written (0: none queued). */
static uint64_t
oldest_queued_ms(struct cps_txn *txn)
{
    struct cps_cursor *cur = NULL;
    struct cps_update *up = NULL;
    struct cps_val k, v;
    uint64_t ms = 0;

    if (cps_store_cursor_open(txn, CPS_DB_OUTBOX, &cur) != 0)
        return 0;
    if (cps_store_cursor_get(cur, CPS_SEEK_FIRST, NULL, 0, &k, &v) == 0 &&
        cps_wire_decode_update(&up, v.data, v.len) == 0)
        ms = up->ts_ms;
    cps_wire_update_free(&up);
    cps_store_cursor_close(&cur);
    return ms;
}

static json_t *
seconds_since(uint64_t now, uint64_t ms)
{
    if (ms == 0)
        return json_null();
    return json_integer(now > ms ? (json_int_t)((now - ms) / 1000) : 0);
}

int
cmd_status_main(int argc, char **argv)
{
    static const char usage_text[] =
        "Usage: " NODE_PROG " status [--dir DIR] [--config FILE] [--stale-after SECONDS]\n"
        "                     [--check]\n"
        "Print the node's sync state as JSON: partner, hub endpoint, whether the daemon\n"
        "runs, next seq, last acked seq, queued updates and how old the oldest is, rejected\n"
        "updates, last contact with the hub (hub_reachable: within SECONDS, while the daemon\n"
        "runs), last error, and the replica (entries, trusted checkpoint, whether the hub's\n"
        "checkpoints are consistent).\n"
        "The node is stalled when the hub is not trusted, when its oldest queued update is\n"
        "older than SECONDS (default 3600, or [status] stale_after), or when the daemon runs\n"
        "but has had no contact with the hub for SECONDS.\n"
        "  --check  exit 1 when stalled (for cron and monitoring); without it, 0\n"
        "Exit status: 0 done (with --check: not stalled), 1 stalled (--check), 2 could not\n"
        "run. Examples:\n"
        "  " NODE_PROG " status --dir /var/lib/cps/node | jq '{queued: .outbox_depth, .stalled}'\n"
        "  " NODE_PROG " status --check >/dev/null || echo stalled | mail it@example.org\n";
    static const struct option opts[] = {
        { "dir", required_argument, NULL, 'd' },         { "config", required_argument, NULL, 'C' },
        { "stale-after", required_argument, NULL, 'S' }, { "help", no_argument, NULL, 'h' },
        { "check", no_argument, NULL, 'K' },             { NULL, 0, NULL, 0 },
    };
    bool check = false;
    uint64_t next_seq = 0, last_acked = 0, contact = 0, depth = 0, rejected = 0, oldest,
             now = cps_wire_now_ms(), stale_s, stale_ms;
    struct cps_txn *txn = NULL;
    struct node_conf cf;
    struct cps_val v;
    struct node n;
    const char *dir = NULL;
    char err[512], reason[512] = "";
    bool running, trusted;
    json_t *o, *rep;
    int c, rc;

    if ((rc = node_conf_load(&cf, argc, argv, "d:C:S:hK", opts, NODE_PROG " status")) >= 0)
        return rc;
    dir = cf.dir[0] != 0 ? cf.dir : NULL;
    stale_s = cf.stale_after;
    while ((c = getopt_long(argc, argv, "d:C:S:hK", opts, NULL)) != -1) {
        switch (c) {
        case 'K':
            check = true;
            break;
        case 'd':
            dir = optarg;
            break;
        case 'C':
            break; /* read by node_conf_load */
        case 'S':
            if (!cps_cli_parse_u64(optarg, 1, 315360000, &stale_s)) {
                cps_cli_error(NODE_PROG " status", "--stale-after %s: expected seconds, "
                                                   "1..315360000", optarg);
                return CPS_EXIT_USAGE;
            }
            break;
        case 'h':
            fputs(usage_text, stdout);
            return CPS_EXIT_OK;
        default:
            fputs(usage_text, stderr);
            return CPS_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fputs(usage_text, stderr);
        return CPS_EXIT_USAGE;
    }
    stale_ms = stale_s * 1000;
    node_conf_apply(&cf); /* the hub endpoint in force */
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
    oldest = depth > 0 ? oldest_queued_ms(txn) : 0;
    running = node_daemon_running(&n);
    o = json_object();
    json_object_set_new(o, "partner", json_string(n.partner));
    json_object_set_new(o, "programme", json_string(n.programme));
    json_object_set_new(o, "hub", json_string(n.hub));
    json_object_set_new(o, "daemon", json_string(running ? "running" : "stopped"));
    json_object_set_new(o, "next_seq", json_integer((json_int_t)next_seq));
    json_object_set_new(o, "last_acked_seq", json_integer((json_int_t)last_acked));
    json_object_set_new(o, "outbox_depth", json_integer((json_int_t)depth));
    json_object_set_new(o, "oldest_queued", cps_cli_json_time(oldest));
    json_object_set_new(o, "oldest_queued_seconds", seconds_since(now, oldest));
    json_object_set_new(o, "rejected", json_integer((json_int_t)rejected));
    json_object_set_new(o, "last_contact", cps_cli_json_time(contact));
    json_object_set_new(o, "last_contact_seconds_ago", seconds_since(now, contact));
    json_object_set_new(o, "hub_reachable",
                        !running ? json_null()
                                 : json_boolean(contact != 0 && now - contact <= stale_ms));
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
    rep = json_object_get(o, "replica");
    trusted = json_is_true(json_object_get(rep, "hub_trusted"));
    if (!trusted)
        snprintf(reason, sizeof reason, "the hub is not trusted: %s",
                 json_string_value(json_object_get(rep, "distrust_reason")));
    else if (oldest != 0 && now > oldest && now - oldest > stale_ms)
        snprintf(reason, sizeof reason, "%" PRIu64 " updates queued, the oldest for %" PRIu64
                                        " s",
                 depth, (now - oldest) / 1000);
    else if (running && contact != 0 && now - contact > stale_ms)
        snprintf(reason, sizeof reason, "no contact with the hub for %" PRIu64 " s",
                 (now - contact) / 1000);
    json_object_set_new(o, "stale_after", json_integer((json_int_t)stale_s));
    json_object_set_new(o, "stalled", json_boolean(reason[0] != 0));
    json_object_set_new(o, "stalled_reason", reason[0] != 0 ? json_string(reason) : json_null());
    cps_store_abort(&txn);
    json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(o);
    node_close(&n);
    return check && reason[0] != 0 ? CPS_EXIT_NO : CPS_EXIT_OK;
}

int
cmd_rejected_main(int argc, char **argv)
{
    static const char usage_text[] =
        "Usage: " NODE_PROG " rejected [--dir DIR]\n"
        "List the updates the hub logged as rejected (NDJSON: seq, log index, code, reason).\n"
        "Their records stay in the node; correct them and write them again.\n"
        "Example:\n"
        "  " NODE_PROG " rejected | jq -r '\"\\(.seq) \\(.reason)\"'\n";
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
