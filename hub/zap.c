/* SPDX-License-Identifier: ISC */
/*
 * The ZAP handler (RFC 27): libzmq asks it about every CURVE handshake on the hub's
 * socket. It admits a client only when its CURVE key belongs to an active partner of the
 * roster, and names that partner as the connection's User-Id. libzmq 4.3.4 fails open when
 * no handler is bound, so the handler is bound before the hub's socket and lives as long
 * as the context.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "cps/log.h"
#include "hub.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"

struct hub_zap {
    void *sock;
    struct hub *h; /* the roster in force is read at every handshake */
    pthread_t thread;
    bool started;
};

/* Receive the next frame of the request into buf (truncated at cap); -1 when none. */
static int
recv_part(void *sock, void *buf, size_t cap, size_t *len, bool *more)
{
    int more_i = 0, n;
    size_t ml = sizeof more_i;

    if ((n = zmq_recv(sock, buf, cap, 0)) < 0)
        return -1;
    *len = (size_t)n;
    zmq_getsockopt(sock, ZMQ_RCVMORE, &more_i, &ml);
    *more = more_i != 0;
    return 0;
}

static void
reply(void *sock, const char *req_id, size_t req_id_len, const char *code, const char *text,
      const char *user_id)
{
    zmq_send(sock, "1.0", 3, ZMQ_SNDMORE);
    zmq_send(sock, req_id, req_id_len, ZMQ_SNDMORE);
    zmq_send(sock, code, strlen(code), ZMQ_SNDMORE);
    zmq_send(sock, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(sock, user_id, strlen(user_id), ZMQ_SNDMORE);
    zmq_send(sock, "", 0, 0);
}

static void *
zap_main(void *arg)
{
    struct hub_zap *z = arg;

    for (;;) {
        /* version, request id, domain, address, identity, mechanism, credentials */
        char parts[7][256];
        size_t lens[7] = { 0 }, n = 0;
        const struct cps_roster_partner *p;
        bool more = true;

        while (more) {
            char sink[256];
            size_t len;

            if (recv_part(z->sock, n < 7 ? parts[n] : sink, 255, &len, &more) != 0) {
                if (errno == ETERM)
                    return NULL;
                if (errno == EINTR)
                    continue;
                cps_log(CPS_LOG_ERR, "zap: recv: %s", zmq_strerror(errno));
                return NULL;
            }
            if (n < 7)
                lens[n] = len > 255 ? 255 : len;
            n++;
        }
        for (size_t i = 0; i < 7; i++)
            parts[i][lens[i]] = 0;
        if (strcmp(parts[0], "1.0") != 0 || strcmp(parts[2], HUB_ZAP_DOMAIN) != 0 ||
            strcmp(parts[5], "CURVE") != 0 || n != 7 || lens[6] != 32) {
            cps_log(CPS_LOG_WARN, "zap: refused address=%s reason=\"not a CURVE request for "
                                  "domain " HUB_ZAP_DOMAIN "\"",
                    parts[3]);
            reply(z->sock, parts[1], lens[1], "400", "not allowed", "");
            continue;
        }
        p = cps_roster_find_curve(hub_roster(z->h), (const uint8_t *)parts[6]);
        if (p == NULL || p->status != CPS_PARTNER_ACTIVE) {
            cps_log(CPS_LOG_WARN, "zap: refused address=%s reason=\"%s\"", parts[3],
                    p == NULL ? "CURVE key not in roster" : "partner not active");
            reply(z->sock, parts[1], lens[1], "400", "not allowed", "");
            continue;
        }
        cps_log(CPS_LOG_DEBUG, "zap: admitted partner=%s address=%s", p->id, parts[3]);
        reply(z->sock, parts[1], lens[1], "200", "OK", p->id);
    }
}

int
hub_zap_start(struct hub_zap **out, void *zctx, struct hub *h)
{
    struct hub_zap *z;
    const int linger = 0;
    int rc;

    *out = NULL;
    if ((z = calloc(1, sizeof *z)) == NULL)
        return -ENOMEM;
    z->h = h;
    if ((z->sock = zmq_socket(zctx, ZMQ_REP)) == NULL ||
        zmq_setsockopt(z->sock, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_bind(z->sock, ZAP_ENDPOINT) != 0) {
        rc = -errno;
        goto fail;
    }
    /* the socket moves to the thread; pthread_create is the memory barrier zmq needs */
    if ((rc = pthread_create(&z->thread, NULL, zap_main, z)) != 0) {
        rc = -rc;
        goto fail;
    }
    z->started = true;
    *out = z;
    return 0;
fail:
    if (z->sock != NULL)
        zmq_close(z->sock);
    free(z);
    return rc;
}

void
hub_zap_stop(struct hub_zap **z)
{
    if (z == NULL || *z == NULL)
        return;
    if ((*z)->started)
        pthread_join((*z)->thread, NULL);
    zmq_close((*z)->sock);
    free(*z);
    *z = NULL;
}
