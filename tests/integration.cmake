# Integration tests: standalone VMM programs (tests/vmm/) that use the
# KVM uAPI directly.  Each one's stdout was recorded on real KVM in
# tests/vmm/expected/<name>.out; ctest checks two things per program:
#
#   vmm/<name>/native  the program on this host's /dev/kvm still produces
#                      the recorded transcript (skipped without /dev/kvm)
#   vmm/<name>/kvmsim  "kvmsim exec -- <program>" produces it byte for byte
#
# The programs use only libc and <linux/kvm.h>: they are deliberately not
# linked against anything from kvmsim.

set(VMM_DIR ${CMAKE_CURRENT_LIST_DIR}/vmm)
set(VMM_OUT_DIR ${CMAKE_BINARY_DIR}/tests/vmm)
# Every tests/vmm/vmm-NAME-guest.S is a program (vmm-NAME.c beside it): a
# new program needs no edit here.
file(GLOB vmm_guest_sources CONFIGURE_DEPENDS ${VMM_DIR}/vmm-*-guest.S)
set(VMM_PROGRAMS)
foreach(guest ${vmm_guest_sources})
	get_filename_component(guest ${guest} NAME)
	string(REGEX REPLACE "-guest\\.S$" "" name ${guest})
	list(APPEND VMM_PROGRAMS ${name})
endforeach()

# The kvmsim binary the kvmsim tests drive.  Empty means the kvmsim target
# (or, before that exists, ${CMAKE_BINARY_DIR}/kvmsim).  Point it at a
# stand-in to test the harness itself.
set(VMM_KVMSIM "" CACHE FILEPATH "kvmsim binary for the vmm/*/kvmsim tests")
if(VMM_KVMSIM)
	set(vmm_kvmsim ${VMM_KVMSIM})
elseif(TARGET kvmsim)
	set(vmm_kvmsim $<TARGET_FILE:kvmsim>)
else()
	set(vmm_kvmsim ${CMAKE_BINARY_DIR}/kvmsim)
endif()

get_property(vmm_languages GLOBAL PROPERTY ENABLED_LANGUAGES)
if(NOT "ASM" IN_LIST vmm_languages)
	enable_language(ASM)
endif()

# Capabilities a native transcript was recorded with (NAME=KVM_CAP number):
# on a host whose /dev/kvm lacks one, the native check skips and says so.
set(VMM_HOST_REQUIRES_vmm-gmem "GUEST_MEMFD=234")
# KVM_CAP_VM_TYPES with KVM_X86_SW_PROTECTED_VM (bit 1)
set(VMM_HOST_REQUIRES_vmm-gmem-huge "GUEST_MEMFD=234 VM_TYPES=235:2")
set(VMM_HOST_REQUIRES_vmm-irq "USER_NMI=22")
set(VMM_HOST_REQUIRES_vmm-apic-timer "TSC_DEADLINE_TIMER=72 X86_APIC_BUS_CYCLES_NS=237")
set(VMM_HOST_REQUIRES_vmm-tsc-sync "VCPU_ATTRIBUTES=127")

add_executable(kvm-host-has ${VMM_DIR}/kvm-host-has.c)
set_target_properties(kvm-host-has PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${VMM_OUT_DIR})

# Programs kvmsim does not run faithfully yet (tests/vmm/README.md, "Gaps").
set(VMM_KVMSIM_GAPS)

# Builds every program (and kvmsim when it exists): `make vmm-programs`.
add_custom_target(vmm-programs)
add_dependencies(vmm-programs kvm-host-has)
if(TARGET kvmsim)
	add_dependencies(vmm-programs kvmsim)
endif()

foreach(name ${VMM_PROGRAMS})
	add_executable(${name} ${VMM_DIR}/${name}.c ${VMM_DIR}/${name}-guest.S
		${VMM_DIR}/vmm-lib.c)
	set_target_properties(${name} PROPERTIES
		RUNTIME_OUTPUT_DIRECTORY ${VMM_OUT_DIR})
	add_dependencies(vmm-programs ${name})

	set(expected ${VMM_DIR}/expected/${name}.out)
	add_test(NAME vmm/${name}/native
		COMMAND sh ${VMM_DIR}/run-diff.sh native ${expected}
			${VMM_OUT_DIR}/actual/${name}.native.out $<TARGET_FILE:${name}>)
	set_tests_properties(vmm/${name}/native PROPERTIES
		SKIP_RETURN_CODE 77 TIMEOUT 60 LABELS "vmm;native"
		ENVIRONMENT "VMM_HOST_HAS=$<TARGET_FILE:kvm-host-has>;VMM_HOST_REQUIRES=${VMM_HOST_REQUIRES_${name}}")

	# Where this host's KVM (the PVM backend) differs from mainline KVM,
	# kvmsim models mainline and NAME.kvmsim.out says so (README.md here).
	if(EXISTS ${VMM_DIR}/expected/${name}.kvmsim.out)
		set(expected ${VMM_DIR}/expected/${name}.kvmsim.out)
	endif()
	if(name IN_LIST VMM_KVMSIM_GAPS)
		continue()
	endif()
	add_test(NAME vmm/${name}/kvmsim
		COMMAND sh ${VMM_DIR}/run-diff.sh kvmsim ${expected}
			${VMM_OUT_DIR}/actual/${name}.kvmsim.out $<TARGET_FILE:${name}>
			${vmm_kvmsim})
	set_tests_properties(vmm/${name}/kvmsim PROPERTIES
		TIMEOUT 120 LABELS "vmm;kvmsim")

	# Where the difference is the host kernel's configuration, a rule makes
	# kvmsim answer as this host does: NAME.host-config.kvmsim.out.
	if(EXISTS ${VMM_DIR}/expected/${name}.host-config.kvmsim.out)
		add_test(NAME vmm/${name}/kvmsim-host-config
			COMMAND sh ${VMM_DIR}/run-diff.sh kvmsim
				${VMM_DIR}/expected/${name}.host-config.kvmsim.out
				${VMM_OUT_DIR}/actual/${name}.host-config.kvmsim.out
				$<TARGET_FILE:${name}> ${vmm_kvmsim})
		set_tests_properties(vmm/${name}/kvmsim-host-config PROPERTIES
			TIMEOUT 120 LABELS "vmm;kvmsim"
			ENVIRONMENT "KVMSIM_PROFILE=upstream+without-sw-protected-vm")
	endif()
endforeach()

# The async-PF surface under seed 001's error state: CPUID offers
# ASYNC_PF_ERROR (bit 15) and MSR_KVM_ASYNC_PF_EN accepts SEND_ERROR (bit
# 4), where upstream (vmm-apf.out, recorded natively) refuses it.
add_test(NAME vmm/vmm-apf/kvmsim-apf-error-state
	COMMAND env KVMSIM_PROFILE=upstream+apf-error-state
		sh ${VMM_DIR}/run-diff.sh kvmsim ${VMM_DIR}/expected/vmm-apf.apf-error-state.out
		${VMM_OUT_DIR}/actual/vmm-apf.apf-error-state.out $<TARGET_FILE:vmm-apf>
		${vmm_kvmsim})
set_tests_properties(vmm/vmm-apf/kvmsim-apf-error-state PROPERTIES
	TIMEOUT 120 LABELS "vmm;kvmsim")

# Two threads in KVM_RUN on one vCPU: under seed 1 the second enters while
# the first waits for its exit; without vcpu->mutex that was a "deadlock".
add_test(NAME vmm/vmm-misuse/kvmsim-seed1
	COMMAND env KVMSIM_SEED=1
		sh ${VMM_DIR}/run-diff.sh kvmsim ${VMM_DIR}/expected/vmm-misuse.kvmsim.out
		${VMM_OUT_DIR}/actual/vmm-misuse.seed1.out $<TARGET_FILE:vmm-misuse>
		${vmm_kvmsim})
set_tests_properties(vmm/vmm-misuse/kvmsim-seed1 PROPERTIES
	TIMEOUT 120 LABELS "vmm;kvmsim")

# vmm-vtime's exact bounds (VMM_VTIME_EXACT): on the virtual clock a
# guest's TSC spans agree with the VMM's CLOCK_MONOTONIC within 100 us,
# which this host's PVM guest TSC (stopped while descheduled) does not.
add_test(NAME vmm/vmm-vtime/kvmsim-exact
	COMMAND env VMM_VTIME_EXACT=1
		sh ${VMM_DIR}/run-diff.sh kvmsim ${VMM_DIR}/expected/vmm-vtime.exact.kvmsim.out
		${VMM_OUT_DIR}/actual/vmm-vtime.exact.out $<TARGET_FILE:vmm-vtime>
		${vmm_kvmsim})
set_tests_properties(vmm/vmm-vtime/kvmsim-exact PROPERTIES
	TIMEOUT 120 LABELS "vmm;kvmsim")

# vmm-host-tsc's values (VMM_HOST_TSC_EXACT): under kvmsim the process's
# rdtsc is trapped and reads the virtual clock, the same on every run.
add_test(NAME vmm/vmm-host-tsc/kvmsim-exact
	COMMAND env VMM_HOST_TSC_EXACT=1
		sh ${VMM_DIR}/run-diff.sh kvmsim ${VMM_DIR}/expected/vmm-host-tsc.exact.kvmsim.out
		${VMM_OUT_DIR}/actual/vmm-host-tsc.exact.out $<TARGET_FILE:vmm-host-tsc>
		${vmm_kvmsim})
set_tests_properties(vmm/vmm-host-tsc/kvmsim-exact PROPERTIES
	TIMEOUT 120 LABELS "vmm;kvmsim")
