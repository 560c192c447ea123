// SPDX-License-Identifier: MIT
/*
 * The host profile: KVM_CHECK_EXTENSION answered as the running kernel
 * answers it, so that a comparison with a native run compares like with
 * like.  The real /dev/kvm is asked once, at start-up, through libc's own
 * open and ioctl (not kvmsim's); nothing else ever reaches the real KVM.
 * Without a usable /dev/kvm every capability is 0, as a VMM would find.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm-model/kvm_host.h"
#include "kvm-model/profile.h"
#include "kvmsim/uapi_ext.h"
#include "posix/real.h"

#define HOST_NR_CAPS	512

REAL_DECL(int, open, const char *, int, ...);
REAL_DECL(int, ioctl, int, unsigned long, ...);
REAL_DECL(int, close, int);

static int host_caps[2][HOST_NR_CAPS];	/* [0] /dev/kvm, [1] a default VM */

static bool rflags_vm_dropped;
static bool cr4_probed;
static uint64_t host_cr4_reserved;

/*
 * The CR4 bits this host's KVM_SET_SREGS refuses on a fresh vCPU, one bit
 * at a time: KVM's cr4_reserved_bits (from the host CPU) and the vendor's
 * is_valid_cr4 together (PVM refuses PCIDE although the CPU has PCID).
 */
static void host_probe_cr4(int vcpu)
{
	struct kvm_sregs s;
	uint64_t cr4;

	if (REAL(ioctl)(vcpu, KVM_GET_SREGS, &s))
		return;
	cr4 = s.cr4;
	host_cr4_reserved = ~0xffffffffull;
	for (int b = 0; b < 32; b++) {
		s.cr4 = cr4 | 1ull << b;
		if (REAL(ioctl)(vcpu, KVM_SET_SREGS, &s))
			host_cr4_reserved |= 1ull << b;
	}
	s.cr4 = cr4;
	cr4_probed = !REAL(ioctl)(vcpu, KVM_SET_SREGS, &s);
}

/* What a vCPU of this host does that mainline does not (tests/diff/QUIRKS.md). */
static void host_probe_quirks(int vm)
{
	int vcpu = REAL(ioctl)(vm, KVM_CREATE_VCPU, 0);
	struct kvm_regs regs;

	if (vcpu < 0)
		return;
	if (!REAL(ioctl)(vcpu, KVM_GET_REGS, &regs)) {
		regs.rflags |= 1ull << 17;
		rflags_vm_dropped = !REAL(ioctl)(vcpu, KVM_SET_REGS, &regs) &&
				    !REAL(ioctl)(vcpu, KVM_GET_REGS, &regs) &&
				    !(regs.rflags & (1ull << 17));
	}
	host_probe_cr4(vcpu);
	REAL(close)(vcpu);
}

static void host_probe(void)
{
	int kvm = REAL(open)("/dev/kvm", O_RDWR | O_CLOEXEC), vm;

	if (kvm < 0)
		return;
	vm = REAL(ioctl)(kvm, KVM_CREATE_VM, 0);
	for (int c = 0; c < HOST_NR_CAPS; c++) {
		int dev = REAL(ioctl)(kvm, KVM_CHECK_EXTENSION, c);
		int in_vm = vm >= 0 ? REAL(ioctl)(vm, KVM_CHECK_EXTENSION, c) : dev;

		host_caps[0][c] = dev > 0 ? dev : 0;
		host_caps[1][c] = in_vm > 0 ? in_vm : 0;
	}
	if (vm >= 0)
		host_probe_quirks(vm);
	if (vm >= 0)
		REAL(close)(vm);
	REAL(close)(kvm);
}

int kvm_host_check_extension(bool vm, long ext)
{
	return ext >= 0 && ext < HOST_NR_CAPS ? host_caps[vm][ext] : 0;
}

/* False when no host vCPU could be probed. */
bool kvm_host_cr4_reserved_bits(uint64_t *rsvd)
{
	*rsvd = host_cr4_reserved;
	return cr4_probed;
}

/* The configuration rules the host's answers call for, added to rules. */
uint64_t kvm_host_probe_rules(uint64_t rules)
{
	if (!kvm_rule_bit(rules, RULE_HOST_CAPS))
		return rules;
	host_probe();
	if (!host_caps[0][KVM_CAP_GUEST_MEMFD])
		rules |= 1ull << RULE_NO_GUEST_MEMFD;
	if (!(host_caps[0][KVM_CAP_VM_TYPES] & (1 << KVM_X86_SW_PROTECTED_VM)))
		rules |= 1ull << RULE_NO_SW_PROTECTED_VM;
	if (rflags_vm_dropped)
		rules |= 1ull << RULE_RFLAGS_VM_DROPPED;
	return rules;
}
