/* SPDX-License-Identifier: ISC */
/*
 * log: formats one event per line with a UTC timestamp and level, to stderr or syslog.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "cps/log.h"

int cps_log_level = CPS_LOG_INFO;

static const char *log_ident = "cps";
static bool log_syslog;

static const char *const level_names[] = { "err", "warn", "info", "debug" };

void
cps_log_open(const char *ident, bool use_syslog)
{
    log_ident = ident;
    log_syslog = use_syslog;
    if (use_syslog)
        openlog(ident, LOG_PID, LOG_DAEMON);
}

int
cps_log_parse_level(const char *name)
{
    int i;

    for (i = 0; i <= CPS_LOG_DEBUG; i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

void
cps_log_write(int level, const char *fmt, ...)
{
    static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
    char line[2048], stamp[32];
    struct timespec ts;
    struct tm tm;
    va_list ap;

    if (level < 0 || level > CPS_LOG_DEBUG)
        level = CPS_LOG_ERR;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (log_syslog) {
        syslog(prio[level], "%s", line);
        return;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(stderr, "%s.%03ldZ %s %s %s\n", stamp, ts.tv_nsec / 1000000L, log_ident,
            level_names[level], line);
}
