#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Fault: a node offline while 10,000 updates queue up in its outbox (single-record imports
# in pieces, and puts), while the other nodes keep streaming; then reconnected: it drains
# in seq order and everything is exact. In the full run it is also SIGKILLed once in the
# middle of its catch-up and restarted.
set -euo pipefail
BUILD=$1
. "$(dirname "$0")/common.sh"
fault_setup offline-node
if [ -n "$QUICK" ]; then N=3 Q=1000 RECORDS=600
else N=3 Q=${CPS_FAULT_QUEUE:-10000} RECORDS=2000; fi

make_programme "$WORK" "$N"
PORT=$(free_port)
init_hub "$WORK" "$PORT"
ids=()
declare -A NPID
for i in $(seq 1 "$N"); do
    id=$(pid_of "$i"); ids+=("$id")
    init_node "$WORK" "$id" "$PORT"
    import_chunk "$id" 0 100 "$(rand 1 20)"
done
start_hub "$WORK"
for id in "${ids[@]}"; do start_node "$WORK" "$id"; NPID[$id]=$NODE_PID; done
wait_drained "$WORK" 120 "${ids[@]}" || fail "first sync"
base=$(written P01)

# P01 goes offline; 10,000 updates queue up while P02, P03 stream
stop_clean "${NPID[P01]}" "P01"
for id in "${ids[@]:1}"; do writer "$id" "$RECORDS"; done
puts=0 off=0
while [ "$(( $(written P01) - base ))" -lt "$Q" ]; do
    left=$(( Q - ($(written P01) - base) ))
    if [ $((RANDOM % 4)) = 0 ] || [ "$left" -lt 20 ]; then
        k=$((200 + puts))
        "$NODE" put --dir "$WORK/P01" cluster "P01/P01-C$k" "$(demo_cluster P01 "$k" "queued offline")" >/dev/null
        puts=$((puts + 1))
    else
        n=$(rand 20 500); [ "$n" -le "$left" ] || n=$left
        import_chunk P01 "$off" "$n" 1
        off=$((off + n))
    fi
done
depth=$(outbox_depth "$WORK" P01)
[ "$depth" -eq "$Q" ] || fail "P01's outbox holds $depth updates, wanted $Q"
echo "P01 offline with $depth updates queued ($puts puts, $off records imported one per update)"

t0=$SECONDS
start_node "$WORK" P01; NPID[P01]=$NODE_PID
if [ -z "$QUICK" ]; then # killed halfway through its catch-up, restarted at once
    wait_until 300 "P01 catches up halfway" seq_at_least P01 $((base + Q / 2))
    kill9 "${NPID[P01]}"
    echo "P01 killed at hub seq $(hub_seq P01) of $((base + Q)), outbox $(outbox_depth "$WORK" P01)"
    start_node "$WORK" P01; NPID[P01]=$NODE_PID
fi
wait_until 600 "P01 drains its $Q queued updates" drained P01
catchup=$((SECONDS - t0))
echo "P01 drained $Q queued updates in ${catchup} s"
stop_writers
for id in "${ids[@]}"; do all_alive "${NPID[$id]}"; done
FIGURES="queued=$Q catchup_s=$catchup "
verdict "${ids[@]}"
