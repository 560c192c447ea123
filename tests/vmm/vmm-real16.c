// SPDX-License-Identifier: MIT
/*
 * vmm-real16: 16-bit real mode from the architectural reset state.
 *
 * Checks: the vCPU's reset segment state as KVM reports it (CS selector
 * 0xf000, base 0xffff0000), execution from the reset vector in a
 * "ROM" slot at the top of the 4 GiB space, a real-mode far jump that
 * reloads CS (base = selector << 4), segment-relative data accesses
 * (DS = 0x1000), near call/ret on a real-mode stack, port I/O of sizes
 * 1/2/4 both ways, rep stosb, hlt.
 */
#include <stdio.h>

#include "vmm-lib.h"

#define RAM_SIZE	0x100000	/* the first MiB */
#define ROM_GPA		0xffff0000ULL
#define ROM_SIZE	0x10000
#define RESET_IP	0xfff0
#define CODE_GPA	0x7c00
#define DATA_GPA	0x10000

extern const char guest_reset_start[], guest_reset_end[];
extern const char guest_real16_start[], guest_real16_end[];

int main(void)
{
	struct vmm v;
	uint8_t in_seed = 0x30;
	char *ram, *rom;

	printf("# vmm-real16\n");
	vmm_open(&v);
	ram = vmm_alloc(RAM_SIZE);
	rom = vmm_alloc(ROM_SIZE);
	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	vmm_set_slot(&v, 1, 0, ROM_GPA, ROM_SIZE, rom);
	vmm_load(rom, RESET_IP, guest_reset_start, guest_reset_end);
	vmm_load(ram, CODE_GPA, guest_real16_start, guest_real16_end);

	/* The reset state, untouched: only the GPRs are set explicitly. */
	vmm_print_sregs(&v);
	vmm_set_regs(&v, RESET_IP, 0);
	vmm_run_to_hlt(&v, &in_seed);
	vmm_print_regs(&v);
	vmm_print_sregs(&v);
	vmm_print_mem("data", ram + DATA_GPA, 0x100);
	vmm_print_mem("stack", ram + 0x6f00, 0x100);
	vmm_close(&v);
	return 0;
}
