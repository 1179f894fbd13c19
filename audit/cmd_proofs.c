/* SPDX-License-Identifier: ISC */
/*
 * cps-audit inclusion and consistency: check, offline, a receipt printed by cps-node prove
 * (JSON: kind, index/size or old_size/new_size, leaf_hash, proof[] in hex, and the hub's
 * signed checkpoint note). Nothing the receipt says about itself ("verified") is believed:
 * the checkpoint must verify with the hub's key given here, and the proof against its root.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "commands.h"
#include "cps/cli.h"
#include "cps/crypto.h"

#define RECEIPT_MAX (1u << 20)

struct receipt {
    json_t *json;
    uint64_t a, b; /* index and size, or old_size and new_size */
    bool has_leaf;
    uint8_t leaf[CPS_TLOG_HASH_BYTES];
    size_t n_proof;
    uint8_t proof[CPS_TLOG_MAX_PROOF][CPS_TLOG_HASH_BYTES];
    const char *note; /* borrowed from json */
    size_t note_len;
};

struct proof_opts {
    const char *prog;
    const char *hub_key;
    const char *extra; /* --entry FILE (inclusion) or --old FILE (consistency) */
    const char *path;  /* the receipt */
};

static int
parse_opts(int argc, char **argv, const char *usage_text, const char *extra_name,
           struct proof_opts *o)
{
    const struct option opts[] = {
        {"hub-key", required_argument, NULL, 'k'},
        {extra_name, required_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    while ((c = getopt_long(argc, argv, "k:h", opts, NULL)) != -1) {
        if (c == 'k') {
            o->hub_key = optarg;
        } else if (c == 'x') {
            o->extra = optarg;
        } else if (c == 'h') {
            fputs(usage_text, stdout);
            return CPS_EXIT_OK;
        } else {
            goto misuse;
        }
    }
    if (argc - optind != 1)
        goto misuse;
    if (o->hub_key == NULL) {
        cps_cli_error(o->prog, "--hub-key is required (the bundle's hub.vkey, or the hub "
                               "key of the programme's roster)");
        goto misuse;
    }
    o->path = argv[optind];
    return -1;
misuse:
    fputs(usage_text, stderr);
    return CPS_EXIT_USAGE;
}

static int
hub_verifier(const struct proof_opts *o, struct cps_note_verifier *v)
{
    char vkey[CPS_NOTE_VKEY_MAX];

    if (!audit_trim(vkey, sizeof vkey, o->hub_key, strlen(o->hub_key)) ||
        cps_note_vkey_parse(v, vkey) != 0) {
        cps_cli_error(o->prog, "--hub-key: not a verifier key (name+id+base64)");
        return CPS_EXIT_USAGE;
    }
    return CPS_EXIT_OK;
}

static bool
get_u64(json_t *o, const char *name, uint64_t *v)
{
    json_t *x = json_object_get(o, name);

    if (!json_is_integer(x) || json_integer_value(x) < 0)
        return false;
    *v = (uint64_t)json_integer_value(x);
    return true;
}

static bool
get_hash(json_t *x, uint8_t out[CPS_TLOG_HASH_BYTES])
{
    return json_is_string(x) &&
           audit_unhex(out, CPS_TLOG_HASH_BYTES, json_string_value(x), json_string_length(x));
}

/* Read and parse the receipt at o->path. Returns -1 when it is one of kind, else the exit
 * code after saying why. */
static int
receipt_load(const struct proof_opts *o, const char *kind, struct receipt *r)
{
    const char *a_name = strcmp(kind, "inclusion") == 0 ? "index" : "old_size";
    const char *b_name = strcmp(kind, "inclusion") == 0 ? "size" : "new_size";
    json_t *x, *proof;
    json_error_t jerr;
    char *text = NULL;
    size_t len, i;
    int rc;

    memset(r, 0, sizeof *r);
    if ((rc = cps_cli_read_file(o->path, RECEIPT_MAX, &text, &len)) != 0) {
        cps_cli_error(o->prog, "%s: %s", o->path, cps_strerror(rc));
        return CPS_EXIT_USAGE;
    }
    r->json = json_loadb(text, len, 0, &jerr);
    free(text);
    if (r->json == NULL) {
        cps_cli_error(o->prog, "%s: not a JSON receipt (line %d: %s)", o->path, jerr.line,
                      jerr.text);
        return CPS_EXIT_NO;
    }
    x = json_object_get(r->json, "kind");
    if (!json_is_string(x) || strcmp(json_string_value(x), kind) != 0) {
        cps_cli_error(o->prog, "%s: \"kind\" is not \"%s\"", o->path, kind);
        return CPS_EXIT_NO;
    }
    if (!get_u64(r->json, a_name, &r->a) || !get_u64(r->json, b_name, &r->b)) {
        cps_cli_error(o->prog, "%s: \"%s\" and \"%s\" must be unsigned integers", o->path, a_name,
                      b_name);
        return CPS_EXIT_NO;
    }
    if ((x = json_object_get(r->json, "leaf_hash")) != NULL) {
        if (!get_hash(x, r->leaf)) {
            cps_cli_error(o->prog, "%s: \"leaf_hash\" is not 64 hex digits", o->path);
            return CPS_EXIT_NO;
        }
        r->has_leaf = true;
    }
    proof = json_object_get(r->json, "proof");
    if (!json_is_array(proof) || json_array_size(proof) > CPS_TLOG_MAX_PROOF) {
        cps_cli_error(o->prog, "%s: \"proof\" must be an array of at most %d hashes", o->path,
                      CPS_TLOG_MAX_PROOF);
        return CPS_EXIT_NO;
    }
    for (i = 0; i < json_array_size(proof); i++) {
        if (!get_hash(json_array_get(proof, i), r->proof[i])) {
            cps_cli_error(o->prog, "%s: proof[%zu] is not 64 hex digits", o->path, i);
            return CPS_EXIT_NO;
        }
    }
    r->n_proof = json_array_size(proof);
    x = json_object_get(r->json, "checkpoint");
    if (!json_is_string(x)) {
        cps_cli_error(o->prog, "%s: no \"checkpoint\" (the hub's signed note)", o->path);
        return CPS_EXIT_NO;
    }
    r->note = json_string_value(x);
    r->note_len = json_string_length(x);
    return -1;
}

/* Verify a checkpoint note with the hub's key: signature, origin, and the expected size. */
static int
checkpoint_check(const struct proof_opts *o, const char *what, const char *note, size_t len,
                 const struct cps_note_verifier *v, uint64_t size, struct cps_checkpoint *cp)
{
    int rc = cps_tlog_checkpoint_verify(cp, note, len, v);

    if (rc == CPS_EBADSIG) {
        cps_cli_error(o->prog, "%s: not signed by the --hub-key %s+%02x%02x%02x%02x", what, v->name,
                      v->id[0], v->id[1], v->id[2], v->id[3]);
        return CPS_EXIT_NO;
    }
    if (rc != 0) {
        cps_cli_error(o->prog, "%s: not a well-formed signed checkpoint", what);
        return CPS_EXIT_NO;
    }
    if (strcmp(cp->origin, v->name) != 0) {
        cps_cli_error(o->prog, "%s: origin is not the key's log '%s'", what, v->name);
        return CPS_EXIT_NO;
    }
    if (cp->size != size) {
        cps_cli_error(o->prog, "%s: size %" PRIu64 ", the receipt says %" PRIu64, what, cp->size,
                      size);
        return CPS_EXIT_NO;
    }
    return CPS_EXIT_OK;
}

/* The leaf from --entry FILE (raw entry bytes, as in entries.bin without the length). */
static int
entry_leaf(const struct proof_opts *o, struct receipt *r, char *about, size_t about_len)
{
    uint8_t leaf[CPS_TLOG_HASH_BYTES];
    struct cps_update *up = NULL;
    struct cps_entry e;
    char *buf = NULL;
    size_t len;
    int rc;

    about[0] = 0;
    if ((rc = cps_cli_read_file(o->extra, AUDIT_ENTRY_MAX, &buf, &len)) != 0) {
        cps_cli_error(o->prog, "--entry %s: %s", o->extra, cps_strerror(rc));
        return CPS_EXIT_USAGE;
    }
    cps_tlog_leaf_hash((const uint8_t *)buf, len, leaf);
    if (cps_wire_decode_entry(&e, (const uint8_t *)buf, len) == 0 &&
        cps_wire_decode_update(&up, e.signed_bytes, e.signed_len) == 0) {
        snprintf(about, about_len, " (partner %s seq %" PRIu64 ")", up->partner, up->seq);
        audit_printable(about);
    }
    cps_wire_update_free(&up);
    free(buf);
    if (r->has_leaf && memcmp(leaf, r->leaf, sizeof leaf) != 0) {
        cps_cli_error(o->prog, "--entry %s: its leaf hash is not the receipt's leaf_hash",
                      o->extra);
        return CPS_EXIT_NO;
    }
    memcpy(r->leaf, leaf, sizeof leaf);
    r->has_leaf = true;
    return CPS_EXIT_OK;
}

int
cmd_inclusion_main(int argc, char **argv)
{
    static const char usage_text[] =
        "Usage: " AUDIT_PROG " inclusion --hub-key VKEY [--entry FILE] RECEIPT.json\n"
        "Check an inclusion receipt (cps-node prove seq|inclusion; \"-\" reads stdin): its\n"
        "checkpoint must be signed by the hub key VKEY (hub.vkey of an audit bundle) and the\n"
        "proof must lead from the leaf at index to the checkpoint's root. The leaf is the\n"
        "receipt's leaf_hash, or the hash of FILE, the raw bytes of the log entry (then both\n"
        "must agree when the receipt has one).\n"
        "Exit 0 verified, 1 the receipt does not prove it, 2 could not run.\n"
        "Example:\n"
        "  cps-node prove seq 1 > r.json\n"
        "  " AUDIT_PROG " inclusion --hub-key \"$(cat bundle/hub.vkey)\" r.json\n";
    struct proof_opts o = {.prog = AUDIT_PROG " inclusion"};
    struct cps_note_verifier v;
    struct cps_checkpoint cp;
    struct receipt *r = NULL;
    char h1[2 * CPS_TLOG_HASH_BYTES + 1], h2[2 * CPS_TLOG_HASH_BYTES + 1], about[96] = "";
    int ret;

    if ((ret = parse_opts(argc, argv, usage_text, "entry", &o)) >= 0)
        return ret;
    if ((ret = hub_verifier(&o, &v)) != 0)
        return ret;
    if ((r = calloc(1, sizeof *r)) == NULL) {
        cps_cli_error(o.prog, "%s", cps_strerror(-ENOMEM));
        return CPS_EXIT_USAGE;
    }
    if ((ret = receipt_load(&o, "inclusion", r)) >= 0 ||
        (ret = checkpoint_check(&o, "checkpoint", r->note, r->note_len, &v, r->b, &cp)) != 0 ||
        (o.extra != NULL && (ret = entry_leaf(&o, r, about, sizeof about)) != 0))
        goto done;
    ret = CPS_EXIT_NO;
    if (!r->has_leaf) {
        cps_cli_error(o.prog,
                      "%s: no leaf_hash (the node did not hold the entry): give the "
                      "entry with --entry FILE",
                      o.path);
        ret = CPS_EXIT_USAGE;
    } else if (r->a >= r->b) {
        cps_cli_error(o.prog, "index %" PRIu64 " is not inside the log of size %" PRIu64, r->a,
                      r->b);
    } else if (cps_tlog_verify_inclusion(r->leaf, r->a, r->b,
                                         (const uint8_t(*)[CPS_TLOG_HASH_BYTES])r->proof,
                                         r->n_proof, cp.root) != 0) {
        cps_cli_error(o.prog,
                      "entry %" PRIu64 "%s: the inclusion proof does not lead to the "
                      "signed root of size %" PRIu64,
                      r->a, about, r->b);
    } else {
        audit_hex(h1, r->leaf, sizeof r->leaf);
        audit_hex(h2, cp.root, sizeof cp.root);
        printf("inclusion verified: entry %" PRIu64 "%s, leaf %s, is in the log of size %" PRIu64
               " with root %s signed by %s\n",
               r->a, about, h1, r->b, h2, v.name);
        ret = CPS_EXIT_OK;
    }
done:
    json_decref(r->json);
    free(r);
    return ret;
}

/* The old checkpoint for --old FILE: a signed note, or a receipt carrying one. */
static int
old_checkpoint(const struct proof_opts *o, const struct cps_note_verifier *v, uint64_t size,
               struct cps_checkpoint *cp)
{
    json_t *j = NULL, *x;
    json_error_t jerr;
    char *text = NULL;
    const char *note;
    size_t len;
    int rc, ret;

    if ((rc = cps_cli_read_file(o->extra, RECEIPT_MAX, &text, &len)) != 0) {
        cps_cli_error(o->prog, "--old %s: %s", o->extra, cps_strerror(rc));
        return CPS_EXIT_USAGE;
    }
    note = text;
    if (len > 0 && text[0] == '{') {
        if ((j = json_loadb(text, len, 0, &jerr)) == NULL ||
            !json_is_string(x = json_object_get(j, "checkpoint"))) {
            cps_cli_error(o->prog,
                          "--old %s: neither a signed checkpoint nor a receipt "
                          "with one",
                          o->extra);
            json_decref(j);
            free(text);
            return CPS_EXIT_NO;
        }
        note = json_string_value(x);
        len = json_string_length(x);
    }
    ret = checkpoint_check(o, "old checkpoint", note, len, v, size, cp);
    json_decref(j);
    free(text);
    return ret;
}

int
cmd_consistency_main(int argc, char **argv)
{
    static const char usage_text[] =
        "Usage: " AUDIT_PROG " consistency --hub-key VKEY [--old FILE] RECEIPT.json\n"
        "Check a consistency receipt (cps-node prove consistency OLD [NEW]): that the log of\n"
        "size old_size, whose root an old checkpoint signed, is a prefix of the log the\n"
        "receipt's checkpoint signed. Both checkpoints must be signed by the hub key VKEY.\n"
        "FILE is the old checkpoint: a signed note (cps-hub checkpoint, or one from an\n"
        "audit bundle's checkpoints.txt) or a receipt holding one; not needed for size 0.\n"
        "Exit 0 verified, 1 the receipt does not prove it, 2 could not run.\n"
        "Example:\n"
        "  cps-node prove consistency 120 > c.json\n"
        "  " AUDIT_PROG
        " consistency --hub-key \"$(cat bundle/hub.vkey)\" --old cp120.txt c.json\n";
    struct proof_opts o = {.prog = AUDIT_PROG " consistency"};
    struct cps_checkpoint cp, old = {0};
    struct cps_note_verifier v;
    struct receipt *r = NULL;
    char h1[2 * CPS_TLOG_HASH_BYTES + 1], h2[2 * CPS_TLOG_HASH_BYTES + 1];
    int ret;

    if ((ret = parse_opts(argc, argv, usage_text, "old", &o)) >= 0)
        return ret;
    if ((ret = hub_verifier(&o, &v)) != 0)
        return ret;
    if ((r = calloc(1, sizeof *r)) == NULL) {
        cps_cli_error(o.prog, "%s", cps_strerror(-ENOMEM));
        return CPS_EXIT_USAGE;
    }
    if ((ret = receipt_load(&o, "consistency", r)) >= 0 ||
        (ret = checkpoint_check(&o, "new checkpoint", r->note, r->note_len, &v, r->b, &cp)) != 0)
        goto done;
    if (r->a > 0 && o.extra == NULL) {
        cps_cli_error(o.prog, "give the checkpoint of size %" PRIu64 " with --old FILE", r->a);
        ret = CPS_EXIT_USAGE;
        goto done;
    }
    if (r->a > 0 && (ret = old_checkpoint(&o, &v, r->a, &old)) != 0)
        goto done;
    ret = CPS_EXIT_NO;
    if (r->a > r->b) {
        cps_cli_error(o.prog, "old_size %" PRIu64 " is past new_size %" PRIu64, r->a, r->b);
    } else if (cps_tlog_verify_consistency(r->a, r->b, old.root, cp.root,
                                           (const uint8_t(*)[CPS_TLOG_HASH_BYTES])r->proof,
                                           r->n_proof) != 0) {
        cps_cli_error(o.prog,
                      "the log of size %" PRIu64 " is not shown to be a prefix of the "
                      "log of size %" PRIu64 ": the consistency proof does not verify",
                      r->a, r->b);
    } else {
        audit_hex(h1, old.root, sizeof old.root);
        audit_hex(h2, cp.root, sizeof cp.root);
        printf("consistency verified: the log of size %" PRIu64 " (root %s) is a prefix of the "
               "log of size %" PRIu64 " (root %s), both signed by %s\n",
               r->a, r->a > 0 ? h1 : "empty", r->b, h2, v.name);
        ret = CPS_EXIT_OK;
    }
done:
    json_decref(r->json);
    free(r);
    return ret;
}
