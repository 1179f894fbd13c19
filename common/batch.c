/* SPDX-License-Identifier: ISC */
/*
 * batch: ops in, signed updates out (see batch.h). Validity belongs to schema, encoding
 * and signing to wire, what happens to each update to the sink.
 */
#include <errno.h>
#include <inttypes.h>
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

int
cps_batch_write(struct cps_batch *b, cps_batch_next_fn next, void *next_arg,
                cps_batch_sink_fn sink, void *sink_arg, char *err, size_t err_len)
{
    const struct cps_schema_writer w = {
        .partner = strcmp(b->writer, CPS_ROSTER_PROGRAMME_ID) == 0 ? NULL : b->writer,
    };
    struct cps_wire_builder *wb = NULL;
    struct cps_batch_op op;
    char why[CPS_SCHEMA_ERR_MAX];
    int rc, more;

    b->ops = b->updates = b->first_seq = b->last_seq = 0;
    while ((more = next(next_arg, &op, err, err_len)) == 1) {
        rc = cps_schema_check(&w, op.coll, op.coll_len, op.key, op.key_len, op.value,
                              op.value_len, why, sizeof why);
        if (rc != 0) {
            if (op.line != 0)
                snprintf(err, err_len, "line %" PRIu64 ": %s", op.line, why);
            else
                snprintf(err, err_len, "%s", why);
            goto done;
        }
        for (;;) {
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
            if (rc != 0) {
                snprintf(err, err_len, "%.*s/%.*s: record too big for one update",
                         (int)op.coll_len, op.coll, (int)op.key_len, op.key);
                goto done;
            }
            break;
        }
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
