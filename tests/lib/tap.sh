# SPDX-License-Identifier: GPL-2.0-or-later
#
# The TAP producer of every shell test, sourced (POSIX sh and bash alike):
#
#   ok DESC                  a check that passed
#   not_ok DESC [DETAIL...]  a check that failed; each DETAIL follows as a
#                            "#   DETAIL" line, then the first lines of
#                            $tap_stderr_file if the test names one
#   check DESC COMMAND...    ok when COMMAND succeeds, not_ok otherwise
#   tap OK|FAIL DESC         a result decided elsewhere (a helper's output)
#   skip DESC WHY            a check that cannot run here: "ok N - DESC # SKIP WHY"
#   note TEXT...             a comment line
#   skip_all WHY             the whole test cannot run, for want of a
#                            resource: plan "1..0 # SKIP WHY", exit 77
#   bail_out WHY             "Bail out! WHY", exit 1
#   tap_plan                 the plan, "1..N", after the last check
#   tap_passed               succeeds when checks ran and none failed
#   tap_done                 tap_plan, then tap_passed's status: the last
#                            command of a test, so it exits non-zero on a
#                            failure
#
# tap_n counts the checks, tap_failed the failed ones. Every function but
# skip_all and bail_out returns 0, so a failed check never stops a test
# running under "set -e". A description stays on one line: a newline in it
# (some options under test carry one) is printed as "\n".

tap_n=0
tap_failed=0
tap_stderr_file=

tap_line() { # RESULT DESC [DIRECTIVE]
	tap_n=$((tap_n + 1))
	case $2 in
	*'
'*)	set -- "$1" "$(printf '%s' "$2" | awk 'NR > 1 { printf "\\n" } { printf "%s", $0 }')" "${3:-}" ;;
	esac
	printf '%s %d - %s%s\n' "$1" "$tap_n" "$2" "${3:+ # $3}"
}

ok() { tap_line ok "$1"; }

not_ok() { # DESC [DETAIL...]
	tap_failed=$((tap_failed + 1))
	tap_line "not ok" "$1"
	shift
	for tap_detail in "$@"; do
		printf '#   %s\n' "$tap_detail"
	done
	if [ -n "$tap_stderr_file" ] && [ -s "$tap_stderr_file" ]; then
		sed 's/^/#   stderr: /' "$tap_stderr_file" | head -n 5
	fi
	return 0
}

check() { # DESC COMMAND...
	tap_desc=$1
	shift
	if "$@"; then ok "$tap_desc"; else not_ok "$tap_desc"; fi
}

tap() { # OK|FAIL DESC
	if [ "$1" = OK ]; then ok "$2"; else not_ok "$2"; fi
}

skip() { tap_line ok "$1" "SKIP $2"; }

note() { printf '# %s\n' "$*"; }

skip_all() {
	printf '1..0 # SKIP %s\n' "$*"
	exit 77
}

bail_out() {
	printf 'Bail out! %s\n' "$*"
	exit 1
}

tap_plan() { echo "1..$tap_n"; }

tap_passed() { [ "$tap_n" -gt 0 ] && [ "$tap_failed" -eq 0 ]; }

tap_done() {
	tap_plan
	[ "$tap_n" -gt 0 ] || note "no checks ran"
	tap_passed
}
