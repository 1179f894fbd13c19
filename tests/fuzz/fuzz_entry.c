/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: hub log entries (cps_wire_decode_entry), what the hub reads back from its
 * log, a node from an ENTRIES frame and the auditor from entries.bin; then the signed update
 * inside, as every reader decodes it next. An entry that decodes must re-encode to one that
 * decodes to the same fields.
 */
#include <stdlib.h>
#include <string.h>

#include "cps/wire.h"
#include "fuzz.h"

static int
same_bytes(const void *a, size_t a_len, const void *b, size_t b_len)
{
    return a_len == b_len && (a_len == 0 || memcmp(a, b, a_len) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cps_entry e, e2;
    struct cps_update *up = NULL;
    uint8_t *enc = NULL;
    size_t enc_len = 0;

    if (cps_wire_decode_entry(&e, data, size) != 0)
        return 0;
    FUZZ_ASSERT(e.status == CPS_ACK_APPLIED || e.status == CPS_ACK_REJECTED);
    FUZZ_ASSERT(cps_wire_encode_entry(&e, &enc, &enc_len) == 0);
    FUZZ_ASSERT(cps_wire_decode_entry(&e2, enc, enc_len) == 0);
    FUZZ_ASSERT(e2.status == e.status && e2.code == e.code && e2.received_ms == e.received_ms);
    FUZZ_ASSERT(same_bytes(e2.signed_bytes, e2.signed_len, e.signed_bytes, e.signed_len));
    FUZZ_ASSERT(same_bytes(e2.reason, e2.reason_len, e.reason, e.reason_len));
    free(enc);
    if (cps_wire_decode_update(&up, e.signed_bytes, e.signed_len) == 0)
        FUZZ_ASSERT(up != NULL && up->signed_len == e.signed_len);
    cps_wire_update_free(&up);
    return 0;
}
