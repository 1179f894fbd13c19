/* SPDX-License-Identifier: ISC */
/*
 * relay: a small single-process TCP relay for the fault suite (tests/faults/). It listens
 * on 127.0.0.1:LISTEN, and for each connection it accepts it opens one to 127.0.0.1:TARGET
 * and forwards bytes both ways. What the link does is read from CONTROL, a file the test
 * rewrites (write a new file and rename it over CONTROL: the relay looks every 50 ms):
 *
 *   pass         forward freely (also when CONTROL does not exist)
 *   stall        forward nothing, keep every connection open (a hung link)
 *   slow BPS     forward at most BPS bytes per second in each direction of each connection
 *   cut          close every connection and refuse new ones (the port stops listening)
 *                until the mode changes (a cable pulled)
 *
 * It says on stderr what it does (mode changes, connections opened and closed, byte
 * counts) and stops cleanly, exit 0, on SIGTERM or SIGINT.
 *
 *   relay LISTEN_PORT TARGET_PORT CONTROL_FILE
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 64
#define BUF_BYTES 65536
#define TICK_MS 10
#define CONTROL_MS 50

enum mode { PASS, STALL, SLOW, CUT };
static const char *const mode_names[] = { "pass", "stall", "slow", "cut" };

/* One direction of a connection: bytes read from fd[from], waiting to go to fd[!from]. */
struct dir {
    uint8_t buf[BUF_BYTES];
    size_t len;
    uint64_t total;
    double tokens; /* slow mode: bytes it may still read */
};

struct conn {
    bool used;
    unsigned id;
    int fd[2];        /* 0: the client (node), 1: the target (hub) */
    struct dir d[2];  /* d[0]: client -> target, d[1]: target -> client */
};

static volatile sig_atomic_t stop_requested;
static struct conn conns[MAX_CONNS];
static enum mode mode = PASS;
static uint64_t rate; /* slow: bytes per second */
static unsigned next_id = 1;
static uint64_t n_accepted, n_refused, n_cut, bytes_up, bytes_down;

static void
on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
say(const char *what)
{
    fprintf(stderr, "relay: %s (mode %s", what, mode_names[mode]);
    if (mode == SLOW)
        fprintf(stderr, " %llu B/s", (unsigned long long)rate);
    fprintf(stderr, "; accepted %llu refused %llu cut %llu; bytes up %llu down %llu)\n",
            (unsigned long long)n_accepted, (unsigned long long)n_refused,
            (unsigned long long)n_cut, (unsigned long long)bytes_up,
            (unsigned long long)bytes_down);
}

static int
set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);

    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static struct sockaddr_in
loopback(int port)
{
    struct sockaddr_in a;

    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static int
open_listener(int port)
{
    struct sockaddr_in a = loopback(port);
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

    if (fd < 0)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 64) != 0 ||
        set_nonblock(fd) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void
close_conn(struct conn *c, const char *why)
{
    char msg[160];

    close(c->fd[0]);
    close(c->fd[1]);
    c->used = false;
    snprintf(msg, sizeof msg, "connection %u closed: %s", c->id, why);
    say(msg);
}

static void
accept_one(int lfd, int target)
{
    struct sockaddr_in a = loopback(target);
    struct conn *c = NULL;
    int cfd, tfd, one = 1, i;
    char msg[160];

    if ((cfd = accept(lfd, NULL, NULL)) < 0)
        return;
    for (i = 0; i < MAX_CONNS; i++)
        if (!conns[i].used) {
            c = &conns[i];
            break;
        }
    /* a blocking connect: on loopback it is answered at once */
    if (c == NULL || (tfd = socket(AF_INET, SOCK_STREAM, 0)) < 0) {
        close(cfd);
        n_refused++;
        return;
    }
    if (connect(tfd, (struct sockaddr *)&a, sizeof a) != 0) {
        snprintf(msg, sizeof msg, "target port %d: %s; connection refused", target,
                 strerror(errno));
        close(tfd);
        close(cfd);
        n_refused++;
        say(msg);
        return;
    }
    set_nonblock(cfd);
    set_nonblock(tfd);
    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(tfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    memset(c, 0, sizeof *c);
    c->used = true;
    c->id = next_id++;
    c->fd[0] = cfd;
    c->fd[1] = tfd;
    n_accepted++;
    snprintf(msg, sizeof msg, "connection %u open", c->id);
    say(msg);
}

/* Read CONTROL when it changed; returns true when it set a mode. */
static bool
read_control(const char *path)
{
    static struct stat last;
    static bool seen;
    struct stat st;
    enum mode m = PASS;
    unsigned long long r = 0;
    char line[64] = "", word[16] = "";
    FILE *f;

    if (stat(path, &st) != 0) {
        if (!seen)
            return false;
        seen = false; /* removed: back to pass */
        memset(&last, 0, sizeof last);
    } else {
        if (seen && st.st_ino == last.st_ino && st.st_size == last.st_size &&
            st.st_mtim.tv_sec == last.st_mtim.tv_sec &&
            st.st_mtim.tv_nsec == last.st_mtim.tv_nsec)
            return false;
        seen = true;
        last = st;
        if ((f = fopen(path, "r")) == NULL)
            return false;
        if (fgets(line, sizeof line, f) == NULL)
            line[0] = 0;
        fclose(f);
        if (sscanf(line, "%15s %llu", word, &r) < 1 || strcmp(word, "pass") == 0)
            m = PASS;
        else if (strcmp(word, "stall") == 0)
            m = STALL;
        else if (strcmp(word, "slow") == 0 && r > 0)
            m = SLOW;
        else if (strcmp(word, "cut") == 0)
            m = CUT;
        else {
            fprintf(stderr, "relay: %s: unknown mode '%s', kept %s\n", path, line,
                    mode_names[mode]);
            return false;
        }
    }
    mode = m;
    rate = m == SLOW ? r : 0;
    return true; /* also when it is the same mode again: the test waits for "mode set" */
}

/* Move bytes for one direction k of c: read from fd[k] into d[k], write d[k] to fd[!k].
 * Returns false when the connection must close (why set). */
static bool
pump(struct conn *c, int k, short rev_from, short rev_to, const char **why)
{
    struct dir *d = &c->d[k];
    ssize_t n;

    if ((rev_to & POLLOUT) && d->len > 0) {
        n = send(c->fd[!k], d->buf, d->len, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            *why = k == 0 ? "target write failed" : "client write failed";
            return false;
        }
        if (n > 0) {
            memmove(d->buf, d->buf + n, d->len - (size_t)n);
            d->len -= (size_t)n;
            d->total += (uint64_t)n;
            if (k == 0)
                bytes_up += (uint64_t)n;
            else
                bytes_down += (uint64_t)n;
        }
    }
    if (rev_from & (POLLIN | POLLHUP | POLLERR)) {
        size_t room = sizeof d->buf - d->len;

        if (mode == SLOW && room > (size_t)d->tokens)
            room = (size_t)d->tokens;
        if (room == 0 && (rev_from & (POLLHUP | POLLERR))) {
            *why = k == 0 ? "client hung up" : "target hung up";
            return false;
        }
        if (room == 0)
            return true;
        n = recv(c->fd[k], d->buf + d->len, room, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            *why = k == 0 ? "client closed" : "target closed";
            return false;
        }
        if (n > 0) {
            d->len += (size_t)n;
            if (mode == SLOW)
                d->tokens -= (double)n;
        }
    }
    return true;
}

int
main(int argc, char **argv)
{
    struct sigaction sa = { .sa_handler = on_signal };
    struct pollfd pfd[1 + 2 * MAX_CONNS];
    int listen_port, target, lfd, i;
    double last_control = 0, last_tick;
    const char *control;

    if (argc != 4 || (listen_port = atoi(argv[1])) <= 0 || (target = atoi(argv[2])) <= 0) {
        fprintf(stderr, "usage: relay LISTEN_PORT TARGET_PORT CONTROL_FILE\n");
        return 2;
    }
    control = argv[3];
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    read_control(control);
    if (mode != CUT && (lfd = open_listener(listen_port)) < 0) {
        fprintf(stderr, "relay: 127.0.0.1:%d: %s\n", listen_port, strerror(errno));
        return 2;
    } else if (mode == CUT) {
        lfd = -1;
    }
    fprintf(stderr, "relay: 127.0.0.1:%d -> 127.0.0.1:%d, control %s\n", listen_port, target,
            control);
    say("started");
    last_tick = now_s();
    while (!stop_requested) {
        double t = now_s();
        int n = 0, idx[MAX_CONNS];

        if (t - last_control >= CONTROL_MS / 1000.0) {
            last_control = t;
            if (read_control(control)) {
                if (mode == CUT) {
                    for (i = 0; i < MAX_CONNS; i++)
                        if (conns[i].used) {
                            n_cut++;
                            close_conn(&conns[i], "cut");
                        }
                    if (lfd >= 0)
                        close(lfd);
                    lfd = -1;
                }
                say("mode set");
            }
        }
        if (mode != CUT && lfd < 0 && (lfd = open_listener(listen_port)) < 0)
            fprintf(stderr, "relay: listen again on %d: %s\n", listen_port, strerror(errno));
        /* slow: refill each direction's bucket, at most a tenth of a second's worth */
        for (i = 0; i < MAX_CONNS; i++) {
            int k;

            if (!conns[i].used)
                continue;
            for (k = 0; k < 2; k++) {
                struct dir *d = &conns[i].d[k];

                d->tokens += (double)rate * (t - last_tick);
                if (d->tokens > (double)rate / 10 + 1)
                    d->tokens = (double)rate / 10 + 1;
            }
        }
        last_tick = t;
        if (lfd >= 0)
            pfd[n++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
        for (i = 0; i < MAX_CONNS; i++) {
            struct conn *c = &conns[i];
            int k;

            idx[i] = -1;
            if (!c->used || mode == STALL) /* stalled: not even a hang-up is looked at */
                continue;
            idx[i] = n;
            for (k = 0; k < 2; k++) {
                short ev = 0;

                if (c->d[k].len < sizeof c->d[k].buf && (mode != SLOW || c->d[k].tokens >= 1))
                    ev |= POLLIN;
                if (c->d[!k].len > 0)
                    ev |= POLLOUT;
                pfd[n++] = (struct pollfd){ .fd = c->fd[k], .events = ev };
            }
        }
        if (poll(pfd, (nfds_t)n, TICK_MS) < 0) {
            if (errno == EINTR)
                continue;
            perror("relay: poll");
            break;
        }
        if (lfd >= 0 && (pfd[0].revents & POLLIN))
            accept_one(lfd, target); /* stalled too: connected, and nothing flows */
        if (mode == STALL)
            continue; /* keep everything as it is, errors included */
        for (i = 0; i < MAX_CONNS; i++) {
            struct conn *c = &conns[i];
            const char *why = NULL;
            short r0, r1;

            if (!c->used || idx[i] < 0) /* not polled: accepted just now */
                continue;
            r0 = pfd[idx[i]].revents;
            r1 = pfd[idx[i] + 1].revents;
            if (!pump(c, 0, r0, r1, &why) || !pump(c, 1, r1, r0, &why))
                close_conn(c, why);
        }
    }
    for (i = 0; i < MAX_CONNS; i++)
        if (conns[i].used)
            close_conn(&conns[i], "relay stopping");
    if (lfd >= 0)
        close(lfd);
    say("stopped");
    return 0;
}
