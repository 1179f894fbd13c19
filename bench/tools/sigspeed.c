/* SPDX-License-Identifier: ISC */
/*
 * sigspeed: Ed25519 verifications per second on one core, as cps verifies them
 * (cps_crypto_verify_raw: libsodium), over messages of BYTES bytes; the median of 5 rounds
 * of N. What bounds `cps-audit verify` on small entries: bench/audit.sh prints it beside.
 *
 *   sigspeed [BYTES [N]]      (defaults 600 and 4000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cps/crypto.h"

static int
cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
    uint8_t seed[CPS_CRYPTO_SEED_BYTES] = {7}, sig[CPS_CRYPTO_SIG_BYTES], *msg;
    size_t bytes = argc > 1 ? strtoul(argv[1], NULL, 10) : 600;
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 4000, i, ok = 0;
    struct cps_pubkeys pub;
    struct cps_keys *keys = NULL;
    double rate[5];

    if (n < 1 || bytes < 1 || (msg = calloc(1, bytes)) == NULL || cps_crypto_init() != 0 ||
        cps_crypto_keys_from_seed(&keys, seed) != 0 ||
        cps_crypto_sign_raw(keys, msg, bytes, sig) != 0) {
        fprintf(stderr, "usage: sigspeed [BYTES [N]]\n");
        return 2;
    }
    cps_crypto_keys_public(keys, &pub);
    for (int r = 0; r < 5; r++) {
        struct timespec a, b;

        clock_gettime(CLOCK_MONOTONIC, &a);
        for (i = 0; i < n; i++)
            ok += cps_crypto_verify_raw(pub.sign, msg, bytes, sig) == 0;
        clock_gettime(CLOCK_MONOTONIC, &b);
        rate[r] =
            (double)n / ((double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
    }
    qsort(rate, 5, sizeof rate[0], cmp);
    printf("%.0f\n", ok == 5 * n ? rate[2] : 0.0);
    cps_crypto_keys_free(&keys);
    free(msg);
    return ok == 5 * n ? 0 : 1;
}
