/* SPDX-License-Identifier: ISC */
/*
 * export: write a records database as NDJSON or CSV, with filters.
 *
 * NDJSON lines are exactly what import reads back: {"coll":C,"key":K,"value":V}.
 * CSV has the header coll,key,partner,value (value as compact JSON), every field quoted.
 * Rows come in key order (collection, then key), so output is stable and diffable.
 */
#ifndef CPS_EXPORT_H
#define CPS_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "cps/err.h"
#include "cps/store.h"

enum cps_export_format {
    CPS_EXPORT_NDJSON = 0,
    CPS_EXPORT_CSV = 1,
};

struct cps_export_filter {
    const char *coll;    /* NULL: every collection */
    const char *partner; /* NULL: every partner (key prefix "<partner>/") */
};

/* Parse "ndjson" / "csv"; returns 0 or CPS_EMALFORMED. */
CPS_MUST_CHECK int cps_export_parse_format(const char *s, enum cps_export_format *fmt);

/*
 * Write the records of db inside txn to out. *count receives the rows written.
 * Returns 0, -EIO (write failed), CPS_EMALFORMED (a stored value does not decode) or -ENOMEM.
 */
CPS_MUST_CHECK int cps_export_records(struct cps_txn *txn, enum cps_db db, FILE *out,
                                      enum cps_export_format fmt,
                                      const struct cps_export_filter *filter, uint64_t *count);

#endif
