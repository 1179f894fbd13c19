/* SPDX-License-Identifier: ISC */
/*
 * The hub's shared state for its subcommands: data directory, store, keys, roster, and the
 * ingest step that turns one received frame into a log entry and a reply.
 */
#ifndef CPS_HUB_H
#define CPS_HUB_H

#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cps/crypto.h"
#include "cps/note.h"
#include "cps/roster.h"
#include "cps/store.h"
#include "cps/wire.h"

#define HUB_PROG "cps-hub"
#define HUB_DIR_ENV "CPS_HUB_DIR"
#define HUB_DIR_DEFAULT "cps-hub"
#define HUB_ZAP_DOMAIN "cps"
#define HUB_LISTEN_DEFAULT "tcp://127.0.0.1:7700"
#define HUB_MAP_DEFAULT ((size_t)8 << 30)
/* Every process that opens the hub's store, the daemon and the commands beside it, keeps
 * its dirty pages on the heap (cps_store_open_flags): the daemon's group commits are
 * cheaper so, and LMDB wants all processes of one environment alike (processes with and
 * without MDB_WRITEMAP can defeat each other's durability) */
#define HUB_STORE_FLAGS 0u
/* What the operator reads when the store is full, and what to do */
#define HUB_STORE_FULL_HINT "store full (restart with a larger map: cps-hub run --map-size MIB)"

struct hub {
    char dir[PATH_MAX];
    struct cps_store *st;
    struct cps_keys *keys; /* NULL unless opened with keys */
    struct cps_roster *genesis;         /* the roster the log started with (roster.txt) */
    char *genesis_text;                 /* its signed text, served to nodes from entry 0 */
    size_t genesis_len;
    _Atomic(struct cps_roster *) roster; /* in force now: genesis or the latest change */
    struct cps_roster **retired;         /* replaced ones, kept for readers until close */
    size_t n_retired;
    uint8_t roster_hash[CPS_CRYPTO_HASH_BYTES]; /* of the roster record last loaded */
    char programme[CPS_WIRE_PROGRAMME_MAX];
    char listen[256];
    char key_path[PATH_MAX];
    char vkey[CPS_NOTE_VKEY_MAX];
};

int hub_open(struct hub *h, const char *dir, bool with_keys, char *err, size_t err_len);

/* The roster in force (any thread; valid until hub_close). */
static inline const struct cps_roster *
hub_roster(struct hub *h)
{
    return atomic_load(&h->roster);
}

/* Put the latest roster change logged (by this process or another) in force; call inside
 * the writer's transaction. Returns 0 or a store error. */
int hub_roster_refresh(struct hub *h, struct cps_txn *txn);
void hub_close(struct hub *h);
const char *hub_dir(const char *given);

/* What the hub decides about a signed update before it touches the store: the schema and
 * ownership verdict, the log entry's bytes, their Merkle leaf, the chain hash, and the
 * digest lanes of the puts (only when applied). */
struct hub_decision {
    int code; /* 0 applied, CPS_EOWNER / CPS_ESCHEMA rejected */
    char why[512];
    uint64_t received_ms;
    uint8_t *entry;
    size_t entry_len;
    uint8_t leaf[CPS_CRYPTO_HASH_BYTES];
    uint8_t up_hash[CPS_CRYPTO_HASH_BYTES];
    uint16_t *added;
};

/* Fill *d for up (no store access: any thread). Returns 0 or -ENOMEM. */
int hub_decide(struct hub_decision *d, const struct cps_roster *roster,
               const struct cps_update *up);
void hub_decision_clear(struct hub_decision *d);

/*
 * One received message on its way through the hub: the receiving thread fills the frame
 * fields and runs hub_prepare (decode, identity, seal, signature, digest lanes: no store
 * access); the writer thread runs hub_commit_one inside the group commit's transaction.
 */
struct hub_work {
    uint8_t rid[256]; /* the ROUTER's routing id of the sender */
    size_t rid_len;
    char user_id[CPS_WIRE_ID_MAX]; /* the partner CURVE authenticated ("" if none) */
    const uint8_t *frame;          /* borrowed from the received message */
    size_t frame_len;
    bool bad_shape;                /* more than one body frame */
    /* filled by hub_prepare */
    struct cps_msg *m;
    int code;                      /* a refusal decided before the store (0: none) */
    uint64_t refuse_seq;
    char why[256];
    uint64_t roster_serial;        /* of the roster prepare checked against */
    struct cps_update *up;         /* UPDATE: opened, decoded, signature verified */
    struct hub_decision pre;       /* UPDATE: decided ahead (when has_pre) */
    bool has_pre;
    /* filled by hub_commit_one */
    uint8_t *reply;
    size_t reply_len;
};

void hub_prepare(struct hub *h, struct hub_work *w);

/* Decide w inside txn; w->reply receives the reply (NULL when none is due). Returns 0 —
 * also for refused input, which only changes the reply — or a store error, after which
 * the caller aborts the whole group and acks nothing. */
int hub_commit_one(struct hub *h, struct cps_txn *txn, struct hub_work *w);

/* Free what prepare and commit allocated; the frame fields stay. */
void hub_work_clear(struct hub_work *w);

/* Checkpoints (checkpoint.c). hub_checkpoint signs one for the log's current size inside
 * txn unless the latest already has that size; *signed_size is its size (0: none signed).
 * hub_latest_checkpoint borrows the latest note from txn (CPS_ENOTFOUND: none yet). */
int hub_checkpoint(struct hub *h, struct cps_txn *txn, uint64_t *signed_size);
int hub_latest_checkpoint(struct cps_txn *txn, uint64_t *size, struct cps_val *note);
/* Answers to PULL and PROVE, read inside txn. */
int hub_on_pull(struct hub *h, struct cps_txn *txn, const struct cps_msg *m, uint8_t **reply,
                size_t *reply_len);
int hub_on_prove(struct hub *h, struct cps_txn *txn, const struct cps_msg *m, uint8_t **reply,
                 size_t *reply_len);

/*
 * Decide on a signed update whose signature the caller verified (a partner's, or the
 * programme's): programme, chain (duplicates re-acked, gaps and bad prev refused), then
 * log it applied or rejected, as pre decided ahead (NULL: decided here). *reply receives
 * the ACK or REFUSE. Returns 0 or a store error (abort the transaction).
 */
int hub_accept(struct hub *h, struct cps_txn *txn, const struct cps_update *up,
               const struct hub_decision *pre, uint8_t **reply, size_t *reply_len);

/* Encode a REFUSE reply (used for frames that never reach hub_ingest, and for EBUSY). */
int hub_refuse(uint64_t seq, int code, const char *text, uint64_t expected, uint8_t **reply,
               size_t *reply_len);

/* The ZAP handler: admits CURVE clients whose key is an active partner's in the roster.
 * zap_start binds inproc://zeromq.zap.01 in zctx before returning, so the hub's socket
 * can never be bound without it. */
struct hub_zap;
int hub_zap_start(struct hub_zap **out, void *zctx, struct hub *h);
void hub_zap_stop(struct hub_zap **z); /* after zmq_ctx_shutdown */

/*
 * The journal (journal.c): each group's new log entries are appended to DIR/journal and
 * synced before the acks go out; the store commits (durably) later, and once a commit
 * covers the journal it starts over. `cps-hub run` applies what the store lacks at start.
 */
#define HUB_JOURNAL_FILE "journal"
#define HUB_JOURNAL_BYTES ((uint64_t)64 << 20) /* preallocated, overwritten in place */
/* fsync a directory, so that a file created or renamed in it stays: 0 or -errno. */
int hub_fsync_dir(const char *dir);
struct iovec;
struct hub_journal;
typedef int (*hub_journal_fn)(void *arg, uint64_t index, const uint8_t *entry, size_t len);
int hub_journal_open(struct hub_journal **out, const char *dir, char *err, size_t err_len);
void hub_journal_close(struct hub_journal **j);
const char *hub_journal_path(const struct hub_journal *j);
/* Would a record of these entries fit behind the ones written since the last reset? */
bool hub_journal_fits(const struct hub_journal *j, const struct iovec *ents, size_t n);
/* Entries first.. as one record, then fdatasync: 0, -ENOSPC (commit and reset first), or
 * another -errno. */
int hub_journal_append(struct hub_journal *j, uint64_t first, const struct iovec *ents,
                       size_t n);
/* After a durable store commit that covers every record: start over at offset 0. */
void hub_journal_reset(struct hub_journal *j);
uint64_t hub_journal_used(const struct hub_journal *j);
/* fn for each entry of the whole records of the current generation, in order; stops at
 * fn's first non-zero return, which it returns (CPS_EMALFORMED: a whole record whose
 * entries do not add up). */
int hub_journal_scan(struct hub_journal *j, hub_journal_fn fn, void *arg);

#endif
