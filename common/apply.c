/* SPDX-License-Identifier: ISC */
/*
 * apply: validate an update as a whole, then write its ops into the records database.
 * What is valid belongs to schema; where bytes live belongs to store.
 */
#include <stdio.h>

#include "cps/apply.h"
#include "cps/schema.h"

int
cps_apply_check(const struct cps_update *up, char *err, size_t err_len)
{
    const struct cps_schema_writer w = { .partner = up->partner };
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

int
cps_apply_update(struct cps_txn *txn, const struct cps_update *up)
{
    uint8_t k[CPS_SCHEMA_COLL_MAX + 1 + CPS_SCHEMA_KEY_MAX];
    size_t i, k_len;
    int rc;

    for (i = 0; i < up->n_ops; i++) {
        const struct cps_op *op = &up->ops[i];

        k_len = cps_store_record_key(k, sizeof k, op->coll, op->coll_len, op->key, op->key_len);
        if (k_len == 0)
            return CPS_ETOOBIG; /* cps_apply_check refuses such keys first */
        if (op->kind == CPS_OP_PUT)
            rc = cps_store_put(txn, CPS_DB_RECORDS, k, k_len, op->value, op->value_len, 0);
        else if ((rc = cps_store_del(txn, CPS_DB_RECORDS, k, k_len)) == CPS_ENOTFOUND)
            rc = 0;
        if (rc != 0)
            return rc;
    }
    return 0;
}
