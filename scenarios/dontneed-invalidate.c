// SPDX-License-Identifier: MIT
/*
 * dontneed-invalidate: MADV_DONTNEED on memory behind a memslot reaches
 * KVM as an MMU-notifier invalidation (kvm_mmu_notifier_invalidate_range
 * _start: zap the SPTEs, bump the invalidation sequence), so the guest's
 * next access faults the page in again and sees what the host now has.
 *
 * Slot 1 is private anonymous memory, slot 2 a memfd mapped shared.  In
 * each, the guest writes a value to page 1 (UCALL_SYNC), the VMM drops the
 * page with MADV_DONTNEED, and the guest reads it back (UCALL_SYNC with
 * the value).  Anonymous memory comes back as zeroes; the memfd's page
 * cache still has the value.
 *
 * Expected natively and under kvmsim (every profile): the values below;
 * under kvmsim the drop is one invalidation per slot and the re-read a
 * fresh stage-2 fault.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scenario.h"

#define SLOT_SIZE	(4 * SZ_4K)

static void round_trip(struct kvm_vm *vm, u8 *mem, u64 gpa, const char *what)
{
	struct kvm_vcpu *vcpu = vm_vcpu_add(vm, vm_load_guest(vm, "memslot_delete"));
	u64 page = gpa + SZ_4K, *host = (u64 *)(mem + SZ_4K);
	struct ucall uc;

	vcpu_set_args(vcpu, 3, page, page, 11ull);
	vcpu_expect_ucall(vcpu, &uc, UCALL_SYNC);
	printf("%s: guest wrote gpa %#llx, the host sees %s\n", what,
	       (unsigned long long)page, *host == touch_pattern(page, 11) ? "it" : "NOT it");
	if (madvise(mem, SLOT_SIZE, MADV_DONTNEED))
		die_errno("MADV_DONTNEED");
	vcpu_expect_ucall(vcpu, &uc, UCALL_SYNC);
	printf("%s: after MADV_DONTNEED the guest reads %s\n", what,
	       uc.args[1] == touch_pattern(page, 11) ? "its value" :
	       uc.args[1] == 0 ? "zero" : "something else");
	vcpu_expect_ucall(vcpu, &uc, UCALL_DONE);
}

int main(void)
{
	struct kvm_vm *vm = vm_create();
	int fd;
	u8 *shared = memfd_map("dontneed", SLOT_SIZE, &fd);
	u8 *anon = mmap(NULL, SLOT_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (anon == MAP_FAILED)
		die_errno("mmap");
	vm_add_slot_hva(vm, 1, 0x40000000ull, SLOT_SIZE, 0, anon);
	vm_add_slot_hva(vm, 2, 0x40100000ull, SLOT_SIZE, 0, shared);
	virt_map(vm, 0x40000000ull, 0x40000000ull, SLOT_SIZE, SZ_4K);
	virt_map(vm, 0x40100000ull, 0x40100000ull, SLOT_SIZE, SZ_4K);
	round_trip(vm, anon, 0x40000000ull, "anonymous");
	round_trip(vm, shared, 0x40100000ull, "memfd");
	vm_destroy(vm);
	close(fd);
	return 0;
}
