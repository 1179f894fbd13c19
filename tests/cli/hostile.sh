#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Integration (d): hostile input. A protocol-speaking test client sends malformed, forged,
# replayed and misattributed frames as partner P04 (and connects with a stranger's key and
# an inactive partner's key) while a normal node (P01) syncs. Every case gets its documented
# refusal; only correctly signed updates are logged; P01 is served throughout.
set -euo pipefail
BUILD=$1
. "$(dirname "$0")/lib.sh"
WORK=$(mktemp -d /tmp/cps-hostile-XXXXXX)
trap cleanup EXIT

make_programme "$WORK" 5
# P05 becomes inactive: the programme re-signs the roster
"$KEYS" roster add "$WORK/roster.txt" --replace --id P05 --country AT --type university \
    --status inactive --pub "$("$KEYS" pub "$WORK/keys/P05.key")" --name "Demo partner P05" 2>/dev/null
"$KEYS" roster sign "$WORK/roster.txt" --key "$WORK/keys/programme.key" --name ClusterPoliSEE
"$KEYS" gen "$WORK/keys/stranger.key" >/dev/null
PORT=$(free_port)
init_hub "$WORK" "$PORT"
start_hub "$WORK"
init_node "$WORK" P01 "$PORT"
"$GEN" P01 300 > "$WORK/P01.ndjson"
"$NODE" import --dir "$WORK/P01" --batch 5 "$WORK/P01.ndjson" >/dev/null
start_node "$WORK" P01

"$BUILD/tests/hostile" "tcp://127.0.0.1:$PORT" "$WORK/roster.txt" "$(cat "$WORK/programme.vkey")" \
    P04 "$WORK/keys/P04.key" "$WORK/keys/stranger.key" P05 "$WORK/keys/P05.key" | tee "$WORK/hostile.out"

# the honest node was served throughout
wait_drained "$WORK" 60 P01 || fail "P01 did not drain while under attack"
[ "$("$HUB" export --dir "$WORK/hub" --partner P01 | wc -l)" -eq 300 ] || fail "P01 records missing"
# only what P04 wrote correctly is applied, and exactly that
got=$("$HUB" export --dir "$WORK/hub" --partner P04 | jq -r .key | sort | tr '\n' ' ')
[ "$got" = "P04/P04-C901 P04/P04-C902 P04/P04-C903 " ] || fail "P04 records: $got"
# only correctly signed updates are logged: 3 applied + 4 rejected (bad key prefix, other
# partner, programme collection, unknown collection); refused frames leave no entry
read -r seq acc rej < <("$HUB" status --dir "$WORK/hub" | jq -r '.partners[] | select(.id=="P04") | "\(.last_seq) \(.accepted) \(.rejected)"')
[ "$seq" -eq 7 ] && [ "$acc" -eq 3 ] && [ "$rej" -eq 4 ] || fail "P04 hub state: seq=$seq accepted=$acc rejected=$rej"
# nothing from the stranger or the inactive partner
[ "$("$HUB" export --dir "$WORK/hub" --partner P05 | wc -l)" -eq 0 ] || fail "P05 wrote"
grep -q 'zap: refused.*CURVE key not in roster' "$WORK/hub.log" || fail "stranger not logged"
grep -q 'zap: refused.*partner not active' "$WORK/hub.log" || fail "inactive partner not logged"
grep -q 'refused partner=P04 seq=.* code=EBADSIG' "$WORK/hub.log" || fail "refusals not logged"
tail -1 "$WORK/hostile.out" | grep -q ' 0 failed' || fail "hostile cases failed"
echo "hostile: all cases refused as documented; P01 served throughout"
