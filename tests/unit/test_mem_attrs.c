// SPDX-License-Identifier: MIT
/*
 * Unit tests for KVM_SET_MEMORY_ATTRIBUTES (kvm-model/guest_memfd.c):
 * the ioctl's checks and errnos, the range bookkeeping (split, merge,
 * cover, clear), and that a request which changes nothing is not an
 * update (no zap, no invalidation).
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include "kvm-model/kvm_arch.h"
#include "kvm-model/kvm_host.h"

static struct kvm *vm;

static void setup(void)
{
	int err = 0;

	ck_assert_int_eq(kvm_arch_select("x86_64"), 0);
	vm = kvm_create_vm(KVM_X86_SW_PROTECTED_VM, &err);
	ck_assert_ptr_nonnull(vm);
}

static void teardown(void)
{
	kvm_put_kvm(vm);
	vm = NULL;
}

static int set(uint64_t gfn, uint64_t pages, bool private)
{
	struct kvm_memory_attributes a = {
		.address = gfn << PAGE_SHIFT, .size = pages << PAGE_SHIFT,
		.attributes = private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0,
	};

	return kvm_vm_ioctl_set_mem_attributes(vm, &a);
}

/* The private gfns of [lo, hi) as a bit string, '1' private. */
static const char *map(uint64_t lo, uint64_t hi)
{
	static char buf[128];
	uint64_t i;

	for (i = lo; i < hi; i++)
		buf[i - lo] = kvm_mem_is_private(vm, i) ? '1' : '0';
	buf[i - lo] = 0;
	return buf;
}

START_TEST(test_errnos)
{
	struct kvm_memory_attributes a = { 0x1000, 0x1000, KVM_MEMORY_ATTRIBUTE_PRIVATE, 1 };
	int err = 0;
	struct kvm *def = kvm_create_vm(KVM_X86_DEFAULT_VM, &err);

	ck_assert_int_eq(kvm_vm_ioctl_set_mem_attributes(vm, &a), -EINVAL);	/* flags */
	a.flags = 0;
	a.attributes = 1;
	ck_assert_int_eq(kvm_vm_ioctl_set_mem_attributes(vm, &a), -EINVAL);	/* unknown bit */
	a.attributes = KVM_MEMORY_ATTRIBUTE_PRIVATE;
	a.size = 0;
	ck_assert_int_eq(kvm_vm_ioctl_set_mem_attributes(vm, &a), -EINVAL);
	a.size = 0x800;
	ck_assert_int_eq(kvm_vm_ioctl_set_mem_attributes(vm, &a), -EINVAL);
	a.size = 0x1000;
	a.address = 0x1800;
	ck_assert_int_eq(kvm_vm_ioctl_set_mem_attributes(vm, &a), -EINVAL);
	a.address = -0x1000ull;
	a.size = 0x2000;
	ck_assert_int_eq(kvm_vm_ioctl_set_mem_attributes(vm, &a), -EINVAL);	/* wraps */
	ck_assert_int_eq(kvm_vm_ioctl_set_mem_attributes(vm, (void *)8), -EFAULT);
	/* a default VM supports no attribute, but "shared" is no change */
	ck_assert_ptr_nonnull(def);
	a.address = 0x1000;
	a.size = 0x1000;
	ck_assert_int_eq(kvm_vm_ioctl_set_mem_attributes(def, &a), -EINVAL);
	a.attributes = 0;
	ck_assert_int_eq(kvm_vm_ioctl_set_mem_attributes(def, &a), 0);
	ck_assert_uint_eq(kvm_supported_mem_attributes(def), 0);
	ck_assert_uint_eq(kvm_supported_mem_attributes(vm), KVM_MEMORY_ATTRIBUTE_PRIVATE);
	ck_assert_uint_eq(kvm_supported_mem_attributes(NULL), KVM_MEMORY_ATTRIBUTE_PRIVATE);
	kvm_put_kvm(def);
}
END_TEST

START_TEST(test_split_merge)
{
	ck_assert_int_eq(set(10, 10, true), 0);
	ck_assert_str_eq(map(8, 22), "00111111111100");
	ck_assert_int_eq(set(12, 2, false), 0);		/* splits the range */
	ck_assert_str_eq(map(8, 22), "00110011111100");
	ck_assert_int_eq(vm->mem_attrs.nr, 2);
	ck_assert_int_eq(set(12, 2, true), 0);		/* merges it back */
	ck_assert_int_eq(vm->mem_attrs.nr, 1);
	ck_assert_str_eq(map(8, 22), "00111111111100");
	ck_assert_int_eq(set(30, 10, true), 0);
	ck_assert_int_eq(set(40, 10, true), 0);		/* adjacent: one range */
	ck_assert_int_eq(vm->mem_attrs.nr, 2);
	ck_assert_int_eq(set(20, 10, true), 0);		/* bridges the two */
	ck_assert_int_eq(vm->mem_attrs.nr, 1);
	ck_assert_str_eq(map(9, 51), "011111111111111111111111111111111111111110");
	ck_assert_int_eq(set(15, 30, false), 0);	/* cuts the middle out */
	ck_assert_int_eq(vm->mem_attrs.nr, 2);
	ck_assert_str_eq(map(13, 47), "1100000000000000000000000000000011");
	ck_assert_int_eq(set(0, 100, false), 0);
	ck_assert_int_eq(vm->mem_attrs.nr, 0);
	ck_assert_str_eq(map(0, 60), "000000000000000000000000000000000000000000000000000000000000");
}
END_TEST

START_TEST(test_no_change_is_no_update)
{
	uint64_t seq;

	ck_assert_int_eq(set(5, 4, true), 0);
	ck_assert_uint_eq(vm->stat.attr_updates, 1);
	seq = vm->mmu_invalidate_seq;
	ck_assert_int_eq(set(6, 2, true), 0);		/* inside, already private */
	ck_assert_int_eq(set(100, 4, false), 0);	/* already shared */
	ck_assert_uint_eq(vm->stat.attr_updates, 1);
	ck_assert_uint_eq(vm->mmu_invalidate_seq, seq);
	ck_assert_int_eq(set(4, 2, true), 0);		/* half new: an update */
	ck_assert_uint_eq(vm->stat.attr_updates, 2);
	ck_assert_str_eq(map(3, 10), "0111110");
}
END_TEST

static Suite *mem_attrs_suite(void)
{
	Suite *s = suite_create("mem_attrs");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_errnos);
	tcase_add_test(tc, test_split_merge);
	tcase_add_test(tc, test_no_change_is_no_update);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(mem_attrs_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
