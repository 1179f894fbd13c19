/* SPDX-License-Identifier: ISC */
/*
 * Tests for crypto: subkey derivation against a golden vector (cross-checked with an
 * independent implementation of crypto_kdf + Ed25519 + X25519), key file creation and
 * loading with every refusal (mode, owner, type, size, tag, version, key id, checksum),
 * domain-separated signatures, sealing and base64. Every must-pass has a must-fail twin.
 * Works in its own mkdtemp directory; uses the public header only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cps/crypto.h"
#include "cps/err.h"
#include "check.h"

/* seed 00 01 .. 1f */
#define GOLDEN_TOKEN                                                                               \
    "cps1:bE0eAYRuLbSqDtTuhObWUQxnXhHAtDoHRjrDLLWtAWz4rhAvRK0gW2nLDu+bLiHMVOYaawUxpzGB6/1Dogkt"    \
    "fKQuEO8LKCY44JnA2MBcymdKFDJCxkliNklQj4zXqG4h"
#define GOLDEN_KEYID "11a313bc0486add0"
/* BLAKE2b-256 of the first 48 bytes of the key file images below (computed independently) */
#define SUM_GOOD "f86b3ebda3b01f78c5875ca4defbdb67d907ee5f94f96420f4d3146b19d196a6"
#define SUM_V2 "773d76911c508582a6ab552fcd27985a62e6c13b114a1cb73623daa2ed707bff"
#define SUM_KID0 "5f8c67ff1378487ed6aeb537e1313413cee9168c20b9fda1412b09c052a7fe87"
#define SUM_RES1 "9880a5b3b3715aa86f34f413d0b9105d4087b8800d34179bcfef19b91822e2d6"

static char dir[64];
static uint8_t seed_a[CPS_CRYPTO_SEED_BYTES], seed_b[CPS_CRYPTO_SEED_BYTES];

static void
unhex(uint8_t *out, const char *hex)
{
    size_t i, n = strlen(hex) / 2;

    for (i = 0; i < n; i++) {
        unsigned v;

        CHECK_SETUP(sscanf(hex + 2 * i, "%2x", &v) == 1);
        out[i] = (uint8_t)v;
    }
}

static char *
path_in(const char *name)
{
    static char buf[4][128];
    static int next;
    char *p = buf[next++ % 4];

    snprintf(p, sizeof buf[0], "%s/%s", dir, name);
    return p;
}

static void
write_file(const char *path, const uint8_t *data, size_t len, mode_t mode)
{
    int fd;

    (void)unlink(path);
    CHECK_SETUP((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)) != -1);
    CHECK_SETUP(write(fd, data, len) == (ssize_t)len);
    CHECK_SETUP(fchmod(fd, mode) == 0);
    close(fd);
}

/* Key file image: tag, version, reserved, key id, seed (00..1f), checksum. */
static void
image(uint8_t raw[CPS_CRYPTO_KEYFILE_BYTES], const char *tag, unsigned version, unsigned reserved,
      const char *keyid_hex, const char *sum_hex)
{
    unsigned i;

    memcpy(raw, tag, 4);
    raw[4] = (uint8_t)(version >> 8);
    raw[5] = (uint8_t)version;
    raw[6] = (uint8_t)(reserved >> 8);
    raw[7] = (uint8_t)reserved;
    unhex(raw + 8, keyid_hex);
    for (i = 0; i < 32; i++)
        raw[16 + i] = (uint8_t)i;
    unhex(raw + 48, sum_hex);
}

static int
load_image(const uint8_t *raw, size_t len, mode_t mode)
{
    struct cps_keys *k = NULL;
    int rc;

    write_file(path_in("img.key"), raw, len, mode);
    rc = cps_crypto_keys_load(&k, path_in("img.key"));
    CHECK((rc == 0) == (k != NULL));
    cps_crypto_keys_free(&k);
    CHECK(k == NULL);
    return rc;
}

static void
test_golden_derivation(void)
{
    struct cps_keys *k = NULL, *k2 = NULL;
    struct cps_pubkeys pub, pub2, dec;
    char tok[CPS_CRYPTO_PUBTOKEN_MAX], hex[17];

    CHECK(cps_crypto_keys_from_seed(&k, seed_a) == 0);
    cps_crypto_keys_public(k, &pub);
    cps_crypto_pub_encode(&pub, tok);
    CHECK(strcmp(tok, GOLDEN_TOKEN) == 0);
    cps_crypto_keyid_hex(&pub, hex);
    CHECK(strcmp(hex, GOLDEN_KEYID) == 0);
    /* no subkey serves two purposes */
    CHECK(memcmp(pub.sign, pub.box, 32) != 0 && memcmp(pub.box, pub.curve, 32) != 0 &&
          memcmp(pub.sign, pub.curve, 32) != 0);
    CHECK(cps_crypto_curve_secret(k) != NULL);

    /* twin: another seed gives other keys */
    CHECK(cps_crypto_keys_from_seed(&k2, seed_b) == 0);
    cps_crypto_keys_public(k2, &pub2);
    CHECK(memcmp(&pub, &pub2, sizeof pub) != 0);

    /* token round trip, and its twins */
    CHECK(cps_crypto_pub_decode(&dec, tok) == 0);
    CHECK(memcmp(&dec, &pub, sizeof pub) == 0);
    CHECK(cps_crypto_pub_decode(&dec, tok + 1) == CPS_EMALFORMED); /* "ps1:" */
    CHECK(cps_crypto_pub_decode(&dec, "cps1:") == CPS_EMALFORMED);
    tok[strlen(tok) - 4] = '\0'; /* 93 bytes */
    CHECK(cps_crypto_pub_decode(&dec, tok) == CPS_EMALFORMED);
    cps_crypto_pub_encode(&pub, tok);
    tok[20] = '*';
    CHECK(cps_crypto_pub_decode(&dec, tok) == CPS_EMALFORMED);

    cps_crypto_keys_free(&k);
    cps_crypto_keys_free(&k2);
    CHECK(k == NULL && k2 == NULL);
    cps_crypto_keys_free(&k); /* NULL-safe */
    cps_crypto_keys_free(NULL);
}

static void
test_keyfile_image(void)
{
    uint8_t raw[CPS_CRYPTO_KEYFILE_BYTES + 1];
    struct cps_keys *k = NULL;
    struct cps_pubkeys pub;
    char tok[CPS_CRYPTO_PUBTOKEN_MAX];

    image(raw, "CPSK", 1, 0, GOLDEN_KEYID, SUM_GOOD);
    write_file(path_in("golden.key"), raw, CPS_CRYPTO_KEYFILE_BYTES, 0600);
    CHECK(cps_crypto_keys_load(&k, path_in("golden.key")) == 0);
    if (k != NULL) {
        cps_crypto_keys_public(k, &pub);
        cps_crypto_pub_encode(&pub, tok);
        CHECK(strcmp(tok, GOLDEN_TOKEN) == 0);
        cps_crypto_keys_free(&k);
    }

    /* must-fail twins: every field of the image */
    CHECK(load_image(raw, CPS_CRYPTO_KEYFILE_BYTES - 1, 0600) == CPS_EKEYFILE); /* truncated */
    raw[CPS_CRYPTO_KEYFILE_BYTES] = 0;
    CHECK(load_image(raw, CPS_CRYPTO_KEYFILE_BYTES + 1, 0600) == CPS_EKEYFILE); /* too long */
    CHECK(load_image(raw, 0, 0600) == CPS_EKEYFILE);                            /* empty */
    raw[20] ^= 0x01;                                                            /* seed bit */
    CHECK(load_image(raw, CPS_CRYPTO_KEYFILE_BYTES, 0600) == CPS_EKEYFILE);
    raw[20] ^= 0x01;
    raw[79] ^= 0x80; /* checksum bit */
    CHECK(load_image(raw, CPS_CRYPTO_KEYFILE_BYTES, 0600) == CPS_EKEYFILE);
    raw[79] ^= 0x80;
    CHECK(load_image(raw, CPS_CRYPTO_KEYFILE_BYTES, 0600) == 0); /* restored */
    image(raw, "CPSX", 1, 0, GOLDEN_KEYID, SUM_GOOD);            /* tag */
    CHECK(load_image(raw, CPS_CRYPTO_KEYFILE_BYTES, 0600) == CPS_EKEYFILE);
    /* checksums right, contents wrong */
    image(raw, "CPSK", 2, 0, GOLDEN_KEYID, SUM_V2);
    CHECK(load_image(raw, CPS_CRYPTO_KEYFILE_BYTES, 0600) == CPS_EKEYFILE);
    image(raw, "CPSK", 1, 1, GOLDEN_KEYID, SUM_RES1);
    CHECK(load_image(raw, CPS_CRYPTO_KEYFILE_BYTES, 0600) == CPS_EKEYFILE);
    image(raw, "CPSK", 1, 0, "0000000000000000", SUM_KID0);
    CHECK(load_image(raw, CPS_CRYPTO_KEYFILE_BYTES, 0600) == CPS_EKEYFILE);

    /* permissions: the good image with group/other bits */
    image(raw, "CPSK", 1, 0, GOLDEN_KEYID, SUM_GOOD);
    CHECK(load_image(raw, CPS_CRYPTO_KEYFILE_BYTES, 0644) == CPS_EKEYPERM);
    CHECK(load_image(raw, CPS_CRYPTO_KEYFILE_BYTES, 0640) == CPS_EKEYPERM);
    CHECK(load_image(raw, CPS_CRYPTO_KEYFILE_BYTES, 0604) == CPS_EKEYPERM);
    CHECK(load_image(raw, CPS_CRYPTO_KEYFILE_BYTES, 0601) == CPS_EKEYPERM);
    CHECK(load_image(raw, CPS_CRYPTO_KEYFILE_BYTES, 0400) == 0);
}

static void
test_keyfile_create(void)
{
    struct cps_keys *k = NULL, *k2 = NULL;
    struct cps_pubkeys p1, p2;
    struct stat sb;
    char key[128];
    mode_t old;

    snprintf(key, sizeof key, "%s", path_in("a.key")); /* path_in() reuses its buffers */
    old = umask(0);                                    /* the file must still be 0600 */
    CHECK(cps_crypto_keyfile_create(key, false) == 0);
    umask(old);
    CHECK(stat(key, &sb) == 0 && (sb.st_mode & 0777) == 0600 && sb.st_size == 80);
    CHECK(cps_crypto_keys_load(&k, key) == 0);
    CHECK(cps_crypto_keyfile_create(key, false) == -EEXIST); /* never overwrite */
    CHECK(cps_crypto_keys_load(&k2, key) == 0);
    if (k != NULL && k2 != NULL) {
        cps_crypto_keys_public(k, &p1);
        cps_crypto_keys_public(k2, &p2);
        CHECK(memcmp(&p1, &p2, sizeof p1) == 0);
    }
    cps_crypto_keys_free(&k2);

    CHECK(cps_crypto_keyfile_create(key, true) == 0); /* --force: a new key */
    CHECK(stat(key, &sb) == 0 && (sb.st_mode & 0777) == 0600);
    CHECK(cps_crypto_keys_load(&k2, key) == 0);
    if (k != NULL && k2 != NULL) {
        cps_crypto_keys_public(k2, &p2);
        CHECK(memcmp(&p1, &p2, sizeof p1) != 0);
    }
    cps_crypto_keys_free(&k);
    cps_crypto_keys_free(&k2);

    /* a symlink is neither followed on create nor on load */
    CHECK(symlink(key, path_in("link.key")) == 0);
    CHECK(cps_crypto_keyfile_create(path_in("link.key"), false) == -EEXIST);
    CHECK(cps_crypto_keyfile_create(path_in("link.key"), true) == -EEXIST);
    CHECK(cps_crypto_keys_load(&k, path_in("link.key")) == CPS_EKEYPERM && k == NULL);
    /* a directory, a FIFO (must not block), a missing file */
    CHECK(mkdir(path_in("d.key"), 0700) == 0);
    CHECK(cps_crypto_keys_load(&k, path_in("d.key")) == CPS_EKEYPERM);
    CHECK(cps_crypto_keyfile_create(path_in("d.key"), true) == -EEXIST);
    CHECK(mkfifo(path_in("f.key"), 0600) == 0);
    CHECK(cps_crypto_keys_load(&k, path_in("f.key")) == CPS_EKEYPERM);
    CHECK(cps_crypto_keys_load(&k, path_in("missing.key")) == -ENOENT);
    CHECK(cps_crypto_keyfile_create(path_in("no/such/dir.key"), false) == -ENOENT);

    /* a key file owned by someone else (only root can make one) */
    if (geteuid() == 0) {
        CHECK(chown(key, 65534, 65534) == 0);
        CHECK(cps_crypto_keys_load(&k, key) == CPS_EKEYPERM);
        CHECK(chown(key, 0, 0) == 0);
        CHECK(cps_crypto_keys_load(&k, key) == 0);
        cps_crypto_keys_free(&k);
    }
}

static void
test_sign_verify(void)
{
    static const uint8_t msg[] = "an update body";
    uint8_t sig[CPS_CRYPTO_SIG_BYTES], sig2[CPS_CRYPTO_SIG_BYTES];
    struct cps_keys *a = NULL, *b = NULL;
    struct cps_pubkeys pa, pb;
    uint8_t *joined;
    size_t dlen = strlen("cps/update/v1\n");

    CHECK_SETUP(cps_crypto_keys_from_seed(&a, seed_a) == 0);
    CHECK_SETUP(cps_crypto_keys_from_seed(&b, seed_b) == 0);
    cps_crypto_keys_public(a, &pa);
    cps_crypto_keys_public(b, &pb);

    CHECK(cps_crypto_sign(a, "cps/update/v1\n", msg, sizeof msg, sig) == 0);
    CHECK(cps_crypto_verify(pa.sign, "cps/update/v1\n", msg, sizeof msg, sig) == 0);
    /* twins: wrong key, wrong domain, flipped message bit, flipped signature bit */
    CHECK(cps_crypto_verify(pb.sign, "cps/update/v1\n", msg, sizeof msg, sig) == CPS_EBADSIG);
    CHECK(cps_crypto_verify(pa.sign, "cps/receipt/v1\n", msg, sizeof msg, sig) == CPS_EBADSIG);
    CHECK(cps_crypto_verify(pa.sign, "", msg, sizeof msg, sig) == CPS_EBADSIG);
    {
        uint8_t m2[sizeof msg];

        memcpy(m2, msg, sizeof msg);
        m2[3] ^= 0x04;
        CHECK(cps_crypto_verify(pa.sign, "cps/update/v1\n", m2, sizeof m2, sig) == CPS_EBADSIG);
    }
    memcpy(sig2, sig, sizeof sig);
    sig2[10] ^= 0x01;
    CHECK(cps_crypto_verify(pa.sign, "cps/update/v1\n", msg, sizeof msg, sig2) == CPS_EBADSIG);
    /* the box key is not the signing key */
    CHECK(cps_crypto_verify(pa.box, "cps/update/v1\n", msg, sizeof msg, sig) == CPS_EBADSIG);

    /* the domain form is exactly raw Ed25519 over domain || msg */
    CHECK_SETUP((joined = malloc(dlen + sizeof msg)) != NULL);
    memcpy(joined, "cps/update/v1\n", dlen);
    memcpy(joined + dlen, msg, sizeof msg);
    CHECK(cps_crypto_verify_raw(pa.sign, joined, dlen + sizeof msg, sig) == 0);
    CHECK(cps_crypto_verify_raw(pa.sign, msg, sizeof msg, sig) == CPS_EBADSIG);
    CHECK(cps_crypto_sign_raw(a, joined, dlen + sizeof msg, sig2) == 0);
    CHECK(memcmp(sig, sig2, sizeof sig) == 0); /* Ed25519 is deterministic */
    free(joined);

    /* empty message */
    CHECK(cps_crypto_sign(a, "d\n", NULL, 0, sig) == 0);
    CHECK(cps_crypto_verify(pa.sign, "d\n", NULL, 0, sig) == 0);
    CHECK(cps_crypto_verify(pa.sign, "e\n", NULL, 0, sig) == CPS_EBADSIG);

    cps_crypto_keys_free(&a);
    cps_crypto_keys_free(&b);
}

static void
test_seal(void)
{
    static const uint8_t msg[] = "signed update bytes";
    uint8_t sealed[sizeof msg + CPS_CRYPTO_SEAL_OVERHEAD], sealed2[sizeof sealed];
    uint8_t opened[sizeof msg];
    struct cps_keys *node = NULL, *hub = NULL, *other = NULL;
    struct cps_pubkeys pn, ph, po;
    uint8_t seed_c[CPS_CRYPTO_SEED_BYTES];

    memset(seed_c, 0xcc, sizeof seed_c);
    CHECK_SETUP(cps_crypto_keys_from_seed(&node, seed_a) == 0);
    CHECK_SETUP(cps_crypto_keys_from_seed(&hub, seed_b) == 0);
    CHECK_SETUP(cps_crypto_keys_from_seed(&other, seed_c) == 0);
    cps_crypto_keys_public(node, &pn);
    cps_crypto_keys_public(hub, &ph);
    cps_crypto_keys_public(other, &po);

    CHECK(cps_crypto_seal(node, ph.box, msg, sizeof msg, sealed) == 0);
    CHECK(cps_crypto_open(hub, pn.box, sealed, sizeof sealed, opened) == 0);
    CHECK(memcmp(opened, msg, sizeof msg) == 0);
    /* fresh nonce: sealing twice gives different bytes */
    CHECK(cps_crypto_seal(node, ph.box, msg, sizeof msg, sealed2) == 0);
    CHECK(memcmp(sealed, sealed2, sizeof sealed) != 0);

    /* twins: wrong recipient, wrong claimed sender, the CURVE key, tampering, truncation */
    CHECK(cps_crypto_open(other, pn.box, sealed, sizeof sealed, opened) == CPS_ESEAL);
    CHECK(cps_crypto_open(hub, po.box, sealed, sizeof sealed, opened) == CPS_ESEAL);
    CHECK(cps_crypto_open(hub, pn.curve, sealed, sizeof sealed, opened) == CPS_ESEAL);
    sealed2[0] ^= 0x01; /* nonce */
    CHECK(cps_crypto_open(hub, pn.box, sealed2, sizeof sealed2, opened) == CPS_ESEAL);
    sealed[sizeof sealed - 1] ^= 0x01; /* ciphertext */
    CHECK(cps_crypto_open(hub, pn.box, sealed, sizeof sealed, opened) == CPS_ESEAL);
    sealed[sizeof sealed - 1] ^= 0x01;
    CHECK(cps_crypto_open(hub, pn.box, sealed, sizeof sealed - 1, opened) == CPS_ESEAL);
    CHECK(cps_crypto_open(hub, pn.box, sealed, CPS_CRYPTO_SEAL_OVERHEAD - 1, opened) == CPS_ESEAL);
    CHECK(cps_crypto_open(hub, pn.box, sealed, sizeof sealed, opened) == 0);

    /* an empty message seals to exactly the overhead */
    CHECK(cps_crypto_seal(node, ph.box, NULL, 0, sealed) == 0);
    CHECK(cps_crypto_open(hub, pn.box, sealed, CPS_CRYPTO_SEAL_OVERHEAD, opened) == 0);

    /* shared keys are cached per peer: more peers than the cache holds, twice round, each
     * sealing to the hub and opened by it; a low-order point is refused, never cached */
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 600; i++) {
            struct cps_keys *peer = NULL;
            struct cps_pubkeys pp;
            uint8_t seed[CPS_CRYPTO_SEED_BYTES];

            memset(seed, 0x5a, sizeof seed);
            seed[0] = (uint8_t)i;
            seed[1] = (uint8_t)(i >> 8);
            CHECK_SETUP(cps_crypto_keys_from_seed(&peer, seed) == 0);
            cps_crypto_keys_public(peer, &pp);
            CHECK(cps_crypto_seal(peer, ph.box, msg, sizeof msg, sealed) == 0);
            CHECK(cps_crypto_open(hub, pp.box, sealed, sizeof sealed, opened) == 0);
            CHECK(memcmp(opened, msg, sizeof msg) == 0);
            CHECK(cps_crypto_open(hub, pn.box, sealed, sizeof sealed, opened) == CPS_ESEAL);
            cps_crypto_keys_free(&peer);
        }
    {
        const uint8_t low_order[CPS_CRYPTO_PK_BYTES] = { 0 };

        CHECK(cps_crypto_seal(node, low_order, msg, sizeof msg, sealed) == CPS_ESEAL);
        CHECK(cps_crypto_open(hub, low_order, sealed, sizeof sealed, opened) == CPS_ESEAL);
    }

    cps_crypto_keys_free(&node);
    cps_crypto_keys_free(&hub);
    cps_crypto_keys_free(&other);
}

/* The digest lanes' expansion is the ChaCha20 keystream with a zero nonce: the RFC 7539
 * zero-key block, and libsodium's stream, byte for byte. */
static void
test_expand(void)
{
    static const uint8_t zero_key[CPS_CRYPTO_HASH_BYTES];
    static const uint8_t block0[16] = { 0x76, 0xb8, 0xe0, 0xad, 0xa0, 0xf1, 0x3d, 0x90,
                                        0x40, 0x5d, 0x6a, 0xe5, 0x53, 0x86, 0xbd, 0x28 };
    static const size_t lens[] = { 0, 1, 63, 64, 65, 2048, 4097 };
    static uint8_t got[4097], want[4097];
    const uint8_t nonce[crypto_stream_chacha20_NONCEBYTES] = { 0 };
    uint8_t key[CPS_CRYPTO_HASH_BYTES];
    size_t i;

    cps_crypto_expand(zero_key, got, 64);
    CHECK(memcmp(got, block0, sizeof block0) == 0);
    for (i = 0; i < sizeof key; i++)
        key[i] = (uint8_t)(3 * i + 1);
    for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        memset(got, 0xaa, sizeof got);
        cps_crypto_expand(key, got, lens[i]);
        crypto_stream_chacha20(want, lens[i], nonce, key);
        CHECK(memcmp(got, want, lens[i]) == 0);
        CHECK(lens[i] == sizeof got || got[lens[i]] == 0xaa); /* not a byte more */
    }
}

static void
test_hash_b64_equal(void)
{
    uint8_t h[CPS_CRYPTO_HASH_BYTES], want[CPS_CRYPTO_HASH_BYTES], bin[16];
    char b64[32];
    size_t len;

    /* SHA-256("") and SHA-256("abc") */
    cps_crypto_sha256((const uint8_t *)"", 0, h);
    unhex(want, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(memcmp(h, want, sizeof h) == 0);
    cps_crypto_sha256((const uint8_t *)"abc", 3, h);
    unhex(want, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(memcmp(h, want, sizeof h) == 0);
    CHECK(cps_crypto_equal(h, want, sizeof h));
    want[31] ^= 0x01;
    CHECK(!cps_crypto_equal(h, want, sizeof h));

    /* RFC 4648 vectors */
    CHECK(cps_crypto_b64_encode(b64, sizeof b64, (const uint8_t *)"foob", 4) == 0);
    CHECK(strcmp(b64, "Zm9vYg==") == 0);
    CHECK(cps_crypto_b64_encode(b64, 8, (const uint8_t *)"foob", 4) == -ENOSPC); /* NUL */
    CHECK(cps_crypto_b64_encode(b64, 9, (const uint8_t *)"foob", 4) == 0);
    len = sizeof bin;
    CHECK(cps_crypto_b64_decode(bin, &len, "Zm9vYmFy", 8) == 0 && len == 6 &&
          memcmp(bin, "foobar", 6) == 0);
    len = sizeof bin;
    CHECK(cps_crypto_b64_decode(bin, &len, "Zm9vYg", 6) == CPS_EMALFORMED); /* no padding */
    len = sizeof bin;
    CHECK(cps_crypto_b64_decode(bin, &len, "Zm9vYh==", 8) == CPS_EMALFORMED); /* not canonical */
    len = sizeof bin;
    CHECK(cps_crypto_b64_decode(bin, &len, "Zm9v YmFy", 9) == CPS_EMALFORMED); /* space */
    len = sizeof bin;
    CHECK(cps_crypto_b64_decode(bin, &len, "Zm9v-mFy", 8) == CPS_EMALFORMED); /* URL alphabet */
    len = 5;
    CHECK(cps_crypto_b64_decode(bin, &len, "Zm9vYmFy", 8) == CPS_EMALFORMED); /* no room */

    /* random bytes differ */
    cps_crypto_random(bin, sizeof bin);
    cps_crypto_random(want, sizeof bin);
    CHECK(memcmp(bin, want, sizeof bin) != 0);
}

static void
cleanup(void)
{
    static const char *const names[] = {"img.key", "golden.key", "a.key", "link.key", "f.key"};
    size_t i;

    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        (void)unlink(path_in(names[i]));
    (void)rmdir(path_in("d.key"));
    (void)rmdir(dir);
}

int
main(void)
{
    const char *tmp = getenv("TMPDIR");
    unsigned i;

    snprintf(dir, sizeof dir, "%s/cps-test-crypto-XXXXXX",
             tmp != NULL && strlen(tmp) < 32 ? tmp : "/tmp");
    CHECK_SETUP(mkdtemp(dir) != NULL);
    CHECK_SETUP(cps_crypto_init() == 0);
    for (i = 0; i < sizeof seed_a; i++) {
        seed_a[i] = (uint8_t)i;
        seed_b[i] = (uint8_t)(0xff - i);
    }
    test_golden_derivation();
    test_keyfile_image();
    test_keyfile_create();
    test_sign_verify();
    test_seal();
    test_hash_b64_equal();
    test_expand();
    cleanup();
    return check_done();
}
