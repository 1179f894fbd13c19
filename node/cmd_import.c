/* SPDX-License-Identifier: ISC */
/*
 * cps-node import: records from an NDJSON or CSV file, validated and written all or
 * nothing, split into signed updates of bounded size.
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
            "                       [--batch N] FILE\n"
            "Validate every record of FILE (- for stdin), then write them all in one\n"
            "transaction as signed updates of at most N records (default %d). A file with\n"
            "any error writes nothing; the error names the line and the field.\n"
            "  NDJSON: {\"coll\": C, \"key\": K, \"value\": {...}} per line\n"
            "  CSV:    header coll,key,value, or with --collection C: key and field columns\n"
            "Example:\n"
            "  " NODE_PROG " import --collection cluster clusters.csv\n",
            NODE_BATCH_DEFAULT);
}

struct source {
    struct cps_import *im;
    bool show_progress;
};

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
        { "batch", required_argument, NULL, 'b' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *dir = NULL, *format = NULL, *coll = NULL, *path;
    struct cps_batch stats = { 0 };
    enum cps_import_format fmt;
    struct source src = { 0 };
    struct node n;
    uint64_t batch = NODE_BATCH_DEFAULT;
    char err[1024];
    int c, rc, ret;

    while ((c = getopt_long(argc, argv, "d:f:c:b:h", opts, NULL)) != -1) {
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
    src.show_progress = isatty(STDERR_FILENO);
    stats.max_ops = batch;
    stats.progress = progress;
    stats.progress_arg = &src;
    rc = node_write(&n, next_record, &src, &stats, err, sizeof err);
    if (src.show_progress)
        fputc('\n', stderr);
    if (rc == 0) {
        if (stats.updates > 0)
            printf("imported %" PRIu64 " records as updates %" PRIu64 "..%" PRIu64 "\n",
                   stats.ops, stats.first_seq, stats.last_seq);
        else
            printf("imported 0 records\n");
        ret = CPS_EXIT_OK;
    } else {
        cps_cli_error(NODE_PROG " import", "%s: %s (nothing written)", path, err);
        ret = (rc == CPS_EMALFORMED || rc == CPS_ESCHEMA || rc == CPS_EOWNER) ? CPS_EXIT_NO
                                                                              : CPS_EXIT_USAGE;
    }
    cps_import_close(&src.im);
    node_close(&n);
    return ret;
}
