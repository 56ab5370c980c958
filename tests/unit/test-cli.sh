#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The bootrace command-line contract, without a real kernel: options, exit
# codes and messages, and collect/verify/status on a fake tracefs built
# from the captured read-only backup instance in fixtures/tracefs.
#
#   test-cli.sh path/to/bootrace
#
# Prints TAP; exits non-zero if any check fails.
set -eu

[ $# -eq 1 ] || { echo "usage: $0 path/to/bootrace" >&2; exit 2; }
BOOTRACE=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
FIXTURE=$HERE/fixtures/tracefs
WORK=$(mktemp -d)
trap 'chmod -R u+rwx "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT

# ok, not_ok (and bootrace's stderr after a failed check), skip, tap_done.
. "$HERE/../lib/tap.sh"
tap_stderr_file=$WORK/err

# Run bootrace; the exit status goes to $rc, the output to $WORK/out and $WORK/err.
run() {
	rc=0
	"$BOOTRACE" "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
}

# The message without argp's "Try `bootrace --help' ..." hint is exactly
# one line, "bootrace[ COMMAND]: ..." (argp names the program by the path
# it was started with).
one_line_message() {
	local msg
	msg=$(sed '/^Try `/,$d' "$WORK/err")
	[ -n "$msg" ] && [ "$(printf '%s\n' "$msg" | wc -l)" -eq 1 ] &&
		printf '%s\n' "$msg" | grep -Eq '^([^ :]*/)?bootrace( [a-z]+)?: .'
}

# expect RC NAME [NEEDLE] -- ARGS...: exit status RC; for a failure, one
# line on stderr that contains NEEDLE (the offending value) if given.
expect() {
	local want=$1 name=$2 needle=
	shift 2
	if [ "$1" != "--" ]; then needle=$1; shift; fi
	shift
	run "$@"
	if [ "$rc" -ne "$want" ]; then
		not_ok "$name: exit $want" "got exit $rc"
	elif [ "$want" -ne 0 ] && ! one_line_message; then
		not_ok "$name: exit $want with a one-line 'bootrace...' message"
	elif [ -n "$needle" ] && ! grep -qF -- "$needle" "$WORK/err"; then
		not_ok "$name: the message names '$needle'"
	else
		ok "$name: exit $want"
	fi
}

sum_entries() { cat "$1"/instances/"$2"/per_cpu/cpu*/stats | awk '/^entries:/ { s += $2 } END { print s }'; }
cpu_entries() { awk '/^entries:/ { print $2 }' "$1/instances/$2/per_cpu/cpu$3/stats"; }
no_temp_files() { ! ls -A "$1" | grep -q '^\.'; }

# ------------------------------------------------------------ fake trees

FAKE=$WORK/fake
"$HERE/fake-tracefs.sh" make "$FIXTURE" "$FAKE"
ENTRIES=$(sum_entries "$FAKE" backup)

# A cold boot: the backup exists but holds nothing.
EMPTY=$WORK/empty
"$HERE/fake-tracefs.sh" make "$FIXTURE" "$EMPTY"
for c in "$EMPTY"/instances/backup/per_cpu/cpu*; do
	sed -i 's/^entries: .*/entries: 0/; s/^bytes: .*/bytes: 0/' "$c/stats"
	: > "$c/trace_pipe_raw"
done

# Two backups of one source (trace_instance=backup=boot_map trace_instance=backup2=boot_map).
TWO=$WORK/two
"$HERE/fake-tracefs.sh" make "$FIXTURE" "$TWO"
cp -R "$TWO/instances/backup" "$TWO/instances/backup2"

# A tracefs with instances but no backup.
NONE=$WORK/none
mkdir -p "$NONE/instances"

# ------------------------------------------------------ help and usage

run --help
if [ "$rc" -eq 0 ] && grep -q 'Usage: .*bootrace' "$WORK/out"; then ok "--help: exit 0 with usage"; else not_ok "--help: exit 0 with usage" "exit $rc"; fi
run --version
if [ "$rc" -eq 0 ] && grep -q '^bootrace ' "$WORK/out"; then ok "--version: exit 0"; else not_ok "--version: exit 0" "exit $rc"; fi
for cmd in setup collect verify status; do
	run "$cmd" --help
	if [ "$rc" -eq 0 ] && grep -q "Usage: bootrace $cmd" "$WORK/out"; then
		ok "$cmd --help: exit 0 naming 'bootrace $cmd'"
	else
		not_ok "$cmd --help: exit 0 naming 'bootrace $cmd'" "exit $rc"
	fi
done

expect 2 "no command" --
expect 2 "unknown command" frob -- frob
expect 2 "unknown command after options" -q frob -- -q frob
expect 2 "unknown global option" --frob -- --frob status
for cmd in setup collect verify status; do
	expect 2 "$cmd: unknown option" --frob -- "$cmd" --frob
done
expect 2 "--tracefs without a directory" tracefs -- --tracefs
expect 2 "--tracefs ''" tracefs -- --tracefs "" status
expect 2 "setup --size without a value" size -- --tracefs "$FAKE" setup --print --size
expect 2 "setup --align without a value" align -- --tracefs "$FAKE" setup --print --align
expect 2 "setup --label without a value" label -- --tracefs "$FAKE" setup --print --label
expect 2 "setup --events without a value" events -- --tracefs "$FAKE" setup --print --events
expect 2 "collect -o without a file" -- collect -o
expect 2 "collect -o ''" output -- collect -o ""
expect 2 "collect --instance without a name" instance -- collect --instance
expect 2 "verify --timeout without a value" timeout -- verify --timeout
expect 2 "verify --timeout abc" abc -- verify --offline --timeout abc x
expect 2 "status with an argument" extra -- status extra
expect 2 "setup with an argument" extra -- --tracefs "$FAKE" setup --print extra
expect 2 "collect with an argument" extra -- collect extra
expect 2 "verify with two files" -- verify --offline a b

# ------------------------------------------------------------- setup
# setup checks events against the fake tree's available_events, so the
# results do not depend on this machine's tracefs or on being root.

DEFAULT_LINE="reserve_mem=12M:4096:trace trace_instance=boot_map@trace,sched,irq trace_instance=backup=boot_map"
run --tracefs "$FAKE" setup --print
if [ "$rc" -eq 0 ] && [ "$(cat "$WORK/out")" = "$DEFAULT_LINE" ]; then
	ok "setup --print: the documented default line"
else
	not_ok "setup --print: the documented default line" "exit $rc" "got: $(cat "$WORK/out")"
fi
run --tracefs "$FAKE" setup --print --size 32M --events sched:sched_switch,irq --label oops
if [ "$rc" -eq 0 ] && [ "$(cat "$WORK/out")" = "reserve_mem=32M:4096:oops trace_instance=boot_map@oops,sched:sched_switch,irq trace_instance=backup=boot_map" ]; then
	ok "setup --print with options, events checked against available_events"
else
	not_ok "setup --print with options, events checked against available_events" "exit $rc" "got: $(cat "$WORK/out")"
fi
run --tracefs "$FAKE" setup --print --events "" --backup other --persistent pmem1 --size 1536K --align 8192
if [ "$rc" -eq 0 ] && [ "$(cat "$WORK/out")" = "reserve_mem=1536K:8192:trace trace_instance=pmem1@trace trace_instance=other=pmem1" ]; then
	ok "setup --print without events"
else
	not_ok "setup --print without events" "exit $rc" "got: $(cat "$WORK/out")"
fi
# Without --print setup installs: only ever on a root of the test's own.
expect 3 "setup without a bootloader under --root" "no known bootloader" -- --tracefs "$FAKE" setup --root "$NONE"
# Without a tracefs the events are not checked, and setup says so.
run --tracefs "$WORK/missing" setup --print
if [ "$rc" -eq 0 ] && [ "$(cat "$WORK/out")" = "$DEFAULT_LINE" ] && grep -q '^bootrace: events not checked' "$WORK/err"; then
	ok "setup --print without a tracefs: the line, and 'events not checked'"
else
	not_ok "setup --print without a tracefs: the line, and 'events not checked'" "exit $rc"
fi

expect 2 "setup --size 12MB" 12MB -- --tracefs "$FAKE" setup --print --size 12MB
expect 2 "setup --size ' 12M'" " 12M" -- --tracefs "$FAKE" setup --print --size " 12M"
expect 2 "setup --size 0" "'0'" -- --tracefs "$FAKE" setup --print --size 0
expect 2 "setup --size -1" -- --tracefs "$FAKE" setup --print --size=-1
expect 2 "setup --size 512K (too small)" 512K -- --tracefs "$FAKE" setup --print --size 512K
expect 2 "setup --size with a second parameter" "12M init=/bin/sh" -- --tracefs "$FAKE" setup --print --size "12M init=/bin/sh"
expect 2 "setup --size overflow" 99999999999999999999 -- --tracefs "$FAKE" setup --print --size 99999999999999999999
expect 2 "setup --align 1000" 1000 -- --tracefs "$FAKE" setup --print --align 1000
expect 2 "setup --align 0" -- --tracefs "$FAKE" setup --print --align 0
expect 2 "setup --align 2048" 2048 -- --tracefs "$FAKE" setup --print --align 2048
expect 2 "setup --align above the size" 16777216 -- --tracefs "$FAKE" setup --print --align 16M
expect 2 "setup --align abc" abc -- --tracefs "$FAKE" setup --print --align abc
expect 2 "setup --label 'a b'" "a b" -- --tracefs "$FAKE" setup --print --label "a b"
expect 2 "setup --label with a newline" 'a\nb' -- --tracefs "$FAKE" setup --print --label $'a\nb'
expect 2 "setup --label a=b" a=b -- --tracefs "$FAKE" setup --print --label a=b
expect 2 "setup --label of 16 characters" abcdefghijklmnop -- --tracefs "$FAKE" setup --print --label abcdefghijklmnop
expect 2 "setup --label ''" label -- --tracefs "$FAKE" setup --print --label ""
expect 2 "setup --label with an escape sequence" 'a\x1b[2J' -- --tracefs "$FAKE" setup --print --label $'a\e[2J'
expect 2 "setup --events ,sched" ",sched" -- --tracefs "$FAKE" setup --print --events ,sched
expect 2 "setup --events sched,,irq" "sched,,irq" -- --tracefs "$FAKE" setup --print --events sched,,irq
expect 2 "setup --events a:b:c" "a:b:c" -- --tracefs "$FAKE" setup --print --events a:b:c
expect 2 "setup --events 'sched irq'" "sched irq" -- --tracefs "$FAKE" setup --print --events "sched irq"
expect 2 "setup --events 'sched;reboot'" "sched;reboot" -- --tracefs "$FAKE" setup --print --events "sched;reboot"
expect 2 "setup --events unknown system (fake available_events)" nosuch -- --tracefs "$FAKE" setup --print --events sched,nosuch
expect 2 "setup --events unknown event (fake available_events)" sched:nosuch -- --tracefs "$FAKE" setup --print --events sched:nosuch
expect 2 "setup --persistent x@y" x@y -- --tracefs "$FAKE" setup --print --persistent x@y
expect 2 "setup --persistent -x" -- --tracefs "$FAKE" setup --print --persistent=-x
expect 2 "setup --persistent ''" persistent -- --tracefs "$FAKE" setup --print --persistent ""
expect 2 "setup --persistent with a quote" 'a"b' -- --tracefs "$FAKE" setup --print --persistent 'a"b'
expect 2 "setup --backup b=c" b=c -- --tracefs "$FAKE" setup --print --backup b=c
expect 2 "setup --backup with a tab" 'b\tc' -- --tracefs "$FAKE" setup --print --backup $'b\tc'
expect 2 "setup --backup same as --persistent" boot_map -- --tracefs "$FAKE" setup --print --backup boot_map

# ------------------------------------------------------------ verify

expect 2 "verify a missing file" "$WORK/missing" -- verify --offline "$WORK/missing"
: > "$WORK/empty.dat"
expect 2 "verify an empty file" "$WORK/empty.dat" -- verify --offline "$WORK/empty.dat"
head -c 20000 /dev/urandom > "$WORK/random.dat"
expect 2 "verify random bytes" "$WORK/random.dat" -- verify --offline "$WORK/random.dat"
printf 'Dtracing6\0\0\0' > "$WORK/magic.dat"
expect 2 "verify a file with only the magic" "$WORK/magic.dat" -- verify --offline "$WORK/magic.dat"
expect 2 "verify a directory" "$WORK" -- verify --offline "$WORK"
expect 2 "verify with no collection in --state-dir" "$WORK/nostate" -- verify --offline --state-dir "$WORK/nostate"

# ----------------------------------------------------------- collect

# What the fake backup's boot would have left behind: its decoder (formats,
# kernel text), in the state directories the collections below use.
# Without it, nothing says whose formats the trace is written with.
DECODED=$WORK/decoded
"$HERE/fake-tracefs.sh" decoder "$FIXTURE" "$DECODED"
for d in state st-make; do "$HERE/fake-tracefs.sh" decoder "$FIXTURE" "$WORK/$d"; done

OUT=$WORK/dest/trace.dat
mkdir "$WORK/dest"
run --tracefs "$FAKE" collect --no-kallsyms --state-dir "$DECODED" -o "$OUT"
if [ "$rc" -eq 0 ] && [ -f "$OUT" ] && [ "$(cat "$WORK/out")" = "$OUT" ]; then
	ok "collect -o: exit 0, prints the path"
else
	not_ok "collect -o: exit 0, prints the path" "exit $rc" "stdout: $(cat "$WORK/out")"
fi
if [ -f "$OUT" ] && [ "$(stat -c %a "$OUT")" = 600 ]; then ok "collect -o: the file is 0600"; else not_ok "collect -o: the file is 0600"; fi
if no_temp_files "$WORK/dest"; then ok "collect -o: no temporary file left"; else not_ok "collect -o: no temporary file left" "$(ls -A "$WORK/dest")"; fi

run verify --offline "$OUT"
if [ "$rc" -eq 0 ] && grep -q "^PASS  counts .*$ENTRIES records in the file, $ENTRIES entries" "$WORK/out"; then
	ok "verify --offline: passes, $ENTRIES records as the fake stats say"
else
	not_ok "verify --offline: passes, $ENTRIES records as the fake stats say" "exit $rc" "$(cat "$WORK/out")"
fi
run verify --offline --json "$OUT"
if [ "$rc" -eq 0 ] && python3 - "$WORK/out" "$FAKE" <<'EOF'
import json, sys
v = json.load(open(sys.argv[1]))
fake = sys.argv[2]
def entries(cpu):
    for line in open(f"{fake}/instances/backup/per_cpu/cpu{cpu}/stats"):
        if line.startswith("entries:"):
            return int(line.split()[1])
assert v["passed"] is True, v
assert v["instance"] == "backup", v
assert v["records"] == v["expected"] == sum(entries(c["cpu"]) for c in v["cpus"]), v
for c in v["cpus"]:
    assert c["records"] == c["expected"] == entries(c["cpu"]), c
EOF
then
	ok "verify --json: valid JSON, per-CPU records equal the fake stats"
else
	not_ok "verify --json: valid JSON, per-CPU records equal the fake stats" "exit $rc"
fi
run verify --offline --tap "$OUT"
if [ "$rc" -eq 0 ] && grep -q '^1\.\.' "$WORK/out" && ! grep -q '^not ok' "$WORK/out"; then
	ok "verify --tap: TAP, no failed check"
else
	not_ok "verify --tap: TAP, no failed check" "exit $rc"
fi

if command -v trace-cmd >/dev/null; then
	trace-cmd report "$OUT" > "$WORK/report" 2>/dev/null || true
	markers=$(grep -c 'print: .*bootrace fixture marker' "$WORK/report" || true)
	cpu0=$(grep -c '\[000\].*bootrace fixture marker' "$WORK/report" || true)
	if [ "$markers" -eq "$ENTRIES" ] && [ "$cpu0" -eq "$(cpu_entries "$FAKE" backup 0)" ]; then
		ok "trace-cmd report prints the $ENTRIES markers, CPU 0's on CPU 0"
	else
		not_ok "trace-cmd report prints the $ENTRIES markers, CPU 0's on CPU 0" "$markers markers, $cpu0 on CPU 0"
	fi
else
	skip "trace-cmd report prints the markers" "no trace-cmd"
fi

# collect --compress: trace.dat version 7 with zstd, read back the same.
ZOUT=$WORK/dest/compressed.dat
run --tracefs "$FAKE" collect --no-kallsyms --compress --state-dir "$DECODED" -o "$ZOUT"
if grep -q 'built without zstd' "$WORK/err"; then
	skip "collect --compress" "bootrace built without zstd"
else
	version=$(dd if="$ZOUT" bs=1 skip=10 count=1 2>/dev/null)
	if [ "$rc" -eq 0 ] && [ "$version" = 7 ] && grep -aq 'zstd' "$ZOUT" &&
	   [ "$(stat -c %s "$ZOUT")" -lt "$(stat -c %s "$OUT")" ] && no_temp_files "$WORK/dest"; then
		ok "collect --compress: exit 0, a smaller version 7 zstd file, no temporary file left"
	else
		not_ok "collect --compress: exit 0, a smaller version 7 zstd file, no temporary file left" \
			"exit $rc, version '$version'" "$(cat "$WORK/err")"
	fi
	run verify --offline "$ZOUT"
	if [ "$rc" -eq 0 ] && grep -q "^PASS  counts .*$ENTRIES records in the file, $ENTRIES entries" "$WORK/out"; then
		ok "verify --offline on the compressed file: passes, $ENTRIES records"
	else
		not_ok "verify --offline on the compressed file: passes, $ENTRIES records" "exit $rc" "$(cat "$WORK/out")"
	fi
	if command -v trace-cmd >/dev/null; then
		trace-cmd report "$ZOUT" > "$WORK/zreport" 2>/dev/null || true
		if [ -s "$WORK/zreport" ] && diff -q <(grep -v '^version' "$WORK/report") \
			<(grep -v '^version' "$WORK/zreport") > /dev/null; then
			ok "trace-cmd report prints the compressed file as the uncompressed one"
		else
			not_ok "trace-cmd report prints the compressed file as the uncompressed one"
		fi
	fi
	printf 'compress = zstd\n' > "$WORK/compress.conf"
	run --tracefs "$FAKE" collect --no-kallsyms --config "$WORK/compress.conf" -f -o "$ZOUT"
	version=$(dd if="$ZOUT" bs=1 skip=10 count=1 2>/dev/null)
	if [ "$rc" -eq 0 ] && [ "$version" = 7 ]; then ok "compress = zstd in the configuration file compresses"
	else not_ok "compress = zstd in the configuration file compresses" "exit $rc, version '$version'"; fi
	run --tracefs "$FAKE" collect --no-kallsyms --config "$WORK/compress.conf" --no-compress -f -o "$ZOUT"
	version=$(dd if="$ZOUT" bs=1 skip=10 count=1 2>/dev/null)
	if [ "$rc" -eq 0 ] && [ "$version" = 6 ]; then ok "--no-compress wins over the configuration file"
	else not_ok "--no-compress wins over the configuration file" "exit $rc, version '$version'"; fi
	rm -f "$ZOUT"
fi
printf 'compress = lz4\n' > "$WORK/badcompress.conf"
expect 2 "collect with compress = lz4 in the configuration file" "compress must be 'zstd' or 'no'" -- \
	--tracefs "$FAKE" collect --config "$WORK/badcompress.conf" -o "$WORK/never.dat"

cp "$OUT" "$WORK/before"
expect 2 "collect onto an existing trace.dat" "--force" -- --tracefs "$FAKE" collect --no-kallsyms -o "$OUT"
if cmp -s "$OUT" "$WORK/before" && no_temp_files "$WORK/dest"; then ok "the existing file is unchanged, no temporary left"; else not_ok "the existing file is unchanged, no temporary left"; fi
echo keep > "$WORK/keep"
expect 2 "collect onto an existing file" "$WORK/keep" -- --tracefs "$FAKE" collect -o "$WORK/keep"
if [ "$(cat "$WORK/keep")" = keep ]; then ok "the existing file keeps its content"; else not_ok "the existing file keeps its content"; fi

ln -s "$WORK/keep" "$WORK/link"
expect 2 "collect onto a symlink" "symbolic link" -- --tracefs "$FAKE" collect -o "$WORK/link"
expect 2 "collect onto a symlink with --force" "symbolic link" -- --tracefs "$FAKE" collect --force -o "$WORK/link"
if [ "$(cat "$WORK/keep")" = keep ] && [ -L "$WORK/link" ]; then ok "the link and its target are unchanged"; else not_ok "the link and its target are unchanged"; fi
ln -s "$WORK/nowhere.dat" "$WORK/dangling"
expect 2 "collect onto a dangling symlink" "symbolic link" -- --tracefs "$FAKE" collect -o "$WORK/dangling"
if [ ! -e "$WORK/nowhere.dat" ]; then ok "the dangling link's target is not created"; else not_ok "the dangling link's target is not created"; fi
expect 2 "collect onto a directory" "$WORK/dest" -- --tracefs "$FAKE" collect -o "$WORK/dest"
expect 2 "collect into a missing directory" "$WORK/nodir" -- --tracefs "$FAKE" collect -o "$WORK/nodir/trace.dat"
if [ ! -e "$WORK/nodir" ]; then ok "the missing directory is not created"; else not_ok "the missing directory is not created"; fi

# A directory the user cannot write: as root, run bootrace as nobody.
mkdir "$WORK/ro"
chmod 555 "$WORK/ro"
chmod 755 "$WORK"
if [ "$(id -u)" -ne 0 ]; then
	expect 2 "collect into a read-only directory" "$WORK/ro" -- --tracefs "$FAKE" collect -o "$WORK/ro/trace.dat"
elif command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$BOOTRACE" 2>/dev/null; then
	rc=0
	setpriv --reuid=65534 --regid=65534 --clear-groups "$BOOTRACE" --tracefs "$FAKE" collect \
		--no-kallsyms -o "$WORK/ro/trace.dat" >"$WORK/out" 2>"$WORK/err" || rc=$?
	if [ "$rc" -eq 2 ] && one_line_message && grep -qF "$WORK/ro" "$WORK/err"; then
		ok "collect into a read-only directory (as nobody): exit 2"
	else
		not_ok "collect into a read-only directory (as nobody): exit 2" "exit $rc"
	fi
else
	skip "collect into a read-only directory" "root, and nobody cannot run $BOOTRACE"
fi
if [ -z "$(ls -A "$WORK/ro")" ]; then ok "nothing written in the read-only directory"; else not_ok "nothing written in the read-only directory"; fi

expect 3 "--tracefs /nonexistent (collect)" /nonexistent -- --tracefs /nonexistent collect -o "$WORK/x.dat"
expect 3 "--tracefs /nonexistent (status)" /nonexistent -- --tracefs /nonexistent status
# verify's one line also names --offline, to check only the file.
run --tracefs /nonexistent verify "$OUT"
if [ "$rc" -eq 3 ] && one_line_message && grep -q '^bootrace: .*/nonexistent.*--offline' "$WORK/err"; then
	ok "--tracefs /nonexistent (verify): exit 3, the error and the --offline hint"
else
	not_ok "--tracefs /nonexistent (verify): exit 3, the error and the --offline hint" "exit $rc"
fi
expect 3 "--tracefs without instances/" instances -- --tracefs "$WORK/dest" collect -o "$WORK/x.dat"
expect 3 "collect with no backup instance" "no backup instance" -- --tracefs "$NONE" collect -o "$WORK/x.dat"
expect 3 "collect --instance that does not exist" nosuch -- --tracefs "$FAKE" collect -i nosuch -o "$WORK/x.dat"
expect 2 "collect --instance with a space" "a b" -- --tracefs "$FAKE" collect -i "a b" -o "$WORK/x.dat"
expect 2 "collect --instance ../.." "../.." -- --tracefs "$FAKE" collect -i ../.. -o "$WORK/x.dat"
if [ ! -e "$WORK/x.dat" ]; then ok "no file after the refusals"; else not_ok "no file after the refusals"; fi

mkdir "$WORK/e"
# The kernel claimed one event more on CPU 0 than its pages hold: verify
# must notice (the counts check compares the file with those stats).
OFF=$WORK/off
"$HERE/fake-tracefs.sh" make "$FIXTURE" "$OFF"
awk '/^entries:/ { $2 = $2 + 1 } { print }' "$OFF/instances/backup/per_cpu/cpu0/stats" > "$WORK/stats"
cp "$WORK/stats" "$OFF/instances/backup/per_cpu/cpu0/stats"
run --tracefs "$OFF" collect -o "$WORK/off.dat"
run verify --offline --tap "$WORK/off.dat"
if [ "$rc" -eq 1 ] && grep -q '^not ok .* counts: .*CPU 0' "$WORK/out"; then
	ok "verify fails when a CPU holds fewer records than the kernel reported"
else
	not_ok "verify fails when a CPU holds fewer records than the kernel reported" "exit $rc"
fi

expect 4 "collect from a backup with 0 entries (cold boot)" backup -- --tracefs "$EMPTY" collect -o "$WORK/e/trace.dat"
if [ -z "$(ls -A "$WORK/e")" ]; then ok "cold boot: no file written"; else not_ok "cold boot: no file written" "$(ls -A "$WORK/e")"; fi

# An empty backup after a boot that collect had left tracing (its note in
# the state directory names another boot): the data was lost, not a cold boot.
mkdir -p "$WORK/st-cold" "$WORK/st-lost"
expect 4 "empty backup, no note of a traced boot: a cold boot" "cold boot" -- \
	--tracefs "$EMPTY" collect --state-dir "$WORK/st-cold" -o "$WORK/e/trace.dat"
printf 'boot_id=00000000-1111-2222-3333-444444444444\ninstance=boot_map\ntime=1764000000\n' > "$WORK/st-lost/traced-boot"
expect 4 "empty backup after a traced boot: the memory did not survive" "did not survive" -- \
	--tracefs "$EMPTY" collect --state-dir "$WORK/st-lost" -o "$WORK/e/trace.dat"
if [ "$(ls -A "$WORK/st-cold")" = "" ]; then
	ok "a tracefs given by path leaves no note of this machine's boot"
else
	not_ok "a tracefs given by path leaves no note of this machine's boot" "$(ls -A "$WORK/st-cold")"
fi

# Two read-only instances with last_boot_info: bootrace_backup_find()
# returns -EEXIST, which exits 2 (usage: choose one with --instance).
expect 2 "collect with two backup instances" "--instance" -- --tracefs "$TWO" collect -o "$WORK/t.dat"
if [ ! -e "$WORK/t.dat" ]; then ok "two backups: no file written"; else not_ok "two backups: no file written"; fi
expect 0 "collect --instance backup2 of two" -- --tracefs "$TWO" collect --no-kallsyms -i backup2 -o "$WORK/t.dat"

# A new file renamed over the old one: another inode. (The fake backup's
# trace has no decoder and no record of its boot, so no kallsyms either.)
inode_before=$(stat -c %i "$OUT")
run --tracefs "$FAKE" collect -o "$OUT" --force
if [ "$rc" -eq 0 ] && [ "$(stat -c %i "$OUT")" != "$inode_before" ] && [ "$(stat -c %a "$OUT")" = 600 ]; then
	ok "collect --force replaces the file, still 0600"
else
	not_ok "collect --force replaces the file, still 0600" "exit $rc"
fi

run --tracefs "$FAKE" collect --no-kallsyms --state-dir "$WORK/state"
written=$(cat "$WORK/out")
if [ "$rc" -eq 0 ] && [ -f "$written" ] && [ "$(dirname "$(dirname "$written")")" = "$WORK/state" ] &&
   [ "$(stat -c %a "$(dirname "$written")")" = 700 ]; then
	ok "collect --state-dir: a new 0700 directory with trace.dat"
else
	not_ok "collect --state-dir: a new 0700 directory with trace.dat" "exit $rc" "stdout: $written"
fi
expect 0 "verify --state-dir finds the newest collection" -- verify --offline --state-dir "$WORK/state"

# Without the decoder of the fake backup's boot (and no boot record of it):
# everything is read, but verify fails its decode check and says why.
run --tracefs "$FAKE" collect --no-kallsyms --state-dir "$WORK/no-decoder" -o "$WORK/no-decoder.dat"
collect_rc=$rc
run verify --offline "$WORK/no-decoder.dat"
if [ "$collect_rc" -eq 0 ] && [ "$rc" -eq 1 ] &&
   grep -Eq "^FAIL +decode +.*nothing told which kernel wrote the trace" "$WORK/out" &&
   grep -Eq "^PASS +counts " "$WORK/out"; then
	ok "without the decoder: collect reads everything, verify fails its decode check and says why"
else
	not_ok "without the decoder: collect reads everything, verify fails its decode check and says why" \
		"collect exit $collect_rc, verify exit $rc" "$(cat "$WORK/out")"
fi
run report --state-dir "$WORK/no-decoder" "$WORK/no-decoder.dat"
if [ "$rc" -eq 0 ] && grep -q '^WARNING: nothing tells which kernel wrote this trace' "$WORK/out"; then
	ok "and report warns above all"
else
	not_ok "and report warns above all" "exit $rc" "$(head -n 2 "$WORK/out")"
fi

# A truncated trace.dat must be refused with a message, not crash. $OUT was
# collected with kallsyms asked for, but nothing tells whose they would be
# (no decoder): the cut at half lands wherever the middle is.
size=$(stat -c %s "$OUT")
head -c 1000 "$OUT" > "$WORK/cut-header.dat"
head -c $((size / 2)) "$OUT" > "$WORK/cut-kallsyms.dat"
head -c $((size - 100)) "$OUT" > "$WORK/cut-data.dat"
head -c 6000 "$written" > "$WORK/cut-data2.dat"
expect 2 "verify a trace.dat cut in its headers" "$WORK/cut-header.dat" -- verify --offline "$WORK/cut-header.dat"
expect 2 "verify a trace.dat cut in kallsyms" "$WORK/cut-kallsyms.dat" -- verify --offline "$WORK/cut-kallsyms.dat"
# libtracecmd 3.1.6 crashes on these; verify must refuse them first.
expect 2 "verify a trace.dat cut in its ring-buffer data" "$WORK/cut-data.dat" -- verify --offline "$WORK/cut-data.dat"
expect 2 "verify a trace.dat cut early in its ring-buffer data" "$WORK/cut-data2.dat" -- verify --offline "$WORK/cut-data2.dat"

# A CPU that fails mid-collection: CPU 0 has been read (and so consumed)
# when reading CPU 1 fails. /proc/self/mem opens fine and its read(2) at
# offset 0 fails with EIO, like a kernel read error would.
BROKEN=$WORK/broken
"$HERE/fake-tracefs.sh" make "$FIXTURE" "$BROKEN"
ln -sf /proc/self/mem "$BROKEN/instances/backup/per_cpu/cpu1/trace_pipe_raw"
run --tracefs "$BROKEN" collect --state-dir "$DECODED" -o "$WORK/broken.dat"
if [ "$rc" -eq 1 ] && one_line_message && grep -qF "$WORK/broken.dat.partial" "$WORK/err" &&
   [ ! -e "$WORK/broken.dat" ] && [ -s "$WORK/broken.dat.partial" ]; then
	ok "a read failure after reading began: exit 1, the data kept in FILE.partial, named"
else
	not_ok "a read failure after reading began: exit 1, the data kept in FILE.partial, named" "exit $rc"
fi
CPU0_ENTRIES=$(awk '/^entries:/ { print $2 }' "$BROKEN/instances/backup/per_cpu/cpu0/stats")
run verify --offline --json "$WORK/broken.dat.partial"
if python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if d["cpus"][0]["records"] == int(sys.argv[2]) and d["cpus"][1]["records"] == 0 else 1)' \
	"$WORK/out" "$CPU0_ENTRIES" 2>/dev/null; then
	ok "the partial file is a valid trace.dat holding CPU 0's $CPU0_ENTRIES events"
else
	not_ok "the partial file is a valid trace.dat holding CPU 0's $CPU0_ENTRIES events" "verify exit $rc"
fi

# A full disk is found before anything is read: nothing is consumed, no
# file is left behind.
SMALL=$WORK/small
mkdir -p "$SMALL"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=4k bootrace-test "$SMALL" 2>/dev/null; then
	run --tracefs "$FAKE" collect -o "$SMALL/trace.dat"
	left=$(ls -A "$SMALL")
	umount "$SMALL"
	if [ "$rc" -eq 2 ] && one_line_message && grep -qi 'space' "$WORK/err" && [ -z "$left" ]; then
		ok "a full disk: exit 2 before reading, a message about space, no file left"
	else
		not_ok "a full disk: exit 2 before reading, a message about space, no file left" "exit $rc, left: $left"
	fi
else
	skip "a full disk" "needs root to mount a small tmpfs"
fi

# ------------------------------------------------------------ status

run --tracefs "$FAKE" status
if [ "$rc" -eq 0 ] && grep -q "^  backup: read-only, holds a previous boot, .* $ENTRIES entries" "$WORK/out" &&
   grep -q 'last_boot_info: ffffffff82600000' "$WORK/out"; then
	ok "status shows the read-only backup and its entries"
else
	not_ok "status shows the read-only backup and its entries" "exit $rc" "$(cat "$WORK/out")"
fi
run --tracefs "$FAKE" status --json
if [ "$rc" -eq 0 ] && python3 -m json.tool "$WORK/out" >/dev/null; then
	ok "status --json is valid JSON"
else
	not_ok "status --json is valid JSON" "exit $rc"
fi
if python3 - "$WORK/out" "$ENTRIES" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
b = [i for i in s["instances"] if i["name"] == "backup"]
assert len(b) == 1, s
b = b[0]
assert b["read_only"] is True and b["tracing_on"] is False, b
assert b["entries"] == int(sys.argv[2]), b
assert b["last_boot_info"] == "ffffffff82600000\t[kernel]\n", b
assert b["subbuf_size"] == 4096, b
assert s["capabilities"]["read_only_backup"] == "yes", s
EOF
then
	ok "status --json: the backup, read-only, with the fixture's entries"
else
	not_ok "status --json: the backup, read-only, with the fixture's entries"
fi
run --tracefs "$NONE" status --json
if [ "$rc" -eq 0 ] && python3 -m json.tool "$WORK/out" >/dev/null; then
	ok "status --json with no instances is valid JSON"
else
	not_ok "status --json with no instances is valid JSON" "exit $rc"
fi

# ------------------------------------------------- the boot record
# collect notes the boot it leaves tracing in STATE/traced-boot; status
# reads that note from --state-dir, or from the state_dir of --config,
# shows the boot it names and says where the note is.

RECORD=$WORK/st-record
RECORD_ID=0123456789abcdef0123456789abcdef	# not this machine's boot
RECORD_TIME=1764000000
mkdir -p "$RECORD"
printf 'boot_id=%s\ninstance=boot_map\ntime=%s\n' "$RECORD_ID" "$RECORD_TIME" > "$RECORD/traced-boot"
printf 'state_dir = %s\n' "$RECORD" > "$WORK/record.conf"
for how in --state-dir --config; do
	if [ "$how" = --state-dir ]; then arg=$RECORD; else arg=$WORK/record.conf; fi
	run --tracefs "$FAKE" status "$how" "$arg"
	line=$(grep '^last traced boot: ' "$WORK/out" || true)
	if [ "$rc" -eq 0 ] && printf '%s\n' "$line" | grep -qF "$RECORD_ID" &&
	   printf '%s\n' "$line" | grep -qF "'boot_map'" &&
	   printf '%s\n' "$line" | grep -qF "$RECORD/traced-boot"; then
		ok "status $how: the last traced boot from $RECORD/traced-boot, named"
	else
		not_ok "status $how: the last traced boot from $RECORD/traced-boot, named" "exit $rc" "got: ${line:-no 'last traced boot:' line}"
	fi
	run --tracefs "$FAKE" status --json "$how" "$arg"
	if [ "$rc" -eq 0 ] && python3 - "$WORK/out" "$RECORD" "$RECORD_ID" "$RECORD_TIME" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
r = s["last_traced_boot"]
assert r is not None, s
assert r["boot_id"] == sys.argv[3] and r["instance"] == "boot_map", r
assert r["time"] == int(sys.argv[4]) and r["previous_boot"] is True, r
assert s["state_dir"] == sys.argv[2], s
EOF
	then
		ok "status --json $how: last_traced_boot from the record, state_dir names its directory"
	else
		not_ok "status --json $how: last_traced_boot from the record, state_dir names its directory" "exit $rc"
	fi
done

# ------------------------------------- a foreign directory in the state dir
# Only directories named like a collection (UTC time, boot id) are
# bootrace's: list, report and verify ignore anything else, even one that
# sorts after every collection and holds a valid trace.dat.

FOREIGN=$WORK/st-foreign
REAL=2026-11-26T07:12:03Z-0123456789abcdef0123456789abcdef
mkdir -p "$FOREIGN/zzz-notmine"
cp "$OUT" "$FOREIGN/zzz-notmine/trace.dat"
not_foreign() { ! grep -q zzz-notmine "$WORK/out"; }
# The collections list --json shows, one a line.
list_names() {
	python3 -c 'import json, sys; [print(c["name"]) for c in json.load(open(sys.argv[1]))["collections"]]' \
		"$WORK/out" 2> /dev/null
}

expect 2 "report with only a foreign directory in --state-dir" "no collection" -- report --state-dir "$FOREIGN"
expect 2 "verify with only a foreign directory in --state-dir" "no collection" -- verify --offline --state-dir "$FOREIGN"
run list --state-dir "$FOREIGN"
if [ "$rc" -eq 0 ] && not_foreign; then
	ok "list with only a foreign directory: exit 0, not shown"
else
	not_ok "list with only a foreign directory: exit 0, not shown" "exit $rc" "$(head -n 3 "$WORK/out")"
fi
run list --json --state-dir "$FOREIGN"
if [ "$rc" -eq 0 ] && names=$(list_names) && [ -z "$names" ]; then
	ok "list --json with only a foreign directory: no collections"
else
	not_ok "list --json with only a foreign directory: no collections" "exit $rc" "$(list_names | tr '\n' ' ')"
fi

# A real collection beside it, made by collect, under a name of its own.
run --tracefs "$FAKE" collect --no-kallsyms --state-dir "$WORK/st-make"
made=$(dirname "$(cat "$WORK/out")")
mv "$made" "$FOREIGN/$REAL"
run list --state-dir "$FOREIGN"
if [ "$rc" -eq 0 ] && grep -qF "$REAL" "$WORK/out" && not_foreign; then
	ok "list: the collection, not the foreign directory"
else
	not_ok "list: the collection, not the foreign directory" "exit $rc" "$(cat "$WORK/out")"
fi
run list --json --state-dir "$FOREIGN"
if [ "$rc" -eq 0 ] && [ "$(list_names)" = "$REAL" ]; then
	ok "list --json: the collection alone"
else
	not_ok "list --json: the collection alone" "exit $rc" "$(list_names | tr '\n' ' ')"
fi
run report --state-dir "$FOREIGN"
if [ "$rc" -eq 0 ] && grep -qF "$FOREIGN/$REAL/trace.dat" "$WORK/out" && not_foreign; then
	ok "report with no argument: the collection, not the foreign directory"
else
	not_ok "report with no argument: the collection, not the foreign directory" "exit $rc" "$(head -n 1 "$WORK/out")"
fi
run verify --offline --state-dir "$FOREIGN"
if [ "$rc" -eq 0 ] && grep -qF "$FOREIGN/$REAL/trace.dat" "$WORK/out" && not_foreign; then
	ok "verify with no argument: the collection, not the foreign directory"
else
	not_ok "verify with no argument: the collection, not the foreign directory" "exit $rc" "$(head -n 1 "$WORK/out")"
fi

tap_done
