/* SPDX-License-Identifier: ISC */
/*
 * Operating a node: its configuration file (conf.c) and what the daemon re-reads on
 * SIGHUP (node.c).
 */
#ifndef CPS_NODE_OPS_H
#define CPS_NODE_OPS_H

#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "cps/config.h"
#include "node.h"

#define NODE_CONF_ENV "CPS_NODE_CONFIG"
#define NODE_CONF_DEFAULT "/etc/cps/node.conf"
#define NODE_STALE_DEFAULT 3600 /* seconds */
#define NODE_WINDOW_DEFAULT 64

/* Settings of the node's configuration file (docs/OPERATIONS.md lists them). */
struct node_conf {
    char path[PATH_MAX];                   /* the file read ("" when none) */
    char dir[PATH_MAX];                    /* [node] dir */
    char hub[256];                         /* [node] hub */
    char key[PATH_MAX];                    /* [node] key (init) */
    char roster[PATH_MAX];                 /* [node] roster (init) */
    char programme_key[CPS_NOTE_VKEY_MAX]; /* [node] programme_key (init) */
    char partner[CPS_WIRE_ID_MAX];         /* [node] partner (init) */
    uint64_t window;                       /* [sync] window */
    bool replica;                          /* [sync] replica */
    int log_level;                         /* [log] level */
    bool syslog;                           /* [log] syslog */
    uint64_t map_size_mib;                 /* [store] map_size_mib (0: as the store has it) */
    uint64_t stale_after;                  /* [status] stale_after, seconds */
};

extern const struct cps_config_key node_conf_keys[];
extern const size_t node_conf_n_keys;
/* the configuration file: its keys, variable and default path */
extern const struct cps_cli_config_role node_conf_role;

void node_conf_defaults(struct node_conf *cf);

/*
 * For a subcommand, before its getopt loop (whose table gives --config the value 'C'):
 * read the configuration file — --config FILE, else $CPS_NODE_CONFIG, else
 * /etc/cps/node.conf when it exists — into *cf over the defaults, print every problem as
 * "prog: FILE:LINE: problem", and put its log level in force. Returns -1 to go on, or the
 * exit code to return (2).
 */
int node_conf_load(struct node_conf *cf, int argc, char **argv, const char *shortopts,
                   const struct option *longopts, const char *prog);

/* An option of the command line that is also a key (e.g. "--hub"): checked by the key's
 * type into *cf. False, with the reason printed as "prog: ...", when the value is bad. */
bool node_conf_set_arg(struct node_conf *cf, const char *option, const char *value,
                       const char *prog);

/* After the options: the hub endpoint and map size of *cf are used by node_open from now
 * on (over what init recorded). */
void node_conf_apply(const struct node_conf *cf);

/* What node_open takes over the store's settings, once node_conf_apply ran: the hub
 * endpoint (NULL: the one init recorded) and the map size in MiB (0: the store's). */
const char *node_conf_hub(void);
uint64_t node_conf_map_mib(void);

/* On SIGHUP: the log level from the file again (unless --log-level gave one). Logs. */
void node_conf_reload(void);

/* The [node] dir of the configuration in force (loaded, or the default file), or NULL. */
const char *node_conf_dir(void);

/*
 * On SIGHUP: load the roster file and the key file the store now names (a rekey changes
 * both) and check that the key is the roster's for this partner; only then replace n's.
 * The hub endpoint is read again too. Returns 0, or an error with err saying why and n
 * unchanged.
 */
int node_reload(struct node *n, char *err, size_t err_len);

#endif
