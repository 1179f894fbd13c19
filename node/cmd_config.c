/* SPDX-License-Identifier: ISC */
/*
 * cps-node config check|show: the node's configuration file, checked line by line (every
 * problem with its line number), or the settings in force written out as a file
 * (cps_cli_config_main does both for either binary).
 */
#include "cps/cli.h"
#include "commands.h"
#include "ops.h"

int
cmd_config_main(int argc, char **argv)
{
    struct node_conf cf;

    node_conf_defaults(&cf);
    return cps_cli_config_main(&node_conf_role, &cf, argc, argv);
}
