#!/bin/bash
# SPDX-License-Identifier: ISC
#
# Black-box test of cps-keys: exact exit codes (0 done, 1 the answer is no, 2 could not run)
# for key generation, public identities, and the roster's new/add/sign/verify/show cycle,
# with a must-fail twin for each must-pass. Usage: keys.sh /path/to/cps-keys
set -eu

BUILD=${1:?usage: keys.sh BUILD_DIR}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
. "$(dirname "$0")/lib.sh"
keys=$KEYS
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

name=clusterpolisee.eu/programme

# --- help and misuse ---
expect 0 "$keys" --help
check "--help goes to stdout" grep -q '^usage: cps-keys' "$tmp/out"
expect 2 "$keys"
expect 2 "$keys" frobnicate
expect 0 "$keys" gen --help
check "gen --help on stdout" grep -q 'cps-keys gen' "$tmp/out"
expect 2 "$keys" gen
expect 2 "$keys" gen --bogus x.key
expect 2 "$keys" gen a.key b.key
expect 0 "$keys" roster --help
expect 2 "$keys" roster
expect 2 "$keys" roster frob

# --- gen ---
expect 0 "$keys" gen prog.key
check "gen prints the key id" grep -Eq '^key id [0-9a-f]{16}$' "$tmp/out"
check "key file is 0600" test "$(stat -c %a prog.key)" = 600
check "key file is 80 bytes" test "$(stat -c %s prog.key)" -eq 80
cp prog.key prog.key.bak
expect 2 "$keys" gen prog.key                   # never overwrites
check "refused gen leaves the key alone" cmp -s prog.key prog.key.bak
expect 0 "$keys" gen prog.key --force
check "--force replaces the key" test "$(cmp -s prog.key prog.key.bak; echo $?)" -ne 0
mv prog.key.bak prog.key
expect 0 "$keys" gen hub.key
expect 0 "$keys" gen p07.key
expect 0 "$keys" gen p08.key
expect 0 "$keys" gen other.key
ln -s prog.key link.key
expect 2 "$keys" gen link.key                   # not through a symlink

# --- pub ---
expect 0 "$keys" pub prog.key
check "pub prints one cps1: token" grep -Eq '^cps1:[A-Za-z0-9+/]{128}$' "$tmp/out"
check "pub prints one line" test "$(wc -l <"$tmp/out")" -eq 1
expect 0 "$keys" pub prog.key --vkey "$name"
check "pub --vkey prints a verifier key" \
    grep -Eq "^$name\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}\$" "$tmp/out"
vkey=$(cat "$tmp/out")
other_vkey=$("$keys" pub other.key --vkey "$name")
expect 2 "$keys" pub prog.key --vkey "bad name"
expect 2 "$keys" pub prog.key --vkey
expect 2 "$keys" pub missing.key
expect 2 "$keys" pub link.key                   # symlinked key file refused
cp prog.key open.key
chmod 0644 open.key
expect 2 "$keys" pub open.key                   # mode 0644 refused
chmod 0640 open.key
expect 2 "$keys" pub open.key
chmod 0600 open.key
expect 0 "$keys" pub open.key
head -c 79 prog.key >short.key
chmod 0600 short.key
expect 2 "$keys" pub short.key                  # truncated
cp prog.key flip.key
printf '\x55' | dd of=flip.key bs=1 seek=30 conv=notrunc status=none
expect 2 "$keys" pub flip.key                   # checksum
hub=$("$keys" pub hub.key)
p07=$("$keys" pub p07.key)
p08=$("$keys" pub p08.key)

# --- roster new ---
expect 0 "$keys" roster new --programme clusterpolisee --programme-key prog.key --name "$name" \
    --hub "$hub" -o roster.txt
check "new writes serial 1" grep -qx 'serial 1' roster.txt
check "new writes the programme key" grep -qx "programme-key $vkey" roster.txt
expect 2 "$keys" roster new --programme clusterpolisee --programme-key prog.key --name "$name" \
    --hub "$hub" -o roster.txt                  # exists
expect 2 "$keys" roster new --programme clusterpolisee --programme-key prog.key --name "$name" \
    --hub "cps1:nope" -o r2.txt
expect 2 "$keys" roster new --programme "bad id" --programme-key prog.key --name "$name" \
    --hub "$hub" -o r2.txt
expect 2 "$keys" roster new --programme clusterpolisee --name "$name" --hub "$hub"
chmod 0644 open.key
expect 2 "$keys" roster new --programme clusterpolisee --programme-key open.key --name "$name" \
    --hub "$hub" -o r2.txt
check "no roster written on failure" test ! -e r2.txt
expect 0 "$keys" roster new --programme clusterpolisee --programme-key prog.key --name "$name" \
    --hub "$hub"
check "new without -o writes stdout" cmp -s "$tmp/out" roster.txt

# --- unsigned roster does not verify ---
expect 1 "$keys" roster verify roster.txt --programme "$vkey"

# --- roster add ---
expect 0 "$keys" roster add roster.txt --id P07 --country IT --type development-agency \
    --status active --pub "$p07" --name "Demo Agency"
check "add raises the serial" grep -qx 'serial 2' roster.txt
check "add writes the partner" \
    grep -q "^partner P07 IT development-agency active $p07 Demo Agency\$" roster.txt
cp roster.txt before-add.txt
expect 1 "$keys" roster add roster.txt --id P07 --country IT --type university \
    --pub "$p08" --name "Again"                 # already listed
expect 1 "$keys" roster add roster.txt --id P08 --country IT --type university \
    --pub "$p07" --name "Same keys"             # keys already used
expect 2 "$keys" roster add roster.txt --id P8 --country IT --type university \
    --pub "$p08" --name "X"
expect 2 "$keys" roster add roster.txt --id P08 --country it --type university \
    --pub "$p08" --name "X"
expect 2 "$keys" roster add roster.txt --id P08 --country IT --type company \
    --pub "$p08" --name "X"
expect 2 "$keys" roster add roster.txt --id P08 --country IT --type university \
    --status sleeping --pub "$p08" --name "X"
expect 2 "$keys" roster add roster.txt --id P08 --country IT --type university \
    --pub "cps1:AAAA" --name "X"
expect 2 "$keys" roster add roster.txt --id P08 --country IT --type university --pub "$p08"
expect 2 "$keys" roster add missing.txt --id P08 --country IT --type university \
    --pub "$p08" --name "X"
check "refused adds leave the roster alone" cmp -s roster.txt before-add.txt
expect 0 "$keys" roster add roster.txt --id P08 --country AT --type public-authority \
    --pub "$p08" --name "Land Steiermark"
expect 0 "$keys" roster add roster.txt --id P07 --country IT --type development-agency \
    --status inactive --pub "$p07" --name "Demo Agency" --replace
check "replace keeps one P07" test "$(grep -c '^partner P07 ' roster.txt)" -eq 1
check "replace changes the status" grep -q '^partner P07 IT development-agency inactive ' roster.txt
check "serial is 4" grep -qx 'serial 4' roster.txt

# --- roster sign ---
expect 1 "$keys" roster sign roster.txt --key other.key --name "$name"   # not the programme key
expect 1 "$keys" roster sign roster.txt --key prog.key --name other.example/key
check "refused sign leaves it unsigned" test "$(grep -c $'^\xe2\x80\x94 ' roster.txt || true)" -eq 0
expect 2 "$keys" roster sign roster.txt --key open.key --name "$name"    # key file 0644
expect 2 "$keys" roster sign roster.txt
expect 0 "$keys" roster sign roster.txt --key prog.key --name "$name"
check "one signature line" test "$(grep -c $'^\xe2\x80\x94 ' roster.txt)" -eq 1
expect 0 "$keys" roster sign roster.txt --key prog.key              # name from the roster
check "re-signing replaces our line" test "$(grep -c $'^\xe2\x80\x94 ' roster.txt)" -eq 1

# --- roster verify ---
expect 0 "$keys" roster verify roster.txt --programme "$vkey"
check "verify says ok" grep -q '^ok: ' "$tmp/out"
expect 1 "$keys" roster verify roster.txt --programme "$other_vkey"   # wrong pinned key
expect 2 "$keys" roster verify roster.txt --programme "garbage"
expect 2 "$keys" roster verify roster.txt
expect 2 "$keys" roster verify missing.txt --programme "$vkey"
expect 0 "$keys" roster verify - --programme "$vkey" <roster.txt
sed 's/Land Steiermark/Land Steiermarx/' roster.txt >edited.txt
expect 1 "$keys" roster verify edited.txt --programme "$vkey"         # edited after signing
check "reason names the key" grep -q 'not signed by programme key' "$tmp/err"
sed 's/^serial 4$/serial 5/' roster.txt >edited.txt
expect 1 "$keys" roster verify edited.txt --programme "$vkey"
head -c -2 roster.txt >edited.txt
expect 1 "$keys" roster verify edited.txt --programme "$vkey"         # truncated
# a forged roster: a copy whose programme-key line names the other key, signed by it
sed "s|^programme-key .*|programme-key $other_vkey|" before-add.txt >forged.txt
expect 0 "$keys" roster sign forged.txt --key other.key --name "$name"
expect 0 "$keys" roster verify forged.txt --programme "$other_vkey"
expect 1 "$keys" roster verify forged.txt --programme "$vkey"
# malformed body lines name their line number
sed 's/^partner P07 IT /partner P07 Italy /' before-add.txt >bad.txt
expect 1 "$keys" roster show bad.txt
check "error names the line" grep -q 'line 6' "$tmp/err"

# --- roster show ---
expect 0 "$keys" roster show roster.txt --programme "$vkey"
check "show: one line per partner" test "$(grep -c '^P0[78] ' "$tmp/out")" -eq 2
expect 0 "$keys" roster show roster.txt
check "show warns when not checked" grep -q 'not checked' "$tmp/err"
expect 1 "$keys" roster show edited.txt --programme "$vkey"

# --- add after signing drops the signature ---
expect 0 "$keys" roster add roster.txt --id P09 --country SI --type university \
    --pub "$("$keys" pub hub.key)" --name "Hub Keys Reused"
expect 1 "$keys" roster add roster.txt --id P10 --country SI --type university \
    --pub "$("$keys" pub hub.key)" --name "Hub Keys Reused Twice"
check "add dropped the signature" test "$(grep -c $'^\xe2\x80\x94 ' roster.txt || true)" -eq 0
expect 1 "$keys" roster verify roster.txt --programme "$vkey"
expect 0 "$keys" roster sign roster.txt --key prog.key
expect 0 "$keys" roster verify roster.txt --programme "$vkey"
check "no temp files left" test -z "$(ls -a | grep -E '\.tmp' || true)"

finish_checks
