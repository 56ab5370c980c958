#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Fetch what the VM tests need from the Debian archive into a cache:
#   - the newest Debian cloud kernel >= 7.1 from sid or trixie-backports
#     (vmlinuz, config, System.map, and the modules the guest loads);
#   - sid's trace-cmd 3.4 with its libraries and sid's glibc, runnable on
#     this host through tests/vm/trace-cmd-sid.
#
# A private apt sources list, state dir and cache live inside the cache dir,
# so nothing of the system's apt configuration changes. Once the cache is
# complete, a run does no network access unless --refresh is given.
#
# Usage: fetch.sh [--refresh] [--quiet] [--test-modules] [--line X.Y | --lines]
#   --line X.Y  the newest kernel of that line instead (e.g. 6.12, 7.0),
#               from any of the suites, for the kernel matrix
#   --lines     print the newest kernel ABI of every line >= 6.12 offered
#   --test-modules  the kernel's directory also holds test-modules/ (see
#               TEST_MODULES), fetched again if an older fetch lacks it
# Prints, as its last stdout line, the path of the chosen kernel's directory.
# Exit 0 ok, 77 the archive cannot be reached and the cache is incomplete
# (or it offers no kernel >= 7.1), 1 any other failure.
set -eu
# modinfo lives in /sbin, which a non-login root shell may lack
PATH=$PATH:/usr/sbin:/sbin

MIN_KERNEL=7.1
# Modules the guest loads (their dependencies are added first): none. The
# result disk is NVMe, built into every Debian cloud kernel from 6.12 on,
# while the archive no longer has the module packages of some releases.
GUEST_MODULES=""
# Modules a test loads itself, kept in test-modules/ with a load-order of
# their own, which the guests' setup does not load: softdog arms an hrtimer
# whose function is the module's (kernel-change.sh, module symbols). Left
# out where the archive has no modules of the kernel.
TEST_MODULES="softdog"
SID_PACKAGES="trace-cmd libtracecmd1"
SUITES="sid trixie trixie-updates trixie-backports"
MIRROR=${BOOTRACE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# trixie's newest 6.12 is often only in the security suite.
SECURITY_MIRROR=${BOOTRACE_DEBIAN_SECURITY_MIRROR:-${MIRROR%/debian}/debian-security}
OLDEST_LINE=6.12

CACHE=${BOOTRACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bootrace}
APTDIR=$CACHE/apt
refresh=false
quiet=false
line=
list_lines=false
test_modules=false

say() { $quiet || echo "fetch: $*" >&2; }
die() { echo "fetch: error: $*" >&2; exit 1; }
skip() { echo "fetch: SKIP: $*" >&2; exit 77; }

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--refresh) refresh=true ;;
		--quiet|-q) quiet=true ;;
		--line) line=$2; shift ;;
		--lines) list_lines=true ;;
		--test-modules) test_modules=true ;;
		-h|--help) sed -n '4,20p' "$0"; exit 0 ;;
		*) die "unknown argument: $1" ;;
		esac
		shift
	done
}

# Every apt call goes through here: its own sources, lists, cache and an
# empty dpkg status, so the host's installed packages don't influence the
# choice and the host's apt state is never touched.
apt_private() {
	tool=$1; shift
	"$tool" -q \
		-oDir::Etc::SourceList="$APTDIR/sources.list" \
		-oDir::Etc::SourceParts=/dev/null \
		-oDir::Etc::Preferences=/dev/null \
		-oDir::Etc::PreferencesParts=/dev/null \
		-oDir::State::Lists="$APTDIR/lists" \
		-oDir::State::status=/dev/null \
		-oDir::Cache="$APTDIR/cache" \
		-oAPT::Architecture=amd64 \
		-oAPT::Architectures::=amd64 \
		-oAPT::Sandbox::User=root \
		"$@"
}

apt_update() {
	mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial"
	: > "$APTDIR/sources.list"
	for s in $SUITES; do
		echo "deb $MIRROR $s main" >> "$APTDIR/sources.list"
	done
	echo "deb $SECURITY_MIRROR trixie-security main" >> "$APTDIR/sources.list"
	say "updating package lists for: $SUITES"
	if ! apt_private apt-get update > "$APTDIR/update.log" 2>&1 ||
	   grep -q '^[WE]: Failed to fetch' "$APTDIR/update.log"; then
		cat "$APTDIR/update.log" >&2
		return 1
	fi
}

# Download package NAME (optionally NAME/SUITE) into directory DIR and
# unpack it into DIR/root.
download_unpack() {
	pkg=$1 dir=$2
	mkdir -p "$dir/root"
	(cd "$dir" && apt_private apt-get download "$pkg" > /dev/null) ||
		die "apt-get download $pkg failed"
	deb=$(ls -t "$dir"/*.deb | head -n 1)
	dpkg-deb -x "$deb" "$dir/root"
	echo "$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)" >> "$dir/packages.list"
	rm -f "$deb"
}

# Every cloud kernel ABI name (e.g. 7.3.4+deb13-cloud-amd64) the archive
# still offers, as "VERSION ABI" lines: linux-image-<abi> up to 6.18,
# linux-binary-<abi> from 6.19.
offered_kernels() {
	{ apt_private apt-cache pkgnames linux-binary-; apt_private apt-cache pkgnames linux-image-; } |
	sed -n 's/^linux-\(binary\|image\)-\([0-9][0-9.]*+[a-z0-9.]*-cloud-amd64\)$/\2/p' |
	sort -u | while read -r abi; do
		# pkgnames also lists names that have no version any more
		apt_private apt-cache madison "linux-image-$abi" "linux-binary-$abi" | grep -q . || continue
		echo "${abi%%+*} $abi"
	done | sort -V
}

# The newest kernel ABI >= MIN_KERNEL, or nothing.
newest_kernel_abi() {
	offered_kernels | while read -r v abi; do
		dpkg --compare-versions "$v" ge "$MIN_KERNEL" && echo "$abi"
	done | tail -n 1
}

# The newest ABI of line X.Y (e.g. 6.12), or nothing.
newest_of_line() {
	offered_kernels | awk -v l="$1" '{ split($1, v, "."); if (v[1] "." v[2] == l) abi = $2 } END { if (abi) print abi }'
}

# The newest ABI of every line from OLDEST_LINE on.
newest_of_each_line() {
	offered_kernels | awk '{ split($1, v, "."); last[v[1] "." v[2]] = $2 } END { for (l in last) print l, last[l] }' |
	sort -V | while read -r l abi; do
		dpkg --compare-versions "$l" ge "$OLDEST_LINE" && echo "$abi"
	done
}

# Print module NAME's file, after those of its dependencies (load order).
# The package ships no modules.dep (depmod runs at install), so ask each
# module for its "depends" field instead.
module_with_deps() {
	mdir=$1 name=$2
	file=$(find "$mdir/kernel" -name "$name.ko*" | head -n 1)
	[ -n "$file" ] || die "module $name not found under $mdir"
	deps=$(modinfo -F depends "$file") || die "modinfo $file failed"
	# In a subshell: sh has no local variables, and the recursion sets file.
	(for d in $(echo "$deps" | tr ',' ' '); do
		module_with_deps "$mdir" "$d"
	done)
	echo "$file"
}

module_load_order() { # MODULES-DIR MODULE...
	mdir=$1
	shift
	for m in "$@"; do
		module_with_deps "$mdir" "$m"
	done | awk '!seen[$0]++'
}

# MODULE... with their dependencies into OUT, with OUT/load-order.
# Decompressed here so the guest's busybox insmod needs no xz support.
# "optional": a module the packages do not hold (the archive no longer has
# the module packages of some releases) is left out, and said so.
keep_modules() { # MODULES-DIR OUT required|optional MODULE...
	from=$1 out=$2 need=$3
	shift 3
	mkdir -p "$out"
	if [ "$need" = optional ]; then
		for m in "$@"; do
			shift
			if [ -n "$(find "$from/kernel" -name "$m.ko*" 2>/dev/null | head -n 1)" ]; then
				set -- "$@" "$m"
			else
				say "$abi's packages hold no module $m: left out"
			fi
		done
	fi
	module_load_order "$from" "$@" | while read -r file; do
		name=$(basename "$file")
		case $name in
		*.xz) xz -dc "$file" > "$out/${name%.xz}" ;;
		*.zst) zstd -qdc "$file" > "$out/${name%.zst}" ;;
		*.gz) gzip -dc "$file" > "$out/${name%.gz}" ;;
		*) cp "$file" "$out/$name" ;;
		esac
		echo "${name%%.ko*}.ko" >> "$out/load-order"
	done
	touch "$out/load-order"
}

fetch_kernel() {
	abi=$1
	kdir=$CACHE/kernel/$abi
	if [ -s "$kdir/vmlinuz" ] && [ -f "$kdir/modules/load-order" ] &&
	   { ! $test_modules || [ -f "$kdir/test-modules/load-order" ]; }; then
		say "kernel $abi already cached"
		return
	fi
	tmp=$CACHE/kernel/.tmp-$abi
	rm -rf "$tmp"
	mkdir -p "$tmp"
	say "downloading kernel $abi"
	mkdir -p "$tmp/out/modules"
	# Up to 6.18 one linux-image package holds everything; later the
	# kernel, its config and its modules are split, differently by release.
	for p in linux-binary linux-base linux-modules linux-image; do
		[ $p != linux-image ] || [ ! -s "$tmp/packages.list" ] || break
		apt_private apt-cache madison "$p-$abi" | grep -q . || continue
		download_unpack "$p-$abi" "$tmp"
	done
	mdir=$tmp/root/usr/lib/modules/$abi
	[ -d "$mdir" ] || mdir=$tmp/root/lib/modules/$abi
	for f in vmlinuz config System.map; do
		for src in "$mdir/$f" "$tmp/root/boot/$f-$abi"; do
			[ -s "$src" ] || continue
			cp "$src" "$tmp/out/$f"
			break
		done
	done
	[ -s "$tmp/out/vmlinuz" ] || die "no vmlinuz in the packages of $abi"
	cp "$tmp/packages.list" "$tmp/out/"
	keep_modules "$mdir" "$tmp/out/modules" required $GUEST_MODULES
	keep_modules "$mdir" "$tmp/out/test-modules" optional $TEST_MODULES
	rm -rf "$kdir"
	mv "$tmp/out" "$kdir"
	rm -rf "$tmp"
}

fetch_sid_trace_cmd() {
	sdir=$CACHE/sid
	if [ -x "$sdir/root/usr/bin/trace-cmd" ] && [ -s "$sdir/packages" ]; then
		say "sid trace-cmd already cached ($(head -n 1 "$sdir/packages"))"
		return
	fi
	tmp=$CACHE/.tmp-sid
	rm -rf "$tmp"
	mkdir -p "$tmp"
	# The dependency closure is small (glibc, libgcc, zlib, zstd, the
	# trace libraries); taking it whole keeps it right when sid changes.
	pkgs=$(apt_private apt-cache -oAPT::Default-Release=sid depends \
		--recurse --no-recommends --no-suggests --no-conflicts \
		--no-breaks --no-replaces --no-enhances $SID_PACKAGES |
		grep -v '^ ' | grep -v '^<' | sort -u)
	say "downloading from sid: $(echo $pkgs)"
	for p in $pkgs; do
		download_unpack "$p/sid" "$tmp"
	done
	grep '^trace-cmd ' "$tmp/packages.list" > "$tmp/packages"
	grep -v '^trace-cmd ' "$tmp/packages.list" >> "$tmp/packages"
	rm -f "$tmp/packages.list"
	rm -rf "$sdir"
	mv "$tmp" "$sdir"
}

cache_complete() {
	[ -s "$CACHE/kernel/current" ] || return 1
	abi=$(cat "$CACHE/kernel/current")
	[ -s "$CACHE/kernel/$abi/vmlinuz" ] &&
	[ -f "$CACHE/kernel/$abi/modules/load-order" ] &&
	[ -x "$CACHE/sid/root/usr/bin/trace-cmd" ]
}

# --line X.Y: the newest kernel of that line, cached under kernel/line-X.Y.
main_line() {
	pointer=$CACHE/kernel/line-$line
	if ! $refresh && [ -s "$pointer" ] && [ -s "$CACHE/kernel/$(cat "$pointer")/vmlinuz" ]; then
		abi=$(cat "$pointer")
		say "using cached $line kernel $abi (--refresh to look for newer)"
		! $test_modules || [ -f "$CACHE/kernel/$abi/test-modules/load-order" ] ||
			{ apt_update || skip "the Debian archive cannot be reached for $abi's test modules"; fetch_kernel "$abi"; }
	else
		apt_update || {
			[ -s "$pointer" ] && [ -s "$CACHE/kernel/$(cat "$pointer")/vmlinuz" ] &&
				{ echo "$CACHE/kernel/$(cat "$pointer")"; exit 0; }
			skip "the Debian archive cannot be reached and no $line kernel is cached"
		}
		abi=$(newest_of_line "$line")
		[ -n "$abi" ] || skip "the archive offers no $line cloud kernel"
		fetch_kernel "$abi"
		echo "$abi" > "$pointer"
	fi
	echo "$CACHE/kernel/$abi"
}

main() {
	parse_args "$@"
	mkdir -p "$CACHE/kernel"
	if $list_lines; then
		apt_update || skip "the Debian archive cannot be reached"
		newest_of_each_line
		exit 0
	fi
	if [ -n "$line" ]; then
		main_line
		exit 0
	fi
	if ! $refresh && cache_complete; then
		abi=$(cat "$CACHE/kernel/current")
		say "using cached kernel $abi and sid trace-cmd (--refresh to look for newer)"
		! $test_modules || [ -f "$CACHE/kernel/$abi/test-modules/load-order" ] ||
			{ apt_update || skip "the Debian archive cannot be reached for $abi's test modules"; fetch_kernel "$abi"; }
	else
		if ! apt_update; then
			cache_complete && {
				abi=$(cat "$CACHE/kernel/current")
				say "archive unreachable; keeping cached kernel $abi"
				echo "$CACHE/kernel/$abi"
				exit 0
			}
			skip "the Debian archive ($MIRROR) cannot be reached and $CACHE holds no complete kernel + sid trace-cmd"
		fi
		abi=$(newest_kernel_abi)
		[ -n "$abi" ] || skip "neither $SUITES offers a linux-binary-*-cloud-amd64 >= $MIN_KERNEL"
		say "newest cloud kernel >= $MIN_KERNEL offered: $abi"
		fetch_kernel "$abi"
		if $refresh; then rm -rf "$CACHE/sid"; fi
		fetch_sid_trace_cmd
		echo "$abi" > "$CACHE/kernel/current"
	fi
	say "kernel:    $CACHE/kernel/$abi/vmlinuz"
	say "modules:   $(tr '\n' ' ' < "$CACHE/kernel/$abi/modules/load-order")"
	say "trace-cmd: $(head -n 1 "$CACHE/sid/packages") (sid), run with tests/vm/trace-cmd-sid"
	echo "$CACHE/kernel/$abi"
}

main "$@"
