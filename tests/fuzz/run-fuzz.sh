#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# One libFuzzer target, in the suite: replay every input that ever crashed
# it (DIR/regressions), then fuzz for SECONDS from its seed corpus
# (DIR/corpus; what the run finds stays out of the source tree). A crash
# is kept in ARTIFACTS with the command that replays it.
#
# Usage: run-fuzz.sh TARGET DIR SECONDS ARTIFACTS [LIBFUZZER OPTIONS...]
# Prints TAP; exits 1 when a regression or the fuzzing crashed.
set -u

TARGET=$1
DIR=$2
SECS=$3
ARTIFACTS=$4
shift 4
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/tap.sh"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$ARTIFACTS"
name=$(basename "$TARGET")

regressions=()
for f in "$DIR"/regressions/*; do
	[ -f "$f" ] && [ "$(basename "$f")" != README ] && regressions+=("$f")
done
if [ ${#regressions[@]} -eq 0 ]; then
	ok "$name: no regression inputs yet"
# Read by the libraries too, as report does (tracedat; the others ignore it).
elif BOOTRACE_FUZZ_LIBS=1 "$TARGET" "$@" "${regressions[@]}" > "$WORK/replay.log" 2>&1; then
	ok "$name: the ${#regressions[@]} inputs that once crashed it run clean"
else
	not_ok "$name: the inputs that once crashed it run clean" "$(grep -m 3 -E 'ERROR|Running' "$WORK/replay.log")"
fi

mkdir "$WORK/corpus"
if "$TARGET" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$ARTIFACTS/$name-" "$@" "$WORK/corpus" "$DIR/corpus" > "$WORK/fuzz.log" 2>&1; then
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$WORK/fuzz.log")
	ok "$name: $SECS s of fuzzing, ${runs:-?} inputs, no crash"
else
	artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$WORK/fuzz.log" | tail -n 1)
	not_ok "$name: $SECS s of fuzzing, no crash" \
		"$(grep -m 3 -E 'ERROR|SUMMARY|Sanitizer' "$WORK/fuzz.log")" \
		"input: $artifact" "replay: $TARGET $artifact" \
		"keep it: cp $artifact $DIR/regressions/"
fi
tap_done
