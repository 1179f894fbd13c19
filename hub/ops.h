/* SPDX-License-Identifier: ISC */
/*
 * Operating the hub: its configuration file (conf.c), the health of each partner's sync
 * that status and metrics report (health.c), and the checks that a store is not in use
 * before it is replaced (backup.c).
 */
#ifndef CPS_HUB_OPS_H
#define CPS_HUB_OPS_H

#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "cps/config.h"
#include "hub.h"

#define HUB_CONF_ENV "CPS_HUB_CONFIG"
#define HUB_CONF_DEFAULT "/etc/cps/hub.conf"
#define HUB_STALE_DEFAULT 3600 /* seconds */
/* Meta name set by restore and cleared by recover: while set, hub_open with keys refuses
 * (no run, programme or checkpoint signs or logs anything before the recovery). */
#define HUB_RESTORE_PENDING "restore_pending"

/* Settings of the hub's configuration file (docs/OPERATIONS.md lists them). */
struct hub_conf {
    char path[PATH_MAX];                  /* the file read ("" when none) */
    char dir[PATH_MAX];                   /* [hub] dir */
    char listen[256];                     /* [hub] listen */
    char key[PATH_MAX];                   /* [hub] key (init) */
    char roster[PATH_MAX];                /* [hub] roster (init) */
    char programme_key[CPS_NOTE_VKEY_MAX]; /* [hub] programme_key (init) */
    int log_level;                        /* [log] level */
    bool syslog;                          /* [log] syslog */
    uint64_t map_size_mib;                /* [store] map_size_mib (0: as the store has it) */
    uint64_t checkpoint_entries;          /* [checkpoint] entries */
    uint64_t checkpoint_ms;               /* [checkpoint] interval_ms */
    uint64_t stale_after;                 /* [status] stale_after, seconds */
};

extern const struct cps_config_key hub_conf_keys[];
extern const size_t hub_conf_n_keys;
/* the configuration file: its keys, variable and default path */
extern const struct cps_cli_config_role hub_conf_role;

void hub_conf_defaults(struct hub_conf *cf);

/*
 * For a subcommand, before its getopt loop (whose table gives --config the value 'C'):
 * read the configuration file — --config FILE, else $CPS_HUB_CONFIG, else
 * /etc/cps/hub.conf when it exists — into *cf over the defaults, print every problem as
 * "prog: FILE:LINE: problem", and put its log level in force. The command line then
 * overwrites what it gives. Returns -1 to go on, or the exit code to return (2).
 */
int hub_conf_load(struct hub_conf *cf, int argc, char **argv, const char *shortopts,
                  const struct option *longopts, const char *prog);

/* On SIGHUP: read the file again and put its log level in force (unless --log-level gave
 * one); a file with problems changes nothing. Logs what it did. */
void hub_conf_reload(void);

/* The [hub] dir of the configuration in force (loaded, or the default file), or NULL. */
const char *hub_conf_dir(void);

/* One partner's sync health at now_ms (health.c). */
struct hub_health {
    struct cps_pstate ps;
    uint64_t moved_ms;    /* when its last update was logged (0: never) */
    uint64_t since_ms;    /* what "not seen" counts from: last seen, else the log's start */
    bool seen;
    bool stalled;
    char reason[160];     /* why stalled ("" when not) */
};

/*
 * The health of partner p (an entry of the roster in force) inside txn: stalled when it
 * is active and either has not been seen for stale_s seconds (counted from the log's
 * first entry when never seen), or was seen after its last logged update reporting queued
 * updates and its seq has not moved for stale_s seconds. Returns 0 or a store error.
 */
int hub_health_get(struct cps_txn *txn, const struct cps_roster_partner *p, uint64_t now_ms,
                   uint64_t stale_s, struct hub_health *out);

/*
 * Whether a process has the store in dir open: 0 when none has (and, with hold, none
 * can open it until hub_store_release: a hub starting meanwhile waits), CPS_EBUSY when
 * one has (stop the hub first), or -errno. *fd receives the lock's descriptor (-1: none).
 */
int hub_store_claim(const char *dir, bool hold, int *fd);
void hub_store_release(int *fd);

#endif
