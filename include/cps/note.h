/* SPDX-License-Identifier: ISC */
/*
 * note: C2SP signed-note (Ed25519 only) — signing, verifying, key ids, verifier keys.
 *
 * A note is a UTF-8 text ending in '\n', then a blank line, then signature lines
 * "— <name> base64(keyid[4] || sig[64])\n" (U+2014 EM DASH, a space, the name, a space).
 * Ed25519 key id = first 4 bytes of SHA-256(name || 0x0A || 0x01 || pk).
 * Verifier key string = "<name>+<8 hex of key id>+base64(0x01 || pk)".
 * Used for the roster and for tlog checkpoints.
 */
#ifndef CPS_NOTE_H
#define CPS_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "cps/crypto.h"

#define CPS_NOTE_NAME_MAX 128
#define CPS_NOTE_VKEY_MAX 256

/* A verifier: a name and an Ed25519 public key. */
struct cps_note_verifier {
    char name[CPS_NOTE_NAME_MAX];
    uint8_t pk[CPS_CRYPTO_PK_BYTES];
    uint8_t id[4];
};

/* Key id of (name, pk). */
void cps_note_keyid(const char *name, const uint8_t pk[CPS_CRYPTO_PK_BYTES], uint8_t id[4]);

/* Format a verifier key string; out must hold CPS_NOTE_VKEY_MAX. Returns 0 or CPS_EMALFORMED
 * (name empty, too long, or contains '+', space or newline). */
CPS_MUST_CHECK int cps_note_vkey_format(char out[CPS_NOTE_VKEY_MAX], const char *name,
                                        const uint8_t pk[CPS_CRYPTO_PK_BYTES]);
/* Parse a verifier key string; checks the id matches. Returns 0 or CPS_EMALFORMED. */
CPS_MUST_CHECK int cps_note_vkey_parse(struct cps_note_verifier *v, const char *vkey);

/*
 * Sign text (must end in '\n' and contain no blank-line-then-dash ambiguity: text must not
 * contain "\n\n") with keys' signing key under name. *out is malloc'd: text, "\n", one
 * signature line. Returns 0, CPS_EMALFORMED or -ENOMEM.
 */
CPS_MUST_CHECK int cps_note_sign(char **out, size_t *out_len, const char *text, size_t text_len,
                                 const char *name, const struct cps_keys *keys);

/*
 * Verify a signed note against one verifier. Splits at the last "\n\n"; the body is
 * everything up to and including the first of those two newlines. At least one signature
 * line must match v's name and id and verify; lines for other keys are ignored.
 * On success *body_len is the body's length (the body starts at note[0]).
 * Returns 0, CPS_EMALFORMED (no signature block, bad line) or CPS_EBADSIG.
 */
CPS_MUST_CHECK int cps_note_verify(const char *note, size_t note_len,
                                   const struct cps_note_verifier *v, size_t *body_len);

#endif
