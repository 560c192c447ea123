// SPDX-License-Identifier: MIT
/*
 * vmm-pio-regs: a VMM that reads and writes the registers back between
 * a port I/O exit and the next KVM_RUN, as QEMU does whenever a device
 * model synchronizes the vCPU state.
 *
 * Checks: KVM_GET_REGS + KVM_SET_REGS (unchanged) after an OUT exit does
 * not make the guest run the OUT again (the next exit is the next OUT:
 * KVM completes the instruction while the linear RIP is the same); after
 * an IN exit, the data supplied is merged into RAX as KVM_SET_REGS left
 * it (the upper bytes set by the VMM, AL from the device); an OUT to port
 * 0x7e (KVM_X86_QUIRK_OUT_7E_INC_RIP, on by default) exits with RIP
 * already past it, and moving RIP back with KVM_SET_REGS re-runs it.
 */
#include <stdio.h>

#include "vmm-lib.h"

#define RAM_SIZE	0x400000
#define PT_GPA		0x1000
#define GDT_GPA		0x4000
#define STACK_TOP	0x7000
#define CODE_GPA	0x8000

extern const char guest_pio_start[], guest_pio_end[];

static void sync_regs(struct vmm *v, uint64_t rax_or, int64_t rip_delta)
{
	struct kvm_regs regs;

	vmm_get_regs(v, &regs);
	regs.rax |= rax_or;
	regs.rip += rip_delta;
	xioctl(v->vcpu_fd, KVM_SET_REGS, &regs);
	printf("  KVM_GET_REGS + KVM_SET_REGS: rax|=0x%llx rip%+lld\n",
	       (unsigned long long)rax_or, (long long)rip_delta);
}

static void expect(struct vmm *v, uint16_t port)
{
	if (vmm_run(v) != KVM_EXIT_IO || v->run->io.port != port)
		fatal("expected port I/O on 0x%x", port);
}

int main(void)
{
	struct vmm v;
	uint8_t in = 0x55;
	char *ram;

	printf("# vmm-pio-regs\n");
	vmm_open(&v);
	ram = vmm_alloc(RAM_SIZE);
	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_pio_start, guest_pio_end);
	vmm_setup_long_mode(&v, ram, PT_GPA, GDT_GPA);
	vmm_set_regs(&v, CODE_GPA, STACK_TOP);
	expect(&v, 0x10);
	sync_regs(&v, 0, 0);
	expect(&v, 0x10);		/* 0x22: the first OUT completed */
	sync_regs(&v, 0, 0);
	expect(&v, 0x11);
	vmm_supply_in(&v, &in, 1);
	sync_regs(&v, 0xab0000, 0);
	expect(&v, 0x12);
	expect(&v, 0x7e);
	sync_regs(&v, 0, -3);		/* back onto the OUT (66 e7 7e): it runs again */
	expect(&v, 0x7e);
	if (vmm_run(&v) != KVM_EXIT_HLT)
		fatal("expected hlt");
	vmm_print_regs(&v);
	vmm_close(&v);
	return 0;
}
