// SPDX-License-Identifier: MIT
/*
 * vmm-msr-filter: KVM_X86_SET_MSR_FILTER and KVM_CAP_X86_USER_SPACE_MSR.
 *
 * Checks: both capabilities; bad input (EINVAL for an unknown exit-reason
 * bit, unknown filter flags, a default-deny filter without ranges, a
 * range without flags or with unknown ones, a bitmap past 0x600 bytes;
 * EFAULT for a NULL filter or bitmap); with reasons FILTER and UNKNOWN:
 * a denied RDMSR exits KVM_EXIT_X86_RDMSR (reason, index, RIP on the
 * instruction) and takes msr.data, a denied WRMSR exits with its data and
 * msr.error raises #GP, an unknown MSR exits with reason UNKNOWN both
 * ways, a refused value (INVAL not asked for) is #GP without an exit,
 * allowed accesses stay in the kernel; the host's KVM_GET_MSRS is not
 * filtered.  Prints every exit and the values the guest saw.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm-lib.h"

#define RAM_SIZE	0x400000
#define PT_GPA		0x1000
#define GDT_GPA		0x4000
#define STACK_TOP	0x7000
#define CODE_GPA	0x8000
#define IDT_GPA		0xa000
#define DATA_GPA	0x200000

extern const char guest_msr_start[], guest_msr_end[], guest_msr_gp[];

static uint8_t deny[8];

static void set_filter(struct vmm *v, const char *what, const struct kvm_msr_filter *f)
{
	int r = ioctl(v->vm_fd, KVM_X86_SET_MSR_FILTER, f);

	printf("set_msr_filter(%s): %s\n", what, r ? errno_name(errno) : "0");
}

static void bad_filters(struct vmm *v)
{
	struct kvm_msr_filter f;
	struct kvm_msr_filter_range one = {
		.flags = KVM_MSR_FILTER_READ, .nmsrs = 1, .base = 0x10, .bitmap = deny,
	};
	uint8_t *big = calloc(1, 0x700);
	int r;

	memset(&f, 0, sizeof(f));
	f.flags = 2;
	set_filter(v, "flags 2", &f);
	f.flags = KVM_MSR_FILTER_DEFAULT_DENY;
	set_filter(v, "deny, no ranges", &f);
	f.flags = KVM_MSR_FILTER_DEFAULT_ALLOW;
	f.ranges[0] = one;
	f.ranges[0].flags = 0;
	set_filter(v, "range flags 0", &f);
	f.ranges[0].flags = 4;
	set_filter(v, "range flags 4", &f);
	f.ranges[0] = one;
	f.ranges[0].bitmap = big;
	f.ranges[0].nmsrs = 0x600 * 8 + 1;
	set_filter(v, "bitmap of 0x601 bytes", &f);
	f.ranges[0].nmsrs = 0x600 * 8;
	set_filter(v, "bitmap of 0x600 bytes", &f);
	f.ranges[0] = one;
	f.ranges[0].bitmap = NULL;
	set_filter(v, "NULL bitmap", &f);
	r = ioctl(v->vm_fd, KVM_X86_SET_MSR_FILTER, NULL);
	printf("set_msr_filter(NULL): %s\n", r ? errno_name(errno) : "0");
	free(big);
}

static void enable(struct vmm *v, uint64_t mask)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_X86_USER_SPACE_MSR, .args = { mask } };
	int r = ioctl(v->vm_fd, KVM_ENABLE_CAP, &cap);

	printf("enable_cap(X86_USER_SPACE_MSR, 0x%llx): %s\n", (unsigned long long)mask,
	       r ? errno_name(errno) : "0");
}

static void host_read(struct vmm *v, uint32_t idx)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = idx };
	int r = ioctl(v->vcpu_fd, KVM_GET_MSRS, &m);

	printf("KVM_GET_MSRS(0x%x): %d data=0x%llx\n", idx, r, (unsigned long long)m.e.data);
}

int main(void)
{
	struct kvm_msr_filter f = { .flags = KVM_MSR_FILTER_DEFAULT_ALLOW };
	struct kvm_sregs sregs;
	uint32_t *data;
	struct vmm v;
	char *ram;

	printf("# vmm-msr-filter\n");
	vmm_open(&v);
	printf("check_extension(X86_USER_SPACE_MSR): %d, X86_MSR_FILTER: %d\n",
	       ioctl(v.vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_USER_SPACE_MSR),
	       ioctl(v.vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_MSR_FILTER));
	ram = vmm_alloc(RAM_SIZE);
	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_msr_start, guest_msr_end);
	vmm_setup_long_mode(&v, ram, PT_GPA, GDT_GPA);
	vmm_set_idt_gate(ram + IDT_GPA, 13, CODE_GPA + (guest_msr_gp - guest_msr_start));
	vmm_get_sregs(&v, &sregs);
	sregs.idt.base = IDT_GPA;
	sregs.idt.limit = 16 * 32 - 1;
	vmm_set_sregs(&v, &sregs);
	vmm_set_regs(&v, CODE_GPA, STACK_TOP);

	enable(&v, 1 << 3);
	enable(&v, KVM_MSR_EXIT_REASON_FILTER | KVM_MSR_EXIT_REASON_UNKNOWN);
	bad_filters(&v);
	f.ranges[0] = (struct kvm_msr_filter_range){
		.flags = KVM_MSR_FILTER_READ, .nmsrs = 1, .base = 0xc0000084, .bitmap = deny,
	};
	f.ranges[1] = (struct kvm_msr_filter_range){
		.flags = KVM_MSR_FILTER_WRITE, .nmsrs = 1, .base = 0x1fc, .bitmap = deny,
	};
	set_filter(&v, "SFMASK reads, POWER_CTL writes denied", &f);
	host_read(&v, 0xc0000084);

	for (int i = 0; i < 16; i++) {
		int r = vmm_run(&v);

		if (r == KVM_EXIT_X86_RDMSR || r == KVM_EXIT_X86_WRMSR) {
			printf("  msr: reason=%u index=0x%x data=0x%llx\n", v.run->msr.reason,
			       v.run->msr.index, (unsigned long long)v.run->msr.data);
			if (r == KVM_EXIT_X86_RDMSR)
				v.run->msr.data = 0x1122334455667788ull + v.run->msr.index;
			else
				v.run->msr.error = v.run->msr.index == 0x1fc;
			continue;
		}
		if (r != KVM_EXIT_IO)
			break;
	}
	data = (uint32_t *)(ram + DATA_GPA);
	printf("SFMASK read 0x%x%08x, unknown read 0x%x%08x, POWER_CTL read 0x%x%08x\n",
	       data[1], data[0], data[3], data[2], data[5], data[4]);
	host_read(&v, 0xc0000084);
	vmm_close(&v);
	return 0;
}
