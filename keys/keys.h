/* SPDX-License-Identifier: ISC */
/*
 * Shared by the cps-keys subcommands only: exit codes, the one-line error reporter, option
 * error handling, and whole-file reading and atomic writing of roster texts. Everything
 * cryptographic goes through libcps (crypto, note, roster); nothing here sees a secret.
 */
#ifndef CPS_KEYS_KEYS_H
#define CPS_KEYS_KEYS_H

#include <stddef.h>
#include <stdio.h>

#define EXIT_DONE 0  /* done / verified */
#define EXIT_NO 1    /* the answer is no: not valid, refused */
#define EXIT_USAGE 2 /* could not run: usage, unreadable file, bad key file */

#define TEXT_MAX (4u << 20) /* a roster is at most 4 MiB, as cps_roster_load() reads */

int cmd_gen_main(int argc, char **argv);
int cmd_pub_main(int argc, char **argv);
int cmd_roster_main(int argc, char **argv);

/* "cps-keys <cmd>: <message>\n" on stderr. */
void keys_err(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * After getopt_long returned '?' or ':' (optstring starts with ':'): name the problem on
 * stderr, print usage there too, return EXIT_USAGE.
 */
int keys_bad_option(const char *cmd, int c, char **argv, void (*usage)(FILE *));

/* Read path ("-": stdin), at most TEXT_MAX bytes; *out malloc'd and NUL-terminated.
 * Returns 0, -errno, or CPS_ETOOBIG. */
int keys_read_text(const char *path, char **out, size_t *len);

/* Replace path ("-": stdout) by data atomically: temp file in the same folder, fsync, rename;
 * mode 0644. Returns 0 or -errno. */
int keys_write_atomic(const char *path, const char *data, size_t len);

/* Create path ("-": stdout) that must not exist yet (O_EXCL), mode 0644. 0 or -errno. */
int keys_write_new(const char *path, const char *data, size_t len);

#endif
