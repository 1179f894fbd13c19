/* SPDX-License-Identifier: ISC */
/*
 * wire: msgpack encoding and decoding of update bodies, signed updates, protocol frames,
 * log entries and partner state. Encoders use msgpack-c's packer; decoders bound-check the
 * bytes with cps_value_check() before msgpack-c unpacks them, and then check every field's
 * type. Signatures and sealing belong to crypto; what the fields mean belongs to callers.
 */
#include <errno.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cps/value.h"
#include "cps/wire.h"

/* Nesting in protocol structures: frame -> update -> op -> value (own depth limit). */
#define WIRE_DEPTH (CPS_VALUE_MAX_DEPTH + 4)
#define BODY_FIELDS 7

struct cps_wire_builder {
    char programme[CPS_WIRE_PROGRAMME_MAX];
    char partner[CPS_WIRE_ID_MAX];
    uint64_t seq;
    uint8_t prev[CPS_CRYPTO_HASH_BYTES];
    uint64_t ts_ms;
    size_t n_ops;
    msgpack_sbuffer ops;
    msgpack_packer pk;
};

uint64_t
cps_wire_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int
pack_str(msgpack_packer *pk, const char *s, size_t len)
{
    return msgpack_pack_str(pk, len) | msgpack_pack_str_body(pk, s, len);
}

static int
pack_bin(msgpack_packer *pk, const void *b, size_t len)
{
    return msgpack_pack_bin(pk, len) | msgpack_pack_bin_body(pk, b, len);
}

int
cps_wire_builder_new(struct cps_wire_builder **out, const char *programme, const char *partner,
                     uint64_t seq, const uint8_t prev[CPS_CRYPTO_HASH_BYTES], uint64_t ts_ms)
{
    struct cps_wire_builder *b;

    *out = NULL;
    if (strlen(programme) >= CPS_WIRE_PROGRAMME_MAX || strlen(partner) >= CPS_WIRE_ID_MAX)
        return CPS_EMALFORMED;
    if ((b = calloc(1, sizeof *b)) == NULL)
        return -ENOMEM;
    strcpy(b->programme, programme);
    strcpy(b->partner, partner);
    b->seq = seq;
    memcpy(b->prev, prev, sizeof b->prev);
    b->ts_ms = ts_ms;
    msgpack_sbuffer_init(&b->ops);
    msgpack_packer_init(&b->pk, &b->ops, msgpack_sbuffer_write);
    *out = b;
    return 0;
}

void
cps_wire_builder_free(struct cps_wire_builder **b)
{
    if (b == NULL || *b == NULL)
        return;
    msgpack_sbuffer_destroy(&(*b)->ops);
    free(*b);
    *b = NULL;
}

size_t
cps_wire_builder_ops(const struct cps_wire_builder *b)
{
    return b->n_ops;
}

/* Upper bound of the encoded header: array, version, two strings, seq, prev, ts, ops. */
static size_t
header_bound(const struct cps_wire_builder *b)
{
    return 1 + 9 + (5 + strlen(b->programme)) + (5 + strlen(b->partner)) + 9 + 34 + 9 + 5;
}

size_t
cps_wire_builder_size(const struct cps_wire_builder *b)
{
    return header_bound(b) + b->ops.size;
}

int
cps_wire_builder_add(struct cps_wire_builder *b, enum cps_op_kind kind, const char *coll,
                     size_t coll_len, const char *key, size_t key_len, const uint8_t *value,
                     size_t value_len)
{
    size_t op_bound = 1 + 1 + (5 + coll_len) + (5 + key_len) + (5 + value_len);
    size_t before = b->ops.size;
    int rc;

    if (b->n_ops >= CPS_WIRE_MAX_OPS ||
        cps_wire_builder_size(b) + op_bound > CPS_WIRE_MAX_BODY)
        return CPS_ETOOBIG;
    rc = msgpack_pack_array(&b->pk, 4);
    rc |= msgpack_pack_uint8(&b->pk, (uint8_t)kind);
    rc |= pack_str(&b->pk, coll, coll_len);
    rc |= pack_str(&b->pk, key, key_len);
    if (kind == CPS_OP_PUT)
        rc |= pack_bin(&b->pk, value, value_len);
    else
        rc |= msgpack_pack_nil(&b->pk);
    if (rc != 0) {
        b->ops.size = before; /* keep the builder as it was */
        return -ENOMEM;
    }
    b->n_ops++;
    return 0;
}

int
cps_wire_builder_finish(struct cps_wire_builder *b, const struct cps_keys *keys, uint8_t **out,
                        size_t *out_len)
{
    msgpack_sbuffer body, sgn;
    msgpack_packer pk;
    uint8_t sig[CPS_CRYPTO_SIG_BYTES];
    int rc;

    *out = NULL;
    msgpack_sbuffer_init(&body);
    msgpack_sbuffer_init(&sgn);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    rc = msgpack_pack_array(&pk, BODY_FIELDS);
    rc |= msgpack_pack_uint32(&pk, CPS_WIRE_VERSION);
    rc |= pack_str(&pk, b->programme, strlen(b->programme));
    rc |= pack_str(&pk, b->partner, strlen(b->partner));
    rc |= msgpack_pack_uint64(&pk, b->seq);
    rc |= pack_bin(&pk, b->prev, sizeof b->prev);
    rc |= msgpack_pack_uint64(&pk, b->ts_ms);
    rc |= msgpack_pack_array(&pk, (uint32_t)b->n_ops);
    if (b->ops.size > 0)
        rc |= msgpack_sbuffer_write(&body, b->ops.data, b->ops.size);
    if (rc != 0) {
        rc = -ENOMEM;
        goto done;
    }
    /* signatures cover the body bytes as stored: the body is never re-encoded */
    if ((rc = cps_crypto_sign(keys, CPS_WIRE_DOMAIN_UPDATE, (const uint8_t *)body.data,
                              body.size, sig)) != 0)
        goto done;
    msgpack_packer_init(&pk, &sgn, msgpack_sbuffer_write);
    rc = msgpack_pack_array(&pk, 2);
    rc |= pack_bin(&pk, body.data, body.size);
    rc |= pack_bin(&pk, sig, sizeof sig);
    if (rc != 0) {
        rc = -ENOMEM;
        goto done;
    }
    *out_len = sgn.size;
    *out = (uint8_t *)msgpack_sbuffer_release(&sgn);
done:
    msgpack_sbuffer_destroy(&body);
    msgpack_sbuffer_destroy(&sgn);
    return rc;
}

/* Unpack exactly one object filling all of buf, after the bounds walker has passed it. */
static int
unpack_all(msgpack_unpacked *res, const uint8_t *buf, size_t len)
{
    size_t used = 0, off = 0;

    if (cps_value_check(buf, len, WIRE_DEPTH, &used) != 0 || used != len)
        return CPS_EMALFORMED;
    msgpack_unpacked_init(res);
    if (msgpack_unpack_next(res, (const char *)buf, len, &off) != MSGPACK_UNPACK_SUCCESS ||
        off != len) {
        msgpack_unpacked_destroy(res);
        return CPS_EMALFORMED;
    }
    return 0;
}

static bool
get_u64(const msgpack_object *o, uint64_t *v)
{
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return false;
    *v = o->via.u64;
    return true;
}

/* Copy a string field into a fixed buffer: non-empty, fits, no NUL inside. */
static bool
get_id(const msgpack_object *o, char *dst, size_t dst_len)
{
    if (o->type != MSGPACK_OBJECT_STR || o->via.str.size == 0 || o->via.str.size >= dst_len ||
        memchr(o->via.str.ptr, 0, o->via.str.size) != NULL)
        return false;
    memcpy(dst, o->via.str.ptr, o->via.str.size);
    dst[o->via.str.size] = 0;
    return true;
}

static bool
get_bin(const msgpack_object *o, const uint8_t **p, size_t *len)
{
    if (o->type != MSGPACK_OBJECT_BIN)
        return false;
    *p = (const uint8_t *)o->via.bin.ptr;
    *len = o->via.bin.size;
    return true;
}

static bool
get_str(const msgpack_object *o, const char **p, size_t *len)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return false;
    *p = o->via.str.ptr;
    *len = o->via.str.size;
    return true;
}

void
cps_wire_update_free(struct cps_update **up)
{
    if (up == NULL || *up == NULL)
        return;
    free((*up)->ops);
    free((*up)->signed_bytes);
    free(*up);
    *up = NULL;
}

static int
decode_op(struct cps_op *op, const msgpack_object *o)
{
    const msgpack_object *f;
    uint64_t kind;
    size_t used;

    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 4)
        return CPS_EMALFORMED;
    f = o->via.array.ptr;
    if (!get_u64(&f[0], &kind) || kind > CPS_OP_DEL || !get_str(&f[1], &op->coll, &op->coll_len) ||
        !get_str(&f[2], &op->key, &op->key_len))
        return CPS_EMALFORMED;
    op->kind = (enum cps_op_kind)kind;
    if (op->kind == CPS_OP_DEL) {
        if (f[3].type != MSGPACK_OBJECT_NIL)
            return CPS_EMALFORMED;
        op->value = NULL;
        op->value_len = 0;
        return 0;
    }
    if (!get_bin(&f[3], &op->value, &op->value_len) || op->value_len == 0)
        return CPS_EMALFORMED;
    /* the value is itself one msgpack object, bounded like any other input */
    if (cps_value_check(op->value, op->value_len, CPS_VALUE_MAX_DEPTH, &used) != 0 ||
        used != op->value_len)
        return CPS_EMALFORMED;
    return 0;
}

static int
decode_body(struct cps_update *up)
{
    msgpack_unpacked res;
    const msgpack_object *f;
    const uint8_t *prev;
    uint64_t version;
    size_t prev_len, i;
    int rc;

    if ((rc = unpack_all(&res, up->body, up->body_len)) != 0)
        return rc;
    rc = CPS_EMALFORMED;
    if (res.data.type != MSGPACK_OBJECT_ARRAY || res.data.via.array.size < 1)
        goto done;
    f = res.data.via.array.ptr;
    if (!get_u64(&f[0], &version))
        goto done;
    if (version != CPS_WIRE_VERSION) {
        rc = CPS_EVERSION;
        goto done;
    }
    if (res.data.via.array.size != BODY_FIELDS ||
        !get_id(&f[1], up->programme, sizeof up->programme) ||
        !get_id(&f[2], up->partner, sizeof up->partner) || !get_u64(&f[3], &up->seq) ||
        up->seq == 0 || !get_bin(&f[4], &prev, &prev_len) || prev_len != sizeof up->prev ||
        !get_u64(&f[5], &up->ts_ms) || f[6].type != MSGPACK_OBJECT_ARRAY)
        goto done;
    up->version = (uint32_t)version;
    memcpy(up->prev, prev, sizeof up->prev);
    if (f[6].via.array.size > CPS_WIRE_MAX_OPS) {
        rc = CPS_ETOOBIG;
        goto done;
    }
    up->n_ops = f[6].via.array.size;
    if (up->n_ops > 0 && (up->ops = calloc(up->n_ops, sizeof *up->ops)) == NULL) {
        rc = -ENOMEM;
        goto done;
    }
    for (i = 0; i < up->n_ops; i++)
        if ((rc = decode_op(&up->ops[i], &f[6].via.array.ptr[i])) != 0)
            goto done;
    rc = 0;
done:
    msgpack_unpacked_destroy(&res);
    return rc;
}

int
cps_wire_decode_update(struct cps_update **out, const uint8_t *buf, size_t len)
{
    struct cps_update *up;
    msgpack_unpacked res;
    const msgpack_object *f;
    size_t sig_len;
    int rc;

    *out = NULL;
    if (len > CPS_WIRE_MAX_SIGNED)
        return CPS_ETOOBIG;
    if ((up = calloc(1, sizeof *up)) == NULL)
        return -ENOMEM;
    if ((up->signed_bytes = malloc(len > 0 ? len : 1)) == NULL) {
        free(up);
        return -ENOMEM;
    }
    memcpy(up->signed_bytes, buf, len);
    up->signed_len = len;
    if ((rc = unpack_all(&res, up->signed_bytes, len)) != 0)
        goto fail;
    rc = CPS_EMALFORMED;
    if (res.data.type == MSGPACK_OBJECT_ARRAY && res.data.via.array.size == 2) {
        f = res.data.via.array.ptr;
        if (get_bin(&f[0], &up->body, &up->body_len) && get_bin(&f[1], &up->sig, &sig_len) &&
            sig_len == CPS_CRYPTO_SIG_BYTES)
            rc = 0;
    }
    msgpack_unpacked_destroy(&res);
    if (rc != 0)
        goto fail;
    if (up->body_len > CPS_WIRE_MAX_BODY) {
        rc = CPS_ETOOBIG;
        goto fail;
    }
    if ((rc = decode_body(up)) != 0)
        goto fail;
    *out = up;
    return 0;
fail:
    cps_wire_update_free(&up);
    return rc;
}

int
cps_wire_verify_update(const struct cps_update *up, const uint8_t sign_pk[CPS_CRYPTO_PK_BYTES])
{
    return cps_crypto_verify(sign_pk, CPS_WIRE_DOMAIN_UPDATE, up->body, up->body_len, up->sig);
}

void
cps_wire_update_hash(const uint8_t *signed_bytes, size_t len, uint8_t out[CPS_CRYPTO_HASH_BYTES])
{
    cps_crypto_sha256(signed_bytes, len, out);
}

/* CPS_E* code to its positive wire code; 0 stays 0. */
static uint32_t
wire_code(int code)
{
    return code == 0 ? 0 : (uint32_t)CPS_WIRE_CODE(code);
}

static int
finish(msgpack_sbuffer *sb, int rc, uint8_t **out, size_t *out_len)
{
    if (rc != 0) {
        msgpack_sbuffer_destroy(sb);
        return -ENOMEM;
    }
    *out_len = sb->size;
    *out = (uint8_t *)msgpack_sbuffer_release(sb);
    msgpack_sbuffer_destroy(sb);
    return 0;
}

/* An array of 32-byte hashes (a proof). */
static int
pack_hashes(msgpack_packer *pk, const uint8_t *const *h, size_t n)
{
    int rc = msgpack_pack_array(pk, (uint32_t)n);
    size_t i;

    for (i = 0; i < n; i++)
        rc |= pack_bin(pk, h[i], CPS_CRYPTO_HASH_BYTES);
    return rc;
}

static bool
get_hashes(const msgpack_object *o, const uint8_t **h, size_t *n)
{
    size_t i;

    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size > CPS_WIRE_MAX_PROOF)
        return false;
    for (i = 0; i < o->via.array.size; i++) {
        size_t len;

        if (!get_bin(&o->via.array.ptr[i], &h[i], &len) || len != CPS_CRYPTO_HASH_BYTES)
            return false;
    }
    *n = o->via.array.size;
    return true;
}

static bool
get_entries(const msgpack_object *o, struct cps_msg *m)
{
    size_t i;

    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size > CPS_WIRE_PULL_MAX_ENTRIES)
        return false;
    for (i = 0; i < o->via.array.size; i++)
        if (!get_bin(&o->via.array.ptr[i], &m->entries[i].data, &m->entries[i].len))
            return false;
    m->n_entries = o->via.array.size;
    return true;
}

int
cps_wire_encode_msg(const struct cps_msg *m, uint8_t **out, size_t *out_len)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    int rc;

    *out = NULL;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    switch (m->type) {
    case CPS_MSG_HELLO:
        rc = msgpack_pack_array(&pk, 5) | msgpack_pack_uint8(&pk, CPS_MSG_HELLO) |
             pack_str(&pk, m->partner, strlen(m->partner)) |
             msgpack_pack_uint32(&pk, m->version) | msgpack_pack_uint64(&pk, m->seq) |
             msgpack_pack_uint64(&pk, m->depth);
        break;
    case CPS_MSG_WELCOME:
        rc = msgpack_pack_array(&pk, 4) | msgpack_pack_uint8(&pk, CPS_MSG_WELCOME) |
             pack_str(&pk, m->partner, strlen(m->partner)) | msgpack_pack_uint64(&pk, m->seq) |
             msgpack_pack_uint64(&pk, m->index);
        break;
    case CPS_MSG_UPDATE:
        rc = msgpack_pack_array(&pk, 4) | msgpack_pack_uint8(&pk, CPS_MSG_UPDATE) |
             pack_str(&pk, m->partner, strlen(m->partner)) | msgpack_pack_uint64(&pk, m->seq) |
             pack_bin(&pk, m->payload, m->payload_len);
        break;
    case CPS_MSG_ACK:
        rc = msgpack_pack_array(&pk, 6) | msgpack_pack_uint8(&pk, CPS_MSG_ACK) |
             msgpack_pack_uint64(&pk, m->seq) | msgpack_pack_uint64(&pk, m->index) |
             msgpack_pack_uint8(&pk, (uint8_t)m->status) |
             msgpack_pack_uint32(&pk, wire_code(m->code)) |
             pack_str(&pk, m->text, m->text_len);
        break;
    case CPS_MSG_REFUSE:
        rc = msgpack_pack_array(&pk, 5) | msgpack_pack_uint8(&pk, CPS_MSG_REFUSE) |
             msgpack_pack_uint64(&pk, m->seq) |
             msgpack_pack_uint32(&pk, wire_code(m->code)) |
             pack_str(&pk, m->text, m->text_len) | msgpack_pack_uint64(&pk, m->expected);
        break;
    case CPS_MSG_PULL:
        rc = msgpack_pack_array(&pk, 4) | msgpack_pack_uint8(&pk, CPS_MSG_PULL) |
             pack_str(&pk, m->partner, strlen(m->partner)) | msgpack_pack_uint64(&pk, m->seq) |
             msgpack_pack_uint64(&pk, m->index);
        break;
    case CPS_MSG_ENTRIES:
        rc = msgpack_pack_array(&pk, 7) | msgpack_pack_uint8(&pk, CPS_MSG_ENTRIES) |
             msgpack_pack_uint64(&pk, m->seq) | msgpack_pack_array(&pk, (uint32_t)m->n_entries);
        for (size_t i = 0; i < m->n_entries; i++)
            rc |= pack_bin(&pk, m->entries[i].data, m->entries[i].len);
        rc |= pack_str(&pk, m->note, m->note_len) | pack_hashes(&pk, m->proof, m->n_proof) |
              pack_hashes(&pk, m->proof2, m->n_proof2) |
              pack_str(&pk, m->roster != NULL ? m->roster : "", m->roster_len);
        break;
    case CPS_MSG_PROVE:
        rc = msgpack_pack_array(&pk, 5) | msgpack_pack_uint8(&pk, CPS_MSG_PROVE) |
             pack_str(&pk, m->partner, strlen(m->partner)) |
             msgpack_pack_uint8(&pk, (uint8_t)m->status) | msgpack_pack_uint64(&pk, m->seq) |
             msgpack_pack_uint64(&pk, m->index);
        break;
    case CPS_MSG_PROOF:
        rc = msgpack_pack_array(&pk, 6) | msgpack_pack_uint8(&pk, CPS_MSG_PROOF) |
             msgpack_pack_uint8(&pk, (uint8_t)m->status) | msgpack_pack_uint64(&pk, m->seq) |
             msgpack_pack_uint64(&pk, m->index) | pack_hashes(&pk, m->proof, m->n_proof) |
             pack_str(&pk, m->note, m->note_len);
        break;
    default:
        msgpack_sbuffer_destroy(&sb);
        return CPS_EMALFORMED;
    }
    return finish(&sb, rc, out, out_len);
}

/* Wire code (positive) back to CPS_E*; 0 stays 0; unknown codes are kept malformed-safe. */
static bool
get_code(const msgpack_object *o, int *code)
{
    uint64_t c;

    if (!get_u64(o, &c) || c > 999)
        return false;
    *code = c == 0 ? 0 : -(int)c - 1000;
    return true;
}

int
cps_wire_decode_msg(struct cps_msg *m, const uint8_t *buf, size_t len)
{
    msgpack_unpacked res;
    const msgpack_object *f;
    uint64_t type, v = 0;
    uint32_t n;
    bool ok = false;
    int rc;

    memset(m, 0, sizeof *m);
    if (len > CPS_WIRE_MAX_DOWN_FRAME)
        return CPS_ETOOBIG;
    if ((rc = unpack_all(&res, buf, len)) != 0)
        return rc;
    if (res.data.type != MSGPACK_OBJECT_ARRAY || res.data.via.array.size < 1)
        goto done;
    f = res.data.via.array.ptr;
    n = res.data.via.array.size;
    if (!get_u64(&f[0], &type))
        goto done;
    m->type = (enum cps_msg_type)type;
    switch (type) {
    case CPS_MSG_HELLO:
        ok = n == 5 && get_id(&f[1], m->partner, sizeof m->partner) && get_u64(&f[2], &v) &&
             v <= UINT32_MAX && get_u64(&f[3], &m->seq) && get_u64(&f[4], &m->depth);
        m->version = (uint32_t)v;
        break;
    case CPS_MSG_WELCOME:
        ok = n == 4 && get_id(&f[1], m->partner, sizeof m->partner) &&
             get_u64(&f[2], &m->seq) && get_u64(&f[3], &m->index);
        break;
    case CPS_MSG_UPDATE:
        ok = n == 4 && get_id(&f[1], m->partner, sizeof m->partner) &&
             get_u64(&f[2], &m->seq) && get_bin(&f[3], &m->payload, &m->payload_len);
        break;
    case CPS_MSG_ACK:
        ok = n == 6 && get_u64(&f[1], &m->seq) && get_u64(&f[2], &m->index) &&
             get_u64(&f[3], &v) && v <= CPS_ACK_REJECTED && get_code(&f[4], &m->code) &&
             get_str(&f[5], &m->text, &m->text_len);
        m->status = (int)v;
        break;
    case CPS_MSG_REFUSE:
        ok = n == 5 && get_u64(&f[1], &m->seq) && get_code(&f[2], &m->code) &&
             get_str(&f[3], &m->text, &m->text_len) && get_u64(&f[4], &m->expected);
        break;
    case CPS_MSG_PULL:
        ok = n == 4 && get_id(&f[1], m->partner, sizeof m->partner) &&
             get_u64(&f[2], &m->seq) && get_u64(&f[3], &m->index);
        break;
    case CPS_MSG_ENTRIES:
        ok = n == 7 && get_u64(&f[1], &m->seq) && get_entries(&f[2], m) &&
             get_str(&f[3], &m->note, &m->note_len) &&
             get_hashes(&f[4], m->proof, &m->n_proof) &&
             get_hashes(&f[5], m->proof2, &m->n_proof2) &&
             get_str(&f[6], &m->roster, &m->roster_len);
        break;
    case CPS_MSG_PROVE:
        ok = n == 5 && get_id(&f[1], m->partner, sizeof m->partner) && get_u64(&f[2], &v) &&
             (v == CPS_PROOF_INCLUSION || v == CPS_PROOF_CONSISTENCY) &&
             get_u64(&f[3], &m->seq) && get_u64(&f[4], &m->index);
        m->status = (int)v;
        break;
    case CPS_MSG_PROOF:
        ok = n == 6 && get_u64(&f[1], &v) &&
             (v == CPS_PROOF_INCLUSION || v == CPS_PROOF_CONSISTENCY) &&
             get_u64(&f[2], &m->seq) && get_u64(&f[3], &m->index) &&
             get_hashes(&f[4], m->proof, &m->n_proof) && get_str(&f[5], &m->note, &m->note_len);
        m->status = (int)v;
        break;
    default:
        break;
    }
done:
    msgpack_unpacked_destroy(&res);
    return ok ? 0 : CPS_EMALFORMED;
}

int
cps_wire_encode_entry(const struct cps_entry *e, uint8_t **out, size_t *out_len)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    int rc;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    rc = msgpack_pack_array(&pk, 5) | pack_bin(&pk, e->signed_bytes, e->signed_len) |
         msgpack_pack_uint8(&pk, (uint8_t)e->status) |
         msgpack_pack_uint32(&pk, wire_code(e->code)) |
         pack_str(&pk, e->reason, e->reason_len) | msgpack_pack_uint64(&pk, e->received_ms);
    return finish(&sb, rc, out, out_len);
}

int
cps_wire_decode_entry(struct cps_entry *e, const uint8_t *buf, size_t len)
{
    msgpack_unpacked res;
    const msgpack_object *f;
    uint64_t status = 0;
    bool ok = false;
    int rc;

    memset(e, 0, sizeof *e);
    if ((rc = unpack_all(&res, buf, len)) != 0)
        return rc;
    if (res.data.type == MSGPACK_OBJECT_ARRAY && res.data.via.array.size == 5) {
        f = res.data.via.array.ptr;
        ok = get_bin(&f[0], &e->signed_bytes, &e->signed_len) && get_u64(&f[1], &status) &&
             status <= CPS_ACK_REJECTED && get_code(&f[2], &e->code) &&
             get_str(&f[3], &e->reason, &e->reason_len) && get_u64(&f[4], &e->received_ms);
        e->status = (int)status;
    }
    msgpack_unpacked_destroy(&res);
    return ok ? 0 : CPS_EMALFORMED;
}

int
cps_wire_encode_pstate(const struct cps_pstate *p, uint8_t **out, size_t *out_len)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    int rc;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    rc = msgpack_pack_array(&pk, 7) | msgpack_pack_uint64(&pk, p->last_seq) |
         pack_bin(&pk, p->last_hash, sizeof p->last_hash) |
         msgpack_pack_uint64(&pk, p->last_seen_ms) | msgpack_pack_uint64(&pk, p->accepted) |
         msgpack_pack_uint64(&pk, p->rejected) | msgpack_pack_uint64(&pk, p->last_index) |
         msgpack_pack_uint64(&pk, p->outbox_depth);
    return finish(&sb, rc, out, out_len);
}

int
cps_wire_decode_pstate(struct cps_pstate *p, const uint8_t *buf, size_t len)
{
    msgpack_unpacked res;
    const msgpack_object *f;
    const uint8_t *h;
    size_t h_len;
    bool ok = false;
    int rc;

    memset(p, 0, sizeof *p);
    if ((rc = unpack_all(&res, buf, len)) != 0)
        return rc;
    if (res.data.type == MSGPACK_OBJECT_ARRAY && res.data.via.array.size == 7) {
        f = res.data.via.array.ptr;
        ok = get_u64(&f[0], &p->last_seq) && get_bin(&f[1], &h, &h_len) &&
             h_len == sizeof p->last_hash && get_u64(&f[2], &p->last_seen_ms) &&
             get_u64(&f[3], &p->accepted) && get_u64(&f[4], &p->rejected) &&
             get_u64(&f[5], &p->last_index) && get_u64(&f[6], &p->outbox_depth);
        if (ok)
            memcpy(p->last_hash, h, sizeof p->last_hash);
    }
    msgpack_unpacked_destroy(&res);
    return ok ? 0 : CPS_EMALFORMED;
}
