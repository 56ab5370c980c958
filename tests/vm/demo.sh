#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bootrace end to end on a fresh Debian 12 machine: install what's needed,
# build bootrace, fetch a 7.1+ kernel, boot it in QEMU with the command line
# "bootrace setup --print" composes, write markers, reboot, then collect and
# verify the previous boot's trace, and show the result.
#
# Usage: tests/vm/demo.sh [--cpus N] [--out DIR]
#   --out DIR   where the run's files stay (default ./bootrace-demo)
# Environment: BUILD (build dir, default <source>/build), BOOTRACE_CACHE.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
SRCROOT=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-$SRCROOT/build}
cpus=2
out=$PWD/bootrace-demo

if [ -t 1 ]; then B=$'\e[1m' N=$'\e[0m'; else B= N=; fi

heading() { printf '\n%s==> %s%s\n' "$B" "$*" "$N"; }
die() { echo "demo: error: $*" >&2; exit 1; }

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--cpus) cpus=$2; shift ;;
		--out) out=$2; shift ;;
		-h|--help) sed -n '4,11p' "$0"; exit 0 ;;
		*) die "unknown argument: $1" ;;
		esac
		shift
	done
}

install_deps() {
	heading "Installing build and test dependencies (tests/install-deps.sh)"
	"$SRCROOT/tests/install-deps.sh"
	echo "all present"
}

build_bootrace() {
	heading "Building bootrace in $BUILD"
	if [ ! -f "$BUILD/build.ninja" ]; then
		meson setup "$BUILD" "$SRCROOT" > "$out/meson-setup.log" ||
			{ cat "$out/meson-setup.log"; die "meson setup failed"; }
	fi
	meson compile -C "$BUILD" > "$out/meson-compile.log" ||
		{ tail -n 30 "$out/meson-compile.log"; die "build failed"; }
	echo "$BUILD/cmd/bootrace"
}

fetch_kernel() {
	heading "Fetching a 7.1+ Debian cloud kernel and sid's trace-cmd 3.4 (tests/vm/fetch.sh)"
	rc=0
	kdir=$("$HERE/fetch.sh") || rc=$?
	[ $rc -eq 0 ] || die "fetch.sh failed ($rc)"
}

show_cmdline() {
	heading "Kernel command line, from: bootrace setup --print --events sched,irq"
	"$BUILD/cmd/bootrace" setup --print --events sched,irq | tail -n 1
}

run_lifecycle() {
	heading "Boot 1: write 200 markers, reboot -f; boot 2: status, collect, verify ($cpus vCPUs, TCG)"
	start=$(date +%s)
	rc=0
	"$HERE/lifecycle.sh" --cpus "$cpus" --bootrace "$BUILD/cmd/bootrace" \
		--kernel "$kdir/vmlinuz" --keep "$out/vm" > "$out/lifecycle.tap" || rc=$?
	echo "QEMU run and checks took $(( $(date +%s) - start ))s"
	return $rc
}

show_file() {
	# show_file TITLE FILE...
	title=$1; shift
	heading "$title"
	cat "$@" 2>/dev/null | sed 's/^/    /'
}

show_results() {
	o=$out/vm/out
	show_file "In the guest, boot 2: bootrace status" "$o/status.out" "$o/status.err"
	show_file "In the guest: backup instance per-CPU stats before collect" "$o/backup-stats.txt"
	show_file "In the guest: bootrace collect -o /out/trace.dat" "$o/collect.out" "$o/collect.err"
	show_file "In the guest: bootrace verify /out/trace.dat" "$o/verify.out" "$o/verify.err"
	if [ -s "$out/vm/report-3.4.txt" ]; then
		heading "On the host: trace-cmd report (3.4), last 15 of $(wc -l < "$out/vm/report-3.4.txt") lines"
		tail -n 15 "$out/vm/report-3.4.txt"
		heading "On the host: the markers written in boot 1, as trace-cmd 3.4 reports them (first 5)"
		grep 'bootrace-marker' "$out/vm/report-3.4.txt" | head -n 5
	fi
	heading "Checks (TAP, full output in $out/lifecycle.tap)"
	grep -E '^(not )?ok ' "$out/lifecycle.tap"
}

main() {
	parse_args "$@"
	mkdir -p "$out"
	out=$(cd "$out" && pwd)
	install_deps
	build_bootrace
	fetch_kernel
	show_cmdline
	rc=0
	run_lifecycle || rc=$?
	show_results
	echo
	if [ $rc -eq 0 ]; then
		echo "${B}All checks passed.${N} The previous boot's trace: $out/vm/out/trace.dat"
		echo "Read it with: trace-cmd report -i $out/vm/out/trace.dat"
	else
		echo "${B}Some checks failed (exit $rc).${N} Guest console: $out/vm/console.log"
		[ ! -s "$out/vm/out/trace.dat" ] || echo "Collected file: $out/vm/out/trace.dat"
	fi
	exit $rc
}

main "$@"
