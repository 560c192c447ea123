// SPDX-License-Identifier: MIT
/*
 * vmm-long-2m: 64-bit long mode set up entirely by the VMM.
 *
 * Checks: KVM_SET_SREGS into long mode (CR0.PG, CR4.PAE, EFER.LME/LMA, a
 * flat GDT) over 4-level page tables with 2 MiB pages built in guest
 * memory; a computing loop; port I/O exits of sizes 1, 2 and 4, a string
 * "rep outsb" exit with count > 1, "in" exits whose data the VMM supplies
 * (partial-register merge for %al, zero-extension for %eax); memory
 * writes in a second 2 MiB page; FS/GS bases set through KVM_SET_SREGS
 * above 4G (negative: the address wraps to the data page), which only a
 * 64-bit base gets right; KVM_EXIT_HLT, and resuming after it.
 * Prints every exit with the RIP KVM reports at that point, the final
 * registers and checksums of the data page and the page tables.
 */
#include <stdio.h>

#include "vmm-lib.h"

#define RAM_SIZE	0x400000
#define PT_GPA		0x1000
#define GDT_GPA		0x4000
#define STACK_TOP	0x7000
#define CODE_GPA	0x8000
#define DATA_GPA	0x200000

extern const char guest_long2m_start[], guest_long2m_end[];

int main(void)
{
	struct vmm v;
	uint8_t in_seed = 0xa0;
	struct kvm_sregs sregs;
	char *ram;

	printf("# vmm-long-2m\n");
	vmm_open(&v);
	ram = vmm_alloc(RAM_SIZE);
	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_long2m_start, guest_long2m_end);
	vmm_setup_long_mode(&v, ram, PT_GPA, GDT_GPA);
	vmm_get_sregs(&v, &sregs);
	sregs.fs.base = -0x1000ull;
	sregs.gs.base = -0x2000ull;
	vmm_set_sregs(&v, &sregs);
	vmm_set_regs(&v, CODE_GPA, STACK_TOP);

	vmm_run_to_hlt(&v, &in_seed);
	vmm_print_regs(&v);
	printf("resume after hlt\n");
	vmm_run_to_hlt(&v, &in_seed);
	vmm_print_regs(&v);

	vmm_print_mem("data", ram + DATA_GPA, 0x1000);
	vmm_print_mem("pagetables", ram + PT_GPA, 0x3000);
	vmm_print_mem("stack", ram + STACK_TOP - 0x1000, 0x1000);
	vmm_close(&v);
	return 0;
}
