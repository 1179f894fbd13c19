/* SPDX-License-Identifier: ISC */
/*
 * demo_data: a deterministic demo programme in the shape of docs/DATA.md — 25 partners in
 * 11 countries (8 EU member states, 3 IPA countries), their clusters, indicators over 14
 * reporting periods, pilot actions and policy lessons — with deliberate gaps (partners late
 * or incomplete) listed in gaps.json so that completeness can be checked against them.
 * Every name says "Demo"; every indicator's source is "demo-generator". No real
 * organisation is named. The same seed always writes the same bytes.
 *
 *   demo_data OUTDIR [SEED]
 *
 * Writes OUTDIR/programme.ndjson (partner, period and indicator_definition records, for
 * `cps-hub programme import`), OUTDIR/P01.ndjson .. P25.ndjson (each partner's cluster,
 * pilot_action, policy_lesson and indicator records, for `cps-node import`) and
 * OUTDIR/gaps.json. Partners, countries and types follow tests/cli/lib.sh's roster.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NPARTNERS 25
#define NAREAS 7
#define NPERIODS 14
#define MAX_CLUSTERS 6
#define MAX_ACTIONS 6
#define NLATE 3       /* partners with nothing for the last 1-2 quarters */
#define NINCOMPLETE 4 /* partners with random single indicators missing */
#define INCOMPLETE_PERMILLE 80

static const char *const areas[NAREAS] = {
    "innovation",     "rd",
    "sustainability", "international_cooperation",
    "financing",      "regional_specialisation",
    "jobs_skills",
};
static const char *const lesson_verbs[3] = {"start", "budget", "evaluate"};
static const char *const lesson_ends[3] = {
    "with the firms that already cooperate, then widen",
    "for a second year before judging results",
    "with the member firms, not only with the cluster office",
};
static const char *const area_titles[NAREAS] = {
    "innovation voucher scheme",        "joint R&D laboratory",
    "circular economy pilot",           "cluster internationalisation mission",
    "cluster financing desk",           "smart specialisation mapping",
    "skills academy for cluster firms",
};

/* tests/cli/lib.sh: COUNTRIES and TYPES, partner i has TYPES[(i - 1) % 6] */
static const char *const partner_country[NPARTNERS] = {
    "IT", "IT", "IT", "IT", "AT", "AT", "BG", "BG", "GR", "GR", "GR", "HU", "HU",
    "RO", "RO", "SK", "SK", "SI", "SI", "AL", "AL", "HR", "HR", "RS", "RS",
};
static const char *const types[6] = {
    "public-authority", "development-agency", "research-institute",
    "university",       "innovation-agency",  "cluster-network",
};
static const char *const type_names[6] = {
    "Demo Regional Authority", "Demo Regional Development Agency", "Demo Research Institute",
    "Demo University",         "Demo Innovation Agency",           "Demo Cluster Network",
};

struct country {
    const char *iso;
    int ipa;
    int tier;             /* experience with cluster policy: lessons flow downhill */
    const char *nuts2[6]; /* NUTS 2 regions (Greece: EL) */
};
static const struct country countries[] = {
    {"IT", 0, 3, {"ITC1", "ITC4", "ITH3", "ITH5", "ITI1", "ITF3"}},
    {"AT", 0, 3, {"AT13", "AT22", "AT31", "AT33"}},
    {"SI", 0, 2, {"SI03", "SI04"}},
    {"SK", 0, 2, {"SK01", "SK02", "SK03", "SK04"}},
    {"HU", 0, 2, {"HU10", "HU21", "HU23", "HU32"}},
    {"GR", 0, 2, {"EL30", "EL52", "EL61", "EL63"}},
    {"BG", 0, 1, {"BG31", "BG33", "BG41", "BG42"}},
    {"RO", 0, 1, {"RO11", "RO12", "RO21", "RO42"}},
    {"HR", 1, 1, {"HR03", "HR04"}},
    {"RS", 1, 0, {"RS11", "RS12", "RS21", "RS22"}},
    {"AL", 1, 0, {"AL01", "AL02", "AL03"}},
};

/* NACE Rev. 2 codes of typical cluster sectors */
static const char *const sectors[] = {
    "C10", "C11", "C13", "C16",   "C20", "C22", "C25", "C26",   "C26.1", "C27",
    "C28", "C29", "C31", "D35.1", "H52", "I55", "J62", "M72.1", "A01",   "Q86",
};

enum periodicity { QUARTERLY, HALF_YEARLY, YEARLY };
static const char *const periodicity_names[] = {"quarterly", "half-yearly", "yearly"};

struct definition {
    int area;
    const char *code, *name, *unit;
    enum periodicity per;
    unsigned maxv;     /* magnitude */
    int integer;       /* whole numbers */
    const char *types; /* expected_from_types as JSON, NULL: every partner type */
};
static const struct definition defs[] = {
    {0, "patent_applications", "Patent applications", "count", QUARTERLY, 400, 1, NULL},
    {0, "innovation_active_firms_share", "Innovation-active member firms", "percent", YEARLY, 100,
     0, NULL},
    {1, "rd_expenditure", "R&D expenditure", "EUR_thousand", QUARTERLY, 90000, 0, NULL},
    {1, "rd_personnel", "R&D personnel", "FTE", HALF_YEARLY, 2000, 0,
     "[\"research-institute\",\"university\",\"innovation-agency\"]"},
    {1, "joint_rd_projects", "Joint R&D projects", "count", QUARTERLY, 80, 1, NULL},
    {2, "circular_economy_projects", "Circular economy projects", "count", QUARTERLY, 40, 1, NULL},
    {2, "renewable_energy_share", "Renewable energy share", "percent", YEARLY, 100, 0, NULL},
    {3, "foreign_partner_organisations", "Foreign partner organisations", "count", QUARTERLY, 300,
     1, NULL},
    {3, "eu_project_participations", "EU project participations", "count", HALF_YEARLY, 60, 1,
     NULL},
    {3, "export_revenue_share", "Export revenue share", "percent", YEARLY, 100, 0, NULL},
    {4, "public_funding_received", "Public funding received", "EUR_thousand", QUARTERLY, 50000, 0,
     NULL},
    {4, "private_investment_attracted", "Private investment attracted", "EUR_thousand", HALF_YEARLY,
     80000, 0, NULL},
    {5, "smart_specialisation_domains", "Smart specialisation domains", "count", YEARLY, 12, 1,
     NULL},
    {5, "employment_location_quotient", "Employment location quotient", "ratio", YEARLY, 9, 0,
     "[\"public-authority\",\"development-agency\"]"},
    {6, "employees_total", "Employees in member firms", "persons", QUARTERLY, 25000, 1, NULL},
    {6, "training_hours_per_employee", "Training hours per employee", "hours", HALF_YEARLY, 120, 0,
     NULL},
    {6, "open_vacancies", "Open vacancies", "count", QUARTERLY, 1500, 1, NULL},
};
#define NDEFS (sizeof defs / sizeof defs[0])

struct period {
    const char *id, *label, *start, *end, *due;
    enum periodicity per;
    int quarter_end; /* the last quarter it covers, 1..8 (2014-Q1 = 1) */
};
static const struct period periods[NPERIODS] = {
    {"2014-Q1", "2014 Q1", "2014-01-01", "2014-03-31", "2014-04-30", QUARTERLY, 1},
    {"2014-Q2", "2014 Q2", "2014-04-01", "2014-06-30", "2014-07-31", QUARTERLY, 2},
    {"2014-Q3", "2014 Q3", "2014-07-01", "2014-09-30", "2014-10-31", QUARTERLY, 3},
    {"2014-Q4", "2014 Q4", "2014-10-01", "2014-12-31", "2015-01-31", QUARTERLY, 4},
    {"2015-Q1", "2015 Q1", "2015-01-01", "2015-03-31", "2015-04-30", QUARTERLY, 5},
    {"2015-Q2", "2015 Q2", "2015-04-01", "2015-06-30", "2015-07-31", QUARTERLY, 6},
    {"2015-Q3", "2015 Q3", "2015-07-01", "2015-09-30", "2015-10-31", QUARTERLY, 7},
    {"2015-Q4", "2015 Q4", "2015-10-01", "2015-12-31", "2016-01-31", QUARTERLY, 8},
    {"2014-H1", "2014 first half", "2014-01-01", "2014-06-30", "2014-07-31", HALF_YEARLY, 2},
    {"2014-H2", "2014 second half", "2014-07-01", "2014-12-31", "2015-01-31", HALF_YEARLY, 4},
    {"2015-H1", "2015 first half", "2015-01-01", "2015-06-30", "2015-07-31", HALF_YEARLY, 6},
    {"2015-H2", "2015 second half", "2015-07-01", "2015-12-31", "2016-01-31", HALF_YEARLY, 8},
    {"2014", "2014", "2014-01-01", "2014-12-31", "2015-02-28", YEARLY, 4},
    {"2015", "2015", "2015-01-01", "2015-12-31", "2016-02-29", YEARLY, 8},
};

struct partner {
    char id[4];
    const char *country_iso, *type;
    int type_ix;
    const struct country *country;
    int late_quarters; /* 0, 1 or 2 */
    int incomplete;
    unsigned nclusters, nactions;
    int completed[MAX_ACTIONS];
    int action_area[MAX_ACTIONS];
    /* per period x area: expected and received indicators */
    unsigned expected[NPERIODS][NAREAS], received[NPERIODS][NAREAS];
};

static struct partner partners[NPARTNERS];

/* splitmix64: small, seedable, the same everywhere */
static uint64_t
next_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static unsigned
rnd(uint64_t *s, unsigned n)
{
    return (unsigned)(next_rand(s) % n);
}

static const char *out_dir;

static FILE *
open_out(const char *name)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", out_dir, name);
    if ((f = fopen(path, "w")) == NULL) {
        fprintf(stderr, "demo_data: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    return f;
}

static void
close_out(FILE *f, const char *name)
{
    if (ferror(f) || fclose(f) != 0) {
        fprintf(stderr, "demo_data: %s/%s: write error\n", out_dir, name);
        exit(2);
    }
}

static const struct country *
country_of(const char *iso)
{
    size_t i;

    for (i = 0; i < sizeof countries / sizeof countries[0]; i++)
        if (strcmp(countries[i].iso, iso) == 0)
            return &countries[i];
    abort();
}

static unsigned
nuts2_count(const struct country *c)
{
    unsigned n = 0;

    while (n < 6 && c->nuts2[n] != NULL)
        n++;
    return n;
}

static int
expected_from(const struct definition *d, const struct partner *p)
{
    return d->types == NULL || strstr(d->types, p->type) != NULL;
}

/* A value for the unit: whole numbers, or two decimals printed exactly. */
static void
print_value(FILE *f, const struct definition *d, uint64_t *s)
{
    unsigned v = rnd(s, d->maxv + 1), cents = rnd(s, 100);

    if (d->integer)
        fprintf(f, "%u", v);
    else
        fprintf(f, "%u.%02u", v, v == d->maxv ? 0 : cents);
}

static void
write_programme(void)
{
    FILE *f = open_out("programme.ndjson");
    size_t i;

    for (i = 0; i < NPARTNERS; i++) {
        const struct partner *p = &partners[i];

        fprintf(f,
                "{\"coll\":\"partner\",\"key\":\"%s\",\"value\":{\"id\":\"%s\",\"name\":\"%s %s\","
                "\"country\":\"%s\",\"type\":\"%s\",\"membership\":\"%s\",\"role\":\"%s\"}}\n",
                p->id, p->id, type_names[p->type_ix], p->id, p->country_iso, p->type,
                p->country->ipa ? "IPA" : "EU", i == 0 ? "lead" : "partner");
    }
    for (i = 0; i < NPERIODS; i++)
        fprintf(f,
                "{\"coll\":\"period\",\"key\":\"%s\",\"value\":{\"label\":\"%s\",\"start\":\"%s\","
                "\"end\":\"%s\",\"due\":\"%s\"}}\n",
                periods[i].id, periods[i].label, periods[i].start, periods[i].end, periods[i].due);
    for (i = 0; i < NDEFS; i++) {
        const struct definition *d = &defs[i];

        fprintf(f,
                "{\"coll\":\"indicator_definition\",\"key\":\"%s/%s\",\"value\":{\"area\":\"%s\","
                "\"code\":\"%s\",\"name\":\"%s\",\"unit\":\"%s\",\"periodicity\":\"%s\"",
                areas[d->area], d->code, areas[d->area], d->code, d->name, d->unit,
                periodicity_names[d->per]);
        if (d->types != NULL)
            fprintf(f, ",\"expected_from_types\":%s", d->types);
        fprintf(f, "}}\n");
    }
    close_out(f, "programme.ndjson");
}

/* A gap: one missing indicator, for gaps.json (written after the partner files). */
struct gap {
    char key[96];
    unsigned partner, cluster, def, period;
    int late;
};
static struct gap *gaps;
static size_t ngaps, gaps_cap;

static void
add_gap(unsigned pi, unsigned c, unsigned di, unsigned per, int late)
{
    struct gap *g;

    if (ngaps == gaps_cap) {
        gaps_cap = gaps_cap == 0 ? 256 : gaps_cap * 2;
        if ((gaps = realloc(gaps, gaps_cap * sizeof *gaps)) == NULL) {
            fprintf(stderr, "demo_data: out of memory\n");
            exit(2);
        }
    }
    g = &gaps[ngaps++];
    snprintf(g->key, sizeof g->key, "%.3s/%.3s-C%03u/%s/%s/%s", partners[pi].id, partners[pi].id, c,
             areas[defs[di].area], periods[per].id, defs[di].code);
    g->partner = pi;
    g->cluster = c;
    g->def = di;
    g->period = per;
    g->late = late;
}

static void
write_partner(unsigned pi, uint64_t seed)
{
    struct partner *p = &partners[pi];
    const struct country *co = p->country;
    uint64_t s = seed ^ ((uint64_t)(pi + 1) << 32);
    char name[16];
    unsigned c, a, k, di, per, nareas, lessons, hour, minute;
    FILE *f;

    snprintf(name, sizeof name, "%.3s.ndjson", p->id);
    f = open_out(name);
    next_rand(&s);

    /* clusters: 2-6, each in a region of the partner's country, on 1-4 areas */
    p->nclusters = 2 + rnd(&s, 5);
    for (c = 1; c <= p->nclusters; c++) {
        /* one rnd() per statement: argument order is unspecified, the bytes must not be */
        unsigned firms = 15 + rnd(&s, 236), first = rnd(&s, NAREAS), picked = 0;
        unsigned region = rnd(&s, nuts2_count(co));
        unsigned sector = rnd(&s, sizeof sectors / sizeof sectors[0]);
        unsigned employees = firms * (20 + rnd(&s, 131)), founded = 1995 + rnd(&s, 19);

        nareas = 1 + rnd(&s, 4);
        fprintf(f,
                "{\"coll\":\"cluster\",\"key\":\"%s/%s-C%03u\",\"value\":{\"id\":\"%s-C%03u\","
                "\"name\":\"Demo Cluster %u (%s)\",\"nuts2\":\"%s\",\"sector\":\"%s\","
                "\"member_firms\":%u,\"employees\":%u,\"founded\":%u,\"areas\":[",
                p->id, p->id, c, p->id, c, c, p->id, co->nuts2[region], sectors[sector], firms,
                employees, founded);
        for (a = 0; a < NAREAS && picked < nareas; a++) /* distinct, in the areas' order */
            if ((a + NAREAS - first) % NAREAS < nareas)
                fprintf(f, "%s\"%s\"", picked++ > 0 ? "," : "", areas[a]);
        fprintf(f, "]}}\n");
    }

    /* pilot actions: 3-6, the first completed, the others of any status */
    p->nactions = 3 + rnd(&s, 4);
    for (k = 1; k <= p->nactions; k++) {
        static const char *const statuses[] = {"completed", "running", "planned", "cancelled"};
        unsigned st = k == 1 ? 0 : rnd(&s, 4), month = 1 + rnd(&s, 9);
        unsigned budget = 20000 + 500 * rnd(&s, 461);

        a = rnd(&s, NAREAS);
        p->completed[k - 1] = st == 0;
        p->action_area[k - 1] = (int)a;
        fprintf(
            f,
            "{\"coll\":\"pilot_action\",\"key\":\"%s/%s-PA%02u\",\"value\":{\"id\":\"%s-PA%02u\","
            "\"area\":\"%s\",\"title\":\"Demo %s (%s)\",\"status\":\"%s\",",
            p->id, p->id, k, p->id, k, areas[a], area_titles[a], p->id, statuses[st]);
        switch (st) {
        case 0: /* completed in 2015, evaluated */
            fprintf(f,
                    "\"start\":\"2014-%02u-01\",\"end\":\"2015-%02u-28\",\"budget_eur\":%u,"
                    "\"evaluation\":{\"score\":%u,\"lessons\":\"Demo lesson: %s works best with "
                    "a named contact in every member firm\"}}}\n",
                    month, month, budget, 2 + rnd(&s, 4), area_titles[a]);
            break;
        case 1: /* running since 2015, sometimes with a planned end */
            fprintf(f, "\"start\":\"2015-%02u-01\",", month);
            if (rnd(&s, 2) == 0)
                fprintf(f, "\"end\":\"2016-%02u-28\",", month);
            fprintf(f, "\"budget_eur\":%u}}\n", budget);
            break;
        case 2: /* planned for 2016 */
            fprintf(f, "\"start\":\"2016-%02u-01\",\"budget_eur\":%u}}\n", month, budget);
            break;
        default: /* cancelled after a few months */
            fprintf(f, "\"start\":\"2014-%02u-01\",\"end\":\"2014-%02u-28\",\"budget_eur\":%u}}\n",
                    month, month + 3, budget);
            break;
        }
    }

    /* policy lessons: 1-3, from completed actions, shared with less experienced partners
     * (or, for the least experienced, with their peers) */
    lessons = 1 + rnd(&s, 3);
    for (k = 1; k <= lessons; k++) {
        unsigned from = 0, shared = 0, want = 1 + rnd(&s, 3), tries, q;
        int lower = 0;

        for (tries = 0; tries < 8; tries++) {
            from = rnd(&s, p->nactions);
            if (p->completed[from])
                break;
        }
        for (q = 0; q < NPARTNERS; q++)
            if (partners[q].country->tier < co->tier)
                lower = 1;
        fprintf(
            f,
            "{\"coll\":\"policy_lesson\",\"key\":\"%s/%s-L%02u\",\"value\":{\"id\":\"%s-L%02u\","
            "\"area\":\"%s\",\"text\":\"Demo lesson %u of %s: %s the %s %s\","
            "\"pilot_action\":\"%s/%s-PA%02u\",\"shared_with\":[",
            p->id, p->id, k, p->id, k, areas[p->action_area[from]], k, p->id, lesson_verbs[k - 1],
            area_titles[p->action_area[from]], lesson_ends[k - 1], p->id, p->id, from + 1);
        /* a deterministic walk from a random start: distinct, never the writer */
        for (q = rnd(&s, NPARTNERS), tries = 0; tries < NPARTNERS && shared < want;
             tries++, q = (q + 7) % NPARTNERS) {
            int t = partners[q].country->tier;

            if (q == pi || (lower ? t >= co->tier : t != co->tier))
                continue;
            fprintf(f, "%s\"%s\"", shared++ > 0 ? "," : "", partners[q].id);
        }
        fprintf(f, "]}}\n");
    }

    /* indicators: every cluster x expected definition x period of its periodicity */
    for (c = 1; c <= p->nclusters; c++)
        for (di = 0; di < NDEFS; di++) {
            const struct definition *d = &defs[di];

            if (!expected_from(d, p))
                continue;
            for (per = 0; per < NPERIODS; per++) {
                const struct period *pd = &periods[per];
                int late;

                if (pd->per != d->per)
                    continue;
                p->expected[per][d->area]++;
                late = pd->quarter_end > 8 - p->late_quarters;
                if (late || (p->incomplete && rnd(&s, 1000) < INCOMPLETE_PERMILLE)) {
                    add_gap(pi, c, di, per, late);
                    continue;
                }
                p->received[per][d->area]++;
                fprintf(f,
                        "{\"coll\":\"indicator\",\"key\":\"%s/%s-C%03u/%s/%s/%s\",\"value\":{"
                        "\"partner\":\"%s\",\"cluster_id\":\"%s-C%03u\",\"area\":\"%s\","
                        "\"period\":\"%s\",\"indicator\":\"%s\",\"value\":",
                        p->id, p->id, c, areas[d->area], pd->id, d->code, p->id, p->id, c,
                        areas[d->area], pd->id, d->code);
                print_value(f, d, &s);
                hour = 8 + rnd(&s, 10);
                minute = rnd(&s, 60);
                fprintf(f,
                        ",\"unit\":\"%s\",\"source\":\"demo-generator\",\"updated_at\":"
                        "\"%sT%02u:%02u:00Z\",\"note\":\"demo data, not real\"}}\n",
                        d->unit, pd->due, hour, minute);
            }
        }
    close_out(f, name);
}

static void
write_gaps(uint64_t seed)
{
    FILE *f = open_out("gaps.json");
    unsigned long expected = 0, received = 0;
    size_t i, per, a;
    int first;

    for (i = 0; i < NPARTNERS; i++)
        for (per = 0; per < NPERIODS; per++)
            for (a = 0; a < NAREAS; a++) {
                expected += partners[i].expected[per][a];
                received += partners[i].received[per][a];
            }
    fprintf(f, "{\n  \"generator\": \"demo_data\",\n  \"seed\": %" PRIu64 ",\n", seed);
    fprintf(f, "  \"rule\": \"an indicator definition is expected, for each period of its "
               "periodicity, from every cluster of every partner whose type is in "
               "expected_from_types (all types when absent)\",\n");
    fprintf(f, "  \"expected_indicators\": %lu,\n  \"received_indicators\": %lu,\n", expected,
            received);
    fprintf(f, "  \"late\": [");
    for (i = 0, first = 1; i < NPARTNERS; i++) {
        const struct partner *p = &partners[i];

        if (p->late_quarters == 0)
            continue;
        fprintf(f, "%s\n    {\"partner\": \"%s\", \"quarters_late\": %d, \"periods\": [",
                first ? "" : ",", p->id, p->late_quarters);
        first = 0;
        for (per = 0, a = 0; per < NPERIODS; per++)
            if (periods[per].quarter_end > 8 - p->late_quarters)
                fprintf(f, "%s\"%s\"", a++ > 0 ? ", " : "", periods[per].id);
        fprintf(f, "]}");
    }
    fprintf(f, "\n  ],\n  \"incomplete\": [");
    for (i = 0, first = 1; i < NPARTNERS; i++)
        if (partners[i].incomplete) {
            fprintf(f, "%s\"%s\"", first ? "" : ", ", partners[i].id);
            first = 0;
        }
    fprintf(f, "],\n  \"missing\": [");
    for (i = 0; i < ngaps; i++) {
        const struct gap *g = &gaps[i];

        fprintf(f,
                "%s\n    {\"key\": \"%s\", \"partner\": \"%s\", \"cluster_id\": \"%s-C%03u\", "
                "\"area\": \"%s\", \"period\": \"%s\", \"indicator\": \"%s\", \"reason\": \"%s\"}",
                i > 0 ? "," : "", g->key, partners[g->partner].id, partners[g->partner].id,
                g->cluster, areas[defs[g->def].area], periods[g->period].id, defs[g->def].code,
                g->late ? "late" : "incomplete");
    }
    /* partner -> period -> area -> [expected, received], for areas with any expected */
    fprintf(f, "\n  ],\n  \"matrix\": {");
    for (i = 0; i < NPARTNERS; i++) {
        const struct partner *p = &partners[i];

        fprintf(f, "%s\n    \"%s\": {", i > 0 ? "," : "", p->id);
        for (per = 0; per < NPERIODS; per++) {
            fprintf(f, "%s\"%s\": {", per > 0 ? ", " : "", periods[per].id);
            for (a = 0, first = 1; a < NAREAS; a++) {
                if (p->expected[per][a] == 0)
                    continue;
                fprintf(f, "%s\"%s\": [%u, %u]", first ? "" : ", ", areas[a], p->expected[per][a],
                        p->received[per][a]);
                first = 0;
            }
            fprintf(f, "}");
        }
        fprintf(f, "}");
    }
    fprintf(f, "\n  }\n}\n");
    close_out(f, "gaps.json");
}

int
main(int argc, char **argv)
{
    uint64_t seed = 20140101, s;
    unsigned order[NPARTNERS - 1], i, j, t;
    char *end;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: demo_data OUTDIR [SEED]\n");
        return 2;
    }
    out_dir = argv[1];
    if (argc == 3) {
        errno = 0;
        seed = strtoull(argv[2], &end, 10);
        if (errno != 0 || *end != '\0' || end == argv[2]) {
            fprintf(stderr, "demo_data: SEED: expected a decimal number\n");
            return 2;
        }
    }
    if (mkdir(out_dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "demo_data: %s: %s\n", out_dir, strerror(errno));
        return 2;
    }
    for (i = 0; i < NPARTNERS; i++) {
        struct partner *p = &partners[i];

        snprintf(p->id, sizeof p->id, "P%02u", i + 1);
        p->country_iso = partner_country[i];
        p->country = country_of(p->country_iso);
        p->type_ix = (int)(i % 6);
        p->type = types[p->type_ix];
    }
    /* who is late and who incomplete: never the lead partner P01 */
    s = seed;
    for (i = 0; i < NPARTNERS - 1; i++)
        order[i] = i + 1;
    for (i = NPARTNERS - 2; i > 0; i--) {
        j = rnd(&s, i + 1);
        t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (i = 0; i < NLATE; i++)
        partners[order[i]].late_quarters = 1 + (int)(i % 2);
    for (; i < NLATE + NINCOMPLETE; i++)
        partners[order[i]].incomplete = 1;

    write_programme();
    for (i = 0; i < NPARTNERS; i++)
        write_partner(i, seed);
    write_gaps(seed);
    free(gaps);
    return 0;
}
