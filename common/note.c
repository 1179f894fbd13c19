/* SPDX-License-Identifier: ISC */
/*
 * note: the C2SP signed-note format with Ed25519 (signature type 0x01): key ids, verifier key
 * strings, signing a text and verifying a note against one pinned verifier. It follows the
 * spec and Go's golang.org/x/mod/sumdb/note: the text ends in '\n', is valid UTF-8 without
 * control characters other than '\n', and is separated from the signature lines by the last
 * blank line; a failing signature from the pinned key rejects the whole note. What the text
 * means (a roster, a checkpoint) is left to the callers; the key bytes are crypto's.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cps/crypto.h"
#include "cps/note.h"

#define SIG_TYPE_ED25519 0x01
#define EM_DASH_SPACE "\xe2\x80\x94 " /* U+2014 then U+0020 opens every signature line */
#define EM_DASH_SPACE_LEN 4
#define MAX_SIG_LINES 100  /* Go's limit; the spec asks for at least 16 */
#define MAX_SIG_BYTES 8192 /* a decoded signature larger than this is not one we accept */

/* Valid UTF-8 (no overlongs, no surrogates), no ASCII control character other than '\n'. */
static bool
text_ok(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;

    while (p < end) {
        unsigned c = *p, need, min, cp;

        if (c < 0x80) {
            if (c < 0x20 && c != '\n')
                return false;
            p++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            need = 1, min = 0x80, cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2, min = 0x800, cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3, min = 0x10000, cp = c & 0x07;
        } else {
            return false;
        }
        if ((size_t)(end - p) <= need)
            return false;
        for (unsigned i = 1; i <= need; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (p[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        p += need + 1;
    }
    return true;
}

/* A key name: non-empty, shorter than CPS_NOTE_NAME_MAX, UTF-8, no '+', spaces or controls. */
static bool
name_ok(const char *name, size_t len)
{
    size_t i;

    if (len == 0 || len >= CPS_NOTE_NAME_MAX || !text_ok(name, len))
        return false;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];

        if (c <= 0x20 || c == 0x7f || c == '+')
            return false;
        /* U+0085 and U+00A0 (C2 85, C2 A0), U+1680, U+2000..U+200A, U+2028/9, U+202F,
         * U+205F and U+3000 are Unicode spaces as well */
        if (c == 0xc2 && i + 1 < len &&
            ((unsigned char)name[i + 1] == 0x85 || (unsigned char)name[i + 1] == 0xa0))
            return false;
        if (c == 0xe2 && i + 2 < len) {
            unsigned char c1 = (unsigned char)name[i + 1], c2 = (unsigned char)name[i + 2];

            if (c1 == 0x80 && (c2 <= 0x8a || c2 == 0xa8 || c2 == 0xa9 || c2 == 0xaf))
                return false;
            if (c1 == 0x81 && c2 == 0x9f)
                return false;
        }
        if (c == 0xe1 && i + 2 < len && (unsigned char)name[i + 1] == 0x9a &&
            (unsigned char)name[i + 2] == 0x80)
            return false;
        if (c == 0xe3 && i + 2 < len && (unsigned char)name[i + 1] == 0x80 &&
            (unsigned char)name[i + 2] == 0x80)
            return false;
    }
    return true;
}

void
cps_note_keyid(const char *name, const uint8_t pk[CPS_CRYPTO_PK_BYTES], uint8_t id[4])
{
    uint8_t h[CPS_CRYPTO_HASH_BYTES];
    size_t nlen = strlen(name);
    uint8_t buf[CPS_NOTE_NAME_MAX + 2 + CPS_CRYPTO_PK_BYTES];
    uint8_t *heap = NULL, *p = buf;

    /* names are bounded by CPS_NOTE_NAME_MAX everywhere else; stay correct if one is not */
    if (nlen + 2 + CPS_CRYPTO_PK_BYTES > sizeof buf) {
        if ((heap = malloc(nlen + 2 + CPS_CRYPTO_PK_BYTES)) == NULL) {
            memset(id, 0, 4);
            return;
        }
        p = heap;
    }
    memcpy(p, name, nlen);
    p[nlen] = 0x0a;
    p[nlen + 1] = SIG_TYPE_ED25519;
    memcpy(p + nlen + 2, pk, CPS_CRYPTO_PK_BYTES);
    cps_crypto_sha256(p, nlen + 2 + CPS_CRYPTO_PK_BYTES, h);
    memcpy(id, h, 4);
    free(heap);
}

int
cps_note_vkey_format(char out[CPS_NOTE_VKEY_MAX], const char *name,
                     const uint8_t pk[CPS_CRYPTO_PK_BYTES])
{
    uint8_t raw[1 + CPS_CRYPTO_PK_BYTES], id[4];
    size_t nlen = strlen(name);
    int n;

    if (!name_ok(name, nlen))
        return CPS_EMALFORMED;
    cps_note_keyid(name, pk, id);
    raw[0] = SIG_TYPE_ED25519;
    memcpy(raw + 1, pk, CPS_CRYPTO_PK_BYTES);
    n = snprintf(out, CPS_NOTE_VKEY_MAX, "%s+%02x%02x%02x%02x+", name, id[0], id[1], id[2], id[3]);
    if (n < 0 || (size_t)n >= CPS_NOTE_VKEY_MAX)
        return CPS_EMALFORMED;
    if (cps_crypto_b64_encode(out + n, CPS_NOTE_VKEY_MAX - (size_t)n, raw, sizeof raw) != 0)
        return CPS_EMALFORMED;
    return 0;
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int
cps_note_vkey_parse(struct cps_note_verifier *v, const char *vkey)
{
    const char *plus1, *plus2;
    uint8_t raw[1 + CPS_CRYPTO_PK_BYTES + 1], id[4], want[4];
    size_t nlen, rlen = sizeof raw;
    int i;

    memset(v, 0, sizeof *v);
    if ((plus1 = strchr(vkey, '+')) == NULL || (plus2 = strchr(plus1 + 1, '+')) == NULL)
        return CPS_EMALFORMED;
    nlen = (size_t)(plus1 - vkey);
    if (!name_ok(vkey, nlen) || plus2 - plus1 != 9)
        return CPS_EMALFORMED;
    for (i = 0; i < 8; i++) {
        int h = hexval(plus1[1 + i]);

        if (h < 0)
            return CPS_EMALFORMED;
        if (i % 2 == 0)
            id[i / 2] = (uint8_t)(h << 4);
        else
            id[i / 2] |= (uint8_t)h;
    }
    if (cps_crypto_b64_decode(raw, &rlen, plus2 + 1, strlen(plus2 + 1)) != 0 ||
        rlen != 1 + CPS_CRYPTO_PK_BYTES || raw[0] != SIG_TYPE_ED25519)
        return CPS_EMALFORMED;
    memcpy(v->name, vkey, nlen);
    v->name[nlen] = '\0';
    memcpy(v->pk, raw + 1, CPS_CRYPTO_PK_BYTES);
    cps_note_keyid(v->name, v->pk, want);
    if (memcmp(id, want, 4) != 0) {
        memset(v, 0, sizeof *v);
        return CPS_EMALFORMED;
    }
    memcpy(v->id, id, 4);
    return 0;
}

/* The last "\n\n" in s, or NULL. */
static const char *
last_blank(const char *s, size_t len)
{
    size_t i;

    for (i = len; i >= 2; i--)
        if (s[i - 1] == '\n' && s[i - 2] == '\n')
            return s + i - 2;
    return NULL;
}

int
cps_note_sign(char **out, size_t *out_len, const char *text, size_t text_len, const char *name,
              const struct cps_keys *keys)
{
    uint8_t blob[4 + CPS_CRYPTO_SIG_BYTES];
    char b64[128];
    struct cps_pubkeys pub;
    size_t nlen = strlen(name), len, pos;
    char *buf;
    int rc;

    *out = NULL;
    *out_len = 0;
    if (!name_ok(name, nlen) || text_len == 0 || text[text_len - 1] != '\n' ||
        !text_ok(text, text_len))
        return CPS_EMALFORMED;
    if (last_blank(text, text_len) != NULL)
        return CPS_EMALFORMED; /* the verifier would split the text there */
    if (text[0] == '\n')
        return CPS_EMALFORMED; /* an empty first line makes "\n\n" with the separator */
    cps_crypto_keys_public(keys, &pub);
    cps_note_keyid(name, pub.sign, blob);
    if ((rc = cps_crypto_sign_raw(keys, (const uint8_t *)text, text_len, blob + 4)) != 0)
        return rc;
    if ((rc = cps_crypto_b64_encode(b64, sizeof b64, blob, sizeof blob)) != 0)
        return CPS_EINTERNAL;
    len = text_len + 1 + EM_DASH_SPACE_LEN + nlen + 1 + strlen(b64) + 1;
    if ((buf = malloc(len + 1)) == NULL)
        return -ENOMEM;
    memcpy(buf, text, text_len);
    pos = text_len;
    buf[pos++] = '\n';
    memcpy(buf + pos, EM_DASH_SPACE, EM_DASH_SPACE_LEN);
    pos += EM_DASH_SPACE_LEN;
    memcpy(buf + pos, name, nlen);
    pos += nlen;
    buf[pos++] = ' ';
    memcpy(buf + pos, b64, strlen(b64));
    pos += strlen(b64);
    buf[pos++] = '\n';
    buf[pos] = '\0';
    *out = buf;
    *out_len = pos;
    return 0;
}

/*
 * Check one signature line [line, line+len) (without its '\n'). Returns 1 if it is v's and
 * verifies, 0 if it belongs to another key, CPS_EBADSIG if it is v's and fails, or
 * CPS_EMALFORMED.
 */
static int
check_line(const char *line, size_t len, const char *body, size_t body_len,
           const struct cps_note_verifier *v)
{
    const char *name, *sp, *b64;
    uint8_t *blob;
    size_t nlen, b64_len, blen;
    int rc;

    if (len < EM_DASH_SPACE_LEN || memcmp(line, EM_DASH_SPACE, EM_DASH_SPACE_LEN) != 0)
        return CPS_EMALFORMED;
    name = line + EM_DASH_SPACE_LEN;
    if ((sp = memchr(name, ' ', len - EM_DASH_SPACE_LEN)) == NULL)
        return CPS_EMALFORMED;
    nlen = (size_t)(sp - name);
    b64 = sp + 1;
    b64_len = (size_t)(line + len - b64);
    if (!name_ok(name, nlen) || b64_len == 0 || b64_len > MAX_SIG_BYTES / 3 * 4 + 4)
        return CPS_EMALFORMED;
    blen = b64_len / 4 * 3 + 3;
    if ((blob = malloc(blen)) == NULL)
        return -ENOMEM;
    if (cps_crypto_b64_decode(blob, &blen, b64, b64_len) != 0 || blen < 5) {
        rc = CPS_EMALFORMED;
        goto done;
    }
    rc = 0;
    if (nlen != strlen(v->name) || memcmp(name, v->name, nlen) != 0 || memcmp(blob, v->id, 4) != 0)
        goto done; /* another key's signature: ignored, as the spec requires */
    if (blen != 4 + CPS_CRYPTO_SIG_BYTES) {
        rc = CPS_EBADSIG;
        goto done;
    }
    rc = cps_crypto_verify_raw(v->pk, (const uint8_t *)body, body_len, blob + 4);
    if (rc == 0)
        rc = 1;
done:
    free(blob);
    return rc;
}

int
cps_note_verify(const char *note, size_t note_len, const struct cps_note_verifier *v,
                size_t *body_len)
{
    const char *split, *p, *end, *nl;
    size_t blen;
    int n_lines = 0, rc;
    bool verified = false;

    *body_len = 0;
    if (note_len == 0 || note[note_len - 1] != '\n' || !text_ok(note, note_len))
        return CPS_EMALFORMED;
    if ((split = last_blank(note, note_len)) == NULL)
        return CPS_EMALFORMED;
    blen = (size_t)(split - note) + 1; /* the text keeps its final newline */
    p = split + 2;
    end = note + note_len;
    if (p == end)
        return CPS_EMALFORMED; /* a blank line and no signatures */
    while (p < end) {
        nl = memchr(p, '\n', (size_t)(end - p)); /* never NULL: note ends in '\n' */
        if (++n_lines > MAX_SIG_LINES)
            return CPS_EMALFORMED;
        rc = check_line(p, (size_t)(nl - p), note, blen, v);
        if (rc < 0)
            return rc;
        if (rc == 1)
            verified = true;
        p = nl + 1;
    }
    if (!verified)
        return CPS_EBADSIG; /* no signature by the pinned key */
    *body_len = blen;
    return 0;
}
