/* SPDX-License-Identifier: ISC */
/*
 * Helpers for the cps-keys subcommands: error lines, getopt error reporting, reading a
 * roster text whole, and writing one atomically (temp file, fsync, rename) so that a crash
 * never leaves a half-written roster. Key files are written by libcps, never here.
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
#include <unistd.h>

#include "cps/err.h"
#include "keys.h"

void
keys_err(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "cps-keys %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int
keys_bad_option(const char *cmd, int c, char **argv, void (*usage)(FILE *))
{
    const char *arg = argv[optind - 1];

    if (c == ':')
        keys_err(cmd, "%s: needs a value", arg);
    else if (optopt != 0)
        keys_err(cmd, "-%c: unknown option", optopt);
    else
        keys_err(cmd, "%s: unknown option", arg);
    usage(stderr);
    return EXIT_USAGE;
}

int
keys_read_text(const char *path, char **out, size_t *len)
{
    size_t cap = 4096, got = 0;
    char *buf, *nb;
    int fd, rc = 0;

    *out = NULL;
    *len = 0;
    if (strcmp(path, "-") == 0)
        fd = STDIN_FILENO;
    else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
        return -errno;
    if ((buf = malloc(cap)) == NULL) {
        rc = -ENOMEM;
        goto done;
    }
    for (;;) {
        ssize_t n;

        if (got + 1 == cap) {
            if (cap > TEXT_MAX) {
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
        n = read(fd, buf + got, cap - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -errno;
            goto done;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    if (got > TEXT_MAX) {
        rc = CPS_ETOOBIG;
        goto done;
    }
    buf[got] = '\0';
    *out = buf;
    *len = got;
    buf = NULL;
done:
    free(buf);
    if (fd != STDIN_FILENO)
        close(fd);
    return rc;
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

static int
write_stdout(const char *data, size_t len)
{
    int rc;

    if (fflush(stdout) != 0)
        return -errno;
    if ((rc = write_all(STDOUT_FILENO, data, len)) != 0)
        return rc;
    return 0;
}

int
keys_write_atomic(const char *path, const char *data, size_t len)
{
    char tmp[PATH_MAX];
    int fd, rc;

    if (strcmp(path, "-") == 0)
        return write_stdout(data, len);
    if (snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", path) >= (int)sizeof tmp)
        return -ENAMETOOLONG;
    if ((fd = mkstemp(tmp)) == -1)
        return -errno;
    if (fchmod(fd, 0644) == -1) { /* mkstemp made it 0600; a roster is public */
        rc = -errno;
        goto fail;
    }
    if ((rc = write_all(fd, data, len)) != 0)
        goto fail;
    if (fsync(fd) == -1) {
        rc = -errno;
        goto fail;
    }
    if (close(fd) == -1) {
        rc = -errno;
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) == -1) {
        rc = -errno;
        goto fail;
    }
    return 0;
fail:
    if (fd != -1)
        close(fd);
    (void)unlink(tmp);
    return rc;
}

int
keys_write_new(const char *path, const char *data, size_t len)
{
    int fd, rc;

    if (strcmp(path, "-") == 0)
        return write_stdout(data, len);
    if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)) == -1)
        return -errno;
    if ((rc = write_all(fd, data, len)) == 0 && fsync(fd) == -1)
        rc = -errno;
    if (rc != 0) {
        close(fd);
        (void)unlink(path);
        return rc;
    }
    if (close(fd) == -1)
        return -errno;
    return 0;
}
