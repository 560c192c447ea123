// SPDX-License-Identifier: MIT
/*
 * The in-kernel local APIC (KVM_CREATE_IRQCHIP), as arch/x86/kvm/lapic.c
 * keeps it: a 1 KiB register page (what KVM_GET/SET_LAPIC copy), reached
 * through the xAPIC MMIO page at IA32_APIC_BASE or, in x2APIC mode,
 * through MSRs 0x800-0x8ff.
 *
 * Delivery: an interrupt message (struct kvm_lapic_irq) goes to every
 * vCPU its destination names (shorthand, physical ID, or logical: flat
 * and cluster xAPIC, x2APIC clusters); fixed and lowest-priority
 * interrupts latch in IRR, the highest one above the processor priority
 * (TPR, and the class in service) is delivered when RFLAGS.IF allows and
 * moves to ISR; EOI retires the highest in service.  NMI, INIT and
 * STARTUP are accepted as KVM does: INIT resets the vCPU to
 * INIT_RECEIVED (the BSP to RUNNABLE), a SIPI then starts it at
 * vector << 12.  The ICR sends IPIs between vCPUs.
 *
 * The timer runs on the virtual clock: one-shot and periodic modes count
 * TMICT bus cycles (kvm->arch.apic_bus_cycle_ns, 1 ns unless
 * KVM_CAP_X86_APIC_BUS_CYCLES_NS says otherwise, times TDCR's divisor);
 * TSC-deadline mode (when the guest's CPUID has it) fires when the
 * guest's TSC reaches IA32_TSC_DEADLINE.  An expiry is seen when the vCPU
 * looks: each entry (a quantum never runs past the next expiry), the halt
 * loop (which sleeps exactly until it), a TMCCT read, KVM_GET_LAPIC.
 *
 * Races between vCPUs are scheduling choices: an IPI's delivery and a
 * vCPU's check before it blocks, and an EOI against the timer, are
 * synchronization points (sim_sync_point) the explorer can reorder.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <string.h>

#include "kvm-model/x86/uc_internal.h"
#include "kvm-model/x86/x86_state.h"
#include "posix/posix.h"

#define APIC_BASE_BSP		(1ull << 8)
#define APIC_BASE_EXTD		(1ull << 10)
#define APIC_BASE_ENABLE	(1ull << 11)
#define APIC_BASE_ADDR_MASK	0xfffff000ull
#define APIC_SPIV_APIC_ENABLED	(1u << 8)
#define APIC_SPIV_DIRECTED_EOI	(1u << 12)
#define APIC_LVR_DIRECTED_EOI	(1u << 24)
#define X86_EFLAGS_IF		(1ull << 9)
#define LAPIC_MMIO_LENGTH	0x1000

/* register page offsets (apicdef.h) */
#define APIC_ID		0x20
#define APIC_LVR	0x30
#define APIC_TASKPRI	0x80
#define APIC_ARBPRI	0x90
#define APIC_PROCPRI	0xa0
#define APIC_EOI	0xb0
#define APIC_LDR	0xd0
#define APIC_DFR	0xe0
#define APIC_SPIV	0xf0
#define APIC_ISR	0x100
#define APIC_TMR	0x180
#define APIC_IRR	0x200
#define APIC_ESR	0x280
#define APIC_ICR	0x300
#define APIC_ICR2	0x310
#define APIC_LVTT	0x320
#define APIC_LVTTHMR	0x330
#define APIC_LVTPC	0x340
#define APIC_LVT0	0x350
#define APIC_LVT1	0x360
#define APIC_LVTERR	0x370
#define APIC_TMICT	0x380
#define APIC_TMCCT	0x390
#define APIC_TDCR	0x3e0
#define APIC_SELF_IPI	0x3f0

#define APIC_LVT_MASKED		(1u << 16)
#define APIC_SEND_PENDING	(1u << 12)
#define APIC_INPUT_POLARITY	(1u << 13)
#define APIC_LVT_REMOTE_IRR	(1u << 14)
#define APIC_LVT_LEVEL_TRIGGER	(1u << 15)
#define APIC_LVT_TIMER_ONESHOT	(0u << 17)
#define APIC_LVT_TIMER_PERIODIC	(1u << 17)
#define APIC_LVT_TIMER_TSCDEADLINE (2u << 17)
#define APIC_DFR_FLAT		0xffffffffu
#define APIC_DFR_CLUSTER	0x0fffffffu
#define APIC_LDR_MASK		(0xffu << 24)

#define LVT_MASK	(APIC_LVT_MASKED | APIC_SEND_PENDING | APIC_VECTOR_MASK)
#define LINT_MASK	(LVT_MASK | APIC_MODE_MASK | APIC_INPUT_POLARITY | \
			 APIC_LVT_REMOTE_IRR | APIC_LVT_LEVEL_TRIGGER)
/* what each LVT keeps (timer: plus its mode bits), from LVTT to LVTERR */
static const uint32_t apic_lvt_mask[] = {
	LVT_MASK, LVT_MASK | APIC_MODE_MASK, LVT_MASK | APIC_MODE_MASK,
	LINT_MASK, LINT_MASK, LVT_MASK,
};
#define NR_LVT	6

/* version 0x14, five LVT entries past the first (no CMCI) */
#define KVM_APIC_VERSION	0x50014
/* x86.c's min_timer_period_us: shorter periodic timers are stretched */
#define MIN_TIMER_PERIOD_NS	200000ull
/* CPUID.1:ECX.TSC_DEADLINE_TIMER */
#define CPUID_1_ECX_TSC_DEADLINE	24

static struct kvm_lapic *vcpu_apic(struct kvm_vcpu *vcpu)
{
	return &to_uc(vcpu)->lapic;
}

static uint32_t kvm_lapic_get_reg(struct kvm_lapic *apic, int off)
{
	uint32_t v;

	memcpy(&v, apic->regs + off, sizeof(v));
	return v;
}

static void kvm_lapic_set_reg(struct kvm_lapic *apic, int off, uint32_t v)
{
	memcpy(apic->regs + off, &v, sizeof(v));
}

/* The 256-bit IRR/ISR/TMR: eight registers 16 bytes apart. */
static void apic_vector_set(struct kvm_lapic *apic, int base, int vector, bool on)
{
	int off = base + (vector / 32) * 0x10;
	uint32_t v = kvm_lapic_get_reg(apic, off), bit = 1u << (vector % 32);

	kvm_lapic_set_reg(apic, off, on ? v | bit : v & ~bit);
}

static bool apic_test_vector(struct kvm_lapic *apic, int base, int vector)
{
	return kvm_lapic_get_reg(apic, base + (vector / 32) * 0x10) & (1u << (vector % 32));
}

static struct kvm_x86_vm_state *vm_state(struct kvm_vcpu *vcpu)
{
	return vcpu->kvm->x86;
}

bool lapic_in_kernel(struct kvm_vcpu *vcpu)
{
	return vcpu->kvm && vcpu->kvm->irqchip_kernel;
}

static bool kvm_apic_hw_enabled(struct kvm_vcpu *vcpu)
{
	return vcpu->sregs.apic_base & APIC_BASE_ENABLE;
}

static bool kvm_apic_sw_enabled(struct kvm_lapic *apic)
{
	return kvm_lapic_get_reg(apic, APIC_SPIV) & APIC_SPIV_APIC_ENABLED;
}

bool kvm_lapic_enabled(struct kvm_vcpu *vcpu)
{
	return lapic_in_kernel(vcpu) && kvm_apic_hw_enabled(vcpu) &&
	       kvm_apic_sw_enabled(vcpu_apic(vcpu));
}

bool apic_x2apic_mode(struct kvm_vcpu *vcpu)
{
	uint64_t want = APIC_BASE_ENABLE | APIC_BASE_EXTD;

	return lapic_in_kernel(vcpu) && (vcpu->sregs.apic_base & want) == want;
}

static bool kvm_vcpu_is_reset_bsp(struct kvm_vcpu *vcpu)
{
	return (uint32_t)vcpu->vcpu_id == vm_state(vcpu)->bsp_vcpu_id;
}

/* kvm_x2apic_id is the vCPU id; the xAPIC ID is what the guest wrote */
static uint32_t kvm_xapic_id(struct kvm_lapic *apic)
{
	return kvm_lapic_get_reg(apic, APIC_ID) >> 24;
}

/* kvm_apic_calc_x2apic_ldr: cluster in 31:16, one bit of 16 in 15:0 */
static uint32_t kvm_apic_calc_x2apic_ldr(uint32_t id)
{
	return ((id >> 4) << 16) | (1u << (id & 0xf));
}

static void kvm_apic_set_xapic_id(struct kvm_vcpu *vcpu, uint8_t id)
{
	kvm_lapic_set_reg(vcpu_apic(vcpu), APIC_ID, (uint32_t)id << 24);
}

static void kvm_apic_set_x2apic_id(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);

	kvm_lapic_set_reg(apic, APIC_ID, vcpu->vcpu_id);
	kvm_lapic_set_reg(apic, APIC_LDR, kvm_apic_calc_x2apic_ldr(vcpu->vcpu_id));
}

static void trace_vector(const char *event, struct kvm_vcpu *vcpu, int vector)
{
	struct sim_ev *ev = sim_ev_begin(event);

	sim_ev_str(ev, "vcpu", vcpu->name);
	sim_ev_int(ev, "vector", vector);
	sim_ev_end(ev);
}

static int find_highest(struct kvm_lapic *apic, int base)
{
	for (int i = 7; i >= 0; i--) {
		uint32_t v = kvm_lapic_get_reg(apic, base + i * 0x10);

		if (v)
			return i * 32 + 31 - __builtin_clz(v);
	}
	return -1;
}

void kvm_vcpu_kick(struct kvm_vcpu *vcpu)
{
	sim_wake_all(&to_uc(vcpu)->apf.wq);
}

/* ---- the timer ---- */

/* apic->lapic_timer.timer_mode_mask: TSC-deadline only if CPUID has it */
static uint32_t timer_mode_mask(struct kvm_vcpu *vcpu)
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

static bool apic_lvtt_tscdeadline(struct kvm_lapic *apic)
{
	return apic_lvtt_mode(apic) == APIC_LVT_TIMER_TSCDEADLINE;
}

/* update_divide_count: TDCR bits 0, 1 and 3 */
static void update_divide_count(struct kvm_lapic *apic)
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

static void cancel_apic_timer(struct kvm_lapic *apic)
{
	apic->target_expiration = 0;
}

/* apic_update_lvtt: leaving or entering TSC-deadline mode stops the timer */
static void apic_update_lvtt(struct kvm_vcpu *vcpu)
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
static void start_apic_timer(struct kvm_vcpu *vcpu, int count_reg)
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
static uint32_t apic_get_tmcct(struct kvm_vcpu *vcpu)
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

/* kvm_apic_local_deliver: an unmasked LVT entry's interrupt to this APIC */
static int __apic_accept_irq(struct kvm_vcpu *vcpu, uint32_t delivery_mode, int vector,
			     bool level, uint32_t trig_mode);

static int kvm_apic_local_deliver(struct kvm_vcpu *vcpu, int lvt)
{
	uint32_t reg = kvm_lapic_get_reg(vcpu_apic(vcpu), lvt);

	if (!kvm_apic_hw_enabled(vcpu) || (reg & APIC_LVT_MASKED))
		return 0;
	return __apic_accept_irq(vcpu, reg & APIC_MODE_MASK, reg & APIC_VECTOR_MASK, true,
				 reg & APIC_LVT_LEVEL_TRIGGER);
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

/* ---- priorities, acceptance and delivery ---- */

/* apic_update_ppr: the higher of TPR and the class in service. */
static uint32_t apic_update_ppr(struct kvm_lapic *apic)
{
	int isr = find_highest(apic, APIC_ISR);
	uint32_t tpr = kvm_lapic_get_reg(apic, APIC_TASKPRI);
	uint32_t ppr = isr >= 0 && (uint32_t)(isr & 0xf0) > (tpr & 0xf0) ? isr & 0xf0 : tpr;

	kvm_lapic_set_reg(apic, APIC_PROCPRI, ppr);
	return ppr;
}

/* apic_update_ppr + apic_has_interrupt_for_ppr */
int kvm_apic_has_interrupt(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	int irr;
	uint32_t ppr;

	if (!lapic_in_kernel(vcpu) || !kvm_apic_hw_enabled(vcpu))
		return -1;
	irr = find_highest(apic, APIC_IRR);
	ppr = apic_update_ppr(apic);
	if (irr < 0)
		return -1;
	return (uint32_t)(irr & 0xf0) > (ppr & 0xf0) ? irr : -1;
}

/* kvm_get_apic_interrupt: the vector moves from IRR to ISR. */
int kvm_get_apic_interrupt(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	int vector = kvm_apic_has_interrupt(vcpu);

	if (vector < 0)
		return -1;
	apic_vector_set(apic, APIC_IRR, vector, false);
	apic_vector_set(apic, APIC_ISR, vector, true);
	apic_update_ppr(apic);
	return vector;
}

/*
 * __apic_accept_irq: what one APIC does with a message.  Fixed and
 * lowest-priority latch the vector in IRR (TMR says the trigger mode),
 * NMI queues an NMI, INIT (asserted) and STARTUP are latched for
 * kvm_apic_accept_events; SMI (no SMM here), ExtINT (the PIC's path) and
 * de-asserted level messages are not accepted.  Every acceptance kicks
 * the vCPU out of a halt.
 */
static int __apic_accept_irq(struct kvm_vcpu *vcpu, uint32_t delivery_mode, int vector,
			     bool level, uint32_t trig_mode)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	const char *event = NULL;

	switch (delivery_mode) {
	case APIC_DM_LOWEST:
	case APIC_DM_FIXED:
		if (trig_mode && !level)
			return 0;
		if (!kvm_apic_hw_enabled(vcpu) || !kvm_apic_sw_enabled(apic))
			return 0;
		apic_vector_set(apic, APIC_TMR, vector, trig_mode);
		apic_vector_set(apic, APIC_IRR, vector, true);
		event = "kvm_apic_accept_irq";
		break;
	case APIC_DM_NMI:
		if (to_uc(vcpu)->events.nmi_pending < 2)
			to_uc(vcpu)->events.nmi_pending++;
		event = "kvm_inject_nmi";
		vector = 2;
		break;
	case APIC_DM_INIT:
		if (trig_mode && !level)
			return 0;
		apic->pending_events = KVM_APIC_INIT;
		event = "kvm_apic_accept_init";
		break;
	case APIC_DM_STARTUP:
		apic->sipi_vector = vector;
		apic->pending_events |= KVM_APIC_SIPI;
		event = "kvm_apic_accept_sipi";
		break;
	default:
		return 0;
	}
	trace_vector(event, vcpu, vector);
	kvm_vcpu_kick(vcpu);
	return 1;
}

int kvm_apic_set_irq(struct kvm_vcpu *vcpu, const struct kvm_lapic_irq *irq)
{
	struct sim_ev *ev = sim_ev_begin("kvm_apic_set_irq");

	sim_ev_str(ev, "vcpu", vcpu->name);
	sim_ev_int(ev, "vector", irq->vector);
	sim_ev_hex(ev, "delivery_mode", irq->delivery_mode);
	sim_ev_end(ev);
	return __apic_accept_irq(vcpu, irq->delivery_mode, irq->vector & 0xff, irq->level,
				 irq->trig_mode);
}

static bool kvm_apic_broadcast(struct kvm_vcpu *vcpu, uint32_t mda)
{
	return mda == (apic_x2apic_mode(vcpu) ? X2APIC_BROADCAST : APIC_BROADCAST);
}

static bool kvm_apic_match_physical_addr(struct kvm_vcpu *vcpu, uint32_t mda)
{
	if (kvm_apic_broadcast(vcpu, mda))
		return true;
	if (apic_x2apic_mode(vcpu))
		return mda == (uint32_t)vcpu->vcpu_id;
	/* the hotplug hack: an APIC ID past 0xff is reached by its x2APIC ID */
	if (vcpu->vcpu_id > 0xff && mda == (uint32_t)vcpu->vcpu_id)
		return true;
	return mda == kvm_xapic_id(vcpu_apic(vcpu));
}

static bool kvm_apic_match_logical_addr(struct kvm_vcpu *vcpu, uint32_t mda)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	uint32_t logical_id;

	if (kvm_apic_broadcast(vcpu, mda))
		return true;
	if (apic_x2apic_mode(vcpu)) {
		logical_id = kvm_apic_calc_x2apic_ldr(vcpu->vcpu_id);
		return (logical_id >> 16) == (mda >> 16) && (logical_id & mda & 0xffff);
	}
	logical_id = kvm_lapic_get_reg(apic, APIC_LDR) >> 24;
	switch (kvm_lapic_get_reg(apic, APIC_DFR)) {
	case APIC_DFR_FLAT:
		return (logical_id & mda) != 0;
	case APIC_DFR_CLUSTER:
		return (logical_id >> 4) == (mda >> 4) && (logical_id & mda & 0xf);
	}
	return false;
}

/*
 * kvm_apic_mda: an xAPIC broadcast from the IOAPIC or an MSI reaches
 * x2APIC targets too, unless userspace disabled that quirk.
 */
static uint32_t kvm_apic_mda(struct kvm_vcpu *target, struct kvm_vcpu *src, uint32_t dest)
{
	if (!vm_state(target)->x2apic_broadcast_quirk_disabled && !src &&
	    dest == APIC_BROADCAST && apic_x2apic_mode(target))
		return X2APIC_BROADCAST;
	return dest;
}

bool kvm_apic_match_dest(struct kvm_vcpu *target, struct kvm_vcpu *src, uint32_t shorthand,
			 uint32_t dest, uint32_t dest_mode)
{
	uint32_t mda = kvm_apic_mda(target, src, dest);

	switch (shorthand) {
	case APIC_DEST_NOSHORT:
		if (dest_mode == APIC_DEST_PHYSICAL)
			return kvm_apic_match_physical_addr(target, mda);
		return kvm_apic_match_logical_addr(target, mda);
	case APIC_DEST_SELF:
		return target == src;
	case APIC_DEST_ALLINC:
		return true;
	case APIC_DEST_ALLBUT:
		return target != src;
	}
	return false;
}

/*
 * kvm_irq_delivery_to_apic: every matching vCPU accepts the message; a
 * lowest-priority one goes to one of the matching software-enabled vCPUs,
 * chosen by vector hashing (KVM's default: the vector modulo how many
 * match, counted in vCPU order).
 */
int kvm_irq_delivery_to_apic(struct kvm *kvm, struct kvm_vcpu *src,
			     const struct kvm_lapic_irq *irq)
{
	bool lowest = irq->delivery_mode == APIC_DM_LOWEST || irq->msi_redir_hint;
	struct kvm_vcpu *cand[KVM_MAX_VCPUS];
	int r = -1, n = 0;

	for (int i = 0; i < kvm->nr_vcpus; i++) {
		struct kvm_vcpu *v = kvm->vcpus[i];

		if (!v || !v->arch || !lapic_in_kernel(v) || !kvm_apic_hw_enabled(v))
			continue;
		if (!kvm_apic_match_dest(v, src, irq->shorthand, irq->dest_id, irq->dest_mode))
			continue;
		if (!lowest) {
			if (r < 0)
				r = 0;
			r += kvm_apic_set_irq(v, irq);
		} else if (kvm_apic_sw_enabled(vcpu_apic(v))) {
			cand[n++] = v;
		}
	}
	if (n)
		r = kvm_apic_set_irq(cand[irq->vector % n], irq);
	return r;
}

/*
 * kvm_apic_send_ipi: the ICR's message from this vCPU.  Another vCPU may
 * be about to block or to look at its IRR: where the IPI lands relative
 * to that is a scheduling choice.
 */
static void kvm_apic_send_ipi(struct kvm_vcpu *vcpu, uint32_t icr_low, uint32_t icr_high)
{
	struct kvm_lapic_irq irq = {
		.vector = icr_low & APIC_VECTOR_MASK,
		.delivery_mode = icr_low & APIC_MODE_MASK,
		.dest_mode = icr_low & APIC_DEST_MASK,
		.level = (icr_low & APIC_INT_ASSERT) != 0,
		.trig_mode = icr_low & APIC_INT_LEVELTRIG,
		.shorthand = icr_low & APIC_SHORT_MASK,
		.dest_id = apic_x2apic_mode(vcpu) ? icr_high : icr_high >> 24,
	};
	struct sim_ev *ev = sim_ev_begin("kvm_apic_send_ipi");

	sim_ev_str(ev, "vcpu", vcpu->name);
	sim_ev_hex(ev, "icr", icr_low);
	sim_ev_hex(ev, "dest", irq.dest_id);
	sim_ev_end(ev);
	sim_sync_point("kvm_apic_send_ipi");
	kvm_irq_delivery_to_apic(vcpu->kvm, vcpu, &irq);
}

bool kvm_apic_accept_pic_intr(struct kvm_vcpu *vcpu)
{
	uint32_t lvt0 = kvm_lapic_get_reg(vcpu_apic(vcpu), APIC_LVT0);

	if (!kvm_apic_hw_enabled(vcpu))
		return true;
	return !(lvt0 & APIC_LVT_MASKED) && (lvt0 & APIC_MODE_MASK) == APIC_DM_EXTINT;
}

void kvm_lapic_set_eoi_notifier(struct kvm *kvm,
				void (*fn)(struct kvm_vcpu *vcpu, int vector, bool level))
{
	kvm->x86->ioapic_send_eoi = fn;
}

/*
 * apic_set_eoi: retire the highest vector in service; a level-triggered
 * one is also the IOAPIC's business.  The timer may expire around it:
 * a synchronization point first.
 */
static void apic_set_eoi(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	void (*notify)(struct kvm_vcpu *, int, bool) = vm_state(vcpu)->ioapic_send_eoi;
	int vector;
	bool level;

	sim_sync_point("kvm_apic_eoi");
	kvm_lapic_expired_timer(vcpu);
	vector = find_highest(apic, APIC_ISR);
	trace_vector("kvm_eoi", vcpu, vector);
	if (vector < 0)
		return;
	level = apic_test_vector(apic, APIC_TMR, vector);
	apic_vector_set(apic, APIC_ISR, vector, false);
	apic_update_ppr(apic);
	if (notify)
		notify(vcpu, vector, level);
}

/* ---- INIT and SIPI ---- */

bool kvm_apic_has_pending_init_or_sipi(struct kvm_vcpu *vcpu)
{
	return lapic_in_kernel(vcpu) && vcpu_apic(vcpu)->pending_events;
}

static void kvm_set_mp_state(struct kvm_vcpu *vcpu, uint32_t mp_state)
{
	struct sim_ev *ev = sim_ev_begin("kvm_set_mp_state");

	sim_ev_str(ev, "vcpu", vcpu->name);
	sim_ev_int(ev, "mp_state", mp_state);
	sim_ev_end(ev);
	x86_state(vcpu)->mp_state = mp_state;
}

void kvm_apic_accept_events(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);

	if (!kvm_apic_has_pending_init_or_sipi(vcpu))
		return;
	if (apic->pending_events & KVM_APIC_INIT) {
		apic->pending_events &= ~KVM_APIC_INIT;
		kvm_vcpu_reset(vcpu, true);
		kvm_set_mp_state(vcpu, kvm_vcpu_is_reset_bsp(vcpu) ? KVM_MP_STATE_RUNNABLE :
								     KVM_MP_STATE_INIT_RECEIVED);
	}
	if (apic->pending_events & KVM_APIC_SIPI) {
		apic->pending_events &= ~KVM_APIC_SIPI;
		if (x86_state(vcpu)->mp_state == KVM_MP_STATE_INIT_RECEIVED) {
			kvm_vcpu_deliver_sipi_vector(vcpu, apic->sipi_vector);
			kvm_set_mp_state(vcpu, KVM_MP_STATE_RUNNABLE);
		}
	}
}

/* ---- registers ---- */

static int kvm_lapic_reg_write(struct kvm_vcpu *vcpu, uint32_t reg, uint32_t val);

/* apic_set_spiv; software-disabling masks every LVT */
static void apic_set_spiv(struct kvm_vcpu *vcpu, uint32_t val)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	uint32_t mask = 0x3ff;

	if (kvm_lapic_get_reg(apic, APIC_LVR) & APIC_LVR_DIRECTED_EOI)
		mask |= APIC_SPIV_DIRECTED_EOI;
	kvm_lapic_set_reg(apic, APIC_SPIV, val & mask);
	if (val & APIC_SPIV_APIC_ENABLED)
		return;
	for (int i = 0; i < NR_LVT; i++)
		kvm_lapic_set_reg(apic, APIC_LVTT + 0x10 * i,
				  kvm_lapic_get_reg(apic, APIC_LVTT + 0x10 * i) | APIC_LVT_MASKED);
	apic_update_lvtt(vcpu);
}

void kvm_lapic_reset(struct kvm_vcpu *vcpu, bool init_event)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	uint32_t id = kvm_lapic_get_reg(apic, APIC_ID);
	bool x2apic = apic_x2apic_mode(vcpu);
	/* INIT keeps a SIPI that came with it (kvm_apic_accept_events acts on it next) */
	unsigned int pending = init_event ? apic->pending_events : 0;
	uint8_t sipi_vector = apic->sipi_vector;

	memset(apic, 0, sizeof(*apic));
	apic->pending_events = pending;
	apic->sipi_vector = sipi_vector;
	/* the xAPIC ID is set at RESET; INIT keeps it (and x2APIC's) */
	if (init_event)
		kvm_lapic_set_reg(apic, APIC_ID, id);
	else
		kvm_apic_set_xapic_id(vcpu, vcpu->vcpu_id);
	if (x2apic)
		kvm_apic_set_x2apic_id(vcpu);
	kvm_lapic_set_reg(apic, APIC_LVR, KVM_APIC_VERSION);
	for (int i = 0; i < NR_LVT; i++)
		kvm_lapic_set_reg(apic, APIC_LVTT + 0x10 * i, APIC_LVT_MASKED);
	/* KVM_X86_QUIRK_LINT0_REENABLED, on the boot vCPU */
	if (!vcpu->kvm || !vcpu->kvm->x86 || kvm_vcpu_is_reset_bsp(vcpu))
		kvm_lapic_set_reg(apic, APIC_LVT0, APIC_DM_EXTINT);
	kvm_lapic_set_reg(apic, APIC_DFR, APIC_DFR_FLAT);
	kvm_lapic_set_reg(apic, APIC_SPIV, 0xff);
	update_divide_count(apic);
}

/* IA32_APIC_BASE changed: enabling sets the xAPIC ID, x2APIC its own */
void kvm_lapic_set_base(struct kvm_vcpu *vcpu, uint64_t old_value)
{
	uint64_t value = vcpu->sregs.apic_base;

	if (!lapic_in_kernel(vcpu))
		return;
	if (((old_value ^ value) & APIC_BASE_ENABLE) && (value & APIC_BASE_ENABLE))
		kvm_apic_set_xapic_id(vcpu, vcpu->vcpu_id);
	if ((old_value ^ value) & APIC_BASE_EXTD) {
		if (value & APIC_BASE_EXTD)
			kvm_apic_set_x2apic_id(vcpu);
		else if (value & APIC_BASE_ENABLE)
			kvm_apic_set_xapic_id(vcpu, vcpu->vcpu_id);
	}
}

/* kvm_lapic_readable_reg_mask: which offsets a read may name */
static bool apic_reg_readable(struct kvm_vcpu *vcpu, uint32_t off)
{
	switch (off) {
	case APIC_ID: case APIC_LVR: case APIC_TASKPRI: case APIC_PROCPRI:
	case APIC_LDR: case APIC_SPIV: case APIC_ESR: case APIC_ICR:
	case APIC_LVTT: case APIC_LVTTHMR: case APIC_LVTPC: case APIC_LVT0:
	case APIC_LVT1: case APIC_LVTERR: case APIC_TMICT: case APIC_TMCCT:
	case APIC_TDCR:
		return true;
	case APIC_ARBPRI: case APIC_DFR: case APIC_ICR2:
		return !apic_x2apic_mode(vcpu);
	}
	return off >= APIC_ISR && off < APIC_IRR + 0x80;
}

/* __apic_read */
static uint32_t __apic_read(struct kvm_vcpu *vcpu, uint32_t off)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);

	switch (off) {
	case APIC_ARBPRI:
		return 0;
	case APIC_TMCCT:
		if (apic_lvtt_tscdeadline(apic))
			return 0;
		kvm_lapic_expired_timer(vcpu);
		return apic_get_tmcct(vcpu);
	case APIC_PROCPRI:
		return apic_update_ppr(apic);
	case APIC_ID:
		if (apic_x2apic_mode(vcpu))
			return vcpu->vcpu_id;
		break;
	case APIC_LDR:
		if (apic_x2apic_mode(vcpu))
			return kvm_apic_calc_x2apic_ldr(vcpu->vcpu_id);
		break;
	}
	return kvm_lapic_get_reg(apic, off);
}

static void apic_lvt_write(struct kvm_vcpu *vcpu, uint32_t reg, uint32_t val)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	int index = (reg - APIC_LVTT) >> 4;
	uint32_t mask = apic_lvt_mask[index];

	if (!kvm_apic_sw_enabled(apic))
		val |= APIC_LVT_MASKED;
	if (reg == APIC_LVTT)
		mask |= timer_mode_mask(vcpu);
	kvm_lapic_set_reg(apic, reg, val & mask);
	if (reg == APIC_LVTT)
		apic_update_lvtt(vcpu);
}

/* APIC_TDCR: a running timer keeps its elapsed share at the new rate */
static void apic_tdcr_write(struct kvm_vcpu *vcpu, uint32_t val)
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

/* kvm_lapic_reg_write: 0, or 1 when the write is refused (#GP in x2APIC) */
static int kvm_lapic_reg_write(struct kvm_vcpu *vcpu, uint32_t reg, uint32_t val)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	bool x2apic = apic_x2apic_mode(vcpu);

	switch (reg) {
	case APIC_ID:
		if (x2apic)
			return 1;
		kvm_apic_set_xapic_id(vcpu, val >> 24);
		return 0;
	case APIC_TASKPRI:
		kvm_lapic_set_reg(apic, reg, val & 0xff);
		apic_update_ppr(apic);
		return 0;
	case APIC_EOI:
		/* x2APIC: a non-zero EOI write is #GP */
		if (x2apic && val)
			return 1;
		apic_set_eoi(vcpu);
		return 0;
	case APIC_LDR:
		if (x2apic)
			return 1;
		kvm_lapic_set_reg(apic, reg, val & APIC_LDR_MASK);
		return 0;
	case APIC_DFR:
		if (x2apic)
			return 1;
		kvm_lapic_set_reg(apic, reg, val | 0x0fffffff);
		return 0;
	case APIC_SPIV:
		apic_set_spiv(vcpu, val);
		return 0;
	case APIC_ICR:
		/* no delay here: the pending bit is always clear */
		val &= ~APIC_ICR_BUSY;
		kvm_apic_send_ipi(vcpu, val, kvm_lapic_get_reg(apic, APIC_ICR2));
		kvm_lapic_set_reg(apic, APIC_ICR, val);
		return 0;
	case APIC_ICR2:
		if (x2apic)
			return 1;
		kvm_lapic_set_reg(apic, reg, val & 0xff000000);
		return 0;
	case APIC_LVTT: case APIC_LVTTHMR: case APIC_LVTPC:
	case APIC_LVT0: case APIC_LVT1: case APIC_LVTERR:
		apic_lvt_write(vcpu, reg, val);
		return 0;
	case APIC_TMICT:
		if (apic_lvtt_tscdeadline(apic))
			return 0;
		kvm_lapic_set_reg(apic, reg, val);
		start_apic_timer(vcpu, APIC_TMICT);
		return 0;
	case APIC_TDCR:
		apic_tdcr_write(vcpu, val);
		return 0;
	case APIC_ESR:
		if (x2apic && val)
			return 1;
		kvm_lapic_set_reg(apic, reg, 0);
		return 0;
	case APIC_SELF_IPI:
		/* x2APIC only; bits 7:0 are the vector, the rest reserved */
		if (!x2apic || (val & ~APIC_VECTOR_MASK))
			return 1;
		kvm_apic_send_ipi(vcpu, APIC_DEST_SELF | val, 0);
		return 0;
	}
	return 1;
}

/* X2APIC_ICR_RESERVED_BITS: 31:20, 17:16 and 13 */
#define X2APIC_ICR_RESERVED	(0xfff00000ull | (3ull << 16) | (1ull << 13))

/* kvm_x2apic_icr_write: one 64-bit register (kept as ICR + ICR2) */
static int kvm_x2apic_icr_write(struct kvm_vcpu *vcpu, uint64_t data)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);

	if (data & X2APIC_ICR_RESERVED)
		return 1;
	data &= ~(uint64_t)APIC_ICR_BUSY;
	kvm_apic_send_ipi(vcpu, (uint32_t)data, (uint32_t)(data >> 32));
	kvm_lapic_set_reg(apic, APIC_ICR, (uint32_t)data);
	kvm_lapic_set_reg(apic, APIC_ICR2, (uint32_t)(data >> 32));
	return 0;
}

int kvm_x2apic_msr_write(struct kvm_vcpu *vcpu, uint32_t msr, uint64_t data)
{
	uint32_t reg = (msr - 0x800) << 4;

	if (!apic_x2apic_mode(vcpu))
		return 1;
	if (reg == APIC_ICR)
		return kvm_x2apic_icr_write(vcpu, data);
	if (data >> 32)
		return 1;
	return kvm_lapic_reg_write(vcpu, reg, (uint32_t)data);
}

int kvm_x2apic_msr_read(struct kvm_vcpu *vcpu, uint32_t msr, uint64_t *data)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	uint32_t reg = (msr - 0x800) << 4;

	if (!apic_x2apic_mode(vcpu) || !apic_reg_readable(vcpu, reg))
		return 1;
	if (reg == APIC_ICR) {
		*data = kvm_lapic_get_reg(apic, APIC_ICR) |
			(uint64_t)kvm_lapic_get_reg(apic, APIC_ICR2) << 32;
		return 0;
	}
	*data = __apic_read(vcpu, reg);
	return 0;
}

static bool apic_mmio_in_range(struct kvm_vcpu *vcpu, uint64_t gpa)
{
	uint64_t base = vcpu->sregs.apic_base & APIC_BASE_ADDR_MASK;

	return lapic_in_kernel(vcpu) && gpa >= base && gpa < base + LAPIC_MMIO_LENGTH;
}

static void trace_apic_mmio(struct kvm_vcpu *vcpu, const char *type, uint32_t off, uint32_t val)
{
	struct sim_ev *ev = sim_ev_begin(type);

	sim_ev_str(ev, "vcpu", vcpu->name);
	sim_ev_hex(ev, "reg", off);
	sim_ev_hex(ev, "val", val);
	sim_ev_end(ev);
}

/*
 * apic_mmio_read: with the APIC disabled or in x2APIC mode the page
 * reads all ones (KVM_X86_QUIRK_LAPIC_MMIO_HOLE); a read that is not
 * within one 32-bit register, or of a register that cannot be read,
 * gives 0.
 */
bool kvm_lapic_mmio_read(struct kvm_vcpu *vcpu, uint64_t gpa, int len, void *data)
{
	uint32_t off, val;

	if (!apic_mmio_in_range(vcpu, gpa))
		return false;
	off = gpa & (LAPIC_MMIO_LENGTH - 1);
	if (!kvm_apic_hw_enabled(vcpu) || apic_x2apic_mode(vcpu)) {
		memset(data, 0xff, len);
		return true;
	}
	memset(data, 0, len);
	if ((off & 0xf) + len > 4 || off > 0x3f0 || !apic_reg_readable(vcpu, off & ~0xfu))
		return true;
	val = __apic_read(vcpu, off & ~0xfu);
	trace_apic_mmio(vcpu, "kvm_apic_read", off, val);
	memcpy(data, (char *)&val + (off & 0xf), len);
	return true;
}

/* apic_mmio_write: only aligned 32-bit writes reach a register */
bool kvm_lapic_mmio_write(struct kvm_vcpu *vcpu, uint64_t gpa, int len, const void *data)
{
	uint32_t off, val;

	if (!apic_mmio_in_range(vcpu, gpa))
		return false;
	off = gpa & (LAPIC_MMIO_LENGTH - 1);
	if (!kvm_apic_hw_enabled(vcpu) || apic_x2apic_mode(vcpu))
		return true;
	if (len != 4 || (off & 0xf))
		return true;
	memcpy(&val, data, 4);
	trace_apic_mmio(vcpu, "kvm_apic_write", off, val);
	kvm_lapic_reg_write(vcpu, off & 0xff0, val);
	return true;
}

/* ---- interrupt windows and blocking ---- */

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

/* ---- KVM_GET_LAPIC / KVM_SET_LAPIC ---- */

/*
 * kvm_apic_state_fixup: in x2APIC mode the page carries the x2APIC ID as
 * KVM_CAP_X2APIC_API chose (32 bits, or shifted to the xAPIC position;
 * a set with 32-bit IDs must name the vCPU's own) and the LDR it implies.
 */
static int kvm_apic_state_fixup(struct kvm_vcpu *vcpu, struct kvm_lapic_state *s, bool set)
{
	uint32_t id = vcpu->vcpu_id, ldr = kvm_apic_calc_x2apic_ldr(id), *pid;

	if (!apic_x2apic_mode(vcpu))
		return 0;
	pid = (uint32_t *)(s->regs + APIC_ID);
	if (vm_state(vcpu)->x2apic_format) {
		if (*pid != id)
			return -EINVAL;
	} else {
		*pid = set ? id : id << 24;
	}
	if (set)
		memcpy(s->regs + APIC_LDR, &ldr, sizeof(ldr));
	return 0;
}

/* kvm_apic_get_state: the page, with the current count computed */
int kvm_apic_get_state(struct kvm_vcpu *vcpu, struct kvm_lapic_state *s)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	uint32_t tmcct;

	if (!lapic_in_kernel(vcpu))
		return -EINVAL;
	tmcct = __apic_read(vcpu, APIC_TMCCT);
	memcpy(s->regs, apic->regs, sizeof(s->regs));
	memcpy(s->regs + APIC_TMCCT, &tmcct, sizeof(tmcct));
	return kvm_apic_state_fixup(vcpu, s, false);
}

/*
 * kvm_apic_set_state: the page as given (the version stays KVM's), PPR
 * recomputed, and the timer restarted from the TMCCT userspace passed.
 */
int kvm_apic_set_state(struct kvm_vcpu *vcpu, struct kvm_lapic_state *s)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	uint32_t spiv;
	int r;

	if (!lapic_in_kernel(vcpu))
		return -EINVAL;
	memcpy(&spiv, s->regs + APIC_SPIV, sizeof(spiv));
	apic_set_spiv(vcpu, spiv);
	r = kvm_apic_state_fixup(vcpu, s, true);
	if (r)
		return r;
	memcpy(apic->regs, s->regs, sizeof(apic->regs));
	kvm_lapic_set_reg(apic, APIC_LVR, KVM_APIC_VERSION);
	apic_update_ppr(apic);
	cancel_apic_timer(apic);
	apic_update_lvtt(vcpu);
	update_divide_count(apic);
	start_apic_timer(vcpu, APIC_TMCCT);
	kvm_lapic_set_reg(apic, APIC_TMCCT, 0);
	kvm_vcpu_kick(vcpu);
	return 0;
}
