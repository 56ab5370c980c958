#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Install, with apt-get, everything the build and all tests need on Debian 12.
# Idempotent and quiet when all is present: apt is only run for what's missing.
set -eu

PACKAGES="
	gcc
	clang
	libclang-rt-dev
	pkg-config
	meson
	ninja-build
	scdoc
	libtracefs-dev
	libtraceevent-dev
	libtracecmd-dev
	trace-cmd
	qemu-system-x86
	busybox-static
	cpio
	gzip
	zstd
	libzstd-dev
	xz-utils
	kmod
	ca-certificates
	apt
	dpkg
	tar
	coreutils
	util-linux
	patch
	debootstrap
	fdisk
	e2fsprogs
	ovmf
	dosfstools
	mtools
	debhelper
	dpkg-dev
	fakeroot
	lintian
	libsystemd-dev
	systemd
	systemd-journal-remote
	socat
	python3
	python3-jsonschema
	iproute2
"

missing_packages() {
	for p in $PACKAGES; do
		status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) || status=
		[ "$status" = installed ] || echo "$p"
	done
}

main() {
	missing=$(missing_packages)
	[ -n "$missing" ] || exit 0
	if [ "$(id -u)" != 0 ]; then
		echo "install-deps: missing packages:" $missing >&2
		echo "install-deps: run as root to install them" >&2
		exit 1
	fi
	echo "install-deps: installing:" $missing >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	# shellcheck disable=SC2086 # word splitting of the package list is wanted
	apt-get install -q -y --no-install-recommends $missing >/dev/null
}

main "$@"
