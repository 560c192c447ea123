// SPDX-License-Identifier: MIT
/*
 * MSR filtering and MSR accesses completed by userspace (arch/x86/kvm/x86.c:
 * kvm_vm_ioctl_set_msr_filter, kvm_msr_allowed, kvm_emulate_rdmsr/wrmsr,
 * kvm_msr_user_space; KVM_CAP_X86_USER_SPACE_MSR, KVM_CAP_X86_MSR_FILTER).
 *
 * A guest RDMSR/WRMSR is first checked against the VM's filter (x2APIC
 * MSRs are never filtered), then handled in the kernel.  If either fails
 * and the VMM asked for that reason (FILTER: denied by the filter,
 * UNKNOWN: no such MSR, INVAL: the kernel refused the value), KVM_RUN
 * returns KVM_EXIT_X86_RDMSR/WRMSR with the index (and the data for a
 * write) and RIP on the instruction; the next KVM_RUN completes it:
 * msr.error set raises #GP, otherwise a read loads msr.data into
 * EDX:EAX, and the instruction is skipped.  Without an exit, a failure is
 * #GP.  Host KVM_GET/SET_MSRS are never filtered.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvm-model/x86/uc_internal.h"
#include "kvm-model/x86/x86_state.h"
#include "sim/sim.h"

#define KVM_MSR_FILTER_VALID_MASK	KVM_MSR_FILTER_DEFAULT_DENY
#define KVM_MSR_FILTER_RANGE_VALID_MASK	(KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE)
#define KVM_MSR_EXIT_REASON_VALID_MASK	(KVM_MSR_EXIT_REASON_INVAL | \
					 KVM_MSR_EXIT_REASON_UNKNOWN | \
					 KVM_MSR_EXIT_REASON_FILTER)
/* what kvm_msr_access-style handlers return: 1 invalid, 2 unsupported */
#define KVM_MSR_RET_INVALID		1
#define KVM_MSR_RET_UNSUPPORTED		2
#define KVM_MSR_RET_FILTERED		3
#define GP_VECTOR			13

struct msr_bitmap_range {
	uint32_t flags, nmsrs, base;
	uint8_t *bitmap;
};

struct kvm_x86_msr_filter {
	bool default_allow;
	int count;
	struct msr_bitmap_range ranges[KVM_MSR_FILTER_MAX_RANGES];
};

static void free_msr_filter(struct kvm_x86_msr_filter *f)
{
	if (!f)
		return;
	for (int i = 0; i < f->count; i++)
		free(f->ranges[i].bitmap);
	free(f);
}

void kvm_x86_msr_filter_free(struct kvm *kvm)
{
	free_msr_filter(kvm_x86_vm(kvm)->msr_filter);
	kvm_x86_vm(kvm)->msr_filter = NULL;
}

/* kvm_add_msr_filter: the bitmap is read in whole longs, as memdup_user does */
static int add_msr_filter(struct kvm_x86_msr_filter *f, const struct kvm_msr_filter_range *u)
{
	size_t size;
	uint8_t *bitmap;

	if (!u->nmsrs)
		return 0;
	if ((u->flags & ~KVM_MSR_FILTER_RANGE_VALID_MASK) || !u->flags)
		return -EINVAL;
	size = (u->nmsrs + 63) / 64 * 8;
	if (size > KVM_MSR_FILTER_MAX_BITMAP_SIZE)
		return -EINVAL;
	bitmap = malloc(size);
	if (!bitmap)
		return -ENOMEM;
	if (copy_from_user(bitmap, u->bitmap, size)) {
		free(bitmap);
		return -EFAULT;
	}
	f->ranges[f->count++] = (struct msr_bitmap_range){
		.flags = u->flags, .nmsrs = u->nmsrs, .base = u->base, .bitmap = bitmap,
	};
	return 0;
}

/* KVM_X86_SET_MSR_FILTER: replaces the VM's filter as a whole */
int kvm_vm_ioctl_set_msr_filter(struct kvm *kvm, void *arg)
{
	struct kvm_msr_filter u;
	struct kvm_x86_msr_filter *f;
	bool empty = true;
	int r;

	if (copy_from_user(&u, arg, sizeof(u)))
		return -EFAULT;
	if (u.flags & ~KVM_MSR_FILTER_VALID_MASK)
		return -EINVAL;
	for (int i = 0; i < KVM_MSR_FILTER_MAX_RANGES; i++)
		empty &= !u.ranges[i].nmsrs;
	if (empty && (u.flags & KVM_MSR_FILTER_DEFAULT_DENY))
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->default_allow = !(u.flags & KVM_MSR_FILTER_DEFAULT_DENY);
	for (int i = 0; i < KVM_MSR_FILTER_MAX_RANGES; i++) {
		r = add_msr_filter(f, &u.ranges[i]);
		if (r) {
			free_msr_filter(f);
			return r;
		}
	}
	free_msr_filter(kvm_x86_vm(kvm)->msr_filter);
	kvm_x86_vm(kvm)->msr_filter = f;
	return 0;
}

/* KVM_ENABLE_CAP(KVM_CAP_X86_USER_SPACE_MSR): which failures exit */
int kvm_enable_user_space_msr(struct kvm *kvm, uint64_t mask)
{
	if (mask & ~(uint64_t)KVM_MSR_EXIT_REASON_VALID_MASK)
		return -EINVAL;
	kvm_x86_vm(kvm)->user_space_msr_mask = mask;
	return 0;
}

/* kvm_msr_allowed: the first range holding idx for this access decides */
bool kvm_msr_allowed(struct kvm_vcpu *vcpu, uint32_t idx, uint32_t type)
{
	const struct kvm_x86_msr_filter *f = kvm_x86_vm(vcpu->kvm)->msr_filter;

	if ((idx >= 0x800 && idx <= 0x8ff) || !f)
		return true;
	for (int i = 0; i < f->count; i++) {
		const struct msr_bitmap_range *r = &f->ranges[i];

		if (idx >= r->base && idx - r->base < r->nmsrs && (r->flags & type)) {
			uint32_t bit = idx - r->base;

			return r->bitmap[bit / 8] >> (bit % 8) & 1;
		}
	}
	return f->default_allow;
}

static uint32_t kvm_msr_reason(int r)
{
	switch (r) {
	case KVM_MSR_RET_UNSUPPORTED:
		return KVM_MSR_EXIT_REASON_UNKNOWN;
	case KVM_MSR_RET_FILTERED:
		return KVM_MSR_EXIT_REASON_FILTER;
	default:
		return KVM_MSR_EXIT_REASON_INVAL;
	}
}

/* kvm_msr_user_space: does the VMM want this failure?  Then the exit. */
static bool kvm_msr_user_space(struct kvm_vcpu *vcpu, uint32_t idx, bool write,
			       uint64_t data, int r, uint64_t next_rip)
{
	struct kvm_run *run = vcpu->run;
	uint32_t reason = kvm_msr_reason(r);

	if (!(kvm_x86_vm(vcpu->kvm)->user_space_msr_mask & reason))
		return false;
	kvm_run_set_exit(vcpu, write ? KVM_EXIT_X86_WRMSR : KVM_EXIT_X86_RDMSR);
	run->msr.error = 0;
	memset(run->msr.pad, 0, sizeof(run->msr.pad));
	run->msr.reason = reason;
	run->msr.index = idx;
	run->msr.data = data;
	x86_state(vcpu)->msr_exit_pending = write ? KVM_EXIT_X86_WRMSR : KVM_EXIT_X86_RDMSR;
	x86_state(vcpu)->msr_exit_next_rip = next_rip;
	return true;
}

/*
 * kvm_emulate_rdmsr / kvm_emulate_wrmsr for the instruction whose next
 * RIP is next_rip: 0 to go on (done, or #GP delivered), 1 with an exit.
 */
int kvm_emulate_msr(struct kvm_vcpu *vcpu, bool write, uint64_t next_rip)
{
	uint32_t idx = (uint32_t)x86_reg_read(vcpu, UC_X86_REG_RCX);
	uint64_t v = ((uint64_t)(uint32_t)x86_reg_read(vcpu, UC_X86_REG_RDX) << 32) |
		     (uint32_t)x86_reg_read(vcpu, UC_X86_REG_RAX);
	struct sim_ev *ev;
	int r;

	if (!kvm_msr_allowed(vcpu, idx, write ? KVM_MSR_FILTER_WRITE : KVM_MSR_FILTER_READ))
		r = KVM_MSR_RET_FILTERED;
	else
		r = write ? kvm_set_msr_common(vcpu, idx, v) : kvm_get_msr_common(vcpu, idx, &v);
	if (r && kvm_msr_user_space(vcpu, idx, write, write ? v : 0, r, next_rip))
		return 1;
	if (r) {
		ev = sim_ev_begin(write ? "kvm_msr_write_ex" : "kvm_msr_read_ex");
		sim_ev_hex(ev, "msr", idx);
		sim_ev_end(ev);
		return kvm_inject_exception(vcpu, GP_VECTOR, true, 0, false);
	}
	if (!write) {
		x86_reg_write(vcpu, UC_X86_REG_RAX, (uint32_t)v);
		x86_reg_write(vcpu, UC_X86_REG_RDX, v >> 32);
	}
	x86_reg_write(vcpu, UC_X86_REG_RIP, next_rip);
	return 0;
}

/*
 * complete_fast_rdmsr / complete_fast_msr_access at the next KVM_RUN:
 * msr.error queues #GP (delivered as the guest is entered), otherwise a
 * read takes msr.data and the instruction is skipped.
 */
void kvm_complete_msr_exit(struct kvm_vcpu *vcpu)
{
	struct x86_vcpu_state *s = x86_state(vcpu);
	const struct kvm_run *run = vcpu->run;

	if (!s->msr_exit_pending)
		return;
	if (run->msr.error) {
		s->exception_pending = true;
		s->exception_nr = GP_VECTOR;
		s->exception_has_error = true;
		s->exception_error_code = 0;
	} else {
		if (s->msr_exit_pending == KVM_EXIT_X86_RDMSR) {
			x86_reg_write(vcpu, UC_X86_REG_RAX, (uint32_t)run->msr.data);
			x86_reg_write(vcpu, UC_X86_REG_RDX, run->msr.data >> 32);
		}
		x86_reg_write(vcpu, UC_X86_REG_RIP, s->msr_exit_next_rip);
	}
	s->msr_exit_pending = 0;
}
