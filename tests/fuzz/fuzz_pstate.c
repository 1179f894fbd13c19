/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: the hub's per-partner state records (cps_wire_decode_pstate), read back from
 * its store on every update. A state that decodes must re-encode to the same state.
 */
#include <stdlib.h>
#include <string.h>

#include "cps/wire.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cps_pstate p, p2;
    uint8_t *enc = NULL;
    size_t enc_len = 0;

    if (cps_wire_decode_pstate(&p, data, size) != 0)
        return 0;
    FUZZ_ASSERT(cps_wire_encode_pstate(&p, &enc, &enc_len) == 0);
    FUZZ_ASSERT(cps_wire_decode_pstate(&p2, enc, enc_len) == 0);
    FUZZ_ASSERT(memcmp(&p, &p2, sizeof p) == 0);
    free(enc);
    return 0;
}
