#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A collection cut at every step loses nothing that reached the disk:
# collect runs on the fake tracefs with kill-at.so killing it (SIGKILL,
# like a power cut) at each write, pwrite, fsync and rename it makes, in
# turn. After each cut, every directory under a visible name is complete
# and "bootrace list" works. The next collect then finishes what the cut
# one had written: a visible collection marked interrupted that trace-cmd
# reads, holding exactly the events of the pages written before the cut
# (all the kernel held, once the drain was over), CPU by CPU; and its own
# collection holds all the kernel held. No hidden directory is left.
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

TRACE_CMD=$(command -v trace-cmd) || skip_all "trace-cmd is not installed: it is what counts the events"

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

# Events in a trace.dat as trace-cmd 3.1.6 reads them, per CPU: "E0 E1 ..." (all 0 if unreadable).
events_per_cpu() { # FILE
	"$TRACE_CMD" report "$1" 2> /dev/null |
		awk -v cpus="$CPUS" 'match($0, /\[[0-9]+\]/) { n[substr($0, RSTART + 1, RLENGTH - 2) + 0]++ }
			END { for (c = 0; c < cpus; c++) printf "%d%s", n[c], c + 1 < cpus ? " " : "\n" }'
}

sum() { local s=0 x; for x in "$@"; do s=$((s + x)); done; echo "$s"; }

# Every visible directory is complete: trace.dat that verify accepts, info.
all_complete() {
	local d
	for d in "$1"/*; do
		[ -e "$d" ] || continue
		[ -s "$d/trace.dat" ] && [ -s "$d/info" ] || return 1
		# Whole: every check passes but decode, which fails for want of
		# the decoder of the fake backup's boot (test-cli tests it).
		"$BOOTRACE" verify --offline --tap "$d/trace.dat" > "$WORK/verify" 2>&1
		grep -q '^ok 1 - parse' "$WORK/verify" || return 1
		! grep '^not ok' "$WORK/verify" | grep -qv '^not ok [0-9]* - decode:' || return 1
	done
}

CPUS=$(ls -d "$HERE"/fixtures/tracefs/backup/per_cpu/cpu* | wc -l)
cpu_entries() { awk '/^entries:/ { print $2 }' "$HERE/fixtures/tracefs/backup/per_cpu/cpu$1/stats"; }
ENTRIES=0
for cpu in $(seq 0 $((CPUS - 1))); do ENTRIES=$((ENTRIES + $(cpu_entries "$cpu"))); done

DATA_CPUS=()
for cpu in $(seq 0 $((CPUS - 1))); do
	[ "$(cpu_entries "$cpu")" -eq 0 ] || DATA_CPUS+=("$cpu")
done

# An uncut collection with these options, its calls logged in $WORK/calls$LABEL:
# where the pages of each CPU are written ($WORK/data$LABEL: their lines).
log_uncut() { # LABEL [COLLECT OPTION...]
	local label=$1
	shift
	rm -rf "$WORK/fake" "$WORK/count"
	"$HERE/fake-tracefs.sh" make "$HERE/fixtures/tracefs" "$WORK/fake"
	BOOTRACE_CALL_LOG=$WORK/calls$label LD_PRELOAD=$SHIM "$BOOTRACE" --tracefs "$WORK/fake" \
		collect --state-dir "$WORK/count" --config /dev/null "$@" > "$WORK/out" 2> "$WORK/err" ||
		bail_out "an uncut collect failed: $(cat "$WORK/err")"
	# Data: whole pages written to the temporary trace file once the note
	# for the next collect is there. The fixture is small: one write per
	# CPU with events, in CPU order.
	awk '/\/\.\.collecting\./ { marked = 1 }
	     marked && $1 == "write" && $3 ~ /\/\.trace\.dat\.[A-Za-z0-9]+$/ && $4 % 4096 == 0 { print NR }' \
		"$WORK/calls$label" > "$WORK/data$label"
	[ "$(wc -l < "$WORK/data$label")" -eq "${#DATA_CPUS[@]}" ] ||
		bail_out "the uncut collect wrote $(wc -l < "$WORK/data$label") batches of pages after its note for the next collect, for ${#DATA_CPUS[@]} CPUs with events (one each expected)"
}

# The events of the CPUs whose pages were read before the Nth CALL, per CPU:
# "E0 E1 ...". A cut at the write of a CPU's pages does not lose them: they
# were read, and collect's keeper writes them where they belong.
written_before() { # LABEL CALL N
	local line i=0 cpu data
	line=$(awk -v c="$2" -v n="$3" '$1 == c && $2 == n { print NR; exit }' "$WORK/calls$1")
	declare -a per
	for cpu in $(seq 0 $((CPUS - 1))); do per[cpu]=0; done
	while read -r data; do
		cpu=${DATA_CPUS[i]}
		i=$((i + 1))
		[ -n "$line" ] && [ "$data" -gt "$line" ] && continue
		per[cpu]=$(cpu_entries "$cpu")
	done < "$WORK/data$1"
	echo "${per[*]}"
}

# cut_each CALL [COLLECT OPTION...]: cut at the 1st, 2nd, ... CALL in turn.
cut_each() {
	local call=$1 i=1 state visible label= tag want got d interrupted fresh per each cpu bad before
	shift
	[ $# -eq 0 ] || label=" ($*)"
	tag=$(echo "$*" | tr -dc a-z)
	[ -e "$WORK/calls$tag" ] || log_uncut "$tag" "$@"
	while :; do
		state=$WORK/state-$call-$i$tag
		collect "$state" "$call:$i" "$@"
		[ "$rc" -eq 137 ] || break	# no Nth call: collect finished
		visible=$(ls "$state" 2>/dev/null | wc -l)
		if all_complete "$state" && [ "$visible" -le 1 ] &&
		   "$BOOTRACE" list --state-dir "$state" --config /dev/null > /dev/null 2>&1; then
			ok "cut at $call #$i$label: $visible visible directories, all complete; list works"
		else
			not_ok "cut at $call #$i$label: every visible directory complete, list works"
			ls -la "$state" "$state"/* 2>&1 | sed 's/^/#   /'
		fi
		read -r -a per <<< "$(written_before "$tag" "$call" "$i")"
		want=$(sum "${per[@]}")
		before=$(ls "$state" 2> /dev/null || true)
		collect "$state"
		# The directories the next collect made visible: its own, and what the cut one wrote.
		interrupted= fresh=
		for d in "$state"/*/; do
			[ -e "$d" ] || continue
			[ -n "$before" ] && [ "$before" = "$(basename "$d")" ] && continue
			if grep -qx 'interrupted=1' "$d/info" 2> /dev/null; then interrupted=$d; else fresh=$d; fi
		done
		got=$(sum $(events_per_cpu "$fresh/trace.dat"))
		if [ "$rc" -eq 0 ] && [ -n "$fresh" ] && [ "$got" -eq "$ENTRIES" ]; then
			ok "cut at $call #$i$label: the next collect's own collection holds all $ENTRIES events"
		else
			not_ok "cut at $call #$i$label: the next collect's own collection holds all $ENTRIES events" \
				"exit $rc, $got events" "$(cat "$WORK/out" "$WORK/err")"
		fi
		if [ -n "$before" ]; then
			check "cut at $call #$i$label: the collection was complete before the cut; it stays as it was" \
				test -z "$interrupted"
		elif [ "$want" -eq 0 ]; then
			check "cut at $call #$i$label: nothing had reached the disk, nothing is made of it" \
				test -z "$interrupted"
		else
			bad=
			read -r -a each <<< "$(events_per_cpu "$interrupted/trace.dat")"
			got=$(sum "${each[@]}")
			for cpu in $(seq 0 $((CPUS - 1))); do
				[ "${each[cpu]}" -eq "${per[cpu]}" ] || bad="$bad cpu$cpu"
			done
			if [ -n "$interrupted" ] && [ "$got" -eq "$want" ] && [ -z "$bad" ] &&
			   grep -q "^bootrace: finished $interrupted" "$WORK/out" &&
			   grep -qx "events=$want" "$interrupted/info"; then
				ok "cut at $call #$i$label: what it had written is a collection marked interrupted; trace-cmd reads its $want events (of $ENTRIES), CPU by CPU"
			else
				not_ok "cut at $call #$i$label: what it had written is a collection marked interrupted; trace-cmd reads its $want events (of $ENTRIES), CPU by CPU" \
					"${interrupted:-no interrupted collection}: $got events,${bad:+ wrong on$bad}" "$(cat "$WORK/out")"
			fi
		fi
		if ! ls -A "$state" | grep -q '^\.new-\|^\.old-'; then
			ok "cut at $call #$i$label: no hidden directory is left"
		else
			not_ok "cut at $call #$i$label: no hidden directory is left" "$(ls -A "$state" | tr '\n' ' ')"
		fi
		i=$((i + 1))
		# Compressing makes ~150 pwrites, all past the data: every 8th after the 8th.
		[ "$call" != pwrite64 ] || [ "$i" -le 8 ] || i=$((i + 7))
	done
}

for call in write pwrite64 fsync renameat renameat2; do
	cut_each "$call"
done
# --compress writes the version 7 file beside the whole version 6 one (with
# pwrite), fsyncs it and renames it over it: a cut in between must keep the
# whole trace, never the half-written compressed one.
for call in pwrite64 fsync rename renameat renameat2; do
	cut_each "$call" --compress
done
tap_done
