/* SPDX-License-Identifier: ISC */
/*
 * roster: parsing, formatting, editing and verifying the programme's roster, a line-oriented
 * text signed as a C2SP note by the programme key. Parsing is strict (fixed line order, single
 * spaces, sorted unique partner ids, unique keys) so that one roster has exactly one text and
 * every error names its line. The signature itself is checked by note; the keys' bytes are
 * crypto's; storing the roster and logging its changes belong to the hub and the log.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cps/crypto.h"
#include "cps/note.h"
#include "cps/roster.h"
#include "internal.h"

#define MAGIC_PREFIX "cps-roster v"
#define MAGIC "cps-roster v1"
#define LOAD_MAX (4u << 20)
#define EM_DASH_SPACE "\xe2\x80\x94 "

static const char *const types[] = {CPS_ROSTER_TYPES};
static const char *const status_names[] = {"active", "inactive", "revoked"};

const char *
cps_roster_status_name(enum cps_partner_status s)
{
    if ((unsigned)s < sizeof status_names / sizeof status_names[0])
        return status_names[s];
    return "?";
}

static int
status_parse(const char *s, enum cps_partner_status *out)
{
    unsigned i;

    for (i = 0; i < sizeof status_names / sizeof status_names[0]; i++)
        if (strcmp(s, status_names[i]) == 0) {
            *out = (enum cps_partner_status)i;
            return 0;
        }
    return -1;
}

static bool
type_ok(const char *s)
{
    size_t i;

    for (i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(s, types[i]) == 0)
            return true;
    return false;
}

/* "P" and two or more digits, shorter than CPS_ROSTER_ID_MAX. */
static bool
id_ok(const char *s)
{
    size_t i, n = strlen(s);

    if (n < 3 || n >= CPS_ROSTER_ID_MAX || s[0] != 'P')
        return false;
    for (i = 1; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool
country_ok(const char *s)
{
    return strlen(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}

/* Programme id: letters, digits, '.', '_', '-'; non-empty, bounded. */
static bool
programme_ok(const char *s)
{
    size_t i, n = strlen(s);

    if (n == 0 || n >= CPS_ROSTER_PROGRAMME_MAX)
        return false;
    for (i = 0; i < n; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* A display name: non-empty, bounded, no control characters, no space at either end. */
static bool
name_ok(const char *s)
{
    size_t i, n = strlen(s);

    if (n == 0 || n >= CPS_ROSTER_NAME_MAX || s[0] == ' ' || s[n - 1] == ' ')
        return false;
    for (i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

/* Partner order: shorter ids first, then bytewise, so P99 < P100 (numeric for 2+ digits). */
static int
id_cmp(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);

    if (la != lb)
        return la < lb ? -1 : 1;
    return strcmp(a, b);
}

void
cps_roster_free(struct cps_roster **r)
{
    if (r == NULL || *r == NULL)
        return;
    free((*r)->partners);
    free(*r);
    *r = NULL;
}

const struct cps_roster_partner *
cps_roster_find(const struct cps_roster *r, const char *id)
{
    size_t lo = 0, hi = r->n_partners;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = id_cmp(id, r->partners[mid].id);

        if (c == 0)
            return &r->partners[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const struct cps_roster_partner *
cps_roster_find_curve(const struct cps_roster *r, const uint8_t curve[CPS_CRYPTO_PK_BYTES])
{
    size_t i;

    for (i = 0; i < r->n_partners; i++)
        if (memcmp(r->partners[i].pub.curve, curve, CPS_CRYPTO_PK_BYTES) == 0)
            return &r->partners[i];
    return NULL;
}

/* Which field of p is invalid, or NULL. */
static const char *
partner_problem(const struct cps_roster_partner *p)
{
    if (memchr(p->id, '\0', sizeof p->id) == NULL || !id_ok(p->id))
        return "partner id must be P and two or more digits";
    if (memchr(p->country, '\0', sizeof p->country) == NULL || !country_ok(p->country))
        return "country must be an ISO 3166-1 alpha-2 code in upper case";
    if (memchr(p->type, '\0', sizeof p->type) == NULL || !type_ok(p->type))
        return "unknown partner type";
    if ((unsigned)p->status > CPS_PARTNER_REVOKED)
        return "status must be active, inactive or revoked";
    if (memchr(p->name, '\0', sizeof p->name) == NULL || !name_ok(p->name))
        return "name must be 1-127 bytes, no control characters, no space at either end";
    return NULL;
}

/* Another partner than skip (an index, or n for none) with the same sign or CURVE key. */
static const struct cps_roster_partner *
key_clash(const struct cps_roster *r, const struct cps_pubkeys *pub, size_t skip)
{
    size_t i;

    for (i = 0; i < r->n_partners; i++) {
        if (i == skip)
            continue;
        if (memcmp(r->partners[i].pub.curve, pub->curve, CPS_CRYPTO_PK_BYTES) == 0 ||
            memcmp(r->partners[i].pub.sign, pub->sign, CPS_CRYPTO_PK_BYTES) == 0)
            return &r->partners[i];
    }
    return NULL;
}

int
cps_roster_add(struct cps_roster *r, const struct cps_roster_partner *p, bool replace)
{
    struct cps_roster_partner *np;
    size_t i;

    if (partner_problem(p) != NULL)
        return CPS_EMALFORMED;
    for (i = 0; i < r->n_partners; i++)
        if (id_cmp(r->partners[i].id, p->id) >= 0)
            break;
    if (i < r->n_partners && strcmp(r->partners[i].id, p->id) == 0) {
        if (!replace || key_clash(r, &p->pub, i) != NULL)
            return CPS_EEXIST;
        r->partners[i] = *p;
        return 0;
    }
    if (key_clash(r, &p->pub, r->n_partners) != NULL)
        return CPS_EEXIST;
    if ((np = realloc(r->partners, (r->n_partners + 1) * sizeof *np)) == NULL)
        return -ENOMEM;
    r->partners = np;
    memmove(&np[i + 1], &np[i], (r->n_partners - i) * sizeof *np);
    np[i] = *p;
    r->n_partners++;
    return 0;
}

/* ---- parsing ---- */

struct parser {
    const char *p, *end;
    size_t lineno;
    char line[1024];
    char *err;
    size_t err_len;
};

/* Next line into ps->line (without '\n'). Returns 1, 0 at end, or CPS_EMALFORMED. */
static int
next_line(struct parser *ps)
{
    const char *nl;
    size_t len, i;

    if (ps->p >= ps->end)
        return 0;
    ps->lineno++;
    if ((nl = memchr(ps->p, '\n', (size_t)(ps->end - ps->p))) == NULL) {
        cps_seterr(ps->err, ps->err_len, "line %zu: does not end in a newline", ps->lineno);
        return CPS_EMALFORMED;
    }
    len = (size_t)(nl - ps->p);
    if (len >= sizeof ps->line) {
        cps_seterr(ps->err, ps->err_len, "line %zu: longer than %zu bytes", ps->lineno,
                   sizeof ps->line - 1);
        return CPS_EMALFORMED;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)ps->p[i];

        if (c == '\r') {
            cps_seterr(ps->err, ps->err_len, "line %zu: carriage return (use LF line ends)",
                       ps->lineno);
            return CPS_EMALFORMED;
        }
        if (c < 0x20 || c == 0x7f) {
            cps_seterr(ps->err, ps->err_len, "line %zu: control character 0x%02x", ps->lineno, c);
            return CPS_EMALFORMED;
        }
    }
    memcpy(ps->line, ps->p, len);
    ps->line[len] = '\0';
    ps->p = nl + 1;
    return 1;
}

/* Read the next line, which must be "<keyword> <value>"; *value points into ps->line. */
static int
keyword_line(struct parser *ps, const char *keyword, char **value)
{
    size_t klen = strlen(keyword);
    int rc;

    if ((rc = next_line(ps)) < 0)
        return rc;
    if (rc == 0) {
        cps_seterr(ps->err, ps->err_len, "line %zu: missing \"%s\" line", ps->lineno + 1, keyword);
        return CPS_EMALFORMED;
    }
    if (strncmp(ps->line, keyword, klen) != 0 || ps->line[klen] != ' ' ||
        ps->line[klen + 1] == '\0') {
        cps_seterr(ps->err, ps->err_len, "line %zu: expected \"%s <value>\"", ps->lineno, keyword);
        return CPS_EMALFORMED;
    }
    *value = ps->line + klen + 1;
    return 0;
}

static int
parse_serial(const char *s, uint64_t *out)
{
    uint64_t v = 0;

    if (*s < '1' || *s > '9') /* no sign, no leading zero, not zero */
        return -1;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return 0;
}

/* Split s at the next single space: returns the field, advances *s past the space. */
static char *
field(char **s)
{
    char *start = *s, *sp;

    if (*start == '\0' || *start == ' ')
        return NULL;
    if ((sp = strchr(start, ' ')) == NULL) {
        *s = start + strlen(start);
        return start;
    }
    *sp = '\0';
    *s = sp + 1;
    return start;
}

static int
parse_partner(struct parser *ps, struct cps_roster *r)
{
    struct cps_roster_partner p;
    const struct cps_roster_partner *other;
    char *s = ps->line + strlen("partner "), *id, *country, *type, *status, *token;
    const char *why;
    int rc;

    memset(&p, 0, sizeof p);
    if ((id = field(&s)) == NULL || (country = field(&s)) == NULL || (type = field(&s)) == NULL ||
        (status = field(&s)) == NULL || (token = field(&s)) == NULL || *s == '\0') {
        cps_seterr(
            ps->err, ps->err_len,
            "line %zu: expected \"partner <id> <country> <type> <status> <cps1:key> <name>\"",
            ps->lineno);
        return CPS_EMALFORMED;
    }
    if (!id_ok(id)) {
        cps_seterr(ps->err, ps->err_len,
                   "line %zu: partner id \"%.20s\": must be P and two or "
                   "more digits",
                   ps->lineno, id);
        return CPS_EMALFORMED;
    }
    if (status_parse(status, &p.status) != 0) {
        cps_seterr(ps->err, ps->err_len,
                   "line %zu: partner %s: status \"%.20s\": must be active, "
                   "inactive or revoked",
                   ps->lineno, id, status);
        return CPS_EMALFORMED;
    }
    if (cps_crypto_pub_decode(&p.pub, token) != 0) {
        cps_seterr(ps->err, ps->err_len, "line %zu: partner %s: not a cps1: public key", ps->lineno,
                   id);
        return CPS_EMALFORMED;
    }
    if (strlen(country) >= sizeof p.country || strlen(type) >= sizeof p.type ||
        strlen(s) >= sizeof p.name) {
        cps_seterr(ps->err, ps->err_len, "line %zu: partner %s: field too long", ps->lineno, id);
        return CPS_EMALFORMED;
    }
    strcpy(p.id, id);
    strcpy(p.country, country);
    strcpy(p.type, type);
    strcpy(p.name, s);
    if ((why = partner_problem(&p)) != NULL) {
        cps_seterr(ps->err, ps->err_len, "line %zu: partner %s: %s", ps->lineno, id, why);
        return CPS_EMALFORMED;
    }
    if (r->n_partners > 0 && id_cmp(r->partners[r->n_partners - 1].id, p.id) >= 0) {
        cps_seterr(ps->err, ps->err_len, "line %zu: partner %s: %s", ps->lineno, id,
                   strcmp(r->partners[r->n_partners - 1].id, p.id) == 0
                       ? "listed twice"
                       : "out of order (sort by id)");
        return CPS_EMALFORMED;
    }
    if ((other = key_clash(r, &p.pub, r->n_partners)) != NULL) {
        cps_seterr(ps->err, ps->err_len, "line %zu: partner %s: same key as partner %s", ps->lineno,
                   id, other->id);
        return CPS_EMALFORMED;
    }
    if ((rc = cps_roster_add(r, &p, false)) != 0) {
        if (rc == -ENOMEM)
            return rc;
        cps_seterr(ps->err, ps->err_len, "line %zu: partner %s: %s", ps->lineno, id,
                   cps_strerror(rc));
        return CPS_EMALFORMED;
    }
    return 0;
}

static int
parse_body(struct parser *ps, struct cps_roster *r)
{
    char *v;
    int rc;

    if ((rc = next_line(ps)) < 0)
        return rc;
    if (rc == 0) {
        cps_seterr(ps->err, ps->err_len, "line 1: empty roster");
        return CPS_EMALFORMED;
    }
    if (strcmp(ps->line, MAGIC) != 0) {
        if (strncmp(ps->line, MAGIC_PREFIX, strlen(MAGIC_PREFIX)) == 0) {
            cps_seterr(ps->err, ps->err_len, "line 1: unsupported roster version \"%.20s\"",
                       ps->line + strlen(MAGIC_PREFIX) - 1);
            return CPS_EVERSION;
        }
        cps_seterr(ps->err, ps->err_len, "line 1: expected \"%s\"", MAGIC);
        return CPS_EMALFORMED;
    }

    if ((rc = keyword_line(ps, "programme", &v)) != 0)
        return rc;
    if (!programme_ok(v)) {
        cps_seterr(ps->err, ps->err_len,
                   "line %zu: programme id: letters, digits, '.', '_', '-' "
                   "only, at most %d bytes",
                   ps->lineno, CPS_ROSTER_PROGRAMME_MAX - 1);
        return CPS_EMALFORMED;
    }
    strcpy(r->programme, v);

    if ((rc = keyword_line(ps, "serial", &v)) != 0)
        return rc;
    if (parse_serial(v, &r->serial) != 0) {
        cps_seterr(ps->err, ps->err_len,
                   "line %zu: serial: a decimal number from 1, no leading "
                   "zeros",
                   ps->lineno);
        return CPS_EMALFORMED;
    }

    if ((rc = keyword_line(ps, "programme-key", &v)) != 0)
        return rc;
    if (cps_note_vkey_parse(&r->programme_key, v) != 0) {
        cps_seterr(ps->err, ps->err_len,
                   "line %zu: programme-key: not a verifier key "
                   "(name+id+base64)",
                   ps->lineno);
        return CPS_EMALFORMED;
    }

    if ((rc = keyword_line(ps, "hub", &v)) != 0)
        return rc;
    if (cps_crypto_pub_decode(&r->hub, v) != 0) {
        cps_seterr(ps->err, ps->err_len, "line %zu: hub: not a cps1: public key", ps->lineno);
        return CPS_EMALFORMED;
    }

    while ((rc = next_line(ps)) == 1) {
        if (ps->line[0] == '\0')
            return 1; /* the blank line before the signatures */
        if (strncmp(ps->line, "partner ", 8) != 0) {
            cps_seterr(ps->err, ps->err_len, "line %zu: expected \"partner ...\" or a blank line",
                       ps->lineno);
            return CPS_EMALFORMED;
        }
        if ((rc = parse_partner(ps, r)) != 0)
            return rc;
    }
    return rc;
}

int
cps_roster_parse(struct cps_roster **out, const char *text, size_t len, char *err, size_t err_len)
{
    struct parser ps = {.p = text, .end = text + len, .err = err, .err_len = err_len};
    struct cps_roster *r;
    int rc;

    *out = NULL;
    cps_seterr(err, err_len, "ok");
    if ((r = calloc(1, sizeof *r)) == NULL)
        return -ENOMEM;
    if ((rc = parse_body(&ps, r)) < 0)
        goto fail;
    if (rc == 1) {
        /* after the blank line, only signature lines may follow: nothing unsigned hides there */
        while ((rc = next_line(&ps)) == 1)
            if (strncmp(ps.line, EM_DASH_SPACE, strlen(EM_DASH_SPACE)) != 0) {
                cps_seterr(err, err_len, "line %zu: expected a signature line (\"— name sig\")",
                           ps.lineno);
                rc = CPS_EMALFORMED;
                goto fail;
            }
        if (rc < 0)
            goto fail;
    }
    *out = r;
    return 0;
fail:
    cps_roster_free(&r);
    return rc;
}

int
cps_roster_verify(struct cps_roster **out, const char *text, size_t len, const char *vkey,
                  char *err, size_t err_len)
{
    struct cps_note_verifier v;
    struct cps_roster *r = NULL;
    size_t body_len = 0, i;
    bool has_sigs = false;
    int rc;

    *out = NULL;
    if (cps_note_vkey_parse(&v, vkey) != 0) {
        cps_seterr(err, err_len, "programme key: not a verifier key (name+id+base64)");
        return CPS_EMALFORMED;
    }
    for (i = 1; i < len; i++)
        if (text[i] == '\n' && text[i - 1] == '\n')
            has_sigs = true;
    if (!has_sigs) {
        cps_seterr(err, err_len, "roster is not signed");
        return CPS_EROSTER;
    }
    rc = cps_note_verify(text, len, &v, &body_len);
    if (rc == CPS_EBADSIG) {
        cps_seterr(err, err_len, "not signed by programme key %s+%02x%02x%02x%02x", v.name, v.id[0],
                   v.id[1], v.id[2], v.id[3]);
        return CPS_EROSTER;
    }
    if (rc == CPS_EMALFORMED) {
        cps_seterr(err, err_len,
                   "signature block malformed (or a control character, or invalid "
                   "UTF-8)");
        return CPS_EMALFORMED;
    }
    if (rc != 0) {
        cps_seterr(err, err_len, "%s", cps_strerror(rc));
        return rc;
    }
    /* parse only the signed bytes: a blank line inside them would be caught here */
    if ((rc = cps_roster_parse(&r, text, body_len, err, err_len)) != 0)
        return rc;
    if (strcmp(r->programme_key.name, v.name) != 0 ||
        !cps_crypto_equal(r->programme_key.pk, v.pk, CPS_CRYPTO_PK_BYTES)) {
        cps_seterr(err, err_len, "line 4: programme-key names another key than the pinned one");
        cps_roster_free(&r);
        return CPS_EROSTER;
    }
    *out = r;
    return 0;
}

int
cps_roster_load(struct cps_roster **out, const char *path, const char *vkey, char *err,
                size_t err_len)
{
    struct stat sb;
    char *buf = NULL;
    size_t got = 0;
    int fd, rc;

    *out = NULL;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
        rc = -errno;
        cps_seterr(err, err_len, "%s", cps_strerror(rc));
        return rc;
    }
    if (fstat(fd, &sb) == -1) {
        rc = -errno;
        goto done;
    }
    if (!S_ISREG(sb.st_mode)) {
        rc = -EINVAL;
        goto done;
    }
    if (sb.st_size > (off_t)LOAD_MAX) {
        rc = CPS_ETOOBIG;
        goto done;
    }
    if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
        rc = -ENOMEM;
        goto done;
    }
    while (got < (size_t)sb.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -errno;
            goto done;
        }
        if (n == 0)
            break; /* shrank under us: verify what we have, it will most likely fail */
        got += (size_t)n;
    }
    buf[got] = '\0';
    close(fd);
    fd = -1;
    rc = cps_roster_verify(out, buf, got, vkey, err, err_len);
    free(buf);
    return rc;
done:
    cps_seterr(err, err_len, "%s", cps_strerror(rc));
    free(buf);
    if (fd != -1)
        close(fd);
    return rc;
}

/* ---- formatting ---- */

struct sbuf {
    char *p;
    size_t len, cap;
    int rc;
};

static void sb_printf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sbuf *sb, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (sb->rc != 0)
        return; /* sticky error */
    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(sb->p + sb->len, sb->cap - sb->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            sb->rc = CPS_EINTERNAL;
            return;
        }
        if ((size_t)n < sb->cap - sb->len) {
            sb->len += (size_t)n;
            return;
        }
        size_t ncap = sb->cap * 2 + (size_t)n + 1;
        char *np = realloc(sb->p, ncap);

        if (np == NULL) {
            sb->rc = -ENOMEM;
            return;
        }
        sb->p = np;
        sb->cap = ncap;
    }
}

int
cps_roster_format(const struct cps_roster *r, char **out, size_t *out_len)
{
    struct sbuf sb = {.cap = 1024};
    char vkey[CPS_NOTE_VKEY_MAX], tok[CPS_CRYPTO_PUBTOKEN_MAX];
    size_t i;

    *out = NULL;
    *out_len = 0;
    if (cps_note_vkey_format(vkey, r->programme_key.name, r->programme_key.pk) != 0)
        return CPS_EMALFORMED;
    if ((sb.p = malloc(sb.cap)) == NULL)
        return -ENOMEM;
    cps_crypto_pub_encode(&r->hub, tok);
    sb_printf(&sb, "%s\nprogramme %s\nserial %" PRIu64 "\nprogramme-key %s\nhub %s\n", MAGIC,
              r->programme, r->serial, vkey, tok);
    for (i = 0; i < r->n_partners; i++) {
        const struct cps_roster_partner *p = &r->partners[i];

        cps_crypto_pub_encode(&p->pub, tok);
        sb_printf(&sb, "partner %s %s %s %s %s %s\n", p->id, p->country, p->type,
                  cps_roster_status_name(p->status), tok, p->name);
    }
    if (sb.rc != 0) {
        free(sb.p);
        return sb.rc;
    }
    *out = sb.p;
    *out_len = sb.len;
    return 0;
}

const uint8_t *
cps_roster_signer(const struct cps_roster *r, const char *id)
{
    const struct cps_roster_partner *p;

    if (strcmp(id, CPS_ROSTER_PROGRAMME_ID) == 0)
        return r->programme_key.pk;
    p = cps_roster_find(r, id);
    return p != NULL ? p->pub.sign : NULL;
}
