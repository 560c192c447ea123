// SPDX-License-Identifier: MIT
/*
 * apf-truncate: SEMANTICS hazard 7, the async page fault that never ends
 * (seed 001, virtio-fs DAX: the file behind guest memory is truncated).
 *
 * The guest enables async page faults (guest-bins/x86_64/apf.c: x2APIC,
 * MSR_KVM_ASYNC_PF_INT, MSR_KVM_ASYNC_PF_EN) and the VMM then truncates
 * the memfd behind slot 1 to one page, so page P (its second page) is
 * past EOF: the host page is gone, the VMA is still there.  The guest
 * reads P.  Fast GUP fails; the FOLL_NOWAIT GUP fails too and, the VMA
 * being valid, KVM takes that for "needs I/O": the fault goes async, the
 * guest gets 'page not present' (#PF, token 0x1000 in CR2) and halts;
 * the kworker's get_user_pages_remote fails (SIGBUS past EOF).
 *
 * Expected per profile (the manifest checks each):
 *   upstream (merged Linux: async_pf_execute does not look at its GUP's
 *     result): 'page ready' comes anyway, the guest retries, the refault
 *     goes async again, forever: the "livelock" oracle (exit 86).
 *   upstream+apf-sync-after-error (seed 001 patch 1/3, which the thread
 *     converged on but which was not merged): the failed gfn is
 *     remembered, 'page ready' still comes, the guest retries and the
 *     refault is synchronous: kvm_handle_error_pfn -> KVM_RUN returns a
 *     bare -1/EFAULT (with +annotate-error-pfn, KVM_EXIT_MEMORY_FAULT for P).
 *   upstream+apf-error-state (seed 001 patch 2/3): CPUID offers
 *     ASYNC_PF_ERROR, the guest opts in with SEND_ERROR (EN = 0x5000001b),
 *     and 'page ready' carries KVM_PV_REASON_PAGE_ERROR: the guest skips
 *     the read and reports the error by ucall; KVM_RUN never fails.
 *
 * Not run natively: on this host (PVM) the read of P does not go async
 * at all, it is an MMIO exit right after the broadcast 'page ready'
 * (measured); and on a mainline host the upstream run would not end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvmsim/uapi_ext.h"
#include "scenario.h"

#define FILE_SIZE	0x2000ull
#define P_GPA		(APF_DATA_GPA + 0x1000)

static void report_efault(struct kvm_run *run)
{
	struct kvmsim_memory_fault mf;

	if (run->exit_reason != KVM_EXIT_MEMORY_FAULT) {
		printf("vmm: KVM_RUN: -1 %s, no memory-fault exit\n", strerrorname_np(errno));
		return;
	}
	memcpy(&mf, (char *)run + KVMSIM_RUN_UNION_OFFSET, sizeof(mf));
	printf("vmm: KVM_RUN: -1 %s, exit_reason %u, memory_fault gpa %#llx size %#llx "
	       "flags %#llx\n", strerrorname_np(errno), run->exit_reason,
	       (unsigned long long)mf.gpa, (unsigned long long)mf.size,
	       (unsigned long long)mf.flags);
}

/* Run until the guest is done, printing what it reports. */
static void run_guest(struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	for (;;) {
		if (__vcpu_run(vcpu) < 0) {
			report_efault(vcpu->run);
			return;
		}
		switch (vcpu_get_ucall(vcpu, &uc)) {
		case UCALL_PRINT:
			fputs(uc.buf, stdout);
			break;
		case UCALL_SYNC:
			if (uc.args[0] == APF_SYNC_PAGE_ERROR)
				printf("vmm: guest reports 'page error' for token %#llx\n",
				       (unsigned long long)uc.args[1]);
			else if (uc.args[0] == APF_SYNC_TOUCHED)
				printf("vmm: guest read %#llx (not present %llu, ready %llu, "
				       "error %llu)\n", (unsigned long long)uc.args[1],
				       (unsigned long long)uc.args[2],
				       (unsigned long long)uc.args[3],
				       (unsigned long long)uc.args[4]);
			break;
		case UCALL_DONE:
			printf("vmm: guest done\n");
			return;
		default:
			die("unexpected exit: %s", exit_reason_name(vcpu->run->exit_reason));
		}
	}
}

int main(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu;
	struct ucall uc;
	int memfd;
	void *mem;

	mem = memfd_map("apf-file", FILE_SIZE, &memfd);
	vm_setup_apf(vm, mem, FILE_SIZE);

	vcpu = vm_vcpu_add(vm, vm_load_guest(vm, "apf"));
	vcpu_set_args(vcpu, 3, APF_MODE_TOUCH, P_GPA, APF_AREA_GPA);
	vcpu_expect_ucall(vcpu, &uc, UCALL_SYNC);
	ASSERT(uc.args[0] == APF_SYNC_ENABLED, "sync %llu", (unsigned long long)uc.args[0]);
	printf("vmm: guest enabled async PF: MSR_KVM_ASYNC_PF_EN = %#llx\n",
	       (unsigned long long)uc.args[1]);

	if (ftruncate(memfd, FILE_SIZE - SZ_4K) < 0)
		die_errno("ftruncate");
	printf("vmm: file truncated to %#llx bytes: gpa %#llx has no backing page\n",
	       FILE_SIZE - SZ_4K, P_GPA);
	run_guest(vcpu);
	vm_destroy(vm);
	munmap(mem, FILE_SIZE);
	close(memfd);
	return 0;
}
