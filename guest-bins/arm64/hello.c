// SPDX-License-Identifier: MIT
/*
 * hello (arm64): one UCALL_PRINT (an MMIO write), then PSCI SYSTEM_OFF,
 * which the VMM sees as KVM_EXIT_SYSTEM_EVENT (arm64 has no exit for wfi).
 */
#include "guest.h"

void guest_main(u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	guest_printf("hello from the guest\n");
	guest_system_off();
}
