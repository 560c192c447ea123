# userfaultfd: the ioctl/read/poll semantics without a VM, demand-paging
# variants, and the lost-wakeup oracle.  Each program's stdout must equal
# the transcript recorded on the real kernel (tests/uffd/expected/), both
# natively and under kvmsim (seeds 1 and 7).
set(UFFD_DIR ${CMAKE_CURRENT_SOURCE_DIR}/uffd)

add_executable(uffd-semantics ${UFFD_DIR}/uffd-semantics.c)
add_executable(uffd-lost-wakeup ${UFFD_DIR}/uffd-lost-wakeup.c)
target_link_libraries(uffd-lost-wakeup PRIVATE scenario_lib)
add_dependencies(uffd-lost-wakeup guest_bins)
set_target_properties(uffd-semantics uffd-lost-wakeup PROPERTIES
	RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/uffd)

foreach(mode native kvmsim)
	add_test(NAME uffd/semantics/${mode}
		COMMAND sh ${UFFD_DIR}/run.sh $<TARGET_FILE:kvmsim> ${mode}
			${UFFD_DIR}/expected/uffd-semantics.out $<TARGET_FILE:uffd-semantics>)
	set_tests_properties(uffd/semantics/${mode} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 60)
endforeach()

# demand-paging beyond its manifest's defaults: name, then arguments
set(DEMAND_PAGING_VARIANTS
	"v4-r3-poll|-a,-v,4,-r,3,-p"
	"minor-v3-r2|-a,-u,MINOR,-v,3,-r,2"
	"v1-r1-2m|-a,-v,1,-r,1,-b,2M"
	"v4-r2-overlap|-v,4,-r,2,-o"
	"minor-v3-r1-delay|-u,MINOR,-v,3,-r,1,-d,100")
foreach(variant ${DEMAND_PAGING_VARIANTS})
	string(REPLACE "|" ";" parts "${variant}")
	string(REPLACE "," ";" parts "${parts}")
	list(GET parts 0 vname)
	list(REMOVE_AT parts 0)
	foreach(mode native kvmsim)
		add_test(NAME uffd/demand-paging-${vname}/${mode}
			COMMAND sh ${UFFD_DIR}/run.sh $<TARGET_FILE:kvmsim> ${mode}
				${UFFD_DIR}/expected/demand-paging-${vname}.out
				${CMAKE_BINARY_DIR}/scenarios/demand-paging ${parts})
		set_tests_properties(uffd/demand-paging-${vname}/${mode} PROPERTIES
			SKIP_RETURN_CODE 77 TIMEOUT 120)
	endforeach()
endforeach()

# -w, memory-fault exits: only profiles with a fast-only memslot flag
# have them (natively -w exits 2); both give the same transcript
foreach(spec exit-on-missing rfc-2023-v2)
	foreach(variant "w-v4|-w,-v,4" "w-minor-v2|-w,-u,MINOR,-v,2")
		string(REPLACE "|" ";" parts "${variant}")
		string(REPLACE "," ";" parts "${parts}")
		list(GET parts 0 vname)
		list(REMOVE_AT parts 0)
		add_test(NAME uffd/demand-paging-${vname}/${spec}
			COMMAND sh ${UFFD_DIR}/run.sh $<TARGET_FILE:kvmsim> kvmsim
				${UFFD_DIR}/expected/demand-paging-${vname}.out
				${CMAKE_BINARY_DIR}/scenarios/demand-paging ${parts})
		set_tests_properties(uffd/demand-paging-${vname}/${spec} PROPERTIES
			ENVIRONMENT "KVMSIM_PROFILE=${spec}" TIMEOUT 120)
	endforeach()
endforeach()

add_test(NAME uffd/lost-wakeup
	COMMAND sh ${UFFD_DIR}/lost-wakeup.sh $<TARGET_FILE:kvmsim> $<TARGET_FILE:uffd-lost-wakeup>)
set_tests_properties(uffd/lost-wakeup PROPERTIES TIMEOUT 60)

# a VMM thread's own loads, stores, memcpy and read(2) on missing pages
# block until a handler thread resolves them (same transcript natively);
# nobody resolving is a deadlock verdict (kvmsim only: Linux hangs)
add_executable(uffd-thread-fault ${UFFD_DIR}/uffd-thread-fault.c)
set_target_properties(uffd-thread-fault PROPERTIES
	RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/uffd)
foreach(mode native kvmsim)
	add_test(NAME uffd/thread-fault/${mode}
		COMMAND sh ${UFFD_DIR}/run.sh $<TARGET_FILE:kvmsim> ${mode}
			${UFFD_DIR}/expected/uffd-thread-fault.out $<TARGET_FILE:uffd-thread-fault>)
	set_tests_properties(uffd/thread-fault/${mode} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 60)
endforeach()
add_test(NAME uffd/thread-fault/unhandled
	COMMAND sh ${UFFD_DIR}/thread-fault.sh $<TARGET_FILE:kvmsim> $<TARGET_FILE:uffd-thread-fault>)
set_tests_properties(uffd/thread-fault/unhandled PROPERTIES TIMEOUT 60)

# userfaultfd on 2 MiB hugetlbfs pages: errnos, message alignment, 2 MiB
# copies, demand paging with -H; natively and under kvmsim, when huge
# pages are free or can be reserved (tests/uffd/hugetlb.sh), else skipped
add_executable(uffd-hugetlb ${UFFD_DIR}/uffd-hugetlb.c)
set_target_properties(uffd-hugetlb PROPERTIES
	RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/uffd)
add_test(NAME uffd/hugetlb
	COMMAND sh ${UFFD_DIR}/hugetlb.sh $<TARGET_FILE:kvmsim> ${UFFD_DIR}/expected
		$<TARGET_FILE:uffd-hugetlb> ${CMAKE_BINARY_DIR}/scenarios/demand-paging)
set_tests_properties(uffd/hugetlb PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120 RUN_SERIAL TRUE)
