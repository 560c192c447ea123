// SPDX-License-Identifier: MIT
/*
 * efault-resume: SEMANTICS hazard 12, a return-value mix-up that turns an
 * exit into a resume.  The fault path must return -EFAULT (an error for
 * KVM_RUN); returning EFAULT, positive, is "go back into the guest" to
 * the run loop, which refaults on the same page forever.  The seed 000
 * review caught this kind of slip in the arm64 user_mem_abort return
 * convention ("0 means resume, 1 means exit to userspace").
 *
 * The guest writes page P of slot 1, whose host page is gone (the memfd
 * behind the slot was truncated to its first page),
 * then reports UCALL_SYNC and UCALL_DONE.  The VMM maps a page at P's
 * host address when KVM_RUN names P in a memory-fault exit.
 *
 * Expected, per profile:
 *   upstream+annotate-error-pfn  KVM_RUN #1 -1 EFAULT, exit 39 for P; the
 *                             VMM maps P; the guest finishes (exit 0)
 *   upstream                  KVM_RUN #1 -1 EFAULT, bare (merged Linux's
 *                             kvm_handle_error_pfn fills nothing): the VMM
 *                             has no address and gives up (exit 1)
 *   upstream+positive-efault  KVM_RUN never returns: the vCPU refaults on P
 *                             and the livelock oracle stops the run after
 *                             KVMSIM_LIVELOCK (1000) refaults (exit 86);
 *                             the same with +annotate-error-pfn
 * Not run natively: this PVM host answers the write to a truncated page
 * with an MMIO exit, where mainline KVM returns -EFAULT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scenario.h"

#define SLOT_GPA	0x40000000ull
#define P_GPA		(SLOT_GPA + SZ_4K)

int main(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu;
	struct ucall uc;
	int fd;
	u8 *mem = memfd_map("efault-resume", 2 * SZ_4K, &fd);

	vm_add_slot_hva(vm, 1, SLOT_GPA, 2 * SZ_4K, 0, mem);
	virt_map(vm, SLOT_GPA, SLOT_GPA, 2 * SZ_4K, SZ_4K);
	vcpu = vm_vcpu_add(vm, vm_load_guest(vm, "memslot_delete"));
	vcpu_set_args(vcpu, 3, P_GPA, SLOT_GPA, 7ull);
	if (ftruncate(fd, SZ_4K))
		die_errno("ftruncate");

	for (int n = 1; n <= 8; n++) {
		int r = __vcpu_run(vcpu);
		u64 gpa;

		printf("KVM_RUN #%d: %s%s, exit_reason %u\n", n, r ? "-1 " : "0",
		       r ? strerrorname_np(-r) : "", vcpu->run->exit_reason);
		if (!r) {
			vcpu_get_ucall(vcpu, &uc);
			printf("guest: %s\n", ucall_name(uc.cmd));
			if (uc.cmd == UCALL_DONE)
				break;
			continue;
		}
		if (r != -EFAULT)
			die("KVM_RUN: %s", strerrorname_np(-r));
		if (vcpu->run->exit_reason != KVM_EXIT_MEMORY_FAULT) {
			printf("VMM: no memory-fault exit, no address to resolve: giving up\n");
			vm_destroy(vm);
			return 1;
		}
		memcpy(&gpa, (u8 *)vcpu->run + KVMSIM_RUN_UNION_OFFSET +
		       offsetof(struct kvmsim_memory_fault, gpa), sizeof(gpa));
		if (mmap(mem + (gpa - SLOT_GPA), SZ_4K, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
			die_errno("mmap");
		printf("VMM: mapped gpa %#llx\n", (unsigned long long)gpa);
	}
	vm_destroy(vm);
	return 0;
}
