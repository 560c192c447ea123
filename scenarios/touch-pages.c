// SPDX-License-Identifier: MIT
/*
 * touch-pages: first touches of fresh anonymous memory through two
 * memslots with different host backing.
 *
 * Purpose: every page the guest touches here is absent from stage 2 at
 * first, so each access goes through KVM's fault-in path (memslot lookup,
 * GUP, SPTE install).  Slot 1 is 4K-backed (MADV_NOHUGEPAGE) and mapped
 * by the guest with 4K pages; slot 2 is 2M-aligned THP-backed
 * (MADV_HUGEPAGE) and mapped with 2M guest pages, so stage 2 may use 2M
 * mappings there.  Each page is read first (zero page), then written
 * (a second fault, now for write), then read back.  How many stage-2
 * faults happened and at which level is for the simulator's trace to
 * tell; natively we only print what the guest and the host can both see.
 *
 * Expected: both regions read as zero before the first write, no
 * mismatches on read-back, the guest's xor of what it read equals the
 * VMM's, the host sees the pattern in every page, then UCALL_DONE; exit 0.
 */
#include <stdio.h>
#include <string.h>

#include "scenario.h"

struct region_setup {
	u32 slot;
	u64 gpa;
	u64 size;
	enum backing backing;
	u64 guest_page;		/* stage-1 page size the guest maps it with */
	u64 seed;
};

static const struct region_setup regions[] = {
	{ 1, 0x40000000, 0x100000, BACKING_ANON_4K, SZ_4K, 0x1111 },
	{ 2, 0x80000000, 0x400000, BACKING_ANON_THP, SZ_2M, 0x2222 },
};

#define NR_REGIONS	(sizeof(regions) / sizeof(regions[0]))
#define STRIDE		SZ_4K

static u64 expected_xor(const struct region_setup *r)
{
	u64 x = 0;

	for (u64 a = r->gpa; a < r->gpa + r->size; a += STRIDE)
		x ^= touch_pattern(a, r->seed);
	return x;
}

/* Count pages whose first and last qword do not hold the pattern. */
static u64 host_mismatches(struct kvm_vm *vm, const struct region_setup *r)
{
	u64 bad = 0;

	for (u64 a = r->gpa; a < r->gpa + r->size; a += STRIDE) {
		const u64 *page = gpa_to_hva(vm, a, STRIDE);
		u64 want = touch_pattern(a, r->seed);

		if (page[0] != want || page[STRIDE / 8 - 1] != ~want)
			bad++;
	}
	return bad;
}

static void setup_regions(struct kvm_vm *vm)
{
	struct touch_args *args = gpa_to_hva(vm, GUEST_PARAM_GPA, sizeof(*args));

	memset(args, 0, sizeof(*args));
	for (unsigned int i = 0; i < NR_REGIONS; i++) {
		const struct region_setup *r = &regions[i];

		vm_add_slot(vm, r->slot, r->gpa, r->size, 0, r->backing);
		virt_map(vm, r->gpa, r->gpa, r->size, r->guest_page);
		args->region[i] = (struct touch_region) {
			.base = r->gpa, .size = r->size, .stride = STRIDE,
			.seed = r->seed,
		};
		printf("slot %u: gpa %#llx size %#llx backing %s, guest pages %s\n",
		       r->slot, (unsigned long long)r->gpa,
		       (unsigned long long)r->size, backing_name(r->backing),
		       r->guest_page == SZ_2M ? "2M" : "4K");
	}
	args->nr_regions = NR_REGIONS;
}

static void report_region(struct kvm_vm *vm, const struct ucall *uc)
{
	const struct region_setup *r;
	u64 idx = uc->args[0];

	ASSERT(idx < NR_REGIONS, "guest reported region %llu",
	       (unsigned long long)idx);
	r = &regions[idx];
	printf("guest: region %llu gpa %#llx: %llu pages touched, %llu not zero "
	       "before the first write, %llu mismatches, xor %#llx\n",
	       (unsigned long long)idx, (unsigned long long)r->gpa,
	       (unsigned long long)uc->args[1], (unsigned long long)uc->args[2],
	       (unsigned long long)uc->args[3], (unsigned long long)uc->args[4]);
	printf("host: region %llu: %llu pages without the pattern, guest xor %s\n",
	       (unsigned long long)idx,
	       (unsigned long long)host_mismatches(vm, r),
	       uc->args[4] == expected_xor(r) ? "matches" : "DIFFERS");
}

int main(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu;
	struct ucall uc;

	setup_regions(vm);
	vcpu = vm_vcpu_add(vm, vm_load_guest(vm, "touch_pages"));
	vcpu_set_args(vcpu, 1, GUEST_PARAM_GPA);

	for (unsigned int i = 0; i < NR_REGIONS; i++) {
		vcpu_expect_ucall(vcpu, &uc, UCALL_SYNC);
		report_region(vm, &uc);
	}
	vcpu_expect_ucall(vcpu, &uc, UCALL_DONE);
	printf("done\n");
	vm_destroy(vm);
	return 0;
}
