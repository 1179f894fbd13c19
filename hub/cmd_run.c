/* SPDX-License-Identifier: ISC */
/*
 * cps-hub run: the hub daemon. A CURVE ROUTER behind a fail-closed ZAP allowlist; each poll
 * round's frames, from any number of partners, are ingested in ONE write transaction (group
 * commit) and acked only after it commits. A store failure aborts the round and acks
 * nothing: the nodes resend, so nothing accepted is lost and nothing is applied twice.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "cps/cli.h"
#include "cps/log.h"
#include "cps/replay.h"
#include "commands.h"
#include "hub.h"

#define BATCH_MAX_MSGS 512
#define BATCH_MAX_BYTES (32u << 20)
#define POLL_MS 200
#define ZMQ_ZAP_ENFORCE_DOMAIN_OPT 93 /* draft in 4.3.4 headers, honoured by the library */

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

struct in_msg {
    uint8_t rid[256]; /* routing id the ROUTER assigned */
    size_t rid_len;
    zmq_msg_t body;
    char user_id[CPS_WIRE_ID_MAX];
    bool bad_shape; /* more than one body frame */
    uint8_t *reply;
    size_t reply_len;
};

/* Receive one [routing id][body] message without blocking; 1 got, 0 none, <0 error. */
static int
recv_one(void *sock, struct in_msg *in)
{
    int n, more = 0;
    size_t ml = sizeof more;
    const char *uid;

    if ((n = zmq_recv(sock, in->rid, sizeof in->rid, ZMQ_DONTWAIT)) < 0)
        return errno == EAGAIN ? 0 : -errno;
    in->rid_len = (size_t)n > sizeof in->rid ? sizeof in->rid : (size_t)n;
    in->bad_shape = false;
    in->reply = NULL;
    zmq_msg_init(&in->body);
    if (zmq_msg_recv(&in->body, sock, 0) < 0) {
        zmq_msg_close(&in->body);
        return -errno;
    }
    /* User-Id is read from the body frame: the routing frame loses it after zmq_poll */
    uid = zmq_msg_gets(&in->body, "User-Id");
    snprintf(in->user_id, sizeof in->user_id, "%s", uid != NULL ? uid : "");
    zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &ml);
    while (more) { /* drain extra frames: the message is malformed */
        zmq_msg_t extra;

        in->bad_shape = true;
        zmq_msg_init(&extra);
        zmq_msg_recv(&extra, sock, 0);
        zmq_msg_close(&extra);
        zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &ml);
    }
    return 1;
}

static void
send_reply(void *sock, const struct in_msg *in)
{
    if (in->reply == NULL)
        return;
    /* ROUTER_MANDATORY + DONTWAIT: a gone or slow node costs a log line, never a stall */
    if (zmq_send(sock, in->rid, in->rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(sock, in->reply, in->reply_len, ZMQ_DONTWAIT) < 0)
        cps_log(CPS_LOG_DEBUG, "reply to partner=%s dropped: %s", in->user_id,
                zmq_strerror(errno));
}

/* When to sign: after every `entries` new entries, or `ms` after the first entry not yet
 * covered (0: no timer). The defaults sign with every group commit that added entries. */
struct cadence {
    uint64_t entries, ms;
    uint64_t size;        /* the log's committed size */
    uint64_t signed_size; /* size of the latest checkpoint */
    uint64_t signed_ms;
};

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

/* Sign inside txn when due; the caller commits. */
static int
maybe_checkpoint(struct hub *h, struct cps_txn *txn, struct cadence *c, uint64_t *size)
{
    uint64_t signed_size;
    int rc;

    if ((rc = cps_replay_size(txn, &cps_replay_hub, size)) != 0 || !checkpoint_due(c, *size))
        return rc;
    if ((rc = hub_checkpoint(h, txn, &signed_size)) != 0)
        return rc;
    if (signed_size > 0)
        cps_log(CPS_LOG_DEBUG, "checkpoint signed size=%" PRIu64, signed_size);
    return 0;
}

/* Ingest a batch in one transaction, signing a checkpoint when due; on store failure
 * refuse all with EBUSY. */
static void
process_batch(struct hub *h, struct in_msg *batch, size_t n, struct cadence *c)
{
    struct cps_txn *txn = NULL;
    uint64_t size = 0;
    bool due;
    size_t i;
    int rc;

    if ((rc = cps_store_begin(h->st, true, &txn)) != 0)
        goto fail;
    for (i = 0; i < n; i++) {
        struct in_msg *in = &batch[i];

        if (in->user_id[0] == 0 || cps_roster_find(h->roster, in->user_id) == NULL) {
            /* cannot happen behind the ZAP handler; refuse rather than trust */
            cps_log(CPS_LOG_WARN, "refused code=EUNKNOWN reason=\"no authenticated partner\"");
            rc = hub_refuse(0, CPS_EUNKNOWN, "connection not authenticated as a partner", 0,
                            &in->reply, &in->reply_len);
        } else if (in->bad_shape) {
            cps_log(CPS_LOG_WARN, "refused partner=%s code=EMALFORMED reason=\"more than one "
                                  "frame\"",
                    in->user_id);
            rc = hub_refuse(0, CPS_EMALFORMED, "a message is exactly one frame", 0, &in->reply,
                            &in->reply_len);
        } else {
            rc = hub_ingest(h, txn, in->user_id, zmq_msg_data(&in->body),
                            zmq_msg_size(&in->body), &in->reply, &in->reply_len);
        }
        if (rc != 0)
            goto fail;
    }
    /* the checkpoint commits with the entries it covers */
    if ((rc = cps_replay_size(txn, &cps_replay_hub, &size)) != 0)
        goto fail;
    due = checkpoint_due(c, size);
    if ((rc = maybe_checkpoint(h, txn, c, &size)) != 0)
        goto fail;
    /* the commit point: nothing is acked before the log append is durable */
    if ((rc = cps_store_commit(&txn)) != 0)
        goto fail;
    c->size = size;
    if (due) {
        c->signed_size = size;
        c->signed_ms = now_ms();
    }
    return;
fail:
    cps_store_abort(&txn);
    cps_log(CPS_LOG_ERR, "store: batch of %zu messages not committed: %s%s", n, cps_strerror(rc),
            rc == CPS_EFULL ? " (enlarge the map: cps-hub run --map-size)" : "");
    for (i = 0; i < n; i++) {
        free(batch[i].reply);
        batch[i].reply = NULL;
        if (hub_refuse(0, CPS_EBUSY, "hub cannot commit now; retry", 0, &batch[i].reply,
                       &batch[i].reply_len) != 0)
            batch[i].reply = NULL;
    }
}

static void
usage(FILE *f)
{
    fprintf(f, "Usage: " HUB_PROG " run [--dir DIR] [--listen ENDPOINT] [--map-size MIB]\n"
               "                   [--log-level LEVEL] [--syslog]\n"
               "Run the hub: accept CURVE connections from the roster's active partners, log\n"
               "and apply their signed updates, ack each after its durable commit.\n"
               "  --listen ENDPOINT  default: the one given at init (" HUB_LISTEN_DEFAULT ")\n"
               "  --map-size MIB     grow the store's map to MIB mebibytes (when full)\n"
               "  --checkpoint-entries N  sign a checkpoint once N entries are uncovered\n"
               "                     (default 1: with every group commit that adds entries)\n"
               "  --checkpoint-ms MS also sign MS milliseconds after the first uncovered\n"
               "                     entry (default 0: no timer)\n"
               "Stops cleanly on SIGTERM or SIGINT. LEVEL: err, warn, info (default), debug.\n");
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

int
cmd_run_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "dir", required_argument, NULL, 'd' },       { "listen", required_argument, NULL, 'L' },
        { "map-size", required_argument, NULL, 'm' },  { "log-level", required_argument, NULL, 'l' },
        { "syslog", no_argument, NULL, 's' },          { "help", no_argument, NULL, 'h' },
        { "checkpoint-entries", required_argument, NULL, 'E' },
        { "checkpoint-ms", required_argument, NULL, 'T' },
        { NULL, 0, NULL, 0 },
    };
    struct cadence cad = { .entries = 1 };
    struct sigaction sa = { .sa_handler = on_signal };
    struct in_msg *batch = NULL;
    struct hub_zap *zap = NULL;
    const char *dir = NULL, *listen = NULL;
    bool use_syslog = false;
    uint64_t map_mib = 0, log_size = 0;
    void *zctx = NULL, *sock = NULL;
    struct cps_txn *txn = NULL;
    struct hub h;
    char err[512];
    int c, rc, ret = CPS_EXIT_USAGE;

    while ((c = getopt_long(argc, argv, "d:L:m:l:shE:T:", opts, NULL)) != -1) {
        switch (c) {
        case 'E':
            if (!cps_cli_parse_u64(optarg, 1, UINT32_MAX, &cad.entries)) {
                cps_cli_error(HUB_PROG " run", "--checkpoint-entries %s: expected 1 or more",
                              optarg);
                return CPS_EXIT_USAGE;
            }
            break;
        case 'T':
            if (!cps_cli_parse_u64(optarg, 0, 86400000, &cad.ms)) {
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
    if (hub_open(&h, hub_dir(dir), true, err, sizeof err) != 0) {
        cps_cli_error(HUB_PROG " run", "%s", err);
        return CPS_EXIT_USAGE;
    }
    if (map_mib != 0) {
        cps_store_close(&h.st);
        if ((rc = cps_store_open(&h.st, h.dir, (size_t)map_mib << 20)) != 0) {
            cps_cli_error(HUB_PROG " run", "%s: %s", h.dir, cps_strerror(rc));
            goto done;
        }
    }
    if (listen == NULL)
        listen = h.listen;
    cps_log_open("cps-hub", use_syslog);
    if ((batch = calloc(BATCH_MAX_MSGS, sizeof *batch)) == NULL)
        goto done;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if ((zctx = zmq_ctx_new()) == NULL) {
        cps_cli_error(HUB_PROG " run", "zeromq: %s", zmq_strerror(errno));
        goto done;
    }
    /* the ZAP handler first: without it libzmq 4.3.4 admits any CURVE key */
    if ((rc = hub_zap_start(&zap, zctx, h.roster)) != 0) {
        cps_cli_error(HUB_PROG " run", "zap handler: %s", zmq_strerror(-rc));
        goto done;
    }
    if ((sock = zmq_socket(zctx, ZMQ_ROUTER)) == NULL || (rc = setup_router(sock, &h)) != 0 ||
        zmq_bind(sock, listen) != 0) {
        cps_cli_error(HUB_PROG " run", "%s: %s", listen, zmq_strerror(errno));
        goto done;
    }
    if (cps_store_begin(h.st, false, &txn) == 0) {
        if (cps_store_meta_get_u64(txn, "log_size", &log_size) != 0)
            log_size = 0;
        cps_store_abort(&txn);
    }
    cad.size = log_size;
    if (cps_store_begin(h.st, false, &txn) == 0) {
        struct cps_val note;

        if (hub_latest_checkpoint(txn, &cad.signed_size, &note) != 0)
            cad.signed_size = 0;
        cps_store_abort(&txn);
    }
    cad.signed_ms = now_ms();
    cps_log(CPS_LOG_INFO, "started programme=%s listen=%s partners=%zu log_size=%" PRIu64
                          " checkpoint=%" PRIu64,
            h.programme, listen, h.roster->n_partners, log_size, cad.signed_size);
    while (!stop_requested) {
        zmq_pollitem_t item = { sock, 0, ZMQ_POLLIN, 0 };
        size_t n = 0, bytes = 0, i;

        if (zmq_poll(&item, 1, POLL_MS) < 0) {
            if (errno == EINTR)
                continue;
            cps_log(CPS_LOG_ERR, "zmq_poll: %s", zmq_strerror(errno));
            break;
        }
        while (n < BATCH_MAX_MSGS && bytes < BATCH_MAX_BYTES) {
            if ((rc = recv_one(sock, &batch[n])) <= 0) {
                if (rc < 0 && rc != -EINTR)
                    cps_log(CPS_LOG_WARN, "recv: %s", zmq_strerror(-rc));
                break;
            }
            bytes += zmq_msg_size(&batch[n].body);
            n++;
        }
        if (n == 0) {
            /* quiet: sign what the cadence left uncovered once its time is up */
            if (checkpoint_due(&cad, cad.size) && cps_store_begin(h.st, true, &txn) == 0) {
                uint64_t size;

                if (maybe_checkpoint(&h, txn, &cad, &size) == 0 && cps_store_commit(&txn) == 0) {
                    cad.signed_size = size;
                    cad.signed_ms = now_ms();
                }
                cps_store_abort(&txn);
            }
            continue;
        }
        process_batch(&h, batch, n, &cad);
        for (i = 0; i < n; i++) {
            send_reply(sock, &batch[i]);
            free(batch[i].reply);
            zmq_msg_close(&batch[i].body);
        }
    }
    cps_log(CPS_LOG_INFO, "stopping");
    ret = CPS_EXIT_OK;
done:
    if (sock != NULL)
        zmq_close(sock);
    if (zctx != NULL) {
        zmq_ctx_shutdown(zctx);
        hub_zap_stop(&zap);
        zmq_ctx_term(zctx);
    }
    free(batch);
    hub_close(&h);
    return ret;
}
