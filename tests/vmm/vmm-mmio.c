// SPDX-License-Identifier: MIT
/*
 * vmm-mmio: KVM_EXIT_MMIO in long mode.
 *
 * Checks: guest stores of 1, 2, 4 and 8 bytes to a guest-physical
 * address with no memslot become MMIO write exits (phys_addr, len,
 * is_write, data); guest loads of each size become MMIO read exits whose
 * result the VMM supplies in run->mmio.data before the next KVM_RUN,
 * including a partial-register load, a load consumed by the very next
 * instruction, a memory-source ALU op, a zero-extending load and a
 * read-modify-write (read exit then write exit).  The guest proves what
 * it received by storing it to RAM and echoing it on port 0x50.
 */
#include <stdio.h>

#include "vmm-lib.h"

#define RAM_SIZE	0x400000
#define PT_GPA		0x1000
#define GDT_GPA		0x4000
#define STACK_TOP	0x7000
#define CODE_GPA	0x8000
#define DATA_GPA	0x200000

extern const char guest_mmio_start[], guest_mmio_end[];

/* Answer MMIO reads with successive bytes from *seed. */
static void answer_mmio_read(struct vmm *v, uint8_t *seed)
{
	uint8_t buf[8];
	uint32_t len = v->run->mmio.len;

	if (len > sizeof(buf))
		fatal("mmio read of %u bytes", len);
	for (uint32_t i = 0; i < len; i++)
		buf[i] = (*seed)++;
	vmm_supply_mmio(v, buf, len);
}

static void run_guest(struct vmm *v)
{
	uint8_t seed = 0xc0;

	for (int exits = 0; exits < 100; exits++) {
		int reason = vmm_run(v);

		if (reason == KVM_EXIT_HLT)
			return;
		if (reason == KVM_EXIT_MMIO && !v->run->mmio.is_write)
			answer_mmio_read(v, &seed);
		else if (reason != KVM_EXIT_MMIO &&
			 !(reason == KVM_EXIT_IO && v->run->io.direction == KVM_EXIT_IO_OUT))
			fatal("unexpected exit");
	}
	fatal("guest never halted");
}

int main(void)
{
	struct vmm v;
	char *ram;

	printf("# vmm-mmio\n");
	vmm_open(&v);
	ram = vmm_alloc(RAM_SIZE);
	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_mmio_start, guest_mmio_end);
	vmm_setup_long_mode(&v, ram, PT_GPA, GDT_GPA);
	vmm_set_regs(&v, CODE_GPA, STACK_TOP);
	run_guest(&v);
	vmm_print_regs(&v);
	vmm_print_mem("data", ram + DATA_GPA, 0x1000);
	vmm_close(&v);
	return 0;
}
