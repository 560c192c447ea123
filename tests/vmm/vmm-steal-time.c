// SPDX-License-Identifier: MIT
/*
 * vmm-steal-time: PV steal time (KVM_FEATURE_STEAL_TIME, MSR_KVM_STEAL_TIME).
 *
 * Checks: the feature bit in KVM_GET_SUPPORTED_CPUID's 0x40000001; the
 * MSR refused (KVM_SET_MSRS: 0 done) with a reserved bit (1-5) set and
 * accepted at any 64-byte aligned address, enabled or not, read back by
 * KVM_GET_MSRS and by the guest's RDMSR; enabled, each KVM_RUN makes the
 * record's version two higher (an odd one is rounded up first), writes
 * `preempted` 0 and never lowers `steal`; disabled, the record is left
 * alone.  The steal amount itself is the host's: only its monotony is
 * printed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <asm/kvm_para.h>

#include "vmm-lib.h"

#define RAM_SIZE	0x400000
#define PT_GPA		0x1000
#define GDT_GPA		0x4000
#define STACK_TOP	0x7000
#define CODE_GPA	0x8000
#define ST_GPA		0x20040		/* 64-byte aligned, bit 6 set */

extern const char guest_st_start[], guest_st_end[];

static long set_msr(struct vmm *v, uint64_t data)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = MSR_KVM_STEAL_TIME, .e.data = data };

	return ioctl(v->vcpu_fd, KVM_SET_MSRS, &m);
}

static uint64_t get_msr(struct vmm *v)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = MSR_KVM_STEAL_TIME };

	if (ioctl(v->vcpu_fd, KVM_GET_MSRS, &m) != 1)
		return ~0ull;
	return m.e.data;
}

static int has_steal_time(struct vmm *v)
{
	struct {
		struct kvm_cpuid2 hdr;
		struct kvm_cpuid_entry2 e[256];
	} c = { .hdr.nent = 256 };

	xioctl(v->kvm_fd, KVM_GET_SUPPORTED_CPUID, &c);
	for (unsigned int i = 0; i < c.hdr.nent; i++)
		if (c.e[i].function == KVM_CPUID_FEATURES)
			return !!(c.e[i].eax & (1u << KVM_FEATURE_STEAL_TIME));
	return -1;
}

static uint64_t last_steal;

static void run_and_show(struct vmm *v, struct kvm_steal_time *st, const char *what)
{
	struct kvm_regs regs;
	int r = vmm_run(v);

	vmm_get_regs(v, &regs);
	printf("%s: exit=%s guest rdmsr=%llx version=%u flags=%u preempted=%u steal %s\n",
	       what, r < 0 ? "error" : exit_reason_name(r), regs.rbx, st->version, st->flags,
	       st->preempted, st->steal >= last_steal ? "kept or grew" : "went down");
	last_steal = st->steal;
}

int main(void)
{
	struct kvm_steal_time *st;
	struct vmm v;
	char *ram;

	printf("# vmm-steal-time\n");
	vmm_open(&v);
	printf("KVM_FEATURE_STEAL_TIME: %d\n", has_steal_time(&v));
	ram = vmm_alloc(RAM_SIZE);
	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_st_start, guest_st_end);
	vmm_setup_long_mode(&v, ram, PT_GPA, GDT_GPA);
	vmm_set_regs(&v, CODE_GPA, STACK_TOP);
	st = (struct kvm_steal_time *)(ram + ST_GPA);

	printf("reset value: %llx\n", (unsigned long long)get_msr(&v));
	for (int bit = 1; bit <= 6; bit++)
		printf("set %#x|bit %d: %ld\n", ST_GPA, bit,
		       set_msr(&v, ST_GPA | 1ull << bit | KVM_MSR_ENABLED));
	printf("after the refused ones: %llx\n", (unsigned long long)get_msr(&v));

	/* disabled: the address is kept, the record untouched */
	printf("set %#x (disabled): %ld\n", ST_GPA, set_msr(&v, ST_GPA));
	printf("read back: %llx\n", (unsigned long long)get_msr(&v));
	memset(st, 0x11, sizeof(*st));
	st->version = 7;
	run_and_show(&v, st, "entry disabled");
	memset(st, 0, sizeof(*st));
	last_steal = 0;

	printf("set %#x|enabled: %ld\n", ST_GPA, set_msr(&v, ST_GPA | KVM_MSR_ENABLED));
	printf("read back: %llx\n", (unsigned long long)get_msr(&v));
	run_and_show(&v, st, "entry 1");
	run_and_show(&v, st, "entry 2");
	/* an odd version is rounded up before the two increments */
	st->version = 5;
	st->preempted = 3;	/* PREEMPTED | FLUSH_TLB */
	run_and_show(&v, st, "entry 3");
	st->flags = 0;
	run_and_show(&v, st, "entry 4");
	vmm_close(&v);
	return 0;
}
