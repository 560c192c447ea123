// SPDX-License-Identifier: MIT
/*
 * mmio_no_isv (arm64): an ldr from MMIO (a single register: the syndrome
 * is valid, KVM_EXIT_MMIO), then an ldp from the same address (a pair:
 * no valid syndrome, nothing KVM can tell userspace).
 */
#include "guest.h"

#define MMIO	0xb0000000ull

void guest_main(u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	u64 v, w;

	asm volatile("ldr %0, [%1]" : "=r"(v) : "r"(MMIO) : "memory");
	guest_printf("guest: ldr read 0x%lx\n", v);
	asm volatile("ldp %0, %1, [%2]" : "=r"(v), "=r"(w) : "r"(MMIO) : "memory");
	guest_printf("guest: ldp read 0x%lx 0x%lx\n", v, w);
	GUEST_DONE();
}
