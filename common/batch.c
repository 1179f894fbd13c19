/* SPDX-License-Identifier: ISC */
/*
 * batch: ops in, signed updates out (see batch.h). Validity belongs to schema, encoding
 * and signing to wire, what happens to each update to the sink, and what to do about an
 * invalid record in skip mode to the caller's on_invalid.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cps/batch.h"
#include "cps/roster.h"
#include "cps/schema.h"

/* Sign the builder's body, hand it to the sink, advance the chain. */
static int
seal(struct cps_batch *b, struct cps_wire_builder *wb, cps_batch_sink_fn sink, void *sink_arg,
     char *err, size_t err_len)
{
    struct cps_update *up = NULL;
    uint8_t *signed_bytes = NULL;
    size_t signed_len;
    int rc;

    if ((rc = cps_wire_builder_finish(wb, b->keys, &signed_bytes, &signed_len)) != 0 ||
        (rc = cps_wire_decode_update(&up, signed_bytes, signed_len)) != 0) {
        snprintf(err, err_len, "encoding update %" PRIu64 ": %s", b->seq, cps_strerror(rc));
        goto done;
    }
    if ((rc = sink(sink_arg, up, err, err_len)) != 0)
        goto done;
    cps_wire_update_hash(signed_bytes, signed_len, b->prev);
    if (b->updates++ == 0)
        b->first_seq = b->seq;
    b->last_seq = b->seq++;
    if (b->progress != NULL)
        b->progress(b, b->progress_arg);
done:
    cps_wire_update_free(&up);
    free(signed_bytes);
    return rc;
}

/*
 * Skip mode: report one invalid record. A source's message that starts "line N" gives the
 * line when the op has none. Returns 0 (skipped) or on_invalid's code, with err set.
 */
static int
skip(struct cps_batch *b, uint64_t line, int code, const char *why, char *err, size_t err_len)
{
    const char *p = why;
    char *end;
    uint64_t n;
    int rc;

    if (line == 0 && strncmp(why, "line ", 5) == 0) {
        n = strtoull(why + 5, &end, 10);
        if (end != why + 5) {
            line = n;
            p = end;
            if (*p == ':')
                p++;
            if (*p == ' ')
                p++;
        }
    }
    if ((rc = b->on_invalid(b->invalid_arg, line, code, p)) != 0) {
        if (p != err)
            snprintf(err, err_len, "line %" PRIu64 ": %s", line, p);
        return rc;
    }
    b->skipped++;
    return 0;
}

static bool
skippable(int code)
{
    return code == CPS_EMALFORMED || code == CPS_ESCHEMA || code == CPS_EOWNER ||
           code == CPS_ETOOBIG;
}

int
cps_batch_write(struct cps_batch *b, cps_batch_next_fn next, void *next_arg,
                cps_batch_sink_fn sink, void *sink_arg, char *err, size_t err_len)
{
    const struct cps_schema_writer w = {
        .partner = strcmp(b->writer, CPS_ROSTER_PROGRAMME_ID) == 0 ? NULL : b->writer,
    };
    struct cps_wire_builder *wb = NULL;
    struct cps_batch_op op;
    char why[CPS_SCHEMA_ERR_MAX], src_why[1024];
    bool added;
    int rc, more;

    b->ops = b->updates = b->first_seq = b->last_seq = b->skipped = 0;
    for (;;) {
        more = next(next_arg, &op, err, err_len);
        if (more == CPS_EMALFORMED && b->on_invalid != NULL) {
            /* the source can read on after a bad record (cps_import_next can) */
            snprintf(src_why, sizeof src_why, "%s", err);
            if ((rc = skip(b, 0, more, src_why, err, err_len)) != 0)
                goto done;
            continue;
        }
        if (more != 1)
            break;
        rc = cps_schema_check(&w, op.coll, op.coll_len, op.key, op.key_len, op.value,
                              op.value_len, why, sizeof why);
        if (rc != 0 && b->on_invalid != NULL && skippable(rc)) {
            if ((rc = skip(b, op.line, rc, why, err, err_len)) != 0)
                goto done;
            continue;
        }
        if (rc != 0) {
            if (op.line != 0)
                snprintf(err, err_len, "line %" PRIu64 ": %s", op.line, why);
            else
                snprintf(err, err_len, "%s", why);
            goto done;
        }
        for (added = false; !added;) {
            if (wb == NULL &&
                (rc = cps_wire_builder_new(&wb, b->programme, b->writer, b->seq, b->prev,
                                           cps_wire_now_ms())) != 0) {
                snprintf(err, err_len, "%s", cps_strerror(rc));
                goto done;
            }
            rc = cps_wire_builder_add(wb, op.kind, op.coll, op.coll_len, op.key, op.key_len,
                                      op.value, op.value_len);
            if (rc == CPS_ETOOBIG && cps_wire_builder_ops(wb) > 0) {
                /* this update is full: seal it and start the next with the same op */
                if ((rc = seal(b, wb, sink, sink_arg, err, err_len)) != 0)
                    goto done;
                cps_wire_builder_free(&wb);
                continue;
            }
            if (rc != 0 && rc != CPS_ETOOBIG) {
                snprintf(err, err_len, "%s", cps_strerror(rc));
                goto done;
            }
            if (rc != 0) {
                snprintf(why, sizeof why, "%.*s %.*s: record too big for one update",
                         (int)op.coll_len, op.coll, (int)op.key_len, op.key);
                if (b->on_invalid != NULL) {
                    if ((rc = skip(b, op.line, rc, why, err, err_len)) != 0)
                        goto done;
                    break; /* the builder is as it was: the record is left out */
                }
                if (op.line != 0)
                    snprintf(err, err_len, "line %" PRIu64 ": %s", op.line, why);
                else
                    snprintf(err, err_len, "%s", why);
                goto done;
            }
            added = true;
        }
        if (!added)
            continue;
        b->ops++;
        if (cps_wire_builder_ops(wb) >= b->max_ops) {
            if ((rc = seal(b, wb, sink, sink_arg, err, err_len)) != 0)
                goto done;
            cps_wire_builder_free(&wb);
        }
    }
    rc = more;
    if (rc == 0 && wb != NULL && cps_wire_builder_ops(wb) > 0)
        rc = seal(b, wb, sink, sink_arg, err, err_len);
done:
    cps_wire_builder_free(&wb);
    return rc;
}
