#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Black-box test of the programme's data (docs/DATA.md), no daemons needed: the demo
# generator is deterministic and writes what it says (25 partners, 11 countries, 8 EU + 3
# IPA, the gaps it lists in gaps.json); every record it writes passes the schema, through
# `cps-hub programme import` and `cps-node import`; --skip-invalid reports the right lines
# and writes the good ones (without it a file with an error writes nothing); and 100,000
# CSV rows import with memory bounded by what LMDB's transaction holds.
set -euo pipefail
BUILD=${1:?usage: data.sh BUILD_DIR}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
. "$(dirname "$0")/lib.sh"
DEMO=$BUILD/tests/demo_data
WORK=$(mktemp -d /tmp/cps-data-XXXXXX)
trap cleanup EXIT
tmp=$WORK/chk
mkdir -p "$tmp"
N=25

# --- the generator: same seed, same bytes; another seed, other data
"$DEMO" "$WORK/s7a" 7
"$DEMO" "$WORK/s7b" 7
"$DEMO" "$WORK/s8" 8
check "same seed, same bytes" diff -r "$WORK/s7a" "$WORK/s7b"
check "another seed, other data" bash -c '! cmp -s "$1/P07.ndjson" "$2/P07.ndjson"' _ \
    "$WORK/s7a" "$WORK/s8"
expect 2 "$DEMO"
expect 2 "$DEMO" "$WORK/x" notanumber
"$DEMO" "$WORK/demo"
D=$WORK/demo
check "a programme file, 25 partner files and gaps.json" \
    test "$(ls "$D" | tr '\n' ' ')" = "P01.ndjson P02.ndjson P03.ndjson P04.ndjson P05.ndjson P06.ndjson P07.ndjson P08.ndjson P09.ndjson P10.ndjson P11.ndjson P12.ndjson P13.ndjson P14.ndjson P15.ndjson P16.ndjson P17.ndjson P18.ndjson P19.ndjson P20.ndjson P21.ndjson P22.ndjson P23.ndjson P24.ndjson P25.ndjson gaps.json programme.ndjson "

# --- what it wrote: the programme as MISSION.md describes it, clearly demo data
jq -c 'select(.coll=="partner") | .value' "$D/programme.ndjson" > "$tmp/partners"
check "25 partners P01..P25" test "$(jq -r .id "$tmp/partners" | tr '\n' ' ')" = \
    "$(for i in $(seq 1 $N); do printf '%s ' "$(pid_of "$i")"; done)"
check "11 countries" test "$(jq -r .country "$tmp/partners" | sort -u | wc -l)" -eq 11
check "8 EU countries" test "$(jq -r 'select(.membership=="EU") | .country' "$tmp/partners" | sort -u | tr '\n' ' ')" = "AT BG GR HU IT RO SI SK "
check "3 IPA countries" test "$(jq -r 'select(.membership=="IPA") | .country' "$tmp/partners" | sort -u | tr '\n' ' ')" = "AL HR RS "
check "one lead: P01, Italian" test "$(jq -r 'select(.role=="lead") | "\(.id) \(.country)"' "$tmp/partners")" = "P01 IT"
check "partner names say Demo" test "$(jq -r 'select(.name | startswith("Demo ") | not) | .id' "$tmp/partners")" = ""
check "14 periods, 17 indicator definitions, 2-3 per area" test "$(jq -r .coll "$D/programme.ndjson" | sort | uniq -c | awk '{ printf "%s %s ", $1, $2 }')" = "17 indicator_definition 25 partner 14 period "
check "2-3 definitions per area" test "$(jq -r 'select(.coll=="indicator_definition") | .value.area' "$D/programme.ndjson" | sort | uniq -c | awk '$1 < 2 || $1 > 3' | wc -l)" -eq 0
cat "$D"/P??.ndjson > "$tmp/all.ndjson"
per_partner() { # COLL MIN MAX: every partner has MIN..MAX records of COLL
    local id c bad=0
    for id in $(jq -r .id "$tmp/partners"); do
        c=$(grep -c "\"coll\":\"$1\"" "$D/$id.ndjson" || true)
        if [ "$c" -lt "$2" ] || [ "$c" -gt "$3" ]; then echo "$id has $c $1 records" >&2; bad=1; fi
    done
    return $bad
}
check "2-6 clusters per partner" per_partner cluster 2 6
check "3-6 pilot actions per partner" per_partner pilot_action 3 6
check "1-3 policy lessons per partner" per_partner policy_lesson 1 3
check "cluster names say Demo" test "$(jq -r 'select(.coll=="cluster" and (.value.name | test("^Demo Cluster [0-9]+ \\(P[0-9]+\\)$") | not)) | .key' "$tmp/all.ndjson")" = ""
check "all four statuses occur" test "$(jq -r 'select(.coll=="pilot_action") | .value.status' "$tmp/all.ndjson" | sort -u | tr '\n' ' ')" = "cancelled completed planned running "
check "every completed action is evaluated" test "$(jq -r 'select(.coll=="pilot_action" and .value.status=="completed" and .value.evaluation.score==null) | .key' "$tmp/all.ndjson")" = ""
check "lessons are shared" test "$(jq -r 'select(.coll=="policy_lesson" and (.value.shared_with | length) == 0) | .key' "$tmp/all.ndjson")" = ""
check "indicator sources say demo-generator" test "$(jq -r 'select(.coll=="indicator" and .value.source!="demo-generator") | .key' "$tmp/all.ndjson")" = ""
# experienced partners share with less experienced ones: nothing flows from AL or RS to IT
check "no lesson flows uphill to Italy" test "$(jq -r 'select(.coll=="policy_lesson" and (.key | test("^P2[0145]/"))) | .value.shared_with[]' "$tmp/all.ndjson" | grep -cE '^P0[1-4]$' || true)" -eq 0

# --- gaps.json agrees with the files
G=$D/gaps.json
jq -r 'select(.coll=="indicator") | .key' "$tmp/all.ndjson" | sort > "$tmp/have"
check "received_indicators = indicator records" test "$(jq .received_indicators "$G")" -eq "$(wc -l < "$tmp/have")"
check "missing = expected - received" test "$(jq '.missing | length' "$G")" -eq "$(jq '.expected_indicators - .received_indicators' "$G")"
jq -r '.missing[].key' "$G" | sort > "$tmp/missing"
check "no missing key is in the files" test "$(comm -12 "$tmp/have" "$tmp/missing" | wc -l)" -eq 0
check "3 late partners, 4 incomplete, never the lead" test "$(jq -r '[.late[].partner, .incomplete[]] | length, (map(select(.=="P01")) | length)' "$G" | tr '\n' ' ')" = "7 0 "
check "late partners have nothing for their late periods" test "$(jq -r '.late[] | .partner as $p | .periods[] | "\($p)/.*/\(.)/"' "$G" | while read -r re; do grep -cE "^$re" "$tmp/have" || true; done | awk '{ s += $1 } END { print s + 0 }')" -eq 0
check "matrix sums = expected, received" test "$(jq -r '[.matrix[][][]] | [(map(.[0]) | add), (map(.[1]) | add)] | map(tostring) | join(" ")' "$G")" = "$(jq -r '"\(.expected_indicators) \(.received_indicators)"' "$G")"
jq -r 'select(.coll=="indicator") | "\(.value.partner) \(.value.period) \(.value.area)"' "$tmp/all.ndjson" | sort | uniq -c | awk '{print $2, $3, $4, $1}' > "$tmp/counted"
jq -r '.matrix | to_entries[] | .key as $p | .value | to_entries[] | .key as $per | .value | to_entries[] | select(.value[1] > 0) | "\($p) \($per) \(.key) \(.value[1])"' "$G" | sort > "$tmp/matrix"
check "matrix received = records per partner, period, area" cmp -s "$tmp/counted" "$tmp/matrix"

# --- every record passes the schema: programme records through the hub, the rest per node
make_programme "$WORK" $N
init_hub "$WORK" "$(free_port)" # not started: cps-hub programme writes the log directly
PROG=("$HUB" programme --dir "$WORK/hub" --key "$WORK/keys/programme.key")
expect 0 "${PROG[@]}" import "$D/programme.ndjson"
check "56 programme records logged" grep -q "^logged 56 programme records" "$tmp/out"
for c in partner period indicator_definition; do
    check "hub has every $c" test "$("$HUB" export --dir "$WORK/hub" --collection "$c" | wc -l)" -eq "$(grep -c "\"coll\":\"$c\"" "$D/programme.ndjson")"
done
# the partner records agree with the roster (country and type)
awk '$1 == "partner" { print $2, $3, $4 }' "$WORK/roster.txt" > "$tmp/roster"
jq -r '"\(.id) \(.country) \(.type)"' "$tmp/partners" > "$tmp/records"
check "partner records = roster" cmp -s "$tmp/roster" "$tmp/records"
for i in $(seq 1 $N); do
    id=$(pid_of "$i")
    init_node "$WORK" "$id" 9
    expect 0 "$NODE" import --dir "$WORK/$id" "$D/$id.ndjson"
    check "$id: every record imported" grep -q "^imported $(wc -l < "$D/$id.ndjson") records" "$tmp/out"
done
"$NODE" export --dir "$WORK/P07" | norm > "$tmp/p07.out"
check "P07 round trip: export = file, values exact" cmp -s "$tmp/p07.out" <(norm < "$D/P07.ndjson")

# --- without --skip-invalid, a file with an error writes nothing; with it, the good lines
state() { "$NODE" status --dir "$WORK/$1" | jq -r '"\(.next_seq) \(.outbox_depth)"'; }
before=$(state P02)
{
    echo "{\"coll\":\"cluster\",\"key\":\"P02/P02-C901\",\"value\":$(demo_cluster P02 901)}"
    echo '{"coll":"cluster","key":"P02/P02-C902","value":{"id":"P02-C902",}}'
    echo "{\"coll\":\"cluster\",\"key\":\"P02/P02-C903\",\"value\":$(demo_cluster P02 903)}"
    echo "{\"coll\":\"cluster\",\"key\":\"P02/P02-C904\",\"value\":$(demo_cluster P02 904 | sed 's/"employees":120/"employees":-1/')}"
    echo "{\"coll\":\"cluster\",\"key\":\"P03/P03-C905\",\"value\":$(demo_cluster P03 905)}"
    echo ''
    echo "{\"coll\":\"cluster\",\"key\":\"P02/P02-C907\",\"value\":$(demo_cluster P02 907)}"
    echo "{\"coll\":\"clusters\",\"key\":\"P02/P02-C908\",\"value\":$(demo_cluster P02 908)}"
    echo '{"coll":"pilot_action","key":"P02/P02-PA99","value":{"id":"P02-PA99","area":"rd","title":"Demo","status":"completed","start":"2015-01-01","end":"2015-06-30","budget_eur":1000}}'
} > "$tmp/mixed.ndjson"
M=$tmp/mixed.ndjson
expect 1 "$NODE" import --dir "$WORK/P02" "$M"
check "the first error is named, nothing written" grep -q "^cps-node import: $M: line 2 column 65: .*(nothing written)$" "$tmp/err"
check "state unchanged" test "$(state P02)" = "$before"
expect 1 "$NODE" import --dir "$WORK/P02" --skip-invalid "$M"
cat > "$tmp/want" <<EOF
$M:2: column 65: string or '}' expected near '}'
$M:4: cluster P02/P02-C904: field 'employees': expected an integer >= 0
$M:5: cluster P03/P03-C905: key: expected to start with 'P02/' (the writer's own records)
$M:8: unknown collection 'clusters'
$M:9: pilot_action P02/P02-PA99: field 'evaluation': missing, expected a map with score (1..5) and lessons when status is completed
cps-node import: $M: 5 invalid records skipped, 3 imported
EOF
check "each invalid line reported, then the count" diff "$tmp/want" "$tmp/err"
check "the good ones imported" grep -q "^imported 3 records as updates" "$tmp/out"
for k in 901 903 907; do
    expect 0 "$NODE" get --dir "$WORK/P02" cluster "P02/P02-C$k"
done
expect 1 "$NODE" get --dir "$WORK/P02" cluster P02/P02-C904
expect 0 "$NODE" import --dir "$WORK/P02" --skip-invalid <(head -1 "$M" | sed 's/C901/C911/g')
check "nothing skipped: exit 0, no report" test ! -s "$tmp/err"

# CSV with --collection: a bad quote, a bad field, an empty cell (absent field)
hdr='key,id,name,nuts2,sector,member_firms,employees,founded,areas'
{
    echo "$hdr"
    echo 'P02/P02-C921,P02-C921,Demo Cluster 921 (P02),ITC4,C26,5,50,2001,"[""rd""]"'
    echo 'P02/P02-C922,P02-C922,"Demo "Cluster" 922,ITC4,C26,5,50,2001,"[""rd""]"'
    echo 'P02/P02-C923,P02-C923,Demo Cluster 923 (P02),ITC4,C99,5,50,2001,"[""rd""]"'
    echo 'P02/P02-C924,P02-C924,Demo Cluster 924 (P02),ITC4,C26,5,50,,"[""rd"",""financing""]"'
} > "$tmp/mixed.csv"
C=$tmp/mixed.csv
expect 1 "$NODE" import --dir "$WORK/P02" --collection cluster --skip-invalid "$C"
cat > "$tmp/want" <<EOF
$C:3: malformed quoted field (a quote inside an unquoted field, or text after a closing quote)
$C:4: cluster P02/P02-C923: field 'sector': expected a NACE Rev. 2 code: section letter and division, optionally .group and class digit, e.g. C26, C26.1, M72.11
cps-node import: $C: 2 invalid records skipped, 2 imported
EOF
check "CSV: each invalid line reported" diff "$tmp/want" "$tmp/err"
expect 0 "$NODE" get --dir "$WORK/P02" cluster P02/P02-C924
check "CSV: array cell, absent founded" test "$(jq -c '[.areas, .founded]' "$tmp/out")" = '[["rd","financing"],null]'

# programme import: the same rules for the programme key
{
    echo '{"coll":"period","key":"2016-Q1","value":{"label":"2016 Q1","start":"2016-01-01","end":"2016-03-31","due":"2016-04-30"}}'
    echo '{"coll":"period","key":"2016-Q2","value":{"label":"2016 Q2","start":"2016-04-01","end":"2016-06-30","due":"2016-06-01"}}'
    echo '{"coll":"partner","key":"P22","value":{"id":"P22","name":"Demo University P22","country":"HR","type":"university","membership":"EU","role":"partner"}}'
    echo '{"coll":"cluster","key":"P01/P01-C001","value":{}}'
} > "$tmp/prog.ndjson"
P=$tmp/prog.ndjson
expect 1 "${PROG[@]}" import "$P"
check "programme: first error named, nothing written" grep -q "line 2: period 2016-Q2: field 'due'.*(nothing written)" "$tmp/err"
check "programme: still 14 periods" test "$("$HUB" export --dir "$WORK/hub" --collection period | wc -l)" -eq 14
expect 1 "${PROG[@]}" import --skip-invalid "$P"
cat > "$tmp/want" <<EOF
$P:2: period 2016-Q2: field 'due': expected a date on or after end (2016-06-30)
$P:3: partner P22: field 'membership': expected 'IPA' for country HR
$P:4: cluster P01/P01-C001: collection 'cluster' is written only by the partner that owns the record
cps-hub programme: $P: 3 invalid records skipped, 1 logged
EOF
check "programme: each invalid line reported" diff "$tmp/want" "$tmp/err"
check "programme: 15 periods now" test "$("$HUB" export --dir "$WORK/hub" --collection period | wc -l)" -eq 15

# --- 100,000 CSV rows in bounded memory
big() { # PARTNER ROWS [BAD]: indicator rows, all valid, or all with a bad area when BAD
    awk -v n="$2" -v p="$1" -v bad="${3:-}" 'BEGIN {
        split("innovation rd sustainability international_cooperation financing regional_specialisation jobs_skills", A, " ")
        print "key,partner,cluster_id,area,period,indicator,value,unit,source,note"
        for (i = 0; i < n; i++) {
            c = sprintf("%s-C%03d", p, i % 500 + 1); a = A[i % 7 + 1]
            per = sprintf("%d-Q%d", 2014 + int(i / 3500) % 2, i % 4 + 1)
            code = sprintf("demo_indicator_%d", i)
            printf "%s/%s/%s/%s/%s,%s,%s,%s,%s,%s,%d.%02d,count,demo-generator,\"demo data, not real\"\n",
                p, c, a, per, code, p, c, (bad ? "astrology" : a), per, code, i, i % 100
        }
    }'
}
big P03 100000 > "$tmp/big.csv"
big P03 100000 bad > "$tmp/bad.csv"
rss() { # the last run's peak RSS in KiB
    tail -n 1 "$tmp/rss"
}
# Peak RSS with /usr/bin/time (Debian package "time"); not under the sanitizers, whose
# shadow memory and quarantine make the figure meaningless.
TIME=()
sanitize=$(jq -r '.[] | select(.name == "b_sanitize") | .value' \
    "$BUILD/meson-info/intro-buildoptions.json" 2>/dev/null || echo unknown)
if [ "$sanitize" != none ]; then
    echo "data: peak RSS not measured (b_sanitize=$sanitize)"
elif [ -x /usr/bin/time ]; then
    TIME=(/usr/bin/time -f %M -o "$tmp/rss")
else
    echo "data: /usr/bin/time not found: peak RSS not measured (apt-get install time)"
fi
before=$(state P03)
expect 1 "${TIME[@]}" "$NODE" import --dir "$WORK/P03" --collection indicator --skip-invalid "$tmp/bad.csv"
check "100,000 invalid rows: each reported" test "$(grep -c "field 'area'" "$tmp/err")" -eq 100000
check "100,000 invalid rows: nothing written" test "$(state P03)" = "$before"
if [ ${#TIME[@]} -gt 0 ]; then
    echo "data: reading and refusing 100,000 CSV rows: peak RSS $(rss) KiB"
    check "reading 100,000 rows streams: RSS < 32 MiB" test "$(rss)" -lt 32768
fi
store_before=$(du -sk "$WORK/P03" | cut -f1)
expect 0 "${TIME[@]}" "$NODE" import --dir "$WORK/P03" --collection indicator "$tmp/big.csv"
check "100,000 rows imported" grep -q "^imported 100000 records as updates" "$tmp/out"
grown=$(( $(du -sk "$WORK/P03" | cut -f1) - store_before ))
if [ ${#TIME[@]} -gt 0 ]; then
    # One all-or-nothing LMDB transaction keeps its dirty pages in memory until commit, so
    # the peak grows with what is written; nothing else may.
    echo "data: importing 100,000 CSV rows: peak RSS $(rss) KiB, store grew $grown KiB"
    check "import memory = LMDB's pages + < 24 MiB" test "$(rss)" -lt $((grown + 24576))
fi
expect 0 "$NODE" get --dir "$WORK/P03" indicator "P03/P03-C500/financing/2014-Q4/demo_indicator_99999"
check "the last row, exact" test "$(jq -c '[.value, .area, .period]' "$tmp/out")" = '[99999.99,"financing","2014-Q4"]'

finish_checks
