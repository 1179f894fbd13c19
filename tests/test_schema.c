/* SPDX-License-Identifier: ISC */
/*
 * Tests for schema: collections, key syntax and shape, ownership (partner and programme),
 * value shape, and the field rules of every collection. Every accepted case has a refused
 * twin that differs in one thing, and the refusal names that thing. Records start from a
 * valid base record per collection; each twin replaces, removes or adds one field.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cps/schema.h"
#include "cps/value.h"

static const struct cps_schema_writer p07 = {"P07"};
static const struct cps_schema_writer p08 = {"P08"};
static const struct cps_schema_writer programme = {NULL};

#define W1_KEY "P07/P07-C012/rd/2016-Q3"

static char err[CPS_SCHEMA_ERR_MAX];

/* Check a put of JSON text (converted with cps_value_from_json). */
static int
put(const struct cps_schema_writer *w, const char *coll, const char *key, const char *json)
{
    uint8_t *mp = NULL;
    size_t len = 0;
    char jerr[128];
    int rc;

    CHECK_SETUP(cps_value_from_json(&mp, &len, json, strlen(json), jerr, sizeof jerr) == 0);
    err[0] = '\0';
    rc = cps_schema_check(w, coll, strlen(coll), key, strlen(key), mp, len, err, sizeof err);
    free(mp);
    return rc;
}

static int
put_raw(const struct cps_schema_writer *w, const char *coll, const char *key, const uint8_t *mp,
        size_t len)
{
    err[0] = '\0';
    return cps_schema_check(w, coll, strlen(coll), key, strlen(key), mp, len, err, sizeof err);
}

static int
del(const struct cps_schema_writer *w, const char *coll, const char *key)
{
    err[0] = '\0';
    return cps_schema_check(w, coll, strlen(coll), key, strlen(key), NULL, 0, err, sizeof err);
}

/* --- base records and their one-field twins --------------------------------------------- */

struct kv {
    const char *name, *json;
};

/* clang-format off */
static const struct kv partner_base[] = {
    { "id", "\"P07\"" }, { "name", "\"Demo Regional Development Agency P07\"" },
    { "country", "\"BG\"" }, { "type", "\"development-agency\"" }, { "membership", "\"EU\"" },
    { "role", "\"partner\"" }, { NULL, NULL },
};
static const struct kv cluster_base[] = {
    { "id", "\"P07-C003\"" }, { "name", "\"Demo Cluster 3 (P07)\"" }, { "nuts2", "\"BG41\"" },
    { "sector", "\"C26.1\"" }, { "member_firms", "42" }, { "employees", "1800" },
    { "founded", "2008" }, { "areas", "[\"innovation\",\"rd\"]" }, { NULL, NULL },
};
static const struct kv indicator_base[] = {
    { "partner", "\"P07\"" }, { "cluster_id", "\"P07-C012\"" }, { "area", "\"rd\"" },
    { "period", "\"2016-Q3\"" }, { "indicator", "\"rd_expenditure\"" }, { "value", "123456.78" },
    { "unit", "\"EUR_thousand\"" },
    { "source", "\"national-stat-office/rd-survey/2020-00ab12\"" },
    { "updated_at", "\"2024-03-06T14:56:56Z\"" }, { "note", "\"revised after partial returns\"" },
    { NULL, NULL },
};
static const struct kv action_base[] = {
    { "id", "\"P07-PA01\"" }, { "area", "\"innovation\"" },
    { "title", "\"Demo innovation voucher scheme\"" }, { "status", "\"completed\"" },
    { "start", "\"2014-03-01\"" }, { "end", "\"2015-02-28\"" }, { "budget_eur", "120000" },
    { "evaluation", "{\"score\":4,\"lessons\":\"small vouchers reach first-time innovators\"}" },
    { NULL, NULL },
};
static const struct kv lesson_base[] = {
    { "id", "\"P07-L01\"" }, { "area", "\"rd\"" },
    { "text", "\"Pair each voucher with a mentor from a research institute\"" },
    { "pilot_action", "\"P07/P07-PA01\"" }, { "shared_with", "[\"P19\",\"P20\"]" },
    { NULL, NULL },
};
static const struct kv period_base[] = {
    { "label", "\"2014 Q1\"" }, { "start", "\"2014-01-01\"" }, { "end", "\"2014-03-31\"" },
    { "due", "\"2014-04-30\"" }, { NULL, NULL },
};
static const struct kv definition_base[] = {
    { "area", "\"rd\"" }, { "code", "\"rd_expenditure\"" }, { "name", "\"R&D expenditure\"" },
    { "unit", "\"EUR_thousand\"" }, { "periodicity", "\"quarterly\"" },
    { "expected_from_types", "[\"research-institute\",\"university\"]" }, { NULL, NULL },
};
/* clang-format on */

/* base with field replaced by json (removed when json is NULL; added when not in base). */
static const char *
with(const struct kv *base, const char *field, const char *json)
{
    static char buf[96 * 1024];
    size_t o = 0;
    int found = 0;

    buf[o++] = '{';
    for (; base->name != NULL; base++) {
        const char *v = base->json;

        if (field != NULL && strcmp(field, base->name) == 0) {
            found = 1;
            if (json == NULL)
                continue;
            v = json;
        }
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s\"%s\":%s", o > 1 ? "," : "", base->name,
                              v);
    }
    if (field != NULL && !found && json != NULL)
        o +=
            (size_t)snprintf(buf + o, sizeof buf - o, "%s\"%s\":%s", o > 1 ? "," : "", field, json);
    snprintf(buf + o, sizeof buf - o, "}");
    return buf;
}

/* One field changed: accepted (want NULL), or refused with err containing want. */
struct twin {
    const char *field, *json, *want;
};

static void
twins(const struct cps_schema_writer *w, const char *coll, const char *key, const struct kv *base,
      const struct twin *t, size_t n)
{
    size_t i;
    int rc;

    for (i = 0; i < n; i++) {
        rc = put(w, coll, key, with(base, t[i].field, t[i].json));
        if (t[i].want == NULL) {
            CHECK(rc == 0);
            if (rc != 0)
                fprintf(stderr, "  %s %s=%s: refused: %s\n", coll, t[i].field,
                        t[i].json ? t[i].json : "(absent)", err);
        } else {
            CHECK(rc == CPS_ESCHEMA && strstr(err, t[i].want) != NULL);
            if (rc != CPS_ESCHEMA || strstr(err, t[i].want) == NULL)
                fprintf(stderr, "  %s %s=%s: rc %d err '%s', wanted '%s'\n", coll, t[i].field,
                        t[i].json ? t[i].json : "(absent)", rc, err, t[i].want);
        }
    }
}

#define TWINS(w, coll, key, base, t) twins(w, coll, key, base, t, sizeof t / sizeof t[0])

/* The key's shape: accepted (want NULL) or refused naming the key. */
static void
keys(const struct cps_schema_writer *w, const char *coll, const char *const *good,
     const char *const *bad, const char *value_for_good)
{
    for (; *good != NULL; good++) {
        CHECK(put(w, coll, *good, value_for_good) == 0);
        if (err[0] != '\0')
            fprintf(stderr, "  %s %s: %s\n", coll, *good, err);
    }
    for (; *bad != NULL; bad++) {
        CHECK(put(w, coll, *bad, value_for_good) == CPS_ESCHEMA && strstr(err, ": key: expected"));
        if (strstr(err, ": key: expected") == NULL)
            fprintf(stderr, "  %s %s: '%s'\n", coll, *bad, err);
    }
}

/* --- collections, keys, ownership ------------------------------------------------------- */

static void
test_collections(void)
{
    CHECK(cps_schema_known("indicator", 9));
    CHECK(cps_schema_known("partner", 7));
    CHECK(cps_schema_known("policy_lesson", 13));
    CHECK(cps_schema_known("pilot_action", 12));
    CHECK(cps_schema_known("cluster", 7));
    CHECK(cps_schema_known("period", 6));
    CHECK(cps_schema_known("indicator_definition", 20));
    CHECK(!cps_schema_known("indicators", 10));
    CHECK(!cps_schema_known("indicator", 8));
    CHECK(!cps_schema_known("", 0));
    CHECK(!cps_schema_known(NULL, 0));
    CHECK(cps_schema_programme_owned("partner", 7));
    CHECK(cps_schema_programme_owned("period", 6));
    CHECK(cps_schema_programme_owned("indicator_definition", 20));
    CHECK(!cps_schema_programme_owned("indicator", 9));
    CHECK(!cps_schema_programme_owned("cluster", 7));
    CHECK(!cps_schema_programme_owned("pilot_action", 12));
    CHECK(!cps_schema_programme_owned("policy_lesson", 13));
    CHECK(!cps_schema_programme_owned("nope", 4));

    CHECK(put(&p07, "cluster", "P07/P07-C003", with(cluster_base, NULL, NULL)) == 0);
    CHECK(put(&p07, "clusters", "P07/P07-C003", with(cluster_base, NULL, NULL)) == CPS_ESCHEMA);
    CHECK(strcmp(err, "unknown collection 'clusters'") == 0);
}

static void
test_keys(void)
{
    char longkey[CPS_SCHEMA_KEY_MAX + 2];

    /* deletes need only a well-formed key the writer owns (older records stay removable) */
    memset(longkey, 'a', sizeof longkey);
    memcpy(longkey, "P07/", 4);
    longkey[CPS_SCHEMA_KEY_MAX] = '\0';
    CHECK(del(&p07, "cluster", longkey) == 0);
    longkey[CPS_SCHEMA_KEY_MAX] = 'a';
    longkey[CPS_SCHEMA_KEY_MAX + 1] = '\0';
    CHECK(del(&p07, "cluster", longkey) == CPS_ESCHEMA);
    CHECK(strstr(err, ": key: expected 1..256 printable ASCII") != NULL);

    CHECK(del(&p07, "cluster", "P07/a/b-c_d.e:f") == 0);
    CHECK(del(&p07, "cluster", "") == CPS_ESCHEMA);
    CHECK(del(&p07, "cluster", "P07//a") == CPS_ESCHEMA);
    CHECK(del(&p07, "cluster", "P07/a/") == CPS_ESCHEMA);
    CHECK(del(&p07, "cluster", "/P07/a") == CPS_ESCHEMA);
    CHECK(del(&p07, "cluster", "P07/a b") == CPS_ESCHEMA);
    CHECK(del(&p07, "cluster", "P07/a\tb") == CPS_ESCHEMA);
    CHECK(del(&p07, "cluster", "P07/\xc3\xa9") == CPS_ESCHEMA);
    CHECK(cps_schema_check(&p07, "cluster", 7, "P07/a\0b", 7, NULL, 0, err, sizeof err) ==
          CPS_ESCHEMA);
    CHECK(del(&programme, "period", "2016-Q3") == 0);
    CHECK(del(&programme, "period", "2016 Q3") == CPS_ESCHEMA);
    CHECK(del(&programme, "period", "old-style") == 0);
    CHECK(del(&p07, "cluster", "P07/old-style") == 0);
    /* puts need the collection's key shape */
    CHECK(put(&p07, "cluster", "P07/old-style", with(cluster_base, NULL, NULL)) == CPS_ESCHEMA);
    CHECK(strcmp(err, "cluster P07/old-style: key: expected <partner>/<partner>-Cnnn, e.g. "
                      "P07/P07-C003") == 0);
}

static void
test_ownership(void)
{
    char *partner = strdup(with(partner_base, NULL, NULL));
    char *period = strdup(with(period_base, NULL, NULL));

    CHECK_SETUP(partner != NULL && period != NULL);

    /* partner-owned: the key starts with the writer's id */
    CHECK(put(&p07, "indicator", W1_KEY, with(indicator_base, NULL, NULL)) == 0);
    CHECK(put(&p08, "indicator", W1_KEY, with(indicator_base, NULL, NULL)) == CPS_EOWNER);
    CHECK(strstr(err, "indicator " W1_KEY ": key: expected to start with 'P08/'") == err);
    CHECK(del(&p07, "indicator", W1_KEY) == 0);
    CHECK(del(&p08, "indicator", W1_KEY) == CPS_EOWNER);
    CHECK(del(&p07, "cluster", "P07") == CPS_EOWNER);    /* no record part */
    CHECK(del(&p07, "cluster", "P070/x") == CPS_EOWNER); /* prefix, not segment */
    CHECK(del(&p07, "cluster", "P07x") == CPS_EOWNER);
    CHECK(del(&programme, "cluster", "P07/P07-C003") == CPS_EOWNER); /* partners' data */
    CHECK(put(&programme, "cluster", "P07/P07-C003", with(cluster_base, NULL, NULL)) == CPS_EOWNER);
    CHECK(cps_schema_check(NULL, "cluster", 7, "P07/c1", 6, NULL, 0, err, sizeof err) ==
          CPS_EOWNER);
    /* ownership is decided before the key's shape */
    CHECK(put(&p08, "cluster", "P07/x", with(cluster_base, NULL, NULL)) == CPS_EOWNER);

    /* programme-owned: only the programme key */
    CHECK(put(&programme, "partner", "P07", partner) == 0);
    CHECK(put(&p07, "partner", "P07", partner) == CPS_EOWNER);
    CHECK(strcmp(err, "partner P07: collection 'partner' is written only by the programme "
                      "key") == 0);
    CHECK(put(&p07, "partner", "P07/x", partner) == CPS_EOWNER);
    CHECK(put(&programme, "period", "2014-Q1", period) == 0);
    CHECK(put(&p07, "period", "P07/2014-Q1", period) == CPS_EOWNER);
    CHECK(put(&programme, "indicator_definition", "rd/rd_expenditure",
              with(definition_base, NULL, NULL)) == 0);
    CHECK(put(&p07, "indicator_definition", "rd/rd_expenditure",
              with(definition_base, NULL, NULL)) == CPS_EOWNER);
    CHECK(del(&p07, "indicator_definition", "rd/rd_expenditure") == CPS_EOWNER);
    CHECK(cps_schema_check(NULL, "period", 6, "2016", 4, NULL, 0, err, sizeof err) == 0);

    /* the value's partner field names the key's partner, in every partner collection */
    CHECK(put(&p07, "indicator", W1_KEY, with(indicator_base, "partner", "\"P08\"")) ==
          CPS_ESCHEMA);
    CHECK(strstr(err, "field 'partner': expected 'P07'") != NULL);
    CHECK(put(&p07, "cluster", "P07/P07-C003", with(cluster_base, "partner", "\"P07\"")) == 0);
    CHECK(put(&p07, "cluster", "P07/P07-C003", with(cluster_base, "partner", "\"P08\"")) ==
          CPS_ESCHEMA);
    CHECK(put(&p07, "cluster", "P07/P07-C003", with(cluster_base, "partner", "7")) == CPS_ESCHEMA);
    CHECK(put(&p07, "pilot_action", "P07/P07-PA01", with(action_base, "partner", "\"P08\"")) ==
          CPS_ESCHEMA);
    CHECK(put(&p07, "policy_lesson", "P07/P07-L01", with(lesson_base, "partner", "\"P07\"")) == 0);
    free(partner);
    free(period);
}

/* --- value shape ------------------------------------------------------------------------ */

/* The base cluster's msgpack with extra key/value bytes appended to its map. */
static size_t
cluster_plus(uint8_t *out, size_t cap, const uint8_t *extra, size_t extra_len)
{
    const char *json = with(cluster_base, NULL, NULL);
    uint8_t *mp = NULL;
    size_t len = 0;
    char jerr[128];

    CHECK_SETUP(cps_value_from_json(&mp, &len, json, strlen(json), jerr, sizeof jerr) == 0);
    CHECK_SETUP(len + extra_len <= cap && (mp[0] & 0xf0) == 0x80 && (mp[0] & 0x0f) < 15);
    memcpy(out, mp, len);
    out[0]++; /* one more pair in the fixmap */
    if (extra_len > 0)
        memcpy(out + len, extra, extra_len);
    free(mp);
    return len + extra_len;
}

static void
test_value_shape(void)
{
    static const uint8_t int_key[] = {0x81, 0x01, 0x01};
    static const uint8_t dup_key[] = {0x82, 0xa1, 'a', 0x01, 0xa1, 'a', 0x02};
    static const uint8_t ext[] = {0x81, 0xa1, 'e', 0xd4, 1, 0};
    static const uint8_t truncated[] = {0x81, 0xa1, 'a'};
    static const uint8_t trailing[] = {0x80, 0xc0};
    static const uint8_t huge[] = {0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 'a', 0x01};
    static const uint8_t bad_utf8[] = {0x81, 0xa1, 's', 0xa1, 0xff};
    static const uint8_t big_uint[] = {0x81, 0xa1, 'n', 0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t nested_int_key[] = {0x81, 0xa1, 'm', 0x81, 0x01, 0x01};
    static const uint8_t empty_map[] = {0x80};
    /* extra fields appended to a valid cluster: accepted or refused like value.c decides */
    static const uint8_t x_nested_dup[] = {0xa1, 'x', 0x82, 0xa1, 'a', 1, 0xa1, 'a', 2};
    static const uint8_t x_dup_id[] = {0xa2, 'i', 'd', 0xa8, 'P', '0',
                                       '7',  '-', 'C', '0',  '0', '3'};
    static const uint8_t x_ext[] = {0xa1, 'x', 0xd4, 1, 0};
    static const uint8_t x_big_uint[] = {0xa1, 'x', 0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t x_max_int[] = {0xa1, 'x',  0xcf, 0x7f, 0xff, 0xff,
                                        0xff, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t x_nan64[] = {0xa1, 'x', 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0};
    static const uint8_t x_inf32[] = {0xa1, 'x', 0xca, 0x7f, 0x80, 0, 0};
    static const uint8_t x_float32[] = {0xa1, 'x', 0xca, 0x3f, 0x80, 0, 0};
    static const uint8_t x_nul[] = {0xa1, 'x', 0xa3, 'a', 0, 'b'};
    static const uint8_t x_utf8[] = {0xa1, 'x', 0xa4, 'T', 'i', 0xc8, 0x99}; /* "Tiș" */
    static const uint8_t x_overlong[] = {0xa1, 'x', 0xa2, 0xc0, 0xaf};
    static const uint8_t x_surrogate[] = {0xa1, 'x', 0xa3, 0xed, 0xa0, 0x80};
    static const uint8_t x_bin[] = {0xa1, 'x', 0xc4, 2, 0xff, 0x00};
    static const uint8_t x_int_key_deep[] = {0xa1, 'x', 0x91, 0x81, 0x01, 0x01};
    static const char *key = "P07/P07-C003";
    uint8_t buf[1024];
    size_t n;

    /* what the value decoder refuses is refused as "value: ...", before any field rule */
    CHECK(put_raw(&p07, "cluster", key, empty_map, sizeof empty_map) == CPS_ESCHEMA);
    CHECK(strstr(err, "cluster P07/P07-C003: field 'id': missing") == err);
    CHECK(put(&p07, "cluster", key, "[1,2]") == CPS_ESCHEMA);
    CHECK(strcmp(err, "cluster P07/P07-C003: value: expected a map") == 0);
    CHECK(put(&p07, "cluster", key, "\"x\"") == CPS_ESCHEMA);
    CHECK(put_raw(&p07, "cluster", key, int_key, sizeof int_key) == CPS_ESCHEMA);
    CHECK(strstr(err, "map key is not a string") != NULL);
    CHECK(put_raw(&p07, "cluster", key, nested_int_key, sizeof nested_int_key) == CPS_ESCHEMA);
    CHECK(put_raw(&p07, "cluster", key, dup_key, sizeof dup_key) == CPS_ESCHEMA);
    CHECK(strstr(err, "value: field 'a': duplicate key") != NULL);
    CHECK(put_raw(&p07, "cluster", key, ext, sizeof ext) == CPS_ESCHEMA);
    CHECK(strstr(err, ": value: ") != NULL);
    CHECK(put_raw(&p07, "cluster", key, truncated, sizeof truncated) == CPS_ESCHEMA);
    CHECK(strstr(err, ": value: not well-formed msgpack") != NULL);
    CHECK(put_raw(&p07, "cluster", key, trailing, sizeof trailing) == CPS_ESCHEMA);
    CHECK(strstr(err, ": value: 1 bytes after the value") != NULL);
    CHECK(put_raw(&p07, "cluster", key, trailing, 1) == CPS_ESCHEMA);
    CHECK(strstr(err, "field 'id': missing") != NULL);
    CHECK(put_raw(&p07, "cluster", key, huge, sizeof huge) == CPS_ESCHEMA);
    CHECK(put_raw(&p07, "cluster", key, bad_utf8, sizeof bad_utf8) == CPS_ESCHEMA);
    CHECK(put_raw(&p07, "cluster", key, big_uint, sizeof big_uint) == CPS_ESCHEMA);
    CHECK(put_raw(&p07, "cluster", key, empty_map, 0) == CPS_ESCHEMA);

    /* a valid record plus one extra field: the fast reader agrees with value.c */
    n = cluster_plus(buf, sizeof buf, NULL, 0);
    buf[0]--;
    CHECK(put_raw(&p07, "cluster", key, buf, n) == 0);
#define PLUS(x) cluster_plus(buf, sizeof buf, x, sizeof x)
    n = PLUS(x_nested_dup);
    CHECK(put_raw(&p07, "cluster", key, buf, n) == CPS_ESCHEMA && strstr(err, "duplicate key"));
    n = PLUS(x_dup_id);
    CHECK(put_raw(&p07, "cluster", key, buf, n) == CPS_ESCHEMA &&
          strstr(err, "value: field 'id': duplicate key"));
    n = PLUS(x_ext);
    CHECK(put_raw(&p07, "cluster", key, buf, n) == CPS_ESCHEMA && strstr(err, "ext"));
    n = PLUS(x_big_uint);
    CHECK(put_raw(&p07, "cluster", key, buf, n) == CPS_ESCHEMA &&
          strstr(err, "field 'x': integer out of range"));
    n = PLUS(x_max_int);
    CHECK(put_raw(&p07, "cluster", key, buf, n) == 0);
    n = PLUS(x_nan64);
    CHECK(put_raw(&p07, "cluster", key, buf, n) == CPS_ESCHEMA && strstr(err, "not finite"));
    n = PLUS(x_inf32);
    CHECK(put_raw(&p07, "cluster", key, buf, n) == CPS_ESCHEMA && strstr(err, "not finite"));
    n = PLUS(x_float32);
    CHECK(put_raw(&p07, "cluster", key, buf, n) == 0);
    n = PLUS(x_nul);
    CHECK(put_raw(&p07, "cluster", key, buf, n) == CPS_ESCHEMA && strstr(err, "UTF-8 or NUL"));
    n = PLUS(x_utf8);
    CHECK(put_raw(&p07, "cluster", key, buf, n) == 0);
    n = PLUS(x_overlong);
    CHECK(put_raw(&p07, "cluster", key, buf, n) == CPS_ESCHEMA && strstr(err, "UTF-8"));
    n = PLUS(x_surrogate);
    CHECK(put_raw(&p07, "cluster", key, buf, n) == CPS_ESCHEMA && strstr(err, "UTF-8"));
    n = PLUS(x_bin);
    CHECK(put_raw(&p07, "cluster", key, buf, n) == 0);
    n = PLUS(x_int_key_deep);
    CHECK(put_raw(&p07, "cluster", key, buf, n) == CPS_ESCHEMA &&
          strstr(err, "map key is not a string"));
#undef PLUS
}

/* A value at, and one byte over, the size limit: a valid cluster padded by a "pad" string. */
static void
test_value_size(void)
{
    char *json, *pad;
    uint8_t *mp;
    size_t len, want = CPS_VALUE_MAX_BYTES, padn = 1000;
    char jerr[128];
    int round;

    for (round = 0; round < 2; round++) {
        CHECK_SETUP((pad = malloc(padn + 3)) != NULL);
        pad[0] = '"';
        memset(pad + 1, 'x', padn);
        memcpy(pad + 1 + padn, "\"", 2);
        json = strdup(with(cluster_base, "pad", pad));
        CHECK_SETUP(json != NULL);
        CHECK_SETUP(cps_value_from_json(&mp, &len, json, strlen(json), jerr, sizeof jerr) == 0);
        free(json);
        free(pad);
        if (round == 0) {
            padn += want - len; /* str16 both times: the header does not grow */
            free(mp);
            continue;
        }
        CHECK_SETUP(len == want);
        CHECK(put_raw(&p07, "cluster", "P07/P07-C003", mp, len) == 0);
        free(mp);
    }
    /* one byte more */
    CHECK_SETUP((pad = malloc(padn + 4)) != NULL);
    pad[0] = '"';
    memset(pad + 1, 'x', padn + 1);
    memcpy(pad + 2 + padn, "\"", 2);
    json = strdup(with(cluster_base, "pad", pad));
    CHECK_SETUP(json != NULL);
    CHECK_SETUP(cps_value_from_json(&mp, &len, json, strlen(json), jerr, sizeof jerr) == 0);
    CHECK_SETUP(len == want + 1);
    CHECK(put_raw(&p07, "cluster", "P07/P07-C003", mp, len) == CPS_ESCHEMA);
    CHECK(strstr(err, "value: larger than 65536 bytes") != NULL);
    free(mp);
    free(json);
    free(pad);
}

/* Maps larger than the reader's tables: found by scanning, refused and accepted alike. */
static void
test_many_fields(void)
{
    char *json;
    size_t o = 0, i, cap = 16384;

    CHECK_SETUP((json = malloc(cap)) != NULL);
    json[o++] = '{';
    for (i = 0; i < 80; i++)
        o += (size_t)snprintf(json + o, cap - o, "\"x%zu\":%zu,", i, i);
    snprintf(json + o, cap - o, "%s", with(cluster_base, NULL, NULL) + 1);
    CHECK(put(&p07, "cluster", "P07/P07-C003", json) == 0);
    snprintf(json + o, cap - o, "%s", with(cluster_base, "employees", "-1") + 1);
    CHECK(put(&p07, "cluster", "P07/P07-C003", json) == CPS_ESCHEMA);
    CHECK(strcmp(err, "cluster P07/P07-C003: field 'employees': expected an integer >= 0") == 0);
    snprintf(json + o, cap - o, "%s", with(cluster_base, "areas", NULL) + 1);
    CHECK(put(&p07, "cluster", "P07/P07-C003", json) == CPS_ESCHEMA);
    CHECK(strstr(err, "field 'areas': missing") != NULL);
    free(json);
}

/* --- the collections' rules ------------------------------------------------------------- */

static void
test_partner(void)
{
    static const struct twin t[] = {
        {NULL, NULL, NULL},
        {"id", "\"P08\"", "partner P07: field 'id': expected 'P07', as in the key"},
        {"id", NULL, "field 'id': missing, expected a partner id: P and two or more digits"},
        {"id", "7", "field 'id': expected a partner id"},
        {"id", "\"p07\"", "field 'id': expected a partner id"},
        {"name", "\"\"", "field 'name': expected a non-empty string"},
        {"name", NULL, "field 'name': missing, expected a non-empty string"},
        {"name", "null", "field 'name': expected a non-empty string"},
        {"country", "\"EL\"",
         "field 'country': expected one of AT, BG, GR, HU, IT, RO, SK, "
         "SI, AL, HR, RS"},
        {"country", "\"FR\"", "field 'country': expected one of"},
        {"country", "\"bg\"", "field 'country': expected one of"},
        {"country", NULL, "field 'country': missing"},
        {"type", "\"university\"", NULL},
        {"type", "\"ngo\"",
         "field 'type': expected one of public-authority, development-agency, "
         "research-institute, university, innovation-agency, "
         "cluster-network"},
        {"membership", "\"IPA\"", "field 'membership': expected 'EU' for country BG"},
        {"membership", "\"eu\"", "field 'membership': expected one of EU, IPA"},
        {"membership", NULL, "field 'membership': missing"},
        {"role", "\"lead\"", NULL},
        {"role", "\"leader\"", "field 'role': expected one of lead, partner"},
        {"role", NULL, "field 'role': missing"},
        {"website", "\"https://example.org\"", NULL}, /* extra fields are allowed */
    };
    static const char *const good[] = {"P07", NULL};
    static const char *const bad[] = {"P7", "p07", "PX7", "P07/x", "07", NULL};
    static const char *const eu[] = {"AT", "BG", "GR", "HU", "IT", "RO", "SK", "SI"};
    static const char *const ipa[] = {"AL", "HR", "RS"};
    static const char *const types[] = {"public-authority",   "development-agency",
                                        "research-institute", "university",
                                        "innovation-agency",  "cluster-network"};
    char json[512], q[64];
    size_t i;

    TWINS(&programme, "partner", "P07", partner_base, t);
    keys(&programme, "partner", good, bad, with(partner_base, NULL, NULL));
    CHECK(put(&programme, "partner", "P123", with(partner_base, "id", "\"P123\"")) == 0);

    /* every country, with the membership it needs and not the other */
    for (i = 0; i < 11; i++) {
        const char *c = i < 8 ? eu[i] : ipa[i - 8];
        char m[64];

        snprintf(q, sizeof q, "\"%s\"", c);
        snprintf(m, sizeof m, "\"%s\"", i < 8 ? "EU" : "IPA");
        snprintf(json, sizeof json,
                 "{\"id\":\"P07\",\"name\":\"n\",\"country\":%s,\"type\":"
                 "\"university\",\"membership\":%s,\"role\":\"partner\"}",
                 q, m);
        CHECK(put(&programme, "partner", "P07", json) == 0);
        snprintf(m, sizeof m, "\"%s\"", i < 8 ? "IPA" : "EU");
        snprintf(json, sizeof json,
                 "{\"id\":\"P07\",\"name\":\"n\",\"country\":%s,\"type\":"
                 "\"university\",\"membership\":%s,\"role\":\"partner\"}",
                 q, m);
        CHECK(put(&programme, "partner", "P07", json) == CPS_ESCHEMA);
        CHECK(strstr(err, "field 'membership': expected '") != NULL);
    }
    for (i = 0; i < 6; i++) {
        snprintf(q, sizeof q, "\"%s\"", types[i]);
        CHECK(put(&programme, "partner", "P07", with(partner_base, "type", q)) == 0);
    }
}

static void
test_cluster(void)
{
    static const struct twin t[] = {
        {NULL, NULL, NULL},
        {"id", "\"P07-C004\"",
         "cluster P07/P07-C003: field 'id': expected 'P07-C003', as in "
         "the key"},
        {"id", NULL, "field 'id': missing, expected the cluster id <partner>-Cnnn"},
        {"name", "\"\"", "field 'name': expected a non-empty string"},
        {"name", "\"Demo Cluster Timi\xc8\x99oara (P07)\"", NULL},
        {"nuts2", "\"ITH3\"", NULL},
        {"nuts2", "\"EL30\"", NULL},
        {"nuts2", "\"AL01\"", NULL},
        {"nuts2", "\"ATZZ\"", NULL},
        {"nuts2", "\"ith3\"", "field 'nuts2': expected a NUTS 2 code"},
        {"nuts2", "\"IT3\"", "field 'nuts2': expected a NUTS 2 code"},
        {"nuts2", "\"ITH34\"", "field 'nuts2': expected a NUTS 2 code"},
        {"nuts2", "\"IT-3\"", "field 'nuts2': expected a NUTS 2 code"},
        {"nuts2", "\"1TH3\"", "field 'nuts2': expected a NUTS 2 code"},
        {"nuts2", NULL, "field 'nuts2': missing"},
        {"sector", "\"C26\"", NULL},
        {"sector", "\"M72.11\"", NULL},
        {"sector", "\"A01\"", NULL},
        {"sector", "\"U99\"", NULL},
        {"sector", "\"J62.0\"", NULL},
        {"sector", "\"C33\"", NULL},
        {"sector", "\"C34\"", "field 'sector': expected a NACE Rev. 2 code"},
        {"sector", "\"A04\"", "field 'sector': expected a NACE Rev. 2 code"},
        {"sector", "\"C\"", "field 'sector': expected a NACE Rev. 2 code"},
        {"sector", "\"C2\"", "field 'sector': expected a NACE Rev. 2 code"},
        {"sector", "\"M72.\"", "field 'sector': expected a NACE Rev. 2 code"},
        {"sector", "\"M72.123\"", "field 'sector': expected a NACE Rev. 2 code"},
        {"sector", "\"c26\"", "field 'sector': expected a NACE Rev. 2 code"},
        {"sector", "\"Z10\"", "field 'sector': expected a NACE Rev. 2 code"},
        {"sector", "\"C26-1\"", "field 'sector': expected a NACE Rev. 2 code"},
        {"sector", "26", "field 'sector': expected a NACE Rev. 2 code"},
        {"member_firms", "0", NULL},
        {"member_firms", "-1", "field 'member_firms': expected an integer >= 0"},
        {"member_firms", "1.5", "field 'member_firms': expected an integer >= 0"},
        {"member_firms", "42.0", "field 'member_firms': expected an integer >= 0"},
        {"member_firms", "\"42\"", "field 'member_firms': expected an integer >= 0"},
        {"member_firms", NULL, "field 'member_firms': missing, expected an integer >= 0"},
        {"employees", "0", NULL},
        {"employees", "-1", "cluster P07/P07-C003: field 'employees': expected an integer >= 0"},
        {"employees", "null", "field 'employees': expected an integer >= 0"},
        {"founded", "1900", NULL},
        {"founded", "2100", NULL},
        {"founded", NULL, NULL},
        {"founded", "null", NULL},
        {"founded", "1899", "field 'founded': expected a year 1900..2100"},
        {"founded", "2101", "field 'founded': expected a year 1900..2100"},
        {"founded", "\"2008\"", "field 'founded': expected a year 1900..2100"},
        {"areas",
         "[\"innovation\",\"rd\",\"sustainability\",\"international_cooperation\","
         "\"financing\",\"regional_specialisation\",\"jobs_skills\"]",
         NULL},
        {"areas", "[\"jobs_skills\"]", NULL},
        {"areas", "[]", "field 'areas': expected a non-empty array of distinct areas"},
        {"areas", "[\"rd\",\"innovation\",\"rd\"]", "field 'areas': 'rd' appears twice"},
        {"areas", "[\"research\"]", "field 'areas': expected a non-empty array"},
        {"areas", "[\"rd\",1]", "field 'areas': expected a non-empty array"},
        {"areas", "\"rd\"", "field 'areas': expected a non-empty array"},
        {"areas", NULL, "field 'areas': missing"},
        {"colour", "\"blue\"", NULL},
    };
    static const char *const good[] = {"P07/P07-C003", NULL};
    static const char *const bad[] = {"P07/P07-C03", "P07/P08-C003",   "P07/P07-C0033",
                                      "P07/c1",      "P07/P07-C003/x", "P07/P07-D003",
                                      "P07/P07C003", "P07/P07-C00a",   NULL};

    TWINS(&p07, "cluster", "P07/P07-C003", cluster_base, t);
    keys(&p07, "cluster", good, bad, with(cluster_base, NULL, NULL));
    CHECK(put(&p07, "cluster", "P07/P07-C999", with(cluster_base, "id", "\"P07-C999\"")) == 0);
    CHECK(put(&p07, "cluster", "P07/P07-C000", with(cluster_base, "id", "\"P07-C000\"")) == 0);
}

static void
test_indicator(void)
{
    static const struct twin t[] = {
        {NULL, NULL, NULL},
        {"period", "\"2016-Q4\"", "field 'period': expected '2016-Q3', as in the key"},
        {"period", "\"2016-Q5\"",
         "indicator " W1_KEY ": field 'period': expected a period YYYY, "
         "YYYY-Qn (n 1..4) or YYYY-Hn (n 1..2)"},
        {"period", "\"2016-Q0\"", "field 'period': expected a period"},
        {"period", "\"2016-H3\"", "field 'period': expected a period"},
        {"period", "\"16-Q1\"", "field 'period': expected a period"},
        {"period", "\"2016Q1\"", "field 'period': expected a period"},
        {"period", "\"2016-q3\"", "field 'period': expected a period"},
        {"period", "\"2016-Q3 \"", "field 'period': expected a period"},
        {"period", "\"\"", "field 'period': expected a period"},
        {"period", "2016", "field 'period': expected a period"},
        {"period", "null", "field 'period': expected a period"},
        {"period", NULL, "field 'period': missing, expected a period"},
        {"area", "\"innovation\"", "field 'area': expected 'rd', as in the key"},
        {"area", "\"research\"",
         "indicator " W1_KEY ": field 'area': expected one of "
         "innovation, rd, sustainability, international_cooperation, "
         "financing, regional_specialisation, jobs_skills"},
        {"area", "\"RD\"", "field 'area': expected one of"},
        {"area", NULL, "field 'area': missing, expected one of"},
        {"value", "12", NULL},
        {"value", "-3", NULL},
        {"value", "0.05", NULL},
        {"value", "0", NULL},
        {"value", "\"12\"", "indicator " W1_KEY ": field 'value': expected a number"},
        {"value", "null", "field 'value': expected a number"},
        {"value", "true", "field 'value': expected a number"},
        {"value", NULL, "field 'value': missing, expected a number"},
        {"cluster_id", "\"\"", "field 'cluster_id': expected the key's cluster id"},
        {"cluster_id", "\"P07-C013\"", "field 'cluster_id': expected 'P07-C012', as in the key"},
        {"cluster_id", NULL, "field 'cluster_id': missing"},
        {"indicator", "7", "field 'indicator': expected an indicator code"},
        {"indicator", "\"RD_expenditure\"", "field 'indicator': expected an indicator code"},
        {"indicator", "\"1x\"", "field 'indicator': expected an indicator code"},
        {"indicator", "\"rd-expenditure\"", "field 'indicator': expected an indicator code"},
        {"indicator", "\"patent_applications\"", NULL}, /* a 4-segment key names no code */
        {"partner", NULL, "field 'partner': missing"},
        /* optional fields may be absent or null, but not of another type */
        {"note", NULL, NULL},
        {"note", "null", NULL},
        {"note", "\"\"", NULL},
        {"note", "[\"x\"]", "field 'note': expected a string"},
        {"unit", "1", "field 'unit': expected a string"},
        {"source", "{}", "field 'source': expected a string"},
        {"updated_at", "\"2024-03-06T14:56:56.123+02:00\"", NULL},
        {"updated_at", "\"2024-03-06t14:56:56z\"", NULL},
        {"updated_at", "\"2024-03-06 14:56:56\"",
         "field 'updated_at': expected an RFC 3339 "
         "timestamp"},
        {"updated_at", "\"2024-13-06T14:56:56Z\"", "field 'updated_at': expected an RFC 3339"},
        {"updated_at", "\"2024-03-06T14:56:56+2:00\"", "field 'updated_at': expected an RFC"},
        {"extra", "[1]", NULL}, /* extra fields are allowed */
    };
    static const struct twin t5[] = {
        {NULL, NULL, NULL},
        {"indicator", "\"rd_personnel\"",
         "field 'indicator': expected 'rd_expenditure', as in "
         "the key"},
    };
    static const char *const good[] = {W1_KEY, W1_KEY "/rd_expenditure", NULL};
    static const char *const bad[] = {
        "P07/P08-C012/rd/2016-Q3",
        "P07/P07-C012/research/2016-Q3",
        "P07/P07-C012/rd/2016-Q5",
        "P07/P07-C012/rd",
        "P07/P07-C012/rd/2016-Q3/RD",
        "P07/P07-C012/rd/2016-Q3/rd_expenditure/x",
        "P07/P07-C12/rd/2016-Q3",
        "P07/P07-C012/2016-Q3/rd",
        NULL,
    };
    static const char *const good_periods[] = {"2016", "2016-Q1", "2016-Q4", "2016-H1", "2016-H2"};
    static const char *const areas[] = {"innovation",     "rd",
                                        "sustainability", "international_cooperation",
                                        "financing",      "regional_specialisation",
                                        "jobs_skills"};
    /* verbatim lines of the W1 workload (/work/shared/peers, seed 20250601) */
    static const char *const w1_lines[][2] = {
        {"P01/P01-C001/innovation/2013-Q1",
         "{\"partner\":\"P01\",\"cluster_id\":\"P01-C001\",\"area\":\"innovation\",\"peri"
         "od\":\"2013-Q1\",\"indicator\":\"patent_applications\",\"value\":3864.32,\"u"
         "nit\":\"count\",\"source\":\"regional-observatory/2015-1b8d8c\",\"updated_"
         "at\":\"2024-04-12T02:26:19Z\",\"note\":\"after partial validated annex e"
         "xcludes\"}"},
        {"P25/P25-C060/international_cooperation/2020-Q4",
         "{\"partner\":\"P25\",\"cluster_id\":\"P25-C060\",\"area\":\"international_coo"
         "peration\",\"period\":\"2020-Q4\",\"indicator\":\"export_revenue_share\",\"v"
         "alue\":74.90,\"unit\":\"percent\",\"source\":\"company-annual-report/2021-"
         "b80d83\",\"updated_at\":\"2024-02-29T15:02:08Z\",\"note\":\"annex partial "
         "on after bodies by figure\"}"},
        {"P13/P13-C027/regional_specialisation/2018-Q4",
         "{\"partner\":\"P13\",\"cluster_id\":\"P13-C027\",\"area\":\"regional_speciali"
         "sation\",\"period\":\"2018-Q4\",\"indicator\":\"smart_specialisation_domai"
         "ns\",\"value\":5.02,\"unit\":\"count\",\"source\":\"eurostat/cis/2019-db0011"
         "\",\"updated_at\":\"2024-06-26T10:07:13Z\",\"note\":\"partial affiliated s"
         "ee affiliated excludes\"}"},
    };
    char q[64], key[64], json[1024];
    const char *at;
    size_t i;

    TWINS(&p07, "indicator", W1_KEY, indicator_base, t);
    TWINS(&p07, "indicator", W1_KEY "/rd_expenditure", indicator_base, t5);
    keys(&p07, "indicator", good, bad, with(indicator_base, NULL, NULL));
    for (i = 0; i < sizeof good_periods / sizeof good_periods[0]; i++) {
        snprintf(key, sizeof key, "P07/P07-C012/rd/%s", good_periods[i]);
        snprintf(q, sizeof q, "\"%s\"", good_periods[i]);
        CHECK(put(&p07, "indicator", key, with(indicator_base, "period", q)) == 0);
    }
    for (i = 0; i < sizeof areas / sizeof areas[0]; i++) {
        snprintf(key, sizeof key, "P07/P07-C012/%s/2016-Q3", areas[i]);
        snprintf(q, sizeof q, "\"%s\"", areas[i]);
        CHECK(put(&p07, "indicator", key, with(indicator_base, "area", q)) == 0);
    }
    for (i = 0; i < sizeof w1_lines / sizeof w1_lines[0]; i++) {
        struct cps_schema_writer w = {NULL};

        memcpy(q, w1_lines[i][0], 3);
        q[3] = '\0';
        w.partner = q;
        CHECK(put(&w, "indicator", w1_lines[i][0], w1_lines[i][1]) == 0);
        /* its twin: the number moved to another field, a string in its place */
        at = strstr(w1_lines[i][1], "\"value\":");
        snprintf(json, sizeof json, "%.*s\"value\":\"x\",\"was\":%s", (int)(at - w1_lines[i][1]),
                 w1_lines[i][1], at + 8);
        CHECK(put(&w, "indicator", w1_lines[i][0], json) == CPS_ESCHEMA);
    }
}

static void
test_pilot_action(void)
{
    static const struct twin t[] = {
        {NULL, NULL, NULL},
        {"id", "\"P07-PA02\"",
         "pilot_action P07/P07-PA01: field 'id': expected 'P07-PA01', "
         "as in the key"},
        {"id", NULL, "field 'id': missing"},
        {"area", "\"financing\"", NULL},
        {"area", "\"finance\"", "field 'area': expected one of innovation,"},
        {"title", "\"\"", "field 'title': expected a non-empty string"},
        {"title", NULL, "field 'title': missing"},
        {"status", "\"done\"",
         "field 'status': expected one of planned, running, completed, "
         "cancelled"},
        {"status", NULL, "field 'status': missing"},
        {"status", "\"cancelled\"", NULL},
        {"start", "\"2015-02-28\"", NULL}, /* end == start */
        {"start", "\"2015-03-01\"",
         "field 'end': expected a date on or after start "
         "(2015-03-01)"},
        {"start", "\"2014-02-30\"", "field 'start': expected a date YYYY-MM-DD"},
        {"start", "\"2014-3-01\"", "field 'start': expected a date YYYY-MM-DD"},
        {"start", "\"2014-00-10\"", "field 'start': expected a date YYYY-MM-DD"},
        {"start", "\"2014-04-31\"", "field 'start': expected a date YYYY-MM-DD"},
        {"start", "\"2014-03-01T00:00:00Z\"", "field 'start': expected a date YYYY-MM-DD"},
        {"start", NULL, "field 'start': missing, expected a date YYYY-MM-DD"},
        {"end", "\"2016-02-29\"", NULL},
        {"end", "\"2015-02-29\"", "field 'end': expected a date YYYY-MM-DD"},
        {"start", "\"2000-02-29\"", NULL},
        {"start", "\"1900-02-29\"", "field 'start': expected a date YYYY-MM-DD"},
        {"end", NULL,
         "field 'end': missing, expected a date YYYY-MM-DD when status is "
         "completed"},
        {"end", "\"2014-02-28\"", "field 'end': expected a date on or after start"},
        {"budget_eur", "0", NULL},
        {"budget_eur", "1234.5", NULL},
        {"budget_eur", "0.0", NULL},
        {"budget_eur", "-1", "field 'budget_eur': expected a number >= 0"},
        {"budget_eur", "-0.5", "field 'budget_eur': expected a number >= 0"},
        {"budget_eur", "\"100\"", "field 'budget_eur': expected a number >= 0"},
        {"budget_eur", NULL, "field 'budget_eur': missing, expected a number >= 0"},
        {"evaluation", NULL,
         "field 'evaluation': missing, expected a map with score (1..5) and "
         "lessons when status is completed"},
        {"evaluation", "null", "field 'evaluation': missing, expected a map"},
        {"evaluation", "\"good\"",
         "field 'evaluation': expected a map with score (1..5) and "
         "lessons"},
        {"evaluation", "{\"score\":1,\"lessons\":\"x\"}", NULL},
        {"evaluation", "{\"score\":5,\"lessons\":\"x\",\"by\":\"external evaluator\"}", NULL},
        {"evaluation", "{\"score\":0,\"lessons\":\"x\"}",
         "field 'evaluation.score': expected an "
         "integer 1..5"},
        {"evaluation", "{\"score\":6,\"lessons\":\"x\"}", "field 'evaluation.score': expected"},
        {"evaluation", "{\"score\":4.0,\"lessons\":\"x\"}", "field 'evaluation.score': expected"},
        {"evaluation", "{\"lessons\":\"x\"}",
         "field 'evaluation.score': missing, expected an "
         "integer 1..5"},
        {"evaluation", "{\"score\":3,\"lessons\":\"\"}",
         "field 'evaluation.lessons': expected a "
         "non-empty string"},
        {"evaluation", "{\"score\":3}", "field 'evaluation.lessons': missing"},
    };
    static const char *const good[] = {"P07/P07-PA01", NULL};
    static const char *const bad[] = {"P07/P07-PA01/x", "P07/P07:PA01", NULL};
    static const char *const planned =
        "{\"id\":\"P07-PA02\",\"area\":\"rd\",\"title\":\"Demo joint lab\",\"status\":"
        "\"planned\",\"start\":\"2016-01-15\",\"budget_eur\":50000}";
    static const char *const running =
        "{\"id\":\"P07-PA02\",\"area\":\"rd\",\"title\":\"Demo joint lab\",\"status\":"
        "\"running\",\"start\":\"2015-01-15\",\"budget_eur\":50000}";
    static const char *const cancelled =
        "{\"id\":\"P07-PA02\",\"area\":\"rd\",\"title\":\"Demo joint lab\",\"status\":"
        "\"cancelled\",\"start\":\"2015-01-15\",\"budget_eur\":50000}";
    char buf[512];

    TWINS(&p07, "pilot_action", "P07/P07-PA01", action_base, t);
    keys(&p07, "pilot_action", good, bad, with(action_base, NULL, NULL));
    /* end is optional while planned or running; needed when cancelled (evaluation is not) */
    CHECK(put(&p07, "pilot_action", "P07/P07-PA02", planned) == 0);
    CHECK(put(&p07, "pilot_action", "P07/P07-PA02", running) == 0);
    CHECK(put(&p07, "pilot_action", "P07/P07-PA02", cancelled) == CPS_ESCHEMA);
    CHECK(strstr(err, "field 'end': missing, expected a date YYYY-MM-DD when status is "
                      "cancelled") != NULL);
    snprintf(buf, sizeof buf, "%.*s,\"end\":\"2015-06-30\"}", (int)strlen(cancelled) - 1,
             cancelled);
    CHECK(put(&p07, "pilot_action", "P07/P07-PA02", buf) == 0);
    snprintf(buf, sizeof buf, "%.*s,\"end\":\"2015-01-14\"}", (int)strlen(running) - 1, running);
    CHECK(put(&p07, "pilot_action", "P07/P07-PA02", buf) == CPS_ESCHEMA);
    CHECK(strstr(err, "field 'end': expected a date on or after start (2015-01-15)") != NULL);
}

static void
test_policy_lesson(void)
{
    static const struct twin t[] = {
        {NULL, NULL, NULL},
        {"id", "\"P07-L02\"",
         "policy_lesson P07/P07-L01: field 'id': expected 'P07-L01', as in "
         "the key"},
        {"area", "\"jobs\"", "field 'area': expected one of"},
        {"text", "\"\"", "field 'text': expected a non-empty string"},
        {"text", NULL, "field 'text': missing"},
        {"pilot_action", NULL, NULL},
        {"pilot_action", "null", NULL},
        {"pilot_action", "\"P03/P03-PA02\"", NULL},
        {"pilot_action", "\"P07-PA01\"",
         "field 'pilot_action': expected the key of a pilot "
         "action: <partner id>/<id>"},
        {"pilot_action", "\"P07/\"", "field 'pilot_action': expected the key of a pilot"},
        {"pilot_action", "\"P07/a/b\"", "field 'pilot_action': expected the key of a pilot"},
        {"pilot_action", "\"X07/P07-PA01\"", "field 'pilot_action': expected the key of a"},
        {"pilot_action", "3", "field 'pilot_action': expected the key of a pilot"},
        {"shared_with", "[]", NULL},
        {"shared_with", "[\"P19\",\"P20\",\"P21\",\"P123\"]", NULL},
        {"shared_with", NULL,
         "field 'shared_with': missing, expected an array of distinct "
         "partner ids"},
        {"shared_with", "[\"P07\"]",
         "field 'shared_with': expected other partners, not the "
         "writer P07"},
        {"shared_with", "[\"P19\",\"P19\"]", "field 'shared_with': 'P19' appears twice"},
        {"shared_with", "[\"p19\"]",
         "field 'shared_with': expected an array of distinct "
         "partner ids"},
        {"shared_with", "[\"P1\"]", "field 'shared_with': expected an array"},
        {"shared_with", "[19]", "field 'shared_with': expected an array"},
        {"shared_with", "\"P19\"", "field 'shared_with': expected an array"},
    };
    static const char *const good[] = {"P07/P07-L01", NULL};
    static const char *const bad[] = {"P07/P07-L01/2", NULL};

    TWINS(&p07, "policy_lesson", "P07/P07-L01", lesson_base, t);
    keys(&p07, "policy_lesson", good, bad, with(lesson_base, NULL, NULL));
}

static void
test_period(void)
{
    static const struct twin t[] = {
        {NULL, NULL, NULL},
        {"label", "\"\"", "period 2014-Q1: field 'label': expected a non-empty string"},
        {"label", NULL, "field 'label': missing"},
        {"start", "\"2014-1-01\"", "field 'start': expected a date YYYY-MM-DD"},
        {"start", NULL, "field 'start': missing"},
        {"start", "\"2014-03-31\"", NULL},
        {"start", "\"2014-04-01\"",
         "field 'end': expected a date on or after start "
         "(2014-04-01)"},
        {"end", "\"2014-04-30\"", NULL}, /* due == end */
        {"end", "\"2014-05-01\"", "field 'due': expected a date on or after end (2014-05-01)"},
        {"end", NULL, "field 'end': missing"},
        {"due", "\"2014-03-31\"", NULL},
        {"due", "\"2014-03-30\"", "field 'due': expected a date on or after end"},
        {"due", "\"2014-02-30\"", "field 'due': expected a date YYYY-MM-DD"},
        {"due", NULL, "field 'due': missing, expected a date YYYY-MM-DD"},
    };
    static const char *const good[] = {"2014-Q1", "2014", "2014-H2", NULL};
    static const char *const bad[] = {"2014-Q5", "14-Q1",   "2014/Q1", "2014-q1",
                                      "Q1-2014", "2014-H3", NULL};

    TWINS(&programme, "period", "2014-Q1", period_base, t);
    keys(&programme, "period", good, bad, with(period_base, NULL, NULL));
}

static void
test_indicator_definition(void)
{
    static const struct twin t[] = {
        {NULL, NULL, NULL},
        {"area", "\"innovation\"",
         "indicator_definition rd/rd_expenditure: field 'area': "
         "expected 'rd', as in the key"},
        {"area", "\"r&d\"", "field 'area': expected one of"},
        {"code", "\"rd_personnel\"", "field 'code': expected 'rd_expenditure', as in the key"},
        {"code", NULL, "field 'code': missing, expected an indicator code"},
        {"name", "\"\"", "field 'name': expected a non-empty string"},
        {"unit", NULL, "field 'unit': missing, expected a non-empty string"},
        {"periodicity", "\"half-yearly\"", NULL},
        {"periodicity", "\"yearly\"", NULL},
        {"periodicity", "\"monthly\"",
         "field 'periodicity': expected one of quarterly, "
         "half-yearly, yearly"},
        {"periodicity", NULL, "field 'periodicity': missing"},
        {"expected_from_types", NULL, NULL},
        {"expected_from_types", "null", NULL},
        {"expected_from_types", "[\"cluster-network\"]", NULL},
        {"expected_from_types", "[]",
         "field 'expected_from_types': expected a non-empty array "
         "of distinct partner types"},
        {"expected_from_types", "[\"ngo\"]", "field 'expected_from_types': expected a"},
        {"expected_from_types", "[\"university\",\"university\"]",
         "field "
         "'expected_from_types': "
         "'university' appears twice"},
    };
    static const char *const good[] = {"rd/rd_expenditure", NULL};
    static const char *const bad[] = {"research/rd_expenditure", "rd", "rd/RD", "rd/x/y",
                                      "rd/rd-expenditure",       NULL};

    TWINS(&programme, "indicator_definition", "rd/rd_expenditure", definition_base, t);
    keys(&programme, "indicator_definition", good, bad, with(definition_base, NULL, NULL));
}

/* The column order exports use, the text fields import keeps as text, the filters' checks. */
static void
test_fields(void)
{
    static const char *const cluster[] = {"id",        "name",    "nuts2", "sector", "member_firms",
                                          "employees", "founded", "areas", NULL};
    size_t i;

    for (i = 0; cluster[i] != NULL; i++)
        CHECK(cps_schema_field("cluster", 7, i) != NULL &&
              strcmp(cps_schema_field("cluster", 7, i), cluster[i]) == 0);
    CHECK(cps_schema_field("cluster", 7, i) == NULL);
    CHECK(strcmp(cps_schema_field("indicator", 9, 5), "value") == 0);
    CHECK(cps_schema_field("clusters", 8, 0) == NULL);
    CHECK(cps_schema_field_is_text("indicator", 9, "period", 6));
    CHECK(cps_schema_field_is_text("period", 6, "due", 3));
    CHECK(cps_schema_field_is_text("cluster", 7, "sector", 6));
    CHECK(!cps_schema_field_is_text("indicator", 9, "value", 5));
    CHECK(!cps_schema_field_is_text("cluster", 7, "areas", 5));
    CHECK(!cps_schema_field_is_text("cluster", 7, "founded", 7));
    CHECK(!cps_schema_field_is_text("cluster", 7, "extra", 5));
    CHECK(!cps_schema_field_is_text("nothing", 7, "period", 6));
    CHECK(strcmp(cps_schema_area(0), "innovation") == 0);
    CHECK(strcmp(cps_schema_area(6), "jobs_skills") == 0);
    CHECK(cps_schema_area(7) == NULL);
    CHECK(cps_schema_area_ok("rd", 2) && !cps_schema_area_ok("r", 1) && !cps_schema_area_ok("", 0));
    CHECK(cps_schema_period_ok("2015", 4) && cps_schema_period_ok("2015-H2", 7));
    CHECK(!cps_schema_period_ok("2015-H3", 7) && !cps_schema_period_ok("2015-Q0", 7) &&
          !cps_schema_period_ok("15", 2));
}

int
main(void)
{
    test_collections();
    test_keys();
    test_ownership();
    test_value_shape();
    test_value_size();
    test_many_fields();
    test_partner();
    test_cluster();
    test_indicator();
    test_pilot_action();
    test_policy_lesson();
    test_period();
    test_indicator_definition();
    test_fields();
    return check_done();
}
