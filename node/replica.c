/* SPDX-License-Identifier: ISC */
/*
 * Replica: verify-then-apply of the hub's log on a node (see replica.h). Entries go
 * through cps_replay_entry, the same check the auditor runs; proofs through tlog.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cps/log.h"
#include "cps/replay.h"
#include "cps/tlog.h"
#include "replica.h"

int
replica_load(struct node *n, struct replica *r)
{
    struct cps_txn *txn = NULL;
    struct cps_val v;
    int rc;

    memset(r, 0, sizeof *r);
    cps_replay_hub_verifier(n->roster, &r->hub);
    if ((rc = cps_store_begin(n->st, false, &txn)) != 0)
        return rc;
    if ((rc = cps_replay_size(txn, &cps_replay_replica, &r->size)) != 0)
        goto done;
    if (cps_store_meta_get_u64(txn, "trusted_size", &r->trusted_size) != 0)
        r->trusted_size = 0;
    if (cps_store_meta_get(txn, "trusted_root", &v) == 0 && v.len == sizeof r->trusted_root)
        memcpy(r->trusted_root, v.data, v.len);
    r->distrusted = cps_store_meta_get(txn, "distrust", &v) == 0 && v.len > 0;
    if (cps_store_meta_get(txn, "rgenesis", &v) == 0) {
        char why[256];

        /* as verified when it arrived; verified again: the store is not the trust anchor */
        if ((rc = cps_roster_verify(&r->genesis, v.data, v.len, n->vkey, why, sizeof why)) != 0 ||
            (rc = cps_replay_roster(txn, &cps_replay_replica, r->genesis, &r->roster)) != 0)
            goto done;
    }
done:
    cps_store_abort(&txn);
    return rc;
}

void
replica_free(struct replica *r)
{
    cps_roster_free(&r->genesis);
    cps_roster_free(&r->roster);
}

void
replica_pull(const struct node *n, const struct replica *r, struct cps_msg *m)
{
    memset(m, 0, sizeof *m);
    m->type = CPS_MSG_PULL;
    snprintf(m->partner, sizeof m->partner, "%s", n->partner);
    m->seq = r->size;
    m->index = r->trusted_size;
}

/* Record that the hub is not trusted, in its own transaction (the failed one is gone). */
static int
distrust(struct node *n, struct replica *r, const char *why)
{
    struct cps_txn *txn = NULL;

    r->distrusted = true;
    cps_log(CPS_LOG_ERR, "HUB NOT TRUSTED: %s; the replica stops at %" PRIu64
                         " entries (trusted checkpoint size %" PRIu64 ")",
            why, r->size, r->trusted_size);
    if (cps_store_begin(n->st, true, &txn) == 0 &&
        (cps_store_meta_put(txn, "distrust", why, strlen(why)) != 0 ||
         cps_store_commit(&txn) != 0))
        cps_store_abort(&txn);
    return CPS_EUNTRUSTED;
}

/* Abort a chunk: what it applied is gone, and so is any roster change it put in force. */
static void
abort_txn(struct node *n, struct replica *r, struct cps_txn **txn)
{
    struct cps_txn *rd = NULL;

    cps_store_abort(txn);
    cps_roster_free(&r->roster);
    if (r->genesis != NULL && cps_store_begin(n->st, false, &rd) == 0) {
        if (cps_replay_roster(rd, &cps_replay_replica, r->genesis, &r->roster) != 0)
            r->roster = NULL;
        cps_store_abort(&rd);
    }
    if (r->roster == NULL) /* cannot reload: stop here rather than verify with a wrong one */
        r->distrusted = true;
}

int
replica_on_entries(struct node *n, struct replica *r, const struct cps_msg *m, char *err,
                   size_t err_len)
{
    struct cps_checkpoint cp;
    struct cps_txn *txn = NULL;
    uint8_t root[CPS_TLOG_HASH_BYTES], digest[CPS_TLOG_HASH_BYTES], key[8];
    uint8_t proof[CPS_WIRE_MAX_PROOF][CPS_TLOG_HASH_BYTES];
    char why[512];
    uint64_t end;
    size_t i;
    int rc;

    err[0] = 0;
    if (r->distrusted || m->seq != r->size)
        return 0; /* not trusted any more, or an answer to an older PULL */
    if (m->note_len == 0) {
        r->caught_up = true; /* the hub has signed nothing yet: ask again in a while */
        return 0;
    }
    if (cps_tlog_checkpoint_verify(&cp, m->note, m->note_len, &r->hub) != 0) {
        snprintf(err, err_len, "checkpoint does not verify with the hub's key");
        return distrust(n, r, err);
    }
    if (cp.size < r->trusted_size) {
        snprintf(err, err_len, "checkpoint of size %" PRIu64 " is older than the trusted %" PRIu64,
                 cp.size, r->trusted_size);
        return distrust(n, r, err);
    }
    if (r->trusted_size > 0) {
        for (i = 0; i < m->n_proof; i++)
            memcpy(proof[i], m->proof[i], CPS_TLOG_HASH_BYTES);
        if (cps_tlog_verify_consistency(r->trusted_size, cp.size, r->trusted_root, cp.root,
                                        (const uint8_t(*)[CPS_TLOG_HASH_BYTES])proof,
                                        m->n_proof) != 0) {
            snprintf(err, err_len, "checkpoint %" PRIu64 " is not consistent with trusted "
                                   "checkpoint %" PRIu64 ": the hub rewrote its log",
                     cp.size, r->trusted_size);
            return distrust(n, r, err);
        }
    }
    end = r->size + m->n_entries;
    if (end > cp.size) {
        snprintf(err, err_len, "hub sent entries past its checkpoint (%" PRIu64 " > %" PRIu64 ")",
                 end, cp.size);
        return distrust(n, r, err);
    }
    if (r->genesis == NULL) {
        /* the first answer (from entry 0) carries the roster the log started with: it must
         * be signed by the programme key this node pinned */
        if (m->roster_len == 0 || r->size != 0) {
            snprintf(err, err_len, "hub sent no genesis roster with the first entries");
            return distrust(n, r, err);
        }
        if (cps_roster_verify(&r->genesis, m->roster, m->roster_len, n->vkey, why,
                              sizeof why) != 0) {
            snprintf(err, err_len, "genesis roster not signed by the programme key: %s", why);
            return distrust(n, r, err);
        }
        if ((rc = cps_roster_verify(&r->roster, m->roster, m->roster_len, n->vkey, why,
                                    sizeof why)) != 0) {
            snprintf(err, err_len, "genesis roster: %s", cps_strerror(rc));
            cps_roster_free(&r->genesis);
            return rc;
        }
    }
    if ((rc = cps_store_begin(n->st, true, &txn)) != 0) {
        snprintf(err, err_len, "store: %s", cps_strerror(rc));
        return rc;
    }
    if (r->size == 0 && m->roster_len > 0 &&
        (rc = cps_store_meta_put(txn, "rgenesis", m->roster, m->roster_len)) != 0) {
        cps_store_abort(&txn);
        snprintf(err, err_len, "store: %s", cps_strerror(rc));
        return rc;
    }
    for (i = 0; i < m->n_entries; i++) {
        rc = cps_replay_entry(txn, &cps_replay_replica, &r->roster, r->size + i,
                              m->entries[i].data, m->entries[i].len, true, why, sizeof why);
        if (rc == CPS_EMALFORMED || rc == CPS_EUNKNOWN || rc == CPS_EBADSIG ||
            rc == CPS_EPROGRAMME || rc == CPS_ECHAIN || rc == CPS_EAUDIT ||
            rc == CPS_EINTERNAL) {
            abort_txn(n, r, &txn);
            snprintf(err, err_len, "log entry %" PRIu64 ": %s", r->size + i, why);
            return distrust(n, r, err);
        }
        if (rc != 0) {
            abort_txn(n, r, &txn);
            snprintf(err, err_len, "store: %s", cps_strerror(rc));
            return rc;
        }
    }
    /* the replica so far must be a prefix of the signed tree */
    if ((rc = cps_tlog_root(txn, CPS_DB_RTREE, end, root)) != 0) {
        abort_txn(n, r, &txn);
        snprintf(err, err_len, "store: %s", cps_strerror(rc));
        return rc;
    }
    for (i = 0; i < m->n_proof2; i++)
        memcpy(proof[i], m->proof2[i], CPS_TLOG_HASH_BYTES);
    if (end > 0 && cps_tlog_verify_consistency(end, cp.size, root, cp.root,
                                               (const uint8_t(*)[CPS_TLOG_HASH_BYTES])proof,
                                               m->n_proof2) != 0) {
        abort_txn(n, r, &txn);
        snprintf(err, err_len, "entries %" PRIu64 "..%" PRIu64 " do not match checkpoint %" PRIu64,
                 r->size, end, cp.size);
        return distrust(n, r, err);
    }
    if (end == cp.size) {
        if ((rc = cps_apply_digest(txn, &cps_replay_replica.view, digest)) != 0) {
            abort_txn(n, r, &txn);
            snprintf(err, err_len, "store: %s", cps_strerror(rc));
            return rc;
        }
        if (!cp.has_dataset || memcmp(digest, cp.dataset, sizeof digest) != 0) {
            abort_txn(n, r, &txn);
            snprintf(err, err_len, "dataset digest differs from checkpoint %" PRIu64, cp.size);
            return distrust(n, r, err);
        }
    }
    /* trust the new checkpoint: it is consistent with the old one and with our entries */
    cps_store_be64(key, cp.size);
    if (cp.size > r->trusted_size &&
        ((rc = cps_store_put(txn, CPS_DB_CHECKPOINTS, key, sizeof key, m->note, m->note_len,
                             0)) != 0 ||
         (rc = cps_store_meta_put_u64(txn, "trusted_size", cp.size)) != 0 ||
         (rc = cps_store_meta_put(txn, "trusted_root", cp.root, sizeof cp.root)) != 0)) {
        abort_txn(n, r, &txn);
        snprintf(err, err_len, "store: %s", cps_strerror(rc));
        return rc;
    }
    if ((rc = cps_store_commit(&txn)) != 0) {
        snprintf(err, err_len, "store: %s", cps_strerror(rc));
        return rc;
    }
    if (m->n_entries > 0 || cp.size > r->trusted_size)
        cps_log(CPS_LOG_DEBUG, "replica size=%" PRIu64 " trusted checkpoint=%" PRIu64, end,
                cp.size);
    r->size = end;
    if (cp.size > r->trusted_size) {
        r->trusted_size = cp.size;
        memcpy(r->trusted_root, cp.root, sizeof cp.root);
    }
    r->caught_up = end == cp.size;
    return 0;
}
