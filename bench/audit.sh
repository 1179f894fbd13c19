#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Benchmark (not a test): how fast cps-audit verifies a bundle. A hub and 5 nodes on
# loopback log PER updates per partner of 1 to 5 records each (P01 writes 1 record per
# update, ..., P05 writes 5), cps-hub audit-bundle writes the bundle, then cps-audit verify
# runs 3 times per --jobs setting and the median is reported in entries per second.
#   bench/audit.sh [BUILD_DIR] [PER]      (defaults: build, 4000 -> 20,000 entries)
#   KEEP=1 keeps the work folder (bundle included) for a look afterwards.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$top/build}" && pwd)
PER=${2:-4000}
. "$top/tests/cli/lib.sh"
AUDIT=$BUILD/cps-audit
WORK=$(mktemp -d /tmp/cps-bench-audit-XXXXXX)
trap cleanup EXIT
RUNS=3

now() { date +%s.%N; }
echo "bench: building a bundle of $((5 * PER)) entries in $WORK" >&2
t0=$(now)
make_programme "$WORK" 5
PORT=$(free_port)
init_hub "$WORK" "$PORT"
start_hub "$WORK"
ids=()
for i in 1 2 3 4 5; do
    id=$(pid_of "$i"); ids+=("$id")
    init_node "$WORK" "$id" "$PORT"
    "$GEN" "$id" $((PER * i)) > "$WORK/$id.ndjson"
    "$NODE" import --dir "$WORK/$id" --batch "$i" "$WORK/$id.ndjson" >/dev/null
    start_node "$WORK" "$id"
done
wait_drained "$WORK" 1800 "${ids[@]}" || fail "outboxes did not drain"
"$HUB" checkpoint --dir "$WORK/hub" >/dev/null
"$HUB" audit-bundle --dir "$WORK/hub" "$WORK/b" >&2
t1=$(now)
entries=$("$HUB" status --dir "$WORK/hub" | jq .log_size)
echo "bench: bundle built in $(echo "$t1 - $t0" | bc) s: $entries entries," \
     "$(du -sh "$WORK/b/entries.bin" | cut -f1) of entries.bin," \
     "$(grep -c '^checkpoint ' "$WORK/b/checkpoints.txt") checkpoints" >&2
PK=$(cat "$WORK/programme.vkey")

# median wall time of RUNS verifies with the given options
median() {
    local i t s
    for i in $(seq 1 $RUNS); do
        s=$(now)
        "$AUDIT" verify --programme-key "$PK" "$@" "$WORK/b" >/dev/null || fail "verify failed"
        t=$(echo "$(now) - $s" | bc)
        echo "$t"
    done | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"
}

echo "cps-audit verify, $entries entries, $(nproc) online CPUs, median of $RUNS runs:"
for jobs in 0 1 2 default; do
    if [ "$jobs" = default ]; then t=$(median); else t=$(median --jobs "$jobs"); fi
    printf '  --jobs %-8s %7.3f s  %8.0f entries/s\n' "$jobs" "$t" "$(echo "$entries / $t" | bc -l)"
done
