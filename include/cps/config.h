/* SPDX-License-Identifier: ISC */
/*
 * config: the daemons' configuration files. INI text (parsed by inih), checked against one
 * table per program that names, for every key, its section, type, range, the command-line
 * option that also sets it, and where its value goes in the program's settings struct.
 *
 * The module parses and checks; it never prints. Every problem of a file (a line that is
 * neither "[section]" nor "key = value", an unknown section or key, a key given twice, a
 * bad value) goes to the caller's report function with the file's line number, and parsing
 * goes on, so one run names every problem. The precedence (command line over file over
 * defaults) is the caller's: it reads the file first, then lets the options overwrite.
 */
#ifndef CPS_CONFIG_H
#define CPS_CONFIG_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cps/err.h"

enum cps_config_type {
    CPS_CONFIG_STRING,   /* printable text of 1..max bytes */
    CPS_CONFIG_PATH,     /* an absolute path of at most max bytes */
    CPS_CONFIG_ENDPOINT, /* tcp://HOST:PORT or ipc://PATH, at most max bytes */
    CPS_CONFIG_UINT,     /* an unsigned decimal in [min, max] */
    CPS_CONFIG_BOOL,     /* true/false, yes/no, on/off, 1/0 */
    CPS_CONFIG_LEVEL,    /* a log level: err, warn, info, debug */
};

/*
 * One key of a configuration file. offset locates the value in the caller's settings
 * struct: a uint64_t (UINT), a bool (BOOL), an int (LEVEL), or a char array of at least
 * max + 1 bytes (STRING, PATH, ENDPOINT).
 */
struct cps_config_key {
    const char *section;
    const char *name;
    const char *option;   /* the command-line option that sets it too (and wins) */
    enum cps_config_type type;
    uint64_t min, max;    /* UINT: the inclusive range; text types: max is the longest */
    size_t offset;
    const char *help;     /* one line: what it is, and when it is read */
};

/* A problem found at line (1-based) of the file at path. */
typedef void (*cps_config_report_fn)(void *arg, const char *path, unsigned line,
                                     const char *msg);

/*
 * Set key in conf from text, checked by its type and range; from_file says whether text
 * comes from a file (paths must then be absolute: a daemon's working directory is "/").
 * Returns 0, or CPS_EMALFORMED with why saying what was expected.
 */
CPS_MUST_CHECK int cps_config_set(const struct cps_config_key *key, void *conf, const char *text,
                                  bool from_file, char *why, size_t why_len);

/*
 * Read the INI file at path and set every key it gives in conf through table (n keys),
 * calling report(arg, ...) once per problem. *problems receives their number. Returns 0
 * (no problem), CPS_EMALFORMED (problems, all reported), or -errno when the file cannot
 * be read (nothing reported).
 */
CPS_MUST_CHECK int cps_config_read(const char *path, const struct cps_config_key *table,
                                   size_t n, void *conf, cps_config_report_fn report,
                                   void *arg, unsigned *problems);

/* The key of table named "section.name" or "name" (the first of that name); NULL if none. */
const struct cps_config_key *cps_config_find(const struct cps_config_key *table, size_t n,
                                             const char *name);

/*
 * Scan argv with the caller's getopt_long options, without reporting anything, before its
 * own loop: *config receives the argument of the option whose val is config_val (NULL when
 * absent), and given[c] is set for every option character c that appears (given has 256
 * entries). Leaves optind ready for the caller's loop.
 */
void cps_config_scan_args(int argc, char **argv, const char *shortopts,
                          const struct option *longopts, int config_val, const char **config,
                          bool given[256]);

/* The value of key in conf as text, into buf. */
void cps_config_format(const struct cps_config_key *key, const void *conf, char *buf,
                       size_t buf_len);

/*
 * Write conf as a configuration file to f: every section of table with each key's help
 * as a comment and its value ("key = value"; a text key without a value commented out).
 * Returns 0 or -errno.
 */
CPS_MUST_CHECK int cps_config_write(FILE *f, const struct cps_config_key *table, size_t n,
                                    const void *conf);

#endif
