// SPDX-License-Identifier: MIT
/*
 * The vCPU state a VMM saves and restores around every run that is not in
 * the registers (arch/x86/kvm/x86.c): KVM_GET/SET_VCPU_EVENTS (the queued
 * exception, interrupt and NMIs, the interrupt shadow) and the machine-check
 * ioctls (KVM_X86_GET_MCE_CAP_SUPPORTED, KVM_X86_SETUP_MCE, KVM_X86_SET_MCE);
 * KVM_GET/SET_DEBUGREGS are in debugregs.c.
 * QEMU 8 and later require all of them (kvm_arch_required_capabilities).
 *
 * Where the model is coarser than KVM: an exception the guest raises is
 * delivered inside the run that raised it, so between two KVM_RUNs only
 * an exception userspace queued (SET_VCPU_EVENTS, SET_MCE) can be seen;
 * NMI blocking is not modelled (nmi.masked is kept and reported, not
 * enforced); a MOV SS shadow is kept as the STI shadow (both block
 * interrupts for one instruction, GET reports STI); DR7's breakpoints are
 * stored in the engine's debug registers, not armed.
 */
#include <errno.h>
#include <string.h>
#include <linux/kvm.h>

#include "kvm-model/x86/uc_internal.h"
#include "kvm-model/x86/x86_state.h"

#define NMI_VECTOR		2
#define MC_VECTOR		18
#define X86_CR4_MCE		(1ull << 6)

/* arch/x86/include/asm/mce.h */
#define MCG_CTL_P		(1ull << 8)
#define MCG_SER_P		(1ull << 24)
#define MCG_STATUS_MCIP		(1ull << 2)
#define MCI_STATUS_VAL		(1ull << 63)
#define MCI_STATUS_OVER		(1ull << 62)
#define MCI_STATUS_UC		(1ull << 61)
#define MCI_STATUS_MISCV	(1ull << 59)
#define MCI_STATUS_S		(1ull << 56)
#define MCI_STATUS_AR		(1ull << 55)
#define MCI_MISC_ADDR_PHYS	2

/*
 * kvm_caps.supported_mce_cap as svm.c leaves it (no LMCE or CMCI, which
 * are VMX's); KVM_CAP_MCE answers KVM_MAX_MCE_BANKS.
 */
#define KVM_MCE_CAP_SUPPORTED	(MCG_CTL_P | MCG_SER_P)

static struct kvm_x86_events *vcpu_events(struct kvm_vcpu *vcpu)
{
	return &to_uc(vcpu)->events;
}

/* ---- KVM_GET/SET_VCPU_EVENTS ---- */

/* the STI shadow is live while RIP and the retired count have not moved */
static bool interrupt_shadow(struct kvm_vcpu *vcpu)
{
	const struct kvm_lapic *apic = &to_uc(vcpu)->lapic;

	return apic->irq_shadow && x86_reg_read(vcpu, UC_X86_REG_RIP) == apic->shadow_rip &&
	       vcpu->insns == apic->shadow_insns;
}

/* process_nmi: two NMIs may wait, one while another is injected or blocked */
static void process_nmi(struct kvm_x86_events *ev)
{
	unsigned int limit = ev->nmi_injected || ev->nmi_masked ? 1 : 2;

	if (ev->nmi_pending > limit)
		ev->nmi_pending = limit;
}

void kvm_vcpu_ioctl_x86_get_vcpu_events(struct kvm_vcpu *vcpu,
					struct kvm_vcpu_events *events)
{
	struct kvm_x86_events *ev = vcpu_events(vcpu);

	process_nmi(ev);
	memset(events, 0, sizeof(*events));
	/* without KVM_CAP_EXCEPTION_PAYLOAD a pending exception reads as injected */
	events->exception.injected = ev->exception_nr >= 0;
	events->exception.pending = ev->exception_nr >= 0 && ev->exception_pending;
	events->exception.nr = ev->exception_last_nr;
	events->exception.has_error_code = ev->exception_has_error;
	events->exception.error_code = ev->exception_error_code;
	events->interrupt.injected = ev->interrupt_nr >= 0;
	events->interrupt.nr = ev->interrupt_last_nr;
	events->interrupt.shadow = interrupt_shadow(vcpu) ? KVM_X86_SHADOW_INT_STI : 0;
	events->nmi.injected = ev->nmi_injected;
	events->nmi.pending = ev->nmi_pending;
	events->nmi.masked = ev->nmi_masked;
	events->flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW |
			KVM_VCPUEVENT_VALID_SMM;
}

#define KVM_VCPUEVENT_VALID_ALL	(KVM_VCPUEVENT_VALID_NMI_PENDING | \
				 KVM_VCPUEVENT_VALID_SIPI_VECTOR | \
				 KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM | \
				 KVM_VCPUEVENT_VALID_PAYLOAD | \
				 KVM_VCPUEVENT_VALID_TRIPLE_FAULT)

int kvm_vcpu_ioctl_x86_set_vcpu_events(struct kvm_vcpu *vcpu,
				       struct kvm_vcpu_events *events)
{
	struct kvm_x86_events *ev = vcpu_events(vcpu);

	if (events->flags & ~KVM_VCPUEVENT_VALID_ALL)
		return -EINVAL;
	/* KVM_CAP_EXCEPTION_PAYLOAD and KVM_CAP_X86_TRIPLE_FAULT_EVENT are not offered */
	if (events->flags & (KVM_VCPUEVENT_VALID_PAYLOAD | KVM_VCPUEVENT_VALID_TRIPLE_FAULT))
		return -EINVAL;
	events->exception.pending = 0;
	if (events->exception.injected &&
	    (events->exception.nr > 31 || events->exception.nr == NMI_VECTOR))
		return -EINVAL;
	/* no SMM (KVM_CAP_X86_SMM answers 0): only "not in SMM" is accepted */
	if ((events->flags & KVM_VCPUEVENT_VALID_SMM) &&
	    (events->smi.smm || events->smi.pending || events->smi.smm_inside_nmi))
		return -EINVAL;

	ev->exception_nr = events->exception.injected ? events->exception.nr : -1;
	ev->exception_pending = false;
	ev->exception_last_nr = events->exception.nr;
	ev->exception_has_error = events->exception.has_error_code;
	ev->exception_error_code = events->exception.error_code;
	ev->interrupt_nr = events->interrupt.injected ? events->interrupt.nr : -1;
	ev->interrupt_last_nr = events->interrupt.nr;
	if (events->flags & KVM_VCPUEVENT_VALID_SHADOW) {
		if (events->interrupt.shadow)
			kvm_set_interrupt_shadow(vcpu, x86_reg_read(vcpu, UC_X86_REG_RIP));
		else
			to_uc(vcpu)->lapic.irq_shadow = false;
	}
	ev->nmi_injected = events->nmi.injected;
	ev->nmi_masked = events->nmi.masked;
	if (events->flags & KVM_VCPUEVENT_VALID_NMI_PENDING)
		ev->nmi_pending = events->nmi.pending;
	process_nmi(ev);
	kvm_vcpu_kick(vcpu);
	return 0;
}

/* ---- machine checks ---- */

int kvm_x86_mce_cap(void)
{
	return KVM_MAX_MCE_BANKS;
}

long kvm_dev_ioctl_get_mce_cap(void *uarg)
{
	uint64_t cap = KVM_MCE_CAP_SUPPORTED;

	return copy_to_user(uarg, &cap, sizeof(cap)) ? -EFAULT : 0;
}

static int kvm_vcpu_ioctl_x86_setup_mce(struct kvm_vcpu *vcpu, uint64_t mcg_cap)
{
	struct x86_vcpu_state *st = x86_state(vcpu);
	unsigned int banks = mcg_cap & 0xff;

	if (!banks || banks > KVM_MAX_MCE_BANKS)
		return -EINVAL;
	if (mcg_cap & ~(KVM_MCE_CAP_SUPPORTED | 0xff | 0xff0000))
		return -EINVAL;
	st->mcg_cap = mcg_cap;
	if (mcg_cap & MCG_CTL_P)
		st->mcg_ctl = ~0ull;
	for (unsigned int i = 0; i < banks; i++)
		st->mce_banks[i * 4] = ~0ull;
	return 0;
}

/* a UCNA error only logs (CMCI, which would signal it, is not offered) */
static bool is_ucna(const struct kvm_x86_mce *mce)
{
	return !mce->mcg_status && !(mce->status & (MCI_STATUS_S | MCI_STATUS_AR)) &&
	       (mce->status & MCI_STATUS_MISCV) && (mce->misc & 0x3f) == MCI_MISC_ADDR_PHYS;
}

static int kvm_vcpu_ioctl_x86_set_mce(struct kvm_vcpu *vcpu, struct kvm_x86_mce *mce)
{
	struct x86_vcpu_state *st = x86_state(vcpu);
	struct kvm_x86_events *ev = vcpu_events(vcpu);
	unsigned int nbanks = st->mcg_cap & 0xff;
	uint64_t *banks;

	if (mce->bank >= nbanks || !(mce->status & MCI_STATUS_VAL))
		return -EINVAL;
	banks = &st->mce_banks[4 * mce->bank];
	if (is_ucna(mce)) {
		banks[1] = mce->status;
		banks[2] = mce->addr;
		banks[3] = mce->misc;
		st->mcg_status = mce->mcg_status;
		return 0;
	}
	/* uncorrected errors reported only with MCG_CTL and MCi_CTL all ones */
	if ((mce->status & MCI_STATUS_UC) && (st->mcg_cap & MCG_CTL_P) && st->mcg_ctl != ~0ull)
		return 0;
	if ((mce->status & MCI_STATUS_UC) && banks[0] != ~0ull)
		return 0;
	if (mce->status & MCI_STATUS_UC) {
		/* a second #MC inside the handler, or CR4.MCE clear: shutdown */
		if ((st->mcg_status & MCG_STATUS_MCIP) || !(vcpu->sregs.cr4 & X86_CR4_MCE)) {
			ev->triple_fault = true;
			kvm_vcpu_kick(vcpu);
			return 0;
		}
		if (banks[1] & MCI_STATUS_VAL)
			mce->status |= MCI_STATUS_OVER;
		banks[2] = mce->addr;
		banks[3] = mce->misc;
		st->mcg_status = mce->mcg_status;
		banks[1] = mce->status;
		/* kvm_queue_exception: pending, not yet injected */
		ev->exception_nr = ev->exception_last_nr = MC_VECTOR;
		ev->exception_pending = true;
		ev->exception_has_error = false;
		ev->exception_error_code = 0;
		kvm_vcpu_kick(vcpu);
	} else if (!(banks[1] & MCI_STATUS_VAL) || !(banks[1] & MCI_STATUS_UC)) {
		if (banks[1] & MCI_STATUS_VAL)
			mce->status |= MCI_STATUS_OVER;
		banks[2] = mce->addr;
		banks[3] = mce->misc;
		banks[1] = mce->status;
	} else {
		banks[1] |= MCI_STATUS_OVER;
	}
	return 0;
}

/* ---- dispatch ---- */

bool kvm_x86_events_ioctl(unsigned int cmd)
{
	switch (cmd) {
	case KVM_GET_VCPU_EVENTS:
	case KVM_SET_VCPU_EVENTS:
	case KVM_X86_SETUP_MCE:
	case KVM_X86_SET_MCE:
		return true;
	}
	return false;
}

long kvm_vcpu_ioctl_x86_events(struct kvm_vcpu *vcpu, unsigned int cmd, void *uarg)
{
	union {
		struct kvm_vcpu_events events;
		struct kvm_x86_mce mce;
		uint64_t mcg_cap;
	} u;

	switch (cmd) {
	case KVM_GET_VCPU_EVENTS:
		kvm_vcpu_ioctl_x86_get_vcpu_events(vcpu, &u.events);
		return copy_to_user(uarg, &u.events, sizeof(u.events)) ? -EFAULT : 0;
	case KVM_SET_VCPU_EVENTS:
		if (copy_from_user(&u.events, uarg, sizeof(u.events)))
			return -EFAULT;
		return kvm_vcpu_ioctl_x86_set_vcpu_events(vcpu, &u.events);
	case KVM_X86_SETUP_MCE:
		if (copy_from_user(&u.mcg_cap, uarg, sizeof(u.mcg_cap)))
			return -EFAULT;
		return kvm_vcpu_ioctl_x86_setup_mce(vcpu, u.mcg_cap);
	case KVM_X86_SET_MCE:
		if (copy_from_user(&u.mce, uarg, sizeof(u.mce)))
			return -EFAULT;
		return kvm_vcpu_ioctl_x86_set_mce(vcpu, &u.mce);
	}
	return -EINVAL;
}
