// SPDX-License-Identifier: MIT
/*
 * hello: the smallest round trip.  One UCALL_PRINT, then hlt, which a VMM
 * without an in-kernel irqchip sees as KVM_EXIT_HLT.  If the VMM enters
 * again the runtime reports UCALL_DONE.
 */
#include "guest.h"

void guest_main(u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	guest_printf("hello from the guest\n");
	halt();
}
