#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run every test of bootrace on this machine: install what is missing,
# build, run the whole meson test suite (unit, host tracefs, and the real
# kernel in QEMU), then the unit, host and fuzz suites again under
# AddressSanitizer and UndefinedBehaviorSanitizer, then the fuzz targets
# with clang's libFuzzer for about a minute (tests/fuzz/README.md).
#
# Usage: tests/run.sh [BUILD_DIR]      (default: build)
# Environment: BOOTRACE_CACHE (downloaded kernels), BOOTRACE_NO_ASAN=1,
# BOOTRACE_NO_FUZZ=1 (skip the libFuzzer build and run)
set -eu -o pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}

"$SRC/tests/install-deps.sh"

configure() { # DIR [MESON OPTIONS...]
	dir=$1; shift
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$SRC" "$@" >/dev/null
	else
		meson setup "$dir" "$SRC" "$@" >/dev/null
	fi
}

setup() { # DIR [MESON OPTIONS...]
	configure "$@"
	meson compile -C "$1" >/dev/null
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
		run_tests "$BUILD-asan" --suite unit --suite host --suite fuzz
fi

# Why clang cannot build a libFuzzer target here, on stdout; 1 if it cannot.
fuzz_toolchain() {
	local probe err
	if ! command -v clang > /dev/null; then
		echo "no clang (tests/install-deps.sh installs clang and libclang-rt-dev)"
		return 1
	fi
	probe=$(mktemp -d)
	echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' > "$probe/probe.c"
	if ! clang -fsanitize=fuzzer,address,undefined -o "$probe/probe" "$probe/probe.c" 2> "$probe/err"; then
		err=$(grep -m 1 -iE 'cannot find|error' "$probe/err" || head -n 1 "$probe/err")
		echo "clang cannot link -fsanitize=fuzzer, no libFuzzer (libclang-rt-dev): $err"
		rm -rf "$probe"
		return 1
	fi
	rm -rf "$probe"
}

# The fuzz targets with libFuzzer: each replays the inputs that once
# crashed it, then fuzzes for a bounded time, one at a time. Only the
# targets are built. Without clang's libFuzzer this says why and counts
# as a skipped test.
if [ "${BOOTRACE_NO_FUZZ:-0}" != 1 ]; then
	if ! fuzz_skipped=$(fuzz_toolchain); then
		echo "fuzz: skipped, $fuzz_skipped" | tee -a "$LOG"
		echo "Skipped: 1" >> "$LOG"
	elif ! fuzz_build=$( { CC=clang configure "$BUILD-fuzz" -Dfuzz=true -Dvm_tests=false \
			-Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link &&
		meson compile -C "$BUILD-fuzz" fuzz-tracedat fuzz-config fuzz-cmdline; } 2>&1); then
		echo "$fuzz_build" | grep -v '^\[' | tail -n 20
		echo "fuzz: the clang build of the fuzz targets in $BUILD-fuzz failed" | tee -a "$LOG"
		echo "Fail: 1" >> "$LOG"
		status=1
	else
		LSAN_OPTIONS=suppressions=$SRC/tests/lsan.supp:print_suppressions=0 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			run_tests "$BUILD-fuzz" --suite fuzz --no-rebuild --num-processes 1
	fi
fi

# One closing line for all the runs, summed from meson's summaries.
sum() { awk -v k="$1" '$1 == k { s += $2 } END { print s + 0 }' "$LOG"; }
passed=$(sum Ok:)
failed=$(( $(sum Fail:) + $(sum Timeout:) ))
skipped=$(sum Skipped:)
# meson prints only the end of a long failing log: the failed checks
# themselves, from the full logs, come last.
if [ "$failed" -ne 0 ]; then
	echo "failed checks (full logs: $BUILD*/meson-logs/testlog.txt):"
	for log in "$BUILD/meson-logs/testlog.txt" "$BUILD-asan/meson-logs/testlog.txt" \
		   "$BUILD-fuzz/meson-logs/testlog.txt"; do
		[ -f "$log" ] && grep -E '^(#[[:space:]]+)*not ok ' "$log" | head -n 40
	done || true
fi
[ -z "${fuzz_skipped:-}" ] || echo "skipped: the libFuzzer run, $fuzz_skipped"
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
