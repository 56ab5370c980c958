#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Benchmark on this machine's own tracefs: bootrace collect against
# "trace-cmd extract -k" and against the floor (floor-drain: read(2) of every
# CPU into one file, fsync), on identical data; and bootrace collect
# --compress (zstd, as trace-cmd's own output). For each buffer size and
# sub-buffer size, one throwaway instance per tool gets the same events at once
# (raw_syscalls, enabled in all of them while a load runs on every CPU),
# so each tool drains its own copy of the same trace; the order of the
# tools rotates from run to run. Prints one table per scenario (medians).
#
# Usage: bench-host.sh BOOTRACE FLOOR_DRAIN BENCH_RUN BENCH_TABLE
# Environment: BENCH_RUNS (default 5), BENCH_SIZES_MIB (default "16 64 256",
#   total over all CPUs), BENCH_SUBBUF_KB (default "4 8"),
#   BENCH_TRACE_CMD (default /usr/bin/trace-cmd), BENCH_KEEP=DIR (keep the
#   raw results there).
# Exit 0; 1 if a tool failed; 77 if not root or no tracefs.
set -u

BOOTRACE=$(realpath "$1")
FLOOR=$(realpath "$2")
RUN=$(realpath "$3")
TABLE=$(realpath "$4")
RUNS=${BENCH_RUNS:-5}
SIZES=${BENCH_SIZES_MIB:-16 64 256}
SUBBUFS=${BENCH_SUBBUF_KB:-4 8}
TRACE_CMD=${BENCH_TRACE_CMD:-/usr/bin/trace-cmd}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/tap.sh"	# skip_all

[ "$(id -u)" = 0 ] || skip_all "needs root to create tracefs instances"
[ -x "$TRACE_CMD" ] || skip_all "no $TRACE_CMD (apt-get install trace-cmd)"
TRACEFS=$(awk '$3 == "tracefs" { print $2; exit }' /proc/mounts)
[ -n "$TRACEFS" ] || skip_all "tracefs is not mounted"
[ -d "$TRACEFS/instances" ] || skip_all "tracefs at $TRACEFS has no instances"
[ -d "$TRACEFS/events/raw_syscalls" ] || skip_all "no raw_syscalls events"

NCPU=$(nproc)
# One instance per tool, filled at once: bootrace with -o, trace-cmd, the
# floor, bootrace into a state directory as the boot unit collects (the
# sidecar written, retention run), and bootrace --compress when this build
# has zstd.
TAGS="bt tc fl bs"
NTOOLS=4
if "$BOOTRACE" collect --compress --help > /dev/null 2>&1; then
	TAGS="$TAGS bz"
	NTOOLS=5
fi
WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/bootrace-bench.XXXXXX")
RESULTS=$WORK/results.tsv
PREFIX=bootrace-bench-$$
INSTANCES=()
LOAD_PIDS=()
failed=0

cleanup() {
	local i
	for i in "${LOAD_PIDS[@]}"; do kill "$i" 2>/dev/null; done
	wait 2>/dev/null
	for i in "${INSTANCES[@]}"; do
		[ -d "$TRACEFS/instances/$i" ] && rmdir "$TRACEFS/instances/$i"
	done
	if [ -n "${BENCH_KEEP:-}" ]; then
		mkdir -p "$BENCH_KEEP" && cp "$RESULTS" "$BENCH_KEEP/" 2>/dev/null
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

inst() { echo "$TRACEFS/instances/$PREFIX-$1"; }

make_instances() { # SUBBUF_KB PER_CPU_KB
	local t
	for t in $TAGS; do
		mkdir "$(inst $t)" && INSTANCES+=("$PREFIX-$t") || return 1
		echo 0 >"$(inst $t)/tracing_on"
		if [ "$1" != 4 ]; then
			echo "$1" >"$(inst $t)/buffer_subbuf_size_kb" || return 1
		fi
		echo "$2" >"$(inst $t)/buffer_size_kb" || return 1
		echo 1 >"$(inst $t)/events/raw_syscalls/enable" || return 1
	done
}

remove_instances() {
	local t
	for t in $TAGS; do
		rmdir "$(inst $t)" 2>/dev/null
	done
	INSTANCES=()
}

sum_stat() { # INSTANCE-TAG FIELD
	cat "$(inst "$1")"/per_cpu/cpu*/stats | awk -v f="$2:" '$1 == f { s += $2 } END { print s + 0 }'
}

# Every syscall of the load adds an enter and an exit event (about 48 bytes
# each) to every instance at once; dd bs=1 makes two per byte. A
# third more than fits, so every buffer is full (the oldest overwritten).
fill() { # PER_CPU_KB
	local count=$(($1 * 1024 * 4 / 3 / 192)) cpu t
	for t in $TAGS; do echo 1 >"$(inst $t)/tracing_on"; done
	LOAD_PIDS=()
	for cpu in $(seq 0 $((NCPU - 1))); do
		taskset -c "$cpu" dd if=/dev/zero of=/dev/null bs=1 count="$count" 2>/dev/null &
		LOAD_PIDS+=($!)
	done
	wait "${LOAD_PIDS[@]}"
	LOAD_PIDS=()
	for t in $TAGS; do echo 0 >"$(inst $t)/tracing_on"; done
}

measure() { # SCENARIO RUN TOOL OUTPUT DATA_BYTES_FILE COMMAND...
	local scen=$1 run=$2 tool=$3 out=$4 data_file=$5 line code size
	shift 5
	rm -f "$WORK/run.txt"
	(cd "$WORK/out" && "$RUN" "$WORK/run.txt" "$@" >"$WORK/tool.out" 2>"$WORK/tool.err")
	line=$(tail -n 1 "$WORK/run.txt" 2>/dev/null)
	code=$(echo "$line" | sed -n 's/.*exit=\([0-9]*\).*/\1/p')
	if [ "${code:-1}" != 0 ]; then
		failed=1
		echo "  $tool failed (run $run): $(tail -n 3 "$WORK/tool.err" | tr '\n' ' ')" >&2
	fi
	size=$(stat -c %s "$out" 2>/dev/null || echo 0)
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scen" "$tool" "$run" \
		"$(echo "$line" | sed -n 's/.*wall_ms=\([0-9.]*\).*/\1/p')" \
		"$(echo "$line" | sed -n 's/.*maxrss_kb=\([0-9]*\).*/\1/p')" \
		"$size" "@DATA@" "${code:-1}" >>"$WORK/pending.tsv"
	rm -rf "$WORK/out" && mkdir "$WORK/out"
	sync
}

run_tool() { # INDEX SCENARIO RUN
	case $1 in
	0) measure "$2" "$3" "bootrace collect" "$WORK/out/bootrace.dat" - \
		"$BOOTRACE" --tracefs "$TRACEFS" collect --instance "$PREFIX-bt" -o "$WORK/out/bootrace.dat" ;;
	1) measure "$2" "$3" "trace-cmd extract -k" "$WORK/out/trace-cmd.dat" - \
		"$TRACE_CMD" extract -k -B "$PREFIX-tc" -o "$WORK/out/trace-cmd.dat" ;;
	2) measure "$2" "$3" "floor read(2)+fsync" "$WORK/out/floor.raw" - \
		"$FLOOR" "$(inst fl)" "$WORK/out/floor.raw"
	   cp "$WORK/tool.out" "$WORK/floor-bytes" ;;
	3) # The boot unit's path: the state directory keeps the last two
	   # collections, so from the second run on retention removes one.
	   measure "$2" "$3" "bootrace collect (state dir)" "$WORK/out/state.dat" - \
		bash -c '"$1" --tracefs "$2" collect --oneline --instance "$3" --state-dir "$4" \
			--config "$5" >/dev/null && ln "$(ls -d "$4"/*Z-*/ | tail -n 1)trace.dat" "$6"' \
		bootrace-state "$BOOTRACE" "$TRACEFS" "$PREFIX-bs" "$WORK/state" "$WORK/state.conf" \
		"$WORK/out/state.dat" ;;
	4) measure "$2" "$3" "bootrace collect --compress" "$WORK/out/bootrace-zstd.dat" - \
		"$BOOTRACE" --tracefs "$TRACEFS" collect --compress --instance "$PREFIX-bz" \
		-o "$WORK/out/bootrace-zstd.dat" ;;
	esac
}

scenario() { # SIZE_MIB SUBBUF_KB
	local size=$1 subbuf=$2 per_cpu_kb run first i scen left
	per_cpu_kb=$((size * 1024 / NCPU))
	scen="host $(uname -r), $size MiB buffer ($NCPU CPUs x $((per_cpu_kb / 1024)) MiB), $subbuf KiB sub-buffers"
	if ! make_instances "$subbuf" "$per_cpu_kb"; then
		echo "cannot set up instances for: $scen" >&2
		remove_instances
		failed=1
		return
	fi
	for run in $(seq 1 "$RUNS"); do
		fill "$per_cpu_kb"
		sync
		sleep 1
		: >"$WORK/pending.tsv"
		echo 0 >"$WORK/floor-bytes"
		first=$(( (run - 1) % NTOOLS ))
		for i in $(seq 0 $((NTOOLS - 1))); do
			run_tool $(( (first + i) % NTOOLS )) "$scen" "$run"
		done
		sed "s/@DATA@/$(tr -dc 0-9 <"$WORK/floor-bytes")/" "$WORK/pending.tsv" >>"$RESULTS"
		for i in $TAGS; do
			left=$(sum_stat "$i" entries)
			[ "$left" = 0 ] || echo "  warning: instance $i still holds $left entries after run $run" >&2
		done
	done
	remove_instances
	"$TABLE" <(grep -F "$scen" "$RESULTS")
}

mkdir -p "$WORK/out" "$WORK/state"
printf 'keep = 2\n' >"$WORK/state.conf"
: >"$RESULTS"
echo "bootrace benchmark on this machine's tracefs: $(nproc) CPUs, $(uname -r), $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
echo "tools: $("$BOOTRACE" --version 2>&1 | head -n 1); $("$TRACE_CMD" --version 2>&1 | grep -m1 version); runs per scenario: $RUNS; load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
for subbuf in $SUBBUFS; do
	[ "$subbuf" = 4 ] || [ -e "$TRACEFS/buffer_subbuf_size_kb" ] || continue
	for size in $SIZES; do
		scenario "$size" "$subbuf"
	done
done
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $failed
