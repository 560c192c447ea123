// SPDX-License-Identifier: MIT
/*
 * vmm-gmem: guest_memfd, KVM_SET_USER_MEMORY_REGION2 with
 * KVM_MEM_GUEST_MEMFD, memory attributes and KVM_X86_SW_PROTECTED_VM.
 *
 * Checks: the capabilities and VM types the kernel reports;
 * KVM_CREATE_GUEST_MEMFD's size and flag checks (which flag bits it
 * accepts); fallocate on a guest_memfd (modes, alignment, size);
 * ftruncate (refused); mmap (refused without GUEST_MEMFD_FLAG_MMAP or
 * without MAP_SHARED; without INIT_SHARED every access is a SIGBUS, as is
 * one past the file's end); binding it to memslots (bad fd, not a
 * guest_memfd, offset alignment and range, overlapping bindings, dirty
 * logging and READONLY refused, immutable once created, another VM's
 * file); a default VM's guest reading and writing through a binding
 * without mmap (shared faults use userspace_addr) and through a
 * GUEST_MEMFD_FLAG_MMAP one (every fault uses the file: the VMM's mmap
 * of the file and the guest see the same bytes; a punched hole reads 0
 * on both sides); a guest access after the file was closed (-EFAULT,
 * KVM_EXIT_MEMORY_FAULT), but not while a mapping still holds it; KVM_SET_MEMORY_ATTRIBUTES on a default VM.
 * When the kernel has KVM_X86_SW_PROTECTED_VM (this host does not:
 * expected/vmm-gmem.kvmsim.out has the section), the attribute errnos,
 * private faults served from the file, the two private_mem_kvm_exits_test
 * cases, and a conversion zapping the old mapping.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <setjmp.h>
#include <signal.h>
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
#define GPA_A		0x20000000	/* binding without mmap */
#define GPA_B		0x20200000	/* binding with mmap */
#define GPA_C		0x20400000
#define SZ		0x10000

extern const char guest_gmem_start[], guest_gmem_end[];

static char *ram;

static const char *res(long r)
{
	static char buf[32];

	if (r < 0)
		return errno_name(errno);
	snprintf(buf, sizeof(buf), "%ld", r);
	return buf;
}

static const char *fdres(long r)
{
	return r < 0 ? errno_name(errno) : "fd";
}

static int gmem_create(int vm, uint64_t size, uint64_t flags)
{
	struct kvm_create_guest_memfd g = { .size = size, .flags = flags };

	return ioctl(vm, KVM_CREATE_GUEST_MEMFD, &g);
}

static long set_region2(int vm, uint32_t slot, uint32_t flags, uint64_t gpa,
			uint64_t size, void *hva, int fd, uint64_t off)
{
	struct kvm_userspace_memory_region2 r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)hva,
		.guest_memfd_offset = off, .guest_memfd = fd,
	};

	return ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &r);
}

static long set_attrs(int vm, uint64_t addr, uint64_t size, uint64_t attrs, uint64_t flags)
{
	struct kvm_memory_attributes a = { addr, size, attrs, flags };

	return ioctl(vm, KVM_SET_MEMORY_ATTRIBUTES, &a);
}

static void caps(int fd, const char *who)
{
	static const struct { int cap; const char *name; } list[] = {
		{ 231, "USER_MEMORY2" }, { 232, "MEMORY_FAULT_INFO" },
		{ 233, "MEMORY_ATTRIBUTES" }, { 234, "GUEST_MEMFD" },
		{ 235, "VM_TYPES" }, { 244, "GUEST_MEMFD_FLAGS" },
	};

	for (unsigned i = 0; i < sizeof(list) / sizeof(list[0]); i++)
		printf("%s cap %s = %d\n", who, list[i].name,
		       ioctl(fd, KVM_CHECK_EXTENSION, list[i].cap));
}

static void test_create(int vm)
{
	struct kvm_create_guest_memfd g = { .size = SZ };
	int fd;

	printf("## KVM_CREATE_GUEST_MEMFD\n");
	printf("size 0: %s\n", fdres(gmem_create(vm, 0, 0)));
	printf("size 0x1001: %s\n", fdres(gmem_create(vm, 0x1001, 0)));
	printf("size 1<<63: %s\n", fdres(gmem_create(vm, 1ull << 63, 0)));
	fd = gmem_create(vm, 1ull << 40, 0);
	printf("size 1<<40: %s\n", fdres(fd));
	close(fd);
	printf("flags accepted:");
	for (int b = 0; b < 64; b++) {
		fd = gmem_create(vm, SZ, 1ull << b);
		if (fd >= 0) {
			printf(" bit%d", b);
			close(fd);
		}
	}
	printf("\n");
	fd = gmem_create(vm, SZ, GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED);
	printf("MMAP|INIT_SHARED: %s\n", fdres(fd));
	close(fd);
	g.reserved[0] = 1;
	fd = ioctl(vm, KVM_CREATE_GUEST_MEMFD, &g);
	printf("reserved[0]=1: %s\n", fdres(fd));
	close(fd);
	printf("struct at 8: %s\n", fdres(ioctl(vm, KVM_CREATE_GUEST_MEMFD, (void *)8)));
}

static sigjmp_buf sigbus_jmp;

static void on_sigbus(int sig)
{
	siglongjmp(sigbus_jmp, sig);
}

/* Read one byte: "ok" or the signal's name. */
static const char *probe_read(volatile const char *p)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old_bus, old_segv;
	const char *what = "ok";
	int sig;

	sigaction(SIGBUS, &sa, &old_bus);
	sigaction(SIGSEGV, &sa, &old_segv);
	sig = sigsetjmp(sigbus_jmp, 1);
	if (!sig)
		(void)*p;
	else
		what = sig == SIGBUS ? "SIGBUS" : "SIGSEGV";
	sigaction(SIGBUS, &old_bus, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	return what;
}

/* mmap works with GUEST_MEMFD_FLAG_MMAP alone, but without INIT_SHARED no page can be touched. */
static void test_mmap_private(int vm)
{
	int fd = gmem_create(vm, SZ, GUEST_MEMFD_FLAG_MMAP);
	char *p = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	printf("mmap of a FLAG_MMAP file: %s\n", p == MAP_FAILED ? errno_name(errno) : "ok");
	if (p != MAP_FAILED) {
		printf("  read without INIT_SHARED: %s\n", probe_read(p));
		munmap(p, SZ);
	}
	close(fd);
	fd = gmem_create(vm, SZ, GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED);
	p = mmap(NULL, 2 * SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED) {
		printf("  INIT_SHARED, read inside: %s\n", probe_read(p + SZ - 1));
		printf("  INIT_SHARED, read past the end: %s\n", probe_read(p + SZ));
		munmap(p, 2 * SZ);
	}
	close(fd);
}

static void test_file_ops(int vm)
{
	int fd = gmem_create(vm, SZ, 0), mfd = gmem_create(vm, SZ, GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED);
	char buf[64] = { 0 };
	void *p;

	printf("## file operations\n");
	printf("fallocate mode 0: %s\n", res(fallocate(fd, 0, 0, 0x1000)));
	printf("fallocate PUNCH_HOLE alone: %s\n", res(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 0x1000)));
	printf("fallocate KEEP_SIZE: %s\n", res(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 0x1000)));
	printf("fallocate KEEP_SIZE past the end: %s\n",
	       res(fallocate(fd, FALLOC_FL_KEEP_SIZE, SZ - 0x1000, 0x2000)));
	printf("fallocate KEEP_SIZE offset 0x800: %s\n",
	       res(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0x800, 0x1000)));
	printf("fallocate KEEP_SIZE len 0x800: %s\n",
	       res(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 0x800)));
	printf("fallocate PUNCH_HOLE|KEEP_SIZE: %s\n",
	       res(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 0x1000)));
	printf("fallocate PUNCH_HOLE|KEEP_SIZE past the end: %s\n",
	       res(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, SZ, 0x2000)));
	printf("fallocate PUNCH_HOLE|KEEP_SIZE offset 0x800: %s\n",
	       res(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0x800, 0x1000)));
	printf("fallocate ZERO_RANGE|KEEP_SIZE: %s\n",
	       res(fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 0, 0x1000)));
	printf("ftruncate: %s\n", res(ftruncate(fd, 2 * SZ)));
	/* kvm_gmem_fops has no read/write; its anon-inode file no FMODE_PREAD */
	printf("read: %s\n", res(read(fd, buf, sizeof(buf))));
	printf("write: %s\n", res(write(fd, buf, sizeof(buf))));
	printf("pread: %s\n", res(pread(fd, buf, sizeof(buf), 0)));
	printf("pwrite: %s\n", res(pwrite(fd, buf, sizeof(buf), 0)));
	p = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	printf("mmap without FLAG_MMAP: %s\n", p == MAP_FAILED ? errno_name(errno) : "ok");
	p = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_PRIVATE, mfd, 0);
	printf("mmap MAP_PRIVATE: %s\n", p == MAP_FAILED ? errno_name(errno) : "ok");
	p = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	printf("mmap MAP_SHARED: %s\n", p == MAP_FAILED ? errno_name(errno) : "ok");
	if (p != MAP_FAILED) {
		memset(p, 0x5a, 0x2000);
		printf("punch page 0: %s\n", res(fallocate(mfd, FALLOC_FL_PUNCH_HOLE |
							   FALLOC_FL_KEEP_SIZE, 0, 0x1000)));
		printf("page 0 reads %#x, page 1 reads %#x\n", ((unsigned char *)p)[0],
		       ((unsigned char *)p)[0x1000]);
		munmap(p, SZ);
	}
	close(fd);
	close(mfd);
}

static void test_bind(struct vmm *v)
{
	int vm = v->vm_fd, fd = gmem_create(vm, 4 * SZ, 0);
	int other = ioctl(v->kvm_fd, KVM_CREATE_VM, 0), ofd = gmem_create(other, SZ, 0);
	char *hva = vmm_alloc(4 * SZ);
	struct kvm_userspace_memory_region v1 = {
		.slot = 9, .flags = KVM_MEM_GUEST_MEMFD, .guest_phys_addr = GPA_C,
		.memory_size = SZ, .userspace_addr = (uintptr_t)hva,
	};

	printf("## KVM_SET_USER_MEMORY_REGION2 with KVM_MEM_GUEST_MEMFD\n");
	printf("flag through REGION (v1): %s\n", res(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &v1)));
	printf("bad fd: %s\n", res(set_region2(vm, 9, KVM_MEM_GUEST_MEMFD, GPA_C, SZ, hva, 1000, 0)));
	printf("not a guest_memfd (the VM fd): %s\n",
	       res(set_region2(vm, 9, KVM_MEM_GUEST_MEMFD, GPA_C, SZ, hva, vm, 0)));
	printf("another VM's guest_memfd: %s\n",
	       res(set_region2(vm, 9, KVM_MEM_GUEST_MEMFD, GPA_C, SZ, hva, ofd, 0)));
	printf("offset 0x800: %s\n",
	       res(set_region2(vm, 9, KVM_MEM_GUEST_MEMFD, GPA_C, SZ, hva, fd, 0x800)));
	printf("offset past the file: %s\n",
	       res(set_region2(vm, 9, KVM_MEM_GUEST_MEMFD, GPA_C, SZ, hva, fd, 4 * SZ - 0x1000)));
	printf("offset wraps: %s\n",
	       res(set_region2(vm, 9, KVM_MEM_GUEST_MEMFD, GPA_C, SZ, hva, fd, -0x1000ull)));
	printf("with LOG_DIRTY_PAGES: %s\n",
	       res(set_region2(vm, 9, KVM_MEM_GUEST_MEMFD | KVM_MEM_LOG_DIRTY_PAGES, GPA_C, SZ, hva, fd, 0)));
	printf("with READONLY: %s\n",
	       res(set_region2(vm, 9, KVM_MEM_GUEST_MEMFD | KVM_MEM_READONLY, GPA_C, SZ, hva, fd, 0)));
	printf("bind slot 9 to [0, 64K): %s\n",
	       res(set_region2(vm, 9, KVM_MEM_GUEST_MEMFD, GPA_C, SZ, hva, fd, 0)));
	printf("slot 10 to [32K, 96K) (overlaps): %s\n",
	       res(set_region2(vm, 10, KVM_MEM_GUEST_MEMFD, GPA_C + SZ, SZ, hva + SZ, fd, SZ / 2)));
	printf("slot 10 at slot 9's gpa: %s\n",
	       res(set_region2(vm, 10, KVM_MEM_GUEST_MEMFD, GPA_C, SZ, hva + SZ, fd, SZ)));
	printf("slot 10 to [64K, 128K): %s\n",
	       res(set_region2(vm, 10, KVM_MEM_GUEST_MEMFD, GPA_C + SZ, SZ, hva + SZ, fd, SZ)));
	printf("slot 9 again, same: %s\n",
	       res(set_region2(vm, 9, KVM_MEM_GUEST_MEMFD, GPA_C, SZ, hva, fd, 0)));
	printf("slot 9 moved: %s\n",
	       res(set_region2(vm, 9, KVM_MEM_GUEST_MEMFD, GPA_C + 4 * SZ, SZ, hva, fd, 0)));
	printf("slot 9 without the flag: %s\n",
	       res(set_region2(vm, 9, 0, GPA_C, SZ, hva, fd, 0)));
	printf("slot 9 deleted: %s\n", res(set_region2(vm, 9, 0, GPA_C, 0, hva, fd, 0)));
	printf("slot 11 to [0, 64K) after that: %s\n",
	       res(set_region2(vm, 11, KVM_MEM_GUEST_MEMFD, GPA_C + 2 * SZ, SZ, hva + 2 * SZ, fd, 0)));
	set_region2(vm, 10, 0, 0, 0, NULL, 0, 0);
	set_region2(vm, 11, 0, 0, 0, NULL, 0, 0);
	close(fd);
	close(ofd);
	close(other);
	munmap(hva, 4 * SZ);
}

/* One guest access: 0 with the value read, or -errno with the exit printed. */
static long guest_op(struct vmm *v, uint64_t gpa, int write, uint64_t val)
{
	struct kvm_regs regs;
	struct vmm_memory_fault *mf = (void *)&v->run->hw;
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
		int err = errno;

		printf("  %s %#llx: KVM_RUN errno=%s exit=%s", write ? "write" : "read",
		       (unsigned long long)gpa, errno_name(err),
		       exit_reason_name(v->run->exit_reason));
		if (v->run->exit_reason == KVM_EXIT_MEMORY_FAULT)
			printf(" flags=%#llx gpa=%#llx size=%#llx",
			       (unsigned long long)mf->flags, (unsigned long long)mf->gpa,
			       (unsigned long long)mf->size);
		printf("\n");
		return -err;
	}
	if (v->run->exit_reason != KVM_EXIT_IO)
		fatal("exit %s", exit_reason_name(v->run->exit_reason));
	ioctl(v->vcpu_fd, KVM_GET_REGS, &regs);
	if (ioctl(v->vcpu_fd, KVM_RUN, 0) || v->run->exit_reason != KVM_EXIT_HLT)
		fatal("no hlt after the access");
	if (!write)
		printf("  read %#llx: %#llx\n", (unsigned long long)gpa,
		       (unsigned long long)regs.rax);
	else
		printf("  write %#llx: ok\n", (unsigned long long)gpa);
	return 0;
}

static void setup_guest(struct vmm *v)
{
	memset(ram, 0, RAM_SIZE);
	vmm_set_slot(v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_gmem_start, guest_gmem_end);
	vmm_setup_long_mode(v, ram, PT_GPA, GDT_GPA);
}

/* A mapping of the file keeps it, and its binding, alive after close. */
static void test_mapping_holds_file(struct vmm *v)
{
	int fc = gmem_create(v->vm_fd, SZ, GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED);
	uint64_t *hc = (uint64_t *)vmm_alloc(SZ);
	uint64_t *mc = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fc, 0);

	if (mc == MAP_FAILED)
		fatal("mmap of the guest_memfd: %s", errno_name(errno));
	mc[0] = 0xc3c3;
	printf("bind C (mmap): %s\n",
	       res(set_region2(v->vm_fd, 3, KVM_MEM_GUEST_MEMFD, GPA_C, SZ, hc, fc, 0)));
	close(fc);
	printf("C closed, still mapped:\n");
	guest_op(v, GPA_C, 0, 0);
	munmap(mc, SZ);
	printf("C unmapped too:\n");
	guest_op(v, GPA_C + 0x1000, 0, 0);
}

static void test_default_vm_guest(struct vmm *v)
{
	int fa = gmem_create(v->vm_fd, SZ, 0);
	int fb = gmem_create(v->vm_fd, SZ, GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED);
	uint64_t *ha = (uint64_t *)vmm_alloc(SZ), *hb = (uint64_t *)vmm_alloc(SZ), *mb;

	printf("## guest accesses on a default VM\n");
	setup_guest(v);
	ha[0] = 0xaaaa;
	hb[0] = 0xbbbb;
	mb = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fb, 0);
	if (mb == MAP_FAILED)
		fatal("mmap of the guest_memfd: %s", errno_name(errno));
	mb[0] = 0x1b1b;
	mb[0x200] = 0x2b2b;
	printf("bind A (no mmap): %s\n",
	       res(set_region2(v->vm_fd, 1, KVM_MEM_GUEST_MEMFD, GPA_A, SZ, ha, fa, 0)));
	printf("bind B (mmap): %s\n",
	       res(set_region2(v->vm_fd, 2, KVM_MEM_GUEST_MEMFD, GPA_B, SZ, hb, fb, 0)));
	printf("A: shared faults use userspace_addr\n");
	guest_op(v, GPA_A, 0, 0);
	guest_op(v, GPA_A + 8, 1, 0xa8a8);
	printf("  host userspace_addr[1] = %#llx\n", (unsigned long long)ha[1]);
	printf("B: every fault uses the file\n");
	guest_op(v, GPA_B, 0, 0);
	guest_op(v, GPA_B + 0x1000, 0, 0);
	guest_op(v, GPA_B + 8, 1, 0xb8b8);
	printf("  mmap[1] = %#llx, userspace_addr[1] = %#llx\n",
	       (unsigned long long)mb[1], (unsigned long long)hb[1]);
	printf("punch B page 0: %s\n", res(fallocate(fb, FALLOC_FL_PUNCH_HOLE |
						    FALLOC_FL_KEEP_SIZE, 0, 0x1000)));
	printf("  mmap[0] = %#llx\n", (unsigned long long)mb[0]);
	guest_op(v, GPA_B, 0, 0);
	guest_op(v, GPA_B + 0x1000, 0, 0);
	printf("KVM_SET_MEMORY_ATTRIBUTES private: %s\n",
	       res(set_attrs(v->vm_fd, GPA_A, 0x1000, KVM_MEMORY_ATTRIBUTE_PRIVATE, 0)));
	printf("KVM_SET_MEMORY_ATTRIBUTES shared: %s\n",
	       res(set_attrs(v->vm_fd, GPA_A, 0x1000, 0, 0)));
	munmap(mb, SZ);
	close(fb);
	printf("B after closing its only reference:\n");
	guest_op(v, GPA_B + 0x2000, 0, 0);
	close(fa);
	test_mapping_holds_file(v);
}

/* KVM_X86_SW_PROTECTED_VM: only where the kernel has it. */
static void test_sw_protected(struct vmm *v)
{
	int fd;
	uint64_t *h = (uint64_t *)vmm_alloc(SZ), *plain = (uint64_t *)vmm_alloc(SZ);

	printf("## KVM_X86_SW_PROTECTED_VM\n");
	caps(v->vm_fd, "vm1");
	setup_guest(v);
	fd = gmem_create(v->vm_fd, SZ, 0);
	printf("INIT_SHARED: %s\n", fdres(gmem_create(v->vm_fd, SZ, GUEST_MEMFD_FLAG_INIT_SHARED)));
	printf("attrs flags 1: %s\n", res(set_attrs(v->vm_fd, GPA_A, 0x1000, KVM_MEMORY_ATTRIBUTE_PRIVATE, 1)));
	printf("attrs bit 0: %s\n", res(set_attrs(v->vm_fd, GPA_A, 0x1000, 1, 0)));
	printf("attrs size 0: %s\n", res(set_attrs(v->vm_fd, GPA_A, 0, KVM_MEMORY_ATTRIBUTE_PRIVATE, 0)));
	printf("attrs address 0x800: %s\n", res(set_attrs(v->vm_fd, GPA_A + 0x800, 0x1000, KVM_MEMORY_ATTRIBUTE_PRIVATE, 0)));
	printf("attrs size 0x800: %s\n", res(set_attrs(v->vm_fd, GPA_A, 0x800, KVM_MEMORY_ATTRIBUTE_PRIVATE, 0)));
	printf("attrs wraps: %s\n", res(set_attrs(v->vm_fd, -0x1000ull, 0x2000, KVM_MEMORY_ATTRIBUTE_PRIVATE, 0)));
	printf("attrs struct at 8: %s\n", res(ioctl(v->vm_fd, KVM_SET_MEMORY_ATTRIBUTES, (void *)8)));
	h[0] = 0x5151;
	printf("bind A: %s\n", res(set_region2(v->vm_fd, 1, KVM_MEM_GUEST_MEMFD, GPA_A, SZ, h, fd, 0)));
	printf("shared page: userspace_addr\n");
	guest_op(v, GPA_A, 0, 0);
	printf("attrs page 0 private: %s\n", res(set_attrs(v->vm_fd, GPA_A, 0x1000, KVM_MEMORY_ATTRIBUTE_PRIVATE, 0)));
	printf("private page: the file's (zeroed) page, not userspace_addr\n");
	guest_op(v, GPA_A, 0, 0);
	guest_op(v, GPA_A, 1, 0x7777);
	guest_op(v, GPA_A, 0, 0);
	printf("  userspace_addr[0] = %#llx\n", (unsigned long long)h[0]);
	printf("attrs page 0 shared again: %s\n", res(set_attrs(v->vm_fd, GPA_A, 0x1000, 0, 0)));
	guest_op(v, GPA_A, 0, 0);
	printf("private again, the file still holds the page: %s\n",
	       res(set_attrs(v->vm_fd, GPA_A, 0x1000, KVM_MEMORY_ATTRIBUTE_PRIVATE, 0)));
	guest_op(v, GPA_A, 0, 0);
	printf("punch it: %s\n", res(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 0x1000)));
	guest_op(v, GPA_A, 0, 0);
	printf("slot without guest_memfd, private page:\n");
	printf("  plain slot: %s\n", res(set_region2(v->vm_fd, 2, 0, GPA_B, SZ, plain, 0, 0)));
	printf("  attrs: %s\n", res(set_attrs(v->vm_fd, GPA_B, 0x1000, KVM_MEMORY_ATTRIBUTE_PRIVATE, 0)));
	guest_op(v, GPA_B, 0, 0);
	printf("slot deleted, page still private:\n");
	printf("  delete A: %s\n", res(set_region2(v->vm_fd, 1, 0, GPA_A, 0, h, 0, 0)));
	guest_op(v, GPA_A, 0, 0);
	printf("no slot, shared page: MMIO\n");
	printf("  attrs shared: %s\n", res(set_attrs(v->vm_fd, GPA_A, 0x1000, 0, 0)));
	if (ioctl(v->vcpu_fd, KVM_RUN, 0) == 0)
		printf("  exit %s\n", exit_reason_name(v->run->exit_reason));
	close(fd);
}

int main(void)
{
	struct vmm v;
	int vm1;

	printf("# vmm-gmem\n");
	ram = vmm_alloc(RAM_SIZE);
	vmm_open(&v);
	caps(v.kvm_fd, "dev");
	caps(v.vm_fd, "vm0");
	vm1 = ioctl(v.kvm_fd, KVM_CREATE_VM, 1);
	printf("KVM_CREATE_VM type 1: %s\n", fdres(vm1));
	if (vm1 >= 0)
		close(vm1);
	printf("KVM_CREATE_VM type 2: %s\n", fdres(ioctl(v.kvm_fd, KVM_CREATE_VM, 2)));
	test_create(v.vm_fd);
	test_file_ops(v.vm_fd);
	test_mmap_private(v.vm_fd);
	test_bind(&v);
	test_default_vm_guest(&v);
	vmm_destroy_vm(&v);
	if (vm1 >= 0) {
		v.vm_fd = ioctl(v.kvm_fd, KVM_CREATE_VM, 1);
		v.vcpu_fd = ioctl(v.vm_fd, KVM_CREATE_VCPU, 0);
		v.run = mmap(NULL, v.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v.vcpu_fd, 0);
		test_sw_protected(&v);
		vmm_destroy_vm(&v);
	}
	close(v.kvm_fd);
	return 0;
}
