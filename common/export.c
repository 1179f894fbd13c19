/* SPDX-License-Identifier: ISC */
/*
 * export: walks a records database in key order and writes each row as NDJSON or CSV.
 * The JSON form of a value comes from value; CSV quoting from libcsv.
 */
#include <csv.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cps/export.h"
#include "cps/value.h"

int
cps_export_parse_format(const char *s, enum cps_export_format *fmt)
{
    if (strcmp(s, "ndjson") == 0 || strcmp(s, "json") == 0)
        *fmt = CPS_EXPORT_NDJSON;
    else if (strcmp(s, "csv") == 0)
        *fmt = CPS_EXPORT_CSV;
    else
        return CPS_EMALFORMED;
    return 0;
}

/* A JSON string literal of s[0..len) written to out. */
static int
put_json_string(FILE *out, const char *s, size_t len)
{
    json_t *j = json_stringn(s, len);
    int rc;

    if (j == NULL)
        return CPS_EMALFORMED; /* not UTF-8: schema refuses such keys before they are stored */
    rc = json_dumpf(j, out, JSON_ENCODE_ANY) == 0 ? 0 : -EIO;
    json_decref(j);
    return rc;
}

static int
write_row(FILE *out, enum cps_export_format fmt, const char *coll, size_t coll_len,
          const char *key, size_t key_len, const char *json)
{
    const char *slash = memchr(key, '/', key_len);
    size_t partner_len = slash != NULL ? (size_t)(slash - key) : 0;
    int rc;

    if (fmt == CPS_EXPORT_NDJSON) {
        if (fputs("{\"coll\":", out) == EOF || (rc = put_json_string(out, coll, coll_len)) != 0 ||
            fputs(",\"key\":", out) == EOF || (rc = put_json_string(out, key, key_len)) != 0 ||
            fprintf(out, ",\"value\":%s}\n", json) < 0)
            return -EIO;
        return 0;
    }
    if (csv_fwrite(out, coll, coll_len) != 0 || fputc(',', out) == EOF ||
        csv_fwrite(out, key, key_len) != 0 || fputc(',', out) == EOF ||
        csv_fwrite(out, key, partner_len) != 0 || fputc(',', out) == EOF ||
        csv_fwrite(out, json, strlen(json)) != 0 || fputs("\r\n", out) == EOF)
        return -EIO;
    return 0;
}

int
cps_export_records(struct cps_txn *txn, enum cps_db db, FILE *out, enum cps_export_format fmt,
                   const struct cps_export_filter *filter, uint64_t *count)
{
    struct cps_cursor *cur = NULL;
    struct cps_val k, v;
    size_t coll_len = filter->coll != NULL ? strlen(filter->coll) : 0;
    size_t partner_len = filter->partner != NULL ? strlen(filter->partner) : 0;
    uint8_t seek[256];
    size_t seek_len = 0;
    int rc;

    *count = 0;
    if (fmt == CPS_EXPORT_CSV && fputs("coll,key,partner,value\r\n", out) == EOF)
        return -EIO;
    if ((rc = cps_store_cursor_open(txn, db, &cur)) != 0)
        return rc;
    if (filter->coll != NULL) {
        /* records are keyed "coll \0 key": start at the collection's first key */
        if (coll_len + 1 + partner_len + 1 > sizeof seek) {
            cps_store_cursor_close(&cur);
            return 0;
        }
        memcpy(seek, filter->coll, coll_len + 1);
        seek_len = coll_len + 1;
        if (filter->partner != NULL) {
            memcpy(seek + seek_len, filter->partner, partner_len);
            seek[seek_len + partner_len] = '/';
            seek_len += partner_len + 1;
        }
        rc = cps_store_cursor_get(cur, CPS_SEEK_GE, seek, seek_len, &k, &v);
    } else {
        rc = cps_store_cursor_get(cur, CPS_SEEK_FIRST, NULL, 0, &k, &v);
    }
    for (; rc == 0; rc = cps_store_cursor_get(cur, CPS_SEEK_NEXT, NULL, 0, &k, &v)) {
        const char *c = k.data, *nul = memchr(c, 0, k.len);
        const char *key;
        size_t key_len, c_len;
        char *json = NULL;

        if (nul == NULL) {
            rc = CPS_EMALFORMED;
            break;
        }
        c_len = (size_t)(nul - c);
        key = nul + 1;
        key_len = k.len - c_len - 1;
        if (seek_len > 0 && (k.len < seek_len || memcmp(k.data, seek, seek_len) != 0))
            break; /* past the collection (and partner) asked for */
        if (filter->partner != NULL &&
            (key_len <= partner_len || memcmp(key, filter->partner, partner_len) != 0 ||
             key[partner_len] != '/'))
            continue;
        if ((rc = cps_value_to_json(&json, v.data, v.len)) != 0)
            break;
        rc = write_row(out, fmt, c, c_len, key, key_len, json);
        free(json);
        if (rc != 0)
            break;
        (*count)++;
    }
    cps_store_cursor_close(&cur);
    if (rc == CPS_ENOTFOUND)
        rc = 0;
    if (rc == 0 && fflush(out) != 0)
        rc = -EIO;
    return rc;
}
