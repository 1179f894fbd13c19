/* SPDX-License-Identifier: ISC */
/*
 * cps-hub programme: the lead partner writes programme-owned records (partners, periods,
 * indicator definitions) with the programme key, brought online for this command only.
 * The updates are signed by the programme key, continue the programme's own hash chain,
 * and are logged through the same decision as any partner's (hub_accept), in one
 * transaction with a checkpoint. Safe while the hub runs: LMDB serialises the writers.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cps/batch.h"
#include "cps/cli.h"
#include "cps/import.h"
#include "cps/log.h"
#include "cps/replay.h"
#include "cps/value.h"
#include "commands.h"
#include "hub.h"

struct source {
    struct cps_import *im;                 /* import */
    const char *path;
    struct cps_batch_op one;               /* put / del */
    bool done;
};

/* --skip-invalid: one line per record left out */
static int
report_invalid(void *arg, uint64_t line, int code, const char *why)
{
    struct source *s = arg;

    (void)code;
    if (line != 0)
        fprintf(stderr, "%s:%" PRIu64 ": %s\n", s->path, line, why);
    else
        fprintf(stderr, "%s: %s\n", s->path, why);
    return 0;
}

static int
next_op(void *arg, struct cps_batch_op *op, char *err, size_t err_len)
{
    struct source *s = arg;
    struct cps_import_record rec;
    int rc;

    if (s->im == NULL) {
        if (s->done)
            return 0;
        *op = s->one;
        s->done = true;
        return 1;
    }
    if ((rc = cps_import_next(s->im, &rec, err, err_len)) != 1)
        return rc;
    *op = (struct cps_batch_op){ .kind = rec.value != NULL ? CPS_OP_PUT : CPS_OP_DEL,
                                 .coll = rec.coll, .coll_len = rec.coll_len, .key = rec.key,
                                 .key_len = rec.key_len, .value = rec.value,
                                 .value_len = rec.value_len, .line = rec.line };
    return 1;
}

struct sink {
    struct hub *h;
    struct cps_txn *txn;
};

/* Log each update; anything but "applied" stops the batch (and nothing is committed). */
static int
to_log(void *arg, const struct cps_update *up, char *err, size_t err_len)
{
    struct sink *k = arg;
    struct cps_msg m;
    uint8_t *reply = NULL;
    size_t len;
    int rc;

    if ((rc = hub_accept(k->h, k->txn, up, NULL, &reply, &len)) != 0) {
        snprintf(err, err_len, "store: %s", cps_strerror(rc));
        return rc;
    }
    rc = cps_wire_decode_msg(&m, reply, len);
    if (rc == 0 && (m.type != CPS_MSG_ACK || m.status != CPS_ACK_APPLIED)) {
        snprintf(err, err_len, "update %" PRIu64 " not applied: %s: %.*s", up->seq,
                 cps_errname(m.code), (int)m.text_len, m.text);
        rc = m.code != 0 ? m.code : CPS_EINTERNAL;
    }
    free(reply);
    return rc;
}

static void
usage(FILE *f)
{
    fprintf(f, "Usage: " HUB_PROG " programme [--dir DIR] --key FILE put COLLECTION KEY VALUE\n"
               "       " HUB_PROG " programme [--dir DIR] --key FILE del COLLECTION KEY\n"
               "       " HUB_PROG " programme [--dir DIR] --key FILE roster NEWROSTER\n"
               "       " HUB_PROG " programme [--dir DIR] --key FILE import [--format F]\n"
               "                         [--collection C] [--batch N] [--skip-invalid] FILE\n"
               "Write programme-owned records (partner, period, indicator_definition) signed by\n"
               "the programme key FILE, straight into the hub's log, all or nothing. With\n"
               "--skip-invalid, each invalid record of FILE is reported on stderr as\n"
               "FILE:LINE: problem and left out, the valid ones are written, and the exit code\n"
               "is 1 when any was left out. Collections and fields: docs/DATA.md.\n"
               "'roster' logs a roster change: NEWROSTER (signed by the programme key, a higher\n"
               "serial) is in force from the next entry on: rotated keys, new, inactive or\n"
               "revoked partners. Earlier entries keep verifying with the keys of their time.\n"
               "Example:\n"
               "  " HUB_PROG " programme --key programme.key put period 2016-Q3 \\\n"
               "      '{\"label\": \"2016 Q3\", \"start\": \"2016-07-01\", \"end\": \"2016-09-30\",\n"
               "        \"due\": \"2016-10-31\"}'\n"
               "  " HUB_PROG " programme --key programme.key roster roster-7.txt   # a rotated key\n");
}

struct args {
    const char *dir, *key, *format, *coll;
    struct cps_batch *b;
    struct source *src;
};

/* Options, before the verb and, for import, after it. Returns -1 to go on, or an exit code. */
static int
parse_opts(int argc, char **argv, struct args *a)
{
    static const struct option opts[] = {
        { "dir", required_argument, NULL, 'd' },   { "key", required_argument, NULL, 'k' },
        { "format", required_argument, NULL, 'f' }, { "collection", required_argument, NULL, 'c' },
        { "batch", required_argument, NULL, 'b' }, { "skip-invalid", no_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },        { NULL, 0, NULL, 0 },
    };
    uint64_t max_ops;
    int c;

    while ((c = getopt_long(argc, argv, "+d:k:f:c:b:sh", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            a->dir = optarg;
            break;
        case 'k':
            a->key = optarg;
            break;
        case 'f':
            a->format = optarg;
            break;
        case 'c':
            a->coll = optarg;
            break;
        case 'b':
            if (!cps_cli_parse_u64(optarg, 1, 10000, &max_ops)) {
                cps_cli_error(HUB_PROG " programme", "--batch %s: expected 1..10000", optarg);
                return CPS_EXIT_USAGE;
            }
            a->b->max_ops = max_ops;
            break;
        case 's':
            a->b->on_invalid = report_invalid;
            a->b->invalid_arg = a->src;
            break;
        case 'h':
            usage(stdout);
            return CPS_EXIT_OK;
        default:
            usage(stderr);
            return CPS_EXIT_USAGE;
        }
    }
    return -1;
}

int
cmd_programme_main(int argc, char **argv)
{
    const char *what;
    struct cps_batch b = { .writer = CPS_ROSTER_PROGRAMME_ID, .max_ops = 100 };
    struct source src = { 0 };
    struct args a = { .b = &b, .src = &src };
    struct cps_keys *pkeys = NULL;
    struct cps_txn *txn = NULL;
    struct cps_pstate ps;
    struct cps_pubkeys pub;
    struct sink sk;
    uint8_t *value = NULL;
    uint64_t signed_size;
    size_t value_len;
    struct hub h;
    char err[1024];
    int rc, ret = CPS_EXIT_USAGE;

    if ((rc = parse_opts(argc, argv, &a)) >= 0)
        return rc;
    if (optind >= argc) {
        usage(stderr);
        return CPS_EXIT_USAGE;
    }
    what = argv[optind];
    if (strcmp(what, "import") == 0) {
        optind++; /* import's options may also follow the verb */
        if ((rc = parse_opts(argc, argv, &a)) >= 0)
            return rc;
        optind--; /* argv[optind + 1] is the file, as for put and del */
    }
    if (a.key == NULL) {
        usage(stderr);
        return CPS_EXIT_USAGE;
    }
    if (strcmp(what, "put") == 0 && argc - optind == 4) {
        if (cps_value_from_json(&value, &value_len, argv[optind + 3], strlen(argv[optind + 3]),
                                err, sizeof err) != 0) {
            cps_cli_error(HUB_PROG " programme", "value: %s", err);
            return CPS_EXIT_NO;
        }
        src.one = (struct cps_batch_op){ .kind = CPS_OP_PUT, .coll = argv[optind + 1],
                                         .coll_len = strlen(argv[optind + 1]),
                                         .key = argv[optind + 2],
                                         .key_len = strlen(argv[optind + 2]), .value = value,
                                         .value_len = value_len };
    } else if (strcmp(what, "del") == 0 && argc - optind == 3) {
        src.one = (struct cps_batch_op){ .kind = CPS_OP_DEL, .coll = argv[optind + 1],
                                         .coll_len = strlen(argv[optind + 1]),
                                         .key = argv[optind + 2],
                                         .key_len = strlen(argv[optind + 2]) };
    } else if (strcmp(what, "roster") == 0 && argc - optind == 2) {
        /* a roster change: the new signed roster as the one record of collection roster */
        char *text = NULL, *json = NULL;
        size_t text_len;
        json_t *o;

        if ((rc = cps_cli_read_file(argv[optind + 1], CPS_CLI_ROSTER_MAX, &text, &text_len)) !=
            0) {
            cps_cli_error(HUB_PROG " programme", "%s: %s", argv[optind + 1], cps_strerror(rc));
            return CPS_EXIT_USAGE;
        }
        o = json_object();
        json_object_set_new(o, "text", json_stringn(text, text_len));
        json = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        free(text);
        rc = json == NULL ? -ENOMEM
                          : cps_value_from_json(&value, &value_len, json, strlen(json), err,
                                                sizeof err);
        free(json);
        if (rc != 0) {
            cps_cli_error(HUB_PROG " programme", "%s: not a text roster", argv[optind + 1]);
            return CPS_EXIT_NO;
        }
        src.one = (struct cps_batch_op){ .kind = CPS_OP_PUT, .coll = CPS_REPLAY_ROSTER_COLL,
                                         .coll_len = strlen(CPS_REPLAY_ROSTER_COLL),
                                         .key = CPS_REPLAY_ROSTER_KEY,
                                         .key_len = strlen(CPS_REPLAY_ROSTER_KEY),
                                         .value = value, .value_len = value_len };
    } else if (strcmp(what, "import") == 0 && argc - optind == 2) {
        enum cps_import_format fmt = a.format == NULL ? cps_import_guess(argv[optind + 1])
                                     : strcmp(a.format, "csv") == 0 ? CPS_IMPORT_CSV
                                                                  : CPS_IMPORT_NDJSON;
        src.path = argv[optind + 1];
        if ((rc = cps_import_open(&src.im, argv[optind + 1], fmt, a.coll)) != 0) {
            cps_cli_error(HUB_PROG " programme", "%s: %s", argv[optind + 1], cps_strerror(rc));
            return CPS_EXIT_USAGE;
        }
    } else {
        usage(stderr);
        return CPS_EXIT_USAGE;
    }
    if (hub_open(&h, hub_dir(a.dir), true, err, sizeof err) != 0) {
        cps_cli_error(HUB_PROG " programme", "%s", err);
        goto out;
    }
    if ((rc = cps_crypto_keys_load(&pkeys, a.key)) != 0) {
        cps_cli_error(HUB_PROG " programme", "%s: %s", a.key, cps_strerror(rc));
        goto close;
    }
    cps_crypto_keys_public(pkeys, &pub);
    if (!cps_crypto_equal(pub.sign, hub_roster(&h)->programme_key.pk, sizeof pub.sign)) {
        cps_cli_error(HUB_PROG " programme", "%s: not the roster's programme key", a.key);
        ret = CPS_EXIT_NO;
        goto close;
    }
    b.programme = h.programme;
    b.keys = pkeys;
    if ((rc = cps_store_begin(h.st, true, &txn)) != 0 ||
        (rc = cps_replay_chain_get(txn, &cps_replay_hub, CPS_ROSTER_PROGRAMME_ID, &ps)) != 0) {
        cps_cli_error(HUB_PROG " programme", "%s", cps_strerror(rc));
        goto close;
    }
    b.seq = ps.last_seq + 1;
    memcpy(b.prev, ps.last_hash, sizeof b.prev);
    sk = (struct sink){ .h = &h, .txn = txn };
    if ((rc = cps_batch_write(&b, next_op, &src, to_log, &sk, err, sizeof err)) != 0) {
        cps_cli_error(HUB_PROG " programme", "%s (nothing written)", err);
        ret = rc == CPS_ESCHEMA || rc == CPS_EOWNER || rc == CPS_EMALFORMED ? CPS_EXIT_NO
                                                                           : CPS_EXIT_USAGE;
        goto close;
    }
    if ((rc = hub_checkpoint(&h, txn, &signed_size)) != 0 || (rc = cps_store_commit(&txn)) != 0) {
        cps_cli_error(HUB_PROG " programme", "%s (nothing written)", cps_strerror(rc));
        goto close;
    }
    if (b.updates > 0)
        printf("logged %" PRIu64 " programme records as updates %" PRIu64 "..%" PRIu64 "\n", b.ops,
               b.first_seq, b.last_seq);
    else
        printf("nothing to log\n");
    ret = CPS_EXIT_OK;
    if (b.skipped > 0) {
        cps_cli_error(HUB_PROG " programme", "%s: %" PRIu64 " invalid record%s skipped, %" PRIu64
                      " logged", src.path, b.skipped, b.skipped == 1 ? "" : "s", b.ops);
        ret = CPS_EXIT_NO;
    }
close:
    cps_store_abort(&txn);
    cps_crypto_keys_free(&pkeys);
    hub_close(&h);
out:
    cps_import_close(&src.im);
    free(value);
    return ret;
}
