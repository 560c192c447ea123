// SPDX-License-Identifier: MIT
/*
 * aborts (arm64): what the guest sees of each kind of abort, reported to
 * tests/arm64/vmm-arm64 with one UCALL_SYNC per step:
 *   1-3  stage-1 faults the VMM's tables cause (translation level 1,
 *        permission level 3 on a write, access flag level 3): ESR_EL1 and
 *        FAR_EL1 as the data abort handler saw them
 *   4-6  MMIO reads decoded from the syndrome (ldrsb, ldrsh w, ldr w)
 *   7    an MMIO halfword write
 *   8    a fetch from no memslot: the prefetch abort KVM injects
 *   9    an undefined instruction (udf)
 *   10   PSCI_VERSION, 11 CPU_ON for vCPU 1 (which reports, then CPU_OFF)
 *   last an ldp from MMIO: no valid syndrome, KVM_RUN fails with ENOSYS
 */
#include "guest.h"

#define MMIO_BASE	0xb0000000ull

static volatile u64 last_esr, last_far;

static void record(struct ex_regs *regs)
{
	last_esr = regs->esr;
	last_far = regs->far;
}

/* data abort / undefined: skip the instruction */
static void skip_handler(struct ex_regs *regs)
{
	record(regs);
	regs->elr += 4;
}

/* instruction abort on a blr target: return to the caller */
static void return_handler(struct ex_regs *regs)
{
	record(regs);
	regs->elr = regs->regs[30];
}

static u64 psci(u64 fn, u64 a1, u64 a2, u64 a3)
{
	register u64 x0 asm("x0") = fn;
	register u64 x1 asm("x1") = a1;
	register u64 x2 asm("x2") = a2;
	register u64 x3 asm("x3") = a3;

	asm volatile("hvc #0" : "+r"(x0) : "r"(x1), "r"(x2), "r"(x3) : "memory");
	return x0;
}

static void report(u64 step)
{
	guest_sync(step, last_esr, last_far, 0, 0, 0);
	last_esr = last_far = 0;
}

/* vCPU 1 after CPU_ON: MMU off, no vectors, its own stack */
void secondary_main(u64 ctx)
{
	guest_sync(100, ctx, read_sysreg(mpidr_el1), 0, 0, 0);
	psci(0x84000002, 0, 0, 0);	/* CPU_OFF */
	for (;;)
		halt();
}

asm(".globl secondary_entry\n"
    "secondary_entry:\n"
    "	ldr x1, =0x1f0000\n"
    "	mov sp, x1\n"
    "	bl secondary_main\n");
void secondary_entry(void);

void guest_main(u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	u64 x0, x1 = MMIO_BASE;

	guest_install_handler(0x25, skip_handler);	/* DABT_CUR */
	guest_install_handler(0x21, return_handler);	/* IABT_CUR */
	guest_install_handler(0x00, skip_handler);	/* unknown */

	(void)*(volatile u64 *)0x40000010;
	report(1);
	*(volatile u64 *)0x800008 = 1;
	report(2);
	(void)*(volatile u64 *)0x801000;
	report(3);

	asm volatile("ldrsb %0, [%1]" : "=r"(x0) : "r"(x1) : "memory");
	guest_sync(4, x0, 0, 0, 0, 0);
	asm volatile("ldrsh %w0, [%1, #2]" : "=r"(x0) : "r"(x1) : "memory");
	guest_sync(5, x0, 0, 0, 0, 0);
	asm volatile("ldr %w0, [%1, #4]" : "=r"(x0) : "r"(x1) : "memory");
	guest_sync(6, x0, 0, 0, 0, 0);
	asm volatile("mov w2, #0xbeef\n\tstrh w2, [%0, #6]" : : "r"(x1) : "x2", "memory");
	guest_sync(7, 0, 0, 0, 0, 0);

	((void (*)(void))MMIO_BASE)();
	report(8);
	asm volatile("udf #0" : : : "memory");
	report(9);

	guest_sync(10, psci(0x84000000, 0, 0, 0), 0, 0, 0, 0);
	guest_sync(11, psci(0xc4000003, 1, (u64)secondary_entry, 0x1234), 0, 0, 0, 0);
	guest_sync(12, psci(0xc4000003, 7, (u64)secondary_entry, 0), 0, 0, 0, 0);

	asm volatile("ldp x2, x3, [%0]" : : "r"(x1) : "x2", "x3", "memory");
	GUEST_DONE();
}
