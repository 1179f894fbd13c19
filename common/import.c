/* SPDX-License-Identifier: ISC */
/*
 * import: read record files one record at a time, NDJSON with jansson and CSV with libcsv,
 * turning each into (collection, key, msgpack value) through the same JSON -> msgpack
 * converter as cps_value_from_json(). The file is read in fixed chunks and no line or row
 * may exceed CPS_IMPORT_LINE_MAX, so memory stays bounded whatever the file's size. Errors
 * name the line and the field. Whether a record may be written is schema's business.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csv.h>
#include <jansson.h>
#include <msgpack.h>

#include "cps/import.h"
#include "cps/schema.h"
#include "internal.h"

#define CPS_IMPORT_LINE_MAX (1024 * 1024) /* bytes in one NDJSON line or one CSV row */
#define CPS_IMPORT_COLS_MAX 1024
#define CHUNK (64 * 1024)

enum csv_mode { MODE_NONE, MODE_CKV, MODE_FIELDS };

struct cells {
    char *buf; /* every cell, each followed by a NUL */
    size_t len, cap;
    size_t *off; /* off[i]: start of cell i in buf */
    size_t *lens;
    size_t n, ncap;
};

struct cps_import {
    int fd;
    int own_fd;
    enum cps_import_format fmt;
    char *collection;
    uint8_t in[CHUNK];
    size_t in_pos, in_len;
    int eof;
    uint64_t done, total;
    uint64_t line; /* physical lines fully read so far */

    msgpack_sbuffer sb; /* the current record's value */
    msgpack_packer pk;

    /* NDJSON */
    char *lbuf;
    size_t llen, lcap;
    json_t *cur; /* the current line's JSON: rec->coll and rec->key borrow it */

    /* CSV */
    struct csv_parser csv;
    int csv_ready;
    int finished; /* csv_fini() done */
    struct cells row, hdr;
    int row_done, row_oom, row_wide;
    int need_start;
    uint64_t row_line;
    size_t row_bytes;
    enum csv_mode mode;
    size_t icoll, ikey, ivalue;
};

enum cps_import_format
cps_import_guess(const char *path)
{
    size_t n = path != NULL ? strlen(path) : 0;

    if (n >= 4 && strcasecmp(path + n - 4, ".csv") == 0)
        return CPS_IMPORT_CSV;
    return CPS_IMPORT_NDJSON;
}

static int
no_space(unsigned char c)
{
    (void)c;
    return 0; /* RFC 4180: spaces belong to the field */
}

int
cps_import_open(struct cps_import **out, const char *path, enum cps_import_format fmt,
                const char *collection)
{
    struct cps_import *im;
    struct stat sb;
    int rc;

    *out = NULL;
    if (path == NULL || (fmt != CPS_IMPORT_NDJSON && fmt != CPS_IMPORT_CSV))
        return -EINVAL;
    if ((im = calloc(1, sizeof *im)) == NULL)
        return -ENOMEM;
    im->fmt = fmt;
    im->fd = -1;
    msgpack_sbuffer_init(&im->sb);
    msgpack_packer_init(&im->pk, &im->sb, msgpack_sbuffer_write);
    if (collection != NULL && (im->collection = strdup(collection)) == NULL) {
        rc = -ENOMEM;
        goto fail;
    }
    if (fmt == CPS_IMPORT_CSV) {
        if (csv_init(&im->csv, CSV_STRICT | CSV_STRICT_FINI) != 0) {
            rc = -ENOMEM;
            goto fail;
        }
        csv_set_space_func(&im->csv, no_space);
        im->csv_ready = 1;
    }
    if (strcmp(path, "-") == 0) {
        im->fd = STDIN_FILENO;
    } else {
        do
            im->fd = open(path, O_RDONLY | O_CLOEXEC);
        while (im->fd == -1 && errno == EINTR);
        if (im->fd == -1) {
            rc = -errno;
            goto fail;
        }
        im->own_fd = 1;
    }
    if (fstat(im->fd, &sb) == 0 && S_ISREG(sb.st_mode))
        im->total = (uint64_t)sb.st_size;
    *out = im;
    return 0;

fail:
    cps_import_close(&im);
    return rc;
}

static void
cells_free(struct cells *c)
{
    free(c->buf);
    free(c->off);
    free(c->lens);
    memset(c, 0, sizeof *c);
}

void
cps_import_close(struct cps_import **imp)
{
    struct cps_import *im;

    if (imp == NULL || (im = *imp) == NULL)
        return;
    if (im->own_fd && im->fd != -1)
        close(im->fd);
    if (im->csv_ready)
        csv_free(&im->csv);
    json_decref(im->cur);
    msgpack_sbuffer_destroy(&im->sb);
    free(im->lbuf);
    free(im->collection);
    cells_free(&im->row);
    cells_free(&im->hdr);
    free(im);
    *imp = NULL;
}

void
cps_import_progress(const struct cps_import *im, uint64_t *done, uint64_t *total)
{
    *done = im->done;
    *total = im->total;
}

/* Read the next chunk. Returns bytes read, 0 at end of file, or -errno. */
static int
refill(struct cps_import *im)
{
    ssize_t n;
    int first = im->done == 0;

    im->in_pos = im->in_len = 0;
    if (im->eof)
        return 0;
    do
        n = read(im->fd, im->in, sizeof im->in);
    while (n == -1 && errno == EINTR);
    if (n == -1)
        return -errno;
    if (n == 0) {
        im->eof = 1;
        return 0;
    }
    im->in_len = (size_t)n;
    im->done += (uint64_t)n;
    if (first && n >= 3 && memcmp(im->in, "\xef\xbb\xbf", 3) == 0)
        im->in_pos = 3; /* spreadsheets write a UTF-8 byte order mark */
    return (int)(n > INT32_MAX ? INT32_MAX : n);
}

/* --- NDJSON ---------------------------------------------------------------------------- */

/* Next physical line into lbuf. Returns 1, 0 at end of file, or -errno; *too_long if cut. */
static int
read_line(struct cps_import *im, int *too_long)
{
    const uint8_t *p, *nl;
    size_t seg, cap;
    int got = 0, rc;
    char *nb;

    im->llen = 0;
    *too_long = 0;
    for (;;) {
        if (im->in_pos == im->in_len) {
            if ((rc = refill(im)) < 0)
                return rc;
            if (rc == 0)
                break;
            if (im->in_pos == im->in_len)
                continue;
        }
        got = 1;
        p = im->in + im->in_pos;
        nl = memchr(p, '\n', im->in_len - im->in_pos);
        seg = nl != NULL ? (size_t)(nl - p) : im->in_len - im->in_pos;
        if (!*too_long && im->llen + seg > CPS_IMPORT_LINE_MAX)
            *too_long = 1;
        if (!*too_long) {
            if (im->llen + seg + 1 > im->lcap) {
                cap = im->lcap == 0 ? 4096 : im->lcap;
                while (cap < im->llen + seg + 1)
                    cap *= 2;
                if ((nb = realloc(im->lbuf, cap)) == NULL)
                    return -ENOMEM;
                im->lbuf = nb;
                im->lcap = cap;
            }
            memcpy(im->lbuf + im->llen, p, seg);
            im->llen += seg;
        }
        im->in_pos += seg;
        if (nl != NULL) {
            im->in_pos++;
            break;
        }
    }
    if (!got)
        return 0;
    im->line++;
    return 1;
}

static int
blank(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

/* Pack JSON object v as the record value; field names the column or member for errors. */
static int
pack_value(struct cps_import *im, const json_t *v, uint64_t line, const char *field, char *err,
           size_t err_len)
{
    char why[160];
    int rc;

    im->sb.size = 0;
    why[0] = '\0';
    if ((rc = cps_value_pack_json(&im->pk, v, why, sizeof why)) == CPS_EMALFORMED)
        cps_seterr(err, err_len, "line %" PRIu64 ": field '%s': %s", line, field, why);
    return rc;
}

static int
ndjson_next(struct cps_import *im, struct cps_import_record *rec, char *err, size_t err_len)
{
    json_t *j, *coll, *key, *op, *val, *v;
    const char *k, *line;
    json_error_t je;
    size_t len;
    uint64_t ln;
    int too_long, rc, del;

    for (;;) {
        json_decref(im->cur);
        im->cur = NULL;
        if ((rc = read_line(im, &too_long)) <= 0)
            return rc;
        ln = im->line;
        if (too_long) {
            cps_seterr(err, err_len, "line %" PRIu64 ": longer than %d bytes", ln,
                       CPS_IMPORT_LINE_MAX);
            return CPS_EMALFORMED;
        }
        line = im->lbuf;
        len = im->llen;
        if (!blank(line, len))
            break;
    }
    j = json_loadb(line, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    if (j == NULL) {
        cps_seterr(err, err_len, "line %" PRIu64 " column %d: %s", ln, je.column, je.text);
        return CPS_EMALFORMED;
    }
    im->cur = j;
    if (!json_is_object(j)) {
        cps_seterr(err, err_len, "line %" PRIu64 ": expected a JSON object", ln);
        return CPS_EMALFORMED;
    }
    json_object_foreach(j, k, v)
    {
        if (strcmp(k, "coll") != 0 && strcmp(k, "key") != 0 && strcmp(k, "value") != 0 &&
            strcmp(k, "op") != 0) {
            cps_seterr(err, err_len,
                       "line %" PRIu64 ": field '%.64s': unknown field (expected "
                       "coll, key, value, op)",
                       ln, k);
            return CPS_EMALFORMED;
        }
    }
    coll = json_object_get(j, "coll");
    key = json_object_get(j, "key");
    op = json_object_get(j, "op");
    val = json_object_get(j, "value");
    if (!json_is_string(coll)) {
        cps_seterr(err, err_len, "line %" PRIu64 ": field 'coll': expected a string", ln);
        return CPS_EMALFORMED;
    }
    if (!json_is_string(key)) {
        cps_seterr(err, err_len, "line %" PRIu64 ": field 'key': expected a string", ln);
        return CPS_EMALFORMED;
    }
    del = 0;
    if (op != NULL) {
        if (json_is_string(op) && strcmp(json_string_value(op), "del") == 0)
            del = 1;
        else if (!json_is_string(op) || strcmp(json_string_value(op), "put") != 0) {
            cps_seterr(err, err_len, "line %" PRIu64 ": field 'op': expected \"put\" or \"del\"",
                       ln);
            return CPS_EMALFORMED;
        }
    }
    if (del && val != NULL && !json_is_null(val)) {
        cps_seterr(err, err_len,
                   "line %" PRIu64 ": field 'value': expected null or no value "
                   "with \"op\": \"del\"",
                   ln);
        return CPS_EMALFORMED;
    }
    if (json_is_null(val))
        del = 1;
    if (!del && !json_is_object(val)) {
        cps_seterr(err, err_len, "line %" PRIu64 ": field 'value': expected a JSON object", ln);
        return CPS_EMALFORMED;
    }
    memset(rec, 0, sizeof *rec);
    rec->coll = json_string_value(coll);
    rec->coll_len = json_string_length(coll);
    rec->key = json_string_value(key);
    rec->key_len = json_string_length(key);
    rec->line = ln;
    if (!del) {
        if ((rc = pack_value(im, val, ln, "value", err, err_len)) != 0)
            return rc;
        rec->value = (const uint8_t *)im->sb.data;
        rec->value_len = im->sb.size;
    }
    return 1;
}

/* --- CSV ------------------------------------------------------------------------------- */

static int
cells_add(struct cells *c, const void *s, size_t n)
{
    size_t cap;
    void *p;

    if (c->n == c->ncap) {
        cap = c->ncap == 0 ? 16 : c->ncap * 2;
        if ((p = realloc(c->off, cap * sizeof *c->off)) == NULL)
            return -1;
        c->off = p;
        if ((p = realloc(c->lens, cap * sizeof *c->lens)) == NULL)
            return -1;
        c->lens = p;
        c->ncap = cap;
    }
    if (c->cap - c->len < n + 1) {
        cap = c->cap == 0 ? 256 : c->cap;
        while (cap - c->len < n + 1)
            cap *= 2;
        if ((p = realloc(c->buf, cap)) == NULL)
            return -1;
        c->buf = p;
        c->cap = cap;
    }
    if (n > 0)
        memcpy(c->buf + c->len, s, n);
    c->off[c->n] = c->len;
    c->lens[c->n] = n;
    c->len += n;
    c->buf[c->len++] = '\0';
    c->n++;
    return 0;
}

static void
on_field(void *s, size_t n, void *data)
{
    struct cps_import *im = data;

    if (im->row_done || im->row_oom || im->row_wide)
        return;
    if (im->row.n >= CPS_IMPORT_COLS_MAX) {
        im->row_wide = 1;
        return;
    }
    if (cells_add(&im->row, s, n) != 0)
        im->row_oom = 1;
}

static void
on_row(int c, void *data)
{
    struct cps_import *im = data;

    (void)c;
    im->row_done = 1;
}

/* After a parse error: a fresh parser, and the rest of the physical line skipped. */
static int
csv_resync(struct cps_import *im, int skip_line)
{
    const uint8_t *nl;
    int rc;

    csv_free(&im->csv);
    im->csv_ready = 0;
    if (csv_init(&im->csv, CSV_STRICT | CSV_STRICT_FINI) != 0)
        return -ENOMEM;
    csv_set_space_func(&im->csv, no_space);
    im->csv_ready = 1;
    while (skip_line) {
        if (im->in_pos == im->in_len) {
            if ((rc = refill(im)) < 0)
                return rc;
            if (rc == 0)
                break;
            continue;
        }
        nl = memchr(im->in + im->in_pos, '\n', im->in_len - im->in_pos);
        if (nl == NULL) {
            im->in_pos = im->in_len;
            continue;
        }
        im->in_pos = (size_t)(nl - im->in) + 1;
        im->line++;
        break;
    }
    return 0;
}

/* Next CSV row into im->row. Returns 1, 0 at end of file, CPS_EMALFORMED, or -errno. */
static int
csv_row(struct cps_import *im, char *err, size_t err_len)
{
    const uint8_t *p;
    size_t n, seg, fed, i;
    int rc;

    im->row.n = 0;
    im->row.len = 0;
    im->row_done = im->row_oom = im->row_wide = 0;
    im->need_start = 1;
    im->row_bytes = 0;
    im->row_line = im->line + 1;
    for (;;) {
        if (im->in_pos == im->in_len) {
            if ((rc = refill(im)) < 0)
                return rc;
            if (rc == 0) {
                if (im->finished)
                    return 0;
                im->finished = 1;
                if (csv_fini(&im->csv, on_field, on_row, im) != 0) {
                    cps_seterr(err, err_len, "line %" PRIu64 ": unterminated quoted field",
                               im->row_line);
                    return CPS_EMALFORMED;
                }
                if (im->row_oom)
                    return -ENOMEM;
                return im->row_done ? 1 : 0;
            }
            continue;
        }
        /* feed up to one line end at a time: each call completes at most one row */
        p = im->in + im->in_pos;
        n = im->in_len - im->in_pos;
        for (seg = 0; seg < n && p[seg] != '\n' && p[seg] != '\r'; seg++)
            ;
        if (seg < n)
            seg++;
        if (im->need_start && p[0] != '\n' && p[0] != '\r') {
            im->need_start = 0;
            im->row_line = im->line + 1;
        }
        fed = csv_parse(&im->csv, p, seg, on_field, on_row, im);
        for (i = 0; i < fed; i++)
            if (p[i] == '\n')
                im->line++;
        im->in_pos += fed;
        im->row_bytes += fed;
        if (fed < seg) {
            if (csv_error(&im->csv) == CSV_ENOMEM)
                return -ENOMEM;
            cps_seterr(err, err_len,
                       "line %" PRIu64 ": malformed quoted field (a quote inside "
                       "an unquoted field, or text after a closing quote)",
                       im->line + 1);
            return (rc = csv_resync(im, 1)) != 0 ? rc : CPS_EMALFORMED;
        }
        if (im->row_oom)
            return -ENOMEM;
        if (im->row_wide || im->row_bytes > CPS_IMPORT_LINE_MAX) {
            cps_seterr(err, err_len, "line %" PRIu64 ": row longer than %d bytes or %d fields",
                       im->row_line, CPS_IMPORT_LINE_MAX, CPS_IMPORT_COLS_MAX);
            return (rc = csv_resync(im, !im->row_done)) != 0 ? rc : CPS_EMALFORMED;
        }
        if (im->row_done)
            return 1;
    }
}

static const char *
cell(const struct cells *c, size_t i, size_t *len)
{
    *len = c->lens[i];
    return c->buf + c->off[i];
}

static int
find_col(const struct cells *h, const char *name, size_t *idx)
{
    size_t i;

    for (i = 0; i < h->n; i++)
        if (h->lens[i] == strlen(name) && memcmp(h->buf + h->off[i], name, h->lens[i]) == 0) {
            *idx = i;
            return 1;
        }
    return 0;
}

static int
csv_header(struct cps_import *im, char *err, size_t err_len)
{
    struct cells *h = &im->hdr;
    size_t i, k;

    for (i = 0; i < im->row.n; i++) {
        if (!cps_value_utf8_ok(im->row.buf + im->row.off[i], im->row.lens[i], false)) {
            cps_seterr(err, err_len, "line %" PRIu64 ": header: column %zu is not UTF-8 "
                                     "text (or holds a NUL byte)",
                       im->row_line, i + 1);
            return CPS_EMALFORMED;
        }
        if (cells_add(h, im->row.buf + im->row.off[i], im->row.lens[i]) != 0)
            return -ENOMEM;
    }
    if (h->n == 3 && find_col(h, "coll", &im->icoll) && find_col(h, "key", &im->ikey) &&
        find_col(h, "value", &im->ivalue)) {
        im->mode = MODE_CKV;
        return 0;
    }
    if (im->collection == NULL) {
        cps_seterr(err, err_len,
                   "line %" PRIu64 ": header: expected the columns coll,key,value "
                   "(or name a collection, with a key column)",
                   im->row_line);
        return CPS_EMALFORMED;
    }
    if (!find_col(h, "key", &im->ikey)) {
        cps_seterr(err, err_len, "line %" PRIu64 ": header: expected a 'key' column", im->row_line);
        return CPS_EMALFORMED;
    }
    for (i = 0; i < h->n; i++) {
        if (h->lens[i] == 0 || memchr(h->buf + h->off[i], '\0', h->lens[i]) != NULL) {
            cps_seterr(err, err_len, "line %" PRIu64 ": header: column %zu has no name",
                       im->row_line, i + 1);
            return CPS_EMALFORMED;
        }
        for (k = 0; k < i; k++)
            if (h->lens[i] == h->lens[k] &&
                memcmp(h->buf + h->off[i], h->buf + h->off[k], h->lens[i]) == 0) {
                cps_seterr(err, err_len, "line %" PRIu64 ": header: column '%.64s' appears twice",
                           im->row_line, h->buf + h->off[i]);
                return CPS_EMALFORMED;
            }
    }
    im->mode = MODE_FIELDS;
    return 0;
}

/* JSON's number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
decimal(const char *s, size_t n, int *is_int)
{
    size_t i = 0;

    *is_int = 1;
    if (i < n && s[i] == '-')
        i++;
    if (i >= n || !isdigit((unsigned char)s[i]))
        return 0;
    if (s[i] == '0')
        i++;
    else
        while (i < n && isdigit((unsigned char)s[i]))
            i++;
    if (i < n && s[i] == '.') {
        *is_int = 0;
        if (++i >= n || !isdigit((unsigned char)s[i]))
            return 0;
        while (i < n && isdigit((unsigned char)s[i]))
            i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        *is_int = 0;
        if (++i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= n || !isdigit((unsigned char)s[i]))
            return 0;
        while (i < n && isdigit((unsigned char)s[i]))
            i++;
    }
    return i == n;
}

/*
 * A cell as a typed value: canonical integer, decimal number, a JSON array or object (a
 * cell starting with '[' or '{' that parses as one), or string. Returns 0, -ENOMEM, or
 * CPS_EMALFORMED (why set) for JSON nested too deep.
 */
static int
pack_cell(msgpack_packer *pk, const char *s, size_t n, char *why, size_t why_len)
{
    json_error_t je;
    long long ll;
    json_t *j;
    double d;
    int is_int, rc;

    /* cells end in NUL (cells_add), so strtoll/strtod stop at the end */
    if (strlen(s) == n && decimal(s, n, &is_int)) {
        if (is_int && strcmp(s, "-0") != 0) {
            errno = 0;
            ll = strtoll(s, NULL, 10);
            if (errno == 0)
                return msgpack_pack_int64(pk, ll) != 0 ? -ENOMEM : 0;
        }
        errno = 0;
        d = strtod(s, NULL);
        if (errno == 0 && isfinite(d))
            return msgpack_pack_double(pk, d) != 0 ? -ENOMEM : 0;
    }
    /* arrays and maps (a cluster's areas, an evaluation) travel as JSON text in a cell */
    if (n >= 2 && (s[0] == '[' || s[0] == '{') &&
        (j = json_loadb(s, n, JSON_REJECT_DUPLICATES, &je)) != NULL) {
        rc = cps_value_pack_json(pk, j, why, why_len);
        json_decref(j);
        return rc;
    }
    if (msgpack_pack_str(pk, n) != 0 || msgpack_pack_str_body(pk, s, n) != 0)
        return -ENOMEM;
    return 0;
}

static int
csv_fields(struct cps_import *im, uint64_t line, char *err, size_t err_len)
{
    const struct cells *r = &im->row, *h = &im->hdr;
    size_t i, n, count = 0;
    const char *s;
    char why[160];
    int rc;

    im->sb.size = 0;
    for (i = 0; i < r->n; i++)
        if (i != im->ikey && r->lens[i] > 0)
            count++;
    if (msgpack_pack_map(&im->pk, count) != 0)
        return -ENOMEM;
    for (i = 0; i < r->n; i++) {
        if (i == im->ikey || r->lens[i] == 0)
            continue; /* an empty cell is an absent field */
        if (msgpack_pack_str(&im->pk, h->lens[i]) != 0 ||
            msgpack_pack_str_body(&im->pk, h->buf + h->off[i], h->lens[i]) != 0)
            return -ENOMEM;
        s = cell(r, i, &n);
        why[0] = '\0';
        if (cps_schema_field_is_text(im->collection, strlen(im->collection), h->buf + h->off[i],
                                     h->lens[i])) {
            /* a text field stays text: the yearly period 2014 is not the number 2014 */
            if (msgpack_pack_str(&im->pk, n) != 0 || msgpack_pack_str_body(&im->pk, s, n) != 0)
                return -ENOMEM;
            continue;
        }
        if ((rc = pack_cell(&im->pk, s, n, why, sizeof why)) == CPS_EMALFORMED)
            cps_seterr(err, err_len, "line %" PRIu64 ": field '%.64s': %s", line,
                       h->buf + h->off[i], why);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int
csv_next(struct cps_import *im, struct cps_import_record *rec, char *err, size_t err_len)
{
    json_error_t je;
    const char *v;
    size_t vlen, i;
    uint64_t ln;
    json_t *j;
    int rc;

    for (;;) {
        if ((rc = csv_row(im, err, err_len)) != 1)
            return rc;
        if (im->mode != MODE_NONE)
            break;
        if ((rc = csv_header(im, err, err_len)) != 0) {
            im->eof = im->finished = 1; /* nothing after a bad header can be read */
            im->in_pos = im->in_len = 0;
            return rc;
        }
    }
    ln = im->row_line;
    if (im->row.n != im->hdr.n) {
        cps_seterr(err, err_len, "line %" PRIu64 ": expected %zu fields, found %zu", ln, im->hdr.n,
                   im->row.n);
        return CPS_EMALFORMED;
    }
    for (i = 0; i < im->row.n; i++)
        if (!cps_value_utf8_ok(im->row.buf + im->row.off[i], im->row.lens[i], false)) {
            cps_seterr(err, err_len, "line %" PRIu64 ": field '%.64s' is not UTF-8 text (or "
                                     "holds a NUL byte)",
                       ln, im->hdr.buf + im->hdr.off[i]);
            return CPS_EMALFORMED;
        }
    memset(rec, 0, sizeof *rec);
    rec->line = ln;
    rec->key = cell(&im->row, im->ikey, &rec->key_len);
    if (im->mode == MODE_FIELDS) {
        rec->coll = im->collection;
        rec->coll_len = strlen(im->collection);
        if ((rc = csv_fields(im, ln, err, err_len)) != 0)
            return rc;
    } else {
        rec->coll = cell(&im->row, im->icoll, &rec->coll_len);
        v = cell(&im->row, im->ivalue, &vlen);
        j = json_loadb(v, vlen, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
        if (j == NULL) {
            cps_seterr(err, err_len,
                       "line %" PRIu64 ": field 'value': %s (column %d of the "
                       "cell)",
                       ln, je.text, je.column);
            return CPS_EMALFORMED;
        }
        if (json_is_null(j)) {
            json_decref(j);
            return 1; /* null deletes */
        }
        if (!json_is_object(j)) {
            json_decref(j);
            cps_seterr(err, err_len, "line %" PRIu64 ": field 'value': expected a JSON object", ln);
            return CPS_EMALFORMED;
        }
        rc = pack_value(im, j, ln, "value", err, err_len);
        json_decref(j);
        if (rc != 0)
            return rc;
    }
    rec->value = (const uint8_t *)im->sb.data;
    rec->value_len = im->sb.size;
    return 1;
}

int
cps_import_next(struct cps_import *im, struct cps_import_record *rec, char *err, size_t err_len)
{
    if (err != NULL && err_len > 0)
        err[0] = '\0';
    if (im->fmt == CPS_IMPORT_CSV)
        return csv_next(im, rec, err, err_len);
    return ndjson_next(im, rec, err, err_len);
}
