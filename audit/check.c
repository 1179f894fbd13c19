/* SPDX-License-Identifier: ISC */
/*
 * The verification of an audit bundle, shared by verify and replay. The trust anchor is the
 * programme's verifier key; from it the roster, from the roster the partners' keys and the
 * hub's, from those every entry and every checkpoint. The log is rebuilt entry by entry
 * through cps_replay_entry (the hub's own append path) into a temporary store, and at each
 * checkpoint's size the rebuilt Merkle root and dataset digest must be the signed ones.
 * Checks stop at the first failure: what follows a bad entry has no meaning.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "cps/apply.h"
#include "cps/cli.h"
#include "cps/crypto.h"
#include "cps/replay.h"

#define COMMIT_EVERY 4096                   /* entries per write transaction */
#define CHECKPOINTS_MAX ((size_t)256 << 20) /* bytes of checkpoints.txt we read */

/* The temporary store's files, for the signal handler to remove (async-signal-safe). */
static char tmp_dir[PATH_MAX], tmp_data[PATH_MAX + 16], tmp_lock[PATH_MAX + 16];

static void
remove_tmp(void)
{
    if (tmp_dir[0] == 0)
        return;
    unlink(tmp_data);
    unlink(tmp_lock);
    rmdir(tmp_dir);
}

static void
on_signal(int sig)
{
    remove_tmp();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void
catch_signals(void (*handler)(int))
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
    struct sigaction sa;
    size_t i;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
}

/* A new empty store in a new folder under $TMPDIR, removed by audit_result_free. */
static int
tmp_store(struct audit_result *r, size_t map_size)
{
    const char *base = getenv("TMPDIR");

    if (base == NULL || *base == 0)
        base = "/tmp";
    if ((size_t)snprintf(r->tmpdir, sizeof r->tmpdir, "%s/cps-audit-XXXXXX", base) >=
        sizeof r->tmpdir)
        return -ENAMETOOLONG;
    if (mkdtemp(r->tmpdir) == NULL) {
        r->tmpdir[0] = 0;
        return -errno;
    }
    snprintf(tmp_data, sizeof tmp_data, "%s/data.mdb", r->tmpdir);
    snprintf(tmp_lock, sizeof tmp_lock, "%s/lock.mdb", r->tmpdir);
    strcpy(tmp_dir, r->tmpdir);
    catch_signals(on_signal);
    /* thrown away after the run, whatever happens: nothing to sync */
    return cps_store_open_flags(&r->st, r->tmpdir, map_size,
                                CPS_STORE_WRITEMAP | CPS_STORE_SCRATCH);
}

void
audit_result_free(struct audit_result *r)
{
    cps_store_close(&r->st);
    cps_roster_free(&r->roster);
    if (r->tmpdir[0] != 0) {
        catch_signals(SIG_DFL);
        remove_tmp();
        tmp_dir[0] = 0;
        r->tmpdir[0] = 0;
    }
}

/* The programme key: given, or the bundle's own (with a warning: it proves nothing). */
static int
programme_key(const struct audit_opts *o, char vkey[CPS_NOTE_VKEY_MAX])
{
    struct cps_note_verifier v;
    char path[PATH_MAX], bundled[CPS_NOTE_VKEY_MAX], *text = NULL;
    size_t len;
    int rc;

    snprintf(path, sizeof path, "%s/" AUDIT_PROGRAMME_VKEY_FILE, o->dir);
    if (o->programme_key != NULL) {
        if (!audit_trim(vkey, CPS_NOTE_VKEY_MAX, o->programme_key, strlen(o->programme_key)) ||
            cps_note_vkey_parse(&v, vkey) != 0) {
            cps_cli_error(o->prog, "--programme-key: not a verifier key (name+id+base64)");
            return CPS_EXIT_USAGE;
        }
        if (cps_cli_read_file(path, CPS_NOTE_VKEY_MAX, &text, &len) == 0 &&
            (!audit_trim(bundled, sizeof bundled, text, len) || strcmp(bundled, vkey) != 0))
            cps_cli_error(o->prog, "warning: " AUDIT_PROGRAMME_VKEY_FILE " of the bundle is "
                                   "another key than --programme-key: --programme-key is used");
        free(text);
        return CPS_EXIT_OK;
    }
    if ((rc = cps_cli_read_file(path, CPS_NOTE_VKEY_MAX, &text, &len)) != 0) {
        cps_cli_error(o->prog, "%s: %s (give the programme key with --programme-key)", path,
                      cps_strerror(rc));
        return CPS_EXIT_USAGE;
    }
    rc = audit_trim(vkey, CPS_NOTE_VKEY_MAX, text, len) && cps_note_vkey_parse(&v, vkey) == 0;
    free(text);
    if (!rc) {
        cps_cli_error(o->prog, AUDIT_PROGRAMME_VKEY_FILE ": not a verifier key");
        return CPS_EXIT_NO;
    }
    cps_cli_error(o->prog,
                  "warning: the programme key comes from the bundle itself (%s): "
                  "this checks that the bundle is consistent, not who made it; pass "
                  "--programme-key obtained independently",
                  path);
    return CPS_EXIT_OK;
}

static int
load_roster(const struct audit_opts *o, const char *vkey, struct cps_roster **roster)
{
    char path[PATH_MAX], why[512], *text = NULL;
    size_t len;
    int rc;

    snprintf(path, sizeof path, "%s/" AUDIT_ROSTER_FILE, o->dir);
    if ((rc = cps_cli_read_file(path, CPS_CLI_ROSTER_MAX, &text, &len)) != 0) {
        cps_cli_error(o->prog, "%s: %s", path, cps_strerror(rc));
        return CPS_EXIT_USAGE;
    }
    why[0] = 0;
    rc = cps_roster_verify(roster, text, len, vkey, why, sizeof why);
    free(text);
    if (rc == -ENOMEM) {
        cps_cli_error(o->prog, AUDIT_ROSTER_FILE ": %s", cps_strerror(rc));
        return CPS_EXIT_USAGE;
    }
    if (rc != 0) {
        if (why[0] == 0)
            snprintf(why, sizeof why, "%s", cps_strerror(rc));
        cps_cli_error(o->prog, AUDIT_ROSTER_FILE ": %s", audit_printable(why));
        return CPS_EXIT_NO;
    }
    return CPS_EXIT_OK;
}

/* hub.vkey is there for checking receipts (cps-audit inclusion): it must be the roster's. */
static int
check_hub_vkey(const struct audit_opts *o, const struct cps_roster *roster)
{
    struct cps_note_verifier v;
    char path[PATH_MAX], want[CPS_NOTE_VKEY_MAX], got[CPS_NOTE_VKEY_MAX], *text = NULL;
    size_t len;
    bool same;
    int rc;

    snprintf(path, sizeof path, "%s/" AUDIT_HUB_VKEY_FILE, o->dir);
    if ((rc = cps_cli_read_file(path, CPS_NOTE_VKEY_MAX, &text, &len)) == -ENOENT)
        return CPS_EXIT_OK; /* not needed to verify the bundle */
    cps_replay_hub_verifier(roster, &v);
    same = rc == 0 && audit_trim(got, sizeof got, text, len) &&
           cps_note_vkey_format(want, v.name, v.pk) == 0 && strcmp(got, want) == 0;
    free(text);
    if (!same) {
        cps_cli_error(o->prog,
                      AUDIT_HUB_VKEY_FILE ": not the hub key of the roster (%s+%02x%02x%02x%02x)",
                      v.name, v.id[0], v.id[1], v.id[2], v.id[3]);
        return CPS_EXIT_NO;
    }
    return CPS_EXIT_OK;
}

/* The size a note claims (its second line), before anything is verified: only to say
 * which checkpoint failed. */
static bool
claimed_size(const char *note, size_t len, uint64_t *size)
{
    const char *p = memchr(note, '\n', len), *end = note + len;
    uint64_t v = 0;
    int digits = 0;

    if (p == NULL)
        return false;
    for (p++; p < end && *p >= '0' && *p <= '9' && digits < 19; p++, digits++)
        v = v * 10 + (uint64_t)(*p - '0');
    if (digits == 0 || p >= end || *p != '\n')
        return false;
    *size = v;
    return true;
}

/* Verify every checkpoint's signature, origin and order into cps[]. */
static int
check_notes(const struct audit_opts *o, const struct audit_note *notes, size_t n,
            const struct cps_note_verifier *v, struct cps_checkpoint *cps)
{
    char where[96], origin[CPS_TLOG_ORIGIN_MAX];
    uint64_t size;
    size_t k;
    int rc;

    for (k = 0; k < n; k++) {
        struct cps_checkpoint *cp = &cps[k];

        if (claimed_size(notes[k].note, notes[k].note_len, &size))
            snprintf(where, sizeof where, "checkpoint %" PRIu64, size);
        else
            snprintf(where, sizeof where, "checkpoint %zu of " AUDIT_CHECKPOINTS_FILE " (byte %zu)",
                     k + 1, notes[k].at);
        rc = cps_tlog_checkpoint_verify(cp, notes[k].note, notes[k].note_len, v);
        if (rc == CPS_EBADSIG) {
            cps_cli_error(o->prog, "%s: not signed by the hub's key %s+%02x%02x%02x%02x", where,
                          v->name, v->id[0], v->id[1], v->id[2], v->id[3]);
            return CPS_EXIT_NO;
        }
        if (rc != 0) {
            cps_cli_error(o->prog, "%s: not a well-formed signed checkpoint (%s)", where,
                          cps_strerror(rc));
            return CPS_EXIT_NO;
        }
        if (strcmp(cp->origin, v->name) != 0) {
            snprintf(origin, sizeof origin, "%s", cp->origin);
            cps_cli_error(o->prog,
                          "checkpoint %" PRIu64 ": origin '%s' is not this "
                          "programme's log '%s'",
                          cp->size, audit_printable(origin), v->name);
            return CPS_EXIT_NO;
        }
        if (!cp->has_dataset) {
            cps_cli_error(o->prog, "checkpoint %" PRIu64 ": no cps-dataset line", cp->size);
            return CPS_EXIT_NO;
        }
        if (k > 0 && cp->size <= cps[k - 1].size) {
            cps_cli_error(o->prog,
                          "checkpoint %" PRIu64 ": sizes do not increase (the one "
                          "before is %" PRIu64 ")",
                          cp->size, cps[k - 1].size);
            return CPS_EXIT_NO;
        }
    }
    return CPS_EXIT_OK;
}

static int
load_checkpoints(const struct audit_opts *o, const struct cps_roster *roster,
                 struct cps_checkpoint **cps, size_t *n)
{
    struct cps_note_verifier v;
    struct audit_note *notes = NULL;
    char path[PATH_MAX], why[256], *text = NULL;
    size_t len;
    int rc, ret;

    *cps = NULL;
    snprintf(path, sizeof path, "%s/" AUDIT_CHECKPOINTS_FILE, o->dir);
    if ((rc = cps_cli_read_file(path, CHECKPOINTS_MAX, &text, &len)) != 0) {
        cps_cli_error(o->prog, "%s: %s", path, cps_strerror(rc));
        return CPS_EXIT_USAGE;
    }
    if ((rc = audit_notes_split(&notes, n, text, len, why, sizeof why)) != 0) {
        cps_cli_error(o->prog, AUDIT_CHECKPOINTS_FILE ": %s",
                      rc == CPS_EMALFORMED ? why : cps_strerror(rc));
        free(text);
        return rc == CPS_EMALFORMED ? CPS_EXIT_NO : CPS_EXIT_USAGE;
    }
    if ((*cps = calloc(*n + 1, sizeof **cps)) == NULL) {
        cps_cli_error(o->prog, "%s", cps_strerror(-ENOMEM));
        ret = CPS_EXIT_USAGE;
    } else {
        cps_replay_hub_verifier(roster, &v);
        ret = check_notes(o, notes, *n, &v, *cps);
    }
    free(notes);
    free(text);
    return ret;
}

/* "entry 12 (partner P07 seq 5): why", the partner and seq read from the entry itself. */
static void
report_entry(const struct audit_opts *o, uint64_t i, const uint8_t *buf, size_t len, int rc,
             char *why, size_t why_len)
{
    struct cps_update *up = NULL;
    struct cps_entry e;
    char prefix[96], rules[512], logged[512], *reason = why;
    size_t n;

    if (cps_wire_decode_entry(&e, buf, len) != 0 ||
        cps_wire_decode_update(&up, e.signed_bytes, e.signed_len) != 0) {
        cps_cli_error(o->prog, "entry %" PRIu64 ": %s", i, audit_printable(why));
        return;
    }
    /* cps_replay_entry names the partner and seq too: say it once */
    n = (size_t)snprintf(prefix, sizeof prefix, "partner %s seq %" PRIu64 ": ", up->partner,
                         up->seq);
    if (n < sizeof prefix && strncmp(why, prefix, n) == 0)
        reason += n;
    /* same decision, other words: say which words */
    if (rc == CPS_EAUDIT && cps_apply_check(up, rules, sizeof rules) == e.code && e.code != 0) {
        snprintf(logged, sizeof logged, "%.*s", (int)e.reason_len, e.reason);
        snprintf(why, why_len, "logged with the reason '%s' but the rules give '%s'",
                 audit_printable(logged), audit_printable(rules));
        reason = why;
    }
    audit_printable(up->partner);
    cps_cli_error(o->prog, "entry %" PRIu64 " (partner %s seq %" PRIu64 "): %s", i, up->partner,
                  up->seq, audit_printable(reason));
    cps_wire_update_free(&up);
}

/* At a checkpoint's size: the replay's root and dataset digest must be the signed ones. */
static int
check_at(const struct audit_opts *o, struct cps_txn *txn, const struct cps_checkpoint *cp,
         uint64_t prev_size)
{
    uint8_t root[CPS_TLOG_HASH_BYTES], dataset[CPS_TLOG_HASH_BYTES];
    char h1[2 * CPS_TLOG_HASH_BYTES + 1], h2[2 * CPS_TLOG_HASH_BYTES + 1];
    int rc;

    if ((rc = cps_tlog_root(txn, CPS_DB_TREE, cp->size, root)) != 0 ||
        (rc = cps_apply_digest(txn, &cps_replay_hub.view, dataset)) != 0) {
        cps_cli_error(o->prog, "temporary store: %s", cps_strerror(rc));
        return CPS_EXIT_USAGE;
    }
    if (memcmp(root, cp->root, sizeof root) != 0) {
        if (cp->size == 0)
            cps_cli_error(o->prog, "checkpoint 0: the signed root is not the empty log's");
        else
            cps_cli_error(o->prog,
                          "checkpoint %" PRIu64 ": entries %" PRIu64 "..%" PRIu64
                          " do not match the signed checkpoint (Merkle root differs)",
                          cp->size, prev_size, cp->size - 1);
        return CPS_EXIT_NO;
    }
    if (memcmp(dataset, cp->dataset, sizeof dataset) != 0) {
        audit_hex(h1, dataset, sizeof dataset);
        audit_hex(h2, cp->dataset, sizeof cp->dataset);
        cps_cli_error(o->prog,
                      "checkpoint %" PRIu64 ": the replayed dataset (digest %s) is "
                      "not the signed one (%s)",
                      cp->size, h1, h2);
        return CPS_EXIT_NO;
    }
    return CPS_EXIT_OK;
}

/* Codes of cps_replay_entry that mean "this entry is wrong" rather than "we broke". */
static bool
entry_fault(int rc)
{
    return rc == CPS_EMALFORMED || rc == CPS_EUNKNOWN || rc == CPS_EBADSIG ||
           rc == CPS_EPROGRAMME || rc == CPS_ECHAIN || rc == CPS_EAUDIT || rc == CPS_ETOOBIG;
}

/* Replay every entry in order, checking each checkpoint when its size is reached. */
static int
replay(const struct audit_opts *o, struct audit_result *r, const struct audit_entries *ents,
       const struct cps_checkpoint *cps, size_t n_cps)
{
    struct audit_sigpool *pool = NULL;
    struct cps_roster *live = NULL; /* in force as the replay goes: roster changes replace it */
    struct cps_txn *txn = NULL;
    char why[1024];
    size_t i, next = 0;
    int rc, ret = CPS_EXIT_USAGE;

    /* the threads check signatures with the genesis keys; an entry signed with a key a roster
     * change brought in fails there and is checked by the replay with the key in force */
    if ((rc = audit_sigpool_start(&pool, ents, r->roster, o->jobs)) != 0) {
        cps_cli_error(o->prog, "threads: %s", cps_strerror(rc));
        return CPS_EXIT_USAGE;
    }
    if ((rc = cps_store_begin(r->st, true, &txn)) != 0 ||
        (rc = cps_replay_roster(txn, &cps_replay_hub, r->roster, &live)) != 0)
        goto store_fail;
    for (i = 0;; i++) {
        for (; next < n_cps && cps[next].size == i; next++)
            if ((ret = check_at(o, txn, &cps[next], next == 0 ? 0 : cps[next - 1].size)) != 0)
                goto done;
        if (i == ents->n)
            break;
        why[0] = 0;
        {
            struct cps_replay_pre pre;
            uint16_t *lanes;
            bool verified = audit_sigpool_take(pool, i, &pre, &lanes);

            rc = cps_replay_entry_pre(txn, &cps_replay_hub, &live, i, ents->map + ents->off[i],
                                      ents->len[i], !verified, verified ? &pre : NULL, why,
                                      sizeof why);
            free(lanes);
        }
        if (rc != 0 && entry_fault(rc)) {
            if (why[0] == 0)
                snprintf(why, sizeof why, "%s", cps_strerror(rc));
            report_entry(o, i, ents->map + ents->off[i], ents->len[i], rc, why, sizeof why);
            ret = CPS_EXIT_NO;
            goto done;
        }
        if (rc != 0 ||
            ((i + 1) % COMMIT_EVERY == 0 && ((rc = cps_store_commit(&txn)) != 0 ||
                                             (rc = cps_store_begin(r->st, true, &txn)) != 0)))
            goto store_fail;
    }
    if ((rc = cps_store_commit(&txn)) != 0)
        goto store_fail;
    if (next < n_cps) {
        cps_cli_error(o->prog,
                      "checkpoint %" PRIu64 ": the bundle holds only %zu entries "
                      "(entries %zu..%" PRIu64 " are missing)",
                      cps[next].size, ents->n, ents->n, cps[next].size - 1);
        ret = CPS_EXIT_NO;
        goto done;
    }
    ret = CPS_EXIT_OK;
    goto done;
store_fail:
    cps_cli_error(o->prog, "temporary store %s: %s%s", r->tmpdir, cps_strerror(rc),
                  rc == CPS_EFULL ? " (map size too small for this bundle)" : "");
    ret = CPS_EXIT_USAGE;
done:
    cps_store_abort(&txn);
    audit_sigpool_free(&pool);
    cps_roster_free(&live);
    return ret;
}

/* Totals of the rebuilt log, for the summary. */
static int
totals(const struct audit_opts *o, struct audit_result *r)
{
    uint8_t scan[CPS_TLOG_HASH_BYTES];
    struct cps_cursor *cur = NULL;
    struct cps_txn *txn = NULL;
    struct cps_val k, v;
    int rc;

    if ((rc = cps_store_begin(r->st, false, &txn)) != 0 ||
        (rc = cps_replay_size(txn, &cps_replay_hub, &r->entries)) != 0 ||
        (rc = cps_store_count(txn, CPS_DB_RECORDS, &r->records)) != 0 ||
        (rc = cps_tlog_root(txn, CPS_DB_TREE, r->entries, r->root)) != 0 ||
        (rc = cps_apply_digest(txn, &cps_replay_hub.view, r->dataset)) != 0 ||
        (rc = cps_apply_digest_scan(txn, CPS_DB_RECORDS, scan)) != 0 ||
        (rc = cps_store_cursor_open(txn, CPS_DB_PARTNERS, &cur)) != 0)
        goto fail;
    for (rc = cps_store_cursor_get(cur, CPS_SEEK_FIRST, NULL, 0, &k, &v); rc == 0;
         rc = cps_store_cursor_get(cur, CPS_SEEK_NEXT, NULL, 0, &k, &v)) {
        struct cps_pstate ps;

        if ((rc = cps_wire_decode_pstate(&ps, v.data, v.len)) != 0)
            goto fail;
        if (k.len != strlen(CPS_ROSTER_PROGRAMME_ID) ||
            memcmp(k.data, CPS_ROSTER_PROGRAMME_ID, k.len) != 0)
            r->partners++; /* the programme key writes too, but is no partner */
        r->accepted += ps.accepted;
        r->rejected += ps.rejected;
    }
    if (rc != CPS_ENOTFOUND)
        goto fail;
    cps_store_cursor_close(&cur);
    cps_store_abort(&txn);
    if (memcmp(scan, r->dataset, sizeof scan) != 0) {
        cps_cli_error(o->prog, "internal error: the dataset digest kept during the replay "
                               "differs from the one recomputed from the records");
        return CPS_EXIT_USAGE;
    }
    return CPS_EXIT_OK;
fail:
    cps_store_cursor_close(&cur);
    cps_store_abort(&txn);
    cps_cli_error(o->prog, "temporary store %s: %s", r->tmpdir, cps_strerror(rc));
    return CPS_EXIT_USAGE;
}

int
audit_verify(const struct audit_opts *o, struct audit_result *r)
{
    struct audit_entries ents = {0};
    struct cps_checkpoint *cps = NULL;
    char vkey[CPS_NOTE_VKEY_MAX], why[512];
    size_t n_cps = 0, map_size;
    int rc, ret;

    memset(r, 0, sizeof *r);
    if ((rc = cps_crypto_init()) != 0) {
        cps_cli_error(o->prog, "libsodium: %s", cps_strerror(rc));
        return CPS_EXIT_USAGE;
    }
    if (access(o->dir, R_OK | X_OK) != 0) {
        cps_cli_error(o->prog, "%s: %s", o->dir, strerror(errno));
        return CPS_EXIT_USAGE;
    }
    if ((ret = programme_key(o, vkey)) != 0 || (ret = load_roster(o, vkey, &r->roster)) != 0 ||
        (ret = check_hub_vkey(o, r->roster)) != 0 ||
        (ret = load_checkpoints(o, r->roster, &cps, &n_cps)) != 0)
        goto done;
    if ((rc = audit_entries_load(&ents, o->dir, why, sizeof why)) != 0) {
        if (rc == CPS_EMALFORMED) {
            cps_cli_error(o->prog, AUDIT_ENTRIES_FILE ": %s", why);
            ret = CPS_EXIT_NO;
        } else {
            cps_cli_error(o->prog, "%s/" AUDIT_ENTRIES_FILE ": %s", o->dir, cps_strerror(rc));
            ret = CPS_EXIT_USAGE;
        }
        goto done;
    }
    /* the log, its tree, the dataset and the indexes: a few times the entries' size (LMDB
     * reserves the map, the file grows only as used) */
    map_size = ents.map_len * 8 + ((size_t)256 << 20);
    if ((rc = tmp_store(r, map_size)) != 0) {
        cps_cli_error(o->prog, "temporary store in %s: %s",
                      r->tmpdir[0] != 0 ? r->tmpdir : "$TMPDIR", cps_strerror(rc));
        ret = CPS_EXIT_USAGE;
        goto done;
    }
    if ((ret = replay(o, r, &ents, cps, n_cps)) != 0 || (ret = totals(o, r)) != 0)
        goto done;
    r->checkpoints = n_cps;
    r->covered = n_cps > 0 ? cps[n_cps - 1].size : 0;
    if (r->entries > r->covered && n_cps == 0) {
        cps_cli_error(
            o->prog, AUDIT_CHECKPOINTS_FILE ": no signed checkpoint covers the %" PRIu64 " entries",
            r->entries);
        ret = CPS_EXIT_NO;
    } else if (r->entries > r->covered) {
        cps_cli_error(o->prog,
                      "warning: entries %" PRIu64 "..%" PRIu64 " (%" PRIu64 " entries) "
                      "past the last checkpoint are not covered by a signature",
                      r->covered, r->entries - 1, r->entries - r->covered);
    }
done:
    audit_entries_free(&ents);
    free(cps);
    return ret;
}
