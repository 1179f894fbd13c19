#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Fault: the hub killed with SIGKILL at random moments while 25 nodes stream, restarted each
# time. Every node starts with a queue and keeps writing (imports of 20..200 records in
# updates of 1..20 records, new keys and new values, some deletes) for the whole run; each
# kill comes a random 0.1..2 s after the restarted hub was seen logging again, and the hub
# stays down a random 0..1.5 s (quick scale: 0.1..0.5 s and 0..0.2 s). Then: drained,
# exact, audited.
set -euo pipefail
BUILD=$1
. "$(dirname "$0")/common.sh"
fault_setup hub-kills
if [ -n "$QUICK" ]; then N=5 KILLS=5 RECORDS=600 FIRST=300 GAP_MS=500 DOWN_MS=200
else N=25 KILLS=${CPS_FAULT_HUB_KILLS:-24} RECORDS=2000 FIRST=1000 GAP_MS=2000 DOWN_MS=1500
     WRITER_PAUSE_MS="500 3000"; fi # 25 writers: a few hundred updates/s in all

make_programme "$WORK" "$N"
PORT=$(free_port)
init_hub "$WORK" "$PORT"
ids=() npids=()
for i in $(seq 1 "$N"); do
    id=$(pid_of "$i"); ids+=("$id")
    init_node "$WORK" "$id" "$PORT"
    import_chunk "$id" 0 "$FIRST" "$(rand 1 20)"
done
start_hub "$WORK"
for id in "${ids[@]}"; do start_node "$WORK" "$id"; npids+=("$NODE_PID"); done
for id in "${ids[@]}"; do writer "$id" "$RECORDS"; done

at=0 mid=0 pend_sum=0
for k in $(seq 1 "$KILLS"); do
    wait_until 180 "the hub logs again before kill $k (log size $at)" size_above "$at"
    sleep_ms "$(rand 100 "$GAP_MS")"
    kill9 "$HUB_PID"
    at=$(hub_size)
    pend=$(pending "${ids[@]}")
    pend_sum=$((pend_sum + pend))
    [ "$pend" -gt 0 ] && mid=$((mid + 1))
    echo "hub kill $k: log size $at, $pend updates written and not yet logged"
    sleep_ms "$(rand 0 "$DOWN_MS")"
    start_hub "$WORK"
done
wait_until 180 "the hub logs again after the last kill" size_above "$at"
stop_writers
all_alive "${npids[@]}" "$HUB_PID"
[ "$mid" -gt 0 ] || fail "no kill found updates in flight"
[ "$(grep -c 'started programme=' "$WORK/hub.log")" -eq $((KILLS + 1)) ] || fail "hub starts"
FIGURES="hub_kills=$KILLS kills_with_backlog=$mid backlog_at_kills=$pend_sum "
verdict "${ids[@]}"
