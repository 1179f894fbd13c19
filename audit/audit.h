/* SPDX-License-Identifier: ISC */
/*
 * cps-audit internals: the bundle as read from disk (bundle.c), the pool that checks entry
 * signatures ahead of the replay (sigpool.c), the one verification that verify and replay
 * share (check.c), and small helpers of the edge (util.c). The subcommands are in
 * cmd_verify.c and cmd_proofs.c.
 */
#ifndef CPS_AUDIT_H
#define CPS_AUDIT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cps/replay.h"
#include "cps/roster.h"
#include "cps/store.h"
#include "cps/tlog.h"
#include "cps/wire.h"

#define AUDIT_PROG "cps-audit"

/* Largest entry we accept from entries.bin: a maximal signed update and its framing. */
#define AUDIT_ENTRY_MAX ((uint32_t)CPS_WIRE_MAX_FRAME)

/* Bundle file names (hub/cmd_audit.c writes them). */
#define AUDIT_ROSTER_FILE "roster.txt"
#define AUDIT_PROGRAMME_VKEY_FILE "programme.vkey"
#define AUDIT_HUB_VKEY_FILE "hub.vkey"
#define AUDIT_ENTRIES_FILE "entries.bin"
#define AUDIT_CHECKPOINTS_FILE "checkpoints.txt"

/* entries.bin, mapped read-only, and where each entry lies in it. */
struct audit_entries {
    const uint8_t *map; /* the whole file (NULL when empty) */
    size_t map_len;
    size_t n;
    uint64_t *off; /* n offsets of the entry bytes (past the length prefix) */
    uint32_t *len; /* n lengths */
};

/* One checkpoint of checkpoints.txt, still unverified: where its note lies in the text. */
struct audit_note {
    size_t at; /* byte offset of its "checkpoint <bytes>" line */
    const char *note;
    size_t note_len;
};

/*
 * Map dir/entries.bin and index its entries. Returns 0; -errno when it cannot be read; or
 * CPS_EMALFORMED with err saying where the framing breaks ("truncated at byte N ...").
 * Free with audit_entries_free().
 */
int audit_entries_load(struct audit_entries *e, const char *dir, char *err, size_t err_len);
void audit_entries_free(struct audit_entries *e);

/*
 * Split the text of checkpoints.txt ("checkpoint <bytes>\n" + that many bytes, repeated)
 * into *notes (malloc'd, *n of them; they point into text). Returns 0, -ENOMEM, or
 * CPS_EMALFORMED with err naming the byte where the framing breaks.
 */
int audit_notes_split(struct audit_note **notes, size_t *n, const char *text, size_t len, char *err,
                      size_t err_len);

/* Signature checks of the entries, ahead of the sequential replay. */
struct audit_sigpool;

/*
 * Start jobs threads (0: none) verifying the Ed25519 signature of every entry of ents with
 * its partner's key from roster, in chunks, in order. Both must outlive the pool.
 * Returns 0 or -errno / -ENOMEM.
 */
int audit_sigpool_start(struct audit_sigpool **out, const struct audit_entries *ents,
                        const struct cps_roster *roster, unsigned jobs);
/*
 * Whether entry i's signature was verified by the pool: waits while a thread is on it;
 * false when it did not verify, could not be decoded, or nobody has reached it yet (then the
 * caller checks it itself). Call with i increasing.
 */
/* Whether entry i's signature verified (waiting for its chunk if a worker has it); if so,
 * *pre receives what the worker computed from the entry (valid until the pool is freed)
 * and *lanes the digest lanes, the caller's to free. */
bool audit_sigpool_take(struct audit_sigpool *p, size_t i, struct cps_replay_pre *pre,
                       uint16_t **lanes);
/* Stop and join the threads, free the pool; NULL-safe, sets *p to NULL. */
void audit_sigpool_free(struct audit_sigpool **p);

/* How to run the bundle verification. */
struct audit_opts {
    const char *prog;          /* "cps-audit verify": the prefix of error lines */
    const char *dir;           /* the bundle */
    const char *programme_key; /* trust anchor; NULL: the bundle's own programme.vkey */
    unsigned jobs;             /* signature threads */
};

/* What a verified bundle holds. */
struct audit_result {
    uint64_t entries, partners, accepted, rejected, records;
    uint64_t checkpoints, covered; /* covered: size of the last checkpoint */
    uint8_t root[CPS_TLOG_HASH_BYTES];
    uint8_t dataset[CPS_TLOG_HASH_BYTES];
    struct cps_roster *roster;
    struct cps_store *st; /* the replayed log and dataset (hub databases), read-only use */
    char tmpdir[PATH_MAX];
};

/*
 * Verify the bundle o->dir (see cmd_verify.c for what is checked) by replaying it into a
 * temporary store. Prints every problem as one "prog: where: why" line on stderr and
 * returns the exit code: CPS_EXIT_OK (r filled, r->st open), CPS_EXIT_NO (the bundle does
 * not verify) or CPS_EXIT_USAGE (could not run). Always release r with audit_result_free().
 */
int audit_verify(const struct audit_opts *o, struct audit_result *r);

/* Close the store and remove the temporary directory; safe on a zeroed or freed r. */
void audit_result_free(struct audit_result *r);

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void audit_hex(char *out, const uint8_t *b, size_t n);
/* Parse exactly 2n hex digits; false when s is not that. */
bool audit_unhex(uint8_t *out, size_t n, const char *s, size_t s_len);
/* Replace control bytes (< 0x20, 0x7f) in s by '?', in place: text from a bundle is not
 * trusted to be printable. Returns s. */
char *audit_printable(char *s);
/* Copy s without trailing white space into out (out_len bytes); false when it does not
 * fit. For keys given as "$(cat file.vkey)" or read from a file. */
bool audit_trim(char *out, size_t out_len, const char *s, size_t s_len);

#endif
