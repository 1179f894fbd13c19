/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: NDJSON record files (cps_import_open, cps_import_next), what cps-node import
 * and cps-hub programme import read. See import.h for what is checked.
 */
#define _GNU_SOURCE /* memfd_create */
#include "import.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_import(data, size, CPS_IMPORT_NDJSON, NULL);
    return 0;
}
