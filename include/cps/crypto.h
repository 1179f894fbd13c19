/* SPDX-License-Identifier: ISC */
/*
 * crypto: key files, derived subkeys, signatures, sealing, hashing.
 *
 * One secret 32-byte seed per participant, in a key file of mode 0600. Three subkeys are
 * derived from it with crypto_kdf (context "cps-keys"): 1 = Ed25519 signing, 2 = X25519
 * sealing (crypto_box), 3 = X25519 for ZeroMQ CURVE. No subkey serves two purposes.
 * Secret material only ever lives in sodium_malloc memory owned by struct cps_keys.
 *
 * Key file (80 bytes, minisign-like, integers big-endian):
 *   "CPSK" | u16 version = 1 | u16 reserved = 0 | key id[8] | seed[32] |
 *   BLAKE2b-256 checksum over the preceding 48 bytes
 * The key id is the first 8 bytes of SHA-256 of the Ed25519 public key.
 */
#ifndef CPS_CRYPTO_H
#define CPS_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cps/err.h"

#define CPS_CRYPTO_SEED_BYTES 32
#define CPS_CRYPTO_PK_BYTES 32
#define CPS_CRYPTO_SIG_BYTES 64
#define CPS_CRYPTO_HASH_BYTES 32
#define CPS_CRYPTO_KEYID_BYTES 8
#define CPS_CRYPTO_KEYFILE_BYTES 80
#define CPS_CRYPTO_NONCE_BYTES 24
#define CPS_CRYPTO_SEAL_OVERHEAD (24 + 16) /* nonce || crypto_box_easy MAC */
/* "cps1:" + base64(96 bytes) + NUL */
#define CPS_CRYPTO_PUBTOKEN_MAX 140

struct cps_keys; /* opaque: seed + derived secret subkeys, in sodium_malloc memory */

/* The public half of a participant's identity. */
struct cps_pubkeys {
    uint8_t sign[CPS_CRYPTO_PK_BYTES];  /* Ed25519 */
    uint8_t box[CPS_CRYPTO_PK_BYTES];   /* X25519 for crypto_box */
    uint8_t curve[CPS_CRYPTO_PK_BYTES]; /* X25519 for ZeroMQ CURVE */
};

/* sodium_init() once; safe to call repeatedly. Returns 0 or CPS_EINTERNAL. */
CPS_MUST_CHECK int cps_crypto_init(void);

/*
 * Create a new key file at path with a fresh random seed: O_CREAT|O_EXCL|O_NOFOLLOW, mode
 * 0600. With force, an existing regular file is replaced (atomically, via a temp file and
 * rename). Returns 0, -EEXIST, or -errno.
 */
CPS_MUST_CHECK int cps_crypto_keyfile_create(const char *path, bool force);

/*
 * Load a key file. Refuses a file that is not a regular file owned by the effective user
 * (CPS_EKEYPERM), has group/other permission bits (CPS_EKEYPERM), or has the wrong size,
 * tag, version, key id or checksum (CPS_EKEYFILE). On success *out is owned by the caller,
 * freed with cps_crypto_keys_free(). Every stack copy of the seed is wiped.
 */
CPS_MUST_CHECK int cps_crypto_keys_load(struct cps_keys **out, const char *path);

/* Derive keys from a seed (tests, fixed vectors). Same ownership as keys_load. */
CPS_MUST_CHECK int cps_crypto_keys_from_seed(struct cps_keys **out,
                                             const uint8_t seed[CPS_CRYPTO_SEED_BYTES]);

/* Wipes and frees *keys, sets it to NULL; NULL-safe. */
void cps_crypto_keys_free(struct cps_keys **keys);

/* The public keys of keys. */
void cps_crypto_keys_public(const struct cps_keys *keys, struct cps_pubkeys *pub);

/* Key id: first 8 bytes of SHA-256(sign public key). */
void cps_crypto_keyid(const struct cps_pubkeys *pub, uint8_t id[CPS_CRYPTO_KEYID_BYTES]);

/* Key id as 16 lowercase hex digits + NUL. */
void cps_crypto_keyid_hex(const struct cps_pubkeys *pub, char hex[17]);

/*
 * Public identity token: "cps1:" followed by standard base64 (no padding needed) of
 * sign || box || curve (96 bytes). out must hold CPS_CRYPTO_PUBTOKEN_MAX bytes.
 */
void cps_crypto_pub_encode(const struct cps_pubkeys *pub, char out[CPS_CRYPTO_PUBTOKEN_MAX]);
/* Parse a token; returns 0 or CPS_EMALFORMED. */
CPS_MUST_CHECK int cps_crypto_pub_decode(struct cps_pubkeys *pub, const char *token);

/* Borrowed pointer to the 32-byte CURVE secret key, for zmq_setsockopt only. */
const uint8_t *cps_crypto_curve_secret(const struct cps_keys *keys);

/*
 * Ed25519 over domain || msg (domain is a NUL-terminated prefix such as "cps/update/v1\n";
 * its bytes, without the NUL, come first). Returns 0 or -ENOMEM.
 */
CPS_MUST_CHECK int cps_crypto_sign(const struct cps_keys *keys, const char *domain,
                                   const uint8_t *msg, size_t msg_len,
                                   uint8_t sig[CPS_CRYPTO_SIG_BYTES]);
/* Returns 0, CPS_EBADSIG or -ENOMEM. */
CPS_MUST_CHECK int cps_crypto_verify(const uint8_t pk[CPS_CRYPTO_PK_BYTES], const char *domain,
                                     const uint8_t *msg, size_t msg_len,
                                     const uint8_t sig[CPS_CRYPTO_SIG_BYTES]);

/*
 * Seal msg from sender to recipient (crypto_box_easy, fresh random nonce).
 * out receives nonce || ciphertext, msg_len + CPS_CRYPTO_SEAL_OVERHEAD bytes.
 */
CPS_MUST_CHECK int cps_crypto_seal(const struct cps_keys *sender,
                                   const uint8_t recipient_box[CPS_CRYPTO_PK_BYTES],
                                   const uint8_t *msg, size_t msg_len, uint8_t *out);
/*
 * Open what cps_crypto_seal made. out receives sealed_len - CPS_CRYPTO_SEAL_OVERHEAD bytes.
 * Returns 0, or CPS_ESEAL (too short, wrong keys or tampered).
 */
CPS_MUST_CHECK int cps_crypto_open(const struct cps_keys *recipient,
                                   const uint8_t sender_box[CPS_CRYPTO_PK_BYTES],
                                   const uint8_t *sealed, size_t sealed_len, uint8_t *out);

/* SHA-256. */
void cps_crypto_sha256(const uint8_t *msg, size_t len, uint8_t out[CPS_CRYPTO_HASH_BYTES]);

/* Constant-time equality of n bytes: true when equal. */
bool cps_crypto_equal(const void *a, const void *b, size_t n);

/* Standard base64 with padding into out (NUL-terminated); returns 0 or -ENOSPC. */
CPS_MUST_CHECK int cps_crypto_b64_encode(char *out, size_t out_len, const uint8_t *bin,
                                         size_t bin_len);
/* Decode standard base64 (padding required); *bin_len in: capacity, out: length. */
CPS_MUST_CHECK int cps_crypto_b64_decode(uint8_t *bin, size_t *bin_len, const char *b64,
                                         size_t b64_len);

/* Raw Ed25519 (no domain prefix), for C2SP signed notes. */
CPS_MUST_CHECK int cps_crypto_sign_raw(const struct cps_keys *keys, const uint8_t *msg,
                                       size_t msg_len, uint8_t sig[CPS_CRYPTO_SIG_BYTES]);
CPS_MUST_CHECK int cps_crypto_verify_raw(const uint8_t pk[CPS_CRYPTO_PK_BYTES],
                                         const uint8_t *msg, size_t msg_len,
                                         const uint8_t sig[CPS_CRYPTO_SIG_BYTES]);

/* Deterministic expansion of a 32-byte key into len bytes (ChaCha20 keystream, zero
 * nonce): for hashing a value into a wide space (the dataset digest). */
void cps_crypto_expand(const uint8_t key[CPS_CRYPTO_HASH_BYTES], uint8_t *out, size_t len);

/* SHA-256 over the concatenation of parts, without copying them together. */
struct cps_crypto_part {
    const void *data;
    size_t len;
};
void cps_crypto_sha256_parts(const struct cps_crypto_part *parts, size_t n,
                             uint8_t out[CPS_CRYPTO_HASH_BYTES]);

/* Fill buf with random bytes. */
void cps_crypto_random(void *buf, size_t len);

#endif
