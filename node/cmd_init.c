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
#include "ops.h"

static void
usage(FILE *f)
{
    fprintf(f, "Usage: " NODE_PROG " init [--config FILE] [--dir DIR] --hub ENDPOINT --key FILE\n"
               "                     --roster FILE [--partner ID] [--programme-key VKEY]\n"
               "Create the node's store in DIR (default $" NODE_DIR_ENV " or ./" NODE_DIR_DEFAULT ").\n"
               "  --hub ENDPOINT       the hub's ZeroMQ endpoint, e.g. tcp://hub.example:7700\n"
               "  --key FILE           the partner's key file (cps-keys gen), mode 0600\n"
               "  --roster FILE        the roster signed by the programme key\n"
               "  --partner ID         this node's partner id in the roster (e.g. P07); default:\n"
               "                       the partner the roster gives this key\n"
               "  --programme-key VKEY the programme's verifier key (cps-keys pub --vkey) to pin;\n"
               "                       default: the key the roster names, printed so that you\n"
               "                       can compare it with the one the lead partner published\n"
               "  --config FILE        take these from the settings file ([node] hub, key,\n"
               "                       roster, partner, programme_key, dir); options win\n"
               "Examples:\n"
               "  " NODE_PROG " init --config /etc/cps/node.conf\n"
               "  " NODE_PROG " init --dir /var/lib/cps/node --partner P07 --key p07.key \\\n"
               "      --roster roster.txt --programme-key \"$(cat programme.vkey)\" \\\n"
               "      --hub tcp://127.0.0.1:7700\n");
}

/* The programme key a roster file names on its programme-key line, as a verifier key. */
static int
roster_own_vkey(const char *path, char vkey[CPS_NOTE_VKEY_MAX])
{
    struct cps_roster *r = NULL;
    char *text = NULL, why[256];
    size_t len;
    int rc;

    if ((rc = cps_cli_read_file(path, CPS_CLI_ROSTER_MAX, &text, &len)) == 0 &&
        (rc = cps_roster_parse(&r, text, len, why, sizeof why)) == 0)
        rc = cps_note_vkey_format(vkey, r->programme_key.name, r->programme_key.pk);
    cps_roster_free(&r);
    free(text);
    return rc;
}

int
cmd_init_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "dir", required_argument, NULL, 'd' },    { "partner", required_argument, NULL, 'p' },
        { "key", required_argument, NULL, 'k' },    { "roster", required_argument, NULL, 'r' },
        { "programme-key", required_argument, NULL, 'P' },
        { "hub", required_argument, NULL, 'H' },    { "help", no_argument, NULL, 'h' },
        { "config", required_argument, NULL, 'C' }, { NULL, 0, NULL, 0 },
    };
    struct node_conf cf;
    char roster_vkey[CPS_NOTE_VKEY_MAX];
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

    if ((rc = node_conf_load(&cf, argc, argv, "d:p:k:r:P:H:hC:", opts, NODE_PROG " init")) >= 0)
        return rc;
    dir = cf.dir[0] != 0 ? cf.dir : NULL;
    partner = cf.partner[0] != 0 ? cf.partner : NULL;
    key = cf.key[0] != 0 ? cf.key : NULL;
    roster_path = cf.roster[0] != 0 ? cf.roster : NULL;
    vkey = cf.programme_key[0] != 0 ? cf.programme_key : NULL;
    hub = cf.hub[0] != 0 ? cf.hub : NULL;
    while ((c = getopt_long(argc, argv, "d:p:k:r:P:H:hC:", opts, NULL)) != -1) {
        switch (c) {
        case 'C': break; /* read by node_conf_load */
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
    if (optind != argc || key == NULL || roster_path == NULL || hub == NULL) {
        cps_cli_error(NODE_PROG " init", "--hub, --key and --roster are required");
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
    if (vkey == NULL) {
        /* no pin given: the key the roster names pins it (the roster must still be signed by
         * it); printed, so that the operator can compare it with the published one */
        if ((rc = roster_own_vkey(roster_path, roster_vkey)) != 0) {
            cps_cli_error(NODE_PROG " init", "%s: %s", roster_path, cps_strerror(rc));
            goto done;
        }
        vkey = roster_vkey;
        fprintf(stderr, NODE_PROG " init: pinning the programme key the roster names:\n  %s\n"
                        "  compare it with the one the lead partner published\n", vkey);
    }
    if ((rc = cps_cli_roster_read(NODE_PROG " init", roster_path, vkey, &roster, &text,
                                  &text_len)) != CPS_EXIT_OK) {
        ret = rc;
        goto done;
    }
    if ((rc = cps_crypto_keys_load(&keys, key)) != 0) {
        cps_cli_error(NODE_PROG " init", "%s: %s", key, cps_strerror(rc));
        goto done;
    }
    cps_crypto_keys_public(keys, &pub);
    if (partner == NULL) {
        size_t i;

        for (i = 0; i < roster->n_partners && partner == NULL; i++)
            if (cps_crypto_equal(&pub, &roster->partners[i].pub, sizeof pub))
                partner = roster->partners[i].id;
        if (partner == NULL) {
            cps_cli_error(NODE_PROG " init", "%s: no partner of the roster has this key", key);
            ret = CPS_EXIT_NO;
            goto done;
        }
    }
    if ((p = cps_roster_find(roster, partner)) == NULL) {
        cps_cli_error(NODE_PROG " init", "partner %s is not in the roster", partner);
        ret = CPS_EXIT_NO;
        goto done;
    }
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
