/* SPDX-License-Identifier: ISC */
/*
 * Tests for import: NDJSON and CSV files written into a fresh mkdtemp directory, read back
 * record by record. Each accepted shape has a refused twin whose error names the line and
 * the field; after an error the reader goes on with the next line. W1-shaped lines (the
 * benchmark workload) must import and pass the schema.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cps/import.h"
#include "cps/schema.h"
#include "cps/value.h"

static char dir[64];
static char path[128];

static const char *
file(const char *name, const char *text)
{
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    CHECK_SETUP((f = fopen(path, "w")) != NULL);
    CHECK_SETUP(fwrite(text, 1, strlen(text), f) == strlen(text));
    CHECK_SETUP(fclose(f) == 0);
    return path;
}

static struct cps_import *
open_text(const char *name, const char *text, enum cps_import_format fmt, const char *coll)
{
    struct cps_import *im = NULL;

    CHECK_SETUP(cps_import_open(&im, file(name, text), fmt, coll) == 0);
    return im;
}

/* The record's value as JSON text (or "DEL"), in a static buffer. */
static const char *
value_json(const struct cps_import_record *r)
{
    static char buf[2048];
    char *js = NULL;

    if (r->value == NULL)
        return "DEL";
    if (cps_value_to_json(&js, r->value, r->value_len) != 0)
        return "BAD";
    snprintf(buf, sizeof buf, "%s", js);
    free(js);
    return buf;
}

static int
is(const char *s, size_t n, const char *want)
{
    return n == strlen(want) && memcmp(s, want, n) == 0;
}

static void
test_ndjson_good(void)
{
    struct cps_import *im = open_text(
        "good.ndjson",
        "{\"coll\":\"cluster\",\"key\":\"P07/c1\",\"value\":{\"name\":\"Agro\",\"firms\":42}}\n"
        "\n"
        "   \n"
        "{\"coll\":\"cluster\",\"key\":\"P07/c2\",\"value\":{\"z\":1.25,\"a\":[1,\"x\"]}}\r\n"
        "{\"coll\":\"cluster\",\"key\":\"P07/c1\",\"op\":\"del\"}\n"
        "{\"coll\":\"cluster\",\"key\":\"P07/c3\",\"value\":null}\n"
        "{\"op\":\"put\",\"value\":{},\"key\":\"P07/c4\",\"coll\":\"cluster\"}",
        CPS_IMPORT_NDJSON, NULL);
    struct cps_import_record r;
    uint64_t done, total;
    char err[256];

    CHECK(cps_import_next(im, &r, err, sizeof err) == 1);
    CHECK(is(r.coll, r.coll_len, "cluster") && is(r.key, r.key_len, "P07/c1") && r.line == 1);
    CHECK(strcmp(value_json(&r), "{\"name\":\"Agro\",\"firms\":42}") == 0);
    CHECK(cps_import_next(im, &r, err, sizeof err) == 1);
    CHECK(r.line == 4 && is(r.key, r.key_len, "P07/c2"));
    CHECK(strcmp(value_json(&r), "{\"z\":1.25,\"a\":[1,\"x\"]}") == 0);
    CHECK(cps_import_next(im, &r, err, sizeof err) == 1);
    CHECK(r.line == 5 && r.value == NULL && r.value_len == 0);
    CHECK(cps_import_next(im, &r, err, sizeof err) == 1);
    CHECK(r.line == 6 && r.value == NULL);
    CHECK(cps_import_next(im, &r, err, sizeof err) == 1);
    CHECK(r.line == 7 && is(r.key, r.key_len, "P07/c4") && strcmp(value_json(&r), "{}") == 0);
    CHECK(cps_import_next(im, &r, err, sizeof err) == 0);
    CHECK(cps_import_next(im, &r, err, sizeof err) == 0);
    cps_import_progress(im, &done, &total);
    CHECK(done == total && total > 0);
    cps_import_close(&im);
    CHECK(im == NULL);
    cps_import_close(&im);
}

static void
test_ndjson_bad(void)
{
    struct cps_import *im = open_text(
        "bad.ndjson",
        "{\"coll\":\"cluster\",\"key\":\"P07/a\",\"value\":{}}\n"         /* 1 good */
        "{\"coll\":\"cluster\",\"value\":{}}\n"                           /* 2 no key */
        "{\"coll\":\"cluster\",\"key\":\"P07/b\",\"value\":{\"a\":1,}}\n" /* 3 bad JSON */
        "{\"coll\":\"cluster\",\"key\":\"P07/c\",\"value\":[1]}\n"        /* 4 not object */
        "{\"coll\":\"cluster\",\"key\":\"P07/d\"}\n"                      /* 5 no value */
        "{\"coll\":\"cluster\",\"key\":\"P07/e\",\"vaule\":{}}\n"         /* 6 unknown */
        "{\"coll\":7,\"key\":\"P07/f\",\"value\":{}}\n"                   /* 7 coll type */
        "{\"coll\":\"cluster\",\"key\":\"P07/g\",\"op\":\"rm\"}\n"        /* 8 bad op */
        "[1,2]\n"                                                         /* 9 not object */
        "{\"coll\":\"cluster\",\"key\":\"P07/h\",\"value\":{\"a\":[[[[[[[[[[[[[[[[[1]]]]]]]]]]]"
        "]]]]]]}}\n"                                               /* 10 too deep */
        "{\"coll\":\"cluster\",\"key\":\"P07/i\",\"value\":{}}\n", /* 11 good */
        CPS_IMPORT_NDJSON, NULL);
    struct cps_import_record r;
    char err[256];

    CHECK(cps_import_next(im, &r, err, sizeof err) == 1 && r.line == 1);
    CHECK(cps_import_next(im, &r, err, sizeof err) == CPS_EMALFORMED);
    CHECK(strcmp(err, "line 2: field 'key': expected a string") == 0);
    CHECK(cps_import_next(im, &r, err, sizeof err) == CPS_EMALFORMED);
    CHECK(strncmp(err, "line 3 column ", 14) == 0);
    CHECK(cps_import_next(im, &r, err, sizeof err) == CPS_EMALFORMED);
    CHECK(strcmp(err, "line 4: field 'value': expected a JSON object") == 0);
    CHECK(cps_import_next(im, &r, err, sizeof err) == CPS_EMALFORMED);
    CHECK(strcmp(err, "line 5: field 'value': expected a JSON object") == 0);
    CHECK(cps_import_next(im, &r, err, sizeof err) == CPS_EMALFORMED);
    CHECK(strstr(err, "line 6: field 'vaule': unknown field") == err);
    CHECK(cps_import_next(im, &r, err, sizeof err) == CPS_EMALFORMED);
    CHECK(strcmp(err, "line 7: field 'coll': expected a string") == 0);
    CHECK(cps_import_next(im, &r, err, sizeof err) == CPS_EMALFORMED);
    CHECK(strstr(err, "line 8: field 'op'") == err);
    CHECK(cps_import_next(im, &r, err, sizeof err) == CPS_EMALFORMED);
    CHECK(strcmp(err, "line 9: expected a JSON object") == 0);
    CHECK(cps_import_next(im, &r, err, sizeof err) == CPS_EMALFORMED);
    CHECK(strstr(err, "line 10: field 'value': nesting deeper") == err);
    CHECK(cps_import_next(im, &r, err, sizeof err) == 1 && r.line == 11);
    CHECK(cps_import_next(im, &r, err, sizeof err) == 0);
    cps_import_close(&im);
}

static void
test_ndjson_long_line(void)
{
    struct cps_import *im;
    struct cps_import_record r;
    char err[256];
    size_t n = 1100 * 1024, i;
    char *text = malloc(n + 200);

    CHECK_SETUP(text != NULL);
    i = (size_t)sprintf(text, "{\"coll\":\"cluster\",\"key\":\"P07/x\",\"value\":{\"s\":\"");
    memset(text + i, 'a', n);
    i += n;
    strcpy(text + i, "\"}}\n{\"coll\":\"cluster\",\"key\":\"P07/y\",\"value\":{}}\n");
    im = open_text("long.ndjson", text, CPS_IMPORT_NDJSON, NULL);
    CHECK(cps_import_next(im, &r, err, sizeof err) == CPS_EMALFORMED);
    CHECK(strstr(err, "line 1: longer than") == err);
    CHECK(cps_import_next(im, &r, err, sizeof err) == 1 && r.line == 2 &&
          is(r.key, r.key_len, "P07/y"));
    cps_import_close(&im);
    free(text);
}

static void
test_csv_ckv(void)
{
    struct cps_import *im =
        open_text("ckv.csv",
                  "\xef\xbb\xbf"
                  "coll,key,value\r\n"
                  "cluster,P07/c1,\"{\"\"name\"\":\"\"Agro, food\"\",\"\"firms\"\":42}\"\r\n"
                  "cluster,P07/c2,\"{\"\"note\"\":\n"
                  "\"\"two lines\"\"}\"\r\n"
                  "\r\n"
                  "cluster,P07/c3,null\r\n"
                  "cluster,P07/c4,[1]\r\n"
                  "cluster,P07/c5,{bad json}\r\n"
                  "cluster,P07/c6\r\n"
                  "cluster,P07/c7,{}",
                  CPS_IMPORT_CSV, NULL);
    struct cps_import_record r;
    char err[256];

    CHECK(cps_import_next(im, &r, err, sizeof err) == 1);
    CHECK(r.line == 2 && is(r.coll, r.coll_len, "cluster") && is(r.key, r.key_len, "P07/c1"));
    CHECK(strcmp(value_json(&r), "{\"name\":\"Agro, food\",\"firms\":42}") == 0);
    CHECK(cps_import_next(im, &r, err, sizeof err) == 1);
    CHECK(r.line == 3 && strcmp(value_json(&r), "{\"note\":\"two lines\"}") == 0);
    CHECK(cps_import_next(im, &r, err, sizeof err) == 1);
    CHECK(r.line == 6 && r.value == NULL && is(r.key, r.key_len, "P07/c3"));
    CHECK(cps_import_next(im, &r, err, sizeof err) == CPS_EMALFORMED);
    CHECK(strcmp(err, "line 7: field 'value': expected a JSON object") == 0);
    CHECK(cps_import_next(im, &r, err, sizeof err) == CPS_EMALFORMED);
    CHECK(strstr(err, "line 8: field 'value': ") == err);
    CHECK(cps_import_next(im, &r, err, sizeof err) == CPS_EMALFORMED);
    CHECK(strcmp(err, "line 9: expected 3 fields, found 2") == 0);
    CHECK(cps_import_next(im, &r, err, sizeof err) == 1);
    CHECK(r.line == 10 && is(r.key, r.key_len, "P07/c7"));
    CHECK(cps_import_next(im, &r, err, sizeof err) == 0);
    cps_import_close(&im);
}

static void
test_csv_fields(void)
{
    struct cps_import *im =
        open_text("fields.csv",
                  "key,name,firms,share,code,empty,exp,neg,big,text\n"
                  "P07/c1,Agro,42,1.50,007,,1e3,-0,99999999999999999999, spaced \n"
                  "P07/c2,\"Wood, paper\",-3,0.1,12a,,-2.5E-2,-17,9223372036854775807,\"\"\n",
                  CPS_IMPORT_CSV, "cluster");
    struct cps_import_record r;
    char err[256];

    CHECK(cps_import_next(im, &r, err, sizeof err) == 1);
    CHECK(r.line == 2 && is(r.coll, r.coll_len, "cluster") && is(r.key, r.key_len, "P07/c1"));
    CHECK(strcmp(value_json(&r), "{\"name\":\"Agro\",\"firms\":42,\"share\":1.5,\"code\":\"007\","
                                 "\"exp\":1000.0,\"neg\":-0.0,\"big\":1e+20,"
                                 "\"text\":\" spaced \"}") == 0);
    CHECK(cps_import_next(im, &r, err, sizeof err) == 1);
    CHECK(strcmp(value_json(&r), "{\"name\":\"Wood, paper\",\"firms\":-3,\"share\":0.1,"
                                 "\"code\":\"12a\",\"exp\":-0.025,\"neg\":-17,"
                                 "\"big\":9223372036854775807}") == 0);
    CHECK(cps_import_next(im, &r, err, sizeof err) == 0);
    cps_import_close(&im);

    /* twins: no collection and no coll column; a collection but no key column */
    im = open_text("nohdr.csv", "key,name\nP07/c1,x\n", CPS_IMPORT_CSV, NULL);
    CHECK(cps_import_next(im, &r, err, sizeof err) == CPS_EMALFORMED);
    CHECK(strstr(err, "line 1: header: expected the columns coll,key,value") == err);
    CHECK(cps_import_next(im, &r, err, sizeof err) == 0);
    cps_import_close(&im);
    im = open_text("nokey.csv", "name,firms\nx,1\n", CPS_IMPORT_CSV, "cluster");
    CHECK(cps_import_next(im, &r, err, sizeof err) == CPS_EMALFORMED);
    CHECK(strcmp(err, "line 1: header: expected a 'key' column") == 0);
    cps_import_close(&im);
    im = open_text("dup.csv", "key,a,a\nx,1,2\n", CPS_IMPORT_CSV, "cluster");
    CHECK(cps_import_next(im, &r, err, sizeof err) == CPS_EMALFORMED);
    CHECK(strstr(err, "appears twice") != NULL);
    cps_import_close(&im);

    /* text that is not UTF-8 is refused where it is read, header or cell, either form;
     * the rows around a bad cell still import */
    im = open_text("badhdr.csv", "key,na\xc3me\nP07/c1,x\n", CPS_IMPORT_CSV, "cluster");
    CHECK(cps_import_next(im, &r, err, sizeof err) == CPS_EMALFORMED);
    CHECK(strcmp(err, "line 1: header: column 2 is not UTF-8 text (or holds a NUL byte)") == 0);
    CHECK(cps_import_next(im, &r, err, sizeof err) == 0);
    cps_import_close(&im);
    im = open_text("badcell.csv", "key,name\nP07/c1,ok\nP07/c2,\xed\xa0\x80\nP07/c3,\xc0\xaf\n"
                   "P07/c4,caf\xc3\xa9\n", CPS_IMPORT_CSV, "cluster");
    CHECK(cps_import_next(im, &r, err, sizeof err) == 1 && r.line == 2);
    CHECK(cps_import_next(im, &r, err, sizeof err) == CPS_EMALFORMED); /* a surrogate */
    CHECK(strcmp(err, "line 3: field 'name' is not UTF-8 text (or holds a NUL byte)") == 0);
    CHECK(cps_import_next(im, &r, err, sizeof err) == CPS_EMALFORMED); /* overlong '/' */
    CHECK(strstr(err, "line 4: field 'name'") == err);
    CHECK(cps_import_next(im, &r, err, sizeof err) == 1 && r.line == 5);
    CHECK(strcmp(value_json(&r), "{\"name\":\"caf\xc3\xa9\"}") == 0);
    CHECK(cps_import_next(im, &r, err, sizeof err) == 0);
    cps_import_close(&im);
    im = open_text("badckv.csv", "coll,key,value\ncluster,P07/\xff,{}\n", CPS_IMPORT_CSV, NULL);
    CHECK(cps_import_next(im, &r, err, sizeof err) == CPS_EMALFORMED);
    CHECK(strcmp(err, "line 2: field 'key' is not UTF-8 text (or holds a NUL byte)") == 0);
    cps_import_close(&im);

    /* arrays and maps as JSON text in a cell; what does not parse stays a string */
    im = open_text("json.csv",
                   "key,areas,evaluation,title,deep\n"
                   "P07/a,\"[\"\"rd\"\",\"\"innovation\"\"]\",\"{\"\"score\"\":4}\",[Draft] plan,[]\n"
                   "P07/b,[rd,{x},{},[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]\n"
                   "P07/c,[],\"{\"\"a\"\":1,\"\"a\"\":2}\",x,\n",
                   CPS_IMPORT_CSV, "pilot_action");
    CHECK(cps_import_next(im, &r, err, sizeof err) == 1);
    CHECK(strcmp(value_json(&r), "{\"areas\":[\"rd\",\"innovation\"],\"evaluation\":{\"score\":4},"
                                 "\"title\":\"[Draft] plan\",\"deep\":[]}") == 0);
    CHECK(cps_import_next(im, &r, err, sizeof err) == CPS_EMALFORMED);
    CHECK(strcmp(err, "line 3: field 'deep': nesting deeper than 16 levels") == 0);
    CHECK(cps_import_next(im, &r, err, sizeof err) == 1 && r.line == 4);
    CHECK(strcmp(value_json(&r), "{\"areas\":[],\"evaluation\":\"{\\\"a\\\":1,\\\"a\\\":2}\","
                                 "\"title\":\"x\"}") == 0);
    CHECK(cps_import_next(im, &r, err, sizeof err) == 0);
    cps_import_close(&im);
}

static void
test_csv_quotes(void)
{
    struct cps_import *im =
        open_text("quote.csv",
                  "coll,key,value\n"
                  "cluster,P07/a,{}\n"
                  "cluster,P07/b\"x,{}\n" /* 3: quote inside an unquoted field */
                  "cluster,P07/c,{}\n"
                  "cluster,\"P07/d\"x,{}\n" /* 5: text after a closing quote */
                  "cluster,P07/e,{}\n"
                  "cluster,\"P07/f,{}\n" /* 7: never closed */
                  "cluster,P07/g,{}\n",
                  CPS_IMPORT_CSV, NULL);
    struct cps_import_record r;
    char err[256];

    CHECK(cps_import_next(im, &r, err, sizeof err) == 1 && r.line == 2);
    CHECK(cps_import_next(im, &r, err, sizeof err) == CPS_EMALFORMED);
    CHECK(strstr(err, "line 3: malformed quoted field") == err);
    CHECK(cps_import_next(im, &r, err, sizeof err) == 1 && r.line == 4 &&
          is(r.key, r.key_len, "P07/c"));
    CHECK(cps_import_next(im, &r, err, sizeof err) == CPS_EMALFORMED);
    CHECK(strstr(err, "line 5: malformed quoted field") == err);
    CHECK(cps_import_next(im, &r, err, sizeof err) == 1 && r.line == 6);
    CHECK(cps_import_next(im, &r, err, sizeof err) == CPS_EMALFORMED);
    CHECK(strcmp(err, "line 7: unterminated quoted field") == 0);
    CHECK(cps_import_next(im, &r, err, sizeof err) == 0);
    cps_import_close(&im);
}

/* 100,000 rows in one file: streamed, every line number right. */
static void
test_csv_many(void)
{
    struct cps_import *im = NULL;
    struct cps_import_record r;
    char err[256], want[32];
    uint64_t n = 0, bad = 0;
    FILE *f;
    int rc, i;

    snprintf(path, sizeof path, "%s/many.csv", dir);
    CHECK_SETUP((f = fopen(path, "w")) != NULL);
    fprintf(f, "key,area,period,value\r\n");
    for (i = 0; i < 100000; i++)
        fprintf(f, "P07/k%d,rd,2016-Q%d,%d.%02d\r\n", i, i % 4 + 1, i, i % 100);
    CHECK_SETUP(fclose(f) == 0);
    CHECK_SETUP(cps_import_open(&im, path, CPS_IMPORT_CSV, "cluster") == 0);
    while ((rc = cps_import_next(im, &r, err, sizeof err)) == 1) {
        snprintf(want, sizeof want, "P07/k%" PRIu64, n);
        if (r.line != n + 2 || !is(r.key, r.key_len, want))
            bad++;
        n++;
    }
    CHECK(rc == 0);
    CHECK(n == 100000 && bad == 0);
    cps_import_close(&im);
}

/* One line exactly as the W1 generator (/work/shared/peers/src/w1gen.c) writes it. */
#define W1(P, C, AREA, PER, IND, VAL, UNIT, SRC, TS, NOTE)                                         \
    "{\"coll\":\"indicator\",\"key\":\"" P "/" C "/" AREA "/" PER "\",\"value\":{"                 \
    "\"partner\":\"" P "\",\"cluster_id\":\"" C "\",\"area\":\"" AREA "\",\"period\":\"" PER       \
    "\",\"indicator\":\"" IND "\",\"value\":" VAL ",\"unit\":\"" UNIT "\",\"source\":\"" SRC       \
    "\",\"updated_at\":\"" TS "\",\"note\":\"" NOTE "\"}}\n"

static void
test_w1_lines(void)
{
    struct cps_import *im = open_text(
        "w1.ndjson",
        W1("P01", "P01-C001", "innovation", "2013-Q1", "patent_applications", "4012.07", "count",
           "eurostat/cis/2017-3fa9c1", "2024-02-11T08:03:44Z",
           "provisional figure based on member survey")
            W1("P07", "P07-C012", "rd", "2016-Q3", "rd_expenditure", "123456.78", "EUR_thousand",
               "national-stat-office/rd-survey/2020-00ab12", "2024-03-06T14:56:56Z",
               "revised after partial returns")
                W1("P12", "P12-C030", "international_cooperation", "2020-Q4",
                   "export_revenue_share", "0.05", "percent", "regional-observatory/2014-ffffff",
                   "2024-06-28T23:59:59Z", "estimate includes affiliated firms")
                    W1("P19", "P19-C044", "regional_specialisation", "2024-Q2",
                       "sector_concentration_index", "0.99", "index",
                       "company-annual-report/2024-0c0ffe", "2024-01-01T00:00:00Z",
                       "validated by cluster office")
                        W1("P25", "P25-C060", "jobs_skills", "2024-Q4", "employees_total",
                           "249999.00", "persons", "eu-funding-portal/2019-123abc",
                           "2025-03-01T12:00:00Z", "excludes public bodies see methodology annex")
                            W1("P03", "P03-C002", "sustainability", "2015-Q2", "co2_emissions",
                               "1999999.99", "tonnes_CO2e", "cluster-member-survey/2018-abcdef",
                               "2024-04-15T10:20:30Z", "figure on estimate")
                                W1("P09", "P09-C005", "financing", "2018-Q1",
                                   "venture_capital_deals", "12.00", "count",
                                   "eu-funding-portal/2016-000001", "2024-05-05T05:05:05Z",
                                   "survey based on partial returns"),
        CPS_IMPORT_NDJSON, NULL);
    struct cps_import_record r;
    struct cps_schema_writer w;
    char err[256], partner[4];
    int rc, n = 0, passed = 0;

    while ((rc = cps_import_next(im, &r, err, sizeof err)) == 1) {
        n++;
        memcpy(partner, r.key, 3);
        partner[3] = '\0';
        w.partner = partner;
        rc = cps_schema_check(&w, r.coll, r.coll_len, r.key, r.key_len, r.value, r.value_len, err,
                              sizeof err);
        if (rc != 0)
            fprintf(stderr, "W1 line %d: %s\n", n, err);
        passed += rc == 0;
        /* twin: the same record written by another partner */
        w.partner = strcmp(partner, "P02") == 0 ? "P03" : "P02";
        CHECK(cps_schema_check(&w, r.coll, r.coll_len, r.key, r.key_len, r.value, r.value_len, err,
                               sizeof err) == CPS_EOWNER);
    }
    CHECK(rc == 0);
    CHECK(n == 7 && passed == 7);
    cps_import_close(&im);
}

static void
test_open(void)
{
    struct cps_import *im = (struct cps_import *)1;
    char missing[160];

    snprintf(missing, sizeof missing, "%s/does-not-exist.ndjson", dir);
    CHECK(cps_import_open(&im, missing, CPS_IMPORT_NDJSON, NULL) == -ENOENT && im == NULL);
    CHECK(cps_import_guess("a/b.csv") == CPS_IMPORT_CSV);
    CHECK(cps_import_guess("B.CSV") == CPS_IMPORT_CSV);
    CHECK(cps_import_guess("b.ndjson") == CPS_IMPORT_NDJSON);
    CHECK(cps_import_guess("csv") == CPS_IMPORT_NDJSON);
    CHECK(cps_import_guess("-") == CPS_IMPORT_NDJSON);
}

static void
cleanup(void)
{
    static const char *names[] = {"good.ndjson", "bad.ndjson", "long.ndjson", "ckv.csv",
                                  "fields.csv",  "nohdr.csv",  "nokey.csv",   "dup.csv",
                                  "quote.csv",   "many.csv",   "w1.ndjson",  "json.csv"};
    size_t i;

    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

int
main(void)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(dir, sizeof dir, "%s/cps-import-XXXXXX",
             tmp != NULL && strlen(tmp) < 40 ? tmp : "/tmp");
    CHECK_SETUP(mkdtemp(dir) != NULL);
    test_ndjson_good();
    test_ndjson_bad();
    test_ndjson_long_line();
    test_csv_ckv();
    test_csv_fields();
    test_csv_quotes();
    test_csv_many();
    test_w1_lines();
    test_open();
    cleanup();
    return check_done();
}
