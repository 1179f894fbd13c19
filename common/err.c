/* SPDX-License-Identifier: ISC */
/*
 * cps_strerror(): one table naming every CPS_E* code; system errors go to strerror().
 * cps_seterr(): the one writer of the err buffers that modules fill for their callers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cps/err.h"
#include "internal.h"

static const struct {
    int code;
    const char *name;
    const char *text;
} table[] = {
    { CPS_EMALFORMED, "EMALFORMED", "malformed message" },
    { CPS_EBADSIG, "EBADSIG", "bad signature" },
    { CPS_EKEYFILE, "EKEYFILE", "not a valid key file (size, tag or checksum)" },
    { CPS_EKEYPERM, "EKEYPERM", "key file must be mode 0600 and owned by the user" },
    { CPS_ESEAL, "ESEAL", "sealed box does not open with these keys" },
    { CPS_EGAP, "EGAP", "sequence gap" },
    { CPS_ECHAIN, "ECHAIN", "prev hash does not match the partner's chain" },
    { CPS_EREPLAY, "EREPLAY", "update already logged" },
    { CPS_EOWNER, "EOWNER", "writer does not own this record" },
    { CPS_ESCHEMA, "ESCHEMA", "record fails validation" },
    { CPS_EUNKNOWN, "EUNKNOWN", "unknown partner or key" },
    { CPS_EINACTIVE, "EINACTIVE", "partner is not active" },
    { CPS_EIDENTITY, "EIDENTITY", "partner identity mismatch" },
    { CPS_ETOOBIG, "ETOOBIG", "too big" },
    { CPS_EFULL, "EFULL", "store full (enlarge the map size)" },
    { CPS_ENOTFOUND, "ENOTFOUND", "not found" },
    { CPS_EEXIST, "EEXIST", "already exists" },
    { CPS_EVERSION, "EVERSION", "unsupported version" },
    { CPS_EPROGRAMME, "EPROGRAMME", "wrong programme" },
    { CPS_EROSTER, "EROSTER", "roster invalid or not signed by the programme key" },
    { CPS_ESTORE, "ESTORE", "store error" },
    { CPS_EBUSY, "EBUSY", "busy, retry later" },
    { CPS_EINTERNAL, "EINTERNAL", "internal error" },
    { CPS_EAUDIT, "EAUDIT", "log entry disagrees with the rules" },
    { CPS_EUNTRUSTED, "EUNTRUSTED", "hub checkpoints inconsistent: hub not trusted" },
};

/* The table's row for a CPS_E* code, or -1. */
static int
find(int rc)
{
    size_t i;

    for (i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].code == rc)
            return (int)i;
    return -1;
}

const char *
cps_strerror(int rc)
{
    int i;

    if (rc == 0)
        return "success";
    if ((i = find(rc)) >= 0)
        return table[i].text;
    if (rc < 0 && rc > -1000)
        return strerror(-rc);
    return "unknown error";
}

const char *
cps_errname(int rc)
{
    int i;

    if (rc == 0)
        return "OK";
    if ((i = find(rc)) >= 0)
        return table[i].text == NULL ? "?" : table[i].name;
    return "ERRNO";
}

void
cps_seterr(char *err, size_t err_len, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || err_len == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
}
