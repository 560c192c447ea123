// SPDX-License-Identifier: MIT
/*
 * private-convert-race: SEMANTICS rules 3 and 6 together: a conversion
 * (KVM_SET_MEMORY_ATTRIBUTES) racing a fault on the page it converts.
 *
 * A KVM_X86_SW_PROTECTED_VM has page P in a guest_memfd-bound slot.  The
 * guest reads P over and over; a VMM thread flips P between shared and
 * private 8 times.  Each flip zaps P and bumps mmu_invalidate_seq, so
 * the guest's next read faults again and is served by the side P is on
 * now: userspace_addr while shared, the guest_memfd while private.  A
 * fault that looked P up (on the old side) *before* a flip must not
 * install its SPTE *after* it -- that would map the shared page into a
 * gfn that is private (in a real confidential VM: the guest's private
 * data goes to, or comes from, memory the host can read).
 * is_page_fault_stale() catches it: the fault retries and looks again.
 *
 * Only some schedules put a flip inside a fault's window:
 *   upstream                      no schedule fails (explore finds none)
 *   upstream+skip-mmu-seq-check   explore finds one: oracle stale-spte,
 *                                 naming kvm_arch_pre_set_memory_attributes
 * A flip can also land between the fault's (lockless) read of the
 * attribute and the sequence snapshot: kvm_faultin_pfn then sees a
 * private/shared mismatch and KVM_RUN returns -1/EFAULT with
 * KVM_EXIT_MEMORY_FAULT for P, FLAG_PRIVATE iff the fault was private.
 * The VMM re-enters (the attribute already is what it wants); with -s it
 * stops there instead (exit 1), so explore can show such a schedule.
 * With the default seed both finish (exit 0); tests/explore-test.sh runs
 * the searches.  Not run natively: this host has no KVM_X86_SW_PROTECTED_VM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scenario.h"

#define P_GPA		0x40000000ull
#define SLOT		1
#define FLIPS		8
#define ITERATIONS	20000

static struct kvm_vm *vm;
static bool strict;	/* -s: a mismatch exit ends the run (exit 1), for explore */

/*
 * A flip that lands between the fault's read of the attribute and
 * kvm_faultin_pfn's sequence snapshot is a private/shared mismatch:
 * -1/EFAULT, KVM_EXIT_MEMORY_FAULT for P with FLAG_PRIVATE iff the fault
 * was private.  The attribute already is what this VMM wants, so it
 * re-enters (a VMM that "converts" to what the exit asks for would undo
 * its own flip).
 */
static void mismatch_exit(struct kvm_vcpu *vcpu)
{
	const u64 *mf = (const u64 *)&vcpu->run->hw;	/* flags, gpa, size */

	ASSERT(vcpu->run->exit_reason == KVM_EXIT_MEMORY_FAULT && mf[1] == P_GPA &&
	       mf[2] == SZ_4K && !(mf[0] & ~KVM_MEMORY_ATTRIBUTE_PRIVATE),
	       "KVM_RUN -EFAULT: exit %u gpa %#llx", vcpu->run->exit_reason,
	       (unsigned long long)mf[1]);
	if (!strict)
		return;
	printf("memory-fault exit for gpa %#llx, flags %#llx: a flip overtook the fault\n",
	       (unsigned long long)mf[1], (unsigned long long)mf[0]);
	exit(1);
}

static void *converter(void *arg)
{
	for (int i = 0; i < FLIPS; i++) {
		struct kvm_memory_attributes a = { P_GPA, SZ_4K, i % 2 ? 0 : KVM_MEMORY_ATTRIBUTE_PRIVATE, 0 };

		if (ioctl(vm->vm_fd, KVM_SET_MEMORY_ATTRIBUTES, &a))
			die_errno("KVM_SET_MEMORY_ATTRIBUTES");
		usleep(100);	/* virtual time: let the guest run between flips */
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct kvm_create_guest_memfd g = { .size = SZ_4K };
	struct kvm_vcpu *vcpu;
	struct ucall uc;
	pthread_t t;
	u64 *shared;
	int fd;

	strict = argc > 1 && !strcmp(argv[1], "-s");
	if (!kvm_has_sw_protected_vm()) {
		printf("this kernel has no KVM_X86_SW_PROTECTED_VM\n");
		return 77;
	}
	vm = vm_create_type(KVM_X86_SW_PROTECTED_VM);
	shared = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fd = ioctl(vm->vm_fd, KVM_CREATE_GUEST_MEMFD, &g);
	if (shared == MAP_FAILED || fd < 0)
		die_errno("backing");
	shared[0] = 1;		/* the shared page reads 1, the private one 0 */
	struct kvm_userspace_memory_region2 r = {
		.slot = SLOT, .flags = KVM_MEM_GUEST_MEMFD, .guest_phys_addr = P_GPA,
		.memory_size = SZ_4K, .userspace_addr = (u64)shared, .guest_memfd = fd,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION2, &r))
		die_errno("KVM_SET_USER_MEMORY_REGION2");
	virt_map(vm, P_GPA, P_GPA, SZ_4K, SZ_4K);
	vcpu = vm_vcpu_add(vm, vm_load_guest(vm, "convert_race"));
	vcpu_set_args(vcpu, 2, P_GPA, (u64)ITERATIONS);

	if (pthread_create(&t, NULL, converter, NULL))
		die("pthread_create");
	while (__vcpu_run(vcpu) == -EFAULT)
		mismatch_exit(vcpu);
	vcpu_get_ucall(vcpu, &uc);
	ASSERT(uc.cmd == UCALL_SYNC, "expected UCALL_SYNC, got %s", ucall_name(uc.cmd));
	pthread_join(t, NULL);
	printf("guest: %llu reads of P\n", (unsigned long long)uc.args[1]);
	vcpu_expect_ucall(vcpu, &uc, UCALL_DONE);
	printf("done\n");
	close(fd);
	vm_destroy(vm);
	return 0;
}
