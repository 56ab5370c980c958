#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run every test of bootrace on this machine: install what is missing,
# build, run the whole meson test suite (unit, host tracefs, and the real
# kernel in QEMU), then the unit and host suites again under AddressSanitizer
# and UndefinedBehaviorSanitizer.
#
# Usage: tests/run.sh [BUILD_DIR]      (default: build)
# Environment: BOOTRACE_CACHE (downloaded kernels), BOOTRACE_NO_ASAN=1
set -eu -o pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}

"$SRC/tests/install-deps.sh"

setup() { # DIR [MESON OPTIONS...]
	dir=$1; shift
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$SRC" "$@" >/dev/null
	else
		meson setup "$dir" "$SRC" "$@" >/dev/null
	fi
	meson compile -C "$dir" >/dev/null
}

LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
status=0

run_tests() { # BUILD_DIR [MESON TEST OPTIONS...]
	dir=$1; shift
	meson test -C "$dir" --print-errorlogs "$@" 2>&1 | tee -a "$LOG" || status=1
}

setup "$BUILD"
run_tests "$BUILD"

if [ "${BOOTRACE_NO_ASAN:-0}" != 1 ]; then
	setup "$BUILD-asan" -Db_sanitize=address,undefined -Db_lundef=false -Dvm_tests=false
	LSAN_OPTIONS=suppressions=$SRC/tests/lsan.supp:print_suppressions=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		run_tests "$BUILD-asan" --suite unit --suite host
fi

# One closing line for both runs, summed from meson's summaries.
sum() { awk -v k="$1" '$1 == k { s += $2 } END { print s + 0 }' "$LOG"; }
passed=$(sum Ok:)
failed=$(( $(sum Fail:) + $(sum Timeout:) ))
skipped=$(sum Skipped:)
# meson prints only the end of a long failing log: the failed checks
# themselves, from the full logs, come last.
if [ "$failed" -ne 0 ]; then
	echo "failed checks (full logs: $BUILD*/meson-logs/testlog.txt):"
	for log in "$BUILD/meson-logs/testlog.txt" "$BUILD-asan/meson-logs/testlog.txt"; do
		[ -f "$log" ] && grep -E '^(#[[:space:]]+)*not ok ' "$log" | head -n 40
	done || true
fi
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
