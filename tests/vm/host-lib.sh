# SPDX-License-Identifier: GPL-2.0-or-later
#
# Shared by the host side of the VM tests (lifecycle.sh, crash.sh,
# grub-boot.sh, sdboot-boot.sh, systemd-crash.sh, matrix.sh) and the VM
# benchmark (tests/bench/bench-vm.sh), which source it from bash: the TAP
# helpers (tests/lib/tap.sh), the machine's constants (constants.sh), the
# one QEMU runner, and what the image tests share.

HOST_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HOST_LIB_DIR/../lib/tap.sh"
. "$HOST_LIB_DIR/constants.sh"

# Where fetch.sh keeps kernels and sid's trace-cmd, debian-image.sh its images.
CACHE=${BOOTRACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bootrace}

# One QEMU run (TCG, CPUS vCPUs, $VM_MEMORY), the serial console in
# DIR/console.log and QEMU's own output in DIR/qemu.out; QEMU-ARGS attach
# the firmware, kernel and disks. No -no-reboot: the guest's "reboot -f"
# or a panic resets the machine with RAM (and the persistent ring buffer)
# intact, so both boots of a test happen in one run. timeout(1) makes a
# hung guest a failure, not a hang. It puts itself in a process group of
# its own, out of reach of a terminal's ^C and of meson's kill of the
# test's group, so QEMU runs in the background, waited for, and the INT
# and TERM traps below stop it. Sets vm_rc (QEMU's exit status; 124 or
# 137: timed out) and vm_seconds.
vm_pid=
vm_qemu() { # DIR CPUS TIMEOUT QEMU-ARG...
	local dir=$1 cpus=$2 limit=$3 start
	shift 3
	start=$(date +%s)
	timeout --kill-after="$VM_KILL_AFTER" "$limit" qemu-system-x86_64 \
		-accel tcg,thread=multi -cpu max -smp "$cpus" -m "$VM_MEMORY" \
		-nographic -nodefaults -no-user-config -monitor none \
		-serial "file:$dir/console.log" "$@" \
		< /dev/null > "$dir/qemu.out" 2>&1 &
	vm_pid=$!
	vm_rc=0
	wait "$vm_pid" || vm_rc=$?
	vm_pid=
	vm_seconds=$(( $(date +%s) - start ))
}

vm_stop() { [ -z "$vm_pid" ] || kill "$vm_pid" 2> /dev/null || true; }
trap 'vm_stop; exit 130' INT
trap 'vm_stop; exit 143' TERM

# The command line of a kernel booted directly: the console, the test's
# arguments, restart on panic.
vm_cmdline() { echo "$VM_CONSOLE_ARG $* $VM_PANIC_ARG"; }

# A fresh result disk FILE of MB MiB (default $VM_DISK_MB); vm_disk_args
# attach it as the NVMe disk the guest writes to ($VM_DISK).
vm_result_disk() { # FILE [MB]
	rm -f "$1"
	truncate -s "${2:-$VM_DISK_MB}M" "$1"
	vm_disk_args=(-drive "file=$1,format=raw,if=none,id=results"
		-device nvme,drive=results,serial=results)
}

# What the guest handed out on the result disk DISK (guest-lib.sh's
# save_results), unpacked into OUT, made afresh. Fails when no tar is there.
vm_results() { # DISK OUT
	rm -rf "$2"
	mkdir -p "$2"
	dd if="$1" bs=1M skip="$VM_TAR_OFFSET_MB" 2> /dev/null | tar -xf - -C "$2" 2> /dev/null
}

# One QEMU run of KERNEL + $work/initramfs.gz with the kernel command line
# vm_cmdline CMDLINE and a fresh result disk $work/disk.img of DISK_MB
# (default $VM_DISK_MB). Uses: work cpus kernel timeout DISK_MB; sets:
# vm_rc vm_seconds.
run_vm() { # CMDLINE
	vm_result_disk "$work/disk.img" "${DISK_MB:-}"
	vm_qemu "$work" "$cpus" "$timeout" \
		-kernel "$kernel" -initrd "$work/initramfs.gz" \
		-append "$(vm_cmdline "$1")" "${vm_disk_args[@]}"
}

# The root partition of a debian-image.sh disk ($work/disk.img) at $mnt;
# it starts at sector START (default 2048, the MBR images').
# Debian's /etc/grub.d/10_linux writes no entry at all when / is on
# /dev/loop[0-9] backed by a file ("we can't cope with devices loop-mounted
# from files"); its pattern misses two-digit loop devices, so use one.
# Sets loop and made_node (device nodes created here, for the caller's
# cleanup to remove).
mount_image() { # [START]
	local i start=${1:-2048}
	for i in $(seq 10 99); do
		if [ ! -e "/dev/loop$i" ]; then
			mknod "/dev/loop$i" b 7 "$i"
			made_node="$made_node /dev/loop$i"
		fi
		losetup "/dev/loop$i" > /dev/null 2>&1 && continue
		losetup -o $((start * 512)) "/dev/loop$i" "$work/disk.img" 2> /dev/null || continue
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

# The lifecycle initramfs (guest-init.sh) for a disk that a bootloader
# boots, with an /init that first keeps the /proc/cmdline the bootloader
# handed over for the host (appended cpio archives override earlier
# files). Uses: HERE bootrace work.
boot_initramfs() { # OUT MODULES-DIR
	local extra=$work/initramfs-extra
	"$HERE/mkinitramfs.sh" -o "$1" --modules "$2" --bootrace "$bootrace"
	rm -rf "$extra"
	mkdir -p "$extra"
	cp "$HERE/guest-init.sh" "$extra/lifecycle-init"
	cat > "$extra/init" <<'EOF'
#!/bin/sh
. /etc/vmtest-constants.sh
/bin/busybox mkdir -p "$VM_OUT" /proc
/bin/busybox mount -t proc proc /proc
/bin/busybox cat /proc/cmdline > "$VM_OUT/proc-cmdline.txt"
/bin/busybox umount /proc
exec /bin/busybox sh /lifecycle-init
EOF
	chmod 755 "$extra/init" "$extra/lifecycle-init"
	(cd "$extra" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -1) >> "$1"
}

# Two boots of $work/disk.img (its lifecycle initramfs from boot_initramfs)
# through a real bootloader in one QEMU run: boot 1 writes markers and
# reboots, RAM surviving the reset; boot 2 collects and hands out
# $work/out. Retried, up to ATTEMPTS runs, on the environment failures
# lifecycle.sh retries (guest kernel oops under TCG, wiped memory), which
# show as no boot 2, an empty backup or the kernel's own word that a
# CPU's buffer was lost; not when no kernel started (the firmware or the
# bootloader failed: that is the test's business). QEMU-ARGS attach the
# firmware and the disk. A $work/disk.prepared, if there is one, is
# copied over $work/disk.img before each attempt (a retry then boots the
# disk as it was, not as the failed attempt left it).
# Uses: work timeout; sets attempt vm_rc.
boot_disk_twice() { # ATTEMPTS QEMU-ARGS...
	local attempts=$1 lost
	shift
	attempt=1
	while :; do
		[ ! -e "$work/disk.prepared" ] || cp --sparse=always "$work/disk.prepared" "$work/disk.img"
		vm_result_disk "$work/results.img"
		vm_qemu "$work" "$VM_CPUS" "$timeout" "$@" "${vm_disk_args[@]}"
		note "QEMU ran ${vm_seconds}s, exit $vm_rc"
		vm_results "$work/results.img" "$work/out" || true
		lost=$(sed -n '/vmtest: boot 1: rebooting/,/^vmtest: + /p' "$work/console.log" | ring_buffer_lost "$VM_CPUS") || lost=
		[ "$(disk_result boot)" = 2 ] && [ "$(disk_result backup_entries)" != 0 ] && [ -z "$lost" ] && break
		[ $attempt -lt "$attempts" ] || break
		grep -aq 'Linux version' "$work/console.log" || break
		note "attempt $attempt: boot=$(disk_result boot) backup_entries=$(disk_result backup_entries)${lost:+, $lost}; retrying"
		cp "$work/console.log" "$work/console-attempt$attempt.log"
		attempt=$((attempt + 1))
	done
}

disk_result() { sed -n "s/^$1=//p" "$work/out/results.env" 2>/dev/null | tail -n 1; }

# What boot 2 of boot_disk_twice must show, as TAP checks.
check_disk_lifecycle() {
	check "the guest reached boot 2" [ "$(disk_result boot)" = 2 ]
	check "boot 2: the backup instance exists" [ "$(disk_result backup_present_before)" = 1 ]
	check "boot 2: it holds the previous boot's events ($(disk_result backup_entries) entries)" \
		[ "$(disk_result backup_entries)" -gt 0 ] 2>/dev/null
	check "bootrace status exit 0" [ "$(disk_result status_rc)" = 0 ]
	check "bootrace collect exit 0" [ "$(disk_result collect_rc)" = 0 ]
	check "bootrace verify exit 0" [ "$(disk_result verify_rc)" = 0 ]
	local markers
	markers=$(trace-cmd report -i "$work/out/trace.dat" 2>/dev/null | grep -c 'bootrace-marker' || true)
	check "trace.dat holds boot 1's markers ($markers of 200)" [ "$markers" = 200 ]
}

# The test kernel (fetch.sh: the newest >= 7.1) and a debian-image.sh
# image of KIND, for the tests that boot an image. Sets kdir, abi, image;
# skips when either cannot be had. Uses: HERE.
kernel_and_image() { # KIND
	local rc=0
	kdir=$("$HERE/fetch.sh" --quiet) || rc=$?
	[ $rc -ne 77 ] || skip_all "no 7.1+ kernel cached and the Debian archive is unreachable"
	[ $rc -eq 0 ] || die "fetch.sh failed ($rc)"
	abi=$(basename "$kdir")
	rc=0
	image=$("$HERE/debian-image.sh" "$1" | tail -n 1) || rc=$?
	[ $rc -ne 77 ] || skip_all "no $1 image cached and it cannot be built (see debian-image.sh's message)"
	[ $rc -eq 0 ] || die "debian-image.sh $1 failed ($rc)"
}

# What an image test leaves mounted or attached goes; its work directory
# too, unless --keep gave it or a check failed. Uses: mnt loop made_node
# keep work tap_failed.
image_cleanup() {
	local d
	for d in boot/efi sys proc dev/pts dev; do
		mountpoint -q "$mnt/$d" 2>/dev/null && umount "$mnt/$d"
	done
	mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"
	[ -z "$loop" ] || losetup -d "$loop"
	loop=
	# shellcheck disable=SC2086
	[ -z "$made_node" ] || rm -f $made_node
	made_node=
	[ -n "$keep" ] || [ "$tap_failed" -ne 0 ] || rm -rf "$work"
}

# The test kernel and the lifecycle initramfs where Debian keeps them, in
# the image mounted at $mnt (update-grub and kernel-install find them there).
install_test_kernel() {
	cp "$kdir/vmlinuz" "$mnt/boot/vmlinuz-$abi"
	boot_initramfs "$work/initramfs.gz" "$kdir/modules"
	cp "$work/initramfs.gz" "$mnt/boot/initrd.img-$abi"
}

# BOOTRACE setup --root on the image at $mnt, as a user would run it;
# its messages become TAP comments and its last line is $fragment.
setup_on_image() { # BOOTRACE [SETUP OPTION...]
	local bin=$1 rc=0
	shift
	"$bin" setup --root "$mnt" "$@" > "$work/setup.out" 2> "$work/setup.err" || rc=$?
	sed 's/^/# setup: /' "$work/setup.err"
	fragment=$(tail -n 1 "$work/setup.out")
	check "bootrace setup --root exit 0 (got $rc)" [ $rc -eq 0 ]
}
