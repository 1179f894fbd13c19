/* SPDX-License-Identifier: ISC */
/*
 * cps-hub checkpoint and audit-bundle: a checkpoint on demand, and a self-contained folder
 * with everything an auditor needs to check the log offline (layout in docs/AUDIT.md).
 * Both are safe while the hub runs: the bundle is one read transaction's snapshot.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cps/cli.h"
#include "cps/replay.h"
#include "commands.h"
#include "hub.h"

static int
parse_dir(int argc, char **argv, const char *usage_text, const char **dir)
{
    static const struct option opts[] = {
        { "dir", required_argument, NULL, 'd' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    while ((c = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
        if (c == 'd') {
            *dir = optarg;
        } else if (c == 'h') {
            fputs(usage_text, stdout);
            return CPS_EXIT_OK;
        } else {
            fputs(usage_text, stderr);
            return CPS_EXIT_USAGE;
        }
    }
    *dir = hub_dir(*dir);
    return -1;
}

int
cmd_checkpoint_main(int argc, char **argv)
{
    static const char usage_text[] =
        "Usage: " HUB_PROG " checkpoint [--dir DIR]\n"
        "Sign a checkpoint of the log's current size now (if the latest is older) and print\n"
        "the latest signed checkpoint (C2SP tlog-checkpoint, signed note) to stdout.\n"
        "Example:\n"
        "  " HUB_PROG " checkpoint --dir /var/lib/cps/hub > checkpoint.txt\n";
    struct cps_txn *txn = NULL;
    struct cps_val note;
    const char *dir = NULL;
    uint64_t signed_size, size;
    struct hub h;
    char err[512];
    int rc;

    if ((rc = parse_dir(argc, argv, usage_text, &dir)) >= 0)
        return rc;
    if (optind != argc) {
        fputs(usage_text, stderr);
        return CPS_EXIT_USAGE;
    }
    if (hub_open(&h, dir, true, err, sizeof err) != 0) {
        cps_cli_error(HUB_PROG " checkpoint", "%s", err);
        return CPS_EXIT_USAGE;
    }
    if ((rc = cps_store_begin(h.st, true, &txn)) != 0 ||
        (rc = hub_checkpoint(&h, txn, &signed_size)) != 0 ||
        (rc = cps_store_commit(&txn)) != 0 || (rc = cps_store_begin(h.st, false, &txn)) != 0 ||
        (rc = hub_latest_checkpoint(txn, &size, &note)) != 0) {
        cps_cli_error(HUB_PROG " checkpoint", "%s", cps_strerror(rc));
        cps_store_abort(&txn);
        hub_close(&h);
        return CPS_EXIT_USAGE;
    }
    fwrite(note.data, 1, note.len, stdout);
    cps_store_abort(&txn);
    hub_close(&h);
    return CPS_EXIT_OK;
}

/* Write every value of db, in key order, each framed by frame(). */
static int
write_all(struct cps_txn *txn, enum cps_db db, FILE *f, bool as_note, uint64_t *count)
{
    struct cps_cursor *cur = NULL;
    struct cps_val k, v;
    int rc;

    *count = 0;
    if ((rc = cps_store_cursor_open(txn, db, &cur)) != 0)
        return rc;
    for (rc = cps_store_cursor_get(cur, CPS_SEEK_FIRST, NULL, 0, &k, &v); rc == 0;
         rc = cps_store_cursor_get(cur, CPS_SEEK_NEXT, NULL, 0, &k, &v)) {
        uint8_t len[4] = { (uint8_t)(v.len >> 24), (uint8_t)(v.len >> 16), (uint8_t)(v.len >> 8),
                           (uint8_t)v.len };

        if (as_note ? fprintf(f, "checkpoint %zu\n", v.len) < 0 : fwrite(len, 4, 1, f) != 1) {
            rc = -EIO;
            break;
        }
        if (fwrite(v.data, 1, v.len, f) != v.len) {
            rc = -EIO;
            break;
        }
        (*count)++;
    }
    cps_store_cursor_close(&cur);
    return rc == CPS_ENOTFOUND ? 0 : rc;
}

static int
write_text(const char *dir, const char *name, const char *text, size_t len)
{
    char path[PATH_MAX];

    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return -ENAMETOOLONG;
    return cps_cli_write_file(path, text, len, 0644);
}

static const char bundle_readme[] =
    "cps audit bundle\n"
    "\n"
    "roster.txt       the programme roster, a C2SP signed note by the programme key\n"
    "programme.vkey   the programme verifier key the hub pinned (obtain it independently)\n"
    "hub.vkey         the verifier key of the hub's checkpoints (its key is in the roster)\n"
    "entries.bin      every log entry in order: u32 big-endian length, then the entry\n"
    "                 (msgpack [signed update, status, code, reason, received_ms])\n"
    "checkpoints.txt  every signed checkpoint, by size: a line \"checkpoint <bytes>\", then\n"
    "                 the C2SP signed note of that many bytes\n"
    "\n"
    "Check it offline:  cps-audit verify --programme-key \"$(cat programme.vkey)\" .\n"
    "Details: docs/AUDIT.md in the cps sources.\n";

int
cmd_audit_bundle_main(int argc, char **argv)
{
    static const char usage_text[] =
        "Usage: " HUB_PROG " audit-bundle [--dir DIR] OUT\n"
        "Write a self-contained audit bundle into the new folder OUT: the roster, every log\n"
        "entry and every signed checkpoint, as one consistent snapshot (safe while the hub\n"
        "runs). cps-audit verify OUT checks it offline with public keys only.\n"
        "Example:\n"
        "  " HUB_PROG " audit-bundle --dir /var/lib/cps/hub audit-2025-q1 && cps-audit verify audit-2025-q1\n";
    struct cps_note_verifier v;
    struct cps_txn *txn = NULL;
    const char *dir = NULL, *out;
    char err[512], path[PATH_MAX + 32], vkey[CPS_NOTE_VKEY_MAX + 1], *roster = NULL;
    uint64_t n_entries = 0, n_cps = 0;
    size_t roster_len;
    struct hub h;
    FILE *f = NULL;
    int rc, ret = CPS_EXIT_USAGE;

    if ((rc = parse_dir(argc, argv, usage_text, &dir)) >= 0)
        return rc;
    if (argc - optind != 1) {
        fputs(usage_text, stderr);
        return CPS_EXIT_USAGE;
    }
    out = argv[optind];
    if (hub_open(&h, dir, false, err, sizeof err) != 0) {
        cps_cli_error(HUB_PROG " audit-bundle", "%s", err);
        return CPS_EXIT_USAGE;
    }
    if (mkdir(out, 0755) != 0) {
        cps_cli_error(HUB_PROG " audit-bundle", "%s: %s", out,
                      errno == EEXIST ? "already exists (choose a new folder)" : strerror(errno));
        goto done;
    }
    snprintf(path, sizeof path, "%s/" CPS_CLI_ROSTER_FILE, h.dir);
    if ((rc = cps_cli_read_file(path, 4u << 20, &roster, &roster_len)) != 0 ||
        (rc = write_text(out, "roster.txt", roster, roster_len)) != 0)
        goto io_fail;
    cps_replay_hub_verifier(hub_roster(&h), &v);
    if ((rc = cps_note_vkey_format(vkey, v.name, v.pk)) != 0)
        goto io_fail;
    strcat(vkey, "\n");
    if ((rc = write_text(out, "hub.vkey", vkey, strlen(vkey))) != 0)
        goto io_fail;
    snprintf(vkey, sizeof vkey, "%s\n", h.vkey);
    if ((rc = write_text(out, "programme.vkey", vkey, strlen(vkey))) != 0 ||
        (rc = write_text(out, "README.txt", bundle_readme, sizeof bundle_readme - 1)) != 0)
        goto io_fail;
    if ((rc = cps_store_begin(h.st, false, &txn)) != 0)
        goto io_fail;
    snprintf(path, sizeof path, "%s/entries.bin", out);
    if ((f = fopen(path, "wbx")) == NULL) {
        rc = -errno;
        goto io_fail;
    }
    if ((rc = write_all(txn, CPS_DB_LOG, f, false, &n_entries)) != 0)
        goto io_fail;
    if (fclose(f) != 0) {
        f = NULL;
        rc = -EIO;
        goto io_fail;
    }
    snprintf(path, sizeof path, "%s/checkpoints.txt", out);
    if ((f = fopen(path, "wx")) == NULL) {
        rc = -errno;
        goto io_fail;
    }
    if ((rc = write_all(txn, CPS_DB_CHECKPOINTS, f, true, &n_cps)) != 0)
        goto io_fail;
    rc = fclose(f);
    f = NULL;
    if (rc != 0) {
        rc = -EIO;
        goto io_fail;
    }
    printf("audit bundle %s: %" PRIu64 " entries, %" PRIu64 " checkpoints\n", out, n_entries,
           n_cps);
    ret = CPS_EXIT_OK;
    goto done;
io_fail:
    cps_cli_error(HUB_PROG " audit-bundle", "%s: %s (the bundle is incomplete: remove it)", out,
                  cps_strerror(rc));
done:
    if (f != NULL)
        fclose(f);
    cps_store_abort(&txn);
    free(roster);
    hub_close(&h);
    return ret;
}
