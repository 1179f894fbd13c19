#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Benchmark (not a test): W1 at ten times the programme. 250 partners (P01..P250) each
# queue 2,000 of the W1 indicator records (the same 500,000 records in all, renamed to their
# new owner), in updates of 100; then the hub and all 250 nodes start, and the figure is
# records/s from then until the hub has committed everything, as bench/run's W1 sync.
#   bench/scale.sh [REPS]        (default 3; needs bench/run's release build and data)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$top/build-release
REPS=${1:-3}
. "$top/tests/cli/lib.sh"
DATA=${BENCH_DATA:-/tmp/cps-bench-data}
[ -f "$DATA/data/P25.ndjson" ] || { echo "bench: run bench/run first (W1 data)" >&2; exit 2; }
N=250 PER=2000
RECORDS=$((N * PER)) UPDATES=$((N * PER / 100))

stop_all() {
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    PIDS=()
}
trap 'stop_all; rm -rf "${WORK:-/nonexistent}"' EXIT

for r in $(seq 1 "$REPS"); do
    WORK=$(mktemp -d /tmp/cps-scale-XXXXXX)
    make_programme "$WORK" $N
    PORT=$(free_port)
    init_hub "$WORK" "$PORT"
    for i in $(seq 1 $N); do
        id=$(pid_of "$i") src=$(pid_of $(( (i - 1) % 25 + 1 ))) chunk=$(( (i - 1) / 25 ))
        init_node "$WORK" "$id" "$PORT"
        sed -n "$((chunk * PER + 1)),$(((chunk + 1) * PER))p" "$DATA/data/$src.ndjson" |
            sed "s/$src/$id/g" > "$WORK/$id.in"
    done
    for i in $(seq 1 $N); do echo "$(pid_of "$i")"; done |
        xargs -P 2 -I{} "$NODE" import --dir "$WORK/{}" --batch 100 "$WORK/{}.in" >/dev/null
    "$BUILD/bench/waitlog" "$WORK/hub" "$UPDATES" 900 > "$WORK/end" &
    waiter=$!
    t1=$(date +%s.%N)
    start_hub "$WORK"
    for i in $(seq 1 $N); do start_node "$WORK" "$(pid_of "$i")" --no-replica; done
    t_started=$(date +%s.%N)
    wait "$waiter"
    echo "scale run $r: $N partners, $RECORDS records: sync $(echo "$RECORDS / ($(cat "$WORK/end") - $t1)" | bc) rec/s" \
         "(starting the $N node processes took $(echo "$t_started - $t1" | bc) s of it)"
    stop_all
    rm -rf "$WORK"
done
