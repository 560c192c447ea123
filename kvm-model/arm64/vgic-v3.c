// SPDX-License-Identifier: MIT
/*
 * The vGICv3 (arch/arm64/kvm/vgic/: vgic-kvm-device.c, vgic-init.c,
 * vgic.c, vgic-mmio-v3.c, vgic-v3.c and hyp/vgic-v3-sr.c's trapped CPU
 * interface, as kvmsim models them): the KVM device and its attributes,
 * the distributor and redistributor MMIO frames, the ICC_* system
 * registers, SGIs/PPIs/SPIs with priority, enable, pending and active
 * state, KVM_IRQ_LINE.  There are no list registers: the CPU interface
 * reads the distributor's state directly, and an interrupt the interface
 * signals is taken at the next instruction boundary the engine stops at
 * (a block start: engine.c's block hook watches for it).  Group 0
 * (FIQ), LPIs and the ITS are not modelled.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvm-model/arm64/arm64.h"

#define GICD_CTLR		0x0000
#define GICD_TYPER		0x0004
#define GICD_IIDR		0x0008
#define GICD_TYPER2		0x000c
#define GICD_IGROUPR		0x0080
#define GICD_ISENABLER		0x0100
#define GICD_ICENABLER		0x0180
#define GICD_ISPENDR		0x0200
#define GICD_ICPENDR		0x0280
#define GICD_ISACTIVER		0x0300
#define GICD_ICACTIVER		0x0380
#define GICD_IPRIORITYR		0x0400
#define GICD_ICFGR		0x0c00
#define GICD_IROUTER		0x6000
#define GICD_PIDR2		0xffe8

#define GICD_CTLR_ENABLE_G0	(1u << 0)
#define GICD_CTLR_ENABLE_G1	(1u << 1)
#define GICD_CTLR_ARE_NS	(1u << 4)
#define GICD_CTLR_DS		(1u << 6)

#define GICR_CTLR		0x0000
#define GICR_IIDR		0x0004
#define GICR_TYPER		0x0008
#define GICR_WAKER		0x0014
#define GICR_PIDR2		0xffe8
#define GICR_SGI_OFFSET		0x10000
#define GICR_TYPER_LAST		(1ull << 4)

/* GICD_IIDR/GICR_IIDR: KVM as product, ARM as implementer, revision 3 */
#define VGIC_IIDR		((0x4bu << 24) | (3u << 12) | 0x43bu)
#define GIC_PIDR2_V3		0x3b
#define INTERRUPT_ID_BITS_SPIS	10

#define ICC_SGI1R_TARGET_LIST	0xffffull
#define ICC_SGI1R_AFF1_SHIFT	16
#define ICC_SGI1R_SGI_ID_SHIFT	24
#define ICC_SGI1R_AFF2_SHIFT	32
#define ICC_SGI1R_IRM		(1ull << 40)
#define ICC_SGI1R_RS_SHIFT	44
#define ICC_SGI1R_AFF3_SHIFT	48

/* ICC_CTLR_EL1: PRIbits 5 (4 + 1), 16-bit INTIDs, A3V; CBPR and EOImode writable */
#define ICC_CTLR_CBPR		(1u << 0)
#define ICC_CTLR_EOIMODE	(1u << 1)
#define ICC_CTLR_RO		(((VGIC_PRI_BITS - 1u) << 8) | (1u << 15))
#define ICC_SRE_EL1_VAL		0x7	/* SRE, DFB, DIB */
#define ICC_BPR0_MIN		(7 - VGIC_PRI_BITS)
#define ICC_BPR1_MIN		(ICC_BPR0_MIN + 1)

static struct kvm_arm64_vm *vgic_dist(struct kvm *kvm)
{
	return kvm->arm64;
}

static void kvm_vcpu_kick(struct kvm_vcpu *vcpu)
{
	sim_wake_all(&to_arm64(vcpu)->wfi_wq);
}

static void vgic_kick_vcpus(struct kvm *kvm)
{
	for (int i = 0; i < kvm->nr_vcpus; i++)
		if (to_arm64(kvm->vcpus[i]))
			kvm_vcpu_kick(kvm->vcpus[i]);
}

/* vgic_get_irq: a private interrupt of vcpu, or an SPI; NULL past nr_spis */
static struct vgic_irq *vgic_get_irq(struct kvm *kvm, struct kvm_vcpu *vcpu, uint32_t intid)
{
	struct kvm_arm64_vm *d = vgic_dist(kvm);

	if (intid < VGIC_NR_PRIVATE_IRQS)
		return vcpu ? &to_arm64(vcpu)->vgic.private_irqs[intid] : NULL;
	if (d->spis && intid < VGIC_NR_PRIVATE_IRQS + d->nr_spis)
		return &d->spis[intid - VGIC_NR_PRIVATE_IRQS];
	return NULL;
}

static bool irq_is_pending(const struct vgic_irq *irq)
{
	return irq->pending_latch || (irq->level && irq->line_level);
}

static struct kvm_vcpu *kvm_mpidr_to_vcpu(struct kvm *kvm, uint64_t mpidr)
{
	mpidr &= 0xff00ffffffull;
	for (int i = 0; i < kvm->nr_vcpus; i++)
		if (to_arm64(kvm->vcpus[i]) &&
		    (to_arm64(kvm->vcpus[i])->mpidr & 0xff00ffffffull) == mpidr)
			return kvm->vcpus[i];
	return NULL;
}

/* ---- the CPU interface's view: what is signalled, acknowledged ---- */

static uint8_t vgic_group_prio_mask(const struct vgic_cpu *c)
{
	unsigned bpr = c->cbpr ? c->bpr0 + 1 : c->bpr1;

	if (bpr > 7)
		bpr = 7;
	return (uint8_t)(0xff << bpr) & VGIC_PRI_MASK;
}

/* ICC_RPR_EL1: the group priority of the highest active priority, 0xff idle */
static uint8_t vgic_running_priority(const struct vgic_cpu *c)
{
	uint32_t ap = c->ap0r | c->ap1r;

	return ap ? (uint8_t)(__builtin_ctz(ap) << (8 - VGIC_PRI_BITS)) : 0xff;
}

/* Interrupts that can reach this vCPU, in INTID order. */
#define for_each_vcpu_irq(kvm, vcpu, irq, i)					\
	for (i = 0; i < VGIC_NR_PRIVATE_IRQS + (kvm)->arm64->nr_spis; i++)	\
		if (((irq) = vgic_get_irq((kvm), (vcpu), i)) &&			\
		    (i < VGIC_NR_PRIVATE_IRQS || (irq)->target_vcpu == (vcpu)))

/*
 * The highest-priority pending interrupt the interface may signal:
 * enabled, group 1 and its group enabled, not active, under the
 * priority mask and (preempt) above the running priority.  Lowest
 * INTID first among equals.
 */
static struct vgic_irq *vgic_highest_pending(struct kvm_vcpu *vcpu, bool preempt)
{
	struct kvm *kvm = vcpu->kvm;
	struct vgic_cpu *c = &to_arm64(vcpu)->vgic;
	uint8_t mask = vgic_group_prio_mask(c), rpr = vgic_running_priority(c);
	struct vgic_irq *irq, *best = NULL;
	uint32_t i;

	if (!vgic_dist(kvm)->enabled || !c->grpen1)
		return NULL;
	for_each_vcpu_irq(kvm, vcpu, irq, i) {
		if (!irq->enabled || !irq->group || irq->active || !irq_is_pending(irq))
			continue;
		if (irq->priority >= c->pmr)
			continue;
		if (preempt && (irq->priority & mask) >= rpr)
			continue;
		if (!best || irq->priority < best->priority)
			best = irq;
	}
	return best;
}

/*
 * What the CPU sees signalled: the vGIC's IRQ, or without a vGIC the
 * lines userspace drives (KVM_ARM_IRQ_TYPE_CPU: HCR_EL2.VI / VF).
 */
uint32_t vgic_v3_irq_deliverable(struct kvm_vcpu *vcpu)
{
	uint32_t lines = to_arm64(vcpu)->irq_lines;

	if (!irqchip_in_kernel(vcpu->kvm))
		return (lines & 1 ? PSR_I_BIT : 0) | (lines & 2 ? PSR_F_BIT : 0);
	return vgic_dist(vcpu->kvm)->spis && vgic_highest_pending(vcpu, true) ? PSR_I_BIT : 0;
}

/* kvm_vgic_vcpu_pending_irq: what makes kvm_arch_vcpu_runnable true */
bool kvm_vgic_vcpu_pending_irq(struct kvm_vcpu *vcpu)
{
	struct kvm *kvm = vcpu->kvm;
	struct vgic_cpu *c = &to_arm64(vcpu)->vgic;
	struct vgic_irq *irq;
	uint32_t i;

	if (!irqchip_in_kernel(kvm))
		return to_arm64(vcpu)->irq_lines;
	if (!vgic_dist(kvm)->spis || !vgic_dist(kvm)->enabled)
		return false;
	for_each_vcpu_irq(kvm, vcpu, irq, i)
		if (irq_is_pending(irq) && irq->enabled && !irq->active && irq->priority < c->pmr)
			return true;
	return false;
}

/*
 * Before entry: if the interface signals an interrupt and PSTATE.I is
 * clear, the CPU takes it now (KVM would put it in a list register and
 * the hardware would take it at once).
 */
void kvm_vgic_flush_hwstate(struct kvm_vcpu *vcpu)
{
	uint32_t signalled = vgic_v3_irq_deliverable(vcpu) &
			     ~arm64_reg_read(vcpu, UC_ARM64_REG_PSTATE);
	struct vgic_irq *irq;
	struct sim_ev *ev;

	if (!signalled)
		return;
	if (!irqchip_in_kernel(vcpu->kvm)) {
		/* a userspace irqchip's line: IRQ before FIQ is the model's choice */
		ev = sim_ev_begin("vcpu_interrupt_line_taken");
		sim_ev_str(ev, "vcpu", vcpu->name);
		sim_ev_str(ev, "line", signalled & PSR_I_BIT ? "irq" : "fiq");
		sim_ev_hex(ev, "elr", arm64_reg_read(vcpu, UC_ARM64_REG_PC));
		sim_ev_end(ev);
		arm64_take_irq(vcpu, !(signalled & PSR_I_BIT));
		return;
	}
	irq = vgic_highest_pending(vcpu, true);
	ev = sim_ev_begin("vgic_v3_populate_lr");
	sim_ev_str(ev, "vcpu", vcpu->name);
	sim_ev_int(ev, "intid", irq->intid);
	sim_ev_int(ev, "priority", irq->priority);
	sim_ev_hex(ev, "elr", arm64_reg_read(vcpu, UC_ARM64_REG_PC));
	sim_ev_end(ev);
	arm64_take_irq(vcpu, false);
}

static void trace_cpuif(struct kvm_vcpu *vcpu, const char *event, uint32_t intid)
{
	struct sim_ev *ev = sim_ev_begin(event);

	sim_ev_str(ev, "vcpu", vcpu->name);
	sim_ev_int(ev, "intid", intid);
	sim_ev_end(ev);
}

/* __vgic_v3_read_iar: acknowledge the highest signalled interrupt */
static uint64_t vgic_v3_read_iar(struct kvm_vcpu *vcpu)
{
	struct vgic_cpu *c = &to_arm64(vcpu)->vgic;
	struct vgic_irq *irq = vgic_highest_pending(vcpu, true);

	if (!irq) {
		trace_cpuif(vcpu, "__vgic_v3_read_iar", ICC_IAR1_SPURIOUS);
		return ICC_IAR1_SPURIOUS;
	}
	irq->active = true;
	irq->pending_latch = false;
	c->ap1r |= 1u << ((irq->priority & vgic_group_prio_mask(c)) >> (8 - VGIC_PRI_BITS));
	trace_cpuif(vcpu, "__vgic_v3_read_iar", irq->intid);
	return irq->intid;
}

/*
 * A level interrupt's list register asks for an EOI maintenance
 * interrupt (ICH_LR_EOI): its deactivation is when vgic_v3_fold_lr_state
 * tells the ack notifiers (irqfd resamplers) of a valid SPI.
 */
static void vgic_deactivate(struct kvm_vcpu *vcpu, uint32_t intid)
{
	struct vgic_irq *irq = vgic_get_irq(vcpu->kvm, vcpu, intid);

	if (!irq || !irq->active)
		return;
	irq->active = false;
	if (irq->level)
		vgic_notify_acked_spi(vcpu->kvm, intid);
}

/* __vgic_v3_write_eoir: drop the running priority; EOImode 0 also deactivates */
static void vgic_v3_write_eoir(struct kvm_vcpu *vcpu, uint64_t val)
{
	struct vgic_cpu *c = &to_arm64(vcpu)->vgic;
	uint32_t intid = val & 0xffffff;

	trace_cpuif(vcpu, "__vgic_v3_write_eoir", intid);
	if (intid >= 1020 && intid < 8192)
		return;
	if (c->ap1r)
		c->ap1r &= c->ap1r - 1;		/* the highest active priority */
	if (!c->eoimode)
		vgic_deactivate(vcpu, intid);
}

static uint64_t vgic_v3_read_hppir(struct kvm_vcpu *vcpu)
{
	struct kvm *kvm = vcpu->kvm;
	struct vgic_irq *irq, *best = NULL;
	uint32_t i;

	for_each_vcpu_irq(kvm, vcpu, irq, i)
		if (irq->enabled && irq->group && !irq->active && irq_is_pending(irq) &&
		    (!best || irq->priority < best->priority))
			best = irq;
	return best ? best->intid : ICC_IAR1_SPURIOUS;
}

/* vgic_v3_dispatch_sgi: ICC_SGI1R_EL1 (group 1) or ICC_SGI0R/ASGI1R (group 0) */
static void vgic_v3_dispatch_sgi(struct kvm_vcpu *vcpu, uint64_t reg, bool allow_group1)
{
	struct kvm *kvm = vcpu->kvm;
	uint32_t sgi = (reg >> ICC_SGI1R_SGI_ID_SHIFT) & 0xf;
	bool broadcast = reg & ICC_SGI1R_IRM;
	uint64_t aff = ((reg >> ICC_SGI1R_AFF3_SHIFT & 0xff) << 32) |
		       ((reg >> ICC_SGI1R_AFF2_SHIFT & 0xff) << 16) |
		       ((reg >> ICC_SGI1R_AFF1_SHIFT & 0xff) << 8);
	uint32_t rs = (reg >> ICC_SGI1R_RS_SHIFT) & 0xf;
	uint32_t targets = 0;

	/* the engine stops after this instruction: who runs next is a scheduling choice */
	to_arm64(vcpu)->sync_point = "vgic_v3_dispatch_sgi";

	for (int i = 0; i < kvm->nr_vcpus; i++) {
		struct kvm_vcpu *c = kvm->vcpus[i];
		uint64_t mpidr;
		struct vgic_irq *irq;

		if (!to_arm64(c))
			continue;
		mpidr = to_arm64(c)->mpidr;
		if (broadcast) {
			if (c == vcpu)
				continue;
		} else {
			uint32_t aff0 = mpidr & 0xff;

			if ((mpidr & 0xff00ffff00ull) != aff || aff0 / 16 != rs ||
			    !(reg & ICC_SGI1R_TARGET_LIST & (1u << (aff0 % 16))))
				continue;
		}
		irq = &to_arm64(c)->vgic.private_irqs[sgi];
		if (irq->group != allow_group1)
			continue;
		irq->pending_latch = true;
		targets |= 1u << (i < 32 ? i : 31);
		kvm_vcpu_kick(c);
	}
	{
		struct sim_ev *ev = sim_ev_begin("vgic_v3_dispatch_sgi");

		sim_ev_str(ev, "vcpu", vcpu->name);
		sim_ev_int(ev, "sgi", sgi);
		sim_ev_hex(ev, "reg", reg);
		sim_ev_hex(ev, "targets", targets);
		sim_ev_end(ev);
	}
}

/* ---- ICC_* system registers ---- */

#define SYS(op0, op1, crn, crm, op2) \
	((op0) << 14 | (op1) << 11 | (crn) << 7 | (crm) << 3 | (op2))
#define SYS_ICC_PMR_EL1		SYS(3, 0, 4, 6, 0)
#define SYS_ICC_IAR0_EL1	SYS(3, 0, 12, 8, 0)
#define SYS_ICC_BPR0_EL1	SYS(3, 0, 12, 8, 3)
#define SYS_ICC_AP0R0_EL1	SYS(3, 0, 12, 8, 4)
#define SYS_ICC_AP1R0_EL1	SYS(3, 0, 12, 9, 0)
#define SYS_ICC_DIR_EL1		SYS(3, 0, 12, 11, 1)
#define SYS_ICC_RPR_EL1		SYS(3, 0, 12, 11, 3)
#define SYS_ICC_SGI1R_EL1	SYS(3, 0, 12, 11, 5)
#define SYS_ICC_ASGI1R_EL1	SYS(3, 0, 12, 11, 6)
#define SYS_ICC_SGI0R_EL1	SYS(3, 0, 12, 11, 7)
#define SYS_ICC_IAR1_EL1	SYS(3, 0, 12, 12, 0)
#define SYS_ICC_EOIR1_EL1	SYS(3, 0, 12, 12, 1)
#define SYS_ICC_HPPIR1_EL1	SYS(3, 0, 12, 12, 2)
#define SYS_ICC_BPR1_EL1	SYS(3, 0, 12, 12, 3)
#define SYS_ICC_CTLR_EL1	SYS(3, 0, 12, 12, 4)
#define SYS_ICC_SRE_EL1		SYS(3, 0, 12, 12, 5)
#define SYS_ICC_IGRPEN0_EL1	SYS(3, 0, 12, 12, 6)
#define SYS_ICC_IGRPEN1_EL1	SYS(3, 0, 12, 12, 7)

static uint64_t icc_ctlr_read(const struct vgic_cpu *c)
{
	return ICC_CTLR_RO | (c->cbpr ? ICC_CTLR_CBPR : 0) | (c->eoimode ? ICC_CTLR_EOIMODE : 0);
}

/*
 * One ICC register access by encoding.  Returns false for what the model
 * does not have (group 0's IAR0/EOIR0/HPPIR0, AP{0,1}R{1,2,3} beyond the
 * 5 priority bits): the access is UNDEFINED, as an unimplemented
 * register's is.  Writes to read-only registers and reads of write-only
 * ones are ignored / read 0 (the architecture makes them UNDEFINED only
 * at the encoding level, which Unicorn's decoder does not know).
 */
static bool vgic_v3_icc_access(struct kvm_vcpu *vcpu, uint32_t enc, bool write, uint64_t *val)
{
	struct vgic_cpu *c = &to_arm64(vcpu)->vgic;
	uint64_t v = write ? *val : 0;

	switch (enc) {
	case SYS_ICC_PMR_EL1:
		if (write)
			c->pmr = v & VGIC_PRI_MASK;
		v = c->pmr;
		break;
	case SYS_ICC_IAR1_EL1:
		if (!write)
			v = vgic_v3_read_iar(vcpu);
		break;
	case SYS_ICC_EOIR1_EL1:
		if (write)
			vgic_v3_write_eoir(vcpu, v);
		break;
	case SYS_ICC_DIR_EL1:
		if (write && c->eoimode) {
			trace_cpuif(vcpu, "__vgic_v3_write_dir", v & 0xffffff);
			vgic_deactivate(vcpu, v & 0xffffff);
		}
		break;
	case SYS_ICC_HPPIR1_EL1:
		v = write ? 0 : vgic_v3_read_hppir(vcpu);
		break;
	case SYS_ICC_RPR_EL1:
		v = write ? 0 : vgic_running_priority(c);
		break;
	case SYS_ICC_BPR0_EL1:
		if (write)
			c->bpr0 = v < ICC_BPR0_MIN ? ICC_BPR0_MIN : v & 7;
		v = c->bpr0;
		break;
	case SYS_ICC_BPR1_EL1:
		if (write && !c->cbpr)
			c->bpr1 = v < ICC_BPR1_MIN ? ICC_BPR1_MIN : v & 7;
		v = c->cbpr ? (c->bpr0 + 1 > 7 ? 7 : c->bpr0 + 1) : c->bpr1;
		break;
	case SYS_ICC_AP0R0_EL1:
		if (write)
			c->ap0r = (uint32_t)v;
		v = c->ap0r;
		break;
	case SYS_ICC_AP1R0_EL1:
		if (write)
			c->ap1r = (uint32_t)v;
		v = c->ap1r;
		break;
	case SYS_ICC_SGI1R_EL1:
		if (write)
			vgic_v3_dispatch_sgi(vcpu, v, true);
		break;
	case SYS_ICC_SGI0R_EL1:
	case SYS_ICC_ASGI1R_EL1:
		if (write)
			vgic_v3_dispatch_sgi(vcpu, v, false);
		break;
	case SYS_ICC_CTLR_EL1:
		if (write) {
			c->cbpr = v & ICC_CTLR_CBPR;
			c->eoimode = v & ICC_CTLR_EOIMODE;
		}
		v = icc_ctlr_read(c);
		break;
	case SYS_ICC_SRE_EL1:
		v = ICC_SRE_EL1_VAL;
		break;
	case SYS_ICC_IGRPEN0_EL1:
		if (write)
			c->grpen0 = v & 1;
		v = c->grpen0;
		break;
	case SYS_ICC_IGRPEN1_EL1:
		if (write)
			c->grpen1 = v & 1;
		v = c->grpen1;
		break;
	default:
		return false;
	}
	if (!write)
		*val = v;
	return true;
}

bool vgic_v3_sysreg(struct kvm_vcpu *vcpu, const uc_arm64_cp_reg *cp, bool write, uint64_t *val)
{
	uint32_t enc = SYS(cp->op0, cp->op1, cp->crn, cp->crm, cp->op2);

	if (!irqchip_in_kernel(vcpu->kvm) || arm64_from_el0(vcpu))
		return false;
	if (!vgic_v3_icc_access(vcpu, enc, write, val))
		return false;
	/* an EOI, a PMR or group enable write may let a pending interrupt in */
	to_arm64(vcpu)->irq_deliverable = vgic_v3_irq_deliverable(vcpu);
	return true;
}

/* ---- injection: KVM_IRQ_LINE, the timer ---- */

/*
 * kvm_vgic_inject_irq: a level (line) for a level-sensitive interrupt, a
 * rising edge (level 1) latches an edge-triggered one.
 */
int kvm_vgic_inject_irq(struct kvm *kvm, struct kvm_vcpu *vcpu, uint32_t intid, bool level)
{
	struct vgic_irq *irq;
	struct sim_ev *ev;

	/* vgic_lazy_init: a GICv3 must be initialized by userspace */
	if (!vgic_dist(kvm)->vgic_initialized)
		return -EBUSY;
	if (!vcpu && intid < VGIC_NR_PRIVATE_IRQS)
		return -EINVAL;
	irq = vgic_get_irq(kvm, vcpu, intid);
	if (!irq)
		return -EINVAL;
	ev = sim_ev_begin("kvm_vgic_inject_irq");
	sim_ev_str(ev, "vcpu", vcpu ? vcpu->name : "-");
	sim_ev_int(ev, "intid", intid);
	sim_ev_int(ev, "level", level);
	sim_ev_end(ev);
	if (irq->level)
		irq->line_level = level;
	else if (level)
		irq->pending_latch = true;
	if (!irq_is_pending(irq))
		return 0;
	if (vcpu)
		kvm_vcpu_kick(vcpu);
	else if (irq->target_vcpu)
		kvm_vcpu_kick(irq->target_vcpu);
	return 0;
}

/* vcpu_interrupt_line: a userspace irqchip raises or lowers IRQ (0) or FIQ (1) */
static int vcpu_interrupt_line(struct kvm_vcpu *vcpu, uint32_t num, bool level)
{
	struct kvm_arm64_vcpu *a = to_arm64(vcpu);
	uint32_t bit = 1u << num;

	if (!!(a->irq_lines & bit) == level)
		return 0;
	a->irq_lines ^= bit;
	if (level)
		kvm_vcpu_kick(vcpu);
	return 0;
}

/* kvm_vm_ioctl_irq_line: type, vCPU and number packed in irq_level.irq */
int kvm_vm_ioctl_irq_line(struct kvm *kvm, unsigned long arg, bool line_status)
{
	struct kvm_irq_level il;
	uint32_t irq, type, vcpu_id, num;
	struct kvm_vcpu *vcpu = NULL;
	struct sim_ev *ev;
	int r;

	if (copy_from_user(&il, (void *)arg, sizeof(il)))
		return -EFAULT;
	irq = il.irq;
	type = (irq >> KVMSIM_ARM_IRQ_TYPE_SHIFT) & KVMSIM_ARM_IRQ_TYPE_MASK;
	vcpu_id = ((irq >> KVMSIM_ARM_IRQ_VCPU_SHIFT) & KVMSIM_ARM_IRQ_VCPU_MASK) +
		  ((irq >> KVMSIM_ARM_IRQ_VCPU2_SHIFT) & KVMSIM_ARM_IRQ_VCPU2_MASK) *
		  (KVMSIM_ARM_IRQ_VCPU_MASK + 1);
	num = irq & KVMSIM_ARM_IRQ_NUM_MASK;
	ev = sim_ev_begin("kvm_irq_line");
	sim_ev_int(ev, "type", type);
	sim_ev_int(ev, "vcpu_id", vcpu_id);
	sim_ev_int(ev, "irq_num", num);
	sim_ev_int(ev, "level", il.level);
	sim_ev_end(ev);
	for (int i = 0; i < kvm->nr_vcpus; i++)
		if (kvm->vcpus[i]->vcpu_id == (int)vcpu_id)
			vcpu = kvm->vcpus[i];
	switch (type) {
	case KVMSIM_ARM_IRQ_TYPE_CPU:
		if (irqchip_in_kernel(kvm))
			return -ENXIO;
		if (!vcpu || num > KVMSIM_ARM_IRQ_CPU_FIQ)
			return -EINVAL;
		r = vcpu_interrupt_line(vcpu, num, il.level);
		break;
	case KVMSIM_ARM_IRQ_TYPE_PPI:
		if (!irqchip_in_kernel(kvm))
			return -ENXIO;
		if (!vcpu)
			return -EINVAL;
		if (num < VGIC_NR_SGIS || num >= VGIC_NR_PRIVATE_IRQS)
			return -EINVAL;
		r = kvm_vgic_inject_irq(kvm, vcpu, num, il.level);
		break;
	case KVMSIM_ARM_IRQ_TYPE_SPI:
		if (!irqchip_in_kernel(kvm))
			return -ENXIO;
		if (num < VGIC_NR_PRIVATE_IRQS)
			return -EINVAL;
		r = kvm_vgic_inject_irq(kvm, NULL, num, il.level);
		break;
	default:
		return -EINVAL;
	}
	if (r || !line_status)
		return r;
	/* KVM_IRQ_LINE_STATUS: status is what kvm_vgic_inject_irq returned (0) */
	il.status = 0;
	return copy_to_user((void *)arg, &il, sizeof(il)) ? -EFAULT : 0;
}

/* ---- distributor and redistributor MMIO (vgic-mmio-v3.c) ---- */

enum bitmap_reg { REG_GROUP, REG_SENABLE, REG_CENABLE, REG_SPEND, REG_CPEND, REG_SACTIVE,
		  REG_CACTIVE };

static bool irq_bit(const struct vgic_irq *irq, enum bitmap_reg r)
{
	switch (r) {
	case REG_GROUP:
		return irq->group;
	case REG_SENABLE:
	case REG_CENABLE:
		return irq->enabled;
	case REG_SPEND:
	case REG_CPEND:
		return irq_is_pending(irq);
	default:
		return irq->active;
	}
}

static void irq_bit_write(struct vgic_irq *irq, enum bitmap_reg r, bool bit)
{
	if (!bit && r != REG_GROUP)
		return;
	switch (r) {
	case REG_GROUP:
		irq->group = bit;
		break;
	case REG_SENABLE:
		irq->enabled = true;
		break;
	case REG_CENABLE:
		irq->enabled = false;
		break;
	case REG_SPEND:
		irq->pending_latch = true;
		break;
	case REG_CPEND:
		irq->pending_latch = false;
		break;
	case REG_SACTIVE:
		irq->active = true;
		break;
	case REG_CACTIVE:
		irq->active = false;
		break;
	}
}

/* One 32-bit bitmap register covering INTIDs first..first+31. */
static uint32_t vgic_bitmap_access(struct kvm *kvm, struct kvm_vcpu *vcpu, uint32_t first,
				   enum bitmap_reg r, bool write, uint32_t v)
{
	uint32_t out = 0;

	for (uint32_t i = 0; i < 32; i++) {
		struct vgic_irq *irq = vgic_get_irq(kvm, vcpu, first + i);

		if (!irq)
			continue;
		if (write)
			irq_bit_write(irq, r, v >> i & 1);
		else if (irq_bit(irq, r))
			out |= 1u << i;
	}
	return out;
}

static uint64_t vgic_priority_access(struct kvm *kvm, struct kvm_vcpu *vcpu, uint32_t first,
				     int len, bool write, uint64_t v)
{
	uint64_t out = 0;

	for (int i = 0; i < len; i++) {
		struct vgic_irq *irq = vgic_get_irq(kvm, vcpu, first + i);

		if (!irq)
			continue;
		if (write)
			irq->priority = (v >> (8 * i)) & VGIC_PRI_MASK;
		else
			out |= (uint64_t)irq->priority << (8 * i);
	}
	return out;
}

/* ICFGR: 2 bits an interrupt, bit 1 set for edge; private ones read-only */
static uint32_t vgic_config_access(struct kvm *kvm, struct kvm_vcpu *vcpu, uint32_t first,
				   bool write, uint32_t v)
{
	uint32_t out = 0;

	for (uint32_t i = 0; i < 16; i++) {
		struct vgic_irq *irq = vgic_get_irq(kvm, vcpu, first + i);

		if (!irq)
			continue;
		if (write && first + i >= VGIC_NR_PRIVATE_IRQS)
			irq->level = !(v >> (2 * i + 1) & 1);
		if (!irq->level)
			out |= 2u << (2 * i);
	}
	return out;
}

/*
 * The registers common to the distributor (SPIs; private INTIDs RAZ/WI
 * with affinity routing) and the redistributor's SGI frame (INTIDs
 * 0..31 of its vCPU).  Returns false for an offset that is not one.
 */
static bool vgic_irq_regs(struct kvm *kvm, struct kvm_vcpu *vcpu, bool dist, uint32_t off,
			  int len, bool write, uint64_t *val)
{
	static const struct { uint32_t base; enum bitmap_reg r; } bitmaps[] = {
		{ GICD_IGROUPR, REG_GROUP }, { GICD_ISENABLER, REG_SENABLE },
		{ GICD_ICENABLER, REG_CENABLE }, { GICD_ISPENDR, REG_SPEND },
		{ GICD_ICPENDR, REG_CPEND }, { GICD_ISACTIVER, REG_SACTIVE },
		{ GICD_ICACTIVER, REG_CACTIVE },
	};
	uint32_t limit = dist ? 1024 : VGIC_NR_PRIVATE_IRQS;

	for (unsigned b = 0; b < sizeof(bitmaps) / sizeof(bitmaps[0]); b++) {
		uint32_t first = (off - bitmaps[b].base) * 8;

		if (off < bitmaps[b].base || off >= bitmaps[b].base + limit / 8)
			continue;
		if (len != 4)
			return true;	/* RAZ/WI */
		if (dist && first < VGIC_NR_PRIVATE_IRQS)
			*val = 0;
		else
			*val = vgic_bitmap_access(kvm, vcpu, first, bitmaps[b].r, write, *val);
		return true;
	}
	if (off >= GICD_IPRIORITYR && off < GICD_IPRIORITYR + limit) {
		uint32_t first = off - GICD_IPRIORITYR;

		if ((len != 1 && len != 4) || (dist && first < VGIC_NR_PRIVATE_IRQS))
			*val = 0;
		else
			*val = vgic_priority_access(kvm, vcpu, first, len, write, *val);
		return true;
	}
	if (off >= GICD_ICFGR && off < GICD_ICFGR + limit / 4) {
		uint32_t first = (off - GICD_ICFGR) * 4;

		if (len != 4 || (dist && first < VGIC_NR_PRIVATE_IRQS))
			*val = 0;
		else
			*val = vgic_config_access(kvm, vcpu, first, write, (uint32_t)*val);
		return true;
	}
	return false;
}

static uint64_t vgic_irouter_access(struct kvm *kvm, uint32_t off, int len, bool write,
				    uint64_t v)
{
	uint32_t intid = (off - GICD_IROUTER) / 8;
	struct vgic_irq *irq = vgic_get_irq(kvm, NULL, intid);

	if (!irq || (len != 8 && len != 4))
		return 0;
	/* the upper word is WI: no Aff3; IRM is RAZ/WI too */
	if (write && !(off & 4)) {
		irq->mpidr = v & 0xffffff;
		irq->target_vcpu = kvm_mpidr_to_vcpu(kvm, irq->mpidr);
	}
	return off & 4 ? 0 : irq->mpidr;
}

static uint64_t vgic_dist_access(struct kvm_vcpu *vcpu, uint32_t off, int len, bool write,
				 uint64_t v)
{
	struct kvm *kvm = vcpu->kvm;
	struct kvm_arm64_vm *d = vgic_dist(kvm);

	if (vgic_irq_regs(kvm, vcpu, true, off, len, write, &v))
		return v;
	if (off >= GICD_IROUTER + 8 * VGIC_NR_PRIVATE_IRQS && off < GICD_IROUTER + 8 * 1024)
		return vgic_irouter_access(kvm, off, len, write, v);
	if (len != 4)
		return 0;
	switch (off) {
	case GICD_CTLR:
		if (write) {
			d->enabled_grp0 = v & GICD_CTLR_ENABLE_G0;
			d->enabled = v & GICD_CTLR_ENABLE_G1;
		}
		return (d->enabled_grp0 ? GICD_CTLR_ENABLE_G0 : 0) |
		       (d->enabled ? GICD_CTLR_ENABLE_G1 : 0) | GICD_CTLR_ARE_NS | GICD_CTLR_DS;
	case GICD_TYPER:
		return ((d->nr_spis + VGIC_NR_PRIVATE_IRQS) / 32 - 1) |
		       (INTERRUPT_ID_BITS_SPIS - 1) << 19;
	case GICD_IIDR:
		return VGIC_IIDR;
	case GICD_PIDR2:
		return GIC_PIDR2_V3;
	}
	return 0;
}

static uint64_t vgic_redist_access(struct kvm_vcpu *rd_vcpu, uint32_t off, int len, bool write,
				   uint64_t v)
{
	struct kvm *kvm = rd_vcpu->kvm;

	if (off >= GICR_SGI_OFFSET) {
		if (vgic_irq_regs(kvm, rd_vcpu, false, off - GICR_SGI_OFFSET, len, write, &v))
			return v;
		return 0;
	}
	if (off == GICR_TYPER || off == GICR_TYPER + 4) {
		uint64_t typer = (to_arm64(rd_vcpu)->mpidr & 0xffffff) << 32 |
				 (uint64_t)(rd_vcpu->vcpu_id & 0xffff) << 8 |
				 (rd_vcpu->vcpu_idx == kvm->nr_vcpus - 1 ? GICR_TYPER_LAST : 0);

		if (len == 8 && off == GICR_TYPER)
			return typer;
		return len == 4 ? (uint32_t)(typer >> (off == GICR_TYPER ? 0 : 32)) : 0;
	}
	if (len != 4)
		return 0;
	switch (off) {
	case GICR_IIDR:
		return VGIC_IIDR;
	case GICR_PIDR2:
		return GIC_PIDR2_V3;
	}
	return 0;	/* GICR_CTLR (no LPIs), GICR_WAKER: RAZ/WI */
}

static void trace_mmio(struct kvm_vcpu *vcpu, const char *frame, uint32_t off, int len,
		       bool write, uint64_t val)
{
	struct sim_ev *ev = sim_ev_begin("vgic_mmio_access");

	sim_ev_str(ev, "vcpu", vcpu->name);
	sim_ev_str(ev, "frame", frame);
	sim_ev_hex(ev, "offset", off);
	sim_ev_int(ev, "len", len);
	sim_ev_str(ev, "rw", write ? "write" : "read");
	sim_ev_hex(ev, "val", val);
	sim_ev_end(ev);
}

bool vgic_mmio_access(struct kvm_vcpu *vcpu, uint64_t gpa, int len, bool write, uint64_t *val)
{
	struct kvm *kvm = vcpu->kvm;
	struct kvm_arm64_vm *d = vgic_dist(kvm);
	uint64_t v = write ? *val : 0;

	if (!irqchip_in_kernel(kvm) || !d->vgic_ready)
		return false;
	if (gpa >= d->dist_base && gpa - d->dist_base < KVMSIM_VGIC_V3_DIST_SIZE) {
		v = vgic_dist_access(vcpu, gpa - d->dist_base, len, write, v);
		trace_mmio(vcpu, "dist", gpa - d->dist_base, len, write, write ? *val : v);
	} else if (gpa >= d->redist_base &&
		   gpa - d->redist_base < KVMSIM_VGIC_V3_REDIST_SIZE * kvm->nr_vcpus) {
		uint64_t off = gpa - d->redist_base;
		struct kvm_vcpu *rd = kvm->vcpus[off / KVMSIM_VGIC_V3_REDIST_SIZE];

		off %= KVMSIM_VGIC_V3_REDIST_SIZE;
		v = vgic_redist_access(rd, off, len, write, v);
		trace_mmio(vcpu, "redist", off, len, write, write ? *val : v);
	} else {
		return false;
	}
	if (!write)
		*val = v;
	else
		vgic_kick_vcpus(kvm);
	return true;
}

/* ---- vCPU and device lifetime ---- */

/* kvm_vgic_vcpu_init + vgic_v3_reset: SGIs enabled and edge, PPIs level */
void kvm_vgic_vcpu_init(struct kvm_vcpu *vcpu)
{
	struct vgic_cpu *c = &to_arm64(vcpu)->vgic;

	memset(c, 0, sizeof(*c));
	for (uint32_t i = 0; i < VGIC_NR_PRIVATE_IRQS; i++) {
		struct vgic_irq *irq = &c->private_irqs[i];

		irq->intid = i;
		irq->enabled = i < VGIC_NR_SGIS;
		irq->level = i >= VGIC_NR_SGIS;
		irq->group = irqchip_in_kernel(vcpu->kvm);
	}
	c->bpr0 = ICC_BPR0_MIN;
	c->bpr1 = ICC_BPR1_MIN;
}

/* kvm_vgic_create: EEXIST for a second one, EBUSY once a vCPU has run */
static int vgic_create(struct kvm_device *dev, uint32_t type)
{
	struct kvm *kvm = dev->kvm;
	struct kvm_arm64_vm *d = vgic_dist(kvm);

	if (d->vgic_in_kernel)
		return -EEXIST;
	for (int i = 0; i < kvm->nr_vcpus; i++)
		if (to_arm64(kvm->vcpus[i]) && to_arm64(kvm->vcpus[i])->has_run_once)
			return -EBUSY;
	if (kvm->nr_vcpus > VGIC_V3_MAX_CPUS)
		return -E2BIG;
	d->vgic_in_kernel = true;
	d->dist_base = d->redist_base = VGIC_ADDR_UNDEF;
	dev->private = d;
	return 0;
}

void kvm_vgic_destroy(struct kvm *kvm)
{
	free(kvm->arm64->spis);
	kvm->arm64->spis = NULL;
}

/* vgic_check_iorange */
static int vgic_check_iorange(struct kvm *kvm, uint64_t ioaddr, uint64_t addr, uint64_t size)
{
	if (ioaddr != VGIC_ADDR_UNDEF)
		return -EEXIST;
	if (addr & 0xffff)
		return -EINVAL;
	if (addr + size < addr)
		return -EINVAL;
	if (addr + size > 1ull << arm64_phys_shift(kvm))
		return -E2BIG;
	return 0;
}

/* kvm_vgic_addr: DIST and (the legacy single region) REDIST */
static int kvm_vgic_addr(struct kvm *kvm, struct kvm_device_attr *attr, bool write)
{
	struct kvm_arm64_vm *d = vgic_dist(kvm);
	uint64_t *ptr, size, addr;
	int r;

	switch (attr->attr) {
	case KVMSIM_VGIC_V3_ADDR_TYPE_DIST:
		ptr = &d->dist_base;
		size = KVMSIM_VGIC_V3_DIST_SIZE;
		break;
	case KVMSIM_VGIC_V3_ADDR_TYPE_REDIST:
		ptr = &d->redist_base;
		/* the region's size is known at the first run (one frame a vCPU) */
		size = KVMSIM_VGIC_V3_REDIST_SIZE;
		break;
	default:
		return -ENXIO;
	}
	if (!write)
		return copy_to_user((void *)(uintptr_t)attr->addr, ptr, sizeof(*ptr)) ? -EFAULT : 0;
	if (copy_from_user(&addr, (void *)(uintptr_t)attr->addr, sizeof(addr)))
		return -EFAULT;
	r = vgic_check_iorange(kvm, *ptr, addr, size);
	if (!r)
		*ptr = addr;
	return r;
}

/* vgic_init: size the SPIs (224 unless NR_IRQS said), group 1, routed to vCPU 0 */
static int vgic_init(struct kvm *kvm)
{
	struct kvm_arm64_vm *d = vgic_dist(kvm);
	int r;

	if (d->vgic_initialized)
		return 0;
	if (!d->nr_spis)
		d->nr_spis = VGIC_NR_IRQS_LEGACY - VGIC_NR_PRIVATE_IRQS;
	d->spis = calloc(d->nr_spis, sizeof(*d->spis));
	if (!d->spis)
		return -ENOMEM;
	for (uint32_t i = 0; i < d->nr_spis; i++) {
		d->spis[i].intid = i + VGIC_NR_PRIVATE_IRQS;
		d->spis[i].group = true;
		d->spis[i].target_vcpu = kvm->nr_vcpus ? kvm->vcpus[0] : NULL;
	}
	for (int i = 0; i < kvm->nr_vcpus; i++)
		for (int j = 0; j < VGIC_NR_PRIVATE_IRQS; j++)
			to_arm64(kvm->vcpus[i])->vgic.private_irqs[j].group = true;
	/* the default routes, before initialized is set, as vgic_init orders it */
	r = kvm_vgic_setup_default_irq_routing(kvm);
	if (r)
		return r;
	d->vgic_initialized = true;
	{
		struct sim_ev *ev = sim_ev_begin("vgic_init");

		sim_ev_int(ev, "nr_irqs", d->nr_spis + VGIC_NR_PRIVATE_IRQS);
		sim_ev_int(ev, "nr_vcpus", kvm->nr_vcpus);
		sim_ev_end(ev);
	}
	return 0;
}

/* vgic_v3_map_resources, at the first KVM_RUN of any vCPU */
int kvm_vgic_map_resources(struct kvm *kvm)
{
	struct kvm_arm64_vm *d = vgic_dist(kvm);
	uint64_t rd_size = KVMSIM_VGIC_V3_REDIST_SIZE * kvm->nr_vcpus;

	if (!irqchip_in_kernel(kvm) || d->vgic_ready)
		return 0;
	if (d->dist_base == VGIC_ADDR_UNDEF || d->redist_base == VGIC_ADDR_UNDEF)
		return -ENXIO;
	/* vgic_v3_check_base: the frames may not overlap nor wrap */
	if (d->redist_base + rd_size < d->redist_base ||
	    !(d->dist_base + KVMSIM_VGIC_V3_DIST_SIZE <= d->redist_base ||
	      d->redist_base + rd_size <= d->dist_base))
		return -EINVAL;
	if (!d->vgic_initialized)
		return -EBUSY;
	d->vgic_ready = true;
	return 0;
}

/* The vCPU an attribute's MPIDR field names (vgic_v3_parse_attr). */
static struct kvm_vcpu *vgic_attr_vcpu(struct kvm *kvm, struct kvm_device_attr *attr)
{
	uint64_t v = attr->attr >> KVMSIM_DEV_ARM_VGIC_V3_MPIDR_SHIFT;
	uint64_t mpidr = (v & 0xffffff) | ((v >> 24 & 0xff) << 32);

	if (attr->group == KVMSIM_DEV_ARM_VGIC_GRP_DIST_REGS)
		return kvm->nr_vcpus ? kvm->vcpus[0] : NULL;
	return kvm_mpidr_to_vcpu(kvm, mpidr);
}

/* LEVEL_INFO: the line levels of 32 interrupts from intid */
static uint32_t vgic_line_level_access(struct kvm *kvm, struct kvm_vcpu *vcpu, uint32_t intid,
				       bool write, uint32_t v)
{
	uint32_t out = 0;

	for (uint32_t i = 0; i < 32; i++) {
		struct vgic_irq *irq = vgic_get_irq(kvm, vcpu, intid + i);

		if (!irq || !irq->level)
			continue;
		if (write)
			irq->line_level = v >> i & 1;
		else if (irq->line_level)
			out |= 1u << i;
	}
	return out;
}

/* vgic_v3_attr_regs_access: DIST/REDIST registers, CPU sysregs, line levels */
static int vgic_v3_attr_regs_access(struct kvm_device *dev, struct kvm_device_attr *attr,
				    bool write)
{
	struct kvm *kvm = dev->kvm;
	struct kvm_vcpu *vcpu = vgic_attr_vcpu(kvm, attr);
	uint32_t off = attr->attr & KVMSIM_DEV_ARM_VGIC_OFFSET_MASK;
	void *uaddr = (void *)(uintptr_t)attr->addr;
	uint64_t v = 0;
	uint32_t v32 = 0;
	bool sysreg = attr->group == KVMSIM_DEV_ARM_VGIC_GRP_CPU_SYSREGS;

	if (!vcpu)
		return -EINVAL;
	if (write && (sysreg ? copy_from_user(&v, uaddr, 8) : copy_from_user(&v32, uaddr, 4)))
		return -EFAULT;
	if (!sysreg)
		v = v32;
	for (int i = 0; i < kvm->nr_vcpus; i++)
		if (kvm->vcpus[i]->mutex_locked)
			return -EBUSY;	/* lock_all_vcpus: one is in KVM_RUN */
	if (!vgic_dist(kvm)->vgic_initialized)
		return -EBUSY;
	switch (attr->group) {
	case KVMSIM_DEV_ARM_VGIC_GRP_DIST_REGS:
		if (off & 3 || off >= KVMSIM_VGIC_V3_DIST_SIZE)
			return -ENXIO;
		v = vgic_dist_access(vcpu, off, 4, write, v);
		break;
	case KVMSIM_DEV_ARM_VGIC_GRP_REDIST_REGS:
		if (off & 3 || off >= KVMSIM_VGIC_V3_REDIST_SIZE)
			return -ENXIO;
		v = vgic_redist_access(vcpu, off, 4, write, v);
		break;
	case KVMSIM_DEV_ARM_VGIC_GRP_CPU_SYSREGS: {
		uint32_t enc = attr->attr & 0xffff;

		/* userspace may not acknowledge, EOI or send SGIs */
		if (enc == SYS_ICC_IAR1_EL1 || enc == SYS_ICC_EOIR1_EL1 ||
		    enc == SYS_ICC_DIR_EL1 || enc == SYS_ICC_SGI1R_EL1 ||
		    enc == SYS_ICC_SGI0R_EL1 || enc == SYS_ICC_ASGI1R_EL1 ||
		    enc == SYS_ICC_HPPIR1_EL1 || enc == SYS_ICC_RPR_EL1 ||
		    !vgic_v3_icc_access(vcpu, enc, write, &v))
			return -ENXIO;
		return write ? 0 : copy_to_user(uaddr, &v, 8) ? -EFAULT : 0;
	}
	case KVMSIM_DEV_ARM_VGIC_GRP_LEVEL_INFO:
		if ((attr->attr >> 10 & 0x3fffff) != 0 || off & 31)
			return -EINVAL;
		v = vgic_line_level_access(kvm, vcpu, attr->attr & 0x3ff, write, (uint32_t)v);
		break;
	default:
		return -EINVAL;
	}
	v32 = (uint32_t)v;
	if (write)
		vgic_kick_vcpus(kvm);
	return write ? 0 : copy_to_user(uaddr, &v32, 4) ? -EFAULT : 0;
}

static int vgic_v3_set_attr(struct kvm_device *dev, struct kvm_device_attr *attr)
{
	struct kvm_arm64_vm *d = vgic_dist(dev->kvm);
	uint32_t val;
	int r;

	switch (attr->group) {
	case KVMSIM_DEV_ARM_VGIC_GRP_DIST_REGS:
	case KVMSIM_DEV_ARM_VGIC_GRP_REDIST_REGS:
	case KVMSIM_DEV_ARM_VGIC_GRP_CPU_SYSREGS:
	case KVMSIM_DEV_ARM_VGIC_GRP_LEVEL_INFO:
		return vgic_v3_attr_regs_access(dev, attr, true);
	case KVMSIM_DEV_ARM_VGIC_GRP_ADDR:
		return kvm_vgic_addr(dev->kvm, attr, true);
	case KVMSIM_DEV_ARM_VGIC_GRP_NR_IRQS:
		if (copy_from_user(&val, (void *)(uintptr_t)attr->addr, sizeof(val)))
			return -EFAULT;
		/* 32 SPIs at least, 1024 INTIDs at most, a multiple of 32 */
		if (val < VGIC_NR_PRIVATE_IRQS + 32 || val > VGIC_MAX_RESERVED || (val & 31))
			return -EINVAL;
		if (d->vgic_ready || d->nr_spis)
			return -EBUSY;
		d->nr_spis = val - VGIC_NR_PRIVATE_IRQS;
		return 0;
	case KVMSIM_DEV_ARM_VGIC_GRP_CTRL:
		switch (attr->attr) {
		case KVMSIM_DEV_ARM_VGIC_CTRL_INIT:
			r = vgic_init(dev->kvm);
			return r;
		case KVMSIM_DEV_ARM_VGIC_SAVE_PENDING_TABLES:
			/* no ITS, so no LPI pending tables to write */
			return 0;
		}
		break;
	}
	return -ENXIO;
}

static int vgic_v3_get_attr(struct kvm_device *dev, struct kvm_device_attr *attr)
{
	uint32_t nr;

	switch (attr->group) {
	case KVMSIM_DEV_ARM_VGIC_GRP_DIST_REGS:
	case KVMSIM_DEV_ARM_VGIC_GRP_REDIST_REGS:
	case KVMSIM_DEV_ARM_VGIC_GRP_CPU_SYSREGS:
	case KVMSIM_DEV_ARM_VGIC_GRP_LEVEL_INFO:
		return vgic_v3_attr_regs_access(dev, attr, false);
	case KVMSIM_DEV_ARM_VGIC_GRP_ADDR:
		return kvm_vgic_addr(dev->kvm, attr, false);
	case KVMSIM_DEV_ARM_VGIC_GRP_NR_IRQS:
		nr = vgic_dist(dev->kvm)->nr_spis + VGIC_NR_PRIVATE_IRQS;
		return copy_to_user((void *)(uintptr_t)attr->addr, &nr, sizeof(nr)) ? -EFAULT : 0;
	}
	return -ENXIO;
}

static int vgic_v3_has_attr(struct kvm_device *dev, struct kvm_device_attr *attr)
{
	switch (attr->group) {
	case KVMSIM_DEV_ARM_VGIC_GRP_ADDR:
		if (attr->attr == KVMSIM_VGIC_V3_ADDR_TYPE_DIST ||
		    attr->attr == KVMSIM_VGIC_V3_ADDR_TYPE_REDIST)
			return 0;
		break;
	case KVMSIM_DEV_ARM_VGIC_GRP_DIST_REGS:
	case KVMSIM_DEV_ARM_VGIC_GRP_REDIST_REGS:
	case KVMSIM_DEV_ARM_VGIC_GRP_CPU_SYSREGS:
	case KVMSIM_DEV_ARM_VGIC_GRP_NR_IRQS:
		return 0;
	case KVMSIM_DEV_ARM_VGIC_GRP_LEVEL_INFO:
		if ((attr->attr >> 10 & 0x3fffff) == 0)
			return 0;
		break;
	case KVMSIM_DEV_ARM_VGIC_GRP_CTRL:
		if (attr->attr == KVMSIM_DEV_ARM_VGIC_CTRL_INIT ||
		    attr->attr == KVMSIM_DEV_ARM_VGIC_SAVE_PENDING_TABLES)
			return 0;
		break;
	}
	return -ENXIO;
}

const struct kvm_device_ops kvm_arm_vgic_v3_ops = {
	.name = "kvm-arm-vgic-v3",
	.create = vgic_create,
	.set_attr = vgic_v3_set_attr,
	.get_attr = vgic_v3_get_attr,
	.has_attr = vgic_v3_has_attr,
};
