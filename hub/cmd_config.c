/* SPDX-License-Identifier: ISC */
/*
 * cps-hub config check|show: the hub's configuration file, checked line by line (every
 * problem with its line number), or the settings in force written out as a file
 * (cps_cli_config_main does both for either binary).
 */
#include "cps/cli.h"
#include "commands.h"
#include "ops.h"

int
cmd_config_main(int argc, char **argv)
{
    struct hub_conf cf;

    hub_conf_defaults(&cf);
    return cps_cli_config_main(&hub_conf_role, &cf, argc, argv);
}
