/* SPDX-License-Identifier: MIT */
/*
 * arm64 stage-1 translation (VMSAv8-64, 4K granule) as an EL1&0 regime
 * walks it: TTBR0_EL1 for the low VA range, TTBR1_EL1 for the high one,
 * sizes from TCR_EL1.T0SZ/T1SZ (25..48-bit VAs, start level 0 or 1 ...),
 * table, block (1G at level 1, 2M at level 2) and page descriptors,
 * AP[2:1], APTable[1], PXN/UXN/PXNTable/UXNTable, the access flag.
 *
 * Every descriptor read is a stage-2 access to an IPA (S1PTW): the caller
 * supplies it and may fail it, which ends the walk with the IPA that
 * faulted so the hypervisor can fault it in (or report it) and retry.
 * Hardware AF/DBM updates (TCR_EL1.HA/HD) are not modelled: an access to
 * a descriptor with AF clear is an Access flag fault, as with HA=0.
 * Knows nothing of KVM or Unicorn.
 */
#ifndef KVMSIM_ARM64_WALK_H
#define KVMSIM_ARM64_WALK_H

#include <stdbool.h>
#include <stdint.h>

/* SCTLR_EL1 and TCR_EL1 bits the walk reads. */
#define ARM64_SCTLR_M		(1ull << 0)
#define ARM64_TCR_T0SZ(t)	((t) & 0x3f)
#define ARM64_TCR_EPD0		(1ull << 7)
#define ARM64_TCR_TG0_SHIFT	14
#define ARM64_TCR_T1SZ(t)	(((t) >> 16) & 0x3f)
#define ARM64_TCR_EPD1		(1ull << 23)
#define ARM64_TCR_TG1_SHIFT	30
#define ARM64_TCR_TG0_4K	0ull	/* TG0 encoding of the 4K granule */
#define ARM64_TCR_TG1_4K	2ull	/* TG1 encoding of the 4K granule */

/* Descriptor bits (4K granule). */
#define ARM64_DESC_VALID	(1ull << 0)
#define ARM64_DESC_TABLE	(1ull << 1)	/* table (levels 0-2) or page (level 3) */
#define ARM64_DESC_AP_EL0	(1ull << 6)	/* AP[1]: EL0 may access */
#define ARM64_DESC_AP_RO	(1ull << 7)	/* AP[2]: read-only */
#define ARM64_DESC_AF		(1ull << 10)
#define ARM64_DESC_PXN		(1ull << 53)
#define ARM64_DESC_UXN		(1ull << 54)
#define ARM64_DESC_PXNTABLE	(1ull << 59)
#define ARM64_DESC_UXNTABLE	(1ull << 60)
#define ARM64_DESC_APTABLE_RO	(1ull << 62)	/* APTable[1]: no writes below */
#define ARM64_DESC_APTABLE_NOEL0 (1ull << 61)	/* APTable[0]: no EL0 below */
#define ARM64_DESC_ADDR_MASK	0x0000fffffffff000ull

/* Fault status codes (ESR_ELx.{I,D}FSC) for a fault at level l. */
#define ARM64_FSC_ADDR_SIZE(l)	(0x00u + (l))
#define ARM64_FSC_TRANS(l)	(0x04u + (l))
#define ARM64_FSC_ACCESS(l)	(0x08u + (l))
#define ARM64_FSC_PERM(l)	(0x0cu + (l))
#define ARM64_FSC_TYPE(fsc)	((fsc) & 0x3cu)
#define ARM64_FSC_LEVEL(fsc)	((fsc) & 0x3u)

/* Access kinds. */
#define ARM64_ACC_WRITE		(1u << 0)
#define ARM64_ACC_EXEC		(1u << 1)
#define ARM64_ACC_EL0		(1u << 2)	/* unprivileged (EL0 or LDTR/STTR) */

enum arm64_walk_status {
	ARM64_WALK_OK,
	ARM64_WALK_FAULT,	/* stage-1 fault: fsc, level */
	ARM64_WALK_S2_FAULT,	/* a descriptor read failed in stage 2: s1ptw_ipa */
};

struct arm64_walk_ctx {
	uint64_t sctlr, tcr, ttbr0, ttbr1;
	/*
	 * Read the 8-byte descriptor at this IPA (a stage-2 access marked
	 * S1PTW).  Non-zero: stage 2 could not provide it now.
	 */
	int (*read_desc)(void *opaque, uint64_t ipa, uint64_t *val);
	void *opaque;
	/*
	 * Told each descriptor as it is read (for narration; changes
	 * nothing).  NULL: nobody listens.
	 */
	void (*note)(void *opaque, int level, uint64_t ipa, uint64_t desc);
	void *note_opaque;
};

struct arm64_walk_result {
	uint64_t ipa;		/* OK: output address of the VA */
	int level;		/* leaf level, or the level that faulted */
	uint64_t size;		/* OK: bytes the leaf maps (4K, 2M, 1G) */
	uint32_t fsc;		/* FAULT: status code */
	uint64_t s1ptw_ipa;	/* S2_FAULT: the descriptor's IPA */
	bool writable;		/* EL1 may write */
	bool el1_exec;		/* EL1 may execute */
	bool el0;		/* EL0 may access */
	bool el0_exec;
	bool mmu_off;		/* SCTLR_EL1.M clear: flat */
	uint64_t table_ipa[4];	/* IPA of each table read, by level */
};

/* First level of a 4K-granule walk for `va_bits`-bit VAs (0 for 40..48). */
int arm64_start_level(int va_bits);

enum arm64_walk_status arm64_walk(const struct arm64_walk_ctx *ctx, uint64_t va,
				  unsigned access, struct arm64_walk_result *res);

#endif
