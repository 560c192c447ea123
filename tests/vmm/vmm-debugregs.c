// SPDX-License-Identifier: MIT
/*
 * vmm-debugregs: KVM_GET_DEBUGREGS / KVM_SET_DEBUGREGS.
 *
 * Checks: KVM_CAP_DEBUGREGS; the reset values; bad input (EINVAL for
 * flags, for DR6 or DR7 with an upper bit set; EFAULT for NULL), nothing
 * changed by a refused set; a set that round-trips; the guest reading
 * DR0/DR6 as the VMM set them and writing DR1/DR3, which
 * KVM_GET_DEBUGREGS then shows.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm-lib.h"

#define RAM_SIZE	0x400000
#define PT_GPA		0x1000
#define GDT_GPA		0x4000
#define STACK_TOP	0x7000
#define CODE_GPA	0x8000

extern const char guest_dr_start[], guest_dr_end[];

static void show(struct vmm *v, const char *what)
{
	struct kvm_debugregs d;

	memset(&d, 0xee, sizeof(d));
	xioctl(v->vcpu_fd, KVM_GET_DEBUGREGS, &d);
	printf("%s: db=%llx %llx %llx %llx dr6=%llx dr7=%llx flags=%llx\n", what,
	       d.db[0], d.db[1], d.db[2], d.db[3], d.dr6, d.dr7, d.flags);
}

static void try_set(struct vmm *v, const char *what, const struct kvm_debugregs *d)
{
	int r = ioctl(v->vcpu_fd, KVM_SET_DEBUGREGS, d);

	printf("set_debugregs(%s): %s\n", what, r ? errno_name(errno) : "0");
}

int main(void)
{
	struct kvm_debugregs d;
	struct kvm_regs regs;
	struct vmm v;
	char *ram;
	int r;

	printf("# vmm-debugregs\n");
	vmm_open(&v);
	printf("check_extension(DEBUGREGS): %d\n",
	       ioctl(v.vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_DEBUGREGS));
	ram = vmm_alloc(RAM_SIZE);
	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_dr_start, guest_dr_end);
	vmm_setup_long_mode(&v, ram, PT_GPA, GDT_GPA);
	vmm_set_regs(&v, CODE_GPA, STACK_TOP);
	show(&v, "reset");

	memset(&d, 0, sizeof(d));
	d.dr6 = 0xffff0ff0;
	d.dr7 = 0x400;
	d.db[0] = 0x1111;
	d.flags = 1;
	try_set(&v, "flags 1", &d);
	d.flags = 0;
	d.dr6 = 1ull << 32 | 0xffff0ff0;
	try_set(&v, "dr6 bit 32", &d);
	d.dr6 = 0xffff0ff0;
	d.dr7 = 1ull << 63 | 0x400;
	try_set(&v, "dr7 bit 63", &d);
	r = ioctl(v.vcpu_fd, KVM_SET_DEBUGREGS, NULL);
	printf("set_debugregs(NULL): %s\n", r ? errno_name(errno) : "0");
	r = ioctl(v.vcpu_fd, KVM_GET_DEBUGREGS, NULL);
	printf("get_debugregs(NULL): %s\n", r ? errno_name(errno) : "0");
	show(&v, "after refused sets");

	d.dr7 = 0x400;
	d.db[0] = 0xdead0000;
	d.db[1] = 0x2222;
	d.db[2] = 0xffffffff80001000ull;
	d.db[3] = 0x4444;
	d.dr6 = 0xffff4ff1;
	try_set(&v, "valid", &d);
	show(&v, "after set");

	vmm_run(&v);
	vmm_get_regs(&v, &regs);
	printf("guest read: dr0=%llx dr6=%llx\n", regs.r8, regs.rbx);
	vmm_run(&v);
	show(&v, "after the guest");
	vmm_close(&v);
	return 0;
}
