#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# The systemd units meson configures from dist/ pass 'systemd-analyze verify' (with ExecStart
# pointed at the binaries just built, since verify wants them to exist), carry the hardening
# operators rely on, and keep a low exposure in 'systemd-analyze security'. Skipped (exit
# 77) where systemd-analyze is missing (apt-get install systemd) or cannot run here.
set -euo pipefail
BUILD=$(cd "$1" && pwd)
tmp=$(mktemp -d /tmp/cps-units-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

if ! command -v systemd-analyze >/dev/null; then
    echo "SKIP: systemd-analyze not installed (apt-get install systemd)"
    exit 77
fi
printf '[Unit]\nDescription=probe\n[Service]\nExecStart=/bin/true\n' > "$tmp/probe.service"
if ! systemd-analyze verify "$tmp/probe.service" >/dev/null 2>&1; then
    echo "SKIP: systemd-analyze verify cannot run in this environment"
    exit 77
fi

for u in cps-hub cps-node; do
    [ -f "$BUILD/dist/$u.service" ] || fail "$BUILD/dist/$u.service was not configured"
    sed -E "s#^ExecStart=[^ ]*/(cps-[a-z]+) #ExecStart=$BUILD/\\1 #" "$BUILD/dist/$u.service" \
        > "$tmp/$u.service"
done
expect 0 systemd-analyze verify "$tmp/cps-hub.service" "$tmp/cps-node.service"
check "verify says nothing" test ! -s "$tmp/err"
for u in cps-hub cps-node; do
    f=$tmp/$u.service
    for d in 'User=cps' 'StateDirectory=cps' 'ConfigurationDirectory=cps' 'NoNewPrivileges=yes' \
             'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' 'PrivateDevices=yes' \
             'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' \
             'SystemCallFilter=@system-service' 'MemoryDenyWriteExecute=yes' \
             'LockPersonality=yes' 'RestrictNamespaces=yes' 'CapabilityBoundingSet=' \
             'UMask=0077' 'Restart=on-failure' 'ExecReload=/bin/kill -HUP $MAINPID'; do
        check "$u: $d" grep -qxF "$d" "$f"
    done
    check "$u: runs with --config /etc/cps" grep -q "^ExecStart=.* run --config /etc/cps/" "$f"
    # exposure 0 (best) .. 10: stay at or below 2.0
    if systemd-analyze security --offline=yes "$f" >"$tmp/sec" 2>&1; then
        echo "$u: $(tail -n 1 "$tmp/sec")"
        expect 0 systemd-analyze security --offline=yes --threshold=20 "$f"
    fi
done
finish_checks
