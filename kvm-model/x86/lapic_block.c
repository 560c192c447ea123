// SPDX-License-Identifier: MIT
/*
 * Interrupt windows and blocking with the in-kernel LAPIC
 * (arch/x86/kvm/x86.c: kvm_arch_interrupt_allowed, the STI shadow,
 * kvm_arch_vcpu_runnable, vcpu_block; virt/kvm/kvm_main.c:
 * kvm_vcpu_block).  A halted vCPU, or an AP waiting for INIT/SIPI, sleeps
 * until an interrupt RFLAGS.IF lets in, an NMI, INIT/SIPI, completed
 * async work, or a signal for the thread in KVM_RUN; an armed timer
 * bounds the sleep.
 */
#include "kvm-model/x86/lapic_internal.h"
#include "posix/posix.h"

void kvm_set_interrupt_shadow(struct kvm_vcpu *vcpu, uint64_t next_rip)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);

	apic->irq_shadow = true;
	apic->shadow_rip = next_rip;
	apic->shadow_insns = vcpu->insns;
}

/*
 * The STI shadow ends once the instruction after STI ran: RIP moved, or
 * instructions were retired since (a quantum ended).
 */
static bool in_interrupt_shadow(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);

	if (apic->irq_shadow && (x86_reg_read(vcpu, UC_X86_REG_RIP) != apic->shadow_rip ||
				 vcpu->insns != apic->shadow_insns))
		apic->irq_shadow = false;
	return apic->irq_shadow;
}

bool kvm_arch_interrupt_allowed(struct kvm_vcpu *vcpu)
{
	return (x86_reg_read(vcpu, UC_X86_REG_RFLAGS) & X86_EFLAGS_IF) &&
	       !in_interrupt_shadow(vcpu);
}

/*
 * kvm_arch_vcpu_runnable: running (RUNNABLE, not in the async-PF halt),
 * or an event that ends a halt (kvm_vcpu_has_events): completed async
 * work, INIT/SIPI, an NMI, an interrupt RFLAGS.IF lets in.
 */
static bool kvm_arch_vcpu_runnable(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_apf *apf = &to_uc(vcpu)->apf;
	uint32_t mp_state = x86_state(vcpu)->mp_state;

	if (mp_state == KVM_MP_STATE_RUNNABLE && !apf->halted)
		return true;
	if (apf->done || to_uc(vcpu)->events.nmi_pending || kvm_apic_has_pending_init_or_sipi(vcpu))
		return true;
	return kvm_cpu_has_interrupt(vcpu) &&
	       (x86_reg_read(vcpu, UC_X86_REG_RFLAGS) & X86_EFLAGS_IF);
}

/*
 * kvm_vcpu_block: sleep until something can wake the vCPU; an armed
 * timer bounds the sleep (its expiry is a wake-up on virtual time, never
 * a deadlock).  Another vCPU's IPI may land just before the check or
 * while asleep: a synchronization point first.
 */
static bool kvm_vcpu_signal_pending(struct kvm_vcpu *vcpu)
{
	return vcpu->run_caller &&
	       posix_signal_pending(vcpu->run_caller,
				    vcpu->sigmask_active ? &vcpu->sigmask : NULL);
}

static void __kvm_vcpu_block(struct kvm_vcpu *vcpu, bool interruptible)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	struct sim_ev *ev = sim_ev_begin("kvm_vcpu_block");

	sim_ev_str(ev, "vcpu", vcpu->name);
	sim_ev_end(ev);
	sim_sync_point("kvm_vcpu_block");
	kvm_lapic_expired_timer(vcpu);
	while (!kvm_arch_vcpu_runnable(vcpu)) {
		/* kvm_vcpu_check_block: a signal ends the sleep (KVM_RUN: -EINTR) */
		if (interruptible && kvm_vcpu_signal_pending(vcpu))
			break;
		if (apic->target_expiration)
			sim_wait_until(&to_uc(vcpu)->apf.wq, apic->target_expiration);
		else
			sim_wait(&to_uc(vcpu)->apf.wq);
		kvm_lapic_expired_timer(vcpu);
	}
	ev = sim_ev_begin("kvm_vcpu_wakeup");
	sim_ev_str(ev, "vcpu", vcpu->name);
	sim_ev_end(ev);
}

void kvm_vcpu_halt(struct kvm_vcpu *vcpu)
{
	__kvm_vcpu_block(vcpu, false);
}

/*
 * kvm_vcpu_running / vcpu_block: a vCPU that is not RUNNABLE (halted,
 * waiting for INIT or SIPI) sleeps until an event, then INIT/SIPI are
 * acted on and a halt ends.
 */
bool kvm_vcpu_running(struct kvm_vcpu *vcpu)
{
	return x86_state(vcpu)->mp_state == KVM_MP_STATE_RUNNABLE;
}

void kvm_x86_vcpu_block(struct kvm_vcpu *vcpu)
{
	struct x86_vcpu_state *st = x86_state(vcpu);

	if (!kvm_arch_vcpu_runnable(vcpu)) {
		__kvm_vcpu_block(vcpu, true);
		/* woken by a signal: serve it, the activity state stays */
		if (!kvm_arch_vcpu_runnable(vcpu))
			return;
	}
	kvm_apic_accept_events(vcpu);
	switch (st->mp_state) {
	case KVM_MP_STATE_HALTED:
	case KVM_MP_STATE_AP_RESET_HOLD:
		if (!kvm_apic_has_pending_init_or_sipi(vcpu))
			kvm_set_mp_state(vcpu, KVM_MP_STATE_RUNNABLE);
		break;
	}
}
