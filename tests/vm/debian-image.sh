#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build (once) and cache a bootable BIOS disk image of a small Debian 12
# with Debian's real GRUB: debootstrap --variant=minbase bookworm with
# grub-pc-bin and grub2-common (grub-pc's own files; grub-pc itself only
# adds debconf prompts and the postinst that copies
# /usr/share/grub/default/grub, which this script does), one ext4
# partition, GRUB's boot.img and core image in front of it (what
# grub-install writes). No kernel and no grub.cfg yet: the tests add those
# per run.
#   grub     for grub-boot.sh: the guest runs a busybox initramfs; the
#            runtime libraries bootrace's package depends on (libtracefs1,
#            libtraceevent1, libtracecmd1), so that the test installs the
#            package offline with dpkg -i
#   systemd  for systemd-crash.sh: systemd as init (systemd-sysv, udev),
#            the same libraries, and what the fleet test ships the journal
#            with: systemd-journal-upload (systemd-journal-remote) and socat;
#            bootrace comes from its package per run
#   sdboot   for sdboot-boot.sh: systemd-boot and kernel-install instead
#            of GRUB, on a UEFI disk (GPT): an EFI system partition of
#            SDBOOT_ESP_MB, left empty, and the root file system after it.
#            The ESP's files live in the root's /boot/efi (systemd-boot as
#            EFI/BOOT/BOOTX64.EFI, loader.conf, the entry-token directory
#            that makes kernel-install write Boot Loader Specification
#            entries there); the test copies them into the partition with
#            mtools after each kernel-install (no vfat mount needed)
#
# Usage: debian-image.sh grub|systemd|sdboot [--rebuild]
# Prints the image's path as the last stdout line.
# Exit 0 ok, 77 no cached image and the Debian archive unreachable, 1 error.
set -eu
PATH=$PATH:/usr/sbin:/sbin

HERE=$(cd "$(dirname "$0")" && pwd)
# SDBOOT_ESP_START, SDBOOT_ROOT_START: the layout sdboot-boot.sh expects.
. "$HERE/constants.sh"
CACHE=${BOOTRACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bootrace}
MIRROR=${BOOTRACE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
KIND=${1:-}
case $KIND in
grub)
	PACKAGES=grub-pc-bin,grub2-common,libtracefs1,libtraceevent1,libtracecmd1
	RECIPE=2 IMAGE_MB=768 ;;
systemd)
	PACKAGES=grub-pc-bin,grub2-common,systemd-sysv,udev,libtracefs1,libtraceevent1,libtracecmd1
	PACKAGES=$PACKAGES,systemd-journal-remote,socat
	RECIPE=2 IMAGE_MB=1024 ;;
sdboot)
	PACKAGES=systemd,systemd-boot,systemd-boot-efi
	RECIPE=1 IMAGE_MB=768 ;;
*)
	echo "usage: debian-image.sh grub|systemd|sdboot [--rebuild]" >&2
	exit 1 ;;
esac
shift
# Bump a kind's RECIPE when its recipe changes: a new name, a new image.
NAME=$KIND-bookworm-v$RECIPE
IMG=$CACHE/$NAME.img

say() { echo "debian-image: $*" >&2; }
die() { echo "debian-image: error: $*" >&2; exit 1; }
skip() { echo "debian-image: SKIP: $*" >&2; exit 77; }

[ "${1:-}" != --rebuild ] || rm -f "$IMG"
if [ -s "$IMG" ]; then
	echo "$IMG"
	exit 0
fi
[ "$(id -u)" = 0 ] || skip "building the $KIND image needs root (debootstrap, loop devices)"
command -v debootstrap > /dev/null || skip "debootstrap is not installed (tests/install-deps.sh)"
command -v sfdisk > /dev/null || skip "sfdisk is not installed (tests/install-deps.sh)"

mkdir -p "$CACHE"
work=$(mktemp -d "$CACHE/.tmp-$KIND-image.XXXXXX")
loop= mnt=$work/mnt
cleanup() {
	for d in dev/pts dev proc sys; do
		mountpoint -q "$mnt/$d" 2>/dev/null && umount "$mnt/$d"
	done
	mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"
	[ -z "$loop" ] || losetup -d "$loop"
	rm -rf "$work"
}
trap cleanup EXIT

start=$(date +%s)
say "debootstrap --variant=minbase $SUITE + $PACKAGES (a few minutes, once)"
if ! debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$work/root" "$MIRROR" \
	> "$work/debootstrap.log" 2>&1; then
	if grep -qiE 'Failed getting release file|Could not resolve|unable to connect|Temporary failure' "$work/debootstrap.log"; then
		skip "the Debian archive ($MIRROR) cannot be reached and $IMG is not cached"
	fi
	tail -n 20 "$work/debootstrap.log" >&2
	die "debootstrap failed"
fi
rm -rf "$work/root/var/cache/apt/archives"/*.deb "$work/root/var/lib/apt/lists"/*_Packages
echo "bootrace-$KIND" > "$work/root/etc/hostname"

# What bootctl install would put on the ESP and in /etc/kernel (it cannot
# run in a chroot without a mounted vfat ESP): systemd-boot as the
# removable-media loader that OVMF starts, no menu delay, and the
# entry-token directory that makes kernel-install choose /boot/efi and
# the BLS layout.
sdboot_files() {
	r=$work/root
	mkdir -p "$r/boot/efi/EFI/BOOT" "$r/boot/efi/loader/entries" "$r/etc/kernel"
	cp "$r/usr/lib/systemd/boot/efi/systemd-bootx64.efi" "$r/boot/efi/EFI/BOOT/BOOTX64.EFI"
	printf 'timeout 0\nconsole-mode keep\n' > "$r/boot/efi/loader/loader.conf"
	token=$(cat "$r/etc/machine-id")
	[ -n "$token" ] || die "debootstrap left no /etc/machine-id"
	mkdir -p "$r/boot/efi/$token"
	echo "$token" > "$r/etc/kernel/entry-token"
	echo "layout=bls" > "$r/etc/kernel/install.conf"
}

if [ "$KIND" = sdboot ]; then
	sdboot_files
	root_start=$SDBOOT_ROOT_START
	printf 'label: gpt\nstart=%d, size=%d, type=U, name=esp\nstart=%d, type=L, name=root\n' \
		"$SDBOOT_ESP_START" $((root_start - SDBOOT_ESP_START)) "$root_start" > "$work/partitions"
else
	# What grub-pc's postinst does with ucf.
	cp "$work/root/usr/share/grub/default/grub" "$work/root/etc/default/grub"
	root_start=2048
	echo 'start=2048, type=83, bootable' > "$work/partitions"
fi
truncate -s "${IMAGE_MB}M" "$work/disk.img"
sfdisk -q "$work/disk.img" < "$work/partitions"
# The kernel here does not scan loop devices for partitions: the file
# system gets a loop device of its own at the partition's offset (to the
# end of the image; GPT's backup header there is not overwritten by
# mkfs.ext4, which stays within the size sfdisk gave it).
root_bytes=$(sfdisk -l -o Start,Sectors "$work/disk.img" | awk -v s="$root_start" '$1 == s { print $2 * 512 }')
[ -n "$root_bytes" ] || die "no partition at sector $root_start in the new image"
loop=$(losetup --show -f -o $((root_start * 512)) --sizelimit "$root_bytes" "$work/disk.img")
mkfs.ext4 -q -L bootrace-root "$loop"
mkdir -p "$mnt"
mount "$loop" "$mnt"
cp -a "$work/root/." "$mnt/"
uuid=$(blkid -s UUID -o value "$loop")
echo "UUID=$uuid / ext4 defaults 0 1" > "$mnt/etc/fstab"
# What grub-install does, without its probing of a partitioned disk:
# modules under /boot/grub, a core image that finds them on (hd0,msdos1),
# boot.img in the MBR (it loads the core from sector 1, its default) and
# the core image in the gap before the partition.
install_grub() {
	mkdir -p "$mnt/boot/grub"
	cp -r "$mnt/usr/lib/grub/i386-pc" "$mnt/boot/grub/"
	chroot "$mnt" grub-mkimage -O i386-pc -o /boot/grub/i386-pc/core.img \
		-p '(hd0,msdos1)/boot/grub' biosdisk part_msdos ext2 search ||
		die "grub-mkimage failed"
	core=$mnt/boot/grub/i386-pc/core.img
	[ "$(stat -c %s "$core")" -lt $((2047 * 512)) ] || die "core.img does not fit before the partition"
	dd if="$mnt/boot/grub/i386-pc/boot.img" of="$work/disk.img" bs=440 count=1 conv=notrunc status=none
	dd if="$core" of="$work/disk.img" bs=512 seek=1 conv=notrunc status=none
}
[ "$KIND" = sdboot ] || install_grub
umount "$mnt"
losetup -d "$loop"
loop=
mv "$work/disk.img" "$IMG"
say "built $IMG in $(( $(date +%s) - start ))s"
echo "$IMG"
