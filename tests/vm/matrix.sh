#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The lifecycle test on one kernel of each line that matters, as the Debian
# archive offers them today: 6.12 (the oldest with persistent instances),
# 6.18 (the last without backups), 6.19 and 7.0 (writable backups), 7.1
# (the first read-only, self-removing backup) and the newest. The oldest
# and newest lines offered are always included; --all takes every line.
#
# Usage: matrix.sh [--all] [--cpus N] [--bootrace PATH] [--keep DIR]
# Prints TAP, one test per kernel with lifecycle.sh's own checks as
# comments. Exit 0 all passed, 1 a kernel failed, 77 no kernel available.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/host-lib.sh"
WANTED_LINES="6.12 6.18 6.19 7.0 7.1"
all=false cpus=$VM_CPUS bootrace= keep=

while [ $# -gt 0 ]; do
	case $1 in
	--all) all=true ;;
	--cpus) cpus=$2; shift ;;
	--bootrace) bootrace=$2; shift ;;
	--keep) keep=$2; shift ;;
	-h|--help) sed -n '4,12p' "$0"; exit 0 ;;
	*) echo "matrix: unknown argument: $1" >&2; exit 2 ;;
	esac
	shift
done

# Lines offered ("6.12" ...), from the archive, else from the cache.
offered_lines() {
	local abis
	if abis=$("$HERE/fetch.sh" --quiet --lines 2>/dev/null) && [ -n "$abis" ]; then
		echo "$abis" | sed 's/^\([0-9]*\.[0-9]*\).*/\1/'
	else
		ls "$CACHE/kernel" 2>/dev/null | sed -n 's/^line-//p' | sort -V
	fi
}

choose_lines() {
	local offered=$1 l
	if $all; then
		echo "$offered"
		return
	fi
	{
		echo "$offered" | head -n 1
		for l in $WANTED_LINES; do
			echo "$offered" | grep -qx "$l" && echo "$l"
		done
		echo "$offered" | tail -n 1
	} | sort -uV
}

offered=$(offered_lines)
[ -n "$offered" ] || skip_all "no kernel line offered by the archive nor cached in $CACHE"
lines=$(choose_lines "$offered")
echo "TAP version 13"
note "lines offered: $(echo $offered); tested: $(echo $lines)"
# meson keeps only the end of a long log: each failure is summed up again
# after the plan, so that the end says what went wrong.
failures=$(mktemp)
for l in $lines; do
	out=$(mktemp)
	start=$(date +%s)
	"$HERE/lifecycle.sh" --cpus "$cpus" --line "$l" ${bootrace:+--bootrace "$bootrace"} \
		${keep:+--keep "$keep/$l"} > "$out" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	sed 's/^/#   /' "$out"
	release=$(sed -n 's/^# kernel \([^ ]*\) (\([a-z-]*\)).*/\1, \2/p' "$out" | head -n 1)
	case $rc in
	0) ok "kernel $l (${release:-?}): lifecycle passed in ${secs}s" ;;
	77) skip "kernel $l" "$(grep -m1 SKIP "$out" | sed 's/.*SKIP //')" ;;
	*) not_ok "kernel $l (${release:-?}): lifecycle failed (exit $rc)"
	   {
		echo "# kernel $l failed (exit $rc):"
		grep -E '^(not ok|# QEMU ran|# attempt|# this attempt)' "$out" | sed 's/^/#   /'
		echo "#   end of its output:"
		tail -n 25 "$out" | sed 's/^/#     /'
	   } >> "$failures" ;;
	esac
	rm -f "$out"
done
tap_plan
cat "$failures"
rm -f "$failures"
tap_passed
