#!/bin/bash
# bootrace setup on a real GRUB: a Debian 12 disk image with grub-pc's files
# (debian-image.sh grub, cached), the 7.1+ test kernel and a busybox initramfs in
# its /boot; "bootrace setup --root" on the image's root; grub.cfg made by
# the image's own update-grub (grub-mkconfig) in a chroot; QEMU boots the
# disk through SeaBIOS and GRUB, twice (boot 1 writes markers and reboots,
# boot 2 runs bootrace status/collect/verify, as in lifecycle.sh). Checks:
# /proc/cmdline carries bootrace's arguments (and GRUB's BOOT_IMAGE=), the
# backup instance holds the previous boot, collect and verify pass; then
# "setup --remove" restores the image's files. Prints TAP.
#
# Usage: grub-boot.sh [--bootrace PATH] [--keep DIR] [--timeout SEC]
# Exit 0 all passed, 1 a check failed, 77 a resource is missing (no kernel
# or image cached and the Debian archive unreachable; not root).
set -eu
PATH=$PATH:/usr/sbin:/sbin

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/host-lib.sh"
SRCROOT=$(cd "$HERE/../.." && pwd)
bootrace=$SRCROOT/build/cmd/bootrace
keep= timeout=180 attempts=2
EVENTS=sched,irq,timer
TAR_OFFSET_MB=1   # as guest-init.sh

skip() { echo "1..0 # SKIP $*"; exit 77; }
die() { echo "grub-boot: error: $*" >&2; exit 1; }
note() { echo "# $*"; }
n=0 failed=0
check() { # DESCRIPTION COMMAND...
	local d=$1; shift
	n=$((n + 1))
	if "$@"; then echo "ok $n - $d"; else echo "not ok $n - $d"; failed=$((failed + 1)); fi
}

while [ $# -gt 0 ]; do
	case $1 in
	--bootrace) bootrace=$2; shift ;;
	--keep) keep=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	-h|--help) sed -n '2,16p' "$0"; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
	shift
done
[ "$(id -u)" = 0 ] || skip "needs root (loop devices, mount, chroot)"
[ -x "$bootrace" ] || die "no bootrace at $bootrace"
bootrace=$(realpath "$bootrace")

rc=0; kdir=$("$HERE/fetch.sh" --quiet) || rc=$?
[ $rc -ne 77 ] || skip "no 7.1+ kernel cached and the Debian archive is unreachable"
[ $rc -eq 0 ] || die "fetch.sh failed ($rc)"
rc=0; image=$("$HERE/debian-image.sh" grub | tail -n 1) || rc=$?
[ $rc -ne 77 ] || skip "no GRUB image cached and it cannot be built (see debian-image.sh's message)"
[ $rc -eq 0 ] || die "debian-image.sh grub failed ($rc)"
abi=$(basename "$kdir")

if [ -n "$keep" ]; then mkdir -p "$keep"; work=$(cd "$keep" && pwd); rm -rf "$work/out" "$work/mnt"
else work=$(mktemp -d "${TMPDIR:-/tmp}/bootrace-grub.XXXXXX"); fi
mnt=$work/mnt loop= made_node=
cleanup() {
	for d in sys proc dev/pts dev; do mountpoint -q "$mnt/$d" 2>/dev/null && umount "$mnt/$d"; done
	mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"
	[ -z "$loop" ] || losetup -d "$loop"
	loop=
	# shellcheck disable=SC2086
	[ -z "$made_node" ] || rm -f $made_node
	[ -n "$keep" ] || [ "$failed" -ne 0 ] || rm -rf "$work"
}
trap cleanup EXIT

echo "TAP version 13"
start=$(date +%s)
cp --sparse=always "$image" "$work/disk.img"
mount_image

# The image's owner settings: serial console, no menu delay.
sed -i -e 's/^GRUB_TIMEOUT=.*/GRUB_TIMEOUT=0/' \
	-e 's/^GRUB_CMDLINE_LINUX_DEFAULT=.*/GRUB_CMDLINE_LINUX_DEFAULT="console=ttyS0 panic=1"/' \
	-e 's/^#GRUB_TERMINAL=.*/GRUB_TERMINAL=serial\nGRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"/' \
	"$mnt/etc/default/grub"
rm -rf "$work/etc.before"
cp -a "$mnt/etc" "$work/etc.before"

# The kernel, and the lifecycle initramfs with an /init that first keeps
# /proc/cmdline for the host (appended cpio archives override earlier files).
cp "$kdir/vmlinuz" "$mnt/boot/vmlinuz-$abi"
"$HERE/mkinitramfs.sh" -o "$work/initramfs.gz" --modules "$kdir/modules" --bootrace "$bootrace"
mkdir -p "$work/extra"
cp "$HERE/guest-init.sh" "$work/extra/lifecycle-init"
cat > "$work/extra/init" <<'EOF'
#!/bin/sh
/bin/busybox mkdir -p /out /proc
/bin/busybox mount -t proc proc /proc
/bin/busybox cat /proc/cmdline > /out/proc-cmdline.txt
/bin/busybox umount /proc
exec /bin/busybox sh /lifecycle-init
EOF
chmod 755 "$work/extra/init" "$work/extra/lifecycle-init"
(cd "$work/extra" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -1) >> "$work/initramfs.gz"
cp "$work/initramfs.gz" "$mnt/boot/initrd.img-$abi"

# bootrace setup on the image's root, then the image's own update-grub.
rc=0
"$bootrace" setup --root "$mnt" --events "$EVENTS" > "$work/setup.out" 2> "$work/setup.err" || rc=$?
sed 's/^/# setup: /' "$work/setup.err"
fragment=$(tail -n 1 "$work/setup.out")
check "bootrace setup --root exit 0 (got $rc)" [ $rc -eq 0 ]
check "setup composed for the image's kernel $abi" grep -q "next boot: kernel $abi" "$work/setup.err"
check "setup installed the drop-in" grep -qF "$fragment" "$mnt/etc/default/grub.d/bootrace.cfg"
check "setup says to run update-grub in the image" grep -q "chroot $mnt update-grub" "$work/setup.err"
rc=0
in_chroot update-grub > "$work/update-grub.log" 2>&1 || rc=$?
sed 's/^/# update-grub: /' "$work/update-grub.log"
check "the image's update-grub (grub-mkconfig) exit 0" [ $rc -eq 0 ]
cfg=$mnt/boot/grub/grub.cfg
grep -E '^\s*linux\s' "$cfg" | grep -F "vmlinuz-$abi " > "$work/linux-lines" || true
grep -v ' single' "$work/linux-lines" > "$work/normal" || true
grep ' single' "$work/linux-lines" > "$work/recovery" || true
all_carry() { [ -s "$1" ] && ! grep -vqF -- "$fragment" "$1"; }
check "grub.cfg: the normal entries ($(wc -l < "$work/normal")) carry the arguments" all_carry "$work/normal"
check "grub.cfg: the recovery entries ($(wc -l < "$work/recovery")) carry them too" all_carry "$work/recovery"
rc=0; "$bootrace" setup --root "$mnt" --events "$EVENTS" > /dev/null 2> "$work/setup2.err" || rc=$?
check "setup again: nothing to change" grep -q 'already installed' "$work/setup2.err"
check "setup again: grub.cfg is up to date, no update-grub asked for" bash -c "! grep -q update-grub '$work/setup2.err'"
umount_image
note "image prepared in $(( $(date +%s) - start ))s"

# Two boots through SeaBIOS and GRUB in one QEMU run (RAM survives the reset).
boot() {
	rm -f "$work/results.img"
	truncate -s 512M "$work/results.img"
	qstart=$(date +%s)
	qrc=0
	timeout --kill-after=10 "$timeout" qemu-system-x86_64 \
		-accel tcg,thread=multi -cpu max -smp 2 -m 1G \
		-nographic -nodefaults -no-user-config -monitor none \
		-serial "file:$work/console.log" \
		-drive "if=none,id=boot,file=$work/disk.img,format=raw" \
		-device ide-hd,drive=boot,bootindex=0 \
		-drive "file=$work/results.img,format=raw,if=none,id=results" \
		-device nvme,drive=results,serial=results \
		< /dev/null > "$work/qemu.out" 2>&1 || qrc=$?
	note "QEMU ran $(( $(date +%s) - qstart ))s, exit $qrc"
	rm -rf "$work/out"; mkdir -p "$work/out"
	dd if="$work/results.img" bs=1M skip=$TAR_OFFSET_MB 2>/dev/null | tar -xf - -C "$work/out" 2>/dev/null || true
}
result() { sed -n "s/^$1=//p" "$work/out/results.env" 2>/dev/null | tail -n 1; }
attempt=1
while :; do
	boot
	# The same environment failures lifecycle.sh retries (guest kernel
	# oops under TCG, wiped memory) show as no boot 2, an empty backup or
	# the kernel's own word that a CPU's buffer was lost.
	lost=$(sed -n '/vmtest: boot 1: rebooting/,/^vmtest: + /p' "$work/console.log" | ring_buffer_lost 2) || lost=
	[ "$(result boot)" = 2 ] && [ "$(result backup_entries)" != 0 ] && [ -z "$lost" ] && break
	[ $attempt -lt $attempts ] || break
	# GRUB or the setup failing is not the environment: no retry.
	grep -aq 'Linux version' "$work/console.log" || break
	note "attempt $attempt: boot=$(result boot) backup_entries=$(result backup_entries)${lost:+, $lost}; retrying"
	cp "$work/console.log" "$work/console-attempt$attempt.log"
	attempt=$((attempt + 1))
done
cmdline=$(cat "$work/out/proc-cmdline.txt" 2>/dev/null || true)
note "guest /proc/cmdline: $cmdline"
check "GRUB booted the image (console shows GRUB, /proc/cmdline has BOOT_IMAGE=)" \
	bash -c "grep -aq 'GRUB' '$work/console.log' && [[ '$cmdline' == BOOT_IMAGE=/boot/vmlinuz-$abi* ]]"
check "/proc/cmdline carries bootrace's arguments" bash -c "[[ ' $cmdline ' == *' $fragment '* ]]"
check "the guest reached boot 2" [ "$(result boot)" = 2 ]
check "boot 2: the backup instance exists" [ "$(result backup_present_before)" = 1 ]
check "boot 2: it holds the previous boot's events ($(result backup_entries) entries)" [ "$(result backup_entries)" -gt 0 ] 2>/dev/null
check "bootrace status exit 0" [ "$(result status_rc)" = 0 ]
check "bootrace collect exit 0" [ "$(result collect_rc)" = 0 ]
check "bootrace verify exit 0" [ "$(result verify_rc)" = 0 ]
markers=$(trace-cmd report -i "$work/out/trace.dat" 2>/dev/null | grep -c 'bootrace-marker' || true)
check "trace.dat holds boot 1's markers ($markers of 200)" [ "$markers" = 200 ]
if [ $failed -ne 0 ]; then
	note "guest console (last 40 lines of $work/console.log):"
	tail -n 40 "$work/console.log" | sed 's/^/#   /'
fi

# --remove: the image's /etc is as before, and update-grub drops the arguments.
mount_image
rc=0; "$bootrace" setup --root "$mnt" --remove > /dev/null 2> "$work/remove.err" || rc=$?
check "setup --remove exit 0" [ $rc -eq 0 ]
check "setup --remove: the image's /etc is byte for byte as before" diff -r --no-dereference "$work/etc.before" "$mnt/etc"
in_chroot update-grub > /dev/null 2>&1 || true
check "after --remove and update-grub, grub.cfg has no bootrace arguments" bash -c "! grep -qF 'trace_instance=' '$cfg'"
umount_image
note "total $(( $(date +%s) - start ))s"
echo "1..$n"
[ $failed -eq 0 ]
