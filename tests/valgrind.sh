#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# valgrind memcheck of the main integration test: tests/cli/sync.sh (a hub and
# CPS_SYNC_NODES nodes, 5 by default, each importing CPS_SYNC_RECORDS records, 40 by default,
# plus a put and a delete while the daemons run) with every cps process under valgrind:
# the hub and node daemons and every CLI command the test runs (init, import, put, del,
# status, export, keys). Each process writes its own valgrind log; the test passes when
# every one reports 0 errors and 0 bytes definitely lost (--errors-for-leak-kinds=definite:
# a definite leak counts as an error and makes the process exit 1, which the test notices
# too). tests/valgrind.supp holds the suppressions for third-party libraries, each with why.
#   tests/valgrind.sh BUILD                 (meson test --suite valgrind; scripts/test --valgrind)
#   KEEP=1 tests/valgrind.sh BUILD          keep the valgrind logs
#   CPS_VALGRIND_ORIGINS=1 ...              --track-origins=yes (twice as slow; for a report)
set -euo pipefail
BUILD=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v valgrind >/dev/null; then
    echo "valgrind: not installed (apt-get install valgrind): skipped"
    exit 77
fi
if grep -q "fsanitize" "$BUILD/build.ninja" 2>/dev/null; then
    echo "valgrind: $BUILD is a sanitizer build; valgrind needs a plain one: skipped"
    exit 77
fi

WRAP=$(mktemp -d /tmp/cps-valgrind-XXXXXX)
VG=$WRAP/logs
mkdir -p "$VG" "$WRAP/tests"
trap '[ -n "${KEEP:-}" ] && echo "valgrind logs kept in $VG" >&2 || rm -rf "$WRAP"' EXIT

# A build folder whose cps binaries are valgrind wrappers; the test tools stay native.
origins=
[ -n "${CPS_VALGRIND_ORIGINS:-}" ] && origins=--track-origins=yes
# Two things valgrind makes slow, worked around here and nowhere else:
# - the test polls 'cps-node status' of every node five times a second until the outboxes
#   drain: each node's first status runs under valgrind, the rest natively, or the polls
#   alone would starve the daemons of CPU;
# - the store is an LMDB map with MDB_WRITEMAP, 8 GiB by default, and every commit msyncs
#   the whole map: the kernel skips its unused pages, but valgrind checks all 8 GiB first,
#   for seconds of CPU per commit. The daemons (run) get a map of CPS_VALGRIND_MAP_MIB.
map_mib=${CPS_VALGRIND_MAP_MIB:-256}
for b in cps-hub cps-node cps-keys cps-audit; do
    cat > "$WRAP/$b" <<WRAPPER
#!/bin/sh
if [ "\$1" = status ]; then
    seen="$VG/status-\$(printf '%s' "\$*" | cksum | cut -d' ' -f1)"
    [ -e "\$seen" ] && exec "$BUILD/$b" "\$@"
    : > "\$seen"
fi
[ "\$1" = run ] && set -- "\$@" --map-size $map_mib
exec valgrind --tool=memcheck --fair-sched=yes --error-exitcode=1 --leak-check=full \\
    --errors-for-leak-kinds=definite --show-leak-kinds=definite $origins \\
    --num-callers=30 --suppressions="$top/tests/valgrind.supp" \\
    --log-file="$VG/$b.%p.log" "$BUILD/$b" "\$@"
WRAPPER
    chmod +x "$WRAP/$b"
done
for t in "$BUILD"/tests/*; do
    [ -f "$t" ] && [ -x "$t" ] && ln -s "$t" "$WRAP/tests/"
done

start=$SECONDS
rc=0
CPS_SYNC_NODES=${CPS_SYNC_NODES:-5} CPS_SYNC_RECORDS=${CPS_SYNC_RECORDS:-40} \
    CPS_SYNC_TIMEOUT=${CPS_SYNC_TIMEOUT:-600} CPS_STOP_TIMEOUT=${CPS_STOP_TIMEOUT:-60} \
    bash "$top/tests/cli/sync.sh" "$WRAP" || rc=$?

# every process's verdict, from its own log
procs=0 errors=0 definite=0 bad=()
for log in "$VG"/cps-*.log; do
    procs=$((procs + 1))
    e=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$log" | tr -d , | tail -1)
    d=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tr -d , | tail -1)
    if [ -z "$e" ]; then
        bad+=("$log (no summary: the process did not exit)")
        continue
    fi
    errors=$((errors + e))
    definite=$((definite + ${d:-0}))
    if [ "$e" -ne 0 ] || [ "${d:-0}" -ne 0 ]; then bad+=("$log"); fi
done
echo "valgrind: $procs processes (hub, nodes, CLI) in $((SECONDS - start)) s: $errors errors," \
     "$definite bytes definitely lost"
if [ ${#bad[@]} -gt 0 ]; then
    for log in "${bad[@]}"; do
        echo "--- $log" >&2
        f=${log%% *}
        [ -f "$f" ] && grep -v "^==[0-9]*== *$" "$f" | head -60 >&2
    done
    KEEP=1
    echo "0 passed, 1 failed"
    exit 1
fi
if [ "$rc" -ne 0 ] || [ "$procs" -eq 0 ]; then
    echo "valgrind: the integration test itself failed (exit $rc)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
echo "1 passed, 0 failed"
