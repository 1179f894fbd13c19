/* SPDX-License-Identifier: ISC */
/*
 * apply: validate an update as a whole, then write its ops into a records database and
 * keep that dataset's digest (see apply.h). What is valid belongs to schema; where bytes
 * live belongs to store.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cps/apply.h"
#include "cps/roster.h"
#include "cps/schema.h"

#define RECORD_DOMAIN "cps/record/v1"

int
cps_apply_check(const struct cps_update *up, char *err, size_t err_len)
{
    /* the programme key writes as "programme": the schema's programme writer */
    const struct cps_schema_writer w = {
        .partner = strcmp(up->partner, CPS_ROSTER_PROGRAMME_ID) == 0 ? NULL : up->partner,
    };
    char why[CPS_SCHEMA_ERR_MAX];
    size_t i;
    int rc;

    for (i = 0; i < up->n_ops; i++) {
        const struct cps_op *op = &up->ops[i];

        rc = cps_schema_check(&w, op->coll, op->coll_len, op->key, op->key_len,
                              op->kind == CPS_OP_PUT ? op->value : NULL,
                              op->kind == CPS_OP_PUT ? op->value_len : 0, why, sizeof why);
        if (rc != 0) {
            snprintf(err, err_len, "op %zu: %s", i + 1, why);
            return rc;
        }
    }
    return 0;
}

/* Add (sign +1) or subtract (sign -1) one record's lanes to the state. */
static void
lanes_apply(uint16_t *state, const uint8_t *rkey, size_t rkey_len, const void *value,
            size_t value_len, int sign)
{
    const struct cps_crypto_part parts[] = {
        { RECORD_DOMAIN, sizeof RECORD_DOMAIN }, /* with its NUL */
        { rkey, rkey_len },                      /* coll \0 key */
        { "", 1 },
        { value, value_len },
    };
    uint8_t seed[CPS_CRYPTO_HASH_BYTES], lanes[CPS_APPLY_STATE_BYTES];
    size_t i;

    cps_crypto_sha256_parts(parts, sizeof parts / sizeof parts[0], seed);
    cps_crypto_expand(seed, lanes, sizeof lanes);
    for (i = 0; i < CPS_APPLY_LANES; i++) {
        uint16_t l = (uint16_t)(lanes[2 * i] | lanes[2 * i + 1] << 8);

        state[i] = (uint16_t)(sign > 0 ? state[i] + l : state[i] - l);
    }
}

static void
state_load(uint16_t *state, const uint8_t *bytes)
{
    size_t i;

    for (i = 0; i < CPS_APPLY_LANES; i++)
        state[i] = (uint16_t)(bytes[2 * i] | bytes[2 * i + 1] << 8);
}

static void
state_store(uint8_t *bytes, const uint16_t *state)
{
    size_t i;

    for (i = 0; i < CPS_APPLY_LANES; i++) {
        bytes[2 * i] = (uint8_t)state[i];
        bytes[2 * i + 1] = (uint8_t)(state[i] >> 8);
    }
}

void
cps_apply_lanes(const struct cps_update *up, uint16_t added[CPS_APPLY_LANES])
{
    uint8_t k[CPS_SCHEMA_COLL_MAX + 1 + CPS_SCHEMA_KEY_MAX];
    size_t i, k_len;

    memset(added, 0, CPS_APPLY_STATE_BYTES);
    for (i = 0; i < up->n_ops; i++) {
        const struct cps_op *op = &up->ops[i];

        k_len = cps_store_record_key(k, sizeof k, op->coll, op->coll_len, op->key, op->key_len);
        if (op->kind == CPS_OP_PUT && k_len != 0)
            lanes_apply(added, k, k_len, op->value, op->value_len, +1);
    }
}

int
cps_apply_update(struct cps_txn *txn, const struct cps_apply_view *view,
                 const struct cps_update *up)
{
    return cps_apply_update_added(txn, view, up, NULL);
}

int
cps_apply_update_added(struct cps_txn *txn, const struct cps_apply_view *view,
                       const struct cps_update *up, const uint16_t *added)
{
    uint8_t k[CPS_SCHEMA_COLL_MAX + 1 + CPS_SCHEMA_KEY_MAX], bytes[CPS_APPLY_STATE_BYTES];
    uint16_t state[CPS_APPLY_LANES];
    struct cps_val old;
    size_t i, k_len;
    int rc;

    if (view->digest_name != NULL) {
        rc = cps_store_meta_get(txn, view->digest_name, &old);
        if (rc == CPS_ENOTFOUND)
            memset(state, 0, sizeof state);
        else if (rc != 0)
            return rc;
        else if (old.len != CPS_APPLY_STATE_BYTES)
            return CPS_ESTORE;
        else
            state_load(state, old.data);
    }
    for (i = 0; i < up->n_ops; i++) {
        const struct cps_op *op = &up->ops[i];

        k_len = cps_store_record_key(k, sizeof k, op->coll, op->coll_len, op->key, op->key_len);
        if (k_len == 0)
            return CPS_ETOOBIG; /* cps_apply_check refuses such keys first */
        if (view->digest_name != NULL) {
            rc = cps_store_get(txn, view->records, k, k_len, &old);
            /* what the key holds now goes out; what each put brings comes in (added sums
             * those in advance, so a key put twice in one update still nets to its last) */
            if (rc == 0)
                lanes_apply(state, k, k_len, old.data, old.len, -1);
            else if (rc != CPS_ENOTFOUND)
                return rc;
            if (op->kind == CPS_OP_PUT && added == NULL)
                lanes_apply(state, k, k_len, op->value, op->value_len, +1);
        }
        if (op->kind == CPS_OP_PUT)
            rc = cps_store_put(txn, view->records, k, k_len, op->value, op->value_len, 0);
        else if ((rc = cps_store_del(txn, view->records, k, k_len)) == CPS_ENOTFOUND)
            rc = 0;
        if (rc != 0)
            return rc;
    }
    if (view->digest_name == NULL)
        return 0;
    if (added != NULL)
        for (i = 0; i < CPS_APPLY_LANES; i++)
            state[i] = (uint16_t)(state[i] + added[i]);
    state_store(bytes, state);
    return cps_store_meta_put(txn, view->digest_name, bytes, sizeof bytes);
}

int
cps_apply_digest(struct cps_txn *txn, const struct cps_apply_view *view,
                 uint8_t out[CPS_CRYPTO_HASH_BYTES])
{
    uint8_t zero[CPS_APPLY_STATE_BYTES] = { 0 };
    struct cps_val v;
    int rc;

    rc = cps_store_meta_get(txn, view->digest_name, &v);
    if (rc == CPS_ENOTFOUND) {
        cps_crypto_sha256(zero, sizeof zero, out);
        return 0;
    }
    if (rc != 0)
        return rc;
    if (v.len != CPS_APPLY_STATE_BYTES)
        return CPS_ESTORE;
    cps_crypto_sha256(v.data, v.len, out);
    return 0;
}

int
cps_apply_digest_scan(struct cps_txn *txn, enum cps_db records,
                      uint8_t out[CPS_CRYPTO_HASH_BYTES])
{
    uint16_t state[CPS_APPLY_LANES] = { 0 };
    uint8_t bytes[CPS_APPLY_STATE_BYTES];
    struct cps_cursor *cur = NULL;
    struct cps_val k, v;
    int rc;

    if ((rc = cps_store_cursor_open(txn, records, &cur)) != 0)
        return rc;
    for (rc = cps_store_cursor_get(cur, CPS_SEEK_FIRST, NULL, 0, &k, &v); rc == 0;
         rc = cps_store_cursor_get(cur, CPS_SEEK_NEXT, NULL, 0, &k, &v))
        lanes_apply(state, k.data, k.len, v.data, v.len, +1);
    cps_store_cursor_close(&cur);
    if (rc != CPS_ENOTFOUND)
        return rc;
    state_store(bytes, state);
    cps_crypto_sha256(bytes, sizeof bytes, out);
    return 0;
}
