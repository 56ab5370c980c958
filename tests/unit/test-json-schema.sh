#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Every --json output against its published schema (schema/*.schema.json,
# JSON Schema 2020-12, checked with python3-jsonschema): list, report,
# status and verify on a collection of the fake tracefs built from
# fixtures/tracefs. And what report --json promises beyond the schema:
# each last event with its name, pid and its own fields as the trace
# holds them.
#
#   test-json-schema.sh path/to/bootrace SCHEMA_DIR
#
# Prints TAP; exits non-zero if any check fails.
set -eu

[ $# -eq 2 ] || { echo "usage: $0 path/to/bootrace SCHEMA_DIR" >&2; exit 2; }
BOOTRACE=$(realpath "$1")
SCHEMAS=$(realpath "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

. "$HERE/../lib/tap.sh"
tap_stderr_file=$WORK/err

# Debian's python3 carries python3-jsonschema (tests/install-deps.sh); a
# python3 earlier in PATH may not.
PYTHON=
for py in /usr/bin/python3 python3; do
	if "$py" -c 'import jsonschema' 2> /dev/null; then PYTHON=$py; break; fi
done
[ -n "$PYTHON" ] || skip_all "no python3 with the jsonschema module (python3-jsonschema; tests/install-deps.sh)"

run() {
	rc=0
	"$BOOTRACE" "$@" > "$WORK/out" 2> "$WORK/err" || rc=$?
}

# valid NAME SCHEMA FILE: FILE is valid against SCHEMA; the errors otherwise.
valid() {
	local why
	if why=$("$PYTHON" - "$SCHEMAS/$2" "$3" 2>&1 <<'EOF'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
doc = json.load(open(sys.argv[2]))
errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(doc), key=str)
for e in errors[:5]:
    print("/".join(map(str, e.absolute_path)) + ": " + e.message)
sys.exit(1 if errors else 0)
EOF
	); then
		ok "$1"
	else
		not_ok "$1" "$why"
	fi
}

"$HERE/fake-tracefs.sh" make "$HERE/fixtures/tracefs" "$WORK/fake"
STATE=$WORK/state
# The fake backup's boot left its decoder there: verify's decode check passes.
"$HERE/fake-tracefs.sh" decoder "$HERE/fixtures/tracefs" "$STATE"
run --tracefs "$WORK/fake" collect --state-dir "$STATE"
check "collect into a state directory: exit 0 ($rc)" [ "$rc" -eq 0 ]

for cmd in list report status verify; do
	case $cmd in
	list) run list --json --state-dir "$STATE" ;;
	report) run report --json -n 3 --state-dir "$STATE" ;;
	status) run --tracefs "$WORK/fake" status --json --state-dir "$STATE" ;;
	verify) run verify --offline --json --state-dir "$STATE" ;;
	esac
	cp "$WORK/out" "$WORK/$cmd.json"
	check "$cmd --json: exit 0 ($rc)" [ "$rc" -eq 0 ]
	valid "$cmd --json matches bootrace-$cmd.schema.json" "bootrace-$cmd.schema.json" "$WORK/$cmd.json"
done

run list --json --state-dir "$WORK/none"
cp "$WORK/out" "$WORK/list-empty.json"
valid "list --json of a missing state directory matches the schema" bootrace-list.schema.json "$WORK/list-empty.json"

# The fixture holds trace_marker writes (ftrace:print): each CPU's last
# events carry the marker text in the print event's own buf field.
if why=$("$PYTHON" - "$WORK/report.json" 2>&1 <<'EOF'
import json, re, sys
r = json.load(open(sys.argv[1]))
assert r["panic"] == "unknown" and r["panic_message"] is None, "no kernel messages traced: panic unknown"
seen = 0
for c in r["cpus"]:
    assert len(c["last"]) == min(3, c["events"]), c
    for e in c["last"]:
        assert e["event"] == "ftrace:print", e
        assert isinstance(e["pid"], int) and e["pid"] > 0, e
        f = e["fields"]
        assert set(f) == {"ip", "buf"}, f
        assert isinstance(f["ip"], int), f
        m = re.match(r"bootrace fixture marker (\d+) on cpu(\d+)", f["buf"])
        assert m and int(m.group(2)) == c["cpu"], f
        assert m.group(0) in e["text"], e
        seen += 1
assert seen > 0
EOF
); then
	ok "report --json: each last event has its name, pid and fields (buf holds the marker of its CPU)"
else
	not_ok "report --json: each last event has its name, pid and fields (buf holds the marker of its CPU)" "$why"
fi

for cmd in list report status verify; do
	check "$cmd --json: schema_version 1, as its man page and schema say" \
		grep -q '^{"schema_version":1,' "$WORK/$cmd.json"
done
tap_done
