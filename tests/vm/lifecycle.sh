#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The whole bootrace lifecycle on a real kernel (6.12 or later), in one
# QEMU run: boot 1 runs collect as the boot unit would and writes known
# markers into the persistent instance, then reboots (RAM survives QEMU's
# reset); boot 2 runs bootrace status, collect and verify and hands the
# results out on a raw disk. The host then checks them and prints TAP,
# with what the kernel's level promises: a read-only backup that removes
# itself (7.1+), a writable backup that collect removes (6.19, 7.0), or the
# persistent instance itself, cleared and tracing again (6.12 - 6.18).
#
# Usage: lifecycle.sh --cpus N [--kernel VMLINUZ] [--modules DIR]
#            [--bootrace PATH] [--keep DIR] [--markers N] [--timeout SEC]
#            [--attempts N] [--events LIST] [--sid-collect]
#            [--line X.Y] [--kernel-release RELEASE]
#   --kernel       default: the newest cloud kernel >= 7.1, via fetch.sh;
#                  any x86 bzImage works (a kernel you built: CONFIG_NVME
#                  built in, tracing, reserve_mem); its release is read
#                  from its header unless --kernel-release says otherwise
#   --line X.Y     the newest kernel of that line, via fetch.sh --line
#   --modules      default: the modules/ dir next to VMLINUZ (fetch.sh's layout)
#   --bootrace     default: build/cmd/bootrace
#   --keep DIR     work in DIR and keep console log, disk, trace.dat there
#   --timeout SEC  per QEMU run (default 150; a run takes ~10-25 s here)
#   --attempts N   QEMU runs allowed when the guest kernel fails before
#                  bootrace runs (default 3), see environment_failure()
#   --sid-collect  collect with sid's "trace-cmd extract -k" in the guest
#                  instead of bootrace (checks the harness and the kernel
#                  alone); bootrace still composes the command line when
#                  it is present
# Exit 0 all checks passed, 1 a check failed, 77 a resource is missing
# (no kernel cached and the Debian archive unreachable).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/host-lib.sh"
SRCROOT=$(cd "$HERE/../.." && pwd)
TRACE_CMD_BOOKWORM=/usr/bin/trace-cmd
TRACE_CMD_SID=$HERE/trace-cmd-sid
PERSISTENT=$VM_PERSISTENT
BACKUP=$VM_BACKUP

cpus= kernel= modules= bootrace= keep= sid_collect=false line= release=
markers=200 timeout=$VM_TIMEOUT_KERNEL attempts=3 events=$VM_EVENTS
work=

die() { echo "lifecycle: error: $*" >&2; exit 1; }

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--cpus) cpus=$2; shift ;;
		--kernel) kernel=$2; shift ;;
		--modules) modules=$2; shift ;;
		--bootrace) bootrace=$2; shift ;;
		--keep) keep=$2; shift ;;
		--markers) markers=$2; shift ;;
		--timeout) timeout=$2; shift ;;
		--attempts) attempts=$2; shift ;;
		--events) events=$2; shift ;;
		--sid-collect) sid_collect=true ;;
		--line) line=$2; shift ;;
		--kernel-release) release=$2; shift ;;
		-h|--help) sed -n '4,33p' "$0"; exit 0 ;;
		*) die "unknown argument: $1" ;;
		esac
		shift
	done
	[ -n "$cpus" ] || die "--cpus N is required"
	[ -n "$bootrace" ] || bootrace=$SRCROOT/build/cmd/bootrace
}

find_kernel() {
	if [ -z "$kernel" ]; then
		rc=0
		kdir=$("$HERE/fetch.sh" --quiet ${line:+--line "$line"}) || rc=$?
		[ $rc -ne 77 ] || skip_all "no 7.1+ kernel: none cached in $CACHE and the Debian archive is unreachable"
		[ $rc -eq 0 ] || die "fetch.sh failed ($rc)"
		kernel=$kdir/vmlinuz
	fi
	[ -s "$kernel" ] || die "no kernel at $kernel"
	[ -n "$release" ] || release=$(bzimage_release "$kernel")
	case $release in
	[0-9]*.[0-9]*) ;;
	*) die "cannot tell the release of $kernel: give --kernel-release" ;;
	esac
	level=$(kernel_level "$release")
	# The guest needs no modules (its disk is NVMe); fetch.sh's layout may
	# still name some to load.
	[ -n "$modules" ] || modules=$(dirname "$kernel")/modules
	if [ ! -f "$modules/load-order" ]; then
		modules=$(mktemp -d)
		: > "$modules/load-order"
	fi
	if [ ! -x "$CACHE/sid/root/usr/bin/trace-cmd" ]; then
		rc=0
		"$HERE/fetch.sh" --quiet > /dev/null || rc=$?
		[ $rc -ne 77 ] || skip_all "sid's trace-cmd 3.4 not in $CACHE and the Debian archive is unreachable"
		[ $rc -eq 0 ] || die "fetch.sh failed ($rc)"
	fi
}

# The release an x86 bzImage names in its setup header (the version string
# at 0x200 + the 16-bit offset stored at 0x20e).
bzimage_release() {
	off=$(od -An -tu2 -j526 -N2 "$1" | tr -d ' ')
	[ -n "$off" ] || return 0
	dd if="$1" bs=1 skip=$((off + 512)) count=128 2>/dev/null | tr '\0' '\n' |
		head -n 1 | cut -d' ' -f1
}

# The kernel command line fragment comes from bootrace itself: the test
# checks the command line bootrace tells users to boot with.
setup_fragment() {
	if [ -x "$bootrace" ]; then
		"$bootrace" setup --print --events "$events" --kernel-release "$release" \
			> "$work/setup.out" 2> "$work/setup.err" ||
			die "bootrace setup --print failed ($?): $(cat "$work/setup.out")"
		tail -n 1 "$work/setup.out"
	elif $sid_collect; then
		echo "reserve_mem=12M:4096:trace trace_instance=$PERSISTENT@trace,$events trace_instance=$BACKUP=$PERSISTENT"
	else
		die "no bootrace binary at $bootrace (build it, or give --bootrace)"
	fi
}

build_initramfs() {
	set -- -o "$work/initramfs.gz" --modules "$modules" --markers "$markers" \
		--persistent "$PERSISTENT" --backup "$BACKUP"
	[ ! -x "$bootrace" ] || set -- "$@" --bootrace "$bootrace"
	! $sid_collect || set -- "$@" --sid-root "$CACHE/sid/root"
	"$HERE/mkinitramfs.sh" "$@"
}

# Under TCG (thread=multi, -cpu max, QEMU 7.2) the guest kernel sometimes
# oopses or hangs early in boot (seen: "RIP: set_next_task_fair", an
# instruction pointer inside a patched NOP: cross-CPU code patching), and
# now and then the reserved memory comes back wiped, whole or for one CPU
# (boot 2's kernel says so, see ring_buffer_lost). Either way the run holds no clean previous
# boot to collect, through no fault of bootrace. Such a run is retried, but
# only if bootrace had not started yet; everything after that is judged.
environment_failure() {
	log=$work/console.log
	# the console up to the first step of boot 2 (all of it if none ran)
	before=$(sed '/^vmtest: + /q' "$log")
	if echo "$before" | grep -q 'Kernel panic'; then
		echo "guest kernel panicked before bootrace ran: $(echo "$before" | grep -m1 'RIP:' | cut -c1-80)"
	elif lost=$(echo "$before" | sed -n '/vmtest: boot 1: rebooting/,$p' | ring_buffer_lost "$cpus"); then
		echo "the reserved memory did not survive the reboot ($lost)"
	elif ! grep -q '^vmtest: + ' "$log" && { [ "$vm_rc" = 124 ] || [ "$vm_rc" = 137 ]; }; then
		echo "guest hung before bootrace ran (last line: $(tail -n 1 "$log" | cut -c1-80))"
	else
		return 1
	fi
}

run_attempts() {
	retries=
	attempt=1
	while :; do
		run_vm "$cmdline_fragment"
		why=$(environment_failure) || break
		[ "$attempt" -lt "$attempts" ] || break
		cp "$work/console.log" "$work/console-attempt$attempt.log"
		retries="$retries|attempt $attempt (${vm_seconds}s): $why; retried"
		attempt=$((attempt + 1))
	done
}

result() {
	# result KEY: the guest's value for KEY from results.env
	sed -n "s/^$1=//p" "$work/out/results.env" 2>/dev/null | tail -n 1
}

# "trace-cmd report" event lines carry "[CPU] TIMESTAMP:" (3.4 puts the
# latency flags, e.g. "d.h1.", in between); header lines (cpus=N) and
# lost-event notes don't.
count_records() {
	grep -cE '\[[0-9]+\] +([^ ]+ +)?[0-9]+\.[0-9]+: ' "$1" || true
}

markers_missing() {
	grep -oE 'bootrace-marker [0-9]+' "$1" | awk '{ print $2 }' | sort -un > "$1.markers"
	seq 1 "$markers" | comm -23 - "$1.markers"
}

check_report() {
	# check_report NAME TRACE-CMD
	name=$1 tc=$2
	rep=$work/report-$name.txt
	rc=0
	"$tc" report -i "$work/out/trace.dat" > "$rep" 2> "$rep.err" || rc=$?
	if [ $rc -eq 0 ] && [ -s "$rep" ]; then
		tap OK "trace-cmd $name report reads the file"
	else
		tap FAIL "trace-cmd $name report reads the file (exit $rc)"
		sed 's/^/#   /' "$rep.err" | head -n 20
	fi
	[ ! -s "$rep.err" ] || { note "trace-cmd $name report stderr:"; sed 's/^/#   /' "$rep.err" | head -n 10; }
	missing=$(markers_missing "$rep")
	if [ -z "$missing" ]; then
		tap OK "all $markers markers from boot 1 in the $name report"
	else
		tap FAIL "all $markers markers from boot 1 in the $name report ($(echo "$missing" | wc -l) missing: $(echo $missing | cut -c1-200))"
	fi
	records=$(count_records "$rep")
	entries=$(result backup_entries)
	if [ "$records" = "$entries" ]; then
		tap OK "$name report has $records records = sum of backup per-CPU entries"
	else
		tap FAIL "$name report has $records records, backup per-CPU entries sum to ${entries:-?}"
	fi
}

# The previous boot's kernel sat elsewhere (KASLR): only with the
# LAST_BOOT_INFO option that collect stores can trace-cmd 3.4 turn the
# hrtimer callbacks' addresses into the right function names. Each name must
# be a text symbol of this kernel (/proc/kallsyms of boot 2).
check_symbols() {
	map=$work/out/kallsyms.txt
	rep=$work/report-3.4.txt
	if [ ! -s "$map" ] || ! grep -q 'hrtimer_start:' "$rep"; then
		note "symbol check skipped: no kallsyms from the guest or no timer events"
		return
	fi
	if ! grep -qE '^[0-9a-f]*[1-9a-f][0-9a-f]*[[:space:]]+\[kernel\]' "$work/out/backup-last_boot_info.txt"; then
		note "symbol check skipped: this kernel gives no previous-boot kernel address ($(head -n 1 "$work/out/backup-last_boot_info.txt"))"
		return
	fi
	grep -o 'hrtimer_start:.* function=[^ ]*' "$rep" | sed 's/.* function=//; s|/.*||' |
		sort -u > "$work/hrtimer-functions.txt"
	awk '$2 ~ /^[tT]$/ { print $3 }' "$map" | sort -u > "$work/text-symbols.txt"
	unknown=$(comm -23 "$work/hrtimer-functions.txt" "$work/text-symbols.txt")
	known=$(comm -12 "$work/hrtimer-functions.txt" "$work/text-symbols.txt" | wc -l)
	if [ -z "$unknown" ] && [ "$known" -gt 0 ]; then
		tap OK "3.4 resolves the previous boot's addresses: $known hrtimer callbacks, all functions ($(head -3 "$work/hrtimer-functions.txt" | tr '\n' ' '))"
	else
		tap FAIL "3.4 resolves the previous boot's addresses: not functions: $(echo $unknown | cut -c1-200)"
	fi
}

rc_is_zero() { [ "$(result "$1")" = 0 ]; }

# What the release promises: persistent (6.12-6.18), backup (6.19, 7.0),
# read-only (7.1+).
kernel_level() {
	v=${1%%[!0-9.]*}
	if dpkg --compare-versions "$v" ge 7.1; then echo read-only
	elif dpkg --compare-versions "$v" ge 6.19; then echo backup
	else echo persistent
	fi
}

# bootrace status (run before collect) names the level, and the next step.
check_status() {
	$sid_collect && return
	got=$(sed -n 's/^what you get: //p' "$work/out/status.out")
	case $level in
	persistent) want="no backup instances" ;;
	backup) want="stays (writable) until bootrace removes it" ;;
	*) want="read-only backup of the previous boot that the kernel removes" ;;
	esac
	check "status names the kernel's level: '$(echo "$got" | cut -c1-70)...'" \
		grep -qF "$want" "$work/out/status.out"
	check "status says the previous boot's trace is waiting" \
		grep -q "^next: the previous boot's trace is in " "$work/out/status.out"
}

# The instances after collect, as the kernel's level promises.
check_instances() {
	check_status
	case $level in
	persistent)
		check "no backup instance before 6.19; the previous boot was in $PERSISTENT" \
			[ "$(result source)" = "$PERSISTENT" ]
		check "$PERSISTENT re-armed by collect (tracing_on $(result persistent_tracing_on))" \
			[ "$(result persistent_tracing_on)" = 1 ] ;;
	backup)
		check "backup instance present in boot 2" [ "$(result backup_present_before)" = 1 ]
		check "writable backup removed by collect (6.19, 7.0)" [ "$(result backup_gone)" = 1 ] ;;
	*)
		check "backup instance present in boot 2" [ "$(result backup_present_before)" = 1 ]
		check "read-only backup removed itself after collect (7.1+)" [ "$(result backup_gone)" = 1 ] ;;
	esac
}

report_guest() {
	note "guest console (last 60 lines of $work/console.log):"
	tail -n 60 "$work/console.log" 2>/dev/null | sed 's/^/#   /'
}

check_results() {
	echo "TAP version 13"
	note "kernel $release ($level), $cpus vCPUs, cmdline: $(vm_cmdline "$cmdline_fragment")"
	echo "$retries" | tr '|' '\n' | sed '/^$/d; s/^/# /'
	note "QEMU ran ${vm_seconds}s (attempt $attempt), exit $vm_rc"
	[ -z "${why:-}" ] || note "this attempt: $why"
	check "guest powered off by itself within ${timeout}s" [ "$vm_rc" = 0 ]
	check "guest reached boot 2 and wrote its results" [ "$(result boot)" = 2 ]
	[ "$(result boot)" = 2 ] || report_guest
	note "backup per-CPU entries: $(result backup_entries)"
	if $sid_collect; then
		note "collected with sid trace-cmd extract -k; status/verify not run"
		check "trace-cmd extract exit 0" rc_is_zero collect_rc
	else
		check "bootrace status exit 0 (got $(result status_rc))" rc_is_zero status_rc
		check "bootrace collect exit 0 (got $(result collect_rc))" rc_is_zero collect_rc
		check "bootrace verify exit 0 (got $(result verify_rc))" rc_is_zero verify_rc
	fi
	check_instances
	check "persistent instance still present" [ "$(result persistent_present)" = 1 ]
	check "persistent instance traces the new boot ($(result persistent_entries) entries, last_boot_info '$(result persistent_last_boot_info)')" \
		[ "$(result persistent_entries)" -gt 0 ] 2>/dev/null
	if [ -s "$work/out/trace.dat" ]; then
		note "trace.dat: $(stat -c %s "$work/out/trace.dat") bytes"
		check_report 3.1.6 "$TRACE_CMD_BOOKWORM"
		check_report 3.4 "$TRACE_CMD_SID"
		check_symbols
	else
		tap FAIL "trace.dat came out of the guest"
	fi
	[ $tap_failed -eq 0 ] || report_guest
	tap_plan
}

main() {
	parse_args "$@"
	find_kernel
	if [ -n "$keep" ]; then
		mkdir -p "$keep"
		work=$(cd "$keep" && pwd)
		rm -rf "$work/out"
	else
		work=$(mktemp -d "${TMPDIR:-/tmp}/bootrace-vm.XXXXXX")
	fi
	cmdline_fragment=$(setup_fragment)
	build_initramfs
	run_attempts
	vm_results "$work/disk.img" "$work/out" || true
	check_results
	if [ $tap_failed -ne 0 ]; then
		note "$tap_failed check(s) failed; files kept in $work"
		exit 1
	fi
	[ -n "$keep" ] || rm -rf "$work"
}

main "$@"
