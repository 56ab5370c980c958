#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# /init of the VM benchmark's initramfs (busybox). One QEMU run boots it
# twice: boot 1 does what the boot units do (collect, which notes the
# boot, and save-decoder), fills the persistent instance with raw_syscalls
# events from a load on every CPU and reboots (RAM survives QEMU's reset;
# the state directory comes back from the result disk); boot 2 has five
# backups of that buffer, and each tool drains its own: bootrace collect
# with boot 1's decoder, as the unit does (backup), sid's trace-cmd 3.4
# extract -k (backup2), floor-drain (backup3), bootrace collect --compress
# (backup4), and bootrace collect without the decoder, reading every event
# format and /proc/kallsyms itself (backup5), each timed by bench-run.
# Results go to the result disk (boot number in the first 512 bytes, a tar
# of /out at 1 MiB), then poweroff.
# The kernel passes bench_order=N (which tool goes first) in the environment.

WORK=/tmp/bench

# The VM tests' guest helpers and constants (mkinitramfs.sh installs them:
# TRACEFS, DISK, OUT, VM_PERSISTENT, VM_BACKUP), with this benchmark's own
# log prefix, which bench-vm.sh looks for.
. /etc/vmtest-lib.sh
log() { echo "benchvm: $*"; }

stat_sum() { # INSTANCE_DIR FIELD
	cat "$1"/per_cpu/cpu*/stats 2>/dev/null |
		awk -v f="$2:" '$1 == f { s += $2 } END { print s + 0 }'
}

# Load on every CPU until the persistent buffer holds as many bytes as it
# can (its "bytes" stop growing between two looks: the oldest pages are
# being overwritten).
boot_one() {
	inst=$TRACEFS/instances/$VM_PERSISTENT
	leave_state
	echo 1 > "$inst/events/raw_syscalls/enable"
	ncpu=$(nproc)
	prev=-1
	rounds=0
	while [ $rounds -lt 60 ]; do
		cpu=0
		while [ $cpu -lt "$ncpu" ]; do
			taskset -c $cpu dd if=/dev/zero of=/dev/null bs=1 count=20000 2>/dev/null &
			cpu=$((cpu + 1))
		done
		wait
		bytes=$(stat_sum "$inst" bytes)
		[ "$bytes" -gt "$prev" ] || break
		prev=$bytes
		rounds=$((rounds + 1))
	done
	echo 0 > "$inst/events/raw_syscalls/enable"
	log "boot 1: $VM_PERSISTENT holds $(stat_sum "$inst" entries) events, $(stat_sum "$inst" bytes) bytes after $rounds rounds; rebooting"
	sync
	reboot -f
	sleep 60
}

run_tool() { # INDEX
	idx=$1
	case $idx in
	0) tool="bootrace collect"; inst=$VM_BACKUP; out=$WORK/bootrace.dat
	   set -- bootrace collect --instance "$inst" -o "$out" ;;
	1) tool="trace-cmd 3.4 extract -k"; inst=${VM_BACKUP}2; out=$WORK/trace-cmd.dat
	   set -- /sid/lib/ld-linux-x86-64.so.2 --library-path /sid/lib /sid/trace-cmd \
		extract -k -B "$inst" -o "$out" ;;
	2) tool="floor read(2)+fsync"; inst=${VM_BACKUP}3; out=$WORK/floor.raw
	   set -- floor-drain "$TRACEFS/instances/$inst" "$out" ;;
	3) tool="bootrace collect --compress"; inst=${VM_BACKUP}4; out=$WORK/bootrace-zstd.dat
	   set -- bootrace collect --compress --instance "$inst" -o "$out" ;;
	4) tool="bootrace collect, no decoder"; inst=${VM_BACKUP}5; out=$WORK/bootrace-nodecoder.dat
	   set -- bootrace collect --state-dir "$WORK/state-nodecoder" --instance "$inst" -o "$out" ;;
	esac
	entries=$(stat_sum "$TRACEFS/instances/$inst" entries)
	rm -f "$WORK/run.txt"
	(cd "$WORK" && bench-run "$WORK/run.txt" "$@" > "$OUT/$inst.out" 2> "$OUT/$inst.err")
	i=0
	while [ -d "$TRACEFS/instances/$inst" ] && [ $i -lt "$VM_BACKUP_GONE_TENTHS" ]; do sleep 0.1; i=$((i + 1)); done
	gone=$([ -d "$TRACEFS/instances/$inst" ] && echo 0 || echo 1)
	size=$(stat -c %s "$out" 2>/dev/null || echo 0)
	printf '%s\t%s\t%s\t%s\t%s\n' "$tool" "$(cat "$WORK/run.txt")" "$size" "$entries" "$gone" >> "$OUT/results.txt"
	[ "$idx" != 2 ] || cat "$OUT/$inst.out" > "$OUT/floor-bytes"
	log "$tool: $(cat "$WORK/run.txt") output $size bytes, $entries entries before, instance gone: $gone"
	rm -f "$out"
}

boot_two() {
	mkdir -p "$WORK"
	restore_state
	# The boot record says boot 1 ran this kernel; without its decoder,
	# collect reads this kernel's formats and symbols, as it did before.
	cp -a "$STATE_DIR" "$WORK/state-nodecoder"
	rm -rf "$WORK/state-nodecoder/decoders"
	ls "$TRACEFS/instances" > "$OUT/instances.txt"
	cat "$TRACEFS/instances/$VM_BACKUP/buffer_subbuf_size_kb" > "$OUT/subbuf_kb" 2>/dev/null
	first=${bench_order:-0}
	for i in 0 1 2 3 4; do
		run_tool $(( (first + i) % 5 ))
	done
	uname -r > "$OUT/uname"
	nproc > "$OUT/ncpu"
}

main() {
	setup_system
	mkdir -p "$OUT"
	run_boots boot_one boot_two
}

main
