# SPDX-License-Identifier: ISC
# Shared helpers for the black-box tests and the demo: a programme (keys, signed roster),
# a hub and nodes as real processes on loopback, and a cleanup that stops every process
# started here. Source it with BUILD set to the meson build directory.

: "${BUILD:?BUILD must name the build directory}"
KEYS=$BUILD/cps-keys
NODE=$BUILD/cps-node
HUB=$BUILD/cps-hub
GEN=$BUILD/tests/gen_records
PIDS=()

# Countries of the programme: 8 EU member states and 3 IPA countries (MISSION.md).
COUNTRIES=(IT IT IT IT AT AT BG BG GR GR GR HU HU RO RO SK SK SI SI AL AL HR HR RS RS)
TYPES=(public-authority development-agency research-institute university innovation-agency
       cluster-network)

# Stop every process started here with SIGTERM. Each must stop cleanly (exit 0, which
# under the sanitizers also means no leak) within 10 s (CPS_STOP_TIMEOUT: tests/valgrind.sh
# gives daemons under valgrind longer), or the test fails.
cleanup() {
    local status=$? p rc live=() bad=0
    for p in "${PIDS[@]}"; do
        if kill -0 "$p" 2>/dev/null; then kill -TERM "$p"; live+=("$p"); fi
    done
    local wait_s=${CPS_STOP_TIMEOUT:-10}
    local deadline=$((SECONDS + wait_s))
    for p in "${live[@]}"; do
        while kill -0 "$p" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
        if kill -0 "$p" 2>/dev/null; then
            echo "FAIL: process $p did not stop within $wait_s s of SIGTERM" >&2
            kill -KILL "$p" 2>/dev/null || true
            bad=1
        fi
        rc=0; wait "$p" 2>/dev/null || rc=$?
        if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
            echo "FAIL: process $p exited $rc after SIGTERM" >&2
            bad=1
        fi
    done
    PIDS=()
    if [ "$bad" -ne 0 ] && [ -n "${WORK:-}" ]; then tail -n 20 "$WORK"/*.log >&2 || true; fi
    if [ -n "${WORK:-}" ] && [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; fi
    if [ "$bad" -ne 0 ]; then exit 1; fi
    exit "$status"
}

# fail MESSAGE: say what failed, with the tail of every daemon's log, and stop.
fail() {
    echo "FAIL: $*" >&2
    if [ -n "${WORK:-}" ]; then
        local f
        for f in "$WORK"/*.log; do
            [ -f "$f" ] && { echo "--- $f" >&2; tail -n 8 "$f" >&2; }
        done
    fi
    exit 1
}

# Counted checks for black-box tests: expect RC CMD... runs CMD (stdout in $tmp/out, stderr
# in $tmp/err) and compares its exit code; check WHAT TEST... is a plain assertion;
# finish_checks prints "N passed, N failed" and fails when any did.
checks=0 fails=0
expect() {
    local want=$1 rc=0
    shift
    checks=$((checks + 1))
    "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
    if [ "$rc" -ne "$want" ]; then
        fails=$((fails + 1))
        echo "FAIL: exit $rc, wanted $want: $*" >&2
        sed 's/^/  stderr: /' "$tmp/err" >&2
    fi
}
check() {
    local what=$1
    shift
    checks=$((checks + 1))
    if ! "$@"; then
        fails=$((fails + 1))
        echo "FAIL: $what" >&2
    fi
}
finish_checks() {
    echo "$((checks - fails)) passed, $fails failed"
    test "$fails" -eq 0
}

# A free TCP port on 127.0.0.1 (nothing answers a connect there).
free_port() {
    local p
    for _ in $(seq 1 100); do
        p=$((20000 + RANDOM % 12000)) # below the ephemeral ports (32768 up): no self-connect
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
    done
    fail "no free port"
}

pid_of() { printf 'P%02d' "$1"; }

# demo_cluster PARTNER N [NAME]: a valid value (JSON) for cluster key PARTNER/PARTNER-Cnnn
# (docs/DATA.md), clearly demo data.
demo_cluster() {
    printf '{"id":"%s-C%03d","name":"%s","nuts2":"ITH3","sector":"C26","member_firms":12,' \
        "$1" "$2" "${3:-Demo Cluster $2 ($1)}"
    printf '"employees":120,"founded":2008,"areas":["innovation","rd"]}'
}

# make_programme DIR N: programme key, hub key, N partner keys, a signed roster.
make_programme() {
    local dir=$1 n=$2 i id
    mkdir -p "$dir/keys"
    "$KEYS" gen "$dir/keys/programme.key" >/dev/null
    "$KEYS" gen "$dir/keys/hub.key" >/dev/null
    "$KEYS" pub --vkey ClusterPoliSEE "$dir/keys/programme.key" > "$dir/programme.vkey"
    "$KEYS" roster new --programme ClusterPoliSEE --programme-key "$dir/keys/programme.key" \
        --name ClusterPoliSEE --hub "$("$KEYS" pub "$dir/keys/hub.key")" -o "$dir/roster.txt"
    for i in $(seq 1 "$n"); do
        id=$(pid_of "$i")
        "$KEYS" gen "$dir/keys/$id.key" >/dev/null
        "$KEYS" roster add "$dir/roster.txt" --id "$id" \
            --country "${COUNTRIES[$(( (i - 1) % 25 ))]}" \
            --type "${TYPES[$(( (i - 1) % 6 ))]}" --status active \
            --pub "$("$KEYS" pub "$dir/keys/$id.key")" --name "Demo partner $id" 2>/dev/null
    done
    "$KEYS" roster sign "$dir/roster.txt" --key "$dir/keys/programme.key" --name ClusterPoliSEE
}

# init_hub DIR PORT
init_hub() {
    "$HUB" init --dir "$1/hub" --key "$1/keys/hub.key" --roster "$1/roster.txt" \
        --programme-key "$(cat "$1/programme.vkey")" --listen "tcp://127.0.0.1:$2" >/dev/null
}

# start_hub DIR [extra args]: sets HUB_PID
start_hub() {
    local dir=$1; shift
    "$HUB" run --dir "$dir/hub" "$@" 2>>"$dir/hub.log" &
    HUB_PID=$!
    PIDS+=("$HUB_PID")
}

# hub_listening DIR [STARTS]: until hub.log holds more than STARTS (default 0) "started" lines,
# that is until the hub started last has bound its socket; fails when it exits first or after
# 30 s. A benchmark starts its clients only then, as PostgreSQL's run once its server is up.
hub_listening() {
    local n=0
    until [ "$(grep -c 'info started programme' "$1/hub.log" 2>/dev/null)" -gt "${2:-0}" ]; do
        kill -0 "$HUB_PID" 2>/dev/null || fail "the hub exited: $(tail -1 "$1/hub.log")"
        n=$((n + 1)); [ $n -ge 600 ] && fail "the hub did not start within 30 s"
        sleep 0.05
    done
}

# init_node DIR ID PORT
init_node() {
    "$NODE" init --dir "$1/$2" --partner "$2" --key "$1/keys/$2.key" --roster "$1/roster.txt" \
        --programme-key "$(cat "$1/programme.vkey")" --hub "tcp://127.0.0.1:$3" >/dev/null
}

# start_node DIR ID [extra args]: sets NODE_PID
start_node() {
    local dir=$1 id=$2; shift 2
    "$NODE" run --dir "$dir/$id" "$@" 2>>"$dir/$id.log" &
    NODE_PID=$!
    PIDS+=("$NODE_PID")
}

# wait_until TIMEOUT WHAT CMD...: until CMD succeeds, or fail after TIMEOUT seconds.
wait_until() {
    local timeout=$1 what=$2; shift 2
    local deadline=$((SECONDS + timeout))
    until "$@"; do
        [ $SECONDS -ge $deadline ] && fail "timed out after ${timeout} s: $what"
        sleep 0.1
    done
}

# outbox_depth DIR ID
outbox_depth() { "$NODE" status --dir "$1/$2" | jq -r .outbox_depth; }

# wait_drained DIR TIMEOUT ID...: until every node's outbox is empty
wait_drained() {
    local dir=$1 timeout=$2 id left; shift 2
    local deadline=$((SECONDS + timeout))
    while :; do
        left=0
        for id in "$@"; do
            [ "$(outbox_depth "$dir" "$id")" = 0 ] || left=$((left + 1))
        done
        [ "$left" = 0 ] && return 0
        [ $SECONDS -ge $deadline ] && { echo "wait_drained: $left nodes not drained" >&2; return 1; }
        sleep 0.2
    done
}

# Normalised export (sorted keys inside values, sorted lines), for exact comparison.
norm() { jq -cS . | sort; }

# check_exact DIR ID...: the hub's export equals the union of the nodes' records, and every
# update was logged exactly once (per partner last_seq == accepted + rejected == the node's
# last update; the log holds exactly their sum, plus PROG_UPDATES updates of the programme
# key, whose programme-owned records are left out of the comparison). Sets LOG_TOTAL.
check_exact() {
    local dir=$1 id status next seq acc rej total=${PROG_UPDATES:-0}; shift
    for id in "$@"; do "$NODE" export --dir "$dir/$id"; done | norm > "$dir/nodes.ndjson"
    "$HUB" export --dir "$dir/hub" |
        jq -c 'select(.coll | IN("partner", "period", "indicator_definition") | not)' |
        norm > "$dir/hub.ndjson"
    cmp -s "$dir/nodes.ndjson" "$dir/hub.ndjson" || {
        diff "$dir/nodes.ndjson" "$dir/hub.ndjson" | head -5 >&2
        fail "hub export differs from the nodes' union"
    }
    status=$("$HUB" status --dir "$dir/hub")
    for id in "$@"; do
        next=$("$NODE" status --dir "$dir/$id" | jq .next_seq)
        read -r seq acc rej < <(echo "$status" | jq -r --arg id "$id" \
            '.partners[] | select(.id==$id) | "\(.last_seq) \(.accepted) \(.rejected)"')
        [ "$seq" -eq $((next - 1)) ] && [ $((acc + rej)) -eq "$seq" ] \
            || fail "$id: hub last_seq=$seq accepted=$acc rejected=$rej, node next_seq=$next"
        total=$((total + seq))
    done
    [ "$(echo "$status" | jq .log_size)" -eq "$total" ] || fail "log size differs from the updates sent"
    LOG_TOTAL=$total
}
