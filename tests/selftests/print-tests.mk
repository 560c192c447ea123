# SPDX-License-Identifier: MIT
# Read after the selftests' own Makefile: print the programs it builds.
print-tests:
	@echo $(TEST_GEN_PROGS)
