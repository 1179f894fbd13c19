/* SPDX-License-Identifier: ISC */
/*
 * cps-audit verify and replay: check an audit bundle offline, with public keys only, and
 * (replay) write the dataset rebuilt from it. Both run audit_verify (check.c); they differ
 * only in what they print once the bundle has verified.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "commands.h"
#include "cps/cli.h"
#include "cps/export.h"
#include "cps/replay.h"

#define JOBS_MAX 256

static unsigned
default_jobs(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    return n < 1 ? 1 : n > JOBS_MAX ? JOBS_MAX : (unsigned)n;
}

/* Options of verify (fmt NULL) and replay. Returns -1 to go on, or the exit code. */
static int
parse_opts(int argc, char **argv, const char *usage_text, struct audit_opts *o,
           enum cps_export_format *fmt, struct cps_export_filter *filter)
{
    static const struct option opts[] = {
        {"programme-key", required_argument, NULL, 'k'},
        {"jobs", required_argument, NULL, 'j'},
        {"format", required_argument, NULL, 'f'},
        {"collection", required_argument, NULL, 'c'},
        {"partner", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    uint64_t v;
    int c;

    o->jobs = default_jobs();
    while ((c = getopt_long(argc, argv, "k:j:f:c:p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'k':
            o->programme_key = optarg;
            break;
        case 'j':
            if (!cps_cli_parse_u64(optarg, 0, JOBS_MAX, &v)) {
                cps_cli_error(o->prog, "--jobs %s: expected 0 to %d", optarg, JOBS_MAX);
                goto misuse;
            }
            o->jobs = (unsigned)v;
            break;
        case 'f':
            if (fmt == NULL)
                goto misuse;
            if (cps_export_parse_format(optarg, fmt) != 0) {
                cps_cli_error(o->prog, "--format %s: expected ndjson or csv", optarg);
                goto misuse;
            }
            break;
        case 'c':
        case 'p':
            if (filter == NULL)
                goto misuse;
            *(c == 'c' ? &filter->coll : &filter->partner) = optarg;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return CPS_EXIT_OK;
        default:
            goto misuse;
        }
    }
    if (argc - optind != 1)
        goto misuse;
    o->dir = argv[optind];
    return -1;
misuse:
    fputs(usage_text, stderr);
    return CPS_EXIT_USAGE;
}

static void
print_summary(const struct audit_opts *o, const struct audit_result *r)
{
    char h[2 * CPS_TLOG_HASH_BYTES + 1];
    struct cps_txn *txn = NULL;
    size_t i;

    printf("bundle       %s: verified\n", o->dir);
    printf("entries      %" PRIu64 "\n", r->entries);
    printf("partners     %" PRIu64 "\n", r->partners);
    printf("accepted     %" PRIu64 "\n", r->accepted);
    printf("rejected     %" PRIu64 "\n", r->rejected);
    printf("records      %" PRIu64 "\n", r->records);
    printf("checkpoints  %" PRIu64 " (last at size %" PRIu64 ")\n", r->checkpoints, r->covered);
    audit_hex(h, r->root, sizeof r->root);
    printf("root         %s\n", h);
    audit_hex(h, r->dataset, sizeof r->dataset);
    printf("dataset      %s\n", h);
    if (cps_store_begin(r->st, false, &txn) != 0)
        return;
    for (i = 0; i <= r->roster->n_partners; i++) {
        const char *id =
            i < r->roster->n_partners ? r->roster->partners[i].id : CPS_ROSTER_PROGRAMME_ID;
        struct cps_pstate ps;

        if (cps_replay_chain_get(txn, &cps_replay_hub, id, &ps) != 0 || ps.last_seq == 0)
            continue;
        if (i < r->roster->n_partners)
            printf("partner      %s ", id);
        else
            printf("programme    "); /* updates signed by the programme key */
        printf("last_seq %" PRIu64 " accepted %" PRIu64 " rejected %" PRIu64 "\n", ps.last_seq,
               ps.accepted, ps.rejected);
    }
    cps_store_abort(&txn);
}

#define CHECKS_TEXT                                                                                \
    "The programme key (--programme-key, obtained independently; else the bundle's own\n"          \
    "programme.vkey, with a warning) must have signed roster.txt; the roster's keys must\n"        \
    "have signed every entry (partners, programme) and every checkpoint (the hub); hub.vkey,\n"    \
    "if there, must be the roster's hub key. Every entry is replayed in order through the\n"       \
    "hub's own rules into a temporary store ($TMPDIR): the writers' chains (seq, prev), the\n"     \
    "programme, and the recorded decision (applied, or rejected with that code and reason);\n"     \
    "at each checkpoint's size the rebuilt Merkle root and dataset digest must be the\n"           \
    "signed ones. Signatures are checked by --jobs threads (default: the online CPUs) ahead\n"     \
    "of the replay.\n"                                                                             \
    "A failure is one line on stderr naming where: roster.txt, hub.vkey, entries.bin,\n"           \
    "\"entry N (partner P seq S)\" or \"checkpoint SIZE\". Entries past the last checkpoint\n"     \
    "are replayed but only warned about: no signature of the hub covers them.\n"

int
cmd_verify_main(int argc, char **argv)
{
    static const char usage_text[] =
        "Usage: " AUDIT_PROG " verify [--programme-key VKEY] [--jobs N] DIR\n"
        "Check the audit bundle DIR (written by cps-hub audit-bundle) offline.\n" CHECKS_TEXT
        "On success prints a summary (entries, partners, accepted, rejected, records,\n"
        "checkpoints, Merkle root, dataset digest, per-partner counts, and the programme\n"
        "key's own updates).\n"
        "Exit 0 verified, 1 the bundle does not verify, 2 could not run.\n"
        "Example:\n"
        "  " AUDIT_PROG " verify --programme-key \"$(cat programme.vkey)\" bundle/\n";
    struct audit_opts o = {.prog = AUDIT_PROG " verify"};
    struct audit_result r;
    int ret;

    if ((ret = parse_opts(argc, argv, usage_text, &o, NULL, NULL)) >= 0)
        return ret;
    if ((ret = audit_verify(&o, &r)) == CPS_EXIT_OK)
        print_summary(&o, &r);
    audit_result_free(&r);
    return ret;
}

int
cmd_replay_main(int argc, char **argv)
{
    static const char usage_text[] =
        "Usage: " AUDIT_PROG " replay [--programme-key VKEY] [--jobs N] [--format ndjson|csv]\n"
        "                        [--collection C] [--partner ID] DIR\n"
        "Verify the audit bundle DIR exactly as 'verify' does, then write the dataset rebuilt\n"
        "from its log to stdout, in key order, as 'cps-hub export' does (NDJSON lines\n"
        "{\"coll\",\"key\",\"value\"}, or CSV coll,key,partner,value). Nothing is written\n"
        "unless the bundle verifies.\n" CHECKS_TEXT
        "Exit 0 verified and written, 1 the bundle does not verify, 2 could not run.\n"
        "Example:\n"
        "  " AUDIT_PROG
        " replay --programme-key \"$(cat programme.vkey)\" bundle/ > dataset.ndjson\n";
    struct audit_opts o = {.prog = AUDIT_PROG " replay"};
    struct cps_export_filter filter = {0};
    enum cps_export_format fmt = CPS_EXPORT_NDJSON;
    struct cps_txn *txn = NULL;
    struct audit_result r;
    uint64_t count;
    int ret, rc;

    if ((ret = parse_opts(argc, argv, usage_text, &o, &fmt, &filter)) >= 0)
        return ret;
    if ((ret = audit_verify(&o, &r)) == CPS_EXIT_OK) {
        if ((rc = cps_store_begin(r.st, false, &txn)) != 0 ||
            (rc = cps_export_records(txn, CPS_DB_RECORDS, stdout, fmt, &filter, &count)) != 0 ||
            (rc = fflush(stdout) == 0 ? 0 : -EIO) != 0) {
            cps_cli_error(o.prog, "export: %s", cps_strerror(rc));
            ret = CPS_EXIT_USAGE;
        }
        cps_store_abort(&txn);
    }
    audit_result_free(&r);
    return ret;
}
