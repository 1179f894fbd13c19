/* SPDX-License-Identifier: ISC */
/*
 * Sync health: what status and metrics say about each partner, from the partner state the
 * writer keeps (last seen at a HELLO or an update, the outbox depth the node reported at
 * its last HELLO) and the log itself (when the partner's last update was logged).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cps/replay.h"
#include "ops.h"

/* When the entry at index was received (0 when it cannot be read). */
static uint64_t
entry_ms(struct cps_txn *txn, uint64_t index)
{
    struct cps_entry e;
    struct cps_val v;
    uint8_t k[8];

    cps_store_be64(k, index);
    if (cps_store_get(txn, CPS_DB_LOG, k, sizeof k, &v) != 0 ||
        cps_wire_decode_entry(&e, v.data, v.len) != 0)
        return 0;
    return e.received_ms;
}

/* "3d4h", "2h05m", "7m30s", "12s" */
static void
age(char *buf, size_t len, uint64_t ms)
{
    uint64_t s = ms / 1000;

    if (s >= 86400)
        snprintf(buf, len, "%" PRIu64 "d%" PRIu64 "h", s / 86400, s % 86400 / 3600);
    else if (s >= 3600)
        snprintf(buf, len, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s % 3600 / 60);
    else if (s >= 60)
        snprintf(buf, len, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
    else
        snprintf(buf, len, "%" PRIu64 "s", s);
}

int
hub_health_get(struct cps_txn *txn, const struct cps_roster_partner *p, uint64_t now_ms,
               uint64_t stale_s, struct hub_health *out)
{
    uint64_t stale_ms = stale_s * 1000, log_size = 0, start_ms = 0, from;
    struct cps_val v;
    char a[32];
    int rc;

    memset(out, 0, sizeof *out);
    rc = cps_store_get(txn, CPS_DB_PARTNERS, p->id, strlen(p->id), &v);
    if (rc != 0 && rc != CPS_ENOTFOUND)
        return rc;
    if (rc == 0 && cps_wire_decode_pstate(&out->ps, v.data, v.len) != 0)
        return CPS_ESTORE;
    if (out->ps.last_seq > 0)
        out->moved_ms = entry_ms(txn, out->ps.last_index);
    if ((rc = cps_replay_size(txn, &cps_replay_hub, &log_size)) != 0)
        return rc;
    if (log_size > 0)
        start_ms = entry_ms(txn, 0);
    out->seen = out->ps.last_seen_ms != 0;
    out->since_ms = out->seen ? out->ps.last_seen_ms : start_ms;
    if (p->status != CPS_PARTNER_ACTIVE)
        return 0; /* an inactive or revoked partner is not expected to sync */
    if (out->since_ms != 0 && now_ms > out->since_ms && now_ms - out->since_ms > stale_ms) {
        out->stalled = true;
        age(a, sizeof a, now_ms - out->since_ms);
        if (out->seen)
            snprintf(out->reason, sizeof out->reason, "not seen for %s", a);
        else
            snprintf(out->reason, sizeof out->reason, "never seen; the log started %s ago", a);
        return 0;
    }
    /* queued work reported after the last logged update, and still nothing logged */
    from = out->moved_ms != 0 ? out->moved_ms : start_ms != 0 ? start_ms : out->since_ms;
    if (out->seen && out->ps.outbox_depth > 0 && out->ps.last_seen_ms > out->moved_ms &&
        now_ms > from && now_ms - from > stale_ms) {
        out->stalled = true;
        age(a, sizeof a, now_ms - from);
        snprintf(out->reason, sizeof out->reason,
                 "%" PRIu64 " updates queued at the node, none logged for %s",
                 out->ps.outbox_depth, a);
    }
    return 0;
}
