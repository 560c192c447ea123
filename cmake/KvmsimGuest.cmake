# Building kvmsim guest payloads: freestanding static ELFs linked at a
# fixed, identity-mapped guest address, one compiler invocation each
# (never the project's CMAKE_C_FLAGS: sanitizers, PIC and friends must
# not reach guest code).  Used by the source tree (guest-bins/) and
# installed with the CMake package, so a scenario written outside the
# tree builds its guests the same way:
#
#   find_package(kvmsim REQUIRED)
#   kvmsim_add_guest(my_guest ARCH x86_64 SOURCES my_guest.c)
#   # -> ${CMAKE_CURRENT_BINARY_DIR}/guest-bins/x86_64/my_guest.elf
#
# KVMSIM_GUEST_ROOT is the directory holding x86_64/ and arm64/, each
# with guest.ld, include/ and lib/ (the runtime).

# Why each flag:
#   -ffreestanding -nostdlib -static  no libc, no crt files, no loader
#   -fno-pic -no-pie                  linked at a fixed guest address
#   -mno-red-zone                     exceptions arrive on the same stack (x86-64)
#   -mgeneral-regs-only               no SSE/x87 or FP/SIMD state to set up
#   -mstrict-align                    arm64: Device memory faults unaligned accesses
#   -fno-stack-protector              no TLS canary in the guest
#   -fcf-protection=none              no endbr64/IBT expectations
#   -fno-tree-loop-distribute-patterns  memset() must not call memset()
#   -fno-asynchronous-unwind-tables   no .eh_frame to load
#   -ffile-prefix-map                 same ELF bytes from any checkout/build dir
function(kvmsim_guest_flags out arch root)
	set(common -std=gnu11 -O2 -g
		-ffreestanding -nostdlib -static -fno-pic -no-pie
		-fno-stack-protector -fno-builtin -fno-tree-loop-distribute-patterns
		-fno-asynchronous-unwind-tables -fno-unwind-tables
		-fno-omit-frame-pointer
		-ffile-prefix-map=${root}=guest-bins
		-ffile-prefix-map=${CMAKE_CURRENT_BINARY_DIR}=build
		-Wall -Wextra -Werror -Wno-unused-parameter)
	set(link -Wl,--build-id=none -Wl,-z,max-page-size=0x1000 -Wl,-z,noexecstack)
	if(arch STREQUAL "x86_64")
		set(flags -m64 ${common} -mno-red-zone -mgeneral-regs-only -mcmodel=small
			-fcf-protection=none
			-I${root}/x86_64/include -Wl,-T,${root}/x86_64/guest.ld ${link})
	elseif(arch STREQUAL "arm64")
		# printf.c and guest.h's shared parts are the x86-64 runtime's: plain C
		set(flags ${common} -mgeneral-regs-only -mstrict-align
			-I${root}/arm64/include -I${root}/x86_64/include
			-Wl,-T,${root}/arm64/guest.ld ${link})
	else()
		message(FATAL_ERROR "kvmsim_guest_flags: ARCH is x86_64 or arm64, not '${arch}'")
	endif()
	set(${out} ${flags} PARENT_SCOPE)
endfunction()

# The runtime every guest of ARCH links (guest_printf, GUEST_ASSERT, ucall).
function(kvmsim_guest_runtime out arch root)
	if(arch STREQUAL "x86_64")
		set(${out} ${root}/x86_64/lib/entry.S ${root}/x86_64/lib/runtime.c
			${root}/x86_64/lib/ucall.c ${root}/x86_64/lib/printf.c PARENT_SCOPE)
	else()
		set(${out} ${root}/arm64/lib/entry.S ${root}/arm64/lib/runtime.c
			${root}/x86_64/lib/printf.c PARENT_SCOPE)
	endif()
endfunction()

# The cross compiler for ARCH guests (cached: GUEST_X86_64_CC, GUEST_ARM64_CC).
function(kvmsim_guest_compiler out arch)
	if(arch STREQUAL "x86_64")
		if(CMAKE_HOST_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
			find_program(GUEST_X86_64_CC NAMES gcc x86_64-linux-gnu-gcc
				DOC "C compiler for x86-64 guest payloads")
		else()
			find_program(GUEST_X86_64_CC NAMES x86_64-linux-gnu-gcc
				DOC "C compiler for x86-64 guest payloads")
		endif()
		set(${out} ${GUEST_X86_64_CC} PARENT_SCOPE)
	else()
		find_program(GUEST_ARM64_CC NAMES aarch64-linux-gnu-gcc
			DOC "C compiler for arm64 guest payloads")
		set(${out} ${GUEST_ARM64_CC} PARENT_SCOPE)
	endif()
endfunction()

# kvmsim_add_guest(NAME ARCH x86_64|arm64 SOURCES src... [EXTRA runtime parts]
#                  [OUTPUT_DIRECTORY dir])
# Builds dir/ARCH/NAME.elf (default dir: ${CMAKE_CURRENT_BINARY_DIR}/guest-bins,
# where `kvmsim run ./PROGRAM` looks for the guests of a program beside it)
# and a target guest_NAME_ARCH that scenarios can depend on.
function(kvmsim_add_guest name)
	cmake_parse_arguments(G "" "ARCH;OUTPUT_DIRECTORY" "SOURCES;EXTRA" ${ARGN})
	if(NOT G_ARCH)
		set(G_ARCH x86_64)
	endif()
	if(NOT G_OUTPUT_DIRECTORY)
		set(G_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/guest-bins)
	endif()
	kvmsim_guest_compiler(cc ${G_ARCH})
	if(NOT cc)
		message(FATAL_ERROR "kvmsim_add_guest(${name}): no ${G_ARCH} guest compiler "
			"(GUEST_X86_64_CC / GUEST_ARM64_CC)")
	endif()
	kvmsim_guest_flags(flags ${G_ARCH} ${KVMSIM_GUEST_ROOT})
	kvmsim_guest_runtime(runtime ${G_ARCH} ${KVMSIM_GUEST_ROOT})
	set(srcs)
	foreach(s ${G_SOURCES})
		get_filename_component(s ${s} ABSOLUTE)
		list(APPEND srcs ${s})
	endforeach()
	set(out ${G_OUTPUT_DIRECTORY}/${G_ARCH}/${name}.elf)
	file(MAKE_DIRECTORY ${G_OUTPUT_DIRECTORY}/${G_ARCH})
	add_custom_command(OUTPUT ${out}
		COMMAND ${cc} ${flags} -o ${out} ${runtime} ${G_EXTRA} ${srcs} -lgcc
		DEPENDS ${runtime} ${G_EXTRA} ${srcs}
		COMMENT "Building ${G_ARCH} guest ${name}.elf"
		VERBATIM)
	add_custom_target(guest_${name}_${G_ARCH} ALL DEPENDS ${out})
endfunction()
