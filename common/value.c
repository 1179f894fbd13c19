/* SPDX-License-Identifier: ISC */
/*
 * value: the bounds walker every msgpack decoder runs first, and record values between
 * JSON and msgpack. cps_value_check() is hand-written and allocation-free so that it is safe
 * on any input; only bytes it accepted reach msgpack-c's unpacker. JSON is read with jansson;
 * JSON is written by a small emitter of our own, because jansson prints every real with 17
 * significant digits (1234.56 becomes 1234.5599999999999) while we print the shortest text
 * that reads back to the same double. Signing, storing and schema rules are left to others.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <msgpack.h>

#include "cps/value.h"
#include "internal.h"

/* cps_value_check() keeps one pending count per open container on the C stack. */
#define CHECK_STACK 64

#define TIMESTAMP_EXT (-1)

enum kind { K_SCALAR, K_STR, K_BIN, K_EXT, K_ARRAY, K_MAP, K_BAD };

/* One decoded msgpack header: hlen header bytes, then n payload bytes (or n elements). */
struct head {
    enum kind kind;
    size_t hlen;
    uint64_t n;
    int8_t ext_type;
};

static uint64_t
be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    size_t i;

    for (i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Decode the header at p (avail bytes). Returns 0, or -1 if it is cut short or 0xc1. */
static int
head(const uint8_t *p, size_t avail, struct head *h)
{
    uint8_t b;
    size_t w;

    if (avail < 1)
        return -1;
    b = p[0];
    h->hlen = 1;
    h->n = 0;
    h->ext_type = 0;
    h->kind = K_SCALAR;
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
        return 0;
    if (b <= 0x8f) {
        h->kind = K_MAP;
        h->n = b & 0x0f;
        return 0;
    }
    if (b <= 0x9f) {
        h->kind = K_ARRAY;
        h->n = b & 0x0f;
        return 0;
    }
    if (b <= 0xbf) {
        h->kind = K_STR;
        h->n = b & 0x1f;
        return 0;
    }
    switch (b) {
    case 0xc4:
    case 0xc5:
    case 0xc6: /* bin 8/16/32 */
        w = (size_t)1 << (b - 0xc4);
        if (avail < 1 + w)
            return -1;
        h->kind = K_BIN;
        h->hlen = 1 + w;
        h->n = be(p + 1, w);
        return 0;
    case 0xc7:
    case 0xc8:
    case 0xc9: /* ext 8/16/32: length, then type */
        w = (size_t)1 << (b - 0xc7);
        if (avail < 2 + w)
            return -1;
        h->kind = K_EXT;
        h->hlen = 2 + w;
        h->n = be(p + 1, w);
        h->ext_type = (int8_t)p[1 + w];
        return 0;
    case 0xca:
        h->n = 4;
        return 0;
    case 0xcb:
        h->n = 8;
        return 0;
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf:
        h->n = (uint64_t)1 << (b - 0xcc);
        return 0;
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3:
        h->n = (uint64_t)1 << (b - 0xd0);
        return 0;
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8: /* fixext 1..16 */
        if (avail < 2)
            return -1;
        h->kind = K_EXT;
        h->hlen = 2;
        h->n = (uint64_t)1 << (b - 0xd4);
        h->ext_type = (int8_t)p[1];
        return 0;
    case 0xd9:
    case 0xda:
    case 0xdb: /* str 8/16/32 */
        w = (size_t)1 << (b - 0xd9);
        if (avail < 1 + w)
            return -1;
        h->kind = K_STR;
        h->hlen = 1 + w;
        h->n = be(p + 1, w);
        return 0;
    case 0xdc:
    case 0xdd: /* array 16/32 */
        w = (size_t)2 << (b - 0xdc);
        if (avail < 1 + w)
            return -1;
        h->kind = K_ARRAY;
        h->hlen = 1 + w;
        h->n = be(p + 1, w);
        return 0;
    case 0xde:
    case 0xdf: /* map 16/32 */
        w = (size_t)2 << (b - 0xde);
        if (avail < 1 + w)
            return -1;
        h->kind = K_MAP;
        h->hlen = 1 + w;
        h->n = be(p + 1, w);
        return 0;
    default: /* 0xc1: never used */
        h->kind = K_BAD;
        return -1;
    }
}

/* The timestamp extension has three layouts and nanoseconds below one second. */
static int
timestamp_ok(const uint8_t *p, uint64_t n)
{
    if (n == 4)
        return 1;
    if (n == 8)
        return (be(p, 4) >> 2) <= 999999999u;
    if (n == 12)
        return be(p, 4) <= 999999999u;
    return 0;
}

int
cps_value_check(const uint8_t *buf, size_t len, unsigned max_depth, size_t *used)
{
    uint64_t pending[CHECK_STACK];
    unsigned depth = 0;
    size_t pos = 0, rem;
    struct head h;
    uint64_t items;

    if (used != NULL)
        *used = 0;
    if (buf == NULL)
        return CPS_EMALFORMED;
    if (max_depth > CHECK_STACK)
        max_depth = CHECK_STACK;
    for (;;) {
        if (head(buf + pos, len - pos, &h) != 0)
            return CPS_EMALFORMED;
        pos += h.hlen;
        rem = len - pos;
        if (h.kind == K_ARRAY || h.kind == K_MAP) {
            /* every element takes at least one byte: no count may promise more */
            items = h.kind == K_MAP ? h.n * 2 : h.n;
            if (items > rem || depth >= max_depth)
                return CPS_EMALFORMED;
            if (items > 0) {
                pending[depth++] = items;
                continue;
            }
        } else {
            if (h.n > rem)
                return CPS_EMALFORMED;
            if (h.kind == K_EXT && h.ext_type == TIMESTAMP_EXT && !timestamp_ok(buf + pos, h.n))
                return CPS_EMALFORMED;
            pos += (size_t)h.n;
        }
        /* one object is complete: it may complete its parents too */
        while (depth > 0 && --pending[depth - 1] == 0)
            depth--;
        if (depth == 0)
            break;
    }
    if (used != NULL)
        *used = pos;
    return 0;
}

/* --- JSON -> msgpack ------------------------------------------------------------------- */

static int
pack_json(msgpack_packer *pk, const json_t *j, unsigned depth, char *err, size_t err_len)
{
    const char *k;
    size_t i, klen, n;
    json_t *v;
    void *it;
    int rc;

    switch (json_typeof(j)) {
    case JSON_OBJECT:
    case JSON_ARRAY:
        if (depth >= CPS_VALUE_MAX_DEPTH) {
            cps_seterr(err, err_len, "nesting deeper than %d levels", CPS_VALUE_MAX_DEPTH);
            return CPS_EMALFORMED;
        }
        if (json_is_array(j)) {
            n = json_array_size(j);
            if (msgpack_pack_array(pk, n) != 0)
                return -ENOMEM;
            for (i = 0; i < n; i++)
                if ((rc = pack_json(pk, json_array_get(j, i), depth + 1, err, err_len)) != 0)
                    return rc;
            return 0;
        }
        if (msgpack_pack_map(pk, json_object_size(j)) != 0)
            return -ENOMEM;
        /* jansson keeps members in insertion order, which is the file's order */
        for (it = json_object_iter((json_t *)j); it != NULL;
             it = json_object_iter_next((json_t *)j, it)) {
            k = json_object_iter_key(it);
            klen = json_object_iter_key_len(it);
            v = json_object_iter_value(it);
            if (msgpack_pack_str(pk, klen) != 0 || msgpack_pack_str_body(pk, k, klen) != 0)
                return -ENOMEM;
            if ((rc = pack_json(pk, v, depth + 1, err, err_len)) != 0)
                return rc;
        }
        return 0;
    case JSON_STRING:
        n = json_string_length(j);
        if (msgpack_pack_str(pk, n) != 0 || msgpack_pack_str_body(pk, json_string_value(j), n))
            return -ENOMEM;
        return 0;
    case JSON_INTEGER:
        return msgpack_pack_int64(pk, (int64_t)json_integer_value(j)) != 0 ? -ENOMEM : 0;
    case JSON_REAL:
        return msgpack_pack_double(pk, json_real_value(j)) != 0 ? -ENOMEM : 0;
    case JSON_TRUE:
        return msgpack_pack_true(pk) != 0 ? -ENOMEM : 0;
    case JSON_FALSE:
        return msgpack_pack_false(pk) != 0 ? -ENOMEM : 0;
    case JSON_NULL:
        return msgpack_pack_nil(pk) != 0 ? -ENOMEM : 0;
    }
    return CPS_EINTERNAL;
}

int
cps_value_pack_json(msgpack_packer *pk, const json_t *j, char *err, size_t err_len)
{
    return pack_json(pk, j, 0, err, err_len);
}

int
cps_value_from_json(uint8_t **out, size_t *out_len, const char *json, size_t json_len, char *err,
                    size_t err_len)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    json_error_t je;
    json_t *j;
    int rc;

    *out = NULL;
    *out_len = 0;
    if (json == NULL) {
        cps_seterr(err, err_len, "no JSON text");
        return CPS_EMALFORMED;
    }
    j = json_loadb(json, json_len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    if (j == NULL) {
        cps_seterr(err, err_len, "line %d column %d: %s", je.line, je.column, je.text);
        return CPS_EMALFORMED;
    }
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    rc = pack_json(&pk, j, 0, err, err_len);
    json_decref(j);
    if (rc != 0) {
        msgpack_sbuffer_destroy(&sb);
        return rc;
    }
    *out = (uint8_t *)sb.data; /* sbuffer memory is malloc'd: the caller frees */
    *out_len = sb.size;
    return 0;
}

/* --- msgpack -> JSON ------------------------------------------------------------------- */

enum { STRICT_RECORD = 1 };

bool
cps_value_utf8_ok(const void *text, size_t n, bool allow_nul)
{
    const uint8_t *s = text;
    size_t i = 0, k, need;
    uint32_t cp, min;

    while (i < n) {
        uint8_t c;
        uint64_t w;

        /* eight ASCII bytes without NUL at a time: most text is such */
        while (n - i >= 8) {
            memcpy(&w, s + i, 8);
            if (((w | ((w & 0x7f7f7f7f7f7f7f7full) + 0x7f7f7f7f7f7f7f7full)) &
                 0x8080808080808080ull) != 0x8080808080808080ull ||
                (w & 0x8080808080808080ull) != 0)
                break;
            i += 8;
        }
        if (i == n)
            break;
        c = s[i];
        if (c < 0x80) {
            if (c == 0 && !allow_nul)
                return false;
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            need = 1, cp = c & 0x1f, min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2, cp = c & 0x0f, min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (n - i <= need)
            return false;
        for (k = 1; k <= need; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += need + 1;
    }
    return true;
}

static int
keycmp(const void *a, const void *b)
{
    const msgpack_object_kv *x = *(const msgpack_object_kv *const *)a;
    const msgpack_object_kv *y = *(const msgpack_object_kv *const *)b;
    uint32_t n =
        x->key.via.str.size < y->key.via.str.size ? x->key.via.str.size : y->key.via.str.size;
    int c = n > 0 ? memcmp(x->key.via.str.ptr, y->key.via.str.ptr, n) : 0;

    if (c != 0)
        return c;
    return (x->key.via.str.size > y->key.via.str.size) -
           (x->key.via.str.size < y->key.via.str.size);
}

/* Reports as "field 'name': ..." using the top-level field the problem sits in. */
static int
bad(char *err, size_t err_len, const msgpack_object_str *field, const char *what)
{
    if (field == NULL)
        cps_seterr(err, err_len, "%s", what);
    else
        cps_seterr(err, err_len, "field '%.*s': %s", (int)(field->size > 64 ? 64 : field->size),
                   field->ptr, what);
    return CPS_EMALFORMED;
}

/*
 * Can o travel through JSON? STRICT_RECORD also wants it to come back unchanged: unique
 * keys, no NUL, integers within int64. Recursion is bounded: the bytes passed
 * cps_value_check() with CPS_VALUE_MAX_DEPTH.
 */
static int
json_able(const msgpack_object *o, int flags, const msgpack_object_str *field, char *err,
          size_t err_len)
{
    const msgpack_object_kv **keys;
    uint32_t i;
    int rc;

    switch (o->type) {
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        if ((flags & STRICT_RECORD) && o->via.u64 > INT64_MAX)
            return bad(err, err_len, field, "integer out of range");
        return 0;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        if (!isfinite(o->via.f64))
            return bad(err, err_len, field, "number is not finite");
        return 0;
    case MSGPACK_OBJECT_STR:
        if (!cps_value_utf8_ok(o->via.str.ptr, o->via.str.size, !(flags & STRICT_RECORD)))
            return bad(err, err_len, field, "invalid UTF-8 or NUL in a string");
        return 0;
    case MSGPACK_OBJECT_EXT:
        return bad(err, err_len, field, "msgpack ext types have no JSON form");
    case MSGPACK_OBJECT_ARRAY:
        for (i = 0; i < o->via.array.size; i++)
            if ((rc = json_able(&o->via.array.ptr[i], flags, field, err, err_len)) != 0)
                return rc;
        return 0;
    case MSGPACK_OBJECT_MAP:
        for (i = 0; i < o->via.map.size; i++) {
            const msgpack_object_kv *kv = &o->via.map.ptr[i];

            if (kv->key.type != MSGPACK_OBJECT_STR)
                return bad(err, err_len, field, "map key is not a string");
            if ((rc = json_able(&kv->key, flags, field, err, err_len)) != 0 ||
                (rc = json_able(&kv->val, flags, field != NULL ? field : &kv->key.via.str, err,
                                err_len)) != 0)
                return rc;
        }
        if (!(flags & STRICT_RECORD) || o->via.map.size < 2)
            return 0;
        if ((keys = malloc(o->via.map.size * sizeof *keys)) == NULL)
            return -ENOMEM;
        for (i = 0; i < o->via.map.size; i++)
            keys[i] = &o->via.map.ptr[i];
        qsort(keys, o->via.map.size, sizeof *keys, keycmp);
        rc = 0;
        for (i = 1; i < o->via.map.size && rc == 0; i++)
            if (keycmp(&keys[i - 1], &keys[i]) == 0)
                rc = bad(err, err_len, &keys[i]->key.via.str, "duplicate key");
        free(keys);
        return rc;
    default:
        return 0;
    }
}

/* Check, then unpack exactly one object spanning mp[0..mp_len). */
static int
unpack(msgpack_unpacked *res, const uint8_t *mp, size_t mp_len, int flags, char *err,
       size_t err_len)
{
    size_t used = 0, off = 0;
    msgpack_unpack_return ur;

    if (cps_value_check(mp, mp_len, CPS_VALUE_MAX_DEPTH, &used) != 0) {
        cps_seterr(err, err_len,
                   "not well-formed msgpack (cut short, oversized or nested deeper "
                   "than %d)",
                   CPS_VALUE_MAX_DEPTH);
        return CPS_EMALFORMED;
    }
    if (used != mp_len) {
        cps_seterr(err, err_len, "%zu bytes after the value", mp_len - used);
        return CPS_EMALFORMED;
    }
    ur = msgpack_unpack_next(res, (const char *)mp, mp_len, &off);
    if (ur == MSGPACK_UNPACK_NOMEM_ERROR)
        return -ENOMEM;
    if (ur != MSGPACK_UNPACK_SUCCESS || off != mp_len) {
        cps_seterr(err, err_len, "not well-formed msgpack");
        return CPS_EMALFORMED;
    }
    return json_able(&res->data, flags, NULL, err, err_len);
}

int
cps_value_unpack_record(msgpack_unpacked *res, const uint8_t *mp, size_t mp_len, char *err,
                        size_t err_len)
{
    int rc;

    if ((rc = unpack(res, mp, mp_len, STRICT_RECORD, err, err_len)) != 0)
        return rc;
    if (res->data.type != MSGPACK_OBJECT_MAP) {
        cps_seterr(err, err_len, "expected a map");
        return CPS_EMALFORMED;
    }
    return 0;
}

struct text {
    char *p;
    size_t len, cap;
    int oom;
};

static void
put(struct text *t, const char *s, size_t n)
{
    size_t cap;
    char *p;

    if (t->oom)
        return;
    if (t->cap - t->len <= n) {
        cap = t->cap == 0 ? 256 : t->cap;
        while (cap - t->len <= n)
            cap *= 2;
        if ((p = realloc(t->p, cap)) == NULL) {
            t->oom = 1;
            return;
        }
        t->p = p;
        t->cap = cap;
    }
    if (n > 0) /* msgpack-c gives empty strings a NULL ptr */
        memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = '\0';
}

static void
puts_(struct text *t, const char *s)
{
    put(t, s, strlen(s));
}

static void
put_str(struct text *t, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, start = 0;
    char esc[7];

    put(t, "\"", 1);
    if (n == 0) {
        put(t, "\"", 1);
        return;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *e = NULL;

        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        put(t, s + start, i - start);
        start = i + 1;
        switch (c) {
        case '"':
            e = "\\\"";
            break;
        case '\\':
            e = "\\\\";
            break;
        case '\b':
            e = "\\b";
            break;
        case '\f':
            e = "\\f";
            break;
        case '\n':
            e = "\\n";
            break;
        case '\r':
            e = "\\r";
            break;
        case '\t':
            e = "\\t";
            break;
        default:
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            esc[6] = '\0';
            e = esc;
        }
        puts_(t, e);
    }
    put(t, s + start, n - start);
    put(t, "\"", 1);
}

static void
put_base64(struct text *t, const uint8_t *p, size_t n)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char q[4];
    size_t i;

    put(t, "\"", 1);
    for (i = 0; i + 2 < n; i += 3) {
        q[0] = b64[p[i] >> 2];
        q[1] = b64[(p[i] & 3) << 4 | p[i + 1] >> 4];
        q[2] = b64[(p[i + 1] & 15) << 2 | p[i + 2] >> 6];
        q[3] = b64[p[i + 2] & 63];
        put(t, q, 4);
    }
    if (n - i == 1) {
        q[0] = b64[p[i] >> 2];
        q[1] = b64[(p[i] & 3) << 4];
        q[2] = q[3] = '=';
        put(t, q, 4);
    } else if (n - i == 2) {
        q[0] = b64[p[i] >> 2];
        q[1] = b64[(p[i] & 3) << 4 | p[i + 1] >> 4];
        q[2] = b64[(p[i + 1] & 15) << 2];
        q[3] = '=';
        put(t, q, 4);
    }
    put(t, "\"", 1);
}

/* The shortest %g text that reads back as d, always with a '.' or an exponent. */
static void
put_real(struct text *t, double d)
{
    char buf[40];
    int prec;

    for (prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    if (strpbrk(buf, ".eE") == NULL)
        strcat(buf, ".0"); /* stays a real when read back */
    puts_(t, buf);
}

static void
emit(struct text *t, const msgpack_object *o)
{
    char buf[32];
    uint32_t i;

    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        puts_(t, "null");
        break;
    case MSGPACK_OBJECT_BOOLEAN:
        puts_(t, o->via.boolean ? "true" : "false");
        break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        snprintf(buf, sizeof buf, "%" PRIu64, o->via.u64);
        puts_(t, buf);
        break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        snprintf(buf, sizeof buf, "%" PRId64, o->via.i64);
        puts_(t, buf);
        break;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        put_real(t, o->via.f64);
        break;
    case MSGPACK_OBJECT_STR:
        put_str(t, o->via.str.ptr, o->via.str.size);
        break;
    case MSGPACK_OBJECT_BIN:
        put_base64(t, (const uint8_t *)o->via.bin.ptr, o->via.bin.size);
        break;
    case MSGPACK_OBJECT_ARRAY:
        put(t, "[", 1);
        for (i = 0; i < o->via.array.size; i++) {
            if (i > 0)
                put(t, ",", 1);
            emit(t, &o->via.array.ptr[i]);
        }
        put(t, "]", 1);
        break;
    case MSGPACK_OBJECT_MAP:
        put(t, "{", 1);
        for (i = 0; i < o->via.map.size; i++) {
            if (i > 0)
                put(t, ",", 1);
            emit(t, &o->via.map.ptr[i].key);
            put(t, ":", 1);
            emit(t, &o->via.map.ptr[i].val);
        }
        put(t, "}", 1);
        break;
    default: /* ext: refused by json_able() */
        t->oom = 1;
        break;
    }
}

int
cps_value_to_json(char **out, const uint8_t *mp, size_t mp_len)
{
    msgpack_unpacked res;
    struct text t = {NULL, 0, 0, 0};
    int rc;

    *out = NULL;
    msgpack_unpacked_init(&res);
    if ((rc = unpack(&res, mp, mp_len, 0, NULL, 0)) == 0) {
        emit(&t, &res.data);
        if (t.oom) {
            free(t.p);
            rc = -ENOMEM;
        } else {
            *out = t.p;
        }
    }
    msgpack_unpacked_destroy(&res);
    return rc;
}

int
cps_value_object_json(char **out, const msgpack_object *o)
{
    struct text t = {NULL, 0, 0, 0};

    *out = NULL;
    emit(&t, o);
    if (t.oom || t.p == NULL) {
        free(t.p);
        return -ENOMEM;
    }
    *out = t.p;
    return 0;
}

int
cps_value_get_str(const uint8_t *mp, size_t mp_len, const char *field, const char **s,
                  size_t *s_len)
{
    size_t flen = strlen(field), pos, used;
    struct head h, v;
    uint64_t i;
    int match;

    *s = NULL;
    *s_len = 0;
    if (cps_value_check(mp, mp_len, CPS_VALUE_MAX_DEPTH, NULL) != 0)
        return CPS_EMALFORMED;
    if (head(mp, mp_len, &h) != 0 || h.kind != K_MAP)
        return CPS_EMALFORMED;
    /* the walk above bounded every length and depth: skipping cannot run off the end */
    pos = h.hlen;
    for (i = 0; i < h.n; i++) {
        if (head(mp + pos, mp_len - pos, &v) != 0)
            return CPS_EMALFORMED;
        match = v.kind == K_STR && v.n == flen && memcmp(mp + pos + v.hlen, field, flen) == 0;
        if (cps_value_check(mp + pos, mp_len - pos, CPS_VALUE_MAX_DEPTH, &used) != 0)
            return CPS_EMALFORMED;
        pos += used;
        if (head(mp + pos, mp_len - pos, &v) != 0)
            return CPS_EMALFORMED;
        if (match && v.kind == K_STR) {
            *s = (const char *)mp + pos + v.hlen;
            *s_len = (size_t)v.n;
            return 0;
        }
        /* a field of another type is not a string field: keep looking, then ENOTFOUND */
        if (cps_value_check(mp + pos, mp_len - pos, CPS_VALUE_MAX_DEPTH, &used) != 0)
            return CPS_EMALFORMED;
        pos += used;
    }
    return CPS_ENOTFOUND;
}
