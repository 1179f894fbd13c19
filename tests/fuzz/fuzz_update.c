/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: signed updates and their bodies (cps_wire_decode_update), what the hub opens
 * from an UPDATE frame, the node reads from its outbox and the auditor from a bundle. A
 * decoded update's fields must lie inside its own copy of the bytes, every put's value must
 * pass the bounds walker and convert to JSON or be refused cleanly, and the signature check
 * must run on whatever decoded (the seeds carry valid signatures of the fixed key).
 */
#include <stdlib.h>
#include <string.h>

#include "cps/value.h"
#include "cps/wire.h"
#include "fuzz.h"

static int
inside(const struct cps_update *up, const void *p, size_t len)
{
    const uint8_t *b = p;

    return len == 0 || (b >= up->signed_bytes && b + len <= up->signed_bytes + up->signed_len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cps_update *up = NULL;
    struct cps_pubkeys pub;
    uint8_t hash[CPS_CRYPTO_HASH_BYTES];
    size_t i, used;
    char *json;
    int rc;

    if (cps_wire_decode_update(&up, data, size) != 0) {
        FUZZ_ASSERT(up == NULL);
        return 0;
    }
    FUZZ_ASSERT(up->signed_len == size && up->body_len <= CPS_WIRE_MAX_BODY);
    FUZZ_ASSERT(inside(up, up->body, up->body_len) && inside(up, up->sig, CPS_CRYPTO_SIG_BYTES));
    FUZZ_ASSERT(up->seq > 0 && up->n_ops <= CPS_WIRE_MAX_OPS);
    FUZZ_ASSERT(up->partner[0] != '\0' && up->programme[0] != '\0');
    for (i = 0; i < up->n_ops; i++) {
        const struct cps_op *op = &up->ops[i];

        FUZZ_ASSERT(inside(up, op->coll, op->coll_len) && inside(up, op->key, op->key_len));
        if (op->kind == CPS_OP_DEL) {
            FUZZ_ASSERT(op->value == NULL);
            continue;
        }
        FUZZ_ASSERT(op->kind == CPS_OP_PUT && inside(up, op->value, op->value_len));
        FUZZ_ASSERT(cps_value_check(op->value, op->value_len, CPS_VALUE_MAX_DEPTH, &used) == 0 &&
                    used == op->value_len);
        json = NULL;
        rc = cps_value_to_json(&json, op->value, op->value_len);
        FUZZ_ASSERT(rc == 0 || rc == CPS_EMALFORMED);
        FUZZ_ASSERT((rc == 0) == (json != NULL));
        free(json);
    }
    cps_crypto_keys_public(fuzz_keys(1), &pub);
    rc = cps_wire_verify_update(up, pub.sign);
    FUZZ_ASSERT(rc == 0 || rc == CPS_EBADSIG);
    cps_wire_update_hash(up->signed_bytes, up->signed_len, hash);
    cps_wire_update_free(&up);
    FUZZ_ASSERT(up == NULL);
    return 0;
}
