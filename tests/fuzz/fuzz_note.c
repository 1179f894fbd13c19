/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: C2SP signed notes and verifier keys (cps_note_verify, cps_note_vkey_parse),
 * the envelope of rosters and checkpoints, and the programme key given on command lines.
 * The first byte picks the way in: 0 parse the rest as a verifier key string (one that
 * parses must format to a string that parses to the same verifier); 1 verify the rest as a
 * note against the fixed key; 2 sign the rest with the fixed key first, then verify (a text
 * ending in '\n' must verify as exactly that text, or be refused as malformed); 3 verify the
 * rest against a verifier parsed from its own first line, so that names and ids the fuzzer
 * chooses meet the signature lines.
 */
#include <stdlib.h>
#include <string.h>

#include "cps/note.h"
#include "fuzz.h"

static void
vkey(const uint8_t *data, size_t size)
{
    struct cps_note_verifier v, v2;
    char *s = fuzz_cstr(data, size), out[CPS_NOTE_VKEY_MAX];
    int rc = cps_note_vkey_parse(&v, s);

    FUZZ_ASSERT(rc == 0 || rc == CPS_EMALFORMED);
    if (rc == 0) {
        FUZZ_ASSERT(v.name[0] != '\0' && memchr(v.name, 0, sizeof v.name) != NULL);
        FUZZ_ASSERT(cps_note_vkey_format(out, v.name, v.pk) == 0);
        FUZZ_ASSERT(cps_note_vkey_parse(&v2, out) == 0);
        FUZZ_ASSERT(memcmp(&v, &v2, sizeof v) == 0);
    }
    free(s);
}

/* Verify; on success *body_len is the signed text's length. Returns what verify did. */
static int
verify(const char *note, size_t len, const struct cps_note_verifier *v, size_t *body_len)
{
    int rc = cps_note_verify(note, len, v, body_len);

    FUZZ_ASSERT(rc == 0 || rc == CPS_EMALFORMED || rc == CPS_EBADSIG);
    if (rc != 0) {
        FUZZ_ASSERT(*body_len == 0);
        return rc;
    }
    FUZZ_ASSERT(*body_len > 0 && *body_len < len && note[*body_len - 1] == '\n');
    FUZZ_ASSERT(note[*body_len] == '\n'); /* the blank line that ends the text */
    return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cps_note_verifier v;
    const char *text = (const char *)data + 1, *nl;
    size_t len = size - 1, note_len, body_len;
    char *note, *line;
    int rc;

    if (size < 1)
        return 0;
    switch (data[0] % 4) {
    case 0:
        vkey(data + 1, len);
        break;
    case 1:
        (void)verify(text, len, fuzz_verifier(), &body_len);
        break;
    case 2:
        note = fuzz_sign_note(text, len, &note_len);
        rc = verify(note, note_len, fuzz_verifier(), &body_len);
        free(note);
        /* a text ending in '\n' signed by the key: verified as exactly that text, or
         * refused as malformed (controls, bad UTF-8), never as a bad signature */
        if (len > 0 && text[len - 1] == '\n')
            FUZZ_ASSERT(rc == CPS_EMALFORMED || (rc == 0 && body_len == len));
        break;
    default:
        if ((nl = memchr(text, '\n', len)) == NULL)
            break;
        line = fuzz_cstr((const uint8_t *)text, (size_t)(nl - text));
        if (cps_note_vkey_parse(&v, line) == 0)
            (void)verify(nl + 1, len - (size_t)(nl + 1 - text), &v, &body_len);
        free(line);
        break;
    }
    return 0;
}
