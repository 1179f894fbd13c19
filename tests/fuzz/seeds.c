/* SPDX-License-Identifier: ISC */
/*
 * Seed corpora for the fuzz targets, made with the project's own encoders and the fixed keys
 * of fuzz.h, so that every seed starts valid and deep inside its decoder:
 *   fuzz_seeds DIR      writes DIR/<target>/seed-<what> for every target
 * The committed tests/fuzz/corpus/ came from this program. Findings are added beside the
 * seeds, each a regression input that every build replays: fixed-<what> for a bug fixed,
 * known-<what> for one reported to its module's owners and still open (the target then
 * checks what holds meanwhile, and says so in its header comment).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <msgpack.h> /* the seeds JSON cannot express: bin, ext, float32 */

#include "cps/roster.h"
#include "cps/tlog.h"
#include "cps/value.h"
#include "cps/wire.h"
#include "fuzz.h"

static const char *outdir;

/* One record per collection, as the demo data has them. */
static const struct {
    const char *coll, *key, *json;
    int programme;
} records[] = {
    {"cluster", "P01/P01-C001",
     "{\"id\":\"P01-C001\",\"name\":\"Demo Cluster 1 (P01)\",\"nuts2\":\"ITF3\",\"sector\":"
     "\"C29\",\"member_firms\":226,\"employees\":26442,\"founded\":1999,\"areas\":["
     "\"sustainability\",\"international_cooperation\",\"financing\"]}",
     0},
    {"indicator", "P01/P01-C001/innovation/2014-Q1/patent_applications",
     "{\"partner\":\"P01\",\"cluster_id\":\"P01-C001\",\"area\":\"innovation\",\"period\":"
     "\"2014-Q1\",\"indicator\":\"patent_applications\",\"value\":8,\"unit\":\"count\","
     "\"source\":\"demo-generator\",\"updated_at\":\"2014-04-30T11:04:00Z\",\"note\":"
     "\"demo data, not real\"}",
     0},
    {"pilot_action", "P01/P01-PA01",
     "{\"id\":\"P01-PA01\",\"area\":\"regional_specialisation\",\"title\":\"Demo smart "
     "specialisation mapping (P01)\",\"status\":\"completed\",\"start\":\"2014-03-01\","
     "\"end\":\"2015-03-28\",\"budget_eur\":180500.5,\"evaluation\":{\"score\":3,"
     "\"lessons\":\"Demo lesson\"}}",
     0},
    {"policy_lesson", "P01/P01-L01",
     "{\"id\":\"P01-L01\",\"area\":\"regional_specialisation\",\"text\":\"Demo lesson 1 of "
     "P01\",\"pilot_action\":\"P01/P01-PA01\",\"shared_with\":[\"P22\",\"P11\",\"P18\"]}",
     0},
    {"partner", "P01",
     "{\"id\":\"P01\",\"name\":\"Demo Regional Authority P01\",\"country\":\"IT\",\"type\":"
     "\"public-authority\",\"membership\":\"EU\",\"role\":\"lead\"}",
     1},
    {"period", "2014-Q1",
     "{\"label\":\"2014 Q1\",\"start\":\"2014-01-01\",\"end\":\"2014-03-31\",\"due\":"
     "\"2014-04-30\"}",
     1},
    {"indicator_definition", "innovation/patent_applications",
     "{\"area\":\"innovation\",\"code\":\"patent_applications\",\"name\":\"Patent "
     "applications\",\"unit\":\"count\",\"periodicity\":\"quarterly\"}",
     1},
};
#define N_RECORDS (sizeof records / sizeof records[0])

static void
die(const char *what)
{
    fprintf(stderr, "fuzz_seeds: %s\n", what);
    exit(1);
}

static void
seed(const char *target, const char *name, const void *data, size_t len)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", outdir, target);
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        die(path);
    snprintf(path, sizeof path, "%s/%s/seed-%s", outdir, target, name);
    if ((f = fopen(path, "wb")) == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
        die(path);
}

/* A seed of one mode byte and then data. */
static void
seed_mode(const char *target, const char *name, uint8_t mode, const void *data, size_t len)
{
    uint8_t *b = malloc(len + 1);

    if (b == NULL)
        die("out of memory");
    b[0] = mode;
    memcpy(b + 1, data, len);
    seed(target, name, b, len + 1);
    free(b);
}

static uint8_t *
value(size_t i, size_t *len)
{
    uint8_t *mp;
    char err[256];

    if (cps_value_from_json(&mp, len, records[i].json, strlen(records[i].json), err, sizeof err) !=
        0)
        die(err);
    return mp;
}

/* A signed update of partner P01 (fixed key 1) with the given ops. */
static uint8_t *
update(uint64_t seq, int n_put, int with_del, size_t *len)
{
    struct cps_wire_builder *b;
    uint8_t prev[CPS_CRYPTO_HASH_BYTES], *out, *mp;
    size_t mp_len;
    int i;

    memset(prev, seq == 1 ? 0 : 0xab, sizeof prev);
    if (cps_wire_builder_new(&b, FUZZ_PROGRAMME, "P01", seq, prev, 1400000000000 + seq) != 0)
        die("builder");
    for (i = 0; i < n_put; i++) {
        mp = value((size_t)i % 4, &mp_len);
        if (cps_wire_builder_add(b, CPS_OP_PUT, records[i % 4].coll, strlen(records[i % 4].coll),
                                 records[i % 4].key, strlen(records[i % 4].key), mp, mp_len) != 0)
            die("builder add");
        free(mp);
    }
    if (with_del &&
        cps_wire_builder_add(b, CPS_OP_DEL, "cluster", 7, "P01/P01-C009", 12, NULL, 0) != 0)
        die("builder add");
    if (cps_wire_builder_finish(b, fuzz_keys(1), &out, len) != 0)
        die("builder finish");
    cps_wire_builder_free(&b);
    return out;
}

static uint8_t *
entry(const uint8_t *su, size_t su_len, int status, int code, const char *reason, size_t *len)
{
    struct cps_entry e = {.signed_bytes = su,
                          .signed_len = su_len,
                          .status = status,
                          .code = code,
                          .reason = reason,
                          .reason_len = strlen(reason),
                          .received_ms = 1400000000123};
    uint8_t *out;

    if (cps_wire_encode_entry(&e, &out, len) != 0)
        die("entry");
    return out;
}

static char *
checkpoint(uint64_t size, int with_dataset, size_t *len)
{
    struct cps_checkpoint cp = {.size = size, .has_dataset = with_dataset != 0};
    char *note;

    snprintf(cp.origin, sizeof cp.origin, "%s", FUZZ_KEY_NAME);
    memset(cp.root, 0x5a, sizeof cp.root);
    memset(cp.dataset, 0xd5, sizeof cp.dataset);
    if (cps_tlog_checkpoint_sign(&note, len, &cp, FUZZ_KEY_NAME, fuzz_keys(0)) != 0)
        die("checkpoint");
    return note;
}

static void
seeds_wire(void)
{
    static struct cps_msg m;
    uint8_t *su[3], *en[2], *enc, hash[2][CPS_CRYPTO_HASH_BYTES];
    size_t su_len[3], en_len[2], enc_len, note_len;
    char *note;
    struct cps_pstate ps = {.last_seq = 42,
                            .last_seen_ms = 1400000000000,
                            .accepted = 40,
                            .rejected = 2,
                            .last_index = 1234,
                            .outbox_depth = 7};
    static const char *const names[] = {"",       "hello", "welcome", "update", "ack",
                                        "refuse", "pull",  "entries", "prove",  "proof"};
    int t;

    su[0] = update(1, 0, 0, &su_len[0]);
    su[1] = update(2, 4, 1, &su_len[1]);
    su[2] = update(3, 1, 0, &su_len[2]);
    seed("update", "empty", su[0], su_len[0]);
    seed("update", "four-puts-one-del", su[1], su_len[1]);
    seed("update", "one-put", su[2], su_len[2]);
    en[0] = entry(su[1], su_len[1], CPS_ACK_APPLIED, 0, "", &en_len[0]);
    en[1] = entry(su[2], su_len[2], CPS_ACK_REJECTED, CPS_ESCHEMA,
                  "cluster P01/P01-C001: field 'employees': expected an integer >= 0", &en_len[1]);
    seed("entry", "applied", en[0], en_len[0]);
    seed("entry", "rejected", en[1], en_len[1]);
    memset(ps.last_hash, 0x11, sizeof ps.last_hash);
    if (cps_wire_encode_pstate(&ps, &enc, &enc_len) != 0)
        die("pstate");
    seed("pstate", "state", enc, enc_len);
    free(enc);

    note = checkpoint(2, 1, &note_len);
    memset(hash[0], 0x01, sizeof hash[0]);
    memset(hash[1], 0x02, sizeof hash[1]);
    for (t = CPS_MSG_HELLO; t <= CPS_MSG_PROOF; t++) {
        memset(&m, 0, sizeof m);
        m.type = (enum cps_msg_type)t;
        snprintf(m.partner, sizeof m.partner, "P01");
        m.version = CPS_WIRE_VERSION;
        m.seq = 3;
        m.index = 17;
        m.depth = 5;
        m.expected = 4;
        m.text = "expected seq 4";
        m.text_len = strlen(m.text);
        m.payload = su[2]; /* a real one is sealed; the decoder does not look inside */
        m.payload_len = su_len[2];
        if (t == CPS_MSG_ACK)
            m.code = CPS_ESCHEMA, m.status = CPS_ACK_REJECTED;
        if (t == CPS_MSG_REFUSE)
            m.code = CPS_EGAP;
        if (t == CPS_MSG_PROVE || t == CPS_MSG_PROOF)
            m.status = CPS_PROOF_CONSISTENCY;
        m.note = note;
        m.note_len = note_len;
        m.n_entries = 2;
        m.entries[0] = (struct cps_wire_item){en[0], en_len[0]};
        m.entries[1] = (struct cps_wire_item){en[1], en_len[1]};
        m.n_proof = 2;
        m.proof[0] = hash[0];
        m.proof[1] = hash[1];
        m.n_proof2 = 1;
        m.proof2[0] = hash[1];
        m.roster = "";
        if (cps_wire_encode_msg(&m, &enc, &enc_len) != 0)
            die("msg");
        seed("msg", names[t], enc, enc_len);
        free(enc);
    }

    /* bundle: entries.bin framing (u32 big-endian length, entry) and checkpoints.txt */
    {
        uint8_t *bin = malloc(8 + en_len[0] + en_len[1] + 1);
        char *txt = malloc(2 * (note_len + 32) + 1);
        size_t n = 1, i, tl = 0;

        bin[0] = 1; /* mode: entries.bin */
        for (i = 0; i < 2; i++) {
            bin[n++] = (uint8_t)(en_len[i] >> 24);
            bin[n++] = (uint8_t)(en_len[i] >> 16);
            bin[n++] = (uint8_t)(en_len[i] >> 8);
            bin[n++] = (uint8_t)en_len[i];
            memcpy(bin + n, en[i], en_len[i]);
            n += en_len[i];
        }
        seed("bundle", "entries", bin, n);
        for (i = 0; i < 2; i++) {
            tl += (size_t)sprintf(txt + tl, "checkpoint %zu\n", note_len);
            memcpy(txt + tl, note, note_len);
            tl += note_len;
        }
        seed_mode("bundle", "checkpoints", 0, txt, tl);
        free(bin);
        free(txt);
    }
    seed_mode("checkpoint", "signed", 0, note, note_len);
    free(note);
    note = checkpoint(0, 0, &note_len);
    seed_mode("checkpoint", "signed-empty", 0, note, note_len);
    free(note);
    {
        static const char body[] =
            FUZZ_KEY_NAME "\n18446744073709551615\n"
                          "WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo=\n"
                          "cps-dataset 00112233445566778899aabbccddeeff"
                          "00112233445566778899aabbccddeeff\nother extension\n";

        seed_mode("checkpoint", "body", 1, body, sizeof body - 1);
    }
    for (t = 0; t < 3; t++)
        free(su[t]);
    free(en[0]);
    free(en[1]);
}

static void
seeds_values(void)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    uint8_t *mp, ts[12] = {0, 0, 0, 1, 0, 0, 0, 0, 0x5a, 0x5a, 0x5a, 0x5a};
    size_t len, i;
    char name[64];
    static const char *const json[] = {
        "{\"a\":[1,-2,3.5,1e300,-0.0,true,false,null,\"x\\u00e9\\n\"],\"b\":{\"c\":{}}}",
        "[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]",
        "9223372036854775807",
        "\"\\ud83d\\ude00 emoji\"",
        "{\"k\":1,\"k2\":{\"k\":[]}}",
    };

    for (i = 0; i < N_RECORDS; i++) {
        mp = value(i, &len);
        snprintf(name, sizeof name, "%s", records[i].coll);
        seed("value", name, mp, len);
        free(mp);
        seed("json", name, records[i].json, strlen(records[i].json));
    }
    for (i = 0; i < sizeof json / sizeof json[0]; i++) {
        snprintf(name, sizeof name, "special-%zu", i);
        seed("json", name, json[i], strlen(json[i]));
    }
    /* what JSON cannot make: bin, ext (a timestamp), float32, uint64 past int64, big maps */
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    if (msgpack_pack_map(&pk, 6) != 0 || msgpack_pack_str_with_body(&pk, "bin", 3) != 0 ||
        msgpack_pack_bin_with_body(&pk, "\x00\x01\x02\x03", 4) != 0 ||
        msgpack_pack_str_with_body(&pk, "ts", 2) != 0 || msgpack_pack_ext(&pk, 12, -1) != 0 ||
        msgpack_pack_ext_body(&pk, ts, sizeof ts) != 0 ||
        msgpack_pack_str_with_body(&pk, "f32", 3) != 0 || msgpack_pack_float(&pk, 1.5f) != 0 ||
        msgpack_pack_str_with_body(&pk, "u64", 3) != 0 ||
        msgpack_pack_uint64(&pk, UINT64_MAX) != 0 ||
        msgpack_pack_str_with_body(&pk, "i64", 3) != 0 || msgpack_pack_int64(&pk, INT64_MIN) != 0 ||
        msgpack_pack_str_with_body(&pk, "arr", 3) != 0 || msgpack_pack_array(&pk, 17) != 0)
        die("msgpack");
    for (i = 0; i < 17; i++)
        if (msgpack_pack_nil(&pk) != 0)
            die("msgpack");
    seed("value", "types", sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
}

static void
seeds_schema(void)
{
    static const uint8_t writer_p01 = 2, writer_programme = 0;
    uint8_t *mp, *b;
    size_t len, cl, kl, i;
    char name[64];

    for (i = 0; i < N_RECORDS; i++) {
        mp = value(i, &len);
        cl = strlen(records[i].coll);
        kl = strlen(records[i].key);
        if ((b = malloc(3 + cl + kl + len)) == NULL)
            die("out of memory");
        b[0] = records[i].programme ? writer_programme : writer_p01;
        b[1] = (uint8_t)cl;
        b[2] = (uint8_t)kl;
        memcpy(b + 3, records[i].coll, cl);
        memcpy(b + 3 + cl, records[i].key, kl);
        memcpy(b + 3 + cl + kl, mp, len);
        seed("schema", records[i].coll, b, 3 + cl + kl + len);
        b[0] |= 4; /* the same key, deleted */
        snprintf(name, sizeof name, "del-%s", records[i].coll);
        seed("schema", name, b, 3 + cl + kl);
        free(b);
        free(mp);
    }
}

static void
seeds_import(void)
{
    char line[2048], *all = NULL;
    size_t i, n = 0, len;
    static const char csv_generic[] =
        "coll,key,value\r\n"
        "cluster,P01/P01-C001,\"{\"\"id\"\":\"\"P01-C001\"\",\"\"employees\"\":12}\"\r\n"
        "cluster,P01/P01-C002,null\r\n";
    static const char csv_cluster[] =
        "\xef\xbb\xbfkey,id,name,nuts2,sector,member_firms,employees,founded,areas,share\n"
        "P01/P01-C001,P01-C001,\"Demo Cluster 1, \"\"P01\"\"\",ITF3,C29,226,26442,1999,"
        "\"[\"\"rd\"\",\"\"innovation\"\"]\",0.25\n"
        "P01/P01-C002,P01-C002,Demo Cluster 2,ITI1,C11,,13200,2004,\"{\"\"a\"\":1}\",1e3\n";

    for (i = 0; i < N_RECORDS; i++) {
        len = (size_t)snprintf(line, sizeof line, "{\"coll\":\"%s\",\"key\":\"%s\",\"value\":%s}\n",
                               records[i].coll, records[i].key, records[i].json);
        if ((all = realloc(all, n + len + 64)) == NULL)
            die("out of memory");
        memcpy(all + n, line, len);
        n += len;
    }
    n += (size_t)sprintf(all + n,
                         "\n{\"coll\":\"cluster\",\"key\":\"P01/P01-C009\",\"op\":\"del\"}\n");
    seed("import_ndjson", "records", all, n);
    free(all);
    seed_mode("import_csv", "generic", 0, csv_generic, sizeof csv_generic - 1);
    seed_mode("import_csv", "cluster", 1, csv_cluster, sizeof csv_cluster - 1);
}

static void
seeds_notes(void)
{
    char vkey[CPS_NOTE_VKEY_MAX], text[4096], tok[3][CPS_CRYPTO_PUBTOKEN_MAX], *note, *both;
    struct cps_pubkeys pub;
    size_t len, note_len, i;
    const struct cps_note_verifier *v = fuzz_verifier();

    if (cps_note_vkey_format(vkey, v->name, v->pk) != 0)
        die("vkey");
    seed_mode("note", "vkey", 0, vkey, strlen(vkey));
    for (i = 0; i < 2; i++) {
        cps_crypto_keys_public(fuzz_keys((int)i), &pub);
        cps_crypto_pub_encode(&pub, tok[i]);
    }
    {
        struct cps_keys *k;
        uint8_t s3[CPS_CRYPTO_SEED_BYTES];

        memset(s3, 0x44, sizeof s3);
        if (cps_crypto_keys_from_seed(&k, s3) != 0)
            die("keys");
        cps_crypto_keys_public(k, &pub);
        cps_crypto_pub_encode(&pub, tok[2]);
        cps_crypto_keys_free(&k);
    }
    len = (size_t)snprintf(text, sizeof text,
                           "cps-roster v1\nprogramme %s\nserial 7\nprogramme-key %s\nhub %s\n"
                           "partner P01 IT public-authority active %s Demo Regional Authority\n"
                           "partner P02 AT university revoked %s Demo University P02\n",
                           FUZZ_PROGRAMME, vkey, tok[0], tok[1], tok[2]);
    seed_mode("roster", "body", 0, text, len);
    seed_mode("roster", "body-to-sign", 2, text, len);
    seed_mode("note", "text-to-sign", 2, text, len);
    if (cps_note_sign(&note, &note_len, text, len, FUZZ_KEY_NAME, fuzz_keys(0)) != 0)
        die("note sign");
    seed_mode("roster", "signed", 1, note, note_len);
    seed_mode("note", "signed", 1, note, note_len);
    if ((both = malloc(strlen(vkey) + 1 + note_len)) == NULL)
        die("out of memory");
    len = (size_t)sprintf(both, "%s\n", vkey);
    memcpy(both + len, note, note_len);
    seed_mode("note", "vkey-and-note", 3, both, len + note_len);
    free(both);
    free(note);
}

static void
seeds_config(void)
{
    static const char all[] = "; a node\n[node]\nstr = \"Demo node P07\"\npath = /var/lib/cps/p07\n"
                              "hub = tcp://hub.example.org:7700\nwindow = 16\nsyslog = yes\n\n"
                              "[log]\nlevel = debug\nstr = short\n";
    static const char problems[] = "[node]\nwindow = 0\nnosuch = 1\n  [log]\nlevel = loud\n=x\n";

    seed("config", "all-keys", all, sizeof all - 1);
    seed("config", "problems", problems, sizeof problems - 1);
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_seeds DIR\n");
        return 2;
    }
    outdir = argv[1];
    if (mkdir(outdir, 0755) != 0 && errno != EEXIST)
        die(outdir);
    if (cps_crypto_init() != 0)
        die("libsodium");
    seeds_wire();
    seeds_values();
    seeds_schema();
    seeds_import();
    seeds_notes();
    seeds_config();
    return 0;
}
