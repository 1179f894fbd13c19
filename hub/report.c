/* SPDX-License-Identifier: ISC */
/*
 * cps-hub report: the programme's reports from the consolidated dataset. This file reads
 * the data every report shares (report_load) and writes the completeness report — partner
 * x period x area, expected versus received indicators under docs/DATA.md's rule,
 * reporting rates, late partners — as a text table, CSV or JSON. report_html.c writes the
 * HTML programme report from the same data. Read-only, safe while the hub runs.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cps/cli.h"
#include "cps/replay.h"
#include "cps/schema.h"
#include "cps/value.h"
#include "commands.h"
#include "hub.h"
#include "report.h"

static const char *const area_titles[REPORT_AREAS] = {
    "Innovation",
    "R&D driven by cluster development",
    "Sustainability through cluster development",
    "International cooperation of cluster networks",
    "Cluster financing",
    "Regional specialisation of clusters",
    "Job creation and training for new skills",
};

const char *
report_area_title(int area)
{
    return area >= 0 && area < REPORT_AREAS ? area_titles[area] : "";
}

static int
area_index(const char *s)
{
    const char *a;
    int i;

    for (i = 0; (a = cps_schema_area((size_t)i)) != NULL; i++)
        if (strcmp(a, s) == 0)
            return i;
    return -1;
}

/* --- reading ----------------------------------------------------------------------------- */

const char *
report_jstr(const json_t *o, const char *name)
{
    const char *s = json_string_value(json_object_get(o, name));

    return s != NULL ? s : "";
}

static void
copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src);
}

int
report_each(struct cps_txn *txn, const char *coll,
            int (*fn)(void *arg, const char *key, size_t key_len, json_t *v), void *arg)
{
    size_t coll_len = strlen(coll) + 1; /* with its NUL: "coll \0 key" */
    struct cps_cursor *cur = NULL;
    struct cps_val k, v;
    int rc;

    if ((rc = cps_store_cursor_open(txn, CPS_DB_RECORDS, &cur)) != 0)
        return rc;
    for (rc = cps_store_cursor_get(cur, CPS_SEEK_GE, coll, coll_len, &k, &v); rc == 0;
         rc = cps_store_cursor_get(cur, CPS_SEEK_NEXT, NULL, 0, &k, &v)) {
        char *text = NULL;
        json_t *j;

        if (k.len < coll_len || memcmp(k.data, coll, coll_len) != 0)
            break;
        if ((rc = cps_value_to_json(&text, v.data, v.len)) != 0)
            break;
        j = json_loads(text, 0, NULL);
        free(text);
        if (j == NULL) {
            rc = CPS_EMALFORMED;
            break;
        }
        rc = fn(arg, (const char *)k.data + coll_len, k.len - coll_len, j);
        json_decref(j);
        if (rc != 0)
            break;
    }
    cps_store_cursor_close(&cur);
    return rc == CPS_ENOTFOUND ? 0 : rc;
}

static struct report_partner *
find_partner(struct report *r, const char *id, size_t n)
{
    size_t i;

    for (i = 0; i < r->n_partners; i++)
        if (strlen(r->partners[i].id) == n && memcmp(r->partners[i].id, id, n) == 0)
            return &r->partners[i];
    return NULL;
}

static struct report_partner *
add_partner(struct report *r, const char *id, size_t n)
{
    struct report_partner *p;

    if ((p = find_partner(r, id, n)) != NULL)
        return p;
    if (n == 0 || n >= sizeof p->id)
        return NULL;
    if ((p = realloc(r->partners, (r->n_partners + 1) * sizeof *p)) == NULL)
        return NULL;
    r->partners = p;
    p = &r->partners[r->n_partners++];
    memset(p, 0, sizeof *p);
    memcpy(p->id, id, n);
    return p;
}

static int
on_partner(void *arg, const char *key, size_t key_len, json_t *v)
{
    struct report *r = arg;
    struct report_partner *p = add_partner(r, key, key_len);

    if (p == NULL)
        return key_len >= sizeof p->id ? 0 : -ENOMEM;
    copy(p->name, sizeof p->name, report_jstr(v, "name"));
    copy(p->country, sizeof p->country, report_jstr(v, "country"));
    copy(p->type, sizeof p->type, report_jstr(v, "type"));
    copy(p->role, sizeof p->role, report_jstr(v, "role"));
    copy(p->membership, sizeof p->membership, report_jstr(v, "membership"));
    return 0;
}

/* The months a period covers, as year * 12 + month - 1. */
static bool
period_months(const char *s, int *first, int *last, enum report_kind *kind)
{
    size_t n = strlen(s);
    int y;

    if (!cps_schema_period_ok(s, n))
        return false;
    y = atoi(s); /* the four digits before '-' */
    if (n == 4) {
        *kind = REPORT_YEARLY;
        *first = y * 12;
        *last = *first + 11;
    } else if (s[5] == 'Q') {
        *kind = REPORT_QUARTERLY;
        *first = y * 12 + 3 * (s[6] - '1');
        *last = *first + 2;
    } else {
        *kind = REPORT_HALF_YEARLY;
        *first = y * 12 + 6 * (s[6] - '1');
        *last = *first + 5;
    }
    return true;
}

struct load_ctx {
    struct report *r;
    int only_first, only_last; /* months of --period; only_first < 0: every period */
};

static int
on_period(void *arg, const char *key, size_t key_len, json_t *v)
{
    struct load_ctx *x = arg;
    struct report *r = x->r;
    struct report_period *t;
    char id[8];
    int first, last;
    enum report_kind kind;

    if (key_len >= sizeof id)
        return 0;
    memcpy(id, key, key_len);
    id[key_len] = '\0';
    if (!period_months(id, &first, &last, &kind))
        return 0;
    if (x->only_first >= 0 && (first < x->only_first || last > x->only_last))
        return 0;
    if ((t = realloc(r->periods, (r->n_periods + 1) * sizeof *t)) == NULL)
        return -ENOMEM;
    r->periods = t;
    t = &r->periods[r->n_periods++];
    memset(t, 0, sizeof *t);
    memcpy(t->id, id, key_len + 1);
    t->kind = kind;
    copy(t->label, sizeof t->label, report_jstr(v, "label"));
    copy(t->start, sizeof t->start, report_jstr(v, "start"));
    copy(t->end, sizeof t->end, report_jstr(v, "end"));
    copy(t->due, sizeof t->due, report_jstr(v, "due"));
    t->due_passed = strcmp(t->due, r->as_of) < 0;
    return 0;
}

static int
on_def(void *arg, const char *key, size_t key_len, json_t *v)
{
    static const char *const kinds[] = {"quarterly", "half-yearly", "yearly"};
    struct report *r = arg;
    struct report_def *d, nd = {0};
    const json_t *types = json_object_get(v, "expected_from_types");
    size_t i, used = 0;

    (void)key;
    (void)key_len;
    if ((nd.area = area_index(report_jstr(v, "area"))) < 0 ||
        strlen(report_jstr(v, "code")) >= sizeof nd.code)
        return 0;
    for (i = 0; i < 3 && strcmp(kinds[i], report_jstr(v, "periodicity")) != 0; i++)
        ;
    if (i == 3)
        return 0;
    nd.kind = (enum report_kind)i;
    copy(nd.code, sizeof nd.code, report_jstr(v, "code"));
    copy(nd.name, sizeof nd.name, report_jstr(v, "name"));
    copy(nd.unit, sizeof nd.unit, report_jstr(v, "unit"));
    if (json_is_array(types) && json_array_size(types) > 0) {
        nd.types[used++] = ' ';
        for (i = 0; i < json_array_size(types); i++) {
            const char *t = json_string_value(json_array_get(types, i));
            size_t n = t != NULL ? strlen(t) : 0;

            if (n == 0 || used + n + 2 > sizeof nd.types)
                continue;
            memcpy(nd.types + used, t, n);
            used += n;
            nd.types[used++] = ' ';
        }
        nd.types[used] = '\0';
    }
    if ((d = realloc(r->defs, (r->n_defs + 1) * sizeof *d)) == NULL)
        return -ENOMEM;
    r->defs = d;
    r->defs[r->n_defs++] = nd;
    return 0;
}

static int
on_cluster(void *arg, const char *key, size_t key_len, json_t *v)
{
    struct report *r = arg;
    const char *slash = memchr(key, '/', key_len);
    struct report_partner *p;
    char **c, *id;
    size_t n;

    (void)v;
    if (slash == NULL || (p = find_partner(r, key, (size_t)(slash - key))) == NULL)
        return 0; /* a cluster of a partner the programme does not list */
    n = key_len - (size_t)(slash - key) - 1;
    if ((c = realloc(p->clusters, (p->n_clusters + 1) * sizeof *c)) == NULL)
        return -ENOMEM;
    p->clusters = c;
    if ((id = malloc(n + 1)) == NULL)
        return -ENOMEM;
    memcpy(id, slash + 1, n);
    id[n] = '\0';
    p->clusters[p->n_clusters++] = id;
    return 0;
}

static int
cmp_partner(const void *a, const void *b)
{
    return strcmp(((const struct report_partner *)a)->id, ((const struct report_partner *)b)->id);
}

static int
cmp_period(const void *a, const void *b)
{
    const struct report_period *x = a, *y = b;

    if (x->kind != y->kind)
        return (int)x->kind - (int)y->kind;
    return strcmp(x->id, y->id);
}

static bool
expected_from(const struct report_def *d, const struct report_partner *p)
{
    char t[CPS_ROSTER_TYPE_MAX + 2];

    if (d->types[0] == '\0')
        return true;
    snprintf(t, sizeof t, " %s ", p->type);
    return strstr(d->types, t) != NULL;
}

static int
add_missing(struct report *r, size_t p, size_t c, size_t d, size_t t)
{
    struct report_missing *m;

    if (r->n_missing == r->cap_missing) {
        size_t cap = r->cap_missing == 0 ? 64 : r->cap_missing * 2;

        if ((m = realloc(r->missing, cap * sizeof *m)) == NULL)
            return -ENOMEM;
        r->missing = m;
        r->cap_missing = cap;
    }
    m = &r->missing[r->n_missing++];
    m->partner = p;
    m->cluster = c;
    m->def = d;
    m->period = t;
    m->reason = REPORT_INCOMPLETE;
    return 0;
}

/* Expected versus received: one lookup per expected indicator key. */
static int
count(struct report *r, struct cps_txn *txn)
{
    size_t p, c, d, t;
    int rc;

    for (p = 0; p < r->n_partners; p++) {
        const struct report_partner *rp = &r->partners[p];

        for (c = 0; c < rp->n_clusters; c++)
            for (d = 0; d < r->n_defs; d++) {
                const struct report_def *rd = &r->defs[d];

                if (!expected_from(rd, rp))
                    continue;
                for (t = 0; t < r->n_periods; t++) {
                    struct report_cell *cell = report_cell(r, p, t, rd->area);
                    char key[CPS_SCHEMA_KEY_MAX + 1];
                    uint8_t rkey[CPS_SCHEMA_KEY_MAX + 16];
                    struct cps_val v;
                    size_t klen, rlen;

                    if (r->periods[t].kind != rd->kind)
                        continue;
                    cell->expected++;
                    r->expected++;
                    klen = (size_t)snprintf(key, sizeof key, "%s/%s/%s/%s/%s", rp->id,
                                            rp->clusters[c], cps_schema_area((size_t)rd->area),
                                            r->periods[t].id, rd->code);
                    rlen = klen < sizeof key
                               ? cps_store_record_key(rkey, sizeof rkey, "indicator", 9, key, klen)
                               : 0;
                    rc = rlen == 0 ? CPS_ENOTFOUND
                                   : cps_store_get(txn, CPS_DB_RECORDS, rkey, rlen, &v);
                    if (rc == 0) {
                        cell->received++;
                        r->received++;
                    } else if (rc != CPS_ENOTFOUND) {
                        return rc;
                    } else if ((rc = add_missing(r, p, c, d, t)) != 0) {
                        return rc;
                    }
                }
            }
    }
    for (p = 0; p < r->n_missing; p++) {
        struct report_missing *m = &r->missing[p];

        if (!r->periods[m->period].due_passed)
            m->reason = REPORT_NOT_DUE;
        else if (report_late(r, m->partner, m->period))
            m->reason = REPORT_LATE;
    }
    return 0;
}

struct report_cell
report_partner_period(const struct report *r, size_t partner, size_t period)
{
    struct report_cell sum = {0, 0};
    int a;

    for (a = 0; a < REPORT_AREAS; a++) {
        sum.expected += report_cell(r, partner, period, a)->expected;
        sum.received += report_cell(r, partner, period, a)->received;
    }
    return sum;
}

bool
report_late(const struct report *r, size_t partner, size_t period)
{
    struct report_cell c = report_partner_period(r, partner, period);

    return r->periods[period].due_passed && c.expected > 0 && c.received == 0;
}

int
report_load(struct report *r, struct cps_txn *txn, const struct cps_roster *roster,
            const char *as_of, const char *only_period, const char *only_partner, char *err,
            size_t err_len)
{
    struct load_ctx x = {.r = r, .only_first = -1, .only_last = -1};
    enum report_kind kind;
    size_t i;
    int rc;

    memset(r, 0, sizeof *r);
    err[0] = '\0';
    copy(r->as_of, sizeof r->as_of, as_of);
    r->now_ms = cps_wire_now_ms();
    if (only_period != NULL && !period_months(only_period, &x.only_first, &x.only_last, &kind)) {
        snprintf(err, err_len, "--period %s: expected YYYY, YYYY-Qn or YYYY-Hn", only_period);
        return CPS_EMALFORMED;
    }
    for (i = 0; roster != NULL && i < roster->n_partners; i++) {
        const struct cps_roster_partner *rp = &roster->partners[i];
        struct report_partner *p = add_partner(r, rp->id, strlen(rp->id));

        if (p == NULL)
            return -ENOMEM;
        copy(p->name, sizeof p->name, rp->name);
        copy(p->country, sizeof p->country, rp->country);
        copy(p->type, sizeof p->type, rp->type);
        p->in_roster = true;
        p->status = rp->status;
    }
    if ((rc = report_each(txn, "partner", on_partner, r)) != 0 ||
        (rc = report_each(txn, "period", on_period, &x)) != 0 ||
        (rc = report_each(txn, "indicator_definition", on_def, r)) != 0)
        goto fail;
    if (r->n_partners > 0)
        qsort(r->partners, r->n_partners, sizeof *r->partners, cmp_partner);
    if (r->n_periods > 0)
        qsort(r->periods, r->n_periods, sizeof *r->periods, cmp_period);
    if (only_partner != NULL) {
        struct report_partner *p = find_partner(r, only_partner, strlen(only_partner));

        if (p == NULL) {
            snprintf(err, err_len,
                     "--partner %s: no such partner in the roster or the "
                     "partner records",
                     only_partner);
            return CPS_ENOTFOUND;
        }
        memmove(r->partners, p, sizeof *p);
        r->n_partners = 1;
    }
    if ((rc = report_each(txn, "cluster", on_cluster, r)) != 0)
        goto fail;
    for (i = 0; i < r->n_partners; i++)
        if ((rc = cps_replay_chain_get(txn, &cps_replay_hub, r->partners[i].id,
                                       &r->partners[i].ps)) != 0)
            goto fail;
    if ((rc = cps_replay_size(txn, &cps_replay_hub, &r->log_size)) != 0 ||
        (rc = cps_store_count(txn, CPS_DB_RECORDS, &r->records)) != 0)
        goto fail;
    if (r->n_partners * r->n_periods > 0 &&
        (r->cells = calloc(r->n_partners * r->n_periods * REPORT_AREAS, sizeof *r->cells)) == NULL)
        return -ENOMEM;
    return count(r, txn);
fail:
    snprintf(err, err_len, "%s", cps_strerror(rc));
    return rc;
}

void
report_free(struct report *r)
{
    size_t i, c;

    for (i = 0; i < r->n_partners; i++) {
        for (c = 0; c < r->partners[i].n_clusters; c++)
            free(r->partners[i].clusters[c]);
        free(r->partners[i].clusters);
    }
    free(r->partners);
    free(r->periods);
    free(r->defs);
    free(r->cells);
    free(r->missing);
    memset(r, 0, sizeof *r);
}

/* --- completeness: JSON, CSV, text ------------------------------------------------------- */

static const char *const reason_names[] = {"late", "incomplete", "not due"};

static double
rate(uint64_t received, uint64_t expected)
{
    return expected == 0 ? 1.0 : (double)received / (double)expected;
}

/* null when nothing is expected: no rate to speak of */
static json_t *
json_rate(uint64_t received, uint64_t expected)
{
    return expected == 0 ? json_null() : json_real(rate(received, expected));
}

/* Whether the partner misses indicators of a past-due period it sent something for. */
static bool
incomplete(const struct report *r, size_t p)
{
    size_t t;

    for (t = 0; t < r->n_periods; t++) {
        struct report_cell c = report_partner_period(r, p, t);

        if (r->periods[t].due_passed && c.received > 0 && c.received < c.expected)
            return true;
    }
    return false;
}

static json_t *
late_periods(const struct report *r, size_t p)
{
    json_t *a = json_array();
    size_t t;

    for (t = 0; t < r->n_periods; t++)
        if (report_late(r, p, t))
            json_array_append_new(a, json_string(r->periods[t].id));
    return a;
}

static int
write_json(const struct report *r, const char *only_period, const char *only_partner)
{
    json_t *o = json_object(), *a, *m;
    size_t p, t;
    int area, rc;

    json_object_set_new(o, "as_of", json_string(r->as_of));
    json_object_set_new(o, "period", only_period ? json_string(only_period) : json_null());
    json_object_set_new(o, "partner", only_partner ? json_string(only_partner) : json_null());
    json_object_set_new(o, "rule",
                        json_string("an indicator definition is expected, for each "
                                    "period of its periodicity, from every cluster "
                                    "of every partner whose type is in "
                                    "expected_from_types (all types when absent)"));
    json_object_set_new(o, "expected_indicators", json_integer((json_int_t)r->expected));
    json_object_set_new(o, "received_indicators", json_integer((json_int_t)r->received));
    json_object_set_new(o, "reporting_rate", json_rate(r->received, r->expected));
    a = json_array();
    for (p = 0; p < r->n_partners; p++) {
        json_t *lp = late_periods(r, p), *e;

        if (json_array_size(lp) == 0) {
            json_decref(lp);
            continue;
        }
        e = json_object();
        json_object_set_new(e, "partner", json_string(r->partners[p].id));
        json_object_set_new(e, "periods", lp);
        json_array_append_new(a, e);
    }
    json_object_set_new(o, "late", a);
    a = json_array();
    for (p = 0; p < r->n_partners; p++)
        if (incomplete(r, p))
            json_array_append_new(a, json_string(r->partners[p].id));
    json_object_set_new(o, "incomplete", a);
    a = json_array();
    for (p = 0; p < r->n_partners; p++) {
        const struct report_partner *rp = &r->partners[p];
        uint64_t e = 0, rec = 0;
        json_t *po = json_object();

        for (t = 0; t < r->n_periods; t++) {
            struct report_cell c = report_partner_period(r, p, t);

            e += c.expected;
            rec += c.received;
        }
        json_object_set_new(po, "id", json_string(rp->id));
        json_object_set_new(po, "name", json_string(rp->name));
        json_object_set_new(po, "country", json_string(rp->country));
        json_object_set_new(po, "type", json_string(rp->type));
        json_object_set_new(po, "clusters", json_integer((json_int_t)rp->n_clusters));
        json_object_set_new(po, "expected", json_integer((json_int_t)e));
        json_object_set_new(po, "received", json_integer((json_int_t)rec));
        json_object_set_new(po, "reporting_rate", json_rate(rec, e));
        json_object_set_new(po, "late_periods", late_periods(r, p));
        json_array_append_new(a, po);
    }
    json_object_set_new(o, "partners", a);
    a = json_array();
    for (t = 0; t < r->n_periods; t++) {
        const struct report_period *rt = &r->periods[t];
        uint64_t e = 0, rec = 0;
        json_t *po = json_object();

        for (p = 0; p < r->n_partners; p++) {
            struct report_cell c = report_partner_period(r, p, t);

            e += c.expected;
            rec += c.received;
        }
        json_object_set_new(po, "id", json_string(rt->id));
        json_object_set_new(po, "label", json_string(rt->label));
        json_object_set_new(po, "due", json_string(rt->due));
        json_object_set_new(po, "due_passed", json_boolean(rt->due_passed));
        json_object_set_new(po, "expected", json_integer((json_int_t)e));
        json_object_set_new(po, "received", json_integer((json_int_t)rec));
        json_object_set_new(po, "reporting_rate", json_rate(rec, e));
        json_array_append_new(a, po);
    }
    json_object_set_new(o, "periods", a);
    a = json_array();
    for (area = 0; area < REPORT_AREAS; area++) {
        uint64_t e = 0, rec = 0;
        json_t *ao = json_object();

        for (p = 0; p < r->n_partners; p++)
            for (t = 0; t < r->n_periods; t++) {
                e += report_cell(r, p, t, area)->expected;
                rec += report_cell(r, p, t, area)->received;
            }
        json_object_set_new(ao, "area", json_string(cps_schema_area((size_t)area)));
        json_object_set_new(ao, "expected", json_integer((json_int_t)e));
        json_object_set_new(ao, "received", json_integer((json_int_t)rec));
        json_object_set_new(ao, "reporting_rate", json_rate(rec, e));
        json_array_append_new(a, ao);
    }
    json_object_set_new(o, "areas", a);
    /* partner -> period -> area -> [expected, received], areas with anything expected */
    m = json_object();
    for (p = 0; p < r->n_partners; p++) {
        json_t *po = json_object();

        for (t = 0; t < r->n_periods; t++) {
            json_t *to = json_object();

            for (area = 0; area < REPORT_AREAS; area++) {
                const struct report_cell *c = report_cell(r, p, t, area);

                if (c->expected > 0)
                    json_object_set_new(
                        to, cps_schema_area((size_t)area),
                        json_pack("[II]", (json_int_t)c->expected, (json_int_t)c->received));
            }
            json_object_set_new(po, r->periods[t].id, to);
        }
        json_object_set_new(m, r->partners[p].id, po);
    }
    json_object_set_new(o, "matrix", m);
    a = json_array();
    for (p = 0; p < r->n_missing; p++) {
        const struct report_missing *mi = &r->missing[p];
        const struct report_partner *rp = &r->partners[mi->partner];
        const struct report_def *d = &r->defs[mi->def];
        const char *area_code = cps_schema_area((size_t)d->area);
        json_t *e = json_object();
        char key[CPS_SCHEMA_KEY_MAX + 1];

        snprintf(key, sizeof key, "%s/%s/%s/%s/%s", rp->id, rp->clusters[mi->cluster], area_code,
                 r->periods[mi->period].id, d->code);
        json_object_set_new(e, "key", json_string(key));
        json_object_set_new(e, "partner", json_string(rp->id));
        json_object_set_new(e, "cluster_id", json_string(rp->clusters[mi->cluster]));
        json_object_set_new(e, "area", json_string(area_code));
        json_object_set_new(e, "period", json_string(r->periods[mi->period].id));
        json_object_set_new(e, "indicator", json_string(d->code));
        json_object_set_new(e, "reason", json_string(reason_names[mi->reason]));
        json_array_append_new(a, e);
    }
    json_object_set_new(o, "missing", a);
    rc = json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    json_decref(o);
    if (rc != 0 || fputc('\n', stdout) == EOF)
        return -EIO;
    return 0;
}

/* A cell's status; a period the partner sent nothing for is late in every area, and an
 * area left out of a period with other data is incomplete. */
static const char *
cell_status(const struct report *r, size_t p, size_t t, const struct report_cell *c)
{
    if (c->received >= c->expected)
        return "complete";
    if (!r->periods[t].due_passed)
        return "not_due";
    return report_late(r, p, t) ? "late" : "incomplete";
}

static int
write_csv(const struct report *r)
{
    size_t p, t;
    int area;

    printf("partner,country,period,area,expected,received,missing,reporting_rate,due,status\r\n");
    for (p = 0; p < r->n_partners; p++)
        for (t = 0; t < r->n_periods; t++)
            for (area = 0; area < REPORT_AREAS; area++) {
                const struct report_cell *c = report_cell(r, p, t, area);
                const struct report_period *rt = &r->periods[t];

                if (c->expected == 0)
                    continue;
                printf("%s,%s,%s,%s,%" PRIu32 ",%" PRIu32 ",%" PRIu32 ",%.4f,%s,%s\r\n",
                       r->partners[p].id, r->partners[p].country, rt->id,
                       cps_schema_area((size_t)area), c->expected, c->received,
                       c->expected - c->received, rate(c->received, c->expected), rt->due,
                       cell_status(r, p, t, c));
            }
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : -EIO;
}

/* "97%", never rounded up to 100% while anything is missing; "-" when nothing is expected. */
static void
percent(char *buf, size_t cap, uint64_t received, uint64_t expected)
{
    if (expected == 0)
        snprintf(buf, cap, "-");
    else
        snprintf(buf, cap, "%" PRIu64 "%%", received * 100 / expected);
}

/* "14-Q1" for 2014-Q1: the table fits a terminal. */
static const char *
short_period(const char *id)
{
    return strlen(id) == 7 ? id + 2 : id;
}

static void
text_cell(char *buf, size_t cap, const struct report *r, size_t p, size_t t)
{
    struct report_cell c = report_partner_period(r, p, t);

    if (c.expected == 0)
        snprintf(buf, cap, "-");
    else if (report_late(r, p, t))
        snprintf(buf, cap, "LATE");
    else if (c.received < c.expected && !r->periods[t].due_passed)
        snprintf(buf, cap, "..");
    else
        percent(buf, cap, c.received, c.expected);
}

static int
write_text(const struct report *r, const char *only_period, const char *only_partner)
{
    char buf[32];
    size_t p, t;
    int area;
    bool any;

    printf("Completeness of reporting as of %s", r->as_of);
    if (only_period != NULL)
        printf(", periods within %s", only_period);
    if (only_partner != NULL)
        printf(", partner %s", only_partner);
    percent(buf, sizeof buf, r->received, r->expected);
    printf("\n%" PRIu64 " of %" PRIu64 " expected indicators received (%s)\n\n", r->received,
           r->expected, buf);
    if (only_partner != NULL && r->n_partners == 1) {
        /* one partner: period x area, received/expected */
        static const char *const short_areas[REPORT_AREAS] = {
            "innovation", "rd", "sustainab.", "intl_coop", "financing", "reg_spec", "jobs_skills",
        };

        printf("%-8s", "period");
        for (area = 0; area < REPORT_AREAS; area++)
            printf(" %11s", short_areas[area]);
        printf("  %s\n", "status");
        for (t = 0; t < r->n_periods; t++) {
            struct report_cell sum = report_partner_period(r, 0, t);

            if (sum.expected == 0)
                continue;
            printf("%-8s", r->periods[t].id);
            for (area = 0; area < REPORT_AREAS; area++) {
                const struct report_cell *c = report_cell(r, 0, t, area);

                if (c->expected == 0)
                    snprintf(buf, sizeof buf, "-");
                else
                    snprintf(buf, sizeof buf, "%" PRIu32 "/%" PRIu32, c->received, c->expected);
                printf(" %11s", buf);
            }
            text_cell(buf, sizeof buf, r, 0, t);
            printf("  %s\n", buf);
        }
    } else {
        printf("%-4s %-2s", "", "");
        for (t = 0; t < r->n_periods; t++)
            printf(" %5s", short_period(r->periods[t].id));
        printf("  %5s\n", "all");
        for (p = 0; p < r->n_partners; p++) {
            uint64_t e = 0, rec = 0;

            printf("%-4s %-2s", r->partners[p].id, r->partners[p].country);
            for (t = 0; t < r->n_periods; t++) {
                struct report_cell c = report_partner_period(r, p, t);

                e += c.expected;
                rec += c.received;
                text_cell(buf, sizeof buf, r, p, t);
                printf(" %5s", buf);
            }
            percent(buf, sizeof buf, rec, e);
            printf("  %5s\n", buf);
        }
        printf("\nLATE: nothing received after the due date;  ..: not yet due;  "
               "-: nothing expected\n");
    }
    printf("\nLate partners (nothing received for a period past its due date):\n");
    for (p = 0, any = false; p < r->n_partners; p++) {
        bool first = true;

        for (t = 0; t < r->n_periods; t++) {
            if (!report_late(r, p, t))
                continue;
            if (first)
                printf("  %-4s %s (%s): %s", r->partners[p].id, r->partners[p].name,
                       r->partners[p].country, r->periods[t].id);
            else
                printf(", %s", r->periods[t].id);
            first = false;
            any = true;
        }
        if (!first)
            printf("\n");
    }
    if (!any)
        printf("  none\n");
    printf("\nIncomplete (indicators missing from a past-due period with data):\n");
    for (p = 0, any = false; p < r->n_partners; p++) {
        uint64_t miss = 0;

        if (!incomplete(r, p))
            continue;
        for (t = 0; t < r->n_periods; t++) {
            struct report_cell c = report_partner_period(r, p, t);

            if (r->periods[t].due_passed && c.received > 0)
                miss += c.expected - c.received;
        }
        printf("  %-4s %s (%s): %" PRIu64 " indicator%s missing\n", r->partners[p].id,
               r->partners[p].name, r->partners[p].country, miss, miss == 1 ? "" : "s");
        any = true;
    }
    if (!any)
        printf("  none\n");
    for (p = 0, any = false; p < r->n_partners; p++) {
        if (r->partners[p].n_clusters > 0)
            continue;
        printf("%s%s", any ? ", " : "\nNo clusters yet, so nothing expected: ", r->partners[p].id);
        any = true;
    }
    if (any)
        printf("\n");
    printf("\nBy area:\n");
    for (area = 0; area < REPORT_AREAS; area++) {
        uint64_t e = 0, rec = 0;

        for (p = 0; p < r->n_partners; p++)
            for (t = 0; t < r->n_periods; t++) {
                e += report_cell(r, p, t, area)->expected;
                rec += report_cell(r, p, t, area)->received;
            }
        percent(buf, sizeof buf, rec, e);
        printf("  %-26s %5s  (%" PRIu64 " of %" PRIu64 ")\n", cps_schema_area((size_t)area), buf,
               rec, e);
    }
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : -EIO;
}

/* --- the command -------------------------------------------------------------------------- */

static const char usage_text[] =
    "Usage: " HUB_PROG " report completeness [--dir DIR] [--format text|csv|json]\n"
    "                             [--period P] [--partner ID] [--as-of YYYY-MM-DD]\n"
    "       " HUB_PROG " report html [--dir DIR] [--as-of YYYY-MM-DD] OUT.html\n"
    "Reports on the consolidated dataset (read-only, safe while the hub runs).\n"
    "completeness: partner x period x area, expected versus received indicators (an\n"
    "  indicator definition is expected for each period of its periodicity from every\n"
    "  cluster of every partner of its expected_from_types), reporting rates, late\n"
    "  partners (nothing received for a period whose due date is before --as-of,\n"
    "  default today) and incomplete ones. --period P keeps the periods within P (2015:\n"
    "  its halves and quarters too). text is a table for a terminal; csv and json are\n"
    "  for tools (json has the full matrix and every missing indicator key).\n"
    "html: one self-contained HTML file (inline CSS and SVG, no scripts, no network) for\n"
    "  the lead partner and the Monitoring Committee: indicator totals by area and\n"
    "  country, a completeness heat map, pilot actions by status with evaluation\n"
    "  scores, and each partner's sync health. OUT.html '-' is stdout.\n";

static bool
date_ok(const char *s)
{
    size_t i;

    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    return true;
}

int
cmd_report_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"dir", required_argument, NULL, 'd'},
        {"format", required_argument, NULL, 'f'},
        {"period", required_argument, NULL, 'P'},
        {"partner", required_argument, NULL, 'p'},
        {"as-of", required_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = NULL, *format = NULL, *period = NULL, *partner = NULL, *out = NULL;
    const char *as_of_arg = NULL, *what, *prog = HUB_PROG " report";
    char as_of[REPORT_DATE_LEN], err[512];
    struct cps_txn *txn = NULL;
    struct report r;
    struct hub h;
    time_t now = time(NULL);
    struct tm tm;
    int c, rc, ret = CPS_EXIT_USAGE;
    bool html;

    gmtime_r(&now, &tm);
    strftime(as_of, sizeof as_of, "%Y-%m-%d", &tm);
    /* options may come before or after the report's name (getopt moves operands last) */
    while ((c = getopt_long(argc, argv, "d:f:p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            dir = optarg;
            break;
        case 'f':
            format = optarg;
            break;
        case 'P':
            period = optarg;
            break;
        case 'p':
            partner = optarg;
            break;
        case 'a':
            as_of_arg = optarg;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return CPS_EXIT_OK;
        default:
            goto misuse;
        }
    }
    if (optind >= argc)
        goto misuse;
    what = argv[optind++];
    html = strcmp(what, "html") == 0;
    prog = html ? HUB_PROG " report html" : HUB_PROG " report completeness";
    if (!html && strcmp(what, "completeness") != 0) {
        cps_cli_error(HUB_PROG " report", "unknown report '%s'", what);
        goto misuse;
    }
    if (html && (format != NULL || period != NULL || partner != NULL)) {
        cps_cli_error(prog, "--format, --period and --partner are options of completeness");
        goto misuse;
    }
    if (format != NULL && strcmp(format, "text") != 0 && strcmp(format, "csv") != 0 &&
        strcmp(format, "json") != 0) {
        cps_cli_error(prog, "--format %s: expected text, csv or json", format);
        goto misuse;
    }
    if (period != NULL && !cps_schema_period_ok(period, strlen(period))) {
        cps_cli_error(prog, "--period %s: expected YYYY, YYYY-Qn or YYYY-Hn", period);
        goto misuse;
    }
    if (as_of_arg != NULL) {
        if (!date_ok(as_of_arg)) {
            cps_cli_error(prog, "--as-of %s: expected a date YYYY-MM-DD", as_of_arg);
            goto misuse;
        }
        copy(as_of, sizeof as_of, as_of_arg);
    }
    if (html ? optind != argc - 1 : optind != argc)
        goto misuse;
    if (html)
        out = argv[optind];
    if (format == NULL)
        format = "text";
    if (hub_open(&h, hub_dir(dir), false, err, sizeof err) != 0) {
        cps_cli_error(prog, "%s", err);
        return CPS_EXIT_USAGE;
    }
    if ((rc = cps_store_begin(h.st, false, &txn)) != 0) {
        cps_cli_error(prog, "%s", cps_strerror(rc));
        hub_close(&h);
        return CPS_EXIT_USAGE;
    }
    if ((rc = report_load(&r, txn, hub_roster(&h), as_of, period, partner, err, sizeof err)) != 0) {
        cps_cli_error(prog, "%s", err[0] != '\0' ? err : cps_strerror(rc));
        ret = rc == CPS_ENOTFOUND ? CPS_EXIT_NO : CPS_EXIT_USAGE;
    } else if (html) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        rc = f == NULL ? -errno : report_html_write(f, &r, txn, h.programme);
        if (f != NULL && fclose(f) != 0 && rc == 0)
            rc = -EIO;
        if (rc == 0 && (rc = cps_cli_write_file(out, buf, len, 0644)) != 0)
            cps_cli_error(prog, "%s: %s", out, cps_strerror(rc));
        else if (rc != 0)
            cps_cli_error(prog, "%s", cps_strerror(rc));
        free(buf);
        ret = rc == 0 ? CPS_EXIT_OK : CPS_EXIT_USAGE;
    } else {
        if (strcmp(format, "json") == 0)
            rc = write_json(&r, period, partner);
        else if (strcmp(format, "csv") == 0)
            rc = write_csv(&r);
        else
            rc = write_text(&r, period, partner);
        if (rc != 0)
            cps_cli_error(prog, "stdout: %s", cps_strerror(rc));
        ret = rc == 0 ? CPS_EXIT_OK : CPS_EXIT_USAGE;
    }
    report_free(&r);
    cps_store_abort(&txn);
    hub_close(&h);
    return ret;
misuse:
    fputs(usage_text, stderr);
    return CPS_EXIT_USAGE;
}
