/* SPDX-License-Identifier: ISC */
/*
 * The programme's reports (cps-hub report): what report.c reads from the consolidated
 * dataset once — partners, periods, indicator definitions, clusters, and the completeness
 * matrix partner x period x area of docs/DATA.md's rule — for the completeness report
 * (report.c) and the HTML programme report (report_html.c).
 */
#ifndef CPS_HUB_REPORT_H
#define CPS_HUB_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cps/roster.h"
#include "cps/store.h"
#include "cps/wire.h"

#define REPORT_AREAS 7
#define REPORT_DATE_LEN 11 /* YYYY-MM-DD and its NUL */

enum report_kind { REPORT_QUARTERLY, REPORT_HALF_YEARLY, REPORT_YEARLY };

struct report_partner {
    char id[CPS_ROSTER_ID_MAX];
    char name[CPS_ROSTER_NAME_MAX]; /* the partner record's, else the roster's */
    char country[3];
    char type[CPS_ROSTER_TYPE_MAX];
    char role[16];      /* lead, partner; "" without a partner record */
    char membership[4]; /* EU, IPA; "" without a partner record */
    bool in_roster;
    enum cps_partner_status status; /* in the roster in force */
    char **clusters;                /* cluster ids (P07-C003), in key order */
    size_t n_clusters;
    struct cps_pstate ps; /* the hub's chain state of the partner */
};

struct report_period {
    char id[8];
    char label[64];
    char start[REPORT_DATE_LEN], end[REPORT_DATE_LEN], due[REPORT_DATE_LEN];
    enum report_kind kind;
    bool due_passed; /* due < as_of: missing indicators are late */
};

struct report_def {
    int area; /* index into cps_schema_area() */
    char code[65];
    char name[128];
    char unit[32];
    enum report_kind kind;
    char types[256]; /* expected_from_types as " t1 t2 ", "" for every type */
};

struct report_cell {
    uint32_t expected, received;
};

enum report_reason { REPORT_LATE, REPORT_INCOMPLETE, REPORT_NOT_DUE };

struct report_missing {
    size_t partner, cluster, def, period;
    enum report_reason reason;
};

struct report {
    char as_of[REPORT_DATE_LEN];
    uint64_t now_ms;
    struct report_partner *partners; /* sorted by id */
    size_t n_partners;
    struct report_period *periods; /* quarters, then halves, then years; each by id */
    size_t n_periods;
    struct report_def *defs; /* in key order (area/code) */
    size_t n_defs;
    struct report_cell *cells; /* [partner][period][area] */
    struct report_missing *missing;
    size_t n_missing, cap_missing;
    uint64_t expected, received;
    uint64_t log_size, records;
};

/*
 * Read the report's data from the hub's store inside txn: partners (partner records and
 * the roster in force), periods, definitions, clusters, chain states, and the completeness
 * matrix as of as_of (YYYY-MM-DD). only_period (periods within it) and only_partner may be
 * NULL. Returns 0, CPS_ENOTFOUND (only_partner is no partner: err says so), CPS_EMALFORMED
 * or -ENOMEM; free with report_free() either way.
 */
int report_load(struct report *r, struct cps_txn *txn, const struct cps_roster *roster,
                const char *as_of, const char *only_period, const char *only_partner, char *err,
                size_t err_len);
void report_free(struct report *r);

static inline struct report_cell *
report_cell(const struct report *r, size_t partner, size_t period, int area)
{
    return &r->cells[(partner * r->n_periods + period) * REPORT_AREAS + (size_t)area];
}

struct json_t;

/* Call fn for every record of coll in key order, with its key (after "coll\0") and its
 * value as JSON (jansson reads reals exactly; v is valid during the call). Stops at fn's
 * first non-zero return and returns it; else 0 or a store error. */
int report_each(struct cps_txn *txn, const char *coll,
                int (*fn)(void *arg, const char *key, size_t key_len, struct json_t *v), void *arg);

/* A string field of a JSON object, "" when absent or not a string. */
const char *report_jstr(const struct json_t *o, const char *name);

/* The cell summed over the areas. */
struct report_cell report_partner_period(const struct report *r, size_t partner, size_t period);

/* True when partner sent nothing for a past-due period it owed indicators for. */
bool report_late(const struct report *r, size_t partner, size_t period);

/* A readable name of area i ("R&D driven by cluster development"). */
const char *report_area_title(int area);

/* Write the HTML programme report (report_html.c) to f; txn reads the records it lists.
 * Returns 0, -EIO or a store error. */
int report_html_write(FILE *f, const struct report *r, struct cps_txn *txn, const char *programme);

#endif
