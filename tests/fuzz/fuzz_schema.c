/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: the schema check (cps_schema_check), which the hub runs on every operation of
 * every signed update, with a value that is any bytes. Input: byte 0 picks the writer (the
 * programme key or one of three partner ids) and put or delete, byte 1 the collection's
 * length, byte 2 the key's length, then the collection, the key and the value (the rest).
 * The answer must be 0, CPS_EOWNER or CPS_ESCHEMA with a message.
 */
#include <stdlib.h>
#include <string.h>

#include "cps/schema.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const writers[] = {NULL, "P07", "P01", "P12"};
    struct cps_schema_writer w;
    const uint8_t *value;
    size_t coll_len, key_len, value_len;
    char err[CPS_SCHEMA_ERR_MAX];
    uint8_t *copy;
    int rc;

    if (size < 3)
        return 0;
    w.partner = writers[data[0] & 3];
    coll_len = data[1];
    key_len = data[2];
    if (coll_len + key_len > size - 3)
        return 0;
    /* a copy of exactly the bytes, so that the sanitizer sees any read past one of them */
    if ((copy = malloc(size - 3 + 1)) == NULL)
        abort();
    memcpy(copy, data + 3, size - 3);
    value = copy + coll_len + key_len;
    value_len = size - 3 - coll_len - key_len;
    if (data[0] & 4) { /* a delete */
        value = NULL;
        value_len = 0;
    }
    err[0] = '\0';
    rc = cps_schema_check(&w, (const char *)copy, coll_len, (const char *)copy + coll_len, key_len,
                          value, value_len, err, sizeof err);
    FUZZ_ASSERT(rc == 0 || rc == CPS_EOWNER || rc == CPS_ESCHEMA);
    if (rc != 0)
        FUZZ_ASSERT(err[0] != '\0' && memchr(err, 0, sizeof err) != NULL);
    free(copy);
    return 0;
}
