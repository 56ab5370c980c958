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
# Prints TAP; exits non-zero if a check failed.

if [ $# -ne 2 ]; then
	echo "usage: $0 BOOTRACE MANDIR" >&2
	exit 2
fi
bootrace=$1
mandir=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/tap.sh"

[ -x "$bootrace" ] || bail_out "$bootrace is not an executable"

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
		not_ok "$page exists"
		continue
	fi
	# shellcheck disable=SC2086 # $cmd is one word or nothing
	if ! "$bootrace" $cmd --help > "$tmp/help" 2> "$tmp/err"; then
		not_ok "$what exits 0" "$(cat "$tmp/err")"
		continue
	fi
	long_options "$tmp/help" > "$tmp/help-opts"
	if [ ! -s "$tmp/help-opts" ]; then
		not_ok "$what prints long options"
		continue
	fi
	missing=
	while read -r opt; do
		grep -qE -- "$opt([^-[:alnum:]]|\$)" "$page" || missing="$missing $opt"
	done < "$tmp/help-opts"
	if [ -z "$missing" ]; then
		ok "${page##*/} documents every option $what prints"
	else
		not_ok "${page##*/} documents every option $what prints" "not documented:$missing"
	fi
	page_options "$page" > "$tmp/page-opts"
	extra=
	while read -r opt; do
		grep -qxF -- "$opt" "$tmp/help-opts" || extra="$extra $opt"
	done < "$tmp/page-opts"
	if [ -z "$extra" ]; then
		ok "$what prints every option ${page##*/} documents"
	else
		not_ok "$what prints every option ${page##*/} documents" "not printed:$extra"
	fi
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
		eval "set -- $args" || { not_ok "example 'bootrace setup $args' parses"; continue; }
		"$bootrace" setup "$@" > "$tmp/out" 2> "$tmp/err"
		rc=$?
		if [ $rc -ne 0 ]; then
			not_ok "example 'bootrace setup $args' exits 0" "exit $rc: $(cat "$tmp/err")"
			continue
		fi
		got=$(tail -n 1 "$tmp/out")
		# reserve_mem=SIZE:ALIGN:LABEL trace_instance=P@LABEL[,EVENTS] trace_instance=B=P
		name='[[:alnum:]][-_[:alnum:]]*'
		form="^reserve_mem=[0-9]+[KMG]?:[0-9]+:($name) trace_instance=($name)(\\^[a-z]+)*@\\1(,[^ ]+)?( trace_instance=$name=\\2)?\$"
		desc="example 'bootrace setup $args' prints ${want:+what bootrace-setup(1) shows, }a fragment of the documented form"
		if ! printf '%s\n' "$got" | grep -qE -- "$form"; then
			not_ok "$desc" "got '$got', not of the documented form"
		elif [ -n "$want" ] && [ "$got" != "$want" ]; then
			not_ok "$desc" "got '$got'; bootrace-setup(1) shows '$want'"
		else
			ok "$desc"
		fi
	fi
	case $line in
	'$ bootrace setup '*--print*) expect=${line#'$ bootrace setup '} ;;
	esac
done < "$tmp/examples"
# An example on the last line has no output line after it.
[ -z "$expect" ] || not_ok "example 'bootrace setup $expect' shows its output"
[ $nr -gt 0 ] || not_ok "bootrace-setup.1.scd has a 'bootrace setup --print' example"
note "$nr setup example(s) ran"
tap_done
