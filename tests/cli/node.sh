#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Black-box test of cps-node's local commands (no hub needed): exact exit codes, the
# transactional outbox (a record and its update together, or neither), and bad input —
# a malformed JSON value, NDJSON line or CSV line names the line and field and writes
# nothing; key files with the wrong mode, size or checksum are refused.
set -eu
BUILD=${1:?usage: node.sh BUILD_DIR}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d /tmp/cps-node-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
WORK=$tmp
make_programme "$tmp" 3
vkey=$(cat "$tmp/programme.vkey")
hub=tcp://127.0.0.1:9
n="$NODE"
d=(--dir "$tmp/P02")
state() { "$n" status "${d[@]}" | jq -r '"\(.next_seq) \(.outbox_depth)"'; }

# --- init ---
expect 0 "$n" --help
expect 2 "$n" frobnicate
expect 2 "$n" init "${d[@]}" --partner P02
expect 1 "$n" init "${d[@]}" --partner P09 --key "$tmp/keys/P02.key" --roster "$tmp/roster.txt" --programme-key "$vkey" --hub $hub
check "unknown partner named" grep -q 'P09 is not in the roster' "$tmp/err"
expect 1 "$n" init "${d[@]}" --partner P02 --key "$tmp/keys/P03.key" --roster "$tmp/roster.txt" --programme-key "$vkey" --hub $hub
check "foreign key named" grep -q "not the roster's key for P02" "$tmp/err"
other_vkey=$("$KEYS" pub --vkey ClusterPoliSEE "$tmp/keys/hub.key")
expect 1 "$n" init "${d[@]}" --partner P02 --key "$tmp/keys/P02.key" --roster "$tmp/roster.txt" --programme-key "$other_vkey" --hub $hub
expect 2 "$n" init "${d[@]}" --partner P02 --key "$tmp/keys/P02.key" --roster "$tmp/roster.txt" --programme-key "$vkey" --hub http://x
cp "$tmp/keys/P02.key" "$tmp/loose.key"; chmod 0644 "$tmp/loose.key"
expect 2 "$n" init "${d[@]}" --partner P02 --key "$tmp/loose.key" --roster "$tmp/roster.txt" --programme-key "$vkey" --hub $hub
check "mode 0644 key refused with reason" grep -q '0600' "$tmp/err"
head -c 40 "$tmp/keys/P02.key" > "$tmp/short.key"; chmod 0600 "$tmp/short.key"
expect 2 "$n" init "${d[@]}" --partner P02 --key "$tmp/short.key" --roster "$tmp/roster.txt" --programme-key "$vkey" --hub $hub
check "short key refused with reason" grep -q 'not a valid key file' "$tmp/err"
cp "$tmp/keys/P02.key" "$tmp/flip.key"; chmod 0600 "$tmp/flip.key"
printf '\x55' | dd of="$tmp/flip.key" bs=1 seek=30 conv=notrunc 2>/dev/null
expect 2 "$n" init "${d[@]}" --partner P02 --key "$tmp/flip.key" --roster "$tmp/roster.txt" --programme-key "$vkey" --hub $hub
expect 0 "$n" init "${d[@]}" --partner P02 --key "$tmp/keys/P02.key" --roster "$tmp/roster.txt" --programme-key "$vkey" --hub $hub
expect 1 "$n" init "${d[@]}" --partner P02 --key "$tmp/keys/P02.key" --roster "$tmp/roster.txt" --programme-key "$vkey" --hub $hub
check "second init refused" grep -q 'already initialised' "$tmp/err"
expect 2 "$n" status --dir "$tmp/nowhere"
check "missing dir explained" grep -q 'not a node directory' "$tmp/err"

# --- put / get / del / ls ---
c1='{"id":"P02-C001","name":"Demo cluster","nuts2":"ITC4","sector":"C26.1","member_firms":12,"employees":120,"areas":["innovation"],"share":0.25}'
expect 0 "$n" put "${d[@]}" cluster P02/P02-C001 "$c1"
expect 0 "$n" get "${d[@]}" cluster P02/P02-C001
check "get returns the value" test "$(jq -c . "$tmp/out")" = "$c1"
check "one update queued" test "$(state)" = "2 1"
expect 1 "$n" get "${d[@]}" cluster P02/none
expect 1 "$n" put "${d[@]}" cluster P02/P02-C002 '{"name": "x",}'
check "bad JSON names the position" grep -Eq 'line 1|column' "$tmp/err"
expect 1 "$n" put "${d[@]}" cluster P03/P03-C001 "$(demo_cluster P03 1)"
check "foreign key prefix explained" grep -q "P02/" "$tmp/err"
expect 1 "$n" put "${d[@]}" partner P02/x '{"name":"x"}'
expect 1 "$n" put "${d[@]}" indicator P02/P02-C001/rd/2016-Q3 '{"partner":"P02","cluster_id":"P02-C001","area":"rd","period":"2016-Q5","indicator":"x","value":1}'
check "bad period names the field" grep -q "field 'period': expected a period" "$tmp/err"
expect 1 "$n" put "${d[@]}" cluster P02/P02-C002 "$(demo_cluster P02 2 | sed 's/"employees":120/"employees":-5/')"
check "schema error names field and rule" grep -q "^cps-node put: .*cluster P02/P02-C002: field 'employees': expected an integer >= 0" "$tmp/err"
check "refusals wrote nothing" test "$(state)" = "2 1"
demo_cluster P02 2 | "$n" put "${d[@]}" cluster P02/P02-C002 - >/dev/null
expect 0 "$n" ls "${d[@]}" cluster
check "ls lists both" test "$(wc -l < "$tmp/out")" -eq 2
expect 0 "$n" del "${d[@]}" cluster P02/P02-C002
expect 1 "$n" get "${d[@]}" cluster P02/P02-C002
check "three updates queued" test "$(state)" = "4 3"

# --- import: all or nothing, errors name line and field ---
"$GEN" P02 250 > "$tmp/good.ndjson"
{ head -n 120 "$tmp/good.ndjson"; echo '{"coll":"indicator","value":{}}'; tail -n 5 "$tmp/good.ndjson"; } > "$tmp/bad.ndjson"
expect 1 "$n" import "${d[@]}" "$tmp/bad.ndjson"
check "NDJSON error names line 121 and field key" grep -Eq 'line 121.*key' "$tmp/err"
check "bad NDJSON wrote nothing" test "$(state)" = "4 3"
sed '200s/"area":"[a-z_]*"/"area":"astrology"/' "$tmp/good.ndjson" > "$tmp/badarea.ndjson"
expect 1 "$n" import "${d[@]}" "$tmp/badarea.ndjson"
check "schema error names line 200 and field area" grep -Eq 'line 200.*area' "$tmp/err"
check "bad schema wrote nothing" test "$(state)" = "4 3"
hdr='key,id,name,nuts2,sector,member_firms,employees,areas'
printf '%s\nP02/P02-C011,P02-C011,"Alpha",ITC4,C26,5,10,"[""rd""]"\nP02/P02-C012,P02-C012,"Beta,ITC4,C26,5,20,"[""rd""]"\nP02/P02-C013,P02-C013,Gamma,ITC4,C26,5,30,"[""rd""]"\n' "$hdr" > "$tmp/bad.csv"
expect 1 "$n" import "${d[@]}" --collection cluster "$tmp/bad.csv"
check "CSV error names line 3" grep -q 'line 3' "$tmp/err"
check "bad CSV wrote nothing" test "$(state)" = "4 3"
expect 0 "$n" import "${d[@]}" --batch 100 "$tmp/good.ndjson"
check "250 records in 3 updates" test "$(state)" = "7 6"
printf '%s\nP02/P02-C011,P02-C011,"Alpha, Ltd",ITC4,C26,5,10,"[""rd"",""jobs_skills""]"\nP02/P02-C012,P02-C012,Beta,ITC4,C26,5,20,"[""rd""]"\n' "$hdr" > "$tmp/good.csv"
expect 0 "$n" import "${d[@]}" --collection cluster "$tmp/good.csv"
expect 0 "$n" get "${d[@]}" cluster P02/P02-C011
check "CSV fields typed" test "$(jq -c . "$tmp/out")" = '{"id":"P02-C011","name":"Alpha, Ltd","nuts2":"ITC4","sector":"C26","member_firms":5,"employees":10,"areas":["rd","jobs_skills"]}'
expect 0 "$n" export "${d[@]}" --collection indicator
check "export round-trips the import" test "$(norm < "$tmp/out")" = "$(norm < "$tmp/good.ndjson")"
expect 0 "$n" export "${d[@]}" --format csv --collection cluster
check "csv export has header + 3 rows" test "$(wc -l < "$tmp/out")" -eq 4
expect 0 "$n" status "${d[@]}"
check "status fields" jq -e '.partner=="P02" and .next_seq==8 and .last_acked_seq==0 and .outbox_depth==7 and .last_contact==null' "$tmp/out"
expect 0 "$n" rejected "${d[@]}"
check "nothing rejected yet" test ! -s "$tmp/out"
finish_checks
