/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: CSV record files (cps_import_open, cps_import_next), what cps-node import
 * reads. The first byte picks the form: no collection (a coll,key,value header), or one of
 * the collections (a key column and one column per field). See import.h for what is checked.
 */
#define _GNU_SOURCE /* memfd_create */
#include "import.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const colls[] = {NULL,           "cluster",       "indicator",
                                        "pilot_action", "policy_lesson", "partner",
                                        "period",       "nosuch"};

    if (size < 1)
        return 0;
    fuzz_import(data + 1, size - 1, CPS_IMPORT_CSV, colls[data[0] % 8]);
    return 0;
}
