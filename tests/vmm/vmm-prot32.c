// SPDX-License-Identifier: MIT
/*
 * vmm-prot32: 32-bit protected mode, without and then with paging.
 *
 * Checks, in a first VM: KVM_SET_SREGS into flat 32-bit protected mode
 * (CR0.PE, no paging, 32-bit code/data segments), port I/O of sizes 1, 2,
 * 4 in both directions, 16/32-bit pushes and pops, memory writes, hlt.
 * In a second VM on the same /dev/kvm fd: 2-level 32-bit paging with
 * CR4.PSE, one 4 MiB page and 4 KiB pages, non-identity mappings so the
 * VMM can tell that translation happened; the guest also reads back
 * CR0/CR3/CR4 to show what KVM loaded.
 *
 * Recorded oracle note: the kvm_pvm host this was recorded on reads CR0
 * back without PG after KVM_SET_SREGS and shuts the paged guest down
 * on its first instruction (KVM_EXIT_SHUTDOWN); the paged half therefore
 * reports how it stopped instead of insisting on a hlt.
 */
#include <stdio.h>
#include <string.h>

#include "vmm-lib.h"

#define RAM_SIZE	0xc00000	/* 12 MiB: room for the 4 MiB page at 8 MiB */
#define PD_GPA		0x1000
#define PT_GPA		0x2000
#define GDT_GPA		0x4000
#define STACK_TOP	0x7000
#define CODE_GPA	0x8000
#define DATA_GPA	0x10000

extern const char guest_flat32_start[], guest_flat32_end[];
extern const char guest_pg32_start[], guest_pg32_end[];

static void seg32(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->db = 1;
	s->s = 1;
	s->g = 1;
}

static void setup_prot32(struct vmm *v, char *ram, int paging)
{
	static const uint64_t gdt[] = {
		0,
		0x00cf9b000000ffffULL,	/* 32-bit code, accessed */
		0x00cf93000000ffffULL,	/* data, accessed */
	};
	struct kvm_sregs sregs;

	memcpy(ram + GDT_GPA, gdt, sizeof(gdt));
	vmm_get_sregs(v, &sregs);
	seg32(&sregs.cs, 0x08, 0xb);
	seg32(&sregs.ds, 0x10, 0x3);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.gdt.base = GDT_GPA;
	sregs.gdt.limit = sizeof(gdt) - 1;
	sregs.cr0 = CR0_PE | CR0_ET | CR0_NE;
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (paging) {
		sregs.cr0 |= CR0_PG | CR0_WP;
		sregs.cr3 = PD_GPA;
		sregs.cr4 = CR4_PSE;
	}
	vmm_set_sregs(v, &sregs);
}

/*
 * Linear 0..4 MiB: 4 KiB pages, identity except 0x3ff000 -> 0x11000.
 * Linear 4..8 MiB: one 4 MiB page -> physical 8 MiB.
 * A/D bits pre-set so the tables never change under us.
 */
static void build_pg32_tables(char *ram)
{
	uint32_t *pd = (uint32_t *)(ram + PD_GPA);
	uint32_t *pt = (uint32_t *)(ram + PT_GPA);
	const uint32_t flags = PTE_P | PTE_RW | PTE_A | PTE_D;

	for (uint32_t i = 0; i < 1024; i++)
		pt[i] = (i << 12) | flags;
	pt[0x3ff] = (DATA_GPA + 0x1000) | flags;
	pd[0] = PT_GPA | PTE_P | PTE_RW | PTE_A;
	pd[1] = 0x800000 | flags | PTE_PS;
}

static void run_flat(struct vmm *v, uint8_t *in_seed)
{
	char *ram = vmm_alloc(RAM_SIZE);

	printf("## flat 32-bit, no paging\n");
	vmm_set_slot(v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_flat32_start, guest_flat32_end);
	setup_prot32(v, ram, 0);
	vmm_print_sregs(v);
	vmm_set_regs(v, CODE_GPA, STACK_TOP);
	vmm_run_to_hlt(v, in_seed);
	vmm_print_regs(v);
	vmm_print_mem("data", ram + DATA_GPA, 0x1000);
	vmm_print_mem("stack", ram + STACK_TOP - 0x100, 0x100);
}

static void run_paged(struct vmm *v, uint8_t *in_seed)
{
	char *ram = vmm_alloc(RAM_SIZE);
	int reason;

	printf("## 32-bit paging, PSE\n");
	vmm_set_slot(v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_pg32_start, guest_pg32_end);
	build_pg32_tables(ram);
	setup_prot32(v, ram, 1);
	/* Shows what KVM made of the requested CR0.PG/CR4.PSE. */
	vmm_print_sregs(v);
	vmm_set_regs(v, CODE_GPA, STACK_TOP);
	/* Not vmm_run_to_hlt(): a host refusing 32-bit paging is recorded, not fatal. */
	reason = vmm_run_io(v, in_seed);
	printf("stopped: %s\n", reason < 0 ? errno_name(-reason) : exit_reason_name(reason));
	vmm_print_regs(v);
	vmm_print_mem("4k-page", ram + DATA_GPA + 0x1000, 0x1000);
	vmm_print_mem("4m-page-head", ram + 0x800000, 0x1000);
	vmm_print_mem("4m-page-tail", ram + 0xbff000, 0x1000);
	vmm_print_mem("pagetables", ram + PD_GPA, 0x2000);
}

int main(void)
{
	struct vmm v;
	uint8_t in_seed = 0x10;

	printf("# vmm-prot32\n");
	vmm_open(&v);
	run_flat(&v, &in_seed);
	vmm_destroy_vm(&v);
	vmm_create_vm(&v);
	run_paged(&v, &in_seed);
	vmm_close(&v);
	return 0;
}
