#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bootrace setup on a real GRUB, from bootrace's Debian package: a Debian 12
# disk image with grub-pc's files (debian-image.sh grub, cached), the 7.1+
# test kernel and a busybox initramfs in its /boot; the package built from
# this tree (tests/package/build-deb.sh) installed with the image's dpkg;
# the package's "bootrace setup --root" on the image's root; grub.cfg made
# by the image's own update-grub (grub-mkconfig) in a chroot; QEMU boots
# the disk through SeaBIOS and GRUB, twice (boot 1 writes markers and
# reboots, boot 2 runs the package's bootrace status/collect/verify, as in
# lifecycle.sh). Checks: /proc/cmdline carries bootrace's arguments (and
# GRUB's BOOT_IMAGE=), the backup instance holds the previous boot, collect
# and verify pass; then "apt-get remove" takes the arguments out of
# grub.cfg (the package runs "bootrace setup --remove") and "apt-get
# purge" leaves the image as it was before the install. Prints TAP.
#
# Usage: grub-boot.sh [--deb-dir DIR] [--keep DIR] [--timeout SEC]
#   --deb-dir DIR  where the package is built, or found current (default:
#                  the work directory)
# Exit 0 all passed, 1 a check failed, 77 a resource is missing (no kernel
# or image cached and the Debian archive unreachable; not root).
set -eu
PATH=$PATH:/usr/sbin:/sbin

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/host-lib.sh"
. "$HERE/package-lib.sh"
deb_dir= keep= timeout=$VM_TIMEOUT_GRUB attempts=2
EVENTS=$VM_EVENTS

die() { echo "grub-boot: error: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case $1 in
	--deb-dir) deb_dir=$2; shift ;;
	--keep) keep=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	-h|--help) sed -n '4,24p' "$0"; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
	shift
done
[ "$(id -u)" = 0 ] || skip_all "needs root (loop devices, mount, chroot)"

kernel_and_image grub

if [ -n "$keep" ]; then mkdir -p "$keep"; work=$(cd "$keep" && pwd); rm -rf "$work/out" "$work/mnt"
else work=$(mktemp -d "${TMPDIR:-/tmp}/bootrace-grub.XXXXXX"); fi
mnt=$work/mnt loop= made_node=
trap image_cleanup EXIT

echo "TAP version 13"
start=$(date +%s)
package_build "${deb_dir:-$work/deb}"
note "package: $deb"
# The initramfs's bootrace is the package's own, byte for byte.
rm -rf "$work/package"
dpkg-deb -x "$deb" "$work/package"
bootrace=$work/package/usr/bin/bootrace
cp --sparse=always "$image" "$work/disk.img"
mount_image

# The image's owner settings: serial console, no menu delay.
sed -i -e 's/^GRUB_TIMEOUT=.*/GRUB_TIMEOUT=0/' \
	-e "s/^GRUB_CMDLINE_LINUX_DEFAULT=.*/GRUB_CMDLINE_LINUX_DEFAULT=\"$VM_OWNER_CMDLINE\"/" \
	-e "s/^#GRUB_TERMINAL=.*/GRUB_TERMINAL=serial\\nGRUB_SERIAL_COMMAND=\"$VM_GRUB_SERIAL\"/" \
	"$mnt/etc/default/grub"
install_test_kernel
cfg=$mnt/boot/grub/grub.cfg
GRUB_CFG=/boot/grub/grub.cfg
in_chroot update-grub > "$work/update-grub-before.log" 2>&1 || die "update-grub failed before the install"
package_snapshot "$work/before-install"
package_install
check "the package's bootrace is the initramfs's" cmp -s "$bootrace" "$mnt/usr/bin/bootrace"

# The package's bootrace setup on the image's root, then the image's own update-grub.
setup_on_image "$mnt/usr/bin/bootrace" --events "$EVENTS"
check "setup composed for the image's kernel $abi" grep -q "next boot: kernel $abi" "$work/setup.err"
check "setup installed the drop-in" grep -qF "$fragment" "$mnt/etc/default/grub.d/bootrace.cfg"
check "setup says to run update-grub in the image" grep -q "chroot $mnt update-grub" "$work/setup.err"
rc=0
in_chroot update-grub > "$work/update-grub.log" 2>&1 || rc=$?
sed 's/^/# update-grub: /' "$work/update-grub.log"
check "the image's update-grub (grub-mkconfig) exit 0" [ $rc -eq 0 ]
grep -E '^\s*linux\s' "$cfg" | grep -F "vmlinuz-$abi " > "$work/linux-lines" || true
grep -v ' single' "$work/linux-lines" > "$work/normal" || true
grep ' single' "$work/linux-lines" > "$work/recovery" || true
all_carry() { [ -s "$1" ] && ! grep -vqF -- "$fragment" "$1"; }
check "grub.cfg: the normal entries ($(wc -l < "$work/normal")) carry the arguments" all_carry "$work/normal"
check "grub.cfg: the recovery entries ($(wc -l < "$work/recovery")) carry them too" all_carry "$work/recovery"
rc=0; "$mnt/usr/bin/bootrace" setup --root "$mnt" --events "$EVENTS" > /dev/null 2> "$work/setup2.err" || rc=$?
check "setup again: nothing to change" grep -q 'already installed' "$work/setup2.err"
check "setup again: grub.cfg is up to date, no update-grub asked for" bash -c "! grep -q update-grub '$work/setup2.err'"
umount_image
note "image prepared in $(( $(date +%s) - start ))s"

# Two boots through SeaBIOS and GRUB in one QEMU run (RAM survives the reset).
boot_disk_twice "$attempts" \
	-drive "if=none,id=boot,file=$work/disk.img,format=raw" \
	-device ide-hd,drive=boot,bootindex=0
cmdline=$(cat "$work/out/proc-cmdline.txt" 2>/dev/null || true)
note "guest /proc/cmdline: $cmdline"
check "GRUB booted the image (console shows GRUB, /proc/cmdline has BOOT_IMAGE=)" \
	bash -c "grep -aq 'GRUB' '$work/console.log' && [[ '$cmdline' == BOOT_IMAGE=/boot/vmlinuz-$abi* ]]"
check "/proc/cmdline carries bootrace's arguments" bash -c "[[ ' $cmdline ' == *' $fragment '* ]]"
check_disk_lifecycle
if [ $tap_failed -ne 0 ]; then
	note "guest console (last 40 lines of $work/console.log):"
	tail -n 40 "$work/console.log" | sed 's/^/#   /'
fi

# Removing the package undoes setup (grub.cfg regenerated without the
# arguments); purging it leaves the image as before the install.
mount_image
package_remove_purge "$work/before-install"
umount_image
note "total $(( $(date +%s) - start ))s"
tap_done
