/* SPDX-License-Identifier: ISC */
/*
 * The node's configuration file: its keys (one table: section, name, option, type, range,
 * field), where the file is looked for, the run-time settings node_open applies, and the
 * reload on SIGHUP. Parsing and checking are the config module's.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cps/cli.h"
#include "cps/log.h"
#include "ops.h"

#define F(field) offsetof(struct node_conf, field)
#define LEN(field) (sizeof ((struct node_conf *)0)->field - 1)

const struct cps_config_key node_conf_keys[] = {
    { "node", "dir", "--dir", CPS_CONFIG_PATH, 0, LEN(dir), F(dir),
      "the node's data directory (every command)" },
    { "node", "hub", "--hub", CPS_CONFIG_ENDPOINT, 0, LEN(hub), F(hub),
      "the hub's endpoint, e.g. tcp://hub.example.org:7700 (init records it; run uses it)" },
    { "node", "key", "--key", CPS_CONFIG_PATH, 0, LEN(key), F(key),
      "the partner's key file, mode 0600, owned by the node's user (init)" },
    { "node", "roster", "--roster", CPS_CONFIG_PATH, 0, LEN(roster), F(roster),
      "the roster signed by the programme key (init)" },
    { "node", "programme_key", "--programme-key", CPS_CONFIG_STRING, 0, LEN(programme_key),
      F(programme_key), "the programme's verifier key (init; default: the roster's own)" },
    { "node", "partner", "--partner", CPS_CONFIG_STRING, 0, LEN(partner), F(partner),
      "this node's partner id (init; default: the roster's partner whose key it is)" },
    { "sync", "window", "--window", CPS_CONFIG_UINT, 1, 1000, F(window),
      "updates in flight to the hub at most (run)" },
    { "sync", "replica", "--no-replica", CPS_CONFIG_BOOL, 0, 0, F(replica),
      "pull, verify and keep the replica of the hub's log (run; false = --no-replica)" },
    { "log", "level", "--log-level", CPS_CONFIG_LEVEL, 0, 0, F(log_level),
      "err, warn, info or debug (run; SIGHUP reloads it)" },
    { "log", "syslog", "--syslog", CPS_CONFIG_BOOL, 0, 0, F(syslog),
      "log to syslog instead of stderr (run)" },
    { "store", "map_size_mib", "--map-size", CPS_CONFIG_UINT, 1, 1u << 24, F(map_size_mib),
      "grow the LMDB map to this many MiB (run; default: as the store has it, 1024)" },
    { "status", "stale_after", "--stale-after", CPS_CONFIG_UINT, 1, 315360000, F(stale_after),
      "seconds before queued updates or silence count as stalled (status)" },
};
const size_t node_conf_n_keys = sizeof node_conf_keys / sizeof node_conf_keys[0];
const struct cps_cli_config_role node_conf_role = {
    .prog = NODE_PROG, .env = NODE_CONF_ENV, .default_path = NODE_CONF_DEFAULT,
    .file_name = "node.conf", .keys = node_conf_keys,
    .n_keys = sizeof node_conf_keys / sizeof node_conf_keys[0],
};

static const char *const level_names[] = { "err", "warn", "info", "debug" };

/* The configuration in force in this process, for node_dir, node_open and the reload. */
static struct node_conf active;
static bool active_loaded, active_applied, level_pinned;

void
node_conf_defaults(struct node_conf *cf)
{
    memset(cf, 0, sizeof *cf);
    cf->window = NODE_WINDOW_DEFAULT;
    cf->replica = true;
    cf->log_level = CPS_LOG_INFO;
    cf->stale_after = NODE_STALE_DEFAULT;
}

int
node_conf_load(struct node_conf *cf, int argc, char **argv, const char *shortopts,
               const struct option *longopts, const char *prog)
{
    const char *given, *e;
    bool seen[256];

    node_conf_defaults(cf);
    cps_config_scan_args(argc, argv, shortopts, longopts, 'C', &given, seen);
    if (cps_cli_config_load(&node_conf_role, given, cf, cf->path, sizeof cf->path, prog) != 0)
        return CPS_EXIT_USAGE;
    /* precedence: --dir, then $CPS_NODE_DIR, then the file */
    if ((e = getenv(NODE_DIR_ENV)) != NULL && *e != 0)
        cf->dir[0] = 0;
    cps_log_level = cf->log_level;
    level_pinned = seen['l'];
    active = *cf;
    active_loaded = true;
    return -1;
}

bool
node_conf_set_arg(struct node_conf *cf, const char *option, const char *value, const char *prog)
{
    const struct cps_config_key *k = NULL;
    char why[256];
    size_t i;

    for (i = 0; i < node_conf_n_keys && k == NULL; i++)
        if (strcmp(node_conf_keys[i].option, option) == 0)
            k = &node_conf_keys[i];
    if (k == NULL || cps_config_set(k, cf, value, false, why, sizeof why) != 0) {
        cps_cli_error(prog, "%s %s: %s", option, value, k == NULL ? "unknown option" : why);
        return false;
    }
    return true;
}

void
node_conf_apply(const struct node_conf *cf)
{
    char path[PATH_MAX];

    snprintf(path, sizeof path, "%s", active.path);
    active = *cf;
    snprintf(active.path, sizeof active.path, "%s", path);
    active_loaded = active_applied = true;
}

const char *
node_conf_hub(void)
{
    return active_applied && active.hub[0] != 0 ? active.hub : NULL;
}

uint64_t
node_conf_map_mib(void)
{
    return active_applied ? active.map_size_mib : 0;
}

const char *
node_conf_dir(void)
{
    struct node_conf cf;
    const char *path;
    unsigned problems;

    if (!active_loaded) {
        /* a command without --config: the default file, if any, for its dir only */
        node_conf_defaults(&active);
        active_loaded = true;
        if ((path = cps_cli_config_path(&node_conf_role, NULL)) != NULL) {
            node_conf_defaults(&cf);
            if (cps_config_read(path, node_conf_keys, node_conf_n_keys, &cf, NULL, NULL,
                                &problems) == 0)
                active = cf;
        }
    }
    return active.dir[0] != 0 ? active.dir : NULL;
}

void
node_conf_reload(void)
{
    struct node_conf cf;
    unsigned problems;
    int rc;

    if (!active_loaded || active.path[0] == 0)
        return;
    node_conf_defaults(&cf);
    if ((rc = cps_cli_config_read(&node_conf_role, active.path, &cf, NULL, &problems)) != 0) {
        cps_log(CPS_LOG_ERR, "reload: %s: %s; log level unchanged", active.path,
                rc == CPS_EMALFORMED ? "problems above" : cps_strerror(rc));
        return;
    }
    if (!level_pinned)
        cps_log_level = cf.log_level;
    cps_log(CPS_LOG_INFO, "reload: config=%s log_level=%s%s", active.path,
            level_names[cps_log_level & 3], level_pinned ? " (--log-level given: kept)" : "");
}
