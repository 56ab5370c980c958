#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The seed files of the trace.dat fuzz target, whole: trace-cmd's files
# (record and extract, -B NAME and -a, 3.1.6 and 3.4) show in bootrace
# report and verify as many events as trace-cmd report prints, every
# buffer counted and named; verify does not check counts it does not have
# and says so; a zlib file is refused with its reason; bootrace's own files
# tell trace-cmd report --stat that nothing was left in the kernel, and
# --version who wrote them, the files of the corpus and collections of
# the fake tracefs made by this build.
#
# Usage: test-foreign.sh BOOTRACE CORPUS_DIR
# Prints TAP; exits 1 if a check failed, 77 without trace-cmd.
set -u

BOOTRACE=$1
CORPUS=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/tap.sh"

command -v trace-cmd > /dev/null || skip_all "no trace-cmd to compare with (tests/install-deps.sh)"
command -v python3 > /dev/null || skip_all "no python3 to read --json"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
SID=$HERE/../vm/trace-cmd-sid
CACHE=${BOOTRACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bootrace}
[ -x "$CACHE/sid/root/usr/bin/trace-cmd" ] || SID=

# Records in a trace-cmd report: lines with the "[CPU]" column.
tc_records() { # TRACE-CMD FILE
	"$1" report "$2" 2>/dev/null | grep -cE '^ *.+ +\[[0-9]{3}\] '
}

run() { # bootrace ARGS...: exit status in rc, outputs in $WORK/out, $WORK/err
	"$BOOTRACE" "$@" > "$WORK/out" 2> "$WORK/err"
	rc=$?
}

# Every JSON output read at once (python3 may be slow to start): for each
# file, "NAME EVENTS BUFFERS RECORDS COUNTS WRITER" with '-' for none.
summarize() {
	python3 - "$WORK" <<'EOF'
import glob, json, os, sys
for rep in sorted(glob.glob(os.path.join(sys.argv[1], '*.report.json'))):
    name = os.path.basename(rep)[:-len('.report.json')]
    try:
        r = json.load(open(rep))
        v = json.load(open(rep.replace('.report.json', '.verify.json')))
        named = ','.join(b['name'] for b in r['buffers'] if b['name']) or '-'
        counts = [c['status'] for c in v['checks'] if c['name'] == 'counts'][0]
        writer = (v['writer'] or '-').replace(' ', '_')
        print(name, r['events'], named, v['records'], counts, writer)
    except (OSError, ValueError, KeyError, IndexError):
        print(name, '-', '-', '-', '-', '-')
EOF
}

declare -A want
for file in "$CORPUS"/trace-cmd-*.dat "$CORPUS"/bootrace-*.dat; do
	name=$(basename "$file")
	case $name in
	*zlib*)
		run verify --config /dev/null --offline "$file"
		if [ "$rc" = 2 ] && grep -q "corrupt file .*compression at offset [0-9]*: 'zlib'" "$WORK/err"; then
			ok "$name: refused, exit 2, naming the compression and its offset"
		else
			not_ok "$name: refused, exit 2, naming the compression and its offset" "exit $rc" "$(cat "$WORK/err")"
		fi
		continue ;;
	esac
	want[$name]=$(tc_records trace-cmd "$file")
	"$BOOTRACE" report --config /dev/null --json --last 3 "$file" > "$WORK/$name.report.json" 2> "$WORK/err" ||
		not_ok "$name: report reads it" "$(head -c 300 "$WORK/err")"
	"$BOOTRACE" verify --config /dev/null --offline --json "$file" > "$WORK/$name.verify.json" 2> "$WORK/err" ||
		not_ok "$name: verify passes it" "$(head -c 300 "$WORK/err")"
	if [ -n "$SID" ]; then
		want34=$(tc_records "$SID" "$file")
		if [ "$want34" = "${want[$name]}" ]; then
			ok "$name: trace-cmd 3.4 prints the same ${want[$name]} events as 3.1.6"
		elif [ "$want34" = 0 ] && [ "$name" = trace-cmd-3.4-extract-B-v7-none.dat ]; then
			# 3.4 reads no event of the uncompressed version 7 files it writes itself.
			skip "$name: trace-cmd 3.4 prints the same events" "3.4 prints none of its own uncompressed v7 file; 3.1.6 and bootrace read it"
		else
			not_ok "$name: trace-cmd 3.4 prints the same events" "3.4: $want34, 3.1.6: ${want[$name]}"
		fi
	fi
done

summarize > "$WORK/summary"
while read -r name events named records counts writer; do
	n=${want[$name]}
	if [ "$events" = "$n" ] && [ "$n" -gt 0 ]; then
		ok "$name: report shows the $n events trace-cmd report prints"
	else
		not_ok "$name: report shows the $n events trace-cmd report prints" "report: $events"
	fi
	case $name in
	trace-cmd-*)
		# Their records are in the named buffer; the counts are not checked.
		if [ "$records" = "$n" ] && [ "$counts" = skip ] && [ "$named" != - ] &&
		   [ "${writer#trace-cmd_3.}" != "$writer" ]; then
			ok "$name: verify reads the $n records of buffer $named, skips the counts, names trace-cmd"
		else
			not_ok "$name: verify reads the $n records of buffer $named, skips the counts, names trace-cmd" \
				"$records records, counts $counts, writer $writer"
		fi ;;
	*)
		if [ "$records" = "$n" ] && [ "$counts" = pass ]; then
			ok "$name: verify passes the counts of its $n records"
		else
			not_ok "$name: verify passes the counts of its $n records" "$records records, counts $counts"
		fi ;;
	esac
done < "$WORK/summary"

# And collections this build makes now, of the fake tracefs of the unit
# tests: trace-cmd prints as many events as report shows.
fresh=()
for kind in v6 v7; do
	compress=()
	[ $kind = v6 ] || compress=(--compress)
	"$HERE/../unit/fake-tracefs.sh" make "$HERE/../unit/fixtures/tracefs" "$WORK/fake-$kind"
	run -q --tracefs "$WORK/fake-$kind" collect --config /dev/null --no-journal --no-kallsyms \
		${compress[@]+"${compress[@]}"} -o "$WORK/fresh-$kind.dat"
	if [ "$rc" != 0 ] && [ $kind = v7 ] && grep -qi zstd "$WORK/err"; then
		skip "a fresh collect --compress" "$(head -n 1 "$WORK/err")"
		continue
	elif [ "$rc" != 0 ]; then
		not_ok "a fresh $kind collection of the fake tracefs" "exit $rc" "$(head -n 3 "$WORK/err")"
		continue
	fi
	fresh+=("$WORK/fresh-$kind.dat")
	n=$(tc_records trace-cmd "$WORK/fresh-$kind.dat")
	events=$("$BOOTRACE" report --config /dev/null --json --last 3 "$WORK/fresh-$kind.dat" 2>/dev/null |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["events"])' 2>/dev/null)
	if [ "$n" -gt 0 ] && [ "$events" = "$n" ]; then
		ok "a fresh $kind collection: report shows the $n events trace-cmd report prints"
	else
		not_ok "a fresh $kind collection: report shows the events trace-cmd report prints" \
			"trace-cmd: $n, report: ${events:-nothing}"
	fi
done

# What trace-cmd says of bootrace's files, of old and of this build: nothing
# left behind, and who wrote them.
for file in "$CORPUS"/bootrace-v6-fixture.dat "$CORPUS"/bootrace-v7-zstd-fixture.dat ${fresh[@]+"${fresh[@]}"}; do
	name=$(basename "$file")
	for tc in trace-cmd ${SID:+"$SID"}; do
		label=$("$tc" --version 2>&1 | grep -o 'version [0-9.]*' | head -n 1)
		left=$("$tc" report --stat "$file" 2>/dev/null | awk '/^entries:/ && $2 != 0' | wc -l)
		entries=$("$tc" report --stat "$file" 2>/dev/null | grep -c '^entries: 0$')
		if [ "$left" = 0 ] && [ "$entries" -gt 0 ]; then
			ok "$name: trace-cmd $label report --stat shows no entries left in the kernel"
		else
			not_ok "$name: trace-cmd $label report --stat shows no entries left in the kernel" "$left CPUs with entries left"
		fi
		if "$tc" report --version "$file" 2>/dev/null | grep -q '^bootrace [0-9]'; then
			ok "$name: trace-cmd $label report --version names bootrace"
		else
			not_ok "$name: trace-cmd $label report --version names bootrace" \
				"$("$tc" report --version "$file" 2>&1 | tail -n 1)"
		fi
	done
done
tap_done
