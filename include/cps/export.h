/* SPDX-License-Identifier: ISC */
/*
 * export: write a records database as NDJSON or CSV, with filters.
 *
 * NDJSON lines are exactly what import reads back: {"coll":C,"key":K,"value":V}.
 * CSV of every collection has the header coll,key,partner,value (value as compact JSON),
 * every field quoted. CSV of one collection (filter->coll set) is what
 * `import --collection C` reads back: a key column, then one column per field of the
 * collection in the order docs/DATA.md gives (cps_schema_field), then any other field the
 * exported records have, sorted by name; strings as they are, numbers exact (integers stay
 * integers, reals in the shortest text that reads back to the same double), arrays and maps
 * as compact JSON, absent or null fields as empty cells; a cell is quoted only when it
 * must be. Rows come in key order (collection, then key), so output is stable and diffable.
 *
 * Filters (all that are set must hold):
 *   partner  the record's partner: the first key segment of partner-owned records (and of
 *            collections the schema does not know), the key of a `partner` record;
 *            programme records (period, indicator_definition) have none
 *   country  the record's partner is of that country: its `partner` record in the same
 *            database says so, or, when there is none, its roster entry
 *   area     the record's `area` field, or one of its `areas` (a cluster)
 *   period   an indicator whose period lies within it (2015 holds 2015-H1 and 2015-Q3), a
 *            `period` record within it, or a record with `start` (and `end`) dates that
 *            overlap it (a pilot action running then)
 */
#ifndef CPS_EXPORT_H
#define CPS_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "cps/err.h"
#include "cps/store.h"

struct cps_roster;

enum cps_export_format {
    CPS_EXPORT_NDJSON = 0,
    CPS_EXPORT_CSV = 1,
};

struct cps_export_filter {
    const char *coll;                /* NULL: every collection */
    const char *partner;             /* NULL: every partner */
    const char *country;             /* NULL: every country (ISO 3166-1 code, "IT") */
    const char *area;                /* NULL: every area (an area code, "rd") */
    const char *period;              /* NULL: every period ("2015", "2015-H1", "2015-Q3") */
    const struct cps_roster *roster; /* countries of partners without a `partner` record;
                                      * may be NULL; borrowed */
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
