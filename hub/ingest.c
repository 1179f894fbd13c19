/* SPDX-License-Identifier: ISC */
/*
 * Ingest: one frame in, one reply out. Checks in the order that costs least and reveals
 * least: frame shape, connection identity, roster, seal, signature, body identity, seq and
 * prev; then schema and ownership decide between applied and rejected-but-logged. The log
 * append, the partner's state and the consolidated view change in the caller's
 * transaction; the reply is only sent once it commits.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cps/apply.h"
#include "cps/replay.h"
#include "cps/tlog.h"
#include "cps/log.h"
#include "hub.h"

int
hub_refuse(uint64_t seq, int code, const char *text, uint64_t expected, uint8_t **reply,
           size_t *reply_len)
{
    struct cps_msg m = { .type = CPS_MSG_REFUSE, .seq = seq, .code = code, .text = text,
                         .text_len = strlen(text), .expected = expected };

    return cps_wire_encode_msg(&m, reply, reply_len);
}

static int
ack(uint64_t seq, uint64_t index, int status, int code, const char *text, size_t text_len,
    uint8_t **reply, size_t *reply_len)
{
    struct cps_msg m = { .type = CPS_MSG_ACK, .seq = seq, .index = index, .status = status,
                         .code = code, .text = text, .text_len = text_len };

    return cps_wire_encode_msg(&m, reply, reply_len);
}

static int
on_hello(struct hub *h, struct cps_txn *txn, const struct cps_msg *m, uint8_t **reply,
         size_t *reply_len)
{
    struct cps_msg w = { .type = CPS_MSG_WELCOME };
    struct cps_pstate ps;
    int rc;

    if (m->version != CPS_WIRE_VERSION)
        return hub_refuse(0, CPS_EVERSION, "protocol version not supported", 0, reply,
                          reply_len);
    if ((rc = cps_replay_chain_get(txn, &cps_replay_hub, m->partner, &ps)) != 0)
        return rc;
    ps.last_seen_ms = cps_wire_now_ms();
    ps.outbox_depth = m->depth;
    if ((rc = cps_replay_chain_put(txn, &cps_replay_hub, m->partner, &ps)) != 0 ||
        (rc = cps_store_meta_get_u64(txn, "log_size", &w.index)) != 0)
        return rc;
    snprintf(w.partner, sizeof w.partner, "%s", m->partner);
    w.seq = ps.last_seq + 1;
    cps_log(CPS_LOG_INFO, "hello partner=%s node_acked=%" PRIu64 " hub_last=%" PRIu64
                          " outbox=%" PRIu64,
            m->partner, m->seq, ps.last_seq, m->depth);
    (void)h;
    return cps_wire_encode_msg(&w, reply, reply_len);
}

/* seq <= last: the same bytes are re-acked as first decided; other bytes are an attack. */
static int
on_duplicate(struct cps_txn *txn, const struct cps_update *up, uint8_t **reply,
             size_t *reply_len)
{
    uint8_t k[8];
    struct cps_entry e;
    struct cps_val v;
    uint64_t index;
    int rc;

    rc = cps_replay_find(txn, &cps_replay_hub, up->partner, up->seq, &index);
    if (rc == CPS_ENOTFOUND || rc == CPS_ESTORE) {
        /* the index lost this entry: refuse this frame only, never stall the round */
        cps_log(CPS_LOG_ERR, "store: no log index for partner=%s seq=%" PRIu64, up->partner,
                up->seq);
        return hub_refuse(up->seq, CPS_EINTERNAL, "hub cannot find this logged update", 0,
                          reply, reply_len);
    }
    if (rc != 0)
        return rc;
    cps_store_be64(k, index);
    if ((rc = cps_store_get(txn, CPS_DB_LOG, k, 8, &v)) != 0)
        return rc;
    if (cps_wire_decode_entry(&e, v.data, v.len) != 0)
        return CPS_ESTORE;
    if (e.signed_len != up->signed_len ||
        memcmp(e.signed_bytes, up->signed_bytes, up->signed_len) != 0) {
        cps_log(CPS_LOG_WARN, "refused partner=%s seq=%" PRIu64 " code=ECHAIN reason=\"seq "
                              "reused with different content\"",
                up->partner, up->seq);
        return hub_refuse(up->seq, CPS_ECHAIN, "seq already logged with different content", 0,
                          reply, reply_len);
    }
    cps_log(CPS_LOG_DEBUG, "duplicate partner=%s seq=%" PRIu64 " index=%" PRIu64, up->partner,
            up->seq, index);
    return ack(up->seq, index, e.status, e.code, e.reason, e.reason_len, reply, reply_len);
}

int
hub_decide(struct hub_decision *d, const struct cps_roster *roster, const struct cps_update *up)
{
    struct cps_roster *next = NULL;
    struct cps_entry e = {
        .signed_bytes = up->signed_bytes, .signed_len = up->signed_len,
        .received_ms = cps_wire_now_ms(),
    };
    int rc;

    memset(d, 0, sizeof *d);
    /* the rules, and for a roster change its validity; the change itself takes effect when
     * the writer refreshes the roster after logging it */
    d->code = cps_replay_decide(roster, up, &next, d->why, sizeof d->why);
    cps_roster_free(&next);
    if (d->code != 0 && d->code != CPS_EOWNER && d->code != CPS_ESCHEMA)
        return d->code; /* -ENOMEM */
    e.status = d->code == 0 ? CPS_ACK_APPLIED : CPS_ACK_REJECTED;
    e.code = d->code;
    e.reason = d->why;
    e.reason_len = strlen(d->why);
    if ((rc = cps_wire_encode_entry(&e, &d->entry, &d->entry_len)) != 0)
        return rc;
    d->received_ms = e.received_ms;
    cps_tlog_leaf_hash(d->entry, d->entry_len, d->leaf);
    cps_wire_update_hash(up->signed_bytes, up->signed_len, d->up_hash);
    return 0;
}

void
hub_decision_clear(struct hub_decision *d)
{
    free(d->entry);
    free(d->added);
    memset(d, 0, sizeof *d);
}

int
hub_accept(struct hub *h, struct cps_txn *txn, const struct cps_update *up,
           const struct hub_decision *pre, uint8_t **reply, size_t *reply_len)
{
    struct hub_decision own;
    const struct hub_decision *d = pre;
    struct cps_replay_pre rp;
    struct cps_pstate ps;
    char why[512];
    uint64_t index;
    int rc, code;

    if (strcmp(up->programme, h->programme) != 0) {
        code = CPS_EPROGRAMME;
        snprintf(why, sizeof why, "update is for programme '%s'", up->programme);
        goto refuse;
    }
    if ((rc = cps_replay_chain_get(txn, &cps_replay_hub, up->partner, &ps)) != 0)
        return rc;
    if (up->seq <= ps.last_seq)
        return on_duplicate(txn, up, reply, reply_len);
    if (up->seq > ps.last_seq + 1) {
        cps_log(CPS_LOG_DEBUG, "gap partner=%s seq=%" PRIu64 " expected=%" PRIu64, up->partner,
                up->seq, ps.last_seq + 1);
        return hub_refuse(up->seq, CPS_EGAP, "sequence gap", ps.last_seq + 1, reply, reply_len);
    }
    if (!cps_crypto_equal(up->prev, ps.last_hash, sizeof ps.last_hash)) {
        code = CPS_ECHAIN;
        snprintf(why, sizeof why, "prev does not match the hash of %s's update %" PRIu64,
                 up->partner, ps.last_seq);
        goto refuse;
    }
    /* correctly signed and in order: from here on it is logged, applied or rejected, as
     * decided ahead (hub_decide) or now */
    if (d == NULL) {
        if ((rc = hub_decide(&own, hub_roster(h), up)) != 0) {
            hub_decision_clear(&own);
            return rc;
        }
        d = &own;
    }
    code = d->code;
    snprintf(why, sizeof why, "%s", d->why);
    rp = (struct cps_replay_pre){ .added = d->added, .leaf = d->leaf, .up_hash = d->up_hash };
    ps.last_seen_ms = d->received_ms;
    rc = cps_replay_append(txn, &cps_replay_hub, d->entry, d->entry_len, up,
                           code == 0 ? CPS_ACK_APPLIED : CPS_ACK_REJECTED, &rp, &ps, &index);
    if (d == &own)
        hub_decision_clear(&own);
    if (rc != 0)
        return rc;
    /* a roster change is in force from the next entry on */
    if (code == 0 && strcmp(up->partner, CPS_ROSTER_PROGRAMME_ID) == 0 &&
        (rc = hub_roster_refresh(h, txn)) != 0)
        return rc;
    if (code != 0)
        cps_log(CPS_LOG_WARN, "rejected partner=%s seq=%" PRIu64 " index=%" PRIu64
                              " code=%s reason=\"%s\"",
                up->partner, up->seq, index, cps_errname(code), why);
    else
        cps_log(CPS_LOG_DEBUG, "accepted partner=%s seq=%" PRIu64 " index=%" PRIu64
                               " ops=%zu",
                up->partner, up->seq, index, up->n_ops);
    return ack(up->seq, index, code == 0 ? CPS_ACK_APPLIED : CPS_ACK_REJECTED, code, why,
               strlen(why), reply, reply_len);
refuse:
    cps_log(CPS_LOG_WARN, "refused partner=%s seq=%" PRIu64 " code=%s reason=\"%s\"",
            up->partner, up->seq, cps_errname(code), why);
    return hub_refuse(up->seq, code, why, 0, reply, reply_len);
}

/* Refuse in prepare: kept in the work item, logged and encoded by the writer. */
static void
prep_refuse(struct hub_work *w, uint64_t seq, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
prep_refuse(struct hub_work *w, uint64_t seq, int code, const char *fmt, ...)
{
    va_list ap;

    w->code = code;
    w->refuse_seq = seq;
    va_start(ap, fmt);
    vsnprintf(w->why, sizeof w->why, fmt, ap);
    va_end(ap);
}

/* An UPDATE, up to a verified signature and the digest lanes of its puts. */
static void
prepare_update(struct hub *h, struct hub_work *w)
{
    const struct cps_msg *m = w->m;
    const struct cps_roster_partner *p = cps_roster_find(hub_roster(h), m->partner);
    uint8_t *plain = NULL;
    int rc;

    /* ZAP admitted only active roster keys; checked again since the roster can change */
    if (p == NULL || p->status != CPS_PARTNER_ACTIVE) {
        prep_refuse(w, m->seq, p == NULL ? CPS_EUNKNOWN : CPS_EINACTIVE, "partner %s is %s",
                    m->partner, p == NULL ? "not in the roster" : "not active");
        return;
    }
    if (m->payload_len <= CPS_CRYPTO_SEAL_OVERHEAD ||
        m->payload_len > CPS_WIRE_MAX_SIGNED + CPS_CRYPTO_SEAL_OVERHEAD) {
        prep_refuse(w, m->seq, m->payload_len > CPS_CRYPTO_SEAL_OVERHEAD ? CPS_ETOOBIG : CPS_ESEAL,
                    "sealed update of %zu bytes", m->payload_len);
        return;
    }
    if ((plain = malloc(m->payload_len - CPS_CRYPTO_SEAL_OVERHEAD)) == NULL) {
        prep_refuse(w, m->seq, CPS_EBUSY, "hub out of memory");
        return;
    }
    if (cps_crypto_open(h->keys, p->pub.box, m->payload, m->payload_len, plain) != 0) {
        prep_refuse(w, m->seq, CPS_ESEAL, "sealed box does not open (not sealed by %s for this hub)",
                    m->partner);
        goto done;
    }
    rc = cps_wire_decode_update(&w->up, plain, m->payload_len - CPS_CRYPTO_SEAL_OVERHEAD);
    if (rc != 0) {
        prep_refuse(w, m->seq, rc == -ENOMEM ? CPS_EBUSY : rc, "signed update does not decode: %s",
                    cps_strerror(rc));
        goto done;
    }
    if (cps_wire_verify_update(w->up, p->pub.sign) != 0) {
        prep_refuse(w, m->seq, CPS_EBADSIG, "signature does not verify with %s's key",
                    m->partner);
        goto done;
    }
    if (strcmp(w->up->partner, m->partner) != 0 || w->up->seq != m->seq) {
        prep_refuse(w, m->seq, CPS_EIDENTITY,
                    "frame says %s seq %" PRIu64 ", body says %s seq %" PRIu64, m->partner,
                    m->seq, w->up->partner, w->up->seq);
        goto done;
    }
    /* everything about the entry that does not depend on the store is decided here, off
     * the writer's core: the schema decision, the entry bytes and their leaf, the chain
     * hash, and the digest lanes of the puts */
    if ((rc = hub_decide(&w->pre, hub_roster(h), w->up)) != 0) {
        prep_refuse(w, m->seq, CPS_EBUSY, "hub out of memory");
        goto done;
    }
    w->has_pre = true;
    if (w->pre.code == 0 && (w->pre.added = malloc(CPS_APPLY_STATE_BYTES)) != NULL)
        cps_apply_lanes(w->up, w->pre.added);
done:
    free(plain);
}

void
hub_prepare(struct hub *h, struct hub_work *w)
{
    const struct cps_roster_partner *p;
    int rc;

    w->code = 0;
    w->roster_serial = hub_roster(h)->serial;
    if (w->user_id[0] == 0 || (p = cps_roster_find(hub_roster(h), w->user_id)) == NULL) {
        /* cannot happen behind the ZAP handler; refuse rather than trust */
        prep_refuse(w, 0, CPS_EUNKNOWN, "connection not authenticated as a partner");
        return;
    }
    if (p->status != CPS_PARTNER_ACTIVE) {
        /* ZAP admitted it, but a roster change since made it inactive or revoked: it may
         * neither write nor read (HELLO, PULL, PROVE) any more */
        prep_refuse(w, 0, CPS_EINACTIVE, "partner %s is %s", w->user_id,
                    cps_roster_status_name(p->status));
        return;
    }
    if (w->bad_shape) {
        prep_refuse(w, 0, CPS_EMALFORMED, "a message is exactly one frame");
        return;
    }
    if ((w->m = malloc(sizeof *w->m)) == NULL) {
        prep_refuse(w, 0, CPS_EBUSY, "hub out of memory");
        return;
    }
    if ((rc = cps_wire_decode_msg(w->m, w->frame, w->frame_len)) != 0) {
        prep_refuse(w, 0, rc, "frame of %zu bytes does not decode", w->frame_len);
        return;
    }
    if (w->m->type != CPS_MSG_HELLO && w->m->type != CPS_MSG_UPDATE &&
        w->m->type != CPS_MSG_PULL && w->m->type != CPS_MSG_PROVE) {
        prep_refuse(w, 0, CPS_EMALFORMED, "message type %d is not for the hub", (int)w->m->type);
        return;
    }
    /* who the frame claims to be must be who CURVE authenticated */
    if (strcmp(w->m->partner, w->user_id) != 0) {
        prep_refuse(w, w->m->type == CPS_MSG_UPDATE ? w->m->seq : 0, CPS_EIDENTITY,
                    "frame names %s but the connection is %s", w->m->partner, w->user_id);
        return;
    }
    if (w->m->type == CPS_MSG_UPDATE)
        prepare_update(h, w);
}

int
hub_commit_one(struct hub *h, struct cps_txn *txn, struct hub_work *w)
{
    w->reply = NULL;
    if (w->code != 0) {
        cps_log(CPS_LOG_WARN, "refused partner=%s seq=%" PRIu64 " code=%s reason=\"%s\"",
                w->user_id[0] != 0 ? w->user_id : "?", w->refuse_seq, cps_errname(w->code),
                w->why);
        return hub_refuse(w->refuse_seq, w->code, w->why, 0, &w->reply, &w->reply_len);
    }
    if (w->roster_serial != hub_roster(h)->serial) {
        /* a roster change since prepare: who may speak is decided by the roster in force */
        const struct cps_roster_partner *p = cps_roster_find(hub_roster(h), w->user_id);

        if (p == NULL || p->status != CPS_PARTNER_ACTIVE) {
            int code = p == NULL ? CPS_EUNKNOWN : CPS_EINACTIVE;

            cps_log(CPS_LOG_WARN, "refused partner=%s code=%s reason=\"not active in the roster "
                                  "in force\"",
                    w->user_id, cps_errname(code));
            return hub_refuse(w->m->type == CPS_MSG_UPDATE ? w->m->seq : 0, code,
                              "not an active partner in the roster in force", 0, &w->reply,
                              &w->reply_len);
        }
    }
    switch (w->m->type) {
    case CPS_MSG_HELLO:
        return on_hello(h, txn, w->m, &w->reply, &w->reply_len);
    case CPS_MSG_PULL:
        return hub_on_pull(h, txn, w->m, &w->reply, &w->reply_len);
    case CPS_MSG_PROVE:
        return hub_on_prove(h, txn, w->m, &w->reply, &w->reply_len);
    default:
        if (w->roster_serial != hub_roster(h)->serial) {
            /* the roster changed since prepare: the key and status in force now decide */
            const struct cps_roster_partner *p = cps_roster_find(hub_roster(h), w->up->partner);

            if (cps_wire_verify_update(w->up, p->pub.sign) != 0) {
                cps_log(CPS_LOG_WARN, "refused partner=%s seq=%" PRIu64 " code=EBADSIG "
                                      "reason=\"key or status changed by the roster\"",
                        w->up->partner, w->up->seq);
                return hub_refuse(w->up->seq, CPS_EBADSIG,
                                  "not signed by a key active in the roster in force", 0,
                                  &w->reply, &w->reply_len);
            }
            hub_decision_clear(&w->pre);
            w->has_pre = false; /* decided again, against the roster in force */
        }
        return hub_accept(h, txn, w->up, w->has_pre ? &w->pre : NULL, &w->reply,
                          &w->reply_len);
    }
}

void
hub_work_clear(struct hub_work *w)
{
    free(w->m);
    cps_wire_update_free(&w->up);
    hub_decision_clear(&w->pre);
    free(w->reply);
    w->m = NULL;
    w->has_pre = false;
    w->reply = NULL;
    w->code = 0;
}
