/* SPDX-License-Identifier: ISC */
/*
 * export: walks a records database in key order and writes each row as NDJSON or CSV, with
 * the filters of export.h. The JSON form of a value comes from value; the column order of
 * one collection from schema; countries from the `partner` records and the roster. CSV
 * quoting from libcsv. One collection's CSV reads the matching records twice in the same
 * transaction (the same snapshot): once to learn the extra fields for the header, once to
 * write, so memory stays bounded by the header whatever the number of rows.
 */
#include <csv.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cps/export.h"
#include "cps/roster.h"
#include "cps/schema.h"
#include "cps/value.h"
#include "internal.h"

#define SEEK_MAX 256

int
cps_export_parse_format(const char *s, enum cps_export_format *fmt)
{
    if (strcmp(s, "ndjson") == 0 || strcmp(s, "json") == 0)
        *fmt = CPS_EXPORT_NDJSON;
    else if (strcmp(s, "csv") == 0)
        *fmt = CPS_EXPORT_CSV;
    else
        return CPS_EMALFORMED;
    return 0;
}

/* A partner record's country, for the country filter. */
struct partner_country {
    char id[CPS_ROSTER_ID_MAX];
    char country[3];
};

struct exporter {
    struct cps_txn *txn;
    enum cps_db db;
    FILE *out;
    enum cps_export_format fmt;
    const struct cps_export_filter *f;
    bool by_fields;              /* CSV of one collection: a column per field */
    bool need_obj;               /* records are decoded (area, period, by_fields) */
    int p_first, p_last;         /* the period filter as months since year 0 */
    char p_start[32], p_end[32]; /* ... and as dates, for start/end overlap */
    struct partner_country *pc;  /* every `partner` record's country, in key order */
    size_t n_pc;
    char **extra; /* by_fields: fields outside the schema, sorted, unique */
    size_t n_extra, cap_extra;
    size_t n_fields; /* by_fields: the schema's fields of the collection */
    uint64_t count;
};

/* One record of the walk; obj is its decoded value when ex->need_obj. */
struct rec {
    const char *coll, *key;
    size_t coll_len, key_len;
    const uint8_t *mp;
    size_t mp_len;
    const msgpack_object *obj;
};

static bool
is(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* The first and last month (year * 12 + month - 1) of a period. */
static bool
period_months(const char *s, size_t n, int *first, int *last)
{
    int y;

    if (!cps_schema_period_ok(s, n))
        return false;
    y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    if (n == 4) {
        *first = y * 12;
        *last = *first + 11;
    } else if (s[5] == 'Q') {
        *first = y * 12 + 3 * (s[6] - '1');
        *last = *first + 2;
    } else {
        *first = y * 12 + 6 * (s[6] - '1');
        *last = *first + 5;
    }
    return true;
}

/* A field of a decoded map; NULL when absent. */
static const msgpack_object *
field(const msgpack_object *m, const char *name)
{
    size_t n = strlen(name);
    uint32_t i;

    if (m == NULL || m->type != MSGPACK_OBJECT_MAP)
        return NULL;
    for (i = 0; i < m->via.map.size; i++) {
        const msgpack_object *k = &m->via.map.ptr[i].key;

        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
            memcmp(k->via.str.ptr, name, n) == 0)
            return &m->via.map.ptr[i].val;
    }
    return NULL;
}

static bool
str_is(const msgpack_object *o, const char *lit)
{
    return o != NULL && o->type == MSGPACK_OBJECT_STR && is(o->via.str.ptr, o->via.str.size, lit);
}

/* The record's partner (export.h); false when it has none. */
static bool
rec_partner(const struct rec *r, const char **p, size_t *n)
{
    const char *slash;

    if (is(r->coll, r->coll_len, "partner")) {
        *p = r->key;
        *n = r->key_len;
        return true;
    }
    if (cps_schema_programme_owned(r->coll, r->coll_len) ||
        (slash = memchr(r->key, '/', r->key_len)) == NULL)
        return false;
    *p = r->key;
    *n = (size_t)(slash - r->key);
    return true;
}

static bool
country_is(const struct exporter *ex, const char *p, size_t n)
{
    const struct cps_roster_partner *rp;
    char id[CPS_ROSTER_ID_MAX];
    size_t i;

    if (n >= sizeof id)
        return false;
    for (i = 0; i < ex->n_pc; i++)
        if (is(p, n, ex->pc[i].id))
            return strcmp(ex->pc[i].country, ex->f->country) == 0;
    memcpy(id, p, n);
    id[n] = '\0';
    return ex->f->roster != NULL && (rp = cps_roster_find(ex->f->roster, id)) != NULL &&
           strcmp(rp->country, ex->f->country) == 0;
}

static bool
area_is(const struct exporter *ex, const msgpack_object *obj)
{
    const msgpack_object *a = field(obj, "area"), *as = field(obj, "areas");
    uint32_t i;

    if (a != NULL)
        return str_is(a, ex->f->area);
    if (as == NULL || as->type != MSGPACK_OBJECT_ARRAY)
        return false;
    for (i = 0; i < as->via.array.size; i++)
        if (str_is(&as->via.array.ptr[i], ex->f->area))
            return true;
    return false;
}

/* A date field as text, or NULL. */
static bool
date_of(const msgpack_object *o, char out[11])
{
    if (o == NULL || o->type != MSGPACK_OBJECT_STR || o->via.str.size != 10)
        return false;
    memcpy(out, o->via.str.ptr, 10);
    out[10] = '\0';
    return true;
}

static bool
period_is(const struct exporter *ex, const struct rec *r)
{
    const msgpack_object *p;
    char start[11], end[11];
    int first, last;

    if (is(r->coll, r->coll_len, "period"))
        return period_months(r->key, r->key_len, &first, &last) && first >= ex->p_first &&
               last <= ex->p_last;
    if ((p = field(r->obj, "period")) != NULL)
        return p->type == MSGPACK_OBJECT_STR &&
               period_months(p->via.str.ptr, p->via.str.size, &first, &last) &&
               first >= ex->p_first && last <= ex->p_last;
    if (!date_of(field(r->obj, "start"), start))
        return false;
    /* dates compare as text; "YYYY-MM-31" is on or after any day of its month */
    return strcmp(start, ex->p_end) <= 0 &&
           (!date_of(field(r->obj, "end"), end) || strcmp(end, ex->p_start) >= 0);
}

static bool
matches(const struct exporter *ex, const struct rec *r)
{
    const struct cps_export_filter *f = ex->f;
    const char *p;
    size_t n;

    if (f->partner != NULL || f->country != NULL) {
        if (!rec_partner(r, &p, &n))
            return false;
        if (f->partner != NULL && !is(p, n, f->partner))
            return false;
        if (f->country != NULL && !country_is(ex, p, n))
            return false;
    }
    if (f->area != NULL && !area_is(ex, r->obj))
        return false;
    if (f->period != NULL && !period_is(ex, r))
        return false;
    return true;
}

/*
 * Call fn for every record that passes the filters, in key order. The walk starts at the
 * collection (and partner) asked for and stops past it.
 */
static int
walk(struct exporter *ex, int (*fn)(struct exporter *, const struct rec *))
{
    const struct cps_export_filter *f = ex->f;
    struct cps_cursor *cur = NULL;
    struct cps_val k, v;
    uint8_t seek[SEEK_MAX];
    size_t seek_len = 0, coll_len, partner_len;
    int rc;

    if ((rc = cps_store_cursor_open(ex->txn, ex->db, &cur)) != 0)
        return rc;
    if (f->coll != NULL) {
        /* records are keyed "coll \0 key": start at the collection's first key */
        coll_len = strlen(f->coll);
        partner_len = f->partner != NULL ? strlen(f->partner) : 0;
        if (coll_len + 1 + partner_len + 1 > sizeof seek) {
            cps_store_cursor_close(&cur);
            return 0;
        }
        memcpy(seek, f->coll, coll_len + 1);
        seek_len = coll_len + 1;
        if (f->partner != NULL) {
            memcpy(seek + seek_len, f->partner, partner_len);
            seek_len += partner_len;
            if (strcmp(f->coll, "partner") != 0)
                seek[seek_len++] = '/';
        }
        rc = cps_store_cursor_get(cur, CPS_SEEK_GE, seek, seek_len, &k, &v);
    } else {
        rc = cps_store_cursor_get(cur, CPS_SEEK_FIRST, NULL, 0, &k, &v);
    }
    for (; rc == 0; rc = cps_store_cursor_get(cur, CPS_SEEK_NEXT, NULL, 0, &k, &v)) {
        const char *nul = memchr(k.data, 0, k.len);
        msgpack_unpacked res;
        struct rec r;

        if (nul == NULL) {
            rc = CPS_EMALFORMED;
            break;
        }
        if (seek_len > 0 && (k.len < seek_len || memcmp(k.data, seek, seek_len) != 0))
            break; /* past the collection (and partner) asked for */
        r.coll = k.data;
        r.coll_len = (size_t)(nul - r.coll);
        r.key = nul + 1;
        r.key_len = k.len - r.coll_len - 1;
        r.mp = v.data;
        r.mp_len = v.len;
        r.obj = NULL;
        if (!ex->need_obj) {
            if (matches(ex, &r) && (rc = fn(ex, &r)) != 0)
                break;
            continue;
        }
        msgpack_unpacked_init(&res);
        if ((rc = cps_value_unpack_record(&res, v.data, v.len, NULL, 0)) == 0) {
            r.obj = &res.data;
            if (matches(ex, &r))
                rc = fn(ex, &r);
        }
        msgpack_unpacked_destroy(&res);
        if (rc != 0)
            break;
    }
    cps_store_cursor_close(&cur);
    return rc == CPS_ENOTFOUND ? 0 : rc;
}

/* The country filter's view of the `partner` records (a programme has a few dozen). */
static int
load_countries(struct exporter *ex)
{
    struct cps_cursor *cur = NULL;
    struct cps_val k, v;
    static const char seek[] = "partner";
    int rc;

    if ((rc = cps_store_cursor_open(ex->txn, ex->db, &cur)) != 0)
        return rc;
    for (rc = cps_store_cursor_get(cur, CPS_SEEK_GE, seek, sizeof seek, &k, &v); rc == 0;
         rc = cps_store_cursor_get(cur, CPS_SEEK_NEXT, NULL, 0, &k, &v)) {
        const char *country;
        size_t country_len, id_len = k.len - sizeof seek;
        struct partner_country *pc;

        if (k.len < sizeof seek || memcmp(k.data, seek, sizeof seek) != 0)
            break;
        if (id_len >= CPS_ROSTER_ID_MAX ||
            cps_value_get_str(v.data, v.len, "country", &country, &country_len) != 0 ||
            country_len != 2)
            continue;
        if ((pc = realloc(ex->pc, (ex->n_pc + 1) * sizeof *pc)) == NULL) {
            rc = -ENOMEM;
            break;
        }
        ex->pc = pc;
        pc = &ex->pc[ex->n_pc++];
        memcpy(pc->id, (const char *)k.data + sizeof seek, id_len);
        pc->id[id_len] = '\0';
        memcpy(pc->country, country, 2);
        pc->country[2] = '\0';
    }
    cps_store_cursor_close(&cur);
    return rc == CPS_ENOTFOUND ? 0 : rc;
}

/* A JSON string literal of s[0..len) written to out. */
static int
put_json_string(FILE *out, const char *s, size_t len)
{
    json_t *j = json_stringn(s, len);
    int rc;

    if (j == NULL)
        return CPS_EMALFORMED; /* not UTF-8: schema refuses such keys before they are stored */
    rc = json_dumpf(j, out, JSON_ENCODE_ANY) == 0 ? 0 : -EIO;
    json_decref(j);
    return rc;
}

/* The generic row: NDJSON, or CSV coll,key,partner,value. */
static int
write_row(struct exporter *ex, const struct rec *r)
{
    const char *slash = memchr(r->key, '/', r->key_len);
    size_t partner_len = slash != NULL ? (size_t)(slash - r->key) : 0;
    FILE *out = ex->out;
    char *json = NULL;
    int rc;

    rc = r->obj != NULL ? cps_value_object_json(&json, r->obj)
                        : cps_value_to_json(&json, r->mp, r->mp_len);
    if (rc != 0)
        return rc;
    if (ex->fmt == CPS_EXPORT_NDJSON) {
        if (fputs("{\"coll\":", out) == EOF ||
            (rc = put_json_string(out, r->coll, r->coll_len)) != 0 ||
            fputs(",\"key\":", out) == EOF ||
            (rc = put_json_string(out, r->key, r->key_len)) != 0 ||
            fprintf(out, ",\"value\":%s}\n", json) < 0)
            rc = rc != 0 ? rc : -EIO;
    } else if (csv_fwrite(out, r->coll, r->coll_len) != 0 || fputc(',', out) == EOF ||
               csv_fwrite(out, r->key, r->key_len) != 0 || fputc(',', out) == EOF ||
               csv_fwrite(out, r->key, partner_len) != 0 || fputc(',', out) == EOF ||
               csv_fwrite(out, json, strlen(json)) != 0 || fputs("\r\n", out) == EOF) {
        rc = -EIO;
    }
    free(json);
    if (rc == 0)
        ex->count++;
    return rc;
}

/* A CSV cell, quoted only when libcsv would read it otherwise: a separator, a quote, a
 * line break, or blanks at either end (trimmed from unquoted cells). */
static int
put_cell(FILE *out, const char *s, size_t n)
{
    bool quote = n > 0 && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t');
    size_t i;

    for (i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (quote)
        return csv_fwrite(out, s, n) == 0 ? 0 : -EIO;
    return n == 0 || fwrite(s, 1, n, out) == n ? 0 : -EIO;
}

static bool
schema_field(const struct exporter *ex, const char *s, size_t n)
{
    const char *name;
    size_t i;

    for (i = 0; i < ex->n_fields; i++)
        if ((name = cps_schema_field(ex->f->coll, strlen(ex->f->coll), i)) != NULL &&
            is(s, n, name))
            return true;
    return false;
}

/* strcmp of the NUL-terminated a with s[0..n) (field names hold no NUL). */
static int
name_cmp(const char *a, const char *s, size_t n)
{
    int c = strncmp(a, s, n);

    return c != 0 ? c : a[n] != '\0';
}

/* Binary search for s[0..n) in the sorted extra fields: its index, or where it belongs. */
static size_t
extra_pos(const struct exporter *ex, const char *s, size_t n, bool *found)
{
    size_t lo = 0, hi = ex->n_extra;

    *found = false;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = name_cmp(ex->extra[mid], s, n);

        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* First pass of one collection's CSV: the fields outside the schema. */
static int
learn_fields(struct exporter *ex, const struct rec *r)
{
    const msgpack_object *m = r->obj;
    uint32_t i;

    for (i = 0; i < m->via.map.size; i++) {
        const msgpack_object_str *k = &m->via.map.ptr[i].key.via.str;
        bool found;
        size_t pos;
        char *name, **grown;

        if (schema_field(ex, k->ptr, k->size))
            continue;
        pos = extra_pos(ex, k->ptr, k->size, &found);
        if (found)
            continue;
        if (ex->n_extra == ex->cap_extra) {
            size_t cap = ex->cap_extra == 0 ? 8 : ex->cap_extra * 2;

            if ((grown = realloc(ex->extra, cap * sizeof *grown)) == NULL)
                return -ENOMEM;
            ex->extra = grown;
            ex->cap_extra = cap;
        }
        if ((name = malloc(k->size + 1)) == NULL)
            return -ENOMEM;
        memcpy(name, k->ptr, k->size);
        name[k->size] = '\0';
        memmove(ex->extra + pos + 1, ex->extra + pos, (ex->n_extra - pos) * sizeof *ex->extra);
        ex->extra[pos] = name;
        ex->n_extra++;
    }
    return 0;
}

static const char *
column(const struct exporter *ex, size_t i)
{
    return i < ex->n_fields ? cps_schema_field(ex->f->coll, strlen(ex->f->coll), i)
                            : ex->extra[i - ex->n_fields];
}

static int
write_header(struct exporter *ex)
{
    size_t i;
    int rc;

    if (fputs("key", ex->out) == EOF)
        return -EIO;
    for (i = 0; i < ex->n_fields + ex->n_extra; i++) {
        const char *name = column(ex, i);

        if (fputc(',', ex->out) == EOF || (rc = put_cell(ex->out, name, strlen(name))) != 0)
            return -EIO;
    }
    return fputs("\r\n", ex->out) == EOF ? -EIO : 0;
}

/* Second pass of one collection's CSV: a row per record, a cell per column. */
static int
write_fields_row(struct exporter *ex, const struct rec *r)
{
    size_t i;
    int rc;

    if ((rc = put_cell(ex->out, r->key, r->key_len)) != 0)
        return rc;
    for (i = 0; i < ex->n_fields + ex->n_extra; i++) {
        const msgpack_object *v = field(r->obj, column(ex, i));
        char *json = NULL;

        if (fputc(',', ex->out) == EOF)
            return -EIO;
        if (v == NULL || v->type == MSGPACK_OBJECT_NIL)
            continue; /* an empty cell: absent */
        if (v->type == MSGPACK_OBJECT_STR) {
            rc = put_cell(ex->out, v->via.str.ptr, v->via.str.size);
        } else if ((rc = cps_value_object_json(&json, v)) == 0) {
            rc = put_cell(ex->out, json, strlen(json));
            free(json);
        }
        if (rc != 0)
            return rc;
    }
    if (fputs("\r\n", ex->out) == EOF)
        return -EIO;
    ex->count++;
    return 0;
}

int
cps_export_records(struct cps_txn *txn, enum cps_db db, FILE *out, enum cps_export_format fmt,
                   const struct cps_export_filter *filter, uint64_t *count)
{
    struct exporter ex = {
        .txn = txn,
        .db = db,
        .out = out,
        .fmt = fmt,
        .f = filter,
    };
    size_t i;
    int rc = 0;

    *count = 0;
    ex.by_fields = fmt == CPS_EXPORT_CSV && filter->coll != NULL;
    ex.need_obj = ex.by_fields || filter->area != NULL || filter->period != NULL;
    if (filter->period != NULL) {
        if (!period_months(filter->period, strlen(filter->period), &ex.p_first, &ex.p_last))
            return CPS_EMALFORMED;
        snprintf(ex.p_start, sizeof ex.p_start, "%04d-%02d-01", ex.p_first / 12,
                 ex.p_first % 12 + 1);
        snprintf(ex.p_end, sizeof ex.p_end, "%04d-%02d-31", ex.p_last / 12, ex.p_last % 12 + 1);
    }
    if (filter->country != NULL && (rc = load_countries(&ex)) != 0)
        goto done;
    if (ex.by_fields) {
        while (cps_schema_field(filter->coll, strlen(filter->coll), ex.n_fields) != NULL)
            ex.n_fields++;
        if ((rc = walk(&ex, learn_fields)) != 0 || (rc = write_header(&ex)) != 0 ||
            (rc = walk(&ex, write_fields_row)) != 0)
            goto done;
    } else {
        if (fmt == CPS_EXPORT_CSV && fputs("coll,key,partner,value\r\n", out) == EOF) {
            rc = -EIO;
            goto done;
        }
        if ((rc = walk(&ex, write_row)) != 0)
            goto done;
    }
    if (fflush(out) != 0)
        rc = -EIO;
done:
    *count = ex.count;
    for (i = 0; i < ex.n_extra; i++)
        free(ex.extra[i]);
    free(ex.extra);
    free(ex.pc);
    return rc;
}
