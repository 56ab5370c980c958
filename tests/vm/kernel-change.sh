#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The previous boot ran another kernel: decoded with its own formats. A
# Debian 12 disk (debian-image.sh grub, cached) holds two kernels, an older
# line's (7.1) and the newest (fetch.sh), each with the busybox initramfs
# of kernel-change-init.sh; GRUB_DEFAULT=saved names kernel B and a
# one-time next_entry kernel A, so GRUB boots A once, then B, in one QEMU
# run (a warm reboot, RAM kept), with no tool in the guest choosing.
# "bootrace setup --root" gives the line (sched, irq and timer events,
# whose ids move between releases); two more backups of the persistent
# instance come from the image's own GRUB_CMDLINE_LINUX_DEFAULT.
#
# Boot A leaves its decoder, arms softdog's hrtimer (a module's function
# in hrtimer_start events) and keeps the kernel's own text decoding of its
# buffer. Boot B collects with A's decoder, and once more with
# --compress, then without it. Checked on the host, in both directions
# (older -> newer, newer -> older): every event of the files has the name,
# time and fields of A's own decoding in trace-cmd report 3.4 and 3.1.6
# and in bootrace report, softdog's function included; without the
# decoder, verify fails and says why. Prints TAP.
#
# Usage: kernel-change.sh [--bootrace PATH] [--keep DIR] [--timeout SEC]
#            [--line X.Y]
#   --line X.Y  the older kernel's line (default 7.1)
# Exit 0 all passed, 1 a check failed, 77 a resource is missing (no
# kernels or image cached and the Debian archive unreachable; not root).
set -eu
PATH=$PATH:/usr/sbin:/sbin

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/host-lib.sh"
SRCROOT=$(cd "$HERE/../.." && pwd)
bootrace=$SRCROOT/build/cmd/bootrace
# Two boots through GRUB and three collects in one run: more than a
# lifecycle run takes.
keep= timeout=$((2 * VM_TIMEOUT_GRUB)) attempts=2 old_line=7.1 markers=50
# A small buffer: every event of it is compared, in five readers.
SIZE=4M
EVENTS=$VM_EVENTS
# bootrace report formats at most this many events per CPU.
REPORT_LAST=100000

die() { echo "kernel-change: error: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case $1 in
	--bootrace) bootrace=$2; shift ;;
	--keep) keep=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--line) old_line=$2; shift ;;
	-h|--help) sed -n '4,27p' "$0"; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
	shift
done
[ "$(id -u)" = 0 ] || skip_all "needs root (loop devices, mount, chroot)"
[ -x "$bootrace" ] || die "no bootrace at $bootrace"
bootrace=$(realpath "$bootrace")

kernel() { # [fetch.sh ARG...]: a kernel's directory, with softdog
	local rc=0 dir
	dir=$("$HERE/fetch.sh" --quiet --test-modules "$@") || rc=$?
	[ $rc -ne 77 ] || skip_all "no kernel ${*:-(newest)} cached and the Debian archive is unreachable"
	[ $rc -eq 0 ] || die "fetch.sh $* failed ($rc)"
	echo "$dir"
}
new_kdir=$(kernel)
old_kdir=$(kernel --line "$old_line")
new_abi=$(basename "$new_kdir") old_abi=$(basename "$old_kdir")
[ "$new_abi" != "$old_abi" ] || skip_all "the newest kernel is of line $old_line itself ($new_abi)"
rc=0
image=$("$HERE/debian-image.sh" grub | tail -n 1) || rc=$?
[ $rc -ne 77 ] || skip_all "no grub image cached and it cannot be built"
[ $rc -eq 0 ] || die "debian-image.sh grub failed ($rc)"

if [ -n "$keep" ]; then mkdir -p "$keep"; top=$(cd "$keep" && pwd)
else top=$(mktemp -d "${TMPDIR:-/tmp}/bootrace-kernel-change.XXXXXX"); fi
work=$top mnt=$top/mnt loop= made_node=
trap image_cleanup EXIT

echo "TAP version 13"
start=$(date +%s)
note "kernels: $old_abi (line $old_line) and $new_abi"

entry() { echo "Debian GNU/Linux, with Linux $1"; }

# The disk for A -> B in $work/disk.img, kept as $work/disk.prepared.
prepare() { # A-KDIR B-KDIR
	local a=$1 b=$2 kdir abi rc
	cp --sparse=always "$image" "$work/disk.img"
	mount_image
	sed -i -e 's/^GRUB_TIMEOUT=.*/GRUB_TIMEOUT=0/' \
		-e 's/^GRUB_DEFAULT=.*/GRUB_DEFAULT=saved/' \
		-e "s/^GRUB_CMDLINE_LINUX_DEFAULT=.*/GRUB_CMDLINE_LINUX_DEFAULT=\"$VM_OWNER_CMDLINE trace_instance=${VM_BACKUP}2=$VM_PERSISTENT trace_instance=${VM_BACKUP}3=$VM_PERSISTENT\"/" \
		-e "s/^#GRUB_TERMINAL=.*/GRUB_TERMINAL=serial\\nGRUB_SERIAL_COMMAND=\"$VM_GRUB_SERIAL\"/" \
		"$mnt/etc/default/grub"
	# Every kernel a top-level entry, named "Debian GNU/Linux, with Linux ABI".
	echo GRUB_DISABLE_SUBMENU=y >> "$mnt/etc/default/grub"
	for kdir in "$a" "$b"; do
		abi=$(basename "$kdir")
		cp "$kdir/vmlinuz" "$mnt/boot/vmlinuz-$abi"
		"$HERE/mkinitramfs.sh" -o "$mnt/boot/initrd.img-$abi" --modules "$kdir/modules" \
			--test-modules "$kdir/test-modules" --bootrace "$bootrace" \
			--init "$HERE/kernel-change-init.sh" --markers "$markers"
	done
	setup_on_image "$bootrace" --size "$SIZE" --events "$EVENTS" --kernel-release "$(basename "$b")"
	rc=0
	in_chroot update-grub > "$work/update-grub.log" 2>&1 || rc=$?
	check "update-grub in the image exit 0 (got $rc)" [ $rc -eq 0 ]
	check "grub.cfg boots both kernels with bootrace's arguments" bash -c "
		for abi in $(basename "$a") $(basename "$b"); do
			grep -E '^\s*linux\s' '$mnt/boot/grub/grub.cfg' | grep -F \"vmlinuz-\$abi \" | grep -qF -- '$fragment' || exit 1
		done"
	# What grub-reboot does: the saved default, and this once another entry.
	rc=0
	in_chroot grub-editenv /boot/grub/grubenv set "saved_entry=$(entry "$(basename "$b")")" \
		"next_entry=$(entry "$(basename "$a")")" || rc=$?
	check "grubenv: saved_entry B, next_entry A (exit $rc)" [ $rc -eq 0 ]
	umount_image
	cp --sparse=always "$work/disk.img" "$work/disk.prepared"
}

# Boot A, then B, from the prepared disk; again on the environment
# failures lifecycle.sh retries.
boot_both() {
	boot_disk_twice "$attempts" \
		-drive "if=none,id=boot,file=$work/disk.img,format=raw" \
		-device ide-hd,drive=boot,bootindex=0
}

# Every event of FILE as READER shows it, against boot A's own decoding.
compare() { # WHAT -- REPORT-COMMAND...
	local what=$1 out rc
	shift 2
	out=$work/$(echo "$what" | tr -c 'a-zA-Z0-9.\n' '-').txt
	rc=0; "$@" > "$out" 2> "$out.err" || rc=$?
	check "$what reads the file (exit $rc)" [ $rc -eq 0 ]
	rc=0
	python3 "$HERE/trace-compare.py" "$work/out/truth.txt.gz" "$out" \
		$([ "$1" = "$bootrace" ] && echo --last $REPORT_LAST) > "$out.cmp" || rc=$?
	sed '$d' "$out.cmp"
	check "$what: $(tail -n 1 "$out.cmp")" [ $rc -eq 0 ]
	# The module's function, named as the kernel named it.
	local want got
	if [ ! -s "$work/out/boot1-softdog.txt" ]; then
		skip "$what names softdog's hrtimer function" "the archive has no modules of kernel A"
		return
	fi
	want=$(zcat "$work/out/truth.txt.gz" | grep -c 'hrtimer_start:.*function=softdog_fire' || true)
	got=$(grep -c 'hrtimer_start:.*function=softdog_fire' "$out" || true)
	check "$what names softdog's hrtimer function in boot A's module ($got of $want hrtimer_start events)" \
		bash -c "[ '$want' -gt 0 ] && [ '$got' = '$want' ]"
}

direction() { # A-KDIR B-KDIR
	local a=$1 b=$2 abi_a abi_b tag
	abi_a=$(basename "$a") abi_b=$(basename "$b")
	work=$top/$abi_a-to-$abi_b
	mkdir -p "$work"
	tag="$abi_a -> $abi_b"
	note "---- $tag"
	prepare "$a" "$b"
	boot_both
	r() { disk_result "$1"; }
	check "$tag: GRUB booted A once ($(cat "$work/out/boot1-release" 2>/dev/null)), then B ($(cat "$work/out/boot2-release" 2>/dev/null))" \
		bash -c "[ \"\$(cat '$work/out/boot1-release')\" = '$abi_a' ] && [ \"\$(cat '$work/out/boot2-release')\" = '$abi_b' ]"
	check "$tag: the kernel kept the buffer across the change ($(r backup_entries) entries)" \
		[ "$(r backup_entries)" -gt 0 ] 2>/dev/null
	check "$tag: boot A left its decoder" bash -c "[ -s '$work/out/decoders-before.txt' ]"
	check "$tag: status names A's kernel and its decoder" bash -c \
		"grep -q 'last traced boot: .*kernel $abi_a' '$work/out/status.out' && grep -q 'its decoder: /var/lib/bootrace/decoders/' '$work/out/status.out'"
	sed 's/^/# collect: /' "$work/out/collect.err"
	check "$tag: collect exit 0, with what boot A left" bash -c \
		"[ '$(r collect_rc)' = 0 ] && grep -q \"decoded with what boot .* left: its kernel $abi_a\" '$work/out/collect.err'"
	check "$tag: verify exit 0 (got $(r verify_rc))" [ "$(r verify_rc)" = 0 ]
	check "$tag: collect --compress exit 0, the decoder found by A's kernel text" bash -c \
		"[ '$(r collect_v7_rc)' = 0 ] && grep -q 'decoded with what boot' '$work/out/collect_v7.err'"
	# trace-cmd without its plugins (-N): they print some events their own
	# way; the formats' print fmt is what the kernel printed too.
	compare "$tag: trace-cmd 3.4 report" -- "$HERE/trace-cmd-sid" report -N -i "$work/out/trace.dat"
	compare "$tag: trace-cmd 3.1.6 report" -- trace-cmd report -N -i "$work/out/trace.dat"
	compare "$tag: bootrace report" -- "$bootrace" report --last $REPORT_LAST "$work/out/trace.dat"
	compare "$tag: trace-cmd 3.4 report of the version 7 file (MODULES_FILE)" -- "$HERE/trace-cmd-sid" report -N -i "$work/out/trace-v7.dat"
	compare "$tag: trace-cmd 3.1.6 report of the version 7 file" -- trace-cmd report -N -i "$work/out/trace-v7.dat"
	compare "$tag: bootrace report of the version 7 file" -- "$bootrace" report --last $REPORT_LAST "$work/out/trace-v7.dat"
	# What the decoder spares: the same data with kernel B's formats.
	"$bootrace" report --last $REPORT_LAST "$work/out/nodecoder.dat" > "$work/nodecoder-report.txt" 2>&1 || true
	note "with kernel B's formats instead: $(python3 "$HERE/trace-compare.py" "$work/out/truth.txt.gz" \
		"$work/nodecoder-report.txt" --last $REPORT_LAST --show 0 | tail -n 1)"
	check "$tag: bootrace report of that file warns, before the events, that they may be another kernel's" \
		bash -c "grep -n -m1 -e '^WARNING: the event names and fields below may be another kernel' -e '^CPU ' '$work/nodecoder-report.txt' | grep -q WARNING"
	sed 's/^/# without the decoder: /' "$work/out/collect_nodecoder.err" "$work/out/verify_nodecoder.out"
	check "$tag: without A's decoder, collect still reads everything and says whose formats" bash -c \
		"[ '$(r collect_nodecoder_rc)' = 0 ] && grep -q \"ran kernel $abi_a\" '$work/out/collect_nodecoder.err' && grep -q \"another kernel's\" '$work/out/collect_nodecoder.err'"
	check "$tag: and verify fails its decode check, saying why" bash -c \
		"[ '$(r verify_nodecoder_rc)' = 1 ] && grep -E '^FAIL +decode ' '$work/out/verify_nodecoder.out' | grep -qF 'kernel $abi_a'"
	if [ $tap_failed -ne 0 ]; then
		note "guest console (last 30 lines of $work/console.log):"
		tail -n 30 "$work/console.log" | sed 's/^/#   /'
	fi
}

direction "$old_kdir" "$new_kdir"
direction "$new_kdir" "$old_kdir"
work=$top
note "total $(( $(date +%s) - start ))s"
tap_done
