/* SPDX-License-Identifier: ISC */
/*
 * cps-node config check|show: the node's configuration file, checked line by line (every
 * problem with its line number), or the settings in force written out as a file.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cps/cli.h"
#include "commands.h"
#include "ops.h"

static const char usage_text[] =
    "Usage: " NODE_PROG " config check [--config FILE]\n"
    "       " NODE_PROG " config show [--config FILE]\n"
    "check: read FILE (default $" NODE_CONF_ENV ", else " NODE_CONF_DEFAULT ") and report every\n"
    "  problem as FILE:LINE: problem (a line that is not '[section]' or 'key = value',\n"
    "  an unknown section or key, a key set twice, a bad value); exit 1 when any.\n"
    "show: write the settings FILE gives over the defaults, as a configuration file with\n"
    "  every key, its option and what it is for (a template to start from).\n"
    "Paths in a file must be absolute; the command-line option named beside each key wins\n"
    "over it. Examples:\n"
    "  " NODE_PROG " config check --config /etc/cps/node.conf\n"
    "  " NODE_PROG " config show > node.conf\n";

static void
report(void *arg, const char *path, unsigned line, const char *msg)
{
    cps_cli_error(arg, "%s:%u: %s", path, line, msg);
}

int
cmd_config_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'C' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *path = NULL, *e, *what;
    char prog[64];
    struct node_conf cf;
    unsigned problems = 0;
    bool check;
    int c, rc;

    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage_text, stdout);
        return CPS_EXIT_OK;
    }
    if (argc < 2 || (strcmp(argv[1], "check") != 0 && strcmp(argv[1], "show") != 0)) {
        fputs(usage_text, stderr);
        return CPS_EXIT_USAGE;
    }
    what = argv[1];
    check = strcmp(what, "check") == 0;
    snprintf(prog, sizeof prog, NODE_PROG " config %s", what);
    argc--;
    argv++;
    while ((c = getopt_long(argc, argv, "C:h", opts, NULL)) != -1) {
        if (c == 'C') {
            path = optarg;
        } else if (c == 'h') {
            fputs(usage_text, stdout);
            return CPS_EXIT_OK;
        } else {
            fputs(usage_text, stderr);
            return CPS_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fputs(usage_text, stderr);
        return CPS_EXIT_USAGE;
    }
    if (path == NULL && (e = getenv(NODE_CONF_ENV)) != NULL && *e != 0)
        path = e;
    if (path == NULL && access(NODE_CONF_DEFAULT, F_OK) == 0)
        path = NODE_CONF_DEFAULT;
    node_conf_defaults(&cf);
    if (path == NULL) {
        if (check) {
            cps_cli_error(prog, "no configuration file (give --config FILE; there is none at "
                                NODE_CONF_DEFAULT ")");
            return CPS_EXIT_USAGE;
        }
    } else {
        rc = cps_config_read(path, node_conf_keys, node_conf_n_keys, &cf, report, prog,
                             &problems);
        if (rc != 0 && rc != CPS_EMALFORMED) {
            cps_cli_error(prog, "%s: %s", path, cps_strerror(rc));
            return CPS_EXIT_USAGE;
        }
        if (rc != 0) {
            cps_cli_error(prog, "%s: %u problem%s", path, problems, problems == 1 ? "" : "s");
            return CPS_EXIT_NO;
        }
    }
    if (check) {
        printf("%s: ok\n", path);
        return CPS_EXIT_OK;
    }
    if ((rc = cps_config_write(stdout, node_conf_keys, node_conf_n_keys, &cf)) != 0) {
        cps_cli_error(prog, "%s", cps_strerror(rc));
        return CPS_EXIT_USAGE;
    }
    return CPS_EXIT_OK;
}
