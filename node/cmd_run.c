/* SPDX-License-Identifier: ISC */
/*
 * cps-node run: the daemon. A CURVE-authenticated DEALER connection to the hub; HELLO to
 * learn where the hub is; the outbox shipped in seq order with a window of updates in
 * flight, each sealed for the hub when sent; nothing deleted until acked. ZeroMQ may lose
 * or replay messages across reconnects: seq, prev and the hub's re-acks make delivery
 * exact. The CLI writes the outbox concurrently; the daemon polls it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/inotify.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "cps/cli.h"
#include "cps/log.h"
#include "cps/replay.h"
#include "commands.h"
#include "node.h"
#include "ops.h"
#include "replica.h"

#define WINDOW_DEFAULT 64
#define ACK_TIMEOUT_MS 5000   /* in flight and nothing heard: say HELLO again */
#define HELLO_RETRY_MS 1000   /* first retry; doubles up to HELLO_RETRY_MAX_MS */
#define HELLO_RETRY_MAX_MS 30000
#define PAUSE_MIN_MS 1000     /* after a refusal; doubles up to PAUSE_MAX_MS */
#define PAUSE_MAX_MS 60000
#define POLL_MS 200 /* a fallback: local writes wake the daemon through inotify */
#define PULL_IDLE_MS 1000     /* caught up: look for new entries this often */
#define PULL_TIMEOUT_MS 10000 /* no ENTRIES for a PULL: ask again */
#define MONITOR_ENDPOINT "inproc://cps-node-monitor"
#define TRIM_OPS 16       /* give back the store's resident pages after this many updates */
#define TRIM_MS 1000      /* ... or entries, or this long after the first of fewer */
#define RELINK_MIN_MS 1000  /* hub refused this key: connect anew after this; doubles */
#define RELINK_MAX_MS 30000 /* up to this */

#define KEEPALIVE_MS 900000 /* idle: HELLO again, so the hub sees the node is alive */

static volatile sig_atomic_t stop_requested, reload_requested;

static void
on_signal(int sig)
{
    if (sig == SIGHUP)
        reload_requested = 1; /* acted on by the loop: reload() */
    else
        stop_requested = 1;
}

struct daemon {
    struct node n;
    int wake; /* inotify on the store: a local write wakes the daemon at once */
    struct replica rep;
    bool pull_out; /* a PULL is outstanding */
    uint64_t pull_ms;
    void *zctx, *sock, *mon;
    uint64_t window;
    uint64_t last_acked; /* every seq <= this is committed at the hub and gone from outbox */
    uint64_t next_send;  /* next seq to send */
    bool welcomed;
    uint64_t last_rx_ms, last_hello_ms, hello_retry_ms, paused_until_ms, pause_ms;
    /* the hub refused this node's CURVE key (libzmq then stops reconnecting): at relink_ms
     * (0: not due) the daemon connects anew, every relink_wait_ms, doubling; a roster
     * change that activates the key on the hub is then picked up without a restart */
    uint64_t relink_ms, relink_wait_ms;
    /* updates acked and entries replicated since the store was last trimmed: reading the
     * outbox and writing the replica touch the whole store in turn (cps_store_trim) */
    uint64_t trim_ops, trim_ms;
    /* acks gathered from one poll round, committed in one transaction */
    uint64_t ack_max;
    struct rejected {
        uint64_t seq, index;
        int code;
        char reason[256];
    } *rej;
    size_t n_rej, cap_rej;
};

static uint64_t
mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Record an error for `status` (and clear it with msg NULL). */
static void
set_last_error(struct daemon *d, const char *msg)
{
    struct cps_txn *txn = NULL;

    if (cps_store_begin(d->n.st, true, &txn) != 0)
        return;
    if (cps_store_meta_put(txn, "last_error", msg != NULL ? msg : "",
                           msg != NULL ? strlen(msg) : 0) != 0 ||
        cps_store_commit(&txn) != 0)
        cps_store_abort(&txn);
}

static int
send_msg(struct daemon *d, const struct cps_msg *m)
{
    uint8_t *buf = NULL;
    size_t len;
    int rc;

    if ((rc = cps_wire_encode_msg(m, &buf, &len)) != 0)
        return rc;
    rc = zmq_send(d->sock, buf, len, ZMQ_DONTWAIT) < 0 ? -errno : 0;
    free(buf);
    return rc;
}

static void
send_hello(struct daemon *d, uint64_t now)
{
    struct cps_msg m = { .type = CPS_MSG_HELLO, .version = CPS_WIRE_VERSION };
    struct cps_txn *txn = NULL;
    uint64_t depth = 0;

    if (cps_store_begin(d->n.st, false, &txn) == 0) {
        if (cps_store_count(txn, CPS_DB_OUTBOX, &depth) != 0)
            depth = 0;
        cps_store_abort(&txn);
    }
    snprintf(m.partner, sizeof m.partner, "%s", d->n.partner);
    m.seq = d->last_acked;
    m.depth = depth;
    d->last_hello_ms = now;
    if (send_msg(d, &m) == 0)
        cps_log(CPS_LOG_DEBUG, "hello sent last_acked=%" PRIu64 " depth=%" PRIu64, m.seq, depth);
    d->hello_retry_ms = d->hello_retry_ms * 2 > HELLO_RETRY_MAX_MS ? HELLO_RETRY_MAX_MS
                                                                    : d->hello_retry_ms * 2;
}

/* Send outbox entries from next_send while the window has room. */
static void
ship(struct daemon *d)
{
    struct cps_msg m = { .type = CPS_MSG_UPDATE };
    struct cps_txn *txn = NULL;
    struct cps_val v;
    uint8_t key[8], *sealed = NULL;
    size_t cap = 0;
    int rc;

    if (d->next_send > d->last_acked + d->window)
        return;
    if (cps_store_begin(d->n.st, false, &txn) != 0)
        return;
    snprintf(m.partner, sizeof m.partner, "%s", d->n.partner);
    while (d->next_send <= d->last_acked + d->window) {
        cps_store_be64(key, d->next_send);
        if (cps_store_get(txn, CPS_DB_OUTBOX, key, sizeof key, &v) != 0)
            break; /* nothing more queued */
        if (v.len + CPS_CRYPTO_SEAL_OVERHEAD > cap) {
            uint8_t *nb = realloc(sealed, v.len + CPS_CRYPTO_SEAL_OVERHEAD);
            if (nb == NULL)
                break;
            sealed = nb;
            cap = v.len + CPS_CRYPTO_SEAL_OVERHEAD;
        }
        /* sealed at send time, so a rotated hub key never strands a queued update */
        if ((rc = cps_crypto_seal(d->n.keys, d->n.roster->hub.box, v.data, v.len, sealed)) != 0)
            break;
        m.seq = d->next_send;
        m.payload = sealed;
        m.payload_len = v.len + CPS_CRYPTO_SEAL_OVERHEAD;
        if ((rc = send_msg(d, &m)) != 0) {
            if (rc != -EAGAIN)
                cps_log(CPS_LOG_WARN, "send seq=%" PRIu64 " failed: %s", m.seq,
                        cps_strerror(rc));
            break;
        }
        cps_log(CPS_LOG_DEBUG, "sent seq=%" PRIu64 " bytes=%zu", m.seq, m.payload_len);
        d->next_send++;
    }
    cps_store_abort(&txn);
    free(sealed);
}

/* Delete acked updates from the outbox, remember rejections: one transaction per round. */
static void
commit_acks(struct daemon *d)
{
    struct cps_txn *txn = NULL;
    struct cps_val v;
    uint64_t s, next_seq;
    uint8_t key[8], val[12 + 256], hash[CPS_CRYPTO_HASH_BYTES];
    size_t i;
    int rc;

    if (d->ack_max <= d->last_acked) {
        d->n_rej = 0;
        return;
    }
    if ((rc = cps_store_begin(d->n.st, true, &txn)) != 0)
        goto fail;
    if ((rc = cps_store_meta_get_u64(txn, "next_seq", &next_seq)) != 0)
        goto fail;
    if (d->ack_max >= next_seq) {
        cps_log(CPS_LOG_ERR, "hub acked seq=%" PRIu64 " which this node never wrote",
                d->ack_max);
        d->ack_max = next_seq - 1;
    }
    /* the chain hash of the last acked update: where a rekey re-signs from */
    cps_store_be64(key, d->ack_max);
    if (cps_store_get(txn, CPS_DB_OUTBOX, key, sizeof key, &v) == 0) {
        cps_wire_update_hash(v.data, v.len, hash);
        if ((rc = cps_store_meta_put(txn, "acked_hash", hash, sizeof hash)) != 0)
            goto fail;
    }
    for (s = d->last_acked + 1; s <= d->ack_max; s++) {
        cps_store_be64(key, s);
        if ((rc = cps_store_del(txn, CPS_DB_OUTBOX, key, sizeof key)) != 0 &&
            rc != CPS_ENOTFOUND)
            goto fail;
    }
    for (i = 0; i < d->n_rej; i++) {
        const struct rejected *r = &d->rej[i];
        size_t len = strlen(r->reason);
        uint32_t code = (uint32_t)CPS_WIRE_CODE(r->code);

        if (r->seq <= d->last_acked || r->seq > d->ack_max)
            continue;
        cps_store_be64(key, r->seq);
        cps_store_be64(val, r->index);
        val[8] = (uint8_t)(code >> 24);
        val[9] = (uint8_t)(code >> 16);
        val[10] = (uint8_t)(code >> 8);
        val[11] = (uint8_t)code;
        memcpy(val + 12, r->reason, len);
        if ((rc = cps_store_put(txn, CPS_DB_REJECTED, key, sizeof key, val, 12 + len, 0)) != 0)
            goto fail;
    }
    if ((rc = cps_store_meta_put_u64(txn, "last_acked", d->ack_max)) != 0 ||
        (rc = cps_store_meta_put_u64(txn, "last_contact_ms", cps_wire_now_ms())) != 0 ||
        (rc = cps_store_meta_put(txn, "last_error", "", 0)) != 0 ||
        (rc = cps_store_commit(&txn)) != 0)
        goto fail;
    cps_log(CPS_LOG_DEBUG, "acked up to seq=%" PRIu64, d->ack_max);
    d->trim_ops += d->ack_max - d->last_acked;
    d->last_acked = d->ack_max;
    if (d->next_send <= d->last_acked)
        d->next_send = d->last_acked + 1;
    d->n_rej = 0;
    d->pause_ms = PAUSE_MIN_MS; /* the hub takes updates again */
    return;
fail:
    /* nothing recorded: resend from the last recorded ack; the hub re-acks duplicates */
    cps_store_abort(&txn);
    cps_log(CPS_LOG_ERR, "store: cannot record acks: %s", cps_strerror(rc));
    d->ack_max = d->last_acked;
    d->next_send = d->last_acked + 1;
    d->n_rej = 0;
}

/*
 * The hub acks in seq order, so acks are taken only contiguously: an ack past a missing
 * one means an ack was lost (across a reconnect), and resending from the gap brings it
 * back as a re-ack, with its status, so no rejection goes unrecorded.
 */
static void
on_ack(struct daemon *d, const struct cps_msg *m)
{
    if (m->seq <= d->ack_max)
        return; /* a re-ack of what this round or an earlier one already took */
    if (m->seq != d->ack_max + 1) {
        if (d->next_send > d->ack_max + 1)
            d->next_send = d->ack_max + 1;
        return;
    }
    d->ack_max = m->seq;
    if (cps_log_level >= CPS_LOG_DEBUG) { /* arrival time, for latency measurements */
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        cps_log(CPS_LOG_DEBUG, "ack seq=%" PRIu64 " index=%" PRIu64 " mono_us=%" PRIu64, m->seq,
                m->index, (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
    }
    if (m->status == CPS_ACK_REJECTED) {
        struct rejected *r;

        if (d->n_rej == d->cap_rej) {
            size_t cap = d->cap_rej ? d->cap_rej * 2 : 16;
            struct rejected *nr = realloc(d->rej, cap * sizeof *nr);
            if (nr == NULL) {
                d->ack_max = m->seq - 1; /* not recorded: take it again from a re-ack */
                return;
            }
            d->rej = nr;
            d->cap_rej = cap;
        }
        r = &d->rej[d->n_rej++];
        r->seq = m->seq;
        r->index = m->index;
        r->code = m->code;
        snprintf(r->reason, sizeof r->reason, "%.*s", (int)m->text_len, m->text);
        cps_log(CPS_LOG_WARN, "update rejected seq=%" PRIu64 " code=%s reason=\"%s\"", m->seq,
                cps_errname(m->code), r->reason);
    }
}

static void
on_refuse(struct daemon *d, const struct cps_msg *m, uint64_t now)
{
    char msg[512];

    if (m->code == CPS_EGAP && m->expected > d->last_acked) {
        /* the hub missed something (lost across a reconnect): go back, duplicates re-ack */
        if (m->expected < d->next_send)
            d->next_send = m->expected;
        return;
    }
    snprintf(msg, sizeof msg, "hub refused seq %" PRIu64 ": %s: %.*s", m->seq,
             cps_errname(m->code), (int)m->text_len, m->text);
    if (m->code == CPS_EGAP) {
        cps_log(CPS_LOG_ERR, "hub expects seq=%" PRIu64 " but acked up to %" PRIu64
                             " already: hub lost entries (restored from an old backup?)",
                m->expected, d->last_acked);
    } else {
        cps_log(m->code == CPS_EBUSY ? CPS_LOG_WARN : CPS_LOG_ERR, "%s", msg);
    }
    d->next_send = d->last_acked + 1;
    /* one backoff step per round: a refused group brings a refusal for every update in
     * flight, which must not double the pause once each (64 of them reached the maximum) */
    if (now < d->paused_until_ms)
        return;
    set_last_error(d, msg);
    d->paused_until_ms = now + d->pause_ms;
    d->pause_ms = d->pause_ms * 2 > PAUSE_MAX_MS ? PAUSE_MAX_MS : d->pause_ms * 2;
}

static void
on_welcome(struct daemon *d, const struct cps_msg *m)
{
    struct cps_txn *txn = NULL;

    if (strcmp(m->partner, d->n.partner) != 0)
        return;
    d->welcomed = true;
    d->hello_retry_ms = HELLO_RETRY_MS;
    d->next_send = d->last_acked + 1; /* resend what was in flight; the hub re-acks */
    cps_log(CPS_LOG_INFO, "connected hub next_expected=%" PRIu64 " log_size=%" PRIu64
                          " last_acked=%" PRIu64,
            m->seq, m->index, d->last_acked);
    if (m->seq <= d->last_acked)
        cps_log(CPS_LOG_ERR, "hub expects seq=%" PRIu64 " but acked up to %" PRIu64
                             " already: hub lost entries",
                m->seq, d->last_acked);
    /* hub_next tells a later rekey whether the hub may hold updates not acked here */
    if (cps_store_begin(d->n.st, true, &txn) == 0 &&
        (cps_store_meta_put_u64(txn, "last_contact_ms", cps_wire_now_ms()) != 0 ||
         cps_store_meta_put_u64(txn, "hub_next", m->seq) != 0 || cps_store_commit(&txn) != 0))
        cps_store_abort(&txn);
}

static void
on_entries(struct daemon *d, const struct cps_msg *m, uint64_t now)
{
    char err[512];
    int rc;

    d->pull_out = false;
    d->pull_ms = now;
    rc = replica_on_entries(&d->n, &d->rep, m, err, sizeof err);
    if (rc == CPS_EUNTRUSTED)
        set_last_error(d, err);
    else if (rc != 0)
        cps_log(CPS_LOG_ERR, "replica: %s", err);
}

/* Ask for the next chunk of the log: at once while behind, every second once caught up;
 * but shipping comes first: no pull while the node's own updates are in flight. */
static void
maybe_pull(struct daemon *d, uint64_t now)
{
    struct cps_msg *m;

    if (d->rep.distrusted || d->next_send > d->last_acked + 1 || (d->pull_out && now - d->pull_ms < PULL_TIMEOUT_MS) ||
        (d->rep.caught_up && now - d->pull_ms < PULL_IDLE_MS))
        return;
    if ((m = malloc(sizeof *m)) == NULL)
        return;
    replica_pull(&d->n, &d->rep, m);
    if (send_msg(d, m) == 0) {
        d->pull_out = true;
        d->pull_ms = now;
    }
    free(m);
}

static void
read_messages(struct daemon *d, uint64_t now)
{
    struct cps_msg *m = malloc(sizeof *m);
    zmq_msg_t msg;

    if (m == NULL)
        return;
    zmq_msg_init(&msg);
    while (zmq_msg_recv(&msg, d->sock, ZMQ_DONTWAIT) >= 0) {
        d->last_rx_ms = now;
        if (cps_wire_decode_msg(m, zmq_msg_data(&msg), zmq_msg_size(&msg)) != 0) {
            cps_log(CPS_LOG_WARN, "malformed message from hub bytes=%zu", zmq_msg_size(&msg));
            continue;
        }
        switch (m->type) {
        case CPS_MSG_WELCOME:
            on_welcome(d, m);
            break;
        case CPS_MSG_ACK:
            on_ack(d, m);
            break;
        case CPS_MSG_REFUSE:
            on_refuse(d, m, now);
            break;
        case CPS_MSG_ENTRIES:
            on_entries(d, m, now);
            d->trim_ops += m->n_entries;
            break;
        default:
            cps_log(CPS_LOG_WARN, "unexpected message type=%d from hub", (int)m->type);
        }
    }
    zmq_msg_close(&msg);
    free(m);
    commit_acks(d);
}

static void
read_monitor(struct daemon *d)
{
    uint8_t ev[6];
    char addr[256];
    int n;

    while ((n = zmq_recv(d->mon, ev, sizeof ev, ZMQ_DONTWAIT)) >= 0) {
        uint16_t event;

        memcpy(&event, ev, sizeof event); /* libzmq writes the event id in host order */
        if (zmq_recv(d->mon, addr, sizeof addr - 1, 0) < 0)
            break;
        if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
            cps_log(CPS_LOG_INFO, "link up hub=%s", d->n.hub);
            d->relink_ms = 0;
            d->relink_wait_ms = RELINK_MIN_MS;
            d->welcomed = false;
            d->last_hello_ms = 0; /* say HELLO at once */
            d->hello_retry_ms = HELLO_RETRY_MS;
            d->paused_until_ms = 0; /* a new connection (a restarted hub): no old pause */
            d->pause_ms = PAUSE_MIN_MS;
        } else if (event == ZMQ_EVENT_DISCONNECTED) {
            cps_log(CPS_LOG_WARN, "link down hub=%s", d->n.hub);
            d->welcomed = false;
        } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
            cps_log(CPS_LOG_ERR, "hub refused this node's key (not active in its roster?); "
                                 "trying again in %" PRIu64 " s",
                    d->relink_wait_ms / 1000);
            set_last_error(d, "hub refused this node's CURVE key (not active in its roster?)");
            d->relink_ms = mono_ms() + d->relink_wait_ms;
            d->relink_wait_ms = d->relink_wait_ms * 2 > RELINK_MAX_MS ? RELINK_MAX_MS
                                                                      : d->relink_wait_ms * 2;
        } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
            cps_log(CPS_LOG_ERR, "CURVE handshake with the hub failed: the peer does not speak "
                                 "it as the hub in the roster would");
            set_last_error(d, "CURVE handshake with the hub failed (is it the hub in the "
                              "roster?)");
        } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
            /* a cut link and a hub that cannot decrypt what this node sent (another hub key
             * than the roster's) look the same from here */
            cps_log(CPS_LOG_WARN, "CURVE handshake with the hub did not complete (link cut, or "
                                  "not the hub key in the roster); libzmq retries");
        }
    }
}

static int
setup_socket(struct daemon *d)
{
    const int linger = 0;
    int rc;

    if ((d->zctx = zmq_ctx_new()) == NULL)
        return -errno;
    if ((rc = node_socket(&d->n, d->zctx, &d->sock)) != 0)
        return rc;
    if (zmq_socket_monitor(d->sock, MONITOR_ENDPOINT,
                           ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
                               ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                               ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) != 0 ||
        (d->mon = zmq_socket(d->zctx, ZMQ_PAIR)) == NULL ||
        zmq_setsockopt(d->mon, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_connect(d->mon, MONITOR_ENDPOINT) != 0)
        return -errno;
    if (zmq_connect(d->sock, d->n.hub) != 0)
        return -errno;
    return 0;
}

/* A new connection to the hub with the keys in use, replacing the old one; when it cannot
 * be set up, the old one stays. what names the cause in the log. */
static int
relink(struct daemon *d, const char *what)
{
    void *zctx = d->zctx, *sock = d->sock, *mon = d->mon;
    int rc;

    d->zctx = d->sock = d->mon = NULL;
    if ((rc = setup_socket(d)) != 0) {
        cps_log(CPS_LOG_ERR, "%s: zeromq: %s; keeping the connection in use", what,
                zmq_strerror(-rc));
        if (d->mon != NULL)
            zmq_close(d->mon);
        if (d->sock != NULL)
            zmq_close(d->sock);
        if (d->zctx != NULL)
            zmq_ctx_term(d->zctx);
        d->zctx = zctx;
        d->sock = sock;
        d->mon = mon;
        return rc;
    }
    zmq_socket_monitor(sock, NULL, 0); /* before its reader closes: see done: below */
    zmq_close(mon);
    zmq_close(sock);
    zmq_ctx_term(zctx);
    d->welcomed = false; /* HELLO on the new connection; what was in flight is sent again */
    d->last_hello_ms = 0;
    d->hello_retry_ms = HELLO_RETRY_MS;
    d->next_send = d->last_acked + 1;
    d->pull_out = false;
    d->relink_ms = 0;
    return 0;
}

/*
 * SIGHUP: the log level from the configuration file; then the roster file and the key
 * file the store names (after a rotation), checked, and a new connection with them. When
 * they do not load, the daemon goes on with what it has.
 */
static void
reload(struct daemon *d)
{
    char err[512];

    node_conf_reload();
    if (node_reload(&d->n, err, sizeof err) != 0) {
        cps_log(CPS_LOG_ERR, "reload: %s; keeping the key and roster in use", err);
        return;
    }
    if (relink(d, "reload") != 0)
        return;
    cps_replay_hub_verifier(d->n.roster, &d->rep.hub);
    cps_log(CPS_LOG_INFO, "reload: roster serial=%" PRIu64 " key=%s hub=%s", d->n.roster->serial,
            d->n.key_path, d->n.hub);
}

static void
usage(FILE *f)
{
    fprintf(f, "Usage: " NODE_PROG " run [--config FILE] [--dir DIR] [--hub ENDPOINT]\n"
               "                    [--window N] [--no-replica] [--map-size MIB]\n"
               "                    [--log-level LEVEL] [--syslog]\n"
               "Run the node daemon: connect to the hub (CURVE), ship the outbox in seq order\n"
               "with up to N updates in flight (default %d), resend after reconnects, and\n"
               "delete each update only once the hub has acked its durable commit. When\n"
               "nothing of its own is in flight, it pulls the hub's log, verifies every entry\n"
               "and checkpoint, and keeps a replica of the programme dataset ('replica',\n"
               "'verify'); --no-replica turns the witness off (a partner that cannot spare the\n"
               "disk or CPU; then nobody at this partner checks the hub).\n"
               "  --config FILE   settings file (default $" NODE_CONF_ENV ", or\n"
               "                  " NODE_CONF_DEFAULT " when it exists); options here win\n"
               "  --hub ENDPOINT  connect there instead of the endpoint init recorded\n"
               "  --map-size MIB  grow the store's map to MIB mebibytes (when full)\n"
               "Stops cleanly on SIGTERM or SIGINT. SIGHUP re-reads the log level, the roster\n"
               "file and the key file and reconnects. LEVEL: err, warn, info (default), debug.\n"
               "Example:\n"
               "  " NODE_PROG " run --config /etc/cps/node.conf\n"
               "  " NODE_PROG " run --dir p07 --window 16 --log-level debug\n",
            WINDOW_DEFAULT);
}

int
cmd_run_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "dir", required_argument, NULL, 'd' },       { "window", required_argument, NULL, 'w' },
        { "log-level", required_argument, NULL, 'l' }, { "syslog", no_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },            { "no-replica", no_argument, NULL, 'R' },
        { "config", required_argument, NULL, 'C' },    { "hub", required_argument, NULL, 'H' },
        { "map-size", required_argument, NULL, 'm' }, { NULL, 0, NULL, 0 },
    };
    struct daemon d = { .window = WINDOW_DEFAULT, .wake = -1 };
    struct node_conf cf;
    bool no_replica = false;
    struct sigaction sa = { .sa_handler = on_signal };
    struct cps_txn *txn = NULL;
    const char *dir = NULL;
    bool use_syslog = false;
    char err[512];
    int c, rc;

    /* the configuration file first; the options below win over it */
    if ((rc = node_conf_load(&cf, argc, argv, "d:w:l:shRC:H:m:", opts, NODE_PROG " run")) >= 0)
        return rc;
    dir = cf.dir[0] != 0 ? cf.dir : NULL;
    d.window = cf.window;
    no_replica = !cf.replica;
    use_syslog = cf.syslog;
    while ((c = getopt_long(argc, argv, "d:w:l:shRC:H:m:", opts, NULL)) != -1) {
        switch (c) {
        case 'C':
            break; /* read by node_conf_load */
        case 'H':
        case 'm':
            if (!node_conf_set_arg(&cf, c == 'H' ? "--hub" : "--map-size", optarg,
                                   NODE_PROG " run"))
                return CPS_EXIT_USAGE;
            break;
        case 'R':
            no_replica = true;
            break;
        case 'd':
            dir = optarg;
            break;
        case 'w':
            if (!cps_cli_parse_u64(optarg, 1, 1000, &d.window)) {
                cps_cli_error(NODE_PROG " run", "--window %s: expected 1..1000", optarg);
                return CPS_EXIT_USAGE;
            }
            break;
        case 'l':
            if (!cps_cli_parse_log_level(NODE_PROG " run", optarg))
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
    node_conf_apply(&cf); /* the hub endpoint and map size, for node_open */
    if (node_open(&d.n, node_dir(dir), true, err, sizeof err) != 0) {
        cps_cli_error(NODE_PROG " run", "%s", err);
        return CPS_EXIT_USAGE;
    }
    cps_log_open("cps-node", use_syslog);
    if ((rc = cps_store_begin(d.n.st, false, &txn)) != 0 ||
        (rc = cps_store_meta_get_u64(txn, "last_acked", &d.last_acked)) != 0) {
        cps_cli_error(NODE_PROG " run", "%s: %s", d.n.dir, cps_strerror(rc));
        cps_store_abort(&txn);
        node_close(&d.n);
        return CPS_EXIT_USAGE;
    }
    cps_store_abort(&txn);
    if ((rc = node_lock(&d.n)) < 0) {
        cps_cli_error(NODE_PROG " run", "%s: %s", d.n.dir,
                      rc == -EWOULDBLOCK ? "another daemon runs on this node directory"
                                         : cps_strerror(rc));
        node_close(&d.n);
        return CPS_EXIT_USAGE;
    }
    if ((rc = replica_load(&d.n, &d.rep)) != 0) {
        cps_cli_error(NODE_PROG " run", "%s: replica: %s", d.n.dir, cps_strerror(rc));
        node_close(&d.n);
        return CPS_EXIT_USAGE;
    }
    if (d.rep.distrusted)
        cps_log(CPS_LOG_ERR, "the hub is NOT TRUSTED (see '" NODE_PROG " status'); the replica "
                             "stays at %" PRIu64 " entries",
                d.rep.size);
    d.next_send = d.last_acked + 1;
    d.ack_max = d.last_acked;
    d.hello_retry_ms = HELLO_RETRY_MS;
    d.relink_wait_ms = RELINK_MIN_MS;
    d.pause_ms = PAUSE_MIN_MS;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if ((rc = setup_socket(&d)) != 0) {
        cps_cli_error(NODE_PROG " run", "zeromq: %s", zmq_strerror(-rc));
        rc = CPS_EXIT_USAGE;
        goto done;
    }
    /* after each commit, node_write writes to NODE_WAKE_FILE: wake on it instead of waiting
     * for the next poll round (without inotify the round still catches it, POLL_MS later) */
    {
        char path[PATH_MAX + 32];
        int fd;

        snprintf(path, sizeof path, "%s/" NODE_WAKE_FILE, d.n.dir);
        if ((fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) >= 0)
            close(fd);
        if ((d.wake = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) >= 0 &&
            inotify_add_watch(d.wake, path, IN_MODIFY) < 0) {
            close(d.wake);
            d.wake = -1;
        }
    }
    cps_log(CPS_LOG_INFO, "started partner=%s hub=%s last_acked=%" PRIu64 " window=%" PRIu64,
            d.n.partner, d.n.hub, d.last_acked, d.window);
    while (!stop_requested) {
        zmq_pollitem_t items[3] = {
            { d.sock, 0, ZMQ_POLLIN, 0 },
            { d.mon, 0, ZMQ_POLLIN, 0 },
            { NULL, d.wake, ZMQ_POLLIN, 0 },
        };
        uint64_t now = mono_ms();

        if (reload_requested) {
            reload_requested = 0;
            reload(&d);
            items[0].socket = d.sock;
            items[1].socket = d.mon;
        }
        if (d.trim_ops >= TRIM_OPS || (d.trim_ops > 0 && now - d.trim_ms >= TRIM_MS)) {
            cps_store_trim(d.n.st);
            d.trim_ops = 0;
            d.trim_ms = now;
        }
        if (d.relink_ms != 0 && now >= d.relink_ms) {
            cps_log(CPS_LOG_INFO, "connecting to the hub anew after its refusal");
            if (relink(&d, "reconnect") != 0)
                d.relink_ms = now + d.relink_wait_ms;
            items[0].socket = d.sock;
            items[1].socket = d.mon;
        }
        if (!d.welcomed && now - d.last_hello_ms >= d.hello_retry_ms)
            send_hello(&d, now);
        else if (d.welcomed && d.next_send == d.last_acked + 1 &&
                 now - d.last_hello_ms >= KEEPALIVE_MS)
            send_hello(&d, now); /* idle: keeps the hub's last contact and outbox depth */
        if (d.welcomed && now >= d.paused_until_ms)
            ship(&d);
        if (d.welcomed && !no_replica)
            maybe_pull(&d, now);
        if (d.welcomed && d.next_send > d.last_acked + 1 && now - d.last_rx_ms > ACK_TIMEOUT_MS) {
            cps_log(CPS_LOG_WARN, "no answer from hub for %d ms with updates in flight",
                    ACK_TIMEOUT_MS);
            d.welcomed = false;
            d.last_rx_ms = now;
        }
        if (zmq_poll(items, d.wake >= 0 ? 3 : 2, POLL_MS) < 0) {
            if (errno == EINTR)
                continue;
            cps_log(CPS_LOG_ERR, "zmq_poll: %s", zmq_strerror(errno));
            break;
        }
        now = mono_ms();
        if (d.wake >= 0 && (items[2].revents & ZMQ_POLLIN)) {
            char ev[4096];

            while (read(d.wake, ev, sizeof ev) > 0)
                ; /* the store changed: the loop ships at once */
        }
        if (items[1].revents & ZMQ_POLLIN)
            read_monitor(&d);
        if (items[0].revents & ZMQ_POLLIN)
            read_messages(&d, now);
    }
    cps_log(CPS_LOG_INFO, "stopping partner=%s last_acked=%" PRIu64, d.n.partner, d.last_acked);
    rc = CPS_EXIT_OK;
done:
    /* the monitor stops before its reader closes: libzmq's I/O thread sends each event with
     * a blocking send, which never returns once the reading PAIR is closed, and then holds
     * the lock zmq_socket_monitor takes: the daemon hung on SIGTERM when the link went
     * down in between (tests/faults/disk-full.sh) */
    if (d.sock != NULL)
        zmq_socket_monitor(d.sock, NULL, 0);
    if (d.mon != NULL)
        zmq_close(d.mon);
    if (d.sock != NULL)
        zmq_close(d.sock);
    if (d.zctx != NULL)
        zmq_ctx_term(d.zctx);
    free(d.rej);
    if (d.wake >= 0)
        close(d.wake);
    replica_free(&d.rep);
    node_close(&d.n);
    return rc;
}
