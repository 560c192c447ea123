// SPDX-License-Identifier: MIT
/*
 * arm64 stage-1 walk, 4K granule (see arm64_walk.h).  The order of the
 * checks follows the architecture's fault priority: a VA outside both
 * ranges or a disabled walk is a level-0 translation fault, then each
 * level's descriptor (its read may fail in stage 2: S1PTW), then the
 * leaf's access flag, then its permissions.
 */
#include "mmu-model/arm64_walk.h"

#include <string.h>

#define GRANULE_SHIFT	12
#define LEVEL_BITS	9

int arm64_start_level(int va_bits)
{
	int levels = (va_bits - GRANULE_SHIFT + LEVEL_BITS - 1) / LEVEL_BITS;

	return 4 - levels;
}

static uint64_t level_shift(int level)
{
	return GRANULE_SHIFT + LEVEL_BITS * (3 - level);
}

static enum arm64_walk_status fault(struct arm64_walk_result *res, uint32_t fsc,
				    int level)
{
	res->fsc = fsc;
	res->level = level;
	return ARM64_WALK_FAULT;
}

/*
 * Which half of the VA space, its size and table base; false when the VA
 * lies in neither half or the half's walks are disabled (EPDx, a granule
 * other than 4K, a size outside 25..48 bits).
 */
static bool select_range(const struct arm64_walk_ctx *ctx, uint64_t va,
			 int *va_bits, uint64_t *table)
{
	bool upper = va >> 55 & 1;
	uint64_t tcr = ctx->tcr;
	int txsz = upper ? ARM64_TCR_T1SZ(tcr) : ARM64_TCR_T0SZ(tcr);
	uint64_t tg = upper ? tcr >> ARM64_TCR_TG1_SHIFT & 3 : tcr >> ARM64_TCR_TG0_SHIFT & 3;
	uint64_t top;

	if (txsz < 16 || txsz > 39)
		return false;
	if (tg != (upper ? ARM64_TCR_TG1_4K : ARM64_TCR_TG0_4K))
		return false;
	if (tcr & (upper ? ARM64_TCR_EPD1 : ARM64_TCR_EPD0))
		return false;
	*va_bits = 64 - txsz;
	top = va >> *va_bits;
	if (top != (upper ? (~0ull >> *va_bits) : 0))
		return false;
	*table = (upper ? ctx->ttbr1 : ctx->ttbr0) & ARM64_DESC_ADDR_MASK;
	return true;
}

/* Permissions of the leaf, with the tables' restrictions above it. */
static void leaf_perms(uint64_t desc, uint64_t table_bits, struct arm64_walk_result *res)
{
	bool ro = (desc & ARM64_DESC_AP_RO) || (table_bits & ARM64_DESC_APTABLE_RO);
	bool el0 = (desc & ARM64_DESC_AP_EL0) && !(table_bits & ARM64_DESC_APTABLE_NOEL0);

	res->writable = !ro;
	res->el0 = el0;
	res->el0_exec = el0 && !(desc & ARM64_DESC_UXN) &&
			!(table_bits & ARM64_DESC_UXNTABLE);
	/* memory EL0 may write is never executable at EL1 */
	res->el1_exec = !(desc & ARM64_DESC_PXN) && !(table_bits & ARM64_DESC_PXNTABLE) &&
			!(el0 && !ro);
}

static bool access_allowed(const struct arm64_walk_result *res, unsigned access)
{
	bool el0 = access & ARM64_ACC_EL0;

	if (el0 && !res->el0)
		return false;
	if ((access & ARM64_ACC_WRITE) && !res->writable)
		return false;
	if (access & ARM64_ACC_EXEC)
		return el0 ? res->el0_exec : res->el1_exec;
	return true;
}

enum arm64_walk_status arm64_walk(const struct arm64_walk_ctx *ctx, uint64_t va,
				  unsigned access, struct arm64_walk_result *res)
{
	uint64_t table, desc, table_bits = 0;
	int va_bits, level;

	memset(res, 0, sizeof(*res));
	if (!(ctx->sctlr & ARM64_SCTLR_M)) {
		/* stage 1 off: flat, everything allowed */
		res->ipa = va;
		res->size = 1ull << GRANULE_SHIFT;
		res->level = 3;
		res->writable = res->el1_exec = res->el0 = res->el0_exec = true;
		res->mmu_off = true;
		return ARM64_WALK_OK;
	}
	if (!select_range(ctx, va, &va_bits, &table))
		return fault(res, ARM64_FSC_TRANS(0), 0);
	for (level = arm64_start_level(va_bits); ; level++) {
		uint64_t shift = level_shift(level);
		int bits = level == arm64_start_level(va_bits) ?
			   va_bits - (int)shift : LEVEL_BITS;
		uint64_t idx = va >> shift & ((1ull << bits) - 1);
		uint64_t ipa = table + idx * 8;

		res->table_ipa[level] = ipa;
		if (ctx->read_desc(ctx->opaque, ipa, &desc)) {
			res->s1ptw_ipa = ipa;
			res->level = level;
			return ARM64_WALK_S2_FAULT;
		}
		if (ctx->note)
			ctx->note(ctx->note_opaque, level, ipa, desc);
		if (!(desc & ARM64_DESC_VALID))
			return fault(res, ARM64_FSC_TRANS(level), level);
		if (level == 3 || !(desc & ARM64_DESC_TABLE)) {
			/* a page, or a block: level 0 has no blocks, level 3 no tables */
			if (level == 0 || (level == 3 && !(desc & ARM64_DESC_TABLE)))
				return fault(res, ARM64_FSC_TRANS(level), level);
			res->size = 1ull << shift;
			res->ipa = (desc & ARM64_DESC_ADDR_MASK & ~(res->size - 1)) |
				   (va & (res->size - 1));
			res->level = level;
			break;
		}
		table_bits |= desc & (ARM64_DESC_APTABLE_RO | ARM64_DESC_APTABLE_NOEL0 |
				      ARM64_DESC_PXNTABLE | ARM64_DESC_UXNTABLE);
		table = desc & ARM64_DESC_ADDR_MASK;
	}
	leaf_perms(desc, table_bits, res);
	if (!(desc & ARM64_DESC_AF))
		return fault(res, ARM64_FSC_ACCESS(level), level);
	if (!access_allowed(res, access))
		return fault(res, ARM64_FSC_PERM(level), level);
	return ARM64_WALK_OK;
}
