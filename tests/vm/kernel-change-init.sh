#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# /init of the kernel-change test's initramfs (busybox). GRUB boots kernel
# A once (a one-time next_entry), then kernel B (the saved default), in one
# QEMU run; no tool in the guest chooses the kernel.
#
# Boot 1 (kernel A): what the boot units do (collect: nothing yet, which
# notes the boot; save-decoder), with softdog loaded first so that its
# symbols are in the decoder; then softdog's hrtimer armed and pinged (a
# module's function in hrtimer_start events), markers, tracing stopped,
# and the persistent instance's own text decoding of its buffer (its
# "trace" file, read in the boot that wrote it: the ground truth) kept
# with the state directory on the result disk. Then a warm reboot.
#
# Boot 2 (kernel B): the state directory back; status; collect of the
# backup with boot 1's decoder, verify; collect --compress of a second
# copy (trace.dat version 7; the boot record now names this boot, so the
# decoder is found by boot 1's kernel text); then the boot record as this
# boot found it, boot 1's decoder deleted, and a third copy collected
# without it, and verified. Everything goes to the result
# disk; the host (kernel-change.sh) compares.

# Written by mkinitramfs.sh: MARKERS, PERSISTENT, BACKUP.
. /etc/vmtest.conf

# TRACEFS, DISK, OUT and the helpers.
. /etc/vmtest-lib.sh

# The other copies of the previous boot the test's command line makes.
BACKUP_V7=${BACKUP}3
BACKUP_NODECODER=${BACKUP}2

sum_entries() {
	cat "$1"/per_cpu/cpu*/stats 2>/dev/null |
		awk '$1 == "entries:" { s += $2 } END { print s + 0 }'
}

load_softdog() {
	for m in $(cat /lib/test-modules/load-order 2>/dev/null); do
		case $m in
		softdog.ko) insmod "/lib/test-modules/$m" soft_noboot=1 ;;
		*) insmod "/lib/test-modules/$m" ;;
		esac || log "insmod $m failed"
	done
}

# Start softdog, ping it (each ping restarts its hrtimer: hrtimer_start
# with function=softdog_fire), and stop it with the magic close.
ping_softdog() {
	i=0
	while [ ! -c /dev/watchdog ] && [ $i -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
	exec 3> /dev/watchdog || { log "no /dev/watchdog"; return; }
	for i in 1 2 3 4 5; do
		echo 1 >&3
		sleep 0.1
	done
	echo V >&3
	exec 3>&-
}

boot_one() {
	uname -r > /tmp/boot1-release
	load_softdog
	run_boot_units
	ping_softdog
	write_markers_per_cpu
	# Nothing more goes in: the buffer the next boot reads is exactly the
	# one the kernel decodes here.
	echo 0 > "$TRACEFS/instances/$PERSISTENT/tracing_on"
	cat "$TRACEFS/instances/$PERSISTENT/trace" > /tmp/truth.txt
	gzip -1 /tmp/truth.txt
	grep '\[softdog\]' /proc/kallsyms > /tmp/boot1-softdog.txt
	log "boot 1: kernel $(cat /tmp/boot1-release), $(sum_entries "$TRACEFS/instances/$PERSISTENT") entries in $PERSISTENT, its text decoding kept; softdog at $(grep -c . /tmp/boot1-softdog.txt) symbols"
	save_state tmp/truth.txt.gz tmp/boot1-release tmp/boot1-softdog.txt
	log "boot 1: rebooting (reboot -f keeps RAM)"
	reboot -f
	sleep 60
}

# A named step: output to OUT/NAME.out and .err, exit code to results.env.
step() {
	name=$1; shift
	log "+ $*"
	"$@" > "$OUT/$name.out" 2> "$OUT/$name.err"
	rc=$?
	sed "s/^/[$name] /" "$OUT/$name.out" "$OUT/$name.err" | head -n 40
	log "$name exit $rc"
	echo "${name}_rc=$rc" >> "$OUT/results.env"
}

boot_two() {
	r=$OUT/results.env
	inst=$TRACEFS/instances
	restore_state
	cp /tmp/truth.txt.gz /tmp/boot1-release /tmp/boot1-softdog.txt "$OUT/" 2>/dev/null
	uname -r > "$OUT/boot2-release"
	cat "$inst/$BACKUP/last_boot_info" > "$OUT/last_boot_info.txt" 2>&1
	echo "backup_present_before=$([ -d "$inst/$BACKUP" ] && echo 1 || echo 0)" >> "$r"
	echo "backup_entries=$(sum_entries "$inst/$BACKUP")" >> "$r"
	ls "$STATE_DIR/decoders" > "$OUT/decoders-before.txt" 2>&1
	# The boot record as this boot found it (collect notes this boot in it).
	cp "$STATE_DIR/traced-boot" /tmp/traced-boot.boot1

	step status bootrace status
	step collect bootrace -v collect --instance "$BACKUP" -o "$OUT/trace.dat"
	step verify bootrace verify "$OUT/trace.dat"
	step collect_v7 bootrace -v collect --compress --instance "$BACKUP_V7" -o "$OUT/trace-v7.dat"
	# The state as this boot found it, but without boot 1's decoder: the
	# third copy is read with this kernel's formats.
	cp /tmp/traced-boot.boot1 "$STATE_DIR/traced-boot"
	rm -f "$STATE_DIR/decoders/"*
	step collect_nodecoder bootrace collect --instance "$BACKUP_NODECODER" -o "$OUT/nodecoder.dat"
	step verify_nodecoder bootrace verify --offline "$OUT/nodecoder.dat"
	cp /tmp/traced-boot.boot1 "$OUT/traced-boot.boot1" 2>/dev/null
	log "results:"
	cat "$r"
}

main() {
	setup_system
	mkdir -p "$OUT"
	run_boots boot_one boot_two
}

main
