#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Fault: nodes killed with SIGKILL mid-stream, including between the hub's commit and its
# ack. (a) Deterministically in that window: the hub runs with its test hook
# CPS_FAULT_DROP_ACKS=W (hub/cmd_run.c: the next W acks are dropped after their commit);
# P01 sends its first window of W updates, the hub commits all W and the node hears no ack;
# P01 is killed there, written to while down, restarted: it resends, the hub re-acks.
# (b) Random nodes killed at random moments while every node streams; some are written to
# while down, some killed again just after their restart. (c) (full run) The hub restarted
# with the hook dropping acks for every node while nodes are killed.
set -euo pipefail
BUILD=$1
. "$(dirname "$0")/common.sh"
fault_setup node-kills
W=64
if [ -n "$QUICK" ]; then N=3 KILLS=2 RECORDS=600 FIRST=200
else N=10 KILLS=${CPS_FAULT_NODE_KILLS:-30} RECORDS=2000 FIRST=1000; fi

make_programme "$WORK" "$N"
PORT=$(free_port)
init_hub "$WORK" "$PORT"
ids=()
declare -A NPID
for i in $(seq 1 "$N"); do
    id=$(pid_of "$i"); ids+=("$id")
    init_node "$WORK" "$id" "$PORT"
done
hits=0 hit_updates=0

# kill_node ID: SIGKILL; counts a hit when the hub had committed updates whose ack the node
# had not recorded (the commit-ack window).
kill_node() {
    local id=$1 gap
    kill9 "${NPID[$id]}"
    gap=$(( $(hub_seq "$id") - $(node_field "$id" last_acked_seq) ))
    [ "$gap" -ge 0 ] || fail "$id recorded acks for updates the hub never logged"
    if [ "$gap" -gt 0 ]; then hits=$((hits + 1)); hit_updates=$((hit_updates + gap)); fi
    echo "$id killed: hub had committed $gap updates the node had no ack for"
}

# (a) the commit-ack window, deterministically
"$GEN" P01 $((3 * W)) > "$WORK/P01.ndjson"
"$NODE" import --dir "$WORK/P01" --batch 1 "$WORK/P01.ndjson" >/dev/null
CPS_FAULT_DROP_ACKS=$W start_hub "$WORK"
start_node "$WORK" P01 --window "$W"; NPID[P01]=$NODE_PID
wait_until 60 "the hub commits P01's first window" seq_at_least P01 "$W"
kill_node P01
[ "$(hub_seq P01)" -eq "$W" ] || fail "hub logged $(hub_seq P01) of P01's updates, wanted $W"
[ "$(node_field P01 last_acked_seq)" -eq 0 ] || fail "P01 recorded an ack the hook should have dropped"
[ "$(outbox_depth "$WORK" P01)" -eq $((3 * W)) ] || fail "P01's outbox lost updates"
[ "$(grep -c 'CPS_FAULT_DROP_ACKS: ack to partner=P01' "$WORK/hub.log")" -eq "$W" ] ||
    fail "the hub did not drop exactly $W acks"
"$NODE" put --dir "$WORK/P01" cluster P01/P01-C001 "$(demo_cluster P01 1 'written while down')" >/dev/null
start_node "$WORK" P01; NPID[P01]=$NODE_PID
wait_drained "$WORK" 60 P01 || fail "P01 did not drain after the window kill"
[ "$(hub_seq P01)" -eq $((3 * W + 1)) ] || fail "P01: hub last_seq $(hub_seq P01), wanted $((3 * W + 1))"
echo "window kill: $W updates committed and unacked at the kill; resent, re-acked, logged once"
window_hits=$hits

# (b) random nodes killed while every node streams
for id in "${ids[@]}"; do
    import_chunk "$id" 0 "$FIRST" "$(rand 1 20)"
    [ "$id" = P01 ] || { start_node "$WORK" "$id"; NPID[$id]=$NODE_PID; }
    writer "$id" "$RECORDS"
done
again=0 down_writes=0
for k in $(seq 1 "$KILLS"); do
    id=${ids[$((RANDOM % N))]}
    sleep_ms "$(rand 100 1500)"
    kill_node "$id"
    if [ $((RANDOM % 3)) = 0 ]; then
        import_chunk "$id" "$(rand 0 $((RECORDS - 50)))" 50 "$(rand 1 20)" "$((1000 + k))"
        down_writes=$((down_writes + 1))
    fi
    sleep_ms "$(rand 0 1000)"
    start_node "$WORK" "$id"; NPID[$id]=$NODE_PID
    if [ $((RANDOM % 4)) = 0 ]; then # again, while it says HELLO and resends
        sleep_ms "$(rand 0 300)"
        kill_node "$id"
        again=$((again + 1))
        start_node "$WORK" "$id"; NPID[$id]=$NODE_PID
    fi
done

# (c) acks dropped for everyone while nodes are killed
if [ -z "$QUICK" ]; then
    stop_clean "$HUB_PID" "the hub"
    drops0=$(grep -c 'dropped after commit' "$WORK/hub.log")
    CPS_FAULT_DROP_ACKS=300 start_hub "$WORK"
    drops() { [ "$(grep -c 'dropped after commit' "$WORK/hub.log")" -ge $((drops0 + $1)) ]; }
    for want in 50 150 250; do
        wait_until 120 "the hub drops $want acks" drops "$want"
        id=${ids[$((RANDOM % N))]}
        kill_node "$id"
        start_node "$WORK" "$id"; NPID[$id]=$NODE_PID
    done
fi
stop_writers
for id in "${ids[@]}"; do all_alive "${NPID[$id]}"; done
[ "$hits" -gt "$window_hits" ] || echo "note: no random kill fell in the commit-ack window"
FIGURES="node_kills=$KILLED window_hits=$hits window_updates=$hit_updates kills_during_restart=$again writes_while_down=$down_writes "
verdict "${ids[@]}"
