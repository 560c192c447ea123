// SPDX-License-Identifier: MIT
/*
 * vmm-gmem-huge: KVM_X86_SW_PROTECTED_VM with a guest_memfd slot whose
 * userspace_addr is 2 MiB aligned and advised MADV_HUGEPAGE, so shared
 * faults may be mapped with 2 MiB stage-2 pages.
 *
 * Checks that KVM never maps a shared huge page over a range with mixed
 * attributes (KVM_LPAGE_MIXED_FLAG, kvm_arch_post_set_memory_attributes):
 * after one 4 KiB page of the 2 MiB turns private, a shared access to its
 * neighbour must not map the private page shared again, so the guest
 * reads the private page from the file (zeroed), not from userspace_addr;
 * a range straddling two 2 MiB pages mixes both; once the attributes are
 * uniform again (all shared, or all private) the values are as before.
 * Only the values the guest reads are printed: whether the host backs
 * the range with a transparent huge page does not change them.  Needs
 * KVM_X86_SW_PROTECTED_VM (VM type 1): without it the program says so
 * and exits 77.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm-lib.h"

#include "kvmsim/uapi_ext.h"	/* guest_memfd, attributes: newer than Debian's headers */

#define RAM_SIZE	0x400000
#define PT_GPA		0x1000
#define GDT_GPA		0x4000
#define STACK_TOP	0x7000
#define CODE_GPA	0x8000
#define GPA_H		0x20000000	/* two 2 MiB pages bound to the guest_memfd */
#define SZ_2M		0x200000ull
#define H_SIZE		(2 * SZ_2M)
#define PAGE		0x1000ull

extern const char guest_gmem_huge_start[], guest_gmem_huge_end[];

static const char *res(long r)
{
	static char buf[32];

	if (r < 0)
		return errno_name(errno);
	snprintf(buf, sizeof(buf), "%ld", r);
	return buf;
}

static long set_attrs(int vm, uint64_t addr, uint64_t size, uint64_t attrs)
{
	struct kvm_memory_attributes a = { addr, size, attrs, 0 };

	return ioctl(vm, KVM_SET_MEMORY_ATTRIBUTES, &a);
}

/* One guest access: the value read (or "ok" for a write), or the exit. */
static void guest_op(struct vmm *v, uint64_t gpa, int write, uint64_t val)
{
	struct kvm_regs regs;
	int r;

	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_GPA;
	regs.rsp = STACK_TOP;
	regs.rflags = RFLAGS_FIXED;
	regs.rbx = gpa;
	regs.rcx = write;
	regs.rdx = val;
	if (ioctl(v->vcpu_fd, KVM_SET_REGS, &regs))
		fatal("KVM_SET_REGS");
	r = ioctl(v->vcpu_fd, KVM_RUN, 0);
	if (r < 0) {
		printf("  %s H+%#llx: KVM_RUN errno=%s exit=%s\n", write ? "write" : "read",
		       (unsigned long long)(gpa - GPA_H), errno_name(errno),
		       exit_reason_name(v->run->exit_reason));
		return;
	}
	if (v->run->exit_reason != KVM_EXIT_IO)
		fatal("exit %s", exit_reason_name(v->run->exit_reason));
	ioctl(v->vcpu_fd, KVM_GET_REGS, &regs);
	if (ioctl(v->vcpu_fd, KVM_RUN, 0) || v->run->exit_reason != KVM_EXIT_HLT)
		fatal("no hlt after the access");
	if (write)
		printf("  write H+%#llx: ok\n", (unsigned long long)(gpa - GPA_H));
	else
		printf("  read H+%#llx: %#llx\n", (unsigned long long)(gpa - GPA_H),
		       (unsigned long long)regs.rax);
}

static void read_pages(struct vmm *v, const uint64_t *offs, int n)
{
	for (int i = 0; i < n; i++)
		guest_op(v, GPA_H + offs[i], 0, 0);
}

/* userspace_addr: 2 MiB aligned (a huge page can back each half), THP advised */
static uint64_t *alloc_huge_aligned(void)
{
	char *p = mmap(NULL, H_SIZE + SZ_2M, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint64_t a;

	if (p == MAP_FAILED)
		fatal("mmap");
	a = ((uintptr_t)p + SZ_2M - 1) & ~(SZ_2M - 1);
	madvise((void *)(uintptr_t)a, H_SIZE, MADV_HUGEPAGE);
	return (uint64_t *)(uintptr_t)a;
}

static void host_fill(uint64_t *h)
{
	static const uint64_t offs[] = { 0, PAGE, SZ_2M - PAGE, SZ_2M, SZ_2M + PAGE };

	for (unsigned i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		h[offs[i] / 8] = 0x5000 + offs[i] / PAGE;
}

int main(void)
{
	static const uint64_t first[] = { 0, PAGE };
	static const uint64_t edge[] = { SZ_2M - PAGE, SZ_2M, SZ_2M + PAGE };
	struct kvm_create_guest_memfd g = { .size = H_SIZE };
	struct kvm_userspace_memory_region2 r = {
		.slot = 1, .flags = KVM_MEM_GUEST_MEMFD, .guest_phys_addr = GPA_H,
		.memory_size = H_SIZE,
	};
	char *ram = vmm_alloc(RAM_SIZE);
	uint64_t *h = alloc_huge_aligned();
	struct vmm v;
	int vm, fd;

	printf("# vmm-gmem-huge\n");
	vmm_open(&v);
	vm = ioctl(v.kvm_fd, KVM_CREATE_VM, 1);
	if (vm < 0) {
		printf("SKIP: KVM_CREATE_VM type 1 (KVM_X86_SW_PROTECTED_VM): %s\n",
		       errno_name(errno));
		return 77;
	}
	vmm_destroy_vm(&v);
	v.vm_fd = vm;
	v.vcpu_fd = ioctl(v.vm_fd, KVM_CREATE_VCPU, 0);
	v.run = mmap(NULL, v.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v.vcpu_fd, 0);
	if (v.vcpu_fd < 0 || v.run == MAP_FAILED)
		fatal("vCPU");
	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_gmem_huge_start, guest_gmem_huge_end);
	vmm_setup_long_mode(&v, ram, PT_GPA, GDT_GPA);

	fd = ioctl(vm, KVM_CREATE_GUEST_MEMFD, &g);
	r.userspace_addr = (uintptr_t)h;
	r.guest_memfd = fd;
	printf("bind H (4 MiB at %#x, guest_memfd, THP-advised userspace_addr): %s\n",
	       GPA_H, res(ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &r)));
	host_fill(h);

	printf("all shared: userspace_addr\n");
	read_pages(&v, first, 2);
	printf("page 1 private: %s\n", res(set_attrs(vm, GPA_H + PAGE, PAGE,
						     KVM_MEMORY_ATTRIBUTE_PRIVATE)));
	printf("page 0 first (shared: must not map page 1 shared), then page 1 (the file's zeroed page)\n");
	read_pages(&v, first, 2);
	guest_op(&v, GPA_H + PAGE, 1, 0x7777);
	guest_op(&v, GPA_H, 0, 0);
	guest_op(&v, GPA_H + PAGE, 0, 0);
	printf("  userspace_addr page 1 = %#llx\n", (unsigned long long)h[PAGE / 8]);
	printf("page 1 shared again: %s\n", res(set_attrs(vm, GPA_H + PAGE, PAGE, 0)));
	read_pages(&v, first, 2);
	printf("first 2 MiB private: %s\n", res(set_attrs(vm, GPA_H, SZ_2M,
							   KVM_MEMORY_ATTRIBUTE_PRIVATE)));
	read_pages(&v, first, 2);
	printf("all shared: %s\n", res(set_attrs(vm, GPA_H, H_SIZE, 0)));

	printf("read both sides of the 2 MiB boundary, shared\n");
	read_pages(&v, edge, 3);
	printf("[2M - 4K, 2M + 4K) private (straddles both 2 MiB pages): %s\n",
	       res(set_attrs(vm, GPA_H + SZ_2M - PAGE, 2 * PAGE, KVM_MEMORY_ATTRIBUTE_PRIVATE)));
	printf("neighbours first, then the private pages (zeroed)\n");
	guest_op(&v, GPA_H, 0, 0);
	guest_op(&v, GPA_H + SZ_2M + 2 * PAGE, 0, 0);
	read_pages(&v, edge, 3);
	printf("punch the file: %s\n", res(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
						    0, H_SIZE)));
	printf("all shared: %s\n", res(set_attrs(vm, GPA_H, H_SIZE, 0)));
	read_pages(&v, edge, 3);
	close(fd);
	close(v.vcpu_fd);
	close(vm);
	close(v.kvm_fd);
	return 0;
}
