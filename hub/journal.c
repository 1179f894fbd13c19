/* SPDX-License-Identifier: ISC */
/*
 * The journal: where a group of new log entries becomes durable before the hub acks it.
 *
 * An LMDB durable commit of one small update rewrites about twenty pages scattered over
 * the store and syncs them (0.9 ms on the benchmark machine); an append of the same
 * entries to a preallocated file, overwritten in place as PostgreSQL recycles its WAL,
 * syncs one or two contiguous pages (0.12 ms). So the writer appends each group's entries
 * here, fdatasyncs, acks, and commits the store (durably, as before) when it has nothing
 * else to do or the journal is full or old. Once such a commit covers everything the
 * journal holds, the journal starts over at offset 0 under a new random generation.
 *
 * A record: header (magic, generation, index of its first entry, number of entries,
 * payload length), payload (each entry: 4-byte length, bytes), SHA-256 of both. Recovery
 * reads records from offset 0 while each is whole (its hash matches), has the generation
 * of the first and continues its indexes; a torn record, or one left from an earlier
 * generation, ends the journal. `cps-hub run` (cmd_run.c) applies the entries through
 * cps_replay_entry like any replica's (signature, chain, decision), so nothing in this
 * file is trusted.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cps/crypto.h"
#include "cps/err.h"
#include "hub.h"

#define MAGIC "CPSJ"
#define HEADER_BYTES 32 /* magic 4, payload length 4, generation 8, first 8, count 8 */
#define CHUNK (1u << 20)
#define IOV_MAX_BATCH 512

struct hub_journal {
    int fd;
    uint64_t size;       /* of the preallocated file */
    uint64_t used;       /* next record's offset */
    uint64_t generation; /* of the records being written */
    char path[PATH_MAX];
};

static void
le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void
le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t
get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t
get64(const uint8_t *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

int
hub_fsync_dir(const char *dir)
{
    int fd, rc = 0;

    if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
        return -errno;
    if (fsync(fd) != 0)
        rc = -errno;
    close(fd);
    return rc;
}

/* Grow the file to size with written zeros (not holes: a sync must not have to allocate). */
static int
fill(struct hub_journal *j, uint64_t size)
{
    struct stat sb;
    uint8_t *zero;
    uint64_t at;
    int rc = 0;

    if (fstat(j->fd, &sb) != 0)
        return -errno;
    if ((uint64_t)sb.st_size >= size) {
        j->size = (uint64_t)sb.st_size;
        return 0;
    }
    if ((zero = calloc(1, CHUNK)) == NULL)
        return -ENOMEM;
    for (at = (uint64_t)sb.st_size; at < size && rc == 0;) {
        size_t n = size - at < CHUNK ? (size_t)(size - at) : CHUNK;
        ssize_t w = pwrite(j->fd, zero, n, (off_t)at);

        if (w < 0 && errno != EINTR)
            rc = -errno;
        else if (w == 0)
            rc = -EIO;
        else if (w > 0)
            at += (uint64_t)w;
    }
    free(zero);
    if (rc == 0 && fsync(j->fd) != 0)
        rc = -errno;
    if (rc == 0)
        j->size = size;
    return rc;
}

int
hub_journal_open(struct hub_journal **out, const char *dir, char *err, size_t err_len)
{
    struct hub_journal *j;
    int rc;

    *out = NULL;
    if ((j = calloc(1, sizeof *j)) == NULL) {
        snprintf(err, err_len, "journal: out of memory");
        return -ENOMEM;
    }
    if ((size_t)snprintf(j->path, sizeof j->path, "%s/" HUB_JOURNAL_FILE, dir) >= sizeof j->path) {
        free(j);
        snprintf(err, err_len, "%s: path too long", dir);
        return -ENAMETOOLONG;
    }
    if ((j->fd = open(j->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
        rc = -errno;
        snprintf(err, err_len, "%s: %s", j->path, strerror(errno));
        free(j);
        return rc;
    }
    if (flock(j->fd, LOCK_EX | LOCK_NB) != 0) { /* one hub per folder */
        rc = -errno;
        snprintf(err, err_len, "%s: %s", j->path,
                 errno == EWOULDBLOCK ? "in use by another cps-hub run" : strerror(errno));
        hub_journal_close(&j);
        return rc;
    }
    if ((rc = fill(j, HUB_JOURNAL_BYTES)) != 0 || (rc = hub_fsync_dir(dir)) != 0) {
        snprintf(err, err_len, "%s: %s", j->path, strerror(-rc));
        hub_journal_close(&j);
        return rc;
    }
    cps_crypto_random(&j->generation, sizeof j->generation);
    *out = j;
    return 0;
}

void
hub_journal_close(struct hub_journal **j)
{
    if (*j == NULL)
        return;
    if ((*j)->fd != -1)
        close((*j)->fd);
    free(*j);
    *j = NULL;
}

const char *
hub_journal_path(const struct hub_journal *j)
{
    return j->path;
}

bool
hub_journal_fits(const struct hub_journal *j, const struct iovec *ents, size_t n)
{
    uint64_t need = HEADER_BYTES + CPS_CRYPTO_HASH_BYTES;

    for (size_t i = 0; i < n; i++)
        need += 4 + ents[i].iov_len;
    return need - HEADER_BYTES - CPS_CRYPTO_HASH_BYTES <= UINT32_MAX && j->used + need <= j->size;
}

int
hub_journal_append(struct hub_journal *j, uint64_t first, const struct iovec *ents, size_t n)
{
    uint8_t head[HEADER_BYTES], *lens = NULL, hash[CPS_CRYPTO_HASH_BYTES];
    struct cps_crypto_part *parts = NULL;
    struct iovec *iov = NULL;
    uint64_t payload = 0, at = j->used;
    size_t i, k = 0, n_iov = 2 * n + 2;
    int rc = 0;

    if (n == 0)
        return 0;
    if (!hub_journal_fits(j, ents, n))
        return -ENOSPC;
    for (i = 0; i < n; i++)
        payload += 4 + ents[i].iov_len;
    if ((lens = malloc(4 * n)) == NULL || (iov = calloc(n_iov, sizeof *iov)) == NULL ||
        (parts = calloc(n_iov, sizeof *parts)) == NULL) {
        rc = -ENOMEM;
        goto done;
    }
    memcpy(head, MAGIC, 4);
    le32(head + 4, (uint32_t)payload);
    le64(head + 8, j->generation);
    le64(head + 16, first);
    le64(head + 24, n);
    iov[k++] = (struct iovec){head, sizeof head};
    for (i = 0; i < n; i++) {
        le32(lens + 4 * i, (uint32_t)ents[i].iov_len);
        iov[k++] = (struct iovec){lens + 4 * i, 4};
        iov[k++] = ents[i];
    }
    for (i = 0; i < k; i++)
        parts[i] = (struct cps_crypto_part){iov[i].iov_base, iov[i].iov_len};
    cps_crypto_sha256_parts(parts, k, hash);
    iov[k++] = (struct iovec){hash, sizeof hash};
    /* pwritev takes at most IOV_MAX vectors: write in batches */
    for (i = 0; i < k && rc == 0;) {
        int cnt = k - i < IOV_MAX_BATCH ? (int)(k - i) : IOV_MAX_BATCH;
        ssize_t w = pwritev(j->fd, iov + i, cnt, (off_t)at);

        if (w <= 0) {
            if (w == 0 || errno != EINTR)
                rc = w == 0 ? -EIO : -errno;
            continue;
        }
        at += (uint64_t)w;
        while (w > 0 && i < k) { /* skip what was written, part of a vector too */
            if ((size_t)w >= iov[i].iov_len) {
                w -= (ssize_t)iov[i].iov_len;
                i++;
            } else {
                iov[i].iov_base = (uint8_t *)iov[i].iov_base + w;
                iov[i].iov_len -= (size_t)w;
                w = 0;
            }
        }
    }
    if (rc == 0 && fdatasync(j->fd) != 0)
        rc = -errno;
    if (rc == 0)
        j->used = at;
done:
    free(lens);
    free(iov);
    free(parts);
    return rc;
}

void
hub_journal_reset(struct hub_journal *j)
{
    j->used = 0;
    cps_crypto_random(&j->generation, sizeof j->generation);
}

uint64_t
hub_journal_used(const struct hub_journal *j)
{
    return j->used;
}

/* All n bytes at off, or -errno: a read error must not look like the journal's end. */
static int
read_at(int fd, void *buf, size_t n, uint64_t off)
{
    size_t got = 0;

    while (got < n) {
        ssize_t r = pread(fd, (uint8_t *)buf + got, n - got, (off_t)(off + got));

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r == 0 ? -EIO : -errno;
        got += (size_t)r;
    }
    return 0;
}

int
hub_journal_scan(struct hub_journal *j, hub_journal_fn fn, void *arg)
{
    uint8_t head[HEADER_BYTES], hash[CPS_CRYPTO_HASH_BYTES];
    uint8_t *buf = NULL;
    uint64_t at = 0, gen = 0, next = 0;
    bool first = true;
    int rc = 0;

    while (at + HEADER_BYTES + CPS_CRYPTO_HASH_BYTES <= j->size) {
        uint64_t payload, start, count, i, off;
        struct cps_crypto_part parts[2];

        if ((rc = read_at(j->fd, head, sizeof head, at)) != 0 || memcmp(head, MAGIC, 4) != 0)
            break;
        payload = get32(head + 4);
        start = get64(head + 16);
        count = get64(head + 24);
        if ((!first && (get64(head + 8) != gen || start != next)) ||
            at + HEADER_BYTES + payload + CPS_CRYPTO_HASH_BYTES > j->size || count > payload / 4)
            break;
        free(buf);
        if ((buf = malloc(payload + CPS_CRYPTO_HASH_BYTES)) == NULL) {
            rc = -ENOMEM;
            break;
        }
        if ((rc = read_at(j->fd, buf, payload + CPS_CRYPTO_HASH_BYTES, at + HEADER_BYTES)) != 0)
            break;
        parts[0] = (struct cps_crypto_part){head, sizeof head};
        parts[1] = (struct cps_crypto_part){buf, payload};
        cps_crypto_sha256_parts(parts, 2, hash);
        if (!cps_crypto_equal(hash, buf + payload, sizeof hash))
            break; /* torn: never synced, never acked */
        /* whole: every length must fit the payload exactly */
        for (i = 0, off = 0; i < count; i++) {
            uint32_t len;

            if (payload - off < 4 || payload - off - 4 < (len = get32(buf + off)))
                break;
            off += 4 + len;
        }
        if (i != count || off != payload) {
            rc = CPS_EMALFORMED;
            break;
        }
        for (i = 0, off = 0; i < count && rc == 0; i++) {
            uint32_t len = get32(buf + off);

            rc = fn(arg, start + i, buf + off + 4, len);
            off += 4 + len;
        }
        if (rc != 0)
            break;
        if (first)
            gen = get64(head + 8);
        first = false;
        next = start + count;
        at += HEADER_BYTES + payload + CPS_CRYPTO_HASH_BYTES;
    }
    free(buf);
    return rc;
}
