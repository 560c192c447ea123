// SPDX-License-Identifier: MIT
/*
 * x86-64 system state for a guest that starts in 64-bit long mode.
 *
 * The guest never switches modes itself: the VMM writes page tables, GDT
 * and TSS into guest memory and loads CR0/CR3/CR4/EFER and the segment,
 * GDTR/IDTR and TR registers with KVM_SET_SREGS, so the first instruction
 * already runs with paging on.  The GDT entries are generated from the
 * same struct kvm_segment values that KVM_SET_SREGS loads, so the hidden
 * segment state and the descriptors an iretq reloads can never disagree.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "scenario.h"
#include "internal.h"

#define CR0_PE		(1ull << 0)
#define CR0_MP		(1ull << 1)
#define CR0_ET		(1ull << 4)
#define CR0_NE		(1ull << 5)
#define CR0_WP		(1ull << 16)
#define CR0_PG		(1ull << 31)
#define CR4_PAE		(1ull << 5)
#define EFER_LME	(1ull << 8)
#define EFER_LMA	(1ull << 10)

#define RFLAGS_FIXED	(1ull << 1)	/* bit 1 always reads as 1 */

#define GDT_ENTRIES	5		/* null, code, data, TSS (2 slots) */
#define TSS_LIMIT	0x67		/* 104-byte 64-bit TSS */

/* --- page tables --------------------------------------------------- */

static u64 pt_alloc(struct kvm_vm *vm)
{
	u64 gpa = vm->pt_next;

	ASSERT(gpa < GUEST_PT_POOL_END, "guest page-table pool exhausted");
	vm->pt_next += SZ_4K;
	memset(gpa_to_hva(vm, gpa, SZ_4K), 0, SZ_4K);
	return gpa;
}

static u64 *pt_entry(struct kvm_vm *vm, u64 table, u64 gva, int level)
{
	u64 *t = gpa_to_hva(vm, table, SZ_4K);

	return &t[(gva >> (12 + 9 * (level - 1))) & 511];
}

/* Replace a 2M leaf by a page table of 512 4K leaves mapping the same. */
static void split_2m(struct kvm_vm *vm, u64 *pde)
{
	u64 pt = pt_alloc(vm);
	u64 base = *pde & PTE_ADDR_MASK & ~(SZ_2M - 1);
	u64 flags = *pde & ~PTE_ADDR_MASK & ~PTE_PS;
	u64 *t = gpa_to_hva(vm, pt, SZ_4K);

	for (int i = 0; i < 512; i++)
		t[i] = (base + i * SZ_4K) | flags;
	*pde = pt | PTE_P | PTE_RW;
}

/*
 * Return the leaf entry for gva at the given page size, creating missing
 * intermediate tables (present + writable, so the leaf alone decides
 * permissions) and splitting a 2M leaf on the way to a 4K one.
 */
u64 *virt_get_pte(struct kvm_vm *vm, u64 gva, u64 page_size)
{
	int leaf = page_size == SZ_2M ? 2 : 1;
	u64 table = vm->pml4_gpa;

	ASSERT(page_size == SZ_4K || page_size == SZ_2M,
	       "page size %#llx: only 4K and 2M are supported",
	       (unsigned long long)page_size);
	ASSERT(gva < (1ull << 47), "gva %#llx is not a lower-half canonical address",
	       (unsigned long long)gva);

	for (int level = 4; level > leaf; level--) {
		u64 *e = pt_entry(vm, table, gva, level);

		if (!(*e & PTE_P)) {
			*e = pt_alloc(vm) | PTE_P | PTE_RW;
		} else if (*e & PTE_PS) {
			ASSERT(level == 2, "gva %#llx: 1G guest pages are not supported",
			       (unsigned long long)gva);
			split_2m(vm, e);
		}
		table = *e & PTE_ADDR_MASK;
	}
	return pt_entry(vm, table, gva, leaf);
}

void virt_map(struct kvm_vm *vm, u64 gva, u64 gpa, u64 size, u64 page_size)
{
	u64 leaf_flags = PTE_P | PTE_RW | (page_size == SZ_2M ? PTE_PS : 0);

	ASSERT(page_size && !(gva % page_size) && !(gpa % page_size) &&
	       !(size % page_size),
	       "virt_map gva %#llx gpa %#llx size %#llx: not %#llx aligned",
	       (unsigned long long)gva, (unsigned long long)gpa,
	       (unsigned long long)size, (unsigned long long)page_size);
	for (u64 off = 0; off < size; off += page_size)
		*virt_get_pte(vm, gva + off, page_size) = (gpa + off) | leaf_flags;
}

/* --- descriptors --------------------------------------------------- */

static struct kvm_segment code_segment(void)
{
	return (struct kvm_segment) {
		.base = 0, .limit = 0xffffffff, .selector = GDT_SEL_CODE,
		.type = 11,	/* execute/read, accessed */
		.present = 1, .dpl = 0, .db = 0, .s = 1, .l = 1, .g = 1,
	};
}

static struct kvm_segment data_segment(void)
{
	return (struct kvm_segment) {
		.base = 0, .limit = 0xffffffff, .selector = GDT_SEL_DATA,
		.type = 3,	/* read/write, accessed */
		.present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
	};
}

static struct kvm_segment tss_segment(void)
{
	return (struct kvm_segment) {
		.base = GUEST_TSS_GPA, .limit = TSS_LIMIT,
		.selector = GDT_SEL_TSS,
		.type = 11,	/* 64-bit TSS, busy: what ltr would leave */
		.present = 1, .s = 0, .g = 0,
	};
}

/* The low 8 bytes of the descriptor for a segment (bases above 4G need
 * a second qword, which only system descriptors have). */
static u64 descriptor(const struct kvm_segment *s)
{
	u64 limit = s->g ? s->limit >> 12 : s->limit;

	return (limit & 0xffff) |
	       ((s->base & 0xffffff) << 16) |
	       ((u64)(s->type & 0xf) << 40) |
	       ((u64)(s->s & 1) << 44) |
	       ((u64)(s->dpl & 3) << 45) |
	       ((u64)(s->present & 1) << 47) |
	       (((limit >> 16) & 0xf) << 48) |
	       ((u64)(s->avl & 1) << 52) |
	       ((u64)(s->l & 1) << 53) |
	       ((u64)(s->db & 1) << 54) |
	       ((u64)(s->g & 1) << 55) |
	       (((s->base >> 24) & 0xff) << 56);
}

static void gdt_setup(struct kvm_vm *vm)
{
	u64 *gdt = gpa_to_hva(vm, GUEST_GDT_GPA, SZ_4K);
	struct kvm_segment cs = code_segment(), ds = data_segment();
	struct kvm_segment tr = tss_segment();

	memset(gdt, 0, SZ_4K);
	gdt[GDT_SEL_CODE / 8] = descriptor(&cs);
	gdt[GDT_SEL_DATA / 8] = descriptor(&ds);
	gdt[GDT_SEL_TSS / 8] = descriptor(&tr);
	gdt[GDT_SEL_TSS / 8 + 1] = tr.base >> 32;
}

void x86_setup_system(struct kvm_vm *vm)
{
	vm->pt_next = GUEST_PT_POOL_GPA;
	vm->pml4_gpa = pt_alloc(vm);
	virt_map(vm, 0, 0, GUEST_IDENTITY_END, SZ_2M);

	gdt_setup(vm);
	memset(gpa_to_hva(vm, GUEST_TSS_GPA, SZ_4K), 0, SZ_4K);
	/* Not-present gates until the guest runtime fills vectors 0-31. */
	memset(gpa_to_hva(vm, GUEST_IDT_GPA, SZ_4K), 0, SZ_4K);
}

/* --- vCPU ---------------------------------------------------------- */

static struct kvm_cpuid2 *supported_cpuid(int kvm_fd)
{
	for (int nent = 64; nent <= 4096; nent *= 2) {
		struct kvm_cpuid2 *c;

		c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
		if (!c)
			die("out of memory");
		c->nent = nent;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG)
			die_errno("KVM_GET_SUPPORTED_CPUID");
	}
	die("KVM_GET_SUPPORTED_CPUID: more than 4096 entries");
}

static void setup_cpuid(struct kvm_vcpu *vcpu)
{
	struct kvm_cpuid2 *c = supported_cpuid(vcpu->vm->kvm_fd);

	if (ioctl(vcpu->fd, KVM_SET_CPUID2, c) < 0)
		die_errno("KVM_SET_CPUID2");
	free(c);
}

static void setup_sregs(struct kvm_vcpu *vcpu)
{
	struct kvm_sregs sregs;

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0)
		die_errno("KVM_GET_SREGS");

	sregs.cs = code_segment();
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data_segment();
	sregs.tr = tss_segment();
	sregs.gdt.base = GUEST_GDT_GPA;
	sregs.gdt.limit = GDT_ENTRIES * 8 - 1;
	sregs.idt.base = GUEST_IDT_GPA;
	sregs.idt.limit = 256 * 16 - 1;

	sregs.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	sregs.cr3 = vcpu->vm->pml4_gpa;
	sregs.cr4 = CR4_PAE;
	sregs.efer = EFER_LME | EFER_LMA;

	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs) < 0)
		die_errno("KVM_SET_SREGS");
}

static void setup_regs(struct kvm_vcpu *vcpu, u64 entry)
{
	struct kvm_regs regs = {
		.rip = entry,
		.rsp = GUEST_STACK_TOP - vcpu->id * GUEST_VCPU_STACK,
		.rflags = RFLAGS_FIXED,	/* IF = 0: no interrupts, ever */
	};

	if (ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0)
		die_errno("KVM_SET_REGS");
}

void x86_setup_vcpu(struct kvm_vcpu *vcpu, u64 entry)
{
	/* CPUID first: KVM checks CR4/EFER bits against the guest's CPUID. */
	setup_cpuid(vcpu);
	setup_sregs(vcpu);
	setup_regs(vcpu, entry);
}

void *vm_setup_apf(struct kvm_vm *vm, void *data, u64 data_size)
{
	void *area = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		die_errno("KVM_CREATE_IRQCHIP");
	if (area == MAP_FAILED)
		die_errno("mmap");
	vm_add_slot_hva(vm, APF_DATA_SLOT, APF_DATA_GPA, data_size, 0, data);
	vm_add_slot_hva(vm, APF_AREA_SLOT, APF_AREA_GPA, SZ_4K, 0, area);
	virt_map(vm, APF_DATA_GPA, APF_DATA_GPA, data_size, SZ_4K);
	virt_map(vm, APF_AREA_GPA, APF_AREA_GPA, SZ_4K, SZ_4K);
	return area;
}
