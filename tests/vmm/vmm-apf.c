// SPDX-License-Identifier: MIT
/*
 * vmm-apf: the async page fault uAPI, one line per probe.
 *
 * KVM_CHECK_EXTENSION for KVM_CAP_ASYNC_PF (59), KVM_CAP_ASYNC_PF_INT
 * (183) and KVM_CAP_IRQCHIP; the KVM leaves of KVM_GET_SUPPORTED_CPUID
 * (the signature, and the async-PF bits of 0x40000001: this host reports
 * more PV features, which kvmsim does not model, so only bits 4, 10, 14
 * and 15 are printed); KVM_CREATE_IRQCHIP (twice, and after a vCPU); and
 * MSR_KVM_ASYNC_PF_EN / _INT / _ACK written and read back through
 * KVM_SET_MSRS / KVM_GET_MSRS, without and with the in-kernel LAPIC:
 * reserved bits, a vector above 8 bits, an area outside every memslot,
 * enabling without interrupt delivery, and a two-entry KVM_SET_MSRS that
 * stops at the refused entry.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm-lib.h"

#define MSR_KVM_ASYNC_PF_EN	0x4b564d02
#define MSR_KVM_ASYNC_PF_INT	0x4b564d06
#define MSR_KVM_ASYNC_PF_ACK	0x4b564d07
#define AREA_GPA		0x100000ull

struct msrs2 {
	struct kvm_msrs hdr;
	struct kvm_msr_entry e[2];
};

static const char *msr_name(uint32_t msr)
{
	return msr == MSR_KVM_ASYNC_PF_EN ? "ASYNC_PF_EN" :
	       msr == MSR_KVM_ASYNC_PF_INT ? "ASYNC_PF_INT" : "ASYNC_PF_ACK";
}

static uint64_t get_msr(int vcpu_fd, uint32_t msr)
{
	struct msrs2 m = { .hdr.nmsrs = 1, .e[0].index = msr };

	if (ioctl(vcpu_fd, KVM_GET_MSRS, &m) != 1)
		return ~0ull;
	return m.e[0].data;
}

static void set_msr(int vcpu_fd, uint32_t msr, uint64_t val)
{
	struct msrs2 m = { .hdr.nmsrs = 1, .e[0] = { .index = msr, .data = val } };
	int r = ioctl(vcpu_fd, KVM_SET_MSRS, &m);

	printf("  set %s = %#llx: %d, reads back %#llx\n", msr_name(msr),
	       (unsigned long long)val, r, (unsigned long long)get_msr(vcpu_fd, msr));
}

static void probe_cpuid(int kvm_fd)
{
	static struct {
		struct kvm_cpuid2 hdr;
		struct kvm_cpuid_entry2 e[256];
	} c = { .hdr.nent = 256 };

	xioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, &c);
	for (unsigned int i = 0; i < c.hdr.nent; i++) {
		struct kvm_cpuid_entry2 *e = &c.e[i];

		if (e->function == 0x40000000)
			printf("cpuid 0x40000000: eax %#x ebx %#x ecx %#x edx %#x\n",
			       e->eax, e->ebx, e->ecx, e->edx);
		if (e->function == 0x40000001)
			printf("cpuid 0x40000001: ASYNC_PF %u ASYNC_PF_VMEXIT %u "
			       "ASYNC_PF_INT %u ASYNC_PF_ERROR %u\n", (e->eax >> 4) & 1,
			       (e->eax >> 10) & 1, (e->eax >> 14) & 1, (e->eax >> 15) & 1);
	}
}

static void probe_msrs(int vcpu_fd)
{
	struct msrs2 two = { .hdr.nmsrs = 2,
			     .e = { { .index = MSR_KVM_ASYNC_PF_INT, .data = 0xee },
				    { .index = MSR_KVM_ASYNC_PF_INT, .data = 0x100 } } };

	set_msr(vcpu_fd, MSR_KVM_ASYNC_PF_INT, 0xec);
	set_msr(vcpu_fd, MSR_KVM_ASYNC_PF_INT, 0x1ec);
	set_msr(vcpu_fd, MSR_KVM_ASYNC_PF_EN, AREA_GPA | 0x29);
	set_msr(vcpu_fd, MSR_KVM_ASYNC_PF_EN, AREA_GPA | 0x19);
	set_msr(vcpu_fd, MSR_KVM_ASYNC_PF_EN, 0x5000000ull | 0x9);
	set_msr(vcpu_fd, MSR_KVM_ASYNC_PF_EN, AREA_GPA | 0x1);
	set_msr(vcpu_fd, MSR_KVM_ASYNC_PF_EN, AREA_GPA | 0xb);
	set_msr(vcpu_fd, MSR_KVM_ASYNC_PF_EN, AREA_GPA | 0xf);
	set_msr(vcpu_fd, MSR_KVM_ASYNC_PF_EN, 0);
	set_msr(vcpu_fd, MSR_KVM_ASYNC_PF_ACK, 1);
	set_msr(vcpu_fd, MSR_KVM_ASYNC_PF_ACK, 2);
	int r = ioctl(vcpu_fd, KVM_SET_MSRS, &two);

	printf("  KVM_SET_MSRS {INT = 0xee, INT = 0x100}: %d, INT reads back %#llx\n", r,
	       (unsigned long long)get_msr(vcpu_fd, MSR_KVM_ASYNC_PF_INT));
}

static void probe_vm(int kvm_fd, int irqchip)
{
	int vm_fd = xioctl(kvm_fd, KVM_CREATE_VM, 0), vcpu_fd, r;
	void *mem = vmm_alloc(0x1000);
	struct kvm_userspace_memory_region slot = {
		.slot = 0, .guest_phys_addr = AREA_GPA, .memory_size = 0x1000,
		.userspace_addr = (uint64_t)mem,
	};

	printf("VM %s the in-kernel LAPIC:\n", irqchip ? "with" : "without");
	xioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &slot);
	if (irqchip) {
		r = ioctl(vm_fd, KVM_CREATE_IRQCHIP, 0);
		printf("  KVM_CREATE_IRQCHIP: %d\n", r);
		r = ioctl(vm_fd, KVM_CREATE_IRQCHIP, 0);
		printf("  KVM_CREATE_IRQCHIP again: %d %s\n", r, r < 0 ? errno_name(errno) : "");
	}
	vcpu_fd = xioctl(vm_fd, KVM_CREATE_VCPU, 0);
	probe_msrs(vcpu_fd);
	if (!irqchip) {
		r = ioctl(vm_fd, KVM_CREATE_IRQCHIP, 0);
		printf("  KVM_CREATE_IRQCHIP after KVM_CREATE_VCPU: %d %s\n", r,
		       r < 0 ? errno_name(errno) : "");
	}
	close(vcpu_fd);
	close(vm_fd);
}

int main(void)
{
	struct vmm v;
	int kvm_fd;

	vmm_open(&v);
	kvm_fd = v.kvm_fd;

	printf("KVM_CAP_ASYNC_PF %d KVM_CAP_ASYNC_PF_INT %d KVM_CAP_IRQCHIP %d\n",
	       ioctl(kvm_fd, KVM_CHECK_EXTENSION, 59),
	       ioctl(kvm_fd, KVM_CHECK_EXTENSION, 183),
	       ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP));
	probe_cpuid(kvm_fd);
	probe_vm(kvm_fd, 0);
	probe_vm(kvm_fd, 1);
	return 0;
}
