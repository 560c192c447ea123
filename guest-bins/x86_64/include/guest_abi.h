/* SPDX-License-Identifier: MIT */
/*
 * The contract between the x86-64 guest runtime and the VMM side
 * (scenarios/lib).  Both sides include this file, so it may only use
 * <stdint.h>, which exists both hosted and freestanding.
 *
 * ucall convention
 *   The guest fills a struct ucall in its own memory (identity mapped,
 *   GVA == GPA, below 4 GiB) and executes
 *
 *	rdi = GPA of the struct ucall
 *	eax = low 32 bits of the same GPA
 *	dx  = UCALL_PORT
 *	outl %eax, (%dx)
 *
 *   so the VMM sees KVM_EXIT_IO, direction OUT, port UCALL_PORT, size 4,
 *   count 1, and the 4 data bytes are the GPA of the struct.  The VMM
 *   needs nothing but struct kvm_run to find it; RDI holds the full
 *   64-bit pointer for VMMs that prefer KVM_GET_REGS.  Nothing is written
 *   back: the guest continues after the OUT when the VMM re-enters.
 *
 * Guest entry
 *   RIP = ELF entry, RSP = a stack the VMM provides (16-byte aligned),
 *   64-bit long mode with paging already on, interrupts off.  The first
 *   six arguments of guest_main() are RDI, RSI, RDX, RCX, R8, R9 as set
 *   by the VMM with KVM_SET_REGS (SysV calling convention).
 */
#ifndef GUEST_ABI_H
#define GUEST_ABI_H

#include <stdint.h>

#define UCALL_PORT		0x1000

enum ucall_cmd {
	UCALL_NONE	= 0,	/* not a ucall (VMM side only) */
	UCALL_PRINT	= 1,	/* buf holds formatted text, print verbatim */
	UCALL_SYNC	= 2,	/* args[0] = stage, args[1..] = payload */
	UCALL_DONE	= 3,	/* guest finished successfully */
	UCALL_ABORT	= 4,	/* guest assertion failed, buf says where */
	UCALL_NR_CMDS,
};

#define UCALL_MAX_ARGS		6
#define UCALL_BUF_SIZE		256

/* Fixed layout: 8 + 48 + 256 = 312 bytes, no padding. */
struct ucall {
	uint64_t cmd;
	uint64_t args[UCALL_MAX_ARGS];
	char buf[UCALL_BUF_SIZE];
};

_Static_assert(sizeof(struct ucall) == 312, "struct ucall layout");

/*
 * touch_pages: RDI = GPA of a struct touch_args the VMM filled in.  For
 * each region the guest reports UCALL_SYNC with
 * args = { region index, pages touched, pages that were not zero before
 * the first write, mismatches on read back, xor of the values read back }.
 */
#define TOUCH_MAX_REGIONS	8

struct touch_region {
	uint64_t base;		/* GVA == GPA of the first byte */
	uint64_t size;		/* bytes, multiple of stride */
	uint64_t stride;	/* bytes between touched pages, >= 16 */
	uint64_t seed;		/* mixed into the written pattern */
};

struct touch_args {
	uint64_t nr_regions;
	struct touch_region region[TOUCH_MAX_REGIONS];
};

/*
 * The value touch_pages stores at the start of each touched page (and its
 * complement at the end): a splitmix64 finalizer, so every page differs
 * in every bit position and the xor of a region is a useful checksum.
 */
static inline uint64_t touch_pattern(uint64_t addr, uint64_t seed)
{
	uint64_t x = addr ^ seed;

	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

/*
 * apf: the async page fault guest (guest-bins/x86_64/apf.c).
 *   RDI  APF_MODE_*          RSI  gpa of the page whose fault goes async
 *   RDX  gpa of the 64-byte kvm_vcpu_pv_apf_data area
 *   RCX  an MMIO gpa (APF_MODE_CLOBBER)
 * UCALL_SYNC stages it reports, args[0]:
 */
#define APF_VECTOR		0xec	/* MSR_KVM_ASYNC_PF_INT ('page ready') */
#define APF_MODE_TOUCH		1	/* read the page, report what happened */
#define APF_MODE_CLOBBER	2	/* sync 1, write the page, MMIO write, sync 2 */
#define APF_SYNC_ENABLED	1	/* { 1, MSR_KVM_ASYNC_PF_EN value } */
#define APF_SYNC_TOUCHED	2	/* { 2, value read, not present, ready, error } */
#define APF_SYNC_PAGE_ERROR	3	/* { 3, token, gpa }: the read was skipped */

#endif /* GUEST_ABI_H */
