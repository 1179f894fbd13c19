/* SPDX-License-Identifier: ISC */
/*
 * internal: helpers shared inside libcps only, never included by node/, hub/, keys/ or
 * tests. The error-message writer every module with an err buffer uses; the one JSON ->
 * msgpack converter, so import and cps_value_from_json() encode identically; and the one
 * "is this a valid record value" decoder that schema uses, so the node, the hub and the
 * auditor agree byte for byte.
 */
#ifndef CPS_INTERNAL_H
#define CPS_INTERNAL_H

#include <stddef.h>

#include <jansson.h>
#include <msgpack.h>

#include "cps/value.h"

/* printf into err (err_len bytes, truncated, NUL-terminated); does nothing if err is NULL
 * or err_len is 0. */
void cps_seterr(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Append JSON value j to pk as msgpack: integers as the smallest msgpack int, reals as
 * float64, object members in their order. Refuses nesting deeper than CPS_VALUE_MAX_DEPTH
 * (err says so). Returns 0, CPS_EMALFORMED or -ENOMEM.
 */
CPS_MUST_CHECK int cps_value_pack_json(msgpack_packer *pk, const json_t *j, char *err,
                                       size_t err_len);

/*
 * Decode a record value: exactly one msgpack object in mp[0..mp_len) that passes
 * cps_value_check(), is a map, and can travel through JSON unchanged (string keys that are
 * unique in each map, UTF-8 strings without NUL, integers within int64, finite floats, no
 * ext types). On success res holds the tree, borrowing mp. The caller always calls
 * msgpack_unpacked_destroy(res), on failure too. err names the field at fault, e.g.
 * "field 'note': invalid UTF-8". Returns 0, CPS_EMALFORMED or -ENOMEM.
 */
CPS_MUST_CHECK int cps_value_unpack_record(msgpack_unpacked *res, const uint8_t *mp, size_t mp_len,
                                           char *err, size_t err_len);

/*
 * One object of a record decoded by cps_value_unpack_record() as compact JSON text, as
 * cps_value_to_json() writes it (the shortest text that reads back to each double). *out
 * is malloc'd and NUL-terminated. Returns 0 or -ENOMEM.
 */
CPS_MUST_CHECK int cps_value_object_json(char **out, const msgpack_object *o);

#endif
