/* SPDX-License-Identifier: ISC */
/*
 * The bundle's framing: entries.bin (u32 big-endian length, then the entry, repeated) mapped
 * and indexed, and checkpoints.txt ("checkpoint <bytes>\n", then that many bytes of signed
 * note, repeated) split into notes. What the bytes mean is check.c's business.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"

#define NOTE_MAX (64u * 1024) /* a checkpoint note is a few hundred bytes */

static int
grow(struct audit_entries *e, size_t *cap)
{
    size_t ncap = *cap == 0 ? 1024 : *cap * 2;
    uint64_t *off;
    uint32_t *len;

    if ((off = realloc(e->off, ncap * sizeof *off)) == NULL)
        return -ENOMEM;
    e->off = off;
    if ((len = realloc(e->len, ncap * sizeof *len)) == NULL)
        return -ENOMEM;
    e->len = len;
    *cap = ncap;
    return 0;
}

int
audit_entries_load(struct audit_entries *e, const char *dir, char *err, size_t err_len)
{
    char path[PATH_MAX];
    struct stat sb;
    size_t pos = 0, cap = 0;
    void *map;
    int fd, rc;

    memset(e, 0, sizeof *e);
    if ((size_t)snprintf(path, sizeof path, "%s/" AUDIT_ENTRIES_FILE, dir) >= sizeof path)
        return -ENAMETOOLONG;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
        return -errno;
    if (fstat(fd, &sb) != 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return S_ISDIR(sb.st_mode) ? -EISDIR : -EINVAL;
    }
    if (sb.st_size > 0) {
        map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            rc = -errno;
            close(fd);
            return rc;
        }
        e->map = map;
        e->map_len = (size_t)sb.st_size;
    }
    close(fd);
    while (pos < e->map_len) {
        const uint8_t *p = e->map + pos;
        uint32_t len;

        if (e->map_len - pos < 4) {
            snprintf(err, err_len,
                     "truncated at byte %zu: entry %zu at byte %zu has only %zu "
                     "of the 4 bytes of its length",
                     e->map_len, e->n, pos, e->map_len - pos);
            return CPS_EMALFORMED;
        }
        len = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        if (len == 0 || len > AUDIT_ENTRY_MAX) {
            snprintf(err, err_len,
                     "byte %zu: entry %zu declares %" PRIu32 " bytes, which no "
                     "entry can have",
                     pos, e->n, len);
            return CPS_EMALFORMED;
        }
        if (e->map_len - pos - 4 < len) {
            snprintf(err, err_len,
                     "truncated at byte %zu: entry %zu at byte %zu declares %" PRIu32
                     " bytes, %zu remain",
                     e->map_len, e->n, pos, len, e->map_len - pos - 4);
            return CPS_EMALFORMED;
        }
        if (e->n == cap && (rc = grow(e, &cap)) != 0)
            return rc;
        e->off[e->n] = pos + 4;
        e->len[e->n] = len;
        e->n++;
        pos += 4 + (size_t)len;
    }
    return 0;
}

void
audit_entries_free(struct audit_entries *e)
{
    if (e->map != NULL)
        munmap((void *)e->map, e->map_len);
    free(e->off);
    free(e->len);
    memset(e, 0, sizeof *e);
}

int
audit_notes_split(struct audit_note **notes, size_t *n, const char *text, size_t len, char *err,
                  size_t err_len)
{
    static const char tag[] = "checkpoint ";
    struct audit_note *v = NULL, *nv;
    size_t pos = 0, cap = 0;

    *notes = NULL;
    *n = 0;
    while (pos < len) {
        size_t at = pos, digits = 0, bytes = 0;

        if (len - pos < sizeof tag - 1 || memcmp(text + pos, tag, sizeof tag - 1) != 0) {
            snprintf(err, err_len,
                     "byte %zu: checkpoint %zu does not start with a "
                     "\"checkpoint <bytes>\" line",
                     pos, *n + 1);
            goto malformed;
        }
        pos += sizeof tag - 1;
        while (pos < len && text[pos] >= '0' && text[pos] <= '9' && digits < 7) {
            bytes = bytes * 10 + (size_t)(text[pos] - '0');
            pos++;
            digits++;
        }
        if (digits == 0 || text[at + sizeof tag - 1] == '0' || pos >= len || text[pos] != '\n' ||
            bytes > NOTE_MAX) {
            snprintf(err, err_len, "byte %zu: checkpoint %zu: bad \"checkpoint <bytes>\" line", at,
                     *n + 1);
            goto malformed;
        }
        pos++;
        if (len - pos < bytes) {
            snprintf(err, err_len,
                     "truncated at byte %zu: checkpoint %zu at byte %zu declares "
                     "%zu bytes, %zu remain",
                     len, *n + 1, at, bytes, len - pos);
            goto malformed;
        }
        if (*n == cap) {
            cap = cap == 0 ? 64 : cap * 2;
            if ((nv = realloc(v, cap * sizeof *v)) == NULL) {
                free(v);
                *n = 0;
                return -ENOMEM;
            }
            v = nv;
        }
        v[*n] = (struct audit_note){.at = at, .note = text + pos, .note_len = bytes};
        (*n)++;
        pos += bytes;
    }
    *notes = v;
    return 0;
malformed:
    free(v);
    *n = 0;
    return CPS_EMALFORMED;
}
