#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Fault: a link that stalls, slows and cuts. Some nodes reach the hub through a TCP relay
# (tests/tools/relay.c) that the test switches between pass, stall (nothing forwarded,
# connections kept: longer than the heartbeat timeouts), slow (bytes per second) and cut
# (connections closed, new ones refused), while every node keeps writing; the others
# connect directly and must be served all along. Then: drained, exact, audited.
set -euo pipefail
BUILD=$1
. "$(dirname "$0")/common.sh"
fault_setup link
if [ -n "$QUICK" ]; then
    N=2 VIA=1 RECORDS=600 FIRST=300
    PLAN="stall:2 pass:0 cut:2 pass:0 slow=5000:1 pass:0"
else
    N=5 VIA=3 RECORDS=2000 FIRST=1000 ROUNDS=${CPS_FAULT_LINK_ROUNDS:-3}
    PLAN=""
    for _ in $(seq 1 "$ROUNDS"); do
        PLAN="$PLAN pass:3 stall:8 pass:3 slow=20000:6 slow=2000:4 pass:2 cut:5 pass:3 stall:2"
        PLAN="$PLAN cut:1 pass:2 slow=500:3 cut:2 pass:3"
    done
fi

make_programme "$WORK" "$N"
PORT=$(free_port)
RPORT=$(free_port)
while [ "$RPORT" = "$PORT" ]; do RPORT=$(free_port); done
CTL=$WORK/relay.ctl
init_hub "$WORK" "$PORT"
ids=() via=() direct=()
declare -A NPID
for i in $(seq 1 "$N"); do
    id=$(pid_of "$i"); ids+=("$id")
    if [ "$i" -le "$VIA" ]; then init_node "$WORK" "$id" "$RPORT"; via+=("$id")
    else init_node "$WORK" "$id" "$PORT"; direct+=("$id"); fi
    import_chunk "$id" 0 "$FIRST" "$(rand 1 20)"
done
echo pass > "$CTL"
"$RELAY" "$RPORT" "$PORT" "$CTL" 2>>"$WORK/relay.log" &
RELAY_PID=$!
PIDS+=("$RELAY_PID")
wait_until 10 "the relay starts" grep -q 'relay: started' "$WORK/relay.log"
start_hub "$WORK"
# the relay passes a connection only while the hub listens; one it has to refuse looks to
# the node like a failed handshake
wait_until 30 "the hub starts" grep -q 'started programme=' "$WORK/hub.log"
for id in "${ids[@]}"; do start_node "$WORK" "$id"; NPID[$id]=$NODE_PID; writer "$id" "$RECORDS"; done

# relay_mode MODE [ARG]: switch the relay, and wait until it says it did
relay_mode() {
    local n
    n=$(grep -c 'mode set' "$WORK/relay.log" || true)
    echo "$*" > "$CTL.new" && mv "$CTL.new" "$CTL"
    wait_until 10 "the relay switches to $*" \
        eval '[ "$(grep -c "mode set" "$WORK/relay.log" || true)" -gt '"$n"' ]'
}
acked_sum() { local id s=0; for id in "$@"; do s=$((s + $(node_field "$id" last_acked_seq))); done; echo "$s"; }
logged_sum() {
    local id s=0 status
    status=$(hub_json)
    for id in "$@"; do
        s=$((s + $(echo "$status" | jq --arg id "$id" '.partners[] | select(.id==$id) | .last_seq')))
    done
    echo "$s"
}
logged_above() { [ "$(logged_sum "${@:2}")" -gt "$1" ]; }

wait_until 60 "the relayed nodes log through the relay" logged_above 0 "${via[@]}"
steps=0 stalls=0 cuts=0 slows=0
for step in $PLAN; do
    mode=${step%%:*} secs=${step#*:}
    steps=$((steps + 1))
    case $mode in
    pass)
        relay_mode pass
        # the relayed nodes come back on their own and log again
        wait_until 120 "the relayed nodes log again after the relay passes" \
            logged_above "$(logged_sum "${via[@]}")" "${via[@]}"
        sleep "$secs"
        ;;
    stall)
        relay_mode stall
        stalls=$((stalls + 1))
        end=$((SECONDS + secs))
        sleep 1 # acks that crossed before the stall are recorded
        a0=$(acked_sum "${via[@]}")
        # the hub keeps serving the others: a put on each direct node gets logged (the
        # stall lasts until it is, at least)
        for id in "${direct[@]}"; do
            "$NODE" put --dir "$WORK/$id" cluster "$id/$id-C$((300 + stalls))" \
                "$(demo_cluster "$id" $((300 + stalls)) "written during stall $stalls")" >/dev/null
            wait_until 60 "the hub logs $id's put during the stall" seq_at_least "$id" "$(written "$id")"
        done
        while [ $SECONDS -lt "$end" ]; do sleep 0.2; done
        [ "$(acked_sum "${via[@]}")" -eq "$a0" ] || fail "an ack crossed a stalled link"
        ;;
    slow=*)
        relay_mode slow "${mode#slow=}"
        slows=$((slows + 1))
        sleep "$secs"
        ;;
    cut)
        relay_mode cut
        cuts=$((cuts + 1))
        sleep "$secs"
        ;;
    esac
    echo "link: $mode for ${secs} s; relayed nodes acked $(acked_sum "${via[@]}")," \
         "hub log size $(hub_size)"
done
stop_writers
for id in "${ids[@]}"; do all_alive "${NPID[$id]}"; done
all_alive "$RELAY_PID" "$HUB_PID"
conns=$(grep -c 'connection [0-9]* open' "$WORK/relay.log" || true)
closed_cut=$(grep -c 'closed: cut' "$WORK/relay.log" || true)
[ "$cuts" -eq 0 ] || [ "$closed_cut" -gt 0 ] || fail "no connection was open when the relay cut"
[ "$conns" -gt "$VIA" ] || fail "the relayed nodes never reconnected"
FIGURES="relay_steps=$steps stalls=$stalls slows=$slows cuts=$cuts relay_connections=$conns connections_cut=$closed_cut "
verdict "${ids[@]}"
tail -n 1 "$WORK/relay.log"
