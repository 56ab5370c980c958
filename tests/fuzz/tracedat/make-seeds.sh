#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Make the seed corpus of the trace.dat fuzz target: small real files,
# written by bootrace (the unit tests' synthetic trace, collections of the
# fake tracefs, one by the bootrace before the VERSION option) and by
# trace-cmd 3.1.6 and 3.4 (record and extract, -B NAME and -a, versions 6
# and 7, compressed or not) on this machine's tracefs.
#
# Usage: make-seeds.sh BUILD_DIR OLD_BOOTRACE OUT_DIR
#   OLD_BOOTRACE: a bootrace binary from before the VERSION option (commit
#   544bc06), for a file with its counts in CPUSTAT; "-" skips that file.
# Needs root and tracefs for the trace-cmd files, and tests/vm/fetch.sh's
# trace-cmd 3.4 (skipped without). The files stay small and say nothing of
# the machine: each trace-cmd run happens in a private mount namespace
# where events/, kallsyms, printk formats and saved command lines are
# replaced by small stand-ins, the only events are those of this script's
# own marker-writing task, and the kernel release in UNAME is replaced.
# Nothing outside the namespace changes but a throwaway instance, removed.
set -eu

BUILD=$(cd "$1" && pwd)
OLD=$2
OUT=$3
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../../.." && pwd)
T=/sys/kernel/tracing
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d)
INST=
cleanup() {
	[ -z "$INST" ] || rmdir "$T/instances/$INST" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

# ---- bootrace's own files -----------------------------------------------

# UNAME holds the collecting machine's release: the same length, neutral.
neutral_uname() { # FILE
	local release
	release=$(uname -r)
	python3 - "$1" "$release" <<'EOF'
import sys
path, release = sys.argv[1], sys.argv[2].encode()
data = open(path, 'rb').read()
neutral = (b'0.0.0-seed' + b'x' * len(release))[:len(release)]
open(path, 'wb').write(data.replace(release, neutral))
EOF
}

TEST_TRACEDAT_KEEP=1 "$BUILD/tests/unit/test-tracedat" > "$WORK/test.log"
kept=$(sed -n 's/^# files kept in //p' "$WORK/test.log")
cp "$kept/synthetic-4096.dat" "$OUT/bootrace-v6-synthetic-4k.dat"
cp "$kept/synthetic-8192.dat" "$OUT/bootrace-v6-synthetic-8k.dat"
rm -rf "$kept"

fixture() { # BOOTRACE NAME [COLLECT OPTIONS]
	local bootrace=$1 name=$2
	shift 2
	"$SRC/tests/unit/fake-tracefs.sh" make "$SRC/tests/unit/fixtures/tracefs" "$WORK/fake-$name"
	"$bootrace" -q --tracefs "$WORK/fake-$name" collect --no-kallsyms -o "$OUT/$name" "$@" > /dev/null
	chmod 644 "$OUT/$name"
	neutral_uname "$OUT/$name"
}
fixture "$BUILD/cmd/bootrace" bootrace-v6-fixture.dat
fixture "$BUILD/cmd/bootrace" bootrace-v7-zstd-fixture.dat --compress
[ "$OLD" = - ] || fixture "$OLD" bootrace-v6-counts-in-cpustat.dat

# ---- trace-cmd's ----------------------------------------------------------

if [ "$(id -u)" != 0 ] || [ ! -d "$T/instances" ]; then
	echo "make-seeds: not root or no tracefs at $T: no trace-cmd files" >&2
	exit 0
fi
SID=$SRC/tests/vm/trace-cmd-sid
"$SRC/tests/vm/fetch.sh" --quiet > /dev/null 2>&1 || SID=

# The stand-ins, and a shell named after this job: its exits are the events.
STAND=$WORK/stand
mkdir -p "$STAND/ev/ftrace/print" "$STAND/ev/sched/sched_process_exit"
cp "$T/events/header_page" "$T/events/header_event" "$STAND/ev/"
cp "$T/events/ftrace/print/format" "$T/events/ftrace/print/id" "$STAND/ev/ftrace/print/"
cp "$T/events/sched/sched_process_exit/format" "$T/events/sched/sched_process_exit/id" \
	"$STAND/ev/sched/sched_process_exit/"
: > "$STAND/ev/enable"
: > "$STAND/ev/sched/enable"
: > "$STAND/ev/sched/sched_process_exit/enable"
: > "$STAND/ev/sched/sched_process_exit/filter"
printf 'ffffffff81000000 T _text\nffffffff81001000 T seed_function\nffffffff81002000 T do_idle\n' > "$STAND/kallsyms"
: > "$STAND/printk"
printf '1 init\n' > "$STAND/cmdlines"
echo 1 > "$STAND/one"
: > "$STAND/empty"
cp "$(command -v dash || command -v sh)" "$WORK/seedjob"

# MARKERS COUNT into the instance's buffer, from seedjob on alternate CPUs.
markers() {
	for i in $(seq "$1"); do
		taskset -c $((i % 2)) "$WORK/seedjob" -c "echo 'seed marker $i' > $T/instances/$INST/trace_marker"
	done
}

tracecmd() { # TRACE-CMD OUT MODE [TRACE-CMD OPTIONS]
	local tc=$1 out=$2 mode=$3
	shift 3
	INST=bootrace-seed-$$
	mkdir "$T/instances/$INST"
	echo 16 > "$T/instances/$INST/buffer_size_kb"
	if [ "$mode" != record-B ]; then
		echo 'comm == "seedjob"' > "$T/instances/$INST/events/sched/sched_process_exit/filter"
		echo 1 > "$T/instances/$INST/events/sched/sched_process_exit/enable"
		markers 12
		echo 0 > "$T/instances/$INST/tracing_on"
	fi
	[ "$mode" != extract-a ] || for i in 1 2 3; do echo "seed top-level $i" > "$T/trace_marker"; done
	# trace-cmd record writes ftrace_enabled and the function filters, which a
	# container may forbid: here they are files of the namespace's own.
	unshare -m bash -c '
		set -e
		T=$1 S=$2 I=$3 MODE=$4 TC=$5 OUT=$6 WORK=$7
		shift 7
		mount --bind "$S/ev" "$T/events"
		mount --bind "$S/kallsyms" /proc/kallsyms
		mount --bind "$S/printk" "$T/printk_formats"
		mount --bind "$S/cmdlines" "$T/saved_cmdlines"
		mount --bind "$S/one" /proc/sys/kernel/ftrace_enabled 2>/dev/null || true
		mount --bind "$S/empty" /sys/kernel/btf/vmlinux 2>/dev/null || true
		mount --bind "$S/empty" /proc/modules 2>/dev/null || true
		for f in set_ftrace_filter set_ftrace_notrace set_ftrace_pid set_graph_function set_graph_notrace; do
			mount --bind "$S/empty" "$T/instances/$I/$f" 2>/dev/null || true
		done
		case $MODE in
		extract-B) "$TC" extract -B "$I" -o "$OUT" "$@" ;;
		extract-a) "$TC" extract -a -o "$OUT" "$@" ;;
		record-B)
			"$TC" record -B "$I" -e sched:sched_process_exit -f "comm == \"seedjob\"" \
				-b 16 -o "$OUT" "$@" &
			sleep 1
			for i in $(seq 12); do
				taskset -c $((i % 2)) "$WORK/seedjob" -c "echo seed marker $i > $T/instances/$I/trace_marker"
			done
			kill -INT $!
			wait $! || true
			;;
		esac' bash "$T" "$STAND" "$INST" "$mode" "$tc" "$OUT/$out" "$WORK" "$@" \
		> "$WORK/tc.log" 2>&1 || { cat "$WORK/tc.log" >&2; exit 1; }
	# trace-cmd removes the instance it read; if not, it goes now.
	rmdir "$T/instances/$INST" 2>/dev/null || true
	INST=
	chmod 644 "$OUT/$out"
	neutral_uname "$OUT/$out"
}

top_size=$(cat "$T/buffer_size_kb")
tracecmd trace-cmd trace-cmd-3.1.6-extract-B-v7-zstd.dat extract-B
tracecmd trace-cmd trace-cmd-3.1.6-extract-B-v7-none.dat extract-B --compression none
tracecmd trace-cmd trace-cmd-3.1.6-extract-a-v7-zstd.dat extract-a
tracecmd trace-cmd trace-cmd-3.1.6-record-B-v7-zstd.dat record-B
tracecmd trace-cmd trace-cmd-3.1.6-record-B-v6.dat record-B --file-version 6
if [ -n "$SID" ]; then
	tracecmd "$SID" trace-cmd-3.4-extract-B-v7-zstd.dat extract-B
	tracecmd "$SID" trace-cmd-3.4-extract-B-v7-none.dat extract-B --compression none
	tracecmd "$SID" trace-cmd-3.4-extract-B-v7-zlib.dat extract-B --compression zlib
	tracecmd "$SID" trace-cmd-3.4-extract-a-v7-zstd.dat extract-a
	tracecmd "$SID" trace-cmd-3.4-record-B-v7-zstd.dat record-B
	tracecmd "$SID" trace-cmd-3.4-record-B-v6.dat record-B --file-version 6
else
	echo "make-seeds: no trace-cmd 3.4 (tests/vm/fetch.sh): its files skipped" >&2
fi
# extract -a reads the top level too; give it back the size it had.
[ "$(cat "$T/buffer_size_kb")" = "$top_size" ] || echo "${top_size%% *}" > "$T/buffer_size_kb"
