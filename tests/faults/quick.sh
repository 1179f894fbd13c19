#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# The fault suite's quick subset, for CI (meson suite 'integration'): every scenario of
# tests/faults/ at a small scale: 5 hub kills under a 5-node load, one node killed in the
# hub's commit-ack window (CPS_FAULT_DROP_ACKS) and two at random, a 5 s hub outage, a node
# catching up 1,000 queued updates, a relay that stalls, cuts and slows, and a disk-full hub
# that resumes with a larger map. Each scenario checks its exact verdict itself.
# The full suite: ./scripts/test --faults (meson test --suite faults).
set -euo pipefail
BUILD=$1
here=$(dirname "$0")
export CPS_FAULTS_QUICK=1
t0=$SECONDS
for s in hub-kills node-kills hub-outage offline-node link disk-full; do
    t=$SECONDS
    bash "$here/$s.sh" "$BUILD" || {
        echo "FAIL: fault scenario $s (run it alone: CPS_FAULTS_QUICK=1 $here/$s.sh $BUILD)" >&2
        exit 1
    }
    echo "quick: $s passed in $((SECONDS - t)) s"
done
echo "quick fault suite: 6 scenarios passed in $((SECONDS - t0)) s"
