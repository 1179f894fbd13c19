/* SPDX-License-Identifier: ISC */
/*
 * The hub's data directory: its store, its configuration in the meta database, the roster
 * pinned to the programme key, and the hub's own key file.
 */
#include <stdio.h>
#include <string.h>

#include "cps/cli.h"
#include "hub.h"

const char *
hub_dir(const char *given)
{
    return cps_cli_dir(given, HUB_DIR_ENV, HUB_DIR_DEFAULT);
}

void
hub_close(struct hub *h)
{
    cps_crypto_keys_free(&h->keys);
    cps_roster_free(&h->roster);
    cps_store_close(&h->st);
}

int
hub_open(struct hub *h, const char *dir, bool with_keys, char *err, size_t err_len)
{
    struct cps_txn *txn = NULL;
    int rc;

    memset(h, 0, sizeof *h);
    if ((rc = cps_cli_dir_open(&h->st, h->dir, sizeof h->dir, dir, "hub", HUB_PROG, err,
                               err_len)) != 0)
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
    cps_store_abort(&txn);
    if ((rc = cps_cli_dir_load(&h->roster, with_keys ? &h->keys : NULL, h->dir, h->vkey,
                               h->key_path, err, err_len)) != 0)
        goto fail;
    return 0;
fail:
    hub_close(h);
    return rc;
}
