/* SPDX-License-Identifier: ISC */
/*
 * import: streaming readers for record files — NDJSON and CSV (libcsv, jansson).
 *
 * NDJSON: one JSON object per line: {"coll": "...", "key": "...", "value": {...}}
 *   ("value": null, or "op": "del", deletes). Blank lines are skipped.
 * CSV: RFC 4180, first row a header. Either the columns coll,key,value (value a JSON
 *   text), or, with a collection given, a "key" column and one column per value field;
 *   such a field is a string when the schema gives the collection's field a text type
 *   (cps_schema_field_is_text: a yearly period "2014" stays text), else an integer when it
 *   is a canonical decimal integer, a float when it parses completely as a decimal number,
 *   an array or map when the cell starts with '[' or '{' and parses as that JSON
 *   (["rd","innovation"]), otherwise a string; an empty cell is absent.
 * Records are returned one at a time, so memory stays bounded whatever the file size.
 */
#ifndef CPS_IMPORT_H
#define CPS_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cps/err.h"

enum cps_import_format {
    CPS_IMPORT_NDJSON = 0,
    CPS_IMPORT_CSV = 1,
};

struct cps_import;

/* One record; every pointer borrows the reader's memory until the next call. */
struct cps_import_record {
    const char *coll;
    size_t coll_len;
    const char *key;
    size_t key_len;
    const uint8_t *value; /* msgpack map; NULL for a delete */
    size_t value_len;
    uint64_t line;        /* 1-based line of the file where the record starts */
};

/*
 * Open path ("-" = stdin) in the given format. collection may be NULL (CSV then needs the
 * coll,key,value header). *out owned by the caller, freed with cps_import_close().
 * Returns 0, -errno, or -ENOMEM.
 */
CPS_MUST_CHECK int cps_import_open(struct cps_import **out, const char *path,
                                   enum cps_import_format fmt, const char *collection);

/*
 * Next record. Returns 1 with *rec filled, 0 at end of file, or an error code with err
 * set to "line N: field F: what was expected" (CPS_EMALFORMED), or -errno / -ENOMEM.
 * After an error the reader can go on to the next line (for --skip-invalid).
 */
CPS_MUST_CHECK int cps_import_next(struct cps_import *im, struct cps_import_record *rec,
                                   char *err, size_t err_len);

/* Bytes read so far (for progress) and the file size if known (0 otherwise). */
void cps_import_progress(const struct cps_import *im, uint64_t *done, uint64_t *total);

void cps_import_close(struct cps_import **im);

/* Guess the format from a path's extension (.csv -> CSV, else NDJSON). */
enum cps_import_format cps_import_guess(const char *path);

#endif
