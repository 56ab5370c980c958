#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build the lifecycle test's initramfs: busybox-static, the bootrace binary
# with the shared libraries ldd lists (loader included), the guest init
# script, its helpers (guest-lib.sh), the VM constants (constants.sh) and
# its settings, and the kernel modules the guest loads.
#
# Usage: mkinitramfs.sh -o OUT.cpio.gz --modules DIR [--bootrace BIN]
#            [--sid-root DIR] [--markers N] [--persistent NAME]
#            [--backup NAME] [--init SCRIPT] [--exec COMMAND]
#            [--examples FILE] [--config FILE] [--test-modules DIR]
#   --modules DIR   holds load-order and the .ko files it names (fetch.sh)
#   --test-modules DIR  the same, put in /lib/test-modules for the test's
#                   own init to load (the guest's setup does not)
#   --sid-root DIR  also add sid's trace-cmd (unpacked by fetch.sh) and use
#                   "trace-cmd extract -k" instead of bootrace to collect
#   --init SCRIPT   the guest's /init (default: guest-init.sh)
#   --exec COMMAND  EXEC in the guest's settings: the command line the
#                   systemd unit runs (crash-init.sh runs it)
#   --examples FILE command lines, one a line, that crash-init.sh runs
#                   after the unit (the man pages' EXAMPLES)
#   --config FILE   the guest's /etc/bootrace.conf
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/constants.sh"
BUSYBOX=/bin/busybox

out= modules= bootrace= sid_root= init=$HERE/guest-init.sh exec_cmd= examples= config= test_modules=
markers=200 persistent=$VM_PERSISTENT backup=$VM_BACKUP

die() { echo "mkinitramfs: error: $*" >&2; exit 1; }

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		-o|--output) out=$2; shift ;;
		--modules) modules=$2; shift ;;
		--bootrace) bootrace=$2; shift ;;
		--sid-root) sid_root=$2; shift ;;
		--markers) markers=$2; shift ;;
		--persistent) persistent=$2; shift ;;
		--backup) backup=$2; shift ;;
		--init) init=$2; shift ;;
		--exec) exec_cmd=$2; shift ;;
		--examples) examples=$2; shift ;;
		--config) config=$2; shift ;;
		--test-modules) test_modules=$2; shift ;;
		*) die "unknown argument: $1" ;;
		esac
		shift
	done
	[ -n "$out" ] || die "-o OUT is required"
	[ -f "$modules/load-order" ] || die "--modules DIR with a load-order file is required"
	[ -n "$bootrace" ] || [ -n "$sid_root" ] || die "--bootrace or --sid-root is required"
	[ -z "$bootrace" ] || [ -x "$bootrace" ] || die "$bootrace is not executable"
}

# Copy BIN to DEST, and every library ldd resolves for it to the same path
# under ROOT, so the guest's loader finds them where the host's did.
copy_with_libs() {
	bin=$1 dest=$2
	cp "$bin" "$root$dest"
	ldd "$bin" | awk '/=> \// { print $3 } /^\t\// { print $1 }' |
	while read -r lib; do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

# sid's trace-cmd runs under sid's own loader from /sid (see trace-cmd-sid).
add_sid_trace_cmd() {
	lib=$sid_root/usr/lib/x86_64-linux-gnu
	mkdir -p "$root/sid/lib"
	cp "$sid_root/usr/bin/trace-cmd" "$root/sid/trace-cmd"
	for f in ld-linux-x86-64.so.2 libc.so.6 libm.so.6 libgcc_s.so.1 \
	         libz.so.1 libzstd.so.1 libtracecmd.so.1 libtracefs.so.1 \
	         libtraceevent.so.1; do
		cp -L "$lib/$f" "$root/sid/lib/$f"
	done
}

main() {
	parse_args "$@"
	[ -x "$BUSYBOX" ] || die "$BUSYBOX missing (apt-get install busybox-static)"
	root=$(mktemp -d)
	trap 'rm -rf "$root"' EXIT
	mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/etc" \
		"$root/lib/modules" "$root/tmp"
	cp "$BUSYBOX" "$root/bin/busybox"
	ln -s busybox "$root/bin/sh"
	cp "$init" "$root/init"
	chmod 755 "$root/init"
	cp "$HERE/guest-lib.sh" "$root/etc/vmtest-lib.sh"
	cp "$HERE/constants.sh" "$root/etc/vmtest-constants.sh"
	while read -r m; do
		cp "$modules/$m" "$root/lib/modules/$m"
	done < "$modules/load-order"
	cp "$modules/load-order" "$root/lib/modules/load-order"
	if [ -n "$test_modules" ]; then
		mkdir -p "$root/lib/test-modules"
		while read -r m; do
			cp "$test_modules/$m" "$root/lib/test-modules/$m"
		done < "$test_modules/load-order"
		cp "$test_modules/load-order" "$root/lib/test-modules/load-order"
	fi
	collector=bootrace
	if [ -n "$bootrace" ]; then
		copy_with_libs "$bootrace" /bin/bootrace
	fi
	if [ -n "$sid_root" ]; then
		add_sid_trace_cmd
		collector=trace-cmd
	fi
	[ -z "$examples" ] || cp "$examples" "$root/etc/vmtest-examples"
	[ -z "$config" ] || cp "$config" "$root/etc/bootrace.conf"
	cat > "$root/etc/vmtest.conf" <<-EOF
	MARKERS=$markers
	PERSISTENT=$persistent
	BACKUP=$backup
	COLLECTOR=$collector
	EXEC='$exec_cmd'
	EOF
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) |
		gzip -1 > "$out"
}

main "$@"
