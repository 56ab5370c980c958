#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# /init of the lifecycle test's initramfs (busybox). One QEMU run boots this
# twice: boot 1 writes known markers into the persistent instance and
# reboots (RAM, and so the ring buffer, survives QEMU's reset); boot 2 runs
# bootrace status/collect/verify on the backup instance, checks what the
# kernel did with the instances, writes everything to the result disk and
# powers off. The host (lifecycle.sh) judges the results.
#
# Result disk: as constants.sh says (VM_DISK, raw; the first 512 bytes
# hold "boot=N", the number of boots so far; a tar of VM_OUT starts at
# VM_TAR_OFFSET_MB).

# Written by mkinitramfs.sh: MARKERS, PERSISTENT, BACKUP, COLLECTOR.
. /etc/vmtest.conf

# TRACEFS, DISK, OUT and the helpers.
. /etc/vmtest-lib.sh

# Sum the "entries" lines of an instance's per_cpu/cpu*/stats.
sum_entries() {
	cat "$1"/per_cpu/cpu*/stats 2>/dev/null |
		awk '$1 == "entries:" { s += $2 } END { print s + 0 }'
}

show_per_cpu_stats() {
	for s in "$1"/per_cpu/cpu*/stats; do
		echo "== ${s#$TRACEFS/}"
		cat "$s"
	done
}

# Write MARKERS lines "bootrace-marker I" to the persistent instance, marker
# I from a process pinned to CPU I mod NCPU, all CPUs at once.
write_markers() {
	ncpu=$(nproc)
	marker_file=$TRACEFS/instances/$PERSISTENT/trace_marker
	cpu=0
	while [ $cpu -lt "$ncpu" ]; do
		taskset -c "$cpu" sh -c '
			i=$1
			while [ "$i" -le "$2" ]; do
				echo "bootrace-marker $i" > "$3"
				i=$((i + $4))
			done' sh $((cpu == 0 ? ncpu : cpu)) "$MARKERS" "$marker_file" "$ncpu" &
		cpu=$((cpu + 1))
	done
	wait
}

boot_one() {
	# What the boot unit does at every boot: nothing to collect on a cold
	# boot (exit 4); before 6.19 this also lets the ^traceoff persistent
	# instance start tracing.
	if [ "$COLLECTOR" = bootrace ]; then
		leave_state
	else
		echo 1 > "$TRACEFS/instances/$PERSISTENT/tracing_on"
	fi
	log "boot 1: instances: $(ls $TRACEFS/instances | tr '\n' ' ')"
	log "boot 1: $BACKUP entries (cold boot): $(sum_entries $TRACEFS/instances/$BACKUP)"
	write_markers
	n=$(grep -c 'bootrace-marker' "$TRACEFS/instances/$PERSISTENT/trace")
	log "boot 1: $n of $MARKERS markers visible in $PERSISTENT/trace; $PERSISTENT entries: $(sum_entries $TRACEFS/instances/$PERSISTENT)"
	log "boot 1: rebooting (reboot -f keeps RAM)"
	sync
	reboot -f
	sleep 60
}

# Run a named step: its stdout and stderr go to /out/NAME.out and
# /out/NAME.err and to the console, its exit code to results.env.
step() {
	name=$1; shift
	log "+ $*"
	"$@" > "$OUT/$name.out" 2> "$OUT/$name.err"
	rc=$?
	sed "s/^/[$name] /" "$OUT/$name.out" "$OUT/$name.err"
	log "$name exit $rc"
	echo "${name}_rc=$rc" >> "$OUT/results.env"
	return $rc
}

collect_with_sid_trace_cmd() {
	/sid/lib/ld-linux-x86-64.so.2 --library-path /sid/lib /sid/trace-cmd \
		extract -k -B "$BACKUP" -o "$1"
}

# Poll for the backup instance to disappear: the kernel removes it from a
# workqueue after the last reference to a drained instance is dropped
# (measured ~100 ms), so it may outlive collect's exit briefly.
wait_backup_gone() {
	i=0
	while [ -d "$TRACEFS/instances/$BACKUP" ] && [ $i -lt "$VM_BACKUP_GONE_TENTHS" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ ! -d "$TRACEFS/instances/$BACKUP" ] && echo "$((i * 100))"
}

boot_two() {
	inst=$TRACEFS/instances
	r=$OUT/results.env
	[ "$COLLECTOR" = bootrace ] && restore_state
	ls "$inst" > "$OUT/instances-before.txt"
	# For the host's symbol check (Debian's System.map is a stub).
	cat /proc/kallsyms > "$OUT/kallsyms.txt"
	log "boot 2: instances: $(tr '\n' ' ' < "$OUT/instances-before.txt")"
	echo "backup_present_before=$([ -d "$inst/$BACKUP" ] && echo 1 || echo 0)" >> "$r"
	# Before 6.19 there is no backup: the persistent instance holds the
	# previous boot itself.
	source=$BACKUP
	[ -d "$inst/$BACKUP" ] || source=$PERSISTENT
	echo "source=$source" >> "$r"
	cat "$inst/$source/last_boot_info" > "$OUT/backup-last_boot_info.txt" 2>&1
	show_per_cpu_stats "$inst/$source" > "$OUT/backup-stats.txt" 2>&1
	cat "$OUT/backup-stats.txt"
	echo "backup_entries=$(sum_entries "$inst/$source")" >> "$r"

	if [ "$COLLECTOR" = bootrace ]; then
		step status bootrace status
		step collect bootrace collect -o "$OUT/trace.dat"
	else
		echo "status_rc=skipped" >> "$r"
		step collect collect_with_sid_trace_cmd "$OUT/trace.dat"
	fi
	if ms=$(wait_backup_gone); then
		echo "backup_gone=1" >> "$r"
		log "$BACKUP gone (${ms} ms after collect returned)"
	else
		echo "backup_gone=0" >> "$r"
		log "$BACKUP still present $((VM_BACKUP_GONE_TENTHS / 10)) s after collect: $(ls "$inst/$BACKUP" | tr '\n' ' ')"
	fi
	if [ "$COLLECTOR" = bootrace ]; then
		step verify bootrace verify "$OUT/trace.dat"
	else
		echo "verify_rc=skipped" >> "$r"
	fi

	ls "$inst" > "$OUT/instances-after.txt"
	echo "persistent_present=$([ -d "$inst/$PERSISTENT" ] && echo 1 || echo 0)" >> "$r"
	sleep 1	# a re-armed persistent instance needs a moment to record events
	echo "persistent_entries=$(sum_entries "$inst/$PERSISTENT")" >> "$r"
	echo "persistent_tracing_on=$(cat "$inst/$PERSISTENT/tracing_on" 2>/dev/null)" >> "$r"
	echo "persistent_last_boot_info=$(head -n 1 "$inst/$PERSISTENT/last_boot_info" 2>/dev/null)" >> "$r"
	echo "ncpu=$(nproc)" >> "$r"
	ls -l "$OUT/trace.dat" 2>&1
	log "results:"
	cat "$r"
}

main() {
	setup_system
	mkdir -p "$OUT"
	run_boots boot_one boot_two
}

main
