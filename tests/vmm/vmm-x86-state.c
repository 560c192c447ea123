// SPDX-License-Identifier: MIT
/*
 * vmm-x86-state: the x86 vCPU/VM state ioctls every KVM selftest's setup
 * goes through, with bad input, one line per probe.
 *
 * Checks: KVM_GET_SUPPORTED_CPUID (nent 0 and 1: E2BIG), KVM_SET_CPUID2
 * (too many entries: E2BIG; bad pointer: EFAULT), KVM_GET_CPUID2 (short
 * array: E2BIG and nent untouched; the table set comes back), KVM_SET_CPUID2
 * after KVM_RUN (a changed table: EINVAL; the same: 0); TSC:
 * KVM_CAP_GET_TSC_KHZ, KVM_GET_TSC_KHZ (VM and vCPU, positive),
 * KVM_SET_TSC_KHZ of 0xffffffff (EINVAL), IA32_TSC set by the host and
 * read back (not below what was written); KVM_GET_MSR_INDEX_LIST and
 * KVM_GET_MSR_FEATURE_INDEX_LIST (E2BIG with the count, the list),
 * KVM_GET_MSRS on /dev/kvm (a feature MSR: 1, IA32_TSC: 0), KVM_GET_MSRS
 * on the vCPU (256 entries: E2BIG, bad pointer: EFAULT, count up to the
 * first refused MSR), KVM_SET_MSRS with values KVM refuses (non-canonical
 * FS base and LSTAR, PAT type 2, an EFER reserved bit, APIC base reserved
 * bits and EXTD without EN) and accepts (HWCR's ignored bits read back 0,
 * SYSENTER_EIP made canonical); KVM_GET/SET_MP_STATE (unknown state:
 * EINVAL; HALTED without an in-kernel irqchip: EINVAL);
 * KVM_SET_BOOT_CPU_ID after a vCPU (EBUSY), KVM_ENABLE_CAP of
 * KVM_CAP_MAX_VCPU_ID beyond the limit (EINVAL); KVM_SET_NR_MMU_PAGES
 * below 64 (EINVAL); KVM_GET_STATS_FD (header layout, id, ioctl on it:
 * ENOTTY).
 *
 * Host-dependent values (frequencies, list lengths, MSR values) are
 * printed as properties ("positive", "sorted", "found"), never as numbers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm-lib.h"

#define BAD_PTR			((void *)8)
#define MSR_IA32_TSC		0x10
#define MSR_IA32_APICBASE	0x1b
#define MSR_IA32_UCODE_REV	0x8b
#define MSR_IA32_SYSENTER_EIP	0x176
#define MSR_IA32_CR_PAT		0x277
#define MSR_EFER		0xc0000080
#define MSR_LSTAR		0xc0000082
#define MSR_FS_BASE		0xc0000100
#define MSR_K7_HWCR		0xc0010015

extern const char guest_state_start[], guest_state_end[];

static void report(const char *name, long ret, int err)
{
	if (ret < 0)
		printf("%s: ret=%ld errno=%s\n", name, ret, errno_name(err));
	else
		printf("%s: ret=%ld\n", name, ret);
}

#define PROBE(name, expr) ({		\
	long __ret;			\
	errno = 0;			\
	__ret = (expr);			\
	report(name, __ret, errno);	\
	__ret;				\
})

static struct kvm_cpuid2 *cpuid_alloc(uint32_t nent)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));

	if (!c)
		fatal("calloc");
	c->nent = nent;
	return c;
}

static void probe_cpuid(struct vmm *v, struct kvm_cpuid2 **sup)
{
	struct kvm_cpuid2 *c = cpuid_alloc(1);

	printf("## CPUID\n");
	c->nent = 0;
	PROBE("KVM_GET_SUPPORTED_CPUID nent=0", ioctl(v->kvm_fd, KVM_GET_SUPPORTED_CPUID, c));
	c->nent = 1;
	PROBE("KVM_GET_SUPPORTED_CPUID nent=1", ioctl(v->kvm_fd, KVM_GET_SUPPORTED_CPUID, c));
	free(c);
	*sup = cpuid_alloc(256);
	xioctl(v->kvm_fd, KVM_GET_SUPPORTED_CPUID, *sup);
	printf("supported entries: %s\n", (*sup)->nent > 1 ? "several" : "one");
	c = cpuid_alloc(257);
	PROBE("KVM_SET_CPUID2 nent=257", ioctl(v->vcpu_fd, KVM_SET_CPUID2, c));
	free(c);
	PROBE("KVM_SET_CPUID2 bad pointer", ioctl(v->vcpu_fd, KVM_SET_CPUID2, BAD_PTR));
	PROBE("KVM_SET_CPUID2 supported", ioctl(v->vcpu_fd, KVM_SET_CPUID2, *sup));
	c = cpuid_alloc(1);
	PROBE("KVM_GET_CPUID2 nent=1", ioctl(v->vcpu_fd, KVM_GET_CPUID2, c));
	printf("nent after E2BIG: %u\n", c->nent);
	free(c);
	c = cpuid_alloc(256);
	PROBE("KVM_GET_CPUID2 nent=256", ioctl(v->vcpu_fd, KVM_GET_CPUID2, c));
	printf("same count as set: %s\n", c->nent == (*sup)->nent ? "yes" : "no");
	free(c);
}

static void probe_tsc(struct vmm *v)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = MSR_IA32_TSC, .e.data = 1ull << 40 };
	long khz;

	printf("## TSC\n");
	printf("KVM_CAP_GET_TSC_KHZ: %s\n",
	       ioctl(v->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_GET_TSC_KHZ) > 0 ? "yes" : "no");
	khz = ioctl(v->vcpu_fd, KVM_GET_TSC_KHZ, 0);
	printf("vCPU KVM_GET_TSC_KHZ: %s\n", khz > 0 ? "positive" : errno_name(errno));
	khz = ioctl(v->vm_fd, KVM_GET_TSC_KHZ, 0);
	printf("VM KVM_GET_TSC_KHZ: %s\n", khz > 0 ? "positive" : errno_name(errno));
	PROBE("vCPU KVM_SET_TSC_KHZ 0xffffffff", ioctl(v->vcpu_fd, KVM_SET_TSC_KHZ, 0xffffffffu));
	PROBE("VM KVM_SET_TSC_KHZ 0xffffffff", ioctl(v->vm_fd, KVM_SET_TSC_KHZ, 0xffffffffu));
	PROBE("KVM_SET_MSRS IA32_TSC=2^40", ioctl(v->vcpu_fd, KVM_SET_MSRS, &m));
	m.e.data = 0;
	PROBE("KVM_GET_MSRS IA32_TSC", ioctl(v->vcpu_fd, KVM_GET_MSRS, &m));
	printf("TSC read back: %s\n", m.e.data >= (1ull << 40) && m.e.data < (1ull << 41) ?
	       "at or just past 2^40" : "elsewhere");
}

static void probe_msr_lists(struct vmm *v)
{
	struct kvm_msr_list hdr = { .nmsrs = 0 }, *l;
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = MSR_IA32_UCODE_REV };
	bool found = false;

	printf("## MSR lists\n");
	PROBE("KVM_GET_MSR_INDEX_LIST nmsrs=0", ioctl(v->kvm_fd, KVM_GET_MSR_INDEX_LIST, &hdr));
	printf("count reported: %s\n", hdr.nmsrs > 0 ? "positive" : "zero");
	l = calloc(1, sizeof(*l) + hdr.nmsrs * sizeof(l->indices[0]));
	if (!l)
		fatal("calloc");
	l->nmsrs = hdr.nmsrs;
	PROBE("KVM_GET_MSR_INDEX_LIST", ioctl(v->kvm_fd, KVM_GET_MSR_INDEX_LIST, l));
	for (uint32_t i = 0; i < l->nmsrs; i++)
		found |= l->indices[i] == MSR_IA32_TSC;
	printf("IA32_TSC listed: %s\n", found ? "yes" : "no");
	free(l);
	PROBE("KVM_GET_MSR_INDEX_LIST bad pointer",
	      ioctl(v->kvm_fd, KVM_GET_MSR_INDEX_LIST, BAD_PTR));
	hdr.nmsrs = 0;
	PROBE("KVM_GET_MSR_FEATURE_INDEX_LIST nmsrs=0",
	      ioctl(v->kvm_fd, KVM_GET_MSR_FEATURE_INDEX_LIST, &hdr));
	printf("count reported: %s\n", hdr.nmsrs > 0 ? "positive" : "zero");
	PROBE("/dev/kvm KVM_GET_MSRS UCODE_REV", ioctl(v->kvm_fd, KVM_GET_MSRS, &m));
	m.e.index = MSR_IA32_TSC;
	PROBE("/dev/kvm KVM_GET_MSRS IA32_TSC", ioctl(v->kvm_fd, KVM_GET_MSRS, &m));
}

static long set_msr(struct vmm *v, uint32_t index, uint64_t data)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = index, .e.data = data };

	return ioctl(v->vcpu_fd, KVM_SET_MSRS, &m);
}

static uint64_t get_msr(struct vmm *v, uint32_t index)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = index };

	if (ioctl(v->vcpu_fd, KVM_GET_MSRS, &m) != 1)
		return ~0ull;
	return m.e.data;
}

static void probe_msrs(struct vmm *v)
{
	struct kvm_msrs *big = calloc(1, sizeof(*big) + 256 * sizeof(big->entries[0]));
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[3];
	} m = { .hdr.nmsrs = 3,
		.e = { { .index = MSR_IA32_TSC }, { .index = 0xdeadbeef },
		       { .index = MSR_IA32_TSC } } };

	printf("## vCPU MSRs\n");
	if (!big)
		fatal("calloc");
	big->nmsrs = 256;
	PROBE("KVM_GET_MSRS nmsrs=256", ioctl(v->vcpu_fd, KVM_GET_MSRS, big));
	free(big);
	PROBE("KVM_GET_MSRS bad pointer", ioctl(v->vcpu_fd, KVM_GET_MSRS, BAD_PTR));
	PROBE("KVM_GET_MSRS TSC, 0xdeadbeef, TSC", ioctl(v->vcpu_fd, KVM_GET_MSRS, &m));
	PROBE("FS_BASE non-canonical", set_msr(v, MSR_FS_BASE, 0x0000800000000000ull));
	PROBE("FS_BASE canonical", set_msr(v, MSR_FS_BASE, 0xffff800000001000ull));
	PROBE("LSTAR non-canonical", set_msr(v, MSR_LSTAR, 0x1234000000000000ull));
	PROBE("PAT type 2", set_msr(v, MSR_IA32_CR_PAT, 0x0007040600070402ull));
	PROBE("PAT valid", set_msr(v, MSR_IA32_CR_PAT, 0x0007040600070406ull));
	PROBE("EFER bit 1", set_msr(v, MSR_EFER, 0x2));
	PROBE("APIC base reserved bit 0", set_msr(v, MSR_IA32_APICBASE, 0xfee00901ull));
	PROBE("APIC base EXTD without EN", set_msr(v, MSR_IA32_APICBASE, 0xfee00500ull));
	PROBE("HWCR bit 1", set_msr(v, MSR_K7_HWCR, 0x2));
	PROBE("HWCR ignored bits 0x148", set_msr(v, MSR_K7_HWCR, 0x148));
	printf("HWCR read back: 0x%llx\n", (unsigned long long)get_msr(v, MSR_K7_HWCR));
	PROBE("SYSENTER_EIP non-canonical", set_msr(v, MSR_IA32_SYSENTER_EIP,
						    0x0000900000000000ull));
	printf("SYSENTER_EIP read back: 0x%llx\n",
	       (unsigned long long)get_msr(v, MSR_IA32_SYSENTER_EIP));
}

/*
 * The stats file is read-only (write: EBADF), has no pwrite (ESPIPE), and
 * its lseek is noop_llseek: the position read left, whatever is asked.
 */
static void probe_stats_file(int fd, struct kvm_stats_header *h)
{
	char buf[8] = { 0 };

	printf("stats fd access mode: %s\n",
	       (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY ? "O_RDONLY" : "other");
	PROBE("write on the stats fd", write(fd, buf, sizeof(buf)));
	PROBE("pwrite on the stats fd", pwrite(fd, buf, sizeof(buf), 0));
	PROBE("lseek SEEK_END on the stats fd", lseek(fd, 0, SEEK_END));
	if (read(fd, h, sizeof(*h)) != sizeof(*h))
		fatal("read(stats)");
	PROBE("lseek SEEK_SET 0 after a read", lseek(fd, 0, SEEK_SET));
}

static void probe_vm(struct vmm *v)
{
	struct kvm_mp_state mp;
	struct kvm_enable_cap cap = { .cap = KVM_CAP_MAX_VCPU_ID, .args = { 1u << 30 } };
	struct kvm_stats_header h;
	char id[8] = { 0 };
	int fd;

	printf("## MP state and VM\n");
	PROBE("KVM_GET_MP_STATE", ioctl(v->vcpu_fd, KVM_GET_MP_STATE, &mp));
	printf("mp_state: %u\n", mp.mp_state);
	mp.mp_state = 99;
	PROBE("KVM_SET_MP_STATE 99", ioctl(v->vcpu_fd, KVM_SET_MP_STATE, &mp));
	mp.mp_state = KVM_MP_STATE_HALTED;
	PROBE("KVM_SET_MP_STATE HALTED, no irqchip", ioctl(v->vcpu_fd, KVM_SET_MP_STATE, &mp));
	mp.mp_state = KVM_MP_STATE_RUNNABLE;
	PROBE("KVM_SET_MP_STATE RUNNABLE", ioctl(v->vcpu_fd, KVM_SET_MP_STATE, &mp));
	PROBE("KVM_SET_MP_STATE bad pointer", ioctl(v->vcpu_fd, KVM_SET_MP_STATE, BAD_PTR));
	PROBE("KVM_SET_BOOT_CPU_ID after a vCPU", ioctl(v->vm_fd, KVM_SET_BOOT_CPU_ID, 0));
	PROBE("KVM_ENABLE_CAP MAX_VCPU_ID 2^30", ioctl(v->vm_fd, KVM_ENABLE_CAP, &cap));
	PROBE("KVM_SET_NR_MMU_PAGES 10", ioctl(v->vm_fd, KVM_SET_NR_MMU_PAGES, 10));
	PROBE("KVM_SET_NR_MMU_PAGES 1000", ioctl(v->vm_fd, KVM_SET_NR_MMU_PAGES, 1000));
	fd = ioctl(v->vm_fd, KVM_GET_STATS_FD, 0);
	if (fd < 0) {
		printf("KVM_GET_STATS_FD: errno=%s\n", errno_name(errno));
		return;
	}
	if (pread(fd, &h, sizeof(h), 0) != sizeof(h) ||
	    pread(fd, id, sizeof(id) - 1, h.id_offset) != sizeof(id) - 1)
		fatal("pread(stats)");
	printf("stats: name_size=%u descriptors=%s id=%.4s desc>id=%s data>desc=%s\n",
	       h.name_size, h.num_desc ? "some" : "none", id,
	       h.desc_offset >= h.id_offset + h.name_size ? "yes" : "no",
	       h.data_offset >= h.desc_offset ? "yes" : "no");
	PROBE("ioctl on the stats fd", ioctl(fd, KVM_GET_STATS_FD, 0));
	probe_stats_file(fd, &h);
	close(fd);
}

/* After one KVM_RUN: only the very table set before is accepted. */
static void probe_cpuid_after_run(struct vmm *v, struct kvm_cpuid2 *sup)
{
	void *mem = vmm_alloc(0x10000);

	printf("## after KVM_RUN\n");
	vmm_load(mem, 0, guest_state_start, guest_state_end);
	vmm_set_slot(v, 0, 0, 0, 0x10000, mem);
	vmm_set_regs(v, 0, 0x8000);
	{
		struct kvm_sregs s;

		vmm_get_sregs(v, &s);
		s.cs.base = 0;
		s.cs.selector = 0;
		vmm_set_sregs(v, &s);
	}
	vmm_run(v);
	/* the vCPU's own table: KVM_SET_CPUID2 applied its runtime bits */
	xioctl(v->vcpu_fd, KVM_GET_CPUID2, sup);
	PROBE("KVM_SET_CPUID2 the same table", ioctl(v->vcpu_fd, KVM_SET_CPUID2, sup));
	sup->entries[0].eax ^= 1;
	PROBE("KVM_SET_CPUID2 a changed table", ioctl(v->vcpu_fd, KVM_SET_CPUID2, sup));
	sup->entries[0].eax ^= 1;
	sup->nent--;
	PROBE("KVM_SET_CPUID2 one entry fewer", ioctl(v->vcpu_fd, KVM_SET_CPUID2, sup));
}

int main(void)
{
	struct vmm v;
	struct kvm_cpuid2 *sup;

	setvbuf(stdout, NULL, _IOLBF, 0);
	vmm_open(&v);
	probe_cpuid(&v, &sup);
	probe_tsc(&v);
	probe_msr_lists(&v);
	probe_msrs(&v);
	probe_vm(&v);
	probe_cpuid_after_run(&v, sup);
	free(sup);
	vmm_close(&v);
	return 0;
}
