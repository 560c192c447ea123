// SPDX-License-Identifier: MIT
/*
 * wfi_signal (arm64): a wfi nothing will end but a signal for the VMM
 * thread in KVM_RUN (tests/arm64/vmm-wfi-signal.c).  Sync 1 gives the
 * wfi's address; after the wfi (ended by the signal: KVM_RUN returned
 * -EINTR, and the VMM ran the vCPU again) sync 2, then done.
 */
#include "guest.h"

extern char wfi_here[];

void guest_main(u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	guest_sync(1, (u64)wfi_here, 0, 0, 0, 0);
	asm volatile(".globl wfi_here\nwfi_here: wfi" : : : "memory");
	GUEST_SYNC(2);
	GUEST_DONE();
}
