/* SPDX-License-Identifier: ISC */
/*
 * cps-hub status and metrics: read-only views of the hub's store, safe while the hub runs.
 * status prints JSON and exits 1 when a partner is stalled (for cron and monitoring);
 * metrics prints the same facts in the Prometheus text format, with no server of its own.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cps/cli.h"
#include "cps/replay.h"
#include "commands.h"
#include "hub.h"
#include "ops.h"

/* What both commands read, in one read transaction. */
struct view {
    struct hub h;
    struct cps_txn *txn;
    uint64_t now_ms, stale_s;
    uint64_t log_size, records, checkpoints, cp_size, map_size, used;
    uint8_t digest[CPS_CRYPTO_HASH_BYTES];
    struct hub_health *health; /* one per partner of the roster in force */
    size_t n_stalled;
};

/* --dir, --config, --stale-after, --help. Returns -1 to go on, or the exit code. */
static int
parse_opts(int argc, char **argv, const char *prog, const char *usage_text, const char **dir,
           uint64_t *stale_s)
{
    static const struct option opts[] = {
        { "dir", required_argument, NULL, 'd' },         { "config", required_argument, NULL, 'C' },
        { "stale-after", required_argument, NULL, 'S' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct hub_conf cf;
    int c, rc;

    if ((rc = hub_conf_load(&cf, argc, argv, "d:C:S:h", opts, prog)) >= 0)
        return rc;
    *dir = cf.dir[0] != 0 ? cf.dir : NULL;
    *stale_s = cf.stale_after;
    while ((c = getopt_long(argc, argv, "d:C:S:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            *dir = optarg;
            break;
        case 'C':
            break; /* read by hub_conf_load */
        case 'S':
            if (!cps_cli_parse_u64(optarg, 1, 315360000, stale_s)) {
                cps_cli_error(prog, "--stale-after %s: expected seconds, 1..315360000", optarg);
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
    return -1;
}

static void
view_close(struct view *v)
{
    cps_store_abort(&v->txn);
    free(v->health);
    v->health = NULL;
    hub_close(&v->h);
}

static int
view_open(struct view *v, const char *prog, const char *dir)
{
    struct cps_val note;
    char err[512];
    size_t i;
    int rc;

    if (hub_open(&v->h, hub_dir(dir), false, err, sizeof err) != 0) {
        cps_cli_error(prog, "%s", err);
        return CPS_EXIT_USAGE;
    }
    v->now_ms = cps_wire_now_ms();
    if ((rc = cps_store_usage(v->h.st, &v->map_size, &v->used)) != 0 ||
        (rc = cps_store_begin(v->h.st, false, &v->txn)) != 0 ||
        (rc = cps_replay_size(v->txn, &cps_replay_hub, &v->log_size)) != 0 ||
        (rc = cps_store_count(v->txn, CPS_DB_RECORDS, &v->records)) != 0 ||
        (rc = cps_store_count(v->txn, CPS_DB_CHECKPOINTS, &v->checkpoints)) != 0 ||
        (rc = cps_apply_digest(v->txn, &cps_replay_hub.view, v->digest)) != 0)
        goto fail;
    if ((rc = hub_latest_checkpoint(v->txn, &v->cp_size, &note)) == CPS_ENOTFOUND)
        v->cp_size = 0;
    else if (rc != 0)
        goto fail;
    if ((v->health = calloc(hub_roster(&v->h)->n_partners + 1, sizeof *v->health)) == NULL) {
        rc = -ENOMEM;
        goto fail;
    }
    for (i = 0; i < hub_roster(&v->h)->n_partners; i++) {
        if ((rc = hub_health_get(v->txn, &hub_roster(&v->h)->partners[i], v->now_ms, v->stale_s,
                                 &v->health[i])) != 0)
            goto fail;
        v->n_stalled += v->health[i].stalled;
    }
    return -1;
fail:
    cps_cli_error(prog, "%s: %s", v->h.dir, cps_strerror(rc));
    view_close(v);
    return CPS_EXIT_USAGE;
}

/* Seconds from ms to now as JSON, or null when ms is 0. */
static json_t *
seconds_since(const struct view *v, uint64_t ms)
{
    if (ms == 0)
        return json_null();
    return json_integer(v->now_ms > ms ? (json_int_t)((v->now_ms - ms) / 1000) : 0);
}

static void
hex(char *out, const uint8_t *b, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

int
cmd_status_main(int argc, char **argv)
{
    static const char usage_text[] =
        "Usage: " HUB_PROG " status [--dir DIR] [--config FILE] [--stale-after SECONDS]\n"
        "Print the hub's state as JSON: log size, records, latest checkpoint, dataset digest,\n"
        "and per partner: last seq, last contact (HELLO or update), when its last update was\n"
        "logged and the lag since, accepted and rejected updates, the outbox depth its node\n"
        "reported at its last HELLO, and whether it is stalled.\n"
        "An active partner is stalled when it has not been seen for SECONDS (default 3600,\n"
        "or [status] stale_after; a partner never seen counts from the log's first entry),\n"
        "or when it was seen after its last logged update reporting queued updates and\n"
        "nothing of it was logged for SECONDS. Exit status: 0 none stalled, 1 some stalled,\n"
        "2 could not run. Examples:\n"
        "  " HUB_PROG " status --dir /var/lib/cps/hub | jq '.partners[] | select(.stalled)'\n"
        "  " HUB_PROG " status --stale-after 900 >/dev/null || echo 'a partner is stalled'\n";
    struct view v = { 0 };
    const char *dir = NULL;
    char digest[2 * CPS_CRYPTO_HASH_BYTES + 1];
    json_t *o, *arr;
    size_t i;
    int rc;

    if ((rc = parse_opts(argc, argv, HUB_PROG " status", usage_text, &dir, &v.stale_s)) >= 0)
        return rc;
    if ((rc = view_open(&v, HUB_PROG " status", dir)) >= 0)
        return rc;
    hex(digest, v.digest, sizeof v.digest);
    o = json_object();
    json_object_set_new(o, "programme", json_string(v.h.programme));
    json_object_set_new(o, "log_size", json_integer((json_int_t)v.log_size));
    json_object_set_new(o, "records", json_integer((json_int_t)v.records));
    json_object_set_new(o, "checkpoint_size", json_integer((json_int_t)v.cp_size));
    json_object_set_new(o, "dataset_digest", json_string(digest));
    json_object_set_new(o, "store_used_bytes", json_integer((json_int_t)v.used));
    json_object_set_new(o, "store_map_bytes", json_integer((json_int_t)v.map_size));
    json_object_set_new(o, "stale_after", json_integer((json_int_t)v.stale_s));
    json_object_set_new(o, "stalled_partners", json_integer((json_int_t)v.n_stalled));
    arr = json_array();
    for (i = 0; i < hub_roster(&v.h)->n_partners; i++) {
        const struct cps_roster_partner *p = &hub_roster(&v.h)->partners[i];
        const struct hub_health *hh = &v.health[i];
        json_t *po = json_object();

        json_object_set_new(po, "id", json_string(p->id));
        json_object_set_new(po, "name", json_string(p->name));
        json_object_set_new(po, "country", json_string(p->country));
        json_object_set_new(po, "status", json_string(cps_roster_status_name(p->status)));
        json_object_set_new(po, "last_seq", json_integer((json_int_t)hh->ps.last_seq));
        json_object_set_new(po, "last_seen", cps_cli_json_time(hh->ps.last_seen_ms));
        json_object_set_new(po, "seen_seconds_ago", seconds_since(&v, hh->ps.last_seen_ms));
        json_object_set_new(po, "last_update", cps_cli_json_time(hh->moved_ms));
        json_object_set_new(po, "lag_seconds", seconds_since(&v, hh->moved_ms));
        json_object_set_new(po, "accepted", json_integer((json_int_t)hh->ps.accepted));
        json_object_set_new(po, "rejected", json_integer((json_int_t)hh->ps.rejected));
        json_object_set_new(po, "outbox_depth", json_integer((json_int_t)hh->ps.outbox_depth));
        json_object_set_new(po, "stalled", json_boolean(hh->stalled));
        json_object_set_new(po, "stalled_reason",
                            hh->stalled ? json_string(hh->reason) : json_null());
        json_array_append_new(arr, po);
    }
    json_object_set_new(o, "partners", arr);
    json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(o);
    rc = v.n_stalled > 0 ? CPS_EXIT_NO : CPS_EXIT_OK;
    view_close(&v);
    return rc;
}

/* One metric family: HELP and TYPE, then its samples. */
static void
family(const char *name, const char *type, const char *help)
{
    printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A per-partner family; what: 0 last_seq, 1 accepted, 2 rejected, 3 outbox, 4 seen,
 * 5 update, 6 stalled, 7 active. */
static void
per_partner(struct view *v, const char *name, const char *type, const char *help, int what)
{
    const struct cps_roster *r = hub_roster(&v->h);
    size_t i;

    family(name, type, help);
    for (i = 0; i < r->n_partners; i++) {
        const struct hub_health *hh = &v->health[i];
        uint64_t x;

        switch (what) {
        case 0: x = hh->ps.last_seq; break;
        case 1: x = hh->ps.accepted; break;
        case 2: x = hh->ps.rejected; break;
        case 3: x = hh->ps.outbox_depth; break;
        case 4:
        case 5: {
            uint64_t ms = what == 4 ? hh->ps.last_seen_ms : hh->moved_ms;

            if (ms == 0)
                continue; /* never: no sample */
            x = v->now_ms > ms ? (v->now_ms - ms) / 1000 : 0;
            break;
        }
        case 6: x = hh->stalled; break;
        default: x = r->partners[i].status == CPS_PARTNER_ACTIVE; break;
        }
        printf("%s{partner=\"%s\"} %" PRIu64 "\n", name, r->partners[i].id, x);
    }
}

int
cmd_metrics_main(int argc, char **argv)
{
    static const char usage_text[] =
        "Usage: " HUB_PROG " metrics [--dir DIR] [--config FILE] [--stale-after SECONDS]\n"
        "Print the hub's metrics in the Prometheus text exposition format (version 0.0.4) on\n"
        "stdout: log size, records, checkpoints, store use, and per partner the last seq,\n"
        "accepted and rejected updates, outbox depth, seconds since last seen and since its\n"
        "last logged update, and stalled (as in 'status'). No server: node_exporter's\n"
        "textfile collector reads the file. Example (cron, every minute):\n"
        "  " HUB_PROG " metrics > /var/lib/prometheus/node-exporter/cps.prom.tmp &&\n"
        "      mv /var/lib/prometheus/node-exporter/cps.prom.tmp \\\n"
        "         /var/lib/prometheus/node-exporter/cps.prom\n";
    struct view v = { 0 };
    const char *dir = NULL;
    int rc;

    if ((rc = parse_opts(argc, argv, HUB_PROG " metrics", usage_text, &dir, &v.stale_s)) >= 0)
        return rc;
    if ((rc = view_open(&v, HUB_PROG " metrics", dir)) >= 0)
        return rc;
    family("cps_hub_info", "gauge", "The hub's programme and version.");
    printf("cps_hub_info{programme=\"%s\",version=\"%s\"} 1\n", v.h.programme, CPS_VERSION);
    family("cps_hub_log_entries", "gauge", "Entries in the hub's log.");
    printf("cps_hub_log_entries %" PRIu64 "\n", v.log_size);
    family("cps_hub_records", "gauge", "Records in the consolidated dataset.");
    printf("cps_hub_records %" PRIu64 "\n", v.records);
    family("cps_hub_checkpoints", "gauge", "Signed checkpoints kept.");
    printf("cps_hub_checkpoints %" PRIu64 "\n", v.checkpoints);
    family("cps_hub_checkpoint_size", "gauge", "Tree size of the latest signed checkpoint.");
    printf("cps_hub_checkpoint_size %" PRIu64 "\n", v.cp_size);
    family("cps_hub_store_used_bytes", "gauge", "Bytes of the store's map in use.");
    printf("cps_hub_store_used_bytes %" PRIu64 "\n", v.used);
    family("cps_hub_store_map_bytes", "gauge", "Size of the store's map (--map-size).");
    printf("cps_hub_store_map_bytes %" PRIu64 "\n", v.map_size);
    family("cps_hub_stale_after_seconds", "gauge", "The stalled threshold in use.");
    printf("cps_hub_stale_after_seconds %" PRIu64 "\n", v.stale_s);
    family("cps_hub_partners_stalled", "gauge", "Active partners that are stalled.");
    printf("cps_hub_partners_stalled %zu\n", v.n_stalled);
    per_partner(&v, "cps_hub_partner_active", "gauge", "1 when the roster in force has the "
                "partner active.", 7);
    per_partner(&v, "cps_hub_partner_last_seq", "gauge", "The partner's last logged seq.", 0);
    per_partner(&v, "cps_hub_partner_accepted_total", "counter",
                "The partner's updates logged as applied.", 1);
    per_partner(&v, "cps_hub_partner_rejected_total", "counter",
                "The partner's updates logged as rejected.", 2);
    per_partner(&v, "cps_hub_partner_outbox_depth", "gauge",
                "Updates queued at the partner's node, as reported at its last HELLO.", 3);
    per_partner(&v, "cps_hub_partner_seconds_since_seen", "gauge",
                "Seconds since the partner's last HELLO or update (absent: never seen).", 4);
    per_partner(&v, "cps_hub_partner_seconds_since_update", "gauge",
                "Seconds since the partner's last update was logged (absent: never).", 5);
    per_partner(&v, "cps_hub_partner_stalled", "gauge", "1 when the partner is stalled.", 6);
    rc = fflush(stdout) == 0 && !ferror(stdout) ? CPS_EXIT_OK : CPS_EXIT_USAGE;
    view_close(&v);
    return rc;
}
