// SPDX-License-Identifier: MIT
/*
 * stale-memory-fault: SEMANTICS hazard 1, a memory-fault exit that
 * outlives its KVM_RUN (seed 000: "KVM_RUN may return -EFAULT without
 * filling kvm_run, and userspace can't tell").
 *
 * Slot 1 has two pages, A and B, of a memfd; the VMM truncates B's page
 * away (an access is SIGBUS, GUP fails; truncation rather than munmap,
 * because a hole in the address space is soon reused by other mappings).
 * The guest writes A, then copies 8 bytes from B to an I/O port (rep
 * outsb).
 *   KVM_RUN #1: the write to A fails in the stage-2 fault path, which
 *     annotates it: -EFAULT, KVM_EXIT_MEMORY_FAULT for A.  Merged Linux
 *     annotates only private/shared and guest_memfd faults there (a failed
 *     GUP is a bare -EFAULT), so where the kernel has
 *     KVM_X86_SW_PROTECTED_VM the VM is one and the VMM has made A
 *     PRIVATE in a slot without guest_memfd (kvm_faultin_pfn_private:
 *     FLAG_PRIVATE); it resolves that by converting A back to shared.  The
 *     2023 series predates guest_memfd: there (cap 227) A's page is
 *     truncated too, the failed GUP is annotated, and the VMM maps A.
 *   KVM_RUN #2: the string I/O's data read from B fails outside the fault
 *     path (kvm_read_guest).  Upstream that -EFAULT is bare and kvm_run
 *     still holds #1's exit for A: a VMM that trusts it "resolves" A
 *     again and loops forever.
 * The VMM here is that naive VMM (at most 6 runs), and reports what it
 * saw.  Under kvmsim the stale-kvm-run oracle stops the run at #2.
 *
 * Expected, per profile (see the manifest):
 *   upstream                    #1: -1 EFAULT, exit 39 for A, FLAG_PRIVATE;
 *                               #2: -1 EFAULT, exit 39 for A left over:
 *                               oracle stale-kvm-run (exit 86)
 *   upstream+reset-exit-reason  #2: -1 EFAULT, exit_reason 0: the VMM
 *                               knows it has no address and stops (exit 0)
 *   upstream+annotate-all-efault #2: -1 EFAULT, exit 39 for B: the VMM maps
 *                               B and the guest finishes (exit 0)
 *   rfc-2023-v2                 #1: -1 EPERM (the series returns -1),
 *                               exit 38 for A; #2 bare -EFAULT with exit 38
 *                               left over: oracle stale-kvm-run (exit 86)
 * Not run natively: this kernel has no KVM_X86_SW_PROTECTED_VM, and its
 * emulator turns #2 into an internal error exit instead (kvmsim's string
 * I/O is its stand-in for the unannotated -EFAULT sites seed 000 lists).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scenario.h"

#define SLOT_GPA	0x40000000ull
#define A_GPA		SLOT_GPA
#define B_GPA		(SLOT_GPA + SZ_4K)
#define PORT		0x3f8

static u8 *mem;
static struct kvm_vm *vm;
static bool a_private;		/* A made private: the upstream path */

static bool is_memory_fault(u32 reason)
{
	return reason == KVM_EXIT_MEMORY_FAULT || reason == KVMSIM_EXIT_MEMORY_FAULT_RFC;
}

static void set_private(u64 gpa, bool private)
{
	struct kvm_memory_attributes a = {
		gpa, SZ_4K, private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0, 0
	};

	if (ioctl(vm->vm_fd, KVM_SET_MEMORY_ATTRIBUTES, &a))
		die_errno("KVM_SET_MEMORY_ATTRIBUTES");
}

/*
 * What the exit names: A while it is private is converted to shared;
 * otherwise a page is mapped back in, as a postcopy VMM does.
 */
static void resolve(const struct kvmsim_memory_fault *mf)
{
	u8 *hva = mem + (mf->gpa - SLOT_GPA);

	if (a_private && mf->gpa == A_GPA) {
		set_private(A_GPA, false);
		a_private = false;
		printf("VMM: converted gpa %#llx to shared\n", (unsigned long long)mf->gpa);
		return;
	}
	if (mmap(hva, SZ_4K, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0) == MAP_FAILED)
		die_errno("mmap");
	printf("VMM: mapped gpa %#llx\n", (unsigned long long)mf->gpa);
}

/* Merged Linux's annotated fault: a SW-protected VM, not the 2023 series. */
static bool use_private_fault(void)
{
	return kvm_has_sw_protected_vm() &&
	       kvm_check_cap(KVM_CAP_X86_MEMORY_FAULT_EXIT) <= 0;
}

int main(void)
{
	struct kvm_vcpu *vcpu;
	struct ucall uc;

	a_private = use_private_fault();
	vm = vm_create_type(a_private ? KVM_X86_SW_PROTECTED_VM : 0);
	int fd;

	mem = memfd_map("stale-memory-fault", 2 * SZ_4K, &fd);
	vm_add_slot_hva(vm, 1, SLOT_GPA, 2 * SZ_4K, 0, mem);
	virt_map(vm, SLOT_GPA, SLOT_GPA, 2 * SZ_4K, SZ_4K);
	/* rfc-2023-v2's VMM enables the exits it wants: both reasons */
	vm_enable_memfault_exits(vm, KVM_MEMFAULT_REASON_UNKNOWN |
				     KVM_MEMFAULT_REASON_ABSENT_MAPPING);
	vcpu = vm_vcpu_add(vm, vm_load_guest(vm, "stale_fault"));
	vcpu_set_args(vcpu, 3, A_GPA, B_GPA, (u64)PORT);
	if (a_private)
		set_private(A_GPA, true);
	/* B's page is gone; A's too where its fault is a failed GUP */
	if (ftruncate(fd, a_private ? SZ_4K : 0))
		die_errno("ftruncate");

	for (int n = 1; n <= 6; n++) {
		struct kvmsim_memory_fault mf;
		int r = __vcpu_run(vcpu);
		u32 reason = vcpu->run->exit_reason;

		memcpy(&mf, (u8 *)vcpu->run + KVMSIM_RUN_UNION_OFFSET, sizeof(mf));
		printf("KVM_RUN #%d: %s%s, exit_reason %u", n, r ? "-1 " : "0",
		       r ? strerrorname_np(-r) : "", reason);
		if (is_memory_fault(reason))
			printf(" gpa %#llx flags %#llx", (unsigned long long)mf.gpa,
			       (unsigned long long)mf.flags);
		printf("\n");
		if (!r && reason == KVM_EXIT_IO && vcpu->run->io.port == PORT) {
			printf("guest: rep outsb reached the port (%u bytes)\n",
			       vcpu->run->io.count * vcpu->run->io.size);
			continue;
		}
		if (!r) {
			vcpu_get_ucall(vcpu, &uc);
			printf("guest: %s\n", ucall_name(uc.cmd));
			break;
		}
		if (!is_memory_fault(reason)) {
			printf("VMM: an error without a memory fault: nothing to resolve\n");
			break;
		}
		resolve(&mf);
	}
	vm_destroy(vm);
	return 0;
}
