/* SPDX-License-Identifier: ISC */
/*
 * schema: the ClusterPoliSEE collections and the rules every record operation must meet.
 *
 * One function decides whether a writer may put or delete (collection, key, value); the
 * node runs it before queueing, the hub before applying, the auditor on replay, so all
 * three agree. Partner-owned collections (cluster, indicator, pilot_action, policy_lesson)
 * need a key starting "<partner id>/"; programme-owned collections (partner, period,
 * indicator_definition) are written only by the programme key. docs/DATA.md gives every
 * collection's key shape and field rules.
 */
#ifndef CPS_SCHEMA_H
#define CPS_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cps/err.h"

#define CPS_SCHEMA_COLL_MAX 32
#define CPS_SCHEMA_KEY_MAX 256
#define CPS_SCHEMA_ERR_MAX 256

/* Who writes: a partner id ("P07"), or the programme itself (writer == NULL). */
struct cps_schema_writer {
    const char *partner; /* NULL for the programme key */
};

/* True when coll names a known collection. */
bool cps_schema_known(const char *coll, size_t coll_len);

/* True when coll is programme-owned (partner, period, indicator_definition). */
bool cps_schema_programme_owned(const char *coll, size_t coll_len);

/* The i-th field (0-based) of coll's rules, in the order docs/DATA.md gives them; NULL past
 * the last field or when coll is unknown. Exports use it for stable CSV columns. */
const char *cps_schema_field(const char *coll, size_t coll_len, size_t i);

/* True when coll's field name holds text (a string, id, code, choice, date, period or
 * timestamp): a CSV cell of it is read as a string even when it looks like a number ("2014",
 * a yearly period). False for other fields, unknown fields and unknown collections. */
bool cps_schema_field_is_text(const char *coll, size_t coll_len, const char *name, size_t name_len);

/* The i-th area code (0-based: innovation, rd, ... jobs_skills), NULL past the seventh. */
const char *cps_schema_area(size_t i);

/* True when s[0..n) is an area code, or a period YYYY, YYYY-Qn or YYYY-Hn. */
bool cps_schema_area_ok(const char *s, size_t n);
bool cps_schema_period_ok(const char *s, size_t n);

/*
 * Check one operation. value/value_len is the msgpack value for a put, NULL/0 for a delete.
 * A put needs the collection's key shape and a value meeting its field rules (unknown
 * extra fields are allowed); a delete needs only a well-formed key its writer owns, so
 * records written under older rules stay removable. Allocates nothing unless the value is
 * unusual (a map of more than 32 entries, an ext type, malformed bytes).
 * Returns 0, CPS_EOWNER (wrong owner) or CPS_ESCHEMA (unknown collection, bad key, value
 * not a map, a field of the wrong type or out of range); err (at most CPS_SCHEMA_ERR_MAX
 * bytes are useful) then names the record, the field and what was expected, e.g.
 * "cluster P07/P07-C003: field 'employees': expected an integer >= 0". Fields are checked
 * in a fixed order and the first problem is reported.
 */
CPS_MUST_CHECK int cps_schema_check(const struct cps_schema_writer *w, const char *coll,
                                    size_t coll_len, const char *key, size_t key_len,
                                    const uint8_t *value, size_t value_len, char *err,
                                    size_t err_len);

#endif
