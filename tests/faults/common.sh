# SPDX-License-Identifier: ISC
# Shared by the fault scenarios (tests/faults/*.sh), on top of ../cli/lib.sh: real hub and
# node processes on 127.0.0.1, faults injected from outside (SIGKILL, SIGTERM, a TCP relay,
# a small store map, the hub's CPS_FAULT_DROP_ACKS test hook), and at the end of each
# scenario the same verdict: every outbox drained, the hub's export equal to the nodes'
# union and every update logged exactly once (check_exact), the log verified by cps-audit
# and its replay equal to the export.
#
#   CPS_FAULTS_QUICK=1   run at the quick subset's scale (tests/faults/quick.sh sets it)
#   CPS_FAULT_SEED=N     replay the random moments of an earlier run (each run prints its seed)
#   KEEP=1               keep the work directory (logs, stores) after the run
#
# A scenario sources this with BUILD set, then calls fault_setup NAME.

. "$(dirname "${BASH_SOURCE[0]}")/../cli/lib.sh"
RELAY=$BUILD/tests/relay
AUDIT=$BUILD/cps-audit
QUICK=${CPS_FAULTS_QUICK:-}
BG=()      # helper loops (writers) started here: stopped before cleanup
KILLED=0   # SIGKILLs sent
START_S=$SECONDS

# fault_setup NAME: work directory, exit trap, random seed.
fault_setup() {
    SCENARIO=$1
    WORK=$(mktemp -d "/tmp/cps-faults-$1-XXXXXX")
    trap fault_exit EXIT
    SEED=${CPS_FAULT_SEED:-$(( ($(date +%s) + $$) % 1000000 ))}
    RANDOM=$SEED
    mkdir -p "$WORK/tmpd"
    export TMPDIR=$WORK/tmpd # cps-audit's temporary store
    echo "$SCENARIO: seed $SEED (CPS_FAULT_SEED=$SEED replays its random choices)${QUICK:+, quick scale}"
}

fault_exit() {
    local status=$? p
    [ -n "${WORK:-}" ] && touch "$WORK/stop"
    for p in "${BG[@]}"; do wait "$p" 2>/dev/null || true; done
    BG=()
    set +e # cleanup reads the status from $?
    (exit "$status")
    cleanup
}

# forget_pid PID: a process that is gone (killed here) leaves the list cleanup stops.
forget_pid() {
    local p keep=()
    for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    PIDS=("${keep[@]}")
}

# kill9 PID: SIGKILL, reaped.
kill9() {
    kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    forget_pid "$1"
    KILLED=$((KILLED + 1))
}

# stop_clean PID WHAT: SIGTERM; it must exit 0 within 10 s.
stop_clean() {
    local rc=0 deadline=$((SECONDS + 10))
    kill -TERM "$1"
    while kill -0 "$1" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
    kill -0 "$1" 2>/dev/null && fail "$2 did not stop within 10 s of SIGTERM"
    wait "$1" || rc=$?
    forget_pid "$1"
    [ "$rc" -eq 0 ] || fail "$2 exited $rc after SIGTERM"
}

# rand LO HI: a random integer in [LO, HI].
rand() { echo $(( $1 + RANDOM % ($2 - $1 + 1) )); }

# sleep_ms MS
sleep_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }

hub_json() { "$HUB" status --dir "$WORK/hub"; }
hub_size() { hub_json | jq .log_size; }
# hub_seq ID: the last seq the hub logged for ID
hub_seq() { hub_json | jq --arg id "$1" '.partners[] | select(.id==$id) | .last_seq'; }
# node_field ID FIELD: a field of cps-node status
node_field() { "$NODE" status --dir "$WORK/$1" | jq -r ".$2"; }
# written ID: the updates ID has written so far
written() { echo $(( $(node_field "$1" next_seq) - 1 )); }
# pending ID...: updates written but not yet logged by the hub, summed
pending() {
    local id sum=0 status
    status=$(hub_json)
    for id in "$@"; do
        sum=$(( sum + $(written "$id") - $(echo "$status" | jq --arg id "$id" \
            '.partners[] | select(.id==$id) | .last_seq') ))
    done
    echo "$sum"
}
# size_above N: the hub's log holds more than N entries
size_above() { [ "$(hub_size)" -gt "$1" ]; }
# drained ID: ID's outbox is empty
drained() { [ "$(outbox_depth "$WORK" "$1")" = 0 ]; }
# seq_at_least ID N: the hub logged at least N updates of ID
seq_at_least() { [ "$(hub_seq "$1")" -ge "$2" ]; }

# import_chunk ID FROM COUNT BATCH [SEED]: records FROM..FROM+COUNT-1 of gen_records ID
# (a SEED other than the default writes new values for the same keys), as updates of at
# most BATCH records.
import_chunk() {
    "$GEN" "$1" $(($2 + $3)) ${5:+"$5"} | tail -n "$3" |
        "$NODE" import --dir "$WORK/$1" --batch "$4" - >/dev/null
}

# writer ID RECORDS: a background loop that keeps ID writing until $WORK/stop exists:
# chunks of 20..200 records at random offsets (new keys and new values for old ones),
# batches of 1..20 records, now and then a delete, a pause of WRITER_PAUSE_MS ("LO HI",
# default 50..400 ms) between chunks. Each loop has its own random stream.
writer() {
    local id=$1 records=$2 round=0
    (
        RANDOM=$(( SEED + 10#${id#P} * 7919 ))
        while [ ! -e "$WORK/stop" ]; do
            round=$((round + 1))
            n=$(rand 20 200)
            from=$(rand 0 $((records - n)))
            import_chunk "$id" "$from" "$n" "$(rand 1 20)" "$round" ||
                { echo "$id: import failed" >> "$WORK/writer.err"; exit 1; }
            if [ $((round % 5)) = 0 ]; then
                # a key of the first chunk: it exists (written before the load started)
                rc=0
                "$NODE" del --dir "$WORK/$id" indicator \
                    "$("$GEN" "$id" "$round" | tail -n 1 | jq -r .key)" >/dev/null 2>&1 || rc=$?
                # 1: not there (not written yet, or deleted and not written again): fine
                [ "$rc" -le 1 ] || { echo "$id: del exit $rc" >> "$WORK/writer.err"; exit 1; }
            fi
            sleep_ms "$(rand ${WRITER_PAUSE_MS:-50 400})"
        done
    ) &
    BG+=($!)
}

# stop_writers: end the writer loops, and fail if any of them failed.
stop_writers() {
    local p
    touch "$WORK/stop"
    for p in "${BG[@]}"; do wait "$p" || true; done
    BG=()
    rm -f "$WORK/stop"
    [ ! -s "$WORK/writer.err" ] || fail "writers: $(head -3 "$WORK/writer.err")"
}

# all_alive PID...: each process still runs (no daemon died on its own).
all_alive() {
    local p
    for p in "$@"; do kill -0 "$p" 2>/dev/null || fail "process $p died on its own"; done
}

# audit_check [nocheckpoint]: the hub's log, as an audit bundle, verifies offline, and
# replaying it gives the hub's export exactly (no entry corrupted, the view agrees with the
# log). First it signs a checkpoint over the whole log, unless told not to write to the
# store (a CLI that writes also records its own, larger map size in the store).
audit_check() {
    local b=$WORK/bundle-$RANDOM
    [ "${1:-}" = nocheckpoint ] || "$HUB" checkpoint --dir "$WORK/hub" >/dev/null ||
        fail "cps-hub checkpoint"
    "$HUB" audit-bundle --dir "$WORK/hub" "$b" >/dev/null || fail "cps-hub audit-bundle"
    "$AUDIT" verify --programme-key "$(cat "$WORK/programme.vkey")" "$b" > "$WORK/audit.out" ||
        fail "cps-audit verify: $(tail -3 "$WORK/audit.out")"
    "$AUDIT" replay --programme-key "$(cat "$WORK/programme.vkey")" "$b" | norm > "$WORK/replay.ndjson" ||
        fail "cps-audit replay"
    "$HUB" export --dir "$WORK/hub" | norm | cmp -s - "$WORK/replay.ndjson" ||
        fail "the log's replay differs from the hub's export"
    rm -rf "$b"
}

# verdict ID...: drained, exact, audited; prints the scenario's figures line.
# Extra figures (key=value) come from $FIGURES.
verdict() {
    local t0=$SECONDS
    wait_drained "$WORK" "${DRAIN_TIMEOUT:-300}" "$@" || fail "outboxes did not drain"
    DRAIN_S=$((SECONDS - t0))
    check_exact "$WORK" "$@"
    audit_check
    RECORDS=$(wc -l < "$WORK/hub.ndjson")
    echo "figures: scenario=$SCENARIO nodes=$# updates=$LOG_TOTAL records=$RECORDS" \
         "kills=$KILLED ${FIGURES:-}drain_s=$DRAIN_S seconds=$((SECONDS - START_S)) seed=$SEED"
    echo "$SCENARIO: 0 lost, 0 duplicated: $LOG_TOTAL updates logged exactly once," \
         "$RECORDS records equal on hub and nodes, log verified by cps-audit"
}
