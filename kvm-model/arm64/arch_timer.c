// SPDX-License-Identifier: MIT
/*
 * The generic timer (arch/arm64/kvm/arch_timer.c as kvmsim models it):
 * the virtual and physical timers of each vCPU on the virtual clock.
 * The counters tick once a virtual nanosecond (CNTFRQ_EL0 reads 1 GHz):
 * CNTPCT_EL0 is sim_now() plus the instructions this vCPU ran since its
 * entry, CNTVCT_EL0 that minus the VM's CNTVOFF (set when a vCPU is
 * created, as kvm_timer_vcpu_init does, and by KVM_REG_ARM_TIMER_CNT).
 * A timer's output (ENABLE, not IMASK, CVAL <= counter) is a level on
 * its PPI (27 virtual, 30 physical unless KVM_ARM_VCPU_TIMER_CTRL says
 * otherwise), given to the vGIC whenever it changes
 * (kvm_timer_update_irq): at each entry, after each register write, and
 * when the virtual clock passes a deadline (engine.c's block hook stops
 * the guest there; a wfi sleeps until it).
 */
#include <errno.h>

#include "kvm-model/arm64/arm64.h"

#define ARCH_TIMER_FREQ		1000000000ull	/* 1 GHz: one tick a virtual ns */
#define DEFAULT_VTIMER_PPI	27
#define DEFAULT_PTIMER_PPI	30

static const char *const timer_names[NR_KVM_TIMERS] = { "ptimer", "vtimer" };

/* kvm_phys_timer_read: the virtual clock as this vCPU sees it now */
uint64_t kvm_arm_timer_now(struct kvm_vcpu *vcpu)
{
	struct kvm_arm64_vcpu *a = to_arm64(vcpu);

	return sim_now() + (a->in_emu ? vcpu->insns - a->insns_at_entry : 0);
}

static uint64_t timer_get_offset(struct kvm_vcpu *vcpu, enum kvm_arch_timers t)
{
	return t == TIMER_VTIMER ? vcpu->kvm->arm64->voffset : vcpu->kvm->arm64->poffset;
}

static void timer_set_offset(struct kvm_vcpu *vcpu, enum kvm_arch_timers t, uint64_t off)
{
	if (t == TIMER_VTIMER)
		vcpu->kvm->arm64->voffset = off;
	else
		vcpu->kvm->arm64->poffset = off;
}

uint64_t kvm_arm_counter(struct kvm_vcpu *vcpu, enum kvm_arch_timers t)
{
	return kvm_arm_timer_now(vcpu) - timer_get_offset(vcpu, t);
}

static struct arch_timer_context *vcpu_timer(struct kvm_vcpu *vcpu, enum kvm_arch_timers t)
{
	return &to_arm64(vcpu)->timers[t];
}

/* ISTATUS: enabled and the compare value reached, whatever IMASK says */
static bool timer_condition(struct kvm_vcpu *vcpu, enum kvm_arch_timers t)
{
	struct arch_timer_context *ctx = vcpu_timer(vcpu, t);

	return (ctx->ctl & ARCH_TIMER_CTRL_ENABLE) && ctx->cval <= kvm_arm_counter(vcpu, t);
}

/* kvm_timer_should_fire: the output line */
static bool kvm_timer_should_fire(struct kvm_vcpu *vcpu, enum kvm_arch_timers t)
{
	return !(vcpu_timer(vcpu, t)->ctl & ARCH_TIMER_CTRL_IT_MASK) && timer_condition(vcpu, t);
}

static uint32_t read_timer_ctl(struct kvm_vcpu *vcpu, enum kvm_arch_timers t)
{
	return vcpu_timer(vcpu, t)->ctl | (timer_condition(vcpu, t) ? ARCH_TIMER_CTRL_IT_STAT : 0);
}

static void kvm_timer_update_irq(struct kvm_vcpu *vcpu, enum kvm_arch_timers t, bool level)
{
	struct kvm *kvm = vcpu->kvm;
	struct sim_ev *ev = sim_ev_begin("kvm_timer_update_irq");

	vcpu_timer(vcpu, t)->irq_level = level;
	sim_ev_str(ev, "vcpu", vcpu->name);
	sim_ev_str(ev, "timer", timer_names[t]);
	sim_ev_int(ev, "irq", kvm->arm64->timer_ppi[t]);
	sim_ev_int(ev, "level", level);
	sim_ev_hex(ev, "cnt", kvm_arm_counter(vcpu, t));
	sim_ev_end(ev);
	/* without a vGIC the line goes nowhere (no KVM_CAP_ARM_USER_IRQ) */
	if (irqchip_in_kernel(kvm) && kvm->arm64->vgic_initialized)
		kvm_vgic_inject_irq(kvm, vcpu, kvm->arm64->timer_ppi[t], level);
}

void kvm_timer_sync_state(struct kvm_vcpu *vcpu)
{
	for (int t = 0; t < NR_KVM_TIMERS; t++) {
		bool level = kvm_timer_should_fire(vcpu, t);

		if (level != vcpu_timer(vcpu, t)->irq_level)
			kvm_timer_update_irq(vcpu, t, level);
	}
}

uint64_t kvm_timer_next_deadline(struct kvm_vcpu *vcpu)
{
	uint64_t now = kvm_arm_timer_now(vcpu), best = SIM_FOREVER;

	for (int t = 0; t < NR_KVM_TIMERS; t++) {
		struct arch_timer_context *ctx = vcpu_timer(vcpu, t);
		uint64_t cnt = kvm_arm_counter(vcpu, t), d;

		if (ctx->irq_level || (ctx->ctl & (ARCH_TIMER_CTRL_ENABLE | ARCH_TIMER_CTRL_IT_MASK)) !=
				      ARCH_TIMER_CTRL_ENABLE)
			continue;
		d = ctx->cval <= cnt ? now : ctx->cval - cnt > SIM_FOREVER - now ?
		    SIM_FOREVER : now + (ctx->cval - cnt);
		if (d < best)
			best = d;
	}
	return best;
}

/* kvm_timer_vcpu_init: the VM's counter offset restarts the virtual count */
void kvm_timer_vcpu_init(struct kvm_vcpu *vcpu)
{
	timer_set_offset(vcpu, TIMER_VTIMER, sim_now());
	timer_set_offset(vcpu, TIMER_PTIMER, 0);
	if (!vcpu->kvm->arm64->timer_ppi[TIMER_VTIMER]) {
		vcpu->kvm->arm64->timer_ppi[TIMER_VTIMER] = DEFAULT_VTIMER_PPI;
		vcpu->kvm->arm64->timer_ppi[TIMER_PTIMER] = DEFAULT_PTIMER_PPI;
	}
}

/* kvm_timer_vcpu_reset: both timers disabled, their lines low */
void kvm_timer_vcpu_reset(struct kvm_vcpu *vcpu)
{
	for (int t = 0; t < NR_KVM_TIMERS; t++)
		vcpu_timer(vcpu, t)->ctl = 0;
	for (int t = 0; t < NR_KVM_TIMERS; t++)
		if (vcpu_timer(vcpu, t)->irq_level)
			kvm_timer_update_irq(vcpu, t, false);
}

/*
 * kvm_timer_enable, at a vCPU's first run: the PPIs must differ, and are
 * fixed from then on.
 */
int kvm_timer_enable(struct kvm_vcpu *vcpu)
{
	struct kvm_arm64_vm *vm = vcpu->kvm->arm64;

	if (!irqchip_in_kernel(vcpu->kvm))
		return 0;
	if (!vm->vgic_initialized)
		return -ENODEV;
	if (vm->timer_ppi[TIMER_VTIMER] == vm->timer_ppi[TIMER_PTIMER])
		return -EINVAL;
	vm->timer_ppis_immutable = true;
	return 0;
}

/* ---- the guest's accesses (CNT*_EL0) ---- */

static bool cp_is(const uc_arm64_cp_reg *cp, uint32_t crm, uint32_t op2)
{
	return cp->op0 == 3 && cp->op1 == 3 && cp->crn == 14 && cp->crm == crm && cp->op2 == op2;
}

static void trace_timer_access(struct kvm_vcpu *vcpu, enum kvm_arch_timers t, const char *reg,
			       uint64_t val)
{
	struct sim_ev *ev = sim_ev_begin("kvm_arm_timer_write");

	sim_ev_str(ev, "vcpu", vcpu->name);
	sim_ev_str(ev, "timer", timer_names[t]);
	sim_ev_str(ev, "reg", reg);
	sim_ev_hex(ev, "val", val);
	sim_ev_end(ev);
}

/* CTL (op2 1), CVAL (op2 2), TVAL (op2 0) of one timer */
static void timer_reg_access(struct kvm_vcpu *vcpu, enum kvm_arch_timers t, uint32_t op2,
			     bool write, uint64_t *val)
{
	struct arch_timer_context *ctx = vcpu_timer(vcpu, t);
	uint64_t cnt = kvm_arm_counter(vcpu, t);

	switch (op2) {
	case 0:	/* TVAL: a signed 32-bit distance to CVAL */
		if (write) {
			ctx->cval = cnt + (uint64_t)(int64_t)(int32_t)*val;
			trace_timer_access(vcpu, t, "tval", *val);
		} else {
			*val = (uint32_t)(ctx->cval - cnt);
		}
		break;
	case 1:
		if (write) {
			ctx->ctl = *val & (ARCH_TIMER_CTRL_ENABLE | ARCH_TIMER_CTRL_IT_MASK);
			trace_timer_access(vcpu, t, "ctl", *val);
		} else {
			*val = read_timer_ctl(vcpu, t);
		}
		break;
	default:
		if (write) {
			ctx->cval = *val;
			trace_timer_access(vcpu, t, "cval", *val);
		} else {
			*val = ctx->cval;
		}
		break;
	}
}

/*
 * MRS/MSR of the counters (from EL0 too: CNTKCTL_EL1's EL0 access bits
 * are not modelled) and, at EL1, of the timers.  False: not a register
 * of the generic timer the model keeps.
 */
bool kvm_arm_timer_sysreg(struct kvm_vcpu *vcpu, const uc_arm64_cp_reg *cp, bool write,
			  uint64_t *val)
{
	struct kvm_arm64_vcpu *a = to_arm64(vcpu);

	if (!write && cp_is(cp, 0, 0)) {
		*val = ARCH_TIMER_FREQ;
		return true;
	}
	if (!write && (cp_is(cp, 0, 1) || cp_is(cp, 0, 2))) {
		*val = kvm_arm_counter(vcpu, cp->op2 == 2 ? TIMER_VTIMER : TIMER_PTIMER);
		return true;
	}
	if (arm64_from_el0(vcpu) || !(cp_is(cp, 2, cp->op2) || cp_is(cp, 3, cp->op2)) ||
	    cp->op2 > 2)
		return false;
	timer_reg_access(vcpu, cp->crm == 3 ? TIMER_VTIMER : TIMER_PTIMER, cp->op2, write, val);
	if (write) {
		/* the line may change now, and the deadline the block hook watches */
		kvm_timer_sync_state(vcpu);
		a->timer_deadline = kvm_timer_next_deadline(vcpu);
		a->irq_deliverable = vgic_v3_irq_deliverable(vcpu);
	}
	return true;
}

/* ---- KVM_GET/SET_ONE_REG ---- */

int kvm_arm_timer_get_reg(struct kvm_vcpu *vcpu, uint64_t id, uint64_t *val)
{
	switch (id) {
	case KVMSIM_REG_ARM_TIMER_CTL:
		*val = read_timer_ctl(vcpu, TIMER_VTIMER);
		return 0;
	case KVMSIM_REG_ARM_TIMER_CNT:
		*val = kvm_arm_counter(vcpu, TIMER_VTIMER);
		return 0;
	case KVMSIM_REG_ARM_TIMER_CVAL:
		*val = vcpu_timer(vcpu, TIMER_VTIMER)->cval;
		return 0;
	case KVMSIM_REG_ARM_PTIMER_CTL:
		*val = read_timer_ctl(vcpu, TIMER_PTIMER);
		return 0;
	case KVMSIM_REG_ARM_PTIMER_CNT:
		*val = kvm_arm_counter(vcpu, TIMER_PTIMER);
		return 0;
	case KVMSIM_REG_ARM_PTIMER_CVAL:
		*val = vcpu_timer(vcpu, TIMER_PTIMER)->cval;
		return 0;
	}
	return -ENOENT;
}

/* kvm_arm_timer_set_reg: a CNT write moves the VM's offset (every vCPU's count) */
int kvm_arm_timer_set_reg(struct kvm_vcpu *vcpu, uint64_t id, uint64_t val)
{
	uint32_t ctl = val & (ARCH_TIMER_CTRL_ENABLE | ARCH_TIMER_CTRL_IT_MASK);

	switch (id) {
	case KVMSIM_REG_ARM_TIMER_CTL:
		vcpu_timer(vcpu, TIMER_VTIMER)->ctl = ctl;
		return 0;
	case KVMSIM_REG_ARM_TIMER_CNT:
		timer_set_offset(vcpu, TIMER_VTIMER, kvm_arm_timer_now(vcpu) - val);
		return 0;
	case KVMSIM_REG_ARM_TIMER_CVAL:
		vcpu_timer(vcpu, TIMER_VTIMER)->cval = val;
		return 0;
	case KVMSIM_REG_ARM_PTIMER_CTL:
		vcpu_timer(vcpu, TIMER_PTIMER)->ctl = ctl;
		return 0;
	case KVMSIM_REG_ARM_PTIMER_CNT:
		timer_set_offset(vcpu, TIMER_PTIMER, kvm_arm_timer_now(vcpu) - val);
		return 0;
	case KVMSIM_REG_ARM_PTIMER_CVAL:
		vcpu_timer(vcpu, TIMER_PTIMER)->cval = val;
		return 0;
	}
	return -ENOENT;
}

/* ---- KVM_{SET,GET,HAS}_DEVICE_ATTR on the vCPU, group KVM_ARM_VCPU_TIMER_CTRL ---- */

static int timer_attr_index(uint64_t attr)
{
	switch (attr) {
	case KVMSIM_ARM_VCPU_TIMER_IRQ_VTIMER:
		return TIMER_VTIMER;
	case KVMSIM_ARM_VCPU_TIMER_IRQ_PTIMER:
		return TIMER_PTIMER;
	}
	return -1;
}

/* op: 0 set (kvm_arm_timer_set_attr), 1 get, 2 has */
int kvm_arm_timer_attr(struct kvm_vcpu *vcpu, struct kvm_device_attr *attr, int op)
{
	struct kvm_arm64_vm *vm = vcpu->kvm->arm64;
	int idx = timer_attr_index(attr->attr);
	int irq;

	if (op == 2)
		return idx < 0 ? -ENXIO : 0;
	if (op == 1) {
		if (idx < 0)
			return -ENXIO;
		irq = vm->timer_ppi[idx];
		return copy_to_user((void *)(uintptr_t)attr->addr, &irq, sizeof(irq)) ? -EFAULT : 0;
	}
	if (!irqchip_in_kernel(vcpu->kvm))
		return -EINVAL;
	if (copy_from_user(&irq, (void *)(uintptr_t)attr->addr, sizeof(irq)))
		return -EFAULT;
	if (irq < VGIC_NR_SGIS || irq >= VGIC_NR_PRIVATE_IRQS)
		return -EINVAL;
	if (vm->timer_ppis_immutable)
		return -EBUSY;
	if (idx < 0)
		return -ENXIO;
	/* per VM: unicity is checked at the first run (kvm_timer_enable) */
	vm->timer_ppi[idx] = irq;
	return 0;
}
