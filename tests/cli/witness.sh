#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Every node is a witness. (1) A node offline while 10,000 entries were logged catches up,
# verifies every entry and checkpoint, and its replica equals the hub's export exactly.
# (2) A hub that rewrites history (an entry altered, the tree rebuilt, a checkpoint
# re-signed with its own key) is caught by a node that trusted an older checkpoint: the
# node refuses to advance and says so in status and its log.
set -euo pipefail
BUILD=$1
. "$(dirname "$0")/lib.sh"
WORK=$(mktemp -d /tmp/cps-witness-XXXXXX)
trap cleanup EXIT
ENTRIES=${CPS_WITNESS_ENTRIES:-10000}

make_programme "$WORK" 3
PORT=$(free_port)
init_hub "$WORK" "$PORT"
start_hub "$WORK"
for id in P01 P02 P03; do init_node "$WORK" "$id" "$PORT"; done
replica() { "$NODE" status --dir "$WORK/$1" | jq -r ".replica.$2"; }
hub_size() { "$HUB" status --dir "$WORK/hub" | jq .log_size; }
wait_replica() { # ID SIZE TIMEOUT
    local deadline=$((SECONDS + $3))
    until [ "$(replica "$1" entries)" -ge "$2" ] && [ "$(replica "$1" trusted_checkpoint_size)" -ge "$2" ]; do
        [ $SECONDS -ge $deadline ] && fail "$1: replica at $(replica "$1" entries), wanted $2"
        sleep 0.2
    done
}

# (1) P01 and P02 log 10,000 single-record updates while P03 is offline
half=$((ENTRIES / 2))
for id in P01 P02; do
    "$GEN" "$id" "$half" > "$WORK/$id.ndjson"
    "$NODE" import --dir "$WORK/$id" --batch 1 "$WORK/$id.ndjson" >/dev/null
    start_node "$WORK" "$id"
done
wait_drained "$WORK" 240 P01 P02 || fail "P01/P02 did not drain"
[ "$(hub_size)" -eq "$ENTRIES" ] || fail "hub logged $(hub_size), expected $ENTRIES"
start=$SECONDS
start_node "$WORK" P03
wait_replica P03 "$ENTRIES" 240
echo "P03 caught up with $ENTRIES entries in $((SECONDS - start)) s"
"$NODE" verify --dir "$WORK/P03" || fail "P03 replica does not verify"
"$NODE" replica export --dir "$WORK/P03" | norm > "$WORK/replica.ndjson"
"$HUB" export --dir "$WORK/hub" | norm > "$WORK/hub.ndjson"
cmp -s "$WORK/replica.ndjson" "$WORK/hub.ndjson" || fail "P03's replica differs from the hub's export"
[ "$(wc -l < "$WORK/replica.ndjson")" -eq "$ENTRIES" ] || fail "replica record count"
# receipts: an inclusion proof of P01's update 7, and a consistency proof, both verified
"$NODE" prove --dir "$WORK/P01" seq 7 > "$WORK/receipt.json" || fail "inclusion receipt"
jq -e '.verified == true and .kind == "inclusion"' "$WORK/receipt.json" >/dev/null || fail "receipt"
wait_replica P01 "$ENTRIES" 60
"$NODE" prove --dir "$WORK/P01" consistency "$ENTRIES" >/dev/null || fail "consistency proof"
rc=0; "$NODE" prove --dir "$WORK/P01" inclusion "$((ENTRIES + 50))" 2>/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "a proof past the log must be refused (exit $rc)"

# (2) the hub rewrites history while stopped
wait_replica P02 "$ENTRIES" 60
kill -TERM "$HUB_PID"; wait "$HUB_PID" || fail "hub did not stop cleanly"
"$BUILD/tests/rewrite" "$WORK/hub" 17
start_hub "$WORK"
"$NODE" put --dir "$WORK/P02" cluster P02/P02-C999 "$(demo_cluster P02 999 'after the rewrite')" >/dev/null
deadline=$((SECONDS + 60))
until [ "$(replica P01 hub_trusted)" = false ]; do
    [ $SECONDS -ge $deadline ] && fail "P01 did not catch the rewritten history"
    sleep 0.2
done
reason=$(replica P01 distrust_reason)
echo "P01 says: $reason"
case $reason in *"not consistent"*) ;; *) fail "unexpected reason: $reason" ;; esac
[ "$(replica P01 entries)" -eq "$ENTRIES" ] || fail "P01 advanced past the rewrite"
grep -q 'HUB NOT TRUSTED' "$WORK/P01.log" || fail "P01 did not log it"
"$NODE" verify --dir "$WORK/P01" >/dev/null || fail "P01's own replica must still verify"
echo "witness: catch-up of $ENTRIES entries verified; rewritten history caught"
