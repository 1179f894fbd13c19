#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Integration test of the programme's reports and exports on the demo programme: a hub and
# 25 nodes on loopback carry tests/tools/demo_data's records (the programme's through
# `cps-hub programme import`, each partner's through its node). Then
#   - `cps-hub report completeness --format json` equals the generator's gaps.json: the
#     totals, the partner x period x area matrix, the late and incomplete partners, every
#     missing indicator and why; CSV and text agree; --period, --partner, --as-of;
#   - exports: one collection's CSV has the schema's columns in docs/DATA.md's order, extra
#     fields sorted after them, and reads back through `cps-node import --collection` to
#     the same values; the filters (partner, country, area, period) select what jq selects
#     from the full export, on the hub, a node and a node's replica alike;
#   - `cps-hub report html` is one self-contained file that headless Chromium (Debian's
#     chromium, installed here when missing; the HTML part is skipped with a message when it
#     cannot be) renders without errors, showing the figures jq computes from the export.
set -euo pipefail
BUILD=${1:?usage: report.sh BUILD_DIR}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
. "$(dirname "$0")/lib.sh"
WORK=$(mktemp -d /tmp/cps-report-XXXXXX)
trap cleanup EXIT
tmp=$WORK/chk
mkdir -p "$tmp"
N=25
AS_OF=2016-03-01 # after every demo period's due date (2015's is 2016-02-29)
jqe() { jq -e "$@" >/dev/null; }

# --- the demo programme through a hub
make_programme "$WORK" $N
"$BUILD/tests/demo_data" "$WORK/data"
D=$WORK/data
G=$D/gaps.json
PORT=$(free_port)
init_hub "$WORK" "$PORT"
"$HUB" programme --dir "$WORK/hub" --key "$WORK/keys/programme.key" import "$D/programme.ndjson" \
    >/dev/null
# an extra pilot action with fields outside the schema (exports keep them, sorted)
echo '{"coll":"pilot_action","key":"P25/P25-PA90","value":{"id":"P25-PA90","area":"rd","title":"Demo extra fields, \"quoted\", with commas","status":"running","start":"2015-05-01","budget_eur":1234.5,"zeta":[1,2.25],"alpha":{"note":"x"}}}' \
    > "$tmp/extra.ndjson"
start_hub "$WORK"
ids=()
for i in $(seq 1 $N); do
    id=$(pid_of "$i"); ids+=("$id")
    init_node "$WORK" "$id" "$PORT"
    "$NODE" import --dir "$WORK/$id" "$D/$id.ndjson" >/dev/null
    start_node "$WORK" "$id"
done
"$NODE" import --dir "$WORK/P25" "$tmp/extra.ndjson" >/dev/null
wait_drained "$WORK" 200 "${ids[@]}" || fail "not every update was acked"
"$HUB" export --dir "$WORK/hub" > "$WORK/all.ndjson"
check "hub holds every demo record" test "$(wc -l < "$WORK/all.ndjson")" -eq \
    "$(cat "$D"/*.ndjson "$tmp/extra.ndjson" | wc -l)"

# --- completeness = gaps.json
R=("$HUB" report --dir "$WORK/hub")
expect 0 "${R[@]}" completeness --format json --as-of $AS_OF
cp "$tmp/out" "$WORK/completeness.json"
C=$WORK/completeness.json
check "expected indicators = gaps.json" test "$(jq .expected_indicators "$C")" -eq "$(jq .expected_indicators "$G")"
check "received indicators = gaps.json" test "$(jq .received_indicators "$C")" -eq "$(jq .received_indicators "$G")"
check "matrix partner x period x area = gaps.json" \
    cmp -s <(jq -S .matrix "$C") <(jq -S .matrix "$G")
check "late partners and their periods = gaps.json" \
    cmp -s <(jq -c '[.late[] | {partner, periods}]' "$C") <(jq -c '[.late[] | {partner, periods}]' "$G")
check "incomplete partners = gaps.json" \
    cmp -s <(jq -c .incomplete "$C") <(jq -c .incomplete "$G")
check "every missing indicator and its reason = gaps.json" \
    cmp -s <(jq -r '.missing[] | "\(.key) \(.reason)"' "$C" | sort) \
    <(jq -r '.missing[] | "\(.key) \(.reason)"' "$G" | sort)
check "reporting rate = received / expected" \
    jqe '(.reporting_rate - (.received_indicators / .expected_indicators)) | fabs < 0.000001' "$C"
check "per-partner totals add up" \
    jqe '([.partners[].expected] | add) == .expected_indicators and ([.partners[].received] | add) == .received_indicators' "$C"
check "the lead partner is complete" jqe '.partners[] | select(.id == "P01") | .reporting_rate == 1' "$C"

expect 0 "${R[@]}" completeness --format csv --as-of $AS_OF
check "csv header" test "$(head -1 "$tmp/out" | tr -d '\r')" = \
    "partner,country,period,area,expected,received,missing,reporting_rate,due,status"
check "csv rows = matrix cells" test "$(($(wc -l < "$tmp/out") - 1))" -eq "$(jq '[.matrix[][][]] | length' "$G")"
check "csv sums = expected, received" test \
    "$(tail -n +2 "$tmp/out" | awk -F, '{ e += $5; r += $6 } END { print e, r }')" = \
    "$(jq -r '"\(.expected_indicators) \(.received_indicators)"' "$G")"
check "csv late cells = the late partners' periods" test \
    "$(tail -n +2 "$tmp/out" | tr -d '\r' | awk -F, '$10 == "late" { print $1, $3 }' | sort -u)" = \
    "$(jq -r '.late[] | .partner as $p | .periods[] | "\($p) \(.)"' "$G" | sort -u)"

expect 0 "${R[@]}" completeness --as-of $AS_OF
cp "$tmp/out" "$WORK/completeness.txt"
late1=$(jq -r '.late[0].partner' "$G")
check "text: a row per partner" test "$(grep -cE '^P[0-9]{2} ' "$WORK/completeness.txt")" -eq $N
check "text: late partner marked LATE" grep -qE "^$late1 .*LATE" "$WORK/completeness.txt"
check "text: the totals" grep -q "^$(jq .received_indicators "$G") of $(jq .expected_indicators "$G") expected indicators received" "$WORK/completeness.txt"

# filters and the date
expect 0 "${R[@]}" completeness --format json --as-of $AS_OF --partner P07
check "--partner: that partner's matrix" cmp -s <(jq -S .matrix "$tmp/out") <(jq -S '.matrix | {P07}' "$G")
expect 0 "${R[@]}" completeness --format json --as-of $AS_OF --period 2015
check "--period 2015: its quarters, halves and year" test \
    "$(jq -r '[.periods[].id] | join(" ")' "$tmp/out")" = "2015-Q1 2015-Q2 2015-Q3 2015-Q4 2015-H1 2015-H2 2015"
check "--period 2015: the matrix restricted" cmp -s <(jq -S .matrix "$tmp/out") \
    <(jq -S '.matrix | map_values(with_entries(select(.key | startswith("2015"))))' "$G")
expect 0 "${R[@]}" completeness --format json --as-of 2016-01-15
check "before 2015-Q4's due date: its gaps are not late" \
    jqe '([.missing[] | select(.period == "2015-Q4" and .reason != "not due")] | length) == 0 and ([.late[].periods[]] | index("2015-Q4") == null)' "$tmp/out"
check "... and 2015-Q3's still are" jqe '[.late[].periods[]] | index("2015-Q3") != null' "$tmp/out"
expect 1 "${R[@]}" completeness --partner P99
expect 2 "${R[@]}" completeness --format xml
expect 2 "${R[@]}" completeness --period 2015-Q5
expect 2 "${R[@]}" completeness --as-of yesterday
expect 2 "${R[@]}" nonsense

# --- exports: one collection's CSV, its columns, and the round trip through import
X=("$HUB" export --dir "$WORK/hub")
expect 0 "${X[@]}" --format csv --collection cluster
check "cluster columns: docs/DATA.md's order" test "$(head -1 "$tmp/out" | tr -d '\r')" = \
    "key,id,name,nuts2,sector,member_firms,employees,founded,areas"
expect 0 "${X[@]}" --format csv --collection indicator
check "indicator columns: docs/DATA.md's order" test "$(head -1 "$tmp/out" | tr -d '\r')" = \
    "key,partner,cluster_id,area,period,indicator,value,unit,source,updated_at,note"
expect 0 "${X[@]}" --format csv --collection pilot_action --partner P25
check "extra fields after the schema's, sorted" test "$(head -1 "$tmp/out" | tr -d '\r')" = \
    "key,id,area,title,status,start,end,budget_eur,evaluation,alpha,zeta"
check "extra fields as JSON, quoted strings" grep -qF 'P25/P25-PA90,P25-PA90,rd,"Demo extra fields, ""quoted"", with commas",running,2015-05-01,,1234.5,,"{""note"":""x""}","[1,2.25]"' "$tmp/out"
"$NODE" init --dir "$WORK/rt" --partner P07 --key "$WORK/keys/P07.key" --roster "$WORK/roster.txt" \
    --programme-key "$(cat "$WORK/programme.vkey")" --hub "tcp://127.0.0.1:9" >/dev/null
for c in cluster indicator pilot_action policy_lesson; do
    "${X[@]}" --format csv --collection $c --partner P07 > "$tmp/P07.$c.csv"
    expect 0 "$NODE" import --dir "$WORK/rt" --collection $c "$tmp/P07.$c.csv"
done
"$NODE" export --dir "$WORK/rt" | norm > "$tmp/rt.ndjson"
check "round trip: hub CSV -> node import -> same records, values exact" \
    cmp -s "$tmp/rt.ndjson" <(norm < "$D/P07.ndjson")
check "one collection's NDJSON = the full export's lines" cmp -s \
    <("${X[@]}" --collection indicator --partner P07) <(grep '"coll":"indicator","key":"P07/' "$WORK/all.ndjson")

# filters = what jq selects from the full export
A=$WORK/all.ndjson
countries() { # the jq map partner -> country, from the partner records
    jq -s -c 'map(select(.coll == "partner") | {(.key): .value.country}) | add' "$A"
}
PC=$(countries)
sel() { # JQ-FILTER: the full export's lines it selects, normalised
    jq -c --argjson pc "$PC" "select($1)" "$A" | norm
}
same() { # WHAT JQ-FILTER EXPORT-ARGS...: the hub's filtered export = jq's selection
    local what=$1 filter=$2
    shift 2
    check "$what" cmp -s <("${X[@]}" "$@" | norm) <(sel "$filter")
}
pkey='(if .coll == "partner" then .key elif (.coll | IN("period", "indicator_definition", "roster")) then null else (.key | split("/")[0]) end)'
same "--partner P07" "$pkey == \"P07\"" --partner P07
same "--country HR" "$pkey != null and \$pc[$pkey] == \"HR\"" --country HR
same "--area rd" '.value.area == "rd" or ((.value.areas // []) | index("rd") != null)' --area rd
within2015='(.value.period // "" | startswith("2015"))'
same "--period 2015" "(.coll == \"period\" and (.key | startswith(\"2015\"))) or $within2015 or (.value.start != null and .coll != \"period\" and .value.start <= \"2015-12-31\" and (.value.end == null or .value.end >= \"2015-01-01\"))" --period 2015
same "--collection indicator --country RS --area financing --period 2015-H1" \
    ".coll == \"indicator\" and \$pc[$pkey] == \"RS\" and .value.area == \"financing\" and (.value.period | IN(\"2015-H1\", \"2015-Q1\", \"2015-Q2\"))" \
    --collection indicator --country RS --area financing --period 2015-H1
same "--collection partner --partner P07: its partner record" '.coll == "partner" and .key == "P07"' \
    --collection partner --partner P07
expect 0 "${X[@]}" --format csv --collection indicator --country AL --period 2014-Q3
check "csv with filters: every row AL, 2014-Q3" test \
    "$(tail -n +2 "$tmp/out" | awk -F, '{ print substr($2, 1, 3), $5 }' | sort -u | tr '\n' ' ')" = "P20 2014-Q3 P21 2014-Q3 "
expect 2 "${X[@]}" --area astrology
expect 2 "${X[@]}" --period 2015-Q7
expect 2 "${X[@]}" --country italy
# a node's own records: countries from the roster (it has no partner records)
check "node export --country: its roster country" test \
    "$("$NODE" export --dir "$WORK/P22" --country HR | wc -l)" -eq "$(wc -l < "$D/P22.ndjson")"
check "node export --country: another country, nothing" test \
    "$("$NODE" export --dir "$WORK/P22" --country IT | wc -l)" -eq 0
# a node's replica: the same filters give the hub's answer once it has the whole log
size=$("$HUB" status --dir "$WORK/hub" | jq .log_size)
deadline=$((SECONDS + 60))
until [ "$("$NODE" status --dir "$WORK/P07" | jq '.replica.entries // 0')" -ge "$size" ]; do
    [ $SECONDS -lt $deadline ] || fail "P07's replica did not catch up"
    sleep 0.2
done
for args in "--collection indicator --country HR --period 2015" "--format csv --collection cluster --area rd" \
    "--format csv --collection pilot_action --period 2015-Q2"; do
    # shellcheck disable=SC2086
    check "replica export $args = hub export" cmp -s <("$NODE" replica export --dir "$WORK/P07" $args) \
        <("${X[@]}" $args)
done

# --- the HTML programme report
expect 0 "${R[@]}" html --as-of $AS_OF "$WORK/report.html"
H=$WORK/report.html
check "html: one file, no scripts, nothing fetched" \
    bash -c '! grep -qiE "<script|<link|<img|<iframe|<object|<embed|src=|url\(|@import|href=\"?(https?:)?//" "$1"' _ "$H"
check "html: inline CSS and SVG" bash -c 'grep -q "<style>" "$1" && grep -q "<svg" "$1"' _ "$H"
expect 2 "${R[@]}" html
expect 2 "${R[@]}" html --format json "$WORK/x.html"
expect 0 "${R[@]}" html - --as-of $AS_OF
check "html: '-' is stdout" grep -q '</html>' "$tmp/out"

# Headless Chromium (Debian's chromium): installed when missing, as root or with sudo.
CHROME=$(command -v chromium || true)
if [ -z "$CHROME" ]; then
    SUDO=()
    [ "$(id -u)" -eq 0 ] || SUDO=(sudo -n)
    if [ "$(id -u)" -eq 0 ] || sudo -n true 2>/dev/null; then
        echo "report: installing chromium (apt-get) to render the HTML report"
        export DEBIAN_FRONTEND=noninteractive
        "${SUDO[@]}" apt-get install -y -q chromium >"$WORK/apt.log" 2>&1 ||
            { "${SUDO[@]}" apt-get update -q >>"$WORK/apt.log" 2>&1 &&
              "${SUDO[@]}" apt-get install -y -q chromium >>"$WORK/apt.log" 2>&1; } || true
    fi
    CHROME=$(command -v chromium || true)
fi
if [ -z "$CHROME" ]; then
    finish_checks || exit 1
    echo "SKIP: chromium is not installed and could not be installed (apt-get install chromium);"
    echo "      the HTML report was written but not rendered"
    exit 77
fi
# render PAGE DOM LOG [extra args]: load a page headless, DOM to DOM, Chromium's log to LOG
render() {
    local page=$1 dom=$2 log=$3
    shift 3
    timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --no-first-run \
        --disable-extensions --disable-background-networking --user-data-dir="$WORK/chrome" \
        --enable-logging=stderr --v=0 "$@" "file://$page" >"$dom" 2>"$log"
}
page_errors() { # LOG PAGE: console messages or errors that name the page
    grep -qE ':CONSOLE|Uncaught|ERROR:.*('"$(basename "$2")"'|file://)' "$1"
}
# the error check itself, on a page that has one
printf '<!DOCTYPE html><html><body><script>undefinedFn()</script></body></html>' > "$tmp/bad.html"
render "$tmp/bad.html" "$tmp/bad.dom" "$tmp/bad.log" --dump-dom || true
check "chromium reports a broken page's error" page_errors "$tmp/bad.log" "$tmp/bad.html"
render "$H" "$WORK/report.dom" "$WORK/chrome.log" --dump-dom || fail "chromium could not load the report"
DOM=$WORK/report.dom
check "chromium: the page loads, whole" grep -q '</footer>' "$DOM"
check "chromium: no console message or error about the page" bash -c '! grep -E ":CONSOLE|Uncaught|ERROR:.*(report\.html|file://)" "$1"' _ "$WORK/chrome.log"
render "$H" /dev/null "$WORK/chrome-shot.log" --hide-scrollbars --window-size=1300,7000 \
    --screenshot="$WORK/report.png" || true
check "chromium: a screenshot" test "$(stat -c %s "$WORK/report.png" 2>/dev/null || echo 0)" -gt 100000
[ -n "${KEEP:-}" ] && echo "report: screenshot $WORK/report.png"

# the figures, computed here from the full export
check "cards: partners, clusters, reporting rate" bash -c 'grep -q "data-figure=\"partners\">25<" "$1" &&
    grep -q "data-figure=\"clusters\">$2<" "$1" && grep -q "data-figure=\"reporting-rate\">$3%<" "$1"' _ \
    "$DOM" "$(grep -c '"coll":"cluster"' "$A")" "$(jq '.received_indicators * 100 / .expected_indicators | floor' "$G")"
# heat map cells: partner period expected received = gaps.json's matrix
jq -r '.matrix | to_entries[] | .key as $p | .value | to_entries[] |
       "\($p) \(.key) \([.value[][0]] | add // 0) \([.value[][1]] | add // 0)"' "$G" | sort > "$tmp/heat.want"
grep -oE 'data-partner="P[0-9]+" data-period="[0-9HQ-]+" data-expected="[0-9]+" data-received="[0-9]+"' "$DOM" |
    sed -E 's/[a-z-]+="([^"]*)"/\1/g' | sort > "$tmp/heat.got"
check "heat map: every partner x period = gaps.json" cmp -s "$tmp/heat.want" "$tmp/heat.got"
check "heat map: the late partners listed" test \
    "$(grep -oE 'data-late="P[0-9]+"' "$DOM" | cut -d'"' -f2 | tr '\n' ' ')" = "$(jq -r '[.late[].partner] | join(" ")' "$G") "
# indicator totals: the latest period with data, by country (sums; means for percent)
totals() { # AREA/CODE MODE: "country value" lines, and "all value"
    jq -s -r --arg want "$1" --arg mode "$2" '
        (map(select(.coll == "partner") | {(.key): .value.country}) | add) as $pc
        | (map(select(.coll == "period") | {(.key): .value.end}) | add) as $ends
        | map(select(.coll == "indicator" and ((.key | split("/")) as $s | "\($s[2])/\($s[4])") == $want)) as $v
        | ($v | map(.value.period) | unique | max_by($ends[.])) as $latest
        | ($v | map(select(.value.period == $latest))) as $w
        | def fig: if $mode == "sum" then (map(.value.value) | add) else ((map(.value.value) | add) / length) end;
          ($w | group_by($pc[.value.partner]) | map("\($pc[.[0].value.partner]) \(fig)") | .[]),
          "all \($w | fig)"' "$A"
}
dom_figure() { # AREA/CODE COUNTRY: the figure in the page, without thousands separators
    grep -oE "data-def=\"$1\" data-country=\"$2\">[^<]*<" "$DOM" | sed -E 's/.*>([^<]*)<$/\1/; s/,//g'
}
figures_ok() { # AREA/CODE MODE: every country's figure within rounding of jq's
    local def=$1 mode=$2 c v got bad=0 n=0
    while read -r c v; do
        n=$((n + 1))
        got=$(dom_figure "$def" "$c")
        if ! awk -v a="$v" -v b="$got" 'BEGIN { d = a - b; if (d < 0) d = -d;
                 exit !(b != "" && d <= (a >= 1000 || a <= -1000 ? 0.5 : 0.005) + 1e-9) }'; then
            echo "$def $c: page shows '$got', expected $v" >&2
            bad=1
        fi
    done < <(totals "$def" "$mode")
    [ "$n" -gt 1 ] || { echo "$def: no figures computed" >&2; bad=1; }
    return $bad
}
check "totals: patent applications by country (sum)" figures_ok innovation/patent_applications sum
check "totals: R&D expenditure by country (sum, EUR thousand)" figures_ok rd/rd_expenditure sum
check "totals: R&D personnel, half-yearly, some types only" figures_ok rd/rd_personnel sum
check "totals: renewable energy share (mean)" figures_ok sustainability/renewable_energy_share mean
check "totals: exact whole numbers" test "$(dom_figure innovation/patent_applications all)" = \
    "$(totals innovation/patent_applications sum | awk '$1 == "all" { print $2 }')"
# pilot actions by status, and sync health from the hub's state
for s in completed running planned cancelled; do
    check "pilot actions $s" grep -q "data-status=\"$s\">$(jq -r "select(.coll == \"pilot_action\" and .value.status == \"$s\") | .key" "$A" | wc -l)<" "$DOM"
done
"$HUB" status --dir "$WORK/hub" | jq -r '.partners[] | "\(.id) \(.accepted) \(.rejected)"' > "$tmp/sync.want"
grep -oE '<tr data-partner="P[0-9]+">.*data-accepted="[0-9]+".*data-rejected="[0-9]+"' "$DOM" |
    sed -E 's/<tr data-partner="([^"]+)">.*data-accepted="([0-9]+)".*data-rejected="([0-9]+)"/\1 \2 \3/' > "$tmp/sync.got"
check "sync health: accepted and rejected per partner = hub status" cmp -s "$tmp/sync.want" "$tmp/sync.got"

finish_checks
