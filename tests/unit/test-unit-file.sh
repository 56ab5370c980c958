#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bootrace-collect.service as the build writes it passes systemd-analyze
# verify (its ExecStart pointed at the built binary, which must exist), and
# says what the unit must: oneshot, early, no failure on exit 3 or 4.
#
#   test-unit-file.sh UNIT BOOTRACE
# Exit 0 pass, 1 fail, 77 skip (no systemd-analyze).
set -eu

UNIT=$1 BOOTRACE=$(realpath "$2")
command -v systemd-analyze >/dev/null 2>&1 || { echo "no systemd-analyze: skipped"; exit 77; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

sed "s|^ExecStart=[^ ]*bootrace |ExecStart=$BOOTRACE |" "$UNIT" > "$WORK/bootrace-collect.service"
grep -q "^ExecStart=$BOOTRACE " "$WORK/bootrace-collect.service" || { echo "FAIL: no ExecStart running bootrace"; exit 1; }
rc=0
SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no "$WORK/bootrace-collect.service" > "$WORK/out" 2>&1 || rc=$?
# The man pages are not installed here (--man=no). Only what concerns this
# unit counts: verify also loads the system's own units.
if [ $rc -ne 0 ] || grep -q 'bootrace-collect' "$WORK/out"; then
	echo "FAIL: systemd-analyze verify (exit $rc):"
	cat "$WORK/out"
	exit 1
fi
for want in '^Type=oneshot$' '^DefaultDependencies=no$' '^SuccessExitStatus=3 4$' \
	    '^StateDirectory=bootrace$' '^TimeoutStartSec=' '^ConditionKernelCommandLine='; do
	grep -q "$want" "$UNIT" || { echo "FAIL: the unit lacks $want"; exit 1; }
done
# Nothing waits for it, so it cannot delay the boot: no Before= but shutdown.
if grep '^Before=' "$UNIT" | grep -qv '^Before=shutdown.target$'; then
	echo "FAIL: the unit orders itself before something the boot waits for"
	exit 1
fi
# The command line it runs parses (as --help: no tracefs needed).
cmd=$(sed -n 's/^ExecStart=[^ ]*bootrace //p' "$UNIT")
# shellcheck disable=SC2086
"$BOOTRACE" $cmd --help > /dev/null || { echo "FAIL: '$cmd' does not parse"; exit 1; }
echo "ok: systemd-analyze verify passes; the unit runs 'bootrace $cmd'"
