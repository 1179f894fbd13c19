/* SPDX-License-Identifier: ISC */
/*
 * The hub's data directory: its store, its configuration in the meta database, the roster
 * pinned to the programme key, and the hub's own key file.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

static int
meta_str(struct cps_txn *txn, const char *name, char *dst, size_t dst_len)
{
    struct cps_val v;
    int rc;

    if ((rc = cps_store_meta_get(txn, name, &v)) != 0)
        return rc;
    if (v.len >= dst_len)
        return CPS_ESTORE;
    memcpy(dst, v.data, v.len);
    dst[v.len] = 0;
    return 0;
}

int
hub_open(struct hub *h, const char *dir, bool with_keys, char *err, size_t err_len)
{
    struct cps_txn *txn = NULL;
    char path[PATH_MAX + 32], why[256];
    int rc;

    memset(h, 0, sizeof *h);
    if ((rc = cps_crypto_init()) != 0) {
        snprintf(err, err_len, "libsodium: %s", cps_strerror(rc));
        return rc;
    }
    if ((rc = cps_cli_abspath(dir, h->dir, sizeof h->dir)) != 0) {
        snprintf(err, err_len, "%s: %s", dir, cps_strerror(rc));
        return rc;
    }
    snprintf(path, sizeof path, "%s/data.mdb", h->dir);
    if (access(path, F_OK) != 0) {
        snprintf(err, err_len, "%s: not a hub directory (run '" HUB_PROG " init' first)", h->dir);
        return -ENOENT;
    }
    if ((rc = cps_store_open(&h->st, h->dir, 0)) != 0) {
        snprintf(err, err_len, "%s: %s", h->dir, cps_strerror(rc));
        goto fail;
    }
    if ((rc = cps_store_begin(h->st, false, &txn)) != 0 ||
        (rc = meta_str(txn, "programme", h->programme, sizeof h->programme)) != 0 ||
        (rc = meta_str(txn, "listen", h->listen, sizeof h->listen)) != 0 ||
        (rc = meta_str(txn, "key", h->key_path, sizeof h->key_path)) != 0 ||
        (rc = meta_str(txn, "vkey", h->vkey, sizeof h->vkey)) != 0) {
        snprintf(err, err_len, "%s: hub configuration unreadable: %s", h->dir, cps_strerror(rc));
        cps_store_abort(&txn);
        goto fail;
    }
    cps_store_abort(&txn);
    snprintf(path, sizeof path, "%s/" HUB_ROSTER_FILE, h->dir);
    if ((rc = cps_roster_load(&h->roster, path, h->vkey, why, sizeof why)) != 0) {
        snprintf(err, err_len, "%s: %s", path, rc == CPS_EMALFORMED ? why : cps_strerror(rc));
        goto fail;
    }
    if (with_keys && (rc = cps_crypto_keys_load(&h->keys, h->key_path)) != 0) {
        snprintf(err, err_len, "%s: %s", h->key_path, cps_strerror(rc));
        goto fail;
    }
    return 0;
fail:
    hub_close(h);
    return rc;
}
