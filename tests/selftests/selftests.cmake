# The upstream KVM selftests (Linux 6.12) under kvmsim exec, compared with
# tests/selftests/expected.txt.  The first run installs linux-source-6.12
# (if missing), unpacks and builds the selftests into the build tree's
# selftests-6.12/ (about two minutes on two cores); later runs reuse it.
# Only in make test's first build (gcc, RelWithDebInfo): the Asan, Release
# and clang builds would build and run the same programs again, slower.
if(CMAKE_BUILD_TYPE STREQUAL "RelWithDebInfo" AND CMAKE_C_COMPILER_ID STREQUAL "GNU")
	add_test(NAME selftests/kvm
		COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/selftests/selftests.sh check
			${CMAKE_BINARY_DIR}/selftests-6.12 $<TARGET_FILE:kvmsim>
			${CMAKE_CURRENT_SOURCE_DIR}/selftests/expected.txt)
	set_tests_properties(selftests/kvm PROPERTIES LABELS selftests TIMEOUT 900)
endif()
