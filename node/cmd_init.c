/* SPDX-License-Identifier: ISC */
/*
 * cps-node init: check that the key file belongs to the partner named in the signed roster,
 * then create the node's store and record its configuration.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cps/cli.h"
#include "commands.h"
#include "node.h"

static void
usage(FILE *f)
{
    fprintf(f, "Usage: " NODE_PROG " init [--dir DIR] --partner ID --key FILE --roster FILE\n"
               "                     --programme-key VKEY --hub ENDPOINT\n"
               "Create the node's store in DIR (default $" NODE_DIR_ENV " or ./" NODE_DIR_DEFAULT ").\n"
               "  --partner ID         this node's partner id in the roster (e.g. P07)\n"
               "  --key FILE           the partner's key file (cps-keys gen), mode 0600\n"
               "  --roster FILE        the roster signed by the programme key\n"
               "  --programme-key VKEY the programme's verifier key (cps-keys pub --vkey)\n"
               "  --hub ENDPOINT       the hub's ZeroMQ endpoint, e.g. tcp://hub.example:7700\n"
               "Example:\n"
               "  " NODE_PROG " init --dir /var/lib/cps/node --partner P07 --key p07.key \\\n"
               "      --roster roster.txt --programme-key \"$(cat programme.vkey)\" \\\n"
               "      --hub tcp://127.0.0.1:7700\n");
}

int
cmd_init_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "dir", required_argument, NULL, 'd' },    { "partner", required_argument, NULL, 'p' },
        { "key", required_argument, NULL, 'k' },    { "roster", required_argument, NULL, 'r' },
        { "programme-key", required_argument, NULL, 'P' },
        { "hub", required_argument, NULL, 'H' },    { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *dir = NULL, *partner = NULL, *key = NULL, *roster_path = NULL, *vkey = NULL,
               *hub = NULL;
    const struct cps_roster_partner *p;
    struct cps_roster *roster = NULL;
    struct cps_keys *keys = NULL;
    struct cps_store *st = NULL;
    struct cps_txn *txn = NULL;
    struct cps_pubkeys pub;
    char abs_dir[PATH_MAX], abs_key[PATH_MAX], *text = NULL;
    uint8_t zero[CPS_CRYPTO_HASH_BYTES] = { 0 };
    size_t text_len;
    int c, rc, ret = CPS_EXIT_USAGE;

    while ((c = getopt_long(argc, argv, "d:p:k:r:P:H:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'p': partner = optarg; break;
        case 'k': key = optarg; break;
        case 'r': roster_path = optarg; break;
        case 'P': vkey = optarg; break;
        case 'H': hub = optarg; break;
        case 'h': usage(stdout); return CPS_EXIT_OK;
        default: usage(stderr); return CPS_EXIT_USAGE;
        }
    }
    if (optind != argc || partner == NULL || key == NULL || roster_path == NULL ||
        vkey == NULL || hub == NULL) {
        cps_cli_error(NODE_PROG " init", "--partner, --key, --roster, --programme-key and "
                                         "--hub are required");
        usage(stderr);
        return CPS_EXIT_USAGE;
    }
    dir = node_dir(dir);
    if (strlen(hub) >= 256 || (strncmp(hub, "tcp://", 6) != 0 && strncmp(hub, "ipc://", 6) != 0)) {
        cps_cli_error(NODE_PROG " init", "--hub %s: expected tcp://HOST:PORT or ipc://PATH", hub);
        return CPS_EXIT_USAGE;
    }
    if ((rc = cps_crypto_init()) != 0 || (rc = cps_cli_abspath(dir, abs_dir, sizeof abs_dir)) != 0 ||
        (rc = cps_cli_abspath(key, abs_key, sizeof abs_key)) != 0) {
        cps_cli_error(NODE_PROG " init", "%s", cps_strerror(rc));
        return CPS_EXIT_USAGE;
    }
    if ((rc = cps_cli_roster_read(NODE_PROG " init", roster_path, vkey, &roster, &text,
                                  &text_len)) != CPS_EXIT_OK) {
        ret = rc;
        goto done;
    }
    if ((p = cps_roster_find(roster, partner)) == NULL) {
        cps_cli_error(NODE_PROG " init", "partner %s is not in the roster", partner);
        ret = CPS_EXIT_NO;
        goto done;
    }
    if ((rc = cps_crypto_keys_load(&keys, key)) != 0) {
        cps_cli_error(NODE_PROG " init", "%s: %s", key, cps_strerror(rc));
        goto done;
    }
    cps_crypto_keys_public(keys, &pub);
    if (!cps_crypto_equal(&pub, &p->pub, sizeof pub)) {
        cps_cli_error(NODE_PROG " init", "%s: this key is not the roster's key for %s", key,
                      partner);
        ret = CPS_EXIT_NO;
        goto done;
    }
    if ((rc = cps_cli_dir_create(NODE_PROG " init", abs_dir, text, text_len)) != CPS_EXIT_OK) {
        ret = rc;
        goto done;
    }
    if ((rc = cps_store_open(&st, abs_dir, 0)) != 0 ||
        (rc = cps_store_begin(st, true, &txn)) != 0 ||
        (rc = cps_store_meta_put(txn, "partner", partner, strlen(partner))) != 0 ||
        (rc = cps_store_meta_put(txn, "programme", roster->programme,
                                 strlen(roster->programme))) != 0 ||
        (rc = cps_store_meta_put(txn, "hub", hub, strlen(hub))) != 0 ||
        (rc = cps_store_meta_put(txn, "key", abs_key, strlen(abs_key))) != 0 ||
        (rc = cps_store_meta_put(txn, "vkey", vkey, strlen(vkey))) != 0 ||
        (rc = cps_store_meta_put_u64(txn, "next_seq", 1)) != 0 ||
        (rc = cps_store_meta_put(txn, "prev", zero, sizeof zero)) != 0 ||
        (rc = cps_store_meta_put_u64(txn, "last_acked", 0)) != 0 ||
        (rc = cps_store_commit(&txn)) != 0) {
        cps_cli_error(NODE_PROG " init", "%s: %s", abs_dir, cps_strerror(rc));
        goto done;
    }
    printf("node %s initialised in %s (hub %s)\n", partner, abs_dir, hub);
    ret = CPS_EXIT_OK;
done:
    cps_store_abort(&txn);
    cps_store_close(&st);
    cps_crypto_keys_free(&keys);
    cps_roster_free(&roster);
    free(text);
    return ret;
}
