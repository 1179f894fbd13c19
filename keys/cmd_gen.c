/* SPDX-License-Identifier: ISC */
/*
 * cps-keys gen FILE [--force]: create a key file (mode 0600, never replacing one without
 * --force) and print its key id. The seed never leaves libcps; nothing secret is printed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "cps/cli.h"
#include "cps/crypto.h"
#include "keys.h"

static void
usage(FILE *f)
{
    fprintf(f, "usage: cps-keys gen FILE [--force]\n"
               "  Create a new key file FILE (mode 0600) with a fresh secret seed and print\n"
               "  \"key id <hex>\". An existing FILE is refused (exit 2) unless --force,\n"
               "  which replaces it atomically: the old key is gone, back it up first.\n"
               "Example:\n"
               "  cps-keys gen p07.key && cps-keys pub p07.key    # send the cps1: line to the lead\n");
}

int
cmd_gen_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct cps_keys *keys = NULL;
    struct cps_pubkeys pub;
    const char *path;
    char hex[17];
    bool force = false;
    int c, rc;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":fh", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            force = true;
            break;
        case 'h':
            usage(stdout);
            return CPS_EXIT_OK;
        default:
            return keys_bad_option(KEYS_PROG " gen", c, argv, usage);
        }
    }
    if (argc - optind != 1) {
        cps_cli_error(KEYS_PROG " gen", argc - optind == 0 ? "FILE missing" : "too many arguments");
        usage(stderr);
        return CPS_EXIT_USAGE;
    }
    path = argv[optind];
    if ((rc = cps_crypto_keyfile_create(path, force)) != 0) {
        if (rc == -EEXIST)
            cps_cli_error(KEYS_PROG " gen", "%s: already exists%s", path,
                          force ? " and is not a regular file" : " (--force replaces it)");
        else
            cps_cli_error(KEYS_PROG " gen", "%s: %s", path, cps_strerror(rc));
        return CPS_EXIT_USAGE;
    }
    if ((rc = cps_crypto_keys_load(&keys, path)) != 0) {
        cps_cli_error(KEYS_PROG " gen", "%s: written, but cannot be read back: %s", path,
                      cps_strerror(rc));
        return CPS_EXIT_USAGE;
    }
    cps_crypto_keys_public(keys, &pub);
    cps_crypto_keys_free(&keys);
    cps_crypto_keyid_hex(&pub, hex);
    printf("key id %s\n", hex);
    return CPS_EXIT_OK;
}
