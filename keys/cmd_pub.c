/* SPDX-License-Identifier: ISC */
/*
 * cps-keys pub FILE [--vkey NAME]: print the public half of a key file, either the cps1:
 * identity token (signing, sealing and CURVE keys) that goes into the roster, or the C2SP
 * verifier key string of its signing key under NAME, which pins the programme key.
 */
#include <getopt.h>
#include <stdio.h>

#include "cps/cli.h"
#include "cps/crypto.h"
#include "cps/note.h"
#include "keys.h"

static void
usage(FILE *f)
{
    fprintf(f, "usage: cps-keys pub FILE [--vkey NAME]\n"
               "  Print the public identity token (cps1:...) of key file FILE.\n"
               "  --vkey NAME  print instead the C2SP verifier key of its signing key under\n"
               "               NAME (e.g. clusterpolisee.eu/programme), for --programme\n"
               "Examples:\n"
               "  cps-keys pub p07.key\n"
               "  cps-keys pub --vkey ClusterPoliSEE programme.key > programme.vkey\n");
}

int
cmd_pub_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"vkey", required_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct cps_keys *keys = NULL;
    struct cps_pubkeys pub;
    const char *path, *name = NULL;
    char tok[CPS_CRYPTO_PUBTOKEN_MAX], vkey[CPS_NOTE_VKEY_MAX];
    int c, rc;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":v:h", opts, NULL)) != -1) {
        switch (c) {
        case 'v':
            name = optarg;
            break;
        case 'h':
            usage(stdout);
            return CPS_EXIT_OK;
        default:
            return keys_bad_option(KEYS_PROG " pub", c, argv, usage);
        }
    }
    if (argc - optind != 1) {
        cps_cli_error(KEYS_PROG " pub", argc - optind == 0 ? "FILE missing" : "too many arguments");
        usage(stderr);
        return CPS_EXIT_USAGE;
    }
    path = argv[optind];
    if ((rc = cps_crypto_keys_load(&keys, path)) != 0) {
        cps_cli_error(KEYS_PROG " pub", "%s: %s", path, cps_strerror(rc));
        return CPS_EXIT_USAGE;
    }
    cps_crypto_keys_public(keys, &pub);
    cps_crypto_keys_free(&keys);
    if (name == NULL) {
        cps_crypto_pub_encode(&pub, tok);
        printf("%s\n", tok);
        return CPS_EXIT_OK;
    }
    if (cps_note_vkey_format(vkey, name, pub.sign) != 0) {
        cps_cli_error(KEYS_PROG " pub",
                      "--vkey %s: a key name must be 1-%d bytes without spaces or '+'", name,
                      CPS_NOTE_NAME_MAX - 1);
        return CPS_EXIT_USAGE;
    }
    printf("%s\n", vkey);
    return CPS_EXIT_OK;
}
