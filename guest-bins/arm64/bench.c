// SPDX-License-Identifier: MIT
/*
 * bench (arm64): x0 = 0: x1 MMIO writes (one KVM_EXIT_MMIO each);
 * x0 = 1: the compute loop of bench/bench-unicorn-arm64.c, x1 iterations
 * of 5 instructions, no stores.  Then UCALL_DONE.
 */
#include "guest.h"

#define BENCH_MMIO	0xb0000000ull

void guest_main(u64 mode, u64 n, u64 a2, u64 a3, u64 a4, u64 a5)
{
	u64 acc = 0, x = 0;

	if (mode == 0) {
		for (u64 i = 0; i < n; i++)
			asm volatile("str %0, [%1]" : : "r"(i), "r"(BENCH_MMIO) : "memory");
	} else {
		/* the same five instructions as bench-unicorn-arm64's loop */
		asm volatile("mov x0, #0\n"
			     "1: add %0, %0, x0\n"
			     "eor %1, %1, %0\n"
			     "add x0, x0, #1\n"
			     "cmp x0, %2\n"
			     "b.ne 1b\n"
			     : "+r"(acc), "+r"(x) : "r"(n) : "x0", "cc");
	}
	guest_sync(1, acc, x, 0, 0, 0);
	GUEST_DONE();
}
