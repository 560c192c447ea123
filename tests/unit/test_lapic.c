// SPDX-License-Identifier: MIT
/*
 * Unit tests for the in-kernel LAPIC subset (kvm-model/x86/lapic.c) that
 * delivers async-PF 'page ready': x2APIC-only register access (#GP
 * otherwise), the software-enable bit, priority of IRR against TPR and
 * the class in service, EOI retiring the highest in-service vector (a
 * non-zero EOI write is #GP), and RFLAGS.IF with the STI shadow.
 */
#include <check.h>
#include <stdlib.h>

#include "kvm-model/kvm_arch.h"
#include "kvm-model/kvm_host.h"
#include "kvm-model/x86/async_pf.h"
#include "kvm-model/x86/x86.h"

#define X2APIC_TPR	0x808
#define X2APIC_EOI	0x80b
#define X2APIC_SPIV	0x80f
#define X2APIC_IRR	0x820
#define APIC_BASE_X2	((1ull << 10) | (1ull << 11))

static struct kvm *vm;
static struct kvm_vcpu *vcpu;

static void setup(void)
{
	int err = 0;

	ck_assert_int_eq(kvm_arch_select("x86_64"), 0);
	vm = kvm_create_vm(KVM_X86_DEFAULT_VM, &err);
	ck_assert_ptr_nonnull(vm);
	vm->irqchip_kernel = true;
	vcpu = calloc(1, sizeof(*vcpu));
	vcpu->kvm = vm;
	vcpu->vcpu_id = 3;
	ck_assert_int_eq(kvm_arch_vcpu_create(vcpu), 0);
}

static void teardown(void)
{
	kvm_arch_vcpu_destroy(vcpu);
	free(vcpu);
	kvm_put_kvm(vm);
}

static void x2apic_on(void)
{
	vcpu->sregs.apic_base |= APIC_BASE_X2;
	ck_assert_int_eq(kvm_x2apic_msr_write(vcpu, X2APIC_SPIV, 0x1ff), 0);
}

static void set_rflags(uint64_t rflags, uint64_t rip)
{
	struct kvm_regs regs;

	kvm_arch_vcpu_get_regs(vcpu, &regs);
	regs.rflags = rflags;
	regs.rip = rip;
	kvm_arch_vcpu_set_regs(vcpu, &regs);
}

START_TEST(test_x2apic_only)
{
	uint64_t v;

	/* xAPIC mode (the reset state): every x2APIC MSR is #GP */
	ck_assert_int_eq(kvm_x2apic_msr_write(vcpu, X2APIC_SPIV, 0x1ff), 1);
	ck_assert_int_eq(kvm_x2apic_msr_read(vcpu, X2APIC_SPIV, &v), 1);
	x2apic_on();
	ck_assert_int_eq(kvm_x2apic_msr_read(vcpu, X2APIC_SPIV, &v), 0);
	ck_assert_uint_eq(v, 0x1ff);
	ck_assert_int_eq(kvm_x2apic_msr_read(vcpu, 0x802, &v), 0);
	ck_assert_uint_eq(v, 3);
	/* a register the model does not have */
	ck_assert_int_eq(kvm_x2apic_msr_read(vcpu, 0x830, &v), 1);
	/* no in-kernel LAPIC at all */
	vm->irqchip_kernel = false;
	ck_assert_int_eq(kvm_x2apic_msr_read(vcpu, X2APIC_SPIV, &v), 1);
}
END_TEST

START_TEST(test_priority_and_eoi)
{
	uint64_t irr;

	kvm_apic_set_irq(vcpu, 0x41);
	kvm_apic_set_irq(vcpu, 0xec);
	/* software-disabled (SVR 0xff): nothing is delivered */
	ck_assert_int_eq(kvm_apic_has_interrupt(vcpu), -1);
	x2apic_on();
	ck_assert_int_eq(kvm_x2apic_msr_read(vcpu, X2APIC_IRR + 2, &irr), 0);
	ck_assert_uint_eq(irr, 1u << 1);	/* 0x41 */
	ck_assert_int_eq(kvm_apic_has_interrupt(vcpu), 0xec);
	ck_assert_int_eq(kvm_get_apic_interrupt(vcpu), 0xec);
	/* 0x41's class is below the one in service */
	ck_assert_int_eq(kvm_apic_has_interrupt(vcpu), -1);
	ck_assert_int_eq(kvm_x2apic_msr_write(vcpu, X2APIC_EOI, 1), 1);
	ck_assert_int_eq(kvm_x2apic_msr_write(vcpu, X2APIC_EOI, 0), 0);
	ck_assert_int_eq(kvm_apic_has_interrupt(vcpu), 0x41);
	/* TPR class 5 masks class 4; class 3 does not */
	ck_assert_int_eq(kvm_x2apic_msr_write(vcpu, X2APIC_TPR, 0x50), 0);
	ck_assert_int_eq(kvm_apic_has_interrupt(vcpu), -1);
	ck_assert_int_eq(kvm_x2apic_msr_write(vcpu, X2APIC_TPR, 0x3f), 0);
	ck_assert_int_eq(kvm_get_apic_interrupt(vcpu), 0x41);
	ck_assert_int_eq(kvm_get_apic_interrupt(vcpu), -1);
}
END_TEST

START_TEST(test_interrupt_window)
{
	set_rflags(0x2, 0x1000);
	ck_assert(!kvm_arch_interrupt_allowed(vcpu));
	set_rflags(0x202, 0x1000);
	ck_assert(kvm_arch_interrupt_allowed(vcpu));
	/* sti just ran: blocked until the next instruction has */
	kvm_set_interrupt_shadow(vcpu, 0x1000);
	ck_assert(!kvm_arch_interrupt_allowed(vcpu));
	set_rflags(0x202, 0x1003);
	ck_assert(kvm_arch_interrupt_allowed(vcpu));
	set_rflags(0x202, 0x1000);
	ck_assert(kvm_arch_interrupt_allowed(vcpu));
}
END_TEST

static Suite *lapic_suite(void)
{
	Suite *s = suite_create("lapic");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_x2apic_only);
	tcase_add_test(tc, test_priority_and_eoi);
	tcase_add_test(tc, test_interrupt_window);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(lapic_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
