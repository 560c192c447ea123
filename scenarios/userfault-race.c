// SPDX-License-Identifier: MIT
/*
 * userfault-race: SEMANTICS hazard 8, third part: a fault racing an
 * invalidation of its page (seed 002's "who zaps" discussion: when the
 * VMM marks a page in the userfault bitmap of a slot that already has
 * KVM_MEM_USERFAULT, it must invalidate the page itself; here with
 * MADV_DONTNEED, which reaches KVM as an MMU-notifier invalidation).
 *
 * The guest writes 8 pages of slot 1 (KVM_MEM_USERFAULT on, bitmap
 * clear).  Meanwhile a migration thread re-marks each page: sets its
 * bit, then MADV_DONTNEED.  A vCPU fault that read the bit as clear and
 * looked the page up *before* the invalidation must not install its SPTE
 * *after* it: kvm_faultin_pfn snapshots mmu_invalidate_seq, and
 * is_page_fault_stale sends the fault round again, where it sees the bit
 * and exits with KVM_MEMORY_EXIT_FLAG_USERFAULT.
 *
 * Only some schedules put the invalidation inside a fault's window:
 *   userfault-v3                     no schedule fails (explore finds none)
 *   userfault-v3+skip-mmu-seq-check  explore finds schedules where the SPTE
 *                                    is installed after the invalidation:
 *                                    oracle stale-spte
 * With the default seed both finish (exit 0); tests/explore-test.sh runs
 * the search.  Not run natively: no kernel has KVM_MEM_USERFAULT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "scenario.h"

#define SLOT_GPA	0x40000000ull
#define NPAGES		8

static u64 bitmap;
static u8 *mem;

static void *migration_thread(void *arg)
{
	for (int i = 0; i < NPAGES; i++) {
		__atomic_or_fetch(&bitmap, 1ull << i, __ATOMIC_SEQ_CST);
		if (madvise(mem + i * SZ_4K, SZ_4K, MADV_DONTNEED))
			die_errno("MADV_DONTNEED");
	}
	return NULL;
}

int main(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_userspace_memory_region2 r;
	struct kvm_vcpu *vcpu;
	pthread_t mt;

	mem = vm_add_slot(vm, 1, SLOT_GPA, NPAGES * SZ_4K, 0, BACKING_ANON_4K);
	virt_map(vm, SLOT_GPA, SLOT_GPA, NPAGES * SZ_4K, SZ_4K);
	r = (struct kvm_userspace_memory_region2){
		.slot = 1, .flags = KVM_MEM_USERFAULT, .guest_phys_addr = SLOT_GPA,
		.memory_size = NPAGES * SZ_4K, .userspace_addr = (u64)mem,
	};
	r.pad2[0] = (u64)&bitmap;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION2, &r)) {
		printf("VMM: KVM_MEM_USERFAULT: %s\n", strerrorname_np(errno));
		return 0;
	}
	vcpu = vm_vcpu_add(vm, vm_load_guest(vm, "demand_paging"));
	vcpu_set_args(vcpu, 4, SLOT_GPA, NPAGES * SZ_4K, 3ull, 0ull);
	if (pthread_create(&mt, NULL, migration_thread, NULL))
		die("pthread_create");
	for (;;) {
		int ret = __vcpu_run(vcpu);
		struct ucall uc;
		u64 gpa, flags;

		if (!ret) {
			vcpu_get_ucall(vcpu, &uc);
			ASSERT(uc.cmd == UCALL_SYNC, "expected UCALL_SYNC");
			break;
		}
		memcpy(&flags, (u8 *)vcpu->run + 32, 8);
		memcpy(&gpa, (u8 *)vcpu->run + 40, 8);
		ASSERT(ret == -EFAULT && (flags & KVM_MEMORY_EXIT_FLAG_USERFAULT), "KVM_RUN: %d", ret);
		/* fetch the page: here, just take it as it is */
		__atomic_and_fetch(&bitmap, ~(1ull << ((gpa - SLOT_GPA) / SZ_4K)),
				   __ATOMIC_SEQ_CST);
	}
	pthread_join(mt, NULL);
	printf("guest: wrote %d pages\n", NPAGES);
	vm_destroy(vm);
	return 0;
}
