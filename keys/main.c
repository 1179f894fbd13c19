/* SPDX-License-Identifier: ISC */
/*
 * cps-keys: the command table and nothing else. Each subcommand parses its own options
 * (cmd_*.c); exit 0 done, 1 the answer is no, 2 could not run.
 */
#include <stdio.h>
#include <string.h>

#include "cps/crypto.h"
#include "keys.h"

static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"gen", cmd_gen_main, "create a new key file"},
    {"pub", cmd_pub_main, "print a key file's public identity (or its verifier key)"},
    {"roster", cmd_roster_main, "create, edit, sign, verify and show the roster"},
};

static void
usage(FILE *f)
{
    size_t i;

    fprintf(f, "usage: cps-keys <command> [options] [args]\n\ncommands:\n");
    for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'cps-keys <command> --help' describes one command.\n"
               "exit status: 0 done, 1 the answer is no, 2 could not run\n");
}

int
main(int argc, char **argv)
{
    size_t i;

    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return EXIT_DONE;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("cps-keys 0.1.0\n");
        return EXIT_DONE;
    }
    if (cps_crypto_init() != 0) {
        fprintf(stderr, "cps-keys: cannot initialise libsodium\n");
        return EXIT_USAGE;
    }
    for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "cps-keys: %s: unknown command\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
