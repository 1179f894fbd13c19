/* SPDX-License-Identifier: ISC */
/*
 * log: one line per event, key=value, for the daemons (CLI commands print one error line
 * instead). stderr by default, syslog on request. Nothing secret is ever passed here.
 */
#ifndef CPS_LOG_H
#define CPS_LOG_H

#include <stdbool.h>

enum cps_log_level {
    CPS_LOG_ERR = 0,   /* an operator must act */
    CPS_LOG_WARN = 1,  /* refused input, retry */
    CPS_LOG_INFO = 2,  /* lifecycle */
    CPS_LOG_DEBUG = 3, /* per message */
};

extern int cps_log_level;

#define cps_log(level, ...)                                                                    \
    do {                                                                                       \
        if ((level) <= cps_log_level)                                                          \
            cps_log_write((level), __VA_ARGS__);                                               \
    } while (0)

void cps_log_write(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Program name for each line, and syslog instead of stderr. */
void cps_log_open(const char *ident, bool use_syslog);

/* "err", "warn", "info", "debug" -> level; -1 if unknown. */
int cps_log_parse_level(const char *name);

#endif
