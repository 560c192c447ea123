// SPDX-License-Identifier: MIT
/*
 * Unit tests for the in-kernel LAPIC (kvm-model/x86/lapic.c): x2APIC
 * register access (#GP in xAPIC mode, for write-only or absent
 * registers), the software-enable bit, priority of IRR against TPR and
 * the class in service, EOI retiring the highest in-service vector (a
 * non-zero x2APIC EOI write is #GP), RFLAGS.IF with the STI shadow; IPIs
 * through the xAPIC page and the x2APIC ICR to physical, logical (flat,
 * cluster, x2APIC cluster) and shorthand destinations; INIT and SIPI
 * moving an AP from UNINITIALIZED to RUNNABLE at vector << 12; the timer
 * in periodic and TSC-deadline modes on the virtual clock; KVM_SET_LAPIC
 * with KVM_CAP_X2APIC_API's 32-bit IDs.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

#include "kvm-model/kvm_arch.h"
#include "kvm-model/kvm_host.h"
#include "kvm-model/x86/async_pf.h"
#include "kvm-model/x86/x86.h"
#include "kvm-model/x86/x86_state.h"
#include "sim/sim.h"

#define X2APIC_TPR	0x808
#define X2APIC_EOI	0x80b
#define X2APIC_SPIV	0x80f
#define X2APIC_IRR	0x820
#define X2APIC_ICR	0x830
#define X2APIC_LVTT	0x832
#define X2APIC_TMICT	0x838
#define X2APIC_TMCCT	0x839
#define APIC_BASE_X2	((1ull << 10) | (1ull << 11))
#define APIC_PAGE	0xfee00000ull
#define NR		3

static struct kvm *vm;
static struct kvm_vcpu *vcpus[NR];
static struct kvm_vcpu *vcpu;

static void setup(void)
{
	int err = 0;

	sim_init(1, "main");
	ck_assert_int_eq(kvm_arch_select("x86_64"), 0);
	vm = kvm_create_vm(KVM_X86_DEFAULT_VM, &err);
	ck_assert_ptr_nonnull(vm);
	vm->irqchip_kernel = true;
	for (int i = 0; i < NR; i++) {
		struct kvm_vcpu *v = calloc(1, sizeof(*v));

		v->kvm = vm;
		v->vcpu_id = i == 0 ? 3 : i - 1;	/* ids 3, 0, 1 */
		snprintf(v->name, sizeof(v->name), "vcpu%d", v->vcpu_id);
		ck_assert_int_eq(kvm_arch_vcpu_create(v), 0);
		ck_assert_int_eq(kvm_x86_state_create(v), 0);
		vm->vcpus[i] = v;
		vcpus[i] = v;
	}
	vm->nr_vcpus = NR;
	vcpu = vcpus[0];
}

static void teardown(void)
{
	for (int i = 0; i < NR; i++) {
		kvm_arch_vcpu_destroy(vcpus[i]);
		kvm_x86_state_destroy(vcpus[i]);
		vm->vcpus[i] = NULL;
		free(vcpus[i]);
	}
	vm->nr_vcpus = 0;
	kvm_put_kvm(vm);
}

static void x2apic_on_vcpu(struct kvm_vcpu *v)
{
	v->sregs.apic_base |= APIC_BASE_X2;
	kvm_lapic_set_base(v, v->sregs.apic_base & ~(1ull << 10));
	ck_assert_int_eq(kvm_x2apic_msr_write(v, X2APIC_SPIV, 0x1ff), 0);
}

static void x2apic_on(void)
{
	x2apic_on_vcpu(vcpu);
}

static uint32_t mmio_read(struct kvm_vcpu *v, uint32_t off)
{
	uint32_t val = 0;

	ck_assert(kvm_lapic_mmio_read(v, APIC_PAGE + off, 4, &val));
	return val;
}

static void mmio_write(struct kvm_vcpu *v, uint32_t off, uint32_t val)
{
	ck_assert(kvm_lapic_mmio_write(v, APIC_PAGE + off, 4, &val));
}

static bool irr_has(struct kvm_vcpu *v, int vector)
{
	uint32_t irr = mmio_read(v, 0x200 + (vector / 32) * 0x10);

	return irr & (1u << (vector % 32));
}

static void set_rflags(uint64_t rflags, uint64_t rip)
{
	struct kvm_regs regs;

	kvm_arch_vcpu_get_regs(vcpu, &regs);
	regs.rflags = rflags;
	regs.rip = rip;
	kvm_arch_vcpu_set_regs(vcpu, &regs);
}

static int set_fixed(struct kvm_vcpu *v, int vector)
{
	struct kvm_lapic_irq irq = { .vector = vector, .delivery_mode = APIC_DM_FIXED };

	return kvm_apic_set_irq(v, &irq);
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
	/* LDR: cluster 0, bit 3 */
	ck_assert_int_eq(kvm_x2apic_msr_read(vcpu, 0x80d, &v), 0);
	ck_assert_uint_eq(v, 8);
	/* ICR2 and DFR do not exist in x2APIC mode; PPR cannot be written */
	ck_assert_int_eq(kvm_x2apic_msr_read(vcpu, 0x831, &v), 1);
	ck_assert_int_eq(kvm_x2apic_msr_read(vcpu, 0x80e, &v), 1);
	ck_assert_int_eq(kvm_x2apic_msr_write(vcpu, 0x80a, 0), 1);
	/* reserved ICR bits */
	ck_assert_int_eq(kvm_x2apic_msr_write(vcpu, X2APIC_ICR, 1ull << 13), 1);
	/* the page reads all ones in x2APIC mode */
	ck_assert_uint_eq(mmio_read(vcpu, 0x20), 0xffffffffu);
	/* no in-kernel LAPIC at all */
	vm->irqchip_kernel = false;
	ck_assert_int_eq(kvm_x2apic_msr_read(vcpu, X2APIC_SPIV, &v), 1);
	vm->irqchip_kernel = true;
}
END_TEST

START_TEST(test_priority_and_eoi)
{
	uint64_t irr;

	/* software-disabled (SVR 0xff): a fixed interrupt is not accepted */
	ck_assert_int_eq(set_fixed(vcpu, 0x41), 0);
	ck_assert_int_eq(kvm_apic_has_interrupt(vcpu), -1);
	x2apic_on();
	ck_assert_int_eq(set_fixed(vcpu, 0x41), 1);
	ck_assert_int_eq(set_fixed(vcpu, 0xec), 1);
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
	/* CR8 is the TPR's class */
	ck_assert_uint_eq(kvm_get_cr8(vcpu), 3);
	kvm_set_cr8(vcpu, 4);
	ck_assert_int_eq(kvm_x2apic_msr_read(vcpu, X2APIC_TPR, &irr), 0);
	ck_assert_uint_eq(irr, 0x40);
	ck_assert_int_eq(kvm_apic_has_interrupt(vcpu), -1);
	kvm_set_cr8(vcpu, 3);
	ck_assert_int_eq(kvm_get_apic_interrupt(vcpu), 0x41);
	ck_assert_int_eq(kvm_get_apic_interrupt(vcpu), -1);
}
END_TEST

/* xAPIC: physical, logical flat and cluster, shorthands, through the page */
START_TEST(test_xapic_ipi)
{
	for (int i = 0; i < NR; i++)
		mmio_write(vcpus[i], 0xf0, 0x1ff);
	/* xAPIC IDs follow vCPU ids: 3, 0, 1 */
	ck_assert_uint_eq(mmio_read(vcpus[0], 0x20), 3u << 24);
	ck_assert_uint_eq(mmio_read(vcpus[2], 0x20), 1u << 24);
	/* physical: vcpu0 (ID 3) to ID 1 */
	mmio_write(vcpus[0], 0x310, 1u << 24);
	mmio_write(vcpus[0], 0x300, 0x4051);
	ck_assert(irr_has(vcpus[2], 0x51));
	ck_assert(!irr_has(vcpus[1], 0x51) && !irr_has(vcpus[0], 0x51));
	/* the busy bit reads back clear */
	ck_assert_uint_eq(mmio_read(vcpus[0], 0x300), 0x4051);
	/* logical flat: LDR bits 0x02 and 0x04 on vcpus[1] and [2] */
	mmio_write(vcpus[1], 0xd0, 0x02u << 24);
	mmio_write(vcpus[2], 0xd0, 0x04u << 24);
	mmio_write(vcpus[0], 0x310, 0x06u << 24);
	mmio_write(vcpus[0], 0x300, 0x852);
	ck_assert(irr_has(vcpus[1], 0x52) && irr_has(vcpus[2], 0x52));
	ck_assert(!irr_has(vcpus[0], 0x52));
	/* logical cluster: cluster 1, member bit 2 reaches only vcpus[2] */
	mmio_write(vcpus[1], 0xe0, 0x0fffffff);
	mmio_write(vcpus[2], 0xe0, 0x0fffffff);
	mmio_write(vcpus[1], 0xd0, 0x11u << 24);
	mmio_write(vcpus[2], 0xd0, 0x12u << 24);
	ck_assert_uint_eq(mmio_read(vcpus[2], 0xe0), 0x0fffffff);
	mmio_write(vcpus[0], 0x310, 0x12u << 24);
	mmio_write(vcpus[0], 0x300, 0x853);
	ck_assert(irr_has(vcpus[2], 0x53) && !irr_has(vcpus[1], 0x53));
	/* all but self; self */
	mmio_write(vcpus[1], 0x300, 0xc0054);
	ck_assert(irr_has(vcpus[0], 0x54) && irr_has(vcpus[2], 0x54) && !irr_has(vcpus[1], 0x54));
	mmio_write(vcpus[1], 0x300, 0x40055);
	ck_assert(irr_has(vcpus[1], 0x55) && !irr_has(vcpus[0], 0x55));
	/* physical broadcast */
	mmio_write(vcpus[0], 0x310, 0xffu << 24);
	mmio_write(vcpus[0], 0x300, 0x56);
	for (int i = 0; i < NR; i++)
		ck_assert(irr_has(vcpus[i], 0x56));
	/* a non-aligned or short write reaches no register */
	mmio_write(vcpus[0], 0x80, 0x20);
	ck_assert_uint_eq(mmio_read(vcpus[0], 0x80), 0x20);
	ck_assert(kvm_lapic_mmio_write(vcpus[0], APIC_PAGE + 0x81, 1, "\x70"));
	ck_assert_uint_eq(mmio_read(vcpus[0], 0x80), 0x20);
	/* outside the page: not the APIC's */
	ck_assert(!kvm_lapic_mmio_write(vcpus[0], APIC_PAGE + 0x1000, 4, "abcd"));
}
END_TEST

/* x2APIC: 32-bit physical IDs and x2APIC logical clusters */
START_TEST(test_x2apic_ipi)
{
	uint64_t icr;

	for (int i = 0; i < NR; i++)
		x2apic_on_vcpu(vcpus[i]);
	ck_assert_int_eq(kvm_x2apic_msr_write(vcpus[1], X2APIC_ICR, (3ull << 32) | 0x61), 0);
	ck_assert_uint_eq(mmio_read(vcpus[0], 0x200), 0xffffffffu);	/* page is a hole */
	ck_assert_int_eq(kvm_apic_has_interrupt(vcpus[0]), 0x61);
	ck_assert_int_eq(kvm_x2apic_msr_read(vcpus[1], X2APIC_ICR, &icr), 0);
	ck_assert_uint_eq(icr, (3ull << 32) | 0x61);
	/* logical: cluster 0, bits 0 and 1 are vCPU ids 0 and 1 */
	ck_assert_int_eq(kvm_x2apic_msr_write(vcpus[0], X2APIC_ICR, (3ull << 32) | 0x862), 0);
	ck_assert_int_eq(kvm_apic_has_interrupt(vcpus[1]), 0x62);
	ck_assert_int_eq(kvm_apic_has_interrupt(vcpus[2]), 0x62);
	ck_assert_int_eq(kvm_apic_has_interrupt(vcpus[0]), 0x61);
	/* an xAPIC broadcast from the IOAPIC reaches x2APIC targets (the quirk) */
	struct kvm_lapic_irq irq = { .vector = 0x70, .dest_id = 0xff };

	ck_assert_int_eq(kvm_irq_delivery_to_apic(vm, NULL, &irq), 3);
	vm->x86->x2apic_broadcast_quirk_disabled = true;
	irq.vector = 0x71;
	ck_assert_int_eq(kvm_irq_delivery_to_apic(vm, NULL, &irq), -1);
	/* lowest priority: one of the matching vCPUs (vector hashing) */
	irq = (struct kvm_lapic_irq){ .vector = 0x81, .delivery_mode = APIC_DM_LOWEST,
				      .dest_id = 0xffffffff };
	ck_assert_int_eq(kvm_irq_delivery_to_apic(vm, NULL, &irq), 1);
	ck_assert_int_eq(kvm_apic_has_interrupt(vcpus[0x81 % 3]), 0x81);
}
END_TEST

START_TEST(test_init_sipi)
{
	struct kvm_vcpu *ap = vcpus[2];
	struct kvm_sregs s;
	struct kvm_regs regs;

	/* vcpus[0] has id 3 (not the BSP), so it waits too; id 0 is the BSP */
	ck_assert_uint_eq(x86_state(vcpus[1])->mp_state, KVM_MP_STATE_RUNNABLE);
	ck_assert_uint_eq(x86_state(ap)->mp_state, KVM_MP_STATE_UNINITIALIZED);
	mmio_write(vcpus[1], 0xf0, 0x1ff);
	/* a SIPI before INIT is dropped */
	mmio_write(vcpus[1], 0x310, 1u << 24);
	mmio_write(vcpus[1], 0x300, 0x4609);
	ck_assert(kvm_apic_has_pending_init_or_sipi(ap));
	kvm_apic_accept_events(ap);
	ck_assert_uint_eq(x86_state(ap)->mp_state, KVM_MP_STATE_UNINITIALIZED);
	/* INIT (assert), then SIPI vector 9 */
	mmio_write(vcpus[1], 0x300, 0x4500);
	kvm_apic_accept_events(ap);
	ck_assert_uint_eq(x86_state(ap)->mp_state, KVM_MP_STATE_INIT_RECEIVED);
	mmio_write(vcpus[1], 0x300, 0x4609);
	kvm_apic_accept_events(ap);
	ck_assert_uint_eq(x86_state(ap)->mp_state, KVM_MP_STATE_RUNNABLE);
	kvm_arch_vcpu_get_sregs(ap, &s);
	kvm_arch_vcpu_get_regs(ap, &regs);
	ck_assert_uint_eq(s.cs.selector, 0x900);
	ck_assert_uint_eq(s.cs.base, 0x9000);
	ck_assert_uint_eq(regs.rip, 0);
	ck_assert_uint_eq(regs.rdx, 0x600);
	/* INIT and SIPI both pending when the AP looks: both are acted on */
	x86_state(ap)->mp_state = KVM_MP_STATE_UNINITIALIZED;
	mmio_write(vcpus[1], 0x300, 0x4500);
	mmio_write(vcpus[1], 0x300, 0x460a);
	kvm_apic_accept_events(ap);
	ck_assert_uint_eq(x86_state(ap)->mp_state, KVM_MP_STATE_RUNNABLE);
	kvm_arch_vcpu_get_sregs(ap, &s);
	ck_assert_uint_eq(s.cs.base, 0xa000);
	/* KVM_SET_MP_STATE(SIPI_RECEIVED): INIT_RECEIVED and the SIPI pending */
	{
		struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_SIPI_RECEIVED };

		ck_assert_int_eq(kvm_vcpu_ioctl_state(ap, KVM_SET_MP_STATE, &mp), 0);
		ck_assert_uint_eq(x86_state(ap)->mp_state, KVM_MP_STATE_INIT_RECEIVED);
		/* KVM_GET_MP_STATE acts on it first: vector 0xa from before */
		ck_assert_int_eq(kvm_vcpu_ioctl_state(ap, KVM_GET_MP_STATE, &mp), 0);
		ck_assert_uint_eq(mp.mp_state, KVM_MP_STATE_RUNNABLE);
		kvm_arch_vcpu_get_sregs(ap, &s);
		ck_assert_uint_eq(s.cs.base, 0xa000);
	}
	/* a level de-assert INIT is ignored */
	mmio_write(vcpus[1], 0x300, 0x8500);
	ck_assert(!kvm_apic_has_pending_init_or_sipi(ap));
}
END_TEST

START_TEST(test_timer_modes)
{
	uint64_t v, t0;
	struct kvm_cpuid_entry2 *e = &vcpu->cpuid[0];

	x2apic_on();
	/* periodic, vector 0x30, 1000 bus cycles (2 us) stretched to 200 us */
	ck_assert_int_eq(kvm_x2apic_msr_write(vcpu, X2APIC_LVTT, 0x20030), 0);
	t0 = sim_now();
	ck_assert_int_eq(kvm_x2apic_msr_write(vcpu, X2APIC_TMICT, 1000), 0);
	ck_assert_uint_eq(kvm_lapic_next_expiry(vcpu), t0 + 200000);
	sim_advance(200000);
	kvm_lapic_expired_timer(vcpu);
	ck_assert_int_eq(kvm_apic_has_interrupt(vcpu), 0x30);
	ck_assert_uint_eq(kvm_lapic_next_expiry(vcpu), t0 + 400000);
	/* three periods missed: one interrupt, the next period after now */
	sim_advance(650000);
	kvm_lapic_expired_timer(vcpu);
	ck_assert_uint_eq(kvm_lapic_next_expiry(vcpu), t0 + 1000000);
	ck_assert_int_eq(kvm_x2apic_msr_read(vcpu, X2APIC_TMCCT, &v), 0);
	/* 150 us left of the stretched period, in 2 ns cycles (TDCR 0: divide by 2) */
	ck_assert_uint_eq(v, 75000);
	/* without CPUID's TSC-deadline bit the mode stays periodic/one-shot */
	ck_assert_int_eq(kvm_x2apic_msr_write(vcpu, X2APIC_LVTT, 0x40031), 0);
	ck_assert_int_eq(kvm_x2apic_msr_read(vcpu, X2APIC_LVTT, &v), 0);
	ck_assert_uint_eq(v, 0x31);
	/* with it: the timer fires when the guest TSC reaches the deadline */
	*e = (struct kvm_cpuid_entry2){ .function = 1, .ecx = 1u << 24 | 1u << 21 };
	vcpu->cpuid_nent = 1;
	ck_assert_int_eq(kvm_x2apic_msr_write(vcpu, X2APIC_LVTT, 0x40032), 0);
	ck_assert_uint_eq(kvm_lapic_next_expiry(vcpu), 0);
	ck_assert_int_eq(kvm_set_msr_common(vcpu, 0x6e0, kvm_read_l1_tsc(vcpu) + 5000), 0);
	ck_assert_uint_eq(kvm_lapic_next_expiry(vcpu), sim_now() + 5000);
	/* TMICT is ignored in this mode */
	ck_assert_int_eq(kvm_x2apic_msr_write(vcpu, X2APIC_TMICT, 7), 0);
	ck_assert_int_eq(kvm_x2apic_msr_read(vcpu, X2APIC_TMICT, &v), 0);
	ck_assert_uint_eq(v, 0);
	sim_advance(5000);
	ck_assert_int_eq(kvm_get_msr_common(vcpu, 0x6e0, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_uint_eq(kvm_lapic_next_expiry(vcpu), 0);
	ck_assert_int_eq(kvm_apic_has_interrupt(vcpu), 0x32);
}
END_TEST

START_TEST(test_state_x2apic_format)
{
	struct kvm_lapic_state s;
	uint32_t id;

	x2apic_on();
	ck_assert_int_eq(kvm_apic_get_state(vcpu, &s), 0);
	memcpy(&id, s.regs + 0x20, 4);
	ck_assert_uint_eq(id, 3u << 24);
	vm->x86->x2apic_format = true;
	ck_assert_int_eq(kvm_apic_get_state(vcpu, &s), 0);
	memcpy(&id, s.regs + 0x20, 4);
	ck_assert_uint_eq(id, 3);
	ck_assert_int_eq(kvm_apic_set_state(vcpu, &s), 0);
	id = 4;
	memcpy(s.regs + 0x20, &id, 4);
	ck_assert_int_eq(kvm_apic_set_state(vcpu, &s), -EINVAL);
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
	tcase_add_test(tc, test_xapic_ipi);
	tcase_add_test(tc, test_x2apic_ipi);
	tcase_add_test(tc, test_init_sipi);
	tcase_add_test(tc, test_timer_modes);
	tcase_add_test(tc, test_state_x2apic_format);
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
