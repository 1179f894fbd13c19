#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Key rotation and revocation. The programme signs a roster change that rotates P01's
# keys and revokes P03; the change is an entry in the log. From that position the old key
# is refused and the revoked partner is refused, while updates signed before it still
# verify (hub, replicas and auditor). P01 picks up its rotated key without losing queued
# updates.
set -euo pipefail
BUILD=$1
. "$(dirname "$0")/lib.sh"
WORK=$(mktemp -d /tmp/cps-rotate-XXXXXX)
trap cleanup EXIT

make_programme "$WORK" 3
cp "$WORK/roster.txt" "$WORK/roster1.txt"
PORT=$(free_port)
init_hub "$WORK" "$PORT"
start_hub "$WORK"
for id in P01 P02 P03; do
    init_node "$WORK" "$id" "$PORT"
    "$GEN" "$id" 50 > "$WORK/$id.ndjson"
    "$NODE" import --dir "$WORK/$id" --batch 10 "$WORK/$id.ndjson" >/dev/null
    start_node "$WORK" "$id"; eval "PID_$id=$NODE_PID"
done
wait_drained "$WORK" 60 P01 P02 P03 || fail "first sync"

# P01 goes offline and queues updates signed with its old key
kill -TERM "$PID_P01"; wait "$PID_P01" || fail "P01 did not stop cleanly"
"$GEN" P01 80 | tail -n 30 > "$WORK/P01b.ndjson"
"$NODE" import --dir "$WORK/P01" --batch 10 "$WORK/P01b.ndjson" >/dev/null
[ "$("$NODE" status --dir "$WORK/P01" | jq .outbox_depth)" -eq 3 ] || fail "P01 queue"

# the programme rotates P01's keys and revokes P03
"$KEYS" gen "$WORK/keys/P01-new.key" >/dev/null
"$KEYS" roster add "$WORK/roster.txt" --replace --id P01 --country IT --type public-authority \
    --status active --pub "$("$KEYS" pub "$WORK/keys/P01-new.key")" --name "Demo partner P01" 2>/dev/null
"$KEYS" roster add "$WORK/roster.txt" --replace --id P03 --country IT --type research-institute \
    --status revoked --pub "$("$KEYS" pub "$WORK/keys/P03.key")" --name "Demo partner P03" 2>/dev/null
# ... and P04 joins in the same change
"$KEYS" gen "$WORK/keys/P04.key" >/dev/null
"$KEYS" roster add "$WORK/roster.txt" --id P04 --country AT --type university --status active \
    --pub "$("$KEYS" pub "$WORK/keys/P04.key")" --name "Demo partner P04" 2>/dev/null
"$KEYS" roster sign "$WORK/roster.txt" --key "$WORK/keys/programme.key" --name ClusterPoliSEE

# P04's node starts with the new roster before the hub has logged it: the hub refuses its
# key. It must connect by itself once the change is logged, without a restart.
init_node "$WORK" P04 "$PORT"
"$NODE" put --dir "$WORK/P04" cluster P04/P04-C001 "$(demo_cluster P04 1)" >/dev/null
start_node "$WORK" P04
# key_refused ID: the node's status says the hub refused its key
key_refused() {
    "$NODE" status --dir "$WORK/$1" | jq -e '.last_error // "" | test("refused this node")' >/dev/null
}
wait_until 30 "the hub refuses P04 before the change" key_refused P04
rc=0; "$HUB" programme --dir "$WORK/hub" --key "$WORK/keys/P01.key" roster "$WORK/roster.txt" 2>/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "a partner key must not log a roster change (exit $rc)"
"$HUB" programme --dir "$WORK/hub" --key "$WORK/keys/programme.key" roster "$WORK/roster.txt"
rc=0; "$HUB" programme --dir "$WORK/hub" --key "$WORK/keys/programme.key" roster "$WORK/roster1.txt" 2>"$WORK/err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "serial" "$WORK/err" || fail "an older roster must be refused (exit $rc)"

# the revoked partner is refused from now on, and nothing of it is logged
p03_before=$("$HUB" status --dir "$WORK/hub" | jq '.partners[] | select(.id=="P03") | .last_seq')
"$NODE" put --dir "$WORK/P03" cluster P03/P03-C009 '{"id":"P03-C009","name":"after revocation","nuts2":"ITH3","sector":"C26","member_firms":1,"employees":1,"founded":2010,"areas":["rd"]}' >/dev/null
deadline=$((SECONDS + 30))
until grep -q "refused partner=P03.*EINACTIVE\|zap: refused.*partner not active" "$WORK/hub.log"; do
    [ $SECONDS -ge $deadline ] && fail "P03's update after revocation was not refused"
    sleep 0.2
done
sleep 1
p03_after=$("$HUB" status --dir "$WORK/hub" | jq '.partners[] | select(.id=="P03") | .last_seq')
[ "$p03_before" = "$p03_after" ] || fail "P03 logged after revocation ($p03_before -> $p03_after)"

# an old-key node for P01 cannot even connect
"$NODE" init --dir "$WORK/P01old" --partner P01 --key "$WORK/keys/P01.key" --roster "$WORK/roster1.txt" \
    --programme-key "$(cat "$WORK/programme.vkey")" --hub "tcp://127.0.0.1:$PORT" >/dev/null
"$NODE" put --dir "$WORK/P01old" cluster P01/P01-C008 '{"id":"P01-C008","name":"old key","nuts2":"ITH3","sector":"C26","member_firms":1,"employees":1,"founded":2010,"areas":["rd"]}' >/dev/null
start_node "$WORK" P01old
wait_until 30 "the hub refuses the old key" key_refused P01old
kill -TERM "$NODE_PID"; wait "$NODE_PID" || true

# P01 adopts its new key: the queued updates are signed again and delivered
rc=0; "$NODE" rekey --dir "$WORK/P01" --key "$WORK/keys/P01.key" --roster "$WORK/roster.txt" 2>/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "rekey with the old key must be refused (exit $rc)"
"$NODE" rekey --dir "$WORK/P01" --key "$WORK/keys/P01-new.key" --roster "$WORK/roster.txt"
start_node "$WORK" P01
wait_drained "$WORK" 60 P01 P02 || fail "P01's re-signed updates were not delivered"
wait_drained "$WORK" 60 P04 || fail "P04 did not connect once the roster change was logged"
grep -q "connecting to the hub anew" "$WORK/P04.log" || fail "P04 did not reconnect by itself"
[ "$("$HUB" export --dir "$WORK/hub" --partner P04 | wc -l)" -eq 1 ] || fail "P04 records"
[ "$("$HUB" export --dir "$WORK/hub" --partner P01 | wc -l)" -eq 80 ] || fail "P01 records"

# hub, replicas and auditor agree: old entries verify with the old key, new with the new
"$HUB" audit-bundle --dir "$WORK/hub" "$WORK/bundle" >/dev/null
"$BUILD/cps-audit" verify --programme-key "$(cat "$WORK/programme.vkey")" "$WORK/bundle" > "$WORK/audit.out" \
    || { cat "$WORK/audit.out"; fail "audit after the rotation"; }
size=$("$HUB" status --dir "$WORK/hub" | jq .log_size)
deadline=$((SECONDS + 60))
until [ "$("$NODE" status --dir "$WORK/P02" | jq .replica.entries)" -ge "$size" ]; do
    [ $SECONDS -ge $deadline ] && fail "P02's replica did not follow the roster change"
    sleep 0.2
done
"$NODE" status --dir "$WORK/P02" | jq -e '.replica.hub_trusted' >/dev/null || fail "P02 distrusts"
"$NODE" verify --dir "$WORK/P02" >/dev/null || fail "P02 replica"
echo "rotate: P01 rotated (3 queued updates re-signed), P03 revoked, old key refused, P04 joined" \
    "without a node restart; audit ok"
