#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Benchmark (not a test): W1 at ten times the programme, beside W1 itself, in one run.
# W1's 500,000 indicator records in updates of 100, queued either by P01..P25 (20,000
# each: W1) or by P01..P250 (2,000 each, renamed to their new owner); then the hub starts,
# and once it listens all the nodes start: the figure is records/s from then until the hub
# has committed everything, as bench/run's W1 sync. The two alternate, REPS times each.
# Printed for each: records/s, the hub's CPU time per record (user + system, from /proc:
# what the hub itself spends, apart from the node processes that share its two cores
# here), and how long the script took to start the node processes.
#   bench/scale.sh [REPS]        (default 3; needs bench/run's release build and data)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$top/build-release}
REPS=${1:-3}
. "$top/tests/cli/lib.sh"
DATA=${BENCH_DATA:-/tmp/cps-bench-data}
[ -f "$DATA/data/P25.ndjson" ] || { echo "bench: run bench/run first (W1 data)" >&2; exit 2; }
RECORDS=500000 UPDATES=5000
TICK=$(getconf CLK_TCK)

median() { sort -g | awk '{a[NR]=$1} END { if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'; }
stop_all() {
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    PIDS=()
}
trap 'stop_all; rm -rf "${WORK:-/nonexistent}"' EXIT

# once N: one run with N partners; sets RES="records/s hub-µs/record start-seconds"
once() {
    local n=$1 per=$((RECORDS / $1)) i id src chunk t1 t_started waiter cpu
    WORK=$(mktemp -d /tmp/cps-scale-XXXXXX)
    make_programme "$WORK" "$n"
    PORT=$(free_port)
    init_hub "$WORK" "$PORT"
    for i in $(seq 1 "$n"); do
        id=$(pid_of "$i") src=$(pid_of $(( (i - 1) % 25 + 1 ))) chunk=$(( (i - 1) / 25 ))
        init_node "$WORK" "$id" "$PORT"
        sed -n "$((chunk * per + 1)),$(((chunk + 1) * per))p" "$DATA/data/$src.ndjson" |
            sed "s/$src/$id/g" > "$WORK/$id.in"
    done
    for i in $(seq 1 "$n"); do echo "$(pid_of "$i")"; done |
        xargs -P 2 -I{} "$NODE" import --dir "$WORK/{}" --batch 100 "$WORK/{}.in" >/dev/null
    sync
    "$BUILD/bench/waitlog" "$WORK/hub" "$UPDATES" 900 > "$WORK/end" &
    waiter=$!
    start_hub "$WORK"
    hub_listening "$WORK" # a server is up before its clients start
    t1=$(date +%s.%N)
    for i in $(seq 1 "$n"); do start_node "$WORK" "$(pid_of "$i")" --no-replica; done
    t_started=$(date +%s.%N)
    wait "$waiter"
    cpu=$(awk '{ print $14 + $15 }' "/proc/$HUB_PID/stat")
    RES="$(echo "$RECORDS / ($(cat "$WORK/end") - $t1)" | bc) $(echo "$cpu * 1000000 / $TICK / $RECORDS" | bc -l | xargs printf '%.2f') $(echo "$t_started - $t1" | bc)"
    stop_all
    rm -rf "$WORK"
}

declare -a R25 R250 C25 C250
for r in $(seq 1 "$REPS"); do
    for n in 25 250; do
        once "$n"; read -r rps cpu started <<< "$RES"
        echo "scale run $r: $n partners: sync $rps rec/s, hub CPU $cpu µs/record, node processes started in $started s" >&2
        if [ "$n" = 25 ]; then R25+=("$rps"); C25+=("$cpu"); else R250+=("$rps"); C250+=("$cpu"); fi
    done
done
m25=$(printf '%s\n' "${R25[@]}" | median) m250=$(printf '%s\n' "${R250[@]}" | median)
c25=$(printf '%s\n' "${C25[@]}" | median) c250=$(printf '%s\n' "${C250[@]}" | median)
echo "W1, 25 partners (median of $REPS): $m25 rec/s, hub CPU $c25 µs/record"
echo "W1, 250 partners (median of $REPS): $m250 rec/s, hub CPU $c250 µs/record"
echo "cost per record at 250 partners: $(echo "scale=2; $m25 / $m250" | bc)x W1's (wall), $(echo "scale=2; $c250 / $c25" | bc)x (hub CPU)"
