// SPDX-License-Identifier: MIT
/*
 * bench-scale: memory and fault cost at scale, an ordinary VMM (libc and
 * <linux/kvm.h> only) run natively or under `kvmsim exec`.
 *
 *   bench-scale vcpus N P     one VM, N vCPUs; vCPU i writes one word to
 *                             each of P pages of its own (P = 0: it only
 *                             halts); the vCPUs run one after another to
 *                             their hlt, from one thread
 *   bench-scale sparse G S    one vCPU, one memslot of G GiB at 0
 *                             (MAP_NORESERVE); the guest writes every S-th
 *                             page of it above its first 4 MiB (code, page
 *                             tables)
 *
 * vcpus: guest memory is a second memslot at 1 GiB.  Guest-physical
 * memory is identity-mapped with 2 MiB pages.  (This host's nested KVM
 * stops a guest at 64 GiB of guest-physical space: a 64 GiB slot at 0.)
 * At the end it prints what it did and its VmRSS (from /proc/self/status);
 * bench/run.sh times it from outside (it reads no clock).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "../tests/vmm/vmm-lib.h"

extern const char bench_touch_start[], bench_touch_end[];

#define LOW_SIZE	(4ul << 20)
#define CODE_GPA	0x8000
#define PT_GPA		0x1000		/* PML4; PDPT at +0x1000, PD 0 at +0x2000 */
#define PD_GPA		0x10000		/* PDs for 1 GiB upwards */
#define GDT_GPA		0x500
#define MEM_GPA		(1ul << 30)
#define MAX_GIB		64

static long vm_rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

/* Identity map [1 GiB, 1 GiB + gib GiB) with 2 MiB pages. */
static void map_high(char *low, unsigned long gib)
{
	uint64_t *pdpt = (uint64_t *)(low + PT_GPA + 0x1000);

	for (unsigned long g = 1; g <= gib; g++) {
		uint64_t pd_gpa = PD_GPA + (g - 1) * 0x1000;
		uint64_t *pd = (uint64_t *)(low + pd_gpa);

		pdpt[g] = pd_gpa | PTE_P | PTE_RW | PTE_A;
		for (int i = 0; i < 512; i++)
			pd[i] = ((g << 30) + ((uint64_t)i << 21)) | PTE_P | PTE_RW | PTE_A | PTE_D |
				PTE_PS;
	}
}

static void run_to_hlt(int fd, struct kvm_run *run)
{
	for (;;) {
		if (ioctl(fd, KVM_RUN, 0) < 0)
			fatal("KVM_RUN failed");
		if (run->exit_reason == KVM_EXIT_HLT)
			return;
		fatal("unexpected exit %u", run->exit_reason);
	}
}

static void set_touch_regs(int fd, uint64_t start, uint64_t count, uint64_t stride)
{
	struct kvm_regs regs;

	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_GPA;
	regs.rflags = 2;
	regs.rdi = start;
	regs.rcx = count;
	regs.rdx = stride;
	xioctl(fd, KVM_SET_REGS, &regs);
}

int main(int argc, char **argv)
{
	unsigned long a, b, gib, touched = 0;
	bool vcpus;
	struct vmm v;
	struct kvm_sregs sregs;
	char *low, *mem;
	size_t mem_size;

	if (argc != 4 || (strcmp(argv[1], "vcpus") && strcmp(argv[1], "sparse")))
		fatal("usage: %s vcpus N P | sparse GIB STRIDE", argv[0]);
	vcpus = !strcmp(argv[1], "vcpus");
	a = strtoul(argv[2], NULL, 0);
	b = strtoul(argv[3], NULL, 0);
	if (!a || (!vcpus && (!b || a > MAX_GIB)))
		fatal("bad sizes");
	mem_size = vcpus ? a * (b ? b : 1) * 4096 : a << 30;
	gib = (mem_size + (1ul << 30) - 1) >> 30;
	if (gib > MAX_GIB)
		fatal("too much memory");
	vmm_open(&v);
	mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		fatal("mmap guest memory");
	if (vcpus) {
		low = vmm_alloc(LOW_SIZE);
		vmm_set_slot(&v, 0, 0, 0, LOW_SIZE, low);
		vmm_set_slot(&v, 1, 0, MEM_GPA, mem_size, mem);
	} else {
		low = mem;
		vmm_set_slot(&v, 0, 0, 0, mem_size, mem);
	}
	vmm_load(low, CODE_GPA, bench_touch_start, bench_touch_end);
	vmm_setup_long_mode(&v, low, PT_GPA, GDT_GPA);
	map_high(low, vcpus ? gib : gib - 1);
	vmm_get_sregs(&v, &sregs);
	if (!vcpus) {
		touched = (mem_size - LOW_SIZE) / 4096 / b;
		set_touch_regs(v.vcpu_fd, LOW_SIZE, touched, b * 4096);
		run_to_hlt(v.vcpu_fd, v.run);
	} else {
		for (unsigned long i = 0; i < a; i++) {
			int fd = i ? xioctl(v.vm_fd, KVM_CREATE_VCPU, i) : v.vcpu_fd;
			struct kvm_run *run = i ? mmap(NULL, v.run_size, PROT_READ | PROT_WRITE,
						       MAP_SHARED, fd, 0) : v.run;

			if (run == MAP_FAILED)
				fatal("mmap(vcpu %lu)", i);
			xioctl(fd, KVM_SET_SREGS, &sregs);
			set_touch_regs(fd, MEM_GPA + i * b * 4096, b, 4096);
			run_to_hlt(fd, run);
			touched += b;
		}
	}
	printf("%s %lu %lu: %lu pages written, VmRSS %ld kB\n", argv[1], a, b, touched,
	       vm_rss_kb());
	return 0;
}
