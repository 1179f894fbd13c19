/* SPDX-License-Identifier: ISC */
/*
 * Shared by the libFuzzer targets of tests/fuzz/ (one decoder per fuzz_<name>.c), the seed
 * generator (seeds.c) and the corpus replay driver (replay.c): the entry point's prototype,
 * an assertion that stops the run on a broken invariant, and the fixed keys that sign seeds
 * and let the targets reach the code behind a signature check (a fuzzer cannot forge one).
 */
#ifndef CPS_TESTS_FUZZ_H
#define CPS_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cps/crypto.h"
#include "cps/note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property every input must keep: a failure is a finding, like a crash. */
#define FUZZ_ASSERT(expr)                                                                          \
    do {                                                                                           \
        if (!(expr)) {                                                                             \
            fprintf(stderr, "%s:%d: FUZZ_ASSERT(%s) failed\n", __FILE__, __LINE__, #expr);         \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The name the fixed key signs notes under (roster programme key, checkpoints). */
#define FUZZ_KEY_NAME "fuzz.example/log"
#define FUZZ_PROGRAMME "ClusterPoliSEE"

/* Fixed keys (seed 0x42..., 0x43... for a partner), made once, never freed: the fuzzer's
 * leak check runs per input, and these are process-wide. */
static inline const struct cps_keys *
fuzz_keys(int which)
{
    static struct cps_keys *k[2];

    if (k[which] == NULL) {
        uint8_t seed[CPS_CRYPTO_SEED_BYTES];

        memset(seed, which == 0 ? 0x42 : 0x43, sizeof seed);
        if (cps_crypto_keys_from_seed(&k[which], seed) != 0)
            abort();
    }
    return k[which];
}

/* The verifier of fuzz_keys(0) under FUZZ_KEY_NAME. */
static inline const struct cps_note_verifier *
fuzz_verifier(void)
{
    static struct cps_note_verifier v;
    static int ready;

    if (!ready) {
        struct cps_pubkeys pub;

        cps_crypto_keys_public(fuzz_keys(0), &pub);
        snprintf(v.name, sizeof v.name, "%s", FUZZ_KEY_NAME);
        memcpy(v.pk, pub.sign, sizeof v.pk);
        cps_note_keyid(v.name, v.pk, v.id);
        ready = 1;
    }
    return &v;
}

/* A NUL-terminated copy of data (for APIs that take C strings); the caller frees it. */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (s == NULL)
        abort();
    if (size > 0)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* text, "\n", and one signature line of fuzz_keys(0) under FUZZ_KEY_NAME over text, built by
 * hand rather than with cps_note_sign() so that any text, even one cps_note_sign() refuses,
 * reaches the verifier with a valid signature. *out_len bytes, malloc'd, NUL-terminated. */
static inline char *
fuzz_sign_note(const char *text, size_t len, size_t *out_len)
{
    uint8_t blob[4 + CPS_CRYPTO_SIG_BYTES];
    char b64[128];
    size_t n;
    char *out;

    memcpy(blob, fuzz_verifier()->id, 4);
    if (cps_crypto_sign_raw(fuzz_keys(0), (const uint8_t *)text, len, blob + 4) != 0 ||
        cps_crypto_b64_encode(b64, sizeof b64, blob, sizeof blob) != 0)
        abort();
    n = len + 1 + strlen("\xe2\x80\x94 " FUZZ_KEY_NAME " ") + strlen(b64) + 1;
    if ((out = malloc(n + 1)) == NULL)
        abort();
    if (len > 0)
        memcpy(out, text, len);
    snprintf(out + len, n + 1 - len, "\n\xe2\x80\x94 " FUZZ_KEY_NAME " %s\n", b64);
    *out_len = n;
    return out;
}

#endif
