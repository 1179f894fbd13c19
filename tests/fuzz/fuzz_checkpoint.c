/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: signed checkpoints (cps_tlog_checkpoint_verify), what nodes receive in
 * ENTRIES and PROOF frames and the auditor reads from checkpoints.txt. The first byte picks
 * the way in: even, the bytes are a whole note checked against the fixed hub key; odd, they
 * are a checkpoint body that is signed with that key first, so that the parser behind the
 * signature check sees it. A checkpoint that verifies must sign (cps_tlog_checkpoint_sign)
 * to one that verifies to the same checkpoint.
 */
#include <stdlib.h>
#include <string.h>

#include "cps/tlog.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct cps_note_verifier *v = fuzz_verifier();
    struct cps_checkpoint cp, cp2;
    const char *text = (const char *)data + 1;
    size_t len = size - 1, note_len = 0;
    char *note = NULL;
    int rc;

    if (size < 1)
        return 0;
    if (data[0] % 2 == 0) {
        rc = cps_tlog_checkpoint_verify(&cp, text, len, v);
    } else {
        note = fuzz_sign_note(text, len, &note_len);
        rc = cps_tlog_checkpoint_verify(&cp, note, note_len, v);
        free(note);
        note = NULL;
    }
    FUZZ_ASSERT(rc == 0 || rc == CPS_EMALFORMED || rc == CPS_EBADSIG);
    if (rc != 0)
        return 0;
    FUZZ_ASSERT(cp.origin[0] != '\0' && memchr(cp.origin, 0, sizeof cp.origin) != NULL);
    rc = cps_tlog_checkpoint_sign(&note, &note_len, &cp, FUZZ_KEY_NAME, fuzz_keys(0));
    FUZZ_ASSERT(rc == 0);
    rc = cps_tlog_checkpoint_verify(&cp2, note, note_len, v);
    FUZZ_ASSERT(rc == 0);
    FUZZ_ASSERT(memcmp(&cp, &cp2, sizeof cp) == 0);
    free(note);
    return 0;
}
