#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Benchmark (not a test): W1 into a hub that already holds 10 million records, beside W1
# into an empty hub, in one run.
#   1. A hub and 30 nodes (W1 uses P01..P25). Twice, W1's 500,000 records (new keys each time: cluster ids
#      C1nn, C2nn) queue up in the nodes' outboxes, then the nodes connect: records/s from
#      then until the hub has committed everything (bench/run's "W1 sync"). The median of
#      the two is the baseline.
#   2. The preload: 333,334 generated indicator records for each of P01..P30 (10 million in
#      all; their keys end in the indicator code, which W1's never do) imported and synced.
#      30 partners, not 25: a partner has at most 999 clusters, 335,664 generated records.
#   3. Three more W1 rounds (C3nn, C4nn, C5nn) into the hub that now holds 10 million.
# Prints the two medians and their ratio: the cost per record at 10 million against W1's.
#   bench/big.sh [MILLIONS]   (default 10; needs bench/run's release build and W1 data;
#                              about 10 GB under $TMPDIR and 5 to 10 minutes)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$top/build-release
. "$top/tests/cli/lib.sh"
DATA=${BENCH_DATA:-/tmp/cps-bench-data}
[ -f "$DATA/data/P25.ndjson" ] || { echo "bench: run bench/run first (W1 data)" >&2; exit 2; }
M=${1:-10}
N=25 PER=20000 NPRE=30 PRE=$(( (M * 1000000 + 29) / 30 ))
[ "$PRE" -le 335664 ] || { echo "bench: at most 10 million records" >&2; exit 2; }
UPDATES=$((N * PER / 100))
MAP_MIB=$(( (M * 3000) + 8192 )) # about 3 KB of store per preloaded record, and room

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END { if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'; }
stop_nodes() {
    local p
    for p in "${NODE_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${NODE_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    NODE_PIDS=()
}
start_nodes() { local id; for id in "$@"; do start_node "$WORK" "$id" --no-replica; NODE_PIDS+=("$NODE_PID"); done; }
logged() { "$HUB" status --dir "$WORK/hub" | jq .log_size; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cps-big-XXXXXX")
trap 'cleanup; rm -rf "$WORK"' EXIT

make_programme "$WORK" $NPRE
PORT=$(free_port)
init_hub "$WORK" "$PORT"
ids=() pre_ids=() NODE_PIDS=()
for i in $(seq 1 $NPRE); do
    id=$(pid_of "$i"); pre_ids+=("$id"); [ "$i" -le $N ] && ids+=("$id")
    init_node "$WORK" "$id" "$PORT"
done
start_hub "$WORK" --map-size "$MAP_MIB"

# one W1 round: W1's records with cluster ids C<b>nn, queued while the nodes are down
w1_round() { # w1_round B: prints records/s
    local b=$1 id base t1
    for id in "${ids[@]}"; do
        sed "s/-C0/-C$b/g" "$DATA/data/$id.ndjson" > "$WORK/$id.w1"
        "$NODE" import --dir "$WORK/$id" --batch 100 "$WORK/$id.w1" >/dev/null &
    done
    wait
    rm -f "$WORK"/*.w1
    sync; sleep 1
    base=$(logged)
    "$BUILD/bench/waitlog" "$WORK/hub" $((base + UPDATES)) 1800 > "$WORK/end" &
    local waiter=$!
    t1=$(now)
    start_nodes "${ids[@]}"
    wait "$waiter"
    stop_nodes
    echo "$N * $PER / ($(cat "$WORK/end") - $t1)" | bc
}

declare -a BASE BIG
for b in 1 2; do BASE+=("$(w1_round "$b")"); echo "bench: W1 round $b, hub of $(logged) entries: ${BASE[-1]} rec/s" >&2; done

echo "bench: preloading $((PRE * NPRE)) records" >&2
t0=$(now)
imports=()
for id in "${pre_ids[@]}"; do
    ("$GEN" "$id" "$PRE" |
         sed -E 's/"key":"([^"]*)","value":\{(.*)"indicator":"([a-z_]+)"/"key":"\1\/\3","value":{\2"indicator":"\3"/' \
         > "$WORK/$id.pre"
     "$NODE" import --dir "$WORK/$id" --batch 100 "$WORK/$id.pre" >/dev/null
     rm -f "$WORK/$id.pre") &
    imports+=($!)
    if [ ${#imports[@]} -ge 4 ]; then wait "${imports[0]}"; imports=("${imports[@]:1}"); fi
done
for p in "${imports[@]}"; do wait "$p"; done
t1=$(now)
base=$(logged)
"$BUILD/bench/waitlog" "$WORK/hub" $((base + NPRE * ((PRE + 99) / 100))) 3600 > "$WORK/end" &
waiter=$!
start_nodes "${pre_ids[@]}"
wait "$waiter"
stop_nodes
t2=$(now)
records=$("$HUB" status --dir "$WORK/hub" | jq .records)
echo "bench: preload imported in $(echo "$t1 - $t0" | bc) s, synced at $(echo "$PRE * $NPRE / ($t2 - $t1)" | bc) rec/s; the hub holds $records records, store $(du -sh "$WORK/hub/data.mdb" | cut -f1)" >&2

for b in 3 4 5; do BIG+=("$(w1_round "$b")"); echo "bench: W1 round $b, hub of $("$HUB" status --dir "$WORK/hub" | jq .records) records: ${BIG[-1]} rec/s" >&2; done
m_base=$(printf '%s\n' "${BASE[@]}" | median) m_big=$(printf '%s\n' "${BIG[@]}" | median)
echo "W1 sync into an empty hub (median of 2): $m_base rec/s"
echo "W1 sync into a hub holding $records records (median of 3): $m_big rec/s"
echo "cost per record: $(echo "scale=2; $m_base / $m_big" | bc)x W1's"
