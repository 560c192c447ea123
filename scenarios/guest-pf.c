// SPDX-License-Identifier: MIT
/*
 * guest-pf: guest page faults that stay inside the guest.
 *
 * Purpose: a #PF caused by the guest's own page tables (stage 1) is
 * delivered through the guest's IDT; KVM never exits for it.  This
 * checks the exception entry (frame, error code, CR2) and that the guest
 * can repair its tables and retry.  The VMM prepares three addresses
 * outside the 4 GiB identity map:
 *
 *   0x140000000  4K PTE present in a table but not present itself
 *   0x140001000  4K PTE present, read-only (CR0.WP = 1), -> gpa 0x40001000
 *   0x8000000000 no PML4 entry at all
 *
 * Expected, in order: a write to the first faults with error 0x2 and the
 * handler maps it to gpa 0x40000000; a write to the second faults with
 * error 0x3 and the handler makes it writable; a read of the third
 * faults with error 0x0 and the handler skips the instruction.  CR2 is
 * the faulting address each time.  The host then finds the guest's
 * writes in slot 1; UCALL_DONE; exit 0.  The only exits are ucalls.
 */
#include <stdio.h>
#include <string.h>

#include "scenario.h"

#define DATA_SLOT		1
#define DATA_GPA		0x40000000ull
#define DATA_SIZE		0x10000ull

#define NP_GVA			0x140000000ull	/* not present */
#define NP_GPA			DATA_GPA
#define RO_GVA			0x140001000ull	/* read-only */
#define RO_GPA			(DATA_GPA + 0x1000)
#define UNMAPPED_GVA		0x8000000000ull	/* PML4 index 1 */

static u64 host_read(struct kvm_vm *vm, u64 gpa)
{
	u64 v;

	memcpy(&v, gpa_to_hva(vm, gpa, sizeof(v)), sizeof(v));
	return v;
}

static void host_write(struct kvm_vm *vm, u64 gpa, u64 v)
{
	memcpy(gpa_to_hva(vm, gpa, sizeof(v)), &v, sizeof(v));
}

static void setup_mappings(struct kvm_vm *vm)
{
	vm_add_slot(vm, DATA_SLOT, DATA_GPA, DATA_SIZE, 0, BACKING_ANON_4K);
	host_write(vm, NP_GPA + 8, 0xfeedfacef00dbabeull);
	host_write(vm, RO_GPA, 0x0123456789abcdefull);

	*virt_get_pte(vm, NP_GVA, SZ_4K) = 0;
	*virt_get_pte(vm, RO_GVA, SZ_4K) = RO_GPA | PTE_P;

	printf("vmm: gva %#llx has a non-present 4K PTE\n", NP_GVA);
	printf("vmm: gva %#llx maps gpa %#llx read-only\n", RO_GVA, RO_GPA);
	printf("vmm: gva %#llx has no PML4 entry\n", UNMAPPED_GVA);
}

int main(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu;
	struct ucall uc;

	setup_mappings(vm);
	vcpu = vm_vcpu_add(vm, vm_load_guest(vm, "guest_pf"));
	vcpu_set_args(vcpu, 4, NP_GVA, NP_GPA, RO_GVA, UNMAPPED_GVA);

	vcpu_expect_ucall(vcpu, &uc, UCALL_DONE);
	printf("host: gpa %#llx = %#llx, gpa %#llx = %#llx\n",
	       NP_GPA, (unsigned long long)host_read(vm, NP_GPA),
	       RO_GPA, (unsigned long long)host_read(vm, RO_GPA));
	printf("done\n");
	vm_destroy(vm);
	return 0;
}
