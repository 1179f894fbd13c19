/* SPDX-License-Identifier: ISC */
/*
 * wire: msgpack encoding and decoding of every message cps exchanges or stores.
 *
 * The update body is encoded once, signed as stored, and never re-encoded: a decoded
 * struct cps_update points into its own copy of the signed bytes. Decoders run the
 * cps_value_check() bounds walker first, so declared lengths can never exceed the input.
 * docs/PROTOCOL.md describes every structure here to the byte.
 */
#ifndef CPS_WIRE_H
#define CPS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cps/crypto.h"
#include "cps/err.h"

#define CPS_WIRE_VERSION 1
#define CPS_WIRE_DOMAIN_UPDATE "cps/update/v1\n"
#define CPS_WIRE_MAX_BODY (1024 * 1024)                   /* one update body */
#define CPS_WIRE_MAX_SIGNED (CPS_WIRE_MAX_BODY + 128)     /* body + signature + framing */
#define CPS_WIRE_MAX_FRAME (CPS_WIRE_MAX_SIGNED + 256)    /* one ZeroMQ frame */
#define CPS_WIRE_MAX_OPS 10000
#define CPS_WIRE_ID_MAX 16
#define CPS_WIRE_PROGRAMME_MAX 64

enum cps_op_kind {
    CPS_OP_PUT = 0,
    CPS_OP_DEL = 1,
};

/* One record operation; pointers borrow the update's bytes. */
struct cps_op {
    enum cps_op_kind kind;
    const char *coll;
    size_t coll_len;
    const char *key;
    size_t key_len;
    const uint8_t *value; /* msgpack bytes; NULL for a delete */
    size_t value_len;
};

/* A decoded signed update. Owns signed_bytes; everything else points into it. */
struct cps_update {
    uint32_t version;
    char programme[CPS_WIRE_PROGRAMME_MAX];
    char partner[CPS_WIRE_ID_MAX];
    uint64_t seq;
    uint8_t prev[CPS_CRYPTO_HASH_BYTES];
    uint64_t ts_ms;
    size_t n_ops;
    struct cps_op *ops;
    uint8_t *signed_bytes;
    size_t signed_len;
    const uint8_t *body; /* inside signed_bytes */
    size_t body_len;
    const uint8_t *sig;  /* CPS_CRYPTO_SIG_BYTES, inside signed_bytes */
};

/* Builder of one update body: ops are appended, then finish signs it. */
struct cps_wire_builder;

/* Start a body. Returns 0, CPS_EMALFORMED (ids too long) or -ENOMEM. */
CPS_MUST_CHECK int cps_wire_builder_new(struct cps_wire_builder **out, const char *programme,
                                        const char *partner, uint64_t seq,
                                        const uint8_t prev[CPS_CRYPTO_HASH_BYTES],
                                        uint64_t ts_ms);
/* Append an op (value NULL for a delete). Returns 0, CPS_ETOOBIG (the body would pass
 * CPS_WIRE_MAX_BODY or CPS_WIRE_MAX_OPS; nothing added) or -ENOMEM. */
CPS_MUST_CHECK int cps_wire_builder_add(struct cps_wire_builder *b, enum cps_op_kind kind,
                                        const char *coll, size_t coll_len, const char *key,
                                        size_t key_len, const uint8_t *value, size_t value_len);
/* Ops added so far, and the body size they make. */
size_t cps_wire_builder_ops(const struct cps_wire_builder *b);
size_t cps_wire_builder_size(const struct cps_wire_builder *b);
/* Encode and sign: *out is the malloc'd signed update ([body, sig]). Returns 0 or -ENOMEM. */
CPS_MUST_CHECK int cps_wire_builder_finish(struct cps_wire_builder *b,
                                           const struct cps_keys *keys, uint8_t **out,
                                           size_t *out_len);
void cps_wire_builder_free(struct cps_wire_builder **b);

/*
 * Decode a signed update; copies buf. Checks structure and types only (not the signature:
 * see cps_wire_verify_update). Returns 0, CPS_EMALFORMED, CPS_EVERSION, CPS_ETOOBIG or
 * -ENOMEM. *out freed with cps_wire_update_free().
 */
CPS_MUST_CHECK int cps_wire_decode_update(struct cps_update **out, const uint8_t *buf,
                                          size_t len);
void cps_wire_update_free(struct cps_update **up);

/* Verify up's signature with an Ed25519 public key: 0 or CPS_EBADSIG. */
CPS_MUST_CHECK int cps_wire_verify_update(const struct cps_update *up,
                                          const uint8_t sign_pk[CPS_CRYPTO_PK_BYTES]);

/* The chain hash of a signed update: SHA-256 of its bytes. */
void cps_wire_update_hash(const uint8_t *signed_bytes, size_t len,
                          uint8_t out[CPS_CRYPTO_HASH_BYTES]);

/* Protocol messages, one msgpack array per ZeroMQ frame. */
enum cps_msg_type {
    CPS_MSG_HELLO = 1,   /* node -> hub: [1, partner, version, last_acked, outbox_depth] */
    CPS_MSG_WELCOME = 2, /* hub -> node: [2, partner, next_expected, log_size] */
    CPS_MSG_UPDATE = 3,  /* node -> hub: [3, partner, seq, sealed] */
    CPS_MSG_ACK = 4,     /* hub -> node: [4, seq, index, status, code, reason] */
    CPS_MSG_REFUSE = 5,  /* hub -> node: [5, seq, code, reason, expected] */
    CPS_MSG_PULL = 6,    /* node -> hub: [6, partner, from, trusted_size] */
    CPS_MSG_ENTRIES = 7, /* hub -> node: [7, from, [entry...], checkpoint, [proof...],
                          *               [proof2...], genesis roster ("" unless from 0)] */
    CPS_MSG_PROVE = 8,   /* node -> hub: [8, partner, kind, a, b] */
    CPS_MSG_PROOF = 9,   /* hub -> node: [9, kind, a, b, [proof...], checkpoint] */
};

/* PROVE / PROOF kinds: inclusion of leaf a in the tree of size b; consistency a -> b.
 * b == 0 asks for the hub's latest checkpoint. */
enum cps_proof_kind {
    CPS_PROOF_INCLUSION = 1,
    CPS_PROOF_CONSISTENCY = 2,
};

#define CPS_WIRE_PULL_MAX_ENTRIES 512        /* entries in one ENTRIES message */
#define CPS_WIRE_PULL_MAX_BYTES (1024 * 1024) /* entry bytes in one, past the first */
#define CPS_WIRE_MAX_PROOF 64
/* Largest hub -> node frame: a chunk of entries past the byte budget by one entry, plus
 * proofs, a checkpoint and (from entry 0) the genesis roster, at most 4 MiB. */
#define CPS_WIRE_MAX_ROSTER (4u << 20)
#define CPS_WIRE_MAX_DOWN_FRAME                                                                  \
    (CPS_WIRE_PULL_MAX_BYTES + CPS_WIRE_MAX_FRAME + CPS_WIRE_MAX_ROSTER + 16384)

/* A borrowed byte range inside a decoded frame. */
struct cps_wire_item {
    const uint8_t *data;
    size_t len;
};

enum cps_ack_status {
    CPS_ACK_APPLIED = 0,
    CPS_ACK_REJECTED = 1, /* logged, chain advanced, not applied */
};

/* A decoded message; text and payload borrow the frame's bytes. */
struct cps_msg {
    enum cps_msg_type type;
    char partner[CPS_WIRE_ID_MAX]; /* HELLO, WELCOME, UPDATE */
    uint32_t version;              /* HELLO */
    uint64_t seq;      /* HELLO last acked; WELCOME next expected; UPDATE, ACK, REFUSE */
    uint64_t index;    /* ACK log index; WELCOME log size */
    uint64_t depth;    /* HELLO outbox depth */
    uint64_t expected; /* REFUSE: the seq the hub expects next (0: none) */
    int status;        /* ACK */
    int code;          /* ACK, REFUSE: CPS_E* code (0 for applied) */
    const char *text;  /* ACK, REFUSE: reason, not NUL-terminated */
    size_t text_len;
    const uint8_t *payload; /* UPDATE: sealed signed update */
    size_t payload_len;
    /* PULL: seq = from, index = trusted size. PROVE/PROOF: status = kind, seq = a,
     * index = b. ENTRIES: seq = from. */
    const char *note;       /* ENTRIES, PROOF: a signed checkpoint (may be empty) */
    size_t note_len;
    const char *roster;     /* ENTRIES from 0: the roster the log started with */
    size_t roster_len;
    size_t n_entries;       /* ENTRIES */
    struct cps_wire_item entries[CPS_WIRE_PULL_MAX_ENTRIES];
    size_t n_proof, n_proof2; /* ENTRIES: trusted -> checkpoint, end -> checkpoint; PROOF */
    const uint8_t *proof[CPS_WIRE_MAX_PROOF];  /* 32 bytes each */
    const uint8_t *proof2[CPS_WIRE_MAX_PROOF];
};

/* Encode m; *out malloc'd. Returns 0 or -ENOMEM. */
CPS_MUST_CHECK int cps_wire_encode_msg(const struct cps_msg *m, uint8_t **out, size_t *out_len);
/* Decode one frame (at most CPS_WIRE_MAX_DOWN_FRAME bytes; the hub's socket bounds what
 * it accepts to CPS_WIRE_MAX_FRAME). Returns 0, CPS_EMALFORMED or CPS_ETOOBIG. */
CPS_MUST_CHECK int cps_wire_decode_msg(struct cps_msg *m, const uint8_t *buf, size_t len);

/* Hub log entry: [signed update, status, code, reason, received_ms]. */
struct cps_entry {
    const uint8_t *signed_bytes;
    size_t signed_len;
    int status;
    int code;
    const char *reason;
    size_t reason_len;
    uint64_t received_ms;
};
CPS_MUST_CHECK int cps_wire_encode_entry(const struct cps_entry *e, uint8_t **out,
                                         size_t *out_len);
CPS_MUST_CHECK int cps_wire_decode_entry(struct cps_entry *e, const uint8_t *buf, size_t len);

/* Hub partner state: [last_seq, last_hash, last_seen_ms, accepted, rejected, last_index,
 * outbox_depth]. */
struct cps_pstate {
    uint64_t last_seq;
    uint8_t last_hash[CPS_CRYPTO_HASH_BYTES];
    uint64_t last_seen_ms;
    uint64_t accepted;
    uint64_t rejected;
    uint64_t last_index;
    uint64_t outbox_depth;
};
CPS_MUST_CHECK int cps_wire_encode_pstate(const struct cps_pstate *p, uint8_t **out,
                                          size_t *out_len);
CPS_MUST_CHECK int cps_wire_decode_pstate(struct cps_pstate *p, const uint8_t *buf, size_t len);

/* Milliseconds since the Unix epoch. */
uint64_t cps_wire_now_ms(void);

#endif
