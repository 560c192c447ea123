// SPDX-License-Identifier: MIT
/*
 * Shared helpers for the standalone VMM test programs: KVM plumbing that
 * dies loudly on unexpected errors, and transcript printing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm-lib.h"

/*
 * Line-buffer stdout before main(): if a program dies mid-run (under a
 * simulator that misbehaves, say), the transcript up to that point still
 * reaches the diff.
 */
__attribute__((constructor)) static void line_buffer_stdout(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

const char *errno_name(int err)
{
	static char buf[16];

	switch (err) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ESRCH: return "ESRCH";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case ENXIO: return "ENXIO";
	case E2BIG: return "E2BIG";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case ENFILE: return "ENFILE";
	case EMFILE: return "EMFILE";
	case ENOTTY: return "ENOTTY";
	case ESPIPE: return "ESPIPE";
	case ENOSPC: return "ENOSPC";
	case ERANGE: return "ERANGE";
	case ENOSYS: return "ENOSYS";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EHWPOISON: return "EHWPOISON";
	}
	snprintf(buf, sizeof(buf), "E#%d", err);
	return buf;
}

static const char *const exit_names[] = {
	[KVM_EXIT_UNKNOWN] = "UNKNOWN",
	[KVM_EXIT_EXCEPTION] = "EXCEPTION",
	[KVM_EXIT_IO] = "IO",
	[KVM_EXIT_HYPERCALL] = "HYPERCALL",
	[KVM_EXIT_DEBUG] = "DEBUG",
	[KVM_EXIT_HLT] = "HLT",
	[KVM_EXIT_MMIO] = "MMIO",
	[KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
	[KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
	[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
	[KVM_EXIT_INTR] = "INTR",
	[KVM_EXIT_SET_TPR] = "SET_TPR",
	[KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS",
	[KVM_EXIT_NMI] = "NMI",
	[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
	[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
	[KVM_EXIT_IOAPIC_EOI] = "IOAPIC_EOI",
	[KVM_EXIT_HYPERV] = "HYPERV",
	[KVM_EXIT_X86_RDMSR] = "X86_RDMSR",
	[KVM_EXIT_X86_WRMSR] = "X86_WRMSR",
	[KVM_EXIT_DIRTY_RING_FULL] = "DIRTY_RING_FULL",
	[KVM_EXIT_X86_BUS_LOCK] = "X86_BUS_LOCK",
	[KVM_EXIT_XEN] = "XEN",
	[KVM_EXIT_NOTIFY] = "NOTIFY",
	[KVM_EXIT_MEMORY_FAULT] = "MEMORY_FAULT",
	[KVM_EXIT_TDX] = "TDX",
};

const char *exit_reason_name(uint32_t reason)
{
	if (reason < sizeof(exit_names) / sizeof(exit_names[0]) &&
	    exit_names[reason])
		return exit_names[reason];
	return "?";
}

void fatal(const char *fmt, ...)
{
	va_list ap;

	printf("fatal: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1);
}

int xioctl_named(int fd, unsigned long req, unsigned long arg, const char *name)
{
	int ret = ioctl(fd, req, arg);

	if (ret < 0)
		fatal("%s: ret=%d errno=%s", name, ret, errno_name(errno));
	return ret;
}

void vmm_create_vm(struct vmm *v)
{
	int size;

	v->vm_fd = xioctl(v->kvm_fd, KVM_CREATE_VM, 0);
	size = xioctl(v->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if ((size_t)size < sizeof(struct kvm_run))
		fatal("KVM_GET_VCPU_MMAP_SIZE: %d is too small", size);
	v->run_size = size;
	v->vcpu_fd = xioctl(v->vm_fd, KVM_CREATE_VCPU, 0);
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->vcpu_fd, 0);
	if (v->run == MAP_FAILED)
		fatal("mmap(vcpu): errno=%s", errno_name(errno));
	v->nr_runs = 0;
}

void vmm_open(struct vmm *v)
{
	int api;

	v->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (v->kvm_fd < 0)
		fatal("open(/dev/kvm): errno=%s", errno_name(errno));
	api = xioctl(v->kvm_fd, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION)
		fatal("KVM_GET_API_VERSION: %d", api);
	vmm_create_vm(v);
}

void vmm_destroy_vm(struct vmm *v)
{
	munmap(v->run, v->run_size);
	close(v->vcpu_fd);
	close(v->vm_fd);
	v->run = NULL;
	v->vcpu_fd = v->vm_fd = -1;
}

void vmm_close(struct vmm *v)
{
	vmm_destroy_vm(v);
	close(v->kvm_fd);
	v->kvm_fd = -1;
}

void *vmm_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		fatal("mmap(%zu): errno=%s", size, errno_name(errno));
	return p;
}

void vmm_set_slot(struct vmm *v, uint32_t slot, uint32_t flags,
		  uint64_t gpa, uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	xioctl(v->vm_fd, KVM_SET_USER_MEMORY_REGION, &r);
}

void vmm_load(void *mem, uint64_t offset, const void *start, const void *end)
{
	memcpy((char *)mem + offset, start, (const char *)end - (const char *)start);
}

void vmm_set_regs(struct vmm *v, uint64_t rip, uint64_t rsp)
{
	struct kvm_regs regs;

	/* Every register explicitly: reset values (rdx = CPUID signature) are host-specific. */
	memset(&regs, 0, sizeof(regs));
	regs.rip = rip;
	regs.rsp = rsp;
	regs.rflags = RFLAGS_FIXED;
	xioctl(v->vcpu_fd, KVM_SET_REGS, &regs);
}

void vmm_get_regs(struct vmm *v, struct kvm_regs *regs)
{
	xioctl(v->vcpu_fd, KVM_GET_REGS, regs);
}

void vmm_get_sregs(struct vmm *v, struct kvm_sregs *sregs)
{
	xioctl(v->vcpu_fd, KVM_GET_SREGS, sregs);
}

void vmm_set_sregs(struct vmm *v, const struct kvm_sregs *sregs)
{
	xioctl(v->vcpu_fd, KVM_SET_SREGS, sregs);
}

static void put_gdt_entry(void *mem, uint64_t gdt_gpa, int idx, uint64_t desc)
{
	memcpy((char *)mem + gdt_gpa + idx * 8, &desc, 8);
}

static void flat_seg(struct kvm_segment *s, uint16_t sel, uint8_t type, int l)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->dpl = 0;
	s->db = !l;
	s->s = 1;
	s->l = l;
	s->g = 1;
}

void vmm_setup_long_mode(struct vmm *v, void *mem, uint64_t pt_gpa,
			 uint64_t gdt_gpa)
{
	uint64_t *pml4 = (uint64_t *)((char *)mem + pt_gpa);
	uint64_t *pdpt = pml4 + 512;
	uint64_t *pd = pml4 + 1024;
	const uint64_t tbl = PTE_P | PTE_RW | PTE_A;
	struct kvm_sregs sregs;

	pml4[0] = (pt_gpa + 0x1000) | tbl;
	pdpt[0] = (pt_gpa + 0x2000) | tbl;
	for (int i = 0; i < 512; i++)
		pd[i] = ((uint64_t)i << 21) | tbl | PTE_PS | PTE_D;

	/* Accessed bits pre-set: the CPU must not need to write the GDT. */
	put_gdt_entry(mem, gdt_gpa, 0, 0);
	put_gdt_entry(mem, gdt_gpa, 1, 0x00af9b000000ffffULL);	/* 64-bit code */
	put_gdt_entry(mem, gdt_gpa, 2, 0x00cf93000000ffffULL);	/* data */

	vmm_get_sregs(v, &sregs);
	flat_seg(&sregs.cs, 0x08, 0xb, 1);
	flat_seg(&sregs.ds, 0x10, 0x3, 0);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.gdt.base = gdt_gpa;
	sregs.gdt.limit = 3 * 8 - 1;
	sregs.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	sregs.cr3 = pt_gpa;
	sregs.cr4 = CR4_PAE;
	sregs.efer = EFER_LME | EFER_LMA;
	vmm_set_sregs(v, &sregs);
}

void print_hex(const void *buf, size_t len)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < len; i++)
		printf("%02x", p[i]);
}

void *vmm_io_data(struct vmm *v)
{
	return (char *)v->run + v->run->io.data_offset;
}

static void print_io(struct vmm *v)
{
	const struct kvm_run *run = v->run;

	printf(" dir=%s size=%u port=0x%x count=%u",
	       run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
	       run->io.size, run->io.port, run->io.count);
	/* "in" data is whatever the buffer held before: not part of the ABI. */
	if (run->io.direction == KVM_EXIT_IO_OUT) {
		printf(" data=");
		print_hex(vmm_io_data(v), (size_t)run->io.size * run->io.count);
	}
}

static void print_mmio(const struct kvm_run *run)
{
	printf(" gpa=0x%llx len=%u is_write=%u",
	       (unsigned long long)run->mmio.phys_addr, run->mmio.len,
	       run->mmio.is_write);
	if (run->mmio.is_write) {
		printf(" data=");
		print_hex(run->mmio.data, run->mmio.len <= 8 ? run->mmio.len : 8);
	}
}

static void print_memory_fault(const struct kvm_run *run)
{
	struct vmm_memory_fault mf;

	memcpy(&mf, &run->hw, sizeof(mf));
	printf(" flags=0x%llx gpa=0x%llx size=0x%llx",
	       (unsigned long long)mf.flags, (unsigned long long)mf.gpa,
	       (unsigned long long)mf.size);
}

void vmm_print_exit(struct vmm *v)
{
	const struct kvm_run *run = v->run;

	printf(" exit=%s(%u)", exit_reason_name(run->exit_reason),
	       run->exit_reason);
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		print_io(v);
		break;
	case KVM_EXIT_MMIO:
		print_mmio(run);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		/* data[] holds host/vendor details: only the suberror is ABI. */
		printf(" suberror=%u", run->internal.suberror);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		/* cpu is the host CPU number: not printed. */
		printf(" reason=0x%llx",
		       (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_EXCEPTION:
		printf(" exception=%u error_code=0x%x", run->ex.exception,
		       run->ex.error_code);
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		printf(" type=%u", run->system_event.type);
		break;
	case KVM_EXIT_MEMORY_FAULT:
		print_memory_fault(run);
		break;
	case KVM_EXIT_UNKNOWN:
		printf(" hardware_exit_reason=0x%llx",
		       (unsigned long long)run->hw.hardware_exit_reason);
		break;
	}
}

int vmm_run(struct vmm *v)
{
	struct kvm_regs regs;
	int ret, err;

	ret = ioctl(v->vcpu_fd, KVM_RUN, 0);
	err = errno;
	printf("run %u: ret=%d", ++v->nr_runs, ret);
	if (ret < 0) {
		printf(" errno=%s exit=%s(%u)", errno_name(err),
		       exit_reason_name(v->run->exit_reason),
		       v->run->exit_reason);
		/* Since 6.8 an EFAULT may come with a filled-in memory_fault. */
		if (v->run->exit_reason == KVM_EXIT_MEMORY_FAULT)
			print_memory_fault(v->run);
	} else {
		vmm_print_exit(v);
	}
	vmm_get_regs(v, &regs);
	printf(" rip=0x%llx\n", (unsigned long long)regs.rip);
	return ret < 0 ? -err : (int)v->run->exit_reason;
}

void vmm_supply_in(struct vmm *v, const void *data, size_t len)
{
	if (v->run->io.direction != KVM_EXIT_IO_IN ||
	    len != (size_t)v->run->io.size * v->run->io.count)
		fatal("supply_in: exit is not an 'in' of %zu bytes", len);
	memcpy(vmm_io_data(v), data, len);
	printf("  in-data=");
	print_hex(data, len);
	printf("\n");
}

void vmm_supply_mmio(struct vmm *v, const void *data, size_t len)
{
	if (v->run->mmio.is_write || len != v->run->mmio.len)
		fatal("supply_mmio: exit is not a read of %zu bytes", len);
	memcpy(v->run->mmio.data, data, len);
	printf("  mmio-data=");
	print_hex(data, len);
	printf("\n");
}

static void answer_in(struct vmm *v, uint8_t *in_seed)
{
	size_t len = (size_t)v->run->io.size * v->run->io.count;
	uint8_t buf[4096];

	if (len > sizeof(buf))
		fatal("in: %zu bytes is too large", len);
	for (size_t i = 0; i < len; i++)
		buf[i] = (*in_seed)++;
	vmm_supply_in(v, buf, len);
}

int vmm_run_io(struct vmm *v, uint8_t *in_seed)
{
	for (unsigned int exits = 0; exits < 1000; exits++) {
		int reason = vmm_run(v);

		if (reason != KVM_EXIT_IO)
			return reason;
		if (v->run->io.direction == KVM_EXIT_IO_IN)
			answer_in(v, in_seed);
	}
	fatal("guest still doing I/O after 1000 exits");
}

void vmm_run_to_hlt(struct vmm *v, uint8_t *in_seed)
{
	if (vmm_run_io(v, in_seed) != KVM_EXIT_HLT)
		fatal("guest stopped without hlt");
}

static void print_seg(const char *name, const struct kvm_segment *seg)
{
	printf("sregs: %s=%x base=%llx limit=%x type=%x s=%u dpl=%u p=%u l=%u db=%u g=%u\n",
	       name, seg->selector, seg->base, seg->limit, seg->type, seg->s,
	       seg->dpl, seg->present, seg->l, seg->db, seg->g);
}

void vmm_print_sregs(struct vmm *v)
{
	struct kvm_sregs s;

	vmm_get_sregs(v, &s);
	printf("sregs: cr0=%llx cr2=%llx cr3=%llx cr4=%llx efer=%llx\n",
	       s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
	print_seg("cs", &s.cs);
	print_seg("ds", &s.ds);
	print_seg("ss", &s.ss);
}

uint64_t fnv1a64(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

void vmm_print_regs(struct vmm *v)
{
	struct kvm_regs r;

	vmm_get_regs(v, &r);
	printf("regs: rax=%llx rbx=%llx rcx=%llx rdx=%llx\n",
	       r.rax, r.rbx, r.rcx, r.rdx);
	printf("regs: rsi=%llx rdi=%llx rsp=%llx rbp=%llx\n",
	       r.rsi, r.rdi, r.rsp, r.rbp);
	printf("regs: r8=%llx r9=%llx r10=%llx r11=%llx\n",
	       r.r8, r.r9, r.r10, r.r11);
	printf("regs: r12=%llx r13=%llx r14=%llx r15=%llx\n",
	       r.r12, r.r13, r.r14, r.r15);
	printf("regs: rip=%llx rflags=%llx\n", r.rip, r.rflags);
	/* struct kvm_regs is exactly rax..r15, rip, rflags: no padding. */
	printf("regs checksum: %016llx\n",
	       (unsigned long long)fnv1a64(&r, sizeof(r)));
}

void vmm_print_mem(const char *name, const void *buf, size_t len)
{
	printf("mem %s: len=0x%zx fnv1a=%016llx\n", name, len,
	       (unsigned long long)fnv1a64(buf, len));
}

void vmm_set_idt_gate(char *idt, int vector, uint64_t handler)
{
	uint64_t gate[2];

	gate[0] = (handler & 0xffff) | (0x08ULL << 16) | (0x8eULL << 40) |
		  ((handler >> 16 & 0xffff) << 48);
	gate[1] = handler >> 32;
	memcpy(idt + vector * 16, gate, sizeof(gate));
}
