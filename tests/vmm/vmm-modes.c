// SPDX-License-Identifier: MIT
/*
 * vmm-modes: CPU mode changes inside KVM_RUN.
 *
 * Checks: a guest that starts at the reset vector in real mode, enters
 * protected mode (CR0.PE and a far jump through its own GDT), long mode
 * (CR4.PAE, CR3, EFER.LME, CR0.PG, EFER.LMA read back in compatibility
 * mode, a far jump to a 64-bit CS), runs 64-bit code, and comes back
 * down (far return to compatibility mode, CR0.PG and EFER.LME off, a
 * 16-bit protected-mode CS, CR0.PE off, a real-mode far jump), reporting
 * a value computed in each mode on its own port.  The VMM never touches
 * the sregs: every change is the guest's.
 */
#include <stdio.h>
#include <string.h>

#include "vmm-lib.h"

#define RAM_SIZE	0x200000
#define ROM_GPA		0xffff0000ULL
#define ROM_SIZE	0x10000
#define RESET_IP	0xfff0
#define CODE_GPA	0x7c00
#define PML4_GPA	0x1000

extern const char guest_modes_reset_start[], guest_modes_reset_end[];
extern const char guest_modes_start[], guest_modes_end[];

/* Identity map of the first GiB with 2 MiB pages, A/D preset. */
static void build_page_tables(char *ram)
{
	uint64_t *pml4 = (uint64_t *)(ram + PML4_GPA);
	uint64_t *pdpt = (uint64_t *)(ram + PML4_GPA + 0x1000);
	uint64_t *pd = (uint64_t *)(ram + PML4_GPA + 0x2000);

	pml4[0] = (PML4_GPA + 0x1000) | PTE_P | PTE_RW | PTE_A;
	pdpt[0] = (PML4_GPA + 0x2000) | PTE_P | PTE_RW | PTE_A;
	for (int i = 0; i < 512; i++)
		pd[i] = ((uint64_t)i << 21) | PTE_P | PTE_RW | PTE_PS | PTE_A | PTE_D;
}

int main(void)
{
	struct vmm v;
	char *ram, *rom;
	int r;

	printf("# vmm-modes\n");
	vmm_open(&v);
	ram = vmm_alloc(RAM_SIZE);
	rom = vmm_alloc(ROM_SIZE);
	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	vmm_set_slot(&v, 1, 0, ROM_GPA, ROM_SIZE, rom);
	vmm_load(rom, RESET_IP, guest_modes_reset_start, guest_modes_reset_end);
	vmm_load(ram, CODE_GPA, guest_modes_start, guest_modes_end);
	build_page_tables(ram);

	vmm_set_regs(&v, RESET_IP, 0);
	/* OUT exits only, until the hlt (or whatever stops the guest) */
	do
		r = vmm_run(&v);
	while (r == KVM_EXIT_IO && v.nr_runs < 32);
	vmm_print_regs(&v);
	vmm_print_sregs(&v);
	vmm_print_mem("page tables", ram + PML4_GPA, 0x3000);
	vmm_close(&v);
	return 0;
}
