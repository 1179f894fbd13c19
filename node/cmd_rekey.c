/* SPDX-License-Identifier: ISC */
/*
 * cps-node rekey: after the programme rotated this partner's keys (a new roster, logged at
 * the hub), adopt the new key file and roster, and re-sign every queued update with the
 * new key so that nothing queued is lost. Updates the hub already logged keep verifying
 * with the old key (the log says which roster was in force); the queued ones were never
 * logged, so they can be signed again, continuing the chain from the last acked update.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cps/cli.h"
#include "commands.h"
#include "node.h"

static void
usage(FILE *f)
{
    fprintf(f, "Usage: " NODE_PROG " rekey [--dir DIR] --key NEWKEY --roster NEWROSTER\n"
               "Adopt a rotated key: NEWROSTER (signed by the programme key, already logged at\n"
               "the hub with 'cps-hub programme roster') names NEWKEY for this partner. Every\n"
               "queued update is signed again with NEWKEY. Stop the daemon first; run it until\n"
               "its acks are current (the hub must hold nothing this node has no ack for).\n"
               "Example (docs/OPERATIONS.md, \"Rotating keys\"):\n"
               "  systemctl stop cps-node\n"
               "  sudo -u cps " NODE_PROG " rekey --key /etc/cps/node-2025.key --roster roster-7.txt\n"
               "  systemctl start cps-node\n");
}

/* Re-sign one queued update with keys, on top of prev; replaces it in the outbox. */
static int
resign(struct cps_txn *txn, const struct node *n, const struct cps_keys *keys, uint64_t seq,
       uint8_t prev[CPS_CRYPTO_HASH_BYTES], char *err, size_t err_len)
{
    struct cps_wire_builder *b = NULL;
    struct cps_update *old = NULL;
    uint8_t key[8], *out = NULL;
    struct cps_val v;
    size_t i, out_len;
    int rc;

    cps_store_be64(key, seq);
    if ((rc = cps_store_get(txn, CPS_DB_OUTBOX, key, sizeof key, &v)) != 0 ||
        (rc = cps_wire_decode_update(&old, v.data, v.len)) != 0 ||
        (rc = cps_wire_builder_new(&b, n->programme, n->partner, seq, prev, old->ts_ms)) != 0)
        goto done;
    for (i = 0; i < old->n_ops && rc == 0; i++) {
        const struct cps_op *op = &old->ops[i];

        rc = cps_wire_builder_add(b, op->kind, op->coll, op->coll_len, op->key, op->key_len,
                                  op->value, op->value_len);
    }
    if (rc != 0 || (rc = cps_wire_builder_finish(b, keys, &out, &out_len)) != 0 ||
        (rc = cps_store_put(txn, CPS_DB_OUTBOX, key, sizeof key, out, out_len, 0)) != 0)
        goto done;
    cps_wire_update_hash(out, out_len, prev);
done:
    if (rc != 0)
        snprintf(err, err_len, "update %" PRIu64 ": %s", seq, cps_strerror(rc));
    free(out);
    cps_wire_builder_free(&b);
    cps_wire_update_free(&old);
    return rc;
}

int
cmd_rekey_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "dir", required_argument, NULL, 'd' },    { "key", required_argument, NULL, 'k' },
        { "roster", required_argument, NULL, 'r' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *dir = NULL, *key = NULL, *roster_path = NULL;
    const struct cps_roster_partner *p;
    struct cps_roster *roster = NULL;
    struct cps_keys *keys = NULL;
    struct cps_txn *txn = NULL;
    struct cps_pubkeys pub;
    struct cps_val v;
    struct node n;
    uint8_t prev[CPS_CRYPTO_HASH_BYTES] = { 0 };
    uint64_t last_acked = 0, next_seq = 0, hub_next = 0, seq;
    char err[512], abs_key[PATH_MAX], path[PATH_MAX + 32], *text = NULL;
    size_t text_len;
    int c, rc, lock = -1, ret = CPS_EXIT_USAGE;

    while ((c = getopt_long(argc, argv, "d:k:r:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            dir = optarg;
            break;
        case 'k':
            key = optarg;
            break;
        case 'r':
            roster_path = optarg;
            break;
        case 'h':
            usage(stdout);
            return CPS_EXIT_OK;
        default:
            usage(stderr);
            return CPS_EXIT_USAGE;
        }
    }
    if (optind != argc || key == NULL || roster_path == NULL) {
        usage(stderr);
        return CPS_EXIT_USAGE;
    }
    if (node_open(&n, node_dir(dir), false, err, sizeof err) != 0) {
        cps_cli_error(NODE_PROG " rekey", "%s", err);
        return CPS_EXIT_USAGE;
    }
    if ((lock = node_lock(&n)) < 0) {
        cps_cli_error(NODE_PROG " rekey", "%s: %s", n.dir,
                      lock == -EWOULDBLOCK ? "the daemon runs: stop it first" : cps_strerror(lock));
        goto done;
    }
    if ((rc = cps_cli_abspath(key, abs_key, sizeof abs_key)) != 0 ||
        (rc = cps_crypto_keys_load(&keys, key)) != 0) {
        cps_cli_error(NODE_PROG " rekey", "%s: %s", key, cps_strerror(rc));
        goto done;
    }
    if ((rc = cps_cli_roster_read(NODE_PROG " rekey", roster_path, n.vkey, &roster, &text,
                                  &text_len)) != 0) {
        ret = rc;
        goto done;
    }
    cps_crypto_keys_public(keys, &pub);
    if ((p = cps_roster_find(roster, n.partner)) == NULL || p->status != CPS_PARTNER_ACTIVE ||
        !cps_crypto_equal(&pub, &p->pub, sizeof pub)) {
        cps_cli_error(NODE_PROG " rekey", "%s: not the key the roster gives active partner %s",
                      key, n.partner);
        ret = CPS_EXIT_NO;
        goto done;
    }
    if (roster->serial <= n.roster->serial) {
        cps_cli_error(NODE_PROG " rekey", "%s: serial %" PRIu64 " is not newer than %" PRIu64,
                      roster_path, roster->serial, n.roster->serial);
        ret = CPS_EXIT_NO;
        goto done;
    }
    if ((rc = cps_store_begin(n.st, true, &txn)) != 0 ||
        (rc = cps_store_meta_get_u64(txn, "last_acked", &last_acked)) != 0 ||
        (rc = cps_store_meta_get_u64(txn, "next_seq", &next_seq)) != 0) {
        cps_cli_error(NODE_PROG " rekey", "%s", cps_strerror(rc));
        goto done;
    }
    if (cps_store_meta_get_u64(txn, "hub_next", &hub_next) == 0 && hub_next > last_acked + 1) {
        cps_cli_error(NODE_PROG " rekey", "the hub holds updates up to %" PRIu64 " but only %"
                                          PRIu64 " are acked here: run the daemon until they "
                                          "are (with the old key), then rekey",
                      hub_next - 1, last_acked);
        ret = CPS_EXIT_NO;
        goto done;
    }
    if (last_acked > 0) {
        if (cps_store_meta_get(txn, "acked_hash", &v) != 0 || v.len != sizeof prev) {
            cps_cli_error(NODE_PROG " rekey", "the hash of acked update %" PRIu64 " is unknown",
                          last_acked);
            goto done;
        }
        memcpy(prev, v.data, sizeof prev);
    }
    for (seq = last_acked + 1; seq < next_seq; seq++)
        if ((rc = resign(txn, &n, keys, seq, prev, err, sizeof err)) != 0) {
            cps_cli_error(NODE_PROG " rekey", "%s (nothing changed)", err);
            goto done;
        }
    snprintf(path, sizeof path, "%s/" CPS_CLI_ROSTER_FILE, n.dir);
    if ((rc = cps_store_meta_put(txn, "prev", prev, sizeof prev)) != 0 ||
        (rc = cps_store_meta_put(txn, "key", abs_key, strlen(abs_key))) != 0 ||
        (rc = cps_cli_write_file(path, text, text_len, 0644)) != 0 ||
        (rc = cps_store_commit(&txn)) != 0) {
        cps_cli_error(NODE_PROG " rekey", "%s", cps_strerror(rc));
        goto done;
    }
    printf("partner %s now signs with %s (roster serial %" PRIu64 "); %" PRIu64
           " queued updates signed again\n",
           n.partner, abs_key, roster->serial, next_seq - 1 - last_acked);
    ret = CPS_EXIT_OK;
done:
    cps_store_abort(&txn);
    if (lock >= 0)
        close(lock);
    cps_crypto_keys_free(&keys);
    cps_roster_free(&roster);
    free(text);
    node_close(&n);
    return ret;
}
