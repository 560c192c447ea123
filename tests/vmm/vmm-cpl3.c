// SPDX-License-Identifier: MIT
/*
 * vmm-cpl3: privileged instructions at CPL 3 raise #GP(0) before any
 * intercept, also those KVM (and kvmsim) emulate: RDMSR, WRMSR, MOV
 * from/to CR0, CR3, CR8, INVLPG, CLTS, LMSW, HLT, MOV from DR7.  Each runs in
 * a fresh VM in 64-bit mode with CS and SS at DPL 3, IOPL 3 and an IDT
 * of limit 0, so the #GP cannot be delivered and the guest triple-faults:
 * KVM_EXIT_SHUTDOWN.  An instruction that runs instead reaches the OUT
 * after it (KVM_EXIT_IO): `nop` and `rdtsc` (CR4.TSD clear) must.
 */
#include <stdio.h>

#include "vmm-lib.h"

#define RAM_SIZE	0x400000
#define PT_GPA		0x1000
#define GDT_GPA		0x4000
#define CODE_GPA	0x8000
#define STACK_TOP	0x7000

extern const char guest_cpl3_start[], guest_cpl3_end[];
extern const char cpl3_nop[], cpl3_rdmsr[], cpl3_wrmsr[], cpl3_mov_from_cr0[];
extern const char cpl3_mov_to_cr3[], cpl3_mov_from_cr8[], cpl3_invlpg[], cpl3_clts[];
extern const char cpl3_hlt[], cpl3_mov_from_dr7[], cpl3_lmsw[], cpl3_rdtsc[];

static const struct {
	const char *name;
	const char *code;
} snippets[] = {
	{ "nop", cpl3_nop },
	{ "rdmsr", cpl3_rdmsr },
	{ "wrmsr", cpl3_wrmsr },
	{ "mov from cr0", cpl3_mov_from_cr0 },
	{ "mov to cr3", cpl3_mov_to_cr3 },
	{ "mov from cr8", cpl3_mov_from_cr8 },
	{ "invlpg", cpl3_invlpg },
	{ "clts", cpl3_clts },
	{ "hlt", cpl3_hlt },
	{ "mov from dr7", cpl3_mov_from_dr7 },
	{ "lmsw", cpl3_lmsw },
	{ "rdtsc", cpl3_rdtsc },
};

/* user pages, DPL-3 code and data descriptors, CPL 3, IOPL 3, no IDT */
static void enter_user_mode(struct vmm *v, char *ram, uint64_t rip)
{
	uint64_t *pt = (uint64_t *)(ram + PT_GPA), *gdt = (uint64_t *)(ram + GDT_GPA);
	struct kvm_sregs s;
	struct kvm_regs r;

	vmm_setup_long_mode(v, ram, PT_GPA, GDT_GPA);
	pt[0] |= PTE_US;			/* PML4 */
	pt[512] |= PTE_US;			/* PDPT */
	for (int i = 0; i < 512; i++)
		pt[1024 + i] |= PTE_US;		/* PD: 2 MiB pages */
	gdt[3] = 0x00affb000000ffffULL;		/* 64-bit code, DPL 3 */
	gdt[4] = 0x00cff3000000ffffULL;		/* data, DPL 3 */
	vmm_get_sregs(v, &s);
	s.gdt.limit = 5 * 8 - 1;
	s.cs.selector = 0x1b;
	s.cs.dpl = 3;
	s.ds.selector = 0x23;
	s.ds.dpl = 3;
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.idt.base = 0;
	s.idt.limit = 0;
	vmm_set_sregs(v, &s);
	vmm_get_regs(v, &r);
	r.rip = rip;
	r.rsp = STACK_TOP;
	r.rflags = 0x3002;			/* IOPL 3 */
	xioctl(v->vcpu_fd, KVM_SET_REGS, &r);
}

static void run_snippet(struct vmm *v, const char *name, const char *code)
{
	char *ram = vmm_alloc(RAM_SIZE);
	uint64_t rip = CODE_GPA + (uint64_t)(code - guest_cpl3_start);
	int r;

	vmm_set_slot(v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_cpl3_start, guest_cpl3_end);
	enter_user_mode(v, ram, rip);
	r = vmm_run(v);
	printf("%-13s KVM_RUN %d: %s", name, r, exit_reason_name(v->run->exit_reason));
	if (v->run->exit_reason == KVM_EXIT_IO)
		printf(" port 0x%x", v->run->io.port);
	printf("\n");
}

int main(void)
{
	struct vmm v;

	printf("# vmm-cpl3\n");
	vmm_open(&v);
	for (size_t i = 0; i < sizeof(snippets) / sizeof(snippets[0]); i++) {
		if (i)
			vmm_create_vm(&v);
		run_snippet(&v, snippets[i].name, snippets[i].code);
		vmm_destroy_vm(&v);
	}
	return 0;
}
