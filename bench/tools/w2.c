/* SPDX-License-Identifier: ISC */
/*
 * w2: the W2 latency workload's driver. For each line of an NDJSON file of records, one at
 * a time: write the record through the node's transactional outbox (exactly what
 * `cps-node put` does), print "seq committed_mono_us" once the local commit returned, and
 * wait until the daemon has the hub's ack (its outbox empty again) before the next. The
 * daemon, run with --log-level debug, logs "ack seq=N ... mono_us=T" on arrival of each
 * ack: bench/run matches the two to get commit-to-ack latencies.
 *
 *   w2 NODE_DIR RECORDS.ndjson COUNT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cps/cli.h"
#include "cps/import.h"
#include "node.h"

struct one {
    struct cps_batch_op op;
    bool done;
};

static int
next_one(void *arg, struct cps_batch_op *op, char *err, size_t err_len)
{
    struct one *o = arg;

    (void)err;
    (void)err_len;
    if (o->done)
        return 0;
    *op = o->op;
    o->done = true;
    return 1;
}

static uint64_t
mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int
main(int argc, char **argv)
{
    struct cps_import *im = NULL;
    struct cps_import_record rec;
    struct node n;
    char err[512];
    long count, i;
    int rc;

    if (argc != 4) {
        fprintf(stderr, "usage: w2 NODE_DIR RECORDS.ndjson COUNT\n");
        return 2;
    }
    count = atol(argv[3]);
    if (node_open(&n, argv[1], true, err, sizeof err) != 0) {
        fprintf(stderr, "w2: %s\n", err);
        return 2;
    }
    if ((rc = cps_import_open(&im, argv[2], CPS_IMPORT_NDJSON, NULL)) != 0) {
        fprintf(stderr, "w2: %s: %s\n", argv[2], cps_strerror(rc));
        return 2;
    }
    for (i = 0; i < count && cps_import_next(im, &rec, err, sizeof err) == 1; i++) {
        struct one o = { .op = { .kind = CPS_OP_PUT, .coll = rec.coll, .coll_len = rec.coll_len,
                                 .key = rec.key, .key_len = rec.key_len, .value = rec.value,
                                 .value_len = rec.value_len } };
        struct cps_batch b = { .max_ops = 1 };
        struct timespec nap = { 0, 20000 };
        uint64_t depth = 1, t;

        if (node_write(&n, next_one, &o, &b, err, sizeof err) != 0) {
            fprintf(stderr, "w2: line %ld: %s\n", i + 1, err);
            return 1;
        }
        t = mono_us();
        printf("%llu %llu\n", (unsigned long long)b.last_seq, (unsigned long long)t);
        /* one at a time: wait for the ack (the daemon empties the outbox) */
        while (depth > 0) {
            struct cps_txn *txn = NULL;

            nanosleep(&nap, NULL);
            if (cps_store_begin(n.st, false, &txn) == 0) {
                if (cps_store_count(txn, CPS_DB_OUTBOX, &depth) != 0)
                    depth = 1;
                cps_store_abort(&txn);
            }
            if (mono_us() - t > 30000000u) {
                fprintf(stderr, "w2: no ack for update %llu in 30 s\n",
                        (unsigned long long)b.last_seq);
                return 1;
            }
        }
    }
    cps_import_close(&im);
    node_close(&n);
    return 0;
}
