# Shared by the host side of the VM tests (lifecycle.sh, crash.sh,
# grub-boot.sh, systemd-crash.sh), which source it.

# One QEMU run of KERNEL + $work/initramfs.gz with the kernel command line
# "console=ttyS0 CMDLINE panic=1" and a fresh raw result disk as NVMe. No
# -no-reboot: the guest's "reboot -f" or a panic resets the machine with
# RAM (and the persistent ring buffer) intact, so both boots happen in one
# run. The host-side timeout makes a hung guest a failure, not a hang.
# Uses: work cpus kernel timeout DISK_MB; sets: qemu_rc vm_seconds.
run_vm() { # CMDLINE
	rm -f "$work/disk.img"
	truncate -s "${DISK_MB}M" "$work/disk.img"
	start=$(date +%s)
	qemu_rc=0
	timeout --kill-after=10 "$timeout" qemu-system-x86_64 \
		-accel tcg,thread=multi -cpu max -smp "$cpus" -m 1G \
		-nographic -nodefaults -no-user-config -monitor none \
		-serial "file:$work/console.log" \
		-kernel "$kernel" -initrd "$work/initramfs.gz" \
		-append "console=ttyS0 $1 panic=1" \
		-drive "file=$work/disk.img,format=raw,if=none,id=results" \
		-device nvme,drive=results,serial=results \
		< /dev/null > "$work/qemu.out" 2>&1 || qemu_rc=$?
	vm_seconds=$(( $(date +%s) - start ))
}

# The root partition of a debian-image.sh disk ($work/disk.img) at $mnt.
# Debian's /etc/grub.d/10_linux writes no entry at all when / is on
# /dev/loop[0-9] backed by a file ("we can't cope with devices loop-mounted
# from files"); its pattern misses two-digit loop devices, so use one.
# Sets loop and made_node (device nodes created here, for the caller's
# cleanup to remove).
mount_image() {
	local i
	for i in $(seq 10 99); do
		if [ ! -e "/dev/loop$i" ]; then
			mknod "/dev/loop$i" b 7 "$i"
			made_node="$made_node /dev/loop$i"
		fi
		losetup "/dev/loop$i" > /dev/null 2>&1 && continue
		losetup -o $((2048 * 512)) "/dev/loop$i" "$work/disk.img" 2> /dev/null || continue
		loop=/dev/loop$i
		break
	done
	[ -n "$loop" ] || die "no free loop device between loop10 and loop99"
	mkdir -p "$mnt"
	mount "$loop" "$mnt"
}

umount_image() {
	umount "$mnt"
	losetup -d "$loop"
	loop=
}

in_chroot() { # COMMAND...: with /dev, /proc and /sys, as update-grub needs them
	local d r=0
	for d in dev dev/pts proc sys; do mount --bind "/$d" "$mnt/$d"; done
	chroot "$mnt" "$@" || r=$?
	for d in sys proc dev/pts dev; do umount "$mnt/$d"; done
	return $r
}

# Whether the persistent ring buffer survived into the boot whose console
# comes on stdin. The kernel checks each CPU's buffer early in boot and
# says "Ring buffer meta [N] is from previous boot!" for each one it
# keeps; a lost one gets a "mismatch", "out of range" or "invalid" line
# (the wording changed between 6.12 and 7.x). Prints why and succeeds when
# something was lost; a kernel that prints neither (quiet) counts as kept.
ring_buffer_lost() { # CPUS < console of that boot
	awk -v cpus="$1" '
		/Ring buffer .*(mismatch|out of range|invalid|not found)/ && why == "" { why = $0 }
		/Ring buffer meta \[[0-9]+\] is from previous boot/ {
			match($0, /\[[0-9]+\]/)
			kept[substr($0, RSTART, RLENGTH)] = 1
		}
		END {
			n = 0
			for (k in kept) n++
			if (why != "") {
				sub(/^\[ *[0-9.]+\] /, "", why)
				print "kernel: " why
				exit 0
			}
			if (n > 0 && n < cpus) {
				print "the kernel kept " n " of " cpus " CPU buffers"
				exit 0
			}
			exit 1
		}'
}
