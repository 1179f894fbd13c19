/* SPDX-License-Identifier: ISC */
/*
 * schema: the ClusterPoliSEE collections, who may write them, and the field rules their
 * values must meet, kept in tables so that a rule is one line. One function decides; the
 * node, the hub and the auditor all call it, so they agree. Value bytes are decoded with
 * value.c's record decoder (bounds, string keys, JSON-compatible); storage, signatures and
 * the roster (is the partner active?) are checked by other modules.
 *
 * Cluster development areas (the programme's work-plan matrix), as codes in `area`:
 *   innovation                 1. innovation
 *   rd                         2. R&D driven by cluster development
 *   sustainability             3. sustainability through cluster development
 *   international_cooperation  4. international cooperation of cluster networks
 *   financing                  5. financial structure (cluster financing)
 *   regional_specialisation    6. regional specialisation of clusters
 *   jobs_skills                7. job creation and training for new skills
 */
#include <stdio.h>
#include <string.h>

#include <msgpack.h>

#include "cps/schema.h"
#include "internal.h"

enum ftype {
    F_STR,    /* a string; non-empty when required */
    F_NUMBER, /* an integer or a float */
    F_ENUM,   /* one of choices */
    F_PERIOD, /* YYYY, YYYY-Qn (n 1..4) or YYYY-Hn (n 1..2) */
    F_TIME,   /* RFC 3339 timestamp: YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm) */
};

struct field_rule {
    const char *name;
    enum ftype type;
    int required;               /* optional fields may be absent or nil */
    const char *const *choices; /* F_ENUM: NULL-terminated */
};

struct coll_rule {
    const char *name;
    int programme;                   /* written only by the programme key */
    const struct field_rule *fields; /* NULL: any map with string keys */
};

/* clang-format off */
static const char *const areas[] = {
    "innovation",
    "rd",
    "sustainability",
    "international_cooperation",
    "financing",
    "regional_specialisation",
    "jobs_skills",
    NULL,
};

/* A reported indicator value: one cluster, one area, one period. Other fields are allowed. */
static const struct field_rule indicator_rules[] = {
    {"partner",    F_STR,    1, NULL},
    {"cluster_id", F_STR,    1, NULL},
    {"area",       F_ENUM,   1, areas},
    {"period",     F_PERIOD, 1, NULL},
    {"indicator",  F_STR,    1, NULL},
    {"value",      F_NUMBER, 1, NULL},
    {"unit",       F_STR,    0, NULL},
    {"source",     F_STR,    0, NULL},
    {"updated_at", F_TIME,   0, NULL},
    {"note",       F_STR,    0, NULL},
    {NULL,         F_STR,    0, NULL},
};
/* clang-format on */

static const struct coll_rule colls[] = {
    {"partner", 1, NULL},
    {"period", 1, NULL},
    {"indicator_definition", 1, NULL},
    {"cluster", 0, NULL},
    {"indicator", 0, indicator_rules},
    {"pilot_action", 0, NULL},
    {"policy_lesson", 0, NULL},
};

/* Printable, bounded copy of untrusted bytes for an error message. */
static const char *
show(char *dst, size_t cap, const char *s, size_t n)
{
    size_t i, o = 0, lim = cap - 4;

    for (i = 0; i < n && o < lim; i++)
        dst[o++] = s[i] > 0x20 && s[i] < 0x7f ? s[i] : '?';
    if (i < n) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o] = '\0';
    return dst;
}

static const struct coll_rule *
find(const char *coll, size_t coll_len)
{
    size_t i;

    if (coll == NULL)
        return NULL;
    for (i = 0; i < sizeof colls / sizeof colls[0]; i++)
        if (strlen(colls[i].name) == coll_len && memcmp(colls[i].name, coll, coll_len) == 0)
            return &colls[i];
    return NULL;
}

bool
cps_schema_known(const char *coll, size_t coll_len)
{
    return find(coll, coll_len) != NULL;
}

bool
cps_schema_programme_owned(const char *coll, size_t coll_len)
{
    const struct coll_rule *c = find(coll, coll_len);

    return c != NULL && c->programme;
}

/* 1..256 bytes of printable ASCII without space; '/' separates non-empty segments. */
static int
key_ok(const char *key, size_t n)
{
    size_t i;

    if (key == NULL || n == 0 || n > CPS_SCHEMA_KEY_MAX || key[0] == '/' || key[n - 1] == '/')
        return 0;
    for (i = 0; i < n; i++) {
        if (key[i] <= 0x20 || key[i] >= 0x7f)
            return 0;
        if (key[i] == '/' && key[i + 1] == '/')
            return 0;
    }
    return 1;
}

static int
digits(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int
num2(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

static int
period_ok(const char *s, size_t n)
{
    if (n == 4)
        return digits(s, 4);
    if (n != 7 || !digits(s, 4) || s[4] != '-')
        return 0;
    if (s[5] == 'Q')
        return s[6] >= '1' && s[6] <= '4';
    if (s[5] == 'H')
        return s[6] >= '1' && s[6] <= '2';
    return 0;
}

static int
time_ok(const char *s, size_t n)
{
    size_t i = 19;

    if (n < 20 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
        !digits(s + 8, 2) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2) || s[13] != ':' ||
        !digits(s + 14, 2) || s[16] != ':' || !digits(s + 17, 2))
        return 0;
    if (num2(s + 5) < 1 || num2(s + 5) > 12 || num2(s + 8) < 1 || num2(s + 8) > 31 ||
        num2(s + 11) > 23 || num2(s + 14) > 59 || num2(s + 17) > 60)
        return 0;
    if (s[i] == '.') {
        if (++i >= n || s[i] < '0' || s[i] > '9')
            return 0;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    if (i == n - 1)
        return s[i] == 'Z' || s[i] == 'z';
    return n - i == 6 && (s[i] == '+' || s[i] == '-') && digits(s + i + 1, 2) && s[i + 3] == ':' &&
           digits(s + i + 4, 2) && num2(s + i + 1) <= 23 && num2(s + i + 4) <= 59;
}

static const char *
expected(const struct field_rule *r, char *buf, size_t cap)
{
    size_t i, o;

    switch (r->type) {
    case F_STR:
        return r->required ? "a non-empty string" : "a string";
    case F_NUMBER:
        return "a number";
    case F_PERIOD:
        return "a period YYYY, YYYY-Qn (n 1..4) or YYYY-Hn (n 1..2)";
    case F_TIME:
        return "an RFC 3339 timestamp such as 2024-03-06T14:56:56Z";
    case F_ENUM:
        o = (size_t)snprintf(buf, cap, "one of");
        for (i = 0; r->choices[i] != NULL && o < cap; i++)
            o += (size_t)snprintf(buf + o, cap - o, "%s %s", i > 0 ? "," : "", r->choices[i]);
        return buf;
    }
    return "?";
}

static const msgpack_object *
member(const msgpack_object *map, const char *name)
{
    size_t n = strlen(name);
    uint32_t i;

    for (i = 0; i < map->via.map.size; i++) {
        const msgpack_object_str *k = &map->via.map.ptr[i].key.via.str;

        if (k->size == n && memcmp(k->ptr, name, n) == 0)
            return &map->via.map.ptr[i].val;
    }
    return NULL;
}

/* Does v meet rule r? v is NULL when the field is absent. */
static int
field_ok(const struct field_rule *r, const msgpack_object *v)
{
    const char *s;
    size_t n, i;

    if (v == NULL || v->type == MSGPACK_OBJECT_NIL)
        return !r->required;
    if (r->type == F_NUMBER)
        return v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
               v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER || v->type == MSGPACK_OBJECT_FLOAT32 ||
               v->type == MSGPACK_OBJECT_FLOAT64;
    if (v->type != MSGPACK_OBJECT_STR)
        return 0;
    s = v->via.str.ptr;
    n = v->via.str.size;
    switch (r->type) {
    case F_STR:
        return n > 0 || !r->required;
    case F_PERIOD:
        return period_ok(s, n);
    case F_TIME:
        return time_ok(s, n);
    case F_ENUM:
        for (i = 0; r->choices[i] != NULL; i++)
            if (strlen(r->choices[i]) == n && memcmp(r->choices[i], s, n) == 0)
                return 1;
        return 0;
    default:
        return 0;
    }
}

static int
check_value(const struct coll_rule *c, const char *key, size_t key_len, const uint8_t *value,
            size_t value_len, const char *where, char *err, size_t err_len)
{
    const struct field_rule *r;
    const msgpack_object *v;
    msgpack_unpacked res;
    char why[160], exp[200];
    size_t owner_len;
    int rc;

    if (value_len > CPS_VALUE_MAX_BYTES) {
        cps_seterr(err, err_len, "%s: value: larger than %d bytes", where, CPS_VALUE_MAX_BYTES);
        return CPS_ESCHEMA;
    }
    why[0] = '\0';
    msgpack_unpacked_init(&res);
    if ((rc = cps_value_unpack_record(&res, value, value_len, why, sizeof why)) != 0) {
        if (rc == CPS_EMALFORMED) {
            cps_seterr(err, err_len, "%s: value: %s", where, why);
            rc = CPS_ESCHEMA;
        }
        goto done;
    }
    if (!c->programme && (v = member(&res.data, "partner")) != NULL) {
        /* a partner-owned value that names a partner names the key's owner */
        owner_len = (size_t)((const char *)memchr(key, '/', key_len) - key);
        if (v->type != MSGPACK_OBJECT_STR || v->via.str.size != owner_len ||
            memcmp(v->via.str.ptr, key, owner_len) != 0) {
            cps_seterr(err, err_len, "%s: field 'partner': expected '%.*s', the key's partner",
                       where, (int)owner_len, key);
            rc = CPS_ESCHEMA;
            goto done;
        }
    }
    for (r = c->fields; r != NULL && r->name != NULL; r++) {
        v = member(&res.data, r->name);
        if (!field_ok(r, v)) {
            cps_seterr(err, err_len, "%s: field '%s': %sexpected %s", where, r->name,
                       v == NULL ? "missing, " : "", expected(r, exp, sizeof exp));
            rc = CPS_ESCHEMA;
            goto done;
        }
    }
done:
    msgpack_unpacked_destroy(&res);
    return rc;
}

int
cps_schema_check(const struct cps_schema_writer *w, const char *coll, size_t coll_len,
                 const char *key, size_t key_len, const uint8_t *value, size_t value_len, char *err,
                 size_t err_len)
{
    const char *partner = w != NULL ? w->partner : NULL;
    const struct coll_rule *c;
    char cs[CPS_SCHEMA_COLL_MAX + 4], ks[52], where[sizeof cs + sizeof ks + 1];
    size_t plen;

    if (err != NULL && err_len > 0)
        err[0] = '\0';
    if ((c = find(coll, coll_len)) == NULL) {
        cps_seterr(err, err_len, "unknown collection '%s'",
                   show(cs, sizeof cs, coll != NULL ? coll : "", coll != NULL ? coll_len : 0));
        return CPS_ESCHEMA;
    }
    show(ks, sizeof ks, key != NULL ? key : "", key != NULL ? key_len : 0);
    snprintf(where, sizeof where, "%s %s", c->name, ks);
    if (!key_ok(key, key_len)) {
        cps_seterr(err, err_len,
                   "%s: key: expected 1..%d printable ASCII characters without "
                   "spaces, in non-empty segments separated by '/'",
                   where, CPS_SCHEMA_KEY_MAX);
        return CPS_ESCHEMA;
    }
    if (c->programme && partner != NULL) {
        cps_seterr(err, err_len, "%s: collection '%s' is written only by the programme key", where,
                   c->name);
        return CPS_EOWNER;
    }
    if (!c->programme) {
        if (partner == NULL) {
            cps_seterr(err, err_len,
                       "%s: collection '%s' is written only by the partner that "
                       "owns the record",
                       where, c->name);
            return CPS_EOWNER;
        }
        plen = strlen(partner);
        if (plen == 0 || key_len <= plen + 1 || memcmp(key, partner, plen) != 0 ||
            key[plen] != '/') {
            cps_seterr(err, err_len,
                       "%s: key: expected to start with '%.16s/' (the writer's "
                       "own records)",
                       where, partner);
            return CPS_EOWNER;
        }
    }
    if (value == NULL)
        return 0; /* a delete needs no value */
    return check_value(c, key, key_len, value, value_len, where, err, err_len);
}
