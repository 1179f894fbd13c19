/* SPDX-License-Identifier: ISC */
/*
 * crypto: the only module that touches libsodium. It owns the key file format (tag, version,
 * key id, seed, BLAKE2b checksum), the derivation of the three subkeys (signing, sealing,
 * CURVE) from one seed with crypto_kdf, Ed25519 signatures with a domain prefix, sealing
 * with crypto_box, SHA-256 and base64. SHA-256 alone comes from Nettle, which uses the
 * CPU's SHA extensions (3.4x libsodium's portable code here: every update is hashed whole
 * twice on the hub's hot path) and, unlike OpenSSL's libcrypto (as fast, but 3 MiB more
 * resident in every process), keeps a node small; it never sees a secret. Secret material
 * lives only in sodium_malloc memory (struct cps_keys, read-only once derived, and its
 * cache of crypto_box shared keys) and in stack buffers wiped at the single exit label of
 * each function. Key ids name keys; key bytes are never formatted for humans here.
 * Interpreting what is signed, and where keys are kept, is left to the callers.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nettle/sha2.h>
#include <sodium.h>

#include "cps/crypto.h"

#define KDF_CONTEXT "cps-keys" /* exactly crypto_kdf_CONTEXTBYTES (8) bytes */
#define KDF_ID_SIGN 1
#define KDF_ID_BOX 2
#define KDF_ID_CURVE 3

#define KEYFILE_TAG "CPSK"
#define KEYFILE_VERSION 1
#define KEYFILE_OFF_VERSION 4
#define KEYFILE_OFF_RESERVED 6
#define KEYFILE_OFF_KEYID 8
#define KEYFILE_OFF_SEED 16
#define KEYFILE_OFF_CHECKSUM 48
#define KEYFILE_CHECKSUM_BYTES 32

#define PUBTOKEN_PREFIX "cps1:"
#define PUBTOKEN_RAW_BYTES (3 * CPS_CRYPTO_PK_BYTES)

/*
 * crypto_box shared keys (X25519, then HSalsa20) with the peers one seals to or opens
 * from. crypto_box_easy computes one per message, and that scalar multiplication costs
 * about as much as sealing 30 KB; a hub opens thousands of updates a second from its
 * partners. Open addressing on the peer key's first bytes, up to BOXCACHE_PROBES slots
 * from there; with no match and no free slot among them, the home slot is replaced. Sized
 * for a roster ten times the programme's (at 64 slots scanned in turn, 250 partners
 * missed on nearly every update). Same bytes on the wire; writable sodium_malloc memory,
 * any thread.
 */
#define BOXCACHE_SLOTS 512 /* a power of two */
#define BOXCACHE_PROBES 8

struct boxcache {
    pthread_mutex_t mu;
    struct {
        uint8_t peer[crypto_box_PUBLICKEYBYTES];
        uint8_t k[crypto_box_BEFORENMBYTES];
    } slot[BOXCACHE_SLOTS];
    bool full[BOXCACHE_SLOTS];
};

struct cps_keys {
    uint8_t sign_sk[crypto_sign_SECRETKEYBYTES];
    uint8_t box_sk[crypto_box_SECRETKEYBYTES];
    uint8_t curve_sk[crypto_box_SECRETKEYBYTES];
    struct cps_pubkeys pub;
    struct boxcache *cache; /* the pointer is read-only, what it points to is not */
};

int
cps_crypto_init(void)
{
    /* 0 on first success, 1 when already initialised, -1 on failure */
    return sodium_init() < 0 ? CPS_EINTERNAL : 0;
}

/* Fill k from seed. k is writable sodium_malloc memory; sub is wiped on every path. */
static int
derive(struct cps_keys *k, const uint8_t seed[CPS_CRYPTO_SEED_BYTES])
{
    uint8_t sub[32];
    int rc = CPS_EINTERNAL;

    if (crypto_kdf_derive_from_key(sub, sizeof sub, KDF_ID_SIGN, KDF_CONTEXT, seed) != 0 ||
        crypto_sign_seed_keypair(k->pub.sign, k->sign_sk, sub) != 0)
        goto done;
    if (crypto_kdf_derive_from_key(sub, sizeof sub, KDF_ID_BOX, KDF_CONTEXT, seed) != 0 ||
        crypto_box_seed_keypair(k->pub.box, k->box_sk, sub) != 0)
        goto done;
    if (crypto_kdf_derive_from_key(sub, sizeof sub, KDF_ID_CURVE, KDF_CONTEXT, seed) != 0 ||
        crypto_box_seed_keypair(k->pub.curve, k->curve_sk, sub) != 0)
        goto done;
    rc = 0;
done:
    sodium_memzero(sub, sizeof sub);
    return rc;
}

int
cps_crypto_keys_from_seed(struct cps_keys **out, const uint8_t seed[CPS_CRYPTO_SEED_BYTES])
{
    struct cps_keys *k;
    int rc;

    *out = NULL;
    if (cps_crypto_init() != 0)
        return CPS_EINTERNAL;
    if ((k = sodium_malloc(sizeof *k)) == NULL)
        return -ENOMEM;
    if ((k->cache = sodium_malloc(sizeof *k->cache)) == NULL) {
        sodium_free(k);
        return -ENOMEM;
    }
    memset(k->cache->full, 0, sizeof k->cache->full);
    if ((rc = pthread_mutex_init(&k->cache->mu, NULL)) != 0 || (rc = derive(k, seed)) != 0) {
        if (rc > 0)
            rc = -rc;
        else
            pthread_mutex_destroy(&k->cache->mu);
        sodium_free(k->cache);
        sodium_free(k); /* wipes, then unmaps */
        return rc;
    }
    (void)sodium_mprotect_readonly(k); /* best effort: a stray write then faults */
    *out = k;
    return 0;
}

void
cps_crypto_keys_free(struct cps_keys **keys)
{
    if (keys == NULL || *keys == NULL)
        return;
    pthread_mutex_destroy(&(*keys)->cache->mu);
    sodium_free((*keys)->cache);
    sodium_free(*keys); /* makes the region writable, wipes it, unmaps it */
    *keys = NULL;
}

void
cps_crypto_keys_public(const struct cps_keys *keys, struct cps_pubkeys *pub)
{
    *pub = keys->pub;
}

void
cps_crypto_keyid(const struct cps_pubkeys *pub, uint8_t id[CPS_CRYPTO_KEYID_BYTES])
{
    uint8_t h[crypto_hash_sha256_BYTES];

    crypto_hash_sha256(h, pub->sign, sizeof pub->sign);
    memcpy(id, h, CPS_CRYPTO_KEYID_BYTES);
}

void
cps_crypto_keyid_hex(const struct cps_pubkeys *pub, char hex[17])
{
    uint8_t id[CPS_CRYPTO_KEYID_BYTES];

    cps_crypto_keyid(pub, id);
    sodium_bin2hex(hex, 17, id, sizeof id);
}

const uint8_t *
cps_crypto_curve_secret(const struct cps_keys *keys)
{
    return keys->curve_sk;
}

/* ---- key files ---- */

static void
put_u16be(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static unsigned
get_u16be(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* Build the 80-byte key file image for seed into raw; the caller wipes raw. */
static int
keyfile_encode(uint8_t raw[CPS_CRYPTO_KEYFILE_BYTES], const uint8_t seed[CPS_CRYPTO_SEED_BYTES])
{
    struct cps_keys *k;
    int rc;

    if ((rc = cps_crypto_keys_from_seed(&k, seed)) != 0)
        return rc;
    memcpy(raw, KEYFILE_TAG, 4);
    put_u16be(raw + KEYFILE_OFF_VERSION, KEYFILE_VERSION);
    put_u16be(raw + KEYFILE_OFF_RESERVED, 0);
    cps_crypto_keyid(&k->pub, raw + KEYFILE_OFF_KEYID);
    memcpy(raw + KEYFILE_OFF_SEED, seed, CPS_CRYPTO_SEED_BYTES);
    crypto_generichash(raw + KEYFILE_OFF_CHECKSUM, KEYFILE_CHECKSUM_BYTES, raw,
                       KEYFILE_OFF_CHECKSUM, NULL, 0);
    cps_crypto_keys_free(&k);
    return 0;
}

/* Check the image and derive its keys. Returns 0, CPS_EKEYFILE or -ENOMEM. */
static int
keyfile_decode(struct cps_keys **out, const uint8_t raw[CPS_CRYPTO_KEYFILE_BYTES])
{
    uint8_t sum[KEYFILE_CHECKSUM_BYTES];
    uint8_t id[CPS_CRYPTO_KEYID_BYTES];
    struct cps_keys *k = NULL;
    int rc;

    *out = NULL;
    if (memcmp(raw, KEYFILE_TAG, 4) != 0 ||
        get_u16be(raw + KEYFILE_OFF_VERSION) != KEYFILE_VERSION ||
        get_u16be(raw + KEYFILE_OFF_RESERVED) != 0)
        return CPS_EKEYFILE;
    crypto_generichash(sum, sizeof sum, raw, KEYFILE_OFF_CHECKSUM, NULL, 0);
    if (sodium_memcmp(sum, raw + KEYFILE_OFF_CHECKSUM, sizeof sum) != 0)
        return CPS_EKEYFILE;
    if ((rc = cps_crypto_keys_from_seed(&k, raw + KEYFILE_OFF_SEED)) != 0)
        return rc;
    cps_crypto_keyid(&k->pub, id);
    if (sodium_memcmp(id, raw + KEYFILE_OFF_KEYID, sizeof id) != 0) {
        cps_crypto_keys_free(&k);
        return CPS_EKEYFILE;
    }
    *out = k;
    return 0;
}

static int
write_all(int fd, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Write raw to a fresh file fd (mode 0600 whatever the umask) and sync it. */
static int
write_keyfile_fd(int fd, const uint8_t *raw)
{
    int rc;

    if (fchmod(fd, 0600) == -1)
        return -errno;
    if ((rc = write_all(fd, raw, CPS_CRYPTO_KEYFILE_BYTES)) != 0)
        return rc;
    if (fsync(fd) == -1)
        return -errno;
    return 0;
}

int
cps_crypto_keyfile_create(const char *path, bool force)
{
    uint8_t raw[CPS_CRYPTO_KEYFILE_BYTES];
    uint8_t seed[CPS_CRYPTO_SEED_BYTES];
    char tmp[PATH_MAX];
    struct stat sb;
    int fd = -1, rc;
    bool tmp_made = false;

    tmp[0] = '\0';
    if ((rc = cps_crypto_init()) != 0)
        return rc;
    randombytes_buf(seed, sizeof seed);
    if ((rc = keyfile_encode(raw, seed)) != 0)
        goto done;

    if (!force) {
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd == -1) {
            rc = -errno;
            goto done;
        }
        if ((rc = write_keyfile_fd(fd, raw)) != 0)
            (void)unlink(path);
        goto done;
    }

    /* --force: replace only a regular file, and never leave a half-written key behind */
    if (lstat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        rc = -EEXIST;
        goto done;
    }
    if (snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", path) >= (int)sizeof tmp) {
        rc = -ENAMETOOLONG;
        goto done;
    }
    if ((fd = mkstemp(tmp)) == -1) { /* O_CREAT|O_EXCL, mode 0600 */
        rc = -errno;
        goto done;
    }
    tmp_made = true;
    if ((rc = write_keyfile_fd(fd, raw)) != 0)
        goto done;
    if (rename(tmp, path) == -1) {
        rc = -errno;
        goto done;
    }
    tmp_made = false;
done:
    sodium_memzero(raw, sizeof raw);
    sodium_memzero(seed, sizeof seed);
    if (fd != -1 && close(fd) == -1 && rc == 0)
        rc = -errno;
    if (tmp_made)
        (void)unlink(tmp);
    return rc;
}

int
cps_crypto_keys_load(struct cps_keys **out, const char *path)
{
    uint8_t raw[CPS_CRYPTO_KEYFILE_BYTES + 1]; /* one spare byte detects a long file */
    struct stat sb;
    size_t got = 0;
    int fd, rc = CPS_EKEYFILE;

    *out = NULL;
    if ((rc = cps_crypto_init()) != 0)
        return rc;
    /* O_NONBLOCK: a FIFO planted at path must not hang us before fstat refuses it */
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd == -1)
        return errno == ELOOP ? CPS_EKEYPERM : -errno; /* a symlink is not a regular file */
    if (fstat(fd, &sb) == -1) {
        rc = -errno;
        goto done;
    }
    if (!S_ISREG(sb.st_mode) || sb.st_uid != geteuid() || (sb.st_mode & 077) != 0) {
        rc = CPS_EKEYPERM;
        goto done;
    }
    rc = CPS_EKEYFILE;
    while (got < sizeof raw) {
        ssize_t n = read(fd, raw + got, sizeof raw - got);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            goto done;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    if (got != CPS_CRYPTO_KEYFILE_BYTES)
        goto done;
    rc = keyfile_decode(out, raw);
done:
    sodium_memzero(raw, sizeof raw); /* every path after open() ends here */
    close(fd);
    return rc;
}

/* ---- signatures ---- */

int
cps_crypto_sign_raw(const struct cps_keys *keys, const uint8_t *msg, size_t msg_len,
                    uint8_t sig[CPS_CRYPTO_SIG_BYTES])
{
    if (crypto_sign_detached(sig, NULL, msg, msg_len, keys->sign_sk) != 0)
        return CPS_EINTERNAL;
    return 0;
}

int
cps_crypto_verify_raw(const uint8_t pk[CPS_CRYPTO_PK_BYTES], const uint8_t *msg, size_t msg_len,
                      const uint8_t sig[CPS_CRYPTO_SIG_BYTES])
{
    if (cps_crypto_init() != 0)
        return CPS_EINTERNAL;
    return crypto_sign_verify_detached(sig, msg, msg_len, pk) == 0 ? 0 : CPS_EBADSIG;
}

/* domain || msg in one malloc'd buffer: Ed25519 signs one contiguous message. */
static uint8_t *
prefixed(const char *domain, const uint8_t *msg, size_t msg_len, size_t *len)
{
    size_t dlen = strlen(domain);
    uint8_t *buf;

    if (msg_len > SIZE_MAX - dlen - 1 || (buf = malloc(dlen + msg_len + 1)) == NULL)
        return NULL;
    memcpy(buf, domain, dlen);
    if (msg_len > 0)
        memcpy(buf + dlen, msg, msg_len);
    *len = dlen + msg_len;
    return buf;
}

int
cps_crypto_sign(const struct cps_keys *keys, const char *domain, const uint8_t *msg, size_t msg_len,
                uint8_t sig[CPS_CRYPTO_SIG_BYTES])
{
    uint8_t *buf;
    size_t len;
    int rc;

    if ((buf = prefixed(domain, msg, msg_len, &len)) == NULL)
        return -ENOMEM;
    rc = cps_crypto_sign_raw(keys, buf, len, sig);
    free(buf);
    return rc;
}

int
cps_crypto_verify(const uint8_t pk[CPS_CRYPTO_PK_BYTES], const char *domain, const uint8_t *msg,
                  size_t msg_len, const uint8_t sig[CPS_CRYPTO_SIG_BYTES])
{
    uint8_t *buf;
    size_t len;
    int rc;

    if ((buf = prefixed(domain, msg, msg_len, &len)) == NULL)
        return -ENOMEM;
    rc = cps_crypto_verify_raw(pk, buf, len, sig);
    free(buf);
    return rc;
}

/* ---- sealing ---- */

/* The shared key of self and peer into k (the caller wipes it): from the cache, or
 * computed and cached. CPS_ESEAL when peer is a low-order point. */
static int
shared_key(const struct cps_keys *self, const uint8_t peer[CPS_CRYPTO_PK_BYTES],
           uint8_t k[crypto_box_BEFORENMBYTES])
{
    struct boxcache *c = self->cache;
    size_t home = (size_t)(peer[0] | peer[1] << 8 | peer[2] << 16) % BOXCACHE_SLOTS;
    size_t i, p, put = home;
    int rc = 0;

    pthread_mutex_lock(&c->mu);
    for (p = 0; p < BOXCACHE_PROBES; p++) {
        i = (home + p) % BOXCACHE_SLOTS;
        if (!c->full[i]) {
            put = i;
            break;
        }
        if (memcmp(c->slot[i].peer, peer, crypto_box_PUBLICKEYBYTES) == 0) {
            memcpy(k, c->slot[i].k, crypto_box_BEFORENMBYTES);
            goto done;
        }
    }
    if (crypto_box_beforenm(k, peer, self->box_sk) != 0) {
        rc = CPS_ESEAL;
        goto done;
    }
    memcpy(c->slot[put].peer, peer, crypto_box_PUBLICKEYBYTES);
    memcpy(c->slot[put].k, k, crypto_box_BEFORENMBYTES);
    c->full[put] = true;
done:
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int
cps_crypto_seal(const struct cps_keys *sender, const uint8_t recipient_box[CPS_CRYPTO_PK_BYTES],
                const uint8_t *msg, size_t msg_len, uint8_t *out)
{
    uint8_t k[crypto_box_BEFORENMBYTES];
    int rc;

    if (msg_len > SIZE_MAX - CPS_CRYPTO_SEAL_OVERHEAD)
        return CPS_ETOOBIG;
    if ((rc = shared_key(sender, recipient_box, k)) != 0)
        goto done; /* recipient_box is a low-order point */
    randombytes_buf(out, crypto_box_NONCEBYTES);
    if (crypto_box_easy_afternm(out + crypto_box_NONCEBYTES, msg, msg_len, out, k) != 0)
        rc = CPS_ETOOBIG;
done:
    sodium_memzero(k, sizeof k);
    return rc;
}

int
cps_crypto_open(const struct cps_keys *recipient, const uint8_t sender_box[CPS_CRYPTO_PK_BYTES],
                const uint8_t *sealed, size_t sealed_len, uint8_t *out)
{
    uint8_t k[crypto_box_BEFORENMBYTES];
    int rc;

    if (sealed_len < CPS_CRYPTO_SEAL_OVERHEAD)
        return CPS_ESEAL;
    if ((rc = shared_key(recipient, sender_box, k)) != 0)
        goto done;
    if (crypto_box_open_easy_afternm(out, sealed + crypto_box_NONCEBYTES,
                                     sealed_len - crypto_box_NONCEBYTES, sealed, k) != 0)
        rc = CPS_ESEAL;
done:
    sodium_memzero(k, sizeof k);
    return rc;
}

/* ---- hashing, comparison, encoding, randomness ---- */

void
cps_crypto_sha256(const uint8_t *msg, size_t len, uint8_t out[CPS_CRYPTO_HASH_BYTES])
{
    const struct cps_crypto_part part = { msg, len };

    cps_crypto_sha256_parts(&part, 1, out);
}

bool
cps_crypto_equal(const void *a, const void *b, size_t n)
{
    return sodium_memcmp(a, b, n) == 0;
}

int
cps_crypto_b64_encode(char *out, size_t out_len, const uint8_t *bin, size_t bin_len)
{
    if (bin_len > SIZE_MAX / 4 - 4 ||
        out_len < sodium_base64_ENCODED_LEN(bin_len, sodium_base64_VARIANT_ORIGINAL))
        return -ENOSPC;
    sodium_bin2base64(out, out_len, bin, bin_len, sodium_base64_VARIANT_ORIGINAL);
    return 0;
}

int
cps_crypto_b64_decode(uint8_t *bin, size_t *bin_len, const char *b64, size_t b64_len)
{
    const char *end = NULL;
    size_t len = 0;

    /* the whole input must be canonical padded base64: no spaces, no trailing bytes */
    if (sodium_base642bin(bin, *bin_len, b64, b64_len, NULL, &len, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != b64 + b64_len)
        return CPS_EMALFORMED;
    *bin_len = len;
    return 0;
}

/* ---- public identity token ---- */

void
cps_crypto_pub_encode(const struct cps_pubkeys *pub, char out[CPS_CRYPTO_PUBTOKEN_MAX])
{
    uint8_t raw[PUBTOKEN_RAW_BYTES];
    size_t plen = strlen(PUBTOKEN_PREFIX);

    memcpy(raw, pub->sign, CPS_CRYPTO_PK_BYTES);
    memcpy(raw + CPS_CRYPTO_PK_BYTES, pub->box, CPS_CRYPTO_PK_BYTES);
    memcpy(raw + 2 * CPS_CRYPTO_PK_BYTES, pub->curve, CPS_CRYPTO_PK_BYTES);
    memcpy(out, PUBTOKEN_PREFIX, plen);
    sodium_bin2base64(out + plen, CPS_CRYPTO_PUBTOKEN_MAX - plen, raw, sizeof raw,
                      sodium_base64_VARIANT_ORIGINAL);
}

int
cps_crypto_pub_decode(struct cps_pubkeys *pub, const char *token)
{
    uint8_t raw[PUBTOKEN_RAW_BYTES + 1];
    size_t plen = strlen(PUBTOKEN_PREFIX), len = sizeof raw;

    if (strncmp(token, PUBTOKEN_PREFIX, plen) != 0)
        return CPS_EMALFORMED;
    if (cps_crypto_b64_decode(raw, &len, token + plen, strlen(token + plen)) != 0 ||
        len != PUBTOKEN_RAW_BYTES)
        return CPS_EMALFORMED;
    memcpy(pub->sign, raw, CPS_CRYPTO_PK_BYTES);
    memcpy(pub->box, raw + CPS_CRYPTO_PK_BYTES, CPS_CRYPTO_PK_BYTES);
    memcpy(pub->curve, raw + 2 * CPS_CRYPTO_PK_BYTES, CPS_CRYPTO_PK_BYTES);
    return 0;
}

void
cps_crypto_random(void *buf, size_t len)
{
    randombytes_buf(buf, len); /* seeds itself on first use, with or without sodium_init() */
}

void
cps_crypto_expand(const uint8_t key[CPS_CRYPTO_HASH_BYTES], uint8_t *out, size_t len)
{
    static const uint8_t nonce[crypto_stream_chacha20_NONCEBYTES]; /* one stream per key */

    crypto_stream_chacha20(out, len, nonce, key);
}

void
cps_crypto_sha256_parts(const struct cps_crypto_part *parts, size_t n,
                        uint8_t out[CPS_CRYPTO_HASH_BYTES])
{
    struct sha256_ctx ctx;
    size_t i;

    sha256_init(&ctx);
    for (i = 0; i < n; i++)
        sha256_update(&ctx, parts[i].len, parts[i].data);
    sha256_digest(&ctx, SHA256_DIGEST_SIZE, out);
}
