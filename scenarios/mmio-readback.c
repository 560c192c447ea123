// SPDX-License-Identifier: MIT
/*
 * mmio-readback: MMIO exits for every access size, both directions.
 *
 * Purpose: the guest's page tables map 0xd0000000 (identity, 2M pages)
 * but no memslot covers it, so every access there leaves the guest as
 * KVM_EXIT_MMIO.  Writes carry the guest's data out in run->mmio.data;
 * reads are completed by the VMM filling run->mmio.data before the next
 * KVM_RUN (KVM's complete_userspace_io).  Sizes 1, 2, 4 and 8 each use a
 * single mov of that width.
 *
 * Expected: for each size, one write exit with the guest's value, one
 * read exit that the VMM answers with its own value for that size, and
 * the guest printing exactly the VMM's value; then UCALL_DONE; exit 0.
 */
#include <stdio.h>

#include "scenario.h"

#define MMIO_WRITE_BASE	0xd0000000ull
#define MMIO_READ_BASE	0xd0001000ull
#define MMIO_WINDOW	0x2000ull

/* What the VMM answers a read of each size with. */
static u64 read_reply(u32 len)
{
	switch (len) {
	case 1:
		return 0xa5;
	case 2:
		return 0xbeef;
	case 4:
		return 0xdeadbeef;
	default:
		return 0x0123456789abcdefull;
	}
}

static void handle_mmio(struct kvm_run *run)
{
	u64 gpa = run->mmio.phys_addr;

	ASSERT(gpa >= MMIO_WRITE_BASE && gpa < MMIO_WRITE_BASE + MMIO_WINDOW,
	       "MMIO exit outside the window: gpa %#llx",
	       (unsigned long long)gpa);
	if (run->mmio.is_write) {
		printf("mmio: write gpa %#llx len %u data 0x%0*llx\n",
		       (unsigned long long)gpa, run->mmio.len,
		       (int)run->mmio.len * 2,
		       (unsigned long long)mmio_data_get(run));
		return;
	}
	mmio_data_set(run, read_reply(run->mmio.len));
	printf("mmio: read gpa %#llx len %u reply 0x%0*llx\n",
	       (unsigned long long)gpa, run->mmio.len, (int)run->mmio.len * 2,
	       (unsigned long long)read_reply(run->mmio.len));
}

int main(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu;
	struct ucall uc;
	u64 cmd;

	vcpu = vm_vcpu_add(vm, vm_load_guest(vm, "mmio_readback"));
	vcpu_set_args(vcpu, 2, MMIO_WRITE_BASE, MMIO_READ_BASE);

	while ((cmd = vcpu_run_ucall(vcpu, &uc)) == UCALL_NONE) {
		char what[128];

		describe_exit(vcpu, what, sizeof(what));
		ASSERT(vcpu->run->exit_reason == KVM_EXIT_MMIO,
		       "unexpected exit: %s", what);
		handle_mmio(vcpu->run);
	}
	ASSERT(cmd == UCALL_DONE, "expected UCALL_DONE, got %s", ucall_name(cmd));
	printf("done\n");
	vm_destroy(vm);
	return 0;
}
