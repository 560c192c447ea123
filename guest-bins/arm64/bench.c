// SPDX-License-Identifier: MIT
/*
 * bench (arm64): x0 = 0: x1 MMIO writes (one KVM_EXIT_MMIO each);
 * x0 = 1: the compute loop of bench/bench-unicorn-arm64.c, x1 iterations
 * of 5 instructions, no stores; x0 = 2: its load/store mix, x1 iterations
 * of 8 instructions (a load and a store) walking 16 pages.  Then
 * UCALL_SYNC with the loop's result and UCALL_DONE.
 */
#include "guest.h"

#define BENCH_MMIO	0xb0000000ull
#define MIX_BYTES	0x10000		/* 16 pages */
#define MIX_STRIDE	0x1008		/* the next page, 8 bytes on */

static u64 mix_buf[MIX_BYTES / 8] __attribute__((aligned(4096)));

static u64 compute(u64 n)
{
	u64 acc = 0, x = 0;

	/* the same five instructions as bench-unicorn-arm64's loop */
	asm volatile("mov x0, #0\n"
		     "1: add %0, %0, x0\n"
		     "eor %1, %1, %0\n"
		     "add x0, x0, #1\n"
		     "cmp x0, %2\n"
		     "b.ne 1b\n"
		     : "+r"(acc), "+r"(x) : "r"(n) : "x0", "cc");
	return acc;
}

/* bench-unicorn-arm64's mix, register for register; the sum of the pages */
static u64 mix(u64 n)
{
	register u64 x3 asm("x3") = n;
	register u64 x4 asm("x4") = (u64)mix_buf;
	register u64 x7 asm("x7") = MIX_STRIDE;
	u64 sum = 0;

	asm volatile("mov x0, #0\n"
		     "mov x6, #0\n"
		     "1: ldr x1, [x4, x6]\n"
		     "add x1, x1, x0\n"
		     "str x1, [x4, x6]\n"
		     "add x6, x6, x7\n"
		     "and x6, x6, #0xfff8\n"
		     "add x0, x0, #1\n"
		     "cmp x0, x3\n"
		     "b.ne 1b\n"
		     : : "r"(x3), "r"(x4), "r"(x7) : "x0", "x1", "x6", "cc", "memory");
	for (u64 i = 0; i < MIX_BYTES / 8; i++)
		sum += mix_buf[i];
	return sum;
}

void guest_main(u64 mode, u64 n, u64 a2, u64 a3, u64 a4, u64 a5)
{
	u64 v = 0;

	if (mode == 0) {
		for (u64 i = 0; i < n; i++)
			asm volatile("str %0, [%1]" : : "r"(i), "r"(BENCH_MMIO) : "memory");
	} else {
		v = mode == 1 ? compute(n) : mix(n);
	}
	guest_sync(1, v, 0, 0, 0, 0);
	GUEST_DONE();
}
