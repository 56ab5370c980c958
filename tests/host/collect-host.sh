#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Collect throwaway instances of this machine's own tracefs with
# `bootrace collect --instance` and check the files: counts equal the
# kernel's stats, every marker is there, trace-cmd report 3.1.6 and 3.4 read
# them. Once with the default sub-buffer size and once with 8 KB
# sub-buffers (libtracefs sizes reads from the top level's sub-buffer
# unless told otherwise), and once on an instance that is still tracing.
# Then what goes wrong: a collect killed (SIGKILL) during and after its
# drain, and the next one making whole what it had written; two collects
# of one instance at once; a disk that fills up or fails during the drain.
#
# Usage: collect-host.sh BOOTRACE FETCH_SH TRACE_CMD_SID [FAIL_SPLICE_SO [KILL_AT_SO]]
# Prints TAP; exits 1 if a check failed, 77 if not root or no tracefs.
set -u

BOOTRACE=$1
FETCH=$2
TRACE_CMD_SID=$3
FAIL_SPLICE=${4:-}
KILL_AT=${5:-}
# Under AddressSanitizer the shims come before its runtime: allowed here.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
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

# A task names itself with an escape sequence and a bell (anyone can: the
# comm is the task's own): the kernel records it in sched_switch, and
# bootrace report must show it escaped, never send it to the terminal.
collect_hostile_comm() {
	local name=bootrace-test-$$-comm dir out
	dir=$TRACEFS/instances/$name
	mkdir "$dir" && INSTANCES+=("$name")
	echo 1 >"$dir/events/sched/sched_switch/enable"
	bash -c 'printf "\033[2Jevil\a" > /proc/self/comm; for i in 1 2 3; do echo comm-marker > "$1"; sleep 0.05; done' \
		sh "$dir/trace_marker"
	echo 0 >"$dir/tracing_on"
	out=$WORK/comm.dat
	"$BOOTRACE" --tracefs "$TRACEFS" collect --instance "$name" -o "$out" >/dev/null 2>"$WORK/err"
	check "hostile comm: collect exits 0 ($?)" test $? -eq 0
	"$BOOTRACE" report --last 100000 "$out" >"$WORK/comm-report" 2>&1
	check "hostile comm: the kernel recorded the task's name (trace-cmd shows it raw)" \
		bash -c "trace-cmd report '$out' 2>/dev/null | grep -q \$'\\e\\[2Jevil'"
	check "hostile comm: bootrace report shows it escaped (\\x1b[2Jevil\\x07), no control character out" \
		bash -c "grep -qF '\\x1b[2Jevil\\x07' '$WORK/comm-report' && ! grep -q \$'[\\x01-\\x08\\x0b-\\x1f]' '$WORK/comm-report'"
	echo 0 >"$dir/events/sched/sched_switch/enable"
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
	BOOTRACE_FAIL_SPLICE=2 LD_PRELOAD=$FAIL_SPLICE \
		"$BOOTRACE" --tracefs "$TRACEFS" collect --instance "$name" -o "$out" >/dev/null 2>"$WORK/err"
	check "failing disk: collect exits 1 ($?)" test $? -eq 1
	sed 's/^/#   /' "$WORK/err"
	check "failing disk: the message names the partial file" grep -qF "$out.partial" "$WORK/err"
	check "failing disk: what was written is a valid trace.dat" verify_parses "$out.partial"
	check "failing disk: the pages in flight are kept beside it" late_kept "$out"
	echo 0 >"$dir/events/sched/sched_switch/enable"
}

# A stopped instance of KB per CPU holding the markers and, on every CPU,
# FILL more written from one shell (markers only: nothing else on this
# busy machine can overfill it): its name in $name, its directory in
# $dir, what it holds in $entries.
stopped_instance() { # LABEL KB [FILL]
	local cpu
	name=bootrace-test-$$-$1
	dir=$TRACEFS/instances/$name
	mkdir "$dir" && INSTANCES+=("$name")
	echo "$2" >"$dir/buffer_size_kb"
	write_markers "$name" $MARKERS
	for cpu in $(seq 0 $(($(nproc) - 1))); do
		taskset -c "$cpu" bash -c 'exec 3>"$1"; for ((i = 1; i <= $2; i++)); do echo "bootrace-fill $3 $i" >&3; done' \
			sh "$dir/trace_marker" "${3:-10000}" "$cpu" &
	done
	wait
	echo 0 >"$dir/tracing_on"
	entries=$(entries_of "$name")
	[ "$(cat "$dir"/per_cpu/cpu*/stats | awk '$1 == "overrun:" { s += $2 } END { print s + 0 }')" -eq 0 ] ||
		note "$name overflowed: its oldest markers are gone"
}

# Records trace-cmd 3.1.6 reads in a trace.dat, and its markers into $WORK/markers.
events_in() { # FILE
	trace-cmd report "$1" 2>/dev/null | tee -a "$WORK/markers" | grep -cE '^ *.+ +\[[0-9]{3}\] ' || true
}

# Records trace-cmd 3.1.6 reads in every visible collection of STATE; their
# markers into $WORK/markers.
events_in_collections() { # STATE
	local d total=0
	: >"$WORK/markers"
	for d in "$1"/*/; do
		[ -e "$d/trace.dat" ] || continue
		total=$((total + $(events_in "$d/trace.dat")))
	done
	echo "$total"
}

# SIGKILL at the Nth CALL (kill-at.so raises it, before the call), then
# collect again: what the kernel held is all in the visible collections,
# the interrupted one made whole by the second collect.
collect_killed() { # LABEL CALL:N WHEN
	local label=$1 at=$2 when=$3 state rc total interrupted
	stopped_instance "killed-$label" 4096
	state=$WORK/killed-$label
	rc=0
	BOOTRACE_KILL_AT=$at LD_PRELOAD=$KILL_AT "$BOOTRACE" --tracefs "$TRACEFS" collect --instance "$name" \
		--state-dir "$state" --config /dev/null >/dev/null 2>&1 || rc=$?
	check "killed $when: collect got SIGKILL (exit $rc)" test $rc -eq 137
	rc=0
	"$BOOTRACE" --tracefs "$TRACEFS" collect --instance "$name" --state-dir "$state" --config /dev/null \
		--oneline >"$WORK/out" 2>"$WORK/err" || rc=$?
	check "killed $when: the next collect succeeds (exit $rc) and says it finished the interrupted one" \
		grep -q '^bootrace: finished .*, which a collect cut short had begun' "$WORK/out" ||
		{ sed 's/^/#   stdout: /' "$WORK/out"; sed 's/^/#   stderr: /' "$WORK/err"; false; }
	total=$(events_in_collections "$state")
	interrupted=$(grep -lx 'interrupted=1' "$state"/*/info 2>/dev/null | wc -l)
	check "killed $when: one visible collection is marked interrupted ($interrupted)" test $interrupted -eq 1
	check "killed $when: trace-cmd reads $total events in the collections, all $entries the kernel held" \
		test "$total" -eq "$entries"
	check "killed $when: all $MARKERS markers are there" test "$(report_markers "$WORK/markers")" -eq $MARKERS
	check "killed $when: no hidden directory is left" sh -c "! ls -A '$state' | grep -q '^\.new-'"
}

# A real kill -9 from outside at an instant of the drain nobody chose: the
# next collect must make whole whatever reached the disk, and the pages
# between the kernel and the file at that instant (in the pipe of splice,
# or read and not yet written) reach it too, through collect's keeper.
collect_killed_outside() {
	local state=$WORK/killed-outside rc total pid i
	stopped_instance killed-outside 32768 400000
	"$BOOTRACE" --tracefs "$TRACEFS" collect --instance "$name" --state-dir "$state" --config /dev/null \
		>/dev/null 2>"$WORK/killed.err" &
	pid=$!
	# Once its file holds a few MiB of pages, mid-drain.
	for i in $(seq 1 2000); do
		[ "$(find "$state" -name '.trace.dat.*' -size +2M 2>/dev/null | wc -l)" -gt 0 ] && break
		sleep 0.01
	done
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	rc=$?
	if [ $rc -ne 137 ] || ! ls -A "$state" | grep -q '^\.new-'; then
		# The kill came too late, after the collection took its name: then it is whole.
		total=$(events_in_collections "$state")
		check "killed from outside, after its collection was made (exit $rc): it holds all $entries events ($total)" \
			test "$total" -eq "$entries"
		return
	fi
	rc=0
	"$BOOTRACE" --tracefs "$TRACEFS" collect --instance "$name" --state-dir "$state" --config /dev/null \
		--oneline >"$WORK/out" 2>"$WORK/err" || rc=$?
	check "killed from outside: the next collect finishes the interrupted one (exit $rc)" \
		grep -q '^bootrace: finished .*, which a collect cut short had begun' "$WORK/out" ||
		{ sed 's/^/#   stdout: /' "$WORK/out"; sed 's/^/#   stderr: /' "$WORK/err"; false; }
	total=$(events_in_collections "$state")
	# What was between the kernel and the file at the kill (in the pipe, or
	# read into memory) was written by collect's keeper.
	sed 's/^/#   killed collect: /' "$WORK/killed.err"
	check "killed from outside: trace-cmd reads every collection, $total events, all $entries the kernel held" \
		test "$total" -eq "$entries"
	check "killed from outside: no hidden directory is left" sh -c "! ls -A '$state' | grep -q '^\.new-'"
}

# Two collects of one instance at once: one reads it all, the other is
# refused (or, started after it, finds nothing); never two halves.
collect_twice_at_once() {
	local rc1=0 rc2=0 e1=0 e2=0 pid1 pid2
	stopped_instance twice 8192 30000
	"$BOOTRACE" --tracefs "$TRACEFS" collect --instance "$name" -o "$WORK/twice1.dat" >/dev/null 2>"$WORK/err1" &
	pid1=$!
	"$BOOTRACE" --tracefs "$TRACEFS" collect --instance "$name" -o "$WORK/twice2.dat" >/dev/null 2>"$WORK/err2" &
	pid2=$!
	wait $pid1 || rc1=$?
	wait $pid2 || rc2=$?
	[ -e "$WORK/twice1.dat" ] && e1=$(events_in "$WORK/twice1.dat")
	[ -e "$WORK/twice2.dat" ] && e2=$(events_in "$WORK/twice2.dat")
	note "two collects at once: exit $rc1 with $e1 events, exit $rc2 with $e2 events, of $entries"
	if { [ $rc1 -eq 0 ] && [ "$e1" -eq "$entries" ] && [ ! -e "$WORK/twice2.dat" ] && [ $rc2 -ne 0 ]; } ||
	   { [ $rc2 -eq 0 ] && [ "$e2" -eq "$entries" ] && [ ! -e "$WORK/twice1.dat" ] && [ $rc1 -ne 0 ]; }; then
		ok "two collects at once: one has all $entries events, the other wrote nothing"
	else
		not_ok "two collects at once: one has all $entries events, the other wrote nothing"
	fi
	check "two collects at once: the successful one says how many it wrote" \
		grep -q "collected $entries events" "$WORK/err1" "$WORK/err2"
	grep -h "another bootrace collect" "$WORK/err1" "$WORK/err2" | sed 's/^/# /'
	stopped_instance held 1024 100
	rc1=0
	flock -n "$dir" "$BOOTRACE" --tracefs "$TRACEFS" collect --instance "$name" -o "$WORK/held.dat" \
		>/dev/null 2>"$WORK/err" || rc1=$?
	check "an instance another collect holds: refused (exit $rc1), nothing read" \
		test $rc1 -ne 0 -a ! -e "$WORK/held.dat" -a "$(entries_of "$name")" -eq "$entries"
}

# The disk fills up in the middle of the splice path: the message says
# exactly what is in the trace and what is beside it, and it is so.
collect_disk_full() {
	local out=$WORK/diskfull.dat rc=0 msg n bytes late events
	stopped_instance diskfull 4096 20000
	BOOTRACE_DISK_FULL=$((600 * 1024)):/.diskfull.dat.:splice LD_PRELOAD=$KILL_AT \
		"$BOOTRACE" --tracefs "$TRACEFS" collect --instance "$name" -o "$out" >/dev/null 2>"$WORK/err" || rc=$?
	msg=$(tail -n 1 "$WORK/err")
	echo "# $msg"
	n=$(echo "$msg" | sed -n 's/.*; the \([0-9]*\) events (\([0-9]*\) bytes of pages) read before are in .*/\1/p')
	bytes=$(echo "$msg" | sed -n 's/.*; \([0-9]*\) bytes more, read but not written there, are in .*/\1/p')
	late=$(cat "$out".late-cpu* 2>/dev/null | wc -c)
	events=$(events_in "$out.partial")
	check "disk full: collect exits 1 ($rc)" test $rc -eq 1
	check "disk full: trace-cmd reads the $n events the message counts in $out.partial ($events)" \
		test -n "$n" -a "$events" = "$n"
	check "disk full: the $bytes bytes the message puts beside it are there ($late), whole pages" \
		test -n "$bytes" -a "$late" = "$bytes" -a $((late % 4096)) -eq 0
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
collect_hostile_comm
if [ -n "$KILL_AT" ]; then
	collect_killed between-cpus pwrite64:3 "between two CPUs' drains"
	collect_killed after-drain fsync:3 "after the drain, before its file was synced"
	collect_killed before-name renameat2:1 "before its file took its name"
	collect_killed before-dir renameat2:2 "before its directory took its name"
	collect_killed_outside
	collect_twice_at_once
	collect_disk_full
fi
if [ -n "$FAIL_SPLICE" ]; then
	collect_failing_disk
fi
tap_done
