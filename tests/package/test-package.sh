#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bootrace's Debian package as a user builds it: dpkg-buildpackage -us -uc
# -b from this tree (build-deb.sh), lintian with no error and no warning
# left unexplained (debian/bootrace.lintian-overrides says why each is
# kept), and what the package must hold: the command with journal support,
# the boot unit enabled by dh_installsystemd but not started, the man
# pages, the catalog, the JSON schemas, /etc/bootrace.conf as a conffile
# that bootrace reads, maintainer scripts that make /var/lib/bootrace 0700,
# undo "bootrace setup" on removal and delete the state on purge.
# Installing and removing it for real is the image tests' part
# (tests/vm/grub-boot.sh, tests/vm/systemd-crash.sh).
#
# Usage: test-package.sh OUT_DIR
# Prints TAP; exits 1 if a check failed, 77 if dpkg-buildpackage, a build
# dependency or lintian is missing.
set -u

[ $# -eq 1 ] || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/tap.sh"
command -v lintian > /dev/null || skip_all "lintian is not installed (tests/install-deps.sh)"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

rc=0
deb=$("$HERE/build-deb.sh" "$1" 2> "$WORK/build.err" | tail -n 1) || rc=$?
[ $rc -ne 77 ] || skip_all "$(grep SKIP "$WORK/build.err" | head -n 1)"
sed 's/^/# /' "$WORK/build.err"
check "dpkg-buildpackage -us -uc -b builds the package (exit $rc)" test $rc -eq 0 -a -f "$deb"
[ -f "$deb" ] || bail_out "no package to check"
changes=${deb%.deb}.changes

# lintian refuses to run as root without saying so; the result is the same.
rc=0
lintian --display-info --pedantic --fail-on error,warning "$changes" > "$WORK/lintian.txt" 2> "$WORK/lintian.err" || rc=$?
sed 's/^/# lintian: /' "$WORK/lintian.txt"
check "lintian: no error, no warning (exit $rc)" \
	bash -c "[ $rc -eq 0 ] && ! grep -q '^[EW]: ' '$WORK/lintian.txt'"

dpkg-deb -x "$deb" "$WORK/root"
dpkg-deb -e "$deb" "$WORK/control"
has() { [ -e "$WORK/root/$1" ]; }
check "it holds /usr/bin/bootrace" has usr/bin/bootrace
check "built with journal support (linked to libsystemd)" \
	bash -c "readelf -d '$WORK/root/usr/bin/bootrace' | grep -q 'NEEDED.*libsystemd'"
check "and with zstd (collect --compress)" \
	bash -c "readelf -d '$WORK/root/usr/bin/bootrace' | grep -q 'NEEDED.*libzstd'"
check "the boot unit in /lib/systemd/system, running /usr/bin/bootrace" \
	grep -q '^ExecStart=/usr/bin/bootrace ' "$WORK/root/lib/systemd/system/bootrace-collect.service"
for page in bootrace.1 bootrace-setup.1 bootrace-collect.1 bootrace-verify.1 bootrace-status.1 \
	bootrace-list.1 bootrace-report.1 bootrace.conf.5; do
	check "man page $page" has "usr/share/man/man${page##*.}/$page.gz"
done
check "the catalog for journalctl -x" has usr/lib/systemd/catalog/bootrace.catalog
for s in list report status verify; do
	check "the JSON schema of $s --json" has "usr/share/bootrace/schema/bootrace-$s.schema.json"
done
check "/etc/bootrace.conf is a conffile" grep -qx /etc/bootrace.conf "$WORK/control/conffiles"
rc=0
"$WORK/root/usr/bin/bootrace" list --config "$WORK/root/etc/bootrace.conf" --state-dir "$WORK/none" \
	> /dev/null 2> "$WORK/conf.err" || rc=$?
check "bootrace reads the packaged bootrace.conf (exit $rc)" test $rc -eq 0 -a ! -s "$WORK/conf.err"
check "no /var/lib/bootrace in the package: the postinst makes it, so removing keeps the collections" \
	bash -c "! dpkg-deb -c '$deb' | grep -q 'var/lib/bootrace'"
check "postinst makes /var/lib/bootrace 0700" grep -q 'install -d -m 0700 .*/var/lib/bootrace' "$WORK/control/postinst"
check "postinst enables bootrace-collect.service (dh_installsystemd)" \
	grep -q "deb-systemd-helper enable 'bootrace-collect.service'" "$WORK/control/postinst"
check "and starts no unit at install (they run at boot)" bash -c "! grep -q 'deb-systemd-invoke.*start' '$WORK/control/postinst'"
check "prerm runs bootrace setup --remove on removal" \
	bash -c "grep -q 'bootrace setup --remove' '$WORK/control/prerm' && grep -q '\"\$1\" = remove' '$WORK/control/prerm'"
check "postrm deletes /var/lib/bootrace on purge" grep -q 'rm -rf /var/lib/bootrace' "$WORK/control/postrm"
for s in postinst prerm postrm; do
	check "$s is valid sh" sh -n "$WORK/control/$s"
done
tap_done
