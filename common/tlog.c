/* SPDX-License-Identifier: ISC */
/*
 * tlog: the RFC 6962 / RFC 9162 Merkle tree kept in a store database, the inclusion and
 * consistency proofs it answers (RFC 9162 §2.1.3 and §2.1.4, generated from the stored
 * perfect subtrees and verified by the RFC's own algorithms), and C2SP tlog-checkpoint
 * bodies signed and verified as C2SP signed notes. What a leaf is (a log entry), when a
 * checkpoint is signed and which key pins it are the callers' business; the note syntax and
 * the signatures are note's, the transactions are store's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cps/crypto.h"
#include "cps/note.h"
#include "cps/store.h"
#include "cps/tlog.h"

#define HASH CPS_TLOG_HASH_BYTES
#define KEY_BYTES 9     /* level (u8) || index (be64) */
#define B64_ROOT_LEN 44 /* standard base64 of 32 bytes, with one '=' */
#define DATASET_TAG "cps-dataset "
#define DATASET_TAG_LEN (sizeof DATASET_TAG - 1)
#define MAX_SIZE ((uint64_t)1 << 63) /* no store holds more leaves; keeps proofs <= 64 */

/* ---- hashing ---- */

void
cps_tlog_leaf_hash(const uint8_t *data, size_t len, uint8_t out[CPS_TLOG_HASH_BYTES])
{
    static const uint8_t prefix = 0x00;
    /* in parts: an entry can be large, and copying it only to prepend a byte is waste */
    const struct cps_crypto_part parts[] = { { &prefix, 1 }, { data, len } };

    cps_crypto_sha256_parts(parts, 2, out);
}

void
cps_tlog_node_hash(const uint8_t left[CPS_TLOG_HASH_BYTES],
                   const uint8_t right[CPS_TLOG_HASH_BYTES], uint8_t out[CPS_TLOG_HASH_BYTES])
{
    uint8_t buf[1 + 2 * HASH];

    buf[0] = 0x01;
    memcpy(buf + 1, left, HASH);
    memcpy(buf + 1 + HASH, right, HASH);
    cps_crypto_sha256(buf, sizeof buf, out); /* out may alias left or right: buf is a copy */
}

/* ---- the stored tree ---- */

static void
node_key(uint8_t key[KEY_BYTES], unsigned level, uint64_t index)
{
    key[0] = (uint8_t)level;
    cps_store_be64(key + 1, index);
}

/* The perfect subtree [index << level, (index + 1) << level). CPS_ENOTFOUND if not complete. */
static int
get_node(struct cps_txn *txn, enum cps_db db, unsigned level, uint64_t index, uint8_t out[HASH])
{
    uint8_t key[KEY_BYTES];
    struct cps_val v;
    int rc;

    node_key(key, level, index);
    if ((rc = cps_store_get(txn, db, key, sizeof key, &v)) != 0)
        return rc;
    if (v.len != HASH)
        return CPS_EINTERNAL; /* only this module writes the tree */
    memcpy(out, v.data, HASH);
    return 0;
}

static int
put_node(struct cps_txn *txn, enum cps_db db, unsigned level, uint64_t index,
         const uint8_t hash[HASH])
{
    uint8_t key[KEY_BYTES];
    int rc;

    node_key(key, level, index);
    rc = cps_store_put(txn, db, key, sizeof key, hash, HASH, CPS_STORE_NOOVERWRITE);
    return rc == CPS_EEXIST ? CPS_EINTERNAL : rc; /* a completed subtree never changes */
}

int
cps_tlog_append(struct cps_txn *txn, enum cps_db db, uint64_t index,
                const uint8_t leaf[CPS_TLOG_HASH_BYTES])
{
    uint8_t h[HASH], left[HASH], prev[HASH];
    unsigned level = 0;
    uint64_t i = index;
    int rc;

    if (index >= MAX_SIZE)
        return CPS_EINTERNAL;
    /* index is the next leaf iff leaf index-1 is there (put below refuses leaf index) */
    if (index > 0 && (rc = get_node(txn, db, 0, index - 1, prev)) != 0)
        return rc == CPS_ENOTFOUND ? CPS_EINTERNAL : rc;
    if ((rc = put_node(txn, db, 0, index, leaf)) != 0)
        return rc;
    memcpy(h, leaf, HASH);
    /* while the new node is a right child, its left sibling is complete: store the parent */
    while (i & 1) {
        if (level == 0)
            memcpy(left, prev, HASH);
        else if ((rc = get_node(txn, db, level, i - 1, left)) != 0)
            return rc == CPS_ENOTFOUND ? CPS_EINTERNAL : rc;
        cps_tlog_node_hash(left, h, h);
        i >>= 1;
        level++;
        if ((rc = put_node(txn, db, level, i, h)) != 0)
            return rc;
    }
    return 0;
}

static unsigned
log2_floor(uint64_t v)
{
    return 63u - (unsigned)__builtin_clzll(v);
}

/* Largest power of two strictly below n (n >= 2), the split point of MTH. */
static uint64_t
split_point(uint64_t n)
{
    return (uint64_t)1 << log2_floor(n - 1);
}

/*
 * MTH(D[start:start+len]) for len >= 1, where start is a multiple of the largest power of two
 * <= len (every range MTH's recursion visits is). The range is the concatenation of one
 * perfect subtree per set bit of len, largest first, and MTH folds them from the right: read
 * them smallest (rightmost) first. One read per set bit; CPS_ENOTFOUND when the range reaches
 * past the stored leaves, since the rightmost subtree then is not complete.
 */
static int
range_hash(struct cps_txn *txn, enum cps_db db, uint64_t start, uint64_t len, uint8_t out[HASH])
{
    uint8_t sub[HASH];
    uint64_t pos = start + len, rest = len;
    bool first = true;
    int rc;

    while (rest != 0) {
        unsigned b = (unsigned)__builtin_ctzll(rest);

        rest &= rest - 1;
        pos -= (uint64_t)1 << b;
        if ((rc = get_node(txn, db, b, pos >> b, first ? out : sub)) != 0)
            return rc;
        if (!first)
            cps_tlog_node_hash(sub, out, out);
        first = false;
    }
    return 0;
}

int
cps_tlog_root(struct cps_txn *txn, enum cps_db db, uint64_t size, uint8_t root[CPS_TLOG_HASH_BYTES])
{
    static const uint8_t nothing[1];

    if (size == 0) {
        cps_crypto_sha256(nothing, 0, root);
        return 0;
    }
    if (size > MAX_SIZE)
        return CPS_ENOTFOUND;
    return range_hash(txn, db, 0, size, root);
}

/* Is leaf size-1 stored (so the tree has at least size leaves)? */
static int
have_size(struct cps_txn *txn, enum cps_db db, uint64_t size)
{
    uint8_t h[HASH];

    if (size == 0)
        return 0;
    if (size > MAX_SIZE)
        return CPS_ENOTFOUND;
    return get_node(txn, db, 0, size - 1, h);
}

/* Proof hashes come out root-side first while walking down; RFC order is leaf-side first. */
static void
reverse_into(uint8_t proof[][HASH], uint8_t walk[][HASH], size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        memcpy(proof[i], walk[n - 1 - i], HASH);
}

int
cps_tlog_prove_inclusion(struct cps_txn *txn, enum cps_db db, uint64_t index, uint64_t size,
                         uint8_t proof[][CPS_TLOG_HASH_BYTES], size_t *n)
{
    uint8_t walk[CPS_TLOG_MAX_PROOF][HASH];
    uint64_t start = 0, end = size;
    size_t depth = 0;
    int rc;

    *n = 0;
    if (index >= size)
        return CPS_EMALFORMED;
    if ((rc = have_size(txn, db, size)) != 0)
        return rc;
    /*
     * PATH(m, D[n]) (RFC 9162 §2.1.3.1), walked from the root: with k the largest power of
     * two below n, m < k gives PATH(m, D[0:k]) : MTH(D[k:n]), otherwise
     * PATH(m - k, D[k:n]) : MTH(D[0:k]). Once inside a perfect subtree every sibling is one
     * stored node, so the whole walk costs O(log n) reads.
     */
    while (end - start > 1) {
        uint64_t k = split_point(end - start);

        if (depth == CPS_TLOG_MAX_PROOF)
            return CPS_EINTERNAL; /* cannot happen for size <= 2^63 */
        if (index < start + k) {
            rc = range_hash(txn, db, start + k, end - start - k, walk[depth]);
            end = start + k;
        } else {
            rc = range_hash(txn, db, start, k, walk[depth]);
            start += k;
        }
        if (rc != 0)
            return rc;
        depth++;
    }
    reverse_into(proof, walk, depth);
    *n = depth;
    return 0;
}

int
cps_tlog_prove_consistency(struct cps_txn *txn, enum cps_db db, uint64_t old_size,
                           uint64_t new_size, uint8_t proof[][CPS_TLOG_HASH_BYTES], size_t *n)
{
    uint8_t walk[CPS_TLOG_MAX_PROOF][HASH];
    uint64_t start = 0, end = new_size, m = old_size;
    size_t depth = 0;
    bool whole = true; /* SUBPROOF's b: the old tree is a whole subtree here */
    int rc;

    *n = 0;
    if (old_size > new_size)
        return CPS_EMALFORMED;
    if ((rc = have_size(txn, db, new_size)) != 0)
        return rc;
    if (old_size == 0 || old_size == new_size)
        return 0;
    /*
     * SUBPROOF(m, D[n], b) (RFC 9162 §2.1.4.1), walked from the root: at m == n the proof
     * ends with MTH(D[m]) unless b; otherwise, with k the largest power of two below n,
     * m <= k gives SUBPROOF(m, D[0:k], b) : MTH(D[k:n]) and m > k gives
     * SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]).
     */
    for (;;) {
        uint64_t k;

        if (depth == CPS_TLOG_MAX_PROOF)
            return CPS_EINTERNAL; /* cannot happen for new_size <= 2^63 */
        if (m == end) {
            if (!whole) {
                if ((rc = range_hash(txn, db, start, end - start, walk[depth])) != 0)
                    return rc;
                depth++;
            }
            break;
        }
        k = split_point(end - start);
        if (m - start <= k) {
            rc = range_hash(txn, db, start + k, end - start - k, walk[depth]);
            end = start + k;
        } else {
            rc = range_hash(txn, db, start, k, walk[depth]);
            start += k;
            whole = false;
        }
        if (rc != 0)
            return rc;
        depth++;
    }
    reverse_into(proof, walk, depth);
    *n = depth;
    return 0;
}

/* ---- verification ---- */

/*
 * RFC 9162 §2.1.3.2 and §2.1.4.2, the steps in the RFC's order.
 * fn walks the leaf (or the old tree's last leaf) up, sn the new tree's last leaf; a proof
 * must end exactly at the root (sn == 0), which is what refuses an interior node passed off
 * as a leaf and a proof that runs past the root.
 */

int
cps_tlog_verify_inclusion(const uint8_t leaf[CPS_TLOG_HASH_BYTES], uint64_t index, uint64_t size,
                          const uint8_t proof[][CPS_TLOG_HASH_BYTES], size_t n,
                          const uint8_t root[CPS_TLOG_HASH_BYTES])
{
    uint8_t r[HASH];
    uint64_t fn, sn;
    size_t i;

    if (index >= size)
        return CPS_EBADSIG;
    fn = index;
    sn = size - 1;
    memcpy(r, leaf, HASH);
    for (i = 0; i < n; i++) {
        if (sn == 0)
            return CPS_EBADSIG;
        if ((fn & 1) != 0 || fn == sn) {
            cps_tlog_node_hash(proof[i], r, r);
            if ((fn & 1) == 0)
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            cps_tlog_node_hash(r, proof[i], r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0 || memcmp(r, root, HASH) != 0)
        return CPS_EBADSIG;
    return 0;
}

int
cps_tlog_verify_consistency(uint64_t old_size, uint64_t new_size,
                            const uint8_t old_root[CPS_TLOG_HASH_BYTES],
                            const uint8_t new_root[CPS_TLOG_HASH_BYTES],
                            const uint8_t proof[][CPS_TLOG_HASH_BYTES], size_t n)
{
    uint8_t fr[HASH], sr[HASH];
    uint64_t fn, sn;
    size_t i;
    bool pow2;

    if (old_size > new_size)
        return CPS_EBADSIG;
    if (old_size == 0) /* the empty tree is a prefix of every tree */
        return n == 0 ? 0 : CPS_EBADSIG;
    if (old_size == new_size)
        return n == 0 && memcmp(old_root, new_root, HASH) == 0 ? 0 : CPS_EBADSIG;
    if (n == 0)
        return CPS_EBADSIG;
    /* a power-of-two old tree is a node of the new one, and is left out of the proof:
     * the walk starts from old_root instead of proof[0] */
    pow2 = (old_size & (old_size - 1)) == 0;
    fn = old_size - 1;
    sn = new_size - 1;
    while ((fn & 1) != 0) {
        fn >>= 1;
        sn >>= 1;
    }
    memcpy(fr, pow2 ? old_root : proof[0], HASH);
    memcpy(sr, fr, HASH);
    for (i = pow2 ? 0 : 1; i < n; i++) {
        if (sn == 0)
            return CPS_EBADSIG;
        if ((fn & 1) != 0 || fn == sn) {
            cps_tlog_node_hash(proof[i], fr, fr);
            cps_tlog_node_hash(proof[i], sr, sr);
            if ((fn & 1) == 0)
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            cps_tlog_node_hash(sr, proof[i], sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0 || memcmp(fr, old_root, HASH) != 0 || memcmp(sr, new_root, HASH) != 0)
        return CPS_EBADSIG;
    return 0;
}

/* ---- checkpoints ---- */

/* An origin line: non-empty, fits cp->origin with its NUL, no control characters. */
static bool
origin_ok(const char *s, size_t len)
{
    size_t i;

    if (len == 0 || len >= CPS_TLOG_ORIGIN_MAX)
        return false;
    for (i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
            return false;
    return true;
}

int
cps_tlog_checkpoint_sign(char **out, size_t *out_len, const struct cps_checkpoint *cp,
                         const char *key_name, const struct cps_keys *keys)
{
    /* origin \n 20 digits \n 44 base64 \n "cps-dataset " 64 hex \n */
    char body[CPS_TLOG_ORIGIN_MAX + 1 + 20 + 1 + B64_ROOT_LEN + 1 + DATASET_TAG_LEN + 64 + 2];
    char b64[B64_ROOT_LEN + 1];
    size_t olen = strnlen(cp->origin, CPS_TLOG_ORIGIN_MAX), len;
    int w;

    *out = NULL;
    *out_len = 0;
    if (!origin_ok(cp->origin, olen))
        return CPS_EMALFORMED;
    if (cps_crypto_b64_encode(b64, sizeof b64, cp->root, HASH) != 0)
        return CPS_EINTERNAL;
    w = snprintf(body, sizeof body, "%s\n%" PRIu64 "\n%s\n", cp->origin, cp->size, b64);
    if (w < 0 || (size_t)w >= sizeof body)
        return CPS_EINTERNAL;
    len = (size_t)w;
    if (cp->has_dataset) {
        memcpy(body + len, DATASET_TAG, DATASET_TAG_LEN);
        len += DATASET_TAG_LEN;
        sodium_bin2hex(body + len, sizeof body - len, cp->dataset, HASH); /* lowercase */
        len += 2 * HASH;
        body[len++] = '\n';
        body[len] = '\0';
    }
    return cps_note_sign(out, out_len, body, len, key_name, keys);
}

/* Decimal without sign, spaces or leading zeros ("0" alone is zero), within uint64. */
static bool
parse_size(const char *s, size_t len, uint64_t *v)
{
    uint64_t x = 0;
    size_t i;

    if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
        return false;
    for (i = 0; i < len; i++) {
        unsigned d;

        if (s[i] < '0' || s[i] > '9')
            return false;
        d = (unsigned)(s[i] - '0');
        if (x > (UINT64_MAX - d) / 10)
            return false;
        x = x * 10 + d;
    }
    *v = x;
    return true;
}

/* Exactly 64 lowercase hex digits. */
static bool
parse_hex32(const char *s, size_t len, uint8_t out[HASH])
{
    size_t i;

    if (len != 2 * HASH)
        return false;
    for (i = 0; i < len; i++) {
        int v = (s[i] >= '0' && s[i] <= '9')   ? s[i] - '0'
                : (s[i] >= 'a' && s[i] <= 'f') ? s[i] - 'a' + 10
                                               : -1;

        if (v < 0)
            return false;
        if (i % 2 == 0)
            out[i / 2] = (uint8_t)(v << 4);
        else
            out[i / 2] |= (uint8_t)v;
    }
    return true;
}

/* Parse a checkpoint body (ends in '\n', as cps_note_verify guarantees). */
static int
parse_body(struct cps_checkpoint *cp, const char *body, size_t len)
{
    const char *p = body, *end = body + len, *nl;
    size_t line_no = 0, rlen;

    while (p < end) {
        size_t n;

        if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
            return CPS_EMALFORMED;
        n = (size_t)(nl - p);
        if (n == 0)
            return CPS_EMALFORMED; /* C2SP: every line of the text is non-empty */
        switch (line_no++) {
        case 0:
            if (!origin_ok(p, n))
                return CPS_EMALFORMED;
            memcpy(cp->origin, p, n);
            cp->origin[n] = '\0';
            break;
        case 1:
            if (!parse_size(p, n, &cp->size))
                return CPS_EMALFORMED;
            break;
        case 2:
            rlen = HASH;
            if (n != B64_ROOT_LEN || cps_crypto_b64_decode(cp->root, &rlen, p, n) != 0 ||
                rlen != HASH)
                return CPS_EMALFORMED;
            break;
        default:
            /* ours if its first word is "cps-dataset": then it must be exact, and once */
            if (n >= DATASET_TAG_LEN - 1 && memcmp(p, DATASET_TAG, DATASET_TAG_LEN - 1) == 0 &&
                (n == DATASET_TAG_LEN - 1 || p[DATASET_TAG_LEN - 1] == ' ')) {
                if (cp->has_dataset || n < DATASET_TAG_LEN ||
                    !parse_hex32(p + DATASET_TAG_LEN, n - DATASET_TAG_LEN, cp->dataset))
                    return CPS_EMALFORMED;
                cp->has_dataset = true;
            }
            break; /* any other extension line is not ours to judge */
        }
        p = nl + 1;
    }
    return line_no >= 3 ? 0 : CPS_EMALFORMED;
}

int
cps_tlog_checkpoint_verify(struct cps_checkpoint *cp, const char *note, size_t note_len,
                           const struct cps_note_verifier *v)
{
    size_t body_len;
    int rc;

    memset(cp, 0, sizeof *cp);
    if ((rc = cps_note_verify(note, note_len, v, &body_len)) != 0)
        return rc;
    if ((rc = parse_body(cp, note, body_len)) != 0)
        memset(cp, 0, sizeof *cp);
    return rc;
}
