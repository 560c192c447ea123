/* SPDX-License-Identifier: MIT */
/*
 * Stage-2 (TDP / EPT) table of one VM: a 4-level radix tree of 512-entry
 * tables keyed by guest frame number, with leaves at level 1 (4K), 2 (2M) or
 * 3 (1G), as the kernel's tdp_mmu.c keeps it.  Knows nothing of Unicorn or
 * of memslots: the caller decides the level and the host backing.
 *
 * A leaf maps [gfn_base, gfn_base + pages(level)) to host "pfn" tokens: the
 * caller stores an opaque 64-bit value per leaf (kvm-model stores the host
 * address of the first byte) and gets it back with the offset inside the
 * leaf.
 */
#ifndef KVMSIM_TDP_H
#define KVMSIM_TDP_H

#include <stdbool.h>
#include <stdint.h>

#define TDP_PG_LEVEL_4K	1
#define TDP_PG_LEVEL_2M	2
#define TDP_PG_LEVEL_1G	3

#define TDP_PAGE_SHIFT	12
/* number of 4K pages covered by a leaf at this level: 1, 512, 262144 */
#define TDP_PAGES_PER_LEVEL(l) (1ull << (9 * ((l) - 1)))

#define TDP_SPTE_WRITABLE	(1u << 0)
#define TDP_SPTE_EXEC		(1u << 1)

/*
 * First gfn beyond a 52-bit gpa.  tdp_map rejects gfns at or above it and
 * flags outside TDP_SPTE_* with -EINVAL, as it does levels outside 1..3.
 */
#define TDP_GFN_LIMIT	(1ull << (52 - TDP_PAGE_SHIFT))

struct tdp_mmu;

struct tdp_leaf {
	uint64_t gfn_base;	/* first gfn the leaf covers (aligned to its level) */
	int level;		/* TDP_PG_LEVEL_* */
	uint64_t host_base;	/* caller's token for gfn_base */
	unsigned flags;		/* TDP_SPTE_* */
};

/* The caller's token for gfn, which must lie inside the leaf. */
static inline uint64_t tdp_leaf_host(const struct tdp_leaf *leaf, uint64_t gfn)
{
	return leaf->host_base + ((gfn - leaf->gfn_base) << TDP_PAGE_SHIFT);
}

struct tdp_stats {
	uint64_t leaves[4];	/* present leaves per level, index = level */
	uint64_t tables;	/* non-leaf tables allocated (including the root) */
	uint64_t installs;	/* tdp_map calls that installed a leaf */
	uint64_t zapped;	/* leaves removed by zap calls */
};

struct tdp_mmu *tdp_mmu_create(void);
void tdp_mmu_destroy(struct tdp_mmu *mmu);

/* Look the gfn up: true and *leaf filled if a present leaf covers it. */
bool tdp_lookup(const struct tdp_mmu *mmu, uint64_t gfn, struct tdp_leaf *leaf);

/*
 * Install a leaf covering gfn at `level` (gfn is rounded down to the
 * level's alignment; host_base is the token of that first gfn).  Any
 * smaller leaves or tables already under that range are freed (counted as
 * zapped), and a larger leaf covering it is split into the lower level's
 * leaves first (as KVM's huge-page split does), keeping their tokens
 * consistent (token + 4K * page offset).  A leaf of the same level already
 * there is replaced (not counted as zapped).
 * Returns 0, -ENOMEM, or -EINVAL (bad level, gfn or flags).
 */
int tdp_map(struct tdp_mmu *mmu, uint64_t gfn, int level, uint64_t host_base,
	    unsigned flags);

/*
 * Remove every leaf overlapping [gfn_start, gfn_end) (a leaf partly inside
 * is removed whole, as kvm_tdp_mmu_zap_leafs does) and free empty tables.
 * Returns the number of leaves removed.
 */
uint64_t tdp_zap_range(struct tdp_mmu *mmu, uint64_t gfn_start, uint64_t gfn_end);

/*
 * Clear TDP_SPTE_WRITABLE on every leaf in the range (a leaf partly inside
 * is protected whole); returns how many changed.
 */
uint64_t tdp_write_protect_range(struct tdp_mmu *mmu, uint64_t gfn_start,
				 uint64_t gfn_end);

/* Call fn for every present leaf in gfn order; stop early if fn returns non-zero. */
typedef int (*tdp_leaf_fn)(const struct tdp_leaf *leaf, void *opaque);
int tdp_for_each_leaf(const struct tdp_mmu *mmu, tdp_leaf_fn fn, void *opaque);

void tdp_get_stats(const struct tdp_mmu *mmu, struct tdp_stats *st);

/*
 * Fault injection for tests: the nth table allocation from now fails
 * (tdp_map then returns -ENOMEM without changing the tree); 0 turns it off.
 * Table memory is topped up before a map touches the tree, as KVM's
 * mmu_topup_memory_caches() does, so a failure is all-or-nothing.
 */
void tdp_mmu_fail_alloc(struct tdp_mmu *mmu, unsigned nth);

#endif
