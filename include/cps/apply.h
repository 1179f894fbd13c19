/* SPDX-License-Identifier: ISC */
/*
 * apply: the one deterministic function from an update to a dataset, and the dataset's
 * digest.
 *
 * The hub's consolidated view, a node's own records, every node's replica and the
 * auditor's replay are what cps_apply_update makes of the same sequence of updates.
 * An update is atomic: cps_apply_check decides for all of its ops before anything is
 * written, and the caller's transaction makes the writes all-or-nothing.
 *
 * Dataset digest (carried by checkpoints): an LtHash16 set hash (Bellare–Micciancio;
 * Lewi et al., "Securing Update Propagation with Homomorphic Hashing", 2019) over the
 * records. Each record (coll, key, value) maps to 1024 16-bit lanes: the ChaCha20
 * keystream (zero nonce) of the key SHA-256("cps/record/v1\0" || coll || 0x00 || key ||
 * 0x00 || value bytes), read as little-endian uint16. The state is the lane-wise sum mod
 * 2^16 of every record's lanes; putting a record subtracts its old lanes (if any) and adds
 * the new; deleting subtracts. The digest is SHA-256 of the 2048-byte state (lanes
 * little-endian). It depends only on the set of records, never on history or order, and
 * costs O(1) per operation to maintain.
 */
#ifndef CPS_APPLY_H
#define CPS_APPLY_H

#include <stddef.h>

#include "cps/err.h"
#include "cps/store.h"
#include "cps/wire.h"

#define CPS_APPLY_LANES 1024
#define CPS_APPLY_STATE_BYTES (2 * CPS_APPLY_LANES)

/* Where a dataset lives: its records database, and the meta name of its digest state
 * (NULL: no digest kept, as for a node's own records). */
struct cps_apply_view {
    enum cps_db records;
    const char *digest_name;
};

/*
 * Check every op of up against the schema for its writer (up->partner). Returns 0, or the
 * first failing op's CPS_EOWNER / CPS_ESCHEMA with err saying "op N: <reason>".
 */
CPS_MUST_CHECK int cps_apply_check(const struct cps_update *up, char *err, size_t err_len);

/*
 * Write up's ops into the view inside txn: a put stores the value bytes verbatim under
 * "coll \0 key", a delete removes the key (absent is fine); the digest state follows.
 * Returns 0, CPS_EFULL, CPS_ETOOBIG or CPS_ESTORE; on error the caller aborts txn.
 */
CPS_MUST_CHECK int cps_apply_update(struct cps_txn *txn, const struct cps_apply_view *view,
                                    const struct cps_update *up);

/*
 * The same, with the lanes of every put already summed by cps_apply_lanes (on another
 * core): the writer then only subtracts what the keys held. added NULL computes inline.
 */
CPS_MUST_CHECK int cps_apply_update_added(struct cps_txn *txn, const struct cps_apply_view *view,
                                          const struct cps_update *up, const uint16_t *added);

/* Sum of the digest lanes of every put in up (no store access: any thread). */
void cps_apply_lanes(const struct cps_update *up, uint16_t added[CPS_APPLY_LANES]);

/* The view's dataset digest (of the empty state if nothing was ever applied). */
CPS_MUST_CHECK int cps_apply_digest(struct cps_txn *txn, const struct cps_apply_view *view,
                                    uint8_t out[CPS_CRYPTO_HASH_BYTES]);

/*
 * Recompute the digest from the records themselves (a full scan), for `verify`: it must
 * equal cps_apply_digest. Returns 0 or a store error.
 */
CPS_MUST_CHECK int cps_apply_digest_scan(struct cps_txn *txn, enum cps_db records,
                                         uint8_t out[CPS_CRYPTO_HASH_BYTES]);

#endif
