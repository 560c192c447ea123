// SPDX-License-Identifier: MIT
/*
 * vmm-readonly: a KVM_MEM_READONLY memslot.
 *
 * Checks: guest loads from a read-only slot see the data the VMM wrote
 * into its backing; guest stores of 1, 2, 4 and 8 bytes to it exit as
 * KVM_EXIT_MMIO with is_write=1, the slot's gpa and the data, and leave
 * the backing unchanged; a read-modify-write reads from the slot and
 * exits only for the write; code in the slot can be executed; VMM
 * writes to the backing while the guest is halted are visible to it.
 */
#include <stdio.h>
#include <string.h>

#include "vmm-lib.h"

#define RAM_SIZE	0x400000
#define PT_GPA		0x1000
#define GDT_GPA		0x4000
#define STACK_TOP	0x7000
#define CODE_GPA	0x8000
#define DATA_GPA	0x200000
#define ROM_GPA		0x600000
#define ROM_SIZE	0x10000
#define ROM_FUNC_OFF	0x1000

extern const char guest_ro_start[], guest_ro_end[];
extern const char guest_rom_func_start[], guest_rom_func_end[];

static void run_to_hlt(struct vmm *v)
{
	for (int exits = 0; exits < 100; exits++) {
		int reason = vmm_run(v);

		if (reason == KVM_EXIT_HLT)
			return;
		/* MMIO writes and port output need no answer. */
		if (reason == KVM_EXIT_MMIO && v->run->mmio.is_write)
			continue;
		if (reason == KVM_EXIT_IO && v->run->io.direction == KVM_EXIT_IO_OUT)
			continue;
		fatal("unexpected exit");
	}
	fatal("guest never halted");
}

int main(void)
{
	struct vmm v;
	char *ram, *rom;
	uint64_t val;

	printf("# vmm-readonly\n");
	vmm_open(&v);
	ram = vmm_alloc(RAM_SIZE);
	rom = vmm_alloc(ROM_SIZE);
	for (int i = 0; i < 0x100; i++)
		rom[i] = (char)(0x80 + i);
	vmm_load(rom, ROM_FUNC_OFF, guest_rom_func_start, guest_rom_func_end);
	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	vmm_set_slot(&v, 1, KVM_MEM_READONLY, ROM_GPA, ROM_SIZE, rom);
	vmm_load(ram, CODE_GPA, guest_ro_start, guest_ro_end);
	vmm_setup_long_mode(&v, ram, PT_GPA, GDT_GPA);
	vmm_set_regs(&v, CODE_GPA, STACK_TOP);

	run_to_hlt(&v);
	vmm_print_mem("rom", rom, ROM_SIZE);
	val = 0x0706050403020100ULL;
	memcpy(rom, &val, sizeof(val));
	printf("vmm rewrote rom[0..7]\n");
	run_to_hlt(&v);
	vmm_print_regs(&v);
	vmm_print_mem("data", ram + DATA_GPA, 0x1000);
	vmm_print_mem("rom", rom, ROM_SIZE);
	vmm_close(&v);
	return 0;
}
