#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A fake tracefs for the CLI tests: a directory tree shaped like a 7.1+
# read-only backup instance (no tracing_on, events/ with format and id
# only, last_boot_info), whose per_cpu/cpuN/trace_pipe_raw are regular
# files holding real ring-buffer pages. read(2) of a regular file returns
# the pages and then 0, which is what collect sees on a drained CPU.
#
#   fake-tracefs.sh make FIXTURE DIR   build the tree in DIR from FIXTURE
#   fake-tracefs.sh decoder FIXTURE STATE_DIR
#                                      what bootrace save-decoder would have
#                                      left in STATE_DIR for the boot whose
#                                      trace FIXTURE holds: its formats, its
#                                      kernel text where last_boot_info says
#                                      (no symbols), so collect decodes the
#                                      fake trace with them
#   fake-tracefs.sh capture FIXTURE    (root, live tracefs) record FIXTURE
#                                      anew from a throwaway instance
set -eu

make_tree() {
	local fixture=$1 dir=$2

	mkdir -p "$dir/instances"
	cp -R "$fixture/backup" "$dir/instances/backup"
	cp "$fixture/available_events" "$dir/available_events"
	chmod -R u+rw "$dir"
}

capture() {
	local fixture=$1 tracefs=${TRACEFS:-/sys/kernel/tracing}
	local out="$fixture/backup" nr_cpus cpu

	# Global: the EXIT trap runs after this function has returned.
	inst="$tracefs/instances/bootrace-fixture-$$"

	[ -d "$tracefs/instances" ] || { echo "no tracefs at $tracefs" >&2; exit 1; }
	nr_cpus=$(nproc)
	[ "$nr_cpus" -ge 2 ] || { echo "need at least 2 CPUs" >&2; exit 1; }
	nr_cpus=2
	mkdir "$inst"
	# The throwaway instance goes whatever happens; nothing else is touched.
	trap 'rmdir "$inst"' EXIT
	echo 16 > "$inst/buffer_size_kb"
	echo 1 > "$inst/tracing_on"
	for cpu in $(seq 0 $((nr_cpus - 1))); do
		taskset -c "$cpu" bash -c '
			for i in $(seq 1 '$((10 + 5 * cpu))'); do
				echo "bootrace fixture marker $i on cpu'$cpu'" > "$1"
			done' _ "$inst/trace_marker"
	done
	echo 0 > "$inst/tracing_on"

	rm -rf "$out"
	mkdir -p "$out/events/ftrace/print"
	cp "$inst/events/header_page" "$inst/events/header_event" "$out/events/"
	cp "$inst/events/ftrace/print/format" "$inst/events/ftrace/print/id" "$out/events/ftrace/print/"
	cat "$inst/trace_clock" > "$out/trace_clock"
	cat "$inst/buffer_size_kb" > "$out/buffer_size_kb"
	[ -e "$inst/buffer_subbuf_size_kb" ] && cat "$inst/buffer_subbuf_size_kb" > "$out/buffer_subbuf_size_kb"
	printf 'ffffffff82600000\t[kernel]\n' > "$out/last_boot_info"
	for cpu in $(seq 0 $((nr_cpus - 1))); do
		mkdir -p "$out/per_cpu/cpu$cpu"
		# The stats first: reading trace_pipe_raw consumes the pages.
		cat "$inst/per_cpu/cpu$cpu/stats" > "$out/per_cpu/cpu$cpu/stats"
		dd if="$inst/per_cpu/cpu$cpu/trace_pipe_raw" of="$out/per_cpu/cpu$cpu/trace_pipe_raw" \
			bs=4096 iflag=nonblock status=none 2>/dev/null || true
	done
	grep -E '^(sched|irq):' "$tracefs/available_events" > "$fixture/available_events"
	chmod -R u+rw,go+r "$fixture"
}

# The decoder file as lib/decoder.c describes it, with an uncompressed body.
FIXTURE_BOOT=f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1
decoder() {
	local fixture=$1 state=$2 ev=$1/backup/events body n=0 f name sys
	body=$(mktemp)
	entry() { printf '%s %s\n' "$1" "$(wc -c < "$2")"; cat "$2"; }
	{
		entry header_page "$ev/header_page"
		entry header_event "$ev/header_event"
		for f in "$ev"/*/*/format; do
			[ -f "$f" ] || continue
			name=$(basename "$(dirname "$f")") sys=$(basename "$(dirname "$(dirname "$f")")")
			if [ "$sys" = ftrace ]; then entry "ftrace/$name" "$f"; else entry "events/$sys/$name" "$f"; fi
		done
	} > "$body"
	n=$(ls "$ev"/*/*/format | wc -l)
	mkdir -p "$state/decoders"
	chmod 700 "$state" "$state/decoders"
	{
		printf 'bootrace-decoder 1\nboot_id=%s\nrelease=fixture\nversion=\nbuild_id=\n' "$FIXTURE_BOOT"
		printf 'text=%s\ntime=1\nevents=%d\nmodules=0\nkallsyms=no\nbody=raw\nbody_size=%d\n\n' \
			"$(cut -f 1 "$fixture/backup/last_boot_info" | head -n 1)" "$n" "$(wc -c < "$body")"
		cat "$body"
	} > "$state/decoders/$FIXTURE_BOOT"
	chmod 600 "$state/decoders/$FIXTURE_BOOT"
	rm -f "$body"
}

case "${1:-}" in
make)	[ $# -eq 3 ] || { echo "usage: $0 make FIXTURE DIR" >&2; exit 2; }
	make_tree "$2" "$3" ;;
decoder) [ $# -eq 3 ] || { echo "usage: $0 decoder FIXTURE STATE_DIR" >&2; exit 2; }
	decoder "$2" "$3" ;;
capture) [ $# -eq 2 ] || { echo "usage: $0 capture FIXTURE" >&2; exit 2; }
	capture "$2" ;;
*)	echo "usage: $0 make FIXTURE DIR | decoder FIXTURE STATE_DIR | capture FIXTURE" >&2; exit 2 ;;
esac
