/* SPDX-License-Identifier: ISC */
/*
 * config: INI files through inih, checked against the caller's table. inih splits lines
 * into sections, keys and values; this module feeds it one line at a time (so it knows
 * the line number of every key, which the packaged inih does not pass on), catches the
 * lines inih would only count as errors, and checks every value by its key's type.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "cps/config.h"
#include "cps/log.h"

struct parse {
    const char *path;
    const struct cps_config_key *table;
    size_t n;
    void *conf;
    cps_config_report_fn report;
    void *arg;
    FILE *f;
    char *buf; /* getline's */
    size_t cap;
    unsigned line;    /* lines read so far: the one inih is working on */
    unsigned *set_at; /* per key: the line that set it (0: not set) */
    unsigned problems;
};

static void problem(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
problem(struct parse *p, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    p->problems++;
    if (p->report != NULL)
        p->report(p->arg, p->path, p->line, msg);
}

static bool
section_known(const struct parse *p, const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < p->n; i++)
        if (strlen(p->table[i].section) == len && memcmp(p->table[i].section, name, len) == 0)
            return true;
    return false;
}

static bool
blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Whether inih may have line s: blank, a comment, "[section]" or "key = value". */
static bool
line_ok(struct parse *p, const char *s)
{
    const char *t = s, *end, *name;
    size_t len;

    if (p->line == 1 && strncmp(t, "\xEF\xBB\xBF", 3) == 0)
        t += 3; /* a UTF-8 byte order mark, which inih skips */
    if (blank(*t)) {
        while (blank(*t))
            t++;
        if (*t == 0 || *t == ';' || *t == '#')
            return true;
        problem(p, "indented line (continuation lines are not supported)");
        return false;
    }
    if (*t == 0 || *t == ';' || *t == '#')
        return true;
    if (*t == '[') {
        if ((end = strchr(t, ']')) == NULL) {
            problem(p, "section header without ']'");
            return false;
        }
        name = t + 1; /* inih takes the name as written, blanks and all */
        len = (size_t)(end - name);
        if (!section_known(p, name, len))
            problem(p, "unknown section [%.*s]", (int)len, name);
        return true; /* inih takes it: its keys are skipped, not reported again */
    }
    if (strpbrk(t, "=:") == NULL) {
        problem(p, "expected 'key = value' or '[section]'");
        return false;
    }
    if (*t == '=' || *t == ':') {
        problem(p, "a key name is missing before '%c'", *t);
        return false;
    }
    return true;
}

/* inih's reader: one whole line per call, counted; a line it must not see comes out blank. */
static char *
next_line(char *str, int num, void *stream)
{
    struct parse *p = stream;
    ssize_t len;
    char *s;

    if ((len = getline(&p->buf, &p->cap, p->f)) < 0)
        return NULL;
    p->line++;
    s = p->buf;
    while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
        s[--len] = 0;
    if (memchr(s, 0, (size_t)len) != NULL)
        problem(p, "NUL byte in line");
    else if (len + 3 > num)
        problem(p, "line longer than %d bytes", num - 3);
    else if (line_ok(p, s)) {
        memcpy(str, s, (size_t)len);
        str[len] = '\n';
        str[len + 1] = 0;
        return str;
    }
    str[0] = '\n';
    str[1] = 0;
    return str;
}

static int
on_key(void *user, const char *section, const char *name, const char *value)
{
    struct parse *p = user;
    const struct cps_config_key *k = NULL;
    char why[256], text[512];
    size_t i, len;

    if (section[0] == 0) {
        problem(p, "'%s' is outside any section", name);
        return 1;
    }
    if (!section_known(p, section, strlen(section)))
        return 1; /* reported at its header */
    for (i = 0; i < p->n && k == NULL; i++)
        if (strcmp(p->table[i].section, section) == 0 && strcmp(p->table[i].name, name) == 0)
            k = &p->table[i];
    if (k == NULL) {
        for (i = 0; i < p->n; i++)
            if (strcmp(p->table[i].name, name) == 0)
                break;
        if (i < p->n)
            problem(p, "unknown key '%s' in [%s] (it belongs in [%s])", name, section,
                    p->table[i].section);
        else
            problem(p, "unknown key '%s' in [%s]", name, section);
        return 1;
    }
    i = (size_t)(k - p->table);
    if (p->set_at[i] != 0) {
        problem(p, "'%s' in [%s] is already set on line %u", name, section, p->set_at[i]);
        return 1;
    }
    p->set_at[i] = p->line;
    /* one pair of double quotes around a value is allowed, and dropped */
    len = strlen(value);
    if (len >= 2 && value[0] == '"' && value[len - 1] == '"' && len - 2 < sizeof text) {
        memcpy(text, value + 1, len - 2);
        text[len - 2] = 0;
        value = text;
    }
    if (cps_config_set(k, p->conf, value, true, why, sizeof why) != 0)
        problem(p, "%s = '%s': %s", name, value, why);
    return 1;
}

int
cps_config_read(const char *path, const struct cps_config_key *table, size_t n, void *conf,
                cps_config_report_fn report, void *arg, unsigned *problems)
{
    struct parse p = { .path = path, .table = table, .n = n, .conf = conf, .report = report,
                       .arg = arg };
    int rc = 0, irc;

    *problems = 0;
    if ((p.f = fopen(path, "r")) == NULL)
        return -errno;
    if ((p.set_at = calloc(n > 0 ? n : 1, sizeof *p.set_at)) == NULL) {
        fclose(p.f);
        return -ENOMEM;
    }
    irc = ini_parse_stream(next_line, &p, on_key, &p);
    if (irc == -2) {
        rc = -ENOMEM;
    } else if (ferror(p.f)) {
        rc = -EIO;
    } else if (irc > 0 && p.problems == 0) {
        p.line = (unsigned)irc; /* a line inih refused that line_ok let through */
        problem(&p, "syntax error");
    }
    if (rc == 0 && p.problems > 0)
        rc = CPS_EMALFORMED;
    *problems = p.problems;
    free(p.set_at);
    free(p.buf);
    fclose(p.f);
    return rc;
}

static bool
parse_uint(const char *s, uint64_t *v)
{
    unsigned long long x;
    char *end;

    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    x = strtoull(s, &end, 10);
    if (errno != 0 || *end != 0)
        return false;
    *v = x;
    return true;
}

static bool
endpoint_ok(const char *s)
{
    const char *colon;
    uint64_t port;

    if (strncmp(s, "ipc://", 6) == 0)
        return s[6] != 0;
    if (strncmp(s, "tcp://", 6) != 0 || (colon = strrchr(s + 6, ':')) == NULL ||
        colon == s + 6)
        return false;
    return parse_uint(colon + 1, &port) && port >= 1 && port <= 65535;
}

static bool
printable(const char *s)
{
    for (; *s != 0; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

/* Can text be a value in a file that reads back as text? No control characters, and no
 * ';' or '#' after a blank, which inih takes for the start of a comment; the rest
 * (blanks at either end, a ';' or '#' first, quotes) cps_config_write keeps in quotes. */
static bool
keepable(const char *s, char *why, size_t why_len)
{
    size_t i;

    if (!printable(s)) {
        snprintf(why, why_len, "control characters cannot be kept in a configuration file");
        return false;
    }
    for (i = 1; s[0] != 0 && s[i] != 0; i++)
        if ((s[i] == ';' || s[i] == '#') && (s[i - 1] == ' ' || s[i - 1] == '\t')) {
            snprintf(why, why_len, "a '%c' after a blank starts a comment in a configuration "
                                   "file",
                     s[i]);
            return false;
        }
    return true;
}

/* Does text need quotes to read back as itself (see keepable)? */
static bool
needs_quotes(const char *s)
{
    size_t len = strlen(s);

    return len > 0 && (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t' ||
                       s[0] == ';' || s[0] == '#' || (len >= 2 && s[0] == '"' && s[len - 1] == '"'));
}

int
cps_config_set(const struct cps_config_key *key, void *conf, const char *text, bool from_file,
               char *why, size_t why_len)
{
    char *field = (char *)conf + key->offset;
    size_t len = strlen(text);
    uint64_t u;
    bool b;
    int level;

    switch (key->type) {
    case CPS_CONFIG_UINT:
        if (!parse_uint(text, &u) || u < key->min || u > key->max) {
            snprintf(why, why_len, "expected a whole number from %" PRIu64 " to %" PRIu64,
                     key->min, key->max);
            return CPS_EMALFORMED;
        }
        memcpy(field, &u, sizeof u);
        return 0;
    case CPS_CONFIG_BOOL:
        if (strcasecmp(text, "true") == 0 || strcasecmp(text, "yes") == 0 ||
            strcasecmp(text, "on") == 0 || strcmp(text, "1") == 0) {
            b = true;
        } else if (strcasecmp(text, "false") == 0 || strcasecmp(text, "no") == 0 ||
                   strcasecmp(text, "off") == 0 || strcmp(text, "0") == 0) {
            b = false;
        } else {
            snprintf(why, why_len, "expected true or false");
            return CPS_EMALFORMED;
        }
        memcpy(field, &b, sizeof b);
        return 0;
    case CPS_CONFIG_LEVEL:
        if ((level = cps_log_parse_level(text)) < 0) {
            snprintf(why, why_len, "expected err, warn, info or debug");
            return CPS_EMALFORMED;
        }
        memcpy(field, &level, sizeof level);
        return 0;
    case CPS_CONFIG_PATH:
        if (len == 0 || len > key->max || (from_file && text[0] != '/')) {
            snprintf(why, why_len, "expected an absolute path of at most %" PRIu64 " bytes",
                     key->max);
            return CPS_EMALFORMED;
        }
        break;
    case CPS_CONFIG_ENDPOINT:
        if (len > key->max || !endpoint_ok(text)) {
            snprintf(why, why_len, "expected tcp://HOST:PORT or ipc://PATH (at most %" PRIu64
                                   " bytes)",
                     key->max);
            return CPS_EMALFORMED;
        }
        break;
    case CPS_CONFIG_STRING:
    default:
        if (len == 0 || len > key->max || !printable(text)) {
            snprintf(why, why_len, "expected 1 to %" PRIu64 " printable characters", key->max);
            return CPS_EMALFORMED;
        }
        break;
    }
    if (!keepable(text, why, why_len))
        return CPS_EMALFORMED;
    memcpy(field, text, len + 1);
    return 0;
}

const struct cps_config_key *
cps_config_find(const struct cps_config_key *table, size_t n, const char *name)
{
    const char *dot = strchr(name, '.');
    size_t i;

    for (i = 0; i < n; i++) {
        if (dot == NULL ? strcmp(table[i].name, name) == 0
                        : strlen(table[i].section) == (size_t)(dot - name) &&
                              strncmp(table[i].section, name, (size_t)(dot - name)) == 0 &&
                              strcmp(table[i].name, dot + 1) == 0)
            return &table[i];
    }
    return NULL;
}

void
cps_config_scan_args(int argc, char **argv, const char *shortopts, const struct option *longopts,
                     int config_val, const char **config, bool given[256])
{
    int c, saved = opterr;

    *config = NULL;
    memset(given, 0, 256 * sizeof *given);
    opterr = 0;
    optind = 0; /* glibc: start over, whatever an earlier scan left */
    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (c == config_val)
            *config = optarg;
        if (c >= 0 && c < 256)
            given[c] = true;
    }
    opterr = saved;
    optind = 0;
}

void
cps_config_format(const struct cps_config_key *key, const void *conf, char *buf, size_t buf_len)
{
    static const char *const levels[] = { "err", "warn", "info", "debug" };
    const char *field = (const char *)conf + key->offset;
    uint64_t u;
    bool b;
    int level;

    switch (key->type) {
    case CPS_CONFIG_UINT:
        memcpy(&u, field, sizeof u);
        snprintf(buf, buf_len, "%" PRIu64, u);
        break;
    case CPS_CONFIG_BOOL:
        memcpy(&b, field, sizeof b);
        snprintf(buf, buf_len, "%s", b ? "true" : "false");
        break;
    case CPS_CONFIG_LEVEL:
        memcpy(&level, field, sizeof level);
        snprintf(buf, buf_len, "%s", level >= 0 && level <= 3 ? levels[level] : "?");
        break;
    default:
        snprintf(buf, buf_len, "%s", field);
        break;
    }
}

int
cps_config_write(FILE *f, const struct cps_config_key *table, size_t n, const void *conf)
{
    char value[4200];
    const char *q;
    size_t i, j;
    bool first;

    for (i = 0; i < n; i++) {
        for (j = 0; j < i; j++)
            if (strcmp(table[j].section, table[i].section) == 0)
                break;
        if (j < i)
            continue; /* section written already */
        fprintf(f, "%s[%s]\n", i == 0 ? "" : "\n", table[i].section);
        first = true;
        for (j = i; j < n; j++) {
            const struct cps_config_key *k = &table[j];

            if (strcmp(k->section, table[i].section) != 0)
                continue;
            cps_config_format(k, conf, value, sizeof value);
            if (k->type == CPS_CONFIG_UINT) {
                uint64_t u;

                memcpy(&u, (const char *)conf + k->offset, sizeof u);
                if (u < k->min)
                    value[0] = 0; /* "not set": the default is no value the key takes */
            }
            q = needs_quotes(value) ? "\"" : "";
            fprintf(f, "%s; %s (%s)\n%s%s =%s%s%s%s\n", first ? "" : "\n", k->help, k->option,
                    value[0] == 0 ? "; " : "", k->name, value[0] == 0 ? "" : " ", q, value, q);
            first = false;
        }
    }
    return ferror(f) ? -EIO : 0;
}
