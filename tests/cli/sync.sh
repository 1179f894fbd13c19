#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Integration (a): a hub and 25 node daemons on loopback; each node imports 200 records
# (plus puts and a delete while running); the hub's export must equal the union of what
# the nodes hold, exactly, and every update must be logged exactly once.
set -euo pipefail
BUILD=$1
. "$(dirname "$0")/lib.sh"
WORK=$(mktemp -d /tmp/cps-sync-XXXXXX)
trap cleanup EXIT
# CPS_SYNC_NODES (at least 5) and CPS_SYNC_RECORDS make it smaller, CPS_SYNC_TIMEOUT (s)
# more patient (tests/valgrind.sh)
N=${CPS_SYNC_NODES:-25} PER=${CPS_SYNC_RECORDS:-200}
FP=$(pid_of $((N >= 7 ? 7 : 4)))   # a partner written to only by its import

make_programme "$WORK" $N
PORT=$(free_port)
init_hub "$WORK" "$PORT"
start_hub "$WORK"
ids=()
for i in $(seq 1 $N); do
    id=$(pid_of "$i"); ids+=("$id")
    init_node "$WORK" "$id" "$PORT"
    "$GEN" "$id" $PER > "$WORK/$id.ndjson"
    "$NODE" import --dir "$WORK/$id" "$WORK/$id.ndjson" >/dev/null
    start_node "$WORK" "$id"
done
# changes while the daemons run: the CLI and the daemon share the store
"$NODE" put --dir "$WORK/P03" cluster P03/P03-C001 "$(demo_cluster P03 1)" >/dev/null
"$NODE" del --dir "$WORK/P05" indicator "P05/P05-C001/innovation/2013-Q1" >/dev/null
wait_drained "$WORK" "${CPS_SYNC_TIMEOUT:-90}" "${ids[@]}" || fail "outboxes did not drain"

check_exact "$WORK" "${ids[@]}"
[ "$(wc -l < "$WORK/hub.ndjson")" -eq $((N * PER)) ] || fail "hub has $(wc -l < "$WORK/hub.ndjson") records, expected $((N * PER))"
# filters: one partner, one collection
[ "$("$HUB" export --dir "$WORK/hub" --partner "$FP" | wc -l)" -eq $PER ] || fail "--partner filter"
[ "$("$HUB" export --dir "$WORK/hub" --collection cluster | wc -l)" -eq 1 ] || fail "--collection filter"
[ "$("$HUB" export --dir "$WORK/hub" --format csv --partner "$FP" | wc -l)" -eq $((PER + 1)) ] || fail "csv export"
echo "sync: $N nodes, $((N * PER)) records, log $LOG_TOTAL updates: hub export equals the nodes' union"
echo "1 passed, 0 failed"
