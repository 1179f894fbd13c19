/* SPDX-License-Identifier: ISC */
/*
 * hostile: a test client that speaks the cps protocol and sends what a broken or malicious
 * partner (or stranger) would. Each case states the reply it must get; the program prints
 * one line per case and ends with "N passed, N failed".
 *
 *   hostile ENDPOINT ROSTER VKEY PARTNER KEY STRANGER_KEY INACTIVE_ID INACTIVE_KEY
 *
 * PARTNER must be an active partner no node is running for (the client keeps its chain).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "cps/crypto.h"
#include "cps/roster.h"
#include "cps/value.h"
#include "cps/wire.h"

static int passed, failed;
static const char *endpoint;
static struct cps_roster *roster;
static const char *me;
static struct cps_keys *my_keys;
static uint64_t next_seq = 1;
static uint8_t prev[32];
static void *zctx;

struct reply {
    bool got;
    struct cps_msg m;
    uint8_t buf[4096];
    char text[512];
};

static void
expect(const char *name, bool ok, const char *detail)
{
    printf("%-28s %s %s\n", name, ok ? "ok  " : "FAIL", detail);
    if (ok)
        passed++;
    else
        failed++;
}

static void *
connect_as(struct cps_keys *keys)
{
    void *s = zmq_socket(zctx, ZMQ_DEALER);
    struct cps_pubkeys pub;
    const int linger = 0;

    cps_crypto_keys_public(keys, &pub);
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, roster->hub.curve, 32);
    zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pub.curve, 32);
    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, cps_crypto_curve_secret(keys), 32);
    zmq_connect(s, endpoint);
    return s;
}

/* Send parts (n frames) and wait up to ms for one reply. */
static void
exchange(void *s, const uint8_t *const *parts, const size_t *lens, int n, int ms,
         struct reply *r)
{
    zmq_pollitem_t it = { s, 0, ZMQ_POLLIN, 0 };
    int i, len;

    memset(r, 0, sizeof *r);
    for (i = 0; i < n; i++)
        zmq_send(s, parts[i], lens[i], i + 1 < n ? ZMQ_SNDMORE : 0);
    if (zmq_poll(&it, 1, ms) <= 0)
        return;
    if ((len = zmq_recv(s, r->buf, sizeof r->buf, 0)) < 0 || (size_t)len > sizeof r->buf)
        return;
    if (cps_wire_decode_msg(&r->m, r->buf, (size_t)len) != 0)
        return;
    r->got = true;
    snprintf(r->text, sizeof r->text, "type=%d seq=%" PRIu64 " code=%s status=%d '%.*s'",
             (int)r->m.type, r->m.seq, cps_errname(r->m.code), r->m.status,
             (int)r->m.text_len, r->m.text);
}

static void
send_one(void *s, const uint8_t *frame, size_t len, int ms, struct reply *r)
{
    exchange(s, &frame, &len, 1, ms, r);
}

/* Build a signed update of one put; modifiers let cases forge fields. */
struct forge {
    const char *programme, *partner, *coll, *key;
    uint64_t seq;
    const uint8_t *prev;
    bool flip_sig;
};

static uint8_t *
signed_update(const struct forge *f, size_t *len)
{
    const char *slash = strchr(f->key, '/');
    struct cps_wire_builder *b = NULL;
    uint8_t *out = NULL, *value = NULL;
    size_t value_len = 0;
    char json[256], jerr[64];

    /* a valid cluster record for the key's id: what is refused is refused for another reason */
    snprintf(json, sizeof json,
             "{\"id\":\"%s\",\"name\":\"Demo hostile cluster\",\"nuts2\":\"AT22\","
             "\"sector\":\"C26\",\"member_firms\":1,\"employees\":1,\"areas\":[\"rd\"]}",
             slash != NULL ? slash + 1 : f->key);
    if (cps_value_from_json(&value, &value_len, json, strlen(json), jerr, sizeof jerr) != 0) {
        fprintf(stderr, "hostile: cannot build value: %s\n", jerr);
        exit(99);
    }
    if (cps_wire_builder_new(&b, f->programme ? f->programme : roster->programme,
                             f->partner ? f->partner : me, f->seq, f->prev ? f->prev : prev,
                             cps_wire_now_ms()) != 0 ||
        cps_wire_builder_add(b, CPS_OP_PUT, f->coll, strlen(f->coll), f->key, strlen(f->key),
                             value, value_len) != 0 ||
        cps_wire_builder_finish(b, my_keys, &out, len) != 0) {
        fprintf(stderr, "hostile: cannot build update\n");
        exit(99);
    }
    cps_wire_builder_free(&b);
    free(value);
    if (f->flip_sig)
        out[*len - 1] ^= 0x01;
    return out;
}

/* Frame an UPDATE: sealed for recipient (the hub unless given). */
static uint8_t *
update_frame(const char *frame_partner, uint64_t frame_seq, const uint8_t *su, size_t su_len,
             const uint8_t *recipient, size_t *len)
{
    struct cps_msg m = { .type = CPS_MSG_UPDATE, .seq = frame_seq };
    uint8_t *sealed = malloc(su_len + CPS_CRYPTO_SEAL_OVERHEAD), *out = NULL;

    snprintf(m.partner, sizeof m.partner, "%s", frame_partner);
    if (sealed == NULL ||
        cps_crypto_seal(my_keys, recipient ? recipient : roster->hub.box, su, su_len, sealed) != 0)
        exit(99);
    m.payload = sealed;
    m.payload_len = su_len + CPS_CRYPTO_SEAL_OVERHEAD;
    if (cps_wire_encode_msg(&m, &out, len) != 0)
        exit(99);
    free(sealed);
    return out;
}

/* Send a well-formed update with the given forgery; returns the reply. */
static void
try_update(void *s, const struct forge *f, const char *frame_partner, uint64_t frame_seq,
           const uint8_t *recipient, struct reply *r, uint8_t **su_out, size_t *su_len_out)
{
    size_t su_len, fr_len;
    uint8_t *su = signed_update(f, &su_len);
    uint8_t *fr = update_frame(frame_partner ? frame_partner : me,
                               frame_seq ? frame_seq : f->seq, su, su_len, recipient, &fr_len);

    send_one(s, fr, fr_len, 3000, r);
    free(fr);
    if (su_out != NULL) {
        *su_out = su;
        *su_len_out = su_len;
    } else {
        free(su);
    }
}

static bool
is_refuse(const struct reply *r, int code)
{
    return r->got && r->m.type == CPS_MSG_REFUSE && r->m.code == code;
}

static bool
is_ack(const struct reply *r, int status, int code)
{
    return r->got && r->m.type == CPS_MSG_ACK && r->m.status == status && r->m.code == code;
}

/* A valid update of ours; on success the chain advances. */
static void
valid_update(void *s, const char *name, const char *coll, const char *key, int want_status,
             int want_code)
{
    struct forge f = { .coll = coll, .key = key, .seq = next_seq };
    struct reply r;
    uint8_t *su;
    size_t su_len;

    try_update(s, &f, NULL, 0, NULL, &r, &su, &su_len);
    expect(name, is_ack(&r, want_status, want_code), r.got ? r.text : "no reply");
    if (r.got && r.m.type == CPS_MSG_ACK) {
        cps_wire_update_hash(su, su_len, prev);
        next_seq++;
    }
    free(su);
}

static struct cps_keys *
load_keys(const char *path)
{
    struct cps_keys *k = NULL;

    if (cps_crypto_keys_load(&k, path) != 0) {
        fprintf(stderr, "hostile: %s: cannot load key\n", path);
        exit(99);
    }
    return k;
}

/* A stranger's (or inactive partner's) connection never gets an answer. */
static void
case_refused_connection(const char *name, const char *key_path, const char *claim)
{
    struct cps_keys *k = load_keys(key_path);
    struct cps_msg m = { .type = CPS_MSG_HELLO, .version = CPS_WIRE_VERSION };
    void *s = connect_as(k);
    uint8_t *fr = NULL;
    size_t len;
    struct reply r;

    snprintf(m.partner, sizeof m.partner, "%s", claim);
    if (cps_wire_encode_msg(&m, &fr, &len) != 0)
        exit(99);
    send_one(s, fr, len, 2000, &r);
    expect(name, !r.got, r.got ? r.text : "no connection, no reply");
    free(fr);
    zmq_close(s);
    cps_crypto_keys_free(&k);
}

int
main(int argc, char **argv)
{
    uint8_t random_box[32], *fr, *su, *big;
    struct cps_msg hello = { .type = CPS_MSG_HELLO, .version = CPS_WIRE_VERSION };
    const struct cps_roster_partner *other;
    char err[256], *text;
    struct reply r;
    size_t len, su_len, text_len;
    FILE *f;
    void *s;

    if (argc != 9) {
        fprintf(stderr, "usage: hostile ENDPOINT ROSTER VKEY PARTNER KEY STRANGER_KEY "
                        "INACTIVE_ID INACTIVE_KEY\n");
        return 99;
    }
    endpoint = argv[1];
    me = argv[4];
    if (cps_crypto_init() != 0 || (f = fopen(argv[2], "r")) == NULL)
        return 99;
    text = malloc(1 << 20);
    text_len = fread(text, 1, 1 << 20, f);
    fclose(f);
    if (cps_roster_verify(&roster, text, text_len, argv[3], err, sizeof err) != 0) {
        fprintf(stderr, "hostile: roster: %s\n", err);
        return 99;
    }
    free(text);
    other = &roster->partners[0];
    if (strcmp(other->id, me) == 0)
        other = &roster->partners[1];
    my_keys = load_keys(argv[5]);
    zctx = zmq_ctx_new();
    s = connect_as(my_keys);

    /* hello: learn where our chain stands (a fresh partner starts at 1) */
    snprintf(hello.partner, sizeof hello.partner, "%s", me);
    if (cps_wire_encode_msg(&hello, &fr, &len) != 0)
        return 99;
    send_one(s, fr, len, 5000, &r);
    free(fr);
    expect("hello-welcome", r.got && r.m.type == CPS_MSG_WELCOME && r.m.seq == 1,
           r.got ? r.text : "no reply");
    {
        /* a protocol version the hub does not speak */
        struct cps_msg v99 = hello;

        v99.version = 99;
        if (cps_wire_encode_msg(&v99, &fr, &len) != 0)
            return 99;
        send_one(s, fr, len, 3000, &r);
        free(fr);
        expect("unsupported-version", is_refuse(&r, CPS_EVERSION), r.got ? r.text : "no reply");
    }

    valid_update(s, "valid-first", "cluster", "P-own/1", CPS_ACK_REJECTED, CPS_EOWNER);
    {
        char key[64];
        snprintf(key, sizeof key, "%s/%s-C901", me, me);
        valid_update(s, "valid-applied", "cluster", key, CPS_ACK_APPLIED, 0);
    }

    /* frames that do not decode */
    send_one(s, (const uint8_t *)"\x93\x01\xff garbage", 11, 3000, &r);
    expect("garbage-frame", is_refuse(&r, CPS_EMALFORMED), r.got ? r.text : "no reply");
    {
        const uint8_t huge[] = { 0x94, 0x03, 0xdb, 0xff, 0xff, 0xff, 0xf0, 'P' };
        send_one(s, huge, sizeof huge, 3000, &r);
        expect("huge-declared-length", is_refuse(&r, CPS_EMALFORMED), r.got ? r.text : "no reply");
    }
    {
        uint8_t deep[300];
        memset(deep, 0x91, sizeof deep);
        send_one(s, deep, sizeof deep, 3000, &r);
        expect("deep-nesting", is_refuse(&r, CPS_EMALFORMED), r.got ? r.text : "no reply");
    }
    {
        const uint8_t wrong[] = { 0x94, 0x03, 0xa3, 'P', '0', '1', 0xa1, 'x', 0xc0 };
        send_one(s, wrong, sizeof wrong, 3000, &r);
        expect("wrong-types", is_refuse(&r, CPS_EMALFORMED), r.got ? r.text : "no reply");
    }
    {
        const uint8_t ack[] = { 0x96, 0x04, 0x01, 0x01, 0x00, 0x00, 0xa0 };
        send_one(s, ack, sizeof ack, 3000, &r);
        expect("ack-sent-to-hub", is_refuse(&r, CPS_EMALFORMED), r.got ? r.text : "no reply");
    }
    {
        struct forge fo = { .coll = "cluster", .key = "x", .seq = next_seq };
        uint8_t *good;
        size_t good_len;

        su = signed_update(&fo, &su_len);
        good = update_frame(me, next_seq, su, su_len, NULL, &good_len);
        send_one(s, good, good_len / 2, 3000, &r);
        expect("truncated-frame", is_refuse(&r, CPS_EMALFORMED), r.got ? r.text : "no reply");
        {
            const uint8_t *parts[2] = { good, good };
            size_t lens[2] = { good_len, good_len };
            exchange(s, parts, lens, 2, 3000, &r);
            expect("two-frames", is_refuse(&r, CPS_EMALFORMED), r.got ? r.text : "no reply");
        }
        free(good);
        free(su);
    }
    /* who: the frame, the body and the connection must agree */
    {
        struct forge fo = { .coll = "cluster", .key = "x", .seq = next_seq };
        try_update(s, &fo, other->id, 0, NULL, &r, NULL, NULL);
        expect("frame-names-other", is_refuse(&r, CPS_EIDENTITY), r.got ? r.text : "no reply");
        fo.partner = other->id;
        try_update(s, &fo, NULL, 0, NULL, &r, NULL, NULL);
        expect("body-names-other", is_refuse(&r, CPS_EBADSIG) || is_refuse(&r, CPS_EIDENTITY),
               r.got ? r.text : "no reply");
        fo.partner = NULL;
        try_update(s, &fo, NULL, next_seq + 1, NULL, &r, NULL, NULL);
        expect("frame-seq-differs", is_refuse(&r, CPS_EIDENTITY), r.got ? r.text : "no reply");
        fo.programme = "OtherProgramme";
        try_update(s, &fo, NULL, 0, NULL, &r, NULL, NULL);
        expect("other-programme", is_refuse(&r, CPS_EPROGRAMME), r.got ? r.text : "no reply");
    }
    /* crypto */
    {
        struct forge fo = { .coll = "cluster", .key = "x", .seq = next_seq };
        cps_crypto_random(random_box, sizeof random_box);
        try_update(s, &fo, NULL, 0, random_box, &r, NULL, NULL);
        expect("sealed-for-other-key", is_refuse(&r, CPS_ESEAL), r.got ? r.text : "no reply");
        fo.flip_sig = true;
        try_update(s, &fo, NULL, 0, NULL, &r, NULL, NULL);
        expect("bad-signature", is_refuse(&r, CPS_EBADSIG), r.got ? r.text : "no reply");
    }
    /* order and chain */
    {
        struct forge fo = { .coll = "cluster", .key = "x", .seq = next_seq + 5 };
        uint8_t bad_prev[32];

        try_update(s, &fo, NULL, 0, NULL, &r, NULL, NULL);
        expect("seq-gap", is_refuse(&r, CPS_EGAP) && r.m.expected == next_seq,
               r.got ? r.text : "no reply");
        memset(bad_prev, 0x42, sizeof bad_prev);
        fo.seq = next_seq;
        fo.prev = bad_prev;
        try_update(s, &fo, NULL, 0, NULL, &r, NULL, NULL);
        expect("bad-prev", is_refuse(&r, CPS_ECHAIN), r.got ? r.text : "no reply");
    }
    /* replay: the same bytes are re-acked with the same index; other bytes are refused */
    {
        char key[64];
        struct forge fo = { .coll = "cluster", .seq = next_seq };
        uint64_t first_index;

        snprintf(key, sizeof key, "%s/%s-C902", me, me);
        fo.key = key;
        su = signed_update(&fo, &su_len);
        fr = update_frame(me, next_seq, su, su_len, NULL, &len);
        send_one(s, fr, len, 3000, &r);
        expect("replay-original", is_ack(&r, CPS_ACK_APPLIED, 0), r.got ? r.text : "no reply");
        first_index = r.m.index;
        free(fr);
        fr = update_frame(me, next_seq, su, su_len, NULL, &len); /* fresh nonce, same update */
        send_one(s, fr, len, 3000, &r);
        expect("replay-reacked", is_ack(&r, CPS_ACK_APPLIED, 0) && r.m.index == first_index,
               r.got ? r.text : "no reply");
        free(fr);
        cps_wire_update_hash(su, su_len, prev);
        free(su);
        fo.key = "P-not-mine/again";
        fo.prev = NULL;
        {
            uint8_t saved[32];
            memcpy(saved, prev, 32);
            /* same seq, different content: equivocation */
            try_update(s, &fo, NULL, 0, NULL, &r, NULL, NULL);
            expect("seq-reused", is_refuse(&r, CPS_ECHAIN), r.got ? r.text : "no reply");
            memcpy(prev, saved, 32);
        }
        next_seq++;
    }
    /* ownership: logged as rejected, and the chain goes on */
    {
        char key[64];
        snprintf(key, sizeof key, "%s/x", other->id);
        valid_update(s, "write-other-partner", "cluster", key, CPS_ACK_REJECTED, CPS_EOWNER);
        snprintf(key, sizeof key, "%s/x", me);
        valid_update(s, "write-programme-coll", "partner", key, CPS_ACK_REJECTED, CPS_EOWNER);
        valid_update(s, "unknown-collection", "secrets", key, CPS_ACK_REJECTED, CPS_ESCHEMA);
        snprintf(key, sizeof key, "%s/%s-C903", me, me);
        valid_update(s, "valid-after-rejects", "cluster", key, CPS_ACK_APPLIED, 0);
    }
    /* oversized: libzmq drops the connection; no reply, nothing logged */
    {
        size_t big_len = CPS_WIRE_MAX_FRAME + 1024;
        big = calloc(1, big_len);
        send_one(s, big, big_len, 2000, &r);
        expect("oversized-frame", !r.got, r.got ? r.text : "dropped, no reply");
        free(big);
        zmq_close(s);
        s = connect_as(my_keys);
        snprintf(hello.partner, sizeof hello.partner, "%s", me);
        if (cps_wire_encode_msg(&hello, &fr, &len) != 0)
            return 99;
        send_one(s, fr, len, 5000, &r);
        free(fr);
        expect("hub-still-serving", r.got && r.m.type == CPS_MSG_WELCOME && r.m.seq == next_seq,
               r.got ? r.text : "no reply");
    }
    zmq_close(s);
    case_refused_connection("unknown-curve-key", argv[6], me);
    case_refused_connection("inactive-partner", argv[8], argv[7]);

    cps_crypto_keys_free(&my_keys);
    cps_roster_free(&roster);
    zmq_ctx_term(zctx);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
