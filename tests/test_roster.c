/* SPDX-License-Identifier: ISC */
/*
 * Tests for roster: format/parse round trip, sorted insertion and replacement, lookups;
 * a roster signed by the programme key verifies, and its twins are refused: signed by
 * another key, naming another programme key, edited after signing, unsigned. Every kind of
 * malformed line is refused with its line number in the message. Keys come from fixed seeds;
 * files live in an own mkdtemp directory. Uses the public headers only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cps/crypto.h"
#include "cps/err.h"
#include "cps/note.h"
#include "cps/roster.h"
#include "check.h"

#define PROG_NAME "cps.example/programme"

static char dir[64];
static struct cps_keys *prog, *other, *hub, *p07, *p12, *p03;
static char prog_vkey[CPS_NOTE_VKEY_MAX], other_vkey[CPS_NOTE_VKEY_MAX];
static char tok_hub[CPS_CRYPTO_PUBTOKEN_MAX], tok_p07[CPS_CRYPTO_PUBTOKEN_MAX];
static char tok_p12[CPS_CRYPTO_PUBTOKEN_MAX], tok_p03[CPS_CRYPTO_PUBTOKEN_MAX];

static struct cps_keys *
fixed_keys(uint8_t fill)
{
    uint8_t seed[CPS_CRYPTO_SEED_BYTES];
    struct cps_keys *k = NULL;

    memset(seed, fill, sizeof seed);
    CHECK_SETUP(cps_crypto_keys_from_seed(&k, seed) == 0);
    return k;
}

static void
token(const struct cps_keys *k, char out[CPS_CRYPTO_PUBTOKEN_MAX])
{
    struct cps_pubkeys pub;

    cps_crypto_keys_public(k, &pub);
    cps_crypto_pub_encode(&pub, out);
}

static void
setup(void)
{
    struct cps_pubkeys pub;

    prog = fixed_keys(1);
    other = fixed_keys(2);
    hub = fixed_keys(3);
    p07 = fixed_keys(7);
    p12 = fixed_keys(12);
    p03 = fixed_keys(33);
    cps_crypto_keys_public(prog, &pub);
    CHECK_SETUP(cps_note_vkey_format(prog_vkey, PROG_NAME, pub.sign) == 0);
    cps_crypto_keys_public(other, &pub);
    CHECK_SETUP(cps_note_vkey_format(other_vkey, PROG_NAME, pub.sign) == 0);
    token(hub, tok_hub);
    token(p07, tok_p07);
    token(p12, tok_p12);
    token(p03, tok_p03);
}

/* A roster body text, malloc'd: header lines, then the given partner lines. */
static char *
body(const char *vkey, const char *partners)
{
    size_t n = strlen(vkey) + strlen(partners) + 512;
    char *s = malloc(n);

    CHECK_SETUP(s != NULL);
    snprintf(s, n,
             "cps-roster v1\nprogramme clusterpolisee\nserial 3\nprogramme-key %s\nhub %s\n%s",
             vkey, tok_hub, partners);
    return s;
}

static char *
partner_lines(void)
{
    static char buf[1024];

    snprintf(buf, sizeof buf,
             "partner P03 SI university active %s University of Ljubljana\n"
             "partner P07 IT development-agency active %s Demo Agency\n"
             "partner P12 AT public-authority revoked %s Land Steiermark\n",
             tok_p03, tok_p07, tok_p12);
    return buf;
}

static char *
signed_by(const char *text, const char *name, const struct cps_keys *k)
{
    char *note = NULL;
    size_t len;

    CHECK_SETUP(cps_note_sign(&note, &len, text, strlen(text), name, k) == 0);
    return note;
}

static int
parse_err(const char *text, char *err, size_t err_len)
{
    struct cps_roster *r = NULL;
    int rc = cps_roster_parse(&r, text, strlen(text), err, err_len);

    CHECK((rc == 0) == (r != NULL));
    cps_roster_free(&r);
    return rc;
}

static void
test_parse_format(void)
{
    struct cps_roster *r = NULL;
    char *text = body(prog_vkey, partner_lines()), *out = NULL, err[200];
    const struct cps_roster_partner *p;
    struct cps_pubkeys pub;
    size_t len;

    CHECK(cps_roster_parse(&r, text, strlen(text), err, sizeof err) == 0);
    CHECK_SETUP(r != NULL);
    CHECK(strcmp(r->programme, "clusterpolisee") == 0);
    CHECK(r->serial == 3);
    CHECK(strcmp(r->programme_key.name, PROG_NAME) == 0);
    CHECK(r->n_partners == 3);
    CHECK((p = cps_roster_find(r, "P07")) != NULL && strcmp(p->name, "Demo Agency") == 0 &&
          strcmp(p->country, "IT") == 0 && strcmp(p->type, "development-agency") == 0 &&
          p->status == CPS_PARTNER_ACTIVE);
    CHECK((p = cps_roster_find(r, "P12")) != NULL && p->status == CPS_PARTNER_REVOKED);
    CHECK(cps_roster_find(r, "P08") == NULL);
    CHECK(cps_roster_find(r, "P7") == NULL);
    cps_crypto_keys_public(p07, &pub);
    CHECK((p = cps_roster_find_curve(r, pub.curve)) != NULL && strcmp(p->id, "P07") == 0);
    CHECK(cps_roster_find_curve(r, pub.sign) == NULL); /* the signing key is not a CURVE key */
    cps_crypto_keys_public(hub, &pub);
    CHECK(memcmp(r->hub.curve, pub.curve, 32) == 0);
    CHECK(strcmp(cps_roster_status_name(CPS_PARTNER_INACTIVE), "inactive") == 0);

    /* the format is canonical: parse then format gives the same bytes */
    CHECK(cps_roster_format(r, &out, &len) == 0);
    CHECK(out != NULL && len == strlen(text) && strcmp(out, text) == 0);
    free(out);

    /* trailing signature lines are ignored by parse */
    {
        char *note = signed_by(text, PROG_NAME, other);
        struct cps_roster *r2 = NULL;

        CHECK(cps_roster_parse(&r2, note, strlen(note), err, sizeof err) == 0);
        CHECK(r2 != NULL && r2->n_partners == 3);
        cps_roster_free(&r2);
        free(note);
    }
    cps_roster_free(&r);
    CHECK(r == NULL);
    cps_roster_free(&r);
    free(text);
}

static void
test_add(void)
{
    struct cps_roster *r = NULL;
    struct cps_roster_partner p;
    char *text = body(prog_vkey, ""), err[200];
    uint8_t seed[CPS_CRYPTO_SEED_BYTES];
    struct cps_keys *k;
    static const char *const ids[] = {"P10", "P02", "P100", "P99", "P01", "P25"};
    static const char *const order[] = {"P01", "P02", "P10", "P25", "P99", "P100"};
    size_t i;

    CHECK_SETUP(cps_roster_parse(&r, text, strlen(text), err, sizeof err) == 0);
    CHECK(r->n_partners == 0);
    for (i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        memset(&p, 0, sizeof p);
        strcpy(p.id, ids[i]);
        strcpy(p.country, "DE");
        strcpy(p.type, "cluster-network");
        snprintf(p.name, sizeof p.name, "Partner %s", ids[i]);
        memset(seed, 0x40 + (int)i, sizeof seed);
        CHECK_SETUP(cps_crypto_keys_from_seed(&k, seed) == 0);
        cps_crypto_keys_public(k, &p.pub);
        cps_crypto_keys_free(&k);
        CHECK(cps_roster_add(r, &p, false) == 0);
    }
    CHECK(r->n_partners == 6);
    for (i = 0; i < 6; i++)
        CHECK(strcmp(r->partners[i].id, order[i]) == 0);
    for (i = 0; i < 6; i++)
        CHECK(cps_roster_find(r, order[i]) == &r->partners[i]);

    /* twins: an existing id without replace, with replace; a key already used by another */
    p.status = CPS_PARTNER_INACTIVE; /* p is P25 now */
    CHECK(cps_roster_add(r, &p, false) == CPS_EEXIST);
    CHECK(cps_roster_add(r, &p, true) == 0);
    CHECK(r->n_partners == 6 && cps_roster_find(r, "P25")->status == CPS_PARTNER_INACTIVE);
    strcpy(p.id, "P26");
    CHECK(cps_roster_add(r, &p, false) == CPS_EEXIST); /* same keys as P25 */
    p.pub = r->partners[0].pub;
    strcpy(p.id, "P25");
    CHECK(cps_roster_add(r, &p, true) == CPS_EEXIST); /* replace with P01's keys */

    /* malformed fields */
    p = r->partners[0];
    strcpy(p.id, "P50");
    p.pub.curve[0] ^= 1;
    p.pub.sign[0] ^= 1;
    strcpy(p.id, "P5");
    CHECK(cps_roster_add(r, &p, false) == CPS_EMALFORMED);
    strcpy(p.id, "Q50");
    CHECK(cps_roster_add(r, &p, false) == CPS_EMALFORMED);
    strcpy(p.id, "P50");
    strcpy(p.country, "de");
    CHECK(cps_roster_add(r, &p, false) == CPS_EMALFORMED);
    strcpy(p.country, "DE");
    strcpy(p.type, "company");
    CHECK(cps_roster_add(r, &p, false) == CPS_EMALFORMED);
    strcpy(p.type, "university");
    strcpy(p.name, "two\nlines");
    CHECK(cps_roster_add(r, &p, false) == CPS_EMALFORMED);
    strcpy(p.name, "");
    CHECK(cps_roster_add(r, &p, false) == CPS_EMALFORMED);
    strcpy(p.name, "Fine Name");
    p.status = (enum cps_partner_status)7;
    CHECK(cps_roster_add(r, &p, false) == CPS_EMALFORMED);
    p.status = CPS_PARTNER_ACTIVE;
    CHECK(r->n_partners == 6);
    CHECK(cps_roster_add(r, &p, false) == 0);
    CHECK(r->n_partners == 7);

    /* what add builds, format writes and parse reads back */
    {
        char *out = NULL;
        size_t len;
        struct cps_roster *r2 = NULL;

        CHECK(cps_roster_format(r, &out, &len) == 0);
        CHECK(out != NULL && cps_roster_parse(&r2, out, len, err, sizeof err) == 0);
        CHECK(r2 != NULL && r2->n_partners == 7 && strcmp(r2->partners[6].id, "P100") == 0);
        cps_roster_free(&r2);
        free(out);
    }
    cps_roster_free(&r);
    free(text);
}

static void
test_verify(void)
{
    struct cps_roster *r = NULL;
    char *text = body(prog_vkey, partner_lines()), *note, *edited, err[200];

    note = signed_by(text, PROG_NAME, prog);
    CHECK(cps_roster_verify(&r, note, strlen(note), prog_vkey, err, sizeof err) == 0);
    CHECK(r != NULL && r->n_partners == 3 && r->serial == 3);
    cps_roster_free(&r);

    /* twin: the pinned key is another one */
    CHECK(cps_roster_verify(&r, note, strlen(note), other_vkey, err, sizeof err) == CPS_EROSTER);
    CHECK(r == NULL && strstr(err, "not signed by") != NULL);

    /* twin: the body edited after signing (serial, a name, a status) */
    CHECK_SETUP((edited = strdup(note)) != NULL);
    strstr(edited, "serial 3")[7] = '4';
    CHECK(cps_roster_verify(&r, edited, strlen(edited), prog_vkey, err, sizeof err) == CPS_EROSTER);
    free(edited);
    CHECK_SETUP((edited = strdup(note)) != NULL);
    memcpy(strstr(edited, "revoked"), "active ", 7); /* same length, different meaning */
    CHECK(cps_roster_verify(&r, edited, strlen(edited), prog_vkey, err, sizeof err) == CPS_EROSTER);
    free(edited);
    /* twin: truncated (signature line cut) */
    CHECK(cps_roster_verify(&r, note, strlen(note) - 10, prog_vkey, err, sizeof err) ==
          CPS_EMALFORMED);
    /* twin: unsigned */
    CHECK(cps_roster_verify(&r, text, strlen(text), prog_vkey, err, sizeof err) == CPS_EROSTER);
    CHECK(strstr(err, "not signed") != NULL);
    free(note);

    /* twin: signed by another key under the programme key's name */
    note = signed_by(text, PROG_NAME, other);
    CHECK(cps_roster_verify(&r, note, strlen(note), prog_vkey, err, sizeof err) == CPS_EROSTER);
    free(note);
    /* twin: signed by the pinned key, but its programme-key line names another key */
    free(text);
    text = body(other_vkey, partner_lines());
    note = signed_by(text, PROG_NAME, prog);
    CHECK(cps_roster_verify(&r, note, strlen(note), prog_vkey, err, sizeof err) == CPS_EROSTER);
    CHECK(strstr(err, "line 4") != NULL);
    free(note);
    /* and the consistent pair verifies */
    note = signed_by(text, PROG_NAME, other);
    CHECK(cps_roster_verify(&r, note, strlen(note), other_vkey, err, sizeof err) == 0);
    cps_roster_free(&r);
    free(note);
    free(text);

    /* a bad pinned vkey is malformed input */
    text = body(prog_vkey, "");
    note = signed_by(text, PROG_NAME, prog);
    CHECK(cps_roster_verify(&r, note, strlen(note), "nonsense", err, sizeof err) == CPS_EMALFORMED);
    CHECK(cps_roster_verify(&r, note, strlen(note), prog_vkey, err, sizeof err) == 0);
    CHECK(r != NULL && r->n_partners == 0);
    cps_roster_free(&r);
    free(note);
    free(text);
}

static void
test_load(void)
{
    struct cps_roster *r = NULL;
    char *text = body(prog_vkey, partner_lines()), *note, path[128], err[200];
    int fd;

    note = signed_by(text, PROG_NAME, prog);
    snprintf(path, sizeof path, "%s/roster.txt", dir);
    CHECK_SETUP((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) != -1);
    CHECK_SETUP(write(fd, note, strlen(note)) == (ssize_t)strlen(note));
    close(fd);
    CHECK(cps_roster_load(&r, path, prog_vkey, err, sizeof err) == 0);
    CHECK(r != NULL && r->n_partners == 3);
    cps_roster_free(&r);
    CHECK(cps_roster_load(&r, path, other_vkey, err, sizeof err) == CPS_EROSTER);
    CHECK(truncate(path, (off_t)strlen(note) - 1) == 0); /* last newline gone */
    CHECK(cps_roster_load(&r, path, prog_vkey, err, sizeof err) == CPS_EMALFORMED);
    CHECK(unlink(path) == 0);
    CHECK(cps_roster_load(&r, path, prog_vkey, err, sizeof err) == -ENOENT);
    CHECK(cps_roster_load(&r, dir, prog_vkey, err, sizeof err) != 0 && r == NULL);
    free(note);
    free(text);
}

/* Each malformed roster must be refused, and the message must name the line. */
static void
expect_bad(const char *text, int want_rc, const char *want_in_err)
{
    char err[200] = "";
    int rc = parse_err(text, err, sizeof err);

    CHECK(rc == want_rc);
    CHECK(strstr(err, want_in_err) != NULL);
    if (rc != want_rc || strstr(err, want_in_err) == NULL)
        fprintf(stderr, "  got rc=%d err=\"%s\", wanted \"%s\"\n", rc, err, want_in_err);
}

static void
test_malformed(void)
{
    char buf[2048], *good = body(prog_vkey, partner_lines());
    const char *hdr_end;
    char hdr[1024];

    /* header lines 1-5 */
    CHECK(parse_err(good, NULL, 0) == 0);
    expect_bad("", CPS_EMALFORMED, "line 1");
    expect_bad("cps-roster\n", CPS_EMALFORMED, "line 1");
    expect_bad("cps-roster v2\nprogramme x\n", CPS_EVERSION, "line 1");
    expect_bad("cps-roster v1\nprogram x\n", CPS_EMALFORMED, "line 2");
    expect_bad("cps-roster v1\nprogramme a b\n", CPS_EMALFORMED, "line 2");
    expect_bad("cps-roster v1\nprogramme x\nserial 0\n", CPS_EMALFORMED, "line 3");
    expect_bad("cps-roster v1\nprogramme x\nserial 01\n", CPS_EMALFORMED, "line 3");
    expect_bad("cps-roster v1\nprogramme x\nserial -1\n", CPS_EMALFORMED, "line 3");
    expect_bad("cps-roster v1\nprogramme x\nserial 18446744073709551616\n", CPS_EMALFORMED,
               "line 3");
    expect_bad("cps-roster v1\nprogramme x\nserial 1\n", CPS_EMALFORMED, "line 4");
    snprintf(buf, sizeof buf, "cps-roster v1\nprogramme x\nserial 1\nprogramme-key %.30s\n",
             prog_vkey);
    expect_bad(buf, CPS_EMALFORMED, "line 4");
    snprintf(buf, sizeof buf, "cps-roster v1\nprogramme x\nserial 1\nprogramme-key %s\nhub %s\n",
             prog_vkey, tok_hub + 1);
    expect_bad(buf, CPS_EMALFORMED, "line 5");
    snprintf(buf, sizeof buf, "cps-roster v1\nprogramme x\nserial 1\nprogramme-key %s\n",
             prog_vkey);
    expect_bad(buf, CPS_EMALFORMED, "line 5");
    /* the header without partners, and without the final newline */
    snprintf(buf, sizeof buf, "cps-roster v1\nprogramme x\nserial 1\nprogramme-key %s\nhub %s\n",
             prog_vkey, tok_hub);
    CHECK(parse_err(buf, NULL, 0) == 0);
    buf[strlen(buf) - 1] = '\0';
    expect_bad(buf, CPS_EMALFORMED, "line 5");

    /* partner lines (the first partner line is line 6) */
    hdr_end = strstr(good, "partner ");
    snprintf(hdr, sizeof hdr, "%.*s", (int)(hdr_end - good), good);
    {
        /* "%s" stands for P07's key, "%.40s" for a truncated one */
        static const char *const fmts[] = {
            "partner P7 IT university active %s X\n",
            "partner Q07 IT university active %s X\n",
            "partner P07 it university active %s X\n",
            "partner P07 ITA university active %s X\n",
            "partner P07 IT company active %s X\n",
            "partner P07 IT university dormant %s X\n",
            "partner P07 IT university active %.40s X\n",
            "partner P07 IT university active %s\n",
            "partner P07 IT university active %s \n",
            "partner P07 IT university active %s  X\n",
            "partner P07  IT university active %s X\n",
            "partner P07 IT university active %s X\r\n",
            "partner P07 IT university active %s X\ty\n",
            "partner\n",
            "partners P07 IT university active %s X\n",
        };
        size_t i;

        for (i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
            char line[512];

            const char *at = strchr(fmts[i], '%');

            if (at == NULL) { /* no key on this line */
                snprintf(line, sizeof line, "%s", fmts[i]);
            } else if (at[1] == 's') {
                snprintf(line, sizeof line, "%.*s%s%s", (int)(at - fmts[i]), fmts[i], tok_p07,
                         at + 2);
            } else { /* "%.40s": a truncated key */
                snprintf(line, sizeof line, "%.*s%.40s%s", (int)(at - fmts[i]), fmts[i], tok_p07,
                         at + 5);
            }
            snprintf(buf, sizeof buf, "%s%s", hdr, line);
            expect_bad(buf, CPS_EMALFORMED, "line 6");
        }
    }
    /* line 7: out of order, duplicate id, duplicate key */
    snprintf(buf, sizeof buf,
             "%spartner P07 IT university active %s A\n"
             "partner P03 IT university active %s B\n",
             hdr, tok_p07, tok_p03);
    expect_bad(buf, CPS_EMALFORMED, "line 7");
    snprintf(buf, sizeof buf,
             "%spartner P07 IT university active %s A\n"
             "partner P07 IT university active %s B\n",
             hdr, tok_p07, tok_p03);
    expect_bad(buf, CPS_EMALFORMED, "line 7");
    snprintf(buf, sizeof buf,
             "%spartner P07 IT university active %s A\n"
             "partner P08 IT university active %s B\n",
             hdr, tok_p07, tok_p07);
    expect_bad(buf, CPS_EMALFORMED, "line 7");
    /* P100 after P99 is in order, P100 before P99 is not */
    snprintf(buf, sizeof buf,
             "%spartner P99 IT university active %s A\n"
             "partner P100 IT university active %s B\n",
             hdr, tok_p07, tok_p03);
    CHECK(parse_err(buf, NULL, 0) == 0);
    snprintf(buf, sizeof buf,
             "%spartner P100 IT university active %s A\n"
             "partner P99 IT university active %s B\n",
             hdr, tok_p07, tok_p03);
    expect_bad(buf, CPS_EMALFORMED, "line 7");
    /* after a blank line only signature lines may follow */
    snprintf(buf, sizeof buf,
             "%spartner P07 IT university active %s A\n\n"
             "partner P08 IT university active %s B\n",
             hdr, tok_p07, tok_p03);
    expect_bad(buf, CPS_EMALFORMED, "line 8");
    snprintf(buf, sizeof buf,
             "%spartner P07 IT university active %s A\n\n"
             "\xe2\x80\x94 x AAAA\n",
             hdr, tok_p07);
    CHECK(parse_err(buf, NULL, 0) == 0);
    /* a name may hold spaces and UTF-8 */
    snprintf(buf, sizeof buf,
             "%spartner P07 IT university active %s Universit\xc3\xa0 di "
             "Milano-Bicocca\n",
             hdr, tok_p07);
    CHECK(parse_err(buf, NULL, 0) == 0);
    free(good);
}

static void
cleanup(void)
{
    cps_crypto_keys_free(&prog);
    cps_crypto_keys_free(&other);
    cps_crypto_keys_free(&hub);
    cps_crypto_keys_free(&p07);
    cps_crypto_keys_free(&p12);
    cps_crypto_keys_free(&p03);
    (void)rmdir(dir);
}

int
main(void)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(dir, sizeof dir, "%s/cps-test-roster-XXXXXX",
             tmp != NULL && strlen(tmp) < 32 ? tmp : "/tmp");
    CHECK_SETUP(mkdtemp(dir) != NULL);
    CHECK_SETUP(cps_crypto_init() == 0);
    setup();
    test_parse_format();
    test_add();
    test_verify();
    test_load();
    test_malformed();
    cleanup();
    return check_done();
}
