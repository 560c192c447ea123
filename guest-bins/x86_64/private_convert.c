// SPDX-License-Identifier: MIT
/*
 * private_convert: firmware doing DMA through bounce pages, the OVMF
 * pattern of seed 003.  RDI, RSI = gpas of two bounce pages (private to
 * begin with), RDX = number of transfers.  Transfer t uses page t % 2:
 *
 *   1. write a canary into the page while it is private,
 *   2. ask the VMM to make it shared  (UCALL_SYNC { 1, gpa, 0 }),
 *   3. ask the device to fill it      (UCALL_SYNC { 2, gpa, t }) and
 *      check the data: DMA_PATTERN(t) in the first and last qword,
 *   4. ask the VMM to make it private (UCALL_SYNC { 1, gpa, 1 }),
 *   5. look whether the canary survived the round trip.
 *
 * Then UCALL_SYNC { 3, transfers with good data, canaries kept }.
 */
#include "guest.h"

#define DMA_PATTERN(t)	(0xd3a0000000000000ull | (t))
#define CANARY(t)	(0xc0de000000000000ull | (t))

static void convert(u64 gpa, u64 to_private)
{
	guest_sync(1, gpa, to_private, 0, 0, 0);
}

void guest_main(u64 page_a, u64 page_b, u64 transfers, u64 a3, u64 a4, u64 a5)
{
	u64 good = 0, kept = 0;

	for (u64 t = 0; t < transfers; t++) {
		volatile u64 *p = (volatile u64 *)(t % 2 ? page_b : page_a);

		p[0] = CANARY(t);
		convert((u64)p, 0);
		guest_sync(2, (u64)p, t, 0, 0, 0);
		if (p[0] == DMA_PATTERN(t) && p[511] == ~DMA_PATTERN(t))
			good++;
		convert((u64)p, 1);
		if (p[0] == CANARY(t))
			kept++;
	}
	guest_sync(3, good, kept, 0, 0, 0);
}
