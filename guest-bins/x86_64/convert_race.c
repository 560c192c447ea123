// SPDX-License-Identifier: MIT
/*
 * convert_race: RDI = gva of page P, RSI = iterations.  Read P over and
 * over (each read that finds P unmapped is a stage-2 fault), then report
 * UCALL_SYNC { 1, iterations } and finish.
 */
#include "guest.h"

void guest_main(u64 p, u64 iterations, u64 a2, u64 a3, u64 a4, u64 a5)
{
	u64 sum = 0;

	for (u64 i = 0; i < iterations; i++)
		sum += *(volatile u64 *)p;
	guest_sync(1, iterations, sum, 0, 0, 0);
}
