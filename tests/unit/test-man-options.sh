#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The man pages against the binary: every long option that
# `bootrace [CMD] --help` prints is documented in that command's page, every
# option a page's OPTIONS section documents exists in --help, and the
# `setup --print` examples of bootrace-setup(1) run and print what the page
# shows.
#
# Usage: test-man-options.sh BOOTRACE MANDIR

if [ $# -ne 2 ]; then
	echo "usage: $0 BOOTRACE MANDIR" >&2
	exit 2
fi
bootrace=$1
mandir=$2
failures=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

if [ ! -x "$bootrace" ]; then
	echo "FAIL: $bootrace is not an executable" >&2
	exit 1
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# Long options in text, one per line, without duplicates.
long_options() {
	grep -oE -- '(^|[^-[:alnum:]])--[[:alpha:]][-[:alnum:]]*' "$1" |
		sed 's/^[^-]*//' | sort -u
}

# The OPTIONS section of a page: its definition lines (starting with *-).
page_options() {
	sed -n '/^# OPTIONS/,/^# /p' "$1" | grep '^\*-' > "$tmp/defs"
	long_options "$tmp/defs"
}

for cmd in '' setup collect verify status list report; do
	if [ -z "$cmd" ]; then
		page=$mandir/bootrace.1.scd
		what="bootrace --help"
	else
		page=$mandir/bootrace-$cmd.1.scd
		what="bootrace $cmd --help"
	fi
	if [ ! -r "$page" ]; then
		fail "$page: missing"
		continue
	fi
	# shellcheck disable=SC2086 # $cmd is one word or nothing
	if ! "$bootrace" $cmd --help > "$tmp/help" 2> "$tmp/err"; then
		fail "$what exits non-zero: $(cat "$tmp/err")"
		continue
	fi
	long_options "$tmp/help" > "$tmp/help-opts"
	if [ ! -s "$tmp/help-opts" ]; then
		fail "$what prints no long options"
		continue
	fi
	while read -r opt; do
		grep -qE -- "$opt([^-[:alnum:]]|\$)" "$page" ||
			fail "$what prints $opt, but ${page##*/} does not document it"
	done < "$tmp/help-opts"
	page_options "$page" > "$tmp/page-opts"
	while read -r opt; do
		grep -qxF -- "$opt" "$tmp/help-opts" ||
			fail "${page##*/} documents $opt, but $what does not print it"
	done < "$tmp/page-opts"
done

# The setup examples: in the literal blocks of EXAMPLES, a line
# "$ bootrace setup ... --print ..." is run; the line after it, when it is a
# fragment, is what the last line of standard output must be.
page=$mandir/bootrace-setup.1.scd
sed -n '/^# EXAMPLES/,/^# SEE ALSO/p' "$page" | sed 's/^[[:space:]]*//' > "$tmp/examples"
nr=0
expect=
while IFS= read -r line; do
	if [ -n "$expect" ]; then
		args=$expect
		expect=
		nr=$((nr + 1))
		case $line in
		reserve_mem=*) want=$line ;;
		*) want= ;;
		esac
		eval "set -- $args" || { fail "example '$args': cannot parse"; continue; }
		"$bootrace" setup "$@" > "$tmp/out" 2> "$tmp/err"
		rc=$?
		if [ $rc -ne 0 ]; then
			fail "example 'bootrace setup $args' exits $rc: $(cat "$tmp/err")"
			continue
		fi
		got=$(tail -n 1 "$tmp/out")
		# reserve_mem=SIZE:ALIGN:LABEL trace_instance=P@LABEL[,EVENTS] trace_instance=B=P
		name='[[:alnum:]][-_[:alnum:]]*'
		form="^reserve_mem=[0-9]+[KMG]?:[0-9]+:($name) trace_instance=($name)(\\^[a-z]+)*@\\1(,[^ ]+)?( trace_instance=$name=\\2)?\$"
		if ! printf '%s\n' "$got" | grep -qE -- "$form"; then
			fail "example 'bootrace setup $args' prints '$got', not a fragment of the documented form"
		elif [ -n "$want" ] && [ "$got" != "$want" ]; then
			fail "example 'bootrace setup $args' prints '$got'; bootrace-setup(1) shows '$want'"
		fi
	fi
	case $line in
	'$ bootrace setup '*--print*) expect=${line#'$ bootrace setup '} ;;
	esac
done < "$tmp/examples"
# An example on the last line has no output line after it.
[ -n "$expect" ] && fail "example 'bootrace setup $expect' shows no output"
[ $nr -gt 0 ] || fail "bootrace-setup.1.scd has no 'bootrace setup --print' example"

if [ $failures -ne 0 ]; then
	echo "$failures failure(s)" >&2
	exit 1
fi
echo "man pages match the options of $bootrace; $nr setup example(s) ran"
