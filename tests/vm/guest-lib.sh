# SPDX-License-Identifier: GPL-2.0-or-later
#
# Shared by the guests' /init scripts (guest-init.sh, crash-init.sh, the
# benchmark's vm-guest-init.sh), which source it from the initramfs
# (mkinitramfs.sh puts it at /etc/vmtest-lib.sh, and constants.sh, which
# it sources, at /etc/vmtest-constants.sh). POSIX sh for busybox.

. /etc/vmtest-constants.sh
TRACEFS=$VM_TRACEFS
DISK=$VM_DISK
OUT=$VM_OUT

log() { echo "vmtest: $*"; }

halt_now() {
	sync
	poweroff -f
	sleep 60
}

# busybox, the file systems, the modules fetch.sh named (if any), and the
# result disk: NVMe, built into every Debian cloud kernel from 6.12 on.
setup_system() {
	/bin/busybox --install -s /bin
	export PATH=/bin
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev 2>/dev/null
	mount -t tracefs nodev "$TRACEFS"
	for m in $(cat /lib/modules/load-order 2>/dev/null); do
		insmod "/lib/modules/$m" || log "insmod $m failed"
	done
	i=0
	while [ ! -b "$DISK" ] && [ $i -lt "$VM_DISK_WAIT_TENTHS" ]; do sleep 0.1; i=$((i + 1)); done
	[ -b "$DISK" ] || { log "FATAL: no result disk $DISK"; halt_now; }
}

# The boot number lives on the result disk, outside guest RAM: deciding
# which boot this is must not depend on the ring buffer under test
# (persistent memory can be lost; a cold-boot backup instance looks just
# like a warm-boot one with 0 entries), and a panic=1 reboot must not
# restart the test.
next_boot_number() {
	n=$(dd if="$DISK" bs=512 count=1 2>/dev/null | tr -d '\000' |
		sed -n 's/^boot=\([0-9]*\)$/\1/p')
	n=$((${n:-0} + 1))
	printf 'boot=%d\n' "$n" | dd of="$DISK" bs=512 count=1 conv=sync,fsync 2>/dev/null
	echo "$n"
}

# Hand OUT to the host: a tar on the result disk at VM_TAR_OFFSET_MB. tar
# needs a known end on a raw disk: it stops at its end-of-archive blocks,
# and conv=fsync makes the data reach the host before poweroff.
save_results() {
	tar -C "$OUT" -cf - . |
		dd of="$DISK" bs=1M seek="$VM_TAR_OFFSET_MB" conv=fsync 2>/dev/null
	sync
	log "results written to $DISK"
}

# bootrace's state directory survives a reboot on a real machine's disk;
# here it goes to the result disk at VM_STATE_OFFSET_MB at the end of boot
# 1 and comes back at the start of boot 2 (whose results then take its
# place): the boot record and the decoder boot 1 left, with which boot 2
# decodes boot 1's trace.
STATE_DIR=/var/lib/bootrace

# The state directory and FILE... (paths relative to /) onto the result disk.
save_state() {
	tar -C / -cf - "${STATE_DIR#/}" "$@" |
		dd of="$DISK" bs=1M seek="$VM_STATE_OFFSET_MB" conv=fsync 2>/dev/null
	sync
}

# What the boot units do in every boot: collect (nothing yet), which notes
# the boot it leaves tracing, then save what decodes this boot.
run_boot_units() {
	bootrace collect -o /tmp/boot1.dat > /tmp/boot1.out 2>&1
	log "boot 1: bootrace collect exit $? (4: nothing yet): $(cat /tmp/boot1.out)"
	bootrace save-decoder > /tmp/decoder.out 2>&1
	log "boot 1: bootrace save-decoder exit $?: $(cat /tmp/decoder.out)"
}

leave_state() {
	run_boot_units
	save_state
}

restore_state() {
	dd if="$DISK" bs=1M skip="$VM_STATE_OFFSET_MB" 2>/dev/null | tar -C / -xf - 2>/dev/null
	mkdir -p "$STATE_DIR"
	chmod 700 "$STATE_DIR"
	log "boot 2: state directory from boot 1: $(ls "$STATE_DIR" "$STATE_DIR/decoders" 2>/dev/null | tr '\n' ' ')"
}

# Boot 1 does the test's first part; boot 2 its second and hands out the
# results; a third boot means something rebooted boot 2.
# MARKERS lines "bootrace-marker cpuN I" into the persistent instance from
# every CPU at once, so each CPU's buffer ends with them.
write_markers_per_cpu() {
	marker_file=$TRACEFS/instances/$PERSISTENT/trace_marker
	ncpu=$(nproc)
	cpu=0
	while [ $cpu -lt "$ncpu" ]; do
		taskset -c "$cpu" sh -c 'i=1; while [ $i -le $1 ]; do
			echo "bootrace-marker cpu$2 $i" > "$3"; i=$((i + 1)); done' \
			sh "$MARKERS" "$cpu" "$marker_file" &
		cpu=$((cpu + 1))
	done
	wait
}

run_boots() { # BOOT-1-FUNCTION BOOT-2-FUNCTION
	boot=$(next_boot_number)
	log "this is boot $boot"
	# Where this kernel landed in physical memory: with KASLR it can land
	# on the reserved trace memory, which explains a lost previous boot.
	log "$(grep -E 'Kernel (code|data|bss)' /proc/iomem | tr -s ' \n' ' ')"
	case $boot in
	1) "$1" ;;
	2) echo "boot=2" > "$OUT/results.env"
	   "$2"
	   save_results
	   log "done, powering off" ;;
	*) log "FATAL: unexpected boot $boot (a reboot during boot 2?)" ;;
	esac
	halt_now
}
