// SPDX-License-Identifier: MIT
/*
 * private_read: RDI = gva.  Read it forever, as private_mem_kvm_exits_test's
 * guest_repeatedly_read does; only an exit to the VMM ends the run.
 */
#include "guest.h"

void guest_main(u64 gva, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	for (;;)
		(void)*(volatile u64 *)gva;
}
