/* SPDX-License-Identifier: ISC */
/*
 * Error codes shared by every libcps module.
 *
 * Functions return 0 on success, -errno for system errors, or one of the CPS_E*
 * codes below (all below -1000, as LMDB reserves its own range). cps_strerror()
 * names both. The protocol carries the positive "wire code" -(rc + 1000).
 */
#ifndef CPS_ERR_H
#define CPS_ERR_H

#define CPS_MUST_CHECK __attribute__((warn_unused_result))

enum {
    CPS_EMALFORMED = -1001, /* bytes do not decode as the expected message */
    CPS_EBADSIG = -1002,    /* signature does not verify */
    CPS_EKEYFILE = -1003,   /* key file has the wrong size, tag or checksum */
    CPS_EKEYPERM = -1004,   /* key file readable by group/other, or not ours */
    CPS_ESEAL = -1005,      /* sealed box cannot be opened with these keys */
    CPS_EGAP = -1006,       /* seq is ahead of the next expected one */
    CPS_ECHAIN = -1007,     /* prev does not match, or a seq was reused */
    CPS_EREPLAY = -1008,    /* already logged (duplicates are re-acked) */
    CPS_EOWNER = -1009,     /* writer does not own the record */
    CPS_ESCHEMA = -1010,    /* record fails validation */
    CPS_EUNKNOWN = -1011,   /* partner or key not in the roster */
    CPS_EINACTIVE = -1012,  /* partner is not active */
    CPS_EIDENTITY = -1013,  /* frame, body and connection disagree on who */
    CPS_ETOOBIG = -1014,    /* over a size limit */
    CPS_EFULL = -1015,      /* store map is full */
    CPS_ENOTFOUND = -1016,  /* no such record */
    CPS_EEXIST = -1017,     /* already exists */
    CPS_EVERSION = -1018,   /* unsupported protocol or format version */
    CPS_EPROGRAMME = -1019, /* update names another programme */
    CPS_EROSTER = -1020,    /* roster invalid or not signed by the programme key */
    CPS_ESTORE = -1021,     /* store error (LMDB) */
    CPS_EBUSY = -1022,      /* hub cannot take the update now; retry */
    CPS_EINTERNAL = -1023,  /* a bug: an invariant did not hold */
    CPS_EAUDIT = -1024,     /* a log entry's recorded decision disagrees with the rules */
    CPS_EUNTRUSTED = -1025, /* the hub's checkpoints are not consistent: not trusted */
    CPS_EMAX_ = -1026
};

/* Positive code used on the wire: CPS_EGAP -> 6. */
#define CPS_WIRE_CODE(rc) (-(rc) - 1000)

/* A static string for rc: a CPS_E* code, a -errno, or 0. Never NULL. */
const char *cps_strerror(int rc);

/* Short symbolic name ("EGAP") of a CPS_E* code, "OK" for 0, "ERRNO" otherwise. */
const char *cps_errname(int rc);

#endif
