/* SPDX-License-Identifier: ISC */
/*
 * cps-hub rebuild and recover: the log is the truth, and both go through cps_replay_entry,
 * the check every replica and the auditor run (signature with the key in force, chain,
 * decision), so nothing derived is trusted.
 *
 * rebuild replays the hub's own log into a fresh store — the dataset and its digest, the
 * Merkle tree, the partners' chains, the (partner, seq) index — checks it against every
 * signed checkpoint on the way, and swaps it in. recover appends, from a node's replica of
 * the log, the entries a hub restored from an older backup is missing, checked the same
 * way and against the checkpoints the node trusted (which this hub signed).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cps/cli.h"
#include "cps/replay.h"
#include "cps/tlog.h"
#include "commands.h"
#include "hub.h"
#include "ops.h"

#define COMMIT_EVERY 10000 /* entries per write transaction */
#define STORE_FILE "data.mdb"
#define LOCK_FILE "lock.mdb"
#define TMP_DIR "rebuild.tmp"
#define PRE_FILE "data.mdb.pre-rebuild"

static void
hex(char *out, const uint8_t *b, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

/* Codes of cps_replay_entry that mean "this entry is wrong" rather than "the store broke". */
static bool
entry_fault(int rc)
{
    return rc == CPS_EMALFORMED || rc == CPS_EUNKNOWN || rc == CPS_EBADSIG ||
           rc == CPS_EPROGRAMME || rc == CPS_ECHAIN || rc == CPS_EAUDIT || rc == CPS_ETOOBIG ||
           rc == CPS_EINTERNAL;
}

/*
 * A signed checkpoint of size, against the log in txn (at that size now): its signature
 * with ver, its root and its dataset digest. Prints what differs; returns an exit code.
 */
static int
check_checkpoint(const char *prog, struct cps_txn *txn, const struct cps_note_verifier *ver,
                 const struct cps_val *note, uint64_t size, struct cps_checkpoint *cp)
{
    uint8_t root[CPS_TLOG_HASH_BYTES], digest[CPS_TLOG_HASH_BYTES];
    char h1[65], h2[65];
    int rc;

    if (cps_tlog_checkpoint_verify(cp, note->data, note->len, ver) != 0 || cp->size != size) {
        cps_cli_error(prog, "checkpoint %" PRIu64 ": does not verify with the hub's key", size);
        return CPS_EXIT_NO;
    }
    if ((rc = cps_tlog_root(txn, CPS_DB_TREE, size, root)) != 0 ||
        (rc = cps_apply_digest(txn, &cps_replay_hub.view, digest)) != 0) {
        cps_cli_error(prog, "store: %s", cps_strerror(rc));
        return CPS_EXIT_USAGE;
    }
    if (memcmp(root, cp->root, sizeof root) != 0) {
        cps_cli_error(prog, "checkpoint %" PRIu64 ": the Merkle root of the entries differs "
                            "from the signed one",
                      size);
        return CPS_EXIT_NO;
    }
    if (!cp->has_dataset || memcmp(digest, cp->dataset, sizeof digest) != 0) {
        hex(h1, digest, sizeof digest);
        hex(h2, cp->dataset, sizeof cp->dataset);
        cps_cli_error(prog, "checkpoint %" PRIu64 ": the dataset digest %s differs from the "
                            "signed %s",
                      size, h1, cp->has_dataset ? h2 : "(none)");
        return CPS_EXIT_NO;
    }
    return CPS_EXIT_OK;
}

/* Commit *txn and begin the next one. */
static int
recommit(struct cps_store *st, struct cps_txn **txn)
{
    int rc;

    if ((rc = cps_store_commit(txn)) != 0)
        return rc;
    return cps_store_begin(st, true, txn);
}

struct rebuilt {
    uint64_t entries, checkpoints, records, partners, states_differed;
    struct cps_checkpoint last; /* the latest checkpoint checked (size 0: none) */
    uint8_t digest[CPS_TLOG_HASH_BYTES], old_digest[CPS_TLOG_HASH_BYTES];
    uint64_t old_records;
};

/* The old partner states' operational fields (last seen, outbox depth) carried over. */
static int
carry_states(struct cps_txn *otx, struct cps_txn *ntx, struct rebuilt *out)
{
    struct cps_cursor *cur = NULL;
    struct cps_val k, v;
    int rc;

    if ((rc = cps_store_cursor_open(otx, CPS_DB_PARTNERS, &cur)) != 0)
        return rc;
    for (rc = cps_store_cursor_get(cur, CPS_SEEK_FIRST, NULL, 0, &k, &v); rc == 0;
         rc = cps_store_cursor_get(cur, CPS_SEEK_NEXT, NULL, 0, &k, &v)) {
        struct cps_pstate old, now;
        char id[CPS_WIRE_ID_MAX];

        if (k.len == 0 || k.len >= sizeof id || cps_wire_decode_pstate(&old, v.data, v.len) != 0)
            continue; /* not a partner state: the rebuild has what the log gives */
        memcpy(id, k.data, k.len);
        id[k.len] = 0;
        if ((rc = cps_replay_chain_get(ntx, &cps_replay_hub, id, &now)) != 0)
            break;
        if (now.last_seq != old.last_seq || now.accepted != old.accepted ||
            now.rejected != old.rejected || now.last_index != old.last_index ||
            memcmp(now.last_hash, old.last_hash, sizeof now.last_hash) != 0)
            out->states_differed++;
        now.last_seen_ms = old.last_seen_ms;
        now.outbox_depth = old.outbox_depth;
        if ((rc = cps_replay_chain_put(ntx, &cps_replay_hub, id, &now)) != 0)
            break;
        out->partners++;
    }
    cps_store_cursor_close(&cur);
    return rc == CPS_ENOTFOUND ? 0 : rc;
}

/* Replay h's log into st, checking every checkpoint; returns an exit code. */
static int
replay_all(const char *prog, struct hub *h, struct cps_store *st, struct rebuilt *out)
{
    struct cps_cursor *lcur = NULL, *ccur = NULL, *mcur = NULL;
    struct cps_txn *otx = NULL, *ntx = NULL;
    struct cps_roster *live = NULL;
    struct cps_note_verifier ver;
    struct cps_val k, v, ck, cv;
    uint8_t scan[CPS_TLOG_HASH_BYTES];
    char why[1024];
    uint64_t i = 0, cp_size = 0;
    int rc, crc, lrc, ret = CPS_EXIT_USAGE;

    memset(out, 0, sizeof *out);
    cps_replay_hub_verifier(h->genesis, &ver);
    if ((rc = cps_store_begin(h->st, false, &otx)) != 0 ||
        (rc = cps_store_begin(st, true, &ntx)) != 0 ||
        (rc = cps_apply_digest(otx, &cps_replay_hub.view, out->old_digest)) != 0 ||
        (rc = cps_store_count(otx, CPS_DB_RECORDS, &out->old_records)) != 0 ||
        (rc = cps_store_cursor_open(otx, CPS_DB_META, &mcur)) != 0)
        goto store_fail;
    /* the hub's settings (programme, listen, key, vkey); the log's views are rebuilt */
    for (rc = cps_store_cursor_get(mcur, CPS_SEEK_FIRST, NULL, 0, &k, &v); rc == 0;
         rc = cps_store_cursor_get(mcur, CPS_SEEK_NEXT, NULL, 0, &k, &v)) {
        if ((k.len == strlen(cps_replay_hub.size_name) &&
             memcmp(k.data, cps_replay_hub.size_name, k.len) == 0) ||
            (k.len == strlen(cps_replay_hub.view.digest_name) &&
             memcmp(k.data, cps_replay_hub.view.digest_name, k.len) == 0))
            continue;
        if ((rc = cps_store_put(ntx, CPS_DB_META, k.data, k.len, v.data, v.len, 0)) != 0)
            goto store_fail;
    }
    cps_store_cursor_close(&mcur);
    if ((rc = cps_store_meta_put_u64(ntx, cps_replay_hub.size_name, 0)) != 0 ||
        (rc = cps_replay_roster(ntx, &cps_replay_hub, h->genesis, &live)) != 0 ||
        (rc = cps_store_cursor_open(otx, CPS_DB_LOG, &lcur)) != 0 ||
        (rc = cps_store_cursor_open(otx, CPS_DB_CHECKPOINTS, &ccur)) != 0)
        goto store_fail;
    crc = cps_store_cursor_get(ccur, CPS_SEEK_FIRST, NULL, 0, &ck, &cv);
    for (lrc = cps_store_cursor_get(lcur, CPS_SEEK_FIRST, NULL, 0, &k, &v);; i++) {
        /* every checkpoint of this size, against the rebuilt log at this size */
        for (; crc == 0 && ck.len == 8 && (cp_size = cps_store_get_be64(ck.data)) == i;
             crc = cps_store_cursor_get(ccur, CPS_SEEK_NEXT, NULL, 0, &ck, &cv)) {
            if ((ret = check_checkpoint(prog, ntx, &ver, &cv, i, &out->last)) != CPS_EXIT_OK)
                goto done;
            ret = CPS_EXIT_USAGE;
            if ((rc = cps_store_put(ntx, CPS_DB_CHECKPOINTS, ck.data, 8, cv.data, cv.len,
                                    CPS_STORE_APPEND)) != 0)
                goto store_fail;
            out->checkpoints++;
        }
        if (crc == 0 && (ck.len != 8 || cp_size < i)) {
            cps_cli_error(prog, "checkpoint store: an entry out of order near size %" PRIu64, i);
            ret = CPS_EXIT_NO;
            goto done;
        }
        if (lrc == CPS_ENOTFOUND)
            break;
        if ((rc = lrc) != 0)
            goto store_fail;
        if (k.len != 8 || cps_store_get_be64(k.data) != i) {
            cps_cli_error(prog, "log: entry %" PRIu64 " is missing", i);
            ret = CPS_EXIT_NO;
            goto done;
        }
        why[0] = 0;
        rc = cps_replay_entry(ntx, &cps_replay_hub, &live, i, v.data, v.len, true, why,
                              sizeof why);
        if (rc != 0 && entry_fault(rc)) {
            cps_cli_error(prog, "log entry %" PRIu64 ": %s", i,
                          why[0] != 0 ? why : cps_strerror(rc));
            ret = CPS_EXIT_NO;
            goto done;
        }
        if (rc != 0 || ((i + 1) % COMMIT_EVERY == 0 && (rc = recommit(st, &ntx)) != 0))
            goto store_fail;
        lrc = cps_store_cursor_get(lcur, CPS_SEEK_NEXT, NULL, 0, &k, &v);
    }
    if (crc == 0) {
        cps_cli_error(prog, "checkpoint %" PRIu64 " is past the log's %" PRIu64 " entries",
                      cps_store_get_be64(ck.data), i);
        ret = CPS_EXIT_NO;
        goto done;
    }
    out->entries = i;
    if ((rc = carry_states(otx, ntx, out)) != 0 ||
        (rc = cps_apply_digest(ntx, &cps_replay_hub.view, out->digest)) != 0 ||
        (rc = cps_apply_digest_scan(ntx, CPS_DB_RECORDS, scan)) != 0 ||
        (rc = cps_store_count(ntx, CPS_DB_RECORDS, &out->records)) != 0)
        goto store_fail;
    if (memcmp(scan, out->digest, sizeof scan) != 0) {
        cps_cli_error(prog, "internal error: the rebuilt dataset's digest differs from the one "
                            "recomputed from its records");
        goto done;
    }
    if ((rc = cps_store_commit(&ntx)) != 0)
        goto store_fail;
    ret = CPS_EXIT_OK;
    goto done;
store_fail:
    cps_cli_error(prog, "store: %s",
                  rc == CPS_EFULL ? "store full (run again with a larger --map-size MIB)"
                                  : cps_strerror(rc));
    ret = CPS_EXIT_USAGE;
done:
    cps_store_cursor_close(&mcur);
    cps_store_cursor_close(&lcur);
    cps_store_cursor_close(&ccur);
    cps_store_abort(&ntx);
    cps_store_abort(&otx);
    cps_roster_free(&live);
    return ret;
}

static void
remove_tmp(const char *tmp)
{
    char path[PATH_MAX + 64];

    snprintf(path, sizeof path, "%s/" STORE_FILE, tmp);
    unlink(path);
    snprintf(path, sizeof path, "%s/" LOCK_FILE, tmp);
    unlink(path);
    rmdir(tmp);
}

/* The old store becomes PRE_FILE and the rebuilt one data.mdb, while no process can open
 * the store (a hub starting meanwhile waits for the lock, then opens the new one). */
static int
swap_in(const char *prog, const char *dir, const char *tmp)
{
    char cur[PATH_MAX + 32], pre[PATH_MAX + 32], next[PATH_MAX + 64];
    int lock = -1, rc;

    if ((rc = hub_store_claim(dir, true, &lock)) != 0) {
        cps_cli_error(prog, "%s: %s; nothing was swapped (the rebuilt store is in %s)", dir,
                      rc == CPS_EBUSY ? "the store is in use again (a hub started?)"
                                      : cps_strerror(rc),
                      tmp);
        return CPS_EXIT_USAGE;
    }
    snprintf(cur, sizeof cur, "%s/" STORE_FILE, dir);
    snprintf(pre, sizeof pre, "%s/" PRE_FILE, dir);
    snprintf(next, sizeof next, "%s/" STORE_FILE, tmp);
    if ((unlink(pre) != 0 && errno != ENOENT) || link(cur, pre) != 0 || rename(next, cur) != 0 ||
        (rc = hub_fsync_dir(dir)) != 0) {
        rc = rc != 0 ? rc : -errno;
        hub_store_release(&lock);
        cps_cli_error(prog, "%s: swapping the rebuilt store in: %s", dir, cps_strerror(rc));
        return CPS_EXIT_USAGE;
    }
    hub_store_release(&lock);
    return CPS_EXIT_OK;
}

int
cmd_rebuild_main(int argc, char **argv)
{
    static const char usage_text[] =
        "Usage: " HUB_PROG " rebuild [--dir DIR] [--config FILE] [--dry-run]\n"
        "Recompute everything the hub derives from its log — the consolidated dataset and\n"
        "its digest, the Merkle tree, every partner's chain state and the (partner, seq)\n"
        "index — by replaying every entry (signature with the key in force, chain and\n"
        "decision checked again) into a fresh store; check it against every signed\n"
        "checkpoint on the way (Merkle root and cps-dataset digest); then swap it in\n"
        "atomically. The old store stays as DIR/" PRE_FILE " until you delete it.\n"
        "The hub must be stopped. Last contact and outbox depth are carried over.\n"
        "  --dry-run  rebuild and check in DIR/" TMP_DIR ", then throw it away\n"
        "Exit status: 0 rebuilt (or checked), 1 the log or a checkpoint does not check,\n"
        "2 could not run. Example:\n"
        "  systemctl stop cps-hub && " HUB_PROG " rebuild --config /etc/cps/hub.conf &&\n"
        "      systemctl start cps-hub\n";
    static const struct option opts[] = {
        { "dir", required_argument, NULL, 'd' },
        { "config", required_argument, NULL, 'C' },
        { "dry-run", no_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *prog = HUB_PROG " rebuild", *dir = NULL;
    char tmp[PATH_MAX + 32], err[512], h1[65], h2[65];
    struct cps_store *st = NULL;
    struct hub_conf cf;
    struct rebuilt r;
    uint64_t map_size, used;
    bool dry_run = false, opened = false;
    struct hub h;
    int c, rc, lock, ret = CPS_EXIT_USAGE;

    if ((rc = hub_conf_load(&cf, argc, argv, "d:C:nh", opts, prog)) >= 0)
        return rc;
    dir = cf.dir[0] != 0 ? cf.dir : NULL;
    while ((c = getopt_long(argc, argv, "d:C:nh", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'C': break; /* read by hub_conf_load */
        case 'n': dry_run = true; break;
        case 'h': fputs(usage_text, stdout); return CPS_EXIT_OK;
        default: fputs(usage_text, stderr); return CPS_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fputs(usage_text, stderr);
        return CPS_EXIT_USAGE;
    }
    dir = hub_dir(dir);
    if ((rc = hub_store_claim(dir, false, &lock)) != 0) {
        cps_cli_error(prog, "%s: %s", dir,
                      rc == CPS_EBUSY ? "the store is in use: stop the hub first"
                                      : cps_strerror(rc));
        return CPS_EXIT_USAGE;
    }
    if (hub_open(&h, dir, false, err, sizeof err) != 0) {
        cps_cli_error(prog, "%s", err);
        return CPS_EXIT_USAGE;
    }
    opened = true;
    snprintf(tmp, sizeof tmp, "%s/" TMP_DIR, h.dir);
    remove_tmp(tmp); /* what an interrupted rebuild left */
    if (mkdir(tmp, 0700) != 0) {
        cps_cli_error(prog, "%s: %s", tmp, strerror(errno));
        goto done;
    }
    if ((rc = cps_store_usage(h.st, &map_size, &used)) != 0 ||
        (rc = cps_store_open_flags(&st, tmp, (size_t)map_size, HUB_STORE_FLAGS)) != 0) {
        cps_cli_error(prog, "%s: %s", tmp, cps_strerror(rc));
        goto done;
    }
    if ((ret = replay_all(prog, &h, st, &r)) != CPS_EXIT_OK)
        goto done;
    ret = CPS_EXIT_USAGE;
    cps_store_close(&st);
    hub_close(&h);
    opened = false;
    printf("rebuilt %" PRIu64 " entries from the log: %" PRIu64 " records, %" PRIu64
           " partner states; %" PRIu64 " signed checkpoints checked",
           r.entries, r.records, r.partners, r.checkpoints);
    hex(h1, r.digest, sizeof r.digest);
    if (r.checkpoints > 0) {
        hex(h2, r.last.root, sizeof r.last.root);
        printf(", the latest (size %" PRIu64 ") matches root %s", r.last.size, h2);
    }
    printf("\ndataset digest %s\n", h1);
    if (memcmp(r.digest, r.old_digest, sizeof r.digest) != 0 || r.records != r.old_records) {
        hex(h2, r.old_digest, sizeof r.old_digest);
        printf("the store held another dataset (%" PRIu64 " records, digest %s): the rebuild "
               "replaces it\n",
               r.old_records, h2);
    }
    if (r.states_differed > 0)
        printf("%" PRIu64 " partner states differed from the log: the rebuild replaces them\n",
               r.states_differed);
    if (dry_run) {
        remove_tmp(tmp);
        printf("dry run: nothing changed\n");
        return CPS_EXIT_OK;
    }
    if ((ret = swap_in(prog, dir, tmp)) != CPS_EXIT_OK)
        return ret;
    remove_tmp(tmp);
    printf("swapped in; the old store is %s/" PRE_FILE " (delete it when satisfied)\n", dir);
    return CPS_EXIT_OK;
done:
    cps_store_close(&st);
    remove_tmp(tmp);
    if (opened)
        hub_close(&h);
    return ret;
}

/* The restore is over: the hub may start (see HUB_RESTORE_PENDING). */
static int
clear_pending(struct cps_txn *txn)
{
    int rc = cps_store_del(txn, CPS_DB_META, HUB_RESTORE_PENDING, strlen(HUB_RESTORE_PENDING));

    return rc == CPS_ENOTFOUND ? 0 : rc;
}

/* --accept-loss: a restored hub starts as the backup left it. */
static int
accept_restore(const char *prog, const char *dir)
{
    struct cps_txn *txn = NULL;
    uint64_t size = 0;
    char err[512];
    struct hub h;
    int rc;

    if (hub_open(&h, dir, false, err, sizeof err) != 0) {
        cps_cli_error(prog, "%s", err);
        return CPS_EXIT_USAGE;
    }
    if ((rc = cps_store_begin(h.st, true, &txn)) != 0 ||
        (rc = cps_replay_size(txn, &cps_replay_hub, &size)) != 0 ||
        (rc = clear_pending(txn)) != 0 || (rc = cps_store_commit(&txn)) != 0) {
        cps_cli_error(prog, "%s: %s", h.dir, cps_strerror(rc));
        cps_store_abort(&txn);
        hub_close(&h);
        return CPS_EXIT_USAGE;
    }
    printf("the hub may start with the %" PRIu64 " entries of its backup; whatever it logged "
           "after the backup is lost, and nodes that acked or replicated more will say so\n",
           size);
    hub_close(&h);
    return CPS_EXIT_OK;
}

int
cmd_recover_main(int argc, char **argv)
{
    static const char usage_text[] =
        "Usage: " HUB_PROG " recover [--dir DIR] [--config FILE] --from NODE_DIR [--dry-run]\n"
        "       " HUB_PROG " recover [--dir DIR] [--config FILE] --accept-loss\n"
        "Bring back the log entries a hub restored from an older backup is missing, from a\n"
        "partner node's replica of the log. NODE_DIR is a node's data directory or a copy\n"
        "of it ('cps-node backup'); it is only read. The hub's log must be a prefix of the\n"
        "replica (same Merkle root at the hub's size). Every entry past it, up to the\n"
        "node's last trusted checkpoint, goes through the checks every replica runs\n"
        "(signature with the key in force, chain, decision) and each checkpoint the node\n"
        "trusted — signed by this hub — must match the rebuilt root and dataset digest;\n"
        "those checkpoints are stored again. The hub must be stopped.\n"
        "Run it with the node whose replica is longest ('cps-node status': replica\n"
        "entries); another node then adds only what it has more. A hub made by\n"
        "'" HUB_PROG " restore' starts only after a recover (even one that finds nothing).\n"
        "  --dry-run      check, but append nothing\n"
        "  --accept-loss  let a restored hub start without recovering anything (no node\n"
        "                 copy exists): what it logged after the backup is lost\n"
        "Exit status: 0 recovered (or nothing to recover), 1 the replica does not check or\n"
        "has diverged, 2 could not run. Example:\n"
        "  " HUB_PROG " recover --dir /var/lib/cps/hub --from /srv/from-p07/node-backup\n";
    static const struct option opts[] = {
        { "dir", required_argument, NULL, 'd' },  { "config", required_argument, NULL, 'C' },
        { "from", required_argument, NULL, 'f' }, { "dry-run", no_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },       { "accept-loss", no_argument, NULL, 'A' },
        { NULL, 0, NULL, 0 },
    };
    bool accept_loss = false;
    const char *prog = HUB_PROG " recover", *dir = NULL, *from = NULL;
    uint8_t r1[CPS_TLOG_HASH_BYTES], r2[CPS_TLOG_HASH_BYTES];
    struct cps_cursor *ccur = NULL;
    struct cps_txn *htx = NULL, *ntx = NULL;
    struct cps_roster *live = NULL;
    struct cps_store *nst = NULL;
    struct cps_note_verifier ver;
    struct cps_checkpoint cp = { 0 };
    struct cps_val ck, cv, v;
    char err[512], why[1024], path[PATH_MAX + 32], programme[CPS_WIRE_PROGRAMME_MAX];
    uint64_t hsize, rsize, end = 0, i, since = 0, n_cps = 0;
    uint8_t key[8];
    struct hub_conf cf;
    bool dry_run = false;
    struct hub h;
    int c, rc, lock, ret = CPS_EXIT_USAGE;

    if ((rc = hub_conf_load(&cf, argc, argv, "d:C:f:nhA", opts, prog)) >= 0)
        return rc;
    dir = cf.dir[0] != 0 ? cf.dir : NULL;
    while ((c = getopt_long(argc, argv, "d:C:f:nhA", opts, NULL)) != -1) {
        switch (c) {
        case 'A': accept_loss = true; break;
        case 'd': dir = optarg; break;
        case 'C': break; /* read by hub_conf_load */
        case 'f': from = optarg; break;
        case 'n': dry_run = true; break;
        case 'h': fputs(usage_text, stdout); return CPS_EXIT_OK;
        default: fputs(usage_text, stderr); return CPS_EXIT_USAGE;
        }
    }
    if (optind != argc || (from == NULL) == !accept_loss || (accept_loss && dry_run)) {
        fputs(usage_text, stderr);
        return CPS_EXIT_USAGE;
    }
    dir = hub_dir(dir);
    if ((rc = hub_store_claim(dir, false, &lock)) != 0) {
        cps_cli_error(prog, "%s: %s", dir,
                      rc == CPS_EBUSY ? "the store is in use: stop the hub first"
                                      : cps_strerror(rc));
        return CPS_EXIT_USAGE;
    }
    if (accept_loss)
        return accept_restore(prog, dir);
    snprintf(path, sizeof path, "%s/" STORE_FILE, from);
    if (access(path, R_OK) != 0) {
        cps_cli_error(prog, "%s: %s (not a node directory?)", path, strerror(errno));
        return CPS_EXIT_USAGE;
    }
    if (hub_open(&h, dir, false, err, sizeof err) != 0) {
        cps_cli_error(prog, "%s", err);
        return CPS_EXIT_USAGE;
    }
    if ((rc = cps_store_open(&nst, from, 0)) != 0 ||
        (rc = cps_store_begin(nst, false, &ntx)) != 0) {
        cps_cli_error(prog, "%s: %s", from, cps_strerror(rc));
        goto done;
    }
    if (cps_store_meta_get_str(ntx, "programme", programme, sizeof programme) != 0 ||
        strcmp(programme, h.programme) != 0) {
        cps_cli_error(prog, "%s: not a node of programme %s", from, h.programme);
        ret = CPS_EXIT_NO;
        goto done;
    }
    if ((rc = cps_replay_size(ntx, &cps_replay_replica, &rsize)) != 0 ||
        (rc = cps_store_begin(h.st, true, &htx)) != 0 ||
        (rc = cps_replay_size(htx, &cps_replay_hub, &hsize)) != 0)
        goto store_fail;
    if (rsize <= hsize) {
        if (!dry_run && ((rc = clear_pending(htx)) != 0 || (rc = cps_store_commit(&htx)) != 0))
            goto store_fail;
        printf("nothing to recover: the hub's log has %" PRIu64 " entries, the replica at %s "
               "%" PRIu64 "\n",
               hsize, from, rsize);
        ret = CPS_EXIT_OK;
        goto done;
    }
    /* the hub's log must be where the replica's was at that size */
    if (hsize > 0 && ((rc = cps_tlog_root(htx, CPS_DB_TREE, hsize, r1)) != 0 ||
                      (rc = cps_tlog_root(ntx, CPS_DB_RTREE, hsize, r2)) != 0))
        goto store_fail;
    if (hsize > 0 && memcmp(r1, r2, sizeof r1) != 0) {
        cps_cli_error(prog, "the hub's log and the replica at %s differ within the first %"
                            PRIu64 " entries: the hub logged other entries after its restore; "
                            "recover needs the hub as restored (restore it again)",
                      from, hsize);
        ret = CPS_EXIT_NO;
        goto done;
    }
    /* the last checkpoint the node trusted within its replica: where recovery ends */
    if ((rc = cps_store_cursor_open(ntx, CPS_DB_CHECKPOINTS, &ccur)) != 0)
        goto store_fail;
    cps_store_be64(key, hsize + 1);
    for (rc = cps_store_cursor_get(ccur, CPS_SEEK_GE, key, sizeof key, &ck, &cv);
         rc == 0 && ck.len == 8 && cps_store_get_be64(ck.data) <= rsize;
         rc = cps_store_cursor_get(ccur, CPS_SEEK_NEXT, NULL, 0, &ck, &cv))
        end = cps_store_get_be64(ck.data);
    if (end == 0) {
        cps_cli_error(prog, "%s: no checkpoint the node trusted covers entries past %" PRIu64
                            ": nothing can be checked, nothing recovered",
                      from, hsize);
        ret = CPS_EXIT_NO;
        goto done;
    }
    cps_replay_hub_verifier(h.genesis, &ver);
    if ((rc = cps_replay_roster(htx, &cps_replay_hub, h.genesis, &live)) != 0)
        goto store_fail;
    cps_store_be64(key, hsize + 1);
    if ((rc = cps_store_cursor_get(ccur, CPS_SEEK_GE, key, sizeof key, &ck, &cv)) != 0)
        goto store_fail;
    for (i = hsize; i < end; i++) {
        cps_store_be64(key, i);
        if ((rc = cps_store_get(ntx, CPS_DB_RLOG, key, sizeof key, &v)) != 0)
            goto store_fail;
        why[0] = 0;
        rc = cps_replay_entry(htx, &cps_replay_hub, &live, i, v.data, v.len, true, why,
                              sizeof why);
        if (rc != 0 && entry_fault(rc)) {
            cps_cli_error(prog, "replica entry %" PRIu64 ": %s", i,
                          why[0] != 0 ? why : cps_strerror(rc));
            ret = CPS_EXIT_NO;
            goto done;
        }
        if (rc != 0)
            goto store_fail;
        since++;
        if (cps_store_get_be64(ck.data) != i + 1)
            continue;
        /* at one of the node's checkpoints: check, keep, and commit when enough is pending */
        if ((ret = check_checkpoint(prog, htx, &ver, &cv, i + 1, &cp)) != CPS_EXIT_OK)
            goto done;
        ret = CPS_EXIT_USAGE;
        if ((rc = cps_store_put(htx, CPS_DB_CHECKPOINTS, ck.data, 8, cv.data, cv.len,
                                CPS_STORE_NOOVERWRITE)) != 0 && rc != CPS_EEXIST)
            goto store_fail;
        n_cps++;
        if (!dry_run && since >= COMMIT_EVERY) {
            if ((rc = recommit(h.st, &htx)) != 0)
                goto store_fail;
            since = 0;
        }
        if (i + 1 < end && (rc = cps_store_cursor_get(ccur, CPS_SEEK_NEXT, NULL, 0, &ck,
                                                      &cv)) != 0)
            goto store_fail;
    }
    if (!dry_run && ((rc = clear_pending(htx)) != 0 || (rc = cps_store_commit(&htx)) != 0))
        goto store_fail;
    hex(why, cp.root, sizeof cp.root);
    printf("%s %" PRIu64 " entries (%" PRIu64 "..%" PRIu64 ") from %s: the log %s %" PRIu64
           " entries; %" PRIu64 " checkpoints checked%s, the latest (size %" PRIu64
           ") matches root %s and its dataset digest\n",
           dry_run ? "would recover" : "recovered", end - hsize, hsize, end - 1, from,
           dry_run ? "would have" : "now has", end, n_cps, dry_run ? "" : " and stored",
           cp.size, why);
    if (end < rsize)
        printf("entries %" PRIu64 "..%" PRIu64 " of the replica are past its last checkpoint: "
               "not recovered (another node may have them checked)\n",
               end, rsize - 1);
    ret = CPS_EXIT_OK;
    goto done;
store_fail:
    cps_cli_error(prog, "store: %s", rc == CPS_EFULL ? HUB_STORE_FULL_HINT : cps_strerror(rc));
    ret = CPS_EXIT_USAGE;
done:
    cps_store_cursor_close(&ccur);
    cps_store_abort(&htx);
    cps_store_abort(&ntx);
    cps_store_close(&nst);
    cps_roster_free(&live);
    hub_close(&h);
    return ret;
}
