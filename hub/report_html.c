/* SPDX-License-Identifier: ISC */
/*
 * cps-hub report html: the programme report for the lead partner and the Monitoring
 * Committee, as one self-contained HTML file — inline CSS and SVG, no scripts, nothing
 * fetched — from the data report.c loaded: indicator totals by area x country, the
 * completeness heat map (partner x period), pilot actions by status with their evaluation
 * scores, and each partner's sync health from the hub's chain state. Figures carry data-*
 * attributes (definition, country, partner, period, status) so tests and tools can find
 * them in the page.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cps/schema.h"
#include "report.h"

#define MAX_COUNTRIES 64
#define N_STATUSES 4

static const char *const statuses[N_STATUSES] = {"completed", "running", "planned", "cancelled"};
static const char *const status_colours[N_STATUSES] = {"#2e7d32", "#1565c0", "#8e9aaf", "#b0413e"};

/* Units whose values add up across clusters; the others (shares, ratios, per-head
 * figures) are averaged. */
static const char *const additive_units[] = {
    "count", "persons", "FTE", "EUR", "EUR_thousand", "EUR_million", "firms", "jobs", NULL,
};

struct country {
    char code[3];
    bool ipa;
};

/* Sum and count of one indicator definition's values in one period and country. */
struct agg {
    double sum;
    uint32_t n;
};

struct action {
    char *key, *title, *area, *status, *start, *end;
    double budget;
    int score; /* 0: not evaluated */
};

struct html {
    FILE *f;
    const struct report *r;
    struct country countries[MAX_COUNTRIES];
    size_t n_countries;
    struct agg *aggs; /* [def][period][country] */
    uint64_t n_values, n_clusters;
    struct action *actions;
    size_t n_actions;
};

/* --- text -------------------------------------------------------------------------------- */

static void
esc(FILE *f, const char *s)
{
    for (; *s != '\0'; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

/* For reading, not for re-use (exports are exact): 1234567.891 -> "1,234,567", 12.345 ->
 * "12.35", 12.5 -> "12.5": whole numbers from 1,000 on, else two decimals at most. */
static void
number(char *out, size_t cap, double v)
{
    char raw[64], *dot, *end;
    size_t int_len, i, o = 0;
    const char *p = raw;

    snprintf(raw, sizeof raw, fabs(v) >= 1000 ? "%.0f" : "%.2f", v);
    if (strcmp(raw, "-0.00") == 0 || strcmp(raw, "-0") == 0)
        snprintf(raw, sizeof raw, "0");
    if ((dot = strchr(raw, '.')) != NULL) {
        end = raw + strlen(raw);
        while (end > dot + 1 && end[-1] == '0')
            *--end = '\0';
        if (end == dot + 1)
            *dot = '\0';
    }
    if (*p == '-' && o + 1 < cap)
        out[o++] = *p++;
    int_len = (size_t)((dot != NULL && *dot != '\0' ? dot : raw + strlen(raw)) - p);
    for (i = 0; i < int_len && o + 2 < cap; i++) {
        if (i > 0 && (int_len - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = p[i];
    }
    snprintf(out + o, cap - o, "%s", p + int_len);
}

static void
count_text(char *out, size_t cap, uint64_t v)
{
    number(out, cap, (double)v);
}

/* Floor of the percentage, so that only a complete figure shows 100%. */
static unsigned
pct(uint64_t received, uint64_t expected)
{
    return expected == 0 ? 100 : (unsigned)(received * 100 / expected);
}

static void
utc_time(char *out, size_t cap, uint64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%d %H:%M UTC", &tm);
}

static void
ago(char *out, size_t cap, uint64_t now_ms, uint64_t then_ms)
{
    uint64_t s = now_ms > then_ms ? (now_ms - then_ms) / 1000 : 0;

    if (s < 120)
        snprintf(out, cap, "%" PRIu64 " s", s);
    else if (s < 7200)
        snprintf(out, cap, "%" PRIu64 " min", s / 60);
    else if (s < 2 * 86400)
        snprintf(out, cap, "%" PRIu64 " h", s / 3600);
    else
        snprintf(out, cap, "%" PRIu64 " days", s / 86400);
}

/* --- reading ----------------------------------------------------------------------------- */

static size_t
country_index(const struct html *x, const char *code)
{
    size_t i;

    for (i = 0; i < x->n_countries; i++)
        if (strcmp(x->countries[i].code, code) == 0)
            return i;
    return SIZE_MAX;
}

static int
cmp_country(const void *a, const void *b)
{
    const struct country *x = a, *y = b;

    if (x->ipa != y->ipa)
        return x->ipa ? 1 : -1;
    return strcmp(x->code, y->code);
}

/* EU member states first, then IPA countries, each by code. */
static void
collect_countries(struct html *x)
{
    static const char *const ipa[] = {"AL", "HR", "RS", "BA", "ME", "MK", "XK", "TR", NULL};
    size_t i, k, c;

    for (i = 0; i < x->r->n_partners; i++) {
        const struct report_partner *p = &x->r->partners[i];

        x->n_clusters += p->n_clusters;
        if (p->country[0] == '\0' || (c = country_index(x, p->country)) != SIZE_MAX)
            continue;
        if (x->n_countries == MAX_COUNTRIES)
            continue;
        c = x->n_countries++;
        memcpy(x->countries[c].code, p->country, 3);
        x->countries[c].ipa = strcmp(p->membership, "IPA") == 0;
        for (k = 0; p->membership[0] == '\0' && ipa[k] != NULL; k++)
            if (strcmp(ipa[k], p->country) == 0)
                x->countries[c].ipa = true;
    }
    qsort(x->countries, x->n_countries, sizeof *x->countries, cmp_country);
}

static struct agg *
agg_at(const struct html *x, size_t def, size_t period, size_t country)
{
    return &x->aggs[(def * x->r->n_periods + period) * x->n_countries + country];
}

/* Split key into up to max '/'-separated segments (copies, NUL-terminated). */
static size_t
segments(const char *key, size_t key_len, char seg[][72], size_t max)
{
    size_t n = 0, start = 0, i;

    for (i = 0; i <= key_len && n < max; i++)
        if (i == key_len || key[i] == '/') {
            size_t len = i - start;

            if (len >= 72)
                return 0;
            memcpy(seg[n], key + start, len);
            seg[n++][len] = '\0';
            start = i + 1;
        }
    return i > key_len ? n : 0;
}

static int
on_indicator(void *arg, const char *key, size_t key_len, json_t *v)
{
    struct html *x = arg;
    const struct report *r = x->r;
    char seg[5][72];
    const json_t *val = json_object_get(v, "value");
    size_t d, t, p, c;

    if (segments(key, key_len, seg, 5) != 5 || !json_is_number(val))
        return 0; /* the one-indicator-per-area form has no definition to total under */
    for (d = 0; d < r->n_defs; d++)
        if (strcmp(r->defs[d].code, seg[4]) == 0 &&
            strcmp(cps_schema_area((size_t)r->defs[d].area), seg[2]) == 0)
            break;
    for (t = 0; t < r->n_periods && strcmp(r->periods[t].id, seg[3]) != 0; t++)
        ;
    for (p = 0; p < r->n_partners && strcmp(r->partners[p].id, seg[0]) != 0; p++)
        ;
    if (d == r->n_defs || t == r->n_periods || p == r->n_partners ||
        (c = country_index(x, r->partners[p].country)) == SIZE_MAX)
        return 0;
    agg_at(x, d, t, c)->sum += json_number_value(val);
    agg_at(x, d, t, c)->n++;
    x->n_values++;
    return 0;
}

static char *
dup_str(const char *s)
{
    char *d = malloc(strlen(s) + 1);

    if (d != NULL)
        strcpy(d, s);
    return d;
}

static int
on_action(void *arg, const char *key, size_t key_len, json_t *v)
{
    struct html *x = arg;
    struct action *a;
    const json_t *score = json_object_get(json_object_get(v, "evaluation"), "score");

    if ((a = realloc(x->actions, (x->n_actions + 1) * sizeof *a)) == NULL)
        return -ENOMEM;
    x->actions = a;
    a = &x->actions[x->n_actions];
    memset(a, 0, sizeof *a);
    if ((a->key = malloc(key_len + 1)) != NULL) {
        memcpy(a->key, key, key_len);
        a->key[key_len] = '\0';
    }
    a->title = dup_str(report_jstr(v, "title"));
    a->area = dup_str(report_jstr(v, "area"));
    a->status = dup_str(report_jstr(v, "status"));
    a->start = dup_str(report_jstr(v, "start"));
    a->end = dup_str(report_jstr(v, "end"));
    x->n_actions++;
    if (a->key == NULL || a->title == NULL || a->area == NULL || a->status == NULL ||
        a->start == NULL || a->end == NULL)
        return -ENOMEM;
    a->budget = json_number_value(json_object_get(v, "budget_eur"));
    a->score = json_is_integer(score) ? (int)json_integer_value(score) : 0;
    return 0;
}

static void
free_actions(struct html *x)
{
    size_t i;

    for (i = 0; i < x->n_actions; i++) {
        free(x->actions[i].key);
        free(x->actions[i].title);
        free(x->actions[i].area);
        free(x->actions[i].status);
        free(x->actions[i].start);
        free(x->actions[i].end);
    }
    free(x->actions);
}

/* --- the page ---------------------------------------------------------------------------- */

static const char css[] =
    ":root{--ink:#1d2733;--muted:#5b6878;--line:#dde3ea;--band:#123a5e;--accent:#1f6fb2;"
    "--bg:#f5f7fa}"
    "*{box-sizing:border-box}"
    "body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 'DejaVu Sans',"
    "system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif}"
    "header{background:var(--band);color:#fff;padding:26px 40px 22px}"
    "header h1{margin:0;font-size:26px;font-weight:600;letter-spacing:.2px}"
    "header p{margin:6px 0 0;color:#c9d8e8;font-size:13px}"
    "main{max-width:1240px;margin:0 auto;padding:8px 32px 40px}"
    "nav{margin:18px 0 4px;font-size:13px;color:var(--muted)}"
    "nav a{color:var(--accent);text-decoration:none;margin-right:18px}"
    "section{background:#fff;border:1px solid var(--line);border-radius:8px;"
    "padding:18px 22px 20px;margin:18px 0}"
    "h2{margin:0 0 4px;font-size:19px;color:var(--band)}"
    "h3{margin:18px 0 8px;font-size:15px;color:var(--ink)}"
    "p.note{margin:2px 0 12px;color:var(--muted);font-size:12.5px}"
    ".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px;"
    "margin:18px 0}"
    ".card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 16px}"
    ".card b{display:block;font-size:24px;font-weight:600;color:var(--band)}"
    ".card span{color:var(--muted);font-size:12.5px}"
    "table{border-collapse:collapse;width:100%;font-size:12.5px}"
    "th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:left;"
    "vertical-align:top}"
    "thead th{background:#eef2f6;color:var(--muted);font-weight:600;white-space:nowrap;"
    "position:sticky;top:0}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    "td.all{font-weight:600;background:#f7f9fb}"
    "td.none{color:#b8c1cc;text-align:center}"
    "tr.area th{background:#e3ecf5;color:var(--band);font-size:13px;padding-top:7px}"
    "table.totals{font-size:12px}table.totals td,table.totals th{padding:4px 6px}"
    "table.totals td.ind{min-width:210px}"
    "td.ind small{display:block;color:var(--muted);font-size:11px}"
    "td.per{color:var(--muted);white-space:nowrap}"
    ".ipa{font-size:9.5px;color:#8a5a00;display:block;font-weight:400}"
    ".scroll{overflow-x:auto}"
    ".pill{display:inline-block;border-radius:10px;padding:0 8px;font-size:11.5px;"
    "font-weight:600;color:#fff}"
    ".ok{background:#2e7d32}.warn{background:#c77700}.bad{background:#b0413e}"
    ".off{background:#8e9aaf}"
    ".stars{color:#e0a100;letter-spacing:1px;white-space:nowrap}"
    ".stars i{color:#d5dbe2;font-style:normal}"
    ".flex{display:flex;flex-wrap:wrap;gap:28px;align-items:flex-start}"
    ".legend{font-size:12px;color:var(--muted);margin-top:6px}"
    ".legend span{display:inline-block;width:14px;height:10px;border-radius:2px;"
    "margin:0 4px 0 12px;vertical-align:middle}"
    "ul.late{margin:6px 0 0;padding-left:18px}"
    "td.rej{color:#b0413e;font-weight:600}"
    "footer{max-width:1240px;margin:0 auto;padding:0 32px 30px;color:var(--muted);"
    "font-size:12px}"
    "svg text{font-family:'DejaVu Sans',system-ui,sans-serif}"
    "@media print{body{background:#fff}section{break-inside:avoid;border:none}"
    "header{-webkit-print-color-adjust:exact;print-color-adjust:exact}}";

static bool
additive(const char *unit)
{
    size_t i;

    for (i = 0; additive_units[i] != NULL; i++)
        if (strcmp(additive_units[i], unit) == 0)
            return true;
    return false;
}

static void
cards(struct html *x)
{
    const struct report *r = x->r;
    FILE *f = x->f;
    size_t i, n_ipa = 0, late = 0, completed = 0;
    char a[32], b[32], rate[16];

    for (i = 0; i < x->n_countries; i++)
        n_ipa += x->countries[i].ipa;
    for (i = 0; i < r->n_partners; i++) {
        size_t t;

        for (t = 0; t < r->n_periods && !report_late(r, i, t); t++)
            ;
        late += t < r->n_periods;
    }
    for (i = 0; i < x->n_actions; i++)
        completed += strcmp(x->actions[i].status, "completed") == 0;
    fputs("<div class=\"cards\">", f);
    fprintf(f,
            "<div class=\"card\"><b data-figure=\"partners\">%zu</b><span>partners in %zu "
            "countries (%zu EU, %zu IPA)</span></div>",
            r->n_partners, x->n_countries, x->n_countries - n_ipa, n_ipa);
    count_text(a, sizeof a, x->n_clusters);
    fprintf(f, "<div class=\"card\"><b data-figure=\"clusters\">%s</b><span>clusters</span></div>",
            a);
    count_text(a, sizeof a, r->received);
    count_text(b, sizeof b, r->expected);
    if (r->expected == 0)
        snprintf(rate, sizeof rate, "&ndash;");
    else
        snprintf(rate, sizeof rate, "%u%%", pct(r->received, r->expected));
    fprintf(f,
            "<div class=\"card\"><b data-figure=\"reporting-rate\">%s</b><span>reporting "
            "rate: %s of %s expected indicators</span></div>",
            rate, a, b);
    fprintf(f,
            "<div class=\"card\"><b data-figure=\"late-partners\">%zu</b><span>partners late "
            "for a period past its due date</span></div>",
            late);
    fprintf(f,
            "<div class=\"card\"><b data-figure=\"pilot-actions\">%zu</b><span>pilot actions, "
            "%zu completed</span></div>",
            x->n_actions, completed);
    count_text(a, sizeof a, r->log_size);
    fprintf(f,
            "<div class=\"card\"><b data-figure=\"log-size\">%s</b><span>updates in the hub's "
            "signed log</span></div>",
            a);
    fputs("</div>\n", f);
}

static void
totals(struct html *x)
{
    const struct report *r = x->r;
    FILE *f = x->f;
    size_t d, t, c;
    int area;
    char buf[64];

    fputs("<section id=\"totals\"><h2>1. Indicator totals by area and country</h2>\n"
          "<p class=\"note\">For each indicator the latest period with data. Counts and "
          "amounts are summed over the clusters of each country; shares, ratios and "
          "per-head figures are averaged (mean). A partner late for that period is not in "
          "its figures (see 2).</p>\n<div class=\"scroll\"><table class=\"totals\"><thead><tr>"
          "<th>Indicator</th><th>Period</th>",
          f);
    for (c = 0; c < x->n_countries; c++)
        fprintf(f, "<th class=\"n\">%s%s</th>", x->countries[c].code,
                x->countries[c].ipa ? "<span class=\"ipa\">IPA</span>" : "");
    fputs("<th class=\"n\">All</th></tr></thead>\n<tbody>\n", f);
    if (r->n_defs == 0)
        fprintf(f,
                "<tr><td class=\"none\" colspan=\"%zu\">no indicator definitions yet "
                "(<code>cps-hub programme import</code>)</td></tr>\n",
                x->n_countries + 3);
    for (area = 0; area < REPORT_AREAS; area++) {
        bool any = false;

        for (d = 0; d < r->n_defs; d++) {
            const struct report_def *rd = &r->defs[d];
            size_t latest = SIZE_MAX;
            struct agg all = {0, 0};
            bool sum = additive(rd->unit);

            if (rd->area != area)
                continue;
            if (!any)
                fprintf(f, "<tr class=\"area\"><th colspan=\"%zu\">%d &middot; ",
                        x->n_countries + 3, area + 1);
            if (!any) {
                esc(f, report_area_title(area));
                fputs("</th></tr>\n", f);
            }
            any = true;
            /* the latest period (by end date) of the definition with any value */
            for (t = 0; t < r->n_periods; t++)
                for (c = 0; c < x->n_countries; c++)
                    if (agg_at(x, d, t, c)->n > 0 &&
                        (latest == SIZE_MAX ||
                         strcmp(r->periods[t].end, r->periods[latest].end) > 0))
                        latest = t;
            fputs("<tr><td class=\"ind\">", f);
            esc(f, rd->name[0] != '\0' ? rd->name : rd->code);
            fputs("<small>", f);
            esc(f, rd->unit);
            fprintf(f, " &middot; %s</small></td><td class=\"per\">", sum ? "sum" : "mean");
            esc(f, latest != SIZE_MAX ? r->periods[latest].id : "no data");
            fputs("</td>", f);
            for (c = 0; c <= x->n_countries; c++) {
                struct agg a = {0, 0};

                if (c < x->n_countries && latest != SIZE_MAX) {
                    a = *agg_at(x, d, latest, c);
                    all.sum += a.sum;
                    all.n += a.n;
                } else if (c == x->n_countries) {
                    a = all;
                }
                fprintf(f, "<td class=\"n%s%s\" data-def=\"%s/%s\" data-country=\"%s\">",
                        c == x->n_countries ? " all" : "", a.n == 0 ? " none" : "",
                        cps_schema_area((size_t)rd->area), rd->code,
                        c < x->n_countries ? x->countries[c].code : "all");
                if (a.n == 0) {
                    fputs("&ndash;</td>", f);
                    continue;
                }
                number(buf, sizeof buf, sum ? a.sum : a.sum / a.n);
                fprintf(f, "%s</td>", buf);
            }
            fputs("</tr>\n", f);
        }
    }
    fputs("</tbody></table></div></section>\n", f);
}

/* Heat map colours by reporting rate. */
static void
heat_colour(unsigned pc, const char **fill, const char **ink)
{
    *ink = "#1d2733";
    if (pc >= 100) {
        *fill = "#2e7d32";
        *ink = "#ffffff";
    } else if (pc >= 90) {
        *fill = "#8bc34a";
    } else if (pc >= 75) {
        *fill = "#d4e157";
    } else if (pc >= 50) {
        *fill = "#ffd54f";
    } else {
        *fill = "#ff8a50";
    }
}

#define HM_LABEL 96
#define HM_CELL_W 56
#define HM_CELL_H 22
#define HM_GAP 10
#define HM_TOP 30

static unsigned
hm_x(const struct report *r, size_t t)
{
    unsigned x = HM_LABEL, gaps = 0;
    size_t i;

    for (i = 1; i <= t && i < r->n_periods; i++)
        gaps += r->periods[i].kind != r->periods[i - 1].kind;
    x += (unsigned)t * HM_CELL_W + gaps * HM_GAP;
    return x;
}

static void
heat_map(struct html *x)
{
    const struct report *r = x->r;
    FILE *f = x->f;
    unsigned width, height, total_x;
    size_t p, t;
    bool any = false;

    total_x = r->n_periods > 0 ? hm_x(r, r->n_periods - 1) + HM_CELL_W + HM_GAP : HM_LABEL;
    width = total_x + HM_CELL_W + 4;
    height = HM_TOP + (unsigned)r->n_partners * HM_CELL_H + 4;
    fprintf(f,
            "<section id=\"completeness\"><h2>2. Completeness of reporting</h2>\n"
            "<p class=\"note\">Received versus expected indicators per partner and period, as "
            "of %s. Expected: every indicator definition, for each period of its periodicity, "
            "from every cluster of every partner of the types it names. <b>late</b>: nothing "
            "received for a period past its due date.</p>\n<div class=\"scroll\">",
            r->as_of);
    fprintf(f,
            "<svg class=\"heatmap\" width=\"%u\" height=\"%u\" viewBox=\"0 0 %u %u\" "
            "role=\"img\" aria-label=\"completeness heat map\">\n",
            width, height, width, height);
    for (t = 0; t < r->n_periods; t++)
        fprintf(f,
                "<text x=\"%u\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\" "
                "fill=\"#5b6878\">%s</text>\n",
                hm_x(r, t) + HM_CELL_W / 2, HM_TOP - 10, r->periods[t].id);
    fprintf(f,
            "<text x=\"%u\" y=\"%d\" font-size=\"11\" font-weight=\"bold\" text-anchor=\"middle\" "
            "fill=\"#5b6878\">all</text>\n",
            total_x + HM_CELL_W / 2, HM_TOP - 10);
    for (p = 0; p < r->n_partners; p++) {
        const struct report_partner *rp = &r->partners[p];
        unsigned y = HM_TOP + (unsigned)p * HM_CELL_H;
        uint64_t e = 0, rec = 0;
        const char *fill, *ink;
        char all[16];

        fprintf(f,
                "<text x=\"4\" y=\"%u\" font-size=\"12\" fill=\"#1d2733\"><tspan "
                "font-weight=\"bold\">%s</tspan> %s</text>\n",
                y + 15, rp->id, rp->country);
        for (t = 0; t < r->n_periods; t++) {
            struct report_cell c = report_partner_period(r, p, t);
            unsigned cx = hm_x(r, t), pc = pct(c.received, c.expected);
            const char *label, *state;
            char text[16];

            e += c.expected;
            rec += c.received;
            if (c.expected == 0) {
                fill = "#ffffff";
                ink = "#b8c1cc";
                label = "-";
                state = "nothing expected";
            } else if (report_late(r, p, t)) {
                fill = "#c62828";
                ink = "#ffffff";
                label = "late";
                state = "late";
            } else if (c.received < c.expected && !r->periods[t].due_passed) {
                fill = "#e3e7ec";
                ink = "#5b6878";
                snprintf(text, sizeof text, "%u%%", pc);
                label = text;
                state = "not yet due";
            } else {
                heat_colour(pc, &fill, &ink);
                snprintf(text, sizeof text, "%u%%", pc);
                label = text;
                state = c.received < c.expected ? "incomplete" : "complete";
            }
            fprintf(f,
                    "<g data-partner=\"%s\" data-period=\"%s\" data-expected=\"%" PRIu32
                    "\" data-received=\"%" PRIu32 "\"><title>%s %s: %" PRIu32 " of %" PRIu32
                    " indicators (%s)</title><rect x=\"%u\" y=\"%u\" width=\"%d\" "
                    "height=\"%d\" rx=\"3\" fill=\"%s\" stroke=\"#ffffff\" stroke-width=\"2\"/>"
                    "<text x=\"%u\" y=\"%u\" font-size=\"10.5\" text-anchor=\"middle\" "
                    "fill=\"%s\">%s</text></g>\n",
                    rp->id, r->periods[t].id, c.expected, c.received, rp->id, r->periods[t].id,
                    c.received, c.expected, state, cx, y, HM_CELL_W, HM_CELL_H, fill,
                    cx + HM_CELL_W / 2, y + 15, ink, label);
        }
        heat_colour(pct(rec, e), &fill, &ink);
        if (e == 0) {
            fill = "#ffffff";
            ink = "#b8c1cc";
        }
        snprintf(all, sizeof all, e == 0 ? "-" : "%u%%", pct(rec, e));
        fprintf(f,
                "<g data-partner=\"%s\" data-period=\"all\"><title>%s: %" PRIu64 " of %" PRIu64
                " indicators</title><rect x=\"%u\" y=\"%u\" width=\"%d\" height=\"%d\" rx=\"3\" "
                "fill=\"%s\" stroke=\"#ffffff\" stroke-width=\"2\"/><text x=\"%u\" y=\"%u\" "
                "font-size=\"10.5\" font-weight=\"bold\" text-anchor=\"middle\" "
                "fill=\"%s\">%s</text></g>\n",
                rp->id, rp->id, rec, e, total_x, y, HM_CELL_W, HM_CELL_H, fill,
                total_x + HM_CELL_W / 2, y + 15, ink, all);
    }
    fputs("</svg></div>\n<div class=\"legend\">"
          "<span style=\"background:#2e7d32;margin-left:0\"></span>complete"
          "<span style=\"background:#8bc34a\"></span>90&ndash;99%"
          "<span style=\"background:#d4e157\"></span>75&ndash;89%"
          "<span style=\"background:#ffd54f\"></span>50&ndash;74%"
          "<span style=\"background:#ff8a50\"></span>below 50%"
          "<span style=\"background:#c62828\"></span>late"
          "<span style=\"background:#e3e7ec\"></span>not yet due</div>\n",
          f);
    fputs("<h3>Late partners</h3><ul class=\"late\">", f);
    for (p = 0; p < r->n_partners; p++) {
        bool first = true;

        for (t = 0; t < r->n_periods; t++) {
            if (!report_late(r, p, t))
                continue;
            if (first) {
                fprintf(f, "<li data-late=\"%s\"><b>%s</b> ", r->partners[p].id, r->partners[p].id);
                esc(f, r->partners[p].name);
                fprintf(f, " (%s): ", r->partners[p].country);
            }
            fprintf(f, "%s%s", first ? "" : ", ", r->periods[t].id);
            first = false;
            any = true;
        }
        if (!first)
            fputs("</li>", f);
    }
    if (!any)
        fputs("<li>none</li>", f);
    fputs("</ul></section>\n", f);
}

static int
status_index(const char *s)
{
    int i;

    for (i = 0; i < N_STATUSES; i++)
        if (strcmp(statuses[i], s) == 0)
            return i;
    return -1;
}

static void
stars(FILE *f, int score)
{
    int i;

    fputs("<span class=\"stars\">", f);
    for (i = 1; i <= 5; i++)
        fputs(i <= score ? "&#9733;" : "<i>&#9733;</i>", f);
    fputs("</span>", f);
}

static void
pilot_actions(struct html *x)
{
    FILE *f = x->f;
    size_t count[N_STATUSES] = {0}, by_area[REPORT_AREAS][N_STATUSES] = {{0}};
    size_t scores[6] = {0}, evaluated = 0, max = 1, i;
    double budget[N_STATUSES] = {0}, score_sum = 0;
    char buf[64];
    int s, area;

    for (i = 0; i < x->n_actions; i++) {
        const struct action *a = &x->actions[i];
        int ai = -1;

        if ((s = status_index(a->status)) < 0)
            continue;
        count[s]++;
        budget[s] += a->budget;
        for (area = 0; area < REPORT_AREAS; area++)
            if (strcmp(cps_schema_area((size_t)area), a->area) == 0)
                ai = area;
        if (ai >= 0)
            by_area[ai][s]++;
        if (a->score >= 1 && a->score <= 5) {
            scores[a->score]++;
            score_sum += a->score;
            evaluated++;
        }
    }
    for (s = 0; s < N_STATUSES; s++)
        max = count[s] > max ? count[s] : max;
    fputs("<section id=\"pilots\"><h2>3. Pilot actions</h2>\n<p class=\"note\">The partners' "
          "pilot actions by status, with budgets, and the evaluations of completed actions "
          "(score 1&ndash;5).</p>\n<div class=\"flex\"><div><h3>By status</h3>",
          f);
    fprintf(f,
            "<svg width=\"460\" height=\"%d\" role=\"img\" aria-label=\"pilot actions by "
            "status\">\n",
            N_STATUSES * 30 + 6);
    for (s = 0; s < N_STATUSES; s++) {
        unsigned w = (unsigned)(count[s] * 220 / max);

        number(buf, sizeof buf, budget[s]);
        fprintf(f,
                "<text x=\"0\" y=\"%d\" font-size=\"12\" fill=\"#1d2733\">%s</text>"
                "<rect x=\"80\" y=\"%d\" width=\"%u\" height=\"18\" rx=\"3\" fill=\"%s\"/>"
                "<text x=\"%u\" y=\"%d\" font-size=\"12\" font-weight=\"bold\" "
                "fill=\"#1d2733\">%zu</text><text x=\"%u\" y=\"%d\" font-size=\"11\" "
                "fill=\"#5b6878\">EUR %s</text>\n",
                s * 30 + 17, statuses[s], s * 30 + 4, w > 0 ? w : 1, status_colours[s], 86 + w,
                s * 30 + 17, count[s], 86 + w + 30, s * 30 + 17, buf);
    }
    fputs("</svg></div>\n<div><h3>Evaluation scores</h3>", f);
    {
        size_t top = 1;

        for (i = 1; i <= 5; i++)
            top = scores[i] > top ? scores[i] : top;
        fputs("<svg width=\"300\" height=\"150\" role=\"img\" aria-label=\"evaluation "
              "scores\">\n",
              f);
        for (i = 1; i <= 5; i++) {
            unsigned h = (unsigned)(scores[i] * 100 / top), bx = 20 + (unsigned)(i - 1) * 54;

            fprintf(f,
                    "<rect x=\"%u\" y=\"%u\" width=\"38\" height=\"%u\" rx=\"3\" "
                    "fill=\"#e0a100\"/><text x=\"%u\" y=\"%u\" font-size=\"12\" "
                    "font-weight=\"bold\" text-anchor=\"middle\" fill=\"#1d2733\" "
                    "data-score=\"%zu\">%zu</text><text x=\"%u\" y=\"142\" font-size=\"11\" "
                    "text-anchor=\"middle\" fill=\"#5b6878\">score %zu</text>\n",
                    bx, 120 - (h > 0 ? h : 1), h > 0 ? h : 1, bx + 19, 114 - h, i, scores[i],
                    bx + 19, i);
        }
        fputs("</svg>", f);
        if (evaluated > 0) {
            number(buf, sizeof buf, score_sum / (double)evaluated);
            fprintf(f,
                    "<p class=\"note\">%zu evaluated, mean score <b "
                    "data-figure=\"mean-score\">%s</b></p>",
                    evaluated, buf);
        }
    }
    fputs("</div></div>\n<h3>By area and status</h3><table><thead><tr><th>Area</th>", f);
    for (s = 0; s < N_STATUSES; s++)
        fprintf(f, "<th class=\"n\">%s</th>", statuses[s]);
    fputs("<th class=\"n\">All</th></tr></thead><tbody>\n", f);
    for (area = 0; area < REPORT_AREAS; area++) {
        size_t all = 0;

        fputs("<tr><td>", f);
        esc(f, report_area_title(area));
        fputs("</td>", f);
        for (s = 0; s < N_STATUSES; s++) {
            all += by_area[area][s];
            fprintf(f, "<td class=\"n\">%zu</td>", by_area[area][s]);
        }
        fprintf(f, "<td class=\"n all\">%zu</td></tr>\n", all);
    }
    fputs("<tr><td><b>All areas</b></td>", f);
    for (s = 0; s < N_STATUSES; s++)
        fprintf(f, "<td class=\"n all\" data-status=\"%s\">%zu</td>", statuses[s], count[s]);
    fprintf(f, "<td class=\"n all\" data-status=\"all\">%zu</td></tr>\n</tbody></table>\n",
            x->n_actions);
    fputs("<h3>Evaluated actions</h3><table><thead><tr><th>Action</th><th>Title</th>"
          "<th>Area</th><th>Start</th><th>End</th><th class=\"n\">Budget (EUR)</th>"
          "<th>Score</th></tr></thead><tbody>\n",
          f);
    for (i = 0; i < x->n_actions; i++) {
        const struct action *a = &x->actions[i];

        if (a->score < 1 || a->score > 5)
            continue;
        fputs("<tr><td>", f);
        esc(f, a->key);
        fputs("</td><td>", f);
        esc(f, a->title);
        fputs("</td><td>", f);
        for (area = 0; area < REPORT_AREAS; area++)
            if (strcmp(cps_schema_area((size_t)area), a->area) == 0)
                break;
        esc(f, area < REPORT_AREAS ? report_area_title(area) : a->area);
        fputs("</td><td class=\"per\">", f);
        esc(f, a->start);
        fputs("</td><td class=\"per\">", f);
        esc(f, a->end);
        number(buf, sizeof buf, a->budget);
        fprintf(f, "</td><td class=\"n\">%s</td><td>", buf);
        stars(f, a->score);
        fprintf(f, " %d</td></tr>\n", a->score);
    }
    fputs("</tbody></table></section>\n", f);
}

static void
sync_health(struct html *x)
{
    const struct report *r = x->r;
    FILE *f = x->f;
    size_t p;
    char when[40], since[32], n[32];

    fputs("<section id=\"sync\"><h2>4. Sync health per partner</h2>\n<p class=\"note\">From "
          "the hub's state of each partner's chain of signed updates: when its node last "
          "reached the hub and how long before this report, the updates logged, accepted "
          "and rejected, and the updates its node had not yet seen acknowledged when it last "
          "said hello (on connecting, and every 15 minutes when idle). <b>behind</b>: updates "
          "outstanding and no contact for a day; <b>quiet</b>: no contact for a week. A "
          "rejected update is logged and shown to the partner by <code>cps-node "
          "rejected</code>.</p>\n<div class=\"scroll\"><table>"
          "<thead><tr><th>Partner</th><th>Name</th><th>Country</th><th>Health</th>"
          "<th>Last contact</th><th class=\"n\">Since</th><th class=\"n\">Updates</th>"
          "<th class=\"n\">Accepted</th><th class=\"n\">Rejected</th>"
          "<th class=\"n\">Outbox at hello</th></tr></thead><tbody>\n",
          f);
    for (p = 0; p < r->n_partners; p++) {
        const struct report_partner *rp = &r->partners[p];
        const struct cps_pstate *ps = &rp->ps;
        const char *cls, *word;
        uint64_t quiet = r->now_ms > ps->last_seen_ms ? r->now_ms - ps->last_seen_ms : 0;

        if (rp->in_roster && rp->status != CPS_PARTNER_ACTIVE) {
            cls = "off";
            word = cps_roster_status_name(rp->status);
        } else if (ps->last_seen_ms == 0) {
            cls = "bad";
            word = "never seen";
        } else if (ps->rejected > 0) {
            cls = "warn";
            word = "rejections";
        } else if (quiet > (uint64_t)7 * 86400 * 1000) {
            cls = "warn";
            word = "quiet";
        } else if (quiet > (uint64_t)86400 * 1000 && ps->outbox_depth > 0) {
            cls = "warn";
            word = "behind";
        } else {
            cls = "ok";
            word = "ok";
        }
        fprintf(f, "<tr data-partner=\"%s\"><td><b>%s</b></td><td>", rp->id, rp->id);
        esc(f, rp->name);
        fprintf(f, "</td><td>%s</td><td><span class=\"pill %s\">%s</span></td>", rp->country, cls,
                word);
        if (ps->last_seen_ms == 0) {
            fputs("<td class=\"none\">&ndash;</td><td class=\"n none\">&ndash;</td>", f);
        } else {
            utc_time(when, sizeof when, ps->last_seen_ms);
            ago(since, sizeof since, r->now_ms, ps->last_seen_ms);
            fprintf(f, "<td class=\"per\">%s</td><td class=\"n\">%s</td>", when, since);
        }
        count_text(n, sizeof n, ps->last_seq);
        fprintf(f, "<td class=\"n\">%s</td>", n);
        count_text(n, sizeof n, ps->accepted);
        fprintf(f, "<td class=\"n\" data-accepted=\"%" PRIu64 "\">%s</td>", ps->accepted, n);
        count_text(n, sizeof n, ps->rejected);
        fprintf(f, "<td class=\"n%s\" data-rejected=\"%" PRIu64 "\">%s</td>",
                ps->rejected > 0 ? " rej" : "", ps->rejected, n);
        count_text(n, sizeof n, ps->outbox_depth);
        fprintf(f, "<td class=\"n\">%s</td></tr>\n", n);
    }
    fputs("</tbody></table></div></section>\n", f);
}

int
report_html_write(FILE *f, const struct report *r, struct cps_txn *txn, const char *programme)
{
    struct html x = {.f = f, .r = r};
    char generated[40];
    int rc = 0;

    collect_countries(&x);
    if (r->n_defs * r->n_periods * x.n_countries > 0 &&
        (x.aggs = calloc(r->n_defs * r->n_periods * x.n_countries, sizeof *x.aggs)) == NULL)
        return -ENOMEM;
    if (x.aggs != NULL && (rc = report_each(txn, "indicator", on_indicator, &x)) != 0)
        goto done;
    if ((rc = report_each(txn, "pilot_action", on_action, &x)) != 0)
        goto done;
    utc_time(generated, sizeof generated, r->now_ms);
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
          "<title>",
          f);
    esc(f, programme);
    fprintf(f, " programme report, as of %s</title>\n<style>%s</style></head>\n<body>\n", r->as_of,
            css);
    fputs("<header><h1>", f);
    esc(f, programme);
    fprintf(f,
            " &mdash; programme report</h1><p>Consolidated dataset of the hub, as of %s "
            "&middot; generated %s &middot; for the lead partner and the Monitoring "
            "Committee</p></header>\n<main>\n<nav><a href=\"#totals\">Indicator totals</a>"
            "<a href=\"#completeness\">Completeness</a><a href=\"#pilots\">Pilot actions</a>"
            "<a href=\"#sync\">Sync health</a></nav>\n",
            r->as_of, generated);
    cards(&x);
    totals(&x);
    heat_map(&x);
    pilot_actions(&x);
    sync_health(&x);
    fprintf(f,
            "</main>\n<footer>Made by <code>cps-hub report html</code> from the hub's "
            "consolidated dataset (%" PRIu64 " records, %" PRIu64 " updates in the signed "
            "log). Every figure can be checked against <code>cps-hub export</code> and, "
            "offline, an audit bundle.</footer>\n</body></html>\n",
            r->records, r->log_size);
    if (ferror(f))
        rc = -EIO;
done:
    free(x.aggs);
    free_actions(&x);
    return rc;
}
