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
 * The timer is in lapic_timer.c, blocking (HLT, waiting for INIT/SIPI)
 * in lapic_block.c.
 *
 * Races between vCPUs are scheduling choices: an IPI's delivery and a
 * vCPU's check before it blocks, and an EOI against the timer, are
 * synchronization points (sim_sync_point) the explorer can reorder.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <string.h>

#include "kvm-model/x86/lapic_internal.h"

/* what each LVT keeps (timer: plus its mode bits), from LVTT to LVTERR */
static const uint32_t apic_lvt_mask[] = {
	LVT_MASK, LVT_MASK | APIC_MODE_MASK, LVT_MASK | APIC_MODE_MASK,
	LINT_MASK, LINT_MASK, LVT_MASK,
};

bool lapic_in_kernel(struct kvm_vcpu *vcpu)
{
	return vcpu->kvm && vcpu->kvm->irqchip_kernel;
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

int apic_find_highest_vector(struct kvm_lapic *apic, int base)
{
	return find_highest(apic, base);
}

void kvm_vcpu_kick(struct kvm_vcpu *vcpu)
{
	sim_wake_all(&to_uc(vcpu)->apf.wq);
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

void apic_set_tpr(struct kvm_lapic *apic, uint32_t tpr)
{
	kvm_lapic_set_reg(apic, APIC_TASKPRI, tpr);
	apic_update_ppr(apic);
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

/* kvm_apic_local_deliver: an unmasked LVT entry's interrupt to this APIC */
int kvm_apic_local_deliver(struct kvm_vcpu *vcpu, int lvt)
{
	uint32_t reg = kvm_lapic_get_reg(vcpu_apic(vcpu), lvt);

	if (!kvm_apic_hw_enabled(vcpu) || (reg & APIC_LVT_MASKED))
		return 0;
	return __apic_accept_irq(vcpu, reg & APIC_MODE_MASK, reg & APIC_VECTOR_MASK, true,
				 reg & APIC_LVT_LEVEL_TRIGGER);
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

void kvm_set_mp_state(struct kvm_vcpu *vcpu, uint32_t mp_state)
{
	struct sim_ev *ev = sim_ev_begin("kvm_set_mp_state");

	sim_ev_str(ev, "vcpu", vcpu->name);
	sim_ev_int(ev, "mp_state", mp_state);
	sim_ev_end(ev);
	x86_state(vcpu)->mp_state = mp_state;
}

uint64_t kvm_get_cr8(struct kvm_vcpu *vcpu)
{
	if (!lapic_in_kernel(vcpu))
		return vcpu->sregs.cr8;
	return (kvm_lapic_get_reg(vcpu_apic(vcpu), APIC_TASKPRI) & 0xf0) >> 4;
}

void kvm_set_cr8(struct kvm_vcpu *vcpu, uint64_t cr8)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);

	if (!lapic_in_kernel(vcpu)) {
		vcpu->sregs.cr8 = cr8;
		return;
	}
	kvm_lapic_set_reg(apic, APIC_TASKPRI, (cr8 & 0x0f) << 4);
	apic_update_ppr(apic);
}

void kvm_apic_set_sipi_pending(struct kvm_vcpu *vcpu)
{
	vcpu_apic(vcpu)->pending_events |= KVM_APIC_SIPI;
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
	case APIC_TASKPRI:
		report_tpr_access(vcpu, false);
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
		report_tpr_access(vcpu, true);
		apic_set_tpr(apic, val & 0xff);
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
