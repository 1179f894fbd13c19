/* SPDX-License-Identifier: ISC */
/*
 * cli: the few helpers every binary's edge shares — error lines, reading a small file,
 * choosing a data directory, parsing numbers. Only binaries call these; the library
 * modules never print.
 */
#ifndef CPS_CLI_H
#define CPS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cps/err.h"

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
 * or 0600. Returns 0 or -errno. */
CPS_MUST_CHECK int cps_cli_write_file(const char *path, const void *data, size_t len,
                                      unsigned mode);

/* dir given on the command line, else $env, else def. */
const char *cps_cli_dir(const char *given, const char *env, const char *def);

/* Parse an unsigned decimal in [min, max]; false when not. */
bool cps_cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v);

/* Make path absolute (relative to the cwd) into out; returns 0 or -errno / -ENAMETOOLONG. */
CPS_MUST_CHECK int cps_cli_abspath(const char *path, char *out, size_t out_len);

#endif
