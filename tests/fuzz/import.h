/* SPDX-License-Identifier: ISC */
/*
 * The body of the two import targets (fuzz_import_ndjson.c, fuzz_import_csv.c): the input
 * becomes a file in memory (memfd) that cps_import_open() reads by its /proc path, as it
 * would read a partner's file; every record is read, and after an error the reader goes on
 * (as --skip-invalid does). Every record's value must be a msgpack map that the bounds
 * walker accepts and that converts to JSON, or else that the schema check refuses.
 */
#ifndef CPS_TESTS_FUZZ_IMPORT_H
#define CPS_TESTS_FUZZ_IMPORT_H

#include <sys/mman.h>
#include <unistd.h>

#include "cps/import.h"
#include "cps/value.h"
#include "fuzz.h"

/* More reads than a file of this size can have lines: a reader that stops advancing. */
#define FUZZ_IMPORT_MAX_CALLS(size) (2 * (size) + 16)

static inline void
fuzz_import(const uint8_t *data, size_t size, enum cps_import_format fmt, const char *coll)
{
    struct cps_import *im = NULL;
    struct cps_import_record rec;
    char path[64], err[512], *json;
    size_t calls = 0, used;
    int fd, rc;

    if ((fd = memfd_create("fuzz-import", MFD_CLOEXEC)) == -1)
        abort();
    if (size > 0 && write(fd, data, size) != (ssize_t)size)
        abort();
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    if (cps_import_open(&im, path, fmt, coll) != 0)
        abort();
    for (;;) {
        FUZZ_ASSERT(++calls <= FUZZ_IMPORT_MAX_CALLS(size));
        memset(&rec, 0, sizeof rec);
        rc = cps_import_next(im, &rec, err, sizeof err);
        if (rc == 0)
            break;
        if (rc != 1) {
            FUZZ_ASSERT(rc == CPS_EMALFORMED || rc == CPS_ETOOBIG);
            FUZZ_ASSERT(memchr(err, 0, sizeof err) != NULL && err[0] != '\0');
            continue;
        }
        FUZZ_ASSERT(rec.coll != NULL && rec.key != NULL && rec.line > 0);
        if (rec.value == NULL)
            continue;
        FUZZ_ASSERT(cps_value_check(rec.value, rec.value_len, CPS_VALUE_MAX_DEPTH, &used) == 0 &&
                    used == rec.value_len);
        /* a map: fixmap, map 16 or map 32 */
        FUZZ_ASSERT((rec.value[0] & 0xf0) == 0x80 || rec.value[0] == 0xde || rec.value[0] == 0xdf);
        /* every cell and header is UTF-8 without NUL (corpus/import_csv/fixed-utf8-cell):
         * whatever is imported can leave again as JSON */
        json = NULL;
        FUZZ_ASSERT(cps_value_to_json(&json, rec.value, rec.value_len) == 0 && json[0] == '{');
        free(json);
    }
    cps_import_close(&im);
    FUZZ_ASSERT(im == NULL);
    close(fd);
}

#endif
