/* SPDX-License-Identifier: ISC */
/*
 * batch: turn a stream of record operations into signed updates of bounded size.
 *
 * Every op is validated with schema for the writer first; ops are grouped into updates of
 * at most max_ops ops and CPS_WIRE_MAX_BODY bytes, each signed and handed to a sink in seq
 * order, continuing the writer's hash chain. The node's sink appends to its outbox; the
 * hub's (for programme updates) logs directly. The caller's transaction makes the whole
 * batch all-or-nothing.
 */
#ifndef CPS_BATCH_H
#define CPS_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "cps/crypto.h"
#include "cps/err.h"
#include "cps/wire.h"

/* One record operation; pointers borrowed until the next call of the source. */
struct cps_batch_op {
    enum cps_op_kind kind;
    const char *coll;
    size_t coll_len;
    const char *key;
    size_t key_len;
    const uint8_t *value; /* msgpack; NULL for a delete */
    size_t value_len;
    uint64_t line; /* for messages; 0 when not from a file */
};

/* Source of ops: returns 1 with *op filled, 0 at the end, or an error with err set. */
typedef int (*cps_batch_next_fn)(void *arg, struct cps_batch_op *op, char *err, size_t err_len);

/* Sink of signed updates (up->signed_bytes is the signed update). Returns 0 or an error
 * with err set, which stops the batch. */
typedef int (*cps_batch_sink_fn)(void *arg, const struct cps_update *up, char *err,
                                 size_t err_len);

struct cps_batch {
    const char *programme;
    const char *writer;           /* partner id, or CPS_ROSTER_PROGRAMME_ID */
    const struct cps_keys *keys;  /* the writer's signing keys */
    size_t max_ops;
    uint64_t seq;                 /* in: the next seq; out: the next seq after the batch */
    uint8_t prev[CPS_CRYPTO_HASH_BYTES]; /* in/out: hash of the writer's last update */
    /* out: what was written */
    uint64_t ops, updates, first_seq, last_seq;
    /* called after each update when not NULL */
    void (*progress)(const struct cps_batch *b, void *arg);
    void *progress_arg;
    /*
     * Skip mode, when not NULL: an invalid record — the source's CPS_EMALFORMED, or a
     * schema refusal (CPS_ESCHEMA, CPS_EOWNER), or a record too big for one update
     * (CPS_ETOOBIG) — is reported here instead of stopping the batch. line is the record's
     * line (0 when unknown), code the error, why the problem without the line. Return 0 to
     * skip the record and go on, or an error code to stop the batch with it.
     */
    int (*on_invalid)(void *arg, uint64_t line, int code, const char *why);
    void *invalid_arg;
    uint64_t skipped; /* out: records skipped */
};

/*
 * Validate, group, sign and sink every op from next. On error nothing more is sunk and
 * err names the line (when the op has one) and the field. In skip mode (on_invalid set)
 * invalid records are reported and left out, and the valid ones are sunk. Returns 0,
 * CPS_ESCHEMA, CPS_EOWNER, CPS_ETOOBIG, the source's, the sink's or on_invalid's error,
 * or -ENOMEM.
 */
CPS_MUST_CHECK int cps_batch_write(struct cps_batch *b, cps_batch_next_fn next, void *next_arg,
                                   cps_batch_sink_fn sink, void *sink_arg, char *err,
                                   size_t err_len);

#endif
