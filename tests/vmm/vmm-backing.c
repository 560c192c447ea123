// SPDX-License-Identifier: MIT
/*
 * vmm-backing: memslots whose host backing is not fully accessible.
 *
 * Checks what KVM_RUN does when the guest touches a (writable, not
 * KVM_MEM_READONLY) memslot whose userspace backing the VMM mapped
 * PROT_READ or PROT_NONE: reads of PROT_READ, writes to PROT_READ (a
 * fresh page and an already-read page), reads and writes of PROT_NONE.
 * Then the VMM mprotect()s those pages accessible while the slot stays
 * registered and the guest retries; then it revokes access to a page
 * the guest already wrote (mmu-notifier invalidation) and the guest
 * touches it again.
 *
 * Whatever KVM reports is recorded: MMIO exits (reads get VMM data), or
 * a failing KVM_RUN with errno and exit_reason; for
 * KVM_EXIT_MEMORY_FAULT (39, Linux >= 6.8) the memory_fault
 * flags/gpa/size are printed raw since the 6.1 header lacks the member.
 * A failing KVM_RUN is retried once unchanged to show whether it
 * repeats, and is fatal the second time.
 *
 * Recorded oracle note: the kvm_pvm host this was recorded on never
 * fails KVM_RUN here; it turns every access the backing does not allow
 * into KVM_EXIT_MMIO (as if the page were KVM_MEM_READONLY, or not in a
 * memslot at all for PROT_NONE) and honours mprotect() changes at once.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>

#include "vmm-lib.h"

#define RAM_SIZE	0x400000
#define PT_GPA		0x1000
#define GDT_GPA		0x4000
#define STACK_TOP	0x7000
#define CODE_GPA	0x8000
#define DATA_GPA	0x200000
#define RO_GPA		0x600000
#define NONE_GPA	0x800000
#define SLOT_SIZE	0x4000
#define PAGE		0x1000

extern const char guest_backing_start[], guest_backing_end[];

static void xmprotect(void *addr, size_t len, int prot)
{
	if (mprotect(addr, len, prot))
		fatal("mprotect: errno=%s", errno_name(errno));
}

/* Pattern a page while it is writable, then give it its final protection. */
static void fill_page(char *page, uint8_t base, int prot)
{
	xmprotect(page, PAGE, PROT_READ | PROT_WRITE);
	for (int i = 0; i < PAGE; i++)
		page[i] = (char)(base + i);
	xmprotect(page, PAGE, prot);
}

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

static void run_phase(struct vmm *v, uint8_t *seed)
{
	int failed = 0;

	for (int runs = 0; runs < 100; runs++) {
		int reason = vmm_run(v);

		if (reason == KVM_EXIT_HLT)
			return;
		if (reason < 0) {
			if (failed++)
				fatal("KVM_RUN failed again");
			continue;
		}
		failed = 0;
		if (reason == KVM_EXIT_MMIO && !v->run->mmio.is_write)
			answer_mmio_read(v, seed);
		else if (reason != KVM_EXIT_MMIO &&
			 !(reason == KVM_EXIT_IO && v->run->io.direction == KVM_EXIT_IO_OUT))
			fatal("unexpected exit");
	}
	fatal("guest never halted");
}

int main(void)
{
	struct vmm v;
	uint8_t seed = 0xe0;
	char *ram, *ro_mem, *none_mem;

	printf("# vmm-backing\n");
	vmm_open(&v);
	ram = vmm_alloc(RAM_SIZE);
	ro_mem = vmm_alloc(SLOT_SIZE);
	none_mem = vmm_alloc(SLOT_SIZE);
	for (int i = 0; i < SLOT_SIZE / PAGE; i++) {
		fill_page(ro_mem + i * PAGE, (uint8_t)(0x10 * i), PROT_READ);
		fill_page(none_mem + i * PAGE, (uint8_t)(0x10 * i + 0x80), PROT_NONE);
	}
	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	vmm_set_slot(&v, 1, 0, RO_GPA, SLOT_SIZE, ro_mem);
	vmm_set_slot(&v, 2, 0, NONE_GPA, SLOT_SIZE, none_mem);
	vmm_load(ram, CODE_GPA, guest_backing_start, guest_backing_end);
	vmm_setup_long_mode(&v, ram, PT_GPA, GDT_GPA);
	vmm_set_regs(&v, CODE_GPA, STACK_TOP);

	printf("## phase 1: RO backing PROT_READ, NONE backing PROT_NONE\n");
	run_phase(&v, &seed);

	printf("## phase 2: RO page 1, NONE pages 0-1 -> PROT_READ|PROT_WRITE\n");
	xmprotect(ro_mem + PAGE, PAGE, PROT_READ | PROT_WRITE);
	xmprotect(none_mem, 2 * PAGE, PROT_READ | PROT_WRITE);
	run_phase(&v, &seed);

	printf("## phase 3: RO page 1 -> PROT_NONE\n");
	xmprotect(ro_mem + PAGE, PAGE, PROT_NONE);
	run_phase(&v, &seed);

	vmm_print_regs(&v);
	vmm_print_mem("data", ram + DATA_GPA, 0x1000);
	/* Make everything readable to checksum it. */
	xmprotect(ro_mem, SLOT_SIZE, PROT_READ);
	xmprotect(none_mem, SLOT_SIZE, PROT_READ);
	vmm_print_mem("ro-backing", ro_mem, SLOT_SIZE);
	vmm_print_mem("none-backing", none_mem, SLOT_SIZE);
	vmm_close(&v);
	return 0;
}
