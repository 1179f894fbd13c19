#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Fault: the hub down for a while (30 s in the full run) while every node keeps writing
# (its writer loop imports, and each node puts a record every round of the outage), then
# back. The node daemons must ride it out, keep every update, reconnect on their own and
# drain. The full run has a second outage, of 10 s, after a clean SIGTERM under load.
set -euo pipefail
BUILD=$1
. "$(dirname "$0")/common.sh"
fault_setup hub-outage
if [ -n "$QUICK" ]; then N=3 RECORDS=600 FIRST=300 OUTAGES="TERM:5"
else N=10 RECORDS=2000 FIRST=1000 OUTAGES="KILL:${CPS_FAULT_OUTAGE_S:-30} TERM:10"; fi

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

o=0 puts=0 figs=""
for outage in $OUTAGES; do
    o=$((o + 1)) sig=${outage%%:*} secs=${outage#*:}
    wait_until 120 "the hub logs before outage $o" size_above "$(hub_size)"
    if [ "$sig" = KILL ]; then kill9 "$HUB_PID"; else stop_clean "$HUB_PID" "the hub (SIGTERM under load)"; fi
    at=$(hub_size) before=$(pending "${ids[@]}")
    echo "outage $o: hub stopped with SIG$sig at log size $at, $before updates in flight"
    deadline=$((SECONDS + secs)) round=0
    while [ $SECONDS -lt "$deadline" ]; do
        round=$((round + 1))
        for id in "${ids[@]}"; do
            "$NODE" put --dir "$WORK/$id" cluster "$id/$id-C$((100 + o))" \
                "$(demo_cluster "$id" $((100 + o)) "written during outage $o, round $round")" >/dev/null
            puts=$((puts + 1))
        done
        sleep 0.5
    done
    all_alive "${npids[@]}"
    [ "$(hub_size)" -eq "$at" ] || fail "the log grew while the hub was down"
    queued=$(pending "${ids[@]}")
    [ "$queued" -gt "$before" ] || fail "nothing queued up during the outage"
    t0=$SECONDS
    start_hub "$WORK"
    wait_until 180 "the nodes reconnect after outage $o" size_above "$at"
    back=$((SECONDS - t0))
    echo "outage $o: ${secs} s down, $queued updates queued; logging again ${back} s after the restart"
    figs="${figs}outage${o}_s=$secs outage${o}_queued=$queued outage${o}_reconnect_s=$back "
done
stop_writers
all_alive "${npids[@]}" "$HUB_PID"
FIGURES="${figs}puts_while_down=$puts "
verdict "${ids[@]}"
