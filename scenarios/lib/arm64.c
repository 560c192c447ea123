// SPDX-License-Identifier: MIT
/*
 * arm64 half of the scenario library, built only into the arm64 scenario
 * binaries (against the arm64 uAPI: <asm/kvm.h> from Debian's
 * linux-libc-dev-arm64-cross).  The VMM builds the guest's stage-1
 * tables as the kernel's arm64 selftests do: 4K granule, 39-bit VAs from
 * TTBR0_EL1, [0, GUEST_IDENTITY_END) identity mapped with 1G blocks that
 * virt_map splits on demand, MMU on from the first instruction.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "scenario.h"

#define DESC_VALID	(1ull << 0)
#define DESC_TABLE	(1ull << 1)	/* table, or page at level 3 */
#define DESC_SH_INNER	(3ull << 8)
#define DESC_AF		(1ull << 10)
#define DESC_ADDR_MASK	0x0000fffffffff000ull
#define DESC_NORMAL	(DESC_VALID | DESC_AF | DESC_SH_INNER)	/* AttrIndx 0 */

#define TCR_T0SZ_39	25ull
#define TCR_IRGN0_WB	(1ull << 8)
#define TCR_ORGN0_WB	(1ull << 10)
#define TCR_SH0_INNER	(3ull << 12)
#define TCR_EPD1	(1ull << 23)
#define TCR_IPS_40	(2ull << 32)
#define MAIR_NORMAL_WB	0xffull		/* attr0 */
#define SCTLR_M		(1ull << 0)
#define SCTLR_C		(1ull << 2)
#define SCTLR_I		(1ull << 12)
#define PSTATE_EL1H_MASKED	0x3c5ull

#define CORE_REG(name)	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
			 KVM_REG_ARM_CORE_REG(name))

static u64 pt_alloc(struct kvm_vm *vm)
{
	u64 gpa = vm->pt_next;

	ASSERT(gpa < GUEST_PT_POOL_END, "guest page-table pool exhausted");
	vm->pt_next += SZ_4K;
	memset(gpa_to_hva(vm, gpa, SZ_4K), 0, SZ_4K);
	return gpa;
}

/* The entry for gva in the table at `table`, level 1..3. */
static u64 *pt_entry(struct kvm_vm *vm, u64 table, u64 gva, int level)
{
	u64 *t = gpa_to_hva(vm, table, SZ_4K);

	return &t[(gva >> (12 + 9 * (3 - level))) & 511];
}

/* Replace a block by a table of 512 entries mapping the same. */
static void split_block(struct kvm_vm *vm, u64 *desc, int level)
{
	u64 table = pt_alloc(vm);
	u64 *t = gpa_to_hva(vm, table, SZ_4K);
	u64 child = 1ull << (12 + 9 * (2 - level));
	u64 base = *desc & DESC_ADDR_MASK;

	for (int i = 0; i < 512; i++)
		t[i] = (base + i * child) | DESC_NORMAL | (level == 2 ? DESC_TABLE : 0);
	*desc = table | DESC_VALID | DESC_TABLE;
}

u64 *virt_get_pte(struct kvm_vm *vm, u64 gva, u64 page_size)
{
	int leaf = page_size == SZ_4K ? 3 : page_size == SZ_2M ? 2 : 1;
	u64 table = vm->pml4_gpa;

	ASSERT(page_size == SZ_4K || page_size == SZ_2M || page_size == SZ_1G,
	       "page size %#llx", (unsigned long long)page_size);
	for (int level = 1; level < leaf; level++) {
		u64 *d = pt_entry(vm, table, gva, level);

		if (!(*d & DESC_VALID))
			*d = pt_alloc(vm) | DESC_VALID | DESC_TABLE;
		else if (!(*d & DESC_TABLE))
			split_block(vm, d, level);
		table = *d & DESC_ADDR_MASK;
	}
	return pt_entry(vm, table, gva, leaf);
}

void virt_map(struct kvm_vm *vm, u64 gva, u64 gpa, u64 size, u64 page_size)
{
	ASSERT(!((gva | gpa | size) & (page_size - 1)), "virt_map: unaligned");
	for (u64 off = 0; off < size; off += page_size) {
		u64 *d = virt_get_pte(vm, gva + off, page_size);

		*d = (gpa + off) | DESC_NORMAL | (page_size == SZ_4K ? DESC_TABLE : 0);
	}
}

void arm64_setup_system(struct kvm_vm *vm)
{
	vm->pt_next = GUEST_PT_POOL_GPA;
	vm->pml4_gpa = pt_alloc(vm);
	virt_map(vm, 0, 0, GUEST_IDENTITY_END, SZ_1G);
}

void vcpu_set_reg(struct kvm_vcpu *vcpu, u64 id, u64 val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (u64)&val };

	if (ioctl(vcpu->fd, KVM_SET_ONE_REG, &reg) < 0)
		die_errno("KVM_SET_ONE_REG %#llx", (unsigned long long)id);
}

u64 vcpu_get_reg(struct kvm_vcpu *vcpu, u64 id)
{
	u64 val = 0;
	struct kvm_one_reg reg = { .id = id, .addr = (u64)&val };

	if (ioctl(vcpu->fd, KVM_GET_ONE_REG, &reg) < 0)
		die_errno("KVM_GET_ONE_REG %#llx", (unsigned long long)id);
	return val;
}

void vcpu_set_gpr(struct kvm_vcpu *vcpu, int n, u64 val)
{
	vcpu_set_reg(vcpu, CORE_REG(regs.regs[n]), val);
}

/* KVM_ARM_VCPU_INIT with the preferred target and PSCI 0.2, then EL1h, MMU on. */
void arm64_setup_vcpu(struct kvm_vcpu *vcpu, u64 entry)
{
	struct kvm_vcpu_init init;
	u64 sctlr;

	if (ioctl(vcpu->vm->vm_fd, KVM_ARM_PREFERRED_TARGET, &init) < 0)
		die_errno("KVM_ARM_PREFERRED_TARGET");
	init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	if (ioctl(vcpu->fd, KVM_ARM_VCPU_INIT, &init) < 0)
		die_errno("KVM_ARM_VCPU_INIT");
	vcpu_set_reg(vcpu, CORE_REG(regs.pstate), PSTATE_EL1H_MASKED);
	vcpu_set_reg(vcpu, CORE_REG(sp_el1), GUEST_STACK_TOP - vcpu->id * GUEST_VCPU_STACK);
	vcpu_set_reg(vcpu, CORE_REG(regs.pc), entry);
	vcpu_set_reg(vcpu, ARM64_SYS_REG(3, 0, 10, 2, 0), MAIR_NORMAL_WB);
	vcpu_set_reg(vcpu, ARM64_SYS_REG(3, 0, 2, 0, 2), TCR_T0SZ_39 | TCR_IRGN0_WB |
		     TCR_ORGN0_WB | TCR_SH0_INNER | TCR_EPD1 | TCR_IPS_40);
	vcpu_set_reg(vcpu, ARM64_SYS_REG(3, 0, 2, 0, 0), vcpu->vm->pml4_gpa);
	sctlr = vcpu_get_reg(vcpu, ARM64_SYS_REG(3, 0, 1, 0, 0));
	vcpu_set_reg(vcpu, ARM64_SYS_REG(3, 0, 1, 0, 0), sctlr | SCTLR_M | SCTLR_C | SCTLR_I);
}
