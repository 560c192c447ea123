// SPDX-License-Identifier: MIT
/*
 * userfault-toggle: SEMANTICS hazard 8, toggling KVM Userfault on a live
 * slot (seed 002, "[PATCH v2 05/13] KVM: x86/mmu: Add support for
 * KVM_MEM_USERFAULT" and its review: zap on enable, 4K only while set,
 * recover huge pages on disable, and who owns the invalidation).
 *
 * Slot 1 (2M, THP) and slot 2 (2M, 4K pages) are read by the guest, so
 * slot 1 is mapped with one 2M SPTE.  Then the VMM "loses" page 5 of slot
 * 1 (as a postcopy destination would: its content is the stale 0xbad),
 * sets its bit in the userfault bitmap and turns KVM_MEM_USERFAULT on for
 * both slots.  The guest reads page 5: it must exit with
 * KVM_MEMORY_EXIT_FLAG_USERFAULT so the VMM can fetch the page (0x600d).
 * Then the VMM clears the bit, turns the flag off, and the guest reads
 * everything again.
 *
 * Expected, per profile:
 *   userfault-v3          enabling zaps both slots (the 2M SPTE too); the
 *                         read of page 5 exits (flags 0x10, gpa 0x40005000),
 *                         the guest reads 0x600d; disabling recovers the
 *                         huge mapping of slot 1 only (slot 2 is not huge
 *                         backed), so slot 2's 4K SPTEs stay
 *   +userfault-zap-by-userspace  nothing zaps on enable: the old 2M SPTE
 *                         still maps page 5 and the guest reads the stale
 *                         0xbad without an exit
 *   +userfault-clear-flush  disabling flushes both slots: slot 2's pages
 *                         fault in again (more 4K SPTE installs)
 *   upstream              there is no KVM_MEM_USERFAULT: EINVAL
 * Not run natively: no kernel has KVM_MEM_USERFAULT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "scenario.h"

#define SLOT1_GPA	0x40000000ull
#define SLOT2_GPA	0x40200000ull
#define PROBE_PAGE	5
#define PROBE_GPA	(SLOT1_GPA + PROBE_PAGE * SZ_4K)

static u64 bitmap[2][512 / 64];

/* region2 with the userfault bitmap in pad2[0], as the v2/v3 series has it */
static int set_userfault(struct kvm_vm *vm, int idx, u32 slot, u64 gpa, void *hva, bool on)
{
	struct kvm_userspace_memory_region2 r = {
		.slot = slot, .flags = on ? KVM_MEM_USERFAULT : 0, .guest_phys_addr = gpa,
		.memory_size = SZ_2M, .userspace_addr = (u64)hva,
	};

	r.pad2[0] = on ? (u64)bitmap[idx] : 0;
	return ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION2, &r);
}

static u64 expect_sync(struct kvm_vcpu *vcpu, u64 round)
{
	struct ucall uc;

	vcpu_expect_ucall(vcpu, &uc, UCALL_SYNC);
	ASSERT(uc.args[0] == round, "round %llu, expected %llu",
	       (unsigned long long)uc.args[0], (unsigned long long)round);
	return uc.args[1];
}

static void toggle(struct kvm_vm *vm, u8 *m1, u8 *m2, bool on)
{
	if (set_userfault(vm, 0, 1, SLOT1_GPA, m1, on) ||
	    set_userfault(vm, 1, 2, SLOT2_GPA, m2, on))
		die_errno("KVM_SET_USER_MEMORY_REGION2 (USERFAULT %s)", on ? "on" : "off");
	printf("VMM: KVM_MEM_USERFAULT %s for slots 1 and 2\n", on ? "on" : "off");
}

/* Round 2: the read of page 5, and the userfault exit it should cause. */
static void probe_round(struct kvm_vcpu *vcpu, u64 *page5)
{
	int r = __vcpu_run(vcpu);
	struct { u64 flags, gpa, size; } mf;

	if (r) {
		memcpy(&mf, (u8 *)vcpu->run + 32, sizeof(mf));
		printf("KVM_RUN: -1 %s, exit_reason %u, flags %#llx, gpa %#llx\n",
		       strerrorname_np(-r), vcpu->run->exit_reason,
		       (unsigned long long)mf.flags, (unsigned long long)mf.gpa);
		ASSERT(r == -EFAULT && (mf.flags & KVM_MEMORY_EXIT_FLAG_USERFAULT), "unexpected failure");
		*page5 = 0x600d;
		bitmap[0][0] &= ~(1ull << PROBE_PAGE);
		printf("VMM: fetched gpa %#llx, bit cleared\n", (unsigned long long)mf.gpa);
	} else {
		struct ucall uc;

		vcpu_get_ucall(vcpu, &uc);
		ASSERT(uc.cmd == UCALL_SYNC && uc.args[0] == 2, "expected round 2");
		printf("guest: read %#llx from gpa %#llx without an exit%s\n",
		       (unsigned long long)uc.args[1], (unsigned long long)PROBE_GPA,
		       uc.args[1] == 0xbad ? ": unmigrated data" : "");
		return;
	}
	printf("guest: read %#llx from gpa %#llx\n", (unsigned long long)expect_sync(vcpu, 2),
	       (unsigned long long)PROBE_GPA);
}

int main(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu;
	u8 *m1, *m2;
	u64 *page5;

	m1 = vm_add_slot(vm, 1, SLOT1_GPA, SZ_2M, 0, BACKING_ANON_THP);
	m2 = vm_add_slot(vm, 2, SLOT2_GPA, SZ_2M, 0, BACKING_ANON_4K);
	page5 = (u64 *)(m1 + PROBE_PAGE * SZ_4K);
	vcpu = vm_vcpu_add(vm, vm_load_guest(vm, "userfault_toggle"));
	vcpu_set_args(vcpu, 5, SLOT1_GPA, SZ_2M, SLOT2_GPA, SZ_2M, PROBE_GPA);
	expect_sync(vcpu, 1);
	printf("guest: read both slots\n");

	*page5 = 0xbad;
	bitmap[0][0] = 1ull << PROBE_PAGE;
	if (set_userfault(vm, 0, 1, SLOT1_GPA, m1, true)) {
		printf("VMM: KVM_MEM_USERFAULT: %s\n", strerrorname_np(errno));
		vm_destroy(vm);
		return 0;
	}
	toggle(vm, m1, m2, true);
	probe_round(vcpu, page5);
	toggle(vm, m1, m2, false);
	expect_sync(vcpu, 3);
	printf("guest: read both slots again\n");
	vm_destroy(vm);
	return 0;
}
