// SPDX-License-Identifier: MIT
/*
 * x86 stage-1 walker: the guest's own page tables, walked the way the
 * hardware (Intel SDM vol. 3, ch. 4) and KVM's paging_tmpl.h
 * walk_addr_generic() walk them.
 *
 * The walk has three phases, as in KVM:
 *  1. descend from CR3, reading one entry per level, stopping at the first
 *     entry that is not present or has a reserved bit set;
 *  2. check the access against the permissions combined over all levels;
 *  3. only if both succeeded, set the accessed bits (and the leaf's dirty
 *     bit for writes).  A failing walk leaves the tables untouched.
 *
 * Deliberate simplifications (see also x86_walk.h):
 *  - PAE PDPTEs are read from memory on every walk instead of being cached
 *    in PDPTE registers at MOV CR3 time; a reserved bit in a PDPTE therefore
 *    shows up as a #PF with RSVD rather than a #GP at MOV CR3.
 *  - SMAP ignores EFLAGS.AC: every supervisor data access to a user page
 *    faults when CR4.SMAP is set (as if AC were always clear).
 *  - No protection keys, no 5-level paging, 1G pages always supported,
 *    Intel semantics (bit 8 of non-leaf entries is not reserved as on AMD).
 */
#include "mmu-model/x86_walk.h"

#include <string.h>

#define PT_PRESENT_MASK		(1ull << 0)
#define PT_WRITABLE_MASK	(1ull << 1)
#define PT_USER_MASK		(1ull << 2)
#define PT_ACCESSED_MASK	(1ull << 5)
#define PT_DIRTY_MASK		(1ull << 6)
#define PT_PAGE_SIZE_MASK	(1ull << 7)
#define PT64_NX_MASK		(1ull << 63)

#define PAGE_SHIFT		12
#define PAGE_SIZE_4K		(1ull << PAGE_SHIFT)

#define ACC_ALL (X86_ACC_WRITE | X86_ACC_USER | X86_ACC_FETCH)

/* Mask with bits s..e (inclusive) set; empty if s > e. */
static uint64_t rsvd_bits(int s, int e)
{
	if (s > e)
		return 0;
	return ((2ull << (e - s)) - 1) << s;
}

/* Per-walk state, named after KVM's struct guest_walker. */
struct guest_walker {
	const struct x86_walk_ctx *ctx;
	unsigned access;
	uint32_t gva32;		/* 32-bit and PAE paging use the low 32 bits */
	int maxphyaddr;
	int pte_size;		/* 4 or 8 */
	int root_level;
	int level;		/* level of the entry being looked at */
	int n;			/* entries read so far */
	uint64_t pte[X86_WALK_MAX_TABLES];
	uint64_t pte_gpa[X86_WALK_MAX_TABLES];
	int pte_level[X86_WALK_MAX_TABLES];
	bool writable, user, nx;	/* combined over the levels seen */
};

static int effective_maxphyaddr(const struct x86_walk_ctx *ctx)
{
	if (ctx->maxphyaddr == 0 || ctx->maxphyaddr > 52)
		return 52;
	if (ctx->maxphyaddr < 32)
		return 32;
	return ctx->maxphyaddr;
}

static bool walker_nx(const struct guest_walker *w)
{
	/* The XD bit exists only in the 64-bit entry formats. */
	return w->ctx->efer_nxe && w->ctx->mode != X86_PAGING_32;
}

/* Bits (maxphyaddr - 1)..12: a table or 4K frame address. */
static uint64_t pa_frame_mask(const struct guest_walker *w)
{
	return rsvd_bits(PAGE_SHIFT, w->maxphyaddr - 1);
}

static int pt_index(const struct guest_walker *w, uint64_t gva, int level)
{
	switch (w->ctx->mode) {
	case X86_PAGING_32:
		return (w->gva32 >> (PAGE_SHIFT + 10 * (level - 1))) & 0x3ff;
	case X86_PAGING_PAE:
		if (level == 3)
			return w->gva32 >> 30;
		return (w->gva32 >> (PAGE_SHIFT + 9 * (level - 1))) & 0x1ff;
	default:
		return (gva >> (PAGE_SHIFT + 9 * (level - 1))) & 0x1ff;
	}
}

static uint64_t level_page_size(enum x86_paging_mode mode, int level)
{
	if (mode == X86_PAGING_32)
		return PAGE_SIZE_4K << (10 * (level - 1));
	return PAGE_SIZE_4K << (9 * (level - 1));
}

/* Base of the first table, from CR3. */
static uint64_t root_table_gpa(const struct guest_walker *w)
{
	uint64_t cr3 = w->ctx->cr3;

	switch (w->ctx->mode) {
	case X86_PAGING_32:
		return cr3 & 0xfffff000ull;
	case X86_PAGING_PAE:
		/* The PDPT is 32-byte aligned and below 4G. */
		return cr3 & 0xffffffe0ull;
	default:
		return cr3 & pa_frame_mask(w);
	}
}

/* Does this present entry map a page rather than point to a table? */
static bool is_last_gpte(const struct guest_walker *w, int level, uint64_t pte)
{
	if (level == 1)
		return true;
	switch (w->ctx->mode) {
	case X86_PAGING_32:
		/* Without CR4.PSE, PS is ignored in a PDE. */
		return level == 2 && w->ctx->cr4_pse && (pte & PT_PAGE_SIZE_MASK);
	case X86_PAGING_PAE:
		/* A PDPTE always points to a page directory. */
		return level == 2 && (pte & PT_PAGE_SIZE_MASK);
	default:
		/* PS in a PML4E is reserved and rejected before we get here. */
		return level <= 3 && (pte & PT_PAGE_SIZE_MASK);
	}
}

/*
 * 4M page in 32-bit paging: PDE bits 20:13 hold physical address bits
 * 39:32 (PSE-36, as wide as min(MAXPHYADDR, 40)); bit 21 is reserved.
 */
static uint64_t pse36_rsvd_mask(const struct guest_walker *w)
{
	int m = w->maxphyaddr < 40 ? w->maxphyaddr : 40;

	return rsvd_bits(13 + (m - 32), 21);
}

/*
 * Reserved bits of a present entry at `level` (the table of
 * __reset_rsvds_bits_mask() for the Intel, gbpages, PSE-36 case).
 */
static uint64_t gpte_rsvd_mask(const struct guest_walker *w, int level,
			       uint64_t pte)
{
	uint64_t high, large;

	if (w->ctx->mode == X86_PAGING_32) {
		if (level == 2 && is_last_gpte(w, level, pte))
			return pse36_rsvd_mask(w);
		return 0;	/* 4K 32-bit entries have no reserved bits */
	}

	if (w->ctx->mode == X86_PAGING_PAE) {
		/* PAE entries reserve everything from MAXPHYADDR to bit 62. */
		high = rsvd_bits(w->maxphyaddr, 62);
		if (level == 3)	/* PDPTE: no R/W, U/S, A, D, PS, XD */
			return high | rsvd_bits(63, 63) | rsvd_bits(5, 8) |
			       rsvd_bits(1, 2);
	} else {
		/* Bits 62:52 are ignored (available) in 4-level entries. */
		high = rsvd_bits(w->maxphyaddr, 51);
	}
	if (!walker_nx(w))
		high |= PT64_NX_MASK;

	if (level == 4)
		return high | PT_PAGE_SIZE_MASK;
	if (!is_last_gpte(w, level, pte) || level == 1)
		return high;
	/* Large page: frame bits below the page size (bit 12 is PAT). */
	large = level == 3 ? rsvd_bits(13, 29) : rsvd_bits(13, 20);
	return high | large;
}

/* Guest-physical address of the first byte of the leaf's page. */
static uint64_t leaf_frame(const struct guest_walker *w, int level,
			   uint64_t pte)
{
	uint64_t size = level_page_size(w->ctx->mode, level);

	if (w->ctx->mode == X86_PAGING_32) {
		if (level == 1)
			return pte & 0xfffff000ull;
		return (pte & 0xffc00000ull) | (((pte >> 13) & 0xffull) << 32);
	}
	return pte & pa_frame_mask(w) & ~(size - 1);
}

/* Table address an entry points to. */
static uint64_t table_frame(const struct guest_walker *w, uint64_t pte)
{
	if (w->ctx->mode == X86_PAGING_32)
		return pte & 0xfffff000ull;
	return pte & pa_frame_mask(w);
}

static void walker_fault(struct guest_walker *w, struct x86_walk_result *res,
			 uint32_t errcode)
{
	const struct x86_walk_ctx *ctx = w->ctx;

	errcode |= w->access & (X86_PFERR_WRITE | X86_PFERR_USER);
	/*
	 * SDM 4.7: I/D is reported only when fetches can be told apart from
	 * reads by the paging mode: SMEP, or XD enabled (PAE/4-level + NXE).
	 */
	if ((w->access & X86_ACC_FETCH) && (ctx->cr4_smep || walker_nx(w)))
		errcode |= X86_PFERR_FETCH;
	res->error_code = errcode;
	res->level = w->level;
}

/*
 * The permission check done on the combined access bits once the leaf is
 * found (KVM's permission_fault()).  Returns true if the access faults.
 */
static bool permission_fault(const struct guest_walker *w)
{
	const struct x86_walk_ctx *ctx = w->ctx;
	bool write = w->access & X86_ACC_WRITE;
	bool user = w->access & X86_ACC_USER;
	bool fetch = w->access & X86_ACC_FETCH;

	if (user && !w->user)
		return true;
	if (write && !w->writable && (user || ctx->cr0_wp))
		return true;
	if (fetch && w->nx)
		return true;
	if (!user && w->user) {
		if (fetch && ctx->cr4_smep)
			return true;
		/* SMAP with EFLAGS.AC taken as clear (see top of file). */
		if (!fetch && ctx->cr4_smap)
			return true;
	}
	return false;
}

static void walker_account(struct guest_walker *w, int level, uint64_t pte)
{
	/* PAE PDPTEs carry no permission bits. */
	if (w->ctx->mode == X86_PAGING_PAE && level == 3)
		return;
	w->writable &= !!(pte & PT_WRITABLE_MASK);
	w->user &= !!(pte & PT_USER_MASK);
	if (walker_nx(w) && (pte & PT64_NX_MASK))
		w->nx = true;
}

/*
 * Phase 1: descend.  Returns X86_WALK_OK with w->level at the leaf, or the
 * failure (res filled).
 */
static enum x86_walk_status walk_tables(struct guest_walker *w, uint64_t gva,
					struct x86_walk_result *res)
{
	const struct x86_walk_ctx *ctx = w->ctx;
	uint64_t table = root_table_gpa(w);
	uint64_t pte, pte_gpa;

	for (w->level = w->root_level; ; w->level--) {
		pte_gpa = table + (uint64_t)pt_index(w, gva, w->level) * w->pte_size;
		pte = 0;
		if (ctx->read_pte(ctx->opaque, pte_gpa, &pte, w->pte_size)) {
			res->table_fault_gpa = pte_gpa;
			res->level = w->level;
			return X86_WALK_TABLE_FAULT;
		}
		if (w->pte_size == 4)
			pte &= 0xffffffffull;
		w->pte[w->n] = pte;
		w->pte_gpa[w->n] = pte_gpa;
		w->pte_level[w->n] = w->level;
		w->n++;
		if (ctx->note)
			ctx->note(ctx->note_opaque, X86_WALK_NOTE_ENTRY, pte_gpa, pte, w->level);

		if (!(pte & PT_PRESENT_MASK)) {
			walker_fault(w, res, 0);
			return X86_WALK_PAGE_FAULT;
		}
		if (pte & gpte_rsvd_mask(w, w->level, pte)) {
			walker_fault(w, res, X86_PFERR_RSVD | X86_PFERR_PRESENT);
			return X86_WALK_PAGE_FAULT;
		}
		walker_account(w, w->level, pte);
		if (is_last_gpte(w, w->level, pte))
			return X86_WALK_OK;
		table = table_frame(w, pte);
	}
}

/*
 * Phase 3: set A on every entry used and D on the leaf for writes, writing
 * only entries whose value changes.  An entry met twice (a self-referencing
 * table) is updated from the value already written for it.
 */
static enum x86_walk_status update_accessed_dirty_bits(struct guest_walker *w,
						       struct x86_walk_result *res)
{
	const struct x86_walk_ctx *ctx = w->ctx;
	int i, j;

	for (i = 0; i < w->n; i++) {
		uint64_t old = w->pte[i], new;

		if (ctx->mode == X86_PAGING_PAE && w->pte_level[i] == 3)
			continue;	/* PDPTEs have no accessed bit */
		for (j = 0; j < i; j++)
			if (w->pte_gpa[j] == w->pte_gpa[i])
				old = w->pte[j];
		new = old | PT_ACCESSED_MASK;
		if (i == w->n - 1 && (w->access & X86_ACC_WRITE))
			new |= PT_DIRTY_MASK;
		w->pte[i] = new;
		/* No write callback: an inspection walk without side effects. */
		if (new == old || !ctx->write_pte)
			continue;
		if (ctx->write_pte(ctx->opaque, w->pte_gpa[i], new, w->pte_size)) {
			res->table_fault_gpa = w->pte_gpa[i];
			res->level = w->pte_level[i];
			return X86_WALK_TABLE_FAULT;
		}
		if (!ctx->note)
			continue;
		if ((new ^ old) & PT_ACCESSED_MASK)
			ctx->note(ctx->note_opaque, X86_WALK_NOTE_ACCESSED, w->pte_gpa[i], new,
				  w->pte_level[i]);
		if ((new ^ old) & PT_DIRTY_MASK)
			ctx->note(ctx->note_opaque, X86_WALK_NOTE_DIRTY, w->pte_gpa[i], new,
				  w->pte_level[i]);
	}
	return X86_WALK_OK;
}

static void walk_no_paging(uint64_t gva, struct x86_walk_result *res)
{
	res->gpa = gva;
	res->page_size = PAGE_SIZE_4K;
	res->page_gva = gva & ~(PAGE_SIZE_4K - 1);
	res->page_gpa = res->page_gva;
	res->level = 0;
	res->writable = true;
	res->user = true;
}

static int mode_root_level(enum x86_paging_mode mode)
{
	switch (mode) {
	case X86_PAGING_32:
		return 2;
	case X86_PAGING_PAE:
		return 3;
	default:
		return 4;
	}
}

enum x86_walk_status x86_walk_addr(const struct x86_walk_ctx *ctx, uint64_t gva,
				   unsigned access, struct x86_walk_result *res)
{
	struct guest_walker w = {
		.ctx = ctx,
		.access = access & ACC_ALL,
		.gva32 = (uint32_t)gva,
		.writable = true,
		.user = true,
	};
	enum x86_walk_status st;
	uint64_t leaf, va;
	int i;

	memset(res, 0, sizeof(*res));
	if (ctx->mode == X86_PAGING_NONE) {
		walk_no_paging(gva, res);
		return X86_WALK_OK;
	}

	w.maxphyaddr = effective_maxphyaddr(ctx);
	w.pte_size = ctx->mode == X86_PAGING_32 ? 4 : 8;
	w.root_level = mode_root_level(ctx->mode);

	st = walk_tables(&w, gva, res);
	if (st == X86_WALK_OK && permission_fault(&w)) {
		walker_fault(&w, res, X86_PFERR_PRESENT);
		st = X86_WALK_PAGE_FAULT;
	}
	if (st == X86_WALK_OK)
		st = update_accessed_dirty_bits(&w, res);

	for (i = 0; i < w.n; i++)
		res->table_gpa[i] = w.pte_gpa[i];
	res->n_tables = w.n;
	if (st != X86_WALK_OK)
		return st;

	va = ctx->mode == X86_PAGING_4LEVEL ? gva : w.gva32;
	leaf = w.pte[w.n - 1];
	res->level = w.level;
	res->page_size = level_page_size(ctx->mode, w.level);
	res->page_gva = va & ~(res->page_size - 1);
	res->page_gpa = leaf_frame(&w, w.level, leaf);
	res->gpa = res->page_gpa | (va & (res->page_size - 1));
	res->writable = w.writable;
	res->user = w.user;
	res->nx = w.nx;
	res->dirty = leaf & PT_DIRTY_MASK;
	return X86_WALK_OK;
}

bool x86_is_canonical(uint64_t gva)
{
	/* Bits 63:47 must all equal bit 47. */
	return (uint64_t)((int64_t)(gva << 16) >> 16) == gva;
}
