/* SPDX-License-Identifier: ISC */
/*
 * waitlog: wait until a hub's log holds at least SIZE entries; print the wall-clock time
 * (seconds since the epoch, with nanoseconds) at which it first did. A benchmark tool: it
 * only reads the store (an LMDB reader never blocks the hub's writer).
 *
 *   waitlog HUB_DIR SIZE TIMEOUT_SECONDS
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cps/replay.h"
#include "cps/store.h"

int
main(int argc, char **argv)
{
    struct cps_store *st = NULL;
    struct timespec now, start, nap = { 0, 2000000 };
    uint64_t want, size = 0;

    if (argc != 4) {
        fprintf(stderr, "usage: waitlog HUB_DIR SIZE TIMEOUT_SECONDS\n");
        return 2;
    }
    want = strtoull(argv[2], NULL, 10);
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (cps_store_open_flags(&st, argv[1], 0, 0) != 0) { /* as the hub opens it */
        nanosleep(&nap, NULL);
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec > atoi(argv[3]))
            return 1;
    }
    for (;;) {
        struct cps_txn *txn = NULL;

        if (cps_store_begin(st, false, &txn) == 0) {
            if (cps_replay_size(txn, &cps_replay_hub, &size) != 0)
                size = 0;
            cps_store_abort(&txn);
        }
        if (size >= want)
            break;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec > atoi(argv[3])) {
            fprintf(stderr, "waitlog: %llu of %llu entries after %s s\n",
                    (unsigned long long)size, (unsigned long long)want, argv[3]);
            cps_store_close(&st);
            return 1;
        }
        nanosleep(&nap, NULL);
    }
    clock_gettime(CLOCK_REALTIME, &now);
    printf("%lld.%09ld\n", (long long)now.tv_sec, now.tv_nsec);
    cps_store_close(&st);
    return 0;
}
