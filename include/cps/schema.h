/* SPDX-License-Identifier: ISC */
/*
 * schema: the ClusterPoliSEE collections and the rules every record operation must meet.
 *
 * One function decides whether a writer may put or delete (collection, key, value); the
 * node runs it before queueing, the hub before applying, the auditor on replay, so all
 * three agree. Partner-owned collections need a key starting "<partner id>/"; programme-
 * owned collections are written only by the programme key.
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

/*
 * Check one operation. value/value_len is the msgpack value for a put, NULL/0 for a delete.
 * Returns 0, CPS_EOWNER (wrong owner) or CPS_ESCHEMA (unknown collection, bad key, value
 * not a map, a field of the wrong type or out of range); err then says which field and
 * what was expected, e.g. "indicator P07/x: field 'value': expected a number".
 */
CPS_MUST_CHECK int cps_schema_check(const struct cps_schema_writer *w, const char *coll,
                                    size_t coll_len, const char *key, size_t key_len,
                                    const uint8_t *value, size_t value_len, char *err,
                                    size_t err_len);

#endif
