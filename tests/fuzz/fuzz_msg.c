/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: protocol frames (cps_wire_decode_msg), what the hub and the nodes read from
 * ZeroMQ. A frame that decodes must re-encode (cps_wire_encode_msg) to a frame that decodes
 * to the same message.
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
    static struct cps_msg m, m2; /* large (entries[]): not on the stack */
    uint8_t *enc = NULL;
    size_t enc_len = 0, i;

    if (cps_wire_decode_msg(&m, data, size) != 0)
        return 0;
    FUZZ_ASSERT(cps_wire_encode_msg(&m, &enc, &enc_len) == 0);
    FUZZ_ASSERT(cps_wire_decode_msg(&m2, enc, enc_len) == 0);
    FUZZ_ASSERT(m2.type == m.type && strcmp(m2.partner, m.partner) == 0);
    FUZZ_ASSERT(m2.seq == m.seq && m2.index == m.index && m2.status == m.status);
    FUZZ_ASSERT(m2.code == m.code && m2.version == m.version && m2.depth == m.depth);
    FUZZ_ASSERT(m2.expected == m.expected);
    FUZZ_ASSERT(same_bytes(m2.text, m2.text_len, m.text, m.text_len));
    FUZZ_ASSERT(same_bytes(m2.payload, m2.payload_len, m.payload, m.payload_len));
    FUZZ_ASSERT(same_bytes(m2.note, m2.note_len, m.note, m.note_len));
    FUZZ_ASSERT(same_bytes(m2.roster, m2.roster_len, m.roster, m.roster_len));
    FUZZ_ASSERT(m2.n_entries == m.n_entries && m2.n_proof == m.n_proof &&
                m2.n_proof2 == m.n_proof2);
    for (i = 0; i < m.n_entries; i++)
        FUZZ_ASSERT(
            same_bytes(m2.entries[i].data, m2.entries[i].len, m.entries[i].data, m.entries[i].len));
    for (i = 0; i < m.n_proof; i++)
        FUZZ_ASSERT(memcmp(m2.proof[i], m.proof[i], CPS_CRYPTO_HASH_BYTES) == 0);
    for (i = 0; i < m.n_proof2; i++)
        FUZZ_ASSERT(memcmp(m2.proof2[i], m.proof2[i], CPS_CRYPTO_HASH_BYTES) == 0);
    free(enc);
    return 0;
}
