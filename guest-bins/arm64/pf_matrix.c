// SPDX-License-Identifier: MIT
/*
 * pf_matrix (arm64): one access of kind x0 to the VA in x1, as the
 * kernel's page_fault_test does one per run; tests/arm64/pf-matrix.c
 * sets up the memslot behind it.  UCALL_SYNC 1 with the value read (or
 * returned) when the access completes; UCALL_SYNC 2 with ESR/FAR when
 * the guest took an abort instead; then UCALL_DONE.
 */
#include "guest.h"

enum { ACC_READ, ACC_WRITE, ACC_EXEC, ACC_S1PTW };

static volatile u64 esr, far;
static volatile bool aborted;

static void dabt(struct ex_regs *regs)
{
	esr = regs->esr;
	far = regs->far;
	aborted = true;
	regs->elr += 4;
}

static void iabt(struct ex_regs *regs)
{
	esr = regs->esr;
	far = regs->far;
	aborted = true;
	regs->elr = regs->regs[30];
}

void guest_main(u64 kind, u64 va, u64 a2, u64 a3, u64 a4, u64 a5)
{
	u64 v = 0;

	guest_install_handler(0x25, dabt);
	guest_install_handler(0x21, iabt);
	switch (kind) {
	case ACC_READ:
	case ACC_S1PTW:
		v = *(volatile u64 *)va;
		break;
	case ACC_WRITE:
		*(volatile u64 *)va = 0x1234;
		break;
	case ACC_EXEC:
		v = ((u64 (*)(void))va)();
		break;
	}
	if (aborted)
		guest_sync(2, esr, far, 0, 0, 0);
	else
		guest_sync(1, v, 0, 0, 0, 0);
	GUEST_DONE();
}
