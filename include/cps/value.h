/* SPDX-License-Identifier: ISC */
/*
 * value: record values — msgpack bytes checked for bounds, converted to and from JSON.
 *
 * A record value is a msgpack map with string keys. Values arrive from JSON (import, put)
 * and leave as JSON (get, export); integers stay integers (int64/uint64), other numbers are
 * float64, strings UTF-8. cps_value_check() is the bounds walker every decoder runs first,
 * so that no declared length or nesting depth can exceed what the bytes can hold.
 */
#ifndef CPS_VALUE_H
#define CPS_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cps/err.h"

#define CPS_VALUE_MAX_DEPTH 16
#define CPS_VALUE_MAX_BYTES (64 * 1024)

/*
 * Walk one msgpack object at buf[0..len): every declared string/bin/ext length fits in
 * the remaining bytes, every array/map count is at most the remaining bytes, nesting is at
 * most max_depth. On success *used is the object's length (may be < len).
 * Returns 0 or CPS_EMALFORMED.
 */
CPS_MUST_CHECK int cps_value_check(const uint8_t *buf, size_t len, unsigned max_depth,
                                   size_t *used);

/* Is text[0..n) UTF-8 with no overlong form, no surrogate, and no NUL unless allow_nul?
 * Record strings (keys, values, imported cells) must be, NUL not allowed. */
bool cps_value_utf8_ok(const void *text, size_t n, bool allow_nul);

/*
 * Convert JSON text (one value) to msgpack. *out is malloc'd, caller frees.
 * Returns 0, CPS_EMALFORMED (err says where: "line 1 column 7: ...") or -ENOMEM.
 */
CPS_MUST_CHECK int cps_value_from_json(uint8_t **out, size_t *out_len, const char *json,
                                       size_t json_len, char *err, size_t err_len);

/*
 * Convert msgpack bytes (one object, checked with cps_value_check) to compact JSON text
 * with keys in their stored order. *out is malloc'd and NUL-terminated.
 * Returns 0, CPS_EMALFORMED or -ENOMEM.
 */
CPS_MUST_CHECK int cps_value_to_json(char **out, const uint8_t *mp, size_t mp_len);

/*
 * Look up a string field of a msgpack map: on success *s points into mp (not
 * NUL-terminated), *s_len its length. Returns 0, CPS_ENOTFOUND, or CPS_EMALFORMED.
 */
CPS_MUST_CHECK int cps_value_get_str(const uint8_t *mp, size_t mp_len, const char *field,
                                     const char **s, size_t *s_len);

#endif
