/* SPDX-License-Identifier: ISC */
/*
 * cps-hub run: the hub daemon, a two-stage pipeline over the machine's cores.
 *
 * The receiving thread owns the CURVE ROUTER (behind a fail-closed ZAP allowlist): it
 * takes a group of frames from any number of partners, prepares each (decode, identity,
 * seal, signature, digest lanes), sharing that work with one helper thread per further
 * core, and hands the group to the writer. The writer decides the whole group in its open
 * write transaction, appends the group's new log entries to the journal and syncs it (the
 * commit point), and hands the group back; only then are the acks sent. The transaction
 * commits, with its checkpoint, when the writer has nothing else to do (see struct writer).
 * While the writer works on one group, the receiver prepares the next. A failure aborts
 * the group and acks nothing of it: the nodes resend, so nothing accepted is lost and
 * nothing is applied twice.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "cps/cli.h"
#include "cps/log.h"
#include "cps/replay.h"
#include "commands.h"
#include "hub.h"
#include "ops.h"

#define GROUP_MAX_MSGS 512
#define GROUP_MAX_BYTES (32u << 20)
#define GROUPS 2 /* one being committed while the next is prepared */
#define POLL_MS 200
#define ZMQ_ZAP_ENFORCE_DOMAIN_OPT 93 /* draft in 4.3.4 headers, honoured by the library */
#define PIPE_ENDPOINT "inproc://cps-hub-writer"
#define PREP_HELPERS_MAX 7

static volatile sig_atomic_t stop_requested, reload_requested;

static void
on_signal(int sig)
{
    if (sig == SIGHUP)
        reload_requested = 1; /* acted on by the receiving loop: hub_conf_reload */
    else
        stop_requested = 1;
}

/* A group of received messages; the frames stay in msgs until the replies are sent. */
struct group {
    size_t n;
    zmq_msg_t msgs[GROUP_MAX_MSGS];
    struct hub_work work[GROUP_MAX_MSGS];
};

/* When to sign: after every `entries` new entries, or `ms` after the first entry not yet
 * covered (0: no timer). The defaults sign with every group commit that adds entries. */
struct cadence {
    uint64_t entries, ms;
    uint64_t size;        /* the log's committed size */
    uint64_t signed_size; /* size of the latest checkpoint */
    uint64_t signed_ms;
};

/*
 * The writer keeps one store transaction open across groups: each group's new entries are
 * made durable in the journal before its acks go out, and the transaction commits (durably,
 * with its checkpoint) when no group waits. A group that leaves the transaction
 * STORE_COMMIT_MS old or holding JOURNAL_TXN_BYTES of entries, or that the journal cannot
 * take, or that brings the store near its map size, is not journaled: the store commit
 * right after it is its commit point (under load groups are big, and a journal copy would
 * write their bytes twice: W1 wrote 20 % less, 545 MiB instead of 677). A store failure
 * aborts the transaction; what the journal holds is then applied again (journal_recover),
 * and until that works new groups are answered EBUSY.
 */
#define STORE_COMMIT_MS 100
#define JOURNAL_TXN_BYTES (4u << 20)
#define IDLE_NAP_US 200 /* W2 p99: 1.8 ms without, 1.2-1.4 ms with (bench/run) */

struct writer {
    struct hub *h;
    void *zctx;
    struct cadence cad;
    pthread_t thread;
    struct hub_journal *j;
    struct cps_txn *txn; /* open across groups; NULL: none */
    uint64_t txn_ms;     /* when it began */
    uint64_t txn_bytes;  /* of the entries it added */
    bool broken;         /* the journal could not be applied: refuse until it can */
};

/*
 * Prepare helpers. Preparing is where the hub spends its CPU (seal, signature, schema,
 * hashes and digest lanes: about 0.4 ms for an update of 100 records) and each message is
 * independent of the others, so the receiving thread shares a group's messages with the
 * helpers and waits until all are prepared. The order of the group, which the writer
 * keeps, does not change.
 */
struct prep_pool {
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    struct hub *h;
    struct group *g; /* the group being prepared; NULL: none */
    size_t next;     /* the next message of g to take */
    size_t pending;  /* messages of g taken or not, and not yet prepared */
    bool stop;
    size_t n_threads;
    pthread_t threads[PREP_HELPERS_MAX];
};

/* Take and prepare messages of the current group until none is left; mu held on entry
 * and on return. */
static void
prep_take(struct prep_pool *pp)
{
    while (pp->g != NULL && pp->next < pp->g->n) {
        struct hub_work *w = &pp->g->work[pp->next++];

        pthread_mutex_unlock(&pp->mu);
        hub_prepare(pp->h, w);
        pthread_mutex_lock(&pp->mu);
        if (--pp->pending == 0)
            pthread_cond_signal(&pp->done);
    }
}

static void *
prep_main(void *arg)
{
    struct prep_pool *pp = arg;

    pthread_mutex_lock(&pp->mu);
    while (!pp->stop) {
        prep_take(pp);
        if (!pp->stop)
            pthread_cond_wait(&pp->go, &pp->mu);
    }
    pthread_mutex_unlock(&pp->mu);
    return NULL;
}

/* Prepare every message of g, on this thread and the helpers. */
static void
prep_group(struct prep_pool *pp, struct group *g)
{
    size_t i;

    if (pp->n_threads == 0 || g->n == 1) {
        for (i = 0; i < g->n; i++)
            hub_prepare(pp->h, &g->work[i]);
        return;
    }
    pthread_mutex_lock(&pp->mu);
    pp->g = g;
    pp->next = 0;
    pp->pending = g->n;
    pthread_cond_broadcast(&pp->go);
    prep_take(pp);
    while (pp->pending > 0)
        pthread_cond_wait(&pp->done, &pp->mu);
    pp->g = NULL;
    pthread_mutex_unlock(&pp->mu);
}

/* Start one helper per online core beyond the first; fewer (even none) is only slower. */
static void
prep_start(struct prep_pool *pp, struct hub *h)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    size_t want = cores > 1 ? (size_t)cores - 1 : 0;

    pp->h = h;
    pthread_mutex_init(&pp->mu, NULL);
    pthread_cond_init(&pp->go, NULL);
    pthread_cond_init(&pp->done, NULL);
    if (want > PREP_HELPERS_MAX)
        want = PREP_HELPERS_MAX;
    while (pp->n_threads < want &&
           pthread_create(&pp->threads[pp->n_threads], NULL, prep_main, pp) == 0)
        pp->n_threads++;
}

static void
prep_stop(struct prep_pool *pp)
{
    size_t i;

    if (pp->h == NULL)
        return;
    pthread_mutex_lock(&pp->mu);
    pp->stop = true;
    pthread_cond_broadcast(&pp->go);
    pthread_mutex_unlock(&pp->mu);
    for (i = 0; i < pp->n_threads; i++)
        pthread_join(pp->threads[i], NULL);
    pthread_cond_destroy(&pp->done);
    pthread_cond_destroy(&pp->go);
    pthread_mutex_destroy(&pp->mu);
}

static uint64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static bool
checkpoint_due(const struct cadence *c, uint64_t size)
{
    if (size <= c->signed_size)
        return false;
    return size - c->signed_size >= c->entries ||
           (c->ms > 0 && now_ms() - c->signed_ms >= c->ms);
}

/* Sign inside txn when due (the caller commits); *signed_now says whether it did. */
static int
maybe_checkpoint(struct hub *h, struct cps_txn *txn, const struct cadence *c, uint64_t *size,
                 bool *signed_now)
{
    uint64_t signed_size;
    int rc;

    *signed_now = false;
    if ((rc = cps_replay_size(txn, &cps_replay_hub, size)) != 0 || !checkpoint_due(c, *size))
        return rc;
    if ((rc = hub_checkpoint(h, txn, &signed_size)) != 0)
        return rc;
    if (signed_size > 0)
        cps_log(CPS_LOG_DEBUG, "checkpoint signed size=%" PRIu64, signed_size);
    *signed_now = true;
    return 0;
}

/* The journal's entries, applied in order to the store (journal_recover). */
struct recovery {
    struct cps_txn *txn;
    struct cps_roster *live;
    uint64_t size;    /* the log's size in txn */
    uint64_t applied;
    char *err;
    size_t err_len;
};

static int
recover_one(void *arg, uint64_t index, const uint8_t *entry, size_t len)
{
    struct recovery *r = arg;
    char why[512] = "";
    int rc;

    if (index < r->size) { /* committed to the store before the crash: the same bytes? */
        uint8_t k[8];
        struct cps_val v;

        cps_store_be64(k, index);
        if ((rc = cps_store_get(r->txn, CPS_DB_LOG, k, sizeof k, &v)) != 0)
            return rc;
        if (v.len != len || memcmp(v.data, entry, len) != 0) {
            snprintf(r->err, r->err_len, "journal entry %" PRIu64 " differs from the store's",
                     index);
            return CPS_ECHAIN;
        }
        return 0;
    }
    if (index > r->size) {
        snprintf(r->err, r->err_len, "the journal continues at entry %" PRIu64
                                     " but the store ends at %" PRIu64, index, r->size);
        return CPS_EGAP;
    }
    if ((rc = cps_replay_entry(r->txn, &cps_replay_hub, &r->live, index, entry, len, true, why,
                               sizeof why)) != 0) {
        snprintf(r->err, r->err_len, "journal entry %" PRIu64 ": %s", index,
                 why[0] != 0 ? why : cps_strerror(rc));
        return rc;
    }
    r->size++;
    r->applied++;
    return 0;
}

/*
 * Apply the journal's entries the store lacks (each checked by cps_replay_entry, as a
 * replica checks), with a checkpoint, in one durable commit; then the journal starts over.
 * CPS_EGAP: the journal does not continue the store. err says what went wrong.
 */
static int
journal_recover(struct hub *h, struct hub_journal *j, uint64_t *applied, char *err,
                size_t err_len)
{
    struct recovery r = { .err = err, .err_len = err_len };
    uint64_t signed_size;
    int rc;

    *applied = 0;
    err[0] = 0;
    if ((rc = cps_store_begin(h->st, true, &r.txn)) != 0 ||
        (rc = cps_replay_size(r.txn, &cps_replay_hub, &r.size)) != 0 ||
        (rc = cps_replay_roster(r.txn, &cps_replay_hub, h->genesis, &r.live)) != 0)
        goto fail;
    if ((rc = hub_journal_scan(j, recover_one, &r)) != 0)
        goto fail;
    if (r.applied > 0 && ((rc = hub_roster_refresh(h, r.txn)) != 0 ||
                          (rc = hub_checkpoint(h, r.txn, &signed_size)) != 0))
        goto fail;
    if ((rc = cps_store_commit(&r.txn)) != 0)
        goto fail;
    cps_roster_free(&r.live);
    hub_journal_reset(j);
    *applied = r.applied;
    return 0;
fail:
    cps_store_abort(&r.txn);
    cps_roster_free(&r.live);
    if (err[0] == 0)
        snprintf(err, err_len, "%s", rc == CPS_EFULL ? HUB_STORE_FULL_HINT : cps_strerror(rc));
    return rc;
}

/* The log's size and latest checkpoint, as committed. */
static void
cadence_load(struct writer *wr)
{
    struct cps_txn *txn = NULL;
    struct cps_val note;

    if (cps_store_begin(wr->h->st, false, &txn) != 0)
        return;
    if (cps_replay_size(txn, &cps_replay_hub, &wr->cad.size) != 0)
        wr->cad.size = 0;
    if (hub_latest_checkpoint(txn, &wr->cad.signed_size, &note) != 0)
        wr->cad.signed_size = 0;
    cps_store_abort(&txn);
}

/* Commit the open transaction with its checkpoint, durably; then the journal starts over. */
static int
store_commit(struct writer *wr)
{
    uint64_t size = 0;
    bool signed_now = false;
    int rc;

    if (wr->txn == NULL)
        return 0;
    if ((rc = maybe_checkpoint(wr->h, wr->txn, &wr->cad, &size, &signed_now)) != 0 ||
        (rc = cps_store_commit(&wr->txn)) != 0) {
        cps_store_abort(&wr->txn);
        return rc;
    }
    wr->cad.size = size;
    if (signed_now) {
        wr->cad.signed_size = size;
        wr->cad.signed_ms = now_ms();
    }
    hub_journal_reset(wr->j);
    return 0;
}

/* After a store failure: drop the open transaction and apply what the journal holds. */
static int
reapply(struct writer *wr, int why)
{
    uint64_t applied;
    char err[512];
    int rc;

    cps_store_abort(&wr->txn);
    if (!wr->broken && hub_journal_used(wr->j) > 0)
        cps_log(CPS_LOG_WARN, "store: %s; applying the journal again",
                why == CPS_EFULL ? HUB_STORE_FULL_HINT : cps_strerror(why));
    if ((rc = journal_recover(wr->h, wr->j, &applied, err, sizeof err)) != 0) {
        if (!wr->broken)
            cps_log(CPS_LOG_ERR, "store: %s; acked entries wait in %s, new updates are "
                                 "refused until the store takes them",
                    err, hub_journal_path(wr->j));
        wr->broken = true;
        return rc;
    }
    if (applied > 0 || wr->broken)
        cps_log(CPS_LOG_INFO, "store: %" PRIu64 " journaled entries applied again", applied);
    wr->broken = false;
    cadence_load(wr);
    return 0;
}

/*
 * Will the store take the open transaction at its commit? Each byte of an entry costs the
 * store about four (log, records, tree and index pages, half-full B-tree pages); keep that
 * and a reserve (1/64 of the map, at least 1 MiB) free of what is already used.
 */
static bool
store_room(struct writer *wr)
{
    uint64_t map, used, reserve;

    if (cps_store_usage(wr->h->st, &map, &used) != 0)
        return false;
    reserve = map / 64 > ((uint64_t)1 << 20) ? map / 64 : (uint64_t)1 << 20;
    return used + 4 * wr->txn_bytes + reserve <= map;
}

/*
 * TEST HOOK, for tests/cli/journal.sh only: CPS_FAULT_HOLD_STORE=1 in the environment at
 * start keeps the store transaction open (uncommitted) while the writer runs, so that only
 * the journal holds what the hub acks until it is killed. Unset in production.
 */
static bool fault_hold_store;

/* Journal the entries the group added to the log (from..to) and sync: the commit point. */
static int
journal_group(struct writer *wr, uint64_t from, uint64_t to)
{
    struct iovec *ents;
    uint64_t i;
    int rc = 0;

    if (to == from)
        return 0;
    if ((ents = calloc(to - from, sizeof *ents)) == NULL)
        return -ENOMEM;
    for (i = from; i < to && rc == 0; i++) {
        uint8_t k[8];
        struct cps_val v;

        cps_store_be64(k, i);
        if ((rc = cps_store_get(wr->txn, CPS_DB_LOG, k, sizeof k, &v)) == 0)
            ents[i - from] = (struct iovec){ (void *)v.data, v.len };
    }
    if (rc == 0) {
        size_t bytes = 0;

        for (i = 0; i < to - from; i++)
            bytes += ents[i].iov_len;
        wr->txn_bytes += bytes;
        /* the journal full, or the store near full: the store commit is the commit point
         * instead, so that a store that cannot take a group refuses that group only; and
         * when the transaction is big (or old) already: then the store commit that follows
         * costs about what its bytes cost, and a journal copy would only write them twice */
        if (hub_journal_fits(wr->j, ents, to - from) && store_room(wr) &&
            (fault_hold_store ||
             (wr->txn_bytes < JOURNAL_TXN_BYTES && now_ms() - wr->txn_ms < STORE_COMMIT_MS)))
            rc = hub_journal_append(wr->j, from, ents, to - from);
        else
            rc = store_commit(wr);
    }
    free(ents);
    return rc;
}

/* Decide a group in the open transaction and journal its entries; on failure every
 * message of the group is answered EBUSY instead, and nothing of it is acked. */
static void
commit_group(struct writer *wr, struct group *g)
{
    uint64_t before, after;
    size_t i;
    int rc;

    if (wr->broken && (rc = reapply(wr, 0)) != 0)
        goto refuse;
    if (wr->txn == NULL) {
        if ((rc = cps_store_begin(wr->h->st, true, &wr->txn)) != 0 ||
            (rc = hub_roster_refresh(wr->h, wr->txn)) != 0) /* a change logged by `programme` */
            goto fail;
        wr->txn_ms = now_ms();
        wr->txn_bytes = 0;
    }
    if ((rc = cps_replay_size(wr->txn, &cps_replay_hub, &before)) != 0)
        goto fail;
    for (i = 0; i < g->n; i++)
        if ((rc = hub_commit_one(wr->h, wr->txn, &g->work[i])) != 0)
            goto fail;
    /* the commit point: nothing is acked before the entries are durable */
    if ((rc = cps_replay_size(wr->txn, &cps_replay_hub, &after)) != 0 ||
        (rc = journal_group(wr, before, after)) != 0)
        goto fail;
    return;
fail:
    cps_log(CPS_LOG_ERR, "store: group of %zu messages not committed: %s", g->n,
            rc == CPS_EFULL ? HUB_STORE_FULL_HINT : cps_strerror(rc));
    reapply(wr, rc);
refuse:
    for (i = 0; i < g->n; i++) {
        free(g->work[i].reply);
        g->work[i].reply = NULL;
        if (hub_refuse(0, CPS_EBUSY, "hub cannot commit now; retry", 0, &g->work[i].reply,
                       &g->work[i].reply_len) != 0)
            g->work[i].reply = NULL;
    }
}

/* Quiet: sign what the cadence left uncovered once its time is up. */
static void
timed_checkpoint(struct writer *wr)
{
    struct cps_txn *txn = NULL;
    uint64_t size;
    bool signed_now;

    if (!checkpoint_due(&wr->cad, wr->cad.size) || cps_store_begin(wr->h->st, true, &txn) != 0)
        return;
    if (maybe_checkpoint(wr->h, txn, &wr->cad, &size, &signed_now) == 0 &&
        cps_store_commit(&txn) == 0 && signed_now) {
        wr->cad.signed_size = size;
        wr->cad.signed_ms = now_ms();
    }
    cps_store_abort(&txn);
}

/* Nothing to do right now: commit the open transaction, or retry, or sign when due. */
static void
writer_idle(struct writer *wr)
{
    int rc;

    if (fault_hold_store && wr->txn != NULL)
        return;
    if (wr->txn != NULL) {
        if ((rc = store_commit(wr)) != 0) {
            cps_log(CPS_LOG_ERR, "store: not committed: %s",
                    rc == CPS_EFULL ? HUB_STORE_FULL_HINT : cps_strerror(rc));
            reapply(wr, rc);
        }
    } else if (wr->broken) {
        reapply(wr, 0);
    } else {
        timed_checkpoint(wr);
    }
}

/* The writer thread: groups arrive as pointers on a PAIR socket and go back the same way;
 * a NULL pointer ends it. */
static void *
writer_main(void *arg)
{
    struct writer *wr = arg;
    void *pipe = zmq_socket(wr->zctx, ZMQ_PAIR);
    const int linger = 0;

    if (pipe == NULL || zmq_setsockopt(pipe, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_connect(pipe, PIPE_ENDPOINT) != 0) {
        cps_log(CPS_LOG_ERR, "writer: %s", zmq_strerror(errno));
        return NULL;
    }
    for (;;) {
        zmq_pollitem_t it = { pipe, 0, ZMQ_POLLIN, 0 };
        struct group *g;

        if (zmq_poll(&it, 1, wr->txn != NULL ? 0 : POLL_MS) < 0 && errno != EINTR)
            break;
        if (!(it.revents & ZMQ_POLLIN) && wr->txn != NULL) {
            /* let the receiving thread send the acks before the commit competes for a core */
            struct timespec nap = { 0, IDLE_NAP_US * 1000 };

            nanosleep(&nap, NULL);
            if (zmq_poll(&it, 1, 0) < 0 && errno != EINTR)
                break;
        }
        if (!(it.revents & ZMQ_POLLIN)) {
            writer_idle(wr);
            continue;
        }
        if (zmq_recv(pipe, &g, sizeof g, 0) != sizeof g)
            continue;
        if (g == NULL)
            break;
        /* groups that add no entries (HELLO, PULL) never trigger the commit below: an old
         * transaction commits before the next group whatever it holds */
        if (wr->txn != NULL && now_ms() - wr->txn_ms >= STORE_COMMIT_MS)
            writer_idle(wr);
        commit_group(wr, g);
        if (zmq_send(pipe, &g, sizeof g, 0) != sizeof g)
            break;
    }
    fault_hold_store = false; /* a clean stop commits */
    if (wr->txn != NULL)
        writer_idle(wr);
    zmq_close(pipe);
    return NULL;
}

/* Receive one [routing id][body] message into slot i without blocking; 1 got, 0 none,
 * <0 error. */
static int
recv_one(void *sock, struct group *g)
{
    struct hub_work *w = &g->work[g->n];
    zmq_msg_t *body = &g->msgs[g->n];
    int n, more = 0;
    size_t ml = sizeof more;
    const char *uid;

    if ((n = zmq_recv(sock, w->rid, sizeof w->rid, ZMQ_DONTWAIT)) < 0)
        return errno == EAGAIN ? 0 : -errno;
    w->rid_len = (size_t)n > sizeof w->rid ? sizeof w->rid : (size_t)n;
    w->bad_shape = false;
    zmq_msg_init(body);
    if (zmq_msg_recv(body, sock, 0) < 0) {
        zmq_msg_close(body);
        return -errno;
    }
    /* User-Id is read from the body frame: the routing frame loses it after zmq_poll */
    uid = zmq_msg_gets(body, "User-Id");
    snprintf(w->user_id, sizeof w->user_id, "%s", uid != NULL ? uid : "");
    w->frame = zmq_msg_data(body);
    w->frame_len = zmq_msg_size(body);
    zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &ml);
    while (more) { /* drain extra frames: the message is malformed */
        zmq_msg_t extra;

        w->bad_shape = true;
        zmq_msg_init(&extra);
        zmq_msg_recv(&extra, sock, 0);
        zmq_msg_close(&extra);
        zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &ml);
    }
    g->n++;
    return 1;
}

/*
 * TEST HOOK, for the fault suite (tests/faults/) only: CPS_FAULT_DROP_ACKS=N in the
 * environment at start makes the hub drop (not send) the next N ACK replies after their
 * group committed, as if each ack were lost between the hub's commit and the node. The
 * node must then resend and take the re-ack, never apply twice. Unset in production.
 */
static uint64_t fault_drop_acks;

static bool
fault_drop_ack(const struct hub_work *w)
{
    struct cps_msg *m;
    bool drop;

    if (fault_drop_acks == 0 || (m = malloc(sizeof *m)) == NULL)
        return false;
    drop = cps_wire_decode_msg(m, w->reply, w->reply_len) == 0 && m->type == CPS_MSG_ACK;
    if (drop) {
        fault_drop_acks--;
        cps_log(CPS_LOG_WARN, "test hook CPS_FAULT_DROP_ACKS: ack to partner=%s seq=%" PRIu64
                              " dropped after commit (%" PRIu64 " left)",
                w->user_id, m->seq, fault_drop_acks);
    }
    free(m);
    return drop;
}

/* Send a committed group's replies and release it. ROUTER_MANDATORY + DONTWAIT: a gone or
 * slow node costs a log line, never a stall. */
static void
reply_group(void *sock, struct group *g)
{
    size_t i;

    for (i = 0; i < g->n; i++) {
        struct hub_work *w = &g->work[i];

        if (w->reply != NULL && !fault_drop_ack(w) &&
            (zmq_send(sock, w->rid, w->rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
             zmq_send(sock, w->reply, w->reply_len, ZMQ_DONTWAIT) < 0))
            cps_log(CPS_LOG_DEBUG, "reply to partner=%s dropped: %s", w->user_id,
                    zmq_strerror(errno));
        hub_work_clear(w);
        zmq_msg_close(&g->msgs[i]);
    }
    g->n = 0;
}

static void
usage(FILE *f)
{
    fprintf(f, "Usage: " HUB_PROG " run [--config FILE] [--dir DIR] [--listen ENDPOINT]\n"
               "                   [--map-size MIB] [--checkpoint-entries N] [--checkpoint-ms MS]\n"
               "                   [--log-level LEVEL] [--syslog]\n"
               "Run the hub: accept CURVE connections from the roster's active partners, log\n"
               "and apply their signed updates, ack each after its durable commit.\n"
               "  --listen ENDPOINT  default: the one given at init (" HUB_LISTEN_DEFAULT ")\n"
               "  --map-size MIB     grow the store's map to MIB mebibytes (when full)\n"
               "  --checkpoint-entries N  sign a checkpoint once N entries are uncovered\n"
               "                     (default 1: with every store commit that adds entries)\n"
               "  --checkpoint-ms MS also sign when entries are uncovered and the latest\n"
               "                     checkpoint is MS milliseconds old (default 0: no timer)\n"
               "  --config FILE      settings file (default $" HUB_CONF_ENV ", or\n"
               "                     " HUB_CONF_DEFAULT " when it exists); options here win\n"
               "Stops cleanly on SIGTERM or SIGINT; SIGHUP re-reads the log level from FILE.\n"
               "LEVEL: err, warn, info (default), debug.\n"
               "Example:\n"
               "  " HUB_PROG " run --config /etc/cps/hub.conf\n"
               "  " HUB_PROG " run --dir hub --listen tcp://0.0.0.0:7700 --checkpoint-ms 1000\n");
}

static int
setup_router(void *sock, struct hub *h)
{
    const int one = 1, linger = 0, hb_ivl = 2000, hb_timeout = 6000, hwm = 10000;
    const int64_t maxmsg = CPS_WIRE_MAX_FRAME;

    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, cps_crypto_curve_secret(h->keys), 32) != 0 ||
        zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, HUB_ZAP_DOMAIN, strlen(HUB_ZAP_DOMAIN)) != 0 ||
        zmq_setsockopt(sock, ZMQ_ZAP_ENFORCE_DOMAIN_OPT, &one, sizeof one) != 0 ||
        zmq_setsockopt(sock, ZMQ_ROUTER_MANDATORY, &one, sizeof one) != 0 ||
        zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) != 0 ||
        zmq_setsockopt(sock, ZMQ_HEARTBEAT_IVL, &hb_ivl, sizeof hb_ivl) != 0 ||
        zmq_setsockopt(sock, ZMQ_HEARTBEAT_TIMEOUT, &hb_timeout, sizeof hb_timeout) != 0 ||
        zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm) != 0 ||
        zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof hwm) != 0)
        return -errno;
    return 0;
}

/* The receiving thread's loop: fill free groups, hand them over, reply to returned ones. */
static void
serve(struct prep_pool *pp, void *sock, void *pipe, struct group **free_groups)
{
    size_t n_free = GROUPS, in_flight = 0;

    while (!stop_requested || in_flight > 0) {
        if (reload_requested) {
            reload_requested = 0;
            hub_conf_reload();
        }
        zmq_pollitem_t items[2] = {
            { pipe, 0, ZMQ_POLLIN, 0 },
            { sock, 0, n_free > 0 && !stop_requested ? ZMQ_POLLIN : 0, 0 },
        };
        struct group *g;

        if (zmq_poll(items, 2, POLL_MS) < 0) {
            if (errno == EINTR)
                continue;
            cps_log(CPS_LOG_ERR, "zmq_poll: %s", zmq_strerror(errno));
            break;
        }
        if (items[0].revents & ZMQ_POLLIN && zmq_recv(pipe, &g, sizeof g, 0) == sizeof g) {
            reply_group(sock, g);
            free_groups[n_free++] = g;
            in_flight--;
        }
        if ((items[1].revents & ZMQ_POLLIN) && n_free > 0 && !stop_requested) {
            size_t bytes = 0;
            int rc;

            g = free_groups[--n_free];
            while (g->n < GROUP_MAX_MSGS && bytes < GROUP_MAX_BYTES) {
                if ((rc = recv_one(sock, g)) <= 0) {
                    if (rc < 0 && rc != -EINTR)
                        cps_log(CPS_LOG_WARN, "recv: %s", zmq_strerror(-rc));
                    break;
                }
                bytes += g->work[g->n - 1].frame_len;
            }
            if (g->n == 0) {
                free_groups[n_free++] = g;
                continue;
            }
            prep_group(pp, g);
            if (zmq_send(pipe, &g, sizeof g, 0) != sizeof g) {
                cps_log(CPS_LOG_ERR, "writer: %s", zmq_strerror(errno));
                reply_group(sock, g); /* nothing committed: no reply is due */
                free_groups[n_free++] = g;
                continue;
            }
            in_flight++;
        }
    }
}

/*
 * Open the journal and apply what the store lacks of it (after a crash). A journal that
 * does not continue the store (the store put back from an older copy meanwhile) stops the
 * start, and nothing is changed: the operator decides (`cps-hub recover` brings the
 * missing entries back from a node's replica).
 */
static int
journal_start(struct writer *wr)
{
    char err[512], path[PATH_MAX + 16];
    uint64_t applied;
    int rc;

    if (hub_journal_open(&wr->j, wr->h->dir, err, sizeof err) != 0) {
        cps_cli_error(HUB_PROG " run", "%s", err);
        return -1;
    }
    snprintf(path, sizeof path, "%s", hub_journal_path(wr->j));
    if ((rc = journal_recover(wr->h, wr->j, &applied, err, sizeof err)) == CPS_EGAP) {
        cps_cli_error(HUB_PROG " run",
                      "%s: %s: the store is older than the journal (put back from a copy?). "
                      "Nothing was changed. Bring the missing entries back from a node's "
                      "replica (cps-hub recover), or move the journal away to start from "
                      "this store as it is",
                      path, err);
        return -1;
    } else if (rc != 0) {
        cps_cli_error(HUB_PROG " run", "%s: %s; nothing of it is lost, the hub does not start",
                      path, err);
        return -1;
    }
    if (applied > 0)
        cps_log(CPS_LOG_INFO, "journal: %" PRIu64 " entries the store lacked applied", applied);
    return 0;
}

int
cmd_run_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "dir", required_argument, NULL, 'd' },       { "listen", required_argument, NULL, 'L' },
        { "map-size", required_argument, NULL, 'm' },  { "log-level", required_argument, NULL, 'l' },
        { "syslog", no_argument, NULL, 's' },          { "help", no_argument, NULL, 'h' },
        { "checkpoint-entries", required_argument, NULL, 'E' },
        { "checkpoint-ms", required_argument, NULL, 'T' },
        { "config", required_argument, NULL, 'C' },
        { NULL, 0, NULL, 0 },
    };
    struct writer wr = { .cad = { .entries = 1 } };
    struct prep_pool pp = { .h = NULL };
    struct hub_conf cf;
    struct sigaction sa = { .sa_handler = on_signal };
    struct group *groups[GROUPS] = { NULL }, *free_groups[GROUPS];
    struct hub_zap *zap = NULL;
    const char *dir = NULL, *listen = NULL, *fault;
    bool use_syslog = false, writer_started = false;
    uint64_t map_mib = 0;
    void *zctx = NULL, *sock = NULL, *pipe = NULL;
    struct hub h;
    char err[512];
    int c, rc, i, ret = CPS_EXIT_USAGE;
    const int linger = 0;

    /* the configuration file first; the options below win over it */
    if ((rc = hub_conf_load(&cf, argc, argv, "d:L:m:l:shE:T:C:", opts, HUB_PROG " run")) >= 0)
        return rc;
    dir = cf.dir[0] != 0 ? cf.dir : NULL;
    listen = cf.listen[0] != 0 ? cf.listen : NULL;
    map_mib = cf.map_size_mib;
    wr.cad.entries = cf.checkpoint_entries;
    wr.cad.ms = cf.checkpoint_ms;
    use_syslog = cf.syslog;
    while ((c = getopt_long(argc, argv, "d:L:m:l:shE:T:C:", opts, NULL)) != -1) {
        switch (c) {
        case 'C':
            break; /* read by hub_conf_load */
        case 'E':
            if (!cps_cli_parse_u64(optarg, 1, UINT32_MAX, &wr.cad.entries)) {
                cps_cli_error(HUB_PROG " run", "--checkpoint-entries %s: expected 1 or more",
                              optarg);
                return CPS_EXIT_USAGE;
            }
            break;
        case 'T':
            if (!cps_cli_parse_u64(optarg, 0, 86400000, &wr.cad.ms)) {
                cps_cli_error(HUB_PROG " run", "--checkpoint-ms %s: expected 0..86400000", optarg);
                return CPS_EXIT_USAGE;
            }
            break;
        case 'd':
            dir = optarg;
            break;
        case 'L':
            listen = optarg;
            break;
        case 'm':
            if (!cps_cli_parse_u64(optarg, 1, 1u << 24, &map_mib)) {
                cps_cli_error(HUB_PROG " run", "--map-size %s: expected MiB, 1..16777216", optarg);
                return CPS_EXIT_USAGE;
            }
            break;
        case 'l':
            if (!cps_cli_parse_log_level(HUB_PROG " run", optarg))
                return CPS_EXIT_USAGE;
            break;
        case 's':
            use_syslog = true;
            break;
        case 'h':
            usage(stdout);
            return CPS_EXIT_OK;
        default:
            usage(stderr);
            return CPS_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return CPS_EXIT_USAGE;
    }
    if ((fault = getenv("CPS_FAULT_DROP_ACKS")) != NULL &&
        !cps_cli_parse_u64(fault, 0, UINT64_MAX, &fault_drop_acks)) {
        cps_cli_error(HUB_PROG " run", "CPS_FAULT_DROP_ACKS=%s: expected a count", fault);
        return CPS_EXIT_USAGE;
    }
    fault_hold_store =
        (fault = getenv("CPS_FAULT_HOLD_STORE")) != NULL && strcmp(fault, "1") == 0;
    if (hub_open(&h, hub_dir(dir), true, err, sizeof err) != 0) {
        cps_cli_error(HUB_PROG " run", "%s", err);
        return CPS_EXIT_USAGE;
    }
    if (map_mib != 0) {
        cps_store_close(&h.st);
        if ((rc = cps_store_open_flags(&h.st, h.dir, (size_t)map_mib << 20, HUB_STORE_FLAGS)) !=
            0) {
            cps_cli_error(HUB_PROG " run", "%s: %s", h.dir, cps_strerror(rc));
            goto done;
        }
    }
    if (listen == NULL)
        listen = h.listen;
    cps_log_open("cps-hub", use_syslog);
    for (i = 0; i < GROUPS; i++) {
        if ((groups[i] = calloc(1, sizeof *groups[i])) == NULL)
            goto done;
        free_groups[i] = groups[i];
    }
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* what a crash left in the journal goes into the store before anything listens */
    wr.h = &h;
    if (journal_start(&wr) != 0)
        goto done;
    cadence_load(&wr);
    if ((zctx = zmq_ctx_new()) == NULL) {
        cps_cli_error(HUB_PROG " run", "zeromq: %s", zmq_strerror(errno));
        goto done;
    }
    /* the ZAP handler first: without it libzmq 4.3.4 admits any CURVE key */
    if ((rc = hub_zap_start(&zap, zctx, &h)) != 0) {
        cps_cli_error(HUB_PROG " run", "zap handler: %s", zmq_strerror(-rc));
        goto done;
    }
    if ((sock = zmq_socket(zctx, ZMQ_ROUTER)) == NULL || (rc = setup_router(sock, &h)) != 0 ||
        zmq_bind(sock, listen) != 0) {
        cps_cli_error(HUB_PROG " run", "%s: %s", listen, zmq_strerror(errno));
        goto done;
    }
    wr.cad.signed_ms = now_ms();
    wr.zctx = zctx;
    if ((pipe = zmq_socket(zctx, ZMQ_PAIR)) == NULL ||
        zmq_setsockopt(pipe, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_bind(pipe, PIPE_ENDPOINT) != 0 ||
        pthread_create(&wr.thread, NULL, writer_main, &wr) != 0) {
        cps_cli_error(HUB_PROG " run", "writer thread: %s", zmq_strerror(errno));
        goto done;
    }
    writer_started = true;
    cps_log(CPS_LOG_INFO, "started programme=%s listen=%s partners=%zu log_size=%" PRIu64
                          " checkpoint=%" PRIu64,
            h.programme, listen, hub_roster(&h)->n_partners, wr.cad.size, wr.cad.signed_size);
    if (fault_hold_store)
        cps_log(CPS_LOG_WARN, "test hook CPS_FAULT_HOLD_STORE: the store will not commit");
    if (fault_drop_acks > 0)
        cps_log(CPS_LOG_WARN, "test hook CPS_FAULT_DROP_ACKS: the next %" PRIu64
                              " acks will be dropped after commit",
                fault_drop_acks);
    prep_start(&pp, &h);
    cps_log(CPS_LOG_DEBUG, "prepare threads=%zu", pp.n_threads + 1);
    serve(&pp, sock, pipe, free_groups);
    cps_log(CPS_LOG_INFO, "stopping");
    ret = CPS_EXIT_OK;
done:
    prep_stop(&pp);
    if (writer_started) {
        struct group *end = NULL;

        zmq_send(pipe, &end, sizeof end, 0);
        pthread_join(wr.thread, NULL);
        if (wr.broken) {
            cps_log(CPS_LOG_ERR, "stopped with acked entries the store lacks in %s: they "
                                 "are applied at the next start",
                    hub_journal_path(wr.j));
            ret = CPS_EXIT_NO;
        }
    }
    if (pipe != NULL)
        zmq_close(pipe);
    if (sock != NULL)
        zmq_close(sock);
    if (zctx != NULL) {
        zmq_ctx_shutdown(zctx);
        hub_zap_stop(&zap);
        zmq_ctx_term(zctx);
    }
    for (i = 0; i < GROUPS; i++)
        free(groups[i]);
    hub_journal_close(&wr.j);
    hub_close(&h);
    return ret;
}
