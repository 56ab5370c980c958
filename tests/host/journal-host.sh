#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# collect's structured journal entries, received by a real systemd-journald:
# one of its own, started in a private mount namespace (its sockets, its
# runtime journal and the catalog database on tmpfs there), so this
# machine's journal and catalog are never touched. Throwaway instances of
# this machine's tracefs with trace_marker writes and kernel messages
# (printk:console) are collected with "bootrace collect --instance", and
# the entries checked: message id, priority, every field against what
# collect printed and the file holds, the catalog text journalctl -x shows,
# one entry and no plain line where stdout is the journal (as in the unit,
# JOURNAL_STREAM), the "nothing collected" and "failed" entries, and
# --no-journal.
#
# Usage: journal-host.sh BOOTRACE CATALOG
# Prints TAP; exits 1 if a check failed, 77 without root, tracefs, unshare
# or systemd-journald.
set -u

BOOTRACE=$(realpath "$1")
CATALOG=$(realpath "$2")
MARKERS=60
ID_COLLECTED=ad2813783d9e42529a3f6115a61a5a56
ID_NOTHING=556f782cb9c84ca4ae1148a44bb4d1f4
ID_FAILED=8192a602597e494fbe3498d283dfd23d
JOURNALD=/lib/systemd/systemd-journald
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/tap.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root (tracefs instances, a mount namespace)"
[ -x "$JOURNALD" ] || skip_all "no $JOURNALD (package systemd)"
command -v unshare > /dev/null || skip_all "no unshare (util-linux)"
ldd "$BOOTRACE" | grep -q libsystemd || skip_all "this bootrace is built without libsystemd (-Dlibsystemd=disabled)"

# Everything below runs in a mount namespace of its own.
if [ "${JOURNAL_HOST_IN_NS:-}" != 1 ]; then
	JOURNAL_HOST_IN_NS=1 exec unshare -m --propagation private "$0" "$@"
fi

TRACEFS=$(awk '$3 == "tracefs" { print $2; exit }' /proc/mounts)
if [ -z "$TRACEFS" ]; then
	mount -t tracefs nodev /sys/kernel/tracing 2> /dev/null || skip_all "no tracefs on this kernel"
	TRACEFS=/sys/kernel/tracing
fi
[ -d "$TRACEFS/instances" ] || skip_all "tracefs at $TRACEFS has no instances"
[ -d "$TRACEFS/events/printk/console" ] || skip_all "this kernel has no printk:console event"

WORK=$(mktemp -d)
INSTANCES=()
journald_pid=
cleanup() {
	local i
	[ -z "$journald_pid" ] || kill "$journald_pid" 2> /dev/null
	for i in "${INSTANCES[@]}"; do
		[ -d "$TRACEFS/instances/$i" ] && rmdir "$TRACEFS/instances/$i"
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

# journald's sockets, its runtime journal, and the catalog database that
# journalctl -x reads (a fixed path), private to this namespace. A
# persistent /var/log/journal is hidden too: this journald is never told
# to flush there, but nothing of it may land on this machine.
for d in /run/systemd /run/log /var/lib/systemd/catalog; do
	mkdir -p "$d"
	mount -t tmpfs tmpfs "$d"
done
[ ! -d /var/log/journal ] || mount -t tmpfs tmpfs /var/log/journal
mkdir -p "$WORK/root/usr/lib/systemd/catalog"
cp "$CATALOG" "$WORK/root/usr/lib/systemd/catalog/bootrace.catalog"
journalctl --root="$WORK/root" --update-catalog 2> "$WORK/catalog.err"
check "journalctl --update-catalog compiles bootrace.catalog" [ -s "$WORK/root/var/lib/systemd/catalog/database" ]
cp "$WORK/root/var/lib/systemd/catalog/database" /var/lib/systemd/catalog/database
for id in $ID_COLLECTED $ID_NOTHING $ID_FAILED; do
	check "the catalog explains $id" \
		bash -c "journalctl --root='$WORK/root' --dump-catalog $id | grep -q '^Subject: '"
done

"$JOURNALD" > "$WORK/journald.log" 2>&1 &
journald_pid=$!
for _ in $(seq 100); do [ -S /run/systemd/journal/socket ] && [ -S /run/systemd/journal/stdout ] && break; sleep 0.1; done
[ -S /run/systemd/journal/socket ] || bail_out "systemd-journald did not start: $(tail -n 3 "$WORK/journald.log")"

# The entries with MESSAGE_ID=ID and BOOTRACE_INSTANCE=NAME, as JSON lines,
# once journald has written them.
entries() { # ID NAME
	journalctl --sync 2> /dev/null || sleep 1
	journalctl -D /run/log/journal -o json MESSAGE_ID="$1" BOOTRACE_INSTANCE="$2" 2> /dev/null
}

new_instance() { # NAME: a throwaway instance tracing markers and kernel messages
	mkdir "$TRACEFS/instances/$1"
	INSTANCES+=("$1")
	echo 1 > "$TRACEFS/instances/$1/events/printk/console/enable"
}

run() {
	rc=0
	"$BOOTRACE" "$@" > "$WORK/out" 2> "$WORK/err" || rc=$?
}

# ------------------------------------------------ a collection, by hand

inst=bootrace-journal-$$
new_instance "$inst"
cpus=$(nproc)
for i in $(seq 1 $MARKERS); do
	taskset -c $((i % cpus)) sh -c "echo 'bootrace-journal-marker $i' > $TRACEFS/instances/$inst/trace_marker"
done
taskset -c 0 sh -c "echo 'bootrace-journal-test: a kernel message, no panic' > /dev/kmsg"
echo 0 > "$TRACEFS/instances/$inst/tracing_on"
run collect --instance "$inst" --state-dir "$WORK/state" --oneline
line=$(cat "$WORK/out")
check "collect --instance: exit 0 ($rc)" [ "$rc" -eq 0 ]
check "stdout is no journal: the plain line is printed" grep -q '^bootrace: collected the previous boot into ' "$WORK/out"
entries $ID_COLLECTED "$inst" > "$WORK/collected.json"
check "one entry with MESSAGE_ID=$ID_COLLECTED" [ "$(grep -c . "$WORK/collected.json")" = 1 ]
"$BOOTRACE" report -n 1 --json --state-dir "$WORK/state" > "$WORK/report.json" 2> /dev/null
if why=$(python3 - "$WORK/collected.json" "$WORK/report.json" "$line" <<'EOF' 2>&1
import json, os, sys
e = json.loads(open(sys.argv[1]).readline())
r = json.load(open(sys.argv[2]))
line = sys.argv[3]
def want(k, v):
    assert e.get(k) == v, f"{k}={e.get(k)!r}, want {v!r}"
want("MESSAGE", line)
want("PRIORITY", "6")
want("SYSLOG_IDENTIFIER", "bootrace")
want("BOOTRACE_EXIT_STATUS", "0")
want("BOOTRACE_TRACE_FILE", r["file"])
assert os.path.isfile(e["BOOTRACE_TRACE_FILE"])
want("BOOTRACE_EVENTS", str(r["events"]))
want("BOOTRACE_LOST_EVENTS", "0")
want("BOOTRACE_CPUS", str(len(r["cpus"])))
want("BOOTRACE_FIRST_NS", str(r["first_ns"]))
want("BOOTRACE_LAST_NS", str(r["last_ns"]))
want("BOOTRACE_SPAN_NS", str(r["last_ns"] - r["first_ns"]))
want("BOOTRACE_SIZE_BYTES", str(os.stat(r["file"]).st_size))
want("BOOTRACE_PANIC", "no")
want("BOOTRACE_DECODE", "this-boot")
assert "BOOTRACE_PANIC_MESSAGE" not in e
for c in r["cpus"]:
    k = f"BOOTRACE_LAST_EVENT_CPU{c['cpu']}"
    if c["last"]:
        want(k, c["last"][-1]["text"].lstrip(" "))
    else:
        assert k not in e, k
assert any(k.startswith("BOOTRACE_LAST_EVENT_CPU") for k in e)
EOF
); then
	ok "its fields: message, priority 6, file, events, lost, CPUs, span, size, panic no, each CPU's last event (as report says)"
else
	not_ok "its fields: message, priority 6, file, events, lost, CPUs, span, size, panic no, each CPU's last event (as report says)" "$why"
fi
journalctl -D /run/log/journal -x -o short MESSAGE_ID=$ID_COLLECTED BOOTRACE_INSTANCE="$inst" > "$WORK/explained.txt" 2>&1
check "journalctl -x explains it with the catalog text and the entry's own file" \
	bash -c "grep -q \"Subject: The previous boot's kernel trace was collected\" '$WORK/explained.txt' &&
		grep -qF -- \"\$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())[\"BOOTRACE_TRACE_FILE\"])' '$WORK/collected.json')\" '$WORK/explained.txt'"

# ---------------------------- stdout is the journal, as in the boot unit

# systemd gives a service JOURNAL_STREAM, the device and inode of the
# stream socket on its stdout; systemd-cat connects the stream the same way.
inst2=bootrace-journal-unit-$$
new_instance "$inst2"
sh -c "echo 'bootrace-journal-marker unit' > $TRACEFS/instances/$inst2/trace_marker"
echo 0 > "$TRACEFS/instances/$inst2/tracing_on"
systemd-cat -t bootrace-unit-test sh -c \
	'JOURNAL_STREAM=$(stat -L -c %d:%i /proc/$$/fd/1) exec "$0" --quiet collect --instance "$1" --state-dir "$2" --oneline' \
	"$BOOTRACE" "$inst2" "$WORK/state-unit"
rc=$?
check "under a journal stream: exit 0 ($rc)" [ $rc -eq 0 ]
check "one structured entry" [ "$(entries $ID_COLLECTED "$inst2" | grep -c .)" = 1 ]
journalctl -D /run/log/journal -o cat -t bootrace-unit-test > "$WORK/stream.txt" 2>&1
check "and no plain line repeating it on the stream" [ ! -s "$WORK/stream.txt" ]
[ ! -s "$WORK/stream.txt" ] || sed 's/^/#   stream: /' "$WORK/stream.txt"

# --------------------------------------- nothing collected, and failures

inst3=bootrace-journal-empty-$$
new_instance "$inst3"
echo 0 > "$TRACEFS/instances/$inst3/tracing_on"
echo > "$TRACEFS/instances/$inst3/trace"
run collect --instance "$inst3" --state-dir "$WORK/state" --oneline
check "an empty instance: exit 4 ($rc)" [ "$rc" -eq 4 ]
entries $ID_NOTHING "$inst3" > "$WORK/nothing.json"
check "one entry with MESSAGE_ID=$ID_NOTHING, priority 6, exit status 4 and the reason" \
	python3 -c 'import json,sys; e=json.loads(open(sys.argv[1]).readline()); assert e["PRIORITY"]=="6" and e["BOOTRACE_EXIT_STATUS"]=="4" and e["BOOTRACE_REASON"] and e["MESSAGE"].startswith("bootrace: nothing collected: ")' "$WORK/nothing.json"

echo 1 > "$TRACEFS/instances/$inst3/tracing_on"
sh -c "echo 'bootrace-journal-marker fail' > $TRACEFS/instances/$inst3/trace_marker"
echo 0 > "$TRACEFS/instances/$inst3/tracing_on"
run collect --instance "$inst3" -o "$WORK/no/such/dir/trace.dat"
check "an output in a missing directory: exit 2 ($rc)" [ "$rc" -eq 2 ]
entries $ID_FAILED "$inst3" > "$WORK/failed.json"
check "one entry with MESSAGE_ID=$ID_FAILED, priority 3, exit status 2 and the error collect printed" \
	python3 -c 'import json,sys; e=json.loads(open(sys.argv[1]).readline()); err=open(sys.argv[2]).read().strip(); assert e["PRIORITY"]=="3" and e["BOOTRACE_EXIT_STATUS"]=="2" and "bootrace: " + e["BOOTRACE_ERROR"] == err, (e, err)' \
	"$WORK/failed.json" "$WORK/err"

run collect --instance "$inst3" --state-dir "$WORK/state" --no-journal
check "--no-journal: exit 0 ($rc), and no entry" \
	bash -c "[ $rc -eq 0 ] && [ -z \"\$(journalctl --sync; journalctl -D /run/log/journal -o cat MESSAGE_ID=$ID_COLLECTED BOOTRACE_INSTANCE=$inst3)\" ]"

# A tracefs given by path is not this machine's: no entry at all.
inst4=bootrace-journal-path-$$
new_instance "$inst4"
sh -c "echo 'bootrace-journal-marker path' > $TRACEFS/instances/$inst4/trace_marker"
echo 0 > "$TRACEFS/instances/$inst4/tracing_on"
run --tracefs "$TRACEFS" collect --instance "$inst4" -o "$WORK/by-path.dat"
check "--tracefs DIR: exit 0 ($rc), and no entry" \
	bash -c "[ $rc -eq 0 ] && [ \$(journalctl --sync; journalctl -D /run/log/journal -o cat BOOTRACE_INSTANCE=$inst4 | grep -c .) = 0 ]"
tap_done
