#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Integration (e): the auditor. Three nodes and a hostile client (whose updates are partly
# rejected) fill a hub's log; cps-hub audit-bundle writes it out; cps-audit verify must pass
# it with the counts of cps-hub status, and replay must rebuild the hub's dataset exactly.
# Then every kind of tampering must fail with exit 1 and a line naming where: one flipped
# byte at hundreds of positions of each file, entries removed, swapped, duplicated, cut
# short, a wrong programme key; and receipts of cps-node prove must check offline.
set -euo pipefail
BUILD=$1
. "$(dirname "$0")/lib.sh"
AUDIT=$BUILD/cps-audit
WORK=$(mktemp -d /tmp/cps-audit-XXXXXX)
trap cleanup EXIT
tmp=$WORK/chk
mkdir -p "$tmp" "$WORK/tmpd"
export TMPDIR=$WORK/tmpd # where cps-audit keeps its temporary store: must be left empty

# --- a programme: P01-P03 run nodes, P04 is the hostile client, P05 is inactive, and the
# programme key writes one programme-owned record
make_programme "$WORK" 5
"$KEYS" roster add "$WORK/roster.txt" --replace --id P05 --country AT --type university \
    --status inactive --pub "$("$KEYS" pub "$WORK/keys/P05.key")" --name "Demo partner P05" 2>/dev/null
"$KEYS" roster sign "$WORK/roster.txt" --key "$WORK/keys/programme.key" --name ClusterPoliSEE
"$KEYS" gen "$WORK/keys/stranger.key" >/dev/null
PORT=$(free_port)
init_hub "$WORK" "$PORT"
start_hub "$WORK"
for id in P01 P02 P03; do
    init_node "$WORK" "$id" "$PORT"
    "$GEN" "$id" 100 > "$WORK/$id.ndjson"
    "$NODE" import --dir "$WORK/$id" --batch 1 "$WORK/$id.ndjson" >/dev/null
    start_node "$WORK" "$id"
done
"$NODE" del --dir "$WORK/P02" indicator "P02/P02-C001/innovation/2013-Q1" >/dev/null
"$HUB" programme --dir "$WORK/hub" --key "$WORK/keys/programme.key" \
    put period 2016-Q3 '{"label":"2016 Q3","start":"2016-07-01","end":"2016-09-30","due":"2016-10-31"}' \
    >/dev/null
"$BUILD/tests/hostile" "tcp://127.0.0.1:$PORT" "$WORK/roster.txt" "$(cat "$WORK/programme.vkey")" \
    P04 "$WORK/keys/P04.key" "$WORK/keys/stranger.key" P05 "$WORK/keys/P05.key" \
    > "$WORK/hostile.out" || true # its own verdicts are integration-hostile's business
wait_drained "$WORK" 60 P01 P02 P03 || fail "outboxes did not drain"
"$HUB" checkpoint --dir "$WORK/hub" >/dev/null
"$HUB" audit-bundle --dir "$WORK/hub" "$WORK/b" >/dev/null
B=$WORK/b
PK=$(cat "$WORK/programme.vkey")
HK=$(cat "$B/hub.vkey")

# named WHAT PATTERN: the last command's stderr matches PATTERN
named() {
    checks=$((checks + 1))
    if ! grep -q "$2" "$tmp/err"; then
        fails=$((fails + 1))
        echo "FAIL: $1: stderr: $(head -c 300 "$tmp/err")" >&2
    fi
}

# --- the honest bundle verifies, and says what the hub says
expect 0 "$AUDIT" verify --programme-key "$PK" "$B"
cp "$tmp/out" "$WORK/summary"
field() { awk -v k="$1" '$1 == k { print $2 }' "$WORK/summary"; }
"$HUB" status --dir "$WORK/hub" > "$WORK/status.json"
check "summary entries = hub log_size" [ "$(field entries)" = "$(jq .log_size "$WORK/status.json")" ]
check "summary records = hub records" [ "$(field records)" = "$(jq .records "$WORK/status.json")" ]
check "the programme key's update is counted" grep -q '^programme  *last_seq 1 accepted 1 rejected 0$' "$WORK/summary"
check "summary accepted = hub accepted + the programme's" \
    [ "$(field accepted)" = "$(jq '[.partners[].accepted] | add + 1' "$WORK/status.json")" ]
check "summary rejected = hub rejected" [ "$(field rejected)" = "$(jq '[.partners[].rejected] | add' "$WORK/status.json")" ]
check "the hostile client's updates were partly rejected" [ "$(field rejected)" -gt 0 ]
check "summary partners = 4" [ "$(field partners)" = 4 ]
jq -r '.partners[] | select(.last_seq > 0) |
       "partner \(.id) last_seq \(.last_seq) accepted \(.accepted) rejected \(.rejected)"' \
    "$WORK/status.json" > "$WORK/want.partners"
check "per-partner counts = hub status" \
    diff <(grep '^partner ' "$WORK/summary" | tr -s ' ') "$WORK/want.partners"
check "covered by the last checkpoint" grep -q "checkpoints .* (last at size $(field entries))" \
    "$WORK/summary"
check "no warning" [ ! -s "$tmp/err" ]
expect 0 "$AUDIT" verify --jobs 0 --programme-key "$PK" "$B"
expect 0 "$AUDIT" verify --jobs 1 --programme-key "$PK" "$B"
expect 0 "$AUDIT" verify "$B"
named "the bundle's own key is warned about" "warning: the programme key comes from the bundle"

# --- replay rebuilds the hub's dataset exactly
"$HUB" export --dir "$WORK/hub" | norm > "$WORK/hub.ndjson"
expect 0 "$AUDIT" replay --programme-key "$PK" "$B"
check "replay = hub export" cmp -s <(norm < "$tmp/out") "$WORK/hub.ndjson"
"$HUB" export --dir "$WORK/hub" --format csv --partner P02 > "$WORK/hub.csv"
expect 0 "$AUDIT" replay --programme-key "$PK" --format csv --partner P02 "$B"
check "replay csv --partner = hub export" cmp -s "$tmp/out" "$WORK/hub.csv"
expect 0 "$AUDIT" replay --programme-key "$PK" --collection period "$B"
check "replay --collection = hub export" cmp -s "$tmp/out" <("$HUB" export --dir "$WORK/hub" --collection period)
check "replay --collection period holds the programme's record" [ "$(wc -l < "$tmp/out")" -eq 1 ]

# --- could not run: exit 2
expect 2 "$AUDIT" verify
expect 2 "$AUDIT" verify --programme-key "$PK" "$WORK/nonexistent"
expect 2 "$AUDIT" verify --programme-key not-a-key "$B"
expect 2 "$AUDIT" verify --jobs x --programme-key "$PK" "$B"
expect 2 "$AUDIT" replay --format xml --programme-key "$PK" "$B"
expect 0 "$AUDIT" verify --help
check "help has an example" grep -q "Example" "$tmp/out"

# a wrong programme key: the roster is not signed by it
"$KEYS" gen "$WORK/keys/other.key" >/dev/null
expect 1 "$AUDIT" verify --programme-key "$("$KEYS" pub --vkey ClusterPoliSEE "$WORK/keys/other.key")" "$B"
named "wrong programme key names roster.txt" "^cps-audit verify: roster.txt: "
expect 1 "$AUDIT" replay --programme-key "$("$KEYS" pub --vkey ClusterPoliSEE "$WORK/keys/other.key")" "$B"
check "replay writes nothing unless verified" [ ! -s "$tmp/out" ]

# hub.vkey (for checking receipts) must be the roster's hub key
rm -rf "$WORK/r" && cp -r "$B" "$WORK/r"
sed -i 's/+/+0/' "$WORK/r/hub.vkey"
expect 1 "$AUDIT" verify --programme-key "$PK" "$WORK/r"
named "a wrong hub.vkey is named" "^cps-audit verify: hub.vkey: not the hub key of the roster"
cp "$WORK/programme.vkey" "$WORK/r/hub.vkey"
expect 1 "$AUDIT" verify --programme-key "$PK" "$WORK/r"
named "a wrong hub.vkey is named" "^cps-audit verify: hub.vkey: not the hub key of the roster"

# --- one flipped byte (xor 0x01) anywhere: exit 1, naming where
T=$WORK/t
cp -r "$B" "$T"
flip() { # flip FILE POS: xor the byte at POS with 0x01 (twice restores it)
    local b
    b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "\\$(printf '%03o' $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
n_flips=0
tamper() { # tamper FILE POS PATTERN: the flipped bundle fails, naming PATTERN
    local f=$1 pos=$2 pat=$3 rc=0
    flip "$T/$f" "$pos"
    "$AUDIT" verify --programme-key "$PK" "$T" >"$tmp/out" 2>"$tmp/err" || rc=$?
    flip "$T/$f" "$pos"
    checks=$((checks + 1)) n_flips=$((n_flips + 1))
    if [ "$rc" -ne 1 ] || ! grep -Eq "^cps-audit verify: ($pat)" "$tmp/err" || [ -s "$tmp/out" ]; then
        fails=$((fails + 1))
        echo "FAIL: $f byte $pos flipped: exit $rc, stderr: $(head -c 300 "$tmp/err")" >&2
    fi
}
# roster.txt: every byte of one partner line (its keys) and of the signature line
line_span() { # line_span FILE REGEX: "start end" byte offsets of the first matching line
    awk -v re="$2" 'BEGIN { pos = 0 } { len = length($0) + 1
        if ($0 ~ re) { print pos, pos + len - 1; exit } pos += len }' "$1"
}
for re in '^partner P02 ' '^— '; do
    read -r s e < <(LC_ALL=C line_span "$B/roster.txt" "$re")
    for pos in $(seq "$s" "$e"); do tamper roster.txt "$pos" 'roster\.txt: '; done
done
# checkpoints.txt: every byte of the first checkpoint (its "checkpoint <bytes>" line, size,
# root, dataset line and signature) and the size line and signature of the last
first_len=$(head -1 "$B/checkpoints.txt" | awk '{ print $2 }')
first_end=$(( $(head -1 "$B/checkpoints.txt" | wc -c) + first_len - 1 ))
for pos in $(seq 0 "$first_end"); do tamper checkpoints.txt "$pos" 'checkpoint'; done
cps_size=$(stat -c %s "$B/checkpoints.txt")
last_at=$(LC_ALL=C grep -abo '^checkpoint [0-9]*$' "$B/checkpoints.txt" | tail -1 | cut -d: -f1)
for pos in $(seq "$last_at" $((last_at + 40))) $(seq $((cps_size - 60)) 7 $((cps_size - 1))); do
    tamper checkpoints.txt "$pos" 'checkpoint'
done
# entries.bin: index it (offset of each length prefix, entry length)
offs=() lens=()
size=$(stat -c %s "$B/entries.bin")
pos=0
while [ "$pos" -lt "$size" ]; do
    len=$(od -An -tu1 -j "$pos" -N4 "$B/entries.bin" | awk '{ print $1*16777216 + $2*65536 + $3*256 + $4 }')
    offs+=("$pos") lens+=("$len")
    pos=$((pos + 4 + len))
done
N=${#offs[@]}
check "entries.bin holds the log" [ "$N" -eq "$(field entries)" ]
# entry layout: [bin signed update, status, code, reason, received_ms (0xcf + 8 bytes)]; the
# update ends with its 64-byte signature: the last 12 bytes are status, code, reason "" (for
# an applied entry) and received_ms
picks=()
for k in $(seq 0 $(( (N - 1) / 16 )) $((N - 1))); do picks+=("$k"); done
for k in "${picks[@]}"; do
    o=${offs[$k]} l=${lens[$k]} e=$(( ${offs[$k]} + 4 + ${lens[$k]} ))
    for pos in "$o" $((o + 2)) $((o + 3)) $((o + 4)) $((o + 7)) $((o + 4 + l / 3)) \
               $((o + 4 + l / 2)) $((e - 76)) $((e - 50)) $((e - 13)) $((e - 12)) \
               $((e - 11)) $((e - 10)) $((e - 9)) $((e - 5)) $((e - 1)); do
        tamper entries.bin "$pos" 'entry |checkpoint |entries\.bin: '
    done
done
# every byte after the signed update of the rejected entries: status, code, reason (the
# rules' words), received_ms
n_rej=0
for k in $(seq 0 $((N - 1))); do
    o=$(( ${offs[$k]} + 4 ))
    read -r t b1 b2 < <(od -An -tu1 -j $((o + 1)) -N3 "$B/entries.bin")
    if [ "$t" -eq 197 ]; then st=$((o + 4 + b1 * 256 + b2)); else st=$((o + 3 + b1)); fi
    [ "$(od -An -tu1 -j "$st" -N1 "$B/entries.bin" | tr -d ' ')" = 1 ] || continue
    n_rej=$((n_rej + 1))
    for pos in $(seq "$st" 3 $(( o + ${lens[$k]} - 1 ))); do
        tamper entries.bin "$pos" 'entry |checkpoint '
    done
done
check "rejected entries found in entries.bin" [ "$n_rej" -eq "$(field rejected)" ]
echo "tamper: $n_flips single-byte flips checked"

# --- whole entries removed, swapped, duplicated, cut: exit 1 naming an entry
entry_bytes() { dd if="$B/entries.bin" bs=1 skip="${offs[$1]}" count=$((4 + ${lens[$1]})) status=none; }
p02=()
for k in $(seq 0 $((N - 1))); do
    # through a file: grep stops at its first match, and dd must not die of SIGPIPE
    entry_bytes "$k" > "$WORK/one.bin"
    if LC_ALL=C grep -aq 'P02/P02-C0' "$WORK/one.bin"; then p02+=("$k"); fi
    [ ${#p02[@]} -ge 3 ] && break
done
check "found P02 entries" [ ${#p02[@]} -eq 3 ]
rebuild() { # rebuild K...: a bundle whose entries.bin holds entries K... in that order
    local k
    rm -rf "$WORK/r" && cp -r "$B" "$WORK/r"
    for k in "$@"; do entry_bytes "$k"; done > "$WORK/r/entries.bin"
}
all_but() { seq 0 $((N - 1)) | grep -vx "$1"; }
k=${p02[1]}
rebuild $(all_but "$k")
expect 1 "$AUDIT" verify --programme-key "$PK" "$WORK/r"
named "removed entry is named" "^cps-audit verify: entry $(( ${p02[2]} - 1 )) (partner P02 seq 3): seq does not follow"
a=${p02[0]} b=${p02[2]}
rebuild $(seq 0 $((N - 1)) | sed "s/^$a\$/X/; s/^$b\$/$a/; s/^X\$/$b/")
expect 1 "$AUDIT" verify --programme-key "$PK" "$WORK/r"
named "swapped entries are named" "^cps-audit verify: entry $a (partner P02 seq [0-9]*): seq does not follow"
rebuild $(seq 0 "$k") $(seq "$k" $((N - 1)))
expect 1 "$AUDIT" verify --programme-key "$PK" "$WORK/r"
named "duplicated entry is named" "^cps-audit verify: entry $((k + 1)) (partner P02 seq [0-9]*): seq does not follow"
rebuild $(seq 0 $((N - 2)))
expect 1 "$AUDIT" verify --programme-key "$PK" "$WORK/r"
named "a missing last entry is named by its checkpoint" "^cps-audit verify: checkpoint $N: the bundle holds only $((N - 1)) entries"
rebuild $(seq 0 $((N - 1)))
check "rebuild is faithful" cmp -s "$B/entries.bin" "$WORK/r/entries.bin"
head -c $((size - 10)) "$B/entries.bin" > "$WORK/r/entries.bin"
expect 1 "$AUDIT" verify --programme-key "$PK" "$WORK/r"
named "truncation is named" "^cps-audit verify: entries.bin: truncated at byte $((size - 10))"
: > "$WORK/r/checkpoints.txt"
cp "$B/entries.bin" "$WORK/r/entries.bin"
expect 1 "$AUDIT" verify --programme-key "$PK" "$WORK/r"
named "no checkpoint at all" "no signed checkpoint covers the $N entries"
# entries past the last checkpoint: warned about, not failed
awk -v keep="$(( $(grep -c '^checkpoint ' "$B/checkpoints.txt") - 1 ))" '
    /^checkpoint [0-9]+$/ { n++ } n > keep { exit } { print }' "$B/checkpoints.txt" \
    > "$WORK/r/checkpoints.txt"
expect 0 "$AUDIT" verify --programme-key "$PK" "$WORK/r"
named "uncovered entries are warned about" "past the last checkpoint are not covered by a signature"

# --- receipts of cps-node prove, checked offline with the hub's key
"$NODE" prove --dir "$WORK/P01" seq 1 > "$WORK/r.json"
expect 0 "$AUDIT" inclusion --hub-key "$HK" "$WORK/r.json"
check "inclusion says verified" grep -q "^inclusion verified: entry " "$tmp/out"
jq '.proof[0] |= (if .[0:1] == "0" then "1" else "0" end) + .[1:]' "$WORK/r.json" > "$WORK/r-bad.json"
expect 1 "$AUDIT" inclusion --hub-key "$HK" "$WORK/r-bad.json"
idx=$(jq .index "$WORK/r.json")
entry_bytes "$idx" | tail -c +5 > "$WORK/entry.bin"
expect 0 "$AUDIT" inclusion --hub-key "$HK" --entry "$WORK/entry.bin" "$WORK/r.json"
check "--entry names the update" grep -q "partner P01 seq 1" "$tmp/out"
entry_bytes $((idx + 1)) | tail -c +5 > "$WORK/entry2.bin"
expect 1 "$AUDIT" inclusion --hub-key "$HK" --entry "$WORK/entry2.bin" "$WORK/r.json"
jq 'del(.leaf_hash)' "$WORK/r.json" > "$WORK/r-noleaf.json"
expect 1 "$AUDIT" inclusion --hub-key "$HK" --entry "$WORK/entry2.bin" "$WORK/r-noleaf.json"
expect 2 "$AUDIT" inclusion --hub-key "$HK" "$WORK/r-noleaf.json"
expect 1 "$AUDIT" inclusion --hub-key "$PK" "$WORK/r.json"
jq '.index += 1' "$WORK/r.json" > "$WORK/r-idx.json"
expect 1 "$AUDIT" inclusion --hub-key "$HK" "$WORK/r-idx.json"
expect 2 "$AUDIT" inclusion "$WORK/r.json"
expect 2 "$AUDIT" inclusion --hub-key "$HK" "$WORK/missing.json"
# consistency from the first checkpoint of the bundle to the latest
first_size=$(sed -n 3p "$B/checkpoints.txt")
# (dd, not tail | head: head stops early, and tail must not die of SIGPIPE under pipefail)
dd if="$B/checkpoints.txt" bs=1 skip="$(head -1 "$B/checkpoints.txt" | wc -c)" count="$first_len" \
    status=none > "$WORK/old.txt"
"$NODE" prove --dir "$WORK/P01" consistency "$first_size" > "$WORK/c.json" || true
expect 0 "$AUDIT" consistency --hub-key "$HK" --old "$WORK/old.txt" "$WORK/c.json"
check "consistency says verified" grep -q "^consistency verified: the log of size $first_size " "$tmp/out"
expect 2 "$AUDIT" consistency --hub-key "$HK" "$WORK/c.json"
jq '.proof[-1] |= (if .[0:1] == "0" then "1" else "0" end) + .[1:]' "$WORK/c.json" > "$WORK/c-bad.json"
expect 1 "$AUDIT" consistency --hub-key "$HK" --old "$WORK/old.txt" "$WORK/c-bad.json"
expect 1 "$AUDIT" consistency --hub-key "$HK" --old "$WORK/c.json" "$WORK/c.json"
expect 1 "$AUDIT" consistency --hub-key "$HK" --old "$WORK/old.txt" "$WORK/r.json"

check "no temporary store left behind" [ -z "$(ls -A "$TMPDIR")" ]
echo "audit: bundle of $N entries verified and replayed; $n_flips flipped bytes, removed, swapped, duplicated and cut entries all caught"
finish_checks
