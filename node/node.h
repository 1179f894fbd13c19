/* SPDX-License-Identifier: ISC */
/*
 * The node's shared state for its subcommands: the data directory, its store, its
 * configuration (kept in the store's meta database), and the transactional outbox writer.
 */
#ifndef CPS_NODE_H
#define CPS_NODE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cps/batch.h"
#include "cps/crypto.h"
#include "cps/note.h"
#include "cps/roster.h"
#include "cps/store.h"
#include "cps/wire.h"

#define NODE_PROG "cps-node"
#define NODE_DIR_ENV "CPS_NODE_DIR"
#define NODE_DIR_DEFAULT "cps-node"
#define NODE_BATCH_DEFAULT 100

struct node {
    char dir[PATH_MAX];
    struct cps_store *st;
    struct cps_keys *keys;     /* NULL unless opened with keys */
    struct cps_roster *roster;
    char partner[CPS_WIRE_ID_MAX];
    char programme[CPS_WIRE_PROGRAMME_MAX];
    char hub[256];
    char key_path[PATH_MAX];
    char vkey[CPS_NOTE_VKEY_MAX];
};

/* Open an initialised node directory; with keys, load the key file too. On failure err
 * says why and the node is closed. */
int node_open(struct node *n, const char *dir, bool with_keys, char *err, size_t err_len);
void node_close(struct node *n);

/*
 * The transactional outbox: in ONE write transaction, validate every op (schema, own
 * partner), group them into signed updates of at most batch ops (and CPS_WIRE_MAX_BODY
 * bytes), apply each to the node's records and append it to the outbox. Any error aborts
 * the transaction: nothing is written. The caller sets b->max_ops (and b->progress if it
 * wants); node_write fills in the rest, and b's counters say what was written.
 * Returns 0 or an error with err set.
 */
/* The file a running daemon watches (inotify): node_write writes a byte to it after each
 * commit. The store itself cannot tell: its writes go through a memory map, which inotify
 * does not see. */
#define NODE_WAKE_FILE "wake"

int node_write(struct node *n, cps_batch_next_fn next, void *arg, struct cps_batch *b,
               char *err, size_t err_len);

/*
 * A DEALER socket in zctx with the node's CURVE keys and the hub's server key, and the
 * options every node connection needs (linger 0, immediate, reconnect back-off,
 * heartbeats, bounded messages). Not yet connected. Returns 0 or -errno.
 */
int node_socket(struct node *n, void *zctx, void **out);

/*
 * Take the daemon lock of the node directory (DIR/daemon.lock, flock): one daemon per
 * node, and commands that must not race it (rekey) wait for it to stop. Returns the open
 * descriptor (kept for the process's life), or -EWOULDBLOCK when another holds it.
 */
int node_lock(const struct node *n);

/* Whether a daemon holds the node directory's lock now (for status). */
bool node_daemon_running(const struct node *n);

/* Common option: -d/--dir. Fills *dir from argv; leaves the rest to the caller. */
const char *node_dir(const char *given);

#endif
