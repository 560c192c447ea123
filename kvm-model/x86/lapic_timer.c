// SPDX-License-Identifier: MIT
/*
 * The local APIC timer (arch/x86/kvm/lapic.c's kvm_timer) on the virtual
 * clock.  One-shot and periodic modes count TMICT bus cycles
 * (kvm->arch.apic_bus_cycle_ns, 1 ns unless KVM_CAP_X86_APIC_BUS_CYCLES_NS
 * says otherwise, times TDCR's divisor; a periodic timer shorter than
 * min_timer_period_us is stretched to it); TSC-deadline mode, when the
 * guest's CPUID has it, fires when the guest's TSC reaches
 * IA32_TSC_DEADLINE.  An expiry is seen when the vCPU looks: each entry
 * (a quantum never runs past the next expiry), the halt loop (which
 * sleeps exactly until it), a TMCCT read, KVM_GET_LAPIC.
 */
#include "kvm-model/x86/lapic_internal.h"

/* apic->lapic_timer.timer_mode_mask: TSC-deadline only if CPUID has it */
uint32_t timer_mode_mask(struct kvm_vcpu *vcpu)
{
	return guest_cpuid_has(vcpu, 1, 0, CPUID_ECX, CPUID_1_ECX_TSC_DEADLINE) ? 3u << 17 :
										     1u << 17;
}

static uint32_t apic_lvtt_mode(struct kvm_lapic *apic)
{
	return apic->timer_mode;
}

static bool apic_lvtt_period(struct kvm_lapic *apic)
{
	return apic_lvtt_mode(apic) == APIC_LVT_TIMER_PERIODIC;
}

bool apic_lvtt_tscdeadline(struct kvm_lapic *apic)
{
	return apic_lvtt_mode(apic) == APIC_LVT_TIMER_TSCDEADLINE;
}

/* update_divide_count: TDCR bits 0, 1 and 3 */
void update_divide_count(struct kvm_lapic *apic)
{
	uint32_t tdcr = kvm_lapic_get_reg(apic, APIC_TDCR);
	uint32_t t = ((tdcr & 3) | ((tdcr & 8) >> 1)) + 1;

	apic->divide_count = 1u << (t & 7);
}

static uint64_t tmict_to_ns(struct kvm_vcpu *vcpu, uint32_t count)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);

	return (uint64_t)count * vm_state(vcpu)->apic_bus_cycle_ns * apic->divide_count;
}

void cancel_apic_timer(struct kvm_lapic *apic)
{
	apic->target_expiration = 0;
}

/* apic_update_lvtt: leaving or entering TSC-deadline mode stops the timer */
void apic_update_lvtt(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	uint32_t mode = kvm_lapic_get_reg(apic, APIC_LVTT) & timer_mode_mask(vcpu);

	if (apic->timer_mode == mode)
		return;
	if (apic_lvtt_tscdeadline(apic) != (mode == APIC_LVT_TIMER_TSCDEADLINE)) {
		cancel_apic_timer(apic);
		kvm_lapic_set_reg(apic, APIC_TMICT, 0);
		apic->period = 0;
		apic->tscdeadline = 0;
	}
	apic->timer_mode = mode;
	if (apic_lvtt_period(apic) && apic->period && apic->period < MIN_TIMER_PERIOD_NS)
		apic->period = MIN_TIMER_PERIOD_NS;
}

/*
 * set_target_expiration: the period TMICT gives (periodic mode stretched
 * to min_timer_period_us) and the first expiry, from count_reg (TMICT, or
 * TMCCT when KVM_SET_LAPIC restores a running timer).
 */
static void set_target_expiration(struct kvm_vcpu *vcpu, int count_reg)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	uint64_t deadline;

	apic->period = tmict_to_ns(vcpu, kvm_lapic_get_reg(apic, APIC_TMICT));
	if (!apic->period) {
		apic->target_expiration = 0;
		return;
	}
	if (apic_lvtt_period(apic) && apic->period < MIN_TIMER_PERIOD_NS)
		apic->period = MIN_TIMER_PERIOD_NS;
	deadline = apic->period;
	if (count_reg != APIC_TMICT) {
		deadline = tmict_to_ns(vcpu, kvm_lapic_get_reg(apic, count_reg));
		if (!deadline && apic_lvtt_period(apic))
			deadline = apic->period;
		else if (deadline > apic->period)
			deadline = apic->period;
		if (!deadline) {
			apic->target_expiration = 0;
			return;
		}
	}
	apic->target_expiration = sim_now() + deadline;
}

/* start_sw_tscdeadline: when the guest TSC reaches the deadline */
static void start_sw_tscdeadline(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	uint32_t khz = x86_state(vcpu)->virtual_tsc_khz;
	uint64_t guest_tsc = kvm_read_l1_tsc(vcpu), ns;

	apic->target_expiration = 0;
	if (!apic->tscdeadline || !khz)
		return;
	if (apic->tscdeadline <= guest_tsc) {
		apic->target_expiration = sim_now();
		return;
	}
	ns = (uint64_t)((unsigned __int128)(apic->tscdeadline - guest_tsc) * 1000000u / khz);
	apic->target_expiration = sim_now() + (ns ? ns : 1);
}

/* __start_apic_timer */
void start_apic_timer(struct kvm_vcpu *vcpu, int count_reg)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);

	if (apic_lvtt_tscdeadline(apic))
		start_sw_tscdeadline(vcpu);
	else
		set_target_expiration(vcpu, count_reg);
	if (apic->target_expiration) {
		struct sim_ev *ev = sim_ev_begin("start_apic_timer");

		sim_ev_str(ev, "vcpu", vcpu->name);
		sim_ev_str(ev, "mode", apic_lvtt_tscdeadline(apic) ? "tsc-deadline" :
				       apic_lvtt_period(apic) ? "periodic" : "one-shot");
		sim_ev_int(ev, "expires", apic->target_expiration);
		sim_ev_end(ev);
	}
}

/* apic_get_tmcct: bus cycles left in this period (0 when stopped) */
uint32_t apic_get_tmcct(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	uint64_t now = sim_now(), remaining, cycle;

	if (!kvm_lapic_get_reg(apic, APIC_TMICT) || !apic->period || !apic->target_expiration)
		return 0;
	remaining = apic->target_expiration > now ? apic->target_expiration - now : 0;
	remaining %= apic->period;
	cycle = vm_state(vcpu)->apic_bus_cycle_ns * apic->divide_count;
	return remaining / cycle;
}

uint64_t kvm_lapic_next_expiry(struct kvm_vcpu *vcpu)
{
	if (!lapic_in_kernel(vcpu))
		return 0;
	return vcpu_apic(vcpu)->target_expiration;
}


/*
 * apic_timer_expired + kvm_apic_inject_pending_timer_irqs: the LVT's
 * interrupt (unless masked), then a one-shot or TSC deadline is spent and
 * a periodic timer moves to its next period (missed periods coalesce into
 * this one interrupt, as the hrtimer's pending count does).
 */
void kvm_lapic_expired_timer(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	uint64_t now = sim_now();
	struct sim_ev *ev;

	if (!lapic_in_kernel(vcpu) || !apic->target_expiration || now < apic->target_expiration)
		return;
	ev = sim_ev_begin("apic_timer_expired");
	sim_ev_str(ev, "vcpu", vcpu->name);
	sim_ev_int(ev, "masked", !!(kvm_lapic_get_reg(apic, APIC_LVTT) & APIC_LVT_MASKED));
	sim_ev_end(ev);
	kvm_apic_local_deliver(vcpu, APIC_LVTT);
	if (apic_lvtt_period(apic) && apic->period) {
		uint64_t missed = (now - apic->target_expiration) / apic->period;

		apic->target_expiration += (missed + 1) * apic->period;
		return;
	}
	apic->target_expiration = 0;
	apic->tscdeadline = 0;
}

uint64_t kvm_get_lapic_tscdeadline_msr(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);

	if (!lapic_in_kernel(vcpu) || !apic_lvtt_tscdeadline(apic))
		return 0;
	kvm_lapic_expired_timer(vcpu);
	return apic->tscdeadline;
}

void kvm_set_lapic_tscdeadline_msr(struct kvm_vcpu *vcpu, uint64_t data)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);

	if (!lapic_in_kernel(vcpu) || !apic_lvtt_tscdeadline(apic))
		return;
	apic->tscdeadline = data;
	start_apic_timer(vcpu, APIC_TMICT);
}

/* APIC_TDCR: a running timer keeps its elapsed share at the new rate */
void apic_tdcr_write(struct kvm_vcpu *vcpu, uint32_t val)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	uint32_t old_divisor = apic->divide_count;
	uint64_t now = sim_now(), remaining;

	kvm_lapic_set_reg(apic, APIC_TDCR, val & 0xb);
	update_divide_count(apic);
	if (apic->divide_count == old_divisor || !apic->period || !apic->target_expiration)
		return;
	remaining = apic->target_expiration > now ? apic->target_expiration - now : 0;
	remaining = remaining * apic->divide_count / old_divisor;
	apic->period = tmict_to_ns(vcpu, kvm_lapic_get_reg(apic, APIC_TMICT));
	if (apic_lvtt_period(apic) && apic->period < MIN_TIMER_PERIOD_NS)
		apic->period = MIN_TIMER_PERIOD_NS;
	apic->target_expiration = now + remaining;
}
