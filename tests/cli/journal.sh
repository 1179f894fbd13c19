#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# The journal is the hub's commit point. A hub whose store never committed (the test hook
# CPS_FAULT_HOLD_STORE keeps its store transaction open) and that is killed after acking
# every update has them all after its restart, checked entry by entry, with a checkpoint
# an auditor accepts; the nodes' replicas agree. A second hub on the same folder is refused.
# A journal that does not continue the store (the store put back from an older copy) stops
# the start and changes nothing, until the operator moves it away.
set -euo pipefail
BUILD=$1
. "$(dirname "$0")/lib.sh"
WORK=$(mktemp -d /tmp/cps-journal-XXXXXX)
trap cleanup EXIT
tmp=$WORK/chk; mkdir -p "$tmp"
N=3 PER=300

make_programme "$WORK" $N
PORT=$(free_port)
init_hub "$WORK" "$PORT"
ids=()
for i in $(seq 1 $N); do
    id=$(pid_of "$i"); ids+=("$id")
    init_node "$WORK" "$id" "$PORT"
    "$GEN" "$id" $PER > "$WORK/$id.ndjson"
    "$NODE" import --dir "$WORK/$id" --batch 10 "$WORK/$id.ndjson" >/dev/null
done
hold_hub() { export CPS_FAULT_HOLD_STORE=1; start_hub "$WORK"; unset CPS_FAULT_HOLD_STORE; }
logged() { "$HUB" status --dir "$WORK/hub" | jq .log_size; }

# 1. everything acked while only the journal holds it, then SIGKILL
hold_hub
for id in "${ids[@]}"; do start_node "$WORK" "$id"; done
wait_drained "$WORK" 60 "${ids[@]}" || fail "outboxes did not drain"
kill -KILL "$HUB_PID"; wait "$HUB_PID" 2>/dev/null || true
check "the store itself lacks the acked updates" [ "$(logged)" -eq 0 ]
start_hub "$WORK"
wait_until 20 "the journal applied" grep -q "journal: $((N * PER / 10)) entries the store lacked applied" "$WORK/hub.log"
check_exact "$WORK" "${ids[@]}"
check "a checkpoint covers the recovered log" \
    [ "$("$HUB" status --dir "$WORK/hub" | jq .checkpoint_size)" -eq "$LOG_TOTAL" ]
"$HUB" audit-bundle --dir "$WORK/hub" "$WORK/b" >/dev/null
check "cps-audit verify accepts the recovered log" \
    "$BUILD/cps-audit" verify --programme-key "$(cat "$WORK/programme.vkey")" "$WORK/b"
wait_until 30 "P01's replica caught up" sh -c \
    "[ \"\$('$NODE' status --dir '$WORK/P01' | jq .replica.entries)\" -eq $LOG_TOTAL ]"
check "P01 trusts the recovered hub" \
    [ "$("$NODE" status --dir "$WORK/P01" | jq .replica.hub_trusted)" = true ]
expect 2 timeout 20 "$HUB" run --dir "$WORK/hub" --listen "tcp://127.0.0.1:$(free_port)"
named() { grep -q "$2" "$tmp/err" || { echo "FAIL: $1" >&2; fails=$((fails + 1)); }; checks=$((checks + 1)); }
named "a second hub on the folder is refused" "in use by another cps-hub run"

# 2. a journal that does not continue the store: kept aside
kill -TERM "$HUB_PID"; wait "$HUB_PID"
cp "$WORK/hub/data.mdb" "$WORK/older.mdb"
start_hub "$WORK"
"$NODE" put --dir "$WORK/P01" cluster "P01/P01-C009" "$(demo_cluster P01 9 "after the copy")" >/dev/null
wait_drained "$WORK" 30 P01 || fail "P01 did not drain"
kill -TERM "$HUB_PID"; wait "$HUB_PID"
hold_hub
"$NODE" put --dir "$WORK/P01" cluster "P01/P01-C010" "$(demo_cluster P01 10 "journal only")" >/dev/null
wait_drained "$WORK" 30 P01 || fail "P01 did not drain"
kill -KILL "$HUB_PID"; wait "$HUB_PID" 2>/dev/null || true
cp "$WORK/older.mdb" "$WORK/hub/data.mdb"
cp "$WORK/hub/journal" "$WORK/journal.before"
expect 2 timeout 20 "$HUB" run --dir "$WORK/hub"
named "the start stops on a journal past the store" "the store is older than the journal"
check "the journal is untouched" cmp -s "$WORK/journal.before" "$WORK/hub/journal"
check "the store is the older copy" [ "$(logged)" -eq "$LOG_TOTAL" ]
mv "$WORK/hub/journal" "$WORK/journal.aside"
starts=$(grep -c "started programme" "$WORK/hub.log")
start_hub "$WORK"
wait_until 20 "the hub started without the journal" \
    sh -c "[ \$(grep -c 'started programme' '$WORK/hub.log') -gt $starts ]"
check "the hub runs" kill -0 "$HUB_PID"
finish_checks
