// SPDX-License-Identifier: MIT
/*
 * vmm-fpu: KVM_GET_FPU / KVM_SET_FPU, and KVM_GET/SET_XCRS's bad input.
 *
 * Checks: the reset FPU (FCW 0x37f, empty tags, kvm_fpu.mxcsr 0: neither
 * ioctl touches MXCSR); a set that round-trips every legacy field (x87
 * registers, FCW, FSW, abridged tag, FOP, FIP, FDP, XMM0-15) and leaves
 * MXCSR as it was (KVM_GET_XSAVE's legacy area agrees); the guest seeing
 * the XMM registers set; EFAULT for NULL; ENOTTY on the VM fd.  XCRS:
 * EFAULT for NULL, EINVAL for flags or more than 16 registers (the
 * register count and the capability are the CPU's: see
 * tests/vmm/README.md).
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

extern const char guest_fpu_start[], guest_fpu_end[];

static void hexln(const char *name, const void *buf, size_t len)
{
	printf("%s", name);
	print_hex(buf, len);
	printf("\n");
}

static void show(struct vmm *v, const char *what)
{
	struct kvm_fpu f;

	memset(&f, 0xee, sizeof(f));
	xioctl(v->vcpu_fd, KVM_GET_FPU, &f);
	printf("%s: fcw=%x fsw=%x ftwx=%x fop=%x fip=%llx fdp=%llx mxcsr=%x\n", what,
	       f.fcw, f.fsw, f.ftwx, f.last_opcode, f.last_ip, f.last_dp, f.mxcsr);
	hexln("  st0=", f.fpr[0], 10);
	hexln("  st7=", f.fpr[7], 10);
	hexln("  xmm3=", f.xmm[3], 16);
	hexln("  xmm15=", f.xmm[15], 16);
	printf("  pad1=%x pad2=%x\n", f.pad1, f.pad2);
}

static void show_xsave_legacy(struct vmm *v)
{
	struct kvm_xsave xs;
	uint32_t mxcsr;
	uint16_t fcw;

	xioctl(v->vcpu_fd, KVM_GET_XSAVE, &xs);
	memcpy(&fcw, (char *)xs.region, 2);
	memcpy(&mxcsr, (char *)xs.region + 24, 4);
	printf("xsave: fcw=%x mxcsr=%x", fcw, mxcsr);
	hexln(" xmm3=", (char *)xs.region + 160 + 3 * 16, 16);
}

static const char *res(int r)
{
	return r < 0 ? errno_name(errno) : "0";
}

int main(void)
{
	struct kvm_xcrs xcrs;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_fpu f;
	struct vmm v;
	char *ram;
	int r;

	printf("# vmm-fpu\n");
	vmm_open(&v);
	ram = vmm_alloc(RAM_SIZE);
	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_fpu_start, guest_fpu_end);
	vmm_setup_long_mode(&v, ram, PT_GPA, GDT_GPA);
	vmm_set_regs(&v, CODE_GPA, STACK_TOP);
	/* CR4.OSFXSR: SSE instructions are #UD without it */
	vmm_get_sregs(&v, &sregs);
	sregs.cr4 |= 1ull << 9;
	vmm_set_sregs(&v, &sregs);
	show(&v, "reset");

	printf("get_fpu(NULL): %s\n", res(ioctl(v.vcpu_fd, KVM_GET_FPU, NULL)));
	printf("set_fpu(NULL): %s\n", res(ioctl(v.vcpu_fd, KVM_SET_FPU, NULL)));
	printf("get_fpu on the VM fd: %s\n", res(ioctl(v.vm_fd, KVM_GET_FPU, &f)));

	memset(&f, 0, sizeof(f));
	f.fcw = 0x27f;
	f.fsw = 0x3800;		/* TOP = 7 */
	f.ftwx = 0x81;
	f.last_opcode = 0x1d9;
	f.last_ip = 0x123456789aull;
	f.last_dp = 0xabcdef0ull;
	for (int i = 0; i < 10; i++) {
		f.fpr[0][i] = 0x10 + i;
		f.fpr[7][i] = 0x70 + i;
	}
	f.fpr[0][9] = 0x3f;
	f.fpr[7][9] = 0x40;
	for (int i = 0; i < 16; i++) {
		f.xmm[3][i] = 0x30 + i;
		f.xmm[15][i] = 0xf0 + i;
	}
	f.mxcsr = 0x1234;
	f.pad1 = 0x55;
	f.pad2 = 0x66;
	printf("set_fpu: %s\n", res(ioctl(v.vcpu_fd, KVM_SET_FPU, &f)));
	show(&v, "after set");
	show_xsave_legacy(&v);

	vmm_run(&v);
	vmm_get_regs(&v, &regs);
	printf("guest: xmm3.lo=%llx xmm15.lo=%llx\n", regs.rax, regs.rbx);

	printf("get_xcrs(NULL): %s\n", res(ioctl(v.vcpu_fd, KVM_GET_XCRS, NULL)));
	printf("set_xcrs(NULL): %s\n", res(ioctl(v.vcpu_fd, KVM_SET_XCRS, NULL)));
	memset(&xcrs, 0, sizeof(xcrs));
	xcrs.flags = 1;
	xcrs.nr_xcrs = 1;
	xcrs.xcrs[0].value = 3;
	printf("set_xcrs(flags 1): %s\n", res(ioctl(v.vcpu_fd, KVM_SET_XCRS, &xcrs)));
	xcrs.flags = 0;
	xcrs.nr_xcrs = 17;
	printf("set_xcrs(17 registers): %s\n", res(ioctl(v.vcpu_fd, KVM_SET_XCRS, &xcrs)));
	memset(&xcrs, 0xee, sizeof(xcrs));
	r = ioctl(v.vcpu_fd, KVM_GET_XCRS, &xcrs);	/* before reading flags */
	printf("get_xcrs: %s flags=%x\n", res(r), xcrs.flags);
	printf("get_xcrs on the VM fd: %s\n", res(ioctl(v.vm_fd, KVM_GET_XCRS, &xcrs)));
	vmm_close(&v);
	return 0;
}
