/* SPDX-License-Identifier: ISC */
/*
 * cli: helpers for the binaries' edge (error lines, command dispatch, small files, the data
 * directory of cps-node and cps-hub). The one place in common/ that prints, because only
 * binaries link it into their main paths.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cps/cli.h"
#include "cps/config.h"
#include "cps/crypto.h"
#include "cps/log.h"
#include "cps/roster.h"
#include "cps/schema.h"
#include "cps/store.h"

#define STORE_FILE "data.mdb" /* LMDB's name for the store in its directory */

void
cps_cli_error(const char *prog, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void
list_commands(FILE *f, const char *prog, const char *about, const struct cps_cli_command *cmds,
              size_t n)
{
    size_t i;

    fprintf(f, "usage: %s COMMAND [OPTIONS]\n%s\n\nCommands:\n", prog, about);
    for (i = 0; i < n; i++)
        fprintf(f, "  %-12s %s\n", cmds[i].name, cmds[i].summary);
    fprintf(f,
            "\nRun '%s COMMAND --help' for the options of a command.\n"
            "Exit status: 0 done, 1 the answer is no, 2 could not run.\n",
            prog);
}

int
cps_cli_dispatch(const char *prog, const char *about, const struct cps_cli_command *cmds,
                 size_t n_cmds, int argc, char **argv)
{
    size_t i;

    if (argc < 2) {
        list_commands(stderr, prog, about, cmds, n_cmds);
        return CPS_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        list_commands(stdout, prog, about, cmds, n_cmds);
        return CPS_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("%s %s\n", prog, CPS_VERSION);
        return CPS_EXIT_OK;
    }
    for (i = 0; i < n_cmds; i++)
        if (strcmp(argv[1], cmds[i].name) == 0)
            return cmds[i].run(argc - 1, argv + 1);
    cps_cli_error(prog, "unknown command '%s'", argv[1]);
    list_commands(stderr, prog, about, cmds, n_cmds);
    return CPS_EXIT_USAGE;
}

int
cps_cli_read_file(const char *path, size_t max, char **out, size_t *out_len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    size_t cap = 4096, len = 0, n;
    char *buf, *nb;
    int rc = 0;

    *out = NULL;
    if (f == NULL)
        return -errno;
    if ((buf = malloc(cap)) == NULL) {
        rc = -ENOMEM;
        goto done;
    }
    for (;;) {
        if (len + 1 >= cap) {
            if (cap > max + 1) {
                rc = CPS_ETOOBIG;
                goto done;
            }
            if ((nb = realloc(buf, cap * 2)) == NULL) {
                rc = -ENOMEM;
                goto done;
            }
            buf = nb;
            cap *= 2;
        }
        errno = 0;
        n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f))
        rc = errno != 0 ? -errno : -EIO; /* EISDIR names the mistake better than EIO */
    else if (len > max)
        rc = CPS_ETOOBIG;
done:
    if (f != stdin)
        fclose(f);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    buf[len] = 0;
    *out = buf;
    *out_len = len;
    return 0;
}

static int
write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* "-": after whatever stdio has buffered for stdout. */
static int
write_stdout(const void *data, size_t len)
{
    if (fflush(stdout) != 0)
        return -errno;
    return write_all(STDOUT_FILENO, data, len);
}

/* Write data to the new file fd and fsync it; closes fd. Returns 0 or -errno. */
static int
write_close(int fd, const void *data, size_t len)
{
    int rc;

    if ((rc = write_all(fd, data, len)) == 0 && fsync(fd) != 0)
        rc = -errno;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    return rc;
}

int
cps_cli_write_file(const char *path, const void *data, size_t len, unsigned mode)
{
    char tmp[PATH_MAX];
    int fd, rc;

    if (strcmp(path, "-") == 0)
        return write_stdout(data, len);
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp)
        return -ENAMETOOLONG;
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)) == -1)
        return -errno;
    if ((rc = write_close(fd, data, len)) == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc != 0)
        unlink(tmp);
    return rc;
}

int
cps_cli_write_new(const char *path, const void *data, size_t len, unsigned mode)
{
    int fd, rc;

    if (strcmp(path, "-") == 0)
        return write_stdout(data, len);
    if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)) == -1)
        return -errno;
    if ((rc = write_close(fd, data, len)) != 0)
        unlink(path);
    return rc;
}

const char *
cps_cli_dir(const char *given, const char *env, const char *def)
{
    const char *e;

    if (given != NULL)
        return given;
    if ((e = getenv(env)) != NULL && *e != 0)
        return e;
    return def;
}

bool
cps_cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
    unsigned long long x;
    char *end;

    if (s == NULL || *s < '0' || *s > '9')
        return false;
    errno = 0;
    x = strtoull(s, &end, 10);
    if (errno != 0 || *end != 0 || x < min || x > max)
        return false;
    *v = x;
    return true;
}

int
cps_cli_abspath(const char *path, char *out, size_t out_len)
{
    char cwd[PATH_MAX];

    if (path[0] == '/') {
        if (strlen(path) >= out_len)
            return -ENAMETOOLONG;
        strcpy(out, path);
        return 0;
    }
    if (getcwd(cwd, sizeof cwd) == NULL)
        return -errno;
    if ((size_t)snprintf(out, out_len, "%s/%s", cwd, path) >= out_len)
        return -ENAMETOOLONG;
    return 0;
}

int
cps_cli_parse_dir_opts(int argc, char **argv, const char *prog, const char *usage_text,
                       const char **dir, struct cps_export_filter *filter,
                       enum cps_export_format *fmt)
{
    static const struct option opts[] = {
        {"dir", required_argument, NULL, 'd'},
        {"format", required_argument, NULL, 'f'},
        {"collection", required_argument, NULL, 'c'},
        {"partner", required_argument, NULL, 'p'},
        {"country", required_argument, NULL, 'C'}, /* long only: not in the optstring */
        {"area", required_argument, NULL, 'A'},
        {"period", required_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    while ((c = getopt_long(argc, argv, "d:f:c:p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            *dir = optarg;
            break;
        case 'f':
        case 'c':
        case 'p':
        case 'C':
        case 'A':
        case 'P':
            if (filter == NULL)
                goto misuse;
            if (c == 'c') {
                filter->coll = optarg;
            } else if (c == 'p') {
                filter->partner = optarg;
            } else if (c == 'C') {
                if (strlen(optarg) != 2 || optarg[0] < 'A' || optarg[0] > 'Z' || optarg[1] < 'A' ||
                    optarg[1] > 'Z') {
                    cps_cli_error(prog, "--country %s: expected an ISO 3166-1 code, e.g. IT",
                                  optarg);
                    goto misuse;
                }
                filter->country = optarg;
            } else if (c == 'A') {
                if (!cps_schema_area_ok(optarg, strlen(optarg))) {
                    cps_cli_error(prog,
                                  "--area %s: expected one of innovation, rd, sustainability, "
                                  "international_cooperation, financing, "
                                  "regional_specialisation, jobs_skills",
                                  optarg);
                    goto misuse;
                }
                filter->area = optarg;
            } else if (c == 'P') {
                if (!cps_schema_period_ok(optarg, strlen(optarg))) {
                    cps_cli_error(prog, "--period %s: expected YYYY, YYYY-Qn or YYYY-Hn", optarg);
                    goto misuse;
                }
                filter->period = optarg;
            } else if (cps_export_parse_format(optarg, fmt) != 0) {
                cps_cli_error(prog, "--format %s: expected ndjson or csv", optarg);
                goto misuse;
            }
            break;
        case 'h':
            fputs(usage_text, stdout);
            return CPS_EXIT_OK;
        default:
            goto misuse;
        }
    }
    return -1;
misuse:
    fputs(usage_text, stderr);
    return CPS_EXIT_USAGE;
}

bool
cps_cli_parse_log_level(const char *prog, const char *arg)
{
    int level;

    if ((level = cps_log_parse_level(arg)) < 0) {
        cps_cli_error(prog, "--log-level %s: expected err, warn, info or debug", arg);
        return false;
    }
    cps_log_level = level;
    return true;
}

json_t *
cps_cli_json_time(uint64_t ms)
{
    char buf[32];
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    if (ms == 0)
        return json_null();
    gmtime_r(&t, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_string(buf);
}

int
cps_cli_roster_read(const char *prog, const char *path, const char *vkey,
                    struct cps_roster **roster, char **text, size_t *text_len)
{
    char why[256];
    int rc;

    *roster = NULL;
    if ((rc = cps_cli_read_file(path, CPS_CLI_ROSTER_MAX, text, text_len)) != 0) {
        cps_cli_error(prog, "%s: %s", path, cps_strerror(rc));
        return CPS_EXIT_USAGE;
    }
    if ((rc = cps_roster_verify(roster, *text, *text_len, vkey, why, sizeof why)) != 0) {
        cps_cli_error(prog, "%s: %s", path, rc == CPS_EMALFORMED ? why : cps_strerror(rc));
        free(*text);
        *text = NULL;
        return CPS_EXIT_NO;
    }
    return CPS_EXIT_OK;
}

int
cps_cli_dir_create(const char *prog, const char *abs_dir, const char *roster_text,
                   size_t roster_len)
{
    char path[PATH_MAX + 32];
    int rc;

    if (mkdir(abs_dir, 0700) != 0 && errno != EEXIST) {
        cps_cli_error(prog, "%s: %s", abs_dir, strerror(errno));
        return CPS_EXIT_USAGE;
    }
    snprintf(path, sizeof path, "%s/" STORE_FILE, abs_dir);
    if (access(path, F_OK) == 0) {
        cps_cli_error(prog, "%s: already initialised", abs_dir);
        return CPS_EXIT_NO;
    }
    snprintf(path, sizeof path, "%s/" CPS_CLI_ROSTER_FILE, abs_dir);
    if ((rc = cps_cli_write_file(path, roster_text, roster_len, 0644)) != 0) {
        cps_cli_error(prog, "%s: %s", path, cps_strerror(rc));
        return CPS_EXIT_USAGE;
    }
    return CPS_EXIT_OK;
}

int
cps_cli_dir_open(struct cps_store **st, char *abs_dir, size_t abs_dir_len, const char *dir,
                 const char *what, unsigned store_flags, const char *prog, char *err,
                 size_t err_len)
{
    char path[PATH_MAX + 32];
    int rc;

    *st = NULL;
    if ((rc = cps_crypto_init()) != 0) {
        snprintf(err, err_len, "libsodium: %s", cps_strerror(rc));
        return rc;
    }
    if ((rc = cps_cli_abspath(dir, abs_dir, abs_dir_len)) != 0) {
        snprintf(err, err_len, "%s: %s", dir, cps_strerror(rc));
        return rc;
    }
    snprintf(path, sizeof path, "%s/" STORE_FILE, abs_dir);
    if (access(path, F_OK) != 0) {
        snprintf(err, err_len, "%s: not a %s directory (run '%s init' first)", abs_dir, what, prog);
        return -ENOENT;
    }
    if ((rc = cps_store_open_flags(st, abs_dir, 0, store_flags)) != 0)
        snprintf(err, err_len, "%s: %s", abs_dir, cps_strerror(rc));
    return rc;
}

int
cps_cli_dir_load(struct cps_roster **roster, struct cps_keys **keys, const char *abs_dir,
                 const char *vkey, const char *key_path, char *err, size_t err_len)
{
    char path[PATH_MAX + 32], why[256];
    int rc;

    snprintf(path, sizeof path, "%s/" CPS_CLI_ROSTER_FILE, abs_dir);
    if ((rc = cps_roster_load(roster, path, vkey, why, sizeof why)) != 0) {
        snprintf(err, err_len, "%s: %s", path, rc == CPS_EMALFORMED ? why : cps_strerror(rc));
        return rc;
    }
    if (keys != NULL && (rc = cps_crypto_keys_load(keys, key_path)) != 0) {
        snprintf(err, err_len, "%s: %s", key_path, cps_strerror(rc));
        cps_roster_free(roster);
        return rc;
    }
    return 0;
}

/* ---- config check|show ---- */

static void
config_usage(const struct cps_cli_config_role *r, FILE *f)
{
    fprintf(f,
            "Usage: %s config check [--config FILE]\n"
            "       %s config show [--config FILE]\n"
            "check: read FILE (default $%s, else %s) and report every\n"
            "  problem as FILE:LINE: problem (a line that is not '[section]' or 'key = value',\n"
            "  an unknown section or key, a key set twice, a bad value); exit 1 when any.\n"
            "show: write the settings FILE gives over the defaults, as a configuration file with\n"
            "  every key, its option and what it is for (a template to start from).\n"
            "Paths in a file must be absolute; the command-line option named beside each key wins\n"
            "over it. Examples:\n"
            "  %s config check --config %s\n"
            "  %s config show > %s\n",
            r->prog, r->prog, r->env, r->default_path, r->prog, r->default_path, r->prog,
            r->file_name);
}

static void
config_report(void *arg, const char *path, unsigned line, const char *msg)
{
    if (arg != NULL)
        cps_cli_error(arg, "%s:%u: %s", path, line, msg);
    else
        cps_log(CPS_LOG_ERR, "config: %s:%u: %s", path, line, msg);
}

const char *
cps_cli_config_path(const struct cps_cli_config_role *r, const char *given)
{
    const char *e;

    if (given != NULL)
        return given;
    if ((e = getenv(r->env)) != NULL && *e != 0)
        return e;
    return access(r->default_path, F_OK) == 0 ? r->default_path : NULL;
}

int
cps_cli_config_read(const struct cps_cli_config_role *r, const char *path, void *conf,
                    const char *prog, unsigned *problems)
{
    return cps_config_read(path, r->keys, r->n_keys, conf, config_report, (void *)prog,
                           problems);
}

int
cps_cli_config_load(const struct cps_cli_config_role *r, const char *given, void *conf,
                    char *path_out, size_t path_len, const char *prog)
{
    const char *path = cps_cli_config_path(r, given);
    unsigned problems;
    int rc;

    path_out[0] = 0;
    if (path == NULL)
        return 0;
    if (strlen(path) >= path_len) {
        cps_cli_error(prog, "%s: path too long", path);
        return CPS_EXIT_USAGE;
    }
    rc = cps_cli_config_read(r, path, conf, prog, &problems);
    if (rc != 0 && rc != CPS_EMALFORMED)
        cps_cli_error(prog, "%s: %s", path, cps_strerror(rc));
    if (rc != 0)
        return CPS_EXIT_USAGE; /* CPS_EMALFORMED: each problem printed already */
    snprintf(path_out, path_len, "%s", path);
    return 0;
}

int
cps_cli_config_main(const struct cps_cli_config_role *r, void *conf, int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'C' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *path = NULL, *what;
    char prog[64];
    unsigned problems = 0;
    bool check;
    int c, rc;

    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        config_usage(r, stdout);
        return CPS_EXIT_OK;
    }
    if (argc < 2 || (strcmp(argv[1], "check") != 0 && strcmp(argv[1], "show") != 0)) {
        config_usage(r, stderr);
        return CPS_EXIT_USAGE;
    }
    what = argv[1];
    check = strcmp(what, "check") == 0;
    snprintf(prog, sizeof prog, "%s config %s", r->prog, what);
    argc--;
    argv++;
    while ((c = getopt_long(argc, argv, "C:h", opts, NULL)) != -1) {
        if (c == 'C') {
            path = optarg;
        } else if (c == 'h') {
            config_usage(r, stdout);
            return CPS_EXIT_OK;
        } else {
            config_usage(r, stderr);
            return CPS_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        config_usage(r, stderr);
        return CPS_EXIT_USAGE;
    }
    if ((path = cps_cli_config_path(r, path)) == NULL) {
        if (check) {
            cps_cli_error(prog, "no configuration file (give --config FILE; there is none at %s)",
                          r->default_path);
            return CPS_EXIT_USAGE;
        }
    } else {
        rc = cps_cli_config_read(r, path, conf, prog, &problems);
        if (rc != 0 && rc != CPS_EMALFORMED) {
            cps_cli_error(prog, "%s: %s", path, cps_strerror(rc));
            return CPS_EXIT_USAGE;
        }
        if (rc != 0) {
            cps_cli_error(prog, "%s: %u problem%s", path, problems, problems == 1 ? "" : "s");
            return CPS_EXIT_NO;
        }
    }
    if (check) {
        printf("%s: ok\n", path);
        return CPS_EXIT_OK;
    }
    if ((rc = cps_config_write(stdout, r->keys, r->n_keys, conf)) != 0) {
        cps_cli_error(prog, "%s", cps_strerror(rc));
        return CPS_EXIT_USAGE;
    }
    return CPS_EXIT_OK;
}
