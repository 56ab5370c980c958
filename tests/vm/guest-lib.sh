# Shared by the guests' /init scripts (guest-init.sh, crash-init.sh), which
# source it from the initramfs (mkinitramfs.sh puts it at /etc/vmtest-lib.sh).
# Expects TRACEFS and DISK to be set.

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
	while [ ! -b "$DISK" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
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
