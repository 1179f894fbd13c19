/* SPDX-License-Identifier: ISC */
/*
 * cps-hub init: check that the hub key is the one the signed roster names for the hub,
 * then create the hub's store, pin the programme key and record the configuration.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cps/cli.h"
#include "commands.h"
#include "hub.h"
#include "ops.h"

static void
usage(FILE *f)
{
    fprintf(f, "Usage: " HUB_PROG " init [--config FILE] [--dir DIR] --key FILE --roster FILE\n"
               "                    --programme-key VKEY [--listen ENDPOINT]\n"
               "Create the hub's store in DIR (default $" HUB_DIR_ENV " or ./" HUB_DIR_DEFAULT ").\n"
               "  --key FILE            the hub's key file (cps-keys gen), mode 0600\n"
               "  --roster FILE         the roster signed by the programme key\n"
               "  --programme-key VKEY  the programme's verifier key (cps-keys pub --vkey)\n"
               "  --listen ENDPOINT     where run listens (default " HUB_LISTEN_DEFAULT ")\n"
               "  --config FILE         take these from the settings file ([hub] key, roster,\n"
               "                        programme_key, listen, dir); options given here win\n"
               "Example:\n"
               "  " HUB_PROG " init --dir /var/lib/cps/hub --key hub.key --roster roster.txt \\\n"
               "      --programme-key \"$(cat programme.vkey)\" --listen tcp://0.0.0.0:7700\n"
               "  " HUB_PROG " init --config /etc/cps/hub.conf\n");
}

int
cmd_init_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "dir", required_argument, NULL, 'd' },    { "key", required_argument, NULL, 'k' },
        { "roster", required_argument, NULL, 'r' }, { "programme-key", required_argument, NULL, 'P' },
        { "listen", required_argument, NULL, 'L' }, { "help", no_argument, NULL, 'h' },
        { "config", required_argument, NULL, 'C' }, { NULL, 0, NULL, 0 },
    };
    struct hub_conf cf;
    const char *dir = NULL, *key = NULL, *roster_path = NULL, *vkey = NULL,
               *listen = HUB_LISTEN_DEFAULT;
    struct cps_roster *roster = NULL;
    struct cps_keys *keys = NULL;
    struct cps_store *st = NULL;
    struct cps_txn *txn = NULL;
    struct cps_pubkeys pub;
    char abs_dir[PATH_MAX], abs_key[PATH_MAX], *text = NULL;
    size_t text_len;
    int c, rc, ret = CPS_EXIT_USAGE;

    if ((rc = hub_conf_load(&cf, argc, argv, "d:k:r:P:L:hC:", opts, HUB_PROG " init")) >= 0)
        return rc;
    dir = cf.dir[0] != 0 ? cf.dir : NULL;
    key = cf.key[0] != 0 ? cf.key : NULL;
    roster_path = cf.roster[0] != 0 ? cf.roster : NULL;
    vkey = cf.programme_key[0] != 0 ? cf.programme_key : NULL;
    listen = cf.listen[0] != 0 ? cf.listen : HUB_LISTEN_DEFAULT;
    while ((c = getopt_long(argc, argv, "d:k:r:P:L:hC:", opts, NULL)) != -1) {
        switch (c) {
        case 'C': break; /* read by hub_conf_load */
        case 'd': dir = optarg; break;
        case 'k': key = optarg; break;
        case 'r': roster_path = optarg; break;
        case 'P': vkey = optarg; break;
        case 'L': listen = optarg; break;
        case 'h': usage(stdout); return CPS_EXIT_OK;
        default: usage(stderr); return CPS_EXIT_USAGE;
        }
    }
    if (optind != argc || key == NULL || roster_path == NULL || vkey == NULL) {
        cps_cli_error(HUB_PROG " init", "--key, --roster and --programme-key are required");
        usage(stderr);
        return CPS_EXIT_USAGE;
    }
    dir = hub_dir(dir);
    if (strlen(listen) >= 256) {
        cps_cli_error(HUB_PROG " init", "--listen: too long");
        return CPS_EXIT_USAGE;
    }
    if ((rc = cps_crypto_init()) != 0 || (rc = cps_cli_abspath(dir, abs_dir, sizeof abs_dir)) != 0 ||
        (rc = cps_cli_abspath(key, abs_key, sizeof abs_key)) != 0) {
        cps_cli_error(HUB_PROG " init", "%s", cps_strerror(rc));
        return CPS_EXIT_USAGE;
    }
    if ((rc = cps_cli_roster_read(HUB_PROG " init", roster_path, vkey, &roster, &text,
                                  &text_len)) != CPS_EXIT_OK) {
        ret = rc;
        goto done;
    }
    if ((rc = cps_crypto_keys_load(&keys, key)) != 0) {
        cps_cli_error(HUB_PROG " init", "%s: %s", key, cps_strerror(rc));
        goto done;
    }
    cps_crypto_keys_public(keys, &pub);
    if (!cps_crypto_equal(&pub, &roster->hub, sizeof pub)) {
        cps_cli_error(HUB_PROG " init", "%s: this key is not the roster's hub key", key);
        ret = CPS_EXIT_NO;
        goto done;
    }
    if ((rc = cps_cli_dir_create(HUB_PROG " init", abs_dir, text, text_len)) != CPS_EXIT_OK) {
        ret = rc;
        goto done;
    }
    if ((rc = cps_store_open_flags(&st, abs_dir, HUB_MAP_DEFAULT, HUB_STORE_FLAGS)) != 0 ||
        (rc = cps_store_begin(st, true, &txn)) != 0 ||
        (rc = cps_store_meta_put(txn, "programme", roster->programme,
                                 strlen(roster->programme))) != 0 ||
        (rc = cps_store_meta_put(txn, "listen", listen, strlen(listen))) != 0 ||
        (rc = cps_store_meta_put(txn, "key", abs_key, strlen(abs_key))) != 0 ||
        (rc = cps_store_meta_put(txn, "vkey", vkey, strlen(vkey))) != 0 ||
        (rc = cps_store_meta_put_u64(txn, "log_size", 0)) != 0 ||
        (rc = cps_store_commit(&txn)) != 0) {
        cps_cli_error(HUB_PROG " init", "%s: %s", abs_dir, cps_strerror(rc));
        goto done;
    }
    printf("hub for programme %s initialised in %s (%zu partners, listen %s)\n",
           roster->programme, abs_dir, roster->n_partners, listen);
    ret = CPS_EXIT_OK;
done:
    cps_store_abort(&txn);
    cps_store_close(&st);
    cps_crypto_keys_free(&keys);
    cps_roster_free(&roster);
    free(text);
    return ret;
}
