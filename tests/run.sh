#!/bin/sh
# Run every test of bootrace on this machine: install what is missing,
# build, run the whole meson test suite (unit, host tracefs, and the real
# kernel in QEMU), then the unit and host suites again under AddressSanitizer
# and UndefinedBehaviorSanitizer.
#
# Usage: tests/run.sh [BUILD_DIR]      (default: build)
# Environment: BOOTRACE_CACHE (downloaded kernels), BOOTRACE_NO_ASAN=1
set -eu

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

setup "$BUILD"
meson test -C "$BUILD" --print-errorlogs

if [ "${BOOTRACE_NO_ASAN:-0}" != 1 ]; then
	setup "$BUILD-asan" -Db_sanitize=address,undefined -Db_lundef=false -Dvm_tests=false
	meson test -C "$BUILD-asan" --print-errorlogs --suite unit --suite host
fi
