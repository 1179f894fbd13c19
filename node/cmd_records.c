/* SPDX-License-Identifier: ISC */
/*
 * cps-node put, del, get, ls, export: one record at a time, or all of them.
 * put and del go through the transactional outbox (node_write); the rest only read.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cps/cli.h"
#include "cps/export.h"
#include "cps/value.h"
#include "commands.h"
#include "node.h"

/* get, ls and export read the node's own records, or with `replica` the programme's. */
static enum cps_db records_db = CPS_DB_RECORDS;

struct one_op {
    struct cps_batch_op op;
    bool done;
};

static int
next_one(void *arg, struct cps_batch_op *op, char *err, size_t err_len)
{
    struct one_op *o = arg;

    (void)err;
    (void)err_len;
    if (o->done)
        return 0;
    *op = o->op;
    o->done = true;
    return 1;
}

/* put and del: one op, one update. */
static int
write_one(const char *cmd, const char *dir, const char *coll, const char *key,
          const char *value_arg)
{
    struct one_op one = { 0 };
    struct cps_batch stats = { .max_ops = 1 };
    struct node n;
    uint8_t *value = NULL;
    size_t value_len = 0, json_len;
    char err[512], *json = NULL;
    int rc, ret = CPS_EXIT_USAGE;

    if (value_arg != NULL) {
        if (strcmp(value_arg, "-") == 0) {
            if ((rc = cps_cli_read_file("-", CPS_VALUE_MAX_BYTES * 4, &json, &json_len)) != 0) {
                cps_cli_error(cmd, "stdin: %s", cps_strerror(rc));
                return CPS_EXIT_USAGE;
            }
        } else if ((json = strdup(value_arg)) == NULL) {
            return CPS_EXIT_USAGE;
        }
        if ((rc = cps_value_from_json(&value, &value_len, json, strlen(json), err,
                                      sizeof err)) != 0) {
            cps_cli_error(cmd, "%s/%s: value: %s", coll, key, err);
            free(json);
            return CPS_EXIT_NO;
        }
        free(json);
    }
    if (node_open(&n, node_dir(dir), true, err, sizeof err) != 0) {
        cps_cli_error(cmd, "%s", err);
        free(value);
        return CPS_EXIT_USAGE;
    }
    one.op.kind = value != NULL ? CPS_OP_PUT : CPS_OP_DEL;
    one.op.coll = coll;
    one.op.coll_len = strlen(coll);
    one.op.key = key;
    one.op.key_len = strlen(key);
    one.op.value = value;
    one.op.value_len = value_len;
    rc = node_write(&n, next_one, &one, &stats, err, sizeof err);
    if (rc == 0) {
        printf("queued %s/%s as update %" PRIu64 "\n", coll, key, stats.last_seq);
        ret = CPS_EXIT_OK;
    } else {
        cps_cli_error(cmd, "%s", err);
        ret = (rc == CPS_ESCHEMA || rc == CPS_EOWNER) ? CPS_EXIT_NO : CPS_EXIT_USAGE;
    }
    node_close(&n);
    free(value);
    return ret;
}

int
cmd_put_main(int argc, char **argv)
{
    static const char usage_text[] =
        "Usage: " NODE_PROG " put [--dir DIR] COLLECTION KEY VALUE\n"
        "Write a record (VALUE is a JSON object, or - to read it from stdin) and queue its\n"
        "signed update for the hub, in one transaction.\n"
        "Example:\n"
        "  " NODE_PROG " put indicator P07/P07-C001/rd/2016-Q3 '{\"value\": 12, ...}'\n";
    const char *dir = NULL;
    int rc;

    if ((rc = cps_cli_parse_dir_opts(argc, argv, NODE_PROG " put", usage_text, &dir, NULL,
                                      NULL)) >= 0)
        return rc;
    if (argc - optind != 3) {
        fputs(usage_text, stderr);
        return CPS_EXIT_USAGE;
    }
    return write_one(NODE_PROG " put", dir, argv[optind], argv[optind + 1], argv[optind + 2]);
}

int
cmd_del_main(int argc, char **argv)
{
    static const char usage_text[] =
        "Usage: " NODE_PROG " del [--dir DIR] COLLECTION KEY\n"
        "Delete a record and queue its signed update for the hub, in one transaction.\n"
        "Example:\n"
        "  " NODE_PROG " del --dir /var/lib/cps/node cluster P07/P07-C003\n";
    const char *dir = NULL;
    int rc;

    if ((rc = cps_cli_parse_dir_opts(argc, argv, NODE_PROG " del", usage_text, &dir, NULL,
                                      NULL)) >= 0)
        return rc;
    if (argc - optind != 2) {
        fputs(usage_text, stderr);
        return CPS_EXIT_USAGE;
    }
    return write_one(NODE_PROG " del", dir, argv[optind], argv[optind + 1], NULL);
}

int
cmd_get_main(int argc, char **argv)
{
    static const char usage_text[] = "Usage: " NODE_PROG " get [--dir DIR] COLLECTION KEY\n"
                                     "Print the record's value as JSON (exit 1 if absent).\n"
                                     "Example:\n"
                                     "  " NODE_PROG " get cluster P07/P07-C001 | jq .name\n";
    struct cps_txn *txn = NULL;
    struct cps_val v;
    struct node n;
    const char *dir = NULL, *coll, *key;
    uint8_t k[512];
    size_t k_len;
    char err[512], *json = NULL;
    int rc;

    if ((rc = cps_cli_parse_dir_opts(argc, argv, NODE_PROG " get", usage_text, &dir, NULL,
                                      NULL)) >= 0)
        return rc;
    if (argc - optind != 2) {
        fputs(usage_text, stderr);
        return CPS_EXIT_USAGE;
    }
    coll = argv[optind];
    key = argv[optind + 1];
    if (node_open(&n, node_dir(dir), false, err, sizeof err) != 0) {
        cps_cli_error(NODE_PROG " get", "%s", err);
        return CPS_EXIT_USAGE;
    }
    k_len = cps_store_record_key(k, sizeof k, coll, strlen(coll), key, strlen(key));
    if (k_len == 0 || (rc = cps_store_begin(n.st, false, &txn)) != 0 ||
        (rc = cps_store_get(txn, records_db, k, k_len, &v)) != 0 ||
        (rc = cps_value_to_json(&json, v.data, v.len)) != 0) {
        cps_cli_error(NODE_PROG " get", "%s/%s: %s", coll, key,
                      k_len == 0 ? "key too long" : cps_strerror(rc));
        cps_store_abort(&txn);
        node_close(&n);
        return rc == CPS_ENOTFOUND || k_len == 0 ? CPS_EXIT_NO : CPS_EXIT_USAGE;
    }
    printf("%s\n", json);
    free(json);
    cps_store_abort(&txn);
    node_close(&n);
    return CPS_EXIT_OK;
}

int
cmd_ls_main(int argc, char **argv)
{
    static const char usage_text[] =
        "Usage: " NODE_PROG " ls [--dir DIR] [COLLECTION [PREFIX]]\n"
        "List records as COLLECTION<TAB>KEY lines, in key order.\n"
        "Example:\n"
        "  " NODE_PROG " ls indicator P07/P07-C001/   # one cluster's indicators\n";
    struct cps_cursor *cur = NULL;
    struct cps_txn *txn = NULL;
    struct cps_val k;
    struct node n;
    const char *dir = NULL, *coll = NULL, *prefix = "";
    uint8_t seek[512];
    size_t seek_len = 0;
    char err[512];
    int rc;

    if ((rc = cps_cli_parse_dir_opts(argc, argv, NODE_PROG " ls", usage_text, &dir, NULL,
                                      NULL)) >= 0)
        return rc;
    if (argc - optind > 2) {
        fputs(usage_text, stderr);
        return CPS_EXIT_USAGE;
    }
    if (argc - optind >= 1)
        coll = argv[optind];
    if (argc - optind == 2)
        prefix = argv[optind + 1];
    if (coll != NULL && (seek_len = cps_store_record_key(seek, sizeof seek, coll, strlen(coll),
                                                         prefix, strlen(prefix))) == 0) {
        cps_cli_error(NODE_PROG " ls", "collection or prefix too long");
        return CPS_EXIT_USAGE;
    }
    if (node_open(&n, node_dir(dir), false, err, sizeof err) != 0) {
        cps_cli_error(NODE_PROG " ls", "%s", err);
        return CPS_EXIT_USAGE;
    }
    if ((rc = cps_store_begin(n.st, false, &txn)) != 0 ||
        (rc = cps_store_cursor_open(txn, records_db, &cur)) != 0) {
        cps_cli_error(NODE_PROG " ls", "%s", cps_strerror(rc));
        cps_store_abort(&txn);
        node_close(&n);
        return CPS_EXIT_USAGE;
    }
    rc = cps_store_cursor_get(cur, seek_len > 0 ? CPS_SEEK_GE : CPS_SEEK_FIRST, seek, seek_len,
                              &k, NULL);
    for (; rc == 0; rc = cps_store_cursor_get(cur, CPS_SEEK_NEXT, NULL, 0, &k, NULL)) {
        const char *c = k.data, *nul = memchr(c, 0, k.len);

        if (seek_len > 0 && (k.len < seek_len || memcmp(k.data, seek, seek_len) != 0))
            break;
        if (nul == NULL)
            continue;
        printf("%s\t%.*s\n", c, (int)(k.len - (size_t)(nul - c) - 1), nul + 1);
    }
    cps_store_cursor_close(&cur);
    cps_store_abort(&txn);
    node_close(&n);
    return CPS_EXIT_OK;
}

int
cmd_export_main(int argc, char **argv)
{
    static const char usage_text[] =
        "Usage: " NODE_PROG " export [--dir DIR] [--format ndjson|csv] [--collection C]\n"
        "                      [--partner ID] [--country CC] [--area AREA] [--period P]\n"
        "Write the node's own records (with 'replica': the programme dataset) to stdout\n"
        "as NDJSON lines that import reads back, or CSV: with --collection, a key column\n"
        "and one column per field (what 'import --collection C' reads back), else\n"
        "coll,key,partner,value. --country selects partners by their partner record or\n"
        "roster entry; --area by area (a cluster's areas); --period by period (2015 holds\n"
        "its halves and quarters; pilot actions running then).\n"
        "Examples:\n"
        "  " NODE_PROG " export > p07-backup.ndjson\n"
        "  " NODE_PROG " export --format csv --collection indicator --period 2015 > ind.csv\n";
    struct cps_export_filter filter = { 0 };
    enum cps_export_format fmt = CPS_EXPORT_NDJSON;
    struct cps_txn *txn = NULL;
    struct node n;
    const char *dir = NULL;
    uint64_t count;
    char err[512];
    int rc;

    if ((rc = cps_cli_parse_dir_opts(argc, argv, NODE_PROG " export", usage_text, &dir,
                                      &filter, &fmt)) >= 0)
        return rc;
    if (argc != optind) {
        fputs(usage_text, stderr);
        return CPS_EXIT_USAGE;
    }
    if (node_open(&n, node_dir(dir), false, err, sizeof err) != 0) {
        cps_cli_error(NODE_PROG " export", "%s", err);
        return CPS_EXIT_USAGE;
    }
    filter.roster = n.roster;
    if ((rc = cps_store_begin(n.st, false, &txn)) != 0 ||
        (rc = cps_export_records(txn, records_db, stdout, fmt, &filter, &count)) != 0)
        cps_cli_error(NODE_PROG " export", "%s", cps_strerror(rc));
    cps_store_abort(&txn);
    node_close(&n);
    return rc == 0 ? CPS_EXIT_OK : CPS_EXIT_USAGE;
}

int
cmd_replica_main(int argc, char **argv)
{
    static const char usage_text[] =
        "Usage: " NODE_PROG " replica get|ls|export [OPTIONS]\n"
        "Read the node's verified replica of the programme dataset (every partner's\n"
        "records, as the hub's signed log and checkpoints prove them). The options are\n"
        "those of get, ls and export.\n"
        "Example:\n"
        "  " NODE_PROG " replica export --partner P03 --collection indicator\n";

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage_text, argc < 2 ? stderr : stdout);
        return argc < 2 ? CPS_EXIT_USAGE : CPS_EXIT_OK;
    }
    records_db = CPS_DB_RRECORDS;
    if (strcmp(argv[1], "get") == 0)
        return cmd_get_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "ls") == 0)
        return cmd_ls_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "export") == 0)
        return cmd_export_main(argc - 1, argv + 1);
    cps_cli_error(NODE_PROG " replica", "unknown command '%s'", argv[1]);
    fputs(usage_text, stderr);
    return CPS_EXIT_USAGE;
}
