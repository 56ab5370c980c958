#!/bin/bash
# Benchmark on a real 7.1+ kernel in QEMU (TCG): one persistent buffer
# filled in boot 1, four backups of it in boot 2
# (trace_instance=backup=boot_map ... trace_instance=backup4=boot_map),
# drained by bootrace collect, sid's trace-cmd 3.4 extract -k, the floor
# and bootrace collect --compress, one each (vm-guest-init.sh).
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
CACHE=${BOOTRACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bootrace}
RUNS=${BENCH_VM_RUNS:-3}
MIB=${BENCH_VM_MIB:-64}
CPUS=${BENCH_VM_CPUS:-2}
TIMEOUT=600

skip() { echo "SKIP: $*"; exit 77; }

rc=0
kdir=$("$VM/fetch.sh" --quiet | tail -n 1) || rc=$?
[ $rc -ne 77 ] || skip "no 7.1+ kernel cached in $CACHE and the Debian archive is unreachable"
[ $rc -eq 0 ] || { echo "fetch.sh failed ($rc)"; exit 1; }
kernel=$kdir/vmlinuz
modules=$kdir/modules
[ -s "$kernel" ] || { echo "no kernel at $kernel"; exit 1; }
[ -x "$CACHE/sid/root/usr/bin/trace-cmd" ] || skip "sid's trace-cmd 3.4 not in $CACHE (tests/vm/fetch.sh)"

if [ -n "${BENCH_KEEP:-}" ]; then
	mkdir -p "$BENCH_KEEP" && work=$(cd "$BENCH_KEEP" && pwd)
else
	work=$(mktemp -d "${TMPDIR:-/var/tmp}/bootrace-benchvm.XXXXXX")
	trap 'rm -rf "$work"' EXIT
fi
qemu_pid=
trap '[ -z "$qemu_pid" ] || kill "$qemu_pid" 2>/dev/null; exit 130' INT TERM

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

cmdline="reserve_mem=${MIB}M:4096:trace trace_instance=boot_map@trace"
cmdline="$cmdline trace_instance=backup=boot_map trace_instance=backup2=boot_map"
cmdline="$cmdline trace_instance=backup3=boot_map trace_instance=backup4=boot_map"
NTOOLS=4

run_once() { # RUN
	local dir=$work/run$1
	mkdir -p "$dir"
	rm -f "$dir/disk.img"
	truncate -s 512M "$dir/disk.img"
	timeout --kill-after=10 "$TIMEOUT" qemu-system-x86_64 \
		-accel tcg,thread=multi -cpu max -smp "$CPUS" -m 1G \
		-nographic -nodefaults -no-user-config -monitor none \
		-serial "file:$dir/console.log" \
		-kernel "$kernel" -initrd "$work/initramfs.gz" \
		-append "console=ttyS0 $cmdline panic=1 bench_order=$(( ($1 - 1) % NTOOLS ))" \
		-drive "file=$dir/disk.img,format=raw,if=none,id=results" \
		-device nvme,drive=results,serial=results \
		< /dev/null > "$dir/qemu.out" 2>&1 &
	qemu_pid=$!
	wait $qemu_pid
	qemu_pid=
	mkdir -p "$dir/out"
	dd if="$dir/disk.img" bs=1M skip=1 2>/dev/null | tar -xf - -C "$dir/out" 2>/dev/null
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
	scen="VM $(cat "$out/uname") (TCG, $(cat "$out/ncpu") vCPUs), $MIB MiB persistent buffer, four backups, $(cat "$out/subbuf_kb") KiB sub-buffers, outputs on the guest's tmpfs"
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
