// SPDX-License-Identifier: MIT
/*
 * dirty-log-huge: SEMANTICS rule 4 ("dirty logging: only 4K mappings
 * while on; every guest write to a logged slot sets its bit") across a
 * logging on/off cycle of a THP-backed slot.
 *
 * Slot 2 (gpa 0x80000000, 4 MiB, 2M-aligned, MADV_HUGEPAGE, guest 2M
 * pages) is touched three times by the touch_pages guest (read, write
 * first and last qword of every 4K page, read back):
 *   pass 1, logging off: stage 2 may map it with two 2M SPTEs; there is
 *           no log (KVM_GET_DIRTY_LOG: ENOENT);
 *   pass 2, after KVM_MEM_LOG_DIRTY_PAGES was set (a FLAGS_ONLY change,
 *           which write-protects / zaps the slot): every write faults and
 *           maps 4K, and the log has all 1024 pages; a second get (after
 *           the first cleared and re-protected them) has none;
 *   pass 3, after logging was turned off again (huge pages are
 *           recoverable): 2M SPTEs again.
 *
 * Expected (natively and under kvmsim): the lines below, the log showing
 * 1024 dirty pages after pass 2 and 0 on the second get.  Under kvmsim
 * the observables also say 4 huge SPTEs were installed (passes 1 and 3),
 * and 1024 were write-protected by the get.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "scenario.h"

#define SLOT		2
#define GPA		0x80000000ull
#define SIZE		0x400000ull
#define PAGES		(SIZE / SZ_4K)

static void *hva;

static void set_logging(struct kvm_vm *vm, bool on)
{
	struct kvm_userspace_memory_region r = {
		.slot = SLOT, .flags = on ? KVM_MEM_LOG_DIRTY_PAGES : 0,
		.guest_phys_addr = GPA, .memory_size = SIZE, .userspace_addr = (u64)hva,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r))
		die_errno("KVM_SET_USER_MEMORY_REGION");
	printf("dirty logging %s\n", on ? "on" : "off");
}

static void show_log(struct kvm_vm *vm)
{
	static u64 bitmap[PAGES / 64];
	struct kvm_dirty_log log = { .slot = SLOT, .dirty_bitmap = bitmap };
	int n = 0;

	if (ioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &log)) {
		printf("KVM_GET_DIRTY_LOG: %s\n", errno == ENOENT ? "ENOENT" : "other error");
		return;
	}
	for (u64 i = 0; i < PAGES / 64; i++)
		n += __builtin_popcountll(bitmap[i]);
	printf("KVM_GET_DIRTY_LOG: %d dirty pages\n", n);
}

/* One run of touch_pages over the slot, from its entry point. */
static void touch_pass(struct kvm_vcpu *vcpu, u64 entry, int pass)
{
	struct kvm_regs regs = {
		.rip = entry, .rsp = GUEST_STACK_TOP, .rflags = 0x2,
		.rdi = GUEST_PARAM_GPA,
	};
	struct ucall uc;

	if (ioctl(vcpu->fd, KVM_SET_REGS, &regs))
		die_errno("KVM_SET_REGS");
	vcpu_expect_ucall(vcpu, &uc, UCALL_SYNC);
	printf("pass %d: %llu pages touched, %llu mismatches\n", pass,
	       (unsigned long long)uc.args[1], (unsigned long long)uc.args[3]);
	vcpu_expect_ucall(vcpu, &uc, UCALL_DONE);
	/* the runtime halts after UCALL_DONE: a clean stop before the next pass */
	vcpu_run(vcpu);
	ASSERT(vcpu->run->exit_reason == KVM_EXIT_HLT, "no hlt after UCALL_DONE");
}

int main(void)
{
	struct kvm_vm *vm = vm_create();
	struct touch_args *args = gpa_to_hva(vm, GUEST_PARAM_GPA, sizeof(*args));
	struct kvm_vcpu *vcpu;
	u64 entry;

	hva = vm_add_slot(vm, SLOT, GPA, SIZE, 0, BACKING_ANON_THP);
	virt_map(vm, GPA, GPA, SIZE, SZ_2M);
	memset(args, 0, sizeof(*args));
	args->nr_regions = 1;
	args->region[0] = (struct touch_region){ .base = GPA, .size = SIZE,
						 .stride = SZ_4K, .seed = 0x77 };
	entry = vm_load_guest(vm, "touch_pages");
	vcpu = vm_vcpu_add(vm, entry);

	touch_pass(vcpu, entry, 1);
	show_log(vm);
	set_logging(vm, true);
	touch_pass(vcpu, entry, 2);
	show_log(vm);
	show_log(vm);
	set_logging(vm, false);
	touch_pass(vcpu, entry, 3);
	show_log(vm);
	vm_destroy(vm);
	printf("done\n");
	return 0;
}
