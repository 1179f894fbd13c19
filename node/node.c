/* SPDX-License-Identifier: ISC */
/*
 * The node's data directory and its transactional outbox: a local change writes the record
 * and its signed update in the same LMDB transaction, so a crash can lose neither alone.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <zmq.h>

#include "cps/apply.h"
#include "cps/cli.h"
#include "cps/schema.h"
#include "node.h"
#include "ops.h"

const char *
node_dir(const char *given)
{
    const char *e = getenv(NODE_DIR_ENV), *conf;

    if (given != NULL || (e != NULL && *e != 0))
        return cps_cli_dir(given, NODE_DIR_ENV, NODE_DIR_DEFAULT);
    /* then the configuration file's [node] dir */
    return (conf = node_conf_dir()) != NULL ? conf : NODE_DIR_DEFAULT;
}

void
node_close(struct node *n)
{
    cps_crypto_keys_free(&n->keys);
    cps_roster_free(&n->roster);
    cps_store_close(&n->st);
}

int
node_open(struct node *n, const char *dir, bool with_keys, char *err, size_t err_len)
{
    struct cps_txn *txn = NULL;
    int rc;

    memset(n, 0, sizeof *n);
    if ((rc = cps_cli_dir_open(&n->st, n->dir, sizeof n->dir, dir, "node", CPS_STORE_WRITEMAP,
                               NODE_PROG, err, err_len)) != 0)
        return rc;
    if (node_conf_map_mib() != 0) { /* --map-size or [store] map_size_mib */
        cps_store_close(&n->st);
        if ((rc = cps_store_open(&n->st, n->dir, (size_t)node_conf_map_mib() << 20)) != 0) {
            snprintf(err, err_len, "%s: %s", n->dir, cps_strerror(rc));
            return rc;
        }
    }
    if ((rc = cps_store_begin(n->st, false, &txn)) != 0 ||
        (rc = cps_store_meta_get_str(txn, "partner", n->partner, sizeof n->partner)) != 0 ||
        (rc = cps_store_meta_get_str(txn, "programme", n->programme, sizeof n->programme)) != 0 ||
        (rc = cps_store_meta_get_str(txn, "hub", n->hub, sizeof n->hub)) != 0 ||
        (rc = cps_store_meta_get_str(txn, "key", n->key_path, sizeof n->key_path)) != 0 ||
        (rc = cps_store_meta_get_str(txn, "vkey", n->vkey, sizeof n->vkey)) != 0) {
        snprintf(err, err_len, "%s: node configuration unreadable: %s", n->dir,
                 cps_strerror(rc));
        cps_store_abort(&txn);
        goto fail;
    }
    cps_store_abort(&txn);
    if (node_conf_hub() != NULL) /* --hub or [node] hub: over what init recorded */
        snprintf(n->hub, sizeof n->hub, "%s", node_conf_hub());
    if ((rc = cps_cli_dir_load(&n->roster, with_keys ? &n->keys : NULL, n->dir, n->vkey,
                               n->key_path, err, err_len)) != 0)
        goto fail;
    return 0;
fail:
    node_close(n);
    return rc;
}

/* The node's own records: no digest (that is kept for the replica of the whole log). */
static const struct cps_apply_view own_records = { .records = CPS_DB_RECORDS };

/* The node's sink: the update's records and the update itself, in the caller's txn. */
static int
to_outbox(void *arg, const struct cps_update *up, char *err, size_t err_len)
{
    struct cps_txn *txn = arg;
    uint8_t key[8];
    int rc;

    cps_store_be64(key, up->seq);
    if ((rc = cps_apply_update(txn, &own_records, up)) != 0 ||
        (rc = cps_store_put(txn, CPS_DB_OUTBOX, key, sizeof key, up->signed_bytes,
                            up->signed_len, CPS_STORE_APPEND)) != 0)
        snprintf(err, err_len, "store: %s", cps_strerror(rc));
    return rc;
}

/* Tell a running daemon that the outbox grew (NODE_WAKE_FILE); without one, or when the
 * file cannot be written, the daemon finds the update at its next poll round. */
static void
wake_daemon(const struct node *n)
{
    char path[PATH_MAX + 32];
    int fd;

    snprintf(path, sizeof path, "%s/" NODE_WAKE_FILE, n->dir);
    if ((fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
        return;
    if (pwrite(fd, "\n", 1, 0) != 1) {
        /* nothing to undo: only the wake-up is late */
    }
    close(fd);
}

int
node_write(struct node *n, cps_batch_next_fn next, void *arg, struct cps_batch *b, char *err,
           size_t err_len)
{
    struct cps_txn *txn = NULL;
    struct cps_val v;
    int rc;

    b->programme = n->programme;
    b->writer = n->partner;
    b->keys = n->keys;
    if ((rc = cps_store_begin(n->st, true, &txn)) != 0) {
        snprintf(err, err_len, "store: %s", cps_strerror(rc));
        return rc;
    }
    if ((rc = cps_store_meta_get_u64(txn, "next_seq", &b->seq)) != 0 ||
        (rc = cps_store_meta_get(txn, "prev", &v)) != 0 || v.len != sizeof b->prev) {
        snprintf(err, err_len, "store: node state unreadable");
        rc = rc != 0 ? rc : CPS_ESTORE;
        goto fail;
    }
    memcpy(b->prev, v.data, sizeof b->prev);
    if ((rc = cps_batch_write(b, next, arg, to_outbox, txn, err, err_len)) != 0)
        goto fail;
    if ((rc = cps_store_meta_put_u64(txn, "next_seq", b->seq)) != 0 ||
        (rc = cps_store_meta_put(txn, "prev", b->prev, sizeof b->prev)) != 0 ||
        (rc = cps_store_commit(&txn)) != 0) {
        snprintf(err, err_len, "store: %s", cps_strerror(rc));
        goto fail;
    }
    wake_daemon(n);
    return 0;
fail:
    cps_store_abort(&txn);
    return rc;
}

int
node_socket(struct node *n, void *zctx, void **out)
{
    const int linger = 0, immediate = 1, ivl = 1000, ivl_max = 10000, hb_ivl = 2000,
              hb_timeout = 6000, hb_ttl = 6000, hwm = 1000;
    const int64_t maxmsg = CPS_WIRE_MAX_DOWN_FRAME;
    struct cps_pubkeys pub;
    void *s;

    *out = NULL;
    cps_crypto_keys_public(n->keys, &pub);
    if ((s = zmq_socket(zctx, ZMQ_DEALER)) == NULL)
        return -errno;
    if (zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(s, ZMQ_IMMEDIATE, &immediate, sizeof immediate) != 0 ||
        zmq_setsockopt(s, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl) != 0 ||
        zmq_setsockopt(s, ZMQ_RECONNECT_IVL_MAX, &ivl_max, sizeof ivl_max) != 0 ||
        zmq_setsockopt(s, ZMQ_HEARTBEAT_IVL, &hb_ivl, sizeof hb_ivl) != 0 ||
        zmq_setsockopt(s, ZMQ_HEARTBEAT_TIMEOUT, &hb_timeout, sizeof hb_timeout) != 0 ||
        zmq_setsockopt(s, ZMQ_HEARTBEAT_TTL, &hb_ttl, sizeof hb_ttl) != 0 ||
        zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm) != 0 ||
        zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) != 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, n->roster->hub.curve, 32) != 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pub.curve, 32) != 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, cps_crypto_curve_secret(n->keys), 32) != 0) {
        int e = errno;
        zmq_close(s);
        return -e;
    }
    *out = s;
    return 0;
}

int
node_lock(const struct node *n)
{
    char path[PATH_MAX + 32];
    int fd;

    snprintf(path, sizeof path, "%s/daemon.lock", n->dir);
    if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) == -1)
        return -errno;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

bool
node_daemon_running(const struct node *n)
{
    char path[PATH_MAX + 32];
    bool running;
    int fd;

    snprintf(path, sizeof path, "%s/daemon.lock", n->dir);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
        return false; /* no daemon ever ran here */
    running = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close(fd); /* releases a shared lock taken just now */
    return running;
}

int
node_reload(struct node *n, char *err, size_t err_len)
{
    const struct cps_roster_partner *p;
    struct cps_roster *roster = NULL;
    struct cps_keys *keys = NULL;
    struct cps_txn *txn = NULL;
    struct cps_pubkeys pub;
    char key_path[PATH_MAX], hub[256];
    int rc;

    if ((rc = cps_store_begin(n->st, false, &txn)) != 0 ||
        (rc = cps_store_meta_get_str(txn, "key", key_path, sizeof key_path)) != 0 ||
        (rc = cps_store_meta_get_str(txn, "hub", hub, sizeof hub)) != 0) {
        snprintf(err, err_len, "%s: node configuration unreadable: %s", n->dir,
                 cps_strerror(rc));
        cps_store_abort(&txn);
        return rc;
    }
    cps_store_abort(&txn);
    if (node_conf_hub() != NULL)
        snprintf(hub, sizeof hub, "%s", node_conf_hub());
    if ((rc = cps_cli_dir_load(&roster, &keys, n->dir, n->vkey, key_path, err, err_len)) != 0)
        return rc;
    cps_crypto_keys_public(keys, &pub);
    if ((p = cps_roster_find(roster, n->partner)) == NULL ||
        !cps_crypto_equal(&pub, &p->pub, sizeof pub)) {
        snprintf(err, err_len, "%s: not the key roster serial %" PRIu64 " gives %s", key_path,
                 roster->serial, n->partner);
        cps_crypto_keys_free(&keys);
        cps_roster_free(&roster);
        return CPS_EUNKNOWN;
    }
    cps_crypto_keys_free(&n->keys);
    cps_roster_free(&n->roster);
    n->keys = keys;
    n->roster = roster;
    snprintf(n->key_path, sizeof n->key_path, "%s", key_path);
    snprintf(n->hub, sizeof n->hub, "%s", hub);
    return 0;
}
