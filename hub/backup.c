/* SPDX-License-Identifier: ISC */
/*
 * cps-hub backup and restore. A backup is a folder: data.mdb (a compacted copy of the
 * store, one read transaction's snapshot, taken while the hub runs), roster.txt, the
 * configuration file in use (hub.conf) and BACKUP.txt saying what it holds. It never
 * holds the hub's key file. Restore makes a hub directory of it and checks that the copy
 * opens and that its log agrees with its latest signed checkpoint.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cps/cli.h"
#include "cps/replay.h"
#include "cps/tlog.h"
#include "commands.h"
#include "hub.h"
#include "ops.h"

#define STORE_FILE "data.mdb"  /* LMDB's names in a store directory */
#define LOCK_FILE "lock.mdb"
#define CONF_FILE "hub.conf"
#define MANIFEST_FILE "BACKUP.txt"

int
hub_store_claim(const char *dir, bool hold, int *fd)
{
    /* every process with the environment open holds a read lock on byte 0 of LMDB's lock
     * file (taken in mdb_env_open, before data.mdb is opened); a write lock there is
     * granted only when no other process has it open, and makes later openers wait */
    struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
    char path[PATH_MAX + 16];
    int f, e;

    *fd = -1;
    snprintf(path, sizeof path, "%s/" LOCK_FILE, dir);
    if ((f = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) == -1)
        return errno == ENOENT ? 0 : -errno;
    if (fcntl(f, F_SETLK, &lk) == -1) {
        e = errno;
        close(f);
        return e == EACCES || e == EAGAIN ? CPS_EBUSY : -e;
    }
    if (hold)
        *fd = f;
    else
        close(f); /* releases it */
    return 0;
}

void
hub_store_release(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* dir must not exist (it is created, 0700) or be empty. */
static int
prepare_dir(const char *prog, const char *dir, bool *created)
{
    struct dirent *de;
    DIR *d;

    *created = false;
    if ((d = opendir(dir)) == NULL) {
        if (errno != ENOENT) {
            cps_cli_error(prog, "%s: %s", dir, strerror(errno));
            return CPS_EXIT_USAGE;
        }
        if (mkdir(dir, 0700) != 0) {
            cps_cli_error(prog, "%s: %s", dir, strerror(errno));
            return CPS_EXIT_USAGE;
        }
        *created = true;
        return CPS_EXIT_OK;
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            closedir(d);
            cps_cli_error(prog, "%s: not empty (refusing to write into it)", dir);
            return CPS_EXIT_NO;
        }
    }
    closedir(d);
    return CPS_EXIT_OK;
}

/* Remove what backup or restore may have written into dir, and dir if they created it. */
static void
undo_dir(const char *dir, bool created)
{
    static const char *const names[] = { STORE_FILE, LOCK_FILE, CPS_CLI_ROSTER_FILE, CONF_FILE,
                                         MANIFEST_FILE };
    char path[PATH_MAX + 32];
    size_t i;

    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    if (created)
        rmdir(dir);
}

static int
fsync_path(const char *path)
{
    int fd, rc = 0;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
        return -errno;
    if (fsync(fd) != 0)
        rc = -errno;
    close(fd);
    return rc;
}

static bool
all_zero(const char *b, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (b[i] != 0)
            return false;
    return true;
}

/* Copy src to the new file dst (mode), fsync'd. A store can be large and mostly a hole
 * (LMDB sizes the file to its map): streamed, and zero blocks stay holes. */
static int
copy_file(const char *src, const char *dst, unsigned mode)
{
    static char buf[1 << 16];
    off_t total = 0;
    ssize_t n, w;
    int in, out, rc = 0;

    if ((in = open(src, O_RDONLY | O_CLOEXEC)) == -1)
        return -errno;
    if ((out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)) == -1) {
        rc = -errno;
        close(in);
        return rc;
    }
    while (rc == 0 && (n = read(in, buf, sizeof buf)) != 0) {
        if (n < 0) {
            if (errno != EINTR)
                rc = -errno;
            continue;
        }
        total += n;
        if (all_zero(buf, (size_t)n)) {
            if (lseek(out, n, SEEK_CUR) == (off_t)-1)
                rc = -errno;
            continue;
        }
        for (w = 0; w < n && rc == 0;) {
            ssize_t k = write(out, buf + w, (size_t)(n - w));

            if (k < 0 && errno != EINTR)
                rc = -errno;
            else if (k > 0)
                w += k;
        }
    }
    if (rc == 0 && (ftruncate(out, total) != 0 || fsync(out) != 0))
        rc = -errno;
    if (close(out) != 0 && rc == 0)
        rc = -errno;
    close(in);
    if (rc != 0)
        unlink(dst);
    return rc;
}

static void
hex(char *out, const uint8_t *b, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

/* What a hub directory holds, as checked by check_dir. */
struct summary {
    char programme[CPS_WIRE_PROGRAMME_MAX];
    char key_path[PATH_MAX];
    uint64_t log_size, records, cp_size, used;
    char digest[2 * CPS_CRYPTO_HASH_BYTES + 1];
};

/*
 * Open the hub directory dir (its roster verified against its pinned programme key) and
 * check its log against its latest checkpoint: the note verifies with the hub's key, the
 * tree's root at its size is the signed one, and when nothing was logged past it, so is
 * the dataset digest. Prints what is wrong; returns an exit code.
 */
static int
check_dir(const char *prog, const char *dir, struct summary *s)
{
    uint8_t root[CPS_TLOG_HASH_BYTES], digest[CPS_TLOG_HASH_BYTES];
    struct cps_note_verifier ver;
    struct cps_checkpoint cp;
    struct cps_txn *txn = NULL;
    struct cps_val note;
    struct hub h;
    uint64_t map_size;
    char err[512];
    int rc, ret = CPS_EXIT_USAGE;

    memset(s, 0, sizeof *s);
    if (hub_open(&h, dir, false, err, sizeof err) != 0) {
        cps_cli_error(prog, "the copy does not open: %s", err);
        return CPS_EXIT_NO;
    }
    snprintf(s->programme, sizeof s->programme, "%s", h.programme);
    snprintf(s->key_path, sizeof s->key_path, "%s", h.key_path);
    if ((rc = cps_store_usage(h.st, &map_size, &s->used)) != 0 ||
        (rc = cps_store_begin(h.st, false, &txn)) != 0 ||
        (rc = cps_replay_size(txn, &cps_replay_hub, &s->log_size)) != 0 ||
        (rc = cps_store_count(txn, CPS_DB_RECORDS, &s->records)) != 0 ||
        (rc = cps_apply_digest(txn, &cps_replay_hub.view, digest)) != 0) {
        cps_cli_error(prog, "%s: %s", dir, cps_strerror(rc));
        goto done;
    }
    hex(s->digest, digest, sizeof digest);
    rc = hub_latest_checkpoint(txn, &s->cp_size, &note);
    if (rc == CPS_ENOTFOUND) {
        ret = CPS_EXIT_OK; /* nothing signed yet */
        goto done;
    }
    cps_replay_hub_verifier(h.genesis, &ver);
    if (rc != 0 || cps_tlog_checkpoint_verify(&cp, note.data, note.len, &ver) != 0 ||
        cp.size != s->cp_size) {
        cps_cli_error(prog, "%s: the latest checkpoint does not verify with the hub's key", dir);
        ret = CPS_EXIT_NO;
        goto done;
    }
    if ((rc = cps_tlog_root(txn, CPS_DB_TREE, cp.size, root)) != 0 ||
        memcmp(root, cp.root, sizeof root) != 0) {
        cps_cli_error(prog, "%s: the log does not match its checkpoint of size %" PRIu64, dir,
                      cp.size);
        ret = CPS_EXIT_NO;
        goto done;
    }
    if (cp.size == s->log_size && (!cp.has_dataset || memcmp(digest, cp.dataset, 32) != 0)) {
        cps_cli_error(prog, "%s: the dataset digest is not the one checkpoint %" PRIu64
                            " signed (run '" HUB_PROG " rebuild')",
                      dir, cp.size);
        ret = CPS_EXIT_NO;
        goto done;
    }
    ret = CPS_EXIT_OK;
done:
    cps_store_abort(&txn);
    hub_close(&h);
    return ret;
}

static int
write_manifest(const char *out, const struct summary *s, const char *conf)
{
    char path[PATH_MAX + 32], stamp[32], text[PATH_MAX + 2048];
    time_t now = time(NULL);
    struct tm tm;
    int n;

    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    n = snprintf(text, sizeof text,
                 "cps hub backup\n"
                 "created %s\n"
                 "programme %s\n"
                 "log_size %" PRIu64 "\n"
                 "checkpoint_size %" PRIu64 "\n"
                 "records %" PRIu64 "\n"
                 "dataset_digest %s\n"
                 "files data.mdb roster.txt%s\n"
                 "key NOT INCLUDED: the hub's key file (%s) must be kept apart, as safely\n"
                 "    as the programme key; a restored hub needs it.\n"
                 "restore: " HUB_PROG " restore THIS_FOLDER NEW_HUB_DIR, then recover newer\n"
                 "    entries from a node: " HUB_PROG
                 " recover --dir NEW_HUB_DIR --from NODE_COPY\n",
                 stamp, s->programme, s->log_size, s->cp_size, s->records, s->digest,
                 conf != NULL ? " " CONF_FILE : "", s->key_path);
    if (n < 0 || (size_t)n >= sizeof text)
        return CPS_ETOOBIG;
    snprintf(path, sizeof path, "%s/" MANIFEST_FILE, out);
    return cps_cli_write_new(path, text, (size_t)n, 0600);
}

int
cmd_backup_main(int argc, char **argv)
{
    static const char usage_text[] =
        "Usage: " HUB_PROG " backup [--dir DIR] [--config FILE] OUTDIR\n"
        "Copy the hub's store while the hub runs (a consistent snapshot: one read\n"
        "transaction; the hub goes on writing) into OUTDIR, which must not exist or be\n"
        "empty: data.mdb (compacted), roster.txt, the configuration file in use (hub.conf)\n"
        "and BACKUP.txt (what it holds). The copy is checked: it opens, and its log\n"
        "matches its latest signed checkpoint.\n"
        "The hub's key file is NOT copied: keep it, and the programme key, apart and safe.\n"
        "Example (daily, keeping 14):\n"
        "  " HUB_PROG " backup --config /etc/cps/hub.conf /srv/backup/cps-$(date +%F)\n";
    static const struct option opts[] = {
        { "dir", required_argument, NULL, 'd' },
        { "config", required_argument, NULL, 'C' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *prog = HUB_PROG " backup", *dir = NULL, *out;
    char src[PATH_MAX + 32], dst[PATH_MAX + 32], err[512];
    struct hub_conf cf;
    struct summary s;
    struct hub h;
    bool created = false;
    int c, rc, ret = CPS_EXIT_USAGE;

    if ((rc = hub_conf_load(&cf, argc, argv, "d:C:h", opts, prog)) >= 0)
        return rc;
    dir = cf.dir[0] != 0 ? cf.dir : NULL;
    while ((c = getopt_long(argc, argv, "d:C:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'C': break; /* read by hub_conf_load */
        case 'h': fputs(usage_text, stdout); return CPS_EXIT_OK;
        default: fputs(usage_text, stderr); return CPS_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        fputs(usage_text, stderr);
        return CPS_EXIT_USAGE;
    }
    out = argv[optind];
    if (hub_open(&h, hub_dir(dir), false, err, sizeof err) != 0) {
        cps_cli_error(prog, "%s", err);
        return CPS_EXIT_USAGE;
    }
    if ((rc = prepare_dir(prog, out, &created)) != CPS_EXIT_OK) {
        hub_close(&h);
        return rc;
    }
    snprintf(dst, sizeof dst, "%s/" STORE_FILE, out);
    if ((rc = cps_store_copy(h.st, out, true)) != 0 || (rc = fsync_path(dst)) != 0) {
        cps_cli_error(prog, "%s: %s", out, cps_strerror(rc));
        goto done;
    }
    snprintf(src, sizeof src, "%s/" CPS_CLI_ROSTER_FILE, h.dir);
    snprintf(dst, sizeof dst, "%s/" CPS_CLI_ROSTER_FILE, out);
    if ((rc = copy_file(src, dst, 0644)) != 0) {
        cps_cli_error(prog, "%s: %s", src, cps_strerror(rc));
        goto done;
    }
    snprintf(dst, sizeof dst, "%s/" CONF_FILE, out);
    if (cf.path[0] != 0 && (rc = copy_file(cf.path, dst, 0600)) != 0) {
        cps_cli_error(prog, "%s: %s", cf.path, cps_strerror(rc));
        goto done;
    }
    if ((ret = check_dir(prog, out, &s)) != CPS_EXIT_OK)
        goto done;
    ret = CPS_EXIT_USAGE;
    snprintf(dst, sizeof dst, "%s/" LOCK_FILE, out);
    unlink(dst); /* made by the check's open; not part of a backup */
    /* the check's open sized the file to the map: back to the pages in use, so that the
     * backup copies as small as it is */
    snprintf(dst, sizeof dst, "%s/" STORE_FILE, out);
    if (truncate(dst, (off_t)s.used) != 0 || (rc = fsync_path(dst)) != 0) {
        cps_cli_error(prog, "%s: %s", dst, strerror(errno));
        goto done;
    }
    if ((rc = write_manifest(out, &s, cf.path[0] != 0 ? cf.path : NULL)) != 0 ||
        (rc = fsync_path(out)) != 0) {
        cps_cli_error(prog, "%s: %s", out, cps_strerror(rc));
        goto done;
    }
    printf("backup of %s in %s: %" PRIu64 " entries, checkpoint %" PRIu64 ", %" PRIu64
           " records, dataset %s\n"
           "not included: the hub's key file %s (keep it apart and safe)\n",
           s.programme, out, s.log_size, s.cp_size, s.records, s.digest, s.key_path);
    ret = CPS_EXIT_OK;
done:
    if (ret != CPS_EXIT_OK)
        undo_dir(out, created);
    hub_close(&h);
    return ret;
}

int
cmd_restore_main(int argc, char **argv)
{
    static const char usage_text[] =
        "Usage: " HUB_PROG " restore [--key FILE] BACKUP DIR\n"
        "Make the hub directory DIR (it must not exist, or be empty) from BACKUP (made by\n"
        "'" HUB_PROG " backup'): copy the store and the roster, then check that the copy\n"
        "opens and that its log matches its latest signed checkpoint.\n"
        "  --key FILE  the hub's key file on this machine (default: the path the backup\n"
        "              recorded); it must be the key the roster names for the hub\n"
        "The hub then refuses to start (and programme and checkpoint refuse to sign) until\n"
        "the entries logged after the backup are back from the partners' nodes, which\n"
        "replicate the log: '" HUB_PROG " recover --from NODE_COPY' (docs/OPERATIONS.md,\n"
        "\"Restoring the hub\"). Example:\n"
        "  " HUB_PROG " restore /srv/backup/cps-2024-05-01 /var/lib/cps/hub\n";
    static const struct option opts[] = {
        { "key", required_argument, NULL, 'k' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *prog = HUB_PROG " restore", *key = NULL, *backup, *dir;
    char src[PATH_MAX + 32], dst[PATH_MAX + 32], abs_key[PATH_MAX], err[512];
    struct cps_store *st = NULL;
    struct cps_keys *keys = NULL;
    struct cps_txn *txn = NULL;
    struct cps_pubkeys pub;
    struct summary s;
    bool created = false;
    int c, rc, ret = CPS_EXIT_USAGE;

    while ((c = getopt_long(argc, argv, "k:h", opts, NULL)) != -1) {
        switch (c) {
        case 'k': key = optarg; break;
        case 'h': fputs(usage_text, stdout); return CPS_EXIT_OK;
        default: fputs(usage_text, stderr); return CPS_EXIT_USAGE;
        }
    }
    if (optind + 2 != argc) {
        fputs(usage_text, stderr);
        return CPS_EXIT_USAGE;
    }
    backup = argv[optind];
    dir = argv[optind + 1];
    snprintf(src, sizeof src, "%s/" STORE_FILE, backup);
    if (access(src, R_OK) != 0) {
        cps_cli_error(prog, "%s: %s (not a backup?)", src, strerror(errno));
        return CPS_EXIT_USAGE;
    }
    if (key != NULL && (rc = cps_cli_abspath(key, abs_key, sizeof abs_key)) != 0) {
        cps_cli_error(prog, "%s: %s", key, cps_strerror(rc));
        return CPS_EXIT_USAGE;
    }
    if ((rc = prepare_dir(prog, dir, &created)) != CPS_EXIT_OK)
        return rc;
    snprintf(dst, sizeof dst, "%s/" STORE_FILE, dir);
    if ((rc = copy_file(src, dst, 0600)) != 0) {
        cps_cli_error(prog, "%s: %s", dst, cps_strerror(rc));
        goto done;
    }
    snprintf(src, sizeof src, "%s/" CPS_CLI_ROSTER_FILE, backup);
    snprintf(dst, sizeof dst, "%s/" CPS_CLI_ROSTER_FILE, dir);
    if ((rc = copy_file(src, dst, 0644)) != 0) {
        cps_cli_error(prog, "%s: %s", src, cps_strerror(rc));
        goto done;
    }
    if (key != NULL) {
        struct hub h;

        if (hub_open(&h, dir, false, err, sizeof err) != 0) {
            cps_cli_error(prog, "the copy does not open: %s", err);
            ret = CPS_EXIT_NO;
            goto done;
        }
        if ((rc = cps_crypto_keys_load(&keys, abs_key)) != 0) {
            cps_cli_error(prog, "%s: %s", key, cps_strerror(rc));
            hub_close(&h);
            goto done;
        }
        cps_crypto_keys_public(keys, &pub);
        if (!cps_crypto_equal(&pub, &hub_roster(&h)->hub, sizeof pub)) {
            cps_cli_error(prog, "%s: this key is not the roster's hub key", key);
            hub_close(&h);
            ret = CPS_EXIT_NO;
            goto done;
        }
        if ((rc = cps_store_begin(h.st, true, &txn)) != 0 ||
            (rc = cps_store_meta_put(txn, "key", abs_key, strlen(abs_key))) != 0 ||
            (rc = cps_store_commit(&txn)) != 0) {
            cps_cli_error(prog, "%s: %s", dir, cps_strerror(rc));
            cps_store_abort(&txn);
            hub_close(&h);
            goto done;
        }
        hub_close(&h);
    }
    if ((ret = check_dir(prog, dir, &s)) != CPS_EXIT_OK)
        goto done;
    ret = CPS_EXIT_USAGE;
    /* no run before recover: see HUB_RESTORE_PENDING */
    if ((rc = cps_store_open_flags(&st, dir, 0, HUB_STORE_FLAGS)) != 0 ||
        (rc = cps_store_begin(st, true, &txn)) != 0 ||
        (rc = cps_store_meta_put(txn, HUB_RESTORE_PENDING, backup, strlen(backup))) != 0 ||
        (rc = cps_store_commit(&txn)) != 0) {
        cps_cli_error(prog, "%s: %s", dir, cps_strerror(rc));
        cps_store_abort(&txn);
        cps_store_close(&st);
        goto done;
    }
    cps_store_close(&st);
    if ((rc = fsync_path(dir)) != 0) {
        cps_cli_error(prog, "%s: %s", dir, cps_strerror(rc));
        ret = CPS_EXIT_USAGE;
        goto done;
    }
    printf("restored %s into %s: %" PRIu64 " entries, checkpoint %" PRIu64 ", %" PRIu64
           " records, dataset %s\n"
           "the hub's key file: %s\n"
           "next: recover what was logged after the backup from the nodes; the hub does not "
           "start before:\n  " HUB_PROG " recover --dir %s --from NODE_COPY\n",
           s.programme, dir, s.log_size, s.cp_size, s.records, s.digest, s.key_path, dir);
    ret = CPS_EXIT_OK;
done:
    cps_crypto_keys_free(&keys);
    if (ret != CPS_EXIT_OK)
        undo_dir(dir, created);
    return ret;
}
