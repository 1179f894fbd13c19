/* SPDX-License-Identifier: ISC */
/*
 * Tests for schema: collections, key syntax, ownership (partner and programme), value
 * shape, and the indicator field rules the W1 workload exercises. Every accepted case has
 * a refused twin that differs in one thing, and the refusal names that thing.
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

/* A W1 indicator value with one field replaced (or removed when repl is NULL). */
static const char *
w1(const char *field, const char *repl)
{
    static const char *names[] = {"partner", "cluster_id", "area",   "period",     "indicator",
                                  "value",   "unit",       "source", "updated_at", "note"};
    static const char *vals[] = {"\"P07\"",
                                 "\"P07-C012\"",
                                 "\"rd\"",
                                 "\"2016-Q3\"",
                                 "\"rd_expenditure\"",
                                 "123456.78",
                                 "\"EUR_thousand\"",
                                 "\"national-stat-office/rd-survey/2020-00ab12\"",
                                 "\"2024-03-06T14:56:56Z\"",
                                 "\"revised after partial returns\""};
    static char buf[1024];
    size_t i, o = 0;

    o += (size_t)snprintf(buf + o, sizeof buf - o, "{");
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *v = vals[i];

        if (field != NULL && strcmp(field, names[i]) == 0) {
            if (repl == NULL)
                continue;
            v = repl;
        }
        o +=
            (size_t)snprintf(buf + o, sizeof buf - o, "%s\"%s\":%s", o > 1 ? "," : "", names[i], v);
    }
    snprintf(buf + o, sizeof buf - o, "}");
    return buf;
}

static void
test_collections(void)
{
    CHECK(cps_schema_known("indicator", 9));
    CHECK(cps_schema_known("partner", 7));
    CHECK(cps_schema_known("policy_lesson", 13));
    CHECK(!cps_schema_known("indicators", 10));
    CHECK(!cps_schema_known("indicator", 8));
    CHECK(!cps_schema_known("", 0));
    CHECK(cps_schema_programme_owned("partner", 7));
    CHECK(cps_schema_programme_owned("period", 6));
    CHECK(cps_schema_programme_owned("indicator_definition", 20));
    CHECK(!cps_schema_programme_owned("indicator", 9));
    CHECK(!cps_schema_programme_owned("cluster", 7));
    CHECK(!cps_schema_programme_owned("nope", 4));

    CHECK(put(&p07, "cluster", "P07/c1", "{\"name\":\"Agro\"}") == 0);
    CHECK(put(&p07, "clusters", "P07/c1", "{\"name\":\"Agro\"}") == CPS_ESCHEMA);
    CHECK(strcmp(err, "unknown collection 'clusters'") == 0);
}

static void
test_keys(void)
{
    char longkey[CPS_SCHEMA_KEY_MAX + 2];

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
}

static void
test_ownership(void)
{
    /* partner-owned: the key starts with the writer's id */
    CHECK(put(&p07, "indicator", W1_KEY, w1(NULL, NULL)) == 0);
    CHECK(put(&p08, "indicator", W1_KEY, w1(NULL, NULL)) == CPS_EOWNER);
    CHECK(strstr(err, "indicator " W1_KEY ": key: expected to start with 'P08/'") == err);
    CHECK(del(&p07, "indicator", W1_KEY) == 0);
    CHECK(del(&p08, "indicator", W1_KEY) == CPS_EOWNER);
    CHECK(del(&p07, "cluster", "P07") == CPS_EOWNER);    /* no record part */
    CHECK(del(&p07, "cluster", "P070/x") == CPS_EOWNER); /* prefix, not segment */
    CHECK(del(&p07, "cluster", "P07x") == CPS_EOWNER);
    CHECK(del(&programme, "cluster", "P07/c1") == CPS_EOWNER); /* partners' data */
    CHECK(cps_schema_check(NULL, "cluster", 7, "P07/c1", 6, NULL, 0, err, sizeof err) ==
          CPS_EOWNER);

    /* programme-owned: only the programme key */
    CHECK(put(&programme, "partner", "P07", "{\"name\":\"Region\",\"country\":\"IT\"}") == 0);
    CHECK(put(&p07, "partner", "P07", "{\"name\":\"Region\",\"country\":\"IT\"}") == CPS_EOWNER);
    CHECK(strcmp(err, "partner P07: collection 'partner' is written only by the programme "
                      "key") == 0);
    CHECK(put(&programme, "period", "2016-Q3", "{\"start\":\"2016-07-01\"}") == 0);
    CHECK(put(&p07, "period", "P07/2016-Q3", "{\"start\":\"2016-07-01\"}") == CPS_EOWNER);
    CHECK(put(&programme, "indicator_definition", "rd_expenditure", "{\"unit\":\"EUR\"}") == 0);
    CHECK(del(&p07, "indicator_definition", "rd_expenditure") == CPS_EOWNER);
    CHECK(cps_schema_check(NULL, "period", 6, "2016", 4, NULL, 0, err, sizeof err) == 0);

    /* the value's partner field names the key's partner */
    CHECK(put(&p07, "indicator", W1_KEY, w1("partner", "\"P08\"")) == CPS_ESCHEMA);
    CHECK(strstr(err, "field 'partner': expected 'P07'") != NULL);
    CHECK(put(&p07, "cluster", "P07/c1", "{\"partner\":\"P07\"}") == 0);
    CHECK(put(&p07, "cluster", "P07/c1", "{\"partner\":\"P08\"}") == CPS_ESCHEMA);
    CHECK(put(&p07, "cluster", "P07/c1", "{\"partner\":7}") == CPS_ESCHEMA);
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
    uint8_t *big;
    size_t n = CPS_VALUE_MAX_BYTES + 1;

    CHECK(put_raw(&p07, "cluster", "P07/c1", empty_map, sizeof empty_map) == 0);
    CHECK(put(&p07, "cluster", "P07/c1", "[1,2]") == CPS_ESCHEMA);
    CHECK(strcmp(err, "cluster P07/c1: value: expected a map") == 0);
    CHECK(put(&p07, "cluster", "P07/c1", "\"x\"") == CPS_ESCHEMA);
    CHECK(put_raw(&p07, "cluster", "P07/c1", int_key, sizeof int_key) == CPS_ESCHEMA);
    CHECK(strstr(err, "map key is not a string") != NULL);
    CHECK(put_raw(&p07, "cluster", "P07/c1", nested_int_key, sizeof nested_int_key) == CPS_ESCHEMA);
    CHECK(put_raw(&p07, "cluster", "P07/c1", dup_key, sizeof dup_key) == CPS_ESCHEMA);
    CHECK(strstr(err, "field 'a': duplicate key") != NULL);
    CHECK(put_raw(&p07, "cluster", "P07/c1", ext, sizeof ext) == CPS_ESCHEMA);
    CHECK(put_raw(&p07, "cluster", "P07/c1", truncated, sizeof truncated) == CPS_ESCHEMA);
    CHECK(put_raw(&p07, "cluster", "P07/c1", trailing, sizeof trailing) == CPS_ESCHEMA);
    CHECK(put_raw(&p07, "cluster", "P07/c1", trailing, 1) == 0);
    CHECK(put_raw(&p07, "cluster", "P07/c1", huge, sizeof huge) == CPS_ESCHEMA);
    CHECK(put_raw(&p07, "cluster", "P07/c1", bad_utf8, sizeof bad_utf8) == CPS_ESCHEMA);
    CHECK(put_raw(&p07, "cluster", "P07/c1", big_uint, sizeof big_uint) == CPS_ESCHEMA);
    CHECK(put_raw(&p07, "cluster", "P07/c1", empty_map, 0) == CPS_ESCHEMA);

    /* the size limit: a map holding one string, exactly at and just over the limit */
    CHECK_SETUP((big = malloc(n)) != NULL);
    big[0] = 0x81;
    big[1] = 0xa1;
    big[2] = 's';
    big[3] = 0xdb;
    big[4] = 0;
    big[5] = 0;
    big[6] = (uint8_t)((n - 1 - 8) >> 8);
    big[7] = (uint8_t)(n - 1 - 8);
    memset(big + 8, 'x', n - 8);
    CHECK(put_raw(&p07, "cluster", "P07/c1", big, n - 1) == 0);
    big[6] = (uint8_t)((n - 8) >> 8);
    big[7] = (uint8_t)(n - 8);
    CHECK(put_raw(&p07, "cluster", "P07/c1", big, n) == CPS_ESCHEMA);
    CHECK(strstr(err, "larger than 65536 bytes") != NULL);
    free(big);
}

static void
test_indicator_rules(void)
{
    static const char *good_periods[] = {"\"2016\"", "\"2016-Q1\"", "\"2016-Q4\"", "\"2016-H1\"",
                                         "\"2016-H2\""};
    static const char *bad_periods[] = {"\"2016-Q5\"", "\"2016-Q0\"", "\"2016-H3\"",  "\"16-Q1\"",
                                        "\"2016Q1\"",  "\"2016-q1\"", "\"2016-Q1 \"", "\"\"",
                                        "2016",        "null"};
    static const char *areas[] = {"innovation",     "rd",
                                  "sustainability", "international_cooperation",
                                  "financing",      "regional_specialisation",
                                  "jobs_skills"};
    char q[64];
    size_t i;

    CHECK(put(&p07, "indicator", W1_KEY, w1(NULL, NULL)) == 0);
    for (i = 0; i < sizeof good_periods / sizeof good_periods[0]; i++)
        CHECK(put(&p07, "indicator", W1_KEY, w1("period", good_periods[i])) == 0);
    for (i = 0; i < sizeof bad_periods / sizeof bad_periods[0]; i++) {
        CHECK(put(&p07, "indicator", W1_KEY, w1("period", bad_periods[i])) == CPS_ESCHEMA);
        CHECK(strstr(err, "indicator " W1_KEY ": field 'period': expected a period YYYY, "
                          "YYYY-Qn (n 1..4) or YYYY-Hn (n 1..2)") == err);
    }

    for (i = 0; i < sizeof areas / sizeof areas[0]; i++) {
        snprintf(q, sizeof q, "\"%s\"", areas[i]);
        CHECK(put(&p07, "indicator", W1_KEY, w1("area", q)) == 0);
    }
    CHECK(put(&p07, "indicator", W1_KEY, w1("area", "\"research\"")) == CPS_ESCHEMA);
    CHECK(strcmp(err, "indicator " W1_KEY ": field 'area': expected one of innovation, rd, "
                      "sustainability, international_cooperation, financing, "
                      "regional_specialisation, jobs_skills") == 0);
    CHECK(put(&p07, "indicator", W1_KEY, w1("area", "\"RD\"")) == CPS_ESCHEMA);
    CHECK(put(&p07, "indicator", W1_KEY, w1("area", NULL)) == CPS_ESCHEMA);
    CHECK(strstr(err, "field 'area': missing, expected one of") != NULL);

    CHECK(put(&p07, "indicator", W1_KEY, w1("value", "12")) == 0);
    CHECK(put(&p07, "indicator", W1_KEY, w1("value", "-3")) == 0);
    CHECK(put(&p07, "indicator", W1_KEY, w1("value", "0.05")) == 0);
    CHECK(put(&p07, "indicator", W1_KEY, w1("value", "\"12\"")) == CPS_ESCHEMA);
    CHECK(strcmp(err, "indicator " W1_KEY ": field 'value': expected a number") == 0);
    CHECK(put(&p07, "indicator", W1_KEY, w1("value", "null")) == CPS_ESCHEMA);
    CHECK(put(&p07, "indicator", W1_KEY, w1("value", NULL)) == CPS_ESCHEMA);

    CHECK(put(&p07, "indicator", W1_KEY, w1("cluster_id", "\"\"")) == CPS_ESCHEMA);
    CHECK(put(&p07, "indicator", W1_KEY, w1("indicator", "7")) == CPS_ESCHEMA);
    CHECK(put(&p07, "indicator", W1_KEY, w1("partner", NULL)) == CPS_ESCHEMA);

    /* optional fields may be absent or null, but not of another type */
    CHECK(put(&p07, "indicator", W1_KEY, w1("note", NULL)) == 0);
    CHECK(put(&p07, "indicator", W1_KEY, w1("note", "null")) == 0);
    CHECK(put(&p07, "indicator", W1_KEY, w1("note", "\"\"")) == 0);
    CHECK(put(&p07, "indicator", W1_KEY, w1("note", "[\"x\"]")) == CPS_ESCHEMA);
    CHECK(put(&p07, "indicator", W1_KEY, w1("unit", "1")) == CPS_ESCHEMA);
    CHECK(put(&p07, "indicator", W1_KEY, w1("updated_at", "\"2024-03-06T14:56:56.123+02:00\"")) ==
          0);
    CHECK(put(&p07, "indicator", W1_KEY, w1("updated_at", "\"2024-03-06 14:56:56\"")) ==
          CPS_ESCHEMA);
    CHECK(put(&p07, "indicator", W1_KEY, w1("updated_at", "\"2024-13-06T14:56:56Z\"")) ==
          CPS_ESCHEMA);
    CHECK(strstr(err, "field 'updated_at': expected an RFC 3339 timestamp") != NULL);

    /* extra fields are allowed (later issues may add rules for them) */
    CHECK(put(&p07, "indicator", W1_KEY,
              "{\"partner\":\"P07\",\"cluster_id\":\"c\",\"area\":"
              "\"rd\",\"period\":\"2016\",\"indicator\":\"x\",\"value\":1,\"extra\":[1]}") == 0);
}

int
main(void)
{
    test_collections();
    test_keys();
    test_ownership();
    test_value_shape();
    test_indicator_rules();
    return check_done();
}
