#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# /init of the crash test's initramfs (busybox). One QEMU run boots this
# twice: boot 1 writes markers, then a marker from CPU 0 right before a
# real kernel panic (sysrq c; panic=1 restarts the machine, RAM survives);
# boot 2 runs exactly the systemd unit's command line (EXEC), then
# "bootrace report", "bootrace list" and the man pages' examples, and
# hands everything out on the result disk, laid out as guest-init.sh's
# (boot number, tar at 1 MiB).

# Written by mkinitramfs.sh: MARKERS, PERSISTENT, BACKUP, EXEC.
. /etc/vmtest.conf

# TRACEFS, DISK, OUT and the helpers.
. /etc/vmtest-lib.sh

boot_one() {
	leave_state
	write_markers_per_cpu
	log "boot 1: markers written; panicking from CPU 0 (sysrq c, panic=1)"
	echo 1 > /proc/sys/kernel/sysrq
	# The last thing this boot says on purpose, then a real panic.
	exec taskset -c 0 sh -c "echo bootrace-crash-now > $TRACEFS/instances/$PERSISTENT/trace_marker; echo c > /proc/sysrq-trigger"
}

boot_two() {
	r=$OUT/results.env
	inst=$TRACEFS/instances
	restore_state
	cat /proc/kallsyms > "$OUT/kallsyms.txt"
	cat /proc/sys/kernel/random/boot_id > "$OUT/boot_id.txt"
	for s in "$inst/$BACKUP"/per_cpu/cpu*/stats; do
		c=${s%/stats}
		echo "${c##*/} $(awk '$1 == "entries:" { print $2 }' "$s")"
	done > "$OUT/backup-entries.txt"
	cat "$OUT/backup-entries.txt"
	# Exactly what bootrace-collect.service runs, as root, at boot.
	log "+ $EXEC"
	$EXEC > "$OUT/unit.out" 2> "$OUT/unit.err"
	echo "unit_rc=$?" >> "$r"
	trace=$(ls /var/lib/bootrace/2*/trace.dat 2>/dev/null | tail -n 1)
	echo "trace_version=$(dd if="$trace" bs=1 skip=10 count=1 2>/dev/null)" >> "$r"
	echo "trace_size=$(wc -c < "$trace" 2>/dev/null)" >> "$r"
	cat "$OUT/unit.out" "$OUT/unit.err"
	bootrace report > "$OUT/report.txt" 2> "$OUT/report.err"
	echo "report_rc=$?" >> "$r"
	bootrace report --json > "$OUT/report.json" 2>> "$OUT/report.err"
	echo "report_json_rc=$?" >> "$r"
	bootrace list > "$OUT/list.txt" 2> "$OUT/list.err"
	echo "list_rc=$?" >> "$r"
	bootrace list --json > "$OUT/list.json" 2>> "$OUT/list.err"
	ls -la /var/lib/bootrace /var/lib/bootrace/* > "$OUT/state.txt" 2>&1
	cat "$OUT/report.txt" | head -n 40
	run_examples
}

# The man pages' EXAMPLES (crash.sh picks them), as a user would type
# them after the unit ran: their collection name becomes the real one,
# and "previous-boot.dat" is a copy of it in the working directory.
run_examples() {
	[ -s /etc/vmtest-examples ] || return 0
	newest=$(ls -d /var/lib/bootrace/2*/ | tail -n 1)
	name=$(basename "$newest")
	mkdir -p /tmp/examples
	cd /tmp/examples || return
	cp "$newest/trace.dat" previous-boot.dat
	i=0
	while IFS= read -r cmd; do
		i=$((i + 1))
		cmd=$(echo "$cmd" | sed -E "s/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z-[0-9a-f]{32}/$name/g")
		echo "$cmd" > "$OUT/example-$i.cmd"
		log "+ $cmd"
		sh -c "$cmd" > "$OUT/example-$i.out" 2>&1
		echo "example_${i}_rc=$?" >> "$OUT/results.env"
	done < /etc/vmtest-examples
	cd /
}

main() {
	setup_system
	mkdir -p "$OUT" /var/lib
	run_boots boot_one boot_two
}

main
