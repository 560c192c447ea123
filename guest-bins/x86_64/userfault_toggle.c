// SPDX-License-Identifier: MIT
/*
 * userfault_toggle: RDI/RSI = base and size of region 1, RDX/RCX = base
 * and size of region 2, R8 = a probe gpa.  Three rounds, each reporting
 * UCALL_SYNC { round, value }: 1 reads every page of both regions, 2
 * reads every page of region 2 and then the probe's qword (the value), 3
 * reads every page of both again.
 */
#include "guest.h"

static u64 read_all(u64 base, u64 size)
{
	u64 x = 0;

	for (u64 p = base; p < base + size; p += 0x1000)
		x ^= *(volatile u64 *)p;
	return x;
}

void guest_main(u64 b1, u64 s1, u64 b2, u64 s2, u64 probe, u64 a5)
{
	guest_sync(1, read_all(b1, s1) ^ read_all(b2, s2), 0, 0, 0, 0);
	read_all(b2, s2);
	guest_sync(2, *(volatile u64 *)probe, 0, 0, 0, 0);
	guest_sync(3, read_all(b1, s1) ^ read_all(b2, s2), 0, 0, 0, 0);
}
