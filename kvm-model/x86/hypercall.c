// SPDX-License-Identifier: MIT
/*
 * KVM's hypercalls (arch/x86/kvm/x86.c: kvm_emulate_hypercall,
 * complete_hypercall_exit) and KVM_CAP_EXIT_HYPERCALL.  VMCALL and
 * VMMCALL both reach here whatever the guest's vendor, as with KVM's
 * fix-hypercall quirk (on by default), which rewrites the other vendor's
 * instruction.
 */
#include <errno.h>

#include "kvm-model/x86/uc_internal.h"
#include "kvm-model/x86/x86_state.h"

#ifndef KVM_HC_MAP_GPA_RANGE
#define KVM_HC_MAP_GPA_RANGE		12
#endif
#ifndef KVM_EXIT_HYPERCALL_LONG_MODE
#define KVM_EXIT_HYPERCALL_LONG_MODE	(1ull << 0)
#endif
#define KVM_HC_VAPIC_POLL_IRQ		1
#define KVM_ENOSYS			1000
#define KVM_EPERM			1
#define KVM_EINVAL			22

/* KVM_CAP_EXIT_HYPERCALL: the hypercalls userspace may take */
#define KVM_EXIT_HYPERCALL_VALID_MASK	(1ull << KVM_HC_MAP_GPA_RANGE)

uint64_t kvm_exit_hypercall_valid_mask(void)
{
	return KVM_EXIT_HYPERCALL_VALID_MASK;
}

int kvm_enable_exit_hypercall(struct kvm *kvm, uint64_t mask)
{
	if (mask & ~KVM_EXIT_HYPERCALL_VALID_MASK)
		return -EINVAL;
	kvm->x86->hypercall_exit_enabled = mask;
	return 0;
}

static void finish(struct kvm_vcpu *vcpu, uint64_t ret, bool op_64_bit, int len)
{
	if (!op_64_bit)
		ret = (uint32_t)ret;
	x86_reg_write(vcpu, UC_X86_REG_RAX, ret);
	x86_reg_write(vcpu, UC_X86_REG_RIP, x86_reg_read(vcpu, UC_X86_REG_RIP) + len);
}

/* KVM_HC_MAP_GPA_RANGE to userspace: 1 (exit filled), or 0 with RAX set */
static int map_gpa_range(struct kvm_vcpu *vcpu, const uint64_t *a, bool op_64_bit, int len)
{
	struct kvm_run *run = vcpu->run;
	uint64_t gfn = a[0] >> PAGE_SHIFT;

	if (!(vcpu->kvm->x86->hypercall_exit_enabled & (1ull << KVM_HC_MAP_GPA_RANGE))) {
		finish(vcpu, -KVM_ENOSYS, op_64_bit, len);
		return 0;
	}
	if ((a[0] & (PAGE_SIZE - 1)) || !a[1] || gfn + a[1] <= gfn) {
		finish(vcpu, -KVM_EINVAL, op_64_bit, len);
		return 0;
	}
	kvm_run_set_exit(vcpu, KVM_EXIT_HYPERCALL);
	run->hypercall.nr = KVM_HC_MAP_GPA_RANGE;
	run->hypercall.args[0] = a[0];
	run->hypercall.args[1] = a[1];
	run->hypercall.args[2] = a[2];
	/* flags: 6.1's header still calls the field longmode */
	run->hypercall.longmode = op_64_bit ? KVM_EXIT_HYPERCALL_LONG_MODE : 0;
	/* complete_hypercall_exit on the next KVM_RUN: RIP stays at the call */
	x86_state(vcpu)->hypercall_pending = len;
	x86_state(vcpu)->hypercall_64 = op_64_bit;
	return 1;
}

/*
 * kvm_emulate_hypercall for the instruction at RIP (len bytes):
 * 0 to go on, 1 for a userspace exit.
 */
int kvm_emulate_hypercall(struct kvm_vcpu *vcpu, int len)
{
	bool op_64_bit = x86_long_mode(vcpu) && vcpu->sregs.cs.l;
	uint64_t nr = x86_reg_read(vcpu, UC_X86_REG_RAX);
	uint64_t a[4] = {
		x86_reg_read(vcpu, UC_X86_REG_RBX), x86_reg_read(vcpu, UC_X86_REG_RCX),
		x86_reg_read(vcpu, UC_X86_REG_RDX), x86_reg_read(vcpu, UC_X86_REG_RSI),
	};
	struct sim_ev *ev = sim_ev_begin("kvm_emulate_hypercall");

	sim_ev_hex(ev, "nr", nr);
	sim_ev_end(ev);
	if (!op_64_bit) {
		nr = (uint32_t)nr;
		for (int i = 0; i < 4; i++)
			a[i] = (uint32_t)a[i];
	}
	if (x86_cpl(vcpu)) {
		finish(vcpu, -KVM_EPERM, op_64_bit, len);
		return 0;
	}
	switch (nr) {
	case KVM_HC_VAPIC_POLL_IRQ:
		finish(vcpu, 0, op_64_bit, len);
		return 0;
	case KVM_HC_MAP_GPA_RANGE:
		return map_gpa_range(vcpu, a, op_64_bit, len);
	}
	finish(vcpu, -KVM_ENOSYS, op_64_bit, len);
	return 0;
}

/* complete_hypercall_exit: the VMM's answer in RAX, past the instruction */
void kvm_complete_hypercall_exit(struct kvm_vcpu *vcpu)
{
	struct x86_vcpu_state *st = x86_state(vcpu);

	if (!st->hypercall_pending)
		return;
	finish(vcpu, vcpu->run->hypercall.ret, st->hypercall_64, st->hypercall_pending);
	st->hypercall_pending = 0;
}
