#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A collection cut at every step leaves no half directory: collect runs on
# the fake tracefs with kill-at.so killing it (SIGKILL, like a power cut)
# at each write, fsync and rename it makes, in turn. After each cut, every
# directory under a visible name holds a complete trace.dat and its info,
# "bootrace list" works, and the next collect succeeds.
#
#   test-interrupt.sh BOOTRACE KILL_AT_SO
set -eu

BOOTRACE=$(realpath "$1")
SHIM=$(realpath "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# The shim is not built with AddressSanitizer; let an ASan build load it.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0

. "$HERE/../lib/tap.sh"

collect() { # collect STATE [KILL_AT [COLLECT OPTION...]]: exit status in $rc
	local state=$1 kill_at=${2:-}
	shift $(($# < 2 ? $# : 2))
	rm -rf "$WORK/fake"
	"$HERE/fake-tracefs.sh" make "$HERE/fixtures/tracefs" "$WORK/fake"
	rc=0
	BOOTRACE_KILL_AT=$kill_at LD_PRELOAD=$SHIM "$BOOTRACE" --tracefs "$WORK/fake" \
		collect --state-dir "$state" --config /dev/null --oneline "$@" \
		> "$WORK/out" 2> "$WORK/err" || rc=$?
}

# Every visible directory is complete: trace.dat that verify accepts, info.
all_complete() {
	local d
	for d in "$1"/*; do
		[ -e "$d" ] || continue
		# What a killed collect had read, kept by the next one.
		case $d in
		*-interrupted.partial)
			[ -s "$d/trace.dat.partial" ] || [ -s "$d/trace.dat" ] || return 1
			continue ;;
		esac
		[ -s "$d/trace.dat" ] && [ -s "$d/info" ] || return 1
		"$BOOTRACE" verify --offline "$d/trace.dat" > /dev/null 2>&1 || return 1
	done
}

# The calls one uncut collection makes, to cut at each of them.
collect "$WORK/count"
[ "$rc" -eq 0 ] || bail_out "an uncut collect failed: $(cat "$WORK/err")"
# cut_each CALL [COLLECT OPTION...]: cut at the 1st, 2nd, ... CALL in turn.
cut_each() {
	local call=$1 i=1 state visible want_kept complete kept label= compressing
	shift
	[ $# -eq 0 ] || label=" ($*)"
	while :; do
		state=$WORK/state-$call-$i$(echo "$*" | tr -dc a-z)
		collect "$state" "$call:$i" "$@"
		[ "$rc" -eq 137 ] || break	# no Nth call: collect finished
		visible=$(ls "$state" 2>/dev/null | wc -l)
		if all_complete "$state" && [ "$visible" -le 1 ] &&
		   "$BOOTRACE" list --state-dir "$state" > /dev/null 2>&1; then
			ok "cut at $call #$i$label: $visible visible directories, all complete; list works"
		else
			not_ok "cut at $call #$i$label: every visible directory complete, list works"
			ls -la "$state" "$state"/* 2>&1 | sed 's/^/#   /'
		fi
		want_kept=0
		for f in "$state"/.new-*/.trace.dat.* "$state"/.new-*/trace.dat; do
			[ -s "$f" ] && want_kept=1
		done
		# Cut while compressing: the uncompressed file was already whole.
		compressing=0
		for f in "$state"/.new-*/.trace.dat.zst-*; do
			[ -e "$f" ] && compressing=1
		done
		collect "$state"
		complete=$(ls "$state" | grep -vc -- '-interrupted.partial$')
		if [ "$rc" -eq 0 ] && all_complete "$state" && [ "$complete" -eq $((visible + 1)) ]; then
			ok "cut at $call #$i$label: the next collect makes one complete directory"
		else
			not_ok "cut at $call #$i$label: the next collect makes one complete directory (exit $rc)"
		fi
		kept=$(ls -d "$state"/*-interrupted.partial 2>/dev/null | wc -l)
		if ! ls -d "$state"/.new-* > /dev/null 2>&1 && [ "$kept" -eq "$want_kept" ]; then
			ok "cut at $call #$i$label: no hidden leftovers; what was read before the cut is kept ($kept)"
		else
			not_ok "cut at $call #$i$label: no hidden leftovers; what was read before the cut is kept ($kept, want $want_kept)"
		fi
		if [ "$compressing" = 1 ]; then
			if "$BOOTRACE" verify --offline "$state"/*-interrupted.partial/trace.dat.partial > /dev/null 2>&1; then
				ok "cut at $call #$i$label while compressing: the whole uncompressed trace is what is kept"
			else
				not_ok "cut at $call #$i$label while compressing: the whole uncompressed trace is what is kept"
				ls -la "$state"/*-interrupted.partial 2>&1 | sed 's/^/#   /'
			fi
		fi
		i=$((i + 1))
		[ "$call" != write ] || i=$((i + 7))	# many writes: every 8th
		[ "$call" != pwrite64 ] || i=$((i + 7))
	done
}

for call in write fsync renameat renameat2; do
	cut_each "$call"
done
# --compress writes the version 7 file beside the whole version 6 one (with
# pwrite), fsyncs it and renames it over it: a cut in between must keep the
# whole one, never the half-written compressed one.
for call in pwrite64 fsync rename renameat renameat2; do
	cut_each "$call" --compress
done
tap_done
