# SPDX-License-Identifier: GPL-2.0-or-later
#
# bootrace's Debian package in the image tests (grub-boot.sh,
# systemd-crash.sh), sourced after host-lib.sh: what they test is what a
# user installs. The package is built from this tree by
# tests/package/build-deb.sh (once per tree into DEB_DIR), installed into
# the image mounted at $mnt with the image's own dpkg, and at the end
# removed and purged with the image's apt-get, which must leave the image
# as it was before the install: its files, their modes and contents, the
# bootloader's configuration included.

PACKAGE_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# The .deb of this tree in DEB_DIR (built if the tree changed); sets deb.
# Skips the test without dpkg-buildpackage or a build dependency.
package_build() { # DEB_DIR
	local rc=0
	deb=$("$PACKAGE_LIB_DIR/../package/build-deb.sh" "$1" 2> "$work/build-deb.err" | tail -n 1) || rc=$?
	sed 's/^/# /' "$work/build-deb.err"
	[ $rc -ne 77 ] || skip_all "the package cannot be built here: $(grep SKIP "$work/build-deb.err" | head -n 1)"
	[ $rc -eq 0 ] && [ -f "$deb" ] || die "building the package failed (tests/package/build-deb.sh $1)"
}

# What the image at $mnt holds, one line per file: path, type, mode,
# owner, and for regular files and links their content. Left out: what
# dpkg and apt keep about packages and their logs and caches, which an
# install and a purge rightly change.
package_snapshot() { # OUT
	(cd "$mnt" && find . -xdev \( -path ./var/lib/dpkg -o -path ./var/lib/apt -o -path ./var/cache \
		-o -path ./var/log -o -path ./tmp -o -path ./proc -o -path ./sys -o -path ./dev \) -prune -o \
		-printf '%p %y %m %u:%g %l\n' | LC_ALL=C sort) > "$1.meta"
	(cd "$mnt" && find . -xdev \( -path ./var/lib/dpkg -o -path ./var/lib/apt -o -path ./var/cache \
		-o -path ./var/log -o -path ./tmp -o -path ./proc -o -path ./sys -o -path ./dev \) -prune -o \
		-type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) > "$1.sums"
}

# Whether the image is as the snapshot OUT says; the differences go to OUT.diff.
package_same() { # SNAPSHOT
	local now=$work/snapshot-now
	package_snapshot "$now"
	{ diff "$1.meta" "$now.meta"; diff "$1.sums" "$now.sums"; } > "$1.diff"
}

# dpkg -i the package in the image at $mnt, as a user would; TAP checks.
package_install() {
	local rc=0 name
	name=$(basename "$deb")
	cp "$deb" "$mnt/tmp/$name"
	in_chroot dpkg -i "/tmp/$name" > "$work/dpkg-install.log" 2>&1 || rc=$?
	rm -f "$mnt/tmp/$name"
	sed 's/^/# dpkg -i: /' "$work/dpkg-install.log"
	check "dpkg -i $name in the image exit 0 (got $rc)" [ $rc -eq 0 ]
	check "dpkg: bootrace is installed" \
		bash -c "chroot '$mnt' dpkg-query -W -f='\${db:Status-Status}' bootrace | grep -qx installed"
	check "the package's /usr/bin/bootrace runs in the image" \
		bash -c "chroot '$mnt' /usr/bin/bootrace --version > /dev/null"
	check "/etc/bootrace.conf is there, a conffile" \
		bash -c "[ -f '$mnt/etc/bootrace.conf' ] && chroot '$mnt' dpkg-query -W -f='\${Conffiles}' bootrace | grep -q ' /etc/bootrace.conf '"
	check "/var/lib/bootrace is 0700, root's" \
		bash -c "[ \"\$(stat -c '%a %U' '$mnt/var/lib/bootrace')\" = '700 root' ]"
}

# apt-get remove, then purge, in the image at $mnt; TAP checks. After the
# removal the next boot's command line has no bootrace argument (the
# package ran "bootrace setup --remove"); after the purge the image is as
# SNAPSHOT (taken before the install) says, or, with "-" for an image that
# has since booted and so changed by itself, nothing named after bootrace
# is left but the test's own files (NAME-test). Uses: GRUB_CFG (the
# image's grub.cfg, or empty where none is generated).
package_remove_purge() { # SNAPSHOT|-
	local rc=0
	in_chroot apt-get remove -y -q bootrace > "$work/apt-remove.log" 2>&1 || rc=$?
	sed 's/^/# apt-get remove: /' "$work/apt-remove.log"
	check "apt-get remove bootrace in the image exit 0 (got $rc)" [ $rc -eq 0 ]
	check "removed: no /usr/bin/bootrace" [ ! -e "$mnt/usr/bin/bootrace" ]
	check "the removal ran bootrace setup --remove: no drop-in left" [ ! -e "$mnt/etc/default/grub.d/bootrace.cfg" ]
	if [ -n "${GRUB_CFG:-}" ]; then
		check "and grub.cfg, regenerated, has no bootrace argument" \
			bash -c "[ -s '$mnt$GRUB_CFG' ] && ! grep -qE 'reserve_mem=|trace_instance=' '$mnt$GRUB_CFG'"
	fi
	check "removing keeps /etc/bootrace.conf and the collections until purge" \
		bash -c "[ -f '$mnt/etc/bootrace.conf' ] && [ -d '$mnt/var/lib/bootrace' ]"
	rc=0
	in_chroot apt-get purge -y -q bootrace > "$work/apt-purge.log" 2>&1 || rc=$?
	sed 's/^/# apt-get purge: /' "$work/apt-purge.log"
	check "apt-get purge bootrace in the image exit 0 (got $rc)" [ $rc -eq 0 ]
	check "dpkg: bootrace is gone" \
		bash -c "! chroot '$mnt' dpkg-query -W -f='\${db:Status-Status}' bootrace 2> /dev/null | grep -q ."
	if [ "$1" = - ]; then
		(cd "$mnt" && find . -xdev \( -path ./var/log -o -path ./proc -o -path ./sys -o -path ./dev \) -prune -o \
			-iname '*bootrace*' ! -iname '*-test*' -print) > "$work/leftovers.txt"
		check "after the purge no file of bootrace's is left in the image" [ ! -s "$work/leftovers.txt" ]
		sed 's/^/#   left: /' "$work/leftovers.txt" | head -n 20
		if [ -x "$mnt/bin/journalctl" ]; then
			check "and the image's catalog database no longer explains its entries" \
				bash -c "! chroot '$mnt' journalctl --dump-catalog ad2813783d9e42529a3f6115a61a5a56 2> /dev/null | grep -q ."
		fi
		return 0
	fi
	package_same "$1"
	check "after the purge the image is as before the install (files, modes, contents)" [ ! -s "$1.diff" ]
	[ ! -s "$1.diff" ] || head -n 20 "$1.diff" | sed 's/^/#   /'
}
