#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# What others can put where bootrace works, on the fake tracefs: links and
# foreign directories in the state directory (collect's recovery and
# retention touch only what bootrace made, and say what they left alone),
# files that are links to /dev/zero or FIFOs (reads are bounded and never
# block), escape sequences in a collection's sidecar (list shows them
# escaped), a second collect of the same instance (refused while the first
# holds it), a disk that fills up while collect drains (what was read is
# on disk, and the message says how much and where), and the modes of
# what collect makes whatever the caller's umask.
#
#   test-untrusted.sh BOOTRACE KILL_AT_SO
set -eu

BOOTRACE=$(realpath "$1")
SHIM=$(realpath "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0

. "$HERE/../lib/tap.sh"
tap_stderr_file=$WORK/err

FAKE=$WORK/fake
fresh_fake() { rm -rf "$FAKE"; "$HERE/fake-tracefs.sh" make "$HERE/fixtures/tracefs" "$FAKE"; }
fresh_fake
ENTRIES=$(awk '/^entries:/ { s += $2 } END { print s }' "$FAKE"/instances/backup/per_cpu/cpu*/stats)
CPU0=$(awk '/^entries:/ { print $2 }' "$FAKE/instances/backup/per_cpu/cpu0/stats")

run() { # ARGS...: exit status in $rc; a command that hangs is killed after 20 s
	rc=0
	timeout 20 "$BOOTRACE" "$@" > "$WORK/out" 2> "$WORK/err" || rc=$?
}
collect() { run --tracefs "$FAKE" collect --config "${CONFIG:-/dev/null}" "$@"; }

# A directory and what is in it, to compare before and after.
snapshot() { (cd "$1" && find . -printf '%p %y %m %s\n' | sort && find . -type f -exec md5sum {} + | sort); }

# --------------------------------------------- the state directory's contents

STATE=$WORK/state
OUTSIDE=$WORK/outside
mkdir -p "$STATE" "$OUTSIDE"
echo 'written by someone' > "$OUTSIDE/info"
echo 'compressed half' > "$OUTSIDE/.trace.dat.zst-abcdef"
echo 'pages' > "$OUTSIDE/.trace.dat.abcdef"
ln -s "$OUTSIDE" "$STATE/.new-x"
ln -s "$OUTSIDE" "$STATE/.old-y"
# Ours in shape, not in owner; ours in owner, with a file bootrace never writes.
mkdir -m 700 "$STATE/.new-foreign" "$STATE/.new-extra"
echo pages > "$STATE/.new-foreign/.trace.dat.abcdef"
chown 1234:1234 "$STATE/.new-foreign"
echo notes > "$STATE/.new-extra/notes.txt"
snapshot "$OUTSIDE" > "$WORK/outside.before"
snapshot "$STATE" > "$WORK/state.before"
collect --state-dir "$STATE"
snapshot "$OUTSIDE" > "$WORK/outside.after"
if [ "$rc" -eq 0 ] && cmp -s "$WORK/outside.before" "$WORK/outside.after"; then
	ok "recovery does not follow .new-x or .old-y, links out of the state directory: nothing there is deleted or renamed"
else
	not_ok "recovery does not follow .new-x or .old-y, links out of the state directory: nothing there is deleted or renamed" \
		"exit $rc" "$(diff "$WORK/outside.before" "$WORK/outside.after" | head -5)"
fi
for d in .new-x .old-y .new-foreign .new-extra; do
	if grep -q "warning: left $STATE/$d alone: " "$WORK/err" &&
	   diff <(grep "^./$d[ /]" "$WORK/state.before") <(snapshot "$STATE" | grep "^./$d[ /]") > /dev/null; then
		ok "recovery leaves $d alone and says so"
	else
		not_ok "recovery leaves $d alone and says so"
	fi
done

# Retention: keep = 1 removes bootrace's older collection, never a
# directory it did not make, even under a collection's name.
STATE=$WORK/keep
mkdir -p "$STATE/1999-01-01T00:00:00Z-x/sub"
for f in a.txt b.txt sub/c.txt; do echo "$f" > "$STATE/1999-01-01T00:00:00Z-x/$f"; done
# Made 0700, as bootrace makes its own: what is in it still says it is not.
mkdir -m 700 "$STATE/1999-01-01T00:00:01Z-y"
echo mine > "$STATE/1999-01-01T00:00:01Z-y/trace.dat"
chmod 600 "$STATE/1999-01-01T00:00:01Z-y/trace.dat"
echo notes > "$STATE/1999-01-01T00:00:01Z-y/a.txt"
printf 'keep = 1\n' > "$WORK/keep.conf"
CONFIG=$WORK/keep.conf collect --state-dir "$STATE"
first=$(ls "$STATE" | grep -v '^1999')
check "retention (keep = 1) with one collection of bootrace's: the foreign directory is untouched (exit $rc)" \
	test "$rc" -eq 0 -a -e "$STATE/1999-01-01T00:00:00Z-x/b.txt"
snapshot "$STATE" | grep '^./1999' > "$WORK/foreign.before"
sleep 1
fresh_fake
CONFIG=$WORK/keep.conf collect --state-dir "$STATE"
if [ "$rc" -eq 0 ] && snapshot "$STATE" | grep '^./1999' | cmp -s - "$WORK/foreign.before" &&
   [ ! -e "$STATE/$first" ] && [ "$(ls "$STATE" | grep -vc '^1999')" -eq 1 ] &&
   grep -q "left $STATE/1999-01-01T00:00:00Z-x alone: bootrace did not make it" "$WORK/err" &&
   grep -q "left $STATE/1999-01-01T00:00:01Z-y alone: it holds 'a.txt', which bootrace did not write" "$WORK/err"; then
	ok "retention (keep = 1) removes bootrace's older collection and leaves foreign ones alone, saying so"
else
	not_ok "retention (keep = 1) removes bootrace's older collection and leaves foreign ones alone, saying so" \
		"exit $rc; $(ls -A "$STATE" | tr '\n' ' ')"
fi
! ls -A "$STATE" | grep -q '^\.old-' && ok "retention leaves no hidden directory" ||
	not_ok "retention leaves no hidden directory" "$(ls -A "$STATE" | tr '\n' ' ')"

# ----------------------------------------------- links, devices and FIFOs

STATE=$WORK/reads
fresh_fake
collect --state-dir "$STATE"
one=$(ls "$STATE" | head -1)
cp -a "$STATE/$one" "$STATE/2000-01-01T00:00:00Z-zero"
ln -sf /dev/zero "$STATE/2000-01-01T00:00:00Z-zero/info"
ln -sf /dev/zero "$STATE/2000-01-01T00:00:00Z-zero/trace.dat"
cp -a "$STATE/$one" "$STATE/2000-01-01T00:00:01Z-fifo"
rm "$STATE/2000-01-01T00:00:01Z-fifo/info"
mkfifo "$STATE/2000-01-01T00:00:01Z-fifo/info"
run list --state-dir "$STATE" --config /dev/null
if [ "$rc" -eq 0 ] && [ "$(grep -c -- '-zero\|-fifo' "$WORK/out")" -eq 2 ]; then
	ok "list: an info that is a link to /dev/zero or a FIFO is neither read without end nor waited on"
else
	not_ok "list: an info that is a link to /dev/zero or a FIFO is neither read without end nor waited on" "exit $rc"
fi
run verify --offline --state-dir "$STATE" --config /dev/null 2000-01-01T00:00:00Z-zero
check "verify: a trace.dat that is a link to /dev/zero is not read (exit $rc)" test "$rc" -eq 2
mkfifo "$WORK/config.fifo"
for config in /dev/zero "$WORK/config.fifo"; do
	run list --state-dir "$STATE" --config "$config"
	if [ "$rc" -eq 2 ] && grep -q "not a regular file" "$WORK/err"; then
		ok "--config $(basename "$config"): refused at once, not read"
	else
		not_ok "--config $(basename "$config"): refused at once, not read" "exit $rc"
	fi
done
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' '#' > "$WORK/big.conf"
run list --state-dir "$STATE" --config "$WORK/big.conf"
check "--config of 2 MiB: refused without reading it all (exit $rc)" grep -q "larger than 1 MiB" "$WORK/err"

# ---------------------------------------------------------------- escapes

cp -a "$STATE/$one" "$STATE/2000-01-01T00:00:02Z-escape"
rm -f "$STATE/2000-01-01T00:00:02Z-escape/info"
printf '# written by bootrace collect; read by bootrace list\ncollected=2000-01-01T00:00:02Z\nkernel=\033]0;owned\007\033[2J\nboot_id=\033[31mred\ninstance=backup\n' \
	> "$STATE/2000-01-01T00:00:02Z-escape/info"
run list --state-dir "$STATE" --config /dev/null
if [ "$rc" -eq 0 ] && ! grep -q $'[\033\007]' "$WORK/out" && grep -qF '\x1b]0;owned\x07\x1b[2J' "$WORK/out"; then
	ok "list: escape sequences in a sidecar reach the terminal escaped (\\x1b)"
else
	not_ok "list: escape sequences in a sidecar reach the terminal escaped (\\x1b)" "exit $rc: $(grep escape "$WORK/out" | od -c | head -3)"
fi
run list --json --state-dir "$STATE" --config /dev/null
if [ "$rc" -eq 0 ] && ! grep -q $'[\033\007]' "$WORK/out" &&
   python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert any(c["kernel"] == "\x1b]0;owned\x07\x1b[2J" for c in d["collections"])' "$WORK/out"; then
	ok "list --json: the same text, JSON-escaped"
else
	not_ok "list --json: the same text, JSON-escaped" "exit $rc"
fi

# ------------------------------------------------------ one reader per instance

fresh_fake
rc=0
flock -n "$FAKE/instances/backup" "$BOOTRACE" --tracefs "$FAKE" collect --config /dev/null -o "$WORK/second.dat" \
	> "$WORK/out" 2> "$WORK/err" || rc=$?
if [ "$rc" -ne 0 ] && [ ! -e "$WORK/second.dat" ] && grep -q "another bootrace collect is reading instance 'backup'" "$WORK/err"; then
	ok "a second collect of an instance being read is refused before it reads anything"
else
	not_ok "a second collect of an instance being read is refused before it reads anything" "exit $rc"
fi
rc=0
flock -n "$FAKE/instances/backup" "$BOOTRACE" --tracefs "$FAKE" collect --config /dev/null --state-dir "$WORK/other" \
	> "$WORK/out" 2> "$WORK/err" || rc=$?
if [ "$rc" -ne 0 ] && [ -z "$(ls "$WORK/other" 2> /dev/null)" ] && grep -q "another bootrace collect is reading instance" "$WORK/err"; then
	ok "... also from another state directory: the lock is the instance's, for the whole system"
else
	not_ok "... also from another state directory: the lock is the instance's, for the whole system" "exit $rc"
fi

# ---------------------------------------------------- a disk that fills up

# The file takes the metadata and CPU 0's page, then 100 bytes of CPU 1's.
fresh_fake
collect -o "$WORK/whole.dat"
full_at=$(($(stat -c %s "$WORK/whole.dat") - 4096 + 100))
fresh_fake
rc=0
BOOTRACE_DISK_FULL=$full_at:/.full.dat. LD_PRELOAD=$SHIM "$BOOTRACE" --tracefs "$FAKE" collect --config /dev/null \
	-o "$WORK/full.dat" > "$WORK/out" 2> "$WORK/err" || rc=$?
msg=$(tail -n 1 "$WORK/err")
partial_events=$(trace-cmd report "$WORK/full.dat.partial" 2> /dev/null | grep -c '^ ' || true)
if [ "$rc" -eq 1 ] && [ "$partial_events" -eq "$CPU0" ] &&
   echo "$msg" | grep -qF "the $CPU0 events (4096 bytes of pages) read before are in $WORK/full.dat.partial (a valid trace.dat)" &&
   echo "$msg" | grep -qF "; 4096 bytes more, read but not written there, are in $WORK/full.dat.late-cpu1" &&
   [ "$(stat -c %s "$WORK/full.dat.late-cpu1")" -eq 4096 ] &&
   cmp -s "$WORK/full.dat.late-cpu1" "$FAKE/instances/backup/per_cpu/cpu1/trace_pipe_raw"; then
	ok "disk full while draining: the message says exactly what is in the trace and what is beside it, and it is there"
else
	not_ok "disk full while draining: the message says exactly what is in the trace and what is beside it, and it is there" \
		"exit $rc, $partial_events events in the partial file" "$msg"
fi
fresh_fake
rc=0
BOOTRACE_DISK_FULL=$full_at LD_PRELOAD=$SHIM "$BOOTRACE" --tracefs "$FAKE" collect --config /dev/null \
	-o "$WORK/fuller.dat" > "$WORK/out" 2> "$WORK/err" || rc=$?
msg=$(tail -n 1 "$WORK/err")
if [ "$rc" -eq 1 ] && echo "$msg" | grep -qF "the $CPU0 events (4096 bytes of pages) read before are in $WORK/fuller.dat.partial" &&
   echo "$msg" | grep -qF "; 4096 bytes read could not be written anywhere (No space left on device) and are lost"; then
	ok "disk full everywhere: the message says what is kept and how much could not be"
else
	not_ok "disk full everywhere: the message says what is kept and how much could not be" "exit $rc" "$msg"
fi

# ------------------------------------------------------------------ modes

fresh_fake
rc=0
(umask 000 && "$BOOTRACE" --tracefs "$FAKE" collect --config /dev/null --state-dir "$WORK/modes/state" \
	> "$WORK/out" 2> "$WORK/err") || rc=$?
d=$(ls -d "$WORK"/modes/state/*/)
if [ "$rc" -eq 0 ] && [ "$(stat -c %a "$WORK/modes/state" "$d")" = $'700\n700' ] &&
   [ "$(stat -c %a "$d"/* | sort -u)" = 600 ]; then
	ok "collect under umask 000: its directories are 0700, its files 0600"
else
	not_ok "collect under umask 000: its directories are 0700, its files 0600" \
		"$(stat -c '%n %a' "$WORK/modes/state" "$d" "$d"/* 2>&1 | tr '\n' ' ')"
fi

tap_done
