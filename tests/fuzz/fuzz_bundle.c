/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: cps-audit's bundle readers (audit/bundle.c), the first code to touch a bundle
 * an auditor was handed. The first byte picks the file: even, the rest is checkpoints.txt
 * (audit_notes_split, then every note checked as a checkpoint of the fixed hub key, as
 * check.c does); odd, the rest is entries.bin (audit_entries_load from a temporary folder,
 * then every entry and the signed update inside it decoded). Every note and entry must lie
 * inside the bytes it came from.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "cps/tlog.h"
#include "cps/wire.h"
#include "fuzz.h"

/* in memory (tmpfs) where there is one: the target writes a file per input */
static char dir[64];
static char path[sizeof dir + sizeof "/" AUDIT_ENTRIES_FILE];

static void
cleanup(void)
{
    unlink(path);
    rmdir(dir);
}

static void
notes(const char *text, size_t len)
{
    struct audit_note *v = NULL;
    struct cps_checkpoint cp;
    char err[256];
    size_t n = 9, i;
    int rc;

    rc = audit_notes_split(&v, &n, text, len, err, sizeof err);
    FUZZ_ASSERT(rc == 0 || rc == CPS_EMALFORMED);
    if (rc != 0) {
        FUZZ_ASSERT(v == NULL && n == 0 && memchr(err, 0, sizeof err) != NULL);
        return;
    }
    for (i = 0; i < n; i++) {
        FUZZ_ASSERT(v[i].at < len && v[i].note >= text && v[i].note_len <= len &&
                    v[i].note + v[i].note_len <= text + len);
        rc = cps_tlog_checkpoint_verify(&cp, v[i].note, v[i].note_len, fuzz_verifier());
        FUZZ_ASSERT(rc == 0 || rc == CPS_EMALFORMED || rc == CPS_EBADSIG);
    }
    free(v);
}

static void
entries(const uint8_t *data, size_t size)
{
    struct audit_entries e;
    struct cps_entry ent;
    struct cps_update *up;
    char err[256];
    size_t i;
    int fd, rc;

    if (path[0] == '\0') {
        snprintf(dir, sizeof dir, "%s/cps-fuzz-bundle-XXXXXX",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (mkdtemp(dir) == NULL)
            abort();
        snprintf(path, sizeof path, "%s/%s", dir, AUDIT_ENTRIES_FILE);
        atexit(cleanup);
    }
    if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1 ||
        (size > 0 && write(fd, data, size) != (ssize_t)size) || close(fd) != 0)
        abort();
    rc = audit_entries_load(&e, dir, err, sizeof err);
    FUZZ_ASSERT(rc == 0 || rc == CPS_EMALFORMED);
    if (rc == 0) {
        FUZZ_ASSERT(e.map_len == size);
        for (i = 0; i < e.n; i++) {
            FUZZ_ASSERT(e.len[i] > 0 && e.off[i] >= 4 && e.off[i] + e.len[i] <= e.map_len);
            if (cps_wire_decode_entry(&ent, e.map + e.off[i], e.len[i]) != 0)
                continue;
            up = NULL;
            if (cps_wire_decode_update(&up, ent.signed_bytes, ent.signed_len) == 0)
                cps_wire_update_free(&up);
        }
    } else {
        FUZZ_ASSERT(memchr(err, 0, sizeof err) != NULL);
    }
    audit_entries_free(&e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] % 2 == 0)
        notes((const char *)data + 1, size - 1);
    else
        entries(data + 1, size - 1);
    return 0;
}
