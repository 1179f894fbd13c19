/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: configuration files (cps_config_read), what cps-hub and cps-node read at
 * start. The input is a file (memfd) read against a table with a key of every type, in two
 * sections, one key name in both. Properties: the answer is 0 or CPS_EMALFORMED, every
 * problem is reported once with a line number within the file, and a file that reads
 * cleanly writes back (cps_config_write) to a file that reads cleanly into the same settings.
 * Text values that inih would read differently once written plainly (blanks at either
 * end, a ';' or '#' first, a pair of quotes) are written in quotes; ones it cannot hold at
 * all (a ';' or '#' after a blank, control characters) cps_config_set() refuses.
 */
#define _GNU_SOURCE /* memfd_create */
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cps/config.h"
#include "fuzz.h"

struct settings {
    char str[65];
    char path[257];
    char endpoint[129];
    uint64_t n;
    bool b;
    int level;
    char name[9];
};

static const struct cps_config_key table[] = {
    {"node", "str", "--str", CPS_CONFIG_STRING, 0, 64, offsetof(struct settings, str), "text"},
    {"node", "path", "--path", CPS_CONFIG_PATH, 0, 256, offsetof(struct settings, path), "path"},
    {"node", "hub", "--hub", CPS_CONFIG_ENDPOINT, 0, 128, offsetof(struct settings, endpoint),
     "endpoint"},
    {"node", "window", "--window", CPS_CONFIG_UINT, 1, 1000, offsetof(struct settings, n),
     "number"},
    {"node", "syslog", "--syslog", CPS_CONFIG_BOOL, 0, 0, offsetof(struct settings, b), "bool"},
    {"log", "level", "--log-level", CPS_CONFIG_LEVEL, 0, 0, offsetof(struct settings, level),
     "level"},
    {"log", "str", "--log-str", CPS_CONFIG_STRING, 0, 8, offsetof(struct settings, name),
     "short text"},
};
#define N_KEYS (sizeof table / sizeof table[0])

struct reports {
    unsigned n, max_line;
};

static void
report(void *arg, const char *path, unsigned line, const char *msg)
{
    struct reports *r = arg;

    FUZZ_ASSERT(path != NULL && msg != NULL && msg[0] != '\0');
    r->n++;
    if (line > r->max_line)
        r->max_line = line;
}

/* Read the bytes as a configuration file into *s. */
static int
read_conf(const void *data, size_t size, struct settings *s, struct reports *r, unsigned *problems)
{
    char path[64];
    int fd, rc;

    if ((fd = memfd_create("fuzz-config", MFD_CLOEXEC)) == -1)
        abort();
    if (size > 0 && write(fd, data, size) != (ssize_t)size)
        abort();
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    rc = cps_config_read(path, table, N_KEYS, s, report, r, problems);
    close(fd);
    return rc;
}

static void
defaults(struct settings *s)
{
    memset(s, 0, sizeof *s);
    s->n = 64;
    s->level = 2;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct settings s, s2;
    struct reports r = {0, 0}, r2 = {0, 0};
    unsigned problems = 0, problems2 = 0, lines = 1;
    char *text = NULL;
    size_t text_len = 0, i;
    FILE *f;
    int rc;

    defaults(&s);
    rc = read_conf(data, size, &s, &r, &problems);
    FUZZ_ASSERT(rc == 0 || rc == CPS_EMALFORMED);
    FUZZ_ASSERT((rc == 0) == (problems == 0) && r.n == problems);
    for (i = 0; i < size; i++)
        lines += data[i] == '\n';
    FUZZ_ASSERT(r.max_line <= lines);
    if (rc != 0)
        return 0;
    /* what reads cleanly, written out, reads back the same */
    if ((f = open_memstream(&text, &text_len)) == NULL)
        abort();
    FUZZ_ASSERT(cps_config_write(f, table, N_KEYS, &s) == 0);
    fclose(f);
    defaults(&s2);
    rc = read_conf(text, text_len, &s2, &r2, &problems2);
    if (rc != 0 || memcmp(&s, &s2, sizeof s) != 0) {
        fprintf(stderr, "written:\n%s", text);
        FUZZ_ASSERT(!"cps_config_write() wrote what cps_config_read() reads differently");
    }
    free(text);
    return 0;
}
