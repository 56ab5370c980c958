#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Collect throwaway instances of this machine's own tracefs with
# `bootrace collect --instance` and check the files: counts equal the
# kernel's stats, every marker is there, trace-cmd report 3.1.6 and 3.4 read
# them. Once with the default sub-buffer size and once with 8 KB
# sub-buffers (libtracefs sizes reads from the top level's sub-buffer
# unless told otherwise), and once on an instance that is still tracing.
#
# Usage: collect-host.sh BOOTRACE FETCH_SH TRACE_CMD_SID [FAIL_SPLICE_SO]
# Prints TAP; exits 1 if a check failed, 77 if not root or no tracefs.
set -u

BOOTRACE=$1
FETCH=$2
TRACE_CMD_SID=$3
FAIL_SPLICE=${4:-}
MARKERS=400
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/tap.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root to create tracefs instances"
TRACEFS=$(awk '$3 == "tracefs" { print $2; exit }' /proc/mounts)
mounted_here=false
if [ -z "$TRACEFS" ]; then
	mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || skip_all "no tracefs on this kernel"
	TRACEFS=/sys/kernel/tracing
	mounted_here=true
fi
[ -d "$TRACEFS/instances" ] || skip_all "tracefs at $TRACEFS has no instances"

WORK=$(mktemp -d)
INSTANCES=()
cleanup() {
	local i
	for i in "${INSTANCES[@]}"; do
		[ -d "$TRACEFS/instances/$i" ] && rmdir "$TRACEFS/instances/$i"
	done
	rm -rf "$WORK"
	# Leave tracing as found: unmount what this test mounted.
	! $mounted_here || umount "$TRACEFS" 2>/dev/null || true
}
trap cleanup EXIT

have_sid=false
if "$FETCH" --quiet >/dev/null 2>"$WORK/fetch.log"; then
	have_sid=true
else
	echo "# trace-cmd 3.4 unavailable, its checks are skipped: $(tail -1 "$WORK/fetch.log")"
fi

# Spread markers over every CPU so each per-CPU buffer has data.
write_markers() { # INSTANCE COUNT
	local dir=$TRACEFS/instances/$1 cpus i
	cpus=$(nproc)
	for i in $(seq 1 "$2"); do
		taskset -c $((i % cpus)) sh -c "echo 'bootrace-marker $i' > $dir/trace_marker"
	done
}

entries_of() { # INSTANCE
	cat "$TRACEFS"/instances/"$1"/per_cpu/cpu*/stats | awk '/^entries:/ { s += $2 } END { print s + 0 }'
}

settings_of() { # INSTANCE: what collect must leave unchanged
	local dir=$TRACEFS/instances/$1
	cat "$dir/tracing_on" "$dir/buffer_size_kb" "$dir/trace_clock" "$dir/set_event"
	cat "$dir/buffer_subbuf_size_kb" 2>/dev/null
}

report_quietly() { trace-cmd report "$1" >/dev/null 2>&1; }

# Records in a trace-cmd report: lines with the "[CPU]" column.
report_records() { grep -cE '^ *.+ +\[[0-9]{3}\] ' "$1"; }
report_markers() { grep -oE 'bootrace-marker [0-9]+' "$1" | sort -u | wc -l; }

check_reports() { # LABEL FILE ENTRIES
	local label=$1 file=$2 entries=$3
	if trace-cmd report "$file" >"$WORK/r316" 2>"$WORK/r316.err"; then
		ok "$label: trace-cmd 3.1.6 reads the file"
	else
		not_ok "$label: trace-cmd 3.1.6 reads the file"; sed 's/^/#   /' "$WORK/r316.err" | head -5
	fi
	check "$label: 3.1.6 shows $entries records ($(report_records "$WORK/r316"))" \
		test "$(report_records "$WORK/r316")" -eq "$entries"
	check "$label: 3.1.6 shows all $MARKERS markers" test "$(report_markers "$WORK/r316")" -eq $MARKERS
	if ! $have_sid; then
		skip "$label: trace-cmd 3.4" "not fetched"
		return
	fi
	if "$TRACE_CMD_SID" report "$file" >"$WORK/r34" 2>"$WORK/r34.err"; then
		ok "$label: trace-cmd 3.4 reads the file"
	else
		not_ok "$label: trace-cmd 3.4 reads the file"; sed 's/^/#   /' "$WORK/r34.err" | head -5
	fi
	check "$label: 3.4 shows $entries records ($(report_records "$WORK/r34"))" \
		test "$(report_records "$WORK/r34")" -eq "$entries"
	check "$label: 3.4 shows all $MARKERS markers" test "$(report_markers "$WORK/r34")" -eq $MARKERS
}

# A stopped instance with sched events and markers, collected and checked.
collect_stopped() { # LABEL SUBBUF_KB(or "") [COLLECT OPTION...]
	local label=$1 subbuf=$2 name=bootrace-test-$$-$1 dir before entries out rc
	shift 2
	dir=$TRACEFS/instances/$name
	mkdir "$dir" && INSTANCES+=("$name")
	if [ -n "$subbuf" ]; then
		echo "$subbuf" >"$dir/buffer_subbuf_size_kb"
		check "$label: sub-buffer is ${subbuf} KB" test "$(cat "$dir/buffer_subbuf_size_kb")" = "$subbuf"
	fi
	# Room for everything: an overwritten marker would fail the test, and
	# sched_switch volume depends on what else runs on the machine.
	echo 16384 >"$dir/buffer_size_kb"
	echo 1 >"$dir/events/sched/sched_switch/enable"
	write_markers "$name" $MARKERS
	echo 0 >"$dir/tracing_on"
	entries=$(entries_of "$name")
	before=$(settings_of "$name")
	out=$WORK/$label.dat
	"$BOOTRACE" --tracefs "$TRACEFS" collect --instance "$name" -o "$out" "$@" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	check "$label: collect exits 0" test $rc -eq 0
	[ $rc -eq 0 ] || sed 's/^/#   /' "$WORK/err"
	if [ "${1:-}" = --compress ]; then
		check "$label: the file is trace.dat version 7" test "$(dd if="$out" bs=1 skip=10 count=1 2>/dev/null)" = 7
		echo "# $label: $(stat -c %s "$out") bytes for $(sed -n 's/.*events (\(.*\)) from.*/\1/p' "$WORK/err") of pages"
	fi
	check "$label: collect prints the file's path" test "$(tail -1 "$WORK/out")" = "$out"
	check "$label: the file is mode 0600" test "$(stat -c %a "$out")" = 600
	check "$label: instance settings unchanged" test "$(settings_of "$name")" = "$before"
	check "$label: instance drained" test "$(entries_of "$name")" -eq 0
	"$BOOTRACE" verify --offline --tap "$out" >"$WORK/verify" 2>&1
	check "$label: verify passes ($entries entries)" test $? -eq 0
	sed 's/^/#   /' "$WORK/verify"
	check_reports "$label" "$out" "$entries"
	echo 1 >"$dir/tracing_on"
	echo 0 >"$dir/events/sched/sched_switch/enable"
}

# An instance still tracing: collect must stop after what it held.
collect_live() {
	local name=bootrace-test-$$-live dir out pid
	dir=$TRACEFS/instances/$name
	mkdir "$dir" && INSTANCES+=("$name")
	echo 1 >"$dir/events/sched/enable"
	( while :; do echo live >"$dir/trace_marker"; done ) 2>/dev/null &
	pid=$!
	sleep 1
	out=$WORK/live.dat
	timeout 60 "$BOOTRACE" --tracefs "$TRACEFS" collect --instance "$name" -o "$out" >/dev/null 2>"$WORK/err"
	check "live: collect of a tracing instance ends (exit $?)" test -s "$out"
	kill $pid; wait $pid 2>/dev/null
	check "live: instance still tracing" test "$(cat "$dir/tracing_on")" = 1
	check "live: trace-cmd 3.1.6 reads the file" report_quietly "$out"
	echo 0 >"$dir/events/sched/enable"
}

# The disk fails while whole pages are between the kernel and the file
# (in the pipe of the splice path): they must end up beside the output,
# and what was written before stays a valid, shorter trace.dat.
collect_failing_disk() {
	local name=bootrace-test-$$-faildisk dir out
	dir=$TRACEFS/instances/$name
	mkdir "$dir" && INSTANCES+=("$name")
	echo 4096 >"$dir/buffer_size_kb"
	echo 1 >"$dir/events/sched/sched_switch/enable"
	write_markers "$name" $MARKERS
	echo 0 >"$dir/tracing_on"
	out=$WORK/faildisk.dat
	# Under AddressSanitizer the shim comes before its runtime: allowed here.
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	BOOTRACE_FAIL_SPLICE=2 LD_PRELOAD=$FAIL_SPLICE \
		"$BOOTRACE" --tracefs "$TRACEFS" collect --instance "$name" -o "$out" >/dev/null 2>"$WORK/err"
	check "failing disk: collect exits 1 ($?)" test $? -eq 1
	sed 's/^/#   /' "$WORK/err"
	check "failing disk: the message names the partial file" grep -qF "$out.partial" "$WORK/err"
	check "failing disk: what was written is a valid trace.dat" verify_parses "$out.partial"
	check "failing disk: the pages in flight are kept beside it" late_kept "$out"
	echo 0 >"$dir/events/sched/sched_switch/enable"
}

verify_parses() { "$BOOTRACE" verify --offline --json "$1" 2>/dev/null | grep -q '"status":"pass"'; }
late_kept() { ls "$1".late-cpu* >/dev/null 2>&1 && [ "$(cat "$1".late-cpu* | wc -c)" -gt 0 ]; }

echo "TAP version 13"
collect_stopped default ""
if [ -e "$TRACEFS/buffer_subbuf_size_kb" ]; then
	collect_stopped subbuf8k 8
else
	skip "8 KB sub-buffers" "kernel has no buffer_subbuf_size_kb"
fi
if "$BOOTRACE" collect --compress --help > /dev/null 2>&1; then	# else built without zstd
	collect_stopped compressed "" --compress
else
	skip "collect --compress" "bootrace built without zstd"
fi
collect_live
if [ -n "$FAIL_SPLICE" ]; then
	collect_failing_disk
fi
tap_done
