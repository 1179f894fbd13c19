/* SPDX-License-Identifier: ISC */
/*
 * The signature pool: Ed25519 checks are most of an audit's work and need no order, so
 * worker threads verify entries in chunks ahead of the replay, which must go in order.
 * Each chunk is claimed once, by a worker or by the replay itself: when the replay reaches
 * a chunk nobody has claimed, it takes it and checks those signatures inline (through
 * cps_replay_entry), so no thread ever waits for work a busy core has not started.
 * The pool only says "verified"; every failure is found again, and named, by the replay.
 * With a verified entry it also hands over what the replay would otherwise compute on its
 * own core: the Merkle leaf, the chain hash and the digest lanes of the puts. Workers stay
 * at most AHEAD chunks ahead of the replay, which bounds that memory.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "cps/apply.h"
#include "cps/tlog.h"
#include "cps/wire.h"

#define CHUNK 64 /* entries per claim: big enough to amortise the atomics and the wake-up */
#define AHEAD 32 /* chunks a worker may run ahead of the replay (lanes: 2 KiB an entry) */

enum { FREE = 0, CLAIMED = 1, DONE = 2 };

struct audit_sigpool {
    const struct audit_entries *ents;
    const struct cps_roster *roster;
    size_t n_chunks;
    _Atomic unsigned char *state; /* per chunk */
    uint8_t *ok;                  /* per entry, written before its chunk is DONE */
    struct pre {
        uint8_t leaf[CPS_CRYPTO_HASH_BYTES];
        uint8_t up_hash[CPS_CRYPTO_HASH_BYTES];
        uint16_t *lanes; /* NULL when not computed (rejected entry, no memory) */
    } *pre;                       /* per entry, with ok */
    atomic_size_t replay_chunk;   /* the chunk the replay is at */
    atomic_size_t next;           /* next chunk for a worker to try */
    atomic_bool stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t *threads;
    unsigned n_threads;
};

static bool
verify_one(const struct cps_roster *roster, const uint8_t *buf, size_t len, struct pre *pre)
{
    const uint8_t *signer;
    struct cps_update *up = NULL;
    struct cps_entry e;
    bool ok;

    if (cps_wire_decode_entry(&e, buf, len) != 0 ||
        cps_wire_decode_update(&up, e.signed_bytes, e.signed_len) != 0)
        return false;
    ok = (signer = cps_roster_signer(roster, up->partner)) != NULL &&
         cps_wire_verify_update(up, signer) == 0;
    if (ok) {
        cps_tlog_leaf_hash(buf, len, pre->leaf);
        cps_wire_update_hash(e.signed_bytes, e.signed_len, pre->up_hash);
        if (e.status == CPS_ACK_APPLIED && (pre->lanes = malloc(CPS_APPLY_STATE_BYTES)) != NULL)
            cps_apply_lanes(up, pre->lanes);
    }
    cps_wire_update_free(&up);
    return ok;
}

static void *
worker(void *arg)
{
    struct audit_sigpool *p = arg;
    size_t c, i, end;

    while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
        unsigned char want = FREE;

        if ((c = atomic_fetch_add(&p->next, 1)) >= p->n_chunks)
            break;
        while (c > atomic_load(&p->replay_chunk) + AHEAD &&
               !atomic_load_explicit(&p->stop, memory_order_relaxed)) {
            struct timespec nap = { 0, 200000 };

            nanosleep(&nap, NULL); /* far enough ahead: let the replay catch up */
        }
        if (!atomic_compare_exchange_strong(&p->state[c], &want, CLAIMED))
            continue; /* the replay got there first */
        end = (c + 1) * CHUNK < p->ents->n ? (c + 1) * CHUNK : p->ents->n;
        for (i = c * CHUNK; i < end; i++)
            p->ok[i] = verify_one(p->roster, p->ents->map + p->ents->off[i], p->ents->len[i],
                                  &p->pre[i]);
        atomic_store(&p->state[c], DONE);
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

int
audit_sigpool_start(struct audit_sigpool **out, const struct audit_entries *ents,
                    const struct cps_roster *roster, unsigned jobs)
{
    struct audit_sigpool *p;
    size_t c;
    int rc;

    *out = NULL;
    if ((p = calloc(1, sizeof *p)) == NULL)
        return -ENOMEM;
    p->ents = ents;
    p->roster = roster;
    p->n_chunks = (ents->n + CHUNK - 1) / CHUNK;
    atomic_init(&p->next, 0);
    atomic_init(&p->stop, false);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    atomic_init(&p->replay_chunk, 0);
    if ((p->state = malloc(p->n_chunks + 1)) == NULL || (p->ok = calloc(ents->n + 1, 1)) == NULL ||
        (p->pre = calloc(ents->n + 1, sizeof *p->pre)) == NULL ||
        (p->threads = calloc(jobs + 1, sizeof *p->threads)) == NULL) {
        audit_sigpool_free(&p);
        return -ENOMEM;
    }
    for (c = 0; c < p->n_chunks; c++)
        atomic_init(&p->state[c], FREE);
    if (p->n_chunks == 0)
        jobs = 0;
    for (; p->n_threads < jobs; p->n_threads++) {
        if ((rc = pthread_create(&p->threads[p->n_threads], NULL, worker, p)) != 0) {
            audit_sigpool_free(&p);
            return -rc;
        }
    }
    *out = p;
    return 0;
}

bool
audit_sigpool_take(struct audit_sigpool *p, size_t i, struct cps_replay_pre *pre,
                   uint16_t **lanes)
{
    size_t c = i / CHUNK;
    unsigned char s = FREE;

    *lanes = NULL;
    if (c >= p->n_chunks)
        return false;
    atomic_store(&p->replay_chunk, c);
    if (atomic_compare_exchange_strong(&p->state[c], &s, DONE))
        return false; /* ours now, with nothing verified: the caller checks inline */
    if (s == CLAIMED) {
        pthread_mutex_lock(&p->mu);
        while (atomic_load(&p->state[c]) != DONE)
            pthread_cond_wait(&p->cv, &p->mu);
        pthread_mutex_unlock(&p->mu);
    }
    if (p->ok[i] == 0)
        return false;
    *lanes = p->pre[i].lanes; /* the caller's to free once used */
    p->pre[i].lanes = NULL;
    *pre = (struct cps_replay_pre){ .leaf = p->pre[i].leaf, .up_hash = p->pre[i].up_hash,
                                    .added = *lanes };
    return true;
}

void
audit_sigpool_free(struct audit_sigpool **pp)
{
    struct audit_sigpool *p;
    unsigned t;

    if (pp == NULL || (p = *pp) == NULL)
        return;
    atomic_store(&p->stop, true);
    for (t = 0; t < p->n_threads; t++)
        pthread_join(p->threads[t], NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p->threads);
    if (p->pre != NULL)
        for (size_t i = 0; i < p->ents->n; i++)
            free(p->pre[i].lanes);
    free(p->pre);
    free(p->ok);
    free((void *)p->state);
    free(p);
    *pp = NULL;
}
