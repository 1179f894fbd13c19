/* SPDX-License-Identifier: ISC */
/*
 * Tests for note: the C2SP signed-note example of Go's sumdb/note (PeterNeumann) must verify
 * and every alteration must fail; key ids and verifier key strings round-trip; notes we sign
 * verify and their twins (another key, another name, edited text) do not; malformed notes,
 * names and texts are refused. Uses the public headers only; needs no files.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cps/crypto.h"
#include "cps/err.h"
#include "cps/note.h"
#include "check.h"

#define PN_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define PN_TEXT                                                                                    \
    "If you think cryptography is the answer to your problem,\n"                                   \
    "then you don't know what your problem is.\n"
#define PN_SIG                                                                                     \
    "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXg"   \
    "KvqfqdngotpRZb6KE6RyyBwJnAM=\n"
#define PN_NOTE PN_TEXT "\n" PN_SIG

/* The C2SP spec's own example: a text with an empty line inside, key not published. */
#define QM_NOTE                                                                                    \
    "Ognuno sta solo sul cuor della terra\n"                                                       \
    "trafitto da un raggio di sole:\n"                                                             \
    "\n"                                                                                           \
    "ed \xc3\xa8 subito sera.\n"                                                                   \
    "\n"                                                                                           \
    "\xe2\x80\x94 quasimodo.example/salvatore "                                                    \
    "NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9o"                                         \
    "JKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"

static int
verify_str(const char *note, const struct cps_note_verifier *v, size_t *body_len)
{
    return cps_note_verify(note, strlen(note), v, body_len);
}

/* note with the first occurrence of from replaced by to (same length or not). */
static char *
replaced(const char *note, const char *from, const char *to)
{
    const char *at = strstr(note, from);
    size_t n = strlen(note) - strlen(from) + strlen(to) + 1;
    char *out;

    CHECK_SETUP(at != NULL && (out = malloc(n)) != NULL);
    memcpy(out, note, (size_t)(at - note));
    strcpy(out + (at - note), to);
    strcat(out, at + strlen(from));
    return out;
}

static void
test_peter_neumann(void)
{
    struct cps_note_verifier v, other;
    char vkey[CPS_NOTE_VKEY_MAX], *bad;
    uint8_t id[4];
    size_t body_len = 99;

    CHECK(cps_note_vkey_parse(&v, PN_VKEY) == 0);
    CHECK(strcmp(v.name, "PeterNeumann") == 0);
    CHECK(v.id[0] == 0xc7 && v.id[1] == 0x4f && v.id[2] == 0x20 && v.id[3] == 0xa3);
    cps_note_keyid("PeterNeumann", v.pk, id);
    CHECK(memcmp(id, v.id, 4) == 0);
    CHECK(cps_note_vkey_format(vkey, v.name, v.pk) == 0);
    CHECK(strcmp(vkey, PN_VKEY) == 0);

    CHECK(verify_str(PN_NOTE, &v, &body_len) == 0);
    CHECK(body_len == strlen(PN_TEXT));

    /* twins: one flipped byte in the text, in the signature, in the name; truncations */
    bad = replaced(PN_NOTE, "cryptography", "cryptographY");
    body_len = 99;
    CHECK(verify_str(bad, &v, &body_len) == CPS_EBADSIG && body_len == 0);
    free(bad);
    bad = replaced(PN_NOTE, "ZInNIuGU", "ZInNIuGV"); /* inside the Ed25519 signature */
    CHECK(verify_str(bad, &v, &body_len) == CPS_EBADSIG);
    free(bad);
    bad = replaced(PN_NOTE, "x08go", "y08go"); /* key id no longer matches: unknown key */
    CHECK(verify_str(bad, &v, &body_len) == CPS_EBADSIG);
    free(bad);
    bad = replaced(PN_NOTE, "PeterNeumann x", "PeterNeumanx x"); /* other name: unknown key */
    CHECK(verify_str(bad, &v, &body_len) == CPS_EBADSIG);
    free(bad);
    bad = replaced(PN_NOTE, "If", "If"); /* identical copy for the length checks */
    CHECK(cps_note_verify(bad, strlen(bad) - 1, &v, &body_len) == CPS_EMALFORMED); /* no \n */
    CHECK(cps_note_verify(bad, strlen(PN_TEXT), &v, &body_len) == CPS_EMALFORMED); /* no sigs */
    CHECK(cps_note_verify(bad, strlen(PN_TEXT) + 1, &v, &body_len) == CPS_EMALFORMED);
    free(bad);
    bad = replaced(PN_NOTE, "\xe2\x80\x94 ", "-- "); /* not an em dash */
    CHECK(verify_str(bad, &v, &body_len) == CPS_EMALFORMED);
    free(bad);
    bad = replaced(PN_NOTE, "AM=\n", "AM\n"); /* padding missing */
    CHECK(verify_str(bad, &v, &body_len) == CPS_EMALFORMED);
    free(bad);
    bad = replaced(PN_NOTE, "problem,", "problem,\r"); /* control character */
    CHECK(verify_str(bad, &v, &body_len) == CPS_EMALFORMED);
    free(bad);
    bad = replaced(PN_NOTE, "answer", "answ\xff"); /* invalid UTF-8 */
    CHECK(verify_str(bad, &v, &body_len) == CPS_EMALFORMED);
    free(bad);

    /* a signature line from an unknown key is ignored, before or after the known one */
    CHECK(verify_str(PN_TEXT "\n\xe2\x80\x94 other.example AAAAAAAA\n" PN_SIG, &v, &body_len) == 0);
    CHECK(verify_str(PN_NOTE "\xe2\x80\x94 other.example AAAAAAAA\n", &v, &body_len) == 0);
    CHECK(body_len == strlen(PN_TEXT));
    /* ... but a malformed line is not */
    CHECK(verify_str(PN_NOTE "\xe2\x80\x94 other.example\n", &v, &body_len) == CPS_EMALFORMED);
    CHECK(verify_str(PN_NOTE "\xe2\x80\x94 other.example AAA=\n", &v, &body_len) == CPS_EMALFORMED);
    /* a known key's failing signature rejects the note even beside a good one */
    CHECK(verify_str(PN_NOTE "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcEl"
                             "ZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAA=\n",
                     &v, &body_len) == CPS_EBADSIG);

    /* the same name with another public key is another verifier */
    other = v;
    other.pk[0] ^= 0x01;
    cps_note_keyid(other.name, other.pk, other.id);
    CHECK(verify_str(PN_NOTE, &other, &body_len) == CPS_EBADSIG);
    /* same name and id but another public key: the signature must fail */
    other = v;
    other.pk[5] ^= 0x20;
    CHECK(verify_str(PN_NOTE, &other, &body_len) == CPS_EBADSIG);
}

static void
test_spec_example(void)
{
    struct cps_note_verifier v;
    size_t body_len;

    /* well-formed (the text's own empty line is not the separator), but not Peter's */
    CHECK(cps_note_vkey_parse(&v, PN_VKEY) == 0);
    CHECK(verify_str(QM_NOTE, &v, &body_len) == CPS_EBADSIG);
}

static void
test_vkey_parse_refusals(void)
{
    struct cps_note_verifier v;

    CHECK(cps_note_vkey_parse(
              &v, "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW") ==
          CPS_EMALFORMED); /* id off by one */
    CHECK(cps_note_vkey_parse(
              &v, "PeterNeumanN+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW") ==
          CPS_EMALFORMED); /* name changed */
    CHECK(cps_note_vkey_parse(
              &v, "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TX") ==
          CPS_EMALFORMED); /* key changed */
    CHECK(cps_note_vkey_parse(
              &v, "PeterNeumann+c74f20a3+Apc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW") ==
          CPS_EMALFORMED); /* truncated */
    CHECK(cps_note_vkey_parse(&v, "PeterNeumann+c74f20a3") == CPS_EMALFORMED);
    CHECK(cps_note_vkey_parse(&v,
                              "PeterNeumann+c74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW") ==
          CPS_EMALFORMED);
    CHECK(cps_note_vkey_parse(&v, "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW") ==
          CPS_EMALFORMED);
    CHECK(cps_note_vkey_parse(&v, "") == CPS_EMALFORMED);
    /* upper-case hex is the same id */
    CHECK(cps_note_vkey_parse(
              &v, "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW") == 0);
}

static void
test_sign_roundtrip(void)
{
    static const char text[] = "example.org/roster\n42\nline three\n";
    struct cps_keys *a = NULL, *b = NULL;
    struct cps_pubkeys pa, pb;
    struct cps_note_verifier va, vb, vwrong;
    char vkey[CPS_NOTE_VKEY_MAX], *note = NULL, *note2 = NULL;
    uint8_t seed[CPS_CRYPTO_SEED_BYTES];
    size_t len = 0, len2, body_len;

    memset(seed, 0x11, sizeof seed);
    CHECK_SETUP(cps_crypto_keys_from_seed(&a, seed) == 0);
    memset(seed, 0x22, sizeof seed);
    CHECK_SETUP(cps_crypto_keys_from_seed(&b, seed) == 0);
    cps_crypto_keys_public(a, &pa);
    cps_crypto_keys_public(b, &pb);

    CHECK(cps_note_vkey_format(vkey, "cps.example/programme", pa.sign) == 0);
    CHECK(cps_note_vkey_parse(&va, vkey) == 0);
    CHECK(memcmp(va.pk, pa.sign, 32) == 0);
    CHECK(cps_note_vkey_format(vkey, "cps.example/programme", pb.sign) == 0);
    CHECK(cps_note_vkey_parse(&vb, vkey) == 0);
    CHECK(cps_note_vkey_format(vkey, "cps.example/other", pa.sign) == 0);
    CHECK(cps_note_vkey_parse(&vwrong, vkey) == 0);

    CHECK(cps_note_sign(&note, &len, text, strlen(text), "cps.example/programme", a) == 0);
    CHECK_SETUP(note != NULL);
    CHECK(len == strlen(note));
    CHECK(strncmp(note, text, strlen(text)) == 0);
    CHECK(strncmp(note + strlen(text), "\n\xe2\x80\x94 cps.example/programme ", 26) == 0);
    CHECK(cps_note_verify(note, len, &va, &body_len) == 0 && body_len == strlen(text));
    /* deterministic: signing again gives the same bytes */
    CHECK(cps_note_sign(&note2, &len2, text, strlen(text), "cps.example/programme", a) == 0);
    CHECK(note2 != NULL && len2 == len && memcmp(note, note2, len) == 0);
    free(note2);
    note2 = NULL;

    /* twins: another key under the same name, the same key under another name, edited text */
    CHECK(cps_note_verify(note, len, &vb, &body_len) == CPS_EBADSIG);
    CHECK(cps_note_verify(note, len, &vwrong, &body_len) == CPS_EBADSIG);
    note[3] ^= 0x01;
    CHECK(cps_note_verify(note, len, &va, &body_len) == CPS_EBADSIG);
    note[3] ^= 0x01;
    CHECK(cps_note_verify(note, len, &va, &body_len) == 0);

    /* two signers: each verifier finds its own line */
    CHECK(cps_note_sign(&note2, &len2, text, strlen(text), "cps.example/other", b) == 0);
    if (note2 != NULL) {
        char *both = malloc(len + len2);
        struct cps_note_verifier vbo;

        CHECK(cps_note_vkey_format(vkey, "cps.example/other", pb.sign) == 0);
        CHECK(cps_note_vkey_parse(&vbo, vkey) == 0);
        CHECK_SETUP(both != NULL);
        memcpy(both, note, len);
        memcpy(both + len, note2 + strlen(text) + 1, len2 - strlen(text) - 1);
        CHECK(cps_note_verify(both, len + len2 - strlen(text) - 1, &va, &body_len) == 0);
        CHECK(cps_note_verify(both, len + len2 - strlen(text) - 1, &vbo, &body_len) == 0);
        CHECK(cps_note_verify(both, len + len2 - strlen(text) - 1, &vb, &body_len) == CPS_EBADSIG);
        free(both);
    }
    free(note2);
    free(note);

    /* refusals: text without final newline, with a blank line, starting blank, empty, control
     * characters, invalid UTF-8; names empty, with '+', with a space */
    note = (char *)"unchanged";
    CHECK(cps_note_sign(&note, &len, "no newline", 10, "n", a) == CPS_EMALFORMED && note == NULL);
    CHECK(cps_note_sign(&note, &len, "a\n\nb\n", 5, "n", a) == CPS_EMALFORMED);
    CHECK(cps_note_sign(&note, &len, "\na\n", 3, "n", a) == CPS_EMALFORMED);
    CHECK(cps_note_sign(&note, &len, "", 0, "n", a) == CPS_EMALFORMED);
    CHECK(cps_note_sign(&note, &len, "a\tb\n", 4, "n", a) == CPS_EMALFORMED);
    CHECK(cps_note_sign(&note, &len, "a\xc3\n", 3, "n", a) == CPS_EMALFORMED);
    CHECK(cps_note_sign(&note, &len, "a\n", 2, "", a) == CPS_EMALFORMED);
    CHECK(cps_note_sign(&note, &len, "a\n", 2, "a+b", a) == CPS_EMALFORMED);
    CHECK(cps_note_sign(&note, &len, "a\n", 2, "a b", a) == CPS_EMALFORMED);
    CHECK(cps_note_sign(&note, &len, "a\n", 2,
                        "a\xc2\xa0"
                        "b",
                        a) == CPS_EMALFORMED);
    CHECK(note == NULL);
    CHECK(cps_note_sign(&note, &len, "\xc3\xa8\n", 3, "ok.example/x", a) == 0);
    free(note);
    CHECK(cps_note_vkey_format(vkey, "", pa.sign) == CPS_EMALFORMED);
    CHECK(cps_note_vkey_format(vkey, "a+b", pa.sign) == CPS_EMALFORMED);
    CHECK(cps_note_vkey_format(vkey, "a\nb", pa.sign) == CPS_EMALFORMED);

    cps_crypto_keys_free(&a);
    cps_crypto_keys_free(&b);
}

int
main(void)
{
    CHECK_SETUP(cps_crypto_init() == 0);
    test_peter_neumann();
    test_spec_example();
    test_vkey_parse_refusals();
    test_sign_roundtrip();
    return check_done();
}
