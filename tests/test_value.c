/* SPDX-License-Identifier: ISC */
/*
 * Tests for value: the msgpack bounds walker on every type, on truncated, oversized and
 * deeply nested input and on random bytes; JSON -> msgpack -> JSON round trips; and the
 * refusals (bad JSON naming its position, non-string keys, ext, invalid UTF-8).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cps/value.h"

#define D CPS_VALUE_MAX_DEPTH

static int
ok(const uint8_t *b, size_t n)
{
    size_t used = 0;

    return cps_value_check(b, n, D, &used) == 0 && used == n;
}

static int
refused(const uint8_t *b, size_t n)
{
    size_t used = 1;

    return cps_value_check(b, n, D, &used) == CPS_EMALFORMED;
}

static void
test_check_types(void)
{
    static const struct {
        const char *name;
        uint8_t b[24];
        size_t n;
    } good[] = {
        {"posfixint", {0x07}, 1},
        {"negfixint", {0xff}, 1},
        {"nil", {0xc0}, 1},
        {"false", {0xc2}, 1},
        {"true", {0xc3}, 1},
        {"bin8", {0xc4, 2, 1, 2}, 4},
        {"bin16", {0xc5, 0, 1, 9}, 4},
        {"bin32", {0xc6, 0, 0, 0, 1, 9}, 6},
        {"ext8", {0xc7, 2, 5, 1, 2}, 5},
        {"ext16", {0xc8, 0, 1, 5, 1}, 5},
        {"ext32", {0xc9, 0, 0, 0, 1, 5, 1}, 7},
        {"float32", {0xca, 0x3f, 0x80, 0, 0}, 5},
        {"float64", {0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0}, 9},
        {"uint8", {0xcc, 0xff}, 2},
        {"uint16", {0xcd, 1, 0}, 3},
        {"uint32", {0xce, 1, 0, 0, 0}, 5},
        {"uint64", {0xcf, 1, 0, 0, 0, 0, 0, 0, 0}, 9},
        {"int8", {0xd0, 0x80}, 2},
        {"int16", {0xd1, 0x80, 0}, 3},
        {"int32", {0xd2, 0x80, 0, 0, 0}, 5},
        {"int64", {0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0}, 9},
        {"fixext1", {0xd4, 1, 0}, 3},
        {"fixext2", {0xd5, 1, 0, 0}, 4},
        {"fixext4 timestamp32", {0xd6, 0xff, 0, 0, 0, 1}, 6},
        {"fixext8 timestamp64", {0xd7, 0xff, 0, 0, 0, 4, 0, 0, 0, 1}, 10},
        {"fixext16", {0xd8, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 18},
        {"ext8 timestamp96", {0xc7, 12, 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}, 15},
        {"str8", {0xd9, 1, 'a'}, 3},
        {"str16", {0xda, 0, 1, 'a'}, 4},
        {"str32", {0xdb, 0, 0, 0, 1, 'a'}, 6},
        {"fixstr", {0xa2, 'h', 'i'}, 3},
        {"array16", {0xdc, 0, 2, 1, 2}, 5},
        {"array32", {0xdd, 0, 0, 0, 1, 1}, 6},
        {"map16", {0xde, 0, 1, 0xa1, 'k', 1}, 6},
        {"map32", {0xdf, 0, 0, 0, 1, 0xa1, 'k', 1}, 8},
        {"fixmap", {0x81, 0xa1, 'k', 0x90}, 4},
        {"empty fixarray", {0x90}, 1},
    };
    size_t i, k, used;

    for (i = 0; i < sizeof good / sizeof good[0]; i++) {
        if (!ok(good[i].b, good[i].n))
            fprintf(stderr, "type %s refused\n", good[i].name);
        CHECK(ok(good[i].b, good[i].n));
        /* twin: every strict prefix is cut short */
        for (k = 0; k < good[i].n; k++)
            CHECK(refused(good[i].b, k));
        /* trailing bytes are left over, not consumed */
        {
            uint8_t more[32];

            memcpy(more, good[i].b, good[i].n);
            more[good[i].n] = 0xc0;
            CHECK(cps_value_check(more, good[i].n + 1, D, &used) == 0 && used == good[i].n);
        }
    }
}

static void
test_check_refusals(void)
{
    static const uint8_t never_used[] = {0xc1};
    static const uint8_t huge_str32[] = {0xdb, 0xff, 0xff, 0xff, 0xff, 'a'};
    static const uint8_t huge_bin32[] = {0xc6, 0x7f, 0xff, 0xff, 0xff, 0};
    static const uint8_t huge_ext32[] = {0xc9, 0xff, 0xff, 0xff, 0xff, 1, 0};
    static const uint8_t huge_array32[] = {0xdd, 0xff, 0xff, 0xff, 0xff, 1, 2, 3};
    static const uint8_t huge_map32[] = {0xdf, 0xff, 0xff, 0xff, 0xff, 1, 2, 3};
    static const uint8_t map_short[] = {0x82, 0xa1, 'a', 1};  /* 4 items, 3 bytes */
    static const uint8_t map_count[] = {0x83, 1, 2, 3, 4, 5}; /* 6 items, 5 bytes */
    static const uint8_t str_short[] = {0xa5, 'a', 'b'};
    static const uint8_t ts_bad_len[] = {0xc7, 5, 0xff, 0, 0, 0, 0, 0};
    static const uint8_t ts_bad_ns64[] = {0xd7, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
    static const uint8_t ts_bad_ns96[] = {0xc7, 12, 0xff, 0x3b, 0x9a, 0xca, 0x00, 0,
                                          0,    0,  0,    0,    0,    0,    0};
    static const uint8_t ts_max_ns96[] = {0xc7, 12, 0xff, 0x3b, 0x9a, 0xc9, 0xff, 0,
                                          0,    0,  0,    0,    0,    0,    0};
    size_t used = 7;

    CHECK(cps_value_check(NULL, 0, D, &used) == CPS_EMALFORMED && used == 0);
    CHECK(refused((const uint8_t *)"", 0));
    CHECK(refused(never_used, sizeof never_used));
    CHECK(refused(huge_str32, sizeof huge_str32));
    CHECK(refused(huge_bin32, sizeof huge_bin32));
    CHECK(refused(huge_ext32, sizeof huge_ext32));
    CHECK(refused(huge_array32, sizeof huge_array32));
    CHECK(refused(huge_map32, sizeof huge_map32));
    CHECK(refused(map_short, sizeof map_short));
    CHECK(refused(map_count, sizeof map_count));
    CHECK(refused(str_short, sizeof str_short));
    CHECK(refused(ts_bad_len, sizeof ts_bad_len));
    CHECK(refused(ts_bad_ns64, sizeof ts_bad_ns64));
    CHECK(refused(ts_bad_ns96, sizeof ts_bad_ns96));
    CHECK(ok(ts_max_ns96, sizeof ts_max_ns96));
}

static void
test_check_depth(void)
{
    uint8_t b[200000];
    size_t i, used;

    /* D nested arrays pass; D + 1 and 100 and 100,000 are refused */
    for (i = 0; i < D; i++)
        b[i] = 0x91;
    b[D] = 0x01;
    CHECK(ok(b, D + 1));
    CHECK(cps_value_check(b, D + 1, D - 1, &used) == CPS_EMALFORMED);
    for (i = 0; i <= D; i++)
        b[i] = 0x91;
    b[D + 1] = 0x01;
    CHECK(refused(b, D + 2));
    CHECK(cps_value_check(b, D + 2, D + 1, &used) == 0 && used == D + 2);
    /* depth 100: {"": {"": ... nil}} is refused for its depth; depth 60 passes a limit of 60 */
    for (i = 0; i < 100; i++) {
        b[i * 2] = 0x81;
        b[i * 2 + 1] = 0xa0;
    }
    b[200] = 0xc0;
    CHECK(refused(b, 201));
    CHECK(cps_value_check(b, 201, 100, &used) == CPS_EMALFORMED); /* capped at 64 */
    CHECK(cps_value_check(b + 80, 121, 60, &used) == 0 && used == 121);
    CHECK(cps_value_check(b + 78, 123, 60, &used) == CPS_EMALFORMED);
    memset(b, 0x91, sizeof b - 1);
    b[sizeof b - 1] = 0xc0;
    CHECK(refused(b, sizeof b));
    /* a huge max_depth is capped, not trusted with the stack */
    CHECK(cps_value_check(b, sizeof b, 1u << 30, &used) == CPS_EMALFORMED);
    /* empty containers still count as a level */
    memset(b, 0x91, D);
    b[D] = 0x90;
    CHECK(refused(b, D + 1));
    b[D - 1] = 0x90;
    CHECK(ok(b, D));
}

static uint64_t
xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Random and mutated bytes: never a crash, used never beyond len, to_json agrees. */
static void
test_check_random(void)
{
    static const uint8_t seed_obj[] = {0x83, 0xa1, 'a',  0x92, 0xcb, 0x3f, 0xf0, 0,   0,    0,
                                       0,    0,    0,    0xc4, 1,    7,    0xa1, 'b', 0xde, 0,
                                       1,    0xa0, 0xd7, 0xff, 0,    0,    0,    0,   0,    0,
                                       0,    1,    0xa1, 'c',  0xdb, 0,    0,    0,   1,    'x'};
    uint8_t b[64];
    uint64_t s = 0x9e3779b97f4a7c15ull;
    size_t n, used, i, bad_used = 0, accepted = 0;
    char *js;
    int rc;

    CHECK(ok(seed_obj, sizeof seed_obj));
    for (i = 0; i < 200000; i++) {
        if (i & 1) {
            n = sizeof seed_obj;
            memcpy(b, seed_obj, n);
            b[xorshift(&s) % n] = (uint8_t)xorshift(&s);
            if (xorshift(&s) & 1)
                b[xorshift(&s) % n] = (uint8_t)xorshift(&s);
        } else {
            n = xorshift(&s) % sizeof b;
            for (size_t k = 0; k < n; k++)
                b[k] = (uint8_t)xorshift(&s);
        }
        rc = cps_value_check(b, n, D, &used);
        if (rc == 0) {
            accepted++;
            if (used > n || used == 0)
                bad_used++;
            if (cps_value_to_json(&js, b, used) == 0)
                free(js);
        }
    }
    CHECK(bad_used == 0);
    CHECK(accepted > 1000);
}

static void
roundtrip(const char *json)
{
    uint8_t *mp = NULL;
    size_t len = 0;
    char err[128], *back = NULL;

    CHECK(cps_value_from_json(&mp, &len, json, strlen(json), err, sizeof err) == 0);
    CHECK(mp != NULL && ok(mp, len));
    CHECK(mp != NULL && cps_value_to_json(&back, mp, len) == 0);
    if (back == NULL || strcmp(back, json) != 0)
        fprintf(stderr, "round trip:\n  %s\n  %s\n", json, back ? back : "(null)");
    CHECK(back != NULL && strcmp(back, json) == 0);
    free(mp);
    free(back);
}

static void
test_json_roundtrip(void)
{
    static const uint8_t small[] = {0x82, 0xa1, 'a', 0x01, 0xa1, 'b', 0xd0, 0x80};
    uint8_t *mp = NULL;
    size_t len;
    char err[128];

    roundtrip("{\"a\":1,\"b\":-2,\"c\":1.5,\"d\":\"x\",\"e\":[true,false,null],"
              "\"f\":{\"g\":\"h\"}}");
    roundtrip("{\"z\":1,\"a\":2,\"m\":3}"); /* order kept, not sorted */
    roundtrip("{\"partner\":\"P07\",\"cluster_id\":\"P07-C012\",\"area\":\"rd\",\"period\":"
              "\"2016-Q3\",\"indicator\":\"rd_expenditure\",\"value\":1234.56,\"unit\":"
              "\"EUR_thousand\",\"source\":\"eurostat/cis/2019-0a1b2c\",\"updated_at\":"
              "\"2024-03-06T14:56:56Z\",\"note\":\"provisional figure\"}");
    roundtrip("{\"max\":9223372036854775807,\"min\":-9223372036854775808,\"zero\":0}");
    roundtrip("{\"r\":[0.1,5.0,-0.0,1e+300,2.5e-10,123456789012.5]}");
    roundtrip("{\"s\":\"a\\\"b\\\\c\\n\\t\\u0001/\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}");
    roundtrip("{}");
    roundtrip("[]");
    roundtrip("\"just a string\"");
    roundtrip("{\"\":{\"\":[[[]]]}}");

    /* exact bytes: the smallest msgpack forms */
    CHECK(cps_value_from_json(&mp, &len, "{\"a\":1,\"b\":-128}", 16, err, sizeof err) == 0);
    CHECK(len == sizeof small && memcmp(mp, small, len) == 0);
    free(mp);
}

static void
test_json_refusals(void)
{
    const char *bad = "{\"a\": 1,\n \"b\": [1,2,}";
    char err[160], deep[64], *js = (char *)1;
    uint8_t *mp = (uint8_t *)1;
    size_t len = 1, i;

    err[0] = '\0';
    CHECK(cps_value_from_json(&mp, &len, bad, strlen(bad), err, sizeof err) == CPS_EMALFORMED);
    CHECK(mp == NULL && len == 0);
    CHECK(strstr(err, "line 2 column") != NULL);
    CHECK(cps_value_from_json(&mp, &len, "{\"a\":1,\"a\":2}", 13, err, sizeof err) ==
          CPS_EMALFORMED);
    CHECK(strstr(err, "duplicate") != NULL);
    CHECK(cps_value_from_json(&mp, &len, "{} x", 4, err, sizeof err) == CPS_EMALFORMED);
    CHECK(cps_value_from_json(&mp, &len, "", 0, err, sizeof err) == CPS_EMALFORMED);
    CHECK(cps_value_from_json(&mp, &len, "18446744073709551616", 20, err, sizeof err) ==
          CPS_EMALFORMED);
    CHECK(cps_value_from_json(&mp, &len, "{\"a\":\"\\u0000\"}", 14, err, sizeof err) ==
          CPS_EMALFORMED);

    /* nesting: D levels pass, D + 1 are refused with a reason */
    for (i = 0; i < D; i++)
        deep[i] = '[';
    for (i = 0; i < D; i++)
        deep[D + i] = ']';
    CHECK(cps_value_from_json(&mp, &len, deep, 2 * D, err, sizeof err) == 0);
    free(mp);
    memmove(deep + 1, deep, 2 * D);
    deep[0] = '[';
    deep[2 * D + 1] = ']';
    CHECK(cps_value_from_json(&mp, &len, deep, 2 * D + 2, err, sizeof err) == CPS_EMALFORMED);
    CHECK(strstr(err, "nesting") != NULL);

    /* to_json twins: each of these is well-formed msgpack with no faithful JSON form */
    {
        static const uint8_t int_key[] = {0x81, 0x01, 0x01};
        static const uint8_t ext[] = {0x81, 0xa1, 'e', 0xd4, 1, 0};
        static const uint8_t bad_utf8[] = {0x81, 0xa1, 's', 0xa2, 0xc3, 0x28};
        static const uint8_t nan[] = {0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0};
        static const uint8_t trailing[] = {0x80, 0xc0};
        static const uint8_t truncated[] = {0x81, 0xa1, 's'};

        CHECK(cps_value_to_json(&js, int_key, sizeof int_key) == CPS_EMALFORMED && js == NULL);
        CHECK(cps_value_to_json(&js, ext, sizeof ext) == CPS_EMALFORMED);
        CHECK(cps_value_to_json(&js, bad_utf8, sizeof bad_utf8) == CPS_EMALFORMED);
        CHECK(cps_value_to_json(&js, nan, sizeof nan) == CPS_EMALFORMED);
        CHECK(cps_value_to_json(&js, trailing, sizeof trailing) == CPS_EMALFORMED);
        CHECK(cps_value_to_json(&js, trailing, 1) == 0 && strcmp(js, "{}") == 0);
        free(js);
        CHECK(cps_value_to_json(&js, truncated, sizeof truncated) == CPS_EMALFORMED);
    }
}

static void
test_json_bin_float32(void)
{
    static const uint8_t bin3[] = {0xc4, 3, 'a', 'b', 'c'};
    static const uint8_t bin1[] = {0xc4, 1, 'a'};
    static const uint8_t bin2[] = {0xc4, 2, 'a', 'b'};
    static const uint8_t f32[] = {0xca, 0x3f, 0xc0, 0, 0}; /* 1.5f */
    static const uint8_t u64[] = {0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    char *js = NULL;

    CHECK(cps_value_to_json(&js, bin3, sizeof bin3) == 0 && strcmp(js, "\"YWJj\"") == 0);
    free(js);
    CHECK(cps_value_to_json(&js, bin1, sizeof bin1) == 0 && strcmp(js, "\"YQ==\"") == 0);
    free(js);
    CHECK(cps_value_to_json(&js, bin2, sizeof bin2) == 0 && strcmp(js, "\"YWI=\"") == 0);
    free(js);
    CHECK(cps_value_to_json(&js, f32, sizeof f32) == 0 && strcmp(js, "1.5") == 0);
    free(js);
    CHECK(cps_value_to_json(&js, u64, sizeof u64) == 0 && strcmp(js, "18446744073709551615") == 0);
    free(js);
}

static void
test_get_str(void)
{
    static const uint8_t mixed[] = {0x83, 0x01, 0xa1, 'x', /* int key */
                                    0xa1, 'n',  0x05,      /* n: 5 */
                                    0xa7, 'p',  'a',  'r', 't', 'n', 'e', 'r', 0xa3, 'P', '0', '7'};
    static const uint8_t arr[] = {0x91, 0xa1, 'x'};
    const char *s;
    size_t n;

    CHECK(cps_value_get_str(mixed, sizeof mixed, "partner", &s, &n) == 0 && n == 3 &&
          memcmp(s, "P07", 3) == 0);
    CHECK(cps_value_get_str(mixed, sizeof mixed, "part", &s, &n) == CPS_ENOTFOUND);
    CHECK(cps_value_get_str(mixed, sizeof mixed, "n", &s, &n) == CPS_ENOTFOUND);
    CHECK(cps_value_get_str(arr, sizeof arr, "x", &s, &n) == CPS_EMALFORMED);
    CHECK(cps_value_get_str(mixed, sizeof mixed - 1, "partner", &s, &n) == CPS_EMALFORMED);
}

int
main(void)
{
    test_check_types();
    test_check_refusals();
    test_check_depth();
    test_check_random();
    test_json_roundtrip();
    test_json_refusals();
    test_json_bin_float32();
    test_get_str();
    return check_done();
}
