/* SPDX-License-Identifier: ISC */
/*
 * replay: the log as the truth. Appending an entry (log, Merkle leaf, partner chain,
 * (partner, seq) index, and — when accepted — the dataset) is one function, used by the
 * hub when it decides and by every verifier when it re-checks: a node's replica, the
 * auditor's replay and a rebuild from the log all run cps_replay_entry, which trusts
 * nothing in the entry that it can recompute.
 */
#ifndef CPS_REPLAY_H
#define CPS_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cps/apply.h"
#include "cps/err.h"
#include "cps/roster.h"
#include "cps/store.h"
#include "cps/wire.h"

/* The databases of one copy of the log and its views. */
struct cps_replay_dbs {
    enum cps_db log;       /* index(be64) -> entry */
    enum cps_db tree;      /* Merkle tree over the entries */
    enum cps_db chain;     /* partner id -> struct cps_pstate */
    enum cps_db pseq;      /* partner \0 seq(be64) -> index(be64) */
    const char *size_name; /* meta name of the number of entries */
    struct cps_apply_view view;
};

extern const struct cps_replay_dbs cps_replay_hub;     /* the hub's own log */
extern const struct cps_replay_dbs cps_replay_replica; /* a node's replica of it */

/* Entries in the log (0 for a new store). */
CPS_MUST_CHECK int cps_replay_size(struct cps_txn *txn, const struct cps_replay_dbs *dbs,
                                   uint64_t *size);

/* A partner's chain state; a partner never seen starts at seq 0 with a zero prev. */
CPS_MUST_CHECK int cps_replay_chain_get(struct cps_txn *txn, const struct cps_replay_dbs *dbs,
                                        const char *partner, struct cps_pstate *ps);
CPS_MUST_CHECK int cps_replay_chain_put(struct cps_txn *txn, const struct cps_replay_dbs *dbs,
                                        const char *partner, const struct cps_pstate *ps);

/* Log index of (partner, seq); CPS_ENOTFOUND when not logged. */
CPS_MUST_CHECK int cps_replay_find(struct cps_txn *txn, const struct cps_replay_dbs *dbs,
                                   const char *partner, uint64_t seq, uint64_t *index);

/* Work on an entry done ahead, off the writer's core; any field may be NULL. */
struct cps_replay_pre {
    const uint16_t *added;  /* cps_apply_lanes(up) */
    const uint8_t *leaf;    /* cps_tlog_leaf_hash(entry) */
    const uint8_t *up_hash; /* cps_wire_update_hash(up) */
};

/*
 * Append a decided entry at the end of the log: entry is its encoding (cps_wire_encode_entry),
 * up its decoded update, status CPS_ACK_APPLIED or CPS_ACK_REJECTED, pre what was computed
 * ahead (or NULL). *ps is the partner's chain state, advanced here and saved. On success
 * *index is the entry's position. Returns 0 or a store error (the caller aborts the
 * transaction).
 */
CPS_MUST_CHECK int cps_replay_append(struct cps_txn *txn, const struct cps_replay_dbs *dbs,
                                     const uint8_t *entry, size_t entry_len,
                                     const struct cps_update *up, int status,
                                     const struct cps_replay_pre *pre, struct cps_pstate *ps,
                                     uint64_t *index);

/*
 * Roster changes are entries too: a programme-signed put of roster/roster whose value's
 * "text" is the new roster (a signed note by the same programme key, same programme, a
 * higher serial). From the next position on, that roster's keys and statuses are in
 * force; everything before keeps verifying with the keys it was signed with.
 */
#define CPS_REPLAY_ROSTER_COLL "roster"
#define CPS_REPLAY_ROSTER_KEY "roster"

/*
 * What the rules say about up with roster in force: cps_apply_check, and for a roster
 * change its validity. Returns 0 (applied; *next is the new roster when up changes it,
 * owned by the caller), CPS_EOWNER / CPS_ESCHEMA (rejected, why says why) or -ENOMEM.
 */
CPS_MUST_CHECK int cps_replay_decide(const struct cps_roster *roster, const struct cps_update *up,
                                     struct cps_roster **next, char *why, size_t why_len);

/* The roster in force after the log in dbs: the latest roster change applied, or a copy
 * of genesis (the roster the log started with). *out is owned by the caller. */
CPS_MUST_CHECK int cps_replay_roster(struct cps_txn *txn, const struct cps_replay_dbs *dbs,
                                     const struct cps_roster *genesis, struct cps_roster **out);

/*
 * Verify the entry that belongs at position index of a log, then append it: the entry
 * decodes; its update is signed by the key *roster gives its writer (unless the caller
 * already checked signatures: check_sig false) and the writer is active there; it names
 * the programme; its seq and prev continue the writer's chain; and the status it records
 * is the one cps_replay_decide gives (applied, or rejected with the same code and reason).
 * When the entry is an applied roster change, *roster is replaced by the new roster.
 * Returns 0; CPS_EMALFORMED, CPS_EUNKNOWN, CPS_EBADSIG, CPS_EPROGRAMME, CPS_ECHAIN or
 * CPS_EAUDIT with err naming the reason; or a store error. index must be the log's current
 * size (CPS_EINTERNAL otherwise).
 */
/* The same, with pre (leaf, chain hash, digest lanes of the entry; may be NULL) computed
 * ahead on another core by the caller from these same bytes. */
CPS_MUST_CHECK int cps_replay_entry_pre(struct cps_txn *txn, const struct cps_replay_dbs *dbs,
                                        struct cps_roster **roster, uint64_t index,
                                        const uint8_t *entry, size_t entry_len, bool check_sig,
                                        const struct cps_replay_pre *pre, char *err,
                                        size_t err_len);

CPS_MUST_CHECK int cps_replay_entry(struct cps_txn *txn, const struct cps_replay_dbs *dbs,
                                    struct cps_roster **roster, uint64_t index,
                                    const uint8_t *entry, size_t entry_len, bool check_sig,
                                    char *err, size_t err_len);

/* The checkpoint origin (and the hub's signed-note key name) of a programme: "cps/<id>". */
void cps_replay_origin(const char *programme, char out[CPS_NOTE_NAME_MAX]);

/* The verifier of the hub's checkpoints, from the roster's hub key and the origin. */
void cps_replay_hub_verifier(const struct cps_roster *roster, struct cps_note_verifier *v);

#endif
