#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The unit under real systemd, across a real panic, and the fleet's view of
# it. A Debian 12 image with systemd as init (debian-image.sh systemd,
# cached) gets bootrace from its Debian package (built from this tree by
# tests/package/build-deb.sh, installed with the image's dpkg, which
# enables the unit), the 7.1+ test kernel in /boot, "bootrace setup
# --root" (events with printk, so the trace shows the panic) and the
# image's update-grub; QEMU boots it through SeaBIOS and GRUB from NVMe
# (root=/dev/nvme0n1p1, no initramfs).
#
# The fleet: the guest's own systemd-journal-upload ships its journal to
# http://127.0.0.1:19532, its own loopback, where socat hands each
# connection to a virtio-serial port; QEMU joins that port to a unix
# socket on this machine, which socat hands to a real systemd-journal-remote
# listening on this machine's 127.0.0.1. No other address is used. The
# collection's entry must arrive there, found by its MESSAGE_ID, with its
# event count, its last words and the panic, and journalctl -x in the
# guest must explain it with bootrace's catalog.
# Boot 1: the unit runs (nothing to collect), then systemd-test-crash.service
# (after it and multi-user.target, only while no stamp exists) writes the
# stamp, syncs, writes markers into the persistent instance's trace_marker
# and panics the machine (sysrq c, panic=1). Boot 2, in the same QEMU run:
# the unit collects by itself; systemd-test-record.service (after it)
# records its journal, "bootrace list", "bootrace report" and the state
# directory, waits until journal-upload has shipped the collection's entry,
# then powers off. The host mounts the image and checks; finally apt-get
# remove and purge in the image leave nothing of bootrace. TAP.
#
# Usage: systemd-crash.sh [--deb-dir DIR] [--keep DIR] [--timeout SEC]
#   --deb-dir DIR  where the package is built, or found current (default:
#                  the work directory)
# Exit 0 all passed, 1 a check failed, 77 a resource is missing (no kernel
# or image cached and the Debian archive unreachable; not root; no
# systemd-journal-remote or socat here).
set -eu
PATH=$PATH:/usr/sbin:/sbin

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/host-lib.sh"
. "$HERE/package-lib.sh"
deb_dir='' keep='' timeout=$VM_TIMEOUT_SYSTEMD attempts=2 markers=50
# printk: the kernel's own messages, so the trace shows the panic.
EVENTS=$VM_EVENTS,printk
# collect's entry of a collection (bootrace-collect(1), JOURNAL).
ID_COLLECTED=ad2813783d9e42529a3f6115a61a5a56
# The guest's loopback port its journal-upload sends to, and the
# virtio-serial port that carries those bytes to this machine.
GUEST_UPLOAD_PORT=19532
JOURNAL_PORT_NAME=org.bootrace.journal
REMOTE=/lib/systemd/systemd-journal-remote

die() { echo "systemd-crash: error: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case $1 in
	--deb-dir) deb_dir=$2; shift ;;
	--keep) keep=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	-h|--help) sed -n '4,42p' "$0"; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
	shift
done
[ "$(id -u)" = 0 ] || skip_all "needs root (loop devices, mount, chroot)"
[ -x "$REMOTE" ] || skip_all "no $REMOTE (systemd-journal-remote; tests/install-deps.sh)"
command -v socat > /dev/null || skip_all "no socat (tests/install-deps.sh)"

kernel_and_image systemd

if [ -n "$keep" ]; then mkdir -p "$keep"; work=$(cd "$keep" && pwd); rm -rf "${work:?}/mnt"
else work=$(mktemp -d "${TMPDIR:-/tmp}/bootrace-systemd.XXXXXX"); fi
mnt=$work/mnt loop='' made_node=''
remote_pid='' bridge_pid=''
# The fleet's side on this machine stops with the test, whatever happens.
fleet_stop() {
	[ -z "$bridge_pid" ] || kill "$bridge_pid" 2> /dev/null || true
	[ -z "$remote_pid" ] || kill "$remote_pid" 2> /dev/null || true
	wait 2> /dev/null || true
	bridge_pid='' remote_pid=''
}
trap 'fleet_stop; image_cleanup' EXIT

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
# What journal-upload has shipped so far ends cleanly before the panic: the
# byte pipe to this machine cannot tell journal-remote that a connection
# broke, so none may break in the middle of a request.
logger -t systemd-test-crash "journal checkpoint before the panic"
i=0
while [ \$i -lt 60 ]; do
	cur=\$(sed -n 's/^LAST_CURSOR=//p' /var/lib/systemd/journal-upload/state 2>/dev/null)
	[ -n "\$cur" ] && [ -z "\$(journalctl --after-cursor="\$cur" -q -o cat -t systemd-test-crash)" ] && break
	sleep 1
	i=\$((i + 1))
done
echo "waited \$i s for the upload" > \$out/boot1-upload.txt
systemctl stop systemd-journal-upload.service
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
ID_COLLECTED=ad2813783d9e42529a3f6115a61a5a56
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
	echo "== security"; systemd-analyze security --no-pager bootrace-collect.service 2>&1
	echo "== explain"; journalctl -b -x --no-pager MESSAGE_ID=$ID_COLLECTED
	echo "== entry"; journalctl -b -o json MESSAGE_ID=$ID_COLLECTED
	echo "== upload"
	# Until journal-upload has shipped the collection's entry.
	i=0
	while [ $i -lt 120 ]; do
		cur=$(sed -n 's/^LAST_CURSOR=//p' /var/lib/systemd/journal-upload/state 2>/dev/null)
		if [ -n "$cur" ] && journalctl -b -q -o cat MESSAGE_ID=$ID_COLLECTED | grep -q . &&
			[ -z "$(journalctl --after-cursor="$cur" -q -o cat MESSAGE_ID=$ID_COLLECTED)" ]; then
			echo "uploaded after $i s"
			break
		fi
		sleep 1
		i=$((i + 1))
	done
	systemctl status --no-pager systemd-journal-upload.service journal-bridge-test.service
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

# The guest's side of the fleet: its real systemd-journal-upload, enabled,
# sends to its own loopback, where socat hands each connection (one at a
# time: the port is one byte stream) to the virtio-serial port.
install_fleet_guest() {
	local sd=$mnt/etc/systemd/system rc=0
	mkdir -p "$mnt/etc/systemd/journal-upload.conf.d" "$sd/systemd-journal-upload.service.d"
	printf '[Upload]\nURL=http://127.0.0.1:%s\n' "$GUEST_UPLOAD_PORT" \
		> "$mnt/etc/systemd/journal-upload.conf.d/fleet-test.conf"
	# A failed upload (the bridge between two connections) is retried, however often.
	printf '[Unit]\nStartLimitIntervalSec=0\n[Service]\nRestartSec=2\n' \
		> "$sd/systemd-journal-upload.service.d/fleet-test.conf"
	cat > "$sd/journal-bridge-test.service" <<UNIT
[Unit]
Description=Test: the journal upload's connection onto virtio-serial port $JOURNAL_PORT_NAME
Before=systemd-journal-upload.service
StartLimitIntervalSec=0

[Service]
ExecStart=/usr/bin/socat TCP-LISTEN:$GUEST_UPLOAD_PORT,bind=127.0.0.1,reuseaddr OPEN:/dev/virtio-ports/$JOURNAL_PORT_NAME
Restart=always
RestartSec=1

[Install]
WantedBy=multi-user.target
UNIT
	chroot "$mnt" systemctl enable systemd-journal-upload.service journal-bridge-test.service \
		> "$work/enable-fleet.log" 2>&1 || rc=$?
	check "the image's systemd-journal-upload and the bridge enabled (exit $rc)" [ $rc -eq 0 ]
}

# This machine's side: a real systemd-journal-remote on 127.0.0.1 writing
# $work/remote/received.journal, and socat handing QEMU's unix socket for
# the virtio-serial port to it, again whenever either end closes.
fleet_start() {
	local port
	rm -rf "$work/remote" "$work/journal.sock"
	mkdir -p "$work/remote"
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	"$REMOTE" --listen-http=127.0.0.1:"$port" --split-mode=none \
		--output="$work/remote/received.journal" > "$work/remote/remote.log" 2>&1 &
	remote_pid=$!
	for _ in $(seq 50); do
		ss -Hltn "sport = :$port" | grep -q . && break
		sleep 0.1
	done
	ss -Hltn "sport = :$port" | grep -q . ||
		die "systemd-journal-remote does not listen on 127.0.0.1:$port: $(tail -n 3 "$work/remote/remote.log")"
	bridge_loop "$work/journal.sock" "$port" >> "$work/remote/bridge.log" 2>&1 &
	bridge_pid=$!
}

bridge_loop() { # SOCKET PORT
	local child=
	trap '[ -z "$child" ] || kill "$child" 2> /dev/null; exit 0' TERM
	while :; do
		if [ -S "$1" ]; then
			socat UNIX-CONNECT:"$1" TCP:127.0.0.1:"$2" &
			child=$!
			wait "$child" || true
			child=
		fi
		sleep 0.5
	done
}

echo "TAP version 13"
start=$(date +%s)

# bootrace as a user installs it: its package.
package_build "${deb_dir:-$work/deb}"
note "package: $deb ($(( $(date +%s) - start ))s)"

prepare() {
	cp --sparse=always "$image" "$work/disk.img"
	mount_image
	package_install
	unit=$mnt/lib/systemd/system/bootrace-collect.service
	check "the package installed the unit where systemd looks (/lib/systemd/system)" [ -s "$unit" ]
	check "its ExecStart is the installed /usr/bin/bootrace" grep -q '^ExecStart=/usr/bin/bootrace ' "$unit"
	check "the package enabled it: a link in sysinit.target.wants" \
		[ -L "$mnt/etc/systemd/system/sysinit.target.wants/bootrace-collect.service" ]
	check "its catalog is compiled into the image's catalog database" \
		bash -c "chroot '$mnt' journalctl --dump-catalog $ID_COLLECTED | grep -q '^Subject: '"
	install_test_services
	install_fleet_guest

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
# The virtio-serial port of the fleet's byte pipe is QEMU's unix socket
# $work/journal.sock, a server that this machine's bridge connects to.
boot() {
	fleet_start
	vm_qemu "$work" "$VM_CPUS" "$timeout" \
		-drive "if=none,id=disk,file=$work/disk.img,format=raw" \
		-device nvme,drive=disk,serial=bootrace,bootindex=0 \
		-device virtio-serial-pci,id=vser0 \
		-chardev "socket,id=journal,path=$work/journal.sock,server=on,wait=off" \
		-device "virtserialport,bus=vser0.0,chardev=journal,name=$JOURNAL_PORT_NAME"
	note "QEMU ran ${vm_seconds}s, exit $vm_rc"
	fleet_stop
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
# Collections, named by time and boot id; the decoders/ of the boots sit beside them.
dirs=$(cd "$work/state/bootrace" && find . -mindepth 1 -maxdepth 1 -type d -name '[0-9]*Z-*' -printf '%f\n')
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
# The unit that did all this is hardened: systemd's own rating of it, 0 (safe) to 10,
# and what it still counts against it (the lines with an exposure).
section security | grep -E ' [0-9]\.[0-9]+ *$' | sed 's/ *$//; s/^/# security: /'
exposure=$(section security | sed -n 's/.*Overall exposure level for bootrace-collect.service: \([0-9.]*\).*/\1/p')
note "systemd-analyze security bootrace-collect.service: ${exposure:-no rating}"
check "systemd-analyze security rates the unit that collected the panic at most 4.0 (${exposure:-none})" \
	awk -v e="$exposure" 'BEGIN { exit !(e != "" && e + 0 <= 4.0) }'

# ------------------------------------------------------------------ the fleet

note "journal-upload in boot 1: $(cat "$work/state/boot1-upload.txt" 2>/dev/null); in boot 2: $(section upload | head -n 1)"
check "journalctl -x in the image explains the entry with bootrace's catalog" \
	bash -c "sed -n '/^== explain/,/^== entry/p' '$work/state/results.txt' | grep -q \"Subject: The previous boot's kernel trace was collected\""
boot2_id=${boot2//-/}
journalctl --file="$work/remote/received.journal" -o json MESSAGE_ID=$ID_COLLECTED _BOOT_ID="$boot2_id" \
	> "$work/received.json" 2> "$work/received.err" || true
check "systemd-journal-remote on 127.0.0.1 received the collection's entry (MESSAGE_ID=$ID_COLLECTED, boot 2)" \
	[ "$(grep -c . "$work/received.json")" = 1 ]
if [ -s "$work/received.json" ]; then
	python3 -c 'import json, sys
e = json.loads(open(sys.argv[1]).readline())
for k in sorted(e):
    if k.startswith(("BOOTRACE_", "MESSAGE", "PRIORITY", "OBJECT_SYSTEMD_UNIT", "_SYSTEMD_UNIT", "_HOSTNAME")):
        print(f"{k}={e[k]}"[:200])' "$work/received.json" | sed 's/^/# received: /'
fi
# One field of the received entry; exported for the checks' bash -c.
export RECEIVED_JSON=$work/received.json
received() { python3 -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline()).get(sys.argv[2], ""))' "$RECEIVED_JSON" "$1" 2> /dev/null; }
export -f received
check "it is the line the unit logged, from its unit" \
	bash -c "[ -n '$line' ] && [ \"\$(received MESSAGE)\" = '$line' ] &&
		[ \"\$(received _SYSTEMD_UNIT)\$(received OBJECT_SYSTEMD_UNIT)\" != '' ]"
check "with the collection's file (BOOTRACE_TRACE_FILE)" \
	[ "$(received BOOTRACE_TRACE_FILE)" = "/var/lib/bootrace/$dirs/trace.dat" ]
check "with the event count of the file ($events, BOOTRACE_EVENTS)" \
	bash -c "[ -n '$events' ] && [ \"\$(received BOOTRACE_EVENTS)\" = '$events' ]"
check "with the CPUs, lost events and span" \
	bash -c "[ \"\$(received BOOTRACE_CPUS)\" = $VM_CPUS ] && [ -n \"\$(received BOOTRACE_LOST_EVENTS)\" ] && [ \"\$(received BOOTRACE_SPAN_NS)\" -gt 0 ]"
check "with the previous boot: boot 1's id and the test kernel $abi" \
	bash -c "[ \"\$(received BOOTRACE_PREVIOUS_BOOT_ID)\" = '${boot1//-/}' ] && [ \"\$(received BOOTRACE_PREVIOUS_KERNEL)\" = '$abi' ]"
check "with the panic the trace shows (BOOTRACE_PANIC=yes, sysrq's message), as a warning" \
	bash -c "[ \"\$(received BOOTRACE_PANIC)\" = yes ] && [[ \"\$(received BOOTRACE_PANIC_MESSAGE)\" == *'sysrq triggered crash'* ]] && [ \"\$(received PRIORITY)\" = 4 ]"
check "with its exit status 0" [ "$(received BOOTRACE_EXIT_STATUS)" = 0 ]
# The panicking shell (comm systemd-test-cr) printed the panic, on the CPU
# it ran on: its last event there is one of the kernel's panic messages.
check "with the last words: the last event of the panicking CPU is the test service's panic" \
	bash -c "for c in \$(seq 0 $((VM_CPUS - 1))); do received BOOTRACE_LAST_EVENT_CPU\$c; done | grep -q 'systemd-test-cr.*console: '"

# ------------------------------------------- remove and purge, in the image

mount_image
GRUB_CFG=/boot/grub/grub.cfg
package_remove_purge -
umount_image

if [ $tap_failed -ne 0 ]; then
	note "work directory: $work"
	note "guest console (last 40 lines):"
	tail -n 40 "$work/console.log" | sed 's/^/#   /'
fi
note "total $(( $(date +%s) - start ))s"
tap_done
