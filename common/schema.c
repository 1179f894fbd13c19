/* SPDX-License-Identifier: ISC */
/*
 * schema: the ClusterPoliSEE collections, who may write them, the shape of their keys and
 * the field rules their values must meet, kept in tables so that a rule is one line. One
 * function decides; the node, the hub and the auditor all call it, so they agree.
 * docs/DATA.md is the manual of these tables; keep the two in step.
 *
 * The hub checks every record it ingests, so the common path allocates nothing: values are
 * read in place by a small msgpack reader over bytes that cps_value_check() bounded. Only
 * when that reader is unsure (a map of more than TIDY_KEYS entries, an ext type, a
 * malformed value) does value.c's record decoder decide, so acceptance and its error
 * messages stay exactly those of cps_value_unpack_record(). Storage, signatures and the
 * roster (is the partner active?) are checked by other modules.
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
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <msgpack.h>

#include "cps/roster.h"
#include "cps/schema.h"
#include "internal.h"

#define KEY_SEGS_MAX 5 /* the most segments any collection's key has */
#define FIELDS_MAX 64  /* top-level fields kept for lookup; more are found by scanning */
#define TIDY_KEYS 32   /* larger maps go to value.c's decoder for the duplicate-key check */
#define NAME_MAX_LEN 64
#define CODE_MAX_LEN 64

/* --- rules ------------------------------------------------------------------------------ */

enum ftype {
    F_STR,    /* a string; non-empty when required */
    F_CODE,   /* a string that pattern accepts */
    F_ENUM,   /* one of choices */
    F_INT,    /* an integer in min..max */
    F_NUMBER, /* an integer or a float, >= min when has_min */
    F_PERIOD, /* YYYY, YYYY-Qn (n 1..4) or YYYY-Hn (n 1..2) */
    F_DATE,   /* YYYY-MM-DD, a calendar date */
    F_TIME,   /* RFC 3339 timestamp: YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm) */
    F_LIST,   /* an array of at least min distinct strings, each in choices or pattern */
    F_MAP,    /* a map meeting the rules sub */
};

enum seg {
    S_OWNER,   /* the writer's partner id (ownership checks it) */
    S_PARTNER, /* a partner id */
    S_CLUSTER, /* <owner>-Cnnn */
    S_AREA,    /* an area code */
    S_PERIOD,  /* a period */
    S_CODE,    /* an indicator code */
    S_NAME,    /* an id: letters, digits, '.', '_', '-' */
};

struct field_rule {
    const char *name;
    enum ftype type;
    bool required;                         /* optional fields may be absent or nil */
    int keyseg;                            /* >= 0: must equal that segment of the key */
    const char *const *choices;            /* F_ENUM, F_LIST: NULL-terminated */
    bool (*pattern)(const char *, size_t); /* F_CODE, F_LIST */
    int64_t min, max;                      /* F_INT; F_NUMBER min; F_LIST min count */
    bool has_min;                          /* F_NUMBER */
    const char *expect;                    /* "expected ..."; NULL: derived from choices */
    const struct field_rule *sub;          /* F_MAP */
};

struct ctx;

struct coll_rule {
    const char *name;
    size_t name_len;
    bool programme;              /* written only by the programme key */
    unsigned segs_min, segs_max; /* key segments */
    enum seg segs[KEY_SEGS_MAX];
    const char *key_expect;          /* the key's shape, for messages */
    const struct field_rule *fields; /* terminated by a NULL name */
    int (*cross)(struct ctx *x);     /* rules between fields; NULL: none */
};

/* clang-format off */
static const char *const areas[] = {
    "innovation", "rd", "sustainability", "international_cooperation", "financing",
    "regional_specialisation", "jobs_skills", NULL,
};
/* ISO 3166-1 codes of the programme's 11 countries: 8 EU member states, then 3 IPA */
static const char *const countries[] = {
    "AT", "BG", "GR", "HU", "IT", "RO", "SK", "SI", "AL", "HR", "RS", NULL,
};
static const char *const ipa_countries[] = { "AL", "HR", "RS", NULL };
static const char *const partner_types[] = { CPS_ROSTER_TYPES, NULL };
static const char *const memberships[] = { "EU", "IPA", NULL };
static const char *const roles[] = { "lead", "partner", NULL };
static const char *const statuses[] = { "planned", "running", "completed", "cancelled", NULL };
static const char *const periodicities[] = { "quarterly", "half-yearly", "yearly", NULL };
/* clang-format on */

static bool partner_id_ok(const char *s, size_t n);
static bool name_ok(const char *s, size_t n);
static bool code_ok(const char *s, size_t n);
static bool nuts2_ok(const char *s, size_t n);
static bool nace_ok(const char *s, size_t n);
static bool action_key_ok(const char *s, size_t n);

#define NONNEG_INT "an integer >= 0"
#define PARTNER_ID "a partner id: P and two or more digits"

/* clang-format off */
static const struct field_rule partner_rules[] = {
    { .name = "id", .type = F_CODE, .required = true, .keyseg = 0, .pattern = partner_id_ok,
      .expect = PARTNER_ID },
    { .name = "name", .type = F_STR, .required = true, .keyseg = -1 },
    { .name = "country", .type = F_ENUM, .required = true, .keyseg = -1, .choices = countries },
    { .name = "type", .type = F_ENUM, .required = true, .keyseg = -1, .choices = partner_types },
    { .name = "membership", .type = F_ENUM, .required = true, .keyseg = -1,
      .choices = memberships },
    { .name = "role", .type = F_ENUM, .required = true, .keyseg = -1, .choices = roles },
    { .name = NULL },
};

static const struct field_rule cluster_rules[] = {
    { .name = "id", .type = F_CODE, .required = true, .keyseg = 1, .pattern = name_ok,
      .expect = "the cluster id <partner>-Cnnn" },
    { .name = "name", .type = F_STR, .required = true, .keyseg = -1 },
    { .name = "nuts2", .type = F_CODE, .required = true, .keyseg = -1, .pattern = nuts2_ok,
      .expect = "a NUTS 2 code: 2 upper-case letters and 2 upper-case letters or digits, "
                "e.g. ITH3 (Greece: EL30)" },
    { .name = "sector", .type = F_CODE, .required = true, .keyseg = -1, .pattern = nace_ok,
      .expect = "a NACE Rev. 2 code: section letter and division, optionally .group and "
                "class digit, e.g. C26, C26.1, M72.11" },
    { .name = "member_firms", .type = F_INT, .required = true, .keyseg = -1, .min = 0,
      .max = INT64_MAX, .expect = NONNEG_INT },
    { .name = "employees", .type = F_INT, .required = true, .keyseg = -1, .min = 0,
      .max = INT64_MAX, .expect = NONNEG_INT },
    { .name = "founded", .type = F_INT, .required = false, .keyseg = -1, .min = 1900,
      .max = 2100, .expect = "a year 1900..2100" },
    { .name = "areas", .type = F_LIST, .required = true, .keyseg = -1, .choices = areas,
      .min = 1, .expect = "a non-empty array of distinct areas, each one of innovation, rd, "
                          "sustainability, international_cooperation, financing, "
                          "regional_specialisation, jobs_skills" },
    { .name = NULL },
};

/* A reported value: one cluster, one area, one period, one indicator. */
static const struct field_rule indicator_rules[] = {
    { .name = "partner", .type = F_STR, .required = true, .keyseg = -1 },
    { .name = "cluster_id", .type = F_CODE, .required = true, .keyseg = 1, .pattern = name_ok,
      .expect = "the key's cluster id" },
    { .name = "area", .type = F_ENUM, .required = true, .keyseg = 2, .choices = areas },
    { .name = "period", .type = F_PERIOD, .required = true, .keyseg = 3 },
    { .name = "indicator", .type = F_CODE, .required = true, .keyseg = 4, .pattern = code_ok,
      .expect = "an indicator code: a lower-case letter, then lower-case letters, digits or "
                "'_' (at most 64)" },
    { .name = "value", .type = F_NUMBER, .required = true, .keyseg = -1 },
    { .name = "unit", .type = F_STR, .required = false, .keyseg = -1 },
    { .name = "source", .type = F_STR, .required = false, .keyseg = -1 },
    { .name = "updated_at", .type = F_TIME, .required = false, .keyseg = -1 },
    { .name = "note", .type = F_STR, .required = false, .keyseg = -1 },
    { .name = NULL },
};

static const struct field_rule evaluation_rules[] = {
    { .name = "score", .type = F_INT, .required = true, .keyseg = -1, .min = 1, .max = 5,
      .expect = "an integer 1..5" },
    { .name = "lessons", .type = F_STR, .required = true, .keyseg = -1 },
    { .name = NULL },
};

static const struct field_rule pilot_action_rules[] = {
    { .name = "id", .type = F_CODE, .required = true, .keyseg = 1, .pattern = name_ok,
      .expect = "the key's id" },
    { .name = "area", .type = F_ENUM, .required = true, .keyseg = -1, .choices = areas },
    { .name = "title", .type = F_STR, .required = true, .keyseg = -1 },
    { .name = "status", .type = F_ENUM, .required = true, .keyseg = -1, .choices = statuses },
    { .name = "start", .type = F_DATE, .required = true, .keyseg = -1 },
    { .name = "end", .type = F_DATE, .required = false, .keyseg = -1 },
    { .name = "budget_eur", .type = F_NUMBER, .required = true, .keyseg = -1, .min = 0,
      .has_min = true, .expect = "a number >= 0" },
    { .name = "evaluation", .type = F_MAP, .required = false, .keyseg = -1,
      .sub = evaluation_rules, .expect = "a map with score (1..5) and lessons" },
    { .name = NULL },
};

static const struct field_rule policy_lesson_rules[] = {
    { .name = "id", .type = F_CODE, .required = true, .keyseg = 1, .pattern = name_ok,
      .expect = "the key's id" },
    { .name = "area", .type = F_ENUM, .required = true, .keyseg = -1, .choices = areas },
    { .name = "text", .type = F_STR, .required = true, .keyseg = -1 },
    { .name = "pilot_action", .type = F_CODE, .required = false, .keyseg = -1,
      .pattern = action_key_ok,
      .expect = "the key of a pilot action: <partner id>/<id>, e.g. P07/P07-PA01" },
    { .name = "shared_with", .type = F_LIST, .required = true, .keyseg = -1,
      .pattern = partner_id_ok, .min = 0,
      .expect = "an array of distinct partner ids (P and two or more digits)" },
    { .name = NULL },
};

static const struct field_rule period_rules[] = {
    { .name = "label", .type = F_STR, .required = true, .keyseg = -1 },
    { .name = "start", .type = F_DATE, .required = true, .keyseg = -1 },
    { .name = "end", .type = F_DATE, .required = true, .keyseg = -1 },
    { .name = "due", .type = F_DATE, .required = true, .keyseg = -1 },
    { .name = NULL },
};

static const struct field_rule indicator_definition_rules[] = {
    { .name = "area", .type = F_ENUM, .required = true, .keyseg = 0, .choices = areas },
    { .name = "code", .type = F_CODE, .required = true, .keyseg = 1, .pattern = code_ok,
      .expect = "an indicator code: a lower-case letter, then lower-case letters, digits or "
                "'_' (at most 64)" },
    { .name = "name", .type = F_STR, .required = true, .keyseg = -1 },
    { .name = "unit", .type = F_STR, .required = true, .keyseg = -1 },
    { .name = "periodicity", .type = F_ENUM, .required = true, .keyseg = -1,
      .choices = periodicities },
    { .name = "expected_from_types", .type = F_LIST, .required = false, .keyseg = -1,
      .choices = partner_types, .min = 1,
      .expect = "a non-empty array of distinct partner types, each one of public-authority, "
                "development-agency, research-institute, university, innovation-agency, "
                "cluster-network" },
    { .name = NULL },
};
/* clang-format on */

/* clang-format off */
/* The roster in force: a programme-signed record whose text replay and the hub verify
 * (signature, programme, serial): see include/cps/replay.h. */
static const struct field_rule roster_rules[] = {
    { .name = "text", .type = F_STR, .required = true, .keyseg = -1 },
    { .name = NULL },
};
/* clang-format on */

static int partner_cross(struct ctx *x);
static int pilot_action_cross(struct ctx *x);
static int policy_lesson_cross(struct ctx *x);
static int period_cross(struct ctx *x);

#define COLL(s) s, sizeof s - 1

/* clang-format off */
static const struct coll_rule colls[] = {
    { COLL("partner"), true, 1, 1, { S_PARTNER },
      "a partner id: P and two or more digits, e.g. P07", partner_rules, partner_cross },
    { COLL("period"), true, 1, 1, { S_PERIOD },
      "a period YYYY, YYYY-Qn (n 1..4) or YYYY-Hn (n 1..2)", period_rules, period_cross },
    { COLL("roster"), true, 1, 1, { S_NAME },
      "roster (the one record of the roster in force)", roster_rules, NULL },
    { COLL("indicator_definition"), true, 2, 2, { S_AREA, S_CODE },
      "<area>/<indicator code>, e.g. rd/rd_expenditure", indicator_definition_rules, NULL },
    { COLL("cluster"), false, 2, 2, { S_OWNER, S_CLUSTER },
      "<partner>/<partner>-Cnnn, e.g. P07/P07-C003", cluster_rules, NULL },
    { COLL("indicator"), false, 4, 5, { S_OWNER, S_CLUSTER, S_AREA, S_PERIOD, S_CODE },
      "<partner>/<cluster id>/<area>/<period>[/<indicator code>], "
      "e.g. P07/P07-C003/rd/2014-Q3/rd_expenditure", indicator_rules, NULL },
    { COLL("pilot_action"), false, 2, 2, { S_OWNER, S_NAME },
      "<partner>/<id>, the id of letters, digits, '.', '_' or '-' (at most 64), "
      "e.g. P07/P07-PA01", pilot_action_rules, pilot_action_cross },
    { COLL("policy_lesson"), false, 2, 2, { S_OWNER, S_NAME },
      "<partner>/<id>, the id of letters, digits, '.', '_' or '-' (at most 64), "
      "e.g. P07/P07-L01", policy_lesson_rules, policy_lesson_cross },
};
/* clang-format on */

/* --- patterns --------------------------------------------------------------------------- */

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool
is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static bool
digits(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (!is_digit(s[i]))
            return false;
    return true;
}

static int
num2(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

static bool
same(const char *a, size_t an, const char *b, size_t bn)
{
    return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

static bool
in_list(const char *const *list, const char *s, size_t n)
{
    size_t i;

    for (i = 0; list[i] != NULL; i++)
        if (same(list[i], strlen(list[i]), s, n))
            return true;
    return false;
}

/* The roster's rule: "P" and two or more digits, shorter than CPS_ROSTER_ID_MAX. */
static bool
partner_id_ok(const char *s, size_t n)
{
    return n >= 3 && n < CPS_ROSTER_ID_MAX && s[0] == 'P' && digits(s + 1, n - 1);
}

/* An id in a key segment: 1..64 letters, digits, '.', '_', '-'. */
static bool
name_ok(const char *s, size_t n)
{
    size_t i;

    if (n == 0 || n > NAME_MAX_LEN)
        return false;
    for (i = 0; i < n; i++) {
        char c = s[i];

        if (!is_digit(c) && !is_upper(c) && !(c >= 'a' && c <= 'z') && c != '.' && c != '_' &&
            c != '-')
            return false;
    }
    return true;
}

/* An indicator code: [a-z][a-z0-9_]*, at most 64. */
static bool
code_ok(const char *s, size_t n)
{
    size_t i;

    if (n == 0 || n > CODE_MAX_LEN || s[0] < 'a' || s[0] > 'z')
        return false;
    for (i = 1; i < n; i++)
        if (!(s[i] >= 'a' && s[i] <= 'z') && !is_digit(s[i]) && s[i] != '_')
            return false;
    return true;
}

/* <owner>-Cnnn */
static bool
cluster_id_ok(const char *s, size_t n, const char *owner, size_t owner_len)
{
    return n == owner_len + 5 && memcmp(s, owner, owner_len) == 0 && s[owner_len] == '-' &&
           s[owner_len + 1] == 'C' && digits(s + owner_len + 2, 3);
}

static bool
nuts2_ok(const char *s, size_t n)
{
    return n == 4 && is_upper(s[0]) && is_upper(s[1]) && (is_upper(s[2]) || is_digit(s[2])) &&
           (is_upper(s[3]) || is_digit(s[3]));
}

/* NACE Rev. 2: the divisions each section letter holds. */
static bool
nace_ok(const char *s, size_t n)
{
    static const struct {
        char section;
        unsigned char lo, hi;
    } sections[] = {
        {'A', 1, 3},   {'B', 5, 9},   {'C', 10, 33}, {'D', 35, 35}, {'E', 36, 39}, {'F', 41, 43},
        {'G', 45, 47}, {'H', 49, 53}, {'I', 55, 56}, {'J', 58, 63}, {'K', 64, 66}, {'L', 68, 68},
        {'M', 69, 75}, {'N', 77, 82}, {'O', 84, 84}, {'P', 85, 85}, {'Q', 86, 88}, {'R', 90, 93},
        {'S', 94, 96}, {'T', 97, 98}, {'U', 99, 99},
    };
    size_t i;
    int div;

    if ((n != 3 && n != 5 && n != 6) || !digits(s + 1, 2))
        return false;
    if (n >= 5 && (s[3] != '.' || !digits(s + 4, n - 4)))
        return false;
    div = num2(s + 1);
    for (i = 0; i < sizeof sections / sizeof sections[0]; i++)
        if (sections[i].section == s[0])
            return div >= sections[i].lo && div <= sections[i].hi;
    return false;
}

static bool
period_ok(const char *s, size_t n)
{
    if (n == 4)
        return digits(s, 4);
    if (n != 7 || !digits(s, 4) || s[4] != '-')
        return false;
    if (s[5] == 'Q')
        return s[6] >= '1' && s[6] <= '4';
    if (s[5] == 'H')
        return s[6] >= '1' && s[6] <= '2';
    return false;
}

/* <partner id>/<id> */
static bool
action_key_ok(const char *s, size_t n)
{
    const char *slash = memchr(s, '/', n);
    size_t p;

    if (slash == NULL)
        return false;
    p = (size_t)(slash - s);
    return partner_id_ok(s, p) && name_ok(slash + 1, n - p - 1);
}

static bool
date_ok(const char *s, size_t n)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d;

    if (n != 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
        !digits(s + 8, 2))
        return false;
    y = num2(s) * 100 + num2(s + 2);
    m = num2(s + 5);
    d = num2(s + 8);
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return false;
    return m != 2 || d < 29 || (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

static bool
time_ok(const char *s, size_t n)
{
    size_t i = 19;

    if (n < 20 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
        !digits(s + 8, 2) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2) || s[13] != ':' ||
        !digits(s + 14, 2) || s[16] != ':' || !digits(s + 17, 2))
        return false;
    if (num2(s + 5) < 1 || num2(s + 5) > 12 || num2(s + 8) < 1 || num2(s + 8) > 31 ||
        num2(s + 11) > 23 || num2(s + 14) > 59 || num2(s + 17) > 60)
        return false;
    if (s[i] == '.') {
        if (++i >= n || !is_digit(s[i]))
            return false;
        while (i < n && is_digit(s[i]))
            i++;
    }
    if (i == n - 1)
        return s[i] == 'Z' || s[i] == 'z';
    return n - i == 6 && (s[i] == '+' || s[i] == '-') && digits(s + i + 1, 2) && s[i + 3] == ':' &&
           digits(s + i + 4, 2) && num2(s + i + 1) <= 23 && num2(s + i + 4) <= 59;
}

/* --- an allocation-free reader of checked msgpack --------------------------------------- */

enum vkind { V_NIL, V_BOOL, V_INT, V_UINT, V_FLOAT, V_STR, V_BIN, V_ARRAY, V_MAP, V_EXT };

struct val {
    enum vkind kind;
    const uint8_t *p; /* V_STR, V_BIN, V_EXT: the bytes; V_ARRAY, V_MAP: the first element */
    uint32_t n;       /* bytes, or elements (pairs for a map) */
    int64_t i;        /* V_INT */
    double f;         /* V_FLOAT */
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

/*
 * Decode the object at p; returns the byte after it (after the header for a container).
 * Only for bytes cps_value_check() accepted: every length it reads is in bounds.
 */
static const uint8_t *
rd(const uint8_t *p, struct val *v)
{
    uint8_t b = *p++;
    uint32_t u32;
    uint64_t u64;
    float f32;
    double f64;
    size_t w;

    v->kind = V_INT;
    v->n = 0;
    if (b <= 0x7f) {
        v->i = b;
        return p;
    }
    if (b >= 0xe0) {
        v->i = (int8_t)b;
        return p;
    }
    if (b <= 0x9f) {
        v->kind = b <= 0x8f ? V_MAP : V_ARRAY;
        v->n = b & 0x0f;
        v->p = p;
        return p;
    }
    if (b <= 0xbf) {
        v->kind = V_STR;
        v->n = b & 0x1f;
        v->p = p;
        return p + v->n;
    }
    switch (b) {
    case 0xc0:
        v->kind = V_NIL;
        return p;
    case 0xc2:
    case 0xc3:
        v->kind = V_BOOL;
        return p;
    case 0xc4:
    case 0xc5:
    case 0xc6:
    case 0xd9:
    case 0xda:
    case 0xdb:
        w = (size_t)1 << (b >= 0xd9 ? b - 0xd9 : b - 0xc4);
        v->kind = b >= 0xd9 ? V_STR : V_BIN;
        v->n = (uint32_t)be(p, w);
        v->p = p + w;
        return v->p + v->n;
    case 0xc7:
    case 0xc8:
    case 0xc9:
        w = (size_t)1 << (b - 0xc7);
        v->kind = V_EXT;
        v->n = (uint32_t)be(p, w);
        v->p = p + w + 1;
        return v->p + v->n;
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
        v->kind = V_EXT;
        v->n = (uint32_t)1 << (b - 0xd4);
        v->p = p + 1;
        return v->p + v->n;
    case 0xca:
        u32 = (uint32_t)be(p, 4);
        memcpy(&f32, &u32, 4);
        v->kind = V_FLOAT;
        v->f = f32;
        return p + 4;
    case 0xcb:
        u64 = be(p, 8);
        memcpy(&f64, &u64, 8);
        v->kind = V_FLOAT;
        v->f = f64;
        return p + 8;
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf:
        w = (size_t)1 << (b - 0xcc);
        u64 = be(p, w);
        if (u64 > INT64_MAX)
            v->kind = V_UINT;
        else
            v->i = (int64_t)u64;
        return p + w;
    case 0xd0:
        v->i = (int8_t)p[0];
        return p + 1;
    case 0xd1:
        v->i = (int16_t)(uint16_t)be(p, 2);
        return p + 2;
    case 0xd2:
        v->i = (int32_t)(uint32_t)be(p, 4);
        return p + 4;
    case 0xd3:
        v->i = (int64_t)be(p, 8);
        return p + 8;
    case 0xdc:
    case 0xdd:
    case 0xde:
    case 0xdf:
        w = (b == 0xdc || b == 0xde) ? 2 : 4;
        v->kind = b <= 0xdd ? V_ARRAY : V_MAP;
        v->n = (uint32_t)be(p, w);
        v->p = p + w;
        return v->p;
    default: /* 0xc1: cps_value_check() refuses it */
        v->kind = V_EXT;
        return p;
    }
}

/* The byte after the complete object at p. */
static const uint8_t *
skip(const uint8_t *p)
{
    uint64_t pending = 1;
    struct val v;

    while (pending > 0) {
        p = rd(p, &v);
        pending--;
        if (v.kind == V_ARRAY)
            pending += v.n;
        else if (v.kind == V_MAP)
            pending += (uint64_t)v.n * 2;
    }
    return p;
}

/*
 * Is the object at *pp surely a record value cps_value_unpack_record() would accept
 * (string map keys unique per map, UTF-8 without NUL, integers within int64, finite
 * floats, no ext)? true: yes, and *pp is past it. false: unsure, ask value.c. Recursion is
 * bounded by the CPS_VALUE_MAX_DEPTH that cps_value_check() enforced.
 */
static bool
tidy(const uint8_t **pp)
{
    struct {
        const uint8_t *p;
        uint32_t n;
    } seen[TIDY_KEYS];
    struct val v, k;
    uint32_t i, j;

    *pp = rd(*pp, &v);
    switch (v.kind) {
    case V_NIL:
    case V_BOOL:
    case V_INT:
    case V_BIN:
        return true;
    case V_UINT:
    case V_EXT:
        return false;
    case V_FLOAT:
        return isfinite(v.f);
    case V_STR:
        return cps_value_utf8_ok(v.p, v.n, false);
    case V_ARRAY:
        for (i = 0; i < v.n; i++)
            if (!tidy(pp))
                return false;
        return true;
    case V_MAP:
        if (v.n > TIDY_KEYS)
            return false;
        for (i = 0; i < v.n; i++) {
            *pp = rd(*pp, &k);
            if (k.kind != V_STR || !cps_value_utf8_ok(k.p, k.n, false))
                return false;
            for (j = 0; j < i; j++)
                if (same((const char *)seen[j].p, seen[j].n, (const char *)k.p, k.n))
                    return false;
            seen[i].p = k.p;
            seen[i].n = k.n;
            if (!tidy(pp))
                return false;
        }
        return true;
    }
    return false;
}

/* --- one check -------------------------------------------------------------------------- */

struct field {
    const char *name;
    uint32_t name_len;
    struct val v;
};

struct ctx {
    const struct coll_rule *c;
    const char *writer; /* NULL: the programme */
    size_t writer_len;
    const char *key;
    size_t key_len;
    struct {
        const char *p;
        size_t n;
    } seg[KEY_SEGS_MAX];
    unsigned nseg;
    struct val top;             /* the value's map */
    struct field f[FIELDS_MAX]; /* its first fields */
    uint32_t nf;
    char *err;
    size_t err_len;
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

/* "<collection> <key>: " then what, into err. Returns code. */
static int __attribute__((format(printf, 3, 4))) fail(struct ctx *x, int code, const char *fmt, ...)
{
    char ks[52], what[CPS_SCHEMA_ERR_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    cps_seterr(x->err, x->err_len, "%s %s: %s", x->c->name,
               show(ks, sizeof ks, x->key != NULL ? x->key : "", x->key != NULL ? x->key_len : 0),
               what);
    return code;
}

/* "field 'name': [missing, ]expected ..." for rule r under prefix (a parent field). */
static int
fail_field(struct ctx *x, const char *prefix, const struct field_rule *r, bool missing)
{
    char exp[200];
    size_t i, o;
    const char *e = r->expect;

    if (e == NULL) {
        switch (r->type) {
        case F_STR:
            e = r->required ? "a non-empty string" : "a string";
            break;
        case F_NUMBER:
            e = "a number";
            break;
        case F_PERIOD:
            e = "a period YYYY, YYYY-Qn (n 1..4) or YYYY-Hn (n 1..2)";
            break;
        case F_DATE:
            e = "a date YYYY-MM-DD";
            break;
        case F_TIME:
            e = "an RFC 3339 timestamp such as 2024-03-06T14:56:56Z";
            break;
        case F_ENUM:
            o = (size_t)snprintf(exp, sizeof exp, "one of");
            for (i = 0; r->choices[i] != NULL && o < sizeof exp; i++)
                o += (size_t)snprintf(exp + o, sizeof exp - o, "%s %s", i > 0 ? "," : "",
                                      r->choices[i]);
            e = exp;
            break;
        default:
            e = "?";
        }
    }
    return fail(x, CPS_ESCHEMA, "field '%s%s%s': %sexpected %s", prefix != NULL ? prefix : "",
                prefix != NULL ? "." : "", r->name, missing ? "missing, " : "", e);
}

/* Collect the fields of the map m (at most FIELDS_MAX). */
static uint32_t
collect(const struct val *m, struct field *f, uint32_t cap)
{
    const uint8_t *p = m->p;
    struct val k;
    uint32_t i;

    for (i = 0; i < m->n && i < cap; i++) {
        p = rd(p, &k);
        f[i].name = (const char *)k.p;
        f[i].name_len = k.n;
        rd(p, &f[i].v); /* the value's head; then step over all of it */
        p = skip(p);
    }
    return i;
}

/* The field called name of map m (fields f[0..nf) already collected); false if absent.
 * The collected fields are tried from *at on (then from 0), and *at is left after the one
 * found: values usually list their fields in the rules' order. Map keys are unique
 * (check_value), so where the search starts does not change what it finds. */
static bool
lookup_at(const struct val *m, const struct field *f, uint32_t nf, const char *name,
          uint32_t *at, struct val *out)
{
    size_t n = strlen(name);
    const uint8_t *p;
    struct val k;
    uint32_t i, j;

    for (j = 0, i = *at < nf ? *at : 0; j < nf; j++, i = i + 1 < nf ? i + 1 : 0)
        if (same(f[i].name, f[i].name_len, name, n)) {
            *at = i + 1;
            *out = f[i].v;
            return true;
        }
    if (nf == m->n)
        return false;
    p = m->p;
    for (i = 0; i < m->n; i++) { /* a map too big to collect: scan the rest */
        p = rd(p, &k);
        if (i >= nf && same((const char *)k.p, k.n, name, n)) {
            rd(p, out);
            return true;
        }
        p = skip(p);
    }
    return false;
}

static bool
get(const struct ctx *x, const char *name, struct val *out)
{
    uint32_t at = 0;

    return lookup_at(&x->top, x->f, x->nf, name, &at, out);
}

static int check_fields(struct ctx *x, const struct field_rule *rules, const struct val *m,
                        const struct field *f, uint32_t nf, const char *prefix);

/* Does v meet r? 0, or CPS_ESCHEMA with err set. v is NULL when the field is absent. */
static int
check_field(struct ctx *x, const struct field_rule *r, const struct val *v, const char *prefix)
{
    struct field sub[16];
    const uint8_t *p;
    struct val e, e2;
    uint32_t i, j;
    const char *s;
    size_t n;

    if (v == NULL || v->kind == V_NIL)
        return r->required ? fail_field(x, prefix, r, v == NULL) : 0;
    switch (r->type) {
    case F_INT:
        if (v->kind != V_INT || v->i < r->min || v->i > r->max)
            return fail_field(x, prefix, r, false);
        return 0;
    case F_NUMBER:
        if (v->kind == V_INT)
            return !r->has_min || v->i >= r->min ? 0 : fail_field(x, prefix, r, false);
        if (v->kind == V_FLOAT)
            return !r->has_min || v->f >= (double)r->min ? 0 : fail_field(x, prefix, r, false);
        return fail_field(x, prefix, r, false);
    case F_LIST:
        if (v->kind != V_ARRAY || v->n < r->min)
            return fail_field(x, prefix, r, false);
        p = v->p;
        for (i = 0; i < v->n; i++) {
            const uint8_t *at = v->p;

            p = rd(p, &e);
            if (e.kind != V_STR)
                return fail_field(x, prefix, r, false);
            s = (const char *)e.p;
            if (r->choices != NULL ? !in_list(r->choices, s, e.n) : !r->pattern(s, e.n))
                return fail_field(x, prefix, r, false);
            /* distinct: the earlier elements are strings already checked */
            for (j = 0; j < i; j++) {
                at = rd(at, &e2);
                if (same((const char *)e2.p, e2.n, s, e.n))
                    return fail(x, CPS_ESCHEMA, "field '%s': '%.*s' appears twice", r->name,
                                (int)(e.n > 64 ? 64 : e.n), s);
            }
        }
        return 0;
    case F_MAP:
        if (v->kind != V_MAP)
            return fail_field(x, prefix, r, false);
        n = collect(v, sub, sizeof sub / sizeof sub[0]);
        return check_fields(x, r->sub, v, sub, (uint32_t)n, r->name);
    default:
        break;
    }
    if (v->kind != V_STR)
        return fail_field(x, prefix, r, false);
    s = (const char *)v->p;
    n = v->n;
    switch (r->type) {
    case F_STR:
        if (n == 0 && r->required)
            return fail_field(x, prefix, r, false);
        break;
    case F_CODE:
        if (!r->pattern(s, n))
            return fail_field(x, prefix, r, false);
        break;
    case F_ENUM:
        if (!in_list(r->choices, s, n))
            return fail_field(x, prefix, r, false);
        break;
    case F_PERIOD:
        if (!period_ok(s, n))
            return fail_field(x, prefix, r, false);
        break;
    case F_DATE:
        if (!date_ok(s, n))
            return fail_field(x, prefix, r, false);
        break;
    case F_TIME:
        if (!time_ok(s, n))
            return fail_field(x, prefix, r, false);
        break;
    default:
        return fail_field(x, prefix, r, false);
    }
    if (r->keyseg >= 0 && (unsigned)r->keyseg < x->nseg &&
        !same(s, n, x->seg[r->keyseg].p, x->seg[r->keyseg].n))
        return fail(x, CPS_ESCHEMA, "field '%s': expected '%.*s', as in the key", r->name,
                    (int)x->seg[r->keyseg].n, x->seg[r->keyseg].p);
    return 0;
}

static int
check_fields(struct ctx *x, const struct field_rule *rules, const struct val *m,
             const struct field *f, uint32_t nf, const char *prefix)
{
    const struct field_rule *r;
    uint32_t at = 0;
    struct val v;
    int rc;

    for (r = rules; r->name != NULL; r++) {
        bool found = lookup_at(m, f, nf, r->name, &at, &v);

        if ((rc = check_field(x, r, found ? &v : NULL, prefix)) != 0)
            return rc;
    }
    return 0;
}

/* A string field the table already checked; absent or nil gives false. */
static bool
str_field(const struct ctx *x, const char *name, const char **s, size_t *n)
{
    struct val v;

    if (!get(x, name, &v) || v.kind != V_STR)
        return false;
    *s = (const char *)v.p;
    *n = v.n;
    return true;
}

static int
partner_cross(struct ctx *x)
{
    const char *country, *membership, *want;
    size_t cn, mn;

    if (!str_field(x, "country", &country, &cn) || !str_field(x, "membership", &membership, &mn))
        return 0;
    want = in_list(ipa_countries, country, cn) ? "IPA" : "EU";
    if (!same(membership, mn, want, strlen(want)))
        return fail(x, CPS_ESCHEMA, "field 'membership': expected '%s' for country %.*s", want,
                    (int)cn, country);
    return 0;
}

static int
pilot_action_cross(struct ctx *x)
{
    const char *status, *start, *end;
    size_t sn, an, en;
    bool done;
    struct val ev;

    if (!str_field(x, "status", &status, &sn) || !str_field(x, "start", &start, &an))
        return 0;
    done = same(status, sn, "completed", 9) || same(status, sn, "cancelled", 9);
    if (!str_field(x, "end", &end, &en)) {
        if (done)
            return fail(x, CPS_ESCHEMA,
                        "field 'end': missing, expected a date YYYY-MM-DD when status is %.*s",
                        (int)sn, status);
    } else if (memcmp(end, start, 10) < 0) {
        return fail(x, CPS_ESCHEMA, "field 'end': expected a date on or after start (%.10s)",
                    start);
    }
    if (same(status, sn, "completed", 9) && (!get(x, "evaluation", &ev) || ev.kind == V_NIL))
        return fail(x, CPS_ESCHEMA,
                    "field 'evaluation': missing, expected a map with score (1..5) and lessons "
                    "when status is completed");
    return 0;
}

static int
policy_lesson_cross(struct ctx *x)
{
    const uint8_t *p;
    struct val v, e;
    uint32_t i;

    if (x->writer == NULL || !get(x, "shared_with", &v) || v.kind != V_ARRAY)
        return 0;
    for (i = 0, p = v.p; i < v.n; i++) {
        p = rd(p, &e);
        if (same((const char *)e.p, e.n, x->writer, x->writer_len))
            return fail(x, CPS_ESCHEMA,
                        "field 'shared_with': expected other partners, not the writer %s",
                        x->writer);
    }
    return 0;
}

static int
period_cross(struct ctx *x)
{
    const char *start, *end, *due;
    size_t n;

    if (!str_field(x, "start", &start, &n) || !str_field(x, "end", &end, &n) ||
        !str_field(x, "due", &due, &n))
        return 0;
    if (memcmp(end, start, 10) < 0)
        return fail(x, CPS_ESCHEMA, "field 'end': expected a date on or after start (%.10s)",
                    start);
    if (memcmp(due, end, 10) < 0)
        return fail(x, CPS_ESCHEMA, "field 'due': expected a date on or after end (%.10s)", end);
    return 0;
}

/* Split the key into segments and check each against the collection's shape. */
static int
check_key_shape(struct ctx *x)
{
    const struct coll_rule *c = x->c;
    const char *s = x->key, *end = x->key + x->key_len, *slash;
    unsigned i;
    bool ok = true;

    x->nseg = 0;
    while (s < end) {
        if (x->nseg == KEY_SEGS_MAX)
            goto bad;
        slash = memchr(s, '/', (size_t)(end - s));
        x->seg[x->nseg].p = s;
        x->seg[x->nseg].n = slash != NULL ? (size_t)(slash - s) : (size_t)(end - s);
        x->nseg++;
        s = slash != NULL ? slash + 1 : end;
    }
    if (x->nseg < c->segs_min || x->nseg > c->segs_max)
        goto bad;
    for (i = 0; i < x->nseg && ok; i++) {
        const char *p = x->seg[i].p;
        size_t n = x->seg[i].n;

        switch (c->segs[i]) {
        case S_OWNER:
            break; /* ownership checked it */
        case S_PARTNER:
            ok = partner_id_ok(p, n);
            break;
        case S_CLUSTER:
            ok = cluster_id_ok(p, n, x->seg[0].p, x->seg[0].n);
            break;
        case S_AREA:
            ok = in_list(areas, p, n);
            break;
        case S_PERIOD:
            ok = period_ok(p, n);
            break;
        case S_CODE:
            ok = code_ok(p, n);
            break;
        case S_NAME:
            ok = name_ok(p, n);
            break;
        }
    }
    if (ok)
        return 0;
bad:
    return fail(x, CPS_ESCHEMA, "key: expected %s", c->key_expect);
}

static int
check_value(struct ctx *x, const uint8_t *value, size_t value_len)
{
    const uint8_t *p = value;
    msgpack_unpacked res;
    char why[160];
    const char *owner;
    size_t used = 0, owner_len;
    struct val v;
    bool fast;
    int rc;

    if (value_len > CPS_VALUE_MAX_BYTES)
        return fail(x, CPS_ESCHEMA, "value: larger than %d bytes", CPS_VALUE_MAX_BYTES);
    fast = cps_value_check(value, value_len, CPS_VALUE_MAX_DEPTH, &used) == 0 && used == value_len;
    if (fast) {
        rd(value, &v);
        fast = v.kind == V_MAP && tidy(&p);
    }
    if (!fast) {
        /* unsure: value.c's decoder decides, with its message */
        why[0] = '\0';
        msgpack_unpacked_init(&res);
        rc = cps_value_unpack_record(&res, value, value_len, why, sizeof why);
        msgpack_unpacked_destroy(&res);
        if (rc == CPS_EMALFORMED)
            return fail(x, CPS_ESCHEMA, "value: %s", why);
        if (rc != 0)
            return rc;
    }
    rd(value, &x->top);
    x->nf = collect(&x->top, x->f, FIELDS_MAX);
    if (!x->c->programme && get(x, "partner", &v)) {
        /* a partner-owned value that names a partner names the key's owner */
        owner = x->key;
        owner_len = x->seg[0].n;
        if (v.kind != V_STR || !same((const char *)v.p, v.n, owner, owner_len))
            return fail(x, CPS_ESCHEMA, "field 'partner': expected '%.*s', the key's partner",
                        (int)owner_len, owner);
    }
    if ((rc = check_fields(x, x->c->fields, &x->top, x->f, x->nf, NULL)) != 0)
        return rc;
    return x->c->cross != NULL ? x->c->cross(x) : 0;
}

/* --- the API ---------------------------------------------------------------------------- */

static const struct coll_rule *
find(const char *coll, size_t coll_len)
{
    size_t i;

    if (coll == NULL)
        return NULL;
    for (i = 0; i < sizeof colls / sizeof colls[0]; i++)
        if (same(colls[i].name, colls[i].name_len, coll, coll_len))
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

const char *
cps_schema_field(const char *coll, size_t coll_len, size_t i)
{
    const struct coll_rule *c = find(coll, coll_len);
    size_t j;

    if (c == NULL)
        return NULL;
    for (j = 0; c->fields[j].name != NULL; j++)
        if (j == i)
            return c->fields[j].name;
    return NULL;
}

bool
cps_schema_field_is_text(const char *coll, size_t coll_len, const char *name, size_t name_len)
{
    const struct coll_rule *c = find(coll, coll_len);
    size_t j;

    for (j = 0; c != NULL && c->fields[j].name != NULL; j++)
        if (same(c->fields[j].name, strlen(c->fields[j].name), name, name_len))
            return c->fields[j].type == F_STR || c->fields[j].type == F_CODE ||
                   c->fields[j].type == F_ENUM || c->fields[j].type == F_PERIOD ||
                   c->fields[j].type == F_DATE || c->fields[j].type == F_TIME;
    return false;
}

const char *
cps_schema_area(size_t i)
{
    return i < sizeof areas / sizeof areas[0] - 1 ? areas[i] : NULL;
}

bool
cps_schema_area_ok(const char *s, size_t n)
{
    return in_list(areas, s, n);
}

bool
cps_schema_period_ok(const char *s, size_t n)
{
    return period_ok(s, n);
}

/* 1..256 bytes of printable ASCII without space; '/' separates non-empty segments. */
static bool
key_ok(const char *key, size_t n)
{
    size_t i;

    if (key == NULL || n == 0 || n > CPS_SCHEMA_KEY_MAX || key[0] == '/' || key[n - 1] == '/')
        return false;
    for (i = 0; i < n; i++) {
        if (key[i] <= 0x20 || key[i] >= 0x7f)
            return false;
        if (key[i] == '/' && key[i + 1] == '/')
            return false;
    }
    return true;
}

int
cps_schema_check(const struct cps_schema_writer *w, const char *coll, size_t coll_len,
                 const char *key, size_t key_len, const uint8_t *value, size_t value_len, char *err,
                 size_t err_len)
{
    struct ctx x;
    char cs[CPS_SCHEMA_COLL_MAX + 4];
    int rc;

    if (err != NULL && err_len > 0)
        err[0] = '\0';
    x.c = find(coll, coll_len);
    x.writer = w != NULL ? w->partner : NULL;
    x.writer_len = x.writer != NULL ? strlen(x.writer) : 0;
    x.key = key;
    x.key_len = key != NULL ? key_len : 0;
    x.nseg = 0;
    x.err = err;
    x.err_len = err_len;
    if (x.c == NULL) {
        cps_seterr(err, err_len, "unknown collection '%s'",
                   show(cs, sizeof cs, coll != NULL ? coll : "", coll != NULL ? coll_len : 0));
        return CPS_ESCHEMA;
    }
    if (!key_ok(key, key_len))
        return fail(&x, CPS_ESCHEMA,
                    "key: expected 1..%d printable ASCII characters without spaces, in "
                    "non-empty segments separated by '/'",
                    CPS_SCHEMA_KEY_MAX);
    if (x.c->programme && x.writer != NULL)
        return fail(&x, CPS_EOWNER, "collection '%s' is written only by the programme key",
                    x.c->name);
    if (!x.c->programme) {
        if (x.writer == NULL)
            return fail(&x, CPS_EOWNER,
                        "collection '%s' is written only by the partner that owns the record",
                        x.c->name);
        if (x.writer_len == 0 || key_len <= x.writer_len + 1 ||
            memcmp(key, x.writer, x.writer_len) != 0 || key[x.writer_len] != '/')
            return fail(&x, CPS_EOWNER,
                        "key: expected to start with '%.16s/' (the writer's own records)",
                        x.writer);
    }
    /* a delete needs only a well-formed key its writer owns: records written under older
     * rules can always be removed */
    if (value == NULL)
        return 0;
    if ((rc = check_key_shape(&x)) != 0)
        return rc;
    return check_value(&x, value, value_len);
}
