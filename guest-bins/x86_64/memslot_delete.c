// SPDX-License-Identifier: MIT
/*
 * memslot_delete: RDI = gpa P, RSI = gpa Q, RDX = seed.  Write
 * touch_pattern(P, seed) to P, report UCALL_SYNC { 1, 0 }, then read Q
 * and report UCALL_SYNC { 2, the value read }.  The VMM deletes the
 * memslot of P and Q in between.
 */
#include "guest.h"

void guest_main(u64 p, u64 q, u64 seed, u64 a3, u64 a4, u64 a5)
{
	*(volatile u64 *)p = touch_pattern(p, seed);
	guest_sync(1, 0, 0, 0, 0, 0);
	guest_sync(2, *(volatile u64 *)q, 0, 0, 0, 0);
}
