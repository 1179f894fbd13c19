/* SPDX-License-Identifier: ISC */
/*
 * rewrite: plays a dishonest hub operator for the witness test. With the hub stopped, it
 * alters one logged entry (its receipt time: nothing a partner signed), rebuilds the
 * Merkle tree over the altered log, and re-signs a checkpoint with the hub's own key, so
 * the hub's new history is self-consistent. Every node that trusted an older checkpoint
 * must refuse it.
 *
 *   rewrite HUB_DIR INDEX
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cps/apply.h"
#include "cps/crypto.h"
#include "cps/replay.h"
#include "cps/store.h"
#include "cps/tlog.h"
#include "cps/wire.h"

#define DIE(...)                                                                                \
    do {                                                                                        \
        fprintf(stderr, "rewrite: " __VA_ARGS__);                                               \
        fputc('\n', stderr);                                                                    \
        exit(99);                                                                               \
    } while (0)

int
main(int argc, char **argv)
{
    struct cps_store *st = NULL;
    struct cps_txn *txn = NULL;
    struct cps_cursor *cur = NULL;
    struct cps_keys *keys = NULL;
    struct cps_checkpoint cp = { .has_dataset = true };
    struct cps_entry e;
    struct cps_val v, k;
    char key_path[4096], programme[64], *note = NULL;
    uint8_t ix[8], leaf[32], *buf = NULL, *copy;
    uint64_t index, size, i;
    size_t len, note_len;

    if (argc != 3)
        DIE("usage: rewrite HUB_DIR INDEX");
    index = strtoull(argv[2], NULL, 10);
    if (cps_crypto_init() != 0 || cps_store_open(&st, argv[1], 0) != 0 ||
        cps_store_begin(st, true, &txn) != 0)
        DIE("cannot open %s", argv[1]);
    if (cps_store_meta_get_str(txn, "key", key_path, sizeof key_path) != 0 ||
        cps_store_meta_get_str(txn, "programme", programme, sizeof programme) != 0 ||
        cps_crypto_keys_load(&keys, key_path) != 0)
        DIE("cannot load the hub's key");
    if (cps_replay_size(txn, &cps_replay_hub, &size) != 0 || index >= size)
        DIE("no entry %llu", (unsigned long long)index);

    /* 1. alter the entry */
    cps_store_be64(ix, index);
    if (cps_store_get(txn, CPS_DB_LOG, ix, 8, &v) != 0 || (copy = malloc(v.len)) == NULL)
        DIE("cannot read entry");
    memcpy(copy, v.data, v.len);
    if (cps_wire_decode_entry(&e, copy, v.len) != 0)
        DIE("entry does not decode");
    e.received_ms += 1000;
    if (cps_wire_encode_entry(&e, &buf, &len) != 0 ||
        cps_store_put(txn, CPS_DB_LOG, ix, 8, buf, len, 0) != 0)
        DIE("cannot write entry");
    free(buf);
    free(copy);

    /* 2. a tree over the altered log */
    if (cps_store_cursor_open(txn, CPS_DB_TREE, &cur) != 0)
        DIE("tree");
    while (cps_store_cursor_get(cur, CPS_SEEK_FIRST, NULL, 0, &k, NULL) == 0)
        if (cps_store_cursor_del(cur) != 0)
            DIE("tree del");
    cps_store_cursor_close(&cur);
    for (i = 0; i < size; i++) {
        cps_store_be64(ix, i);
        if (cps_store_get(txn, CPS_DB_LOG, ix, 8, &v) != 0)
            DIE("entry %llu", (unsigned long long)i);
        cps_tlog_leaf_hash(v.data, v.len, leaf);
        if (cps_tlog_append(txn, CPS_DB_TREE, i, leaf) != 0)
            DIE("append %llu", (unsigned long long)i);
    }

    /* 3. forget the old checkpoints and sign the new history */
    if (cps_store_cursor_open(txn, CPS_DB_CHECKPOINTS, &cur) != 0)
        DIE("checkpoints");
    while (cps_store_cursor_get(cur, CPS_SEEK_FIRST, NULL, 0, &k, NULL) == 0)
        if (cps_store_cursor_del(cur) != 0)
            DIE("checkpoint del");
    cps_store_cursor_close(&cur);
    cps_replay_origin(programme, cp.origin);
    cp.size = size;
    if (cps_tlog_root(txn, CPS_DB_TREE, size, cp.root) != 0 ||
        cps_apply_digest(txn, &cps_replay_hub.view, cp.dataset) != 0 ||
        cps_tlog_checkpoint_sign(&note, &note_len, &cp, cp.origin, keys) != 0)
        DIE("cannot sign");
    cps_store_be64(ix, size);
    if (cps_store_put(txn, CPS_DB_CHECKPOINTS, ix, 8, note, note_len, 0) != 0 ||
        cps_store_commit(&txn) != 0)
        DIE("cannot commit");
    printf("rewrote entry %llu of %llu and re-signed the checkpoint\n", (unsigned long long)index,
           (unsigned long long)size);
    free(note);
    cps_crypto_keys_free(&keys);
    cps_store_close(&st);
    return 0;
}
