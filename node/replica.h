/* SPDX-License-Identifier: ISC */
/*
 * The node as a witness: it pulls the hub's log in bounded chunks, checks every entry and
 * every checkpoint, and keeps a replica of the programme dataset built by the same apply
 * as the hub's. A hub whose checkpoints are not consistent is no longer trusted: the
 * replica stops advancing and status says why.
 */
#ifndef CPS_NODE_REPLICA_H
#define CPS_NODE_REPLICA_H

#include <stdbool.h>
#include <stdint.h>

#include "cps/note.h"
#include "cps/wire.h"
#include "node.h"

struct replica {
    struct cps_note_verifier hub; /* the hub's checkpoint key, from the roster */
    uint64_t size;                /* entries in the replica */
    uint64_t trusted_size;        /* size of the latest checkpoint trusted */
    uint8_t trusted_root[CPS_CRYPTO_HASH_BYTES];
    bool distrusted;              /* the hub was caught: nothing more is applied */
    struct cps_roster *genesis;   /* the roster the log started with (from the hub, signed) */
    struct cps_roster *roster;    /* in force after the replica's last entry */
    bool caught_up;               /* the last chunk reached the latest checkpoint */
};

/* Load the replica's state from the node's store. */
int replica_load(struct node *n, struct replica *r);

/* Free what replica_load allocated. */
void replica_free(struct replica *r);

/* The PULL to send next. */
void replica_pull(const struct node *n, const struct replica *r, struct cps_msg *m);

/*
 * Check and apply one ENTRIES answer in one write transaction: the checkpoint's signature,
 * its consistency with the trusted one, every entry (signature, chain, decision), the
 * chunk against the checkpoint, and the dataset digest when the replica reaches it.
 * Returns 0 (applied, or a stale answer ignored), CPS_EUNTRUSTED (the hub was caught:
 * recorded, err says how), or a store error with err set.
 */
int replica_on_entries(struct node *n, struct replica *r, const struct cps_msg *m, char *err,
                       size_t err_len);

#endif
