#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bootrace setup on systemd-boot with kernel-install: a Debian 12 UEFI disk
# (debian-image.sh sdboot, cached) with the 7.1+ test kernel and a busybox
# initramfs in its /boot and the owner's /etc/kernel/cmdline; "bootrace
# setup --root" on the image's root; the loader entry written by the
# image's own "kernel-install add" (the command setup names); QEMU boots
# the disk through OVMF (UEFI) and systemd-boot, twice (boot 1 writes
# markers and reboots, boot 2 runs bootrace status/collect/verify, as in
# lifecycle.sh). Checks: /proc/cmdline carries bootrace's arguments after
# the owner's, the backup instance holds the previous boot, collect and
# verify pass; then "setup --remove" gives back the owner's file and the
# entry kernel-install writes no longer has the arguments. Prints TAP.
#
# Usage: sdboot-boot.sh [--bootrace PATH] [--keep DIR] [--timeout SEC]
# Exit 0 all passed, 1 a check failed, 77 a resource is missing (no kernel
# or image cached and the Debian archive unreachable; no OVMF or mtools;
# not root).
set -eu
PATH=$PATH:/usr/sbin:/sbin
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/host-lib.sh"
SRCROOT=$(cd "$HERE/../.." && pwd)
bootrace=$SRCROOT/build/cmd/bootrace
keep= timeout=$VM_TIMEOUT_SDBOOT attempts=2
EVENTS=$VM_EVENTS
OWNER_CMDLINE=$VM_OWNER_CMDLINE
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
die() { echo "sdboot-boot: error: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case $1 in
	--bootrace) bootrace=$2; shift ;;
	--keep) keep=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	-h|--help) sed -n '4,19p' "$0"; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
	shift
done
[ "$(id -u)" = 0 ] || skip_all "needs root (loop devices, mount, chroot)"
[ -r "$OVMF_CODE" ] && [ -r "$OVMF_VARS" ] || skip_all "no UEFI firmware at $OVMF_CODE (tests/install-deps.sh installs ovmf)"
command -v mcopy > /dev/null && command -v mkfs.vfat > /dev/null ||
	skip_all "mtools and dosfstools are not installed (tests/install-deps.sh)"
[ -x "$bootrace" ] || die "no bootrace at $bootrace"
bootrace=$(realpath "$bootrace")
kernel_and_image sdboot
if [ -n "$keep" ]; then mkdir -p "$keep"; work=$(cd "$keep" && pwd); rm -rf "$work/out" "$work/mnt"
else work=$(mktemp -d "${TMPDIR:-/tmp}/bootrace-sdboot.XXXXXX"); fi
mnt=$work/mnt loop= made_node=
cleanup() {
	# The ESP's tmpfs, bound at $mnt/boot/efi while kernel-install runs.
	mountpoint -q "$mnt/boot/efi" 2>/dev/null && umount "$mnt/boot/efi"
	mountpoint -q "$work/esp-tmpfs" 2>/dev/null && umount "$work/esp-tmpfs"
	image_cleanup
}
trap cleanup EXIT

# The root's /boot/efi, as kernel-install left it, into the EFI system
# partition: a fresh FAT file system filled by mtools, written in place.
write_esp() {
	local sectors=$((SDBOOT_ROOT_START - SDBOOT_ESP_START))
	rm -f "$work/esp.img"
	mkfs.vfat -C -F 32 -n ESP "$work/esp.img" $((sectors / 2)) > /dev/null
	mcopy -s -i "$work/esp.img" "$mnt/boot/efi"/* ::/
	dd if="$work/esp.img" of="$work/disk.img" bs=512 seek="$SDBOOT_ESP_START" conv=notrunc status=none
}

# The image's own "kernel-install add" for the test kernel. Its ESP must
# be a file system of its own, as a real one is: kernel-install writes the
# entry's paths relative to the mount point holding them. So the root's
# /boot/efi goes through a tmpfs mounted there, and back.
kernel_install() {
	local r=0 esp=$work/esp-tmpfs
	mkdir -p "$esp"
	mount -t tmpfs esp "$esp"
	cp -a "$mnt/boot/efi/." "$esp/"
	mount --bind "$esp" "$mnt/boot/efi"
	in_chroot kernel-install add "$abi" "/boot/vmlinuz-$abi" || r=$?
	umount "$mnt/boot/efi"
	rm -rf "${mnt:?}/boot/efi/"*
	cp -a "$esp/." "$mnt/boot/efi/"
	umount "$esp"
	return $r
}

# kernel-install's loader entry for the test kernel (Boot Loader
# Specification layout under /boot/efi, named by the image's entry token).
entry() { echo "$mnt/boot/efi/loader/entries/$(cat "$mnt/etc/kernel/entry-token")-$abi.conf"; }
entry_options() { sed -n 's/^options[[:space:]]*//p' "$(entry)" 2>/dev/null; }

echo "TAP version 13"
start=$(date +%s)
cp --sparse=always "$image" "$work/disk.img"
mount_image "$SDBOOT_ROOT_START"

# The owner's command line: a serial console, restart on panic.
echo "$OWNER_CMDLINE" > "$mnt/etc/kernel/cmdline"
rm -rf "$work/etc.before"
cp -a "$mnt/etc" "$work/etc.before"

# The image's kernel-install takes /boot/initrd.img-VERSION by itself.
install_test_kernel

# bootrace setup on the image's root, then the image's own kernel-install.
setup_on_image "$bootrace" --events "$EVENTS"
check "setup found kernel-install and composed for the image's kernel $abi" \
	grep -q "next boot: kernel $abi" "$work/setup.err"
check "/etc/kernel/cmdline: the owner's arguments, then bootrace's" \
	[ "$(cat "$mnt/etc/kernel/cmdline")" = "$OWNER_CMDLINE $fragment" ]
check "setup says to run kernel-install in the image" \
	grep -q "chroot $mnt kernel-install add $abi /boot/vmlinuz-$abi" "$work/setup.err"
rc=0
kernel_install > "$work/kernel-install.log" 2>&1 || rc=$?
sed 's/^/# kernel-install: /' "$work/kernel-install.log"
check "the image's kernel-install add exit 0 (got $rc)" [ $rc -eq 0 ]
note "loader entry $(entry): options $(entry_options)"
# (kernel-install adds systemd.machine_id= after them)
check "the loader entry carries the owner's and bootrace's arguments" \
	bash -c "[[ '$(entry_options) ' == '$OWNER_CMDLINE $fragment '* ]]"
token=$(cat "$mnt/etc/kernel/entry-token")
options=$(entry_options)
check "the loader entry's kernel and initrd are on the ESP, under the entry token" \
	bash -c "grep -qx 'linux */$token/$abi/linux' '$(entry)' &&
		 grep -qx 'initrd */$token/$abi/initrd.img-$abi' '$(entry)'"
rc=0; "$bootrace" setup --root "$mnt" --events "$EVENTS" > /dev/null 2> "$work/setup2.err" || rc=$?
check "setup again: nothing to change, no kernel-install asked for" \
	bash -c "[ $rc -eq 0 ] && grep -q 'already installed' '$work/setup2.err' && ! grep -q 'run chroot' '$work/setup2.err'"
write_esp
umount_image
note "image prepared in $(( $(date +%s) - start ))s"

# Two boots through OVMF and systemd-boot in one QEMU run (RAM survives
# the reset); the firmware's variables start fresh.
cp "$OVMF_VARS" "$work/ovmf-vars.fd"
boot_disk_twice "$attempts" \
	-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE" \
	-drive "if=pflash,format=raw,unit=1,file=$work/ovmf-vars.fd" \
	-drive "if=none,id=boot,file=$work/disk.img,format=raw" \
	-device virtio-blk-pci,drive=boot,bootindex=0
cmdline=$(cat "$work/out/proc-cmdline.txt" 2>/dev/null || true)
note "guest /proc/cmdline: $cmdline"
check "systemd-boot booted kernel-install's entry: /proc/cmdline is its initrd= and options" \
	[ "$cmdline" = "initrd=\\$token\\$abi\\initrd.img-$abi $options" ]
check "/proc/cmdline carries the owner's and bootrace's arguments" \
	bash -c "[[ ' $cmdline ' == *' $OWNER_CMDLINE $fragment '* ]]"
check_disk_lifecycle
if [ $tap_failed -ne 0 ]; then
	note "guest console (last 40 lines of $work/console.log):"
	tail -n 40 "$work/console.log" | sed 's/^/#   /'
fi

# --remove: the image's /etc is as before, and kernel-install drops the arguments.
mount_image "$SDBOOT_ROOT_START"
rc=0; "$bootrace" setup --root "$mnt" --remove > /dev/null 2> "$work/remove.err" || rc=$?
sed 's/^/# remove: /' "$work/remove.err"
check "setup --remove exit 0 (got $rc)" [ $rc -eq 0 ]
check "setup --remove: the image's /etc is byte for byte as before" diff -r --no-dereference "$work/etc.before" "$mnt/etc"
kernel_install > /dev/null 2>&1 || true
note "after --remove: options $(entry_options)"
check "after --remove and kernel-install, the entry has the owner's arguments without bootrace's" \
	bash -c "[[ '$(entry_options) ' == '$OWNER_CMDLINE '* && '$(entry_options)' != *trace_instance=* ]]"
umount_image
note "total $(( $(date +%s) - start ))s"
tap_done
