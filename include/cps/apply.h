/* SPDX-License-Identifier: ISC */
/*
 * apply: the one deterministic function from an update to a dataset.
 *
 * The hub's consolidated view, a node's own records and (later) every replica and the
 * auditor's replay are what cps_apply_update makes of the same sequence of updates.
 * An update is atomic: cps_apply_check decides for all of its ops before anything is
 * written, and the caller's transaction makes the writes all-or-nothing.
 */
#ifndef CPS_APPLY_H
#define CPS_APPLY_H

#include <stddef.h>

#include "cps/err.h"
#include "cps/store.h"
#include "cps/wire.h"

/*
 * Check every op of up against the schema for its writer (up->partner). Returns 0, or the
 * first failing op's CPS_EOWNER / CPS_ESCHEMA with err saying "op N: <reason>".
 */
CPS_MUST_CHECK int cps_apply_check(const struct cps_update *up, char *err, size_t err_len);

/*
 * Write up's ops into CPS_DB_RECORDS inside txn: a put stores the value bytes verbatim
 * under "coll \0 key", a delete removes the key (absent is fine). Returns 0, CPS_EFULL,
 * CPS_ETOOBIG or CPS_ESTORE; on error the caller aborts txn.
 */
CPS_MUST_CHECK int cps_apply_update(struct cps_txn *txn, const struct cps_update *up);

#endif
