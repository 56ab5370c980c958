#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Benchmark on a real 7.1+ kernel in QEMU (TCG): one persistent buffer
# filled in boot 1, five backups of it in boot 2
# (trace_instance=backup=boot_map ... trace_instance=backup5=boot_map),
# drained by bootrace collect with boot 1's decoder, sid's trace-cmd 3.4
# extract -k, the floor, bootrace collect --compress and bootrace collect
# without the decoder, one each (vm-guest-init.sh).
# Every QEMU run is one sample; the tools' order rotates between runs.
# Prints one table (medians). Times are of an emulated guest: compare the
# ratios, not the absolute numbers, with the host's.
#
# Usage: bench-vm.sh BOOTRACE FLOOR_DRAIN BENCH_RUN BENCH_TABLE
# Environment: BENCH_VM_RUNS (default 3), BENCH_VM_MIB (reserve_mem size,
#   default 64), BENCH_VM_CPUS (default 2), BENCH_KEEP=DIR (keep the work
#   directory: console logs, results).
# Exit 0; 1 a run failed; 77 no kernel or trace-cmd 3.4 to be had.
set -u

BOOTRACE=$(realpath "$1")
FLOOR=$(realpath "$2")
RUN=$(realpath "$3")
TABLE=$(realpath "$4")
HERE=$(cd "$(dirname "$0")" && pwd)
VM=$HERE/../vm
# The VM tests' QEMU runner (vm_qemu: its INT and TERM traps stop QEMU),
# result disk and constants; skip_all.
. "$VM/host-lib.sh"
RUNS=${BENCH_VM_RUNS:-3}
MIB=${BENCH_VM_MIB:-64}
CPUS=${BENCH_VM_CPUS:-$VM_CPUS}

rc=0
kdir=$("$VM/fetch.sh" --quiet | tail -n 1) || rc=$?
[ $rc -ne 77 ] || skip_all "no 7.1+ kernel cached in $CACHE and the Debian archive is unreachable"
[ $rc -eq 0 ] || { echo "fetch.sh failed ($rc)"; exit 1; }
kernel=$kdir/vmlinuz
modules=$kdir/modules
[ -s "$kernel" ] || { echo "no kernel at $kernel"; exit 1; }
[ -x "$CACHE/sid/root/usr/bin/trace-cmd" ] || skip_all "sid's trace-cmd 3.4 not in $CACHE (tests/vm/fetch.sh)"

if [ -n "${BENCH_KEEP:-}" ]; then
	mkdir -p "$BENCH_KEEP" && work=$(cd "$BENCH_KEEP" && pwd)
else
	work=$(mktemp -d "${TMPDIR:-/var/tmp}/bootrace-benchvm.XXXXXX")
	trap 'rm -rf "$work"' EXIT
fi

# The lifecycle test's initramfs (bootrace, sid's trace-cmd, modules) with
# a second archive appended: the kernel unpacks both, later files win.
build_initramfs() {
	local overlay=$work/overlay
	"$VM/mkinitramfs.sh" -o "$work/initramfs.gz" --modules "$modules" \
		--bootrace "$BOOTRACE" --sid-root "$CACHE/sid/root" || return 1
	rm -rf "$overlay"
	mkdir -p "$overlay/bin"
	cp "$HERE/vm-guest-init.sh" "$overlay/init"
	cp "$RUN" "$overlay/bin/bench-run"
	cp "$FLOOR" "$overlay/bin/floor-drain"
	(cd "$overlay" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) |
		gzip -1 >> "$work/initramfs.gz"
}

# vm-guest-init.sh drains $VM_BACKUP and ${VM_BACKUP}2 to ${VM_BACKUP}5.
cmdline="reserve_mem=${MIB}M:4096:trace trace_instance=$VM_PERSISTENT@trace"
for b in "$VM_BACKUP" "${VM_BACKUP}2" "${VM_BACKUP}3" "${VM_BACKUP}4" "${VM_BACKUP}5"; do
	cmdline="$cmdline trace_instance=$b=$VM_PERSISTENT"
done
NTOOLS=5

# One sample: a QEMU run of its own, every run booting the one initramfs.
run_once() { # RUN
	local dir=$work/run$1
	mkdir -p "$dir"
	vm_result_disk "$dir/disk.img"
	vm_qemu "$dir" "$CPUS" "$VM_TIMEOUT_BENCH" \
		-kernel "$kernel" -initrd "$work/initramfs.gz" \
		-append "$(vm_cmdline "$cmdline bench_order=$(( ($1 - 1) % NTOOLS ))")" \
		"${vm_disk_args[@]}"
	vm_results "$dir/disk.img" "$dir/out"
	[ -s "$dir/out/results.txt" ]
}

build_initramfs || { echo "cannot build the initramfs"; exit 1; }
results=$work/results.tsv
: > "$results"
failed=0
echo "bootrace benchmark in QEMU (TCG, $CPUS vCPUs, host: $(nproc) CPUs $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), kernel $(basename "$kdir"), reserve_mem=${MIB}M, $RUNS runs; host load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
for run in $(seq 1 "$RUNS"); do
	if ! run_once "$run"; then
		echo "run $run: no results from the guest; console: $work/run$run/console.log"
		grep 'benchvm:' "$work/run$run/console.log" | tail -n 5
		failed=1
		continue
	fi
	out=$work/run$run/out
	grep 'benchvm: boot 1' "$work/run$run/console.log" | sed 's/^/  /'
	data=$(tr -dc 0-9 < "$out/floor-bytes")
	scen="VM $(cat "$out/uname") (TCG, $(cat "$out/ncpu") vCPUs), $MIB MiB persistent buffer, five backups, $(cat "$out/subbuf_kb") KiB sub-buffers, outputs on the guest's tmpfs"
	while IFS=$'\t' read -r tool line size entries gone; do
		wall=$(echo "$line" | sed -n 's/.*wall_ms=\([0-9.]*\).*/\1/p')
		rss=$(echo "$line" | sed -n 's/.*maxrss_kb=\([0-9]*\).*/\1/p')
		code=$(echo "$line" | sed -n 's/.*exit=\([0-9]*\).*/\1/p')
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scen" "$tool" "$run" "$wall" "$rss" "$size" "$data" "${code:-1}" >> "$results"
		echo "  run $run: $tool: $line, $entries entries, backup gone afterwards: $gone"
		[ "${code:-1}" = 0 ] || failed=1
	done < "$out/results.txt"
done
[ -s "$results" ] && "$TABLE" "$results"
exit $failed
