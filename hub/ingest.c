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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cps/apply.h"
#include "cps/replay.h"
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

/* Log the decided entry: the log, the tree, the chain and (when accepted) the dataset. */
static int
append(struct cps_txn *txn, const struct cps_update *up, struct cps_pstate *ps, int code,
       const char *reason, uint64_t *index)
{
    struct cps_entry e = {
        .signed_bytes = up->signed_bytes, .signed_len = up->signed_len,
        .status = code == 0 ? CPS_ACK_APPLIED : CPS_ACK_REJECTED, .code = code,
        .reason = reason, .reason_len = strlen(reason), .received_ms = cps_wire_now_ms(),
    };
    uint8_t *buf = NULL;
    size_t len;
    int rc;

    if ((rc = cps_wire_encode_entry(&e, &buf, &len)) != 0)
        return rc;
    ps->last_seen_ms = e.received_ms;
    rc = cps_replay_append(txn, &cps_replay_hub, buf, len, up, e.status, ps, index);
    free(buf);
    return rc;
}

int
hub_accept(struct hub *h, struct cps_txn *txn, const struct cps_update *up, uint8_t **reply,
           size_t *reply_len)
{
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
    /* correctly signed and in order: from here on it is logged, applied or rejected */
    code = cps_apply_check(up, why, sizeof why);
    if (code != 0 && code != CPS_EOWNER && code != CPS_ESCHEMA)
        return code;
    if (code == 0)
        why[0] = 0;
    if ((rc = append(txn, up, &ps, code, why, &index)) != 0)
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

static int
on_update(struct hub *h, struct cps_txn *txn, const struct cps_msg *m, uint8_t **reply,
          size_t *reply_len)
{
    const struct cps_roster_partner *p = cps_roster_find(h->roster, m->partner);
    struct cps_update *up = NULL;
    uint8_t *plain = NULL;
    char why[512];
    int rc, code;

    /* ZAP admitted only active roster keys; checked again since the roster can change */
    if (p == NULL || p->status != CPS_PARTNER_ACTIVE) {
        code = p == NULL ? CPS_EUNKNOWN : CPS_EINACTIVE;
        snprintf(why, sizeof why, "partner %s is %s", m->partner,
                 p == NULL ? "not in the roster" : "not active");
        goto refuse;
    }
    if (m->payload_len <= CPS_CRYPTO_SEAL_OVERHEAD ||
        m->payload_len > CPS_WIRE_MAX_SIGNED + CPS_CRYPTO_SEAL_OVERHEAD) {
        code = m->payload_len > CPS_CRYPTO_SEAL_OVERHEAD ? CPS_ETOOBIG : CPS_ESEAL;
        snprintf(why, sizeof why, "sealed update of %zu bytes", m->payload_len);
        goto refuse;
    }
    if ((plain = malloc(m->payload_len - CPS_CRYPTO_SEAL_OVERHEAD)) == NULL)
        return -ENOMEM;
    if (cps_crypto_open(h->keys, p->pub.box, m->payload, m->payload_len, plain) != 0) {
        code = CPS_ESEAL;
        snprintf(why, sizeof why, "sealed box does not open (not sealed by %s for this hub)",
                 m->partner);
        goto refuse;
    }
    if ((rc = cps_wire_decode_update(&up, plain, m->payload_len - CPS_CRYPTO_SEAL_OVERHEAD)) !=
        0) {
        if (rc == -ENOMEM)
            goto done;
        code = rc;
        snprintf(why, sizeof why, "signed update does not decode: %s", cps_strerror(rc));
        goto refuse;
    }
    if (cps_wire_verify_update(up, p->pub.sign) != 0) {
        code = CPS_EBADSIG;
        snprintf(why, sizeof why, "signature does not verify with %s's key", m->partner);
        goto refuse;
    }
    if (strcmp(up->partner, m->partner) != 0 || up->seq != m->seq) {
        code = CPS_EIDENTITY;
        snprintf(why, sizeof why, "frame says %s seq %" PRIu64 ", body says %s seq %" PRIu64,
                 m->partner, m->seq, up->partner, up->seq);
        goto refuse;
    }
    rc = hub_accept(h, txn, up, reply, reply_len);
    goto done;
refuse:
    cps_log(CPS_LOG_WARN, "refused partner=%s seq=%" PRIu64 " code=%s reason=\"%s\"", m->partner,
            m->seq, cps_errname(code), why);
    rc = hub_refuse(m->seq, code, why, 0, reply, reply_len);
done:
    cps_wire_update_free(&up);
    free(plain);
    return rc;
}

int
hub_ingest(struct hub *h, struct cps_txn *txn, const char *user_id, const uint8_t *frame,
           size_t frame_len, uint8_t **reply, size_t *reply_len)
{
    struct cps_msg m;
    char why[256];
    int rc;

    *reply = NULL;
    *reply_len = 0;
    if ((rc = cps_wire_decode_msg(&m, frame, frame_len)) != 0) {
        cps_log(CPS_LOG_WARN, "refused partner=%s code=%s reason=\"frame of %zu bytes does not "
                              "decode\"",
                user_id, cps_errname(rc), frame_len);
        return hub_refuse(0, rc, "frame does not decode", 0, reply, reply_len);
    }
    if (m.type != CPS_MSG_HELLO && m.type != CPS_MSG_UPDATE && m.type != CPS_MSG_PULL &&
        m.type != CPS_MSG_PROVE) {
        cps_log(CPS_LOG_WARN, "refused partner=%s code=EMALFORMED reason=\"message type %d "
                              "is not for the hub\"",
                user_id, (int)m.type);
        return hub_refuse(0, CPS_EMALFORMED, "message type not accepted by the hub", 0, reply,
                          reply_len);
    }
    /* who the frame claims to be must be who CURVE authenticated */
    if (strcmp(m.partner, user_id) != 0) {
        snprintf(why, sizeof why, "frame names %s but the connection is %s", m.partner, user_id);
        cps_log(CPS_LOG_WARN, "refused partner=%s seq=%" PRIu64 " code=EIDENTITY reason=\"%s\"",
                user_id, m.seq, why);
        return hub_refuse(m.type == CPS_MSG_UPDATE ? m.seq : 0, CPS_EIDENTITY, why, 0, reply,
                          reply_len);
    }
    switch (m.type) {
    case CPS_MSG_HELLO:
        return on_hello(h, txn, &m, reply, reply_len);
    case CPS_MSG_PULL:
        return hub_on_pull(h, txn, &m, reply, reply_len);
    case CPS_MSG_PROVE:
        return hub_on_prove(h, txn, &m, reply, reply_len);
    default:
        return on_update(h, txn, &m, reply, reply_len);
    }
}
