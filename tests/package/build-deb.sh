#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build bootrace's Debian package from this source tree, as a user would:
# dpkg-buildpackage -us -uc -b in a fresh copy of the tree (nothing of any
# meson build directory is reused), with two jobs and without the unit
# tests, which the test suite runs anyway. The .deb, .buildinfo, .changes
# and the build log go to OUT_DIR. A tree identical to the one OUT_DIR was
# built from is not built again, so the tests that install the package in
# one run share one build.
#
# Usage: build-deb.sh OUT_DIR
# Prints the .deb's path as the last stdout line.
# Exit 0 built (or current), 1 the build failed, 77 dpkg-buildpackage or
# a build dependency is missing (tests/install-deps.sh installs them).
set -eu -o pipefail

[ $# -eq 1 ] || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
SRC=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$1"
OUT=$(cd "$1" && pwd)

say() { echo "build-deb: $*" >&2; }

command -v dpkg-buildpackage > /dev/null || { say "SKIP: dpkg-buildpackage is not installed (dpkg-dev)"; exit 77; }
if ! missing=$(cd "$SRC" && dpkg-checkbuilddeps -P nocheck 2>&1); then
	say "SKIP: $missing"
	exit 77
fi

# The files of the tree: what git knows and does not ignore (so new files
# count before they are committed); without git, all but build directories.
list_files() {
	if git -C "$SRC" rev-parse --is-inside-work-tree > /dev/null 2>&1; then
		git -C "$SRC" ls-files -z --cached --others --exclude-standard |
			while IFS= read -r -d '' f; do [ -e "$SRC/$f" ] && printf '%s\0' "$f"; done
	else
		(cd "$SRC" && find . \( -name .git -o -path './build*' -o -name obj-\* \) -prune -o \
			-type f -printf '%P\0')
	fi
}

exec 9> "$OUT/.lock"
flock 9
work=$(mktemp -d "${TMPDIR:-/tmp}/bootrace-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/bootrace"
list_files | (cd "$SRC" && cpio -0 -pdm --quiet "$work/bootrace")
stamp=$(cd "$work/bootrace" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
deb=$(ls "$OUT"/bootrace_*.deb 2> /dev/null | head -n 1 || true)
if [ -n "$deb" ] && [ "$(cat "$OUT/tree.sha256" 2> /dev/null)" = "$stamp" ]; then
	say "$deb is current"
	echo "$deb"
	exit 0
fi
rm -f "$OUT"/bootrace_* "$OUT/tree.sha256"
start=$(date +%s)
say "dpkg-buildpackage -us -uc -b in a copy of $SRC (log: $OUT/build.log)"
if ! (cd "$work/bootrace" && DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=2" \
	dpkg-buildpackage -us -uc -b) > "$OUT/build.log" 2>&1; then
	tail -n 30 "$OUT/build.log" >&2
	say "dpkg-buildpackage failed"
	exit 1
fi
cp "$work"/bootrace_*.deb "$work"/bootrace_*.buildinfo "$work"/bootrace_*.changes "$OUT/"
echo "$stamp" > "$OUT/tree.sha256"
deb=$(ls "$OUT"/bootrace_*.deb | head -n 1)
say "built $deb in $(( $(date +%s) - start ))s"
echo "$deb"
