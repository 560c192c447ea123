// SPDX-License-Identifier: MIT
/*
 * The x86 state KVM keeps per vCPU and per VM beside the registers
 * (struct kvm_vcpu_arch, struct kvm_arch), its creation with the values
 * kvm_arch_vcpu_create / kvm_vcpu_reset leave, and the MP state
 * (kvm_arch_vcpu_ioctl_{get,set}_mpstate).
 */
#include <errno.h>
#include <stdlib.h>

#include "kvm-model/x86/lapic.h"
#include "kvm-model/x86/x86_state.h"

struct x86_vcpu_state *x86_state(struct kvm_vcpu *vcpu)
{
	return vcpu->x86;
}

struct kvm_x86_vm_state *kvm_x86_vm(struct kvm *kvm)
{
	return kvm->x86;
}

int kvm_x86_state_create(struct kvm_vcpu *vcpu)
{
	vcpu->x86 = calloc(1, sizeof(*vcpu->x86));
	if (!vcpu->x86)
		return -ENOMEM;
	/*
	 * With the LAPIC in the kernel an application processor waits for
	 * INIT and SIPI (UNINITIALIZED); the boot vCPU, and every vCPU of a
	 * VM without it, starts RUNNABLE.
	 */
	vcpu->x86->mp_state = !vcpu->kvm->irqchip_kernel ||
			      (uint32_t)vcpu->vcpu_id == vcpu->kvm->x86->bsp_vcpu_id ?
			      KVM_MP_STATE_RUNNABLE : KVM_MP_STATE_UNINITIALIZED;
	kvm_vcpu_tsc_init(vcpu);
	kvm_vcpu_msr_init(vcpu);
	return 0;
}

void kvm_x86_state_destroy(struct kvm_vcpu *vcpu)
{
	free(vcpu->x86);
	vcpu->x86 = NULL;
}

/* KVM_SET_MP_STATE: states other than RUNNABLE need the in-kernel LAPIC */
static long set_mp_state(struct kvm_vcpu *vcpu, void *uarg)
{
	struct kvm_mp_state mp;

	if (copy_from_user(&mp, uarg, sizeof(mp)))
		return -EFAULT;
	switch (mp.mp_state) {
	case KVM_MP_STATE_UNINITIALIZED:
	case KVM_MP_STATE_HALTED:
	case KVM_MP_STATE_AP_RESET_HOLD:
	case KVM_MP_STATE_INIT_RECEIVED:
	case KVM_MP_STATE_SIPI_RECEIVED:
		if (!vcpu->kvm->irqchip_kernel)
			return -EINVAL;
		break;
	case KVM_MP_STATE_RUNNABLE:
		break;
	default:
		return -EINVAL;
	}
	/* a SIPI is latched as INIT_RECEIVED plus a pending SIPI */
	if (mp.mp_state == KVM_MP_STATE_SIPI_RECEIVED) {
		mp.mp_state = KVM_MP_STATE_INIT_RECEIVED;
		kvm_apic_set_sipi_pending(vcpu);
	}
	x86_state(vcpu)->mp_state = mp.mp_state;
	kvm_vcpu_kick(vcpu);
	return 0;
}

/* kvm_arch_vcpu_ioctl_get_mpstate: a latched INIT or SIPI is acted on first */
static long get_mp_state(struct kvm_vcpu *vcpu, void *uarg)
{
	struct kvm_mp_state mp;

	if (vcpu->kvm->irqchip_kernel)
		kvm_apic_accept_events(vcpu);
	mp.mp_state = x86_state(vcpu)->mp_state;

	return copy_to_user(uarg, &mp, sizeof(mp)) ? -EFAULT : 0;
}

bool kvm_vcpu_state_ioctl(unsigned int cmd)
{
	return cmd == KVM_GET_MP_STATE || cmd == KVM_SET_MP_STATE;
}

long kvm_vcpu_ioctl_state(struct kvm_vcpu *vcpu, unsigned int cmd, void *uarg)
{
	switch (cmd) {
	case KVM_GET_MP_STATE:
		return get_mp_state(vcpu, uarg);
	case KVM_SET_MP_STATE:
		return set_mp_state(vcpu, uarg);
	}
	return -EINVAL;
}
