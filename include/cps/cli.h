/* SPDX-License-Identifier: ISC */
/*
 * cli: the few helpers every binary's edge shares — error lines, the command table, reading
 * and writing a small file, the data directory of cps-node and cps-hub, parsing numbers and
 * log levels. Only binaries call these; the library modules never print.
 */
#ifndef CPS_CLI_H
#define CPS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cps/err.h"
#include "cps/export.h"

struct cps_keys;
struct cps_roster;
struct cps_store;
struct json_t; /* jansson's json_t */

/* A data directory holds the store (data.mdb) and the signed roster as received. */
#define CPS_CLI_ROSTER_FILE "roster.txt"
#define CPS_CLI_ROSTER_MAX (4u << 20) /* bytes, as cps_roster_load() reads */

/* A subcommand of a binary's command table. */
struct cps_cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

/* Exit codes (STYLE.md §6). */
enum { CPS_EXIT_OK = 0, CPS_EXIT_NO = 1, CPS_EXIT_USAGE = 2 };

/* "prog: <message>\n" on stderr. */
void cps_cli_error(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Dispatch argv[1] to the table; prints the table for --help/-h/help (exit 0) and for an
 * unknown command (exit 2). */
int cps_cli_dispatch(const char *prog, const char *about, const struct cps_cli_command *cmds,
                     size_t n_cmds, int argc, char **argv);

/* Read a whole file ("-" = stdin), at most max bytes, NUL-terminated. Returns 0, -errno or
 * CPS_ETOOBIG. */
CPS_MUST_CHECK int cps_cli_read_file(const char *path, size_t max, char **out, size_t *out_len);

/* Write data to path atomically (temp file in the same folder, fsync, rename), mode 0644
 * or 0600; "-" = stdout. Returns 0 or -errno. */
CPS_MUST_CHECK int cps_cli_write_file(const char *path, const void *data, size_t len,
                                      unsigned mode);

/* Create path, which must not exist yet (O_EXCL, not through a symlink), with mode and data,
 * fsync'd; "-" = stdout. Nothing is left behind on failure. Returns 0, -EEXIST or -errno. */
CPS_MUST_CHECK int cps_cli_write_new(const char *path, const void *data, size_t len, unsigned mode);

/* dir given on the command line, else $env, else def. */
const char *cps_cli_dir(const char *given, const char *env, const char *def);

/* Parse an unsigned decimal in [min, max]; false when not. */
bool cps_cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v);

/* Make path absolute (relative to the cwd) into out; returns 0 or -errno / -ENAMETOOLONG. */
CPS_MUST_CHECK int cps_cli_abspath(const char *path, char *out, size_t out_len);

/*
 * Parse the options the subcommands that read a data directory share: -d/--dir DIR into
 * *dir (left as is when not given), -h/--help and, when filter is not NULL, the export
 * options --format ndjson|csv (into *fmt), --collection, --partner, --country, --area and
 * --period (into *filter; country, area and period are checked for their form).
 * --help prints usage_text on stdout; misuse prints it on stderr. Returns -1 to go on
 * (operands from argv[optind], for the caller to check), or the exit code to return.
 */
CPS_MUST_CHECK int cps_cli_parse_dir_opts(int argc, char **argv, const char *prog,
                                          const char *usage_text, const char **dir,
                                          struct cps_export_filter *filter,
                                          enum cps_export_format *fmt);

/* Set cps_log_level from a --log-level argument (err, warn, info, debug); false, with the
 * reason on stderr as "prog: ...", when arg names no level. */
bool cps_cli_parse_log_level(const char *prog, const char *arg);

/* A millisecond timestamp as a new JSON string in ISO 8601 UTC (2016-09-30T12:00:00Z), or
 * JSON null for 0. The caller owns the reference. */
struct json_t *cps_cli_json_time(uint64_t ms);

/*
 * For init: read the roster text at path ("-" = stdin, at most CPS_CLI_ROSTER_MAX bytes)
 * and verify it against the pinned verifier key vkey. On success *roster and *text (the
 * bytes as read, NUL-terminated, *text_len long) are the caller's to free. Otherwise prints
 * "prog: path: why" and returns CPS_EXIT_USAGE (unreadable) or CPS_EXIT_NO (not valid),
 * with nothing to free.
 */
CPS_MUST_CHECK int cps_cli_roster_read(const char *prog, const char *path, const char *vkey,
                                       struct cps_roster **roster, char **text, size_t *text_len);

/*
 * For init: create the data directory abs_dir (mode 0700; an existing one without a store
 * is fine), refuse one that already holds a store, and write the roster text into it.
 * Prints the reason as "prog: ..."; returns CPS_EXIT_OK, CPS_EXIT_NO (already initialised)
 * or CPS_EXIT_USAGE.
 */
CPS_MUST_CHECK int cps_cli_dir_create(const char *prog, const char *abs_dir,
                                      const char *roster_text, size_t roster_len);

/*
 * Open the store of an initialised data directory: initialises libsodium, makes dir absolute
 * into abs_dir, refuses a directory without a store ("not a <what> directory (run '<prog>
 * init' first)") and opens the store (default map size, cps_store_open_flags' flags) into
 * *st. Returns 0 or an error, with err saying why and *st NULL.
 */
CPS_MUST_CHECK int cps_cli_dir_open(struct cps_store **st, char *abs_dir, size_t abs_dir_len,
                                    const char *dir, const char *what, unsigned store_flags,
                                    const char *prog, char *err, size_t err_len);

/*
 * Load the data directory's roster, verified against the pinned verifier key vkey, into
 * *roster and, when keys is not NULL, the key file key_path into *keys; the caller frees
 * both. Returns 0, or an error with err saying why and nothing loaded.
 */
CPS_MUST_CHECK int cps_cli_dir_load(struct cps_roster **roster, struct cps_keys **keys,
                                    const char *abs_dir, const char *vkey, const char *key_path,
                                    char *err, size_t err_len);

/* One binary's configuration file, for its `config check|show` subcommand. */
struct cps_cli_config_role {
    const char *prog;         /* "cps-hub" */
    const char *env;          /* the variable naming the file: "CPS_HUB_CONFIG" */
    const char *default_path; /* read when it exists: "/etc/cps/hub.conf" */
    const char *file_name;    /* in the examples: "hub.conf" */
    const struct cps_config_key *keys;
    size_t n_keys;
};

/* The file to read: given, else $env, else default_path when it exists; NULL: none. */
const char *cps_cli_config_path(const struct cps_cli_config_role *role, const char *given);

/*
 * Read the file at path into conf, reporting each problem as "prog: FILE:LINE: problem" on
 * stderr or, with prog NULL, as an error log line "config: FILE:LINE: problem". Returns as
 * cps_config_read does.
 */
CPS_MUST_CHECK int cps_cli_config_read(const struct cps_cli_config_role *role, const char *path,
                                       void *conf, const char *prog, unsigned *problems);

/*
 * At a command's start: the file to read (given, as cps_cli_config_path) into conf, its
 * path copied into path (path_len bytes; "" when there is none). Every problem is printed
 * as prog's. Returns 0 (read, or no file), or CPS_EXIT_USAGE.
 */
CPS_MUST_CHECK int cps_cli_config_load(const struct cps_cli_config_role *role,
                                       const char *given, void *conf, char *path,
                                       size_t path_len, const char *prog);

/*
 * `PROG config check|show [--config FILE]` (argv[0] is "config"): check reports every
 * problem of FILE as FILE:LINE (exit 1 when any); show writes the settings FILE gives over
 * the defaults (conf holds them) as a complete configuration file on stdout.
 */
int cps_cli_config_main(const struct cps_cli_config_role *role, void *conf, int argc,
                        char **argv);

#endif
