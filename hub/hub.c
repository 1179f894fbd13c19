/* SPDX-License-Identifier: ISC */
/*
 * The hub's data directory: its store, its configuration in the meta database, the roster
 * pinned to the programme key, and the hub's own key file.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cps/cli.h"
#include "cps/log.h"
#include "cps/replay.h"
#include "hub.h"
#include "ops.h"

const char *
hub_dir(const char *given)
{
    const char *e = getenv(HUB_DIR_ENV), *conf;

    if (given != NULL || (e != NULL && *e != 0))
        return cps_cli_dir(given, HUB_DIR_ENV, HUB_DIR_DEFAULT);
    /* then the configuration file's [hub] dir */
    return (conf = hub_conf_dir()) != NULL ? conf : HUB_DIR_DEFAULT;
}

void
hub_close(struct hub *h)
{
    struct cps_roster *r = atomic_load(&h->roster);
    size_t i;

    cps_crypto_keys_free(&h->keys);
    cps_roster_free(&h->genesis);
    free(h->genesis_text);
    h->genesis_text = NULL;
    cps_roster_free(&r);
    atomic_store(&h->roster, NULL);
    for (i = 0; i < h->n_retired; i++)
        cps_roster_free(&h->retired[i]);
    free(h->retired);
    h->retired = NULL;
    h->n_retired = 0;
    cps_store_close(&h->st);
}

int
hub_roster_refresh(struct hub *h, struct cps_txn *txn)
{
    uint8_t k[64], hash[CPS_CRYPTO_HASH_BYTES];
    size_t k_len = cps_store_record_key(k, sizeof k, CPS_REPLAY_ROSTER_COLL,
                                        strlen(CPS_REPLAY_ROSTER_COLL), CPS_REPLAY_ROSTER_KEY,
                                        strlen(CPS_REPLAY_ROSTER_KEY));
    struct cps_roster *next = NULL, *old, **nr;
    struct cps_val v = { NULL, 0 };
    bool found;
    int rc;

    rc = cps_store_get(txn, CPS_DB_RECORDS, k, k_len, &v);
    found = rc == 0;
    if (rc == CPS_ENOTFOUND && atomic_load(&h->roster) != NULL)
        return 0; /* no change logged: genesis stays */
    if (rc != 0 && rc != CPS_ENOTFOUND)
        return rc;
    if (rc == 0) {
        cps_crypto_sha256(v.data, v.len, hash);
        if (atomic_load(&h->roster) != NULL && memcmp(hash, h->roster_hash, sizeof hash) == 0)
            return 0;
    }
    if ((rc = cps_replay_roster(txn, &cps_replay_hub, h->genesis, &next)) != 0)
        return rc;
    if ((old = atomic_load(&h->roster)) != NULL) {
        if ((nr = realloc(h->retired, (h->n_retired + 1) * sizeof *nr)) == NULL) {
            cps_roster_free(&next);
            return -ENOMEM;
        }
        h->retired = nr;
        h->retired[h->n_retired++] = old;
        cps_log(CPS_LOG_INFO, "roster serial=%" PRIu64 " in force partners=%zu", next->serial,
                next->n_partners);
    }
    if (found)
        memcpy(h->roster_hash, hash, sizeof hash);
    atomic_store(&h->roster, next);
    return 0;
}

int
hub_open(struct hub *h, const char *dir, bool with_keys, char *err, size_t err_len)
{
    struct cps_txn *txn = NULL;
    char path[PATH_MAX + 32];
    int rc;

    memset(h, 0, sizeof *h);
    if ((rc = cps_cli_dir_open(&h->st, h->dir, sizeof h->dir, dir, "hub", HUB_STORE_FLAGS,
                               HUB_PROG, err, err_len)) != 0)
        return rc;
    if ((rc = cps_store_begin(h->st, false, &txn)) != 0 ||
        (rc = cps_store_meta_get_str(txn, "programme", h->programme, sizeof h->programme)) != 0 ||
        (rc = cps_store_meta_get_str(txn, "listen", h->listen, sizeof h->listen)) != 0 ||
        (rc = cps_store_meta_get_str(txn, "key", h->key_path, sizeof h->key_path)) != 0 ||
        (rc = cps_store_meta_get_str(txn, "vkey", h->vkey, sizeof h->vkey)) != 0) {
        snprintf(err, err_len, "%s: hub configuration unreadable: %s", h->dir, cps_strerror(rc));
        cps_store_abort(&txn);
        goto fail;
    }
    /* a hub restored from a backup signs and logs nothing before it got back what the
     * nodes hold: new entries would take the places of lost ones */
    if (with_keys && cps_store_meta_get(txn, HUB_RESTORE_PENDING, &(struct cps_val){ 0 }) == 0) {
        snprintf(err, err_len, "%s: restored from a backup and not recovered yet: run '" HUB_PROG
                               " recover --from NODE_COPY' first (docs/OPERATIONS.md, "
                               "\"Restoring the hub\")",
                 h->dir);
        cps_store_abort(&txn);
        rc = CPS_EBUSY;
        goto fail;
    }
    cps_store_abort(&txn);
    if ((rc = cps_cli_dir_load(&h->genesis, with_keys ? &h->keys : NULL, h->dir, h->vkey,
                               h->key_path, err, err_len)) != 0)
        goto fail;
    snprintf(path, sizeof path, "%s/" CPS_CLI_ROSTER_FILE, h->dir);
    if ((rc = cps_cli_read_file(path, 4u << 20, &h->genesis_text, &h->genesis_len)) != 0) {
        snprintf(err, err_len, "%s: %s", path, cps_strerror(rc));
        goto fail;
    }
    if ((rc = cps_store_begin(h->st, false, &txn)) != 0 ||
        (rc = hub_roster_refresh(h, txn)) != 0) {
        snprintf(err, err_len, "%s: roster in force: %s", h->dir, cps_strerror(rc));
        cps_store_abort(&txn);
        goto fail;
    }
    cps_store_abort(&txn);
    return 0;
fail:
    hub_close(h);
    return rc;
}
