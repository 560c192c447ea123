// SPDX-License-Identifier: MIT
/*
 * demand_paging: the guest half of the demand-paging scenarios, one vCPU
 * per call.  RDI = GPA of the first page of this vCPU's region, RSI = its
 * size in bytes, RDX = a seed.  The guest writes touch_pattern(gpa, seed)
 * into the first qword of every 4K page, in order (each first touch is a
 * write, so each page faults once, for write), then reports
 * UCALL_SYNC { 0, pages written, xor of the values written }.
 *
 * RCX != 0 selects the step mode of the userfaultfd scenarios instead:
 * after each page, UCALL_SYNC { 1, page index } and wait for the VMM to
 * re-enter, so the VMM can act between two faults.
 */
#include "guest.h"

void guest_main(u64 base, u64 size, u64 seed, u64 step, u64 a4, u64 a5)
{
	u64 pages = 0, x = 0;

	for (u64 p = base; p < base + size; p += 0x1000) {
		u64 v = touch_pattern(p, seed);

		*(volatile u64 *)p = v;
		x ^= v;
		pages++;
		if (step)
			guest_sync(1, pages - 1, 0, 0, 0, 0);
	}
	guest_sync(0, pages, x, 0, 0, 0);
}
