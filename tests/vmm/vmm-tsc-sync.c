// SPDX-License-Identifier: MIT
/*
 * vmm-tsc-sync: KVM's TSC synchronization across a VM's vCPUs
 * (kvm_synchronize_tsc, arch/x86/kvm/x86.c).
 *
 * Checks, through each vCPU's KVM_VCPU_TSC_OFFSET attribute and
 * KVM_SET_MSRS(IA32_TSC):
 *   - the first userspace write of IA32_TSC starts a new generation even
 *     within a second of the TSC (no earlier user write: 6.12's
 *     user_set_tsc): the offset moves;
 *   - a vCPU created afterwards takes that generation's offset;
 *   - a later user write within a second of TSC ticks of the last write
 *     plus the time since matches: the offset stays the generation's;
 *     one 3 s away starts a new generation with its own offset, which
 *     the next vCPU created and a write of 0 then take;
 *   - KVM_SET_DEVICE_ATTR(KVM_VCPU_TSC_OFFSET) is a user write too: the
 *     next vCPU created takes the offset set; a bad address (EFAULT)
 *     changes nothing; a bad attribute or group is ENXIO;
 *   - the guest's RDTSC on two synchronized vCPUs run in turn goes
 *     forward and stays within a second.
 * Only relations between offsets are printed (the host TSC differs).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm-lib.h"

#define RAM_SIZE	0x400000
#define PT_GPA		0x1000
#define GDT_GPA		0x4000
#define STACK_TOP	0x7000
#define CODE_GPA	0x8000

#define MSR_IA32_TSC	0x10
#define NR_VCPUS	6

extern const char guest_tsc_sync_start[], guest_tsc_sync_end[];

static struct vmm v;
static int vcpu_fd[NR_VCPUS];
static uint64_t khz;

static const char *yes(int b)
{
	return b ? "yes" : "no";
}

static int tsc_attr(int fd, unsigned long cmd, uint64_t addr, uint32_t group, uint64_t attr)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = addr };

	return ioctl(fd, cmd, &a);
}

static uint64_t offset_of(int i)
{
	uint64_t off;

	if (tsc_attr(vcpu_fd[i], KVM_GET_DEVICE_ATTR, (uintptr_t)&off,
		     KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_OFFSET))
		fatal("KVM_GET_DEVICE_ATTR(TSC_OFFSET): errno=%s", errno_name(errno));
	return off;
}

static void set_offset(int i, uint64_t off)
{
	if (tsc_attr(vcpu_fd[i], KVM_SET_DEVICE_ATTR, (uintptr_t)&off,
		     KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_OFFSET))
		fatal("KVM_SET_DEVICE_ATTR(TSC_OFFSET): errno=%s", errno_name(errno));
}

static struct {
	struct kvm_msrs hdr;
	struct kvm_msr_entry e;
} msrs;

static uint64_t get_tsc(int i)
{
	memset(&msrs, 0, sizeof(msrs));
	msrs.hdr.nmsrs = 1;
	msrs.e.index = MSR_IA32_TSC;
	if (ioctl(vcpu_fd[i], KVM_GET_MSRS, &msrs) != 1)
		fatal("KVM_GET_MSRS(IA32_TSC) failed");
	return msrs.e.data;
}

static void set_tsc(int i, uint64_t tsc)
{
	memset(&msrs, 0, sizeof(msrs));
	msrs.hdr.nmsrs = 1;
	msrs.e.index = MSR_IA32_TSC;
	msrs.e.data = tsc;
	if (ioctl(vcpu_fd[i], KVM_SET_MSRS, &msrs) != 1)
		fatal("KVM_SET_MSRS(IA32_TSC) failed");
}

static void create_vcpu(int i)
{
	vcpu_fd[i] = i ? xioctl(v.vm_fd, KVM_CREATE_VCPU, i) : v.vcpu_fd;
}

static void refused(const char *what, int r)
{
	int err = errno;

	printf("%s: %d %s", what, r, r ? errno_name(err) : "");
}

/* |a - b| below ms milliseconds of TSC ticks */
static int near(uint64_t a, uint64_t b, uint64_t ms)
{
	uint64_t d = a > b ? a - b : b - a;

	return d < ms * khz;
}

/* run vCPU i once: the guest's RDTSC, from RAX at its OUT exit */
static uint64_t guest_rdtsc(int i, char *ram)
{
	struct vmm w = v;
	struct kvm_regs regs;

	w.vcpu_fd = vcpu_fd[i];
	w.run = mmap(NULL, v.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, w.vcpu_fd, 0);
	if (w.run == MAP_FAILED)
		fatal("mmap(vcpu %d): errno=%s", i, errno_name(errno));
	vmm_setup_long_mode(&w, ram, PT_GPA, GDT_GPA);
	vmm_set_regs(&w, CODE_GPA, STACK_TOP);
	if (ioctl(w.vcpu_fd, KVM_RUN, 0) || w.run->exit_reason != KVM_EXIT_IO ||
	    w.run->io.port != 0x10)
		fatal("vCPU %d: no OUT exit", i);
	vmm_get_regs(&w, &regs);
	munmap(w.run, v.run_size);
	return regs.rax;
}

int main(void)
{
	char *ram = vmm_alloc(RAM_SIZE);
	uint64_t off, x, t0, t3, bad;

	printf("# vmm-tsc-sync\n");
	vmm_open(&v);
	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_tsc_sync_start, guest_tsc_sync_end);
	create_vcpu(0);
	khz = xioctl(vcpu_fd[0], KVM_GET_TSC_KHZ, 0);

	off = offset_of(0);
	set_tsc(0, get_tsc(0) + 100 * khz);
	x = offset_of(0) - off;
	printf("vCPU 0: first user write of IA32_TSC, 100 ms ahead: offset moved 50-100 ms: %s\n",
	       yes(x > 50 * khz && x <= 100 * khz));

	create_vcpu(1);
	printf("vCPU 1 created: vCPU 0's offset: %s\n", yes(offset_of(1) == offset_of(0)));

	set_tsc(1, get_tsc(0) + 500 * khz);
	printf("vCPU 1: IA32_TSC := vCPU 0's + 500 ms (within a second): vCPU 0's offset: %s\n",
	       yes(offset_of(1) == offset_of(0)));

	set_tsc(1, get_tsc(0) + 3000 * khz);
	printf("vCPU 1: IA32_TSC := vCPU 0's + 3 s: offset 3 s past vCPU 0's (within 50 ms): %s\n",
	       yes(near(offset_of(1) - offset_of(0), 3000 * khz, 50)));

	create_vcpu(2);
	printf("vCPU 2 created: vCPU 1's offset (its generation): %s\n",
	       yes(offset_of(2) == offset_of(1)));

	set_tsc(0, 0);
	printf("vCPU 0: IA32_TSC := 0: vCPU 1's offset: %s\n", yes(offset_of(0) == offset_of(1)));

	x = offset_of(1) + 12345;
	set_offset(0, x);
	create_vcpu(3);
	printf("vCPU 0: KVM_SET_DEVICE_ATTR(TSC_OFFSET) := vCPU 1's + 12345: vCPU 0 has it: %s, "
	       "vCPU 3 created with it: %s\n", yes(offset_of(0) == x), yes(offset_of(3) == x));

	bad = offset_of(1) + 999;
	refused("KVM_SET_DEVICE_ATTR(TSC_OFFSET) addr 8",
		tsc_attr(vcpu_fd[1], KVM_SET_DEVICE_ATTR, 8, KVM_VCPU_TSC_CTRL,
			 KVM_VCPU_TSC_OFFSET));
	refused(", KVM_GET_DEVICE_ATTR addr 8",
		tsc_attr(vcpu_fd[1], KVM_GET_DEVICE_ATTR, 8, KVM_VCPU_TSC_CTRL,
			 KVM_VCPU_TSC_OFFSET));
	refused(", attr 1",
		tsc_attr(vcpu_fd[1], KVM_SET_DEVICE_ATTR, (uintptr_t)&bad, KVM_VCPU_TSC_CTRL, 1));
	refused(", group 1",
		tsc_attr(vcpu_fd[1], KVM_SET_DEVICE_ATTR, (uintptr_t)&bad, 1, KVM_VCPU_TSC_OFFSET));
	printf("\n");
	create_vcpu(4);
	printf("after the refused calls: vCPU 1's offset unchanged: %s, vCPU 4 created with "
	       "vCPU 0's: %s\n", yes(offset_of(1) == x - 12345), yes(offset_of(4) == x));

	t0 = guest_rdtsc(0, ram);
	t3 = guest_rdtsc(3, ram);
	printf("guest RDTSC on vCPU 0 then vCPU 3: forward: %s, within a second: %s\n",
	       yes(t3 >= t0), yes(t3 - t0 < 1000 * khz));
	for (int i = 1; i < 5; i++)
		close(vcpu_fd[i]);
	vmm_close(&v);
	return 0;
}
