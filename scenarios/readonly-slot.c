// SPDX-License-Identifier: MIT
/*
 * readonly-slot: a KVM_MEM_READONLY memslot.
 *
 * Purpose: KVM maps a read-only slot's pages read-only in stage 2 and
 * treats a guest write there like an access with no memslot: it becomes
 * KVM_EXIT_MMIO with is_write = 1 at the written GPA, and the data never
 * reaches the backing memory.  One write hits a page the guest already
 * read (present in stage 2, write-protected); the other hits a page the
 * guest never touched (not yet present).
 *
 * Expected: the guest reads the VMM's string and value; each write is
 * one KVM_EXIT_MMIO write (gpa 0x40001008 len 8, gpa 0x40003000 len 4)
 * carrying the guest's data; the guest then still reads the old contents
 * (0) and the host sees its memory unchanged; UCALL_DONE; exit 0.
 */
#include <stdio.h>
#include <string.h>

#include "scenario.h"

#define RO_SLOT		1
#define RO_GPA		0x40000000ull
#define RO_SIZE		0x10000ull

static const char ro_string[] = "written by the VMM before KVM_RUN";
static const u64 ro_value = 0x1122334455667788ull;

static void fill_slot(u8 *mem)
{
	memcpy(mem, ro_string, sizeof(ro_string));
	memcpy(mem + 0x1000, &ro_value, sizeof(ro_value));
}

static bool slot_unchanged(const u8 *mem)
{
	static u8 expect[RO_SIZE];

	fill_slot(expect);
	return !memcmp(mem, expect, RO_SIZE);
}

static void handle_mmio(struct kvm_run *run)
{
	u64 gpa = run->mmio.phys_addr;

	ASSERT(run->mmio.is_write, "MMIO read at gpa %#llx: reads of a "
	       "read-only slot must not exit", (unsigned long long)gpa);
	ASSERT(gpa >= RO_GPA && gpa < RO_GPA + RO_SIZE,
	       "MMIO write outside the read-only slot: gpa %#llx",
	       (unsigned long long)gpa);
	printf("mmio: write gpa %#llx len %u data 0x%0*llx\n",
	       (unsigned long long)gpa, run->mmio.len, (int)run->mmio.len * 2,
	       (unsigned long long)mmio_data_get(run));
}

int main(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu;
	struct ucall uc;
	u8 *mem;
	u64 cmd;

	mem = vm_add_slot(vm, RO_SLOT, RO_GPA, RO_SIZE, KVM_MEM_READONLY,
			  BACKING_ANON_4K);
	fill_slot(mem);
	printf("slot %u: gpa %#llx size %#llx flags KVM_MEM_READONLY\n",
	       RO_SLOT, RO_GPA, RO_SIZE);

	vcpu = vm_vcpu_add(vm, vm_load_guest(vm, "readonly_slot"));
	vcpu_set_args(vcpu, 1, RO_GPA);

	while ((cmd = vcpu_run_ucall(vcpu, &uc)) == UCALL_NONE) {
		char what[128];

		describe_exit(vcpu, what, sizeof(what));
		ASSERT(vcpu->run->exit_reason == KVM_EXIT_MMIO,
		       "unexpected exit: %s", what);
		handle_mmio(vcpu->run);
	}
	ASSERT(cmd == UCALL_DONE, "expected UCALL_DONE, got %s", ucall_name(cmd));
	printf("host: slot contents %s\n",
	       slot_unchanged(mem) ? "unchanged" : "CHANGED");
	printf("done\n");
	vm_destroy(vm);
	return 0;
}
