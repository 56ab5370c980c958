#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The unit under real systemd, across a real panic. A Debian 12 image with
# systemd as init (debian-image.sh systemd, cached) gets bootrace from its build's
# "meson install --destdir" (configured with --prefix=/usr), the unit
# enabled with the image's own systemctl, the 7.1+ test kernel in /boot,
# "bootrace setup --root" and the image's update-grub; QEMU boots it
# through SeaBIOS and GRUB from NVMe (root=/dev/nvme0n1p1, no initramfs).
# Boot 1: the unit runs (nothing to collect), then systemd-test-crash.service
# (after it and multi-user.target, only while no stamp exists) writes the
# stamp, syncs, writes markers into the persistent instance's trace_marker
# and panics the machine (sysrq c, panic=1). Boot 2, in the same QEMU run:
# the unit collects by itself; systemd-test-record.service (after it)
# records its journal, "bootrace list", "bootrace report" and the state
# directory, then powers off. The host mounts the image and checks. TAP.
#
# Usage: systemd-crash.sh [--usr-build DIR] [--keep DIR] [--timeout SEC]
#   --usr-build DIR  meson build directory configured with --prefix=/usr
#                    (made if missing, reused if present; default: a
#                    temporary one)
# Exit 0 all passed, 1 a check failed, 77 a resource is missing (no kernel
# or image cached and the Debian archive unreachable; not root).
set -eu
PATH=$PATH:/usr/sbin:/sbin

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/host-lib.sh"
SRCROOT=$(cd "$HERE/../.." && pwd)
usr_build='' keep='' timeout=$VM_TIMEOUT_SYSTEMD attempts=2 markers=50
EVENTS=$VM_EVENTS

die() { echo "systemd-crash: error: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case $1 in
	--usr-build) usr_build=$2; shift ;;
	--keep) keep=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	-h|--help) sed -n '4,23p' "$0"; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
	shift
done
[ "$(id -u)" = 0 ] || skip_all "needs root (loop devices, mount, chroot)"
command -v meson > /dev/null || die "meson is not installed (tests/install-deps.sh)"

kernel_and_image systemd

if [ -n "$keep" ]; then mkdir -p "$keep"; work=$(cd "$keep" && pwd); rm -rf "${work:?}/mnt"
else work=$(mktemp -d "${TMPDIR:-/tmp}/bootrace-systemd.XXXXXX"); fi
[ -n "$usr_build" ] || usr_build=$work/usr-build
mnt=$work/mnt loop='' made_node=''
trap image_cleanup EXIT

# The test-only services: systemd-test-crash on boot 1, systemd-test-record
# on boot 2. Both run after bootrace-collect.service and multi-user.target.
install_test_services() {
	local sd=$mnt/etc/systemd/system
	mkdir -p "$sd/multi-user.target.wants" "$mnt/usr/local/sbin"
	cat > "$mnt/usr/local/sbin/systemd-test-crash" <<EOF
#!/bin/sh
# Boot 1: leave a stamp, then write markers and panic for real.
set -u
out=/var/lib/bootrace-test
mkdir -p \$out
cat /proc/sys/kernel/random/boot_id > \$out/boot1-id
journalctl -b -u bootrace-collect.service -o cat > \$out/boot1-journal.txt 2>&1
systemctl show -p Result -p ExecMainStatus bootrace-collect.service > \$out/boot1-unit.txt 2>&1
touch \$out/crashed
sync
name=
for w in \$(cat /proc/cmdline); do
	case \$w in trace_instance=*@*) name=\${w#trace_instance=}; name=\${name%%@*}; name=\${name%%^*}; break ;; esac
done
marker=$VM_TRACEFS/instances/\$name/trace_marker
i=1
while [ \$i -le $markers ]; do
	echo "bootrace-systemd-marker \$i" > \$marker
	i=\$((i + 1))
done
echo bootrace-systemd-crash-now > \$marker
echo "systemd-test-crash: $markers markers into \$marker, panicking" > /dev/kmsg
echo 1 > /proc/sys/kernel/sysrq
echo c > /proc/sysrq-trigger
EOF
	cat > "$mnt/usr/local/sbin/systemd-test-record" <<'EOF'
#!/bin/sh
# Boot 2: what the unit did, for the host; then power off.
out=/var/lib/bootrace-test
{
	echo "== boot_id"; cat /proc/sys/kernel/random/boot_id
	echo "== cmdline"; cat /proc/cmdline
	echo "== is-failed"; systemctl is-failed bootrace-collect.service
	echo "== show"; systemctl show -p Result -p ExecMainStatus -p ActiveState bootrace-collect.service
	echo "== multi-user"; systemctl is-active multi-user.target
	echo "== journal"; journalctl -b -u bootrace-collect.service -o cat
	echo "== list"; bootrace list; echo "list_rc=$?"
	echo "== report"; bootrace report; echo "report_rc=$?"
	echo "== ls"; ls -la /var/lib/bootrace
	echo "== end"
} > $out/results.new 2>&1
journalctl -b -o short-monotonic > $out/boot2-journal-all.txt 2>&1
mv $out/results.new $out/results.txt
sync
systemctl poweroff
EOF
	chmod 755 "$mnt/usr/local/sbin/systemd-test-crash" "$mnt/usr/local/sbin/systemd-test-record"
	cat > "$sd/systemd-test-crash.service" <<'EOF'
[Unit]
Description=bootrace test: markers, then a real panic (boot 1 only)
After=bootrace-collect.service multi-user.target
ConditionPathExists=!/var/lib/bootrace-test/crashed

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/systemd-test-crash

[Install]
WantedBy=multi-user.target
EOF
	cat > "$sd/systemd-test-record.service" <<'EOF'
[Unit]
Description=bootrace test: record what bootrace-collect did, power off (boot 2)
After=bootrace-collect.service multi-user.target systemd-test-crash.service
ConditionPathExists=/var/lib/bootrace-test/crashed

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/systemd-test-record

[Install]
WantedBy=multi-user.target
EOF
	ln -sf ../systemd-test-crash.service "$sd/multi-user.target.wants/"
	ln -sf ../systemd-test-record.service "$sd/multi-user.target.wants/"
}

echo "TAP version 13"
start=$(date +%s)

# bootrace as its build installs it, prefix /usr.
if [ ! -f "$usr_build/build.ninja" ]; then
	meson setup "$usr_build" "$SRCROOT" --prefix=/usr -Dvm_tests=false > "$work/meson-setup.log" 2>&1 ||
		{ tail -n 20 "$work/meson-setup.log" >&2; die "meson setup $usr_build failed"; }
fi
ninja -C "$usr_build" > "$work/ninja.log" 2>&1 || { tail -n 20 "$work/ninja.log" >&2; die "ninja -C $usr_build failed"; }
note "bootrace built with --prefix=/usr in $(( $(date +%s) - start ))s"

prepare() {
	cp --sparse=always "$image" "$work/disk.img"
	mount_image
	rc=0; meson install -C "$usr_build" --no-rebuild --destdir "$mnt" > "$work/install.log" 2>&1 || rc=$?
	check "meson install --destdir IMAGE exit 0 (got $rc)" [ $rc -eq 0 ]
	unit=$mnt/lib/systemd/system/bootrace-collect.service
	check "the build installed the unit where systemd looks (/lib/systemd/system)" [ -s "$unit" ]
	check "its ExecStart is the installed /usr/bin/bootrace" grep -q '^ExecStart=/usr/bin/bootrace ' "$unit"
	rc=0; chroot "$mnt" systemctl enable bootrace-collect.service > "$work/enable.log" 2>&1 || rc=$?
	sed 's/^/# enable: /' "$work/enable.log"
	check "systemctl enable in the image (exit $rc)" [ $rc -eq 0 ]
	check "enabled: a link in sysinit.target.wants" [ -L "$mnt/etc/systemd/system/sysinit.target.wants/bootrace-collect.service" ]
	install_test_services

	cp "$kdir/vmlinuz" "$mnt/boot/vmlinuz-$abi"
	# The owner's settings: serial console, no menu delay, panic=1; the root
	# file system on NVMe without an initramfs (the kernel has NVMe and ext4
	# built in, and cannot resolve root=UUID= by itself). grub-mkconfig
	# reads /etc/default/grub after probing, so GRUB_DEVICE there is the
	# guest's device, not the loop device it probed here.
	sed -i -e 's/^GRUB_TIMEOUT=.*/GRUB_TIMEOUT=0/' \
		-e "s|^GRUB_CMDLINE_LINUX_DEFAULT=.*|GRUB_CMDLINE_LINUX_DEFAULT=\"$VM_OWNER_CMDLINE\"|" \
		-e "s/^#GRUB_TERMINAL=.*/GRUB_TERMINAL=serial\\nGRUB_SERIAL_COMMAND=\"$VM_GRUB_SERIAL\"/" \
		"$mnt/etc/default/grub"
	printf '%s\n' GRUB_DEVICE=/dev/nvme0n1p1 GRUB_DISABLE_LINUX_UUID=true >> "$mnt/etc/default/grub"
	setup_on_image "$mnt/usr/bin/bootrace" --events "$EVENTS"
	rc=0
	in_chroot update-grub > "$work/update-grub.log" 2>&1 || rc=$?
	check "the image's update-grub exit 0 (got $rc)" [ $rc -eq 0 ]
	check "grub.cfg boots $abi with bootrace's arguments" \
		bash -c "grep -E '^\s*linux\s' '$mnt/boot/grub/grub.cfg' | grep -F 'vmlinuz-$abi ' | grep -qF -- '$fragment'"
	umount_image
}

# The image is the boot disk (NVMe, root=/dev/nvme0n1p1); no result disk.
boot() {
	vm_qemu "$work" "$VM_CPUS" "$timeout" \
		-drive "if=none,id=disk,file=$work/disk.img,format=raw" \
		-device nvme,drive=disk,serial=bootrace,bootindex=0
	note "QEMU ran ${vm_seconds}s, exit $vm_rc"
}
section() { sed -n "/^== $1\$/,/^== /p" "$work/state/results.txt" 2>/dev/null | sed '1d;$d'; }

attempt=1
while :; do
	pstart=$(date +%s)
	prepare
	note "image prepared in $(( $(date +%s) - pstart ))s"
	boot
	rm -rf "$work/state"; mkdir -p "$work/state"
	mount_image
	cp -a "$mnt/var/lib/bootrace-test/." "$work/state/" 2>/dev/null || true
	mkdir -p "$work/state/bootrace"
	cp -a "$mnt/var/lib/bootrace/." "$work/state/bootrace/" 2>/dev/null || true
	umount_image
	# The persistent memory was once seen lost across a reset (kernel-facts):
	# boot 2 ran, but there was nothing to collect. Try once more.
	if [ -s "$work/state/results.txt" ] && ! section journal | grep -q 'collected the previous boot' &&
		[ $attempt -lt $attempts ]; then
		note "attempt $attempt: boot 2 found nothing to collect: $(section journal | head -n 1); retrying"
		cp "$work/console.log" "$work/console-attempt$attempt.log"
		attempt=$((attempt + 1))
		continue
	fi
	# Or only some CPU's buffer was lost: boot 2's kernel says so.
	if lost=$(sed -n '/sysrq: Trigger a crash/,$p' "$work/console.log" | ring_buffer_lost "$VM_CPUS") &&
		[ $attempt -lt $attempts ]; then
		note "attempt $attempt: the reserved memory did not survive the reset ($lost); retrying"
		cp "$work/console.log" "$work/console-attempt$attempt.log"
		attempt=$((attempt + 1))
		continue
	fi
	# Under TCG the kernel now and then oopses early and panic=1 restarts
	# it: boot 1's unit then rightly collects that crashed boot, and the
	# test's two boots are shifted. Not bootrace's doing: try once more.
	if grep -q '^bootrace: collected' "$work/state/boot1-journal.txt" 2>/dev/null &&
		[ $attempt -lt $attempts ]; then
		note "attempt $attempt: boot 1 found an earlier crashed boot to collect (an early guest oops); retrying"
		cp "$work/console.log" "$work/console-attempt$attempt.log"
		attempt=$((attempt + 1))
		continue
	fi
	break
done

note "boot 1's unit: $(grep '^bootrace: ' "$work/state/boot1-journal.txt" 2>/dev/null)"
check "boot 1: the unit ran, said one line (nothing to collect), and did not fail" \
	bash -c "[ \$(grep -c '^bootrace: ' '$work/state/boot1-journal.txt') = 1 ] && grep -q '^bootrace: nothing collected' '$work/state/boot1-journal.txt' && grep -q '^Result=success' '$work/state/boot1-unit.txt'"
check "boot 1: the test service ran after it and panicked the machine" \
	bash -c "grep -aq 'systemd-test-crash: $markers markers' '$work/console.log' && grep -aq 'Kernel panic' '$work/console.log'"
check "boot 2 reached multi-user.target and the recording service" \
	bash -c "[ -s '$work/state/results.txt' ] && [ \"\$(sed -n '/^== multi-user/{n;p}' '$work/state/results.txt')\" = active ]"
boot1=$(cat "$work/state/boot1-id" 2>/dev/null || true)
boot2=$(section boot_id)
check "boot 2 is another boot (boot ids ${boot1:0:8}... and ${boot2:0:8}...)" bash -c "[ -n '$boot1' ] && [ -n '$boot2' ] && [ '$boot1' != '$boot2' ]"
check "QEMU exited by the guest's poweroff (exit $vm_rc)" [ "$vm_rc" = 0 ]
note "guest /proc/cmdline: $(section cmdline)"
section journal | sed 's/^/# journal: /'
check "the unit did not fail (is-failed: $(section is-failed | tr '\n' ' '))" \
	bash -c "[ \"\$(sed -n '/^== is-failed/{n;p}' '$work/state/results.txt')\" != failed ] && grep -q '^Result=success' '$work/state/results.txt'"
dirs=$(cd "$work/state/bootrace" && find . -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%f\n')
hidden=$(cd "$work/state/bootrace" && find . -mindepth 1 -maxdepth 1 -type d -name '.*' -printf '%f\n')
check "one collection under /var/lib/bootrace ($dirs), no half-built directory ($hidden)" \
	bash -c "[ \$(printf '%s\n' '$dirs' | grep -c .) = 1 ] && [ -z '$hidden' ]"
coll=$work/state/bootrace/$(printf '%s\n' "$dirs" | head -n 1)
check "it is named by time and boot 2's id" bash -c "[[ '$dirs' =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z-${boot2//-/}\$ ]]"
check "it is complete: trace.dat and info" bash -c "[ -s '$coll/trace.dat' ] && [ -s '$coll/info' ]"
line=$(section journal | grep 'collected the previous boot' | head -n 1)
check "the unit's journal has one line from bootrace" [ "$(section journal | grep -c '^bootrace: ')" = 1 ]
check "that line names the collection's path" bash -c "[[ '$line' == *'/var/lib/bootrace/$dirs/trace.dat'* ]]"
events=$(printf '%s\n' "$line" | sed -n 's/.*trace.dat: \([0-9]*\) events.*/\1/p')
check "and its event count ($events)" bash -c "[ -n '$events' ] && [ '$events' -gt 0 ]"
rc=0; trace-cmd report -i "$coll/trace.dat" > "$work/report.txt" 2> "$work/report.err" || rc=$?
got=$(grep -c 'bootrace-systemd-marker' "$work/report.txt" || true)
check "trace-cmd report reads it (exit $rc)" [ $rc -eq 0 ]
check "it holds the markers written before the panic ($got of $markers)" [ "$got" = "$markers" ]
check "and the last one, written just before sysrq c" grep -q 'bootrace-systemd-crash-now' "$work/report.txt"
total=$(grep -cE '^\s*\S.*\[[0-9]{3}\]' "$work/report.txt" || true)
note "trace-cmd report: $total event lines; the unit said $events"
check "bootrace list in boot 2 shows it" bash -c "grep -q '^list_rc=0' '$work/state/results.txt' && [ -n '$dirs' ] && grep -qF '$dirs' '$work/state/results.txt'"
section report > "$work/boot2-report.txt"
check "bootrace report in boot 2 counts the same events ($events)" \
	bash -c "grep -q '^report_rc=0' '$work/state/results.txt' && grep -q '^span: .*, $events events on 2 CPUs' '$work/boot2-report.txt'"
# The panicking process is the test service's shell (comm systemd-test-cr):
# it is in the last words of the CPU it ran on, as the task or, when it
# was preempted between its marker and sysrq c, as the task switched back
# in (next_comm=) right before the panic.
check "and among the last words, the test service that panicked" \
	bash -c "sed -n '/^CPU /,\$p' '$work/boot2-report.txt' | grep -qE '(^ *|comm=)systemd-test-cr'"
if [ $tap_failed -ne 0 ]; then
	note "work directory: $work"
	note "guest console (last 40 lines):"
	tail -n 40 "$work/console.log" | sed 's/^/#   /'
fi
note "total $(( $(date +%s) - start ))s"
tap_done
