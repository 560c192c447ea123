// SPDX-License-Identifier: MIT
/*
 * The MMU notifier's window (kvm-model/runtime.c): between
 * kvm_mmu_notifier_invalidate_range_start and _end another actor runs.  A
 * fault's mmu_invalidate_retry_gfn on a gfn of the open range retries and
 * returns only after _end; a gfn outside it does not wait; a memslot
 * update waits for the notifier call to end (kvm_swap_active_memslots).
 * A strategy switches to the other actor at the window, so the order is
 * fixed and the log shows who waited for whom.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm-model/kvm_arch.h"
#include "kvm-model/kvm_host.h"
#include "kvm-model/kvm_mmu.h"
#include "sim/sim.h"

#define SLOT_GPA	0x100000ULL
#define SLOT_SIZE	0x4000ULL

static struct kvm *vm;
static void *backing;
static char logbuf[256];

static void logs(const char *s)
{
	strncat(logbuf, s, sizeof(logbuf) - strlen(logbuf) - 1);
}

/* At the window, run anyone but the invalidator; elsewhere the first. */
static int pick_window(const struct sim_sched_point *sp, void *opaque)
{
	(void)opaque;
	if (sp->point && !strcmp(sp->point, "mmu_notifier_invalidate_range_end"))
		for (int i = 0; i < sp->n; i++)
			if (sp->runnable[i] != sp->self)
				return i;
	return 0;
}

static void setup(void)
{
	static const struct sim_strategy s = { .name = "window", .pick = pick_window };
	struct kvm_userspace_memory_region2 mem = {
		.slot = 0, .guest_phys_addr = SLOT_GPA, .memory_size = SLOT_SIZE,
	};
	int err = 0;

	sim_init(7, "main");
	sim_reset(7);
	sim_set_strategy(&s);
	ck_assert_int_eq(kvm_arch_select("x86_64"), 0);
	vm = kvm_create_vm(KVM_X86_DEFAULT_VM, &err);
	ck_assert_ptr_nonnull(vm);
	backing = aligned_alloc(4096, SLOT_SIZE);
	ck_assert_ptr_nonnull(backing);
	mem.userspace_addr = (uintptr_t)backing;
	ck_assert_int_eq(kvm_set_memory_region(vm, &mem), 0);
	logbuf[0] = 0;
}

static void teardown(void)
{
	kvm_put_kvm(vm);
	free(backing);
	sim_set_strategy(NULL);
}

/* Invalidates the slot's second page. */
static void invalidator(void *arg)
{
	(void)arg;
	logs("inv ");
	kvm_mmu_notifier_invalidate_range((uintptr_t)backing + 0x1000,
					  (uintptr_t)backing + 0x2000);
	logs("inv-done ");
}

/* A fault's check on gpa arg, with a snapshot taken now (in the window). */
static void faulter(void *arg)
{
	uint64_t gpa = (uintptr_t)arg;
	uint64_t seq = vm->mmu_invalidate_seq;
	bool retry;

	logs("fault ");
	retry = mmu_invalidate_retry_gfn(vm, "gpa", gpa, seq, true);
	logs(retry ? "retry " : "install ");
	if (retry)
		ck_assert_int_eq(vm->mmu_invalidate_in_progress, 0);
}

static void slot_deleter(void *arg)
{
	struct kvm_userspace_memory_region2 mem = { .slot = 0, .memory_size = 0 };

	(void)arg;
	logs("delete ");
	ck_assert_int_eq(kvm_set_memory_region(vm, &mem), 0);
	logs("deleted ");
}

static void run_pair(sim_actor_fn second, uint64_t arg)
{
	struct sim_actor *a = sim_spawn("inv", invalidator, NULL);
	struct sim_actor *b = sim_spawn("other", second, (void *)(uintptr_t)arg);

	/* the invalidator first (lower id): it opens the window, then "other" runs */
	sim_make_runnable(a);
	sim_make_runnable(b);
	sim_join(a);
	sim_join(b);
}

/* In the window on an invalidated gfn: waits for _end, then retries. */
START_TEST(test_fault_in_window_retries_after_end)
{
	uint64_t seq0 = vm->mmu_invalidate_seq;

	run_pair(faulter, SLOT_GPA + 0x1000);
	ck_assert_str_eq(logbuf, "inv fault inv-done retry ");
	/* the zap and _end both moved the sequence */
	ck_assert_uint_eq(vm->mmu_invalidate_seq, seq0 + 2);
	ck_assert_int_eq(vm->mmu_invalidate_in_progress, 0);
}
END_TEST

/* In the window on a gfn outside the range: installs without waiting. */
START_TEST(test_fault_outside_range_goes_on)
{
	run_pair(faulter, SLOT_GPA + 0x3000);
	ck_assert_str_eq(logbuf, "inv fault install inv-done ");
}
END_TEST

/* The check skipped (+skip-mmu-seq-check): no wait, no retry. */
static void unchecked_faulter(void *arg)
{
	logs("fault ");
	logs(mmu_invalidate_retry_gfn(vm, "gpa", (uintptr_t)arg, vm->mmu_invalidate_seq, false) ?
	     "retry " : "install ");
	ck_assert_int_eq(vm->mmu_invalidate_in_progress, 1);
}

START_TEST(test_unchecked_installs_in_window)
{
	run_pair(unchecked_faulter, SLOT_GPA + 0x1000);
	ck_assert_str_eq(logbuf, "inv fault install inv-done ");
}
END_TEST

/* A memslot update waits until the notifier call has ended. */
START_TEST(test_memslot_update_waits_for_end)
{
	run_pair(slot_deleter, 0);
	ck_assert_str_eq(logbuf, "inv delete inv-done deleted ");
	ck_assert_int_eq(vm->mn_active_invalidate_count, 0);
}
END_TEST

static Suite *mmu_notifier_suite(void)
{
	Suite *s = suite_create("mmu_notifier");
	TCase *tc = tcase_create("window");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fault_in_window_retries_after_end);
	tcase_add_test(tc, test_fault_outside_range_goes_on);
	tcase_add_test(tc, test_unchecked_installs_in_window);
	tcase_add_test(tc, test_memslot_update_waits_for_end);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(mmu_notifier_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
