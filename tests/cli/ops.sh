#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Operating cps (docs/OPERATIONS.md): configuration files checked line by line and used by
# init, run and status (the command line wins); SIGHUP; a backup taken while the hub
# ingests restores to the very dataset its checkpoint signed; a node's replica brings back
# what the backup lacks; rebuild from the log repairs a damaged dataset, tree index and
# partner state and reproduces the checkpoint's digest; SIGTERM stops hub and node within
# a second under light load; a silent partner is flagged stalled and busy ones are not.
set -euo pipefail
BUILD=$1
. "$(dirname "$0")/lib.sh"
WORK=$(mktemp -d /tmp/cps-ops-XXXXXX)
tmp=$WORK/tmp
mkdir -p "$tmp"
LOAD_PID=
stop_load() {
    if [ -n "$LOAD_PID" ]; then
        kill "$LOAD_PID" 2>/dev/null || true
        wait "$LOAD_PID" 2>/dev/null || true
        LOAD_PID=
    fi
}
trap 'st=$?; stop_load; set +e; (exit $st); cleanup' EXIT
unset CPS_HUB_DIR CPS_NODE_DIR CPS_HUB_CONFIG CPS_NODE_CONFIG
TAMPER=$BUILD/tests/tamper
now_ms() { date +%s%3N; }
declare -A NPID

# light_load ID...: a put every 0.3 s on each node, in the background, until stop_load
light_load() {
    (
        i=100
        while :; do
            for id in "$@"; do
                "$NODE" put --dir "$WORK/$id" cluster "$id/$id-C$i" "$(demo_cluster "$id" "$i")" \
                    >/dev/null 2>&1 || true
            done
            i=$((i + 1))
            sleep 0.3
        done
    ) &
    LOAD_PID=$!
}
hub_field() { "$HUB" status --dir "$WORK/hub" "${@:2}" | jq -r "$1" || true; }
# wait_for WHAT SECONDS CMD...: until CMD succeeds
wait_for() {
    local what=$1 deadline=$((SECONDS + $2))
    shift 2
    until "$@"; do
        [ $SECONDS -ge $deadline ] && fail "timed out: $what"
        sleep 0.1
    done
}

make_programme "$WORK" 3
PORT=$(free_port)

# --- 1. configuration files -----------------------------------------------------------
cat > "$WORK/hub.conf" <<EOF
; the hub of the ops test
[hub]
dir = $WORK/hub
listen = tcp://127.0.0.1:$PORT
key = $WORK/keys/hub.key
roster = $WORK/roster.txt
programme_key = $(cat "$WORK/programme.vkey")

[log]
level = info

[checkpoint]
entries = 1   ; with every group commit

[status]
stale_after = 3600
EOF
expect 0 "$HUB" config check --config "$WORK/hub.conf"
check "hub.conf is ok" grep -q "hub.conf: ok" "$tmp/out"
DIST=$(dirname "$0")/../../dist
expect 0 "$HUB" config check --config "$DIST/hub.conf"   # the examples meson installs
expect 0 "$NODE" config check --config "$DIST/node.conf"
cat > "$WORK/bad.conf" <<'EOF'
[hub]
dir = relative/path
listen = tcp://nowhere
colour = blue
[checkpoint]
entries = 0
entries = 5
[mystery]
x = 1
[log]
level = loud
this is not ini
EOF
expect 1 "$HUB" config check --config "$WORK/bad.conf"
for want in "bad.conf:2: dir = 'relative/path': expected an absolute path" \
            "bad.conf:3: listen = 'tcp://nowhere': expected tcp://HOST:PORT" \
            "bad.conf:4: unknown key 'colour' in [hub]" \
            "bad.conf:6: entries = '0': expected a whole number from 1" \
            "bad.conf:7: 'entries' in [checkpoint] is already set on line 6" \
            "bad.conf:8: unknown section [mystery]" \
            "bad.conf:11: level = 'loud': expected err, warn, info or debug" \
            "bad.conf:12: expected 'key = value' or '[section]'" \
            "bad.conf: 8 problems"; do
    check "config check reports: $want" grep -qF "$want" "$tmp/err"
done
check "line 9 (in the unknown section) is not reported again" \
    bash -c "! grep -q 'bad.conf:9:' '$tmp/err'"
expect 2 "$HUB" run --config "$WORK/bad.conf"
check "run reports the same problems" grep -qF "bad.conf:8: unknown section [mystery]" "$tmp/err"
expect 2 "$HUB" config check --config "$WORK/none.conf"
expect 0 "$HUB" config show --config "$WORK/hub.conf"
cp "$tmp/out" "$WORK/shown.conf"
expect 0 "$HUB" config check --config "$WORK/shown.conf"
check "show writes the file's settings" grep -qx "listen = tcp://127.0.0.1:$PORT" "$WORK/shown.conf"

# a node needs only the hub, its key and the roster
cat > "$WORK/P01.conf" <<EOF
[node]
dir = $WORK/P01
hub = tcp://127.0.0.1:$PORT
key = $WORK/keys/P01.key
roster = $WORK/roster.txt
EOF
expect 0 "$NODE" config check --config "$WORK/P01.conf"
expect 1 "$NODE" config check --config "$WORK/bad.conf"
check "node: [hub] is no section of node.conf" grep -qF "bad.conf:1: unknown section [hub]" "$tmp/err"

expect 0 "$HUB" init --config "$WORK/hub.conf"
expect 0 "$NODE" init --config "$WORK/P01.conf"
check "init found the partner from the key" grep -q "node P01 initialised" "$tmp/out"
check "init printed the programme key it pinned" grep -qF "$(cat "$WORK/programme.vkey")" "$tmp/err"
init_node "$WORK" P02 "$PORT"
init_node "$WORK" P03 "$PORT"

# precedence: command line, then the file, then the default; the file gives the dir
[ "$(hub_field .stale_after --config "$WORK/hub.conf")" = 3600 ] || fail "stale_after from the file"
[ "$(hub_field .stale_after --config "$WORK/hub.conf" --stale-after 77)" = 77 ] ||
    fail "--stale-after must win over the file"
[ "$(CPS_HUB_CONFIG=$WORK/hub.conf "$HUB" status | jq .log_size)" = 0 ] ||
    fail "\$CPS_HUB_CONFIG: the dir from the file"
expect 2 env CPS_HUB_CONFIG="$WORK/hub.conf" CPS_HUB_DIR="$WORK/nowhere" "$HUB" status
check "\$CPS_HUB_DIR wins over the file" grep -q "nowhere" "$tmp/err"
expect 2 "$NODE" run --config "$WORK/P01.conf" --window 0

# --- 2. daemons from their files; SIGHUP ------------------------------------------------
"$HUB" run --config "$WORK/hub.conf" 2>>"$WORK/hub.log" &
HUB_PID=$!
PIDS+=("$HUB_PID")
"$NODE" run --config "$WORK/P01.conf" 2>>"$WORK/P01.log" &
NPID[P01]=$!
PIDS+=("${NPID[P01]}")
for id in P02 P03; do
    start_node "$WORK" "$id"
    NPID[$id]=$NODE_PID
done
for id in P01 P02 P03; do
    "$GEN" "$id" 50 > "$WORK/$id.ndjson"
    "$NODE" import --dir "$WORK/$id" "$WORK/$id.ndjson" >/dev/null
done
wait_drained "$WORK" 60 P01 P02 P03 || fail "first import did not drain"

sed -i 's/^level = info/level = debug/' "$WORK/hub.conf"
kill -HUP "$HUB_PID"
wait_for "hub reload" 10 grep -q "reload: config=$WORK/hub.conf log_level=debug" "$WORK/hub.log"
"$NODE" put --dir "$WORK/P02" cluster P02/P02-C001 "$(demo_cluster P02 1)" >/dev/null
wait_for "debug lines after the reload" 10 grep -q "debug accepted partner=P02" "$WORK/hub.log"
sed -i 's/^level = debug/level = info/' "$WORK/hub.conf"
kill -HUP "$HUB_PID"
kill -HUP "${NPID[P02]}"
wait_for "node reload" 10 grep -q "reload: roster serial=.* key=$WORK/keys/P02.key" "$WORK/P02.log"
wait_for "node reconnects after the reload" 10 \
    bash -c "[ \$(grep -c 'connected hub' '$WORK/P02.log') -ge 2 ]"
"$NODE" put --dir "$WORK/P02" cluster P02/P02-C002 "$(demo_cluster P02 2)" >/dev/null
wait_drained "$WORK" 30 P02 || fail "P02 did not ship after its reload"
kill -0 "$HUB_PID" && kill -0 "${NPID[P02]}" || fail "a daemon died on SIGHUP"

# --- 3. a backup while the hub ingests ----------------------------------------------------
base=$(hub_field .log_size)
for id in P01 P02 P03; do
    "$GEN" "$id" 4000 > "$WORK/$id.big"
done
imports=()
for id in P01 P02 P03; do
    "$NODE" import --dir "$WORK/$id" --batch 1 "$WORK/$id.big" >/dev/null &
    imports+=($!)
done
wait_for "the load to start" 60 bash -c "[ \$('$HUB' status --dir '$WORK/hub' | jq .log_size) -gt $((base + 300)) ]"
expect 0 "$HUB" backup --config "$WORK/hub.conf" "$WORK/backup"
cat "$tmp/out"
check "backup leaves the key out" grep -q "not included: the hub's key file" "$tmp/out"
check "backup holds the config" test -f "$WORK/backup/hub.conf"
check "backup holds these files, no key" test "$(ls "$WORK/backup" | tr '\n' ' ')" = "BACKUP.txt data.mdb hub.conf roster.txt "
S=$(awk '$1 == "log_size" { print $2 }' "$WORK/backup/BACKUP.txt")
S_DIGEST=$(awk '$1 == "dataset_digest" { print $2 }' "$WORK/backup/BACKUP.txt")
wait "${imports[@]}" || fail "an import failed"
wait_drained "$WORK" 240 P01 P02 P03 || fail "the load did not drain"
N_B=$(hub_field .log_size)
echo "backup taken at $S of $N_B entries"
[ "$S" -gt "$base" ] && [ "$S" -lt "$N_B" ] || fail "the backup was not taken during the load ($base < $S < $N_B)"
wait_for "P01's replica to catch up" 120 \
    bash -c "[ \$('$NODE' status --dir '$WORK/P01' | jq .replica.trusted_checkpoint_size) -ge $N_B ] && [ \$('$NODE' status --dir '$WORK/P01' | jq .replica.entries) -ge $N_B ]"
"$HUB" export --dir "$WORK/hub" | norm > "$WORK/live_B.ndjson"
D_B=$(hub_field .dataset_digest)
expect 0 "$NODE" backup --dir "$WORK/P01" "$WORK/P01.backup"
check "node backup holds the replica" grep -q "replica of $N_B entries" "$tmp/out"

# --- 4. SIGTERM under light load --------------------------------------------------------
light_load P01 P02 P03
sleep 1
t0=$(now_ms)
kill -TERM "${NPID[P03]}"
rc=0; wait "${NPID[P03]}" || rc=$?
node_ms=$(( $(now_ms) - t0 ))
[ "$rc" -eq 0 ] || fail "node exited $rc on SIGTERM"
t0=$(now_ms)
kill -TERM "$HUB_PID"
rc=0; wait "$HUB_PID" || rc=$?
hub_ms=$(( $(now_ms) - t0 ))
[ "$rc" -eq 0 ] || fail "hub exited $rc on SIGTERM"
stop_load
echo "SIGTERM to exit under light load: hub $hub_ms ms, node $node_ms ms"
[ "$hub_ms" -lt 2000 ] || fail "hub took $hub_ms ms to stop"
[ "$node_ms" -lt 2000 ] || fail "node took $node_ms ms to stop"
grep -q "stopping" "$WORK/hub.log" || fail "the hub did not log its stop"

# --- 5. rebuild from the log -------------------------------------------------------------
"$HUB" export --dir "$WORK/hub" | norm > "$WORK/live_C.ndjson"
"$HUB" status --dir "$WORK/hub" | jq -c '[.log_size, .dataset_digest, [.partners[] | [.id, .last_seq, .accepted, .rejected]]]' > "$WORK/state_C.json"
D_C=$(hub_field .dataset_digest)
"$TAMPER" "$WORK/hub" >/dev/null
[ "$(hub_field .dataset_digest)" != "$D_C" ] || fail "tamper changed nothing"
expect 0 "$HUB" rebuild --config "$WORK/hub.conf" --dry-run
check "dry run changes nothing" grep -q "dry run: nothing changed" "$tmp/out"
[ "$(hub_field .dataset_digest)" != "$D_C" ] || fail "the dry run changed the store"
expect 0 "$HUB" rebuild --config "$WORK/hub.conf"
cat "$tmp/out"
check "rebuild checked the latest checkpoint" grep -q "the latest (size $(jq '.[0]' "$WORK/state_C.json")) matches root" "$tmp/out"
check "rebuild noticed the damage" grep -q "the store held another dataset" "$tmp/out"
check "rebuild noticed the partner state" grep -q "1 partner states differed" "$tmp/out"
[ "$(hub_field .dataset_digest)" = "$D_C" ] || fail "rebuild did not reproduce the digest"
"$HUB" status --dir "$WORK/hub" | jq -c '[.log_size, .dataset_digest, [.partners[] | [.id, .last_seq, .accepted, .rejected]]]' | cmp -s - "$WORK/state_C.json" ||
    fail "rebuild: partner states differ"
"$HUB" export --dir "$WORK/hub" | norm | cmp -s - "$WORK/live_C.ndjson" || fail "rebuild: dataset differs"
check "old store kept" test -f "$WORK/hub/data.mdb.pre-rebuild"
rm -f "$WORK/hub/data.mdb.pre-rebuild"

# --- 6. restore the backup; recover the rest from a node's replica --------------------------
"$HUB" audit-bundle --dir "$WORK/hub" "$WORK/bundle" >/dev/null
signed_at_S=$(grep -x -A 3 "$S" "$WORK/bundle/checkpoints.txt" | awk '$1 == "cps-dataset" { print $2; exit }')
[ -n "$signed_at_S" ] || fail "no checkpoint signed at size $S"
expect 1 "$HUB" restore "$WORK/backup" "$WORK/hub"
check "restore refuses a directory that is not empty" grep -q "not empty" "$tmp/err"
expect 0 "$HUB" restore "$WORK/backup" "$WORK/restored"
[ "$("$HUB" status --dir "$WORK/restored" | jq -r .dataset_digest)" = "$S_DIGEST" ] ||
    fail "restored dataset is not the backup's"
[ "$S_DIGEST" = "$signed_at_S" ] || fail "the backup's dataset ($S_DIGEST) is not the one the hub signed at $S ($signed_at_S)"
[ "$("$HUB" status --dir "$WORK/restored" | jq .log_size)" = "$S" ] || fail "restored log size"
# a restored hub does not start (nor sign) before it recovered what the nodes hold
expect 2 "$HUB" run --dir "$WORK/restored"
check "run refuses a restored hub" grep -q "restored from a backup and not recovered yet" "$tmp/err"
# had it started as it was, it would refuse the updates that follow the ones it lost: the
# partner is seen, reports queued updates, and its seq does not move; that is stalled too.
# (A copy, started with --accept-loss; P03 without its replica, which would rightly stop
# trusting this hub.)
expect 0 "$HUB" restore "$WORK/backup" "$WORK/lossy"
expect 0 "$HUB" recover --dir "$WORK/lossy" --accept-loss
"$NODE" put --dir "$WORK/P03" cluster P03/P03-C950 "$(demo_cluster P03 950)" >/dev/null
lag() { "$HUB" status --dir "$WORK/lossy" | jq '.partners[] | select(.id=="P03") | .lag_seconds' || true; }
while [ "$(lag)" -lt 6 ]; do sleep 0.5; done
PORT2=$(free_port)
"$HUB" run --dir "$WORK/lossy" --listen "tcp://127.0.0.1:$PORT2" 2>>"$WORK/lossy.log" &
R_PID=$!
PIDS+=("$R_PID")
"$NODE" run --dir "$WORK/P03" --hub "tcp://127.0.0.1:$PORT2" --no-replica 2>>"$WORK/P03.log" &
P3_PID=$!
PIDS+=("$P3_PID")
wait_for "P03's HELLO to the lossy hub" 20 grep -q "hello partner=P03" "$WORK/lossy.log"
wait_for "P03 to notice the lost entries" 20 grep -q "hub lost entries" "$WORK/P03.log"
expect 1 "$HUB" status --dir "$WORK/lossy" --stale-after 4
jq -c '.partners[] | select(.id=="P03") | {id, stalled_reason, seen_seconds_ago, lag_seconds, outbox_depth}' "$tmp/out"
check "P03 stalled with its updates queued" test "$(jq '.partners[] | select(.id=="P03") | .stalled_reason | test("updates queued at the node, none logged for")' "$tmp/out")" = true
kill -TERM "$P3_PID" "$R_PID"
wait "$P3_PID" || fail "P03 did not stop cleanly"
wait "$R_PID" || fail "the lossy hub did not stop cleanly"
expect 0 "$HUB" recover --dir "$WORK/restored" --from "$WORK/P01.backup"
cat "$tmp/out"
check "recovered the entries after the backup" grep -q "recovered $((N_B - S)) entries ($S..$((N_B - 1)))" "$tmp/out"
[ "$("$HUB" status --dir "$WORK/restored" | jq -r .dataset_digest)" = "$D_B" ] ||
    fail "recovered digest differs from the live hub's"
"$HUB" export --dir "$WORK/restored" | norm | cmp -s - "$WORK/live_B.ndjson" ||
    fail "recovered dataset differs from the live hub's"
expect 0 "$HUB" recover --dir "$WORK/restored" --from "$WORK/P01.backup"
check "a second recover adds nothing" grep -q "nothing to recover" "$tmp/out"
expect 0 "$HUB" rebuild --dir "$WORK/restored" --dry-run

# --- 7. stalled partners ----------------------------------------------------------------
# P01's and P02's nodes have run through the hub's absence; libzmq's reconnect backoff is
# capped at 10 s, so both say HELLO to the restarted hub soon after it starts
hub_lines=$(wc -l < "$WORK/hub.log")
start_hub "$WORK"
for id in P01 P02; do
    wait_for "$id's HELLO to the restarted hub" 30 \
        bash -c "tail -n +$((hub_lines + 1)) '$WORK/hub.log' | grep -q 'hello partner=$id'"
done
start_node "$WORK" P03
NPID[P03]=$NODE_PID
"$NODE" put --dir "$WORK/P03" cluster P03/P03-C900 "$(demo_cluster P03 900)" >/dev/null
wait_drained "$WORK" 60 P01 P02 P03 || fail "did not drain after the restart"
check_exact "$WORK" P01 P02 P03
expect 0 "$HUB" status --dir "$WORK/hub"
check "none stalled" test "$(jq .stalled_partners "$tmp/out")" = 0
# P03 goes silent with an update queued; P01 and P02 stay busy
kill -TERM "${NPID[P03]}"
wait "${NPID[P03]}" || fail "P03 did not stop cleanly"
"$NODE" put --dir "$WORK/P03" cluster P03/P03-C901 "$(demo_cluster P03 901)" >/dev/null
light_load P01 P02
sleep 7
expect 1 "$HUB" status --dir "$WORK/hub" --stale-after 5
jq -c '.partners[] | {id, stalled_reason, seen_seconds_ago, lag_seconds}' "$tmp/out"
check "one partner stalled" test "$(jq .stalled_partners "$tmp/out")" = 1
check "P03 stalled" test "$(jq '.partners[] | select(.id=="P03") | .stalled' "$tmp/out")" = true
check "P03: why" test "$(jq '.partners[] | select(.id=="P03") | .stalled_reason | startswith("not seen for")' "$tmp/out")" = true
check "P01 not stalled" test "$(jq '.partners[] | select(.id=="P01") | .stalled' "$tmp/out")" = false
check "P02 not stalled" test "$(jq '.partners[] | select(.id=="P02") | .stalled' "$tmp/out")" = false
expect 0 "$HUB" metrics --dir "$WORK/hub" --stale-after 5
check "metrics: P03 stalled" grep -qx 'cps_hub_partner_stalled{partner="P03"} 1' "$tmp/out"
check "metrics: P01 not" grep -qx 'cps_hub_partner_stalled{partner="P01"} 0' "$tmp/out"
check "metrics: one stalled" grep -qx 'cps_hub_partners_stalled 1' "$tmp/out"
check "metrics: log size" grep -qE '^cps_hub_log_entries [0-9]+$' "$tmp/out"
check "metrics: text format" bash -c "grep -v '^# \\(HELP\\|TYPE\\) cps_hub_[a-z_]* ' '$tmp/out' | grep -vE '^cps_hub_[a-z_]+(\\{[a-z]+=\"[^\"]*\"(,[a-z]+=\"[^\"]*\")*\\})? [0-9]+$' | { ! grep -q .; }"
expect 1 "$NODE" status --dir "$WORK/P03" --stale-after 5 --check
check "P03's node says why" test "$(jq '.stalled_reason | startswith("1 updates queued")' "$tmp/out")" = true
expect 0 "$NODE" status --dir "$WORK/P03" --stale-after 5
expect 0 "$NODE" status --dir "$WORK/P01" --stale-after 5 --check
check "P01's node: hub reachable" test "$(jq .hub_reachable "$tmp/out")" = true
stop_load
start_node "$WORK" P03
wait_drained "$WORK" 60 P01 P02 P03 || fail "P03 did not catch up"
expect 0 "$HUB" status --dir "$WORK/hub"
finish_checks
