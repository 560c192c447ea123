/* SPDX-License-Identifier: MIT */
/*
 * arm64 half of the guest/VMM contract (struct ucall is in guest_abi.h).
 *
 * ucall: the guest stores the address of its struct ucall (identity
 * mapped: GVA == GPA) with one 8-byte `str` to UCALL_MMIO_GPA, which no
 * memslot covers, so the VMM sees KVM_EXIT_MMIO, is_write, len 8, and the
 * data bytes are the struct's address.
 *
 * Entry: PC = ELF entry, SP_EL1 = the vCPU's stack top, EL1h with DAIF
 * masked, x0..x5 = guest_main's arguments, MMU on with the VMM's tables
 * (TTBR0_EL1: 39-bit VAs, 4K granule, GUEST_IDENTITY_END identity mapped
 * with 1G blocks unless the VMM mapped finer).
 */
#ifndef GUEST_ABI_ARM64_H
#define GUEST_ABI_ARM64_H

#define UCALL_MMIO_GPA		0xa0000000ull

#endif
