#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A boot unit as the build writes it (bootrace-collect.service,
# bootrace-decoder.service, bootrace-decoder-late.service) passes
# systemd-analyze verify (its ExecStart pointed at the built binary, which
# must exist), and says what the unit must: oneshot, confined; the two
# early ones without default dependencies; collect no failure on exit 3 or
# 4, save-decoder none on exit 3.
#
#   test-unit-file.sh UNIT BOOTRACE
# Prints TAP; exit 0 pass, 1 fail, 77 skip (no systemd-analyze).
set -eu

UNIT=$1 BOOTRACE=$(realpath "$2")
NAME=$(basename "$UNIT")
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/tap.sh"
command -v systemd-analyze >/dev/null 2>&1 || skip_all "no systemd-analyze"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

sed "s|^ExecStart=[^ ]*bootrace |ExecStart=$BOOTRACE |" "$UNIT" > "$WORK/$NAME"
grep -q "^ExecStart=$BOOTRACE " "$WORK/$NAME" || bail_out "no ExecStart running bootrace in $UNIT"
rc=0
SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no "$WORK/$NAME" > "$WORK/out" 2>&1 || rc=$?
# The man pages are not installed here (--man=no). Only what concerns this
# unit counts: verify also loads the system's own units.
if [ $rc -eq 0 ] && ! grep -q "${NAME%.service}" "$WORK/out"; then
	ok "systemd-analyze verify passes"
else
	not_ok "systemd-analyze verify passes (exit $rc)"
	sed 's/^/#   /' "$WORK/out"
fi
for want in '^Type=oneshot$' '^StateDirectory=bootrace$' '^TimeoutStartSec=' \
	    '^ConditionKernelCommandLine='; do
	check "the unit has $want" grep -q "$want" "$UNIT"
done
case $NAME in
bootrace-collect.service)
	check "the unit has ^DefaultDependencies=no$" grep -q '^DefaultDependencies=no$' "$UNIT"
	check "the unit has ^SuccessExitStatus=3 4$" grep -q '^SuccessExitStatus=3 4$' "$UNIT" ;;
bootrace-decoder.service)
	check "the unit has ^DefaultDependencies=no$" grep -q '^DefaultDependencies=no$' "$UNIT"
	check "the unit comes after collect" grep -q '^After=.*bootrace-collect.service' "$UNIT"
	check "the unit has ^SuccessExitStatus=3$" grep -q '^SuccessExitStatus=3$' "$UNIT" ;;
bootrace-decoder-late.service)
	check "the unit comes after multi-user.target" grep -q '^After=.*multi-user.target' "$UNIT"
	check "the unit has ^SuccessExitStatus=3$" grep -q '^SuccessExitStatus=3$' "$UNIT" ;;
esac
# Nothing waits for it, so it cannot delay the boot: no Before= but shutdown.
if grep '^Before=' "$UNIT" | grep -qv '^Before=shutdown.target$'; then
	not_ok "the unit orders itself before nothing the boot waits for" "$(grep '^Before=' "$UNIT")"
else
	ok "the unit orders itself before nothing the boot waits for"
fi
# Confined as far as collect allows: systemd's own rating (0 safe, 10
# exposed) of the unit file as the build writes it. The systemd image test
# rates the installed unit under real systemd too.
rc=0
systemd-analyze security --offline=yes --no-pager "$WORK/$NAME" > "$WORK/security" 2>&1 || rc=$?
exposure=$(sed -n "s/.*Overall exposure level for $NAME: \([0-9.]*\).*/\1/p" "$WORK/security")
if [ -z "$exposure" ] && grep -q "offline" "$WORK/security"; then
	skip "systemd-analyze security rates the unit at most 4.0" "this systemd-analyze cannot rate a unit file offline"
elif awk -v e="$exposure" 'BEGIN { exit !(e != "" && e + 0 <= 4.0) }'; then
	ok "systemd-analyze security rates the unit at most 4.0 ($exposure)"
else
	not_ok "systemd-analyze security rates the unit at most 4.0 (${exposure:-no rating}, exit $rc)"
	grep -E ' [0-9]\.[0-9]+ *$' "$WORK/security" | sed 's/^/#   /'
fi
# The command line it runs parses (as --help: no tracefs needed).
cmd=$(sed -n 's/^ExecStart=[^ ]*bootrace //p' "$UNIT")
parses() { "$BOOTRACE" "$@" --help > /dev/null; }
# shellcheck disable=SC2086
check "the command line it runs, 'bootrace $cmd', parses" parses $cmd
tap_done
