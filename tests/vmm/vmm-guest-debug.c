// SPDX-License-Identifier: MIT
/*
 * vmm-guest-debug: KVM_SET_GUEST_DEBUG on x86 (a debugger's view).
 *
 * Checks: KVM_CAP_SET_GUEST_DEBUG and SET_GUEST_DEBUG2 (the flag mask);
 * bad input (EFAULT for a bad pointer, ENOTTY on the VM fd, EINVAL on
 * /dev/kvm; unknown control bits are accepted, as x86 KVM does); then,
 * each a KVM_EXIT_DEBUG with its exception, pc, dr6 and dr7:
 *  - USE_SW_BP: INT3 exits with exception 3 at the INT3; INJECT_BP gives
 *    the #BP back to the guest, whose handler sees RIP past the INT3;
 *  - USE_HW_BP execution breakpoint (DR2): at the instruction, again on
 *    the next KVM_RUN, suppressed once by RFLAGS.RF;
 *  - a write watchpoint (DR0, 4 bytes): after the store; a read/write
 *    one (DR1): after the load, the write-only one silent;
 *  - SINGLESTEP: after `xor`, after `cpuid` (emulated), an OUT exit and
 *    then the step's exit before the guest runs on, after `inc`;
 *  - DR7.GD in the host's DR7: a guest MOV from DR0 exits with DR6.BD;
 *  - the guest's own DR0 (KVM_SET_DEBUGREGS) is what its MOV reads while
 *    the host's DR0 differs;
 *  - INJECT_DB: queued (EBUSY while one is pending), delivered to the
 *    guest's #DB handler;
 *  - the guest's own TF (no host debugging): the #DB comes after the
 *    `cpuid` that follows the `popf`, DR6.BS set.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm-lib.h"

#define RAM_SIZE	0x400000
#define PT_GPA		0x1000
#define GDT_GPA		0x4000
#define IDT_GPA		0x5000
#define STACK_TOP	0x7000
#define CODE_GPA	0x8000

extern const char guest_gd_start[], guest_gd_end[];
extern const char gd_int3[], gd_bp[], gd_w[], gd_w_end[], gd_r_end[], gd_ss[];
extern const char gd_dr[], gd_dr_end[], gd_db_handler[], gd_bp_handler[], gd_data[], gd_tf[];

#define GA(sym)	(CODE_GPA + (uint64_t)((sym) - guest_gd_start))

static void set_debug(struct vmm *v, const char *what, uint32_t control,
		      int slot, uint64_t addr, uint64_t dr7)
{
	struct kvm_guest_debug d;
	int r;

	memset(&d, 0, sizeof(d));
	d.control = control;
	if (slot >= 0)
		d.arch.debugreg[slot] = addr;
	d.arch.debugreg[7] = dr7;
	r = ioctl(v->vcpu_fd, KVM_SET_GUEST_DEBUG, &d);
	printf("set_guest_debug(%s): %s\n", what, r ? errno_name(errno) : "0");
}

/* One KVM_RUN, and the debug exit's fields (pc as an offset into the code). */
static int run(struct vmm *v)
{
	int reason = vmm_run(v);
	const struct kvm_debug_exit_arch *d = &v->run->debug.arch;

	if (reason != KVM_EXIT_DEBUG)
		return reason;
	printf("  debug: exception=%u pc=code+0x%llx dr6=0x%llx", d->exception,
	       (unsigned long long)(d->pc - CODE_GPA), (unsigned long long)d->dr6);
	/* DR7's upper half is zero: anything else is a field the host left unfilled */
	if (d->dr7 >> 32)
		printf(" dr7=unfilled\n");
	else
		printf(" dr7=0x%llx\n", (unsigned long long)d->dr7);
	return reason;
}

static void set_rip(struct vmm *v, uint64_t rip, uint64_t rflags_or)
{
	struct kvm_regs regs;

	vmm_get_regs(v, &regs);
	regs.rip = rip;
	regs.rsp = STACK_TOP;
	regs.rflags |= rflags_or;
	xioctl(v->vcpu_fd, KVM_SET_REGS, &regs);
}

static void errors(struct vmm *v)
{
	struct kvm_guest_debug d;
	int r;

	memset(&d, 0, sizeof(d));
	r = ioctl(v->vcpu_fd, KVM_SET_GUEST_DEBUG, (void *)8);
	printf("set_guest_debug(bad pointer): %s\n", r ? errno_name(errno) : "0");
	r = ioctl(v->vm_fd, KVM_SET_GUEST_DEBUG, &d);
	printf("set_guest_debug(vm fd): %s\n", r ? errno_name(errno) : "0");
	r = ioctl(v->kvm_fd, KVM_SET_GUEST_DEBUG, &d);
	printf("set_guest_debug(/dev/kvm): %s\n", r ? errno_name(errno) : "0");
	set_debug(v, "unknown bit 30", KVM_GUESTDBG_ENABLE | 1u << 30, -1, 0, 0);
	set_debug(v, "off", 0, -1, 0, 0);
}

/* The guest's #DB/#BP handler reported the RIP it was entered for. */
static void handler_report(struct vmm *v)
{
	struct kvm_regs regs;

	vmm_get_regs(v, &regs);
	printf("  handler: vector=%llu return rip=code+0x%llx",
	       (unsigned long long)regs.rax, (unsigned long long)(regs.rbx - CODE_GPA));
	if (regs.rax == 1)
		printf(" dr6=0x%llx", (unsigned long long)regs.rcx);
	printf("\n");
}

int main(void)
{
	const uint32_t on = KVM_GUESTDBG_ENABLE;
	struct kvm_debugregs dr;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct vmm v;
	char *ram;

	printf("# vmm-guest-debug\n");
	vmm_open(&v);
	printf("check_extension(SET_GUEST_DEBUG): %d\n",
	       ioctl(v.vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_GUEST_DEBUG));
	printf("check_extension(SET_GUEST_DEBUG2): 0x%x\n",
	       ioctl(v.vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_GUEST_DEBUG2));
	ram = vmm_alloc(RAM_SIZE);
	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_gd_start, guest_gd_end);
	vmm_setup_long_mode(&v, ram, PT_GPA, GDT_GPA);
	vmm_set_idt_gate(ram + IDT_GPA, 1, GA(gd_db_handler));
	vmm_set_idt_gate(ram + IDT_GPA, 3, GA(gd_bp_handler));
	vmm_get_sregs(&v, &sregs);
	sregs.idt.base = IDT_GPA;
	sregs.idt.limit = 256 * 16 - 1;
	vmm_set_sregs(&v, &sregs);
	vmm_set_regs(&v, GA(gd_int3), STACK_TOP);
	errors(&v);

	printf("-- software breakpoint\n");
	set_debug(&v, "sw bp", on | KVM_GUESTDBG_USE_SW_BP, -1, 0, 0);
	run(&v);
	set_debug(&v, "sw bp + inject bp", on | KVM_GUESTDBG_USE_SW_BP | KVM_GUESTDBG_INJECT_BP,
		  -1, 0, 0);
	if (run(&v) == KVM_EXIT_IO)
		handler_report(&v);

	printf("-- execution breakpoint\n");
	set_rip(&v, GA(gd_bp), 0);
	set_debug(&v, "hw bp dr2", on | KVM_GUESTDBG_USE_HW_BP, 2, GA(gd_bp), 0x400 | 1u << 5);
	run(&v);
	run(&v);

	printf("-- write watchpoint, past the breakpoint with RF\n");
	set_rip(&v, GA(gd_bp), 1u << 16);
	{
		struct kvm_guest_debug d;
		int r;

		memset(&d, 0, sizeof(d));
		d.control = on | KVM_GUESTDBG_USE_HW_BP;
		d.arch.debugreg[0] = GA(gd_data);
		d.arch.debugreg[2] = GA(gd_bp);
		d.arch.debugreg[7] = 0x400 | 1u << 1 | 1u << 16 | 3u << 18 | 1u << 5;
		r = ioctl(v.vcpu_fd, KVM_SET_GUEST_DEBUG, &d);
		printf("set_guest_debug(dr0 write 4 bytes, dr2 execution): %s\n",
		       r ? errno_name(errno) : "0");
	}
	run(&v);

	printf("-- read/write watchpoint\n");
	set_rip(&v, GA(gd_w_end), 0);
	{
		struct kvm_guest_debug d;
		int r;

		memset(&d, 0, sizeof(d));
		d.control = on | KVM_GUESTDBG_USE_HW_BP;
		d.arch.debugreg[0] = GA(gd_data);
		d.arch.debugreg[1] = GA(gd_data);
		d.arch.debugreg[7] = 0x400 | 1u << 1 | 1u << 3 | 1u << 16 | 3u << 18 |
				     3u << 20 | 3u << 22;
		r = ioctl(v.vcpu_fd, KVM_SET_GUEST_DEBUG, &d);
		printf("set_guest_debug(dr0 write, dr1 read/write): %s\n",
		       r ? errno_name(errno) : "0");
	}
	run(&v);

	printf("-- single-step\n");
	set_rip(&v, GA(gd_ss), 0);
	set_debug(&v, "single-step", on | KVM_GUESTDBG_SINGLESTEP, -1, 0, 0x400);
	for (int i = 0; i < 5; i++)
		run(&v);

	printf("-- DR7.GD in the host's DR7\n");
	memset(&dr, 0, sizeof(dr));
	dr.db[0] = 0x1111;
	dr.dr6 = 0xffff0ff0;
	dr.dr7 = 0x400;
	xioctl(v.vcpu_fd, KVM_SET_DEBUGREGS, &dr);
	set_rip(&v, GA(gd_dr), 0);
	set_debug(&v, "gd", on | KVM_GUESTDBG_USE_HW_BP, 0, 0x4444, 0x400 | 1u << 13);
	run(&v);

	printf("-- the guest's own DR0 under the host's\n");
	set_rip(&v, GA(gd_dr), 0);
	set_debug(&v, "host dr0 0x4444", on | KVM_GUESTDBG_USE_HW_BP, 0, 0x4444, 0x400);
	if (run(&v) == KVM_EXIT_IO) {
		vmm_get_regs(&v, &regs);
		printf("  guest read dr0=0x%llx\n", (unsigned long long)regs.rax);
	}
	memset(&dr, 0xee, sizeof(dr));
	xioctl(v.vcpu_fd, KVM_GET_DEBUGREGS, &dr);
	printf("get_debugregs: db0=0x%llx dr7=0x%llx\n", dr.db[0], dr.dr7);

	printf("-- inject #DB\n");
	set_rip(&v, GA(gd_dr), 0);
	set_debug(&v, "inject db", KVM_GUESTDBG_INJECT_DB, -1, 0, 0);
	set_debug(&v, "inject db again", KVM_GUESTDBG_INJECT_DB, -1, 0, 0);
	if (run(&v) == KVM_EXIT_IO)
		handler_report(&v);

	printf("-- the guest's own RFLAGS.TF across cpuid\n");
	set_rip(&v, GA(gd_tf), 0);
	if (run(&v) == KVM_EXIT_IO)
		handler_report(&v);
	vmm_close(&v);
	return 0;
}
