# arm64: the uAPI copy checked against the cross headers, the arm64
# scenarios under kvmsim and for determinism, and tests/arm64/ VMMs.
find_program(ARM64_CC aarch64-linux-gnu-gcc)
if(ARM64_CC)
	add_test(NAME arm64/uapi-check
		COMMAND ${ARM64_CC} -Werror -fsyntax-only -I${CMAKE_SOURCE_DIR}/include
			${CMAKE_CURRENT_SOURCE_DIR}/arm64-uapi-check.c)
endif()

get_property(arm64_scenarios GLOBAL PROPERTY KVMSIM_ARM64_SCENARIOS)
foreach(name ${arm64_scenarios})
	foreach(mode kvmsim determinism)
		add_test(NAME scenario-arm64/${name}/${mode}
			COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/arm64-scenario-test.sh
				$<TARGET_FILE:kvmsim> ${mode} ${name})
		set_tests_properties(scenario-arm64/${name}/${mode} PROPERTIES TIMEOUT 120)
	endforeach()
	# one more test per profile the manifest (arm64's, else the shared one) lists
	set(manifest ${CMAKE_SOURCE_DIR}/scenarios/${name}.arm64.manifest)
	if(NOT EXISTS ${manifest})
		set(manifest ${CMAKE_SOURCE_DIR}/scenarios/${name}.manifest)
	endif()
	if(EXISTS ${manifest})
		file(STRINGS ${manifest} plines REGEX "^profiles:")
		string(REGEX REPLACE "^profiles:[ \t]*" "" plist "${plines}")
		string(REGEX REPLACE "[ ,]+" ";" plist "${plist}")
		foreach(spec ${plist})
			add_test(NAME scenario-arm64/${name}/profile/${spec}
				COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/arm64-scenario-test.sh
					$<TARGET_FILE:kvmsim> kvmsim ${name} ${spec})
			set_tests_properties(scenario-arm64/${name}/profile/${spec} PROPERTIES TIMEOUT 120)
		endforeach()
	endif()
endforeach()

if(TARGET scenario_lib_arm64)
	add_executable(vmm-arm64 arm64/vmm-arm64.c)
	target_link_libraries(vmm-arm64 PRIVATE scenario_lib_arm64)
	add_dependencies(vmm-arm64 guest_bins)
	add_test(NAME arm64/vmm-arm64
		COMMAND $<TARGET_FILE:kvmsim> exec --arch arm64 -- $<TARGET_FILE:vmm-arm64>)
	set_tests_properties(arm64/vmm-arm64 PROPERTIES TIMEOUT 120
		PASS_REGULAR_EXPRESSION "all checks passed"
		FAIL_REGULAR_EXPRESSION "MISMATCH")
endif()

# the vGICv3 device, KVM_IRQ_LINE, the timer's attributes and ONE_REGs:
# errnos and values as arm64 Linux gives them
if(TARGET scenario_lib_arm64)
	add_executable(vmm-vgic arm64/vmm-vgic.c)
	target_link_libraries(vmm-vgic PRIVATE scenario_lib_arm64)
	add_test(NAME arm64/vmm-vgic
		COMMAND $<TARGET_FILE:kvmsim> exec --arch arm64 -- $<TARGET_FILE:vmm-vgic>)
	set_tests_properties(arm64/vmm-vgic PROPERTIES TIMEOUT 120
		PASS_REGULAR_EXPRESSION "all checks passed"
		FAIL_REGULAR_EXPRESSION "MISMATCH")
endif()

# KVM_IRQFD / KVM_SET_GSI_ROUTING to the vGIC's SPIs: errnos, then a guest
# taking SPIs a device thread raises through eventfds (edge, resampled level)
if(TARGET scenario_lib_arm64)
	add_executable(vmm-irqfd-arm64 arm64/vmm-irqfd.c)
	set_target_properties(vmm-irqfd-arm64 PROPERTIES OUTPUT_NAME vmm-irqfd
		RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/arm64)
	target_link_libraries(vmm-irqfd-arm64 PRIVATE scenario_lib_arm64 pthread)
	add_dependencies(vmm-irqfd-arm64 guest_bins)
	add_test(NAME arm64/vmm-irqfd
		COMMAND $<TARGET_FILE:kvmsim> exec --arch arm64 -- $<TARGET_FILE:vmm-irqfd-arm64>)
	set_tests_properties(arm64/vmm-irqfd PROPERTIES TIMEOUT 120
		PASS_REGULAR_EXPRESSION "all checks passed"
		FAIL_REGULAR_EXPRESSION "MISMATCH")
endif()

# a signal for the thread in KVM_RUN ends a wfi sleep (and a powered-off wait)
if(TARGET scenario_lib_arm64)
	add_executable(vmm-wfi-signal arm64/vmm-wfi-signal.c)
	set_target_properties(vmm-wfi-signal PROPERTIES
		RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/arm64)
	target_link_libraries(vmm-wfi-signal PRIVATE scenario_lib_arm64 pthread)
	add_dependencies(vmm-wfi-signal guest_bins)
	add_test(NAME arm64/vmm-wfi-signal
		COMMAND $<TARGET_FILE:kvmsim> exec --arch arm64 -- $<TARGET_FILE:vmm-wfi-signal>)
	set_tests_properties(arm64/vmm-wfi-signal PROPERTIES TIMEOUT 120
		PASS_REGULAR_EXPRESSION "all checks passed"
		FAIL_REGULAR_EXPRESSION "MISMATCH")
endif()

# vgic-timer's deliveries in its trace: counts, INTIDs, tick spacing, SGI order
if("vgic-timer" IN_LIST arm64_scenarios)
	add_test(NAME scenario-arm64/vgic-timer/trace
		COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/arm64-vgic-trace.sh $<TARGET_FILE:kvmsim>)
	set_tests_properties(scenario-arm64/vgic-timer/trace PROPERTIES TIMEOUT 120)
endif()

# sgi-wakeup's planted lost wakeup (an SGI between a flag test and wfi):
# explore finds it, replay shows it twice with one hash
if("sgi-wakeup" IN_LIST arm64_scenarios)
	add_test(NAME scenario-arm64/sgi-wakeup/explore
		COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/arm64-sgi-explore.sh $<TARGET_FILE:kvmsim>)
	set_tests_properties(scenario-arm64/sgi-wakeup/explore PROPERTIES TIMEOUT 300)
endif()

# an EL0 task's faults through its guest kernel, in the trace's order
if("el0-uffd" IN_LIST arm64_scenarios)
	add_test(NAME scenario-arm64/el0-uffd/trace
		COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/arm64-el0-trace.sh $<TARGET_FILE:kvmsim>)
	set_tests_properties(scenario-arm64/el0-uffd/trace PROPERTIES TIMEOUT 120)
endif()

if("touch-pages" IN_LIST arm64_scenarios)
	add_test(NAME scenario-arm64/touch-pages/levels
		COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/arm64-touch-pages-levels.sh $<TARGET_FILE:kvmsim>)
	set_tests_properties(scenario-arm64/touch-pages/levels PROPERTIES TIMEOUT 120)
endif()

# page_fault_test's matrix: access kind x memslot kind, compared line by
# line with what the arm64 rules give (tests/arm64/expected/pf-matrix.out)
if(TARGET scenario_lib_arm64)
	add_executable(pf-matrix arm64/pf-matrix.c)
	target_link_libraries(pf-matrix PRIVATE scenario_lib_arm64 pthread)
	add_dependencies(pf-matrix guest_bins)
	add_test(NAME arm64/pf-matrix
		COMMAND sh -c "\"$0\" exec --arch arm64 -- \"$1\" | diff -u \"$2\" -"
			$<TARGET_FILE:kvmsim> $<TARGET_FILE:pf-matrix>
			${CMAKE_CURRENT_SOURCE_DIR}/arm64/expected/pf-matrix.out)
	set_tests_properties(arm64/pf-matrix PROPERTIES TIMEOUT 120)
endif()

# user_mem_abort's return conventions per profile (kvm-model/arm64/mmu.c,
# user_mem_abort_error): patch 11's dirty-marking regression shows in the
# matrix (the written page is not dirty); patch 12's absent mapping is a
# normal exit 38; an unresolved page is a bare -EFAULT upstream (as merged
# Linux) and before 2023, exit 39 with -EFAULT under annotate-error-pfn.
if(TARGET pf-matrix)
	add_test(NAME arm64/pf-matrix/rfc-2023-v2
		COMMAND sh -c "\"$0\" exec --arch arm64 --profile rfc-2023-v2 -- \"$1\" | diff -u \"$2\" -"
			$<TARGET_FILE:kvmsim> $<TARGET_FILE:pf-matrix>
			${CMAKE_CURRENT_SOURCE_DIR}/arm64/expected/pf-matrix.rfc-2023-v2.out)
	add_test(NAME arm64/return-0-exit
		COMMAND $<TARGET_FILE:kvmsim> exec --arch arm64 --profile rfc-2023-v2
			-- $<TARGET_FILE:pf-matrix> absent)
	set_tests_properties(arm64/return-0-exit PROPERTIES
		PASS_REGULAR_EXPRESSION "KVM_RUN: 0, exit 38 gpa 0x40000000 size 0x1000")
	add_test(NAME arm64/efault-upstream
		COMMAND sh -c "\"$0\" exec --arch arm64 --fail slow_gup:1 -- \"$1\" | head -2"
			$<TARGET_FILE:kvmsim> $<TARGET_FILE:pf-matrix>)
	set_tests_properties(arm64/efault-upstream PROPERTIES
		PASS_REGULAR_EXPRESSION "KVM_RUN: -1 EFAULT, exit_reason 0\n")
	add_test(NAME arm64/efault-annotated
		COMMAND sh -c "\"$0\" exec --arch arm64 --profile upstream+annotate-error-pfn --fail slow_gup:1 -- \"$1\" | head -2"
			$<TARGET_FILE:kvmsim> $<TARGET_FILE:pf-matrix>)
	set_tests_properties(arm64/efault-annotated PROPERTIES
		PASS_REGULAR_EXPRESSION "KVM_RUN: -1 EFAULT, exit_reason 39\n")
	add_test(NAME arm64/efault-pre-2023
		COMMAND sh -c "\"$0\" exec --arch arm64 --profile arm64-pre-2023 --fail slow_gup:1 -- \"$1\" | head -2"
			$<TARGET_FILE:kvmsim> $<TARGET_FILE:pf-matrix>)
	set_tests_properties(arm64/efault-pre-2023 PROPERTIES
		PASS_REGULAR_EXPRESSION "KVM_RUN: -1 EFAULT, exit_reason 0\n")
endif()

# before 6.2 an S1PTW abort was a write: the matrix's S1PTW row changes
# in exactly three cells (userfault WRITE, abort on the read-only slot,
# the page-table page dirty)
if(TARGET pf-matrix)
	add_test(NAME arm64/pf-matrix/s1ptw-write
		COMMAND sh -c "\"$0\" exec --arch arm64 --profile upstream+arm64-s1ptw-write -- \"$1\" | diff -u \"$2\" -"
			$<TARGET_FILE:kvmsim> $<TARGET_FILE:pf-matrix>
			${CMAKE_CURRENT_SOURCE_DIR}/arm64/expected/pf-matrix.s1ptw-write.out)
endif()

if("racy-vmm" IN_LIST arm64_scenarios)
	add_test(NAME arm64/explore-replay
		COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/arm64-explore-test.sh $<TARGET_FILE:kvmsim>)
	set_tests_properties(arm64/explore-replay PROPERTIES TIMEOUT 300)
endif()

# user_mem_abort's invalidation-sequence retry: userfault-race's faults
# race MADV_DONTNEED; with seed 0, five of them find the sequence moved
if("userfault-race" IN_LIST arm64_scenarios)
	add_test(NAME arm64/mmu-invalidate-retry
		COMMAND sh -c "\"$0\" run userfault-race --arch arm64 --trace /dev/stdout 2>/dev/null | grep -c '\"event\":\"mmu_invalidate_retry\"'"
			$<TARGET_FILE:kvmsim>)
	set_tests_properties(arm64/mmu-invalidate-retry PROPERTIES PASS_REGULAR_EXPRESSION "^5\n")
endif()
