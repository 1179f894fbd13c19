/* SPDX-License-Identifier: ISC */
/* cps-audit helpers of the edge: hex in and out, printable text, trimmed key strings. */
#include <string.h>

#include "audit.h"

void
audit_hex(char *out, const uint8_t *b, size_t n)
{
    static const char d[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = d[b[i] >> 4];
        out[2 * i + 1] = d[b[i] & 15];
    }
    out[2 * n] = 0;
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool
audit_unhex(uint8_t *out, size_t n, const char *s, size_t s_len)
{
    size_t i;

    if (s_len != 2 * n)
        return false;
    for (i = 0; i < n; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

char *
audit_printable(char *s)
{
    char *p;

    for (p = s; *p != 0; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return s;
}

bool
audit_trim(char *out, size_t out_len, const char *s, size_t s_len)
{
    while (s_len > 0 && strchr(" \t\r\n", s[s_len - 1]) != NULL)
        s_len--;
    if (s_len >= out_len)
        return false;
    memcpy(out, s, s_len);
    out[s_len] = 0;
    return true;
}
