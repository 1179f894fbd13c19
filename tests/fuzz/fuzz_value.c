/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: the msgpack bounds walker and record values to JSON (cps_value_check,
 * cps_value_to_json, cps_value_get_str), what every reader of a record runs. Properties: the
 * walker never reports more bytes than it was given and agrees at every depth limit; a value
 * that converts to JSON and back (cps_value_from_json) converts to the same JSON again.
 */
#include <stdlib.h>
#include <string.h>

#include "cps/value.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t used = 0, used_deep = 0, s_len, mp_len;
    const char *s;
    uint8_t *mp = NULL;
    char *json = NULL, *json2 = NULL, err[256];
    int rc, rc_deep;

    /* the walker: bounded, and a deeper limit accepts whatever a shallower one does */
    rc = cps_value_check(data, size, CPS_VALUE_MAX_DEPTH, &used);
    rc_deep = cps_value_check(data, size, 64, &used_deep);
    FUZZ_ASSERT(rc == 0 || rc == CPS_EMALFORMED);
    FUZZ_ASSERT(used <= size && used_deep <= size);
    if (rc == 0)
        FUZZ_ASSERT(rc_deep == 0 && used_deep == used && used > 0);

    rc = cps_value_get_str(data, size, "id", &s, &s_len);
    FUZZ_ASSERT(rc == 0 || rc == CPS_ENOTFOUND || rc == CPS_EMALFORMED);
    if (rc == 0)
        FUZZ_ASSERT(s_len == 0 ||
                    ((const uint8_t *)s >= data && (const uint8_t *)s + s_len <= data + size));

    rc = cps_value_to_json(&json, data, size);
    FUZZ_ASSERT(rc == 0 || rc == CPS_EMALFORMED);
    if (rc != 0) {
        FUZZ_ASSERT(json == NULL);
        return 0;
    }
    FUZZ_ASSERT(json != NULL);
    /* not every value comes back (a NUL in a string, an integer past int64, a duplicate
     * key): but one that does must come back the same */
    if (cps_value_from_json(&mp, &mp_len, json, strlen(json), err, sizeof err) == 0) {
        FUZZ_ASSERT(cps_value_to_json(&json2, mp, mp_len) == 0);
        if (strcmp(json, json2) != 0) {
            fprintf(stderr, "json:  %s\njson2: %s\n", json, json2);
            FUZZ_ASSERT(!"msgpack -> JSON -> msgpack -> JSON changed the value");
        }
    }
    free(json);
    free(json2);
    free(mp);
    return 0;
}
