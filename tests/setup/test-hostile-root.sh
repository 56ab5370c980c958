#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bootrace setup and status on images that try to reach the host: a
# directory of the image that is a symbolic link out of it (etc/default,
# etc/default/grub.d, etc/kernel, var/lib/bootrace) gets nothing written
# through it, and /etc/default/grub or a drop-in holding code is never run
# (evaluated as assignments, refused where that is not enough). What
# bootrace makes in an image is 0700/0600. Everything happens in a
# temporary directory; "outside" stands for the host.
#
#   test-hostile-root.sh path/to/bootrace
set -eu

[ $# -eq 1 ] || { echo "usage: $0 path/to/bootrace" >&2; exit 2; }
BOOTRACE=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
FIX=$HERE/fixtures
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

. "$HERE/../lib/tap.sh"
tap_stderr_file=$WORK/err

"$HERE/../unit/fake-tracefs.sh" make "$HERE/../unit/fixtures/tracefs" "$WORK/tracefs"

run() { # COMMAND ARGS...: exit status in $rc
	rc=0
	"$BOOTRACE" --tracefs "$WORK/tracefs" "$@" > "$WORK/out" 2> "$WORK/err" || rc=$?
}

# fresh FIXTURE: a pristine copy of a fixture root in $R, and an empty $OUT (the "host").
fresh() {
	rm -rf "${WORK:?}/root" "$WORK/outside"
	cp -a "$FIX/$1" "$WORK/root"
	find "$WORK/root" -name .keep -delete
	mkdir -p "$WORK/root/var/lib" "$WORK/outside"
	R=$WORK/root
	OUT=$WORK/outside
}

# A directory of the image replaced by a link to the "host", holding what the image had.
link_out() { # REL
	cp -a "$R/$1/." "$OUT/" 2> /dev/null || true
	rm -rf "${R:?}/$1"
	ln -s "$OUT" "$R/$1"
	find "$OUT" -type f | sort | xargs -r md5sum > "$WORK/outside.sums"
}

outside_unchanged() {
	find "$OUT" -type f | sort | xargs -r md5sum | cmp -s - "$WORK/outside.sums"
}

refused_nothing_outside() { # NAME NEEDLE
	if [ "$rc" -ne 0 ] && outside_unchanged && tail -n 1 "$WORK/err" | grep -q '^bootrace: ' &&
	   tail -n 1 "$WORK/err" | grep -qF -- "$2"; then
		ok "$1: refused, saying why; nothing written outside the image"
	else
		not_ok "$1: refused, saying why; nothing written outside the image" "exit $rc" \
			"outside: $(cd "$OUT" && find . -newer "$WORK/outside.sums" | tr '\n' ' ')"
	fi
}

# ------------------------------------------------- links out of the image

fresh grub
link_out etc/default
run setup --root "$R" --bootloader grub
refused_nothing_outside "grub, etc/default a link out of the image" "symbolic link"
run setup --root "$R"
refused_nothing_outside "grub detected through etc/default, a link out" "no known bootloader"

fresh grub
link_out etc/default/grub.d
run setup --root "$R"
refused_nothing_outside "grub, etc/default/grub.d a link out of the image" "symbolic link"

fresh ki
link_out etc/kernel
run setup --root "$R" --bootloader kernel-install
refused_nothing_outside "kernel-install, etc/kernel a link out of the image" "symbolic link"

fresh ki-new
link_out var/lib
run setup --root "$R" --bootloader kernel-install
refused_nothing_outside "kernel-install, var/lib a link out (where bootrace keeps its note)" "symbolic link"

fresh ki-new
mkdir -p "$R/var/lib"
ln -s "$OUT" "$R/var/lib/bootrace"
find "$OUT" -type f | sort | xargs -r md5sum > "$WORK/outside.sums"
run setup --root "$R" --bootloader kernel-install
refused_nothing_outside "kernel-install, var/lib/bootrace a link out" "symbolic link"

# The image's own file a link to the host's: not read, not replaced.
fresh grub
echo 'GRUB_CMDLINE_LINUX="host secret"' > "$OUT/grub"
rm "$R/etc/default/grub"
ln -s "$OUT/grub" "$R/etc/default/grub"
find "$OUT" -type f | sort | xargs -r md5sum > "$WORK/outside.sums"
run setup --root "$R" --bootloader grub
refused_nothing_outside "grub, /etc/default/grub a link to a host file" "symbolic link"

# ------------------------------------------------------- code in the image

# Each file would create a file outside if a shell ran it.
code_cases=(
	'GRUB_CMDLINE_LINUX="$(touch OUT/ran)"'
	'GRUB_CMDLINE_LINUX=`touch OUT/ran`'
	'touch OUT/ran'
	'GRUB_CMDLINE_LINUX=x; touch OUT/ran'
	'if touch OUT/ran; then GRUB_CMDLINE_LINUX=x; fi'
	'GRUB_CMDLINE_LINUX="${X:-$(touch OUT/ran)}"'
	'GRUB_DEFAULT=$(touch OUT/ran)'
)
for where in etc/default/grub etc/default/grub.d/10-image.cfg; do
	for code in "${code_cases[@]}"; do
		fresh grub
		find "$OUT" -type f | sort | xargs -r md5sum > "$WORK/outside.sums"
		printf '%s\n' "${code//OUT/$OUT}" >> "$R/$where"
		cp -a "$R" "$WORK/before"
		run setup --root "$R"
		if [ "$rc" -eq 2 ] && [ ! -e "$OUT/ran" ] && tail -n 1 "$WORK/err" | grep -q "^bootrace: .*$where" &&
		   diff -r --no-dereference "$WORK/before" "$R" > /dev/null; then
			ok "setup: code in $where is not run, the refusal names the file: $code"
		else
			not_ok "setup: code in $where is not run, the refusal names the file: $code" "exit $rc" \
				"$( [ -e "$OUT/ran" ] && echo 'the code ran on the host')"
		fi
		rm -rf "$WORK/before"
		run status --root "$R"
		check "status: code in $where is not run: $code" test ! -e "$OUT/ran"
	done
done

# A command in a variable GRUB does not need (Debian's GRUB_DISTRIBUTOR):
# setup goes on, and still runs nothing.
fresh grub
find "$OUT" -type f | sort | xargs -r md5sum > "$WORK/outside.sums"
sed -i "s|^GRUB_DISTRIBUTOR=.*|GRUB_DISTRIBUTOR=\`touch $OUT/ran; lsb_release -i -s 2> /dev/null \|\| echo Debian\`|" "$R/etc/default/grub"
run setup --root "$R"
if [ "$rc" -eq 0 ] && [ ! -e "$OUT/ran" ] && cmp -s "$R/etc/default/grub.d/bootrace.cfg" "$HERE/expected/grub-setup.cfg"; then
	ok "a command in GRUB_DISTRIBUTOR: setup works, the command is not run"
else
	not_ok "a command in GRUB_DISTRIBUTOR: setup works, the command is not run" "exit $rc"
fi

# ------------------------------------------------------------------ modes

fresh ki-new
run setup --root "$R" --bootloader kernel-install
if [ "$rc" -eq 0 ] && [ "$(stat -c %a "$R/var/lib/bootrace")" = 700 ] &&
   [ "$(stat -c %a "$R/var/lib/bootrace/setup-kernel-cmdline")" = 600 ]; then
	ok "setup makes its own directory 0700 and its note 0600"
else
	not_ok "setup makes its own directory 0700 and its note 0600" \
		"$(stat -c '%n %a' "$R/var/lib/bootrace" "$R/var/lib/bootrace/setup-kernel-cmdline" 2>&1 | tr '\n' ' ')"
fi
fresh ki-new
rm -rf "$R/var"
run setup --root "$R" --bootloader kernel-install
if [ "$rc" -eq 0 ] && [ "$(stat -c %a "$R/var" "$R/var/lib" "$R/var/lib/bootrace" | sort -u)" = 700 ]; then
	ok "every directory setup creates is 0700"
else
	not_ok "every directory setup creates is 0700" "$(stat -c '%n %a' "$R/var" "$R/var/lib" "$R/var/lib/bootrace" 2>&1 | tr '\n' ' ')"
fi

tap_done
