// SPDX-License-Identifier: MIT
/*
 * vmm-errno: the error behaviour of the KVM uAPI, one line per probe.
 *
 * Checks return values and errno of: /dev/kvm ioctls (API version,
 * unknown ioctls, KVM_CHECK_EXTENSION incl. host-dependent counts,
 * KVM_CREATE_VM types, KVM_GET_VCPU_MMAP_SIZE); VM fd ioctls (KVM_RUN on
 * the VM fd, unknown ioctl, KVM_CREATE_VCPU id checks, and memslot
 * validation in KVM_SET_USER_MEMORY_REGION: bad pointer, alignment,
 * overlap, flags, slot and address-space ids, wraparound, changes to a
 * live slot, delete/move/flags-only/recreate); vCPU fd ioctls (bad
 * pointers, unknown ioctl, KVM_RUN with immediate_exit); mmap of VM and
 * vCPU fds; ioctls on closed and non-KVM fds; KVM_SET_TSS_ADDR,
 * KVM_SET_IDENTITY_MAP_ADDR before/after vCPU creation, KVM_ENABLE_CAP;
 * and invalid KVM_SET_SREGS states, each followed by a KVM_RUN (does
 * an accepted bad state fail entry? did a rejected one change nothing?).
 *
 * The probe order is fixed.  Host-dependent values (memslot count,
 * mmap size) are printed too: kvmsim must report the same.  Returned
 * fds are printed as "fd", not as numbers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <termios.h>
#include <unistd.h>

#include "vmm-lib.h"

#ifndef KVM_CAP_MEMORY_FAULT_INFO
#define KVM_CAP_MEMORY_FAULT_INFO 232
#endif

/* Request numbers no KVM version defines. */
#define KVM_BOGUS_IOCTL		_IO(KVMIO, 0xef)
#define KVM_BOGUS_IOCTL_W	_IOW(KVMIO, 0xef, __u64)

#define BAD_PTR			((void *)8)
#define SLOT_BUF_SIZE		0x100000

extern const char guest_hlt_start[], guest_hlt_end[];

static void report(const char *name, long ret, int err, int is_fd)
{
	if (ret < 0)
		printf("%s: ret=%ld errno=%s\n", name, ret, errno_name(err));
	else if (is_fd)
		printf("%s: ret=fd\n", name);
	else
		printf("%s: ret=%ld\n", name, ret);
}

/* Evaluate expr with errno cleared, print "name: ret=..." and yield ret. */
#define PROBE(name, expr) ({					\
	long __ret;						\
	errno = 0;						\
	__ret = (expr);						\
	report(name, __ret, errno, 0);				\
	__ret;							\
})
#define PROBE_FD(name, expr) ({					\
	long __ret;						\
	errno = 0;						\
	__ret = (expr);						\
	report(name, __ret, errno, 1);				\
	(int)__ret;						\
})

static int set_slot(int vm_fd, uint32_t slot, uint32_t flags, uint64_t gpa,
		    uint64_t size, const void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &r);
}

static int check_ext(int fd, long cap)
{
	return ioctl(fd, KVM_CHECK_EXTENSION, cap);
}

static long probe_system(int kvm_fd)
{
	struct termios tio;
	long nr_slots;
	int fd;

	printf("## /dev/kvm\n");
	PROBE("KVM_GET_API_VERSION", ioctl(kvm_fd, KVM_GET_API_VERSION, 0));
	PROBE("unknown ioctl _IO(KVMIO,0xef)", ioctl(kvm_fd, KVM_BOGUS_IOCTL, 0));
	PROBE("TCGETS on /dev/kvm", ioctl(kvm_fd, TCGETS, &tio));
	PROBE("KVM_CHECK_EXTENSION(KVM_CAP_USER_MEMORY)",
	      check_ext(kvm_fd, KVM_CAP_USER_MEMORY));
	nr_slots = PROBE("KVM_CHECK_EXTENSION(KVM_CAP_NR_MEMSLOTS)",
			 check_ext(kvm_fd, KVM_CAP_NR_MEMSLOTS));
	PROBE("KVM_CHECK_EXTENSION(KVM_CAP_IMMEDIATE_EXIT)",
	      check_ext(kvm_fd, KVM_CAP_IMMEDIATE_EXIT));
	PROBE("KVM_CHECK_EXTENSION(KVM_CAP_READONLY_MEM)",
	      check_ext(kvm_fd, KVM_CAP_READONLY_MEM));
	PROBE("KVM_CHECK_EXTENSION(KVM_CAP_SET_TSS_ADDR)",
	      check_ext(kvm_fd, KVM_CAP_SET_TSS_ADDR));
	PROBE("KVM_CHECK_EXTENSION(KVM_CAP_MULTI_ADDRESS_SPACE)",
	      check_ext(kvm_fd, KVM_CAP_MULTI_ADDRESS_SPACE));
	PROBE("KVM_CHECK_EXTENSION(KVM_CAP_MEMORY_FAULT_INFO)",
	      check_ext(kvm_fd, KVM_CAP_MEMORY_FAULT_INFO));
	PROBE("KVM_CHECK_EXTENSION(9999)", check_ext(kvm_fd, 9999));
	PROBE("KVM_CHECK_EXTENSION(-1)", check_ext(kvm_fd, -1));
	fd = PROBE_FD("KVM_CREATE_VM(0)", ioctl(kvm_fd, KVM_CREATE_VM, 0));
	if (fd >= 0)
		close(fd);
	PROBE_FD("KVM_CREATE_VM(7)", ioctl(kvm_fd, KVM_CREATE_VM, 7));
	PROBE("KVM_GET_VCPU_MMAP_SIZE", ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0));
	return nr_slots;
}

static void probe_vcpu_create(int vm_fd)
{
	int fd;

	printf("## VM fd\n");
	PROBE("KVM_RUN on VM fd", ioctl(vm_fd, KVM_RUN, 0));
	PROBE("unknown VM ioctl _IO(KVMIO,0xef)", ioctl(vm_fd, KVM_BOGUS_IOCTL, 0));
	PROBE("KVM_CHECK_EXTENSION(KVM_CAP_NR_MEMSLOTS) on VM fd",
	      check_ext(vm_fd, KVM_CAP_NR_MEMSLOTS));
	PROBE("KVM_SET_TSS_ADDR(0xfffbd000)",
	      ioctl(vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000UL));
	PROBE("KVM_SET_IDENTITY_MAP_ADDR(0xfffbc000) before vcpus",
	      ioctl(vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &(uint64_t){ 0xfffbc000 }));
	fd = PROBE_FD("KVM_CREATE_VCPU(1)", ioctl(vm_fd, KVM_CREATE_VCPU, 1));
	PROBE_FD("KVM_CREATE_VCPU(1) again", ioctl(vm_fd, KVM_CREATE_VCPU, 1));
	PROBE_FD("KVM_CREATE_VCPU(-1)", ioctl(vm_fd, KVM_CREATE_VCPU, -1L));
	PROBE_FD("KVM_CREATE_VCPU(0x7fffffff)",
		 ioctl(vm_fd, KVM_CREATE_VCPU, 0x7fffffffL));
	PROBE_FD("KVM_CREATE_VCPU(1<<32)", ioctl(vm_fd, KVM_CREATE_VCPU, 1L << 32));
	PROBE("KVM_SET_IDENTITY_MAP_ADDR(0xfffbc000) after vcpus",
	      ioctl(vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &(uint64_t){ 0xfffbc000 }));
	if (fd >= 0)
		close(fd);
}

static void probe_enable_cap(int vm_fd)
{
	struct kvm_enable_cap cap;

	memset(&cap, 0, sizeof(cap));
	cap.cap = KVM_CAP_USER_MEMORY;
	PROBE("KVM_ENABLE_CAP(KVM_CAP_USER_MEMORY)",
	      ioctl(vm_fd, KVM_ENABLE_CAP, &cap));
	cap.cap = 9999;
	PROBE("KVM_ENABLE_CAP(9999)", ioctl(vm_fd, KVM_ENABLE_CAP, &cap));
	PROBE("KVM_ENABLE_CAP(bad pointer)", ioctl(vm_fd, KVM_ENABLE_CAP, BAD_PTR));
}

/* Memslot validation, in an order where each probe sees a known state. */
static void probe_memslots(int vm_fd, long nr_slots, char *buf)
{
	const uint64_t sz = 0x10000;

	printf("## memslots\n");
	PROBE("SET_USER_MEMORY_REGION(bad pointer)",
	      ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, BAD_PTR));
	PROBE("slot 1 gpa unaligned", set_slot(vm_fd, 1, 0, 0x100800, sz, buf));
	PROBE("slot 1 size unaligned", set_slot(vm_fd, 1, 0, 0x100000, sz + 0x800, buf));
	PROBE("slot 1 hva unaligned", set_slot(vm_fd, 1, 0, 0x100000, sz, buf + 0x800));
	PROBE("slot 1 unknown flag 1<<8", set_slot(vm_fd, 1, 1u << 8, 0x100000, sz, buf));
	PROBE("slot 1 unknown flag 1<<31", set_slot(vm_fd, 1, 1u << 31, 0x100000, sz, buf));
	PROBE("slot 1 gpa+size wraps",
	      set_slot(vm_fd, 1, 0, 0xfffffffffffff000ULL, 0x2000, buf));
	PROBE("slot 1 hva in kernel half",
	      set_slot(vm_fd, 1, 0, 0x100000, sz, (void *)0xffff800000000000ULL));
	PROBE("slot NR_MEMSLOTS", set_slot(vm_fd, nr_slots, 0, 0x100000, sz, buf));
	PROBE("slot NR_MEMSLOTS-1", set_slot(vm_fd, nr_slots - 1, 0, 0x300000, sz, buf));
	PROBE("slot NR_MEMSLOTS-1 delete", set_slot(vm_fd, nr_slots - 1, 0, 0x300000, 0, buf));
	PROBE("slot 0x7fff", set_slot(vm_fd, 0x7fff, 0, 0x100000, sz, buf));
	PROBE("as_id 1 slot 3", set_slot(vm_fd, 1u << 16 | 3, 0, 0x100000, sz, buf));
	PROBE("as_id 1 slot 3 delete", set_slot(vm_fd, 1u << 16 | 3, 0, 0x100000, 0, buf));
	PROBE("as_id 2 slot 3", set_slot(vm_fd, 2u << 16 | 3, 0, 0x100000, sz, buf));
	PROBE("delete never-created slot 5", set_slot(vm_fd, 5, 0, 0, 0, NULL));

	PROBE("slot 1 create", set_slot(vm_fd, 1, 0, 0x100000, sz, buf));
	PROBE("slot 1 same again", set_slot(vm_fd, 1, 0, 0x100000, sz, buf));
	PROBE("slot 2 overlapping slot 1", set_slot(vm_fd, 2, 0, 0x108000, sz, buf + sz));
	PROBE("slot 2 adjacent to slot 1", set_slot(vm_fd, 2, 0, 0x110000, sz, buf + sz));
	PROBE("slot 1 live READONLY flip",
	      set_slot(vm_fd, 1, KVM_MEM_READONLY, 0x100000, sz, buf));
	PROBE("slot 1 live size change", set_slot(vm_fd, 1, 0, 0x100000, 2 * sz, buf));
	PROBE("slot 1 live hva change", set_slot(vm_fd, 1, 0, 0x100000, sz, buf + 2 * sz));
	PROBE("slot 1 LOG_DIRTY_PAGES on",
	      set_slot(vm_fd, 1, KVM_MEM_LOG_DIRTY_PAGES, 0x100000, sz, buf));
	PROBE("slot 1 LOG_DIRTY_PAGES off", set_slot(vm_fd, 1, 0, 0x100000, sz, buf));
	PROBE("slot 1 move onto slot 2", set_slot(vm_fd, 1, 0, 0x110000, sz, buf));
	PROBE("slot 1 move to 0x200000", set_slot(vm_fd, 1, 0, 0x200000, sz, buf));
	PROBE("slot 1 delete", set_slot(vm_fd, 1, 0, 0x200000, 0, buf));
	PROBE("slot 1 delete again", set_slot(vm_fd, 1, 0, 0x200000, 0, buf));
	PROBE("slot 1 recreate READONLY",
	      set_slot(vm_fd, 1, KVM_MEM_READONLY, 0x100000, sz, buf));
	PROBE("slot 1 delete (gpa ignored)", set_slot(vm_fd, 1, 0, 0x900000, 0, buf));
	PROBE("slot 2 delete", set_slot(vm_fd, 2, 0, 0, 0, NULL));
}

static void probe_vcpu_fd(int vm_fd, int kvm_fd)
{
	size_t mmap_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_run *run;
	struct kvm_regs regs;
	void *p;
	int fd;

	printf("## vCPU fd\n");
	fd = PROBE_FD("KVM_CREATE_VCPU(0)", ioctl(vm_fd, KVM_CREATE_VCPU, 0));
	if (fd < 0)
		fatal("no vcpu");
	PROBE("KVM_GET_REGS(bad pointer)", ioctl(fd, KVM_GET_REGS, BAD_PTR));
	PROBE("KVM_SET_REGS(bad pointer)", ioctl(fd, KVM_SET_REGS, BAD_PTR));
	PROBE("KVM_GET_REGS", ioctl(fd, KVM_GET_REGS, &regs));
	PROBE("unknown vCPU ioctl _IO(KVMIO,0xef)", ioctl(fd, KVM_BOGUS_IOCTL, 0));
	PROBE("unknown vCPU ioctl _IOW(KVMIO,0xef,u64)",
	      ioctl(fd, KVM_BOGUS_IOCTL_W, &(uint64_t){ 0 }));

	run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (run == MAP_FAILED)
		fatal("mmap(vcpu): errno=%s", errno_name(errno));
	run->immediate_exit = 1;
	PROBE("KVM_RUN immediate_exit=1", ioctl(fd, KVM_RUN, 0));
	printf("  exit_reason=%s(%u)\n", exit_reason_name(run->exit_reason),
	       run->exit_reason);
	run->immediate_exit = 0;
	munmap(run, mmap_size);

	printf("## mmap\n");
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vm_fd, 0);
	report("mmap(VM fd)", p == MAP_FAILED ? -1 : 0, errno, 0);
	if (p != MAP_FAILED)
		munmap(p, 4096);
	p = mmap(NULL, mmap_size + 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	report("mmap(vCPU fd, mmap size + 4096)", p == MAP_FAILED ? -1 : 0, errno, 0);
	if (p != MAP_FAILED)
		munmap(p, mmap_size + 4096);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, kvm_fd, 0);
	report("mmap(/dev/kvm fd)", p == MAP_FAILED ? -1 : 0, errno, 0);
	if (p != MAP_FAILED)
		munmap(p, 4096);
	close(fd);
}

static void probe_other_fds(void)
{
	int fd;

	printf("## other fds\n");
	fd = open("/dev/null", O_RDONLY);
	if (fd < 0)
		fatal("open(/dev/null): errno=%s", errno_name(errno));
	close(fd);
	PROBE("KVM_GET_API_VERSION on closed fd", ioctl(fd, KVM_GET_API_VERSION, 0));
	fd = open("/proc/self/exe", O_RDONLY);
	if (fd < 0)
		fatal("open(/proc/self/exe): errno=%s", errno_name(errno));
	PROBE("KVM_GET_API_VERSION on regular file", ioctl(fd, KVM_GET_API_VERSION, 0));
	PROBE("KVM_CREATE_VM on regular file", ioctl(fd, KVM_CREATE_VM, 0));
	close(fd);
}

enum bad_sregs {
	BAD_PG_WITHOUT_PE,
	BAD_LME_PG_WITHOUT_PAE,
	BAD_LMA_WITHOUT_PG,
	BAD_NW_WITHOUT_CD,
	BAD_CR4_RESERVED,
	BAD_CR3_BEYOND_MAXPHYADDR,
	BAD_CS_L_AND_D,
	BAD_CS_DATA_TYPE,
	BAD_SS_NOT_PRESENT,
	BAD_SS_DPL3,
	BAD_EFER_RESERVED,
	BAD_CR4_VMXE,
	BAD_NR,
};

static const char *const bad_sregs_names[BAD_NR] = {
	[BAD_PG_WITHOUT_PE] = "CR0.PG without CR0.PE",
	[BAD_LME_PG_WITHOUT_PAE] = "EFER.LME+CR0.PG without CR4.PAE",
	[BAD_LMA_WITHOUT_PG] = "EFER.LMA without CR0.PG",
	[BAD_NW_WITHOUT_CD] = "CR0.NW without CR0.CD",
	[BAD_CR4_RESERVED] = "CR4 bit 63",
	[BAD_CR3_BEYOND_MAXPHYADDR] = "CR3 = 1<<52 in long mode",
	[BAD_CS_L_AND_D] = "long mode CS.L=1 CS.D=1",
	[BAD_CS_DATA_TYPE] = "CS type 3 (data)",
	[BAD_SS_NOT_PRESENT] = "SS not present",
	[BAD_SS_DPL3] = "SS.DPL=3 (CPL 3) with CS.DPL=0",
	[BAD_EFER_RESERVED] = "EFER bit 20",
	[BAD_CR4_VMXE] = "CR4.VMXE",
};

static void spoil_sregs(struct kvm_sregs *s, enum bad_sregs how)
{
	switch (how) {
	case BAD_PG_WITHOUT_PE:
		s->cr0 &= ~CR0_PE;
		break;
	case BAD_LME_PG_WITHOUT_PAE:
		s->cr4 &= ~CR4_PAE;
		break;
	case BAD_LMA_WITHOUT_PG:
		s->cr0 &= ~CR0_PG;
		break;
	case BAD_NW_WITHOUT_CD:
		s->cr0 |= 1ULL << 29;
		break;
	case BAD_CR4_RESERVED:
		s->cr4 |= 1ULL << 63;
		break;
	case BAD_CR3_BEYOND_MAXPHYADDR:
		s->cr3 = 1ULL << 52;
		break;
	case BAD_CS_L_AND_D:
		s->cs.db = 1;
		break;
	case BAD_CS_DATA_TYPE:
		s->cs.type = 3;
		break;
	case BAD_SS_NOT_PRESENT:
		s->ss.present = 0;
		break;
	case BAD_SS_DPL3:
		s->ss.dpl = 3;
		break;
	case BAD_EFER_RESERVED:
		s->efer |= 1ULL << 20;
		break;
	case BAD_CR4_VMXE:
		s->cr4 |= 1ULL << 13;
		break;
	case BAD_NR:
		break;
	}
}

/* A long mode vCPU about to execute hlt, then one spoilt sregs field. */
static void probe_bad_sregs(int kvm_fd, enum bad_sregs how)
{
	struct vmm v = { .kvm_fd = kvm_fd };
	struct kvm_sregs sregs;
	char name[96];
	char *ram;

	vmm_create_vm(&v);
	ram = vmm_alloc(0x400000);
	vmm_set_slot(&v, 0, 0, 0, 0x400000, ram);
	vmm_load(ram, 0x8000, guest_hlt_start, guest_hlt_end);
	vmm_setup_long_mode(&v, ram, 0x1000, 0x4000);
	vmm_set_regs(&v, 0x8000, 0x7000);
	vmm_get_sregs(&v, &sregs);
	spoil_sregs(&sregs, how);
	snprintf(name, sizeof(name), "KVM_SET_SREGS(%s)", bad_sregs_names[how]);
	if (PROBE(name, ioctl(v.vcpu_fd, KVM_SET_SREGS, &sregs)) == 0) {
		vmm_get_sregs(&v, &sregs);
		printf("  readback: cr0=%llx cr3=%llx cr4=%llx efer=%llx\n",
		       sregs.cr0, sregs.cr3, sregs.cr4, sregs.efer);
	}
	/*
	 * Run either way: an accepted state shows what entry makes of it
	 * (FAIL_ENTRY, shutdown, or nothing), a rejected one must have left
	 * the valid state in place, so the vCPU just halts.
	 */
	printf("  ");
	vmm_run(&v);
	vmm_destroy_vm(&v);
	munmap(ram, 0x400000);
}

int main(void)
{
	int kvm_fd, vm_fd;
	long nr_slots;
	char *buf;

	printf("# vmm-errno\n");
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		fatal("open(/dev/kvm): errno=%s", errno_name(errno));
	nr_slots = probe_system(kvm_fd);

	vm_fd = xioctl(kvm_fd, KVM_CREATE_VM, 0);
	probe_vcpu_create(vm_fd);
	probe_enable_cap(vm_fd);
	buf = vmm_alloc(SLOT_BUF_SIZE);
	probe_memslots(vm_fd, nr_slots, buf);
	probe_vcpu_fd(vm_fd, kvm_fd);
	close(vm_fd);
	probe_other_fds();

	printf("## invalid sregs\n");
	for (int i = 0; i < BAD_NR; i++)
		probe_bad_sregs(kvm_fd, i);
	close(kvm_fd);
	return 0;
}
