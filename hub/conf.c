/* SPDX-License-Identifier: ISC */
/*
 * The hub's configuration file: its keys (one table: section, name, option, type, range,
 * field), where the file is looked for, and its reload on SIGHUP. Parsing and checking
 * are the config module's.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cps/cli.h"
#include "cps/log.h"
#include "ops.h"

#define F(field) offsetof(struct hub_conf, field)
#define LEN(field) (sizeof ((struct hub_conf *)0)->field - 1)

const struct cps_config_key hub_conf_keys[] = {
    { "hub", "dir", "--dir", CPS_CONFIG_PATH, 0, LEN(dir), F(dir),
      "the hub's data directory (every command)" },
    { "hub", "listen", "--listen", CPS_CONFIG_ENDPOINT, 0, LEN(listen), F(listen),
      "where the hub listens, e.g. tcp://0.0.0.0:7700 (init records it; run may override)" },
    { "hub", "key", "--key", CPS_CONFIG_PATH, 0, LEN(key), F(key),
      "the hub's key file, mode 0600, owned by the hub's user (init)" },
    { "hub", "roster", "--roster", CPS_CONFIG_PATH, 0, LEN(roster), F(roster),
      "the roster signed by the programme key (init)" },
    { "hub", "programme_key", "--programme-key", CPS_CONFIG_STRING, 0, LEN(programme_key),
      F(programme_key), "the programme's verifier key, cps-keys pub --vkey (init)" },
    { "log", "level", "--log-level", CPS_CONFIG_LEVEL, 0, 0, F(log_level),
      "err, warn, info or debug (run; SIGHUP reloads it)" },
    { "log", "syslog", "--syslog", CPS_CONFIG_BOOL, 0, 0, F(syslog),
      "log to syslog instead of stderr (run)" },
    { "store", "map_size_mib", "--map-size", CPS_CONFIG_UINT, 1, 1u << 24, F(map_size_mib),
      "grow the LMDB map to this many MiB (run; default: as the store has it, 8192 at init)" },
    { "checkpoint", "entries", "--checkpoint-entries", CPS_CONFIG_UINT, 1, UINT32_MAX,
      F(checkpoint_entries), "sign a checkpoint once this many entries are uncovered (run)" },
    { "checkpoint", "interval_ms", "--checkpoint-ms", CPS_CONFIG_UINT, 0, 86400000,
      F(checkpoint_ms), "also sign this long after the first uncovered entry, 0: no timer (run)" },
    { "status", "stale_after", "--stale-after", CPS_CONFIG_UINT, 1, 315360000, F(stale_after),
      "seconds before a silent or stuck partner counts as stalled (status, metrics)" },
};
const size_t hub_conf_n_keys = sizeof hub_conf_keys / sizeof hub_conf_keys[0];
const struct cps_cli_config_role hub_conf_role = {
    .prog = HUB_PROG, .env = HUB_CONF_ENV, .default_path = HUB_CONF_DEFAULT,
    .file_name = "hub.conf", .keys = hub_conf_keys,
    .n_keys = sizeof hub_conf_keys / sizeof hub_conf_keys[0],
};

static const char *const level_names[] = { "err", "warn", "info", "debug" };

/* The configuration in force in this process, for hub_dir and the reload. */
static struct hub_conf active;
static bool active_loaded, level_pinned;

void
hub_conf_defaults(struct hub_conf *cf)
{
    memset(cf, 0, sizeof *cf);
    cf->log_level = CPS_LOG_INFO;
    cf->checkpoint_entries = 1;
    cf->stale_after = HUB_STALE_DEFAULT;
}

int
hub_conf_load(struct hub_conf *cf, int argc, char **argv, const char *shortopts,
              const struct option *longopts, const char *prog)
{
    const char *given, *e;
    bool seen[256];

    hub_conf_defaults(cf);
    cps_config_scan_args(argc, argv, shortopts, longopts, 'C', &given, seen);
    if (cps_cli_config_load(&hub_conf_role, given, cf, cf->path, sizeof cf->path, prog) != 0)
        return CPS_EXIT_USAGE;
    /* precedence: --dir, then $CPS_HUB_DIR, then the file */
    if ((e = getenv(HUB_DIR_ENV)) != NULL && *e != 0)
        cf->dir[0] = 0;
    cps_log_level = cf->log_level;
    level_pinned = seen['l'];
    active = *cf;
    active_loaded = true;
    return -1;
}

const char *
hub_conf_dir(void)
{
    struct hub_conf cf;
    const char *path;
    unsigned problems;

    if (!active_loaded) {
        /* a command without --config: the default file, if any, for its dir only */
        hub_conf_defaults(&active);
        active_loaded = true;
        if ((path = cps_cli_config_path(&hub_conf_role, NULL)) != NULL) {
            hub_conf_defaults(&cf);
            if (cps_config_read(path, hub_conf_keys, hub_conf_n_keys, &cf, NULL, NULL,
                                &problems) == 0)
                active = cf;
        }
    }
    return active.dir[0] != 0 ? active.dir : NULL;
}

void
hub_conf_reload(void)
{
    struct hub_conf cf;
    unsigned problems;
    int rc;

    if (!active_loaded || active.path[0] == 0) {
        cps_log(CPS_LOG_INFO, "reload: no configuration file; roster changes take effect "
                              "as they are logged");
        return;
    }
    hub_conf_defaults(&cf);
    if ((rc = cps_cli_config_read(&hub_conf_role, active.path, &cf, NULL, &problems)) != 0) {
        cps_log(CPS_LOG_ERR, "reload: %s: %s; nothing changed", active.path,
                rc == CPS_EMALFORMED ? "problems above" : cps_strerror(rc));
        return;
    }
    if (!level_pinned)
        cps_log_level = cf.log_level;
    cps_log(CPS_LOG_INFO, "reload: config=%s log_level=%s%s; other settings take effect at "
                          "the next start, roster changes as they are logged",
            active.path, level_names[cps_log_level & 3],
            level_pinned ? " (--log-level given: kept)" : "");
    snprintf(cf.path, sizeof cf.path, "%s", active.path);
    cf.log_level = cps_log_level;
    active = cf;
}
