// SPDX-License-Identifier: MIT
/*
 * vmm-sync-regs: KVM_CAP_SYNC_REGS, the register sets exchanged through
 * kvm_run->s.regs around KVM_RUN.
 *
 * Checks: the capability's value (the valid fields); a bit outside them
 * in kvm_valid_regs or kvm_dirty_regs fails KVM_RUN with EINVAL, and the
 * valid sets named are still stored; stored regs/sregs/events equal what
 * KVM_GET_REGS/SREGS/VCPU_EVENTS say; a dirty set is loaded and its bit
 * cleared; a refused dirty sregs (CR4.PAE clear in long mode) or events
 * (exception vector 255) fails with EINVAL and keeps its bit, after the
 * sets before it were loaded; without valid bits s.regs is left alone.
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

#define ALL_SYNC	(KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS | KVM_SYNC_X86_EVENTS)

extern const char guest_sync_start[], guest_sync_end[];

static int run_sync(struct vmm *v, const char *what, uint64_t valid, uint64_t dirty)
{
	int r;

	v->run->kvm_valid_regs = valid;
	v->run->kvm_dirty_regs = dirty;
	r = ioctl(v->vcpu_fd, KVM_RUN, 0);
	v->nr_runs++;
	printf("%s: valid=%llx dirty=%llx -> %s", what, (unsigned long long)valid,
	       (unsigned long long)dirty, r ? errno_name(errno) : "0");
	if (!r)
		printf(" exit=%s", exit_reason_name(v->run->exit_reason));
	printf(", dirty after=%llx\n", (unsigned long long)v->run->kvm_dirty_regs);
	return r;
}

static void show_sync(struct vmm *v, const char *what)
{
	struct kvm_sync_regs *s = &v->run->s.regs;

	printf("%s: rip=%llx rbx=%llx cr0=%llx cr4=%llx efer=%llx cs=%x events.flags=%x\n",
	       what, s->regs.rip, s->regs.rbx, s->sregs.cr0, s->sregs.cr4,
	       s->sregs.efer, s->sregs.cs.selector, s->events.flags);
}

/* the stored sets equal what the ioctls report */
static void compare(struct vmm *v)
{
	struct kvm_sync_regs *s = &v->run->s.regs;
	struct kvm_vcpu_events ev;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	vmm_get_regs(v, &regs);
	vmm_get_sregs(v, &sregs);
	xioctl(v->vcpu_fd, KVM_GET_VCPU_EVENTS, &ev);
	printf("compare: regs %s, sregs %s, events %s\n",
	       memcmp(&regs, &s->regs, sizeof(regs)) ? "differ" : "same",
	       memcmp(&sregs, &s->sregs, sizeof(sregs)) ? "differ" : "same",
	       memcmp(&ev, &s->events, sizeof(ev)) ? "differ" : "same");
}

static void poison(struct vmm *v)
{
	memset(&v->run->s.regs, 0xee, sizeof(v->run->s.regs));
}

int main(void)
{
	struct kvm_sync_regs *s;
	struct kvm_vcpu_events ev;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct vmm v;
	char *ram;
	int cap;

	printf("# vmm-sync-regs\n");
	vmm_open(&v);
	cap = ioctl(v.vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS);
	printf("check_extension(SYNC_REGS): %d\n", cap);
	ram = vmm_alloc(RAM_SIZE);
	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_sync_start, guest_sync_end);
	vmm_setup_long_mode(&v, ram, PT_GPA, GDT_GPA);
	vmm_set_regs(&v, CODE_GPA, STACK_TOP);
	s = &v.run->s.regs;

	/* bits outside the valid fields: EINVAL before anything runs */
	poison(&v);
	run_sync(&v, "valid bit 31", 0x80000000u, 0);
	run_sync(&v, "dirty bit 31", 0, 0x80000000u);
	run_sync(&v, "valid bit 3", 1u << 3, 0);
	run_sync(&v, "dirty all|bit 3", 0, ALL_SYNC | 1u << 3);
	printf("s.regs untouched: %s\n", s->regs.rip == 0xeeeeeeeeeeeeeeeeull ? "yes" : "no");
	/* the named valid sets are stored even so */
	run_sync(&v, "valid regs|bit 31", KVM_SYNC_X86_REGS | 0x80000000u, 0);
	show_sync(&v, "stored by the refused run");
	vmm_get_regs(&v, &regs);
	printf("guest rip=%llx rbx=%llx\n", regs.rip, regs.rbx);

	/* a run storing all three */
	poison(&v);
	run_sync(&v, "valid all", ALL_SYNC, 0);
	show_sync(&v, "stored");
	/* the fields only: padding and other interrupt_bitmap bits are left */
	printf("stored gdt.padding[0]=%x idt.padding[2]=%x interrupt_bitmap[0]=%llx\n",
	       s->sregs.gdt.padding[0], s->sregs.idt.padding[2], s->sregs.interrupt_bitmap[0]);
	compare(&v);
	memset(s->sregs.interrupt_bitmap, 0, sizeof(s->sregs.interrupt_bitmap));
	memset(s->sregs.gdt.padding, 0, sizeof(s->sregs.gdt.padding));
	memset(s->sregs.idt.padding, 0, sizeof(s->sregs.idt.padding));
	compare(&v);

	/* dirty regs: loaded, bit cleared */
	s->regs.rbx = 0x1000;
	run_sync(&v, "dirty regs", ALL_SYNC, KVM_SYNC_X86_REGS);
	show_sync(&v, "after dirty regs");
	compare(&v);

	/* valid and dirty clear: s.regs kept, the guest's own registers used */
	s->regs.rbx = 0xaaaa;
	vmm_get_regs(&v, &regs);
	regs.rbx = 0xbac0;
	xioctl(v.vcpu_fd, KVM_SET_REGS, &regs);
	run_sync(&v, "none", 0, 0);
	printf("s.regs.rbx=%llx\n", s->regs.rbx);
	vmm_get_regs(&v, &regs);
	printf("guest rbx=%llx\n", regs.rbx);

	/* dirty sregs with CR4.PAE clear in long mode: refused after the regs were loaded */
	run_sync(&v, "valid all", ALL_SYNC, 0);
	s->regs.rbx = 0x2000;
	s->sregs.cr4 &= ~CR4_PAE;
	run_sync(&v, "dirty regs+bad sregs", 0, KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS);
	vmm_get_regs(&v, &regs);
	printf("guest rbx=%llx\n", regs.rbx);
	s->sregs.cr4 |= CR4_PAE;
	run_sync(&v, "dirty sregs fixed", ALL_SYNC, KVM_SYNC_X86_SREGS);
	show_sync(&v, "after sregs");

	/* dirty events with an exception vector above 31 */
	run_sync(&v, "valid all", ALL_SYNC, 0);
	s->events.exception.injected = 1;
	s->events.exception.nr = 255;
	run_sync(&v, "bad events", ALL_SYNC, KVM_SYNC_X86_EVENTS);
	s->events.exception.injected = 0;
	s->events.exception.nr = 0;
	s->events.flags = 0;
	run_sync(&v, "events fixed", ALL_SYNC, KVM_SYNC_X86_EVENTS);
	show_sync(&v, "after events");
	compare(&v);

	/* KVM_SET_SREGS queues interrupt_bitmap's lowest vector as injected */
	vmm_get_sregs(&v, &sregs);
	sregs.interrupt_bitmap[0] = 1ull << 48;
	sregs.interrupt_bitmap[1] = 1ull << 1;
	vmm_set_sregs(&v, &sregs);
	xioctl(v.vcpu_fd, KVM_GET_VCPU_EVENTS, &ev);
	printf("after set_sregs with bits 48, 65: interrupt injected=%d nr=%d\n",
	       ev.interrupt.injected, ev.interrupt.nr);
	memset(&sregs, 0xee, sizeof(sregs));
	vmm_get_sregs(&v, &sregs);
	printf("get_sregs: interrupt_bitmap=%llx %llx %llx %llx gdt.padding[1]=%x\n",
	       sregs.interrupt_bitmap[0], sregs.interrupt_bitmap[1],
	       sregs.interrupt_bitmap[2], sregs.interrupt_bitmap[3], sregs.gdt.padding[1]);
	ev.interrupt.injected = 0;
	xioctl(v.vcpu_fd, KVM_SET_VCPU_EVENTS, &ev);
	vmm_get_sregs(&v, &sregs);
	printf("after clearing it: interrupt_bitmap[0]=%llx\n", sregs.interrupt_bitmap[0]);

	/* dirty without valid: loaded, nothing stored */
	poison(&v);
	s->regs.rbx = 0x3000;
	s->regs.rip = CODE_GPA;
	s->regs.rsp = STACK_TOP;
	s->regs.rflags = RFLAGS_FIXED;
	run_sync(&v, "dirty regs only", 0, KVM_SYNC_X86_REGS);
	printf("s.regs.rbx=%llx\n", s->regs.rbx);
	vmm_get_regs(&v, &regs);
	printf("guest rip=%llx rbx=%llx\n", regs.rip, regs.rbx);
	vmm_close(&v);
	return 0;
}
