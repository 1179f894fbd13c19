/* SPDX-License-Identifier: ISC */
/*
 * Checkpoints and what is served from the log: the hub signs a C2SP checkpoint (tree size,
 * root, dataset digest) inside the transaction that grew the log, so a checkpoint is
 * durable exactly when its entries are; and it answers PULL (entries with proofs against
 * its latest checkpoint) and PROVE (one inclusion or consistency proof).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cps/log.h"
#include "cps/replay.h"
#include "cps/tlog.h"
#include "hub.h"

int
hub_latest_checkpoint(struct cps_txn *txn, uint64_t *size, struct cps_val *note)
{
    struct cps_cursor *cur = NULL;
    struct cps_val k;
    int rc;

    if ((rc = cps_store_cursor_open(txn, CPS_DB_CHECKPOINTS, &cur)) != 0)
        return rc;
    rc = cps_store_cursor_get(cur, CPS_SEEK_LAST, NULL, 0, &k, note);
    if (rc == 0 && k.len != 8)
        rc = CPS_ESTORE;
    if (rc == 0)
        *size = cps_store_get_be64(k.data);
    cps_store_cursor_close(&cur);
    return rc;
}

int
hub_checkpoint(struct hub *h, struct cps_txn *txn, uint64_t *signed_size)
{
    struct cps_checkpoint cp = { .has_dataset = true };
    struct cps_val note;
    uint64_t latest;
    uint8_t key[8];
    char *text = NULL;
    size_t text_len;
    int rc;

    *signed_size = 0;
    cps_replay_origin(h->programme, cp.origin);
    if ((rc = cps_replay_size(txn, &cps_replay_hub, &cp.size)) != 0)
        return rc;
    rc = hub_latest_checkpoint(txn, &latest, &note);
    if (rc == 0 && latest == cp.size)
        return 0; /* already signed at this size */
    if (rc != 0 && rc != CPS_ENOTFOUND)
        return rc;
    if ((rc = cps_tlog_root(txn, CPS_DB_TREE, cp.size, cp.root)) != 0 ||
        (rc = cps_apply_digest(txn, &cps_replay_hub.view, cp.dataset)) != 0 ||
        (rc = cps_tlog_checkpoint_sign(&text, &text_len, &cp, cp.origin, h->keys)) != 0)
        return rc;
    cps_store_be64(key, cp.size);
    rc = cps_store_put(txn, CPS_DB_CHECKPOINTS, key, sizeof key, text, text_len,
                       CPS_STORE_APPEND);
    free(text);
    if (rc == 0)
        *signed_size = cp.size;
    return rc;
}

/* Checkpoint note of exactly size, or the latest when size is 0. */
static int
checkpoint_at(struct cps_txn *txn, uint64_t *size, struct cps_val *note)
{
    uint8_t key[8];

    if (*size == 0)
        return hub_latest_checkpoint(txn, size, note);
    cps_store_be64(key, *size);
    return cps_store_get(txn, CPS_DB_CHECKPOINTS, key, sizeof key, note);
}

int
hub_on_pull(struct hub *h, struct cps_txn *txn, const struct cps_msg *m, uint8_t **reply,
            size_t *reply_len)
{
    uint8_t proof[CPS_TLOG_MAX_PROOF][CPS_TLOG_HASH_BYTES],
        proof2[CPS_TLOG_MAX_PROOF][CPS_TLOG_HASH_BYTES];
    struct cps_msg *out;
    struct cps_val note = { "", 0 }, v;
    uint64_t cp_size = 0, i, end, bytes = 0;
    uint8_t key[8];
    size_t n;
    int rc;

    if ((out = calloc(1, sizeof *out)) == NULL)
        return -ENOMEM;
    out->type = CPS_MSG_ENTRIES;
    out->seq = m->seq;
    rc = hub_latest_checkpoint(txn, &cp_size, &note);
    if (rc == CPS_ENOTFOUND) {
        rc = 0; /* nothing signed yet: an empty answer */
        note.data = "";
        note.len = 0;
        cp_size = 0;
    }
    if (rc != 0)
        goto done;
    out->note = note.data;
    out->note_len = note.len;
    if (m->seq == 0) { /* a replica starts from the roster the log started with */
        out->roster = h->genesis_text;
        out->roster_len = h->genesis_len;
    }
    /* entries up to the signed size only, so every chunk can be checked against it */
    for (i = m->seq; i < cp_size && out->n_entries < CPS_WIRE_PULL_MAX_ENTRIES &&
                     (out->n_entries == 0 || bytes < CPS_WIRE_PULL_MAX_BYTES);
         i++) {
        cps_store_be64(key, i);
        if ((rc = cps_store_get(txn, CPS_DB_LOG, key, sizeof key, &v)) != 0)
            goto done;
        out->entries[out->n_entries].data = v.data;
        out->entries[out->n_entries].len = v.len;
        out->n_entries++;
        bytes += v.len;
    }
    end = m->seq + out->n_entries;
    if (m->index > 0 && m->index <= cp_size) {
        if ((rc = cps_tlog_prove_consistency(txn, CPS_DB_TREE, m->index, cp_size, proof, &n)) != 0)
            goto done;
        out->n_proof = n;
        for (i = 0; i < n; i++)
            out->proof[i] = proof[i];
    }
    if (end > 0 && end <= cp_size) {
        if ((rc = cps_tlog_prove_consistency(txn, CPS_DB_TREE, end, cp_size, proof2, &n)) != 0)
            goto done;
        out->n_proof2 = n;
        for (i = 0; i < n; i++)
            out->proof2[i] = proof2[i];
    }
    cps_log(CPS_LOG_DEBUG, "pull partner=%s from=%" PRIu64 " entries=%zu checkpoint=%" PRIu64,
            m->partner, m->seq, out->n_entries, cp_size);
    rc = cps_wire_encode_msg(out, reply, reply_len);
done:
    free(out);
    return rc;
}

int
hub_on_prove(struct hub *h, struct cps_txn *txn, const struct cps_msg *m, uint8_t **reply,
             size_t *reply_len)
{
    uint8_t proof[CPS_TLOG_MAX_PROOF][CPS_TLOG_HASH_BYTES];
    struct cps_msg *out;
    struct cps_val note;
    uint64_t size = m->index;
    size_t n = 0, i;
    char why[128];
    int rc;

    (void)h;
    rc = checkpoint_at(txn, &size, &note);
    if (rc == CPS_ENOTFOUND) {
        snprintf(why, sizeof why, "no signed checkpoint at size %" PRIu64, m->index);
        return hub_refuse(0, CPS_ENOTFOUND, why, 0, reply, reply_len);
    }
    if (rc != 0)
        return rc;
    if (m->status == CPS_PROOF_INCLUSION)
        rc = m->seq < size ? cps_tlog_prove_inclusion(txn, CPS_DB_TREE, m->seq, size, proof, &n)
                           : CPS_EMALFORMED;
    else
        rc = m->seq <= size
                 ? cps_tlog_prove_consistency(txn, CPS_DB_TREE, m->seq, size, proof, &n)
                 : CPS_EMALFORMED;
    if (rc == CPS_EMALFORMED) {
        snprintf(why, sizeof why, "%" PRIu64 " is past the checkpoint's size %" PRIu64, m->seq,
                 size);
        return hub_refuse(0, CPS_EMALFORMED, why, 0, reply, reply_len);
    }
    if (rc != 0)
        return rc;
    if ((out = calloc(1, sizeof *out)) == NULL)
        return -ENOMEM;
    out->type = CPS_MSG_PROOF;
    out->status = m->status;
    out->seq = m->seq;
    out->index = size;
    out->n_proof = n;
    for (i = 0; i < n; i++)
        out->proof[i] = proof[i];
    out->note = note.data;
    out->note_len = note.len;
    rc = cps_wire_encode_msg(out, reply, reply_len);
    free(out);
    return rc;
}
