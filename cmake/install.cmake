# cmake --install: the command, libkvmsim.so, the scenarios with their
# manifests and guests, the scenario library and guest runtime for
# scenarios written outside the tree (CMake package, pkg-config), the man
# page, bash completion and the docs.  Everything is found relative to
# where it is installed, so the tree can be moved (DESTDIR, a tarball).
include(CMakePackageConfigHelpers)

set(KVMSIM_PKGLIBDIR ${CMAKE_INSTALL_LIBDIR}/kvmsim)
set(KVMSIM_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/kvmsim)

install(TARGETS kvmsim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS kvmsim_preload LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})

# the scenarios: NAME, NAME.manifest, arm64/NAME, NAME.arm64.manifest
get_property(names GLOBAL PROPERTY KVMSIM_SCENARIOS)
foreach(name ${names})
	string(REPLACE "-" "_" t ${name})
	install(TARGETS scenario_${t} RUNTIME DESTINATION ${KVMSIM_PKGLIBDIR}/scenarios)
endforeach()
get_property(names GLOBAL PROPERTY KVMSIM_ARM64_SCENARIOS)
foreach(name ${names})
	string(REPLACE "-" "_" t ${name})
	install(TARGETS scenario_arm64_${t} RUNTIME DESTINATION ${KVMSIM_PKGLIBDIR}/scenarios/arm64)
endforeach()
file(GLOB manifests ${CMAKE_SOURCE_DIR}/scenarios/*.manifest)
install(FILES ${manifests} DESTINATION ${KVMSIM_PKGLIBDIR}/scenarios)
install(DIRECTORY ${CMAKE_BINARY_DIR}/guest-bins/ DESTINATION ${KVMSIM_PKGLIBDIR}/guest-bins
	FILES_MATCHING PATTERN "*.elf")

# the scenario library and its headers
set_target_properties(scenario_lib PROPERTIES OUTPUT_NAME kvmsim-scenario)
install(TARGETS scenario_lib ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${CMAKE_SOURCE_DIR}/scenarios/lib/scenario.h
	${CMAKE_SOURCE_DIR}/include/kvmsim/uapi_ext.h
	${CMAKE_SOURCE_DIR}/include/kvmsim/arm64_uapi.h
	${CMAKE_SOURCE_DIR}/guest-bins/x86_64/include/guest_abi.h
	${CMAKE_SOURCE_DIR}/guest-bins/arm64/include/guest_abi_arm64.h
	${CMAKE_BINARY_DIR}/include/kvmsim/version.h
	DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/kvmsim)

# the guest runtime and linker scripts, laid out as guest-bins/ is
foreach(arch x86_64 arm64)
	install(DIRECTORY ${CMAKE_SOURCE_DIR}/guest-bins/${arch}/lib
		${CMAKE_SOURCE_DIR}/guest-bins/${arch}/include
		DESTINATION ${CMAKE_INSTALL_DATADIR}/kvmsim/guest/${arch})
	install(FILES ${CMAKE_SOURCE_DIR}/guest-bins/${arch}/guest.ld
		DESTINATION ${CMAKE_INSTALL_DATADIR}/kvmsim/guest/${arch})
endforeach()

# CMake package and pkg-config file, both relative to where they are
file(RELATIVE_PATH KVMSIM_REL_PREFIX ${CMAKE_INSTALL_PREFIX}/${KVMSIM_CMAKEDIR} ${CMAKE_INSTALL_PREFIX})
configure_file(${CMAKE_SOURCE_DIR}/cmake/kvmsimConfig.cmake.in
	${CMAKE_BINARY_DIR}/cmake/kvmsimConfig.cmake @ONLY)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/cmake/kvmsimConfigVersion.cmake
	VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/cmake/kvmsimConfig.cmake
	${CMAKE_BINARY_DIR}/cmake/kvmsimConfigVersion.cmake
	${CMAKE_SOURCE_DIR}/cmake/KvmsimGuest.cmake
	DESTINATION ${KVMSIM_CMAKEDIR})
file(RELATIVE_PATH KVMSIM_PC_REL_PREFIX ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig
	${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" KVMSIM_PC_REL_PREFIX "${KVMSIM_PC_REL_PREFIX}")
configure_file(${CMAKE_SOURCE_DIR}/cmake/kvmsim-scenario.pc.in
	${CMAKE_BINARY_DIR}/cmake/kvmsim-scenario.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/cmake/kvmsim-scenario.pc
	DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# man page, completion, docs
configure_file(${CMAKE_SOURCE_DIR}/docs/kvmsim.1 ${CMAKE_BINARY_DIR}/docs/kvmsim.1 @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/docs/kvmsim.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${CMAKE_SOURCE_DIR}/cli/completion/kvmsim.bash
	DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME kvmsim)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/docs/hazards.md
	${CMAKE_SOURCE_DIR}/docs/tutorial.md ${CMAKE_SOURCE_DIR}/docs/workshop.md
	DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${CMAKE_SOURCE_DIR}/scenarios/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR}
	RENAME scenarios.md)
