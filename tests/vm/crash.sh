#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A real crash, then the boot after it, on a real 7.1+ kernel in one QEMU
# run: boot 1 writes markers and panics (sysrq c; panic=1 restarts the
# machine with RAM intact); boot 2 runs exactly the command line of the
# built bootrace-collect.service, then "bootrace report" and "list", and
# the EXAMPLES of bootrace-verify(1), -status(1), -list(1), -report(1). The
# host checks that one journal-ready line was said, that the collection
# directory is complete and named by time and boot id, and that report
# holds the crashed boot's events up to the panic, per CPU, with counts
# equal to the kernel's per-CPU entries. Prints TAP.
#
# Usage: crash.sh [--cpus N] [--bootrace PATH] [--unit FILE] [--keep DIR]
#            [--kernel VMLINUZ] [--timeout SEC] [--attempts N]
#   --unit     default: build/cmd/systemd/bootrace-collect.service
# Exit 0 all checks passed, 1 a check failed, 77 no kernel to be had.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/host-lib.sh"
SRCROOT=$(cd "$HERE/../.." && pwd)
DISK_MB=64

cpus=$VM_CPUS kernel= bootrace= unit= keep= timeout=$VM_TIMEOUT_KERNEL attempts=3 markers=50
events=$VM_EVENTS

die() { echo "crash: error: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case $1 in
	--cpus) cpus=$2; shift ;;
	--kernel) kernel=$2; shift ;;
	--bootrace) bootrace=$2; shift ;;
	--unit) unit=$2; shift ;;
	--keep) keep=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--attempts) attempts=$2; shift ;;
	-h|--help) sed -n '4,17p' "$0"; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
	shift
done
[ -n "$bootrace" ] || bootrace=$SRCROOT/build/cmd/bootrace
[ -n "$unit" ] || unit=$(dirname "$bootrace")/systemd/bootrace-collect.service
[ -x "$bootrace" ] || die "no bootrace binary at $bootrace"
[ -s "$unit" ] || die "no unit file at $unit"

if [ -z "$kernel" ]; then
	rc=0
	kdir=$("$HERE/fetch.sh" --quiet) || rc=$?
	[ $rc -ne 77 ] || skip_all "no 7.1+ kernel"
	[ $rc -eq 0 ] || die "fetch.sh failed ($rc)"
	kernel=$kdir/vmlinuz
fi
modules=$(dirname "$kernel")/modules

if [ -n "$keep" ]; then mkdir -p "$keep"; work=$(cd "$keep" && pwd); rm -rf "$work/out"
else work=$(mktemp -d "${TMPDIR:-/tmp}/bootrace-crash.XXXXXX"); fi

# The unit's command line, with the guest's path of the binary.
exec_args=$(sed -n 's|^ExecStart=[^ ]*/bootrace ||p' "$unit")
[ -n "$exec_args" ] || die "no 'ExecStart=.../bootrace ...' in $unit"
exec_cmd="/bin/bootrace $exec_args"
cmdline=$("$bootrace" setup --print --events "$events" | tail -n 1)
# The EXAMPLES of the pages for what a user runs after a collection: each
# "# bootrace ..." or "$ bootrace ..." line (none with a pipe: no jq in the
# guest). collect would find nothing left (the unit ran): not its lines.
# Nor those of an example that starts with another program (trace-cmd
# extract), which the guest does not have.
examples=$work/examples.txt
for page in verify status list report; do
	sed -n '/^# EXAMPLES/,/^# SEE ALSO/p' "$SRCROOT/man/bootrace-$page.1.scd" |
		awk '/^```/ { other = 0; next }
		     /^[#$] / && $2 != "bootrace" { other = 1 }
		     !other' |
		sed -n 's/^[#$] \(bootrace .*\)/\1/p' | grep -v -e '|' -e '^bootrace collect' || true
done > "$examples"
[ -s "$examples" ] || die "no examples found in $SRCROOT/man"
# The unit collects compressed (bootrace.conf's compress = zstd), so that
# report, list, verify and the examples read a version 7 file of a real
# crash; lifecycle.sh covers the uncompressed one.
compress=zstd
"$bootrace" collect --compress --help > /dev/null 2>&1 || compress=no	# built without zstd
printf 'compress = %s\n' "$compress" > "$work/bootrace.conf"
"$HERE/mkinitramfs.sh" -o "$work/initramfs.gz" --modules "$modules" \
	--bootrace "$bootrace" --markers "$markers" --init "$HERE/crash-init.sh" \
	--exec "$exec_cmd" --examples "$examples" --config "$work/bootrace.conf"

# As lifecycle.sh: a guest kernel that fails under TCG before bootrace
# runs (an early oops, a hang, reserved memory wiped) is retried. The
# intended panic is the one after "panicking from CPU 0".
environment_failure() {
	before=$(sed '/^vmtest: + /q' "$work/console.log")
	if echo "$before" | sed '/panicking from CPU 0/q' | grep -q 'Kernel panic'; then
		echo "guest kernel panicked before the test's own panic"
	elif lost=$(echo "$before" | sed -n '/panicking from CPU 0/,$p' | ring_buffer_lost "$cpus"); then
		echo "the reserved memory did not survive the reboot ($lost)"
	elif ! grep -q '^vmtest: + ' "$work/console.log"; then
		echo "the guest never reached boot 2's collection (exit $vm_rc)"
	else
		return 1
	fi
}

attempt=1
while :; do
	run_vm "$cmdline"
	why=$(environment_failure) || { why=; break; }
	[ "$attempt" -lt "$attempts" ] || break
	note "attempt $attempt (${vm_seconds}s): $why; retried"
	cp "$work/console.log" "$work/console-attempt$attempt.log"
	attempt=$((attempt + 1))
done
vm_results "$work/disk.img" "$work/out" || true
out=$work/out
result() { sed -n "s/^$1=//p" "$out/results.env" 2>/dev/null | tail -n 1; }

echo "TAP version 13"
note "kernel $kernel, $cpus vCPUs, cmdline: $(vm_cmdline "$cmdline"); QEMU ${vm_seconds}s, attempt $attempt"
[ -z "$why" ] || note "this attempt: $why"
check "boot 1 panicked for real (sysrq c)" grep -q 'sysrq: Trigger a crash' "$work/console.log"
check "guest reached boot 2 and powered off (QEMU exit $vm_rc)" [ "$(result boot)" = 2 -a "$vm_rc" = 0 ]
check "boot 2 ran the unit's command line '$exec_cmd' (exit $(result unit_rc))" \
	grep -qF "vmtest: + $exec_cmd" "$work/console.log"
check "the unit's command succeeded" [ "$(result unit_rc)" = 0 ]
check "it said exactly one line, on stdout ($(cat "$out/unit.out" 2>/dev/null | head -c 300))" \
	[ "$(wc -l < "$out/unit.out" 2>/dev/null)" = 1 -a ! -s "$out/unit.err" ]
boot_id=$(tr -d -- '-\n' < "$out/boot_id.txt" 2>/dev/null)
path=$(sed -n 's|^bootrace: collected the previous boot into \(.*/trace\.dat\): .*|\1|p' "$out/unit.out" 2>/dev/null)
check "the collection is /var/lib/bootrace/<UTC time>Z-<boot 2's id>/trace.dat ($path)" \
	sh -c "echo '$path' | grep -qE '^/var/lib/bootrace/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z-$boot_id/trace.dat\$'"
check "no temporary or partial directory left" sh -c "! grep -qE '\.new-|\.partial' '$out/state.txt'"
if [ "$compress" = zstd ]; then
	check "compress = zstd: the unit wrote trace.dat version 7 ($(result trace_size) bytes)" \
		[ "$(result trace_version)" = 7 ]
fi
check "bootrace report exit 0 (got $(result report_rc)), --json too ($(result report_json_rc))" \
	[ "$(result report_rc)" = 0 -a "$(result report_json_rc)" = 0 ]
check "bootrace list shows the collection" grep -qF "$(basename "$(dirname "$path")")" "$out/list.txt"
i=0
while IFS= read -r example; do
	i=$((i + 1))
	rc=$(result "example_${i}_rc")
	check "man page example '$(cat "$out/example-$i.cmd" 2>/dev/null || echo "$example")' exit 0 (got ${rc:-nothing})" [ "$rc" = 0 ]
	[ "$rc" = 0 ] || sed 's/^/#   /' "$out/example-$i.out" 2>/dev/null | head -n 10
done < "$examples"

# Per CPU, report's event count equals the kernel's entries before collect.
if [ -s "$out/report.json" ]; then
	python3 - "$out/report.json" "$out/backup-entries.txt" "$out/kallsyms.txt" > "$work/checks.txt" <<-'PY' || true
	import json, re, sys
	rep = json.load(open(sys.argv[1]))
	want = {int(l.split()[0][3:]): int(l.split()[1]) for l in open(sys.argv[2]) if l.strip()}
	got = {c["cpu"]: c["events"] for c in rep["cpus"]}
	print(("OK" if got == want else "FAIL") + f" report's events per CPU {got} = the backup's entries {want}")
	last0 = [l["text"] for l in rep["cpus"][0]["last"]]
	hit = [i for i, t in enumerate(last0) if "bootrace-crash-now" in t]
	print(("OK" if hit else "FAIL") + f" the marker written right before the panic is among CPU 0's last {len(last0)} events" +
	      (f" ({len(last0) - 1 - hit[0]} events after it)" if hit else ""))
	ends = [c["last_ns"] for c in rep["cpus"] if c["events"]]
	print(("OK" if all(c["last"] for c in rep["cpus"] if c["events"]) else "FAIL") +
	      f" every CPU with events shows its last ones (ends: {', '.join(f'{e / 1e9:.6f}' for e in ends)})")
	text = {l.split()[2] for l in open(sys.argv[3]) if len(l.split()) >= 3 and l.split()[1] in "tT"}
	funcs = {m for c in rep["cpus"] for l in c["last"] for m in re.findall(r"function=([A-Za-z_][\w.]*)", l["text"])}
	bad = sorted(f for f in funcs if f not in text)
	if funcs or not rep["symbols_shifted"]:
	    print(("OK" if rep["symbols_shifted"] and funcs and not bad else "FAIL") +
	          f" report resolves the previous boot's addresses: {len(funcs)} function names, not functions: {bad[:5]}")
	PY
	while read -r status desc; do tap "$status" "$desc"; done < "$work/checks.txt"
else
	tap FAIL "report --json came out of the guest"
fi
if [ $tap_failed -ne 0 ]; then
	note "guest console (last 60 lines of $work/console.log):"
	tail -n 60 "$work/console.log" | sed 's/^/#   /'
fi
tap_plan
if [ $tap_failed -ne 0 ]; then note "files kept in $work"; exit 1; fi
[ -n "$keep" ] || rm -rf "$work"
