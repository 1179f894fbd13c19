/* SPDX-License-Identifier: ISC */
/*
 * replay: append decided entries, and verify-then-append entries decided elsewhere.
 * Hashing belongs to tlog, deciding to apply/schema, bytes to wire.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cps/replay.h"
#include "cps/tlog.h"
#include "cps/value.h"

const struct cps_replay_dbs cps_replay_hub = {
    .log = CPS_DB_LOG, .tree = CPS_DB_TREE, .chain = CPS_DB_PARTNERS, .pseq = CPS_DB_PSEQ,
    .size_name = "log_size", .view = { .records = CPS_DB_RECORDS, .digest_name = "digest" },
};

const struct cps_replay_dbs cps_replay_replica = {
    .log = CPS_DB_RLOG, .tree = CPS_DB_RTREE, .chain = CPS_DB_RCHAIN, .pseq = CPS_DB_PSEQ,
    .size_name = "rlog_size", .view = { .records = CPS_DB_RRECORDS, .digest_name = "rdigest" },
};

int
cps_replay_size(struct cps_txn *txn, const struct cps_replay_dbs *dbs, uint64_t *size)
{
    int rc = cps_store_meta_get_u64(txn, dbs->size_name, size);

    if (rc == CPS_ENOTFOUND) {
        *size = 0;
        return 0;
    }
    return rc;
}

int
cps_replay_chain_get(struct cps_txn *txn, const struct cps_replay_dbs *dbs, const char *partner,
                     struct cps_pstate *ps)
{
    struct cps_val v;
    int rc;

    rc = cps_store_get(txn, dbs->chain, partner, strlen(partner), &v);
    if (rc == CPS_ENOTFOUND) {
        memset(ps, 0, sizeof *ps);
        return 0;
    }
    if (rc != 0)
        return rc;
    return cps_wire_decode_pstate(ps, v.data, v.len) == 0 ? 0 : CPS_ESTORE;
}

int
cps_replay_chain_put(struct cps_txn *txn, const struct cps_replay_dbs *dbs, const char *partner,
                     const struct cps_pstate *ps)
{
    uint8_t *buf = NULL;
    size_t len;
    int rc;

    if ((rc = cps_wire_encode_pstate(ps, &buf, &len)) != 0)
        return rc;
    rc = cps_store_put(txn, dbs->chain, partner, strlen(partner), buf, len, 0);
    free(buf);
    return rc;
}

/* Key of the (partner, seq) -> log index map. */
static size_t
pseq_key(uint8_t k[CPS_WIRE_ID_MAX + 9], const char *partner, uint64_t seq)
{
    size_t n = strlen(partner);

    memcpy(k, partner, n);
    k[n] = 0;
    cps_store_be64(k + n + 1, seq);
    return n + 9;
}

int
cps_replay_find(struct cps_txn *txn, const struct cps_replay_dbs *dbs, const char *partner,
                uint64_t seq, uint64_t *index)
{
    uint8_t k[CPS_WIRE_ID_MAX + 9];
    struct cps_val v;
    int rc;

    if (strlen(partner) >= CPS_WIRE_ID_MAX)
        return CPS_ENOTFOUND;
    if ((rc = cps_store_get(txn, dbs->pseq, k, pseq_key(k, partner, seq), &v)) != 0)
        return rc;
    if (v.len != 8)
        return CPS_ESTORE;
    *index = cps_store_get_be64(v.data);
    return 0;
}

int
cps_replay_append(struct cps_txn *txn, const struct cps_replay_dbs *dbs, const uint8_t *entry,
                  size_t entry_len, const struct cps_update *up, int status,
                  const struct cps_replay_pre *pre, struct cps_pstate *ps, uint64_t *index)
{
    static const struct cps_replay_pre none;
    uint8_t k[CPS_WIRE_ID_MAX + 9], ix[8], leaf[CPS_TLOG_HASH_BYTES];
    int rc;

    if (pre == NULL)
        pre = &none;
    if ((rc = cps_replay_size(txn, dbs, index)) != 0)
        return rc;
    cps_store_be64(ix, *index);
    if (pre->leaf != NULL)
        memcpy(leaf, pre->leaf, sizeof leaf);
    else
        cps_tlog_leaf_hash(entry, entry_len, leaf);
    if ((rc = cps_store_put(txn, dbs->log, ix, sizeof ix, entry, entry_len,
                            CPS_STORE_APPEND)) != 0 ||
        (rc = cps_tlog_append(txn, dbs->tree, *index, leaf)) != 0 ||
        (rc = cps_store_put(txn, dbs->pseq, k, pseq_key(k, up->partner, up->seq), ix, sizeof ix,
                            CPS_STORE_NOOVERWRITE)) != 0 ||
        (rc = cps_store_meta_put_u64(txn, dbs->size_name, *index + 1)) != 0)
        return rc;
    if (status == CPS_ACK_APPLIED &&
        (rc = cps_apply_update_added(txn, &dbs->view, up, pre->added)) != 0)
        return rc;
    ps->last_seq = up->seq;
    if (pre->up_hash != NULL)
        memcpy(ps->last_hash, pre->up_hash, sizeof ps->last_hash);
    else
        cps_wire_update_hash(up->signed_bytes, up->signed_len, ps->last_hash);
    ps->last_index = *index;
    if (status == CPS_ACK_APPLIED)
        ps->accepted++;
    else
        ps->rejected++;
    return cps_replay_chain_put(txn, dbs, up->partner, ps);
}

/* The roster a roster-change op carries, verified against the roster in force. */
static int
roster_change(const struct cps_roster *cur, const struct cps_op *op, struct cps_roster **next,
              char *why, size_t why_len)
{
    char vkey[CPS_NOTE_VKEY_MAX], err[256];
    const char *text;
    size_t text_len;
    int rc;

    if (op->kind != CPS_OP_PUT || op->key_len != strlen(CPS_REPLAY_ROSTER_KEY) ||
        memcmp(op->key, CPS_REPLAY_ROSTER_KEY, op->key_len) != 0 ||
        cps_value_get_str(op->value, op->value_len, "text", &text, &text_len) != 0) {
        snprintf(why, why_len, "roster change: expected a put of roster/" CPS_REPLAY_ROSTER_KEY
                               " with a 'text' field");
        return CPS_ESCHEMA;
    }
    if ((rc = cps_note_vkey_format(vkey, cur->programme_key.name, cur->programme_key.pk)) != 0)
        return rc;
    if ((rc = cps_roster_verify(next, text, text_len, vkey, err, sizeof err)) != 0) {
        snprintf(why, why_len, "roster change: %s",
                 rc == CPS_EMALFORMED ? err : "not signed by the programme key");
        return CPS_ESCHEMA;
    }
    if (strcmp((*next)->programme, cur->programme) != 0 || (*next)->serial <= cur->serial) {
        snprintf(why, why_len, "roster change: serial %" PRIu64 " of '%s' does not follow serial "
                               "%" PRIu64 " of '%s'",
                 (*next)->serial, (*next)->programme, cur->serial, cur->programme);
        cps_roster_free(next);
        return CPS_ESCHEMA;
    }
    return 0;
}

int
cps_replay_decide(const struct cps_roster *roster, const struct cps_update *up,
                  struct cps_roster **next, char *why, size_t why_len)
{
    size_t i;
    int rc;

    *next = NULL;
    why[0] = 0;
    if ((rc = cps_apply_check(up, why, why_len)) != 0) {
        if (rc != CPS_EOWNER && rc != CPS_ESCHEMA)
            why[0] = 0;
        return rc;
    }
    for (i = 0; i < up->n_ops; i++) {
        const struct cps_op *op = &up->ops[i];
        char opwhy[512];

        if (op->coll_len != strlen(CPS_REPLAY_ROSTER_COLL) ||
            memcmp(op->coll, CPS_REPLAY_ROSTER_COLL, op->coll_len) != 0)
            continue;
        cps_roster_free(next);
        /* schema already refused it unless the programme wrote it */
        if ((rc = roster_change(*next != NULL ? *next : roster, op, next, opwhy,
                                sizeof opwhy)) != 0) {
            snprintf(why, why_len, "op %zu: %s", i + 1, opwhy);
            return rc;
        }
    }
    return 0;
}

int
cps_replay_roster(struct cps_txn *txn, const struct cps_replay_dbs *dbs,
                  const struct cps_roster *genesis, struct cps_roster **out)
{
    uint8_t k[64];
    size_t k_len = cps_store_record_key(k, sizeof k, CPS_REPLAY_ROSTER_COLL,
                                        strlen(CPS_REPLAY_ROSTER_COLL), CPS_REPLAY_ROSTER_KEY,
                                        strlen(CPS_REPLAY_ROSTER_KEY));
    char vkey[CPS_NOTE_VKEY_MAX], err[256];
    const char *text;
    struct cps_val v;
    size_t text_len;
    int rc;

    *out = NULL;
    rc = cps_store_get(txn, dbs->view.records, k, k_len, &v);
    if (rc == CPS_ENOTFOUND) {
        char *body = NULL;
        size_t body_len;

        /* no change logged yet: the genesis roster (a copy the caller can free) */
        if ((rc = cps_roster_format(genesis, &body, &body_len)) != 0)
            return rc;
        rc = cps_roster_parse(out, body, body_len, err, sizeof err);
        free(body);
        return rc;
    }
    if (rc != 0)
        return rc;
    if (cps_value_get_str(v.data, v.len, "text", &text, &text_len) != 0 ||
        (rc = cps_note_vkey_format(vkey, genesis->programme_key.name,
                                   genesis->programme_key.pk)) != 0 ||
        cps_roster_verify(out, text, text_len, vkey, err, sizeof err) != 0)
        return CPS_ESTORE;
    return 0;
}

int
cps_replay_entry(struct cps_txn *txn, const struct cps_replay_dbs *dbs,
                 struct cps_roster **roster, uint64_t index, const uint8_t *entry,
                 size_t entry_len, bool check_sig, char *err, size_t err_len)
{
    return cps_replay_entry_pre(txn, dbs, roster, index, entry, entry_len, check_sig, NULL, err,
                                err_len);
}

int
cps_replay_entry_pre(struct cps_txn *txn, const struct cps_replay_dbs *dbs,
                     struct cps_roster **roster, uint64_t index, const uint8_t *entry,
                     size_t entry_len, bool check_sig, const struct cps_replay_pre *pre,
                     char *err, size_t err_len)
{
    const struct cps_roster_partner *p;
    struct cps_roster *next = NULL;
    const uint8_t *signer;
    struct cps_update *up = NULL;
    struct cps_entry e;
    struct cps_pstate ps;
    char why[512];
    uint64_t size, at;
    int rc, code;

    if ((rc = cps_replay_size(txn, dbs, &size)) != 0)
        return rc;
    if (size != index) {
        snprintf(err, err_len, "entry %" PRIu64 " is not the next (log has %" PRIu64 ")", index,
                 size);
        return CPS_EINTERNAL;
    }
    if (cps_wire_decode_entry(&e, entry, entry_len) != 0 ||
        (rc = cps_wire_decode_update(&up, e.signed_bytes, e.signed_len)) != 0) {
        snprintf(err, err_len, "entry does not decode");
        rc = CPS_EMALFORMED;
        goto done;
    }
    if ((signer = cps_roster_signer(*roster, up->partner)) == NULL) {
        snprintf(err, err_len, "partner %s seq %" PRIu64 ": not in the roster", up->partner,
                 up->seq);
        rc = CPS_EUNKNOWN;
        goto done;
    }
    /* the key and the status in force at this position of the log */
    if (check_sig && cps_wire_verify_update(up, signer) != 0) {
        snprintf(err, err_len, "partner %s seq %" PRIu64 ": signature does not verify with the "
                               "key of roster serial %" PRIu64,
                 up->partner, up->seq, (*roster)->serial);
        rc = CPS_EBADSIG;
        goto done;
    }
    p = cps_roster_find(*roster, up->partner);
    if (p != NULL && p->status != CPS_PARTNER_ACTIVE) {
        snprintf(err, err_len, "partner %s seq %" PRIu64 ": logged while %s (roster serial %"
                               PRIu64 ")",
                 up->partner, up->seq, cps_roster_status_name(p->status), (*roster)->serial);
        rc = CPS_EAUDIT;
        goto done;
    }
    if (strcmp(up->programme, (*roster)->programme) != 0) {
        snprintf(err, err_len, "partner %s seq %" PRIu64 ": programme '%s'", up->partner,
                 up->seq, up->programme);
        rc = CPS_EPROGRAMME;
        goto done;
    }
    if ((rc = cps_replay_chain_get(txn, dbs, up->partner, &ps)) != 0)
        goto done;
    if (up->seq != ps.last_seq + 1 ||
        !cps_crypto_equal(up->prev, ps.last_hash, sizeof ps.last_hash)) {
        snprintf(err, err_len, "partner %s seq %" PRIu64 ": %s (chain is at seq %" PRIu64 ")",
                 up->partner, up->seq,
                 up->seq != ps.last_seq + 1 ? "seq does not follow" : "prev does not match",
                 ps.last_seq);
        rc = CPS_ECHAIN;
        goto done;
    }
    /* the recorded decision must be the one the rules give */
    code = cps_replay_decide(*roster, up, &next, why, sizeof why);
    if (code == -ENOMEM) {
        rc = code;
        goto done;
    }
    if ((code == 0) != (e.status == CPS_ACK_APPLIED) || code != e.code ||
        e.reason_len != strlen(why) || memcmp(e.reason, why, e.reason_len) != 0) {
        if (code == e.code)
            snprintf(err, err_len, "partner %s seq %" PRIu64 ": logged with reason \"%.*s\" but "
                                   "the rules give \"%s\"",
                     up->partner, up->seq, (int)(e.reason_len > 200 ? 200 : e.reason_len),
                     e.reason, why);
        else
            snprintf(err, err_len, "partner %s seq %" PRIu64 ": logged as %s (%s) but the rules "
                                   "say %s (%s)",
                     up->partner, up->seq, e.status == CPS_ACK_APPLIED ? "applied" : "rejected",
                     cps_errname(e.code), code == 0 ? "applied" : "rejected", cps_errname(code));
        rc = CPS_EAUDIT;
        goto done;
    }
    rc = cps_replay_append(txn, dbs, entry, entry_len, up, e.status, pre, &ps, &at);
    if (rc == 0 && next != NULL) {
        /* from the next position on, the new roster is in force */
        cps_roster_free(roster);
        *roster = next;
        next = NULL;
    }
done:
    cps_roster_free(&next);
    cps_wire_update_free(&up);
    return rc;
}

void
cps_replay_origin(const char *programme, char out[CPS_NOTE_NAME_MAX])
{
    snprintf(out, CPS_NOTE_NAME_MAX, "cps/%s", programme);
}

void
cps_replay_hub_verifier(const struct cps_roster *roster, struct cps_note_verifier *v)
{
    memset(v, 0, sizeof *v);
    cps_replay_origin(roster->programme, v->name);
    memcpy(v->pk, roster->hub.sign, sizeof v->pk);
    cps_note_keyid(v->name, v->pk, v->id);
}
