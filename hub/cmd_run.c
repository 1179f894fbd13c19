/* SPDX-License-Identifier: ISC */
/*
 * cps-hub run: the hub daemon, a two-stage pipeline over the machine's cores.
 *
 * The receiving thread owns the CURVE ROUTER (behind a fail-closed ZAP allowlist): it
 * takes a group of frames from any number of partners, prepares each (decode, identity,
 * seal, signature, digest lanes), sharing that work with one helper thread per further
 * core, and hands the group to the writer. The writer decides
 * the whole group in ONE write transaction (group commit) with its checkpoint, commits,
 * and hands the group back; only then are the acks sent. While the writer commits one
 * group, the receiver prepares the next. A store failure aborts the group and acks
 * nothing: the nodes resend, so nothing accepted is lost and nothing is applied twice.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

struct writer {
    struct hub *h;
    void *zctx;
    struct cadence cad;
    pthread_t thread;
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

/* Decide a group in one transaction with its checkpoint; on store failure every message of
 * the group is answered EBUSY instead, and nothing of it is acked. */
static void
commit_group(struct writer *wr, struct group *g)
{
    struct cps_txn *txn = NULL;
    uint64_t size = 0;
    bool signed_now = false;
    size_t i;
    int rc;

    if ((rc = cps_store_begin(wr->h->st, true, &txn)) != 0 ||
        (rc = hub_roster_refresh(wr->h, txn)) != 0) /* a change logged by `programme` */
        goto fail;
    for (i = 0; i < g->n; i++)
        if ((rc = hub_commit_one(wr->h, txn, &g->work[i])) != 0)
            goto fail;
    /* the checkpoint commits with the entries it covers */
    if ((rc = maybe_checkpoint(wr->h, txn, &wr->cad, &size, &signed_now)) != 0)
        goto fail;
    /* the commit point: nothing is acked before the log append is durable */
    if ((rc = cps_store_commit(&txn)) != 0)
        goto fail;
    wr->cad.size = size;
    if (signed_now) {
        wr->cad.signed_size = size;
        wr->cad.signed_ms = now_ms();
    }
    return;
fail:
    cps_store_abort(&txn);
    cps_log(CPS_LOG_ERR, "store: group of %zu messages not committed: %s", g->n,
            rc == CPS_EFULL ? HUB_STORE_FULL_HINT : cps_strerror(rc));
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

        if (zmq_poll(&it, 1, POLL_MS) < 0 && errno != EINTR)
            break;
        if (!(it.revents & ZMQ_POLLIN)) {
            timed_checkpoint(wr);
            continue;
        }
        if (zmq_recv(pipe, &g, sizeof g, 0) != sizeof g)
            continue;
        if (g == NULL)
            break;
        commit_group(wr, g);
        if (zmq_send(pipe, &g, sizeof g, 0) != sizeof g)
            break;
    }
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
               "                     (default 1: with every group commit that adds entries)\n"
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
    struct cps_txn *txn = NULL;
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
    if (cps_store_begin(h.st, false, &txn) == 0) {
        struct cps_val note;

        if (cps_replay_size(txn, &cps_replay_hub, &wr.cad.size) != 0)
            wr.cad.size = 0;
        if (hub_latest_checkpoint(txn, &wr.cad.signed_size, &note) != 0)
            wr.cad.signed_size = 0;
        cps_store_abort(&txn);
    }
    wr.cad.signed_ms = now_ms();
    wr.h = &h;
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
    hub_close(&h);
    return ret;
}
