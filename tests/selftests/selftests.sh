#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The upstream KVM selftests (Linux 6.12, Debian's linux-source-6.12) run
# unmodified under kvmsim.
#
#   selftests.sh prepare CACHE              install/extract/build once (idempotent)
#   selftests.sh check   CACHE KVMSIM EXPECTED
#                                           run every x86 test under `kvmsim exec`,
#                                           fail on any difference from EXPECTED
#   selftests.sh record  CACHE KVMSIM|native [EXPECTED]
#                                           print the results in EXPECTED's format
#   selftests.sh table   CACHE KVMSIM EXPECTED
#                                           the README's table: test, native here, kvmsim
#   selftests.sh one     CACHE KVMSIM|native TEST   one test, its result line and output
#
# Nothing of the kernel is copied into this repository: the package's
# tarball is unpacked into CACHE (a directory of the build tree), its uapi
# headers installed into CACHE's usr/include with the kernel's own
# scripts/headers_install.sh (first on the selftests' include path: their
# Makefile puts $(top_srcdir)/usr/include there), and
# tools/testing/selftests/kvm built with its own Makefile.
#
# A result is `pass`, `skip REASON`, `fail REASON` or `timeout` (and, in
# EXPECTED only, `norun REASON`: see norun_list).  REASON
# is what the test said: the requirement a skip did not meet, the
# file:line and message of the assertion that failed.  Tests run with
# SELFTEST_TIMEOUT seconds each (default 300: a loaded machine slows the
# 10-15 s tests down several times) and SELFTEST_JOBS at once
# (default 2).
set -eu

VERSION=6.12
# The rules of the kernel the tests come from: upstream as of 6.12, whose
# guest_memfd takes no flags (guest_memfd_test checks that every flag is
# EINVAL; GUEST_MEMFD_FLAG_MMAP came in 6.18).
PROFILE=linux-$VERSION
PKG=linux-source-$VERSION
TARBALL=/usr/src/$PKG.tar.xz
TOP=$PKG
here=$(cd "$(dirname "$0")" && pwd)

die() { echo "selftests.sh: $*" >&2; exit 1; }

# The kernel's make, never the caller's: under `make test` MAKEFLAGS
# carries a jobserver and options meant for kvmsim's own build.
kmake() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES make --no-print-directory "$@"
}

install_pkg() {
	[ -f "$TARBALL" ] && return 0
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	echo "installing $PKG" >&2
	$sudo apt-get update -qq
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$PKG" >&2
	[ -f "$TARBALL" ] || die "$PKG installed no $TARBALL"
}

# Only what the selftests' build reads: tools/, the uapi headers, the
# syscall tables and the scripts that turn them into installed headers.
extract() {
	cache=$1
	[ -f "$cache/.extracted" ] && return 0
	rm -rf "$cache/$TOP"
	mkdir -p "$cache"
	echo "extracting $TARBALL" >&2
	tar -C "$cache" -xJf "$TARBALL" --wildcards \
		"$TOP/tools/*" "$TOP/include/uapi/*" "$TOP/arch/x86/include/uapi/*" \
		"$TOP/arch/x86/entry/syscalls/*" "$TOP/scripts/headers_install.sh" \
		"$TOP/scripts/unifdef.c" "$TOP/scripts/syscallhdr.sh" \
		"$TOP/scripts/subarch.include"
	touch "$cache/.extracted"
}

# headers_install for x86: every uapi header through headers_install.sh,
# the generated unistd_*.h from the syscall tables, and an
# asm-generic wrapper for each mandatory asm header x86 does not have
# (what scripts/Makefile.asm-headers generates).
install_headers() {
	src=$1/$TOP
	[ -f "$1/.headers" ] && return 0
	echo "installing the $VERSION uapi headers into $src/usr/include" >&2
	(
	cd "$src"
	out=usr/include
	rm -rf "$out" arch/x86/include/generated
	mkdir -p "$out/asm" arch/x86/include/generated/uapi/asm
	${CC:-cc} -O2 -o scripts/unifdef scripts/unifdef.c
	find include/uapi -name '*.h' | while read -r f; do
		dst=$out/${f#include/uapi/}
		mkdir -p "$(dirname "$dst")"
		sh scripts/headers_install.sh "$f" "$dst"
	done
	for f in arch/x86/include/uapi/asm/*.h; do
		sh scripts/headers_install.sh "$f" "$out/asm/$(basename "$f")"
	done
	gen=arch/x86/include/generated/uapi/asm
	tbl=arch/x86/entry/syscalls
	sh scripts/syscallhdr.sh --abis i386 --emit-nr $tbl/syscall_32.tbl $gen/unistd_32.h
	sh scripts/syscallhdr.sh --abis common,64 --emit-nr $tbl/syscall_64.tbl $gen/unistd_64.h
	sh scripts/syscallhdr.sh --abis common,x32 --emit-nr --offset __X32_SYSCALL_BIT \
		$tbl/syscall_64.tbl $gen/unistd_x32.h
	for f in $gen/*.h; do
		sh scripts/headers_install.sh "$f" "$out/asm/$(basename "$f")"
	done
	sed -n 's/^mandatory-y += //p' include/uapi/asm-generic/Kbuild | while read -r h; do
		[ -f "$out/asm/$h" ] || echo "#include <asm-generic/$h>" > "$out/asm/$h"
	done
	)
	touch "$1/.headers"
}

build() {
	kvm=$1/$TOP/tools/testing/selftests/kvm
	[ -f "$1/.built" ] && return 0
	echo "building $kvm" >&2
	kmake -s -C "$kvm" ARCH=x86_64 -j"${SELFTEST_JOBS:-2}" >&2
	touch "$1/.built"
}

prepare() {
	cache=$1
	install_pkg
	extract "$cache"
	install_headers "$cache"
	build "$cache"
}

# The x86 tests, as the Makefile lists them (relative to the kvm folder).
list_tests() {
	kmake -s -C "$1/$TOP/tools/testing/selftests/kvm" ARCH=x86_64 \
		-f Makefile -f "$here/print-tests.mk" print-tests |
		tr ' ' '\n' | sed -n 's|.*/selftests/kvm/||p' | sort
}

# One result line from a test's exit status and output.
classify() {
	st=$1 log=$2
	case $st in
	0) echo pass; return ;;
	124|137) echo timeout; return ;;
	4) kind=skip ;;
	*) kind=fail ;;
	esac
	if [ $kind = skip ]; then
		why=$(sed -n 's/^.*# SKIP *-* *//p' "$log" | head -n 1)
	else
		why=$(awk '/==== Test Assertion Failure ====/ { getline; sub(/^ */, ""); print; exit }' "$log")
		[ -n "$why" ] || why=$(grep -m 1 -E '^not ok|Aborted|Segmentation|kvmsim' "$log" || true)
		[ -n "$why" ] || why="status $st"
	fi
	echo "$kind $why" | tr -s '\t ' '  '
}

run_one() {
	cache=$1 how=$2 t=$3 log=$4
	kvm=$cache/$TOP/tools/testing/selftests/kvm
	secs=${SELFTEST_TIMEOUT:-300}
	set +e
	if [ "$how" = native ]; then
		(cd "$kvm" && timeout -k 5 "$secs" "./$t") > "$log" 2>&1 < /dev/null
	else
		(cd "$kvm" && timeout -k 5 "$secs" "$how" exec --profile "$PROFILE" -- "./$t") \
			> "$log" 2>&1 < /dev/null
	fi
	st=$?
	set -e
	printf '%s\t%s\n' "$t" "$(classify $st "$log")"
}

# The tests EXPECTED says are `norun REASON` (they cannot finish under
# kvmsim yet: a VMM thread spinning on memory, gigabytes of guest memory
# touched page by page) are not run, and their line is copied, unless
# SELFTEST_ALL=1.
norun_list() {
	[ -n "${1:-}" ] && [ -z "${SELFTEST_ALL:-}" ] || return 0
	grep -v '^#' "$1" | awk -F '\t' '$2 ~ /^norun/'
}

run_all() {
	cache=$1 how=$2 logs=$3 expected=${4:-}
	mkdir -p "$logs"
	norun=$(norun_list "$expected")
	[ -n "$(list_tests "$cache")" ] || die "the selftests' Makefile lists no x86 test"
	{
		[ -n "$norun" ] && echo "$norun"
		list_tests "$cache" | while read -r t; do
			echo "$norun" | cut -f 1 | grep -qx "$t" || echo "$t"
		done | xargs -P "${SELFTEST_JOBS:-2}" -I{} sh "$0" one-quiet "$cache" "$how" {} "$logs"
	} | sort
}

# The README's rows: the native result's first word, kvmsim's with its reason.
format_table() {
	join -t "$(printf '\t')" "$1" "$2" |
		sed 's/Requirement not met: //; s/|/\\|/g' |
		awk -F '\t' '{ n = $2; sub(/ .*/, "", n); print "| " $1 " | " n " | " $3 " |" }'
}

kvm_usable() {
	[ -r /dev/kvm ] && [ -w /dev/kvm ]
}

cmd=${1:-}
[ $# -ge 2 ] || die "usage: selftests.sh prepare|check|record|table|one CACHE ..."
cache=$(mkdir -p "$2" && cd "$2" && pwd)
case $cmd in
prepare)
	prepare "$cache"
	;;
one-quiet)
	t=$4
	run_one "$cache" "$3" "$t" "$5/$(echo "$t" | tr / _).log"
	;;
one)
	prepare "$cache"
	log=$(mktemp)
	run_one "$cache" "$3" "$4" "$log"
	cat "$log" >&2
	rm -f "$log"
	;;
record)
	prepare "$cache"
	run_all "$cache" "$3" "$cache/logs/$(basename "$3")" "${4:-}"
	;;
check)
	prepare "$cache"
	got=$cache/kvmsim.results
	run_all "$cache" "$3" "$cache/logs/kvmsim" "$4" > "$got"
	if ! grep -v '^#' "$4" | diff -u - "$got"; then
		echo "FAIL: the selftests' results under kvmsim differ from $4" >&2
		echo "(- expected, + got; logs in $cache/logs/kvmsim)" >&2
		exit 1
	fi
	for r in pass skip fail timeout norun; do
		printf '%s %s, ' "$(cut -f 2 "$got" | grep -c "^$r")" $r
	done
	echo "as expected"
	;;
table)
	prepare "$cache"
	run_all "$cache" "$3" "$cache/logs/kvmsim" "$4" > "$cache/kvmsim.results"
	if kvm_usable; then
		run_all "$cache" native "$cache/logs/native" > "$cache/native.results"
	else
		list_tests "$cache" | sed 's/$/\tno \/dev\/kvm/' > "$cache/native.results"
	fi
	echo "| test | native here | kvmsim |"
	echo "|---|---|---|"
	format_table "$cache/native.results" "$cache/kvmsim.results"
	;;
*)
	die "unknown command $cmd"
	;;
esac
