/* SPDX-License-Identifier: ISC */
/*
 * tlog: the RFC 6962 / RFC 9162 Merkle tree over the log, its proofs, and checkpoints.
 *
 * Hashing: SHA-256; leaf hash = H(0x00 || entry bytes), node hash = H(0x01 || left || right);
 * the empty tree's root is H() (SHA-256 of nothing). The tree lives in a store database:
 * key = level (1 byte) || index (be64) -> 32-byte hash of the perfect subtree covering leaves
 * [index * 2^level, (index + 1) * 2^level). Appending a leaf stores it and every subtree it
 * completes (amortised 2 writes); a root, an inclusion proof or a consistency proof for any
 * size reads O(log n) stored hashes.
 *
 * Checkpoints follow C2SP tlog-checkpoint v1.0.0: "<origin>\n<size>\n<base64 root>\n" and
 * extension lines, signed as a C2SP signed note. cps adds one extension line carrying the
 * consolidated dataset's digest at that size: "cps-dataset <64 hex>\n".
 */
#ifndef CPS_TLOG_H
#define CPS_TLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cps/crypto.h"
#include "cps/err.h"
#include "cps/note.h"
#include "cps/store.h"

#define CPS_TLOG_HASH_BYTES 32
#define CPS_TLOG_MAX_PROOF 64 /* hashes in any proof for sizes < 2^63 */
#define CPS_TLOG_ORIGIN_MAX 128

/* H(0x00 || data) */
void cps_tlog_leaf_hash(const uint8_t *data, size_t len, uint8_t out[CPS_TLOG_HASH_BYTES]);
/* H(0x01 || left || right) */
void cps_tlog_node_hash(const uint8_t left[CPS_TLOG_HASH_BYTES],
                        const uint8_t right[CPS_TLOG_HASH_BYTES],
                        uint8_t out[CPS_TLOG_HASH_BYTES]);

/*
 * Append leaf number index (== the tree's current size: leaves are appended in order) to
 * the tree in db, inside the caller's write transaction. Returns 0, CPS_EINTERNAL when
 * index is not the next leaf, or a store error.
 */
CPS_MUST_CHECK int cps_tlog_append(struct cps_txn *txn, enum cps_db db, uint64_t index,
                                   const uint8_t leaf[CPS_TLOG_HASH_BYTES]);

/* Root of the first size leaves (size <= leaves stored). CPS_ENOTFOUND if too big. */
CPS_MUST_CHECK int cps_tlog_root(struct cps_txn *txn, enum cps_db db, uint64_t size,
                                 uint8_t root[CPS_TLOG_HASH_BYTES]);

/*
 * RFC 9162 inclusion proof of leaf index in the tree of size leaves (index < size).
 * proof receives *n hashes (at most CPS_TLOG_MAX_PROOF). Returns 0, CPS_ENOTFOUND (size
 * past the stored tree), CPS_EMALFORMED (index >= size), or a store error.
 */
CPS_MUST_CHECK int cps_tlog_prove_inclusion(struct cps_txn *txn, enum cps_db db, uint64_t index,
                                            uint64_t size,
                                            uint8_t proof[][CPS_TLOG_HASH_BYTES], size_t *n);

/* RFC 9162 consistency proof between sizes old_size <= new_size (old_size may be 0: empty
 * proof). Same returns. */
CPS_MUST_CHECK int cps_tlog_prove_consistency(struct cps_txn *txn, enum cps_db db,
                                              uint64_t old_size, uint64_t new_size,
                                              uint8_t proof[][CPS_TLOG_HASH_BYTES], size_t *n);

/* Verify an inclusion proof (RFC 9162 §2.1.3.2). Returns 0 or CPS_EBADSIG. */
CPS_MUST_CHECK int cps_tlog_verify_inclusion(const uint8_t leaf[CPS_TLOG_HASH_BYTES],
                                             uint64_t index, uint64_t size,
                                             const uint8_t proof[][CPS_TLOG_HASH_BYTES],
                                             size_t n, const uint8_t root[CPS_TLOG_HASH_BYTES]);

/* Verify a consistency proof (RFC 9162 §2.1.4.2). old_size 0 is consistent with anything
 * (with an empty proof); equal sizes need equal roots and an empty proof.
 * Returns 0 or CPS_EBADSIG. */
CPS_MUST_CHECK int cps_tlog_verify_consistency(uint64_t old_size, uint64_t new_size,
                                               const uint8_t old_root[CPS_TLOG_HASH_BYTES],
                                               const uint8_t new_root[CPS_TLOG_HASH_BYTES],
                                               const uint8_t proof[][CPS_TLOG_HASH_BYTES],
                                               size_t n);

struct cps_checkpoint {
    char origin[CPS_TLOG_ORIGIN_MAX];
    uint64_t size;
    uint8_t root[CPS_TLOG_HASH_BYTES];
    bool has_dataset;
    uint8_t dataset[CPS_TLOG_HASH_BYTES]; /* the "cps-dataset" extension line */
};

/*
 * Sign cp as a C2SP checkpoint note with keys' signing key under key_name (the C2SP
 * convention is key_name == origin). *out is malloc'd, NUL-terminated. Returns 0,
 * CPS_EMALFORMED (origin empty, too long, or with a newline) or -ENOMEM.
 */
CPS_MUST_CHECK int cps_tlog_checkpoint_sign(char **out, size_t *out_len,
                                            const struct cps_checkpoint *cp,
                                            const char *key_name, const struct cps_keys *keys);

/*
 * Verify a signed checkpoint with v and parse it (strictly: decimal size without leading
 * zeros, 32-byte base64 root, extension lines; an unknown extension line is ignored, a
 * malformed "cps-dataset" line is an error). Returns 0, CPS_EBADSIG or CPS_EMALFORMED.
 */
CPS_MUST_CHECK int cps_tlog_checkpoint_verify(struct cps_checkpoint *cp, const char *note,
                                              size_t note_len,
                                              const struct cps_note_verifier *v);

#endif
