/* SPDX-License-Identifier: ISC */
/*
 * cps-node verify and prove: the node's own checks of what the hub signed. verify needs no
 * hub: the replica's tree and records against the latest trusted checkpoint. prove asks
 * the hub for one proof and checks it against what the node already holds.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "cps/apply.h"
#include "cps/cli.h"
#include "cps/replay.h"
#include "cps/tlog.h"
#include "commands.h"
#include "node.h"

#define PROVE_TIMEOUT_MS 5000

static void
hex(char *out, const uint8_t *b, size_t n)
{
    static const char d[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = d[b[i] >> 4];
        out[2 * i + 1] = d[b[i] & 15];
    }
    out[2 * n] = 0;
}

static int
parse_dir(int argc, char **argv, const char *usage_text, const char **dir)
{
    static const struct option opts[] = {
        { "dir", required_argument, NULL, 'd' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    while ((c = getopt_long(argc, argv, "+d:h", opts, NULL)) != -1) {
        if (c == 'd') {
            *dir = optarg;
        } else if (c == 'h') {
            fputs(usage_text, stdout);
            return CPS_EXIT_OK;
        } else {
            fputs(usage_text, stderr);
            return CPS_EXIT_USAGE;
        }
    }
    *dir = node_dir(*dir);
    return -1;
}

/* The latest trusted checkpoint, verified again with the hub's key. */
static int
trusted_checkpoint(struct node *n, struct cps_txn *txn, struct cps_checkpoint *cp)
{
    struct cps_note_verifier v;
    struct cps_cursor *cur = NULL;
    struct cps_val k, note;
    int rc;

    cps_replay_hub_verifier(n->roster, &v);
    if ((rc = cps_store_cursor_open(txn, CPS_DB_CHECKPOINTS, &cur)) != 0)
        return rc;
    rc = cps_store_cursor_get(cur, CPS_SEEK_LAST, NULL, 0, &k, &note);
    if (rc == 0)
        rc = cps_tlog_checkpoint_verify(cp, note.data, note.len, &v);
    cps_store_cursor_close(&cur);
    return rc;
}

int
cmd_verify_main(int argc, char **argv)
{
    static const char usage_text[] =
        "Usage: " NODE_PROG " verify [--dir DIR]\n"
        "Check the replica of the programme dataset against the latest checkpoint the node\n"
        "trusted: the checkpoint's signature (the hub's key in the roster), the Merkle root\n"
        "of the replicated log, and the dataset digest recomputed from every record.\n"
        "Exit 0 verified, 1 a check failed or the replica is behind, 2 could not run.\n"
        "Example (weekly, from cron):\n"
        "  " NODE_PROG " verify --dir /var/lib/cps/node || echo 'replica does not verify'\n";
    struct cps_checkpoint cp;
    struct cps_txn *txn = NULL;
    struct node n;
    const char *dir = NULL;
    uint8_t root[CPS_TLOG_HASH_BYTES], scan[CPS_TLOG_HASH_BYTES], kept[CPS_TLOG_HASH_BYTES];
    char err[512], h1[65], h2[65];
    uint64_t size = 0, records = 0;
    int rc, ret = CPS_EXIT_NO;

    if ((rc = parse_dir(argc, argv, usage_text, &dir)) >= 0)
        return rc;
    if (optind != argc) {
        fputs(usage_text, stderr);
        return CPS_EXIT_USAGE;
    }
    if (node_open(&n, dir, false, err, sizeof err) != 0) {
        cps_cli_error(NODE_PROG " verify", "%s", err);
        return CPS_EXIT_USAGE;
    }
    if ((rc = cps_store_begin(n.st, false, &txn)) != 0 ||
        (rc = cps_replay_size(txn, &cps_replay_replica, &size)) != 0 ||
        (rc = cps_store_count(txn, CPS_DB_RRECORDS, &records)) != 0) {
        cps_cli_error(NODE_PROG " verify", "%s", cps_strerror(rc));
        ret = CPS_EXIT_USAGE;
        goto done;
    }
    rc = trusted_checkpoint(&n, txn, &cp);
    if (rc == CPS_ENOTFOUND) {
        cps_cli_error(NODE_PROG " verify", "no checkpoint trusted yet (run the daemon)");
        goto done;
    }
    if (rc != 0) {
        cps_cli_error(NODE_PROG " verify", "trusted checkpoint: %s", cps_strerror(rc));
        goto done;
    }
    if (size != cp.size) {
        cps_cli_error(NODE_PROG " verify", "replica has %" PRIu64 " entries, the trusted "
                                           "checkpoint %" PRIu64 ": not caught up yet",
                      size, cp.size);
        goto done;
    }
    if ((rc = cps_tlog_root(txn, CPS_DB_RTREE, size, root)) != 0 ||
        (rc = cps_apply_digest_scan(txn, CPS_DB_RRECORDS, scan)) != 0 ||
        (rc = cps_apply_digest(txn, &cps_replay_replica.view, kept)) != 0) {
        cps_cli_error(NODE_PROG " verify", "%s", cps_strerror(rc));
        ret = CPS_EXIT_USAGE;
        goto done;
    }
    if (memcmp(root, cp.root, sizeof root) != 0) {
        cps_cli_error(NODE_PROG " verify", "Merkle root of the replica differs from checkpoint "
                                           "%" PRIu64, cp.size);
        goto done;
    }
    if (memcmp(scan, cp.dataset, sizeof scan) != 0 || memcmp(kept, scan, sizeof scan) != 0) {
        hex(h1, scan, sizeof scan);
        hex(h2, cp.dataset, sizeof cp.dataset);
        cps_cli_error(NODE_PROG " verify", "dataset digest %s differs from checkpoint %" PRIu64
                                           " (%s)",
                      h1, cp.size, h2);
        goto done;
    }
    hex(h1, scan, sizeof scan);
    printf("replica verified: %" PRIu64 " log entries, %" PRIu64 " records, checkpoint size %"
           PRIu64 ", dataset %s\n",
           size, records, cp.size, h1);
    ret = CPS_EXIT_OK;
done:
    cps_store_abort(&txn);
    node_close(&n);
    return ret;
}

/* One PROVE exchange with the hub; *reply is malloc'd with its frame kept in *frame. */
static int
ask_hub(struct node *n, const struct cps_msg *q, zmq_msg_t *frame, struct cps_msg *reply)
{
    uint8_t *buf = NULL;
    void *zctx = zmq_ctx_new(), *s = NULL;
    zmq_pollitem_t it;
    size_t len;
    int rc;

    if (zctx == NULL)
        return -errno;
    if ((rc = node_socket(n, zctx, &s)) != 0)
        goto done;
    if (zmq_connect(s, n->hub) != 0 || (rc = cps_wire_encode_msg(q, &buf, &len)) != 0) {
        rc = rc != 0 ? rc : -errno;
        goto done;
    }
    /* IMMEDIATE: the send waits for the CURVE handshake */
    it = (zmq_pollitem_t){ s, 0, ZMQ_POLLOUT, 0 };
    if (zmq_poll(&it, 1, PROVE_TIMEOUT_MS) <= 0 || zmq_send(s, buf, len, ZMQ_DONTWAIT) < 0) {
        rc = -ETIMEDOUT;
        goto done;
    }
    it = (zmq_pollitem_t){ s, 0, ZMQ_POLLIN, 0 };
    if (zmq_poll(&it, 1, PROVE_TIMEOUT_MS) <= 0 || zmq_msg_recv(frame, s, 0) < 0) {
        rc = -ETIMEDOUT;
        goto done;
    }
    rc = cps_wire_decode_msg(reply, zmq_msg_data(frame), zmq_msg_size(frame));
done:
    free(buf);
    if (s != NULL)
        zmq_close(s);
    zmq_ctx_term(zctx);
    return rc;
}

int
cmd_prove_main(int argc, char **argv)
{
    static const char usage_text[] =
        "Usage: " NODE_PROG " prove [--dir DIR] inclusion INDEX [SIZE]\n"
        "       " NODE_PROG " prove [--dir DIR] seq SEQ\n"
        "       " NODE_PROG " prove [--dir DIR] consistency OLD [NEW]\n"
        "Ask the hub for a proof against one of its signed checkpoints (SIZE / NEW: a\n"
        "checkpoint's tree size; default the latest) and check it with what the node holds:\n"
        "the leaf from the replica, the old root from a trusted checkpoint. 'seq' proves the\n"
        "node's own update SEQ. Prints the receipt as JSON (cps-audit inclusion/consistency\n"
        "check it offline). Exit 0 verified, 1 it does not verify, 2 could not run.\n"
        "Examples:\n"
        "  " NODE_PROG " prove seq 7 > receipt-7.json    # the hub logged our update 7\n"
        "  " NODE_PROG " prove consistency 1200           # the log still extends size 1200\n";
    struct cps_msg *q = calloc(1, sizeof *q), *r = calloc(1, sizeof *r);
    struct cps_note_verifier v;
    struct cps_checkpoint cp;
    struct cps_txn *txn = NULL;
    struct node n;
    const char *dir = NULL, *what, *problem = NULL;
    uint8_t leaf[CPS_TLOG_HASH_BYTES], proof[CPS_WIRE_MAX_PROOF][CPS_TLOG_HASH_BYTES];
    uint64_t a = 0, b = 0;
    zmq_msg_t frame;
    char err[512], h[65];
    json_t *o = NULL, *arr;
    struct cps_val val;
    size_t i;
    int rc, ret = CPS_EXIT_USAGE;
    bool have_leaf = false;

    zmq_msg_init(&frame);
    if (q == NULL || r == NULL)
        goto out;
    if ((rc = parse_dir(argc, argv, usage_text, &dir)) >= 0) {
        ret = rc;
        goto out;
    }
    if (argc - optind < 2 || argc - optind > 3 ||
        !cps_cli_parse_u64(argv[optind + 1], 0, UINT64_MAX, &a) ||
        (argc - optind == 3 && !cps_cli_parse_u64(argv[optind + 2], 1, UINT64_MAX, &b))) {
        fputs(usage_text, stderr);
        goto out;
    }
    what = argv[optind];
    if (strcmp(what, "inclusion") != 0 && strcmp(what, "seq") != 0 &&
        strcmp(what, "consistency") != 0) {
        fputs(usage_text, stderr);
        goto out;
    }
    if (node_open(&n, dir, true, err, sizeof err) != 0) {
        cps_cli_error(NODE_PROG " prove", "%s", err);
        goto out;
    }
    q->type = CPS_MSG_PROVE;
    snprintf(q->partner, sizeof q->partner, "%s", n.partner);
    q->status = strcmp(what, "consistency") == 0 ? CPS_PROOF_CONSISTENCY : CPS_PROOF_INCLUSION;
    if ((rc = cps_store_begin(n.st, false, &txn)) != 0) {
        cps_cli_error(NODE_PROG " prove", "%s", cps_strerror(rc));
        goto close;
    }
    if (strcmp(what, "seq") == 0 &&
        (rc = cps_replay_find(txn, &cps_replay_replica, n.partner, a, &a)) != 0) {
        cps_cli_error(NODE_PROG " prove", "seq %" PRIu64 ": not in the replica yet (%s)", a,
                      cps_strerror(rc));
        ret = CPS_EXIT_NO;
        goto close;
    }
    q->seq = a;
    q->index = b;
    if ((rc = ask_hub(&n, q, &frame, r)) != 0) {
        cps_cli_error(NODE_PROG " prove", "hub %s: %s", n.hub,
                      rc == -ETIMEDOUT ? "no answer" : cps_strerror(rc));
        goto close;
    }
    if (r->type == CPS_MSG_REFUSE) {
        cps_cli_error(NODE_PROG " prove", "hub refused: %.*s", (int)r->text_len, r->text);
        ret = CPS_EXIT_NO;
        goto close;
    }
    if (r->type != CPS_MSG_PROOF || r->status != q->status || r->seq != a) {
        cps_cli_error(NODE_PROG " prove", "unexpected answer from the hub");
        ret = CPS_EXIT_NO;
        goto close;
    }
    for (i = 0; i < r->n_proof; i++)
        memcpy(proof[i], r->proof[i], CPS_TLOG_HASH_BYTES);
    cps_replay_hub_verifier(n.roster, &v);
    if (cps_tlog_checkpoint_verify(&cp, r->note, r->note_len, &v) != 0 || cp.size != r->index) {
        problem = "the checkpoint does not verify with the hub's key";
    } else if (q->status == CPS_PROOF_INCLUSION) {
        uint8_t key[8];

        cps_store_be64(key, a);
        if (cps_store_get(txn, CPS_DB_RLOG, key, sizeof key, &val) == 0) {
            cps_tlog_leaf_hash(val.data, val.len, leaf);
            have_leaf = true;
            if (cps_tlog_verify_inclusion(leaf, a, cp.size,
                                          (const uint8_t(*)[CPS_TLOG_HASH_BYTES])proof,
                                          r->n_proof, cp.root) != 0)
                problem = "the inclusion proof does not verify";
        } else {
            problem = "the entry is not in the replica yet: leaf not checked";
        }
    } else {
        struct cps_checkpoint old;
        uint8_t key[8];

        cps_store_be64(key, a);
        if (a == 0) {
            problem = r->n_proof == 0 ? NULL : "a proof from size 0 must be empty";
        } else if (cps_store_get(txn, CPS_DB_CHECKPOINTS, key, sizeof key, &val) != 0 ||
                   cps_tlog_checkpoint_verify(&old, val.data, val.len, &v) != 0) {
            problem = "no trusted checkpoint of the old size: old root not checked";
        } else if (cps_tlog_verify_consistency(a, cp.size, old.root, cp.root,
                                               (const uint8_t(*)[CPS_TLOG_HASH_BYTES])proof,
                                               r->n_proof) != 0) {
            problem = "the consistency proof does not verify";
        }
    }
    o = json_object();
    json_object_set_new(o, "kind", json_string(q->status == CPS_PROOF_INCLUSION ? "inclusion"
                                                                               : "consistency"));
    json_object_set_new(o, q->status == CPS_PROOF_INCLUSION ? "index" : "old_size",
                        json_integer((json_int_t)a));
    json_object_set_new(o, q->status == CPS_PROOF_INCLUSION ? "size" : "new_size",
                        json_integer((json_int_t)r->index));
    if (have_leaf) {
        hex(h, leaf, sizeof leaf);
        json_object_set_new(o, "leaf_hash", json_string(h));
    }
    arr = json_array();
    for (i = 0; i < r->n_proof; i++) {
        hex(h, proof[i], CPS_TLOG_HASH_BYTES);
        json_array_append_new(arr, json_string(h));
    }
    json_object_set_new(o, "proof", arr);
    json_object_set_new(o, "checkpoint", json_stringn(r->note, r->note_len));
    json_object_set_new(o, "verified", problem == NULL ? json_true() : json_false());
    if (problem != NULL)
        json_object_set_new(o, "problem", json_string(problem));
    json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(o);
    ret = problem == NULL ? CPS_EXIT_OK : CPS_EXIT_NO;
close:
    cps_store_abort(&txn);
    node_close(&n);
out:
    zmq_msg_close(&frame);
    free(q);
    free(r);
    return ret;
}
