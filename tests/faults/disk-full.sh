#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Fault: disk full. The hub runs with an LMDB map far too small for the load
# (cps-hub run --map-size 2) while the nodes keep writing. It must say so clearly in its log,
# ack nothing it did not commit (it answers EBUSY, the nodes keep their outbox), keep serving
# status, and keep its store sound: the export is a subset of what the nodes wrote, record
# for record, and the log verifies offline and replays to that export. Then the operator's
# step (docs/OPERATIONS.md, "Disk full"): stop the hub, run it with a larger --map-size;
# everything drains exactly. Each key is written once here, so "subset" is exact.
set -euo pipefail
BUILD=$1
. "$(dirname "$0")/common.sh"
fault_setup disk-full
MAP=2 BIG=512
if [ -n "$QUICK" ]; then N=3 RECORDS=2000 FULL_S=3
else N=5 RECORDS=4000 FULL_S=${CPS_FAULT_FULL_S:-20}; fi
HALF=$((RECORDS / 2))

make_programme "$WORK" "$N"
PORT=$(free_port)
init_hub "$WORK" "$PORT"
ids=() npids=()
for i in $(seq 1 "$N"); do
    id=$(pid_of "$i"); ids+=("$id")
    init_node "$WORK" "$id" "$PORT"
    import_chunk "$id" 0 "$HALF" "$(rand 1 20)"
done
start_hub "$WORK" --map-size "$MAP"
for id in "${ids[@]}"; do start_node "$WORK" "$id"; npids+=("$NODE_PID"); done
full_logged() { grep -q 'store: group of .* not committed: store full' "$WORK/hub.log"; }
wait_until 180 "the hub reports its store full" full_logged
echo "the hub says: $(grep -m1 'not committed: store full' "$WORK/hub.log" | cut -d' ' -f2-)"
grep -q 'not committed: store full (restart with a larger map: cps-hub run --map-size MIB)$' "$WORK/hub.log" ||
    fail "the store-full error does not tell the operator what to do"

# full, and the nodes keep writing (new keys only)
t0=$SECONDS off=$HALF
while [ $((SECONDS - t0)) -lt "$FULL_S" ] && [ "$off" -lt "$RECORDS" ]; do
    n=$(( (RECORDS - HALF) / 4 )); [ $((off + n)) -le "$RECORDS" ] || n=$((RECORDS - off))
    for id in "${ids[@]}"; do import_chunk "$id" "$off" "$n" "$(rand 1 20)"; done
    off=$((off + n))
done
while [ $((SECONDS - t0)) -lt "$FULL_S" ]; do sleep 0.5; done # the rest of the full time
all_alive "${npids[@]}" "$HUB_PID"
refusals=$(grep -c 'not committed: store full' "$WORK/hub.log")
# each node's state in one read (the hub may still commit a small group now and then),
# and the hub's after the nodes': an ack a node holds must be committed by then
declare -A NS
for id in "${ids[@]}"; do
    NS[$id]=$("$NODE" status --dir "$WORK/$id" | jq -r '"\(.next_seq - 1) \(.last_acked_seq) \(.outbox_depth)"')
done
status=$(hub_json) || fail "cps-hub status fails on the full store"
behind=0
for id in "${ids[@]}"; do
    read -r wrote acked depth <<< "${NS[$id]}"
    hseq=$(echo "$status" | jq --arg id "$id" '.partners[] | select(.id==$id) | .last_seq')
    [ "$acked" -le "$hseq" ] || fail "$id holds an ack for seq $acked, the hub committed $hseq"
    [ "$depth" -eq $((wrote - acked)) ] || fail "$id's outbox holds $depth, not the $((wrote - acked)) unacked updates"
    behind=$((behind + wrote - hseq))
done
[ "$behind" -gt 0 ] || fail "the map was not too small: everything got in"
grep -q 'hub refused seq 0: EBUSY' "$WORK"/P*.log || fail "no node heard EBUSY"
for id in "${ids[@]}"; do "$NODE" export --dir "$WORK/$id"; done | norm > "$WORK/written.ndjson"
"$HUB" export --dir "$WORK/hub" | norm > "$WORK/full.ndjson" || fail "cps-hub export fails"
extra=$(comm -13 "$WORK/written.ndjson" "$WORK/full.ndjson" | wc -l)
[ "$extra" -eq 0 ] || fail "$extra exported records are not what the nodes wrote"
echo "full: $refusals groups refused, $(hub_size) entries logged, $behind updates waiting" \
     "in the outboxes; $(wc -l < "$WORK/full.ndjson") exported records all match the nodes'"

# the operator enlarges the map; before, the full store, at rest, verifies offline and its
# log replays to its view exactly
stop_clean "$HUB_PID" "the hub with a full store"
audit_check nocheckpoint
t1=$SECONDS
start_hub "$WORK" --map-size "$BIG"
for id in "${ids[@]}"; do all_alive "${npids[@]}"; done
DRAIN_TIMEOUT=600
FIGURES="map_mib=$MAP refused_groups=$refusals waiting_when_full=$behind "
verdict "${ids[@]}"
echo "resumed: everything drained $((SECONDS - t1)) s after the restart with --map-size $BIG"
