/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: record values from JSON (cps_value_from_json), what cps-node put and the
 * NDJSON import read. Properties: whatever converts is msgpack the bounds walker accepts
 * within CPS_VALUE_MAX_DEPTH, converts back to JSON, and that JSON converts to the same
 * msgpack bytes (JSON -> msgpack is a function of the value, not of its spelling).
 */
#include <stdlib.h>
#include <string.h>

#include "cps/value.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *mp = NULL, *mp2 = NULL;
    size_t mp_len = 0, mp2_len = 0, used = 0;
    char *json = NULL, err[256];
    int rc;

    err[0] = '\0';
    rc = cps_value_from_json(&mp, &mp_len, (const char *)data, size, err, sizeof err);
    FUZZ_ASSERT(rc == 0 || rc == CPS_EMALFORMED);
    if (rc != 0) {
        FUZZ_ASSERT(mp == NULL && err[0] != '\0' && memchr(err, 0, sizeof err) != NULL);
        return 0;
    }
    FUZZ_ASSERT(cps_value_check(mp, mp_len, CPS_VALUE_MAX_DEPTH, &used) == 0 && used == mp_len);
    FUZZ_ASSERT(cps_value_to_json(&json, mp, mp_len) == 0);
    FUZZ_ASSERT(cps_value_from_json(&mp2, &mp2_len, json, strlen(json), err, sizeof err) == 0);
    if (mp2_len != mp_len || memcmp(mp, mp2, mp_len) != 0) {
        fprintf(stderr, "json: %s\n", json);
        FUZZ_ASSERT(!"JSON -> msgpack -> JSON -> msgpack changed the bytes");
    }
    free(json);
    free(mp);
    free(mp2);
    return 0;
}
