/* SPDX-License-Identifier: ISC */
/*
 * store: named databases, transactions that commit or vanish, cursors in key order,
 * meta values, and a full map reported as CPS_EFULL without corrupting what was committed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cps/store.h"

static char dir[] = "/tmp/cps-test-store-XXXXXX";

static void
test_put_get_abort(void)
{
    struct cps_store *st = NULL;
    struct cps_txn *txn = NULL;
    struct cps_val v;
    uint64_t n;

    CHECK_SETUP(cps_store_open(&st, dir, 0) == 0);
    CHECK_SETUP(cps_store_begin(st, true, &txn) == 0);
    CHECK(cps_store_put(txn, CPS_DB_RECORDS, "a\0k1", 4, "v1", 2, 0) == 0);
    CHECK(cps_store_put(txn, CPS_DB_RECORDS, "a\0k1", 4, "v2", 2, CPS_STORE_NOOVERWRITE) ==
          CPS_EEXIST);
    CHECK(cps_store_commit(&txn) == 0 && txn == NULL);

    /* an aborted transaction leaves nothing behind */
    CHECK_SETUP(cps_store_begin(st, true, &txn) == 0);
    CHECK(cps_store_put(txn, CPS_DB_RECORDS, "a\0k2", 4, "v", 1, 0) == 0);
    cps_store_abort(&txn);
    CHECK_SETUP(cps_store_begin(st, false, &txn) == 0);
    CHECK(cps_store_get(txn, CPS_DB_RECORDS, "a\0k1", 4, &v) == 0 && v.len == 2 &&
          memcmp(v.data, "v1", 2) == 0);
    CHECK(cps_store_get(txn, CPS_DB_RECORDS, "a\0k2", 4, &v) == CPS_ENOTFOUND);
    /* databases are separate */
    CHECK(cps_store_get(txn, CPS_DB_OUTBOX, "a\0k1", 4, &v) == CPS_ENOTFOUND);
    CHECK(cps_store_count(txn, CPS_DB_RECORDS, &n) == 0 && n == 1);
    cps_store_abort(&txn);
    cps_store_close(&st);
    CHECK(st == NULL);
}

static void
test_cursor_and_append(void)
{
    struct cps_store *st = NULL;
    struct cps_txn *txn = NULL;
    struct cps_cursor *cur = NULL;
    struct cps_val k, v;
    uint8_t key[8];
    uint64_t i, seen = 0, last = 0;
    int rc;

    CHECK_SETUP(cps_store_open(&st, dir, 0) == 0);
    CHECK_SETUP(cps_store_begin(st, true, &txn) == 0);
    for (i = 1; i <= 300; i++) {
        cps_store_be64(key, i);
        CHECK(cps_store_put(txn, CPS_DB_LOG, key, 8, &i, sizeof i, CPS_STORE_APPEND) == 0);
    }
    /* APPEND out of order is refused: the log can only grow at its end */
    cps_store_be64(key, 5);
    CHECK(cps_store_put(txn, CPS_DB_LOG, key, 8, "x", 1, CPS_STORE_APPEND) != 0);
    CHECK(cps_store_commit(&txn) == 0);

    CHECK_SETUP(cps_store_begin(st, false, &txn) == 0);
    CHECK_SETUP(cps_store_cursor_open(txn, CPS_DB_LOG, &cur) == 0);
    for (rc = cps_store_cursor_get(cur, CPS_SEEK_FIRST, NULL, 0, &k, &v); rc == 0;
         rc = cps_store_cursor_get(cur, CPS_SEEK_NEXT, NULL, 0, &k, &v)) {
        uint64_t ki = cps_store_get_be64(k.data);
        CHECK(ki > last);
        last = ki;
        seen++;
    }
    CHECK(rc == CPS_ENOTFOUND && seen == 300 && last == 300);
    cps_store_be64(key, 250);
    CHECK(cps_store_cursor_get(cur, CPS_SEEK_GE, key, 8, &k, NULL) == 0 &&
          cps_store_get_be64(k.data) == 250);
    CHECK(cps_store_cursor_get(cur, CPS_SEEK_LAST, NULL, 0, &k, NULL) == 0 &&
          cps_store_get_be64(k.data) == 300);
    cps_store_cursor_close(&cur);
    cps_store_abort(&txn);
    cps_store_close(&st);
}

static void
test_meta_and_keys(void)
{
    struct cps_store *st = NULL;
    struct cps_txn *txn = NULL;
    uint8_t buf[16], b8[8];
    uint64_t v = 0;

    CHECK_SETUP(cps_store_open(&st, dir, 0) == 0);
    CHECK_SETUP(cps_store_begin(st, true, &txn) == 0);
    CHECK(cps_store_meta_put_u64(txn, "n", 0x0102030405060708ull) == 0);
    CHECK(cps_store_meta_get_u64(txn, "n", &v) == 0 && v == 0x0102030405060708ull);
    CHECK(cps_store_meta_get_u64(txn, "absent", &v) == CPS_ENOTFOUND);
    CHECK(cps_store_meta_put(txn, "short", "ab", 2) == 0);
    CHECK(cps_store_meta_get_u64(txn, "short", &v) == CPS_ESTORE);
    CHECK(cps_store_commit(&txn) == 0);
    cps_store_close(&st);

    cps_store_be64(b8, 258);
    CHECK(b8[6] == 1 && b8[7] == 2 && b8[0] == 0);
    CHECK(cps_store_record_key(buf, sizeof buf, "coll", 4, "P01/x", 5) == 10 && buf[4] == 0);
    CHECK(cps_store_record_key(buf, sizeof buf, "collection", 10, "P01/xyz", 7) == 0);
}

static void
test_full_map(void)
{
    char small[] = "/tmp/cps-test-store-full-XXXXXX";
    struct cps_store *st = NULL;
    struct cps_txn *txn = NULL;
    uint8_t key[8], val[4000];
    struct cps_val v;
    uint64_t i, committed = 0;
    int rc = 0;

    CHECK_SETUP(mkdtemp(small) != NULL);
    memset(val, 0x5a, sizeof val);
    CHECK_SETUP(cps_store_open(&st, small, 1 << 20) == 0);
    /* fill one committed transaction at a time until the map is full */
    for (i = 0; i < 10000 && rc == 0; i++) {
        CHECK_SETUP(cps_store_begin(st, true, &txn) == 0);
        cps_store_be64(key, i);
        rc = cps_store_put(txn, CPS_DB_LOG, key, 8, val, sizeof val, 0);
        if (rc == 0)
            rc = cps_store_commit(&txn);
        else
            cps_store_abort(&txn);
        if (rc == 0)
            committed++;
    }
    CHECK(rc == CPS_EFULL);
    CHECK(committed > 10);
    cps_store_close(&st);
    /* reopened larger: everything committed is still there and writes go on */
    CHECK_SETUP(cps_store_open(&st, small, 4 << 20) == 0);
    CHECK_SETUP(cps_store_begin(st, true, &txn) == 0);
    cps_store_be64(key, committed - 1);
    CHECK(cps_store_get(txn, CPS_DB_LOG, key, 8, &v) == 0 && v.len == sizeof val);
    cps_store_be64(key, committed);
    CHECK(cps_store_put(txn, CPS_DB_LOG, key, 8, val, sizeof val, 0) == 0);
    CHECK(cps_store_commit(&txn) == 0);
    cps_store_close(&st);
    unlink(strcat(strcpy((char[256]){ 0 }, small), "/data.mdb"));
    unlink(strcat(strcpy((char[256]){ 0 }, small), "/lock.mdb"));
    rmdir(small);
}

int
main(void)
{
    char path[256];

    CHECK_SETUP(mkdtemp(dir) != NULL);
    test_put_get_abort();
    test_cursor_and_append();
    test_meta_and_keys();
    test_full_map();
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", dir);
    unlink(path);
    rmdir(dir);
    return check_done();
}
