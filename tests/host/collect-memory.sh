#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The boot unit's path costs the memory of -o: collecting a large instance
# of this machine's tracefs into a state directory (the sidecar written,
# retention run) peaks under 16 MiB RSS, close to the same collect with -o,
# because the sidecar comes from what collect knows, never from reading the
# trace again. Two instances get the same events at once, so both paths
# drain the same amount of data.
#
# Usage: collect-memory.sh BOOTRACE BENCH_RUN [PER_CPU_MIB]
# Prints TAP; exits 1 if a check failed, 77 if not root or no tracefs.
set -u

BOOTRACE=$1
RUN=$2
PER_CPU_MIB=${3:-32}
LIMIT_KB=$((16 * 1024))
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/tap.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root to create tracefs instances"
TRACEFS=$(awk '$3 == "tracefs" { print $2; exit }' /proc/mounts)
[ -n "$TRACEFS" ] || skip_all "tracefs is not mounted"
[ -d "$TRACEFS/instances" ] || skip_all "tracefs at $TRACEFS has no instances"
[ -d "$TRACEFS/events/raw_syscalls" ] || skip_all "no raw_syscalls events"

WORK=$(mktemp -d)
PREFIX=bootrace-memory-$$
INSTANCES=()
cleanup() {
	local i
	for i in "${INSTANCES[@]}"; do
		[ -d "$TRACEFS/instances/$i" ] && rmdir "$TRACEFS/instances/$i"
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

inst() { echo "$TRACEFS/instances/$PREFIX-$1"; }

for tag in state file; do
	mkdir "$(inst $tag)" || bail_out "cannot create instance $(inst $tag)"
	INSTANCES+=("$PREFIX-$tag")
	echo 0 >"$(inst $tag)/tracing_on"
	echo $((PER_CPU_MIB * 1024)) >"$(inst $tag)/buffer_size_kb" ||
		bail_out "cannot size $(inst $tag) to $PER_CPU_MIB MiB per CPU"
	echo 1 >"$(inst $tag)/events/raw_syscalls/enable"
done

# Each syscall of the load adds an enter and an exit event (~48 bytes each)
# to both instances; a third more than fits, so both are full.
count=$((PER_CPU_MIB * 1024 * 1024 * 4 / 3 / 96))
for tag in state file; do echo 1 >"$(inst $tag)/tracing_on"; done
pids=()
for cpu in $(seq 0 $(($(nproc) - 1))); do
	taskset -c "$cpu" dd if=/dev/zero of=/dev/null bs=1 count="$count" 2>/dev/null &
	pids+=($!)
done
wait "${pids[@]}"
for tag in state file; do echo 0 >"$(inst $tag)/tracing_on"; done

entries() { cat "$(inst "$1")"/per_cpu/cpu*/stats | awk '$1 == "entries:" { s += $2 } END { print s + 0 }'; }
entries_state=$(entries state)
note "$PER_CPU_MIB MiB per CPU on $(nproc) CPUs: $entries_state events in each instance"

# An older collection, so that retention (keep = 1) has work to do: made
# as collect makes one (0700, 0600, its sidecar), since retention removes
# nothing else.
STATE=$WORK/state
OLD=2000-01-01T00:00:00Z-0123456789abcdef0123456789abcdef
(
	umask 077
	mkdir -p "$STATE/$OLD"
	echo old >"$STATE/$OLD/trace.dat"
	printf '# written by bootrace collect; read by bootrace list\ncollected=2000-01-01T00:00:00Z\n' >"$STATE/$OLD/info"
)
printf 'keep = 1\n' >"$WORK/bootrace.conf"

maxrss_of() { sed -n 's/.*maxrss_kb=\([0-9]*\).*/\1/p' "$1" | tail -n 1; }

"$RUN" "$WORK/state.run" "$BOOTRACE" --quiet collect --oneline --instance "$PREFIX-state" \
	--config "$WORK/bootrace.conf" --state-dir "$STATE" >"$WORK/state.out" 2>"$WORK/state.err"
rc_state=$?
"$RUN" "$WORK/file.run" "$BOOTRACE" --quiet collect --instance "$PREFIX-file" \
	-o "$WORK/file.dat" >"$WORK/file.out" 2>"$WORK/file.err"
rc_file=$?
rss_state=$(maxrss_of "$WORK/state.run")
rss_file=$(maxrss_of "$WORK/file.run")
note "peak RSS: ${rss_state:-?} KiB into the state directory, ${rss_file:-?} KiB with -o"

tap_stderr_file=$WORK/state.err
check "collect into the state directory succeeds" [ "$rc_state" -eq 0 ]
tap_stderr_file=$WORK/file.err
check "collect -o succeeds" [ "$rc_file" -eq 0 ]
tap_stderr_file=

collection=$(ls -d "$STATE"/20[2-9]*Z-* 2>/dev/null | head -n 1)
if [ -n "$collection" ] && [ -f "$collection/trace.dat" ] &&
   grep -qx "events=$entries_state" "$collection/info"; then
	ok "the collection's sidecar counts the kernel's $entries_state events"
else
	not_ok "the collection's sidecar counts the kernel's $entries_state events" \
		"collection: ${collection:-none}" "$(cat "$collection/info" 2>/dev/null | tr '\n' ' ')"
fi
if grep -q '^first_ns=' "$collection/info" 2>/dev/null && grep -q '^last_ns=' "$collection/info"; then
	ok "the sidecar has the trace's span"
else
	not_ok "the sidecar has the trace's span" "$(cat "$collection/info" 2>/dev/null | tr '\n' ' ')"
fi
check "retention (keep = 1) removed the older collection" [ ! -e "$STATE/$OLD" ]

if ldd "$BOOTRACE" 2>/dev/null | grep -q libasan; then
	# Its shadow memory and quarantine count in the RSS; the comparison with -o below still holds.
	skip "into the state directory: peak RSS < $LIMIT_KB KiB" "built with AddressSanitizer (${rss_state:-?} KiB)"
elif [ -n "$rss_state" ] && [ "$rss_state" -lt "$LIMIT_KB" ]; then
	ok "into the state directory: peak RSS $rss_state KiB < $LIMIT_KB KiB"
else
	not_ok "into the state directory: peak RSS ${rss_state:-?} KiB < $LIMIT_KB KiB"
fi
if [ -n "$rss_state" ] && [ -n "$rss_file" ] && [ "$rss_state" -le $((rss_file + 2048)) ]; then
	ok "the state directory's path costs what -o costs, within 2 MiB ($rss_state vs $rss_file KiB)"
else
	not_ok "the state directory's path costs what -o costs, within 2 MiB (${rss_state:-?} vs ${rss_file:-?} KiB)"
fi
tap_done
