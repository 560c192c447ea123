// SPDX-License-Identifier: MIT
/*
 * ipi-wakeup (x86-64): a lost wakeup between an IPI and hlt, only on
 * some schedules (guest-bins/x86_64/ipi_wakeup.c): vCPU 1 tests a flag
 * with interrupts enabled, exits to this VMM to report it goes idle,
 * then runs hlt; vCPU 0's IPI (x2APIC ICR, in-kernel LAPIC) sets the
 * flag.  If the IPI arrives while vCPU 1 is out in userspace, KVM
 * injects it on re-entry before the hlt, and the hlt sleeps for ever in
 * kvm_vcpu_block: every thread ends up blocked (the "deadlock" verdict).
 * Use explore to find such a schedule and replay to see it again.  The
 * x86 counterpart of arm64/sgi-wakeup.c.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "scenario.h"

struct vcpu_ctx {
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	int idles;
};

static void *vcpu_thread(void *arg)
{
	struct vcpu_ctx *c = arg;
	struct ucall uc;

	for (;;) {
		u64 cmd = vcpu_run_ucall(c->vcpu, &uc);

		if (cmd == UCALL_SYNC) {
			c->idles += uc.args[0] == 1;	/* 0: interrupts on, 1: going idle */
			continue;
		}
		if (cmd != UCALL_DONE)
			die("vCPU %u: unexpected exit", c->vcpu->id);
		return NULL;
	}
}

#define MSR_IA32_APICBASE	0x1b
#define APIC_BASE_EXTD		(1ull << 10)
#define APIC_BASE_ENABLE	(1ull << 11)
#define APIC_SPIV		0xf0
#define APIC_SPIV_ENABLE	0x100

/*
 * x2APIC mode (IA32_APIC_BASE: EN | EXTD) and software-enabled (SPIV bit
 * 8, vector 0xff) before the vCPU runs, so an IPI is never dropped for
 * an APIC its guest has not enabled yet.
 */
static void apic_enable_x2apic(struct kvm_vcpu *vcpu)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} msrs = { .hdr.nmsrs = 1, .e.index = MSR_IA32_APICBASE };
	struct kvm_lapic_state lapic;
	u32 spiv;

	if (ioctl(vcpu->fd, KVM_GET_MSRS, &msrs) != 1)
		die_errno("KVM_GET_MSRS");
	msrs.e.data |= APIC_BASE_ENABLE | APIC_BASE_EXTD;
	if (ioctl(vcpu->fd, KVM_SET_MSRS, &msrs) != 1)
		die_errno("KVM_SET_MSRS");
	if (ioctl(vcpu->fd, KVM_GET_LAPIC, &lapic) < 0)
		die_errno("KVM_GET_LAPIC");
	memcpy(&spiv, &lapic.regs[APIC_SPIV], sizeof(spiv));
	spiv |= APIC_SPIV_ENABLE | 0xff;
	memcpy(&lapic.regs[APIC_SPIV], &spiv, sizeof(spiv));
	if (ioctl(vcpu->fd, KVM_SET_LAPIC, &lapic) < 0)
		die_errno("KVM_SET_LAPIC");
}

int main(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_mp_state runnable = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct vcpu_ctx v[2] = { 0 };
	u64 entry;

	/* the in-kernel LAPIC (and PIC/IOAPIC): before any vCPU */
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		die_errno("KVM_CREATE_IRQCHIP");
	entry = vm_load_guest(vm, "ipi_wakeup");
	for (int i = 0; i < 2; i++) {
		v[i].vcpu = vm_vcpu_add(vm, entry);
		vcpu_set_args(v[i].vcpu, 1, (u64)i);
		apic_enable_x2apic(v[i].vcpu);
	}
	/* an AP of an in-kernel-LAPIC VM waits for INIT/SIPI; start it now */
	if (ioctl(v[1].vcpu->fd, KVM_SET_MP_STATE, &runnable) < 0)
		die_errno("KVM_SET_MP_STATE");
	for (int i = 0; i < 2; i++)
		if (pthread_create(&v[i].thread, NULL, vcpu_thread, &v[i]))
			die("pthread_create");
	for (int i = 0; i < 2; i++)
		pthread_join(v[i].thread, NULL);
	printf("vCPU 1 woken by IPI 0xf1 after %d idle report(s)\n", v[1].idles);
	vm_destroy(vm);
	return 0;
}
