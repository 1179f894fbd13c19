#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Benchmark (not a test): W1 into a hub that already holds 10 million records, beside W1
# into an empty hub, in one run.
#   1. A hub and 25 nodes. Twice, W1's 500,000 records (new keys each time: cluster ids
#      C1nn, C2nn) queue up in the nodes' outboxes, then the nodes connect: records/s from
#      then until the hub has committed everything (bench/run's "W1 sync"). The median of
#      the two is the baseline.
#   2. The preload: 400,000 generated indicator records per partner (10 million in all,
#      cluster ids C9nnn, none of W1's) imported and synced.
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
N=25 PER=20000 PRE=$((M * 1000000 / 25))
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
start_nodes() { local id; for id in "${ids[@]}"; do start_node "$WORK" "$id" --no-replica; NODE_PIDS+=("$NODE_PID"); done; }
logged() { "$HUB" status --dir "$WORK/hub" | jq .log_size; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cps-big-XXXXXX")
trap 'cleanup; rm -rf "$WORK"' EXIT

make_programme "$WORK" $N
PORT=$(free_port)
init_hub "$WORK" "$PORT"
ids=() NODE_PIDS=()
for i in $(seq 1 $N); do id=$(pid_of "$i"); ids+=("$id"); init_node "$WORK" "$id" "$PORT"; done
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
    start_nodes
    wait "$waiter"
    stop_nodes
    echo "$N * $PER / ($(cat "$WORK/end") - $t1)" | bc
}

declare -a BASE BIG
for b in 1 2; do BASE+=("$(w1_round "$b")"); echo "bench: W1 round $b, hub of $(logged) entries: ${BASE[-1]} rec/s" >&2; done

echo "bench: preloading $((PRE * N)) records" >&2
t0=$(now)
for id in "${ids[@]}"; do
    ("$GEN" "$id" "$PRE" | sed 's/-C\([0-9]\)/-C9\1/g' > "$WORK/$id.pre"
     "$NODE" import --dir "$WORK/$id" --batch 100 "$WORK/$id.pre" >/dev/null
     rm -f "$WORK/$id.pre") &
    [ $(( $(jobs -r | wc -l) )) -ge 4 ] && wait -n
done
wait
t1=$(now)
base=$(logged)
"$BUILD/bench/waitlog" "$WORK/hub" $((base + PRE * N / 100)) 3600 > "$WORK/end" &
waiter=$!
start_nodes
wait "$waiter"
stop_nodes
t2=$(now)
records=$("$HUB" status --dir "$WORK/hub" | jq .records)
echo "bench: preload imported in $(echo "$t1 - $t0" | bc) s, synced at $(echo "$PRE * $N / ($t2 - $t1)" | bc) rec/s; the hub holds $records records, store $(du -sh "$WORK/hub/data.mdb" | cut -f1)" >&2

for b in 3 4 5; do BIG+=("$(w1_round "$b")"); echo "bench: W1 round $b, hub of $("$HUB" status --dir "$WORK/hub" | jq .records) records: ${BIG[-1]} rec/s" >&2; done
m_base=$(printf '%s\n' "${BASE[@]}" | median) m_big=$(printf '%s\n' "${BIG[@]}" | median)
echo "W1 sync into an empty hub (median of 2): $m_base rec/s"
echo "W1 sync into a hub holding $records records (median of 3): $m_big rec/s"
echo "cost per record: $(echo "scale=2; $m_base / $m_big" | bc)x W1's"
