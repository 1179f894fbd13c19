/* SPDX-License-Identifier: ISC */
/*
 * roster: the programme's list of partners and keys, signed by the programme key.
 *
 * Text form (UTF-8, one field per line; a C2SP signed note signed by the programme key):
 *   cps-roster v1
 *   programme <programme id>
 *   serial <decimal, increases with every change>
 *   programme-key <C2SP verifier key string of the programme key>
 *   hub <cps1: public identity token>
 *   partner <id> <country> <type> <status> <cps1: token> <name, rest of the line>
 *   ...
 *   <blank line>
 *   — <programme key name> <base64 signature>
 * Partner id: "P" and two or more digits. Country: ISO 3166-1 alpha-2, upper case.
 * Type: one of the CPS_ROSTER_TYPES words. Status: active | inactive | revoked.
 * Partners appear sorted by id; ids and CURVE keys are unique.
 */
#ifndef CPS_ROSTER_H
#define CPS_ROSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cps/crypto.h"
#include "cps/note.h"

#define CPS_ROSTER_ID_MAX 16
#define CPS_ROSTER_NAME_MAX 128
#define CPS_ROSTER_TYPE_MAX 32
#define CPS_ROSTER_PROGRAMME_MAX 64

/* Partner types (see MISSION.md). */
#define CPS_ROSTER_TYPES \
    "public-authority", "development-agency", "research-institute", "university", \
        "innovation-agency", "cluster-network"

/* The writer id of updates signed by the programme key (programme-owned collections and
 * roster changes). Partner ids are "P" and digits, so it cannot clash. */
#define CPS_ROSTER_PROGRAMME_ID "programme"

enum cps_partner_status {
    CPS_PARTNER_ACTIVE = 0,
    CPS_PARTNER_INACTIVE = 1,
    CPS_PARTNER_REVOKED = 2,
};

struct cps_roster_partner {
    char id[CPS_ROSTER_ID_MAX];
    char country[3];
    char type[CPS_ROSTER_TYPE_MAX];
    char name[CPS_ROSTER_NAME_MAX];
    enum cps_partner_status status;
    struct cps_pubkeys pub;
};

struct cps_roster {
    char programme[CPS_ROSTER_PROGRAMME_MAX];
    uint64_t serial;
    struct cps_note_verifier programme_key;
    struct cps_pubkeys hub;
    size_t n_partners;
    struct cps_roster_partner *partners; /* owned, sorted by id */
};

/*
 * Parse the body of a roster (signature lines, if any, are ignored: use
 * cps_roster_load or cps_roster_verify to check them). *out is owned by the caller.
 * Returns 0, CPS_EMALFORMED (err names the line number and problem), CPS_EVERSION or -ENOMEM.
 */
CPS_MUST_CHECK int cps_roster_parse(struct cps_roster **out, const char *text, size_t len,
                                    char *err, size_t err_len);

/*
 * Verify that text is a roster signed by the programme key pinned in vkey (a C2SP verifier
 * key string), and that its programme-key line names that same key; then parse it.
 * Returns 0, CPS_EROSTER (not signed by vkey), CPS_EMALFORMED or -ENOMEM.
 */
CPS_MUST_CHECK int cps_roster_verify(struct cps_roster **out, const char *text, size_t len,
                                     const char *vkey, char *err, size_t err_len);

/* Read path (at most 4 MiB) and cps_roster_verify() it. -errno for I/O errors. */
CPS_MUST_CHECK int cps_roster_load(struct cps_roster **out, const char *path, const char *vkey,
                                   char *err, size_t err_len);

/* Format the unsigned body; *out malloc'd, NUL-terminated. Returns 0 or -ENOMEM. */
CPS_MUST_CHECK int cps_roster_format(const struct cps_roster *r, char **out, size_t *out_len);

/* Add (or, with replace, replace) a partner, keeping ids sorted. Returns 0, CPS_EEXIST,
 * CPS_EMALFORMED (bad id, country, type) or -ENOMEM. */
CPS_MUST_CHECK int cps_roster_add(struct cps_roster *r, const struct cps_roster_partner *p,
                                  bool replace);

/* Lookups; NULL when absent. */
const struct cps_roster_partner *cps_roster_find(const struct cps_roster *r, const char *id);
const struct cps_roster_partner *cps_roster_find_curve(const struct cps_roster *r,
                                                       const uint8_t curve[CPS_CRYPTO_PK_BYTES]);

const char *cps_roster_status_name(enum cps_partner_status s);

/* The Ed25519 key that signs updates of writer id: an active-or-not partner's signing key,
 * or the programme key for CPS_ROSTER_PROGRAMME_ID. NULL when the roster has no such writer. */
const uint8_t *cps_roster_signer(const struct cps_roster *r, const char *id);

void cps_roster_free(struct cps_roster **r);

#endif
