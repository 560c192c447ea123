#!/bin/sh
# SPDX-License-Identifier: MIT
# cmake --install into a DESTDIR, move the tree (it must be relocatable),
# then use it as a user would, with nothing from the source or build
# tree: run an installed scenario, and build and run a scenario written
# outside the tree with the CMake package (its guest with
# kvmsim_add_guest) and again with pkg-config.
#   install-test.sh BUILD_DIR SOURCE_DIR
set -u
BUILD=$1
SRC=$2
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

DESTDIR=$W/dest cmake --install "$BUILD" --prefix /opt/kvmsim >"$W/install.log" 2>&1 ||
	fail "install: $(tail -5 "$W/install.log")"
mv "$W/dest/opt/kvmsim" "$W/moved" || fail "move"
P=$W/moved
for f in bin/kvmsim lib/libkvmsim.so lib/libkvmsim-scenario.a include/kvmsim/scenario.h \
	include/kvmsim/uapi_ext.h include/kvmsim/guest_abi.h include/kvmsim/version.h \
	lib/kvmsim/scenarios/hello lib/kvmsim/scenarios/hello.manifest \
	lib/kvmsim/guest-bins/x86_64/hello.elf share/kvmsim/guest/x86_64/guest.ld \
	share/kvmsim/guest/x86_64/include/guest.h share/kvmsim/guest/x86_64/lib/runtime.c \
	lib/cmake/kvmsim/kvmsimConfig.cmake lib/cmake/kvmsim/KvmsimGuest.cmake \
	lib/pkgconfig/kvmsim-scenario.pc share/man/man1/kvmsim.1 \
	share/bash-completion/completions/kvmsim share/doc/kvmsim/README.md \
	share/doc/kvmsim/hazards.md share/doc/kvmsim/tutorial.md share/doc/kvmsim/workshop.md; do
	[ -e "$P/$f" ] || fail "not installed: $f"
done
# nothing installed may point back into the source or build tree
grep -rlI -e "$SRC" -e "$BUILD" "$P/lib/cmake" "$P/lib/pkgconfig" "$P/share" "$P/include" &&
	fail "installed text files name the source or build tree"
man -l "$P/share/man/man1/kvmsim.1" 2>/dev/null | grep -q 'deterministic userspace model' ||
	{ command -v man >/dev/null && fail "man page does not render"; }
bash -n "$P/share/bash-completion/completions/kvmsim" || fail "completion script"

K=$P/bin/kvmsim
"$K" --version | grep -q '^kvmsim [0-9]' || fail "--version"
"$K" list >"$W/list" || fail "list"
grep -q '^hello  ' "$W/list" || fail "list: $(cat "$W/list")"
"$K" run hello >"$W/o" 2>"$W/e" || fail "installed hello: $(cat "$W/e")"
grep -q 'hello: meets its manifest' "$W/e" || fail "installed hello: $(cat "$W/e")"

# a scenario of one's own, outside the tree
mkdir -p "$W/proj"
cat >"$W/proj/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.18)
project(myscenario C)
find_package(kvmsim 0.1 REQUIRED)
kvmsim_add_guest(greet ARCH x86_64 SOURCES greet.c)
add_executable(greeter greeter.c)
target_link_libraries(greeter PRIVATE kvmsim::scenario)
add_dependencies(greeter guest_greet_x86_64)
configure_file(greeter.manifest greeter.manifest COPYONLY)
CM
cat >"$W/proj/greet.c" <<'G'
#include "guest.h"

void guest_main(u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	guest_printf("greetings, %d\n", 42);
	halt();
}
G
cat >"$W/proj/greeter.c" <<'S'
#include <stdio.h>
#include "scenario.h"

int main(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu = vm_vcpu_add(vm, vm_load_guest(vm, "greet"));
	struct ucall uc;

	for (;;) {
		vcpu_run(vcpu);
		if (vcpu_get_ucall(vcpu, &uc) == UCALL_PRINT) {
			fputs(uc.buf, stdout);
			continue;
		}
		printf("exit reason %u\n", vcpu->run->exit_reason);
		break;
	}
	vm_destroy(vm);
	return 0;
}
S
cat >"$W/proj/greeter.manifest" <<'M'
description: a scenario written outside the tree
arch: x86_64
expect-status: 0
expect-stdout: greetings, 42
expect-stdout: exit reason 5
M
cmake -S "$W/proj" -B "$W/proj/build" -DCMAKE_PREFIX_PATH="$P" >"$W/cfg.log" 2>&1 ||
	fail "configure: $(cat "$W/cfg.log")"
cmake --build "$W/proj/build" >"$W/build.log" 2>&1 || fail "build: $(cat "$W/build.log")"
[ -f "$W/proj/build/guest-bins/x86_64/greet.elf" ] || fail "no guest ELF"
"$K" run "$W/proj/build/greeter" --trace "$W/t.jsonl" >"$W/o" 2>"$W/e" ||
	fail "run: $(cat "$W/o" "$W/e")"
grep -q 'greeter: meets its manifest (kvmsim, profile upstream)' "$W/e" || fail "run: $(cat "$W/e")"
grep -q '"event":"kvm_tdp_mmu_map"' "$W/t.jsonl" || fail "no stage-2 fault in the trace"
"$K" compare --format json "$W/proj/build/greeter" >"$W/c" || fail "compare"
grep -q '"scenario":"greeter","profiles":\["upstream"\]' "$W/c" || fail "compare: $(cat "$W/c")"

# the same program built with pkg-config (and the guest dir by hand)
PKG_CONFIG_PATH=$P/lib/pkgconfig
export PKG_CONFIG_PATH
mkdir -p "$W/pc"
cc -o "$W/pc/greeter" "$W/proj/greeter.c" $(pkg-config --cflags --libs kvmsim-scenario) \
	>"$W/cc.log" 2>&1 || fail "pkg-config build: $(cat "$W/cc.log")"
[ "$(pkg-config --variable=kvmsim kvmsim-scenario)" -ef "$K" ] || fail "pc kvmsim variable"
cp "$W/proj/greeter.manifest" "$W/pc/"
KVMSIM_GUEST_DIR=$W/proj/build/guest-bins "$K" run "$W/pc/greeter" >"$W/o" 2>"$W/e" ||
	fail "pkg-config run: $(cat "$W/e")"
echo ok
