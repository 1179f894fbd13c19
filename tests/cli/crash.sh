#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Integration (b) and (c): the hub, then nodes, killed with SIGKILL in the middle of the
# stream and restarted. Afterwards nothing is lost (the hub's export equals the nodes'
# union) and nothing is applied twice (each update logged exactly once).
set -euo pipefail
BUILD=$1
. "$(dirname "$0")/lib.sh"
WORK=$(mktemp -d /tmp/cps-crash-XXXXXX)
trap cleanup EXIT
N=5 PER=${CPS_CRASH_RECORDS:-1500} KILLS=${CPS_CRASH_KILLS:-6}

make_programme "$WORK" $N
PORT=$(free_port)
init_hub "$WORK" "$PORT"
ids=()
for i in $(seq 1 $N); do
    id=$(pid_of "$i"); ids+=("$id")
    init_node "$WORK" "$id" "$PORT"
    "$GEN" "$id" $PER > "$WORK/$id.ndjson"
    # one record per update: a long stream of small commits to interrupt
    "$NODE" import --dir "$WORK/$id" --batch 1 "$WORK/$id.ndjson" >/dev/null
done
start_hub "$WORK"
declare -A NPID
for id in "${ids[@]}"; do start_node "$WORK" "$id"; NPID[$id]=$NODE_PID; done

logged() { "$HUB" status --dir "$WORK/hub" | jq .log_size; }
total=$((N * PER))
# (b) the hub killed at random moments while the stream flows
for k in $(seq 1 "$KILLS"); do
    sleep "0.$((RANDOM % 6 + 2))"
    kill -KILL "$HUB_PID"; wait "$HUB_PID" 2>/dev/null || true
    echo "hub kill $k at log size $(logged) of $total"
    start_hub "$WORK"
done
# (c) nodes killed mid-stream, one written to while down, then restarted
for k in 1 2; do
    id=${ids[$((k))]}
    sleep 0.3
    kill -KILL "${NPID[$id]}"; wait "${NPID[$id]}" 2>/dev/null || true
    "$NODE" put --dir "$WORK/$id" cluster "$id/$id-C009" "$(demo_cluster "$id" 9 "written while down $k")" >/dev/null
    echo "node $id killed at log size $(logged)"
    start_node "$WORK" "$id"; NPID[$id]=$NODE_PID
done
wait_drained "$WORK" 120 "${ids[@]}" || fail "outboxes did not drain after the kills"
[ "$(logged)" -lt "$total" ] && fail "fewer entries than updates"
check_exact "$WORK" "${ids[@]}"
echo "crash: hub killed $KILLS times, 2 nodes killed; $LOG_TOTAL updates logged exactly once"
echo "1 passed, 0 failed"
