// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness: the guest ELF loader (scenarios/lib/elf.c,
 * vm_load_elf).  It reports a malformed file and exits 1; exit is
 * wrapped (-Wl,--wrap=exit) to come back here, so each input is one
 * load.  Guest memory is a buffer of the guest's main-memory size, and
 * every segment must land inside it.
 */
#define _GNU_SOURCE	/* memfd_create */
#include <setjmp.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "scenario.h"

static uint8_t guest_mem[GUEST_MAIN_SIZE];
static jmp_buf on_exit_jmp;
static bool loading;

void __real_exit(int status);

/* libFuzzer's own exit() is wrapped too: only the loader's comes back */
void __wrap_exit(int status)
{
	if (loading)
		longjmp(on_exit_jmp, status + 1);
	__real_exit(status);
}

/* the scenario library's assertion: the loader never asserts on its input */
void __die(const char *file, int line, bool with_errno, const char *fmt, ...)
{
	__builtin_trap();
}

void *gpa_to_hva(struct kvm_vm *vm, u64 gpa, u64 len)
{
	if (gpa > GUEST_MAIN_SIZE || len > GUEST_MAIN_SIZE - gpa)
		__builtin_trap();	/* the loader must have refused this segment */
	return guest_mem + gpa;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = fuzz_input_file(data, size, path, sizeof(path));

	if (fd < 0)
		return 0;
	loading = true;
	if (!setjmp(on_exit_jmp))
		vm_load_elf(NULL, path);
	loading = false;
	close(fd);
	return 0;
}
