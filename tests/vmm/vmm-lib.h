/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers for the standalone VMM test programs in tests/vmm/.
 *
 * These programs talk to the KVM uAPI exactly like any VMM would (open,
 * ioctl, mmap) so they run unchanged on a real /dev/kvm and under
 * `kvmsim exec`.  They must not depend on anything from kvmsim: only libc
 * and the system <linux/kvm.h>.
 *
 * Everything they print goes to stdout and must be deterministic: no host
 * addresses, no timing, no host-specific numbers except the ones a VMM
 * legitimately observes through the uAPI (and which kvmsim must mirror).
 */
#ifndef VMM_LIB_H
#define VMM_LIB_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

/* Newer uAPI bits the Debian 6.1 header lacks. */
#ifndef KVM_EXIT_LOONGARCH_IOCSR
#define KVM_EXIT_LOONGARCH_IOCSR 38
#endif
#ifndef KVM_EXIT_MEMORY_FAULT
#define KVM_EXIT_MEMORY_FAULT 39
#endif
#ifndef KVM_EXIT_TDX
#define KVM_EXIT_TDX 40
#endif

/*
 * run->memory_fault as defined since Linux 6.8.  It lives in the exit
 * union of struct kvm_run, i.e. at the offset of run->hw.
 */
struct vmm_memory_fault {
	uint64_t flags;
	uint64_t gpa;
	uint64_t size;
};

struct vmm {
	int kvm_fd;
	int vm_fd;
	int vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	unsigned int nr_runs;	/* KVM_RUN calls so far, for the transcript */
};

/* Guest-visible constants shared by the long mode programs. */
#define CR0_PE		(1ULL << 0)
#define CR0_MP		(1ULL << 1)
#define CR0_ET		(1ULL << 4)
#define CR0_NE		(1ULL << 5)
#define CR0_WP		(1ULL << 16)
#define CR0_PG		(1ULL << 31)
#define CR4_PSE		(1ULL << 4)
#define CR4_PAE		(1ULL << 5)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)

#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_US		(1ULL << 2)
#define PTE_A		(1ULL << 5)
#define PTE_D		(1ULL << 6)
#define PTE_PS		(1ULL << 7)

#define RFLAGS_FIXED	0x2ULL

const char *errno_name(int err);
const char *exit_reason_name(uint32_t reason);

/* Print "fatal: ..." on stdout (so it shows up in a transcript diff) and exit(1). */
__attribute__((noreturn, format(printf, 1, 2)))
void fatal(const char *fmt, ...);

/* ioctl that must succeed; returns its (non-negative) result. */
#define xioctl(fd, req, arg) xioctl_named(fd, req, (unsigned long)(arg), #req)
int xioctl_named(int fd, unsigned long req, unsigned long arg, const char *name);

void vmm_open(struct vmm *v);
void vmm_close(struct vmm *v);
/* Create a fresh VM + vCPU 0 on an already-open /dev/kvm fd. */
void vmm_create_vm(struct vmm *v);
void vmm_destroy_vm(struct vmm *v);

/* Anonymous, page-aligned, zero-filled host memory. */
void *vmm_alloc(size_t size);
void vmm_set_slot(struct vmm *v, uint32_t slot, uint32_t flags,
		  uint64_t gpa, uint64_t size, void *hva);

void vmm_load(void *mem, uint64_t offset, const void *start, const void *end);

/* Reset every general register to 0, then set rip/rsp/rflags. */
void vmm_set_regs(struct vmm *v, uint64_t rip, uint64_t rsp);
void vmm_get_regs(struct vmm *v, struct kvm_regs *regs);
void vmm_get_sregs(struct vmm *v, struct kvm_sregs *sregs);
void vmm_set_sregs(struct vmm *v, const struct kvm_sregs *sregs);

/*
 * Flat 64-bit long mode: identity-map the first 1 GiB with 2 MiB pages
 * (PML4 at pt_gpa, PDPT at +0x1000, PD at +0x2000) and install a GDT
 * (code 0x08, data 0x10) at gdt_gpa.  mem is the host view of guest
 * physical address 0.  A/D bits are pre-set so the CPU never writes the
 * tables and their checksum stays deterministic.
 */
void vmm_setup_long_mode(struct vmm *v, void *mem, uint64_t pt_gpa,
			 uint64_t gdt_gpa);

/*
 * One KVM_RUN.  Prints "run N: ret=... exit=..." with the decoded exit,
 * plus the guest RIP as KVM_GET_REGS reports it at that point.  Returns
 * the exit reason, or -errno when KVM_RUN failed.
 */
int vmm_run(struct vmm *v);
/* Print the exit fields of the last exit (used by vmm_run). */
void vmm_print_exit(struct vmm *v);

/* Data area of a KVM_EXIT_IO exit. */
void *vmm_io_data(struct vmm *v);
/* Print then store the data an "in" exit returns to the guest. */
void vmm_supply_in(struct vmm *v, const void *data, size_t len);
/* Print then store the data an MMIO read exit returns to the guest. */
void vmm_supply_mmio(struct vmm *v, const void *data, size_t len);

/*
 * Run while the exits are port I/O.  Each "in" exit is answered with
 * successive bytes *in_seed, *in_seed + 1, ...  Returns the first other
 * exit reason, or -errno when KVM_RUN failed.
 */
int vmm_run_io(struct vmm *v, uint8_t *in_seed);
/* vmm_run_io() where anything but a final KVM_EXIT_HLT is fatal. */
void vmm_run_to_hlt(struct vmm *v, uint8_t *in_seed);

/* Control registers, CS, DS and SS as KVM_GET_SREGS reports them. */
void vmm_print_sregs(struct vmm *v);

uint64_t fnv1a64(const void *buf, size_t len);
void vmm_print_regs(struct vmm *v);
void vmm_print_mem(const char *name, const void *buf, size_t len);

void print_hex(const void *buf, size_t len);

/* A present 64-bit interrupt gate (DPL 0, CS 0x08, no IST) in the IDT at idt. */
void vmm_set_idt_gate(char *idt, int vector, uint64_t handler);

#endif
