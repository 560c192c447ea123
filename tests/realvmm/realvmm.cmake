# Real-VMM tests (tests/realvmm/): what real VMMs such as QEMU rely on
# beyond the KVM uAPI -- symbol isolation, per-thread state, futexes,
# signals and vCPU kicks, timers on the virtual clock.  Each program runs
# natively (exit 77: skipped) and under kvmsim with the same stdout.
set(RV_DIR ${CMAKE_CURRENT_LIST_DIR})
find_package(Threads REQUIRED)
if(TARGET kvmsim)
	set(rv_kvmsim $<TARGET_FILE:kvmsim>)
else()
	set(rv_kvmsim ${CMAKE_BINARY_DIR}/kvmsim)
endif()

# rv_test(NAME [LINK_OPTIONS opts...]): NAME.c, expected/NAME.out
function(rv_test name)
	cmake_parse_arguments(RT "" "" "LINK_OPTIONS" ${ARGN})
	add_executable(${name} ${RV_DIR}/${name}.c)
	target_link_libraries(${name} PRIVATE Threads::Threads)
	target_link_options(${name} PRIVATE ${RT_LINK_OPTIONS})
	set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY
		${CMAKE_BINARY_DIR}/tests/realvmm)
	set(out ${RV_DIR}/expected/${name}.out)
	# where kvmsim answers otherwise on purpose: NAME.kvmsim.out
	set(kvmsim_out ${out})
	if(EXISTS ${RV_DIR}/expected/${name}.kvmsim.out)
		set(kvmsim_out ${RV_DIR}/expected/${name}.kvmsim.out)
	endif()
	add_test(NAME realvmm/${name}/native
		COMMAND sh ${RV_DIR}/run.sh native ${out} $<TARGET_FILE:${name}>)
	add_test(NAME realvmm/${name}/kvmsim
		COMMAND sh ${RV_DIR}/run.sh kvmsim ${rv_kvmsim} ${kvmsim_out} $<TARGET_FILE:${name}>)
	set_tests_properties(realvmm/${name}/native realvmm/${name}/kvmsim
		PROPERTIES TIMEOUT 60 LABELS realvmm SKIP_RETURN_CODE 77)
endfunction()

add_test(NAME realvmm/exports
	COMMAND sh ${RV_DIR}/run.sh exports $<TARGET_FILE:kvmsim_preload>)
set_tests_properties(realvmm/exports PROPERTIES LABELS realvmm)
rv_test(rv-rdynamic LINK_OPTIONS -rdynamic)
# Per-thread TLS: the executable's, a dlopened module's, errno.
add_library(rv-tlsmod SHARED ${RV_DIR}/rv-tlsmod.c)
set_target_properties(rv-tlsmod PROPERTIES LIBRARY_OUTPUT_DIRECTORY
	${CMAKE_BINARY_DIR}/tests/realvmm OUTPUT_NAME rv-tlsmod)
rv_test(rv-tls)
target_link_libraries(rv-tls PRIVATE ${CMAKE_DL_LIBS})
add_dependencies(rv-tls rv-tlsmod)
rv_test(rv-futex)
rv_test(rv-signal)
rv_test(rv-kick)
rv_test(rv-select)
rv_test(rv-timerfd)
rv_test(rv-spin)
rv_test(rv-escape)
rv_test(rv-timers)
rv_test(rv-fork)
rv_test(rv-fork-pipe)

# SIGTERM from outside: the default action, with the trace file complete.
add_executable(rv-sigterm ${RV_DIR}/rv-sigterm.c)
target_link_libraries(rv-sigterm PRIVATE Threads::Threads)
set_target_properties(rv-sigterm PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/realvmm)
add_test(NAME realvmm/rv-sigterm/trace
	COMMAND sh ${RV_DIR}/run.sh sigterm-trace ${rv_kvmsim} $<TARGET_FILE:rv-sigterm>)
set_tests_properties(realvmm/rv-sigterm/trace PROPERTIES TIMEOUT 60 LABELS realvmm)

# QEMU (Debian's qemu-system-x86) on a -bios image of our own: natively
# and under kvmsim the same line and exit status, one trace per seed;
# the same guest idling in hlt ends on SIGTERM from outside.
set(RV_OUT ${CMAKE_BINARY_DIR}/tests/realvmm)
foreach(kind bios idle)
	set(defs)
	if(kind STREQUAL "idle")
		set(defs -DIDLE)
	endif()
	add_custom_command(OUTPUT ${RV_OUT}/rv-${kind}.bin
		COMMAND ${CMAKE_C_COMPILER} -m32 -c ${defs} -o rv-${kind}.o ${RV_DIR}/qemu/rv-bios.S
		COMMAND ${CMAKE_LINKER} -m elf_i386 -Ttext 0 -e 0 --oformat binary
			-o rv-${kind}.bin rv-${kind}.o
		DEPENDS ${RV_DIR}/qemu/rv-bios.S WORKING_DIRECTORY ${RV_OUT} VERBATIM)
endforeach()
add_custom_target(rv-bios ALL DEPENDS ${RV_OUT}/rv-bios.bin ${RV_OUT}/rv-idle.bin)
add_test(NAME realvmm/qemu-microvm/native
	COMMAND sh ${RV_DIR}/qemu/run.sh native ${rv_kvmsim} ${RV_OUT}/rv-bios.bin)
add_test(NAME realvmm/qemu-microvm/kvmsim
	COMMAND sh ${RV_DIR}/qemu/run.sh kvmsim ${rv_kvmsim} ${RV_OUT}/rv-bios.bin)
add_test(NAME realvmm/qemu-microvm/sigterm
	COMMAND sh ${RV_DIR}/qemu/run.sh sigterm ${rv_kvmsim} ${RV_OUT}/rv-idle.bin)
set_tests_properties(realvmm/qemu-microvm/native realvmm/qemu-microvm/kvmsim
	realvmm/qemu-microvm/sigterm PROPERTIES TIMEOUT 120 LABELS realvmm SKIP_RETURN_CODE 77)
# the same guest with QEMU's irqchip in the kernel (PIC, IOAPIC, LAPIC, PIT, vapic)
foreach(mode native kvmsim)
	add_test(NAME realvmm/qemu-kernel-irqchip/${mode}
		COMMAND sh ${RV_DIR}/qemu/kernel-irqchip.sh ${mode} ${rv_kvmsim} ${RV_OUT}/rv-bios.bin)
	set_tests_properties(realvmm/qemu-kernel-irqchip/${mode} PROPERTIES
		TIMEOUT 120 LABELS realvmm SKIP_RETURN_CODE 77)
endforeach()

# QEMU -M pc,kernel-irqchip=off: its own SeaBIOS boots a boot sector of
# ours from a floppy image.  Under kvmsim that takes minutes (README, "Real
# VMMs"): only in make test's first build (gcc, RelWithDebInfo), as the
# selftests.
add_custom_command(OUTPUT ${RV_OUT}/rv-boot.img
	COMMAND ${CMAKE_C_COMPILER} -m32 -c -o rv-boot.o ${RV_DIR}/qemu/rv-boot.S
	COMMAND ${CMAKE_LINKER} -m elf_i386 -Ttext 0x7c00 -e 0x7c00 --oformat binary
		-o rv-boot.img rv-boot.o
	DEPENDS ${RV_DIR}/qemu/rv-boot.S WORKING_DIRECTORY ${RV_OUT} VERBATIM)
add_custom_target(rv-boot ALL DEPENDS ${RV_OUT}/rv-boot.img)
add_test(NAME realvmm/qemu-pc/native
	COMMAND sh ${RV_DIR}/qemu/run.sh pc-native ${rv_kvmsim} ${RV_OUT}/rv-boot.img)
set_tests_properties(realvmm/qemu-pc/native PROPERTIES
	TIMEOUT 300 LABELS realvmm SKIP_RETURN_CODE 77)
if(CMAKE_BUILD_TYPE STREQUAL "RelWithDebInfo" AND CMAKE_C_COMPILER_ID STREQUAL "GNU")
	add_test(NAME realvmm/qemu-pc/kvmsim
		COMMAND sh ${RV_DIR}/qemu/run.sh pc-kvmsim ${rv_kvmsim} ${RV_OUT}/rv-boot.img)
	set_tests_properties(realvmm/qemu-pc/kvmsim PROPERTIES
		TIMEOUT 1500 LABELS realvmm SKIP_RETURN_CODE 77)
endif()


# A statically linked program cannot get libkvmsim.so: refused, not run
# on the real /dev/kvm.
add_executable(rv-static ${RV_DIR}/rv-static.c)
# (the sanitizers cannot link statically: none in this one)
target_compile_options(rv-static PRIVATE -fno-sanitize=all)
target_link_options(rv-static PRIVATE -fno-sanitize=all -static)
set_target_properties(rv-static PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/realvmm)
add_test(NAME realvmm/rv-static/refused
	COMMAND sh ${RV_DIR}/run.sh static ${rv_kvmsim} $<TARGET_FILE:rv-static>)
set_tests_properties(realvmm/rv-static/refused PROPERTIES TIMEOUT 60 LABELS realvmm)
rv_test(rv-vmloop)
