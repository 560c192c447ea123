// SPDX-License-Identifier: MIT
/*
 * Stage-2 (TDP / EPT) table: a radix tree keyed by gfn, shaped like KVM's
 * tdp_mmu.c tree.  Tables at levels 1..3 have 512 entries; the root (level
 * 4) takes gfn bits 27..39 (8192 entries) so that the whole 52-bit gpa
 * space fits in four levels, as a 4-level EPT whose PML4 has been widened.
 *
 * Table memory is topped up before the tree is touched (KVM's
 * mmu_topup_memory_caches()), so -ENOMEM never leaves a half-done change.
 */
#include "mmu-model/tdp.h"

#include <errno.h>
#include <stdlib.h>

#define TDP_ROOT_LEVEL		4
#define TDP_TABLE_ENTRIES	512u
#define TDP_ROOT_ENTRIES	((unsigned)(TDP_GFN_LIMIT >> 27))
/* A map at level L may need one new table per level between root and L. */
#define TDP_CACHE_MIN		(TDP_ROOT_LEVEL - TDP_PG_LEVEL_4K)
#define TDP_VALID_FLAGS		(TDP_SPTE_WRITABLE | TDP_SPTE_EXEC)

enum tdp_spte_type {
	SPTE_NONE = 0,
	SPTE_TABLE,
	SPTE_LEAF,
};

struct tdp_table;

struct tdp_spte {
	union {
		struct tdp_table *child;	/* SPTE_TABLE */
		uint64_t host_base;		/* SPTE_LEAF */
	};
	uint32_t flags;
	uint8_t type;
};

struct tdp_table {
	int level;
	unsigned nr_entries;
	unsigned nr_present;	/* entries that are not SPTE_NONE */
	struct tdp_spte spte[];
};

struct tdp_mmu {
	struct tdp_table *root;
	struct tdp_stats stats;
	struct tdp_table *cache[TDP_CACHE_MIN];
	int nr_cached;
	unsigned fail_alloc_in;	/* fault injection; 0 = off */
};

/* gfns covered by one entry of a table at `level`. */
static uint64_t entry_span(int level)
{
	return TDP_PAGES_PER_LEVEL(level);
}

static unsigned spte_index(uint64_t gfn, int level)
{
	uint64_t idx = gfn >> (9 * (level - 1));

	return level == TDP_ROOT_LEVEL ? (unsigned)idx
				       : (unsigned)(idx & (TDP_TABLE_ENTRIES - 1));
}

static struct tdp_table *alloc_table(struct tdp_mmu *mmu, int level)
{
	unsigned n = level == TDP_ROOT_LEVEL ? TDP_ROOT_ENTRIES : TDP_TABLE_ENTRIES;
	struct tdp_table *t;

	if (mmu && mmu->fail_alloc_in && --mmu->fail_alloc_in == 0)
		return NULL;
	t = calloc(1, sizeof(*t) + n * sizeof(t->spte[0]));
	if (!t)
		return NULL;
	t->level = level;
	t->nr_entries = n;
	return t;
}

static int mmu_topup_memory_cache(struct tdp_mmu *mmu, int min)
{
	while (mmu->nr_cached < min) {
		struct tdp_table *t = alloc_table(mmu, TDP_PG_LEVEL_4K);

		if (!t)
			return -ENOMEM;
		mmu->cache[mmu->nr_cached++] = t;
	}
	return 0;
}

/* Take a zeroed table from the cache; cannot fail after the top-up. */
static struct tdp_table *cache_take(struct tdp_mmu *mmu, int level)
{
	struct tdp_table *t = mmu->cache[--mmu->nr_cached];

	t->level = level;
	mmu->stats.tables++;
	return t;
}

/* Free a table and everything under it; returns the leaves dropped. */
static uint64_t free_subtree(struct tdp_mmu *mmu, struct tdp_table *t)
{
	uint64_t leaves = 0;
	unsigned i;

	for (i = 0; i < t->nr_entries && t->nr_present; i++) {
		struct tdp_spte *s = &t->spte[i];

		if (s->type == SPTE_TABLE) {
			leaves += free_subtree(mmu, s->child);
		} else if (s->type == SPTE_LEAF) {
			mmu->stats.leaves[t->level]--;
			leaves++;
		} else {
			continue;
		}
		t->nr_present--;
	}
	mmu->stats.tables--;
	free(t);
	return leaves;
}

static void set_leaf(struct tdp_spte *s, uint64_t host_base, unsigned flags)
{
	s->type = SPTE_LEAF;
	s->host_base = host_base;
	s->flags = flags;
}

/*
 * Replace the leaf *s of a table at `level` by a table of 512 leaves one
 * level down that map the same range with the same flags (KVM's eager
 * huge-page split).
 */
static void split_huge_leaf(struct tdp_mmu *mmu, struct tdp_spte *s, int level)
{
	struct tdp_table *child = cache_take(mmu, level - 1);
	uint64_t step = entry_span(level - 1) << TDP_PAGE_SHIFT;
	unsigned i;

	for (i = 0; i < TDP_TABLE_ENTRIES; i++)
		set_leaf(&child->spte[i], s->host_base + i * step, s->flags);
	child->nr_present = TDP_TABLE_ENTRIES;
	mmu->stats.leaves[level]--;
	mmu->stats.leaves[level - 1] += TDP_TABLE_ENTRIES;
	s->type = SPTE_TABLE;
	s->child = child;
	s->flags = 0;
}

struct tdp_mmu *tdp_mmu_create(void)
{
	struct tdp_mmu *mmu = calloc(1, sizeof(*mmu));

	if (!mmu)
		return NULL;
	mmu->root = alloc_table(NULL, TDP_ROOT_LEVEL);
	if (!mmu->root) {
		free(mmu);
		return NULL;
	}
	mmu->stats.tables = 1;
	return mmu;
}

void tdp_mmu_destroy(struct tdp_mmu *mmu)
{
	if (!mmu)
		return;
	free_subtree(mmu, mmu->root);
	while (mmu->nr_cached)
		free(mmu->cache[--mmu->nr_cached]);
	free(mmu);
}

void tdp_mmu_fail_alloc(struct tdp_mmu *mmu, unsigned nth)
{
	mmu->fail_alloc_in = nth;
}

bool tdp_lookup(const struct tdp_mmu *mmu, uint64_t gfn, struct tdp_leaf *leaf)
{
	const struct tdp_table *t;
	const struct tdp_spte *s;

	if (!mmu || gfn >= TDP_GFN_LIMIT)
		return false;
	for (t = mmu->root; ; t = s->child) {
		s = &t->spte[spte_index(gfn, t->level)];
		if (s->type == SPTE_NONE)
			return false;
		if (s->type == SPTE_LEAF)
			break;
	}
	if (leaf) {
		leaf->level = t->level;
		leaf->gfn_base = gfn & ~(entry_span(t->level) - 1);
		leaf->host_base = s->host_base;
		leaf->flags = s->flags;
	}
	return true;
}

int tdp_map(struct tdp_mmu *mmu, uint64_t gfn, int level, uint64_t host_base,
	    unsigned flags)
{
	struct tdp_table *t;
	struct tdp_spte *s;
	int r;

	if (!mmu || level < TDP_PG_LEVEL_4K || level > TDP_PG_LEVEL_1G ||
	    gfn >= TDP_GFN_LIMIT || (flags & ~TDP_VALID_FLAGS))
		return -EINVAL;
	gfn &= ~(entry_span(level) - 1);

	r = mmu_topup_memory_cache(mmu, TDP_ROOT_LEVEL - level);
	if (r)
		return r;

	/* Descend, creating missing tables and splitting larger leaves. */
	for (t = mmu->root; t->level > level; t = s->child) {
		s = &t->spte[spte_index(gfn, t->level)];
		if (s->type == SPTE_NONE) {
			s->type = SPTE_TABLE;
			s->child = cache_take(mmu, t->level - 1);
			t->nr_present++;
		} else if (s->type == SPTE_LEAF) {
			split_huge_leaf(mmu, s, t->level);
		}
	}

	s = &t->spte[spte_index(gfn, level)];
	if (s->type == SPTE_TABLE)
		mmu->stats.zapped += free_subtree(mmu, s->child);
	else if (s->type == SPTE_LEAF)
		mmu->stats.leaves[level]--;	/* same-size leaf: replaced */
	else
		t->nr_present++;
	set_leaf(s, host_base, flags);
	mmu->stats.leaves[level]++;
	mmu->stats.installs++;
	return 0;
}

/* Index range [*first, *last] of t's entries overlapping [start, end). */
static bool overlap_range(const struct tdp_table *t, uint64_t base,
			  uint64_t start, uint64_t end, unsigned *first,
			  unsigned *last)
{
	uint64_t span = entry_span(t->level);
	uint64_t lim = base + span * t->nr_entries;

	if (start < base)
		start = base;
	if (end > lim)
		end = lim;
	if (start >= end)
		return false;
	*first = (unsigned)((start - base) / span);
	*last = (unsigned)((end - 1 - base) / span);
	return true;
}

static uint64_t zap_table(struct tdp_mmu *mmu, struct tdp_table *t,
			  uint64_t base, uint64_t start, uint64_t end)
{
	uint64_t span = entry_span(t->level), zapped = 0;
	unsigned i, first, last;

	if (!overlap_range(t, base, start, end, &first, &last))
		return 0;
	for (i = first; i <= last; i++) {
		struct tdp_spte *s = &t->spte[i];

		if (s->type == SPTE_LEAF) {
			mmu->stats.leaves[t->level]--;
			zapped++;
		} else if (s->type == SPTE_TABLE) {
			zapped += zap_table(mmu, s->child, base + i * span,
					    start, end);
			if (s->child->nr_present)
				continue;
			free_subtree(mmu, s->child);
		} else {
			continue;
		}
		s->type = SPTE_NONE;
		s->host_base = 0;
		s->flags = 0;
		t->nr_present--;
	}
	return zapped;
}

uint64_t tdp_zap_range(struct tdp_mmu *mmu, uint64_t gfn_start,
		       uint64_t gfn_end)
{
	uint64_t zapped;

	if (!mmu)
		return 0;
	zapped = zap_table(mmu, mmu->root, 0, gfn_start, gfn_end);
	mmu->stats.zapped += zapped;
	return zapped;
}

static uint64_t wrprot_table(struct tdp_table *t, uint64_t base,
			     uint64_t start, uint64_t end)
{
	uint64_t span = entry_span(t->level), changed = 0;
	unsigned i, first, last;

	if (!overlap_range(t, base, start, end, &first, &last))
		return 0;
	for (i = first; i <= last; i++) {
		struct tdp_spte *s = &t->spte[i];

		if (s->type == SPTE_TABLE) {
			changed += wrprot_table(s->child, base + i * span,
						start, end);
		} else if (s->type == SPTE_LEAF &&
			   (s->flags & TDP_SPTE_WRITABLE)) {
			s->flags &= ~TDP_SPTE_WRITABLE;
			changed++;
		}
	}
	return changed;
}

uint64_t tdp_write_protect_range(struct tdp_mmu *mmu, uint64_t gfn_start,
				 uint64_t gfn_end)
{
	if (!mmu)
		return 0;
	return wrprot_table(mmu->root, 0, gfn_start, gfn_end);
}

static int walk_table(const struct tdp_table *t, uint64_t base, tdp_leaf_fn fn,
		      void *opaque)
{
	uint64_t span = entry_span(t->level);
	unsigned i, seen = 0;
	int r;

	for (i = 0; i < t->nr_entries && seen < t->nr_present; i++) {
		const struct tdp_spte *s = &t->spte[i];
		struct tdp_leaf leaf;

		if (s->type == SPTE_NONE)
			continue;
		seen++;
		if (s->type == SPTE_TABLE) {
			r = walk_table(s->child, base + i * span, fn, opaque);
		} else {
			leaf.gfn_base = base + i * span;
			leaf.level = t->level;
			leaf.host_base = s->host_base;
			leaf.flags = s->flags;
			r = fn(&leaf, opaque);
		}
		if (r)
			return r;
	}
	return 0;
}

int tdp_for_each_leaf(const struct tdp_mmu *mmu, tdp_leaf_fn fn, void *opaque)
{
	if (!mmu || !fn)
		return 0;
	return walk_table(mmu->root, 0, fn, opaque);
}

void tdp_get_stats(const struct tdp_mmu *mmu, struct tdp_stats *st)
{
	if (!mmu) {
		*st = (struct tdp_stats){ 0 };
		return;
	}
	*st = mmu->stats;
}
