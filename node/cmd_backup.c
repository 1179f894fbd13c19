/* SPDX-License-Identifier: ISC */
/*
 * cps-node backup: a consistent copy of the node's store (one read transaction's
 * snapshot, taken while the daemon runs) and its roster, never its key. It is what the
 * lead partner needs to bring back entries a restored hub is missing (cps-hub recover
 * reads the replica in it), and it keeps the partner's own records and queue.
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
#include <unistd.h>

#include "cps/cli.h"
#include "cps/replay.h"
#include "commands.h"
#include "node.h"
#include "ops.h"

/* dir must not exist (it is created, 0700) or be empty. */
static int
prepare_dir(const char *prog, const char *dir)
{
    struct dirent *de;
    DIR *d;

    if ((d = opendir(dir)) == NULL) {
        if (errno == ENOENT && mkdir(dir, 0700) == 0)
            return CPS_EXIT_OK;
        cps_cli_error(prog, "%s: %s", dir, strerror(errno));
        return CPS_EXIT_USAGE;
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

int
cmd_backup_main(int argc, char **argv)
{
    static const char usage_text[] =
        "Usage: " NODE_PROG " backup [--dir DIR] [--config FILE] OUTDIR\n"
        "Copy the node's store while the daemon runs (a consistent snapshot) into OUTDIR,\n"
        "which must not exist or be empty: data.mdb (compacted) and roster.txt. The key\n"
        "file is NOT copied: keep it apart and safe.\n"
        "The copy holds this partner's records and queued updates, and the replica of the\n"
        "hub's log: when the hub must be restored from an older backup, the lead partner\n"
        "brings back what it lacks from such a copy ('cps-hub recover --from OUTDIR').\n"
        "Example:\n"
        "  " NODE_PROG " backup --config /etc/cps/node.conf /srv/backup/cps-node-$(date +%F)\n";
    static const struct option opts[] = {
        { "dir", required_argument, NULL, 'd' },
        { "config", required_argument, NULL, 'C' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *prog = NODE_PROG " backup", *dir = NULL, *out;
    char path[PATH_MAX + 32], err[512], *text = NULL;
    uint64_t entries = 0, trusted = 0, records = 0, queued = 0, map_size, used = 0;
    struct cps_txn *txn = NULL;
    struct cps_store *st = NULL;
    struct node_conf cf;
    struct node n;
    size_t len;
    int c, rc, fd, ret = CPS_EXIT_USAGE;

    if ((rc = node_conf_load(&cf, argc, argv, "d:C:h", opts, prog)) >= 0)
        return rc;
    dir = cf.dir[0] != 0 ? cf.dir : NULL;
    while ((c = getopt_long(argc, argv, "d:C:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'C': break; /* read by node_conf_load */
        case 'h': fputs(usage_text, stdout); return CPS_EXIT_OK;
        default: fputs(usage_text, stderr); return CPS_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        fputs(usage_text, stderr);
        return CPS_EXIT_USAGE;
    }
    out = argv[optind];
    if (node_open(&n, node_dir(dir), false, err, sizeof err) != 0) {
        cps_cli_error(prog, "%s", err);
        return CPS_EXIT_USAGE;
    }
    if ((ret = prepare_dir(prog, out)) != CPS_EXIT_OK)
        goto done;
    ret = CPS_EXIT_USAGE;
    snprintf(path, sizeof path, "%s/data.mdb", out);
    if ((rc = cps_store_copy(n.st, out, true)) != 0) {
        cps_cli_error(prog, "%s: %s", out, cps_strerror(rc));
        goto done;
    }
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 || fsync(fd) != 0) {
        cps_cli_error(prog, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        goto done;
    }
    close(fd);
    snprintf(path, sizeof path, "%s/" CPS_CLI_ROSTER_FILE, n.dir);
    if ((rc = cps_cli_read_file(path, CPS_CLI_ROSTER_MAX, &text, &len)) != 0) {
        cps_cli_error(prog, "%s: %s", path, cps_strerror(rc));
        goto done;
    }
    snprintf(path, sizeof path, "%s/" CPS_CLI_ROSTER_FILE, out);
    if ((rc = cps_cli_write_new(path, text, len, 0644)) != 0) {
        cps_cli_error(prog, "%s: %s", path, cps_strerror(rc));
        goto done;
    }
    /* the copy must open; what it holds is read from it */
    if ((rc = cps_store_open(&st, out, 0)) != 0 ||
        (rc = cps_store_usage(st, &map_size, &used)) != 0 ||
        (rc = cps_store_begin(st, false, &txn)) != 0 ||
        (rc = cps_replay_size(txn, &cps_replay_replica, &entries)) != 0 ||
        (rc = cps_store_count(txn, CPS_DB_RECORDS, &records)) != 0 ||
        (rc = cps_store_count(txn, CPS_DB_OUTBOX, &queued)) != 0) {
        cps_cli_error(prog, "%s: the copy does not open: %s", out, cps_strerror(rc));
        ret = CPS_EXIT_NO;
        goto done;
    }
    if (cps_store_meta_get_u64(txn, "trusted_size", &trusted) != 0)
        trusted = 0;
    printf("backup of node %s in %s: %" PRIu64 " own records, %" PRIu64 " queued updates, "
           "replica of %" PRIu64 " entries (trusted checkpoint %" PRIu64 ")\n"
           "not included: the key file %s (keep it apart and safe)\n",
           n.partner, out, records, queued, entries, trusted, n.key_path);
    ret = CPS_EXIT_OK;
done:
    cps_store_abort(&txn);
    cps_store_close(&st);
    if (ret == CPS_EXIT_OK) {
        snprintf(path, sizeof path, "%s/lock.mdb", out);
        unlink(path); /* made by the check's open; not part of a backup */
        /* the open sized the file to the map: back to the pages in use */
        snprintf(path, sizeof path, "%s/data.mdb", out);
        if (truncate(path, (off_t)used) != 0) {
            cps_cli_error(prog, "%s: %s", path, strerror(errno));
            ret = CPS_EXIT_USAGE;
        }
    }
    free(text);
    node_close(&n);
    return ret;
}
