/* SPDX-License-Identifier: ISC */
/*
 * cps-keys roster new|add|sign|verify|show: the roster's life cycle at the lead partner.
 * new writes an unsigned roster (serial 1); add puts a partner in, raises the serial and
 * drops the signatures, since the text changed; sign appends the programme key's signature
 * over the bytes as they are; verify and show check a roster against a pinned programme key.
 * Files are rewritten atomically. Parsing, formatting and checking are libcps's roster module.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cps/cli.h"
#include "cps/crypto.h"
#include "cps/err.h"
#include "cps/note.h"
#include "cps/roster.h"
#include "keys.h"

#define EM_DASH_SPACE "\xe2\x80\x94 "

static const char *const types[] = {CPS_ROSTER_TYPES};

static void
usage(FILE *f)
{
    size_t i;

    fprintf(f, "usage: cps-keys roster new --programme ID --programme-key FILE --name KEYNAME\n"
               "                           --hub TOKEN [-o FILE]\n"
               "       cps-keys roster add ROSTER --id ID --country CC --type TYPE\n"
               "                           [--status STATUS] --pub TOKEN --name NAME [--replace]\n"
               "       cps-keys roster sign ROSTER --key FILE [--name KEYNAME]\n"
               "       cps-keys roster verify ROSTER --programme VKEY\n"
               "       cps-keys roster show ROSTER [--programme VKEY]\n"
               "\n"
               "  new     write an unsigned roster (serial 1) to FILE (default stdout); its\n"
               "          programme key is the signing key of --programme-key under KEYNAME\n"
               "  add     add (or with --replace, replace) a partner; raises the serial and\n"
               "          drops the signatures: sign the roster again afterwards\n"
               "  sign    sign ROSTER with the programme key (refused for any other key)\n"
               "  verify  exit 0 if ROSTER is signed by VKEY (cps-keys pub FILE --vkey NAME)\n"
               "  show    one line per partner; with --programme, verified first\n"
               "\n"
               "  ID is P and two or more digits; CC an ISO 3166-1 alpha-2 code (IT);\n"
               "  STATUS active (default), inactive or revoked; TOKEN a cps1: identity\n"
               "  (cps-keys pub FILE); ROSTER may be '-' (stdin, result to stdout).\n"
               "  TYPE is one of:");
    for (i = 0; i < sizeof types / sizeof types[0]; i++)
        fprintf(f, "%s%s", i % 3 == 0 ? "\n    " : " ", types[i]);
    fprintf(f, "\n\nExamples (a new partner; a rotated key, then logged with 'cps-hub programme\n"
               "roster' and adopted with 'cps-node rekey'):\n"
               "  cps-keys roster add roster.txt --id P26 --country RS --type university \\\n"
               "      --pub \"$(cat p26.pub)\" --name \"Demo University\"\n"
               "  cps-keys roster add roster.txt --replace --id P07 --country BG \\\n"
               "      --type development-agency --pub \"$(cps-keys pub p07-2025.key)\" --name \"Demo Agency\"\n"
               "  cps-keys roster sign roster.txt --key programme.key\n"
               "  cps-keys roster verify roster.txt --programme \"$(cat programme.vkey)\"\n");
}

/* Missing or extra positional arguments: one line and the usage, on stderr. */
static int
misuse(const char *cmd, const char *what)
{
    cps_cli_error(cmd, "%s", what);
    usage(stderr);
    return CPS_EXIT_USAGE;
}

static int
read_roster(const char *cmd, const char *path, char **text, size_t *len)
{
    int rc;

    if ((rc = cps_cli_read_file(path, CPS_CLI_ROSTER_MAX, text, len)) != 0) {
        cps_cli_error(cmd, "%s: %s", path,
                      rc == CPS_ETOOBIG ? "larger than 4 MiB" : cps_strerror(rc));
        return CPS_EXIT_USAGE;
    }
    return CPS_EXIT_OK;
}

/* Length of the unsigned body: up to and including the line before the first blank line. */
static size_t
body_length(const char *text, size_t len)
{
    size_t i;

    for (i = 1; i < len; i++)
        if (text[i] == '\n' && text[i - 1] == '\n')
            return i;
    return len;
}

static void
key_id_hex(char out[9], const uint8_t id[4])
{
    snprintf(out, 9, "%02x%02x%02x%02x", id[0], id[1], id[2], id[3]);
}

/* ---- new ---- */

static int
roster_new(int argc, char **argv)
{
    static const struct option opts[] = {
        {"programme", required_argument, NULL, 'p'},
        {"programme-key", required_argument, NULL, 'k'},
        {"name", required_argument, NULL, 'n'},
        {"hub", required_argument, NULL, 'H'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *programme = NULL, *keyfile = NULL, *name = NULL, *hubtok = NULL, *out = "-";
    struct cps_roster r, *check = NULL;
    struct cps_keys *keys = NULL;
    struct cps_pubkeys pub;
    char *text = NULL, err[256];
    size_t len;
    int c, rc;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":p:k:n:H:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            programme = optarg;
            break;
        case 'k':
            keyfile = optarg;
            break;
        case 'n':
            name = optarg;
            break;
        case 'H':
            hubtok = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'h':
            usage(stdout);
            return CPS_EXIT_OK;
        default:
            return keys_bad_option(KEYS_PROG " roster new", c, argv, usage);
        }
    }
    if (optind != argc)
        return misuse(KEYS_PROG " roster new", "too many arguments");
    if (programme == NULL || keyfile == NULL || name == NULL || hubtok == NULL)
        return misuse(KEYS_PROG " roster new",
                      "--programme, --programme-key, --name and --hub are needed");

    memset(&r, 0, sizeof r);
    if (strlen(programme) >= sizeof r.programme) {
        cps_cli_error(KEYS_PROG " roster new", "--programme %s: at most %zu bytes", programme,
                      sizeof r.programme - 1);
        return CPS_EXIT_USAGE;
    }
    strcpy(r.programme, programme);
    r.serial = 1;
    if (cps_crypto_pub_decode(&r.hub, hubtok) != 0) {
        cps_cli_error(KEYS_PROG " roster new", "--hub: not a cps1: identity (see cps-keys pub)");
        return CPS_EXIT_USAGE;
    }
    if (strlen(name) >= sizeof r.programme_key.name) {
        cps_cli_error(KEYS_PROG " roster new", "--name: at most %zu bytes",
                      sizeof r.programme_key.name - 1);
        return CPS_EXIT_USAGE;
    }
    if ((rc = cps_crypto_keys_load(&keys, keyfile)) != 0) {
        cps_cli_error(KEYS_PROG " roster new", "%s: %s", keyfile, cps_strerror(rc));
        return CPS_EXIT_USAGE;
    }
    cps_crypto_keys_public(keys, &pub);
    cps_crypto_keys_free(&keys);
    strcpy(r.programme_key.name, name);
    memcpy(r.programme_key.pk, pub.sign, sizeof pub.sign);
    cps_note_keyid(name, pub.sign, r.programme_key.id);

    if ((rc = cps_roster_format(&r, &text, &len)) != 0) {
        cps_cli_error(KEYS_PROG " roster new", "--name %s: %s", name,
                      rc == CPS_EMALFORMED ? "a key name has no spaces or '+'" : cps_strerror(rc));
        return CPS_EXIT_USAGE;
    }
    /* what we write must read back: this checks the programme id with the parser's words */
    if ((rc = cps_roster_parse(&check, text, len, err, sizeof err)) != 0) {
        cps_cli_error(KEYS_PROG " roster new", "%s", err);
        free(text);
        return CPS_EXIT_USAGE;
    }
    cps_roster_free(&check);
    if ((rc = cps_cli_write_new(out, text, len, 0644)) != 0) {
        cps_cli_error(KEYS_PROG " roster new", "%s: %s", out,
                      rc == -EEXIST ? "already exists" : cps_strerror(rc));
        free(text);
        return CPS_EXIT_USAGE;
    }
    free(text);
    return CPS_EXIT_OK;
}

/* ---- add ---- */

static bool
in_types(const char *s)
{
    size_t i;

    for (i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(s, types[i]) == 0)
            return true;
    return false;
}

/* Fill p from the options, with an error line naming the first bad one. */
static int
build_partner(struct cps_roster_partner *p, const char *id, const char *country, const char *type,
              const char *status, const char *tok, const char *name)
{
    memset(p, 0, sizeof *p);
    if (id[0] != 'P' || strlen(id) < 3 || strlen(id) >= sizeof p->id ||
        strspn(id + 1, "0123456789") != strlen(id + 1)) {
        cps_cli_error(KEYS_PROG " roster add", "--id %s: P and two or more digits (P07)", id);
        return CPS_EXIT_USAGE;
    }
    strcpy(p->id, id);
    if (strlen(country) != 2 || strspn(country, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 2) {
        cps_cli_error(KEYS_PROG " roster add",
                      "--country %s: an ISO 3166-1 alpha-2 code in upper case (IT)", country);
        return CPS_EXIT_USAGE;
    }
    strcpy(p->country, country);
    if (!in_types(type)) {
        cps_cli_error(KEYS_PROG " roster add", "--type %s: not a partner type (see --help)", type);
        return CPS_EXIT_USAGE;
    }
    strcpy(p->type, type);
    if (strcmp(status, "active") == 0) {
        p->status = CPS_PARTNER_ACTIVE;
    } else if (strcmp(status, "inactive") == 0) {
        p->status = CPS_PARTNER_INACTIVE;
    } else if (strcmp(status, "revoked") == 0) {
        p->status = CPS_PARTNER_REVOKED;
    } else {
        cps_cli_error(KEYS_PROG " roster add", "--status %s: active, inactive or revoked", status);
        return CPS_EXIT_USAGE;
    }
    if (cps_crypto_pub_decode(&p->pub, tok) != 0) {
        cps_cli_error(KEYS_PROG " roster add", "--pub: not a cps1: identity (see cps-keys pub)");
        return CPS_EXIT_USAGE;
    }
    if (name[0] == '\0' || strlen(name) >= sizeof p->name || name[0] == ' ' ||
        name[strlen(name) - 1] == ' ' || strpbrk(name, "\n\r\t") != NULL) {
        cps_cli_error(KEYS_PROG " roster add",
                      "--name: 1-%zu bytes on one line, no space at either end",
                      sizeof p->name - 1);
        return CPS_EXIT_USAGE;
    }
    strcpy(p->name, name);
    return CPS_EXIT_OK;
}

static int
roster_add(int argc, char **argv)
{
    static const struct option opts[] = {
        {"id", required_argument, NULL, 'i'},
        {"country", required_argument, NULL, 'c'},
        {"type", required_argument, NULL, 't'},
        {"status", required_argument, NULL, 's'},
        {"pub", required_argument, NULL, 'P'},
        {"name", required_argument, NULL, 'n'},
        {"replace", no_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *id = NULL, *country = NULL, *type = NULL, *status = "active", *tok = NULL;
    const char *name = NULL, *path;
    const struct cps_roster_partner *clash;
    struct cps_roster_partner p;
    struct cps_roster *r = NULL;
    char *text = NULL, *out = NULL, err[256];
    size_t len, out_len;
    bool replace = false, existed;
    int c, rc, ex = CPS_EXIT_USAGE;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":i:c:t:s:P:n:rh", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            id = optarg;
            break;
        case 'c':
            country = optarg;
            break;
        case 't':
            type = optarg;
            break;
        case 's':
            status = optarg;
            break;
        case 'P':
            tok = optarg;
            break;
        case 'n':
            name = optarg;
            break;
        case 'r':
            replace = true;
            break;
        case 'h':
            usage(stdout);
            return CPS_EXIT_OK;
        default:
            return keys_bad_option(KEYS_PROG " roster add", c, argv, usage);
        }
    }
    if (argc - optind != 1)
        return misuse(KEYS_PROG " roster add",
                      argc == optind ? "ROSTER missing" : "too many arguments");
    path = argv[optind];
    if (id == NULL || country == NULL || type == NULL || tok == NULL || name == NULL)
        return misuse(KEYS_PROG " roster add",
                      "--id, --country, --type, --pub and --name are needed");
    if ((ex = build_partner(&p, id, country, type, status, tok, name)) != CPS_EXIT_OK)
        return ex;
    if ((ex = read_roster(KEYS_PROG " roster add", path, &text, &len)) != CPS_EXIT_OK)
        return ex;
    ex = CPS_EXIT_USAGE;
    if ((rc = cps_roster_parse(&r, text, len, err, sizeof err)) != 0) {
        cps_cli_error(KEYS_PROG " roster add", "%s: %s", path, err);
        goto done;
    }
    existed = cps_roster_find(r, p.id) != NULL;
    if (existed && !replace) {
        cps_cli_error(KEYS_PROG " roster add",
                      "%s: partner %s is already listed (--replace replaces it)", path, p.id);
        ex = CPS_EXIT_NO;
        goto done;
    }
    clash = cps_roster_find_curve(r, p.pub.curve);
    if ((rc = cps_roster_add(r, &p, replace)) != 0) {
        if (rc == CPS_EEXIST)
            cps_cli_error(KEYS_PROG " roster add",
                          "%s: partner %s: these keys are already partner %s's", path, p.id,
                          clash != NULL ? clash->id : "another");
        else
            cps_cli_error(KEYS_PROG " roster add", "%s: partner %s: %s", path, p.id,
                          cps_strerror(rc));
        ex = rc == CPS_EEXIST ? CPS_EXIT_NO : CPS_EXIT_USAGE;
        goto done;
    }
    if (r->serial == UINT64_MAX) {
        cps_cli_error(KEYS_PROG " roster add", "%s: serial cannot grow any more", path);
        goto done;
    }
    r->serial++;
    /* the text changes, so the signatures go: the roster must be signed again */
    if ((rc = cps_roster_format(r, &out, &out_len)) != 0) {
        cps_cli_error(KEYS_PROG " roster add", "%s: %s", path, cps_strerror(rc));
        goto done;
    }
    if ((rc = cps_cli_write_file(path, out, out_len, 0644)) != 0) {
        cps_cli_error(KEYS_PROG " roster add", "%s: %s", path, cps_strerror(rc));
        goto done;
    }
    cps_cli_error(KEYS_PROG " roster add",
                  "%s: partner %s %s, serial %" PRIu64 "; unsigned until 'cps-keys roster sign'",
                  path, p.id, existed ? "replaced" : "added", r->serial);
    ex = CPS_EXIT_OK;
done:
    cps_roster_free(&r);
    free(text);
    free(out);
    return ex;
}

/* ---- sign ---- */

static int
roster_sign(int argc, char **argv)
{
    static const struct option opts[] = {
        {"key", required_argument, NULL, 'k'},
        {"name", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *keyfile = NULL, *name = NULL, *path;
    struct cps_roster *r = NULL;
    struct cps_keys *keys = NULL;
    struct cps_pubkeys pub;
    char *text = NULL, *note = NULL, *out = NULL, err[256], want[9], have[9];
    size_t len, body_len, note_len, out_len, pos, i;
    uint8_t id[4];
    int c, rc, ex = CPS_EXIT_USAGE;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":k:n:h", opts, NULL)) != -1) {
        switch (c) {
        case 'k':
            keyfile = optarg;
            break;
        case 'n':
            name = optarg;
            break;
        case 'h':
            usage(stdout);
            return CPS_EXIT_OK;
        default:
            return keys_bad_option(KEYS_PROG " roster sign", c, argv, usage);
        }
    }
    if (argc - optind != 1)
        return misuse(KEYS_PROG " roster sign",
                      argc == optind ? "ROSTER missing" : "too many arguments");
    path = argv[optind];
    if (keyfile == NULL)
        return misuse(KEYS_PROG " roster sign", "--key is needed");
    if ((ex = read_roster(KEYS_PROG " roster sign", path, &text, &len)) != CPS_EXIT_OK)
        return ex;
    ex = CPS_EXIT_USAGE;
    if ((rc = cps_roster_parse(&r, text, len, err, sizeof err)) != 0) {
        cps_cli_error(KEYS_PROG " roster sign", "%s: %s", path, err);
        goto done;
    }
    if (name == NULL)
        name = r->programme_key.name;
    if ((rc = cps_crypto_keys_load(&keys, keyfile)) != 0) {
        cps_cli_error(KEYS_PROG " roster sign", "%s: %s", keyfile, cps_strerror(rc));
        goto done;
    }
    cps_crypto_keys_public(keys, &pub);
    cps_note_keyid(name, pub.sign, id);
    key_id_hex(want, r->programme_key.id);
    key_id_hex(have, id);
    if (strcmp(name, r->programme_key.name) != 0 ||
        !cps_crypto_equal(pub.sign, r->programme_key.pk, sizeof pub.sign)) {
        cps_cli_error(KEYS_PROG " roster sign",
                      "%s: key %s+%s is not the roster's programme key %s+%s", keyfile, name, have,
                      r->programme_key.name, want);
        ex = CPS_EXIT_NO;
        goto done;
    }
    /* sign the bytes as they stand: never a re-encoding */
    body_len = body_length(text, len);
    if ((rc = cps_note_sign(&note, &note_len, text, body_len, name, keys)) != 0) {
        cps_cli_error(KEYS_PROG " roster sign", "%s: cannot sign: %s", path, cps_strerror(rc));
        goto done;
    }
    /* keep other keys' signature lines; ours replaces any older one under the same name */
    if ((out = malloc(note_len + len + 1)) == NULL) {
        cps_cli_error(KEYS_PROG " roster sign", "%s", cps_strerror(-ENOMEM));
        goto done;
    }
    memcpy(out, note, note_len);
    out_len = note_len;
    for (pos = body_len + 1; pos < len; pos = i + 1) {
        size_t nlen = strlen(EM_DASH_SPACE) + strlen(name);

        for (i = pos; i < len && text[i] != '\n'; i++)
            ;
        if (i - pos > nlen && strncmp(text + pos, EM_DASH_SPACE, strlen(EM_DASH_SPACE)) == 0 &&
            strncmp(text + pos + strlen(EM_DASH_SPACE), name, strlen(name)) == 0 &&
            text[pos + nlen] == ' ')
            continue;
        if (i == len)
            break; /* parse made sure every line ends in '\n' */
        memcpy(out + out_len, text + pos, i + 1 - pos);
        out_len += i + 1 - pos;
    }
    if ((rc = cps_cli_write_file(path, out, out_len, 0644)) != 0) {
        cps_cli_error(KEYS_PROG " roster sign", "%s: %s", path, cps_strerror(rc));
        goto done;
    }
    ex = CPS_EXIT_OK;
done:
    cps_crypto_keys_free(&keys);
    cps_roster_free(&r);
    free(text);
    free(note);
    free(out);
    return ex;
}

/* ---- verify, show ---- */

/* Read and verify (vkey given) or only parse path. Prints the reason on failure. */
static int
load(const char *cmd, const char *path, const char *vkey, struct cps_roster **r)
{
    struct cps_note_verifier v;
    char *text = NULL, err[256];
    size_t len;
    int rc, ex;

    if (vkey != NULL && cps_note_vkey_parse(&v, vkey) != 0) {
        cps_cli_error(cmd, "--programme: not a verifier key (see cps-keys pub FILE --vkey NAME)");
        return CPS_EXIT_USAGE;
    }
    if ((ex = read_roster(cmd, path, &text, &len)) != CPS_EXIT_OK)
        return ex;
    if (vkey != NULL)
        rc = cps_roster_verify(r, text, len, vkey, err, sizeof err);
    else
        rc = cps_roster_parse(r, text, len, err, sizeof err);
    free(text);
    if (rc == -ENOMEM) {
        cps_cli_error(cmd, "%s", cps_strerror(rc));
        return CPS_EXIT_USAGE;
    }
    if (rc != 0) {
        cps_cli_error(cmd, "%s: not valid: %s", path, err);
        return CPS_EXIT_NO;
    }
    return CPS_EXIT_OK;
}

static int
roster_check(int argc, char **argv, bool show)
{
    static const struct option opts[] = {
        {"programme", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = show ? KEYS_PROG " roster show" : KEYS_PROG " roster verify", *vkey = NULL,
               *path;
    struct cps_roster *r = NULL;
    char kid[9], hex[17];
    size_t i;
    int c, ex;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            vkey = optarg;
            break;
        case 'h':
            usage(stdout);
            return CPS_EXIT_OK;
        default:
            return keys_bad_option(cmd, c, argv, usage);
        }
    }
    if (argc - optind != 1)
        return misuse(cmd, argc == optind ? "ROSTER missing" : "too many arguments");
    path = argv[optind];
    if (!show && vkey == NULL)
        return misuse(cmd, "--programme VKEY is needed");
    if ((ex = load(cmd, path, vkey, &r)) != CPS_EXIT_OK)
        return ex;
    key_id_hex(kid, r->programme_key.id);
    if (!show) {
        printf("ok: roster %s serial %" PRIu64 ", %zu partners, signed by %s+%s\n", r->programme,
               r->serial, r->n_partners, r->programme_key.name, kid);
        cps_roster_free(&r);
        return CPS_EXIT_OK;
    }
    if (vkey == NULL)
        cps_cli_error(cmd, "%s: signature not checked (give --programme VKEY to check it)", path);
    cps_crypto_keyid_hex(&r->hub, hex);
    printf("roster %s serial %" PRIu64 " (%s)\nprogramme-key %s+%s\nhub key=%s\n", r->programme,
           r->serial, vkey != NULL ? "signature verified" : "signature not checked",
           r->programme_key.name, kid, hex);
    for (i = 0; i < r->n_partners; i++) {
        const struct cps_roster_partner *p = &r->partners[i];

        cps_crypto_keyid_hex(&p->pub, hex);
        printf("%-5s %s  %-19s %-8s key=%s  %s\n", p->id, p->country, p->type,
               cps_roster_status_name(p->status), hex, p->name);
    }
    cps_roster_free(&r);
    return CPS_EXIT_OK;
}

static int
roster_verify(int argc, char **argv)
{
    return roster_check(argc, argv, false);
}

static int
roster_show(int argc, char **argv)
{
    return roster_check(argc, argv, true);
}

static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
} subcommands[] = {
    {"new", roster_new},       {"add", roster_add},   {"sign", roster_sign},
    {"verify", roster_verify}, {"show", roster_show},
};

int
cmd_roster_main(int argc, char **argv)
{
    size_t i;

    if (argc < 2)
        return misuse(KEYS_PROG " roster", "subcommand missing");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return CPS_EXIT_OK;
    }
    for (i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        if (strcmp(argv[1], subcommands[i].name) == 0)
            return subcommands[i].run(argc - 1, argv + 1);
    cps_cli_error(KEYS_PROG " roster", "%s: unknown subcommand", argv[1]);
    usage(stderr);
    return CPS_EXIT_USAGE;
}
