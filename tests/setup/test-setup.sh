#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bootrace setup on fixture roots (--root), byte for byte: GRUB drop-in and
# kernel-install's /etc/kernel/cmdline after setup, after setup again with
# new options, after --remove; --dry-run's diff applied with patch(1) gives
# the same files; owner and mode kept; and every refusal (malformed
# options, injection, conflicts, unreadable or missing config, read-only
# root) changes nothing. Never touches this machine's own /etc.
#
#   test-setup.sh path/to/bootrace
set -eu

[ $# -eq 1 ] || { echo "usage: $0 path/to/bootrace" >&2; exit 2; }
BOOTRACE=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
FIX=$HERE/fixtures
EXP=$HERE/expected
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# ok, not_ok (and bootrace's stderr after a failed check), skip, tap_done;
# one TAP line whatever the name holds (some options carry a newline).
. "$HERE/../lib/tap.sh"
tap_stderr_file=$WORK/err

# A fake tracefs for the events check, so no result depends on this host.
"$HERE/../unit/fake-tracefs.sh" make "$HERE/../unit/fixtures/tracefs" "$WORK/tracefs"

run() {
	rc=0
	"$BOOTRACE" --tracefs "$WORK/tracefs" setup "$@" > "$WORK/out" 2> "$WORK/err" || rc=$?
}

# fresh NAME FIXTURE: a pristine copy of a fixture root, with what git cannot keep.
fresh() {
	rm -rf "${WORK:?}/$1"
	cp -a "$FIX/$2" "$WORK/$1"
	find "$WORK/$1" -name .keep -delete
	mkdir -p "$WORK/$1/var/lib"
	R=$WORK/$1
}

same_file() { # NAME GOT WANT
	if cmp -s "$2" "$3"; then ok "$1"; else not_ok "$1" "$(diff -u "$3" "$2" | head -20 | tr '\n' '|')"; fi
}

same_tree() { # NAME GOT WANT
	if out=$(diff -r --no-dereference "$3" "$2" 2>&1) && no_temp "$2"; then
		ok "$1"
	else
		not_ok "$1" "$(echo "$out" | head -5 | tr '\n' '|')"
	fi
}

no_temp() { ! find "$1" -name '.bootrace.*' | grep -q .; }

expect_rc() { # NAME RC [NEEDLE]
	if [ "$rc" -ne "$2" ]; then
		not_ok "$1: exit $2" "got $rc"
	elif [ "$2" -ne 0 ] && { [ "$(grep -cv '^Try `' "$WORK/err" | head -1)" -lt 1 ] ||
		! grep -v 'warning: \|next boot: \|events not checked' "$WORK/err" | grep -v '^Try `' | head -1 | grep -q '^bootrace'; }; then
		not_ok "$1: exit $2 with a 'bootrace...' message"
	elif [ -n "${3:-}" ] && ! grep -qF -- "$3" "$WORK/err"; then
		not_ok "$1: the message names '$3'"
	else
		ok "$1: exit $2"
	fi
}

ls_l() { stat -c '%U:%G %a' "$1" 2>/dev/null || stat -c '%u:%g %a' "$1"; }

# ------------------------------------------------------------------ GRUB

fresh g grub
cp -a "$R" "$WORK/g.orig"
run --root "$R" --dry-run
expect_rc "grub --dry-run" 0
same_tree "grub --dry-run changes nothing" "$R" "$WORK/g.orig"
cp "$WORK/out" "$WORK/g.diff"
grep -qx '# then run: chroot '"$R"' update-grub' "$WORK/out" &&
	ok "grub --dry-run names the regeneration" || not_ok "grub --dry-run names the regeneration" "$(tail -1 "$WORK/out")"
run --root "$R"
expect_rc "grub setup" 0
same_file "grub setup: the drop-in, byte for byte" "$R/etc/default/grub.d/bootrace.cfg" "$EXP/grub-setup.cfg"
[ "$(ls_l "$R/etc/default/grub.d/bootrace.cfg")" = "root:root 644" ] &&
	ok "grub setup: the drop-in is root:root 0644" || not_ok "grub setup: the drop-in is root:root 0644" "$(ls_l "$R/etc/default/grub.d/bootrace.cfg")"
[ "$(tail -n 1 "$WORK/out")" = "reserve_mem=12M:4096:trace trace_instance=boot_map@trace,sched,irq trace_instance=backup=boot_map" ] &&
	ok "grub setup prints the fragment it installed" || not_ok "grub setup prints the fragment it installed" "$(cat "$WORK/out")"
grep -q 'next boot: kernel 7.2.13+deb14-cloud-amd64' "$WORK/err" &&
	ok "grub setup names the default entry's kernel" || not_ok "grub setup names the default entry's kernel"
grep -q "run chroot $R update-grub" "$WORK/err" &&
	ok "grub setup --root says how to regenerate" || not_ok "grub setup --root says how to regenerate"
diff -r "$WORK/g.orig" "$R" | grep -v '^Only in .*grub.d: bootrace.cfg' | grep -q . &&
	not_ok "grub: only bootrace.cfg is new" "$(diff -r "$WORK/g.orig" "$R" | head -3)" || ok "grub: only bootrace.cfg is new"
# The dry-run's diff, applied with patch, gives the same file.
cp -a "$WORK/g.orig" "$WORK/g.patched"
if patch -s -p1 -d "$WORK/g.patched" < "$WORK/g.diff" > /dev/null 2>&1; then
	same_file "grub --dry-run diff applied with patch = setup's result" "$WORK/g.patched/etc/default/grub.d/bootrace.cfg" "$R/etc/default/grub.d/bootrace.cfg"
else
	not_ok "grub --dry-run diff applies with patch -p1"
fi
# What grub-mkconfig will read: the real shell, sourcing as it does.
linux=$(env -i sh -c '. "$1/etc/default/grub"; for x in "$1"/etc/default/grub.d/*.cfg; do . "$x"; done; printf %s "$GRUB_CMDLINE_LINUX"' sh "$R")
want=$'console=tty0\n  console=ttyS0,115200n8 reserve_mem=2M:4096:oops ramoops.mem_name=oops reserve_mem=12M:4096:trace trace_instance=boot_map@trace,sched,irq trace_instance=backup=boot_map'
[ "$linux" = "$want" ] && ok "grub: GRUB_CMDLINE_LINUX keeps the multi-line value and the user's reserve_mem, then bootrace's" ||
	not_ok "grub: GRUB_CMDLINE_LINUX as sourced" "$linux"

run --root "$R"
expect_rc "grub setup again" 0
same_file "grub setup again: same drop-in (idempotent)" "$R/etc/default/grub.d/bootrace.cfg" "$EXP/grub-setup.cfg"
grep -q 'already installed' "$WORK/err" && ok "grub setup again says it is already installed" || not_ok "grub setup again says it is already installed"
run --root "$R" --size 32M --events sched:sched_switch --label crash
expect_rc "grub setup with new options" 0
same_file "grub setup with new options replaces bootrace's arguments" "$R/etc/default/grub.d/bootrace.cfg" "$EXP/grub-setup2.cfg"
run --root "$R" --remove --dry-run
expect_rc "grub --remove --dry-run" 0
grep -v '^# then run' "$WORK/out" > "$WORK/remove.diff"
same_file "grub --remove --dry-run: the diff" "$WORK/remove.diff" "$EXP/grub-remove.diff"
run --root "$R" --remove
expect_rc "grub --remove" 0
same_tree "grub --remove restores the root byte for byte" "$R" "$WORK/g.orig"
run --root "$R" --remove
expect_rc "grub --remove again (nothing installed)" 0
same_tree "grub --remove again changes nothing" "$R" "$WORK/g.orig"

# GRUB_DEFAULT pointing into the submenu, at the older kernel: no backup syntax.
fresh g6 grub
sed -i 's/^GRUB_DEFAULT=0$/GRUB_DEFAULT="gnulinux-advanced-0b1c>gnulinux-6.12.117+deb13-cloud-amd64-advanced-0b1c"/' "$R/etc/default/grub"
run --root "$R"
expect_rc "grub, default entry 6.12 (GRUB_DEFAULT=submenu>entry)" 0
grep -q 'GRUB_CMDLINE_LINUX:+$GRUB_CMDLINE_LINUX }reserve_mem=12M:4096:trace trace_instance=boot_map^traceoff@trace,sched,irq"$' "$R/etc/default/grub.d/bootrace.cfg" &&
	ok "grub, 6.12 default entry: no trace_instance=backup=" || not_ok "grub, 6.12 default entry: no trace_instance=backup=" "$(tail -1 "$R/etc/default/grub.d/bootrace.cfg")"
grep -q 'warning: kernel 6.12.117+deb13-cloud-amd64 gives no backup instances' "$WORK/err" &&
	ok "grub, 6.12 default entry: says what the user gets" || not_ok "grub, 6.12 default entry: says what the user gets"
sed -i 's/^GRUB_DEFAULT=.*/GRUB_DEFAULT=saved/' "$R/etc/default/grub"
printf '# GRUB Environment Block\nsaved_entry=1>0\n' > "$R/boot/grub/grubenv"
run --root "$R" --dry-run
grep -q 'next boot: kernel 7.2.13+deb14-cloud-amd64 (GRUB_DEFAULT=1>0' "$WORK/err" &&
	ok "grub, GRUB_DEFAULT=saved: the saved entry's kernel" || not_ok "grub, GRUB_DEFAULT=saved: the saved entry's kernel" "$(head -2 "$WORK/err")"

# Refusals: nothing changes.
refuse() { # NAME RC NEEDLE ROOT ARGS...
	local name=$1 want=$2 needle=$3 root=$4
	shift 4
	rm -rf "$WORK/before"
	cp -a "$root" "$WORK/before"
	run --root "$root" "$@"
	expect_rc "$name" "$want" "$needle"
	same_tree "$name: nothing changed" "$root" "$WORK/before"
}
fresh gc grub
sed -i 's/ramoops.mem_name=oops/& reserve_mem=8M:4096:trace/' "$R/etc/default/grub"
refuse "grub: someone else's reserve_mem= with bootrace's label" 2 "reserve_mem=8M:4096:trace" "$R"
fresh gc grub
echo 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT trace_instance=boot_map@other"' > "$R/etc/default/grub.d/60-mine.cfg"
refuse "grub: someone else's trace_instance=boot_map" 2 "trace_instance=boot_map@other" "$R"
fresh gc grub
echo 'GRUB_CMDLINE_LINUX="console=ttyS0"' > "$R/etc/default/grub.d/zz-override.cfg"
refuse "grub: a later drop-in overwrites GRUB_CMDLINE_LINUX" 2 "sorted after bootrace.cfg" "$R"
fresh gc grub
sed -i '/default\/grub.d/d; /\. "${x}"/d' "$R/usr/sbin/grub-mkconfig"
refuse "grub: grub-mkconfig does not source grub.d" 3 "does not read" "$R"
fresh gc grub
echo 'GRUB_TIMEOUT="5' >> "$R/etc/default/grub"
refuse "grub: /etc/default/grub with a syntax error" 2 "syntax error" "$R"
fresh gc grub
printf '# mine\nGRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX x"\n' > "$R/etc/default/grub.d/bootrace.cfg"
refuse "grub: a bootrace.cfg bootrace did not write" 2 "not written by bootrace" "$R"
fresh gc grub
rm "$R/etc/default/grub"
refuse "--bootloader grub without /etc/default/grub" 3 "/etc/default/grub" "$R" --bootloader grub
fresh gc grub
rm "$R/etc/default/grub"; mkdir "$R/etc/default/grub"
refuse "grub: /etc/default/grub is a directory" 2 "not a regular file" "$R" --bootloader grub
fresh gc grub
rm -r "$R/etc/default/grub.d"; : > "$R/etc/default/grub.d"
refuse "grub: /etc/default/grub.d is a file" 3 "not a directory" "$R"
fresh gc grub
if unshare -m true 2> /dev/null; then
	rm -rf "$WORK/before"; cp -a "$R" "$WORK/before"
	rc=0
	unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && exec "$2" --tracefs "$3" setup --root "$1"' \
		sh "$R" "$BOOTRACE" "$WORK/tracefs" > "$WORK/out" 2> "$WORK/err" || rc=$?
	expect_rc "grub: a read-only root" 2 "read-only file system"
	same_tree "grub: a read-only root: nothing changed" "$R" "$WORK/before"
else
	skip "grub: a read-only root" "unshare -m is not permitted here"
fi

# status: the next boot (bootloader files) against the running one.
fresh gs grub
status() { rc=0; "$BOOTRACE" --tracefs "$WORK/tracefs" status --root "$R" "$@" > "$WORK/out" 2> "$WORK/err" || rc=$?; }
status
grep -q '^next boot: not configured by bootrace (grub)$' "$WORK/out" &&
	ok "status --root: next boot not configured" || not_ok "status --root: next boot not configured" "$(grep 'next boot' "$WORK/out")"
run --root "$R"
status
grep -qF "next boot: configured by grub in $R/etc/default/grub.d/bootrace.cfg, kernel 7.2.13+deb14-cloud-amd64: reserve_mem=12M:4096:trace" "$WORK/out" &&
	grep -q '^  mismatch: the running kernel.s command line differs from the next boot.s: reboot to apply it$' "$WORK/out" &&
	grep -q '^  mismatch: the generated boot files lag behind .*: run update-grub$' "$WORK/out" &&
	ok "status --root after setup: configured, and both mismatches flagged" ||
	not_ok "status --root after setup: configured, and both mismatches flagged" "$(sed -n '/next boot/,$p' "$WORK/out" | tr '\n' '|')"
status --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["next_boot"]; assert d["bootloader"]=="grub" and d["stale"] is True and d["matches_current"] is False and d["fragment"].startswith("reserve_mem=12M"), d' "$WORK/out" 2> "$WORK/err" &&
	ok "status --json: next_boot" || not_ok "status --json: next_boot"

# kexec-tools loading a kernel at every reboot: the reboot puts it over the
# reserved memory, so setup and status say the trace will be lost, and how
# to keep it. Settings are evaluated as assignments, kexec.d after the file.
fresh kx grub
mkdir -p "$R/etc/default/kexec.d" "$R/lib/systemd/system"
: > "$R/lib/systemd/system/kexec-load.service"
echo 'LOAD_KEXEC=false' > "$R/etc/default/kexec"
run --root "$R" --dry-run
if [ "$rc" -eq 0 ] && ! grep -q kexec "$WORK/err"; then
	ok "kexec: LOAD_KEXEC=false: setup says nothing of kexec"
else
	not_ok "kexec: LOAD_KEXEC=false: setup says nothing of kexec" "exit $rc"
fi
echo 'LOAD_KEXEC=true' > "$R/etc/default/kexec.d/50-site"
run --root "$R" --dry-run
if [ "$rc" -eq 0 ] && grep -q "^bootrace: warning: kexec-tools' kexec-load is enabled .*the trace is lost.*LOAD_KEXEC=false" "$WORK/err"; then
	ok "kexec: LOAD_KEXEC=true in kexec.d: setup warns that reboots lose the trace, and how to keep it"
else
	not_ok "kexec: LOAD_KEXEC=true in kexec.d: setup warns that reboots lose the trace, and how to keep it" "exit $rc"
fi
status
if grep -q '^kexec: WARNING: kexec-tools.* kexec-load is enabled' "$WORK/out"; then
	ok "kexec: status --root warns too"
else
	not_ok "kexec: status --root warns too" "$(grep -i kexec "$WORK/out" | tr '\n' '|')"
fi
status --json
python3 -c 'import json,sys; k=json.load(open(sys.argv[1]))["kexec"]; assert k["load_at_reboot"] is True and "LOAD_KEXEC=false" in k["advice"], k' "$WORK/out" 2> "$WORK/err" &&
	ok "kexec: status --json: load_at_reboot and the advice" || not_ok "kexec: status --json: load_at_reboot and the advice"
echo 'LOAD_KEXEC=$(cat /etc/kexec-wanted)' > "$R/etc/default/kexec.d/60-cmd"
run --root "$R" --dry-run
if [ "$rc" -eq 0 ] && grep -q "warning: cannot tell whether kexec-tools loads a kernel at every reboot.*LOAD_KEXEC is set from a command" "$WORK/err"; then
	ok "kexec: LOAD_KEXEC from a command's output: not run, and setup says it cannot tell"
else
	not_ok "kexec: LOAD_KEXEC from a command's output: not run, and setup says it cannot tell" "exit $rc"
fi
rm -f "$R/lib/systemd/system/kexec-load.service" "$R/etc/default/kexec.d/60-cmd"
run --root "$R" --dry-run
if [ "$rc" -eq 0 ] && ! grep -q kexec "$WORK/err"; then
	ok "kexec: LOAD_KEXEC=true without kexec-tools' service: nothing to say"
else
	not_ok "kexec: LOAD_KEXEC=true without kexec-tools' service: nothing to say" "exit $rc"
fi

# ------------------------------------------------------- kernel-install

fresh k ki
chown 1234:5678 "$R/etc/kernel/cmdline"
chmod 0640 "$R/etc/kernel/cmdline"
cp -a "$R" "$WORK/k.orig"
run --root "$R" --dry-run
expect_rc "kernel-install --dry-run" 0
cp "$WORK/out" "$WORK/k.diff"
same_tree "kernel-install --dry-run changes nothing" "$R" "$WORK/k.orig"
run --root "$R"
expect_rc "kernel-install setup" 0
same_file "kernel-install setup: /etc/kernel/cmdline, byte for byte" "$R/etc/kernel/cmdline" "$EXP/ki-cmdline-setup"
[ "$(stat -c '%u:%g %a' "$R/etc/kernel/cmdline")" = "1234:5678 640" ] &&
	ok "kernel-install setup keeps owner and mode" || not_ok "kernel-install setup keeps owner and mode" "$(stat -c '%u:%g %a' "$R/etc/kernel/cmdline")"
grep -q "kernel-install add 7.1.13+deb14-amd64 /usr/lib/modules/7.1.13+deb14-amd64/vmlinuz" "$WORK/err" &&
	ok "kernel-install setup names the regeneration" || not_ok "kernel-install setup names the regeneration"
cp -a "$WORK/k.orig" "$WORK/k.patched"
if patch -s -p1 -d "$WORK/k.patched" < "$WORK/k.diff" > /dev/null 2>&1; then
	same_file "kernel-install --dry-run diff applied with patch = setup's result" "$WORK/k.patched/etc/kernel/cmdline" "$R/etc/kernel/cmdline"
else
	not_ok "kernel-install --dry-run diff applies with patch -p1"
fi
run --root "$R"
expect_rc "kernel-install setup again" 0
same_file "kernel-install setup again: unchanged" "$R/etc/kernel/cmdline" "$EXP/ki-cmdline-setup"
run --root "$R" --events sched --backup prev
expect_rc "kernel-install setup with new options" 0
same_file "kernel-install setup with new options replaces bootrace's arguments" "$R/etc/kernel/cmdline" "$EXP/ki-cmdline-setup2"
run --root "$R" --remove
expect_rc "kernel-install --remove" 0
same_tree "kernel-install --remove restores the root byte for byte" "$R" "$WORK/k.orig"
[ "$(stat -c '%u:%g %a' "$R/etc/kernel/cmdline")" = "1234:5678 640" ] &&
	ok "kernel-install --remove keeps owner and mode" || not_ok "kernel-install --remove keeps owner and mode"

# Someone edits the file after setup: bootrace's words still come out exactly.
run --root "$R"
sed -i 's/^root=/systemd.unit=multi-user.target root=/' "$R/etc/kernel/cmdline"
run --root "$R" --remove
expect_rc "kernel-install --remove after an edit by someone else" 0
[ "$(cat "$R/etc/kernel/cmdline")" = "systemd.unit=multi-user.target $(cat "$WORK/k.orig/etc/kernel/cmdline")" ] &&
	ok "kernel-install --remove keeps the other edit" || not_ok "kernel-install --remove keeps the other edit" "$(cat "$R/etc/kernel/cmdline")"
# bootrace's words changed by hand: refuse.
fresh k2 ki
run --root "$R"
sed -i 's/reserve_mem=12M/reserve_mem=16M/' "$R/etc/kernel/cmdline"
refuse "kernel-install: bootrace's arguments edited by hand" 2 "no longer holds" "$R" --remove
fresh k3 ki
sed -i 's/$/ trace_instance=backup=boot_map/' "$R/etc/kernel/cmdline"
refuse "kernel-install: someone else's trace_instance=backup=" 2 "trace_instance=backup=boot_map" "$R"

# No /etc/kernel/cmdline: created from /proc/cmdline minus BOOT_IMAGE= and initrd=.
fresh kn ki-new
cp -a "$R" "$WORK/kn.orig"
run --root "$R" --bootloader kernel-install
expect_rc "kernel-install, no /etc/kernel/cmdline" 0
same_file "kernel-install creates /etc/kernel/cmdline from /proc/cmdline" "$R/etc/kernel/cmdline" "$EXP/ki-new-cmdline"
grep -q 'warning: kernel 6.19.14+deb14-amd64 gives a backup instance .* stays' "$WORK/err" &&
	ok "kernel-install, 6.19 kernel: the warning that the backup stays" || not_ok "kernel-install, 6.19 kernel: the warning that the backup stays"
run --root "$R" --remove
expect_rc "kernel-install --remove of a created file" 0
same_tree "kernel-install --remove deletes the file it created" "$R" "$WORK/kn.orig"
fresh kn2 ki-new
rm "$R/proc/cmdline"
refuse "kernel-install: no /etc/kernel/cmdline and no /proc/cmdline in the root" 3 "/etc/kernel/cmdline does not exist" "$R" --bootloader kernel-install
fresh kn3 ki
chmod 000 "$R/etc/kernel"
if [ "$(id -u)" != 0 ]; then
	refuse "kernel-install: unreadable /etc/kernel" 2 "cannot read" "$R"
fi
chmod 755 "$R/etc/kernel"

# ------------------------------------------------------------ detection

fresh none ki-new
rm -r "$R/usr/bin" "$R/boot"
refuse "no bootloader under the root" 3 "no known bootloader" "$R"
fresh gp grub
run --root "$R" --bootloader print
expect_rc "--bootloader print" 0
grep -q '^  Fedora, RHEL (grubby): grubby --update-kernel=ALL --args="reserve_mem=12M:4096:trace trace_instance=boot_map@trace,sched,irq trace_instance=backup=boot_map"$' "$WORK/out" &&
	ok "--bootloader print: the grubby command" || not_ok "--bootloader print: the grubby command" "$(cat "$WORK/out")"
rm -rf "$WORK/gp.orig"; fresh gp.orig grub
same_tree "--bootloader print changes nothing" "$WORK/gp" "$WORK/gp.orig"

# ---------------------------------------------------- options, bad input

for bad in --bootloader=lilo --bootloader= "--bootloader=grub kernel-install" --root=relative/dir --root= \
	--kernel-release=abc --kernel-release=6 --kernel-release="7.1 init=/bin/sh" --kernel-release=$'7.1\n' \
	--size="12M quiet" --events='sched"' "--label=a b" "--persistent=x init=/bin/sh" "--backup=b;reboot"; do
	run --root "$WORK/g" --dry-run "$bad"
	expect_rc "setup $bad" 2
done
run --print --remove
expect_rc "--print --remove" 2
run --print --root /tmp
expect_rc "--print --root" 2
run --remove --kernel-release 7.1
expect_rc "--remove --kernel-release" 2
run --print --kernel-release 6.12.117+deb13-cloud-amd64
[ "$rc" = 0 ] && [ "$(cat "$WORK/out")" = "reserve_mem=12M:4096:trace trace_instance=boot_map^traceoff@trace,sched,irq" ] &&
	ok "--print --kernel-release 6.12: no backup syntax" || not_ok "--print --kernel-release 6.12: no backup syntax" "$(cat "$WORK/out")"
run --print --kernel-release 7.0.13
[ "$rc" = 0 ] && [ "$(cat "$WORK/out")" = "reserve_mem=12M:4096:trace trace_instance=boot_map@trace,sched,irq trace_instance=backup=boot_map" ] &&
	grep -q 'warning: kernel 7.0.13 gives a backup instance .*until bootrace removes it' "$WORK/err" &&
	ok "--print --kernel-release 7.0: backup and a warning" || not_ok "--print --kernel-release 7.0: backup and a warning" "$(cat "$WORK/out" "$WORK/err")"
run --print --kernel-release 7.1.0-rc3
[ "$rc" = 0 ] && [ ! -s "$WORK/err" ] && ok "--print --kernel-release 7.1.0-rc3: no warning" || not_ok "--print --kernel-release 7.1.0-rc3: no warning"
run --print --kernel-release 6.6.50
expect_rc "--print --kernel-release 6.6 (no persistent instances)" 3 "needs 6.12"
run --print --size 8K
expect_rc "--print --size 8K (too small per CPU)" 2 "too small"
run --root "$WORK/g" --dry-run --size 64G
expect_rc "setup --size 64G (a share of RAM)" 2 "RAM"

tap_done
