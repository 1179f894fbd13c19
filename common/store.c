/* SPDX-License-Identifier: ISC */
/*
 * store: the LMDB environment and its named databases. This is the only file that talks
 * to LMDB; it maps LMDB's codes onto ours and leaves what the bytes mean to its callers.
 */
#include <errno.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "cps/store.h"

static const char *const db_names[CPS_DB_COUNT] = {
    [CPS_DB_META] = "meta",         [CPS_DB_RECORDS] = "records", [CPS_DB_OUTBOX] = "outbox",
    [CPS_DB_REJECTED] = "rejected", [CPS_DB_LOG] = "log",         [CPS_DB_PARTNERS] = "partners",
    [CPS_DB_PSEQ] = "pseq",         [CPS_DB_TREE] = "tree",       [CPS_DB_CHECKPOINTS] = "checkpoints",
    [CPS_DB_RLOG] = "rlog",         [CPS_DB_RTREE] = "rtree",     [CPS_DB_RRECORDS] = "rrecords",
    [CPS_DB_RCHAIN] = "rchain",
};

struct cps_store {
    MDB_env *env;
    MDB_dbi dbi[CPS_DB_COUNT];
    void *map; /* where LMDB mapped data.mdb (for cps_store_trim); NULL: not found */
};

struct cps_txn {
    struct cps_store *st;
    MDB_txn *txn;
};

struct cps_cursor {
    MDB_cursor *cur;
};

static int
store_err(int rc)
{
    switch (rc) {
    case 0:
        return 0;
    case MDB_NOTFOUND:
        return CPS_ENOTFOUND;
    case MDB_KEYEXIST:
        return CPS_EEXIST;
    case MDB_MAP_FULL:
    case MDB_TXN_FULL:
        return CPS_EFULL;
    case MDB_BAD_VALSIZE:
        return CPS_ETOOBIG;
    case MDB_VERSION_MISMATCH:
        return CPS_EVERSION;
    default:
        if (rc > 0 && rc < 1000)
            return -rc; /* LMDB passes errno values through */
        return CPS_ESTORE;
    }
}

void
cps_store_close(struct cps_store **st)
{
    if (st == NULL || *st == NULL)
        return;
    if ((*st)->env != NULL)
        mdb_env_close((*st)->env);
    free(*st);
    *st = NULL;
}

void
cps_store_trim(struct cps_store *st)
{
    MDB_envinfo info;
    MDB_stat stat;

    if (st->map == NULL || mdb_env_info(st->env, &info) != 0 ||
        mdb_env_stat(st->env, &stat) != 0)
        return;
    /* only the part of the map the file uses; a failure only leaves the pages resident */
    (void)madvise(st->map, (info.me_last_pgno + 1) * (size_t)stat.ms_psize, MADV_DONTNEED);
}

/* LMDB keeps where it mapped the file to itself (mdb_env_info tells only a fixed map's
 * address): find the mapping of data.mdb, by inode, in /proc/self/maps. */
static void *
find_map(MDB_env *env)
{
    unsigned long long lo, hi, ino;
    struct stat sb;
    char line[4096];
    void *map = NULL;
    FILE *f;
    int fd;

    if (mdb_env_get_fd(env, &fd) != 0 || fstat(fd, &sb) != 0 ||
        (f = fopen("/proc/self/maps", "re")) == NULL)
        return NULL;
    while (map == NULL && fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "%llx-%llx %*s %*s %*s %llu", &lo, &hi, &ino) == 3 &&
            ino == (unsigned long long)sb.st_ino && hi - lo > 4096)
            map = (void *)(uintptr_t)lo;
    fclose(f);
    return map;
}

int
cps_store_open(struct cps_store **out, const char *dir, size_t map_size)
{
    return cps_store_open_flags(out, dir, map_size, CPS_STORE_WRITEMAP);
}

int
cps_store_open_flags(struct cps_store **out, const char *dir, size_t map_size, unsigned flags)
{
    struct cps_store *st;
    MDB_txn *txn = NULL;
    int rc, i;

    *out = NULL;
    if ((st = calloc(1, sizeof *st)) == NULL)
        return -ENOMEM;
    if ((rc = mdb_env_create(&st->env)) != 0 ||
        (rc = mdb_env_set_maxdbs(st->env, CPS_DB_COUNT)) != 0 ||
        (rc = mdb_env_set_maxreaders(st->env, 126)) != 0)
        goto fail;
    /* A new environment gets the default; an existing one keeps its recorded size unless
     * the caller asks for another (LMDB only grows the file when it is used). */
    if (map_size != 0 && (rc = mdb_env_set_mapsize(st->env, map_size)) != 0)
        goto fail;
    /* WRITEMAP: dirty pages live in the map, not in malloc'd copies: a large import costs
     * no heap, and a commit writes no extra copy (the file is sparse at the map size) */
    if ((rc = mdb_env_open(st->env, dir,
                           MDB_NOTLS | ((flags & CPS_STORE_WRITEMAP) ? MDB_WRITEMAP : 0) |
                               ((flags & CPS_STORE_SCRATCH) ? MDB_NOSYNC : 0),
                           0600)) != 0)
        goto fail;
    if (map_size == 0) {
        MDB_envinfo info;
        mdb_env_info(st->env, &info);
        if (info.me_mapsize < CPS_STORE_DEFAULT_MAP &&
            (rc = mdb_env_set_mapsize(st->env, CPS_STORE_DEFAULT_MAP)) != 0)
            goto fail;
    }
    st->map = find_map(st->env);
    if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
        goto fail;
    for (i = 0; i < CPS_DB_COUNT; i++)
        if ((rc = mdb_dbi_open(txn, db_names[i], MDB_CREATE, &st->dbi[i])) != 0)
            goto fail;
    if ((rc = mdb_txn_commit(txn)) != 0) {
        txn = NULL;
        goto fail;
    }
    *out = st;
    return 0;

fail:
    if (txn != NULL)
        mdb_txn_abort(txn);
    cps_store_close(&st);
    return store_err(rc);
}

int
cps_store_begin(struct cps_store *st, bool write, struct cps_txn **out)
{
    struct cps_txn *t;
    int rc;

    *out = NULL;
    if ((t = malloc(sizeof *t)) == NULL)
        return -ENOMEM;
    t->st = st;
    rc = mdb_txn_begin(st->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
    if (rc == MDB_MAP_RESIZED) {
        /* another process grew the map: adopt its size and retry once */
        if ((rc = mdb_env_set_mapsize(st->env, 0)) == 0)
            rc = mdb_txn_begin(st->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
    }
    if (rc != 0) {
        free(t);
        return store_err(rc);
    }
    *out = t;
    return 0;
}

int
cps_store_commit(struct cps_txn **txn)
{
    int rc = mdb_txn_commit((*txn)->txn);

    free(*txn);
    *txn = NULL;
    return store_err(rc);
}

void
cps_store_abort(struct cps_txn **txn)
{
    if (txn == NULL || *txn == NULL)
        return;
    mdb_txn_abort((*txn)->txn);
    free(*txn);
    *txn = NULL;
}

int
cps_store_get(struct cps_txn *txn, enum cps_db db, const void *key, size_t key_len,
              struct cps_val *val)
{
    MDB_val k = { key_len, (void *)key }, v;
    int rc;

    if ((rc = mdb_get(txn->txn, txn->st->dbi[db], &k, &v)) != 0)
        return store_err(rc);
    val->data = v.mv_data;
    val->len = v.mv_size;
    return 0;
}

int
cps_store_put(struct cps_txn *txn, enum cps_db db, const void *key, size_t key_len,
              const void *val, size_t val_len, unsigned flags)
{
    MDB_val k = { key_len, (void *)key }, v = { val_len, (void *)val };
    unsigned f = 0;

    if (flags & CPS_STORE_NOOVERWRITE)
        f |= MDB_NOOVERWRITE;
    if (flags & CPS_STORE_APPEND)
        f |= MDB_APPEND;
    return store_err(mdb_put(txn->txn, txn->st->dbi[db], &k, &v, f));
}

int
cps_store_del(struct cps_txn *txn, enum cps_db db, const void *key, size_t key_len)
{
    MDB_val k = { key_len, (void *)key };

    return store_err(mdb_del(txn->txn, txn->st->dbi[db], &k, NULL));
}

int
cps_store_count(struct cps_txn *txn, enum cps_db db, uint64_t *n)
{
    MDB_stat s;
    int rc;

    if ((rc = mdb_stat(txn->txn, txn->st->dbi[db], &s)) != 0)
        return store_err(rc);
    *n = s.ms_entries;
    return 0;
}

int
cps_store_cursor_open(struct cps_txn *txn, enum cps_db db, struct cps_cursor **out)
{
    struct cps_cursor *c;
    int rc;

    *out = NULL;
    if ((c = malloc(sizeof *c)) == NULL)
        return -ENOMEM;
    if ((rc = mdb_cursor_open(txn->txn, txn->st->dbi[db], &c->cur)) != 0) {
        free(c);
        return store_err(rc);
    }
    *out = c;
    return 0;
}

void
cps_store_cursor_close(struct cps_cursor **cur)
{
    if (cur == NULL || *cur == NULL)
        return;
    mdb_cursor_close((*cur)->cur);
    free(*cur);
    *cur = NULL;
}

int
cps_store_cursor_get(struct cps_cursor *cur, enum cps_seek how, const void *key, size_t key_len,
                     struct cps_val *k, struct cps_val *v)
{
    static const MDB_cursor_op ops[] = {
        [CPS_SEEK_FIRST] = MDB_FIRST, [CPS_SEEK_LAST] = MDB_LAST, [CPS_SEEK_GE] = MDB_SET_RANGE,
        [CPS_SEEK_NEXT] = MDB_NEXT,   [CPS_SEEK_PREV] = MDB_PREV,
    };
    MDB_val mk = { key_len, (void *)key }, mv;
    int rc;

    if ((rc = mdb_cursor_get(cur->cur, &mk, &mv, ops[how])) != 0)
        return store_err(rc);
    if (k != NULL) {
        k->data = mk.mv_data;
        k->len = mk.mv_size;
    }
    if (v != NULL) {
        v->data = mv.mv_data;
        v->len = mv.mv_size;
    }
    return 0;
}

int
cps_store_cursor_del(struct cps_cursor *cur)
{
    return store_err(mdb_cursor_del(cur->cur, 0));
}

int
cps_store_copy(struct cps_store *st, const char *dir, bool compact)
{
    return store_err(mdb_env_copy2(st->env, dir, compact ? MDB_CP_COMPACT : 0));
}

int
cps_store_usage(struct cps_store *st, uint64_t *map_size, uint64_t *used)
{
    MDB_envinfo info;
    MDB_stat s;
    int rc;

    if ((rc = mdb_env_info(st->env, &info)) != 0 || (rc = mdb_env_stat(st->env, &s)) != 0)
        return store_err(rc);
    *map_size = info.me_mapsize;
    *used = (uint64_t)(info.me_last_pgno + 1) * s.ms_psize;
    return 0;
}

void
cps_store_be64(uint8_t out[8], uint64_t v)
{
    int i;

    for (i = 7; i >= 0; i--) {
        out[i] = (uint8_t)v;
        v >>= 8;
    }
}

uint64_t
cps_store_get_be64(const uint8_t in[8])
{
    uint64_t v = 0;
    int i;

    for (i = 0; i < 8; i++)
        v = (v << 8) | in[i];
    return v;
}

int
cps_store_meta_get(struct cps_txn *txn, const char *name, struct cps_val *v)
{
    return cps_store_get(txn, CPS_DB_META, name, strlen(name), v);
}

int
cps_store_meta_put(struct cps_txn *txn, const char *name, const void *v, size_t v_len)
{
    return cps_store_put(txn, CPS_DB_META, name, strlen(name), v, v_len, 0);
}

int
cps_store_meta_get_str(struct cps_txn *txn, const char *name, char *dst, size_t dst_len)
{
    struct cps_val v;
    int rc;

    if ((rc = cps_store_meta_get(txn, name, &v)) != 0)
        return rc;
    if (v.len >= dst_len)
        return CPS_ESTORE;
    memcpy(dst, v.data, v.len);
    dst[v.len] = 0;
    return 0;
}

int
cps_store_meta_get_u64(struct cps_txn *txn, const char *name, uint64_t *v)
{
    struct cps_val val;
    int rc;

    if ((rc = cps_store_meta_get(txn, name, &val)) != 0)
        return rc;
    if (val.len != 8)
        return CPS_ESTORE;
    *v = cps_store_get_be64(val.data);
    return 0;
}

int
cps_store_meta_put_u64(struct cps_txn *txn, const char *name, uint64_t v)
{
    uint8_t b[8];

    cps_store_be64(b, v);
    return cps_store_meta_put(txn, name, b, sizeof b);
}

size_t
cps_store_record_key(uint8_t *buf, size_t buf_len, const char *coll, size_t coll_len,
                     const char *key, size_t key_len)
{
    size_t n = coll_len + 1 + key_len;

    if (n > buf_len)
        return 0;
    memcpy(buf, coll, coll_len);
    buf[coll_len] = 0;
    memcpy(buf + coll_len + 1, key, key_len);
    return n;
}
