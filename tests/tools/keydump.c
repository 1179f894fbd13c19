/* SPDX-License-Identifier: ISC */
/*
 * keydump: FOR THE SECRETS TEST ONLY (tests/cli/secrets.sh). Prints every secret a key file
 * holds, in the encodings a leak could take, so that the test can look for them in logs and
 * outputs; or searches files for their raw bytes. Never use it on a real key.
 *   keydump KEYFILE                   lines "<secret> <encoding> <text>"
 *   keydump KEYFILE --search FILE...  exit 1 if a file holds 16 or more bytes of a secret
 * The secrets: the seed, the three subkeys derived from it (crypto.c: crypto_kdf ids 1-3),
 * and the X25519 secret keys made from subkeys 2 and 3 (crypto_box_seed_keypair hashes its
 * seed); the Ed25519 secret key is subkey 1 followed by the public key. The derivation is
 * redone here with libsodium and checked against what libcps loads (public keys, CURVE
 * secret), so the test cannot silently look for the wrong bytes.
 */
#define _GNU_SOURCE /* memmem */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "cps/crypto.h"

#define N_SECRETS 6
#define WINDOW 16 /* bytes of a secret that count as a leak when found raw */

static const char *const names[N_SECRETS] = {"seed",   "subkey1-sign",  "subkey2-box",
                                             "box-sk", "subkey3-curve", "curve-sk"};
static uint8_t secrets[N_SECRETS][32];

static void
die(const char *what)
{
    fprintf(stderr, "keydump: %s\n", what);
    exit(2);
}

/* Read the 80-byte key file, derive every secret, and check against libcps. */
static void
load(const char *path)
{
    uint8_t raw[CPS_CRYPTO_KEYFILE_BYTES], *seed = raw + 16, pk[32], sk64[64], boxpk[32],
                                           curvepk[32];
    struct cps_keys *keys = NULL;
    struct cps_pubkeys pub;
    int fd;

    if (sodium_init() < 0)
        die("libsodium");
    if ((fd = open(path, O_RDONLY)) == -1 || read(fd, raw, sizeof raw) != (ssize_t)sizeof raw)
        die("cannot read the key file");
    close(fd);
    memcpy(secrets[0], seed, 32);
    if (crypto_kdf_derive_from_key(secrets[1], 32, 1, "cps-keys", seed) != 0 ||
        crypto_kdf_derive_from_key(secrets[2], 32, 2, "cps-keys", seed) != 0 ||
        crypto_kdf_derive_from_key(secrets[4], 32, 3, "cps-keys", seed) != 0 ||
        crypto_sign_seed_keypair(pk, sk64, secrets[1]) != 0 ||
        crypto_box_seed_keypair(boxpk, secrets[3], secrets[2]) != 0 ||
        crypto_box_seed_keypair(curvepk, secrets[5], secrets[4]) != 0)
        die("derivation");
    if (cps_crypto_keys_load(&keys, path) != 0)
        die("libcps refuses the key file");
    cps_crypto_keys_public(keys, &pub);
    if (memcmp(pub.sign, pk, 32) != 0 || memcmp(pub.box, boxpk, 32) != 0 ||
        memcmp(pub.curve, curvepk, 32) != 0 ||
        memcmp(cps_crypto_curve_secret(keys), secrets[5], 32) != 0 ||
        memcmp(sk64, secrets[1], 32) != 0)
        die("the derivation here differs from libcps's: fix keydump");
    cps_crypto_keys_free(&keys);
    sodium_memzero(raw, sizeof raw);
    sodium_memzero(sk64, sizeof sk64);
}

static void
print_b64(const char *name, const char *enc, const uint8_t *b, size_t n, int variant)
{
    char out[128];

    sodium_bin2base64(out, sizeof out, b, n, variant);
    printf("%s %s %s\n", name, enc, out);
}

/*
 * The text of a secret inside a longer encoded blob depends on where it starts within an
 * encoding group (3 bytes for base64, 4 for Z85): encode zeros(shift) || secret || padding
 * and keep only the groups made of secret bytes alone.
 */
static void
print_shifted(const char *name, const uint8_t *s)
{
    uint8_t buf[48];
    char out[128];
    size_t shift, n, len, group;

    for (shift = 1; shift < 4; shift++) {
        /* base64: groups of 3 bytes, 4 characters */
        if (shift < 3) {
            memset(buf, 0, sizeof buf);
            memcpy(buf + shift, s, 32);
            n = (shift + 32 + 2) / 3 * 3;
            sodium_bin2base64(out, sizeof out, buf, n, sodium_base64_VARIANT_ORIGINAL);
            len = strlen(out);
            group = 4;
            out[len - group] = '\0';
            printf("%s base64+%zu %s\n", name, shift, out + group);
        }
        /* Z85: groups of 4 bytes, 5 characters */
        memset(buf, 0, sizeof buf);
        memcpy(buf + shift, s, 32);
        n = (shift + 32 + 3) / 4 * 4;
        if (zmq_z85_encode(out, buf, n) == NULL)
            die("z85");
        len = strlen(out);
        group = 5;
        out[len - group] = '\0';
        printf("%s z85+%zu %s\n", name, shift, out + group);
    }
}

static void
print_all(void)
{
    char hex[65], z85[41];
    size_t i, j;

    for (i = 0; i < N_SECRETS; i++) {
        sodium_bin2hex(hex, sizeof hex, secrets[i], 32);
        printf("%s hex %s\n", names[i], hex);
        for (j = 0; hex[j] != '\0'; j++)
            if (hex[j] >= 'a' && hex[j] <= 'f')
                hex[j] = (char)(hex[j] - 'a' + 'A');
        printf("%s HEX %s\n", names[i], hex);
        print_b64(names[i], "base64", secrets[i], 32, sodium_base64_VARIANT_ORIGINAL);
        print_b64(names[i], "base64-nopad", secrets[i], 32,
                  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
        print_b64(names[i], "base64url", secrets[i], 32, sodium_base64_VARIANT_URLSAFE);
        print_b64(names[i], "base64url-nopad", secrets[i], 32,
                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        if (zmq_z85_encode(z85, secrets[i], 32) == NULL)
            die("z85");
        printf("%s z85 %s\n", names[i], z85);
        print_shifted(names[i], secrets[i]);
    }
}

/* Whether buf[0..len) holds WINDOW consecutive bytes of a secret; prints where. */
static int
search_buf(const char *path, const uint8_t *buf, size_t len, off_t at)
{
    size_t i, off;
    const uint8_t *hit;

    for (i = 0; i < N_SECRETS; i++)
        for (off = 0; off + WINDOW <= 32; off++)
            if ((hit = memmem(buf, len, secrets[i] + off, WINDOW)) != NULL) {
                printf("%s: byte %lld holds bytes %zu..%zu of the %s\n", path,
                       (long long)(at + (hit - buf)), off, off + WINDOW - 1, names[i]);
                return 1;
            }
    return 0;
}

/* Whether path holds WINDOW consecutive bytes of any secret. Reads only the file's data
 * (an LMDB map is a sparse file as large as the map), in chunks that overlap by 31 bytes. */
static int
search(const char *path)
{
    enum { CHUNK = 1 << 20, OVERLAP = 31 };
    static uint8_t buf[CHUNK + OVERLAP];
    off_t data, hole, pos;
    size_t keep = 0;
    ssize_t n;
    int fd, found = 0;

    if ((fd = open(path, O_RDONLY)) == -1)
        die(path);
    for (pos = 0; !found && (data = lseek(fd, pos, SEEK_DATA)) != -1; pos = hole) {
        if ((hole = lseek(fd, data, SEEK_HOLE)) == -1)
            die(path);
        keep = 0;
        for (pos = data; !found && pos < hole; pos += n) {
            size_t want = (size_t)(hole - pos) < CHUNK ? (size_t)(hole - pos) : CHUNK;

            if ((n = pread(fd, buf + keep, want, pos)) <= 0)
                die(path);
            found = search_buf(path, buf, keep + (size_t)n, pos - (off_t)keep);
            /* the last bytes again at the start: a secret across two chunks */
            if (keep + (size_t)n > OVERLAP) {
                memmove(buf, buf + keep + (size_t)n - OVERLAP, OVERLAP);
                keep = OVERLAP;
            }
        }
    }
    close(fd);
    return found;
}

int
main(int argc, char **argv)
{
    int i, found = 0;

    if (argc < 2 || (argc > 2 && strcmp(argv[2], "--search") != 0)) {
        fprintf(stderr, "usage: keydump KEYFILE [--search FILE...]\n");
        return 2;
    }
    load(argv[1]);
    if (argc == 2) {
        print_all();
        return 0;
    }
    for (i = 3; i < argc; i++)
        found |= search(argv[i]);
    sodium_memzero(secrets, sizeof secrets);
    return found ? 1 : 0;
}
