/* SPDX-License-Identifier: ISC */
/*
 * Corpus replay: runs a fuzz target's LLVMFuzzerTestOneInput once on every file named on the
 * command line (a folder: every file in it, in name order), without libFuzzer, so that the
 * seeds and every past finding run as a regression test in every build, gcc and the
 * sanitizer build included. Each input is copied into a buffer of exactly its size, so a
 * read past the end is caught under ASan. Exit 0, 1 (an input could not be read) or 99.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static size_t runs;

static int
run_file(const char *path)
{
    struct stat sb;
    uint8_t *buf;
    size_t len;
    FILE *f;

    if ((f = fopen(path, "rb")) == NULL || fstat(fileno(f), &sb) != 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        if (f != NULL)
            fclose(f);
        return 1;
    }
    len = (size_t)sb.st_size;
    if ((buf = malloc(len > 0 ? len : 1)) == NULL || fread(buf, 1, len, f) != len) {
        fprintf(stderr, "replay: %s: cannot read\n", path);
        free(buf);
        fclose(f);
        return 1;
    }
    fclose(f);
    (void)LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    runs++;
    return 0;
}

static int
run_dir(const char *dir)
{
    struct dirent **names;
    char path[4096];
    int n, i, rc = 0;

    if ((n = scandir(dir, &names, NULL, alphasort)) < 0) {
        fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    for (i = 0; i < n; i++) {
        if (names[i]->d_name[0] != '.') {
            snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
            rc |= run_file(path);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int
main(int argc, char **argv)
{
    struct stat sb;
    int i, rc = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 99;
    }
    for (i = 1; i < argc; i++) {
        if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode))
            rc |= run_dir(argv[i]);
        else
            rc |= run_file(argv[i]);
    }
    printf("%zu inputs replayed, none crashed\n", runs);
    if (runs == 0)
        return 99;
    return rc;
}
