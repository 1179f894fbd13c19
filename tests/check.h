/* SPDX-License-Identifier: ISC */
/*
 * Minimal test harness: CHECK() counts and reports; check_done() prints the closing
 * "N passed, N failed" line and returns the exit code meson reads (0 pass, 1 fail).
 */
#ifndef CPS_TESTS_CHECK_H
#define CPS_TESTS_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int checks_run, checks_failed;

#define CHECK(expr)                                                                     \
    do {                                                                                \
        checks_run++;                                                                   \
        if (!(expr)) {                                                                  \
            checks_failed++;                                                            \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #expr);    \
        }                                                                               \
    } while (0)

/* Harness broken (cannot even set up): exit 99, as meson expects. */
#define CHECK_SETUP(expr)                                                               \
    do {                                                                                \
        if (!(expr)) {                                                                  \
            fprintf(stderr, "%s:%d: setup failed: %s\n", __FILE__, __LINE__, #expr);    \
            exit(99);                                                                   \
        }                                                                               \
    } while (0)

static inline int
check_done(void)
{
    printf("%d passed, %d failed\n", checks_run - checks_failed, checks_failed);
    return checks_failed == 0 ? 0 : 1;
}

#endif
