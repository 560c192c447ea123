// SPDX-License-Identifier: MIT
/*
 * stale_fault: RDI = gpa A, RSI = gpa B, RDX = port.  Write A (a fault
 * the stage-2 path reports), then OUTSB 8 bytes from B to the port (the
 * data is read the way kvm_read_guest does: outside the fault path),
 * then report UCALL_DONE.
 */
#include "guest.h"

void guest_main(u64 a, u64 b, u64 port, u64 a3, u64 a4, u64 a5)
{
	u64 count = 8;

	*(volatile u64 *)a = 0x1111;
	asm volatile("rep outsb" : "+S"(b), "+c"(count) : "d"((u16)port) : "memory");
}
