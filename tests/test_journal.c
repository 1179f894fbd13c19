/* SPDX-License-Identifier: ISC */
/*
 * Tests for the hub's journal (hub/journal.c): records read back in order, across a
 * reopen; after a reset, records of the earlier generation behind the new ones are never
 * read; a torn record ends the journal there; a whole record whose lengths do not add up
 * is malformed; a record larger than the file does not fit. Works in its own mkdtemp
 * directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"
#include "cps/crypto.h"
#include "cps/err.h"
#include "hub.h"

#define HEADER 32
#define HASH CPS_CRYPTO_HASH_BYTES

static char dir[] = "/tmp/cps-test-journal-XXXXXX";

struct seen {
    size_t n;
    uint64_t index[16];
    char text[16][64];
};

static int
collect(void *arg, uint64_t index, const uint8_t *entry, size_t len)
{
    struct seen *s = arg;

    if (s->n == 16 || len >= sizeof s->text[0])
        return -E2BIG;
    s->index[s->n] = index;
    memcpy(s->text[s->n], entry, len);
    s->text[s->n][len] = 0;
    s->n++;
    return 0;
}

static int
append(struct hub_journal *j, uint64_t first, const char **texts, size_t n)
{
    struct iovec iov[8];

    for (size_t i = 0; i < n; i++)
        iov[i] = (struct iovec){(void *)texts[i], strlen(texts[i])};
    return hub_journal_append(j, first, iov, n);
}

/* bytes of a record of these entries */
static size_t
record_bytes(const char **texts, size_t n)
{
    size_t b = HEADER + HASH;

    for (size_t i = 0; i < n; i++)
        b += 4 + strlen(texts[i]);
    return b;
}

static void
flip(const char *path, off_t at)
{
    int fd = open(path, O_RDWR);
    uint8_t b;

    CHECK_SETUP(fd >= 0 && pread(fd, &b, 1, at) == 1);
    b ^= 0x40;
    CHECK_SETUP(pwrite(fd, &b, 1, at) == 1);
    close(fd);
}

static void
le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

int
main(void)
{
    const char *a[] = {"entry zero", "entry one", "entry two"}, *b[] = {"three", "four"};
    const char *c[] = {"five"}, *d[] = {"six", "seven"};
    struct hub_journal *j = NULL;
    struct seen s;
    char err[256], path[128];
    struct iovec huge;

    CHECK_SETUP(cps_crypto_init() == 0 && mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/" HUB_JOURNAL_FILE, dir);

    /* a new journal: preallocated, empty */
    CHECK_SETUP(hub_journal_open(&j, dir, err, sizeof err) == 0);
    memset(&s, 0, sizeof s);
    CHECK(hub_journal_scan(j, collect, &s) == 0 && s.n == 0);
    {
        struct stat st;
        CHECK(stat(path, &st) == 0 && (uint64_t)st.st_size == HUB_JOURNAL_BYTES &&
              (st.st_mode & 0777) == 0600 && st.st_blocks * 512 >= st.st_size);
    }

    /* two records, read back in order, also after a reopen */
    CHECK(append(j, 0, a, 3) == 0);
    CHECK(append(j, 3, b, 2) == 0);
    CHECK(hub_journal_used(j) == record_bytes(a, 3) + record_bytes(b, 2));
    hub_journal_close(&j);
    CHECK_SETUP(hub_journal_open(&j, dir, err, sizeof err) == 0);
    memset(&s, 0, sizeof s);
    CHECK(hub_journal_scan(j, collect, &s) == 0 && s.n == 5);
    CHECK(s.index[0] == 0 && strcmp(s.text[0], "entry zero") == 0);
    CHECK(s.index[2] == 2 && strcmp(s.text[2], "entry two") == 0);
    CHECK(s.index[4] == 4 && strcmp(s.text[4], "four") == 0);

    /* after a reset, a shorter record at offset 0: the old generation behind it is not read */
    hub_journal_reset(j);
    CHECK(append(j, 5, c, 1) == 0);
    memset(&s, 0, sizeof s);
    CHECK(hub_journal_scan(j, collect, &s) == 0 && s.n == 1 && s.index[0] == 5 &&
          strcmp(s.text[0], "five") == 0);

    /* a torn record (one byte of its payload changed) ends the journal before it */
    CHECK(append(j, 6, d, 2) == 0);
    memset(&s, 0, sizeof s);
    CHECK(hub_journal_scan(j, collect, &s) == 0 && s.n == 3 && s.index[2] == 7);
    flip(path, (off_t)(record_bytes(c, 1) + HEADER + 5));
    memset(&s, 0, sizeof s);
    CHECK(hub_journal_scan(j, collect, &s) == 0 && s.n == 1 && s.index[0] == 5);
    /* so does a record whose indexes do not continue (a header changed: hash fails too) */
    flip(path, (off_t)(record_bytes(c, 1) + HEADER + 5));
    memset(&s, 0, sizeof s);
    CHECK(hub_journal_scan(j, collect, &s) == 0 && s.n == 3);
    flip(path, (off_t)(record_bytes(c, 1) + 16));
    memset(&s, 0, sizeof s);
    CHECK(hub_journal_scan(j, collect, &s) == 0 && s.n == 1);

    /* a whole record (its hash matches) whose second length runs past its payload */
    {
        uint8_t rec[HEADER + 11 + HASH];
        struct cps_crypto_part part = {rec, HEADER + 11};
        int fd;

        memcpy(rec, "CPSJ", 4);
        le(rec + 4, 11, 4);
        le(rec + 8, 42, 8);
        le(rec + 16, 0, 8);
        le(rec + 24, 2, 8);
        le(rec + HEADER, 3, 4);
        memcpy(rec + HEADER + 4, "abc", 3);
        le(rec + HEADER + 7, 50, 4);
        cps_crypto_sha256_parts(&part, 1, rec + HEADER + 11);
        CHECK_SETUP((fd = open(path, O_WRONLY)) >= 0 &&
                    pwrite(fd, rec, sizeof rec, 0) == (ssize_t)sizeof rec);
        close(fd);
        memset(&s, 0, sizeof s);
        CHECK(hub_journal_scan(j, collect, &s) == CPS_EMALFORMED && s.n == 0);
    }

    /* what cannot fit is refused, and nothing is written */
    hub_journal_reset(j);
    huge = (struct iovec){calloc(1, HUB_JOURNAL_BYTES), HUB_JOURNAL_BYTES};
    CHECK_SETUP(huge.iov_base != NULL);
    CHECK(!hub_journal_fits(j, &huge, 1));
    CHECK(hub_journal_append(j, 0, &huge, 1) == -ENOSPC && hub_journal_used(j) == 0);
    free(huge.iov_base);

    hub_journal_close(&j);
    unlink(path);
    rmdir(dir);
    return check_done();
}
