/* SPDX-License-Identifier: ISC */
/*
 * tamper: damages what the hub derives from its log — never the log or its checkpoints —
 * for the rebuild test: one record of the consolidated dataset deleted and another's value
 * changed, the dataset digest zeroed, one (partner, seq) index entry deleted, and one
 * partner's accepted count altered. 'cps-hub rebuild' must put all of it right from the
 * log alone. With the hub stopped.
 *
 *   tamper HUB_DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cps/replay.h"
#include "cps/store.h"
#include "cps/wire.h"

#define DIE(...)                                                                                \
    do {                                                                                        \
        fprintf(stderr, "tamper: " __VA_ARGS__);                                                \
        fputc('\n', stderr);                                                                    \
        exit(99);                                                                               \
    } while (0)

/* Delete the first entry of db (or, with value, overwrite its value). */
static void
hit_first(struct cps_txn *txn, enum cps_db db, const char *value)
{
    struct cps_cursor *cur = NULL;
    struct cps_val k, v;
    uint8_t key[512];
    size_t len;

    if (cps_store_cursor_open(txn, db, &cur) != 0 ||
        cps_store_cursor_get(cur, CPS_SEEK_FIRST, NULL, 0, &k, &v) != 0 || k.len > sizeof key)
        DIE("database %d is empty", (int)db);
    len = k.len;
    memcpy(key, k.data, len);
    cps_store_cursor_close(&cur);
    if (value == NULL ? cps_store_del(txn, db, key, len) != 0
                      : cps_store_put(txn, db, key, len, value, strlen(value), 0) != 0)
        DIE("cannot change database %d", (int)db);
}

int
main(int argc, char **argv)
{
    static const uint8_t zero[2 * 1024] = { 0 };
    struct cps_store *st = NULL;
    struct cps_txn *txn = NULL;
    struct cps_cursor *cur = NULL;
    struct cps_pstate ps;
    struct cps_val k, v;
    uint8_t *buf = NULL, key[64];
    size_t len, klen;

    if (argc != 2)
        DIE("usage: tamper HUB_DIR");
    if (cps_store_open(&st, argv[1], 0) != 0 || cps_store_begin(st, true, &txn) != 0)
        DIE("%s: cannot open the store", argv[1]);
    hit_first(txn, CPS_DB_RECORDS, NULL);
    /* a msgpack map {"x": 1}, as a value would be stored */
    hit_first(txn, CPS_DB_RECORDS, "\x81\xa1x\x01");
    hit_first(txn, CPS_DB_PSEQ, NULL);
    if (cps_store_meta_put(txn, cps_replay_hub.view.digest_name, zero, sizeof zero) != 0)
        DIE("cannot zero the digest");
    if (cps_store_cursor_open(txn, CPS_DB_PARTNERS, &cur) != 0 ||
        cps_store_cursor_get(cur, CPS_SEEK_FIRST, NULL, 0, &k, &v) != 0 || k.len > sizeof key ||
        cps_wire_decode_pstate(&ps, v.data, v.len) != 0)
        DIE("no partner state");
    klen = k.len;
    memcpy(key, k.data, klen);
    cps_store_cursor_close(&cur);
    ps.accepted += 1000;
    if (cps_wire_encode_pstate(&ps, &buf, &len) != 0 ||
        cps_store_put(txn, CPS_DB_PARTNERS, key, klen, buf, len, 0) != 0)
        DIE("cannot change a partner state");
    free(buf);
    if (cps_store_commit(&txn) != 0)
        DIE("commit");
    cps_store_close(&st);
    printf("tampered with the dataset, its digest, the index and a partner state in %s\n",
           argv[1]);
    return 0;
}
