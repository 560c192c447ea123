// SPDX-License-Identifier: MIT
/*
 * ioctl-diff SEED [N]: N (default 40) pseudo-random KVM ioctls on
 * /dev/kvm, one VM and its vCPUs, the sequence a function of SEED only,
 * each printed with its result (return value or errno, and the fields it
 * returned).  tests/diff/ioctl-diff.sh runs each seed natively and under
 * `kvmsim --profile host` and counts the seeds whose transcripts are
 * identical.  No KVM_RUN: a random guest may loop for ever.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define MEM_SIZE	(64 * 4096)

static uint64_t rng;
static int kvm, vm, vcpus[4];
static uint8_t *mem;

static uint64_t next(void)	/* splitmix64 */
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned pick(unsigned n)
{
	return next() % n;
}

static int res(const char *what, int r)
{
	if (r < 0)
		printf("%s -> -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s -> %d\n", what, r);
	return r;
}

static int any_vcpu(void)
{
	int fd = vcpus[pick(4)];

	return fd > 0 ? fd : -1;
}

static void op_check_extension(void)
{
	int cap = pick(260);
	char what[64];

	snprintf(what, sizeof(what), "CHECK_EXTENSION %s %d", cap & 1 ? "vm" : "dev", cap);
	res(what, ioctl(cap & 1 ? vm : kvm, KVM_CHECK_EXTENSION, cap));
}

static void op_create_vcpu(void)
{
	int id = pick(4), r;
	char what[64];

	snprintf(what, sizeof(what), "CREATE_VCPU %d", id);
	r = ioctl(vm, KVM_CREATE_VCPU, id);
	res(what, r < 0 ? r : 0);
	if (r >= 0)
		vcpus[id] = r;
}

static void op_memory_region(void)
{
	static const uint32_t flags[] = { 0, KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_READONLY, 4, 8 };
	struct kvm_userspace_memory_region r = {
		.slot = pick(4) | (pick(8) == 0 ? 1u << 16 : 0),
		.flags = flags[pick(5)],
		.guest_phys_addr = (uint64_t)pick(32) << 12 | (pick(16) == 0 ? 0x800 : 0),
		.memory_size = (uint64_t)pick(9) << 12,
		.userspace_addr = (uintptr_t)mem + ((uint64_t)pick(8) << 12),
	};
	char what[128];

	snprintf(what, sizeof(what), "SET_USER_MEMORY_REGION slot %#x flags %#x gpa %#llx size %#llx",
		 r.slot, r.flags, (unsigned long long)r.guest_phys_addr,
		 (unsigned long long)r.memory_size);
	res(what, ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r));
}

static void op_regs(void)
{
	struct kvm_regs regs;
	int fd = any_vcpu();

	if (res("GET_REGS", ioctl(fd, KVM_GET_REGS, &regs)) < 0)
		return;
	printf("  rip %#llx rflags %#llx rsp %#llx\n", (unsigned long long)regs.rip,
	       (unsigned long long)regs.rflags, (unsigned long long)regs.rsp);
	regs.rip = next() & 0xffff;
	regs.rflags = pick(2) ? 2 : next() & 0x3fffff;
	res("SET_REGS", ioctl(fd, KVM_SET_REGS, &regs));
}

static void op_sregs(void)
{
	struct kvm_sregs s;
	int fd = any_vcpu();

	if (res("GET_SREGS", ioctl(fd, KVM_GET_SREGS, &s)) < 0)
		return;
	printf("  cr0 %#llx cr4 %#llx efer %#llx cs %#x/%#llx\n", (unsigned long long)s.cr0,
	       (unsigned long long)s.cr4, (unsigned long long)s.efer, s.cs.selector,
	       (unsigned long long)s.cs.base);
	switch (pick(4)) {
	case 0: s.cr0 ^= 1ull << pick(32); break;
	case 1: s.cr4 ^= 1ull << pick(24); break;
	case 2: s.efer ^= 1ull << pick(12); break;
	default: s.cs.l = pick(2); s.cs.db = pick(2); break;
	}
	printf("  set cr0 %#llx cr4 %#llx efer %#llx cs.l %u cs.db %u\n",
	       (unsigned long long)s.cr0, (unsigned long long)s.cr4,
	       (unsigned long long)s.efer, s.cs.l, s.cs.db);
	res("SET_SREGS", ioctl(fd, KVM_SET_SREGS, &s));
}

static void op_supported_cpuid(void)
{
	static struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[256];
	} buf;
	int n = pick(2) ? 256 : pick(8);

	buf.c.nent = n;
	res("GET_SUPPORTED_CPUID", ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &buf));
}

static void op_msr_list(void)
{
	static struct {
		struct kvm_msr_list l;
		uint32_t idx[1024];
	} buf;

	buf.l.nmsrs = pick(2) ? 1024 : pick(4);
	res("GET_MSR_INDEX_LIST", ioctl(kvm, KVM_GET_MSR_INDEX_LIST, &buf));
}

static void op_misc(void)
{
	struct kvm_mp_state mp;
	struct kvm_vcpu_events ev;
	int fd = any_vcpu();

	switch (pick(5)) {
	case 0:
		res("GET_VCPU_MMAP_SIZE", ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0) > 0 ? 0 : -1);
		break;
	case 1:
		res("SET_TSS_ADDR", ioctl(vm, KVM_SET_TSS_ADDR, (unsigned long)(next() & 0xffffffffull)));
		break;
	case 2:
		if (res("GET_MP_STATE", ioctl(fd, KVM_GET_MP_STATE, &mp)) >= 0)
			printf("  mp_state %u\n", mp.mp_state);
		break;
	case 3:
		if (res("GET_VCPU_EVENTS", ioctl(fd, KVM_GET_VCPU_EVENTS, &ev)) >= 0)
			printf("  exception %u/%u nmi %u\n", ev.exception.injected,
			       ev.exception.nr, ev.nmi.injected);
		break;
	default:
		res("GET_API_VERSION", ioctl(kvm, KVM_GET_API_VERSION, 0));
		break;
	}
}

int main(int argc, char **argv)
{
	static void (*const ops[])(void) = {
		op_check_extension, op_create_vcpu, op_memory_region, op_regs, op_sregs,
		op_supported_cpuid, op_msr_list, op_misc,
	};
	int n = argc > 2 ? atoi(argv[2]) : 40;

	if (argc < 2)
		return 2;
	rng = strtoull(argv[1], NULL, 0);
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return 77;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm < 0 || mem == MAP_FAILED)
		return 1;
	printf("# ioctl-diff seed %s\n", argv[1]);
	for (int i = 0; i < n; i++) {
		printf("%d: ", i);
		ops[pick(sizeof(ops) / sizeof(ops[0]))]();
		fflush(stdout);
	}
	return 0;
}
