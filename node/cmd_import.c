/* SPDX-License-Identifier: ISC */
/*
 * cps-node import: records from an NDJSON or CSV file, validated and written all or
 * nothing (or, with --skip-invalid, the valid ones, each invalid one reported as
 * FILE:LINE: problem), split into signed updates of bounded size.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cps/cli.h"
#include "cps/import.h"
#include "commands.h"
#include "node.h"

static void
usage(FILE *f)
{
    fprintf(f,
            "Usage: " NODE_PROG " import [--dir DIR] [--format ndjson|csv] [--collection C]\n"
            "                       [--batch N] [--skip-invalid] FILE\n"
            "Validate every record of FILE (- for stdin), then write them all in one\n"
            "transaction as signed updates of at most N records (default %d). A file with\n"
            "any error writes nothing; the error names the line and the field.\n"
            "With --skip-invalid, each invalid record is reported on stderr as FILE:LINE:\n"
            "problem and left out, the valid ones are written, and the exit code is 1 when\n"
            "any was left out.\n"
            "  NDJSON: {\"coll\": C, \"key\": K, \"value\": {...}} per line\n"
            "  CSV:    header coll,key,value, or with --collection C: key and field columns\n"
            "          (a cell holding an array or map is JSON text: [\"rd\",\"innovation\"])\n"
            "Collections, keys and fields: docs/DATA.md.\n"
            "Example:\n"
            "  " NODE_PROG " import --collection cluster clusters.csv\n",
            NODE_BATCH_DEFAULT);
}

struct source {
    struct cps_import *im;
    const char *path;
    bool show_progress;
    bool progress_shown; /* a progress line is on the terminal */
};

/* --skip-invalid: one line per record left out */
static int
report_invalid(void *arg, uint64_t line, int code, const char *why)
{
    struct source *s = arg;

    (void)code;
    if (s->progress_shown) {
        fputc('\n', stderr);
        s->progress_shown = false;
    }
    if (line != 0)
        fprintf(stderr, "%s:%" PRIu64 ": %s\n", s->path, line, why);
    else
        fprintf(stderr, "%s: %s\n", s->path, why);
    return 0;
}

static int
next_record(void *arg, struct cps_batch_op *op, char *err, size_t err_len)
{
    struct source *s = arg;
    struct cps_import_record rec;
    int rc;

    if ((rc = cps_import_next(s->im, &rec, err, err_len)) != 1)
        return rc;
    op->kind = rec.value != NULL ? CPS_OP_PUT : CPS_OP_DEL;
    op->coll = rec.coll;
    op->coll_len = rec.coll_len;
    op->key = rec.key;
    op->key_len = rec.key_len;
    op->value = rec.value;
    op->value_len = rec.value_len;
    op->line = rec.line;
    return 1;
}

static void
progress(const struct cps_batch *st, void *arg)
{
    struct source *s = arg;
    uint64_t done, total;

    if (!s->show_progress || st->updates % 10 != 0)
        return;
    cps_import_progress(s->im, &done, &total);
    s->progress_shown = true;
    if (total > 0)
        fprintf(stderr, "\rimporting: %" PRIu64 " records, %" PRIu64 "%%", st->ops,
                done * 100 / total);
    else
        fprintf(stderr, "\rimporting: %" PRIu64 " records", st->ops);
}

int
cmd_import_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "dir", required_argument, NULL, 'd' },   { "format", required_argument, NULL, 'f' },
        { "collection", required_argument, NULL, 'c' },
        { "batch", required_argument, NULL, 'b' }, { "skip-invalid", no_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },        { NULL, 0, NULL, 0 },
    };
    const char *dir = NULL, *format = NULL, *coll = NULL, *path;
    struct cps_batch stats = { 0 };
    enum cps_import_format fmt;
    struct source src = { 0 };
    struct node n;
    uint64_t batch = NODE_BATCH_DEFAULT;
    bool skip_invalid = false;
    char err[1024];
    int c, rc, ret;

    while ((c = getopt_long(argc, argv, "d:f:c:b:sh", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            dir = optarg;
            break;
        case 'f':
            format = optarg;
            break;
        case 'c':
            coll = optarg;
            break;
        case 'b':
            if (!cps_cli_parse_u64(optarg, 1, 10000, &batch)) {
                cps_cli_error(NODE_PROG " import", "--batch %s: expected 1..10000", optarg);
                return CPS_EXIT_USAGE;
            }
            break;
        case 's':
            skip_invalid = true;
            break;
        case 'h':
            usage(stdout);
            return CPS_EXIT_OK;
        default:
            usage(stderr);
            return CPS_EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        usage(stderr);
        return CPS_EXIT_USAGE;
    }
    path = argv[optind];
    if (format == NULL)
        fmt = cps_import_guess(path);
    else if (strcmp(format, "ndjson") == 0)
        fmt = CPS_IMPORT_NDJSON;
    else if (strcmp(format, "csv") == 0)
        fmt = CPS_IMPORT_CSV;
    else {
        cps_cli_error(NODE_PROG " import", "--format %s: expected ndjson or csv", format);
        return CPS_EXIT_USAGE;
    }
    if (node_open(&n, node_dir(dir), true, err, sizeof err) != 0) {
        cps_cli_error(NODE_PROG " import", "%s", err);
        return CPS_EXIT_USAGE;
    }
    if ((rc = cps_import_open(&src.im, path, fmt, coll)) != 0) {
        cps_cli_error(NODE_PROG " import", "%s: %s", path, cps_strerror(rc));
        node_close(&n);
        return CPS_EXIT_USAGE;
    }
    src.path = path;
    src.show_progress = isatty(STDERR_FILENO);
    stats.max_ops = batch;
    stats.progress = progress;
    stats.progress_arg = &src;
    if (skip_invalid) {
        stats.on_invalid = report_invalid;
        stats.invalid_arg = &src;
    }
    rc = node_write(&n, next_record, &src, &stats, err, sizeof err);
    if (src.progress_shown)
        fputc('\n', stderr);
    if (rc == 0) {
        if (stats.updates > 0)
            printf("imported %" PRIu64 " records as updates %" PRIu64 "..%" PRIu64 "\n",
                   stats.ops, stats.first_seq, stats.last_seq);
        else
            printf("imported 0 records\n");
        ret = CPS_EXIT_OK;
        if (stats.skipped > 0) {
            cps_cli_error(NODE_PROG " import", "%s: %" PRIu64 " invalid record%s skipped, %" PRIu64
                          " imported", path, stats.skipped, stats.skipped == 1 ? "" : "s",
                          stats.ops);
            ret = CPS_EXIT_NO;
        }
    } else {
        cps_cli_error(NODE_PROG " import", "%s: %s (nothing written)", path, err);
        ret = (rc == CPS_EMALFORMED || rc == CPS_ESCHEMA || rc == CPS_EOWNER) ? CPS_EXIT_NO
                                                                              : CPS_EXIT_USAGE;
    }
    cps_import_close(&src.im);
    node_close(&n);
    return ret;
}
