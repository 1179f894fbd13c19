/* SPDX-License-Identifier: ISC */
/*
 * store: one LMDB environment per process role, with named databases per concern.
 *
 * The store hides LMDB behind opaque handles. Keys are designed for range scans
 * (records: "collection\0key"; log and outbox: big-endian uint64). Readers never block the
 * writer; the node CLI and its daemon share one environment across processes.
 * Values returned by get/cursor calls borrow LMDB's memory: read-only, valid until the
 * transaction ends or the next write in it. Do not free them.
 */
#ifndef CPS_STORE_H
#define CPS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cps/err.h"

enum cps_db {
    CPS_DB_META = 0,  /* small named values (both roles) */
    CPS_DB_RECORDS,   /* coll \0 key -> value (node: own records; hub: consolidated) */
    CPS_DB_OUTBOX,    /* node: seq(be64) -> signed update bytes */
    CPS_DB_REJECTED,  /* node: seq(be64) -> be64 log index | be32 wire code | reason */
    CPS_DB_LOG,       /* hub: index(be64) -> log entry (see wire.h) */
    CPS_DB_PARTNERS,  /* hub: partner id -> partner state (see wire.h) */
    CPS_DB_PSEQ,      /* hub: partner id \0 seq(be64) -> log index(be64) */
    CPS_DB_TREE,      /* hub: Merkle tree, level(u8) index(be64) -> hash (see tlog.h) */
    CPS_DB_CHECKPOINTS, /* hub and node: tree size(be64) -> signed checkpoint note */
    CPS_DB_RLOG,      /* node replica: index(be64) -> log entry, as the hub logged it */
    CPS_DB_RTREE,     /* node replica: Merkle tree over RLOG */
    CPS_DB_RRECORDS,  /* node replica: the programme dataset, coll \0 key -> value */
    CPS_DB_RCHAIN,    /* node replica: partner id -> chain state (see replay.h) */
    CPS_DB_COUNT
};

#define CPS_STORE_DEFAULT_MAP ((size_t)1 << 30)

struct cps_store;
struct cps_txn;
struct cps_cursor;

/* A borrowed byte range. */
struct cps_val {
    const void *data;
    size_t len;
};

/*
 * Open (creating if needed) the environment in directory dir, which must exist.
 * map_size 0 keeps the size already recorded in the environment (or the default for a new
 * one). Returns 0, -errno, CPS_ESTORE.
 */
CPS_MUST_CHECK int cps_store_open(struct cps_store **out, const char *dir, size_t map_size);

/*
 * cps_store_open with a choice of where a write transaction keeps its dirty pages.
 * CPS_STORE_WRITEMAP (what cps_store_open uses): in the map itself, so a transaction of any
 * size costs no heap; but every fresh page is a page fault, and the commit msyncs. Without
 * it: in heap copies written with pwrite at commit, which is cheaper for a stream of
 * bounded transactions (the hub's group commits: about a third less writer CPU on W1).
 */
#define CPS_STORE_WRITEMAP 0x1u
/* CPS_STORE_SCRATCH: commits do not sync. Only for a store that is thrown away whatever
 * happens to the machine (cps-audit's replay): after a crash it may be unreadable. */
#define CPS_STORE_SCRATCH 0x2u
CPS_MUST_CHECK int cps_store_open_flags(struct cps_store **out, const char *dir,
                                        size_t map_size, unsigned flags);

/* Close; NULL-safe; sets *st to NULL. All transactions must have ended. */
void cps_store_close(struct cps_store **st);

/*
 * Give back the pages of the map this process has touched: they stay in the page cache
 * (the map is shared with the file; what is dirty is not lost) and come back on the next
 * read, at the cost of a minor fault. A long-running process that reads its whole store
 * in turn (a node shipping its outbox) so keeps a resident size of what it uses now. Call
 * with no transaction of this process open.
 */
void cps_store_trim(struct cps_store *st);

/* Begin a transaction (write or read-only). */
CPS_MUST_CHECK int cps_store_begin(struct cps_store *st, bool write, struct cps_txn **out);

/* Commit and free *txn (set to NULL), even on failure. Returns 0, CPS_EFULL, -errno. */
CPS_MUST_CHECK int cps_store_commit(struct cps_txn **txn);

/* Abort and free; NULL-safe. */
void cps_store_abort(struct cps_txn **txn);

/* Returns 0, CPS_ENOTFOUND, CPS_ESTORE. */
CPS_MUST_CHECK int cps_store_get(struct cps_txn *txn, enum cps_db db, const void *key,
                                 size_t key_len, struct cps_val *val);

#define CPS_STORE_NOOVERWRITE 1u /* CPS_EEXIST if the key is there */
#define CPS_STORE_APPEND 2u      /* key sorts after every existing key (fast path) */

/* Returns 0, CPS_EEXIST, CPS_EFULL, CPS_ETOOBIG, CPS_ESTORE. */
CPS_MUST_CHECK int cps_store_put(struct cps_txn *txn, enum cps_db db, const void *key,
                                 size_t key_len, const void *val, size_t val_len,
                                 unsigned flags);

/* Returns 0 or CPS_ENOTFOUND. */
CPS_MUST_CHECK int cps_store_del(struct cps_txn *txn, enum cps_db db, const void *key,
                                 size_t key_len);

/* Number of entries in db. */
CPS_MUST_CHECK int cps_store_count(struct cps_txn *txn, enum cps_db db, uint64_t *n);

/* Cursor over db inside txn; closed by cps_store_cursor_close or when txn ends. */
CPS_MUST_CHECK int cps_store_cursor_open(struct cps_txn *txn, enum cps_db db,
                                         struct cps_cursor **out);
void cps_store_cursor_close(struct cps_cursor **cur);

enum cps_seek {
    CPS_SEEK_FIRST,
    CPS_SEEK_LAST,
    CPS_SEEK_GE,   /* first key >= key */
    CPS_SEEK_NEXT,
    CPS_SEEK_PREV,
};

/* Position and read. key/key_len are input for CPS_SEEK_GE only. Returns 0 or
 * CPS_ENOTFOUND (no such entry). */
CPS_MUST_CHECK int cps_store_cursor_get(struct cps_cursor *cur, enum cps_seek how,
                                        const void *key, size_t key_len, struct cps_val *k,
                                        struct cps_val *v);

/* Delete the entry under the cursor. */
CPS_MUST_CHECK int cps_store_cursor_del(struct cps_cursor *cur);

/*
 * Write a consistent copy of the store into directory dir (which must exist and hold no
 * store): one read transaction's snapshot, so the store's writers go on meanwhile; with
 * compact, free pages are left out. Returns 0, -errno or CPS_ESTORE.
 */
CPS_MUST_CHECK int cps_store_copy(struct cps_store *st, const char *dir, bool compact);

/* Map size in bytes, and bytes in use (last page * page size). */
CPS_MUST_CHECK int cps_store_usage(struct cps_store *st, uint64_t *map_size, uint64_t *used);

/* Big-endian helpers for keys. */
void cps_store_be64(uint8_t out[8], uint64_t v);
uint64_t cps_store_get_be64(const uint8_t in[8]);

/* Meta values: strings and uint64 under a NUL-terminated name. */
CPS_MUST_CHECK int cps_store_meta_get_u64(struct cps_txn *txn, const char *name, uint64_t *v);
CPS_MUST_CHECK int cps_store_meta_put_u64(struct cps_txn *txn, const char *name, uint64_t v);
/* *v borrows store memory (not NUL-terminated). */
CPS_MUST_CHECK int cps_store_meta_get(struct cps_txn *txn, const char *name, struct cps_val *v);
CPS_MUST_CHECK int cps_store_meta_put(struct cps_txn *txn, const char *name, const void *v,
                                      size_t v_len);
/* Copy a meta string into dst, NUL-terminated. Returns 0, CPS_ENOTFOUND, CPS_ESTORE when
 * it does not fit in dst_len bytes, or a store error. */
CPS_MUST_CHECK int cps_store_meta_get_str(struct cps_txn *txn, const char *name, char *dst,
                                          size_t dst_len);

/* Record key "coll \0 key" into buf; returns its length, or 0 when it does not fit. */
size_t cps_store_record_key(uint8_t *buf, size_t buf_len, const char *coll, size_t coll_len,
                            const char *key, size_t key_len);

#endif
