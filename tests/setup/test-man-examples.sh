#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The EXAMPLES of bootrace-setup(1) that work on an image at /mnt run here,
# in order, on one copy of the GRUB fixture root standing in for /mnt: each
# "# bootrace setup --root /mnt ..." line inside a literal block is run, and
# its standard output must be the lines the page shows after it (up to the
# next command or the end of the block). Examples on this machine's own root
# are not run; the "$ bootrace setup --print" ones are run by
# tests/unit/test-man-options.sh.
#
#   test-man-examples.sh BOOTRACE PAGE.scd FIXTURES
set -eu

[ $# -eq 3 ] || { echo "usage: $0 BOOTRACE PAGE FIXTURES" >&2; exit 2; }
BOOTRACE=$(realpath "$1")
PAGE=$2
FIX=$3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
HERE=$(cd "$(dirname "$0")" && pwd)
"$HERE/../unit/fake-tracefs.sh" make "$HERE/../unit/fixtures/tracefs" "$WORK/tracefs"
cp -a "$FIX/grub" "$WORK/mnt"
find "$WORK/mnt" -name .keep -delete

. "$HERE/../lib/tap.sh"
# Split the EXAMPLES section into commands and their shown output.
awk '
	/^# EXAMPLES/ { on = 1; next }
	/^# SEE ALSO/ { on = 0 }
	!on { next }
	/^```/ { inblock = !inblock; if (!inblock && cmd != "") { print "END"; cmd = "" } next }
	inblock && /^# bootrace setup .*--root \/mnt/ {
		if (cmd != "") print "END"
		cmd = $0; print "CMD " substr($0, 3); next
	}
	inblock && cmd != "" { print "OUT " $0 }
' "$PAGE" > "$WORK/script"

run_one() {
	local args=${cmd#bootrace setup }
	args=${args//\/mnt/$WORK/mnt}
	eval "set -- $args"
	rc=0
	"$BOOTRACE" --tracefs "$WORK/tracefs" setup "$@" > "$WORK/got" 2> "$WORK/err" || rc=$?
	sed -i "s|$WORK/mnt|/mnt|g" "$WORK/got"
	if [ $rc -eq 0 ] && cmp -s "$WORK/got" "$WORK/want"; then
		ok "bootrace-setup(1): $cmd"
	else
		not_ok "bootrace-setup(1): $cmd (exit $rc)"
		diff -u "$WORK/want" "$WORK/got" | sed 's/^/#   /' | head -20
		sed 's/^/#   stderr: /' "$WORK/err" | head -5
	fi
}

cmd=
while IFS= read -r line; do
	case $line in
	"CMD "*) cmd=${line#CMD }; : > "$WORK/want" ;;
	"OUT "*) printf '%s\n' "${line#OUT }" >> "$WORK/want" ;;
	END) run_one; cmd= ;;
	esac
done < "$WORK/script"

# After the last example (--remove) the root is the fixture again.
if diff -r "$FIX/grub" "$WORK/mnt" > "$WORK/diff" 2>&1 || ! grep -v '\.keep' "$WORK/diff" | grep -q .; then
	ok "after the examples' --remove, /mnt is as before"
else
	not_ok "after the examples' --remove, /mnt is as before"
	sed 's/^/#   /' "$WORK/diff" | head
fi
# Every example and the check above: at least 3 examples ran.
[ "$tap_n" -gt 3 ] || not_ok "bootrace-setup(1) has fewer than 3 --root /mnt examples"
tap_done
