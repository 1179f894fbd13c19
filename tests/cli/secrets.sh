#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Secrets stay secret: a small demo (programme key, hub, 3 partner nodes; imports, puts,
# a programme import, a key rotation, proofs, an audit bundle and its verification) runs
# with the daemons at --log-level debug, and every log line and every command's output
# (stdout and stderr) is kept. Then, for each key file, every secret it holds (the seed, the
# three derived subkeys, the X25519 secret keys; tests/tools/keydump) is looked for in all of
# that text as hex, HEX, base64 (padded or not, standard or URL-safe, at every alignment) and
# Z85, whole and as any 16-character substring; and as raw bytes (any 16 in a row) in every
# file the demo wrote outside keys/ (stores, bundle, rosters). Key files must be mode 0600,
# and a copy at 0644 must be refused. A must-fail twin plants one encoding and expects it
# to be found, and the raw search must find the seed in its own key file, so neither search
# can pass by finding nothing at all.
set -euo pipefail
BUILD=$1
. "$(dirname "$0")/lib.sh"
DUMP=$BUILD/tests/keydump
WORK=$(mktemp -d /tmp/cps-secrets-XXXXXX)
trap cleanup EXIT
OUT=$WORK/out
mkdir -p "$OUT"
tmp=$WORK
n=0

# run NAME CMD...: CMD's stdout and stderr kept as $OUT/NN-NAME.{out,err}; its exit code
# returned (callers that expect a failure check it).
run() {
    local name=$1 rc=0
    shift
    n=$((n + 1))
    "$@" > "$OUT/$(printf %02d $n)-$name.out" 2> "$OUT/$(printf %02d $n)-$name.err" || rc=$?
    return $rc
}
# the output of the last run
last_out() { cat "$OUT/$(printf %02d $n)-$1.out"; }

# --- the demo --------------------------------------------------------------------------
mkdir -p "$WORK/keys"
for k in programme hub P01 P02 P03 P01-new; do run "gen-$k" "$KEYS" gen "$WORK/keys/$k.key"; done
run pub-vkey "$KEYS" pub --vkey ClusterPoliSEE "$WORK/keys/programme.key"
last_out pub-vkey > "$WORK/programme.vkey"
run pub-hub "$KEYS" pub "$WORK/keys/hub.key"
run roster-new "$KEYS" roster new --programme ClusterPoliSEE \
    --programme-key "$WORK/keys/programme.key" --name ClusterPoliSEE \
    --hub "$(last_out pub-hub)" -o "$WORK/roster.txt"
i=0
for id in P01 P02 P03; do
    run "pub-$id" "$KEYS" pub "$WORK/keys/$id.key"
    run "roster-add-$id" "$KEYS" roster add "$WORK/roster.txt" --id "$id" \
        --country "${COUNTRIES[$i]}" --type "${TYPES[$i]}" --status active \
        --pub "$(last_out "pub-$id")" --name "Demo partner $id"
    i=$((i + 1))
done
run roster-sign "$KEYS" roster sign "$WORK/roster.txt" --key "$WORK/keys/programme.key" \
    --name ClusterPoliSEE
run roster-verify "$KEYS" roster verify "$WORK/roster.txt" \
    --programme "$(cat "$WORK/programme.vkey")"
run roster-show "$KEYS" roster show "$WORK/roster.txt" --programme "$(cat "$WORK/programme.vkey")"

PORT=$(free_port)
run hub-init "$HUB" init --dir "$WORK/hub" --key "$WORK/keys/hub.key" --roster "$WORK/roster.txt" \
    --programme-key "$(cat "$WORK/programme.vkey")" --listen "tcp://127.0.0.1:$PORT"
"$BUILD/tests/demo_data" "$WORK/data" >/dev/null
run hub-programme "$HUB" programme --dir "$WORK/hub" --key "$WORK/keys/programme.key" \
    import "$WORK/data/programme.ndjson"
"$HUB" run --dir "$WORK/hub" --log-level debug >>"$WORK/hub.out" 2>>"$WORK/hub.log" &
HUB_PID=$!; PIDS+=("$HUB_PID")
declare -A NPID
for id in P01 P02 P03; do
    run "node-init-$id" "$NODE" init --dir "$WORK/$id" --partner "$id" \
        --key "$WORK/keys/$id.key" --roster "$WORK/roster.txt" \
        --programme-key "$(cat "$WORK/programme.vkey")" --hub "tcp://127.0.0.1:$PORT"
    run "import-$id" "$NODE" import --dir "$WORK/$id" "$WORK/data/$id.ndjson"
    "$NODE" run --dir "$WORK/$id" --log-level debug >>"$WORK/$id.out" 2>>"$WORK/$id.log" &
    NPID[$id]=$!; PIDS+=("${NPID[$id]}")
done
run put "$NODE" put --dir "$WORK/P02" cluster P02/P02-C009 "$(demo_cluster P02 9)"
run del "$NODE" del --dir "$WORK/P02" cluster P02/P02-C009
run get "$NODE" get --dir "$WORK/P01" cluster P01/P01-C001 || true
run ls "$NODE" ls --dir "$WORK/P01"
wait_drained "$WORK" 90 P01 P02 P03 || fail "outboxes did not drain"

# a rotation: the programme re-keys P01, the node adopts its new key
kill -TERM "${NPID[P01]}"; wait "${NPID[P01]}" || fail "P01 did not stop cleanly"
run pub-P01-new "$KEYS" pub "$WORK/keys/P01-new.key"
run roster-rotate "$KEYS" roster add "$WORK/roster.txt" --replace --id P01 --country IT \
    --type "${TYPES[0]}" --status active --pub "$(last_out pub-P01-new)" --name "Demo partner P01"
run roster-resign "$KEYS" roster sign "$WORK/roster.txt" --key "$WORK/keys/programme.key" \
    --name ClusterPoliSEE
run hub-roster "$HUB" programme --dir "$WORK/hub" --key "$WORK/keys/programme.key" \
    roster "$WORK/roster.txt"
# the running hub puts the change in force at its next write; a node refused before that
# does not retry (libzmq stops reconnecting after a ZAP refusal), so wait for it
serial=$(grep -o 'roster serial=[0-9]*' "$OUT/$(printf %02d $n)-hub-roster.err" | head -1)
deadline=$((SECONDS + 30))
until grep -q "$serial in force" "$WORK/hub.log"; do
    [ $SECONDS -ge $deadline ] && fail "the hub did not put the rotated roster in force"
    sleep 0.2
done
run put-queued "$NODE" put --dir "$WORK/P01" cluster P01/P01-C009 "$(demo_cluster P01 9)"
run rekey "$NODE" rekey --dir "$WORK/P01" --key "$WORK/keys/P01-new.key" --roster "$WORK/roster.txt"
"$NODE" run --dir "$WORK/P01" --log-level debug >>"$WORK/P01.out" 2>>"$WORK/P01.log" &
NPID[P01]=$!; PIDS+=("${NPID[P01]}")
wait_drained "$WORK" 90 P01 P02 P03 || fail "outboxes did not drain after the rotation"

# reads, proofs and the audit, as partners and auditors run them
size=$("$HUB" status --dir "$WORK/hub" | jq .log_size)
deadline=$((SECONDS + 60))
until [ "$("$NODE" status --dir "$WORK/P02" | jq .replica.entries)" -ge "$size" ]; do
    [ $SECONDS -ge $deadline ] && fail "P02's replica did not catch up"
    sleep 0.2
done
for id in P01 P02 P03; do run "status-$id" "$NODE" status --dir "$WORK/$id"; done
run export-P01 "$NODE" export --dir "$WORK/P01"
run export-P01-csv "$NODE" export --dir "$WORK/P01" --format csv
run rejected-P01 "$NODE" rejected --dir "$WORK/P01"
run replica-export "$NODE" replica export --dir "$WORK/P02"
run node-verify "$NODE" verify --dir "$WORK/P02"
run prove-seq "$NODE" prove --dir "$WORK/P02" seq 1
receipt=$OUT/$(printf %02d $n)-prove-seq.out
# exit 1 when the node never trusted a checkpoint of size 1: the output is what counts here
run prove-consistency "$NODE" prove --dir "$WORK/P02" consistency 1 || true
run hub-status "$HUB" status --dir "$WORK/hub"
run hub-export "$HUB" export --dir "$WORK/hub"
run hub-checkpoint "$HUB" checkpoint --dir "$WORK/hub"
run audit-bundle "$HUB" audit-bundle --dir "$WORK/hub" "$WORK/bundle"
run audit-verify "$BUILD/cps-audit" verify --programme-key "$(cat "$WORK/programme.vkey")" \
    "$WORK/bundle"
run audit-inclusion "$BUILD/cps-audit" inclusion --hub-key "$(cat "$WORK/bundle/hub.vkey")" \
    "$receipt"
# errors a user meets with keys: a wrong key, a loose mode
rc=0; run wrong-key "$HUB" programme --dir "$WORK/hub" --key "$WORK/keys/P02.key" \
    roster "$WORK/roster.txt" || rc=$?
check "a partner key must not log a roster change (exit $rc)" test "$rc" -eq 1
for k in "$WORK"/keys/*.key; do
    check "$(basename "$k") is mode 0600" test "$(stat -c %a "$k")" = 600
done
cp "$WORK/keys/P02.key" "$WORK/loose.key"
chmod 0644 "$WORK/loose.key"
rc=0; run loose-pub "$KEYS" pub "$WORK/loose.key" || rc=$?
check "a key file of mode 0644 is refused (exit $rc)" test "$rc" -eq 2
rc=0; run loose-node "$NODE" init --dir "$WORK/loose" --partner P02 --key "$WORK/loose.key" \
    --roster "$WORK/roster.txt" --programme-key "$(cat "$WORK/programme.vkey")" \
    --hub "tcp://127.0.0.1:$PORT" || rc=$?
check "cps-node init refuses a key file of mode 0644 (exit $rc)" test "$rc" -eq 2
rm -f "$WORK/loose.key"
# stop the daemons now, so that their last log lines are in
PIDS=("$HUB_PID" "${NPID[@]}")
for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
for p in "${PIDS[@]}"; do wait "$p" || fail "a daemon did not stop cleanly"; done
PIDS=()
grep -q "DEBUG\|debug" "$WORK/hub.log" || fail "the hub did not log at debug level"

# --- the search ------------------------------------------------------------------------
texts=("$OUT"/* "$WORK"/*.log "$WORK"/*.out)
files=()
while IFS= read -r f; do files+=("$f"); done < <(find "$WORK" -type f ! -path "$WORK/keys/*")
lines=$(cat "${texts[@]}" | wc -l)
patterns=$WORK/patterns
: > "$patterns"
for k in "$WORK"/keys/*.key; do
    "$DUMP" "$k" > "$WORK/dump"
    # each encoding whole, and every 16-character substring of it
    while read -r secret enc text; do
        echo "$text" >> "$patterns"
        for ((o = 0; o + 16 <= ${#text}; o++)); do echo "${text:o:16}" >> "$patterns"; done
    done < "$WORK/dump"
    rc=0; "$DUMP" "$k" --search "${files[@]}" > "$WORK/raw" || rc=$?
    check "no raw bytes of $(basename "$k")'s secrets in the demo's files: $(cat "$WORK/raw")" \
        test "$rc" -eq 0
done
sort -u -o "$patterns" "$patterns"
npat=$(wc -l < "$patterns")
rm -f "$WORK/dump"
found=$(grep -F -o -h -f "$patterns" "${texts[@]}" | head -5 || true)
check "no secret in any log or output (found: ${found:0:120})" test -z "$found"

# must-fail twin: a log line with one Z85 fragment of P03's CURVE secret is found
canary=$("$DUMP" "$WORK/keys/P03.key" | awk '$1 == "curve-sk" && $2 == "z85+2" { print $3 }')
echo "zap: debug curve=${canary:3:20}" > "$WORK/canary.log"
check "the search finds a planted fragment" grep -q -F -f "$patterns" "$WORK/canary.log"
rm -f "$WORK/canary.log" "$patterns"
rc=0; "$DUMP" "$WORK/keys/P03.key" --search "$WORK/keys/P03.key" >/dev/null || rc=$?
check "the raw search finds the seed in its own key file (exit $rc)" test "$rc" -eq 1

nkeys=$(ls "$WORK"/keys/*.key | wc -l)
echo "secrets: $n commands and 4 daemons at debug level, $lines lines of output and" \
     "${#files[@]} files searched for $npat encodings and fragments of $nkeys keys' secrets"
finish_checks
