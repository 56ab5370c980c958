#!/bin/sh
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
# Usage: fetch.sh [--refresh] [--quiet]
# Prints, as its last stdout line, the path of the chosen kernel's directory.
# Exit 0 ok, 77 the archive cannot be reached and the cache is incomplete
# (or it offers no kernel >= 7.1), 1 any other failure.
set -eu
# modinfo lives in /sbin, which a non-login root shell may lack
PATH=$PATH:/usr/sbin:/sbin

MIN_KERNEL=7.1
# Modules the guest loads (their dependencies are added first). virtio_blk
# carries the result disk; Debian's cloud kernel builds it as a module.
GUEST_MODULES="virtio_blk"
SID_PACKAGES="trace-cmd libtracecmd1"
SUITES="sid trixie-backports"
MIRROR=${BOOTRACE_DEBIAN_MIRROR:-http://deb.debian.org/debian}

CACHE=${BOOTRACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bootrace}
APTDIR=$CACHE/apt
refresh=false
quiet=false

say() { $quiet || echo "fetch: $*" >&2; }
die() { echo "fetch: error: $*" >&2; exit 1; }
skip() { echo "fetch: SKIP: $*" >&2; exit 77; }

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--refresh) refresh=true ;;
		--quiet|-q) quiet=true ;;
		-h|--help) sed -n '2,17p' "$0"; exit 0 ;;
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

# The newest kernel ABI name (e.g. 7.3.4+deb13-cloud-amd64) >= MIN_KERNEL
# that the archive offers as linux-binary-<abi>, or nothing.
newest_kernel_abi() {
	apt_private apt-cache pkgnames linux-binary- |
	sed -n 's/^linux-binary-\([0-9][0-9.]*+[a-z0-9]*-cloud-amd64\)$/\1/p' |
	while read -r abi; do
		# pkgnames also lists names that have no version any more
		apt_private apt-cache madison "linux-binary-$abi" | grep -q . || continue
		v=${abi%%+*}
		if dpkg --compare-versions "$v" ge "$MIN_KERNEL"; then
			echo "$v $abi"
		fi
	done | sort -V | tail -n 1 | cut -d' ' -f2
}

# Print module NAME's file, after those of its dependencies (load order).
# The package ships no modules.dep (depmod runs at install), so ask each
# module for its "depends" field instead.
module_with_deps() {
	mdir=$1 name=$2
	file=$(find "$mdir/kernel" -name "$name.ko*" | head -n 1)
	[ -n "$file" ] || die "module $name not found under $mdir"
	deps=$(modinfo -F depends "$file") || die "modinfo $file failed"
	for d in $(echo "$deps" | tr ',' ' '); do
		module_with_deps "$mdir" "$d"
	done
	echo "$file"
}

module_load_order() {
	for m in $GUEST_MODULES; do
		module_with_deps "$1" "$m"
	done | awk '!seen[$0]++'
}

fetch_kernel() {
	abi=$1
	kdir=$CACHE/kernel/$abi
	if [ -s "$kdir/vmlinuz" ] && [ -s "$kdir/modules/load-order" ]; then
		say "kernel $abi already cached"
		return
	fi
	tmp=$CACHE/kernel/.tmp-$abi
	rm -rf "$tmp"
	mkdir -p "$tmp"
	say "downloading kernel $abi"
	for p in linux-binary linux-base linux-modules; do
		download_unpack "$p-$abi" "$tmp"
	done
	mdir=$tmp/root/usr/lib/modules/$abi
	[ -s "$mdir/vmlinuz" ] || die "no vmlinuz in linux-binary-$abi"
	mkdir -p "$tmp/out/modules"
	cp "$mdir/vmlinuz" "$mdir/config" "$mdir/System.map" "$tmp/packages.list" "$tmp/out/"
	# Decompressed here so the guest's busybox insmod needs no xz support.
	module_load_order "$mdir" | while read -r file; do
		name=$(basename "$file")
		case $name in
		*.xz) xz -dc "$file" > "$tmp/out/modules/${name%.xz}" ;;
		*.zst) zstd -qdc "$file" > "$tmp/out/modules/${name%.zst}" ;;
		*.gz) gzip -dc "$file" > "$tmp/out/modules/${name%.gz}" ;;
		*) cp "$file" "$tmp/out/modules/$name" ;;
		esac
		echo "${name%%.ko*}.ko" >> "$tmp/out/modules/load-order"
	done
	[ -s "$tmp/out/modules/load-order" ] || die "no modules extracted"
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
	[ -s "$CACHE/kernel/$abi/modules/load-order" ] &&
	[ -x "$CACHE/sid/root/usr/bin/trace-cmd" ]
}

main() {
	parse_args "$@"
	mkdir -p "$CACHE/kernel"
	if ! $refresh && cache_complete; then
		abi=$(cat "$CACHE/kernel/current")
		say "using cached kernel $abi and sid trace-cmd (--refresh to look for newer)"
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
