// SPDX-License-Identifier: MIT
/*
 * smc (arm64): cross-modifying code, as the architecture allows it.
 * vCPU 0 (x0 = 0) calls patchable() and gets 1, tells vCPU 1 (x0 = 1),
 * which rewrites patchable()'s first instruction to return 2, cleans and
 * invalidates it (dc cvau, ic ivau, dsb, isb) and tells vCPU 0, which
 * calls it again.  UCALL_SYNC 1 with both results, then UCALL_DONE.
 */
#include "guest.h"

#define INSN_MOV_X0_2	0xd2800040u	/* mov x0, #2 */

asm(".text\n"
    ".balign 64\n"
    ".globl patchable\n"
    "patchable:\n"
    "	mov	x0, #1\n"
    "	ret\n");

u64 patchable(void);

static volatile u64 phase;

static void wait_phase(u64 p)
{
	while (phase != p)
		;
}

void guest_main(u64 role, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	u64 first, second;

	if (role == 1) {
		volatile u32 *code = (volatile u32 *)patchable;

		wait_phase(1);
		*code = INSN_MOV_X0_2;
		asm volatile("dc cvau, %0\n\tdsb ish\n\tic ivau, %0\n\tdsb ish\n\tisb"
			     : : "r"(code) : "memory");
		phase = 2;
		GUEST_DONE();
	}
	first = patchable();
	phase = 1;
	wait_phase(2);
	asm volatile("isb" : : : "memory");
	second = patchable();
	guest_sync(1, first, second, 0, 0, 0);
	GUEST_DONE();
}
