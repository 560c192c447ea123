// SPDX-License-Identifier: MIT
/*
 * vmm-emulation-failure: an instruction KVM's emulator cannot run (an x87
 * load from MMIO), without and with KVM_CAP_EXIT_ON_EMULATION_FAILURE.
 *
 * Checks: at CPL 0 without the capability, KVM_EXIT_INTERNAL_ERROR with
 * suberror KVM_INTERNAL_ERROR_EMULATION, the instruction-bytes flag and
 * the first bytes (d9 00), RIP on the instruction, and the #UD KVM queued
 * arrives through the guest's IDT at the next KVM_RUN; the same exit
 * followed by a KVM_SET_REGS (skipping the instruction) drops the #UD.
 * KVM_ENABLE_CAP(KVM_CAP_EXIT_ON_EMULATION_FAILURE) refuses args[0] = 2
 * and flags = 1 (EINVAL), takes 1: the same exit, no #UD after it; fnstcw
 * to MMIO is emulated (an MMIO write exit).  Prints every exit.
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
#define IDT_GPA		0xa000

extern const char guest_emul_start[], guest_emul_end[], guest_emul_ud[];

static void print_failure(struct vmm *v)
{
	const struct kvm_run *run = v->run;

	if (run->exit_reason != KVM_EXIT_INTERNAL_ERROR)
		return;
	printf("  suberror=%u flags=0x%llx ndata>=3:%d insn_size>=2:%d insn=%02x %02x\n",
	       run->emulation_failure.suberror,
	       (unsigned long long)run->emulation_failure.flags,
	       run->emulation_failure.ndata >= 3, run->emulation_failure.insn_size >= 2,
	       run->emulation_failure.insn_bytes[0], run->emulation_failure.insn_bytes[1]);
}

static void skip_insn(struct vmm *v, int len)
{
	struct kvm_regs r;

	vmm_get_regs(v, &r);
	r.rip += len;
	xioctl(v->vcpu_fd, KVM_SET_REGS, &r);
	printf("  rip += %d\n", len);
}

static void enable(struct vmm *v, uint64_t arg, uint32_t flags)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_EXIT_ON_EMULATION_FAILURE, .flags = flags, .args = { arg },
	};
	int r = ioctl(v->vm_fd, KVM_ENABLE_CAP, &cap);

	printf("enable_cap(EXIT_ON_EMULATION_FAILURE, %llu, flags %u): %d %s\n",
	       (unsigned long long)arg, flags, r, r ? errno_name(errno) : "");
}

int main(void)
{
	struct kvm_sregs sregs;
	struct vmm v;
	char *ram;

	printf("# vmm-emulation-failure\n");
	vmm_open(&v);
	printf("check_extension(EXIT_ON_EMULATION_FAILURE): %d\n",
	       ioctl(v.vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_EXIT_ON_EMULATION_FAILURE));
	ram = vmm_alloc(RAM_SIZE);
	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_emul_start, guest_emul_end);
	vmm_setup_long_mode(&v, ram, PT_GPA, GDT_GPA);
	vmm_set_idt_gate(ram + IDT_GPA, 6, CODE_GPA + (guest_emul_ud - guest_emul_start));
	vmm_get_sregs(&v, &sregs);
	sregs.idt.base = IDT_GPA;
	sregs.idt.limit = 16 * 32 - 1;
	vmm_set_sregs(&v, &sregs);
	vmm_set_regs(&v, CODE_GPA, STACK_TOP);

	/* without the capability: the exit, then the queued #UD */
	vmm_run(&v);
	print_failure(&v);
	vmm_run(&v);		/* the #UD handler's in $0x06 */
	vmm_run(&v);		/* in $0x10 */
	/* the same, skipped with KVM_SET_REGS: no #UD */
	vmm_run(&v);
	print_failure(&v);
	skip_insn(&v, 2);
	vmm_run(&v);		/* in $0x11 */

	enable(&v, 2, 0);
	enable(&v, 1, 1);
	enable(&v, 1, 0);
	vmm_run(&v);
	print_failure(&v);
	skip_insn(&v, 2);
	vmm_run(&v);		/* in $0x12 */
	vmm_run(&v);		/* fnstcw: an MMIO write */
	vmm_run(&v);		/* hlt */
	vmm_close(&v);
	return 0;
}
