/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: rosters (cps_roster_parse, cps_roster_verify), what cps-keys, the hub, every
 * node and the auditor read, and what the ENTRIES frame carries from the hub. The first byte
 * picks the way in: 0 parse the text; 1 verify it against the fixed programme key; 2 sign it
 * with that key first, so that the parser behind the signature check sees it (a fuzzer
 * cannot forge a signature). A roster that parses must format (cps_roster_format) to a text
 * that parses to the same roster.
 */
#include <stdlib.h>
#include <string.h>

#include "cps/roster.h"
#include "fuzz.h"

static void
check_roundtrip(const struct cps_roster *r)
{
    struct cps_roster *r2 = NULL;
    char *text = NULL, err[256];
    size_t len = 0, i;
    int rc;

    rc = cps_roster_format(r, &text, &len);
    FUZZ_ASSERT(rc == 0);
    rc = cps_roster_parse(&r2, text, len, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "formatted roster does not parse: %s\n%s", err, text);
        FUZZ_ASSERT(!"cps_roster_format() wrote what cps_roster_parse() refuses");
    }
    FUZZ_ASSERT(strcmp(r2->programme, r->programme) == 0 && r2->serial == r->serial);
    FUZZ_ASSERT(memcmp(&r2->programme_key, &r->programme_key, sizeof r->programme_key) == 0);
    FUZZ_ASSERT(memcmp(&r2->hub, &r->hub, sizeof r->hub) == 0);
    FUZZ_ASSERT(r2->n_partners == r->n_partners);
    for (i = 0; i < r->n_partners; i++)
        FUZZ_ASSERT(memcmp(&r2->partners[i], &r->partners[i], sizeof r->partners[i]) == 0);
    cps_roster_free(&r2);
    free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char vkey[CPS_NOTE_VKEY_MAX];
    const struct cps_note_verifier *v = fuzz_verifier();
    struct cps_roster *r = NULL;
    const char *text = (const char *)data + 1;
    size_t len = size - 1, signed_len;
    char err[256], *note;
    int rc;

    if (size < 1)
        return 0;
    if (vkey[0] == '\0' && cps_note_vkey_format(vkey, v->name, v->pk) != 0)
        abort();
    switch (data[0] % 3) {
    case 0:
        rc = cps_roster_parse(&r, text, len, err, sizeof err);
        break;
    case 1:
        rc = cps_roster_verify(&r, text, len, vkey, err, sizeof err);
        break;
    default:
        note = fuzz_sign_note(text, len, &signed_len);
        rc = cps_roster_verify(&r, note, signed_len, vkey, err, sizeof err);
        free(note);
        break;
    }
    FUZZ_ASSERT((rc == 0) == (r != NULL));
    FUZZ_ASSERT(memchr(err, 0, sizeof err) != NULL);
    if (rc != 0)
        return 0;
    FUZZ_ASSERT(r->serial > 0 && r->programme[0] != '\0');
    check_roundtrip(r);
    cps_roster_free(&r);
    FUZZ_ASSERT(r == NULL);
    return 0;
}
