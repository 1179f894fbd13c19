#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Benchmark (not a test): how fast cps-audit verifies a bundle. A hub and 5 nodes on
# loopback log PER updates per partner of 1 to 5 records each (P01 writes 1 record per
# update, ..., P05 writes 5), cps-hub audit-bundle writes the bundle, then cps-audit verify
# runs 3 times per --jobs setting; the run with the median wall time is reported.
#   bench/audit.sh [BUILD_DIR] [PER]      (defaults: build, 4000 -> 20,000 entries)
#   KEEP=1 keeps the work folder (bundle included) for another run:
#   BUNDLE=/tmp/cps-bench-audit-XXXXXX/b bench/audit.sh   times that bundle only.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$top/build}" && pwd)
PER=${2:-4000}
. "$top/tests/cli/lib.sh"
AUDIT=$BUILD/cps-audit
WORK=$(mktemp -d /tmp/cps-bench-audit-XXXXXX)
trap cleanup EXIT
RUNS=3

build_bundle() { # build_bundle OUT
    local t0 i id ids=()
    echo "bench: building a bundle of $((5 * PER)) entries in $WORK" >&2
    t0=$(date +%s.%N)
    make_programme "$WORK" 5
    PORT=$(free_port)
    init_hub "$WORK" "$PORT"
    start_hub "$WORK"
    for i in 1 2 3 4 5; do
        id=$(pid_of "$i"); ids+=("$id")
        init_node "$WORK" "$id" "$PORT"
        "$GEN" "$id" $((PER * i)) > "$WORK/$id.ndjson"
        "$NODE" import --dir "$WORK/$id" --batch "$i" "$WORK/$id.ndjson" >/dev/null
        start_node "$WORK" "$id"
    done
    wait_drained "$WORK" 1800 "${ids[@]}" || fail "outboxes did not drain"
    "$HUB" checkpoint --dir "$WORK/hub" >/dev/null
    "$HUB" audit-bundle --dir "$WORK/hub" "$1" >&2
    echo "bench: bundle built in $(echo "$(date +%s.%N) - $t0" | bc) s" >&2
}

# "wall user sys" seconds of the run with the median wall time, of RUNS verifies
median() {
    local i
    for i in $(seq 1 $RUNS); do
        { time "$AUDIT" verify --programme-key "$PK" "$@" "$B" >/dev/null \
              || fail "verify failed"; } 2>&1
    done | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"
}

if [ -n "${BUNDLE:-}" ]; then
    B=$BUNDLE
else
    B=$WORK/b
    build_bundle "$B"
fi
PK=$(cat "$B/programme.vkey") # the bundle's own: fine for timing, not for trust
entries=$("$AUDIT" verify --programme-key "$PK" "$B" | awk '$1 == "entries" { print $2 }')
echo "bench: $entries entries, $(du -sh "$B/entries.bin" | cut -f1) of entries.bin," \
     "$(grep -c '^checkpoint [0-9]*$' "$B/checkpoints.txt") checkpoints" >&2

TIMEFORMAT='%R %U %S'
echo "cps-audit verify, $entries entries, $(nproc) online CPUs (load average" \
     "$(cut -d' ' -f1 /proc/loadavg)), median of $RUNS runs:"
for jobs in 0 1 2 default; do
    if [ "$jobs" = default ]; then t=$(median); else t=$(median --jobs "$jobs"); fi
    read -r wall user sys <<< "$t"
    printf '  --jobs %-8s %7.3f s wall %7.3f s CPU %8.0f entries/s\n' "$jobs" "$wall" \
        "$(echo "$user + $sys" | bc)" "$(echo "$entries / $wall" | bc -l)"
done
echo "(--jobs 0: the replay thread checks every signature itself)"
# the bound: one signature per entry, at libsodium's speed, on every online CPU
sig=$("$BUILD/bench/sigspeed" 600)
echo "Ed25519 verifications/s on one core (libsodium, 600-byte messages): $sig;" \
     "ceiling with $(nproc) cores: $((sig * $(nproc)))"
