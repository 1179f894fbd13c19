/* SPDX-License-Identifier: ISC */
/*
 * config: a good file sets every type of key; a bad file reports every problem once, on
 * its own line (unknown section and key, a key twice, bad values, lines that are not INI),
 * and still sets what is right; values are checked by type and range from the command
 * line too; argv is scanned for --config without disturbing the caller's getopt loop.
 */
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cps/config.h"
#include "cps/log.h"

struct conf {
    char dir[64];
    char hub[40];
    char name[16];
    uint64_t window;
    bool replica;
    int level;
};

#define F(f) offsetof(struct conf, f)
#define LEN(f) (sizeof ((struct conf *)0)->f - 1)

static const struct cps_config_key keys[] = {
    { "node", "dir", "--dir", CPS_CONFIG_PATH, 0, LEN(dir), F(dir), "data directory" },
    { "node", "hub", "--hub", CPS_CONFIG_ENDPOINT, 0, LEN(hub), F(hub), "hub endpoint" },
    { "node", "name", "--name", CPS_CONFIG_STRING, 0, LEN(name), F(name), "a name" },
    { "sync", "window", "--window", CPS_CONFIG_UINT, 1, 1000, F(window), "in flight" },
    { "sync", "replica", "--no-replica", CPS_CONFIG_BOOL, 0, 0, F(replica), "witness" },
    { "log", "level", "--log-level", CPS_CONFIG_LEVEL, 0, 0, F(level), "log level" },
};
#define N_KEYS (sizeof keys / sizeof keys[0])

static char tmpdir[] = "/tmp/cps-test-config-XXXXXX";

struct problems {
    size_t n;
    unsigned line[32];
    char msg[32][512];
};

static void
collect(void *arg, const char *path, unsigned line, const char *msg)
{
    struct problems *p = arg;

    (void)path;
    if (p->n < 32) {
        p->line[p->n] = line;
        snprintf(p->msg[p->n], sizeof p->msg[p->n], "%s", msg);
    }
    p->n++;
}

static const char *
write_file(const char *name, const char *text)
{
    static char path[256];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    CHECK_SETUP((f = fopen(path, "w")) != NULL);
    fputs(text, f);
    fclose(f);
    return path;
}

/* The problem reported on line, or NULL. */
static const char *
at(const struct problems *p, unsigned line)
{
    size_t i;

    for (i = 0; i < p->n && i < 32; i++)
        if (p->line[i] == line)
            return p->msg[i];
    return NULL;
}

static void
test_good(void)
{
    struct conf c = { .window = 64, .replica = true, .level = CPS_LOG_INFO };
    struct problems p = { 0 };
    unsigned n = 99;
    const char *path =
        write_file("good.conf", "\xEF\xBB\xBF; a comment\n"
                                "# another\n"
                                "\n"
                                "[node]\n"
                                "dir = /var/lib/cps/node   ; inline comment\n"
                                "hub=tcp://hub.example.org:7700\n"
                                "name = \"Demo Agency\"\n"
                                "[sync]\n"
                                "window = 16\n"
                                "replica = no\n"
                                "\n"
                                "[log]\r\n"
                                "level = debug\r\n");

    CHECK(cps_config_read(path, keys, N_KEYS, &c, collect, &p, &n) == 0);
    CHECK(n == 0 && p.n == 0);
    CHECK(strcmp(c.dir, "/var/lib/cps/node") == 0);
    CHECK(strcmp(c.hub, "tcp://hub.example.org:7700") == 0);
    CHECK(strcmp(c.name, "Demo Agency") == 0);
    CHECK(c.window == 16);
    CHECK(!c.replica);
    CHECK(c.level == CPS_LOG_DEBUG);
}

static void
test_bad(void)
{
    struct conf c = { .window = 64, .replica = true, .level = CPS_LOG_INFO };
    struct problems p = { 0 };
    unsigned n = 0;
    const char *path = write_file("bad.conf", "orphan = 1\n"                /* 1 */
                                              "[node]\n"                    /* 2 */
                                              "dir = relative/path\n"       /* 3 */
                                              "hub = http://x\n"            /* 4 */
                                              "colour = blue\n"             /* 5 */
                                              "window = 5\n"                /* 6 */
                                              "[sync]\n"                    /* 7 */
                                              "window = 0\n"                /* 8 */
                                              "window = 12\n"               /* 9 */
                                              "window = 13\n"               /* 10 */
                                              "replica = maybe\n"           /* 11 */
                                              "[nonsense]\n"                /* 12 */
                                              "anything = goes\n"           /* 13 */
                                              "[log\n"                      /* 14 */
                                              "just some words\n"           /* 15 */
                                              "  indented = 1\n"            /* 16 */
                                              "= value\n"                   /* 17 */
                                              "[log]\n"                     /* 18 */
                                              "level = loud\n"              /* 19 */
                                              "[node]\n"                    /* 20 */
                                              "name = a-name-far-too-long-for-it\n"); /* 21 */

    CHECK(cps_config_read(path, keys, N_KEYS, &c, collect, &p, &n) == CPS_EMALFORMED);
    CHECK(n == p.n);
    CHECK(p.n == 16);
    CHECK(at(&p, 1) != NULL && strstr(at(&p, 1), "outside any section") != NULL);
    CHECK(at(&p, 3) != NULL && strstr(at(&p, 3), "absolute path") != NULL);
    CHECK(at(&p, 4) != NULL && strstr(at(&p, 4), "tcp://HOST:PORT") != NULL);
    CHECK(at(&p, 5) != NULL && strstr(at(&p, 5), "unknown key 'colour' in [node]") != NULL);
    CHECK(at(&p, 6) != NULL && strstr(at(&p, 6), "belongs in [sync]") != NULL);
    CHECK(at(&p, 8) != NULL && strstr(at(&p, 8), "from 1 to 1000") != NULL);
    CHECK(at(&p, 9) != NULL && strstr(at(&p, 9), "already set on line 8") != NULL);
    CHECK(at(&p, 10) != NULL && strstr(at(&p, 10), "already set on line 8") != NULL);
    CHECK(at(&p, 11) != NULL && strstr(at(&p, 11), "true or false") != NULL);
    CHECK(at(&p, 12) != NULL && strstr(at(&p, 12), "unknown section [nonsense]") != NULL);
    CHECK(at(&p, 13) == NULL); /* its keys are not reported again */
    CHECK(at(&p, 14) != NULL && strstr(at(&p, 14), "without ']'") != NULL);
    CHECK(at(&p, 15) != NULL && strstr(at(&p, 15), "expected 'key = value'") != NULL);
    CHECK(at(&p, 16) != NULL && strstr(at(&p, 16), "indented") != NULL);
    CHECK(at(&p, 17) != NULL && strstr(at(&p, 17), "key name is missing") != NULL);
    CHECK(at(&p, 19) != NULL && strstr(at(&p, 19), "err, warn, info or debug") != NULL);
    CHECK(at(&p, 21) != NULL && strstr(at(&p, 21), "printable") != NULL);
    /* what was wrong changed nothing; what was right is set */
    CHECK(c.dir[0] == 0 && c.hub[0] == 0 && c.name[0] == 0);
    CHECK(c.window == 64 && c.replica && c.level == CPS_LOG_INFO);
}

static void
test_long_line_and_missing_file(void)
{
    struct conf c = { 0 };
    struct problems p = { 0 };
    char text[600];
    unsigned n;
    const char *path;

    memset(text, 'x', sizeof text);
    memcpy(text, "[node]\nname = ", 14);
    text[sizeof text - 2] = '\n';
    text[sizeof text - 1] = 0;
    path = write_file("long.conf", text);
    CHECK(cps_config_read(path, keys, N_KEYS, &c, collect, &p, &n) == CPS_EMALFORMED);
    CHECK(p.n == 1 && p.line[0] == 2 && strstr(p.msg[0], "longer than") != NULL);
    CHECK(cps_config_read("/nonexistent/cps.conf", keys, N_KEYS, &c, collect, &p, &n) < 0 &&
          n == 0);
}

static void
test_set_and_find(void)
{
    struct conf c = { 0 };
    char why[256], buf[64];

    /* the command line: relative paths are fine there */
    CHECK(cps_config_set(&keys[0], &c, "relative/dir", false, why, sizeof why) == 0);
    CHECK(strcmp(c.dir, "relative/dir") == 0);
    CHECK(cps_config_set(&keys[0], &c, "relative/dir", true, why, sizeof why) == CPS_EMALFORMED);
    CHECK(cps_config_set(&keys[1], &c, "ipc:///run/cps.sock", false, why, sizeof why) == 0);
    CHECK(cps_config_set(&keys[1], &c, "tcp://host:0", false, why, sizeof why) != 0);
    CHECK(cps_config_set(&keys[1], &c, "tcp://host:65536", false, why, sizeof why) != 0);
    CHECK(cps_config_set(&keys[1], &c, "tcp://:7700", false, why, sizeof why) != 0);
    CHECK(cps_config_set(&keys[1], &c, "tcp://[::1]:7700", false, why, sizeof why) == 0);
    CHECK(cps_config_set(&keys[3], &c, "1000", false, why, sizeof why) == 0 && c.window == 1000);
    CHECK(cps_config_set(&keys[3], &c, "1001", false, why, sizeof why) != 0 && c.window == 1000);
    CHECK(cps_config_set(&keys[3], &c, "-1", false, why, sizeof why) != 0);
    CHECK(cps_config_set(&keys[3], &c, "12abc", false, why, sizeof why) != 0);
    CHECK(cps_config_set(&keys[4], &c, "TRUE", false, why, sizeof why) == 0 && c.replica);
    CHECK(cps_config_set(&keys[4], &c, "off", false, why, sizeof why) == 0 && !c.replica);
    CHECK(cps_config_find(keys, N_KEYS, "sync.window") == &keys[3]);
    CHECK(cps_config_find(keys, N_KEYS, "window") == &keys[3]);
    CHECK(cps_config_find(keys, N_KEYS, "node.window") == NULL);
    cps_config_format(&keys[3], &c, buf, sizeof buf);
    CHECK(strcmp(buf, "1000") == 0);
    cps_config_format(&keys[4], &c, buf, sizeof buf);
    CHECK(strcmp(buf, "false") == 0);
}

static void
test_scan_args(void)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'C' },
        { "window", required_argument, NULL, 'w' },
        { "log-level", required_argument, NULL, 'l' },
        { NULL, 0, NULL, 0 },
    };
    char *argv[] = { "run", "--window", "3", "--config=/etc/x.conf", "operand", "-l", "debug",
                     NULL };
    const char *config = NULL;
    bool given[256];
    int argc = 7, c, seen_w = 0;

    cps_config_scan_args(argc, argv, "C:w:l:", opts, 'C', &config, given);
    CHECK(config != NULL && strcmp(config, "/etc/x.conf") == 0);
    CHECK(given['w'] && given['l'] && given['C'] && !given['x']);
    /* the caller's own loop then sees everything again */
    while ((c = getopt_long(argc, argv, "C:w:l:", opts, NULL)) != -1)
        seen_w += c == 'w';
    CHECK(seen_w == 1 && optind == argc - 1 && strcmp(argv[optind], "operand") == 0);
}

static void
test_write(void)
{
    struct conf c = { .dir = "/srv/cps", .window = 8, .replica = true, .level = CPS_LOG_WARN };
    struct conf back = { 0 };
    struct problems p = { 0 };
    char path[256];
    unsigned n;
    FILE *f;

    snprintf(path, sizeof path, "%s/written.conf", tmpdir);
    CHECK_SETUP((f = fopen(path, "w")) != NULL);
    CHECK(cps_config_write(f, keys, N_KEYS, &c) == 0);
    fclose(f);
    /* what show writes reads back as the same settings (unset text keys commented out) */
    CHECK(cps_config_read(path, keys, N_KEYS, &back, collect, &p, &n) == 0);
    CHECK(strcmp(back.dir, "/srv/cps") == 0 && back.hub[0] == 0 && back.window == 8 &&
          back.replica && back.level == CPS_LOG_WARN);

    /* text inih would read otherwise goes in quotes, and reads back as itself */
    {
        static const char *const tricky[] = { " lead", "trail ", ";semi", "#hash", "\"q\"",
                                              "a;b#c", "\"", "\"\"" };
        char why[128];
        size_t i;

        for (i = 0; i < sizeof tricky / sizeof tricky[0]; i++) {
            struct conf w = { .window = 8 }, r = { 0 };

            CHECK(cps_config_set(&keys[2], &w, tricky[i], false, why, sizeof why) == 0);
            CHECK_SETUP((f = fopen(path, "w")) != NULL);
            CHECK(cps_config_write(f, keys, N_KEYS, &w) == 0);
            fclose(f);
            CHECK(cps_config_read(path, keys, N_KEYS, &r, collect, &p, &n) == 0 && n == 0);
            CHECK(strcmp(r.name, tricky[i]) == 0);
        }
        /* what no file can hold is refused where it is set, with the reason */
        CHECK(cps_config_set(&keys[2], &c, "a ;b", false, why, sizeof why) == CPS_EMALFORMED);
        CHECK(strstr(why, "after a blank starts a comment") != NULL);
        CHECK(cps_config_set(&keys[0], &c, "/srv/a\tb #c", false, why, sizeof why) ==
              CPS_EMALFORMED);
        CHECK(cps_config_set(&keys[0], &c, "/srv/a\nb", false, why, sizeof why) ==
              CPS_EMALFORMED);
        CHECK(strstr(why, "control characters") != NULL);
        CHECK(strcmp(c.dir, "/srv/cps") == 0); /* unchanged */
    }
}

int
main(void)
{
    char cmd[128];

    CHECK_SETUP(mkdtemp(tmpdir) != NULL);
    test_good();
    test_bad();
    test_long_line_and_missing_file();
    test_set_and_find();
    test_scan_args();
    test_write();
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return check_done();
}
