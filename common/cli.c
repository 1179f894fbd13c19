/* SPDX-License-Identifier: ISC */
/*
 * cli: helpers for the binaries' edge (error lines, command dispatch, small files). The
 * one place in common/ that prints, because only binaries link it into their main paths.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cps/cli.h"

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

    fprintf(f, "Usage: %s COMMAND [OPTIONS]\n%s\n\nCommands:\n", prog, about);
    for (i = 0; i < n; i++)
        fprintf(f, "  %-12s %s\n", cmds[i].name, cmds[i].summary);
    fprintf(f, "\nRun '%s COMMAND --help' for the options of a command.\n", prog);
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
        n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f))
        rc = -EIO;
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

int
cps_cli_write_file(const char *path, const void *data, size_t len, unsigned mode)
{
    char tmp[PATH_MAX];
    int fd, rc = 0;

    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp)
        return -ENAMETOOLONG;
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)) == -1)
        return -errno;
    if ((size_t)write(fd, data, len) != len || fsync(fd) != 0)
        rc = errno != 0 ? -errno : -EIO;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc != 0)
        unlink(tmp);
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
