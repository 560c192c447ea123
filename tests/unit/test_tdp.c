// SPDX-License-Identifier: MIT
/*
 * Unit tests for the stage-2 (TDP) radix tree: installs at each level,
 * huge-page split token arithmetic, zap of whole leaves, table freeing,
 * write-protect, iteration order, stats and error returns.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include "mmu-model/tdp.h"

#define PAGES_2M	TDP_PAGES_PER_LEVEL(TDP_PG_LEVEL_2M)
#define PAGES_1G	TDP_PAGES_PER_LEVEL(TDP_PG_LEVEL_1G)
#define RWX		(TDP_SPTE_WRITABLE | TDP_SPTE_EXEC)

static struct tdp_mmu *mmu;

static void setup(void)
{
	mmu = tdp_mmu_create();
	ck_assert_ptr_nonnull(mmu);
}

static void teardown(void)
{
	tdp_mmu_destroy(mmu);
	mmu = NULL;
}

static struct tdp_stats stats(void)
{
	struct tdp_stats st;

	tdp_get_stats(mmu, &st);
	return st;
}

static void assert_leaf(uint64_t gfn, uint64_t gfn_base, int level,
			uint64_t host_base, unsigned flags)
{
	struct tdp_leaf leaf;

	ck_assert_msg(tdp_lookup(mmu, gfn, &leaf), "gfn %#llx not mapped",
		      (unsigned long long)gfn);
	ck_assert_uint_eq(leaf.gfn_base, gfn_base);
	ck_assert_int_eq(leaf.level, level);
	ck_assert_uint_eq(leaf.host_base, host_base);
	ck_assert_uint_eq(leaf.flags, flags);
}

START_TEST(test_empty)
{
	struct tdp_stats st = stats();

	ck_assert(!tdp_lookup(mmu, 0, NULL));
	ck_assert_uint_eq(st.tables, 1);	/* the root */
	ck_assert_uint_eq(st.leaves[1] + st.leaves[2] + st.leaves[3], 0);
	ck_assert_uint_eq(st.installs, 0);
	ck_assert_uint_eq(tdp_zap_range(mmu, 0, TDP_GFN_LIMIT), 0);
}
END_TEST

START_TEST(test_map_4k)
{
	struct tdp_leaf leaf;
	struct tdp_stats st;

	ck_assert_int_eq(tdp_map(mmu, 0x12345, TDP_PG_LEVEL_4K, 0xa000, RWX), 0);
	assert_leaf(0x12345, 0x12345, 1, 0xa000, RWX);
	ck_assert(!tdp_lookup(mmu, 0x12344, &leaf));
	ck_assert(!tdp_lookup(mmu, 0x12346, &leaf));
	st = stats();
	ck_assert_uint_eq(st.tables, 4);	/* root + 3 */
	ck_assert_uint_eq(st.leaves[1], 1);
	ck_assert_uint_eq(st.installs, 1);

	/* A neighbour in the same last-level table needs no new table. */
	ck_assert_int_eq(tdp_map(mmu, 0x12346, TDP_PG_LEVEL_4K, 0xb000, 0), 0);
	st = stats();
	ck_assert_uint_eq(st.tables, 4);
	ck_assert_uint_eq(st.leaves[1], 2);
	assert_leaf(0x12345, 0x12345, 1, 0xa000, RWX);
	assert_leaf(0x12346, 0x12346, 1, 0xb000, 0);
}
END_TEST

START_TEST(test_map_2m_rounds_down)
{
	struct tdp_leaf leaf;

	ck_assert_int_eq(tdp_map(mmu, 0x12345, TDP_PG_LEVEL_2M, 0x40000000, 0), 0);
	assert_leaf(0x12200, 0x12200, 2, 0x40000000, 0);
	assert_leaf(0x123ff, 0x12200, 2, 0x40000000, 0);
	ck_assert(!tdp_lookup(mmu, 0x121ff, NULL));
	ck_assert(!tdp_lookup(mmu, 0x12400, NULL));
	ck_assert(tdp_lookup(mmu, 0x12345, &leaf));
	ck_assert_uint_eq(tdp_leaf_host(&leaf, 0x12345), 0x40000000 + 0x145 * 4096);
	ck_assert_uint_eq(stats().tables, 3);
	ck_assert_uint_eq(stats().leaves[2], 1);
}
END_TEST

START_TEST(test_map_1g)
{
	uint64_t gfn = 3 * PAGES_1G + 77;

	ck_assert_int_eq(tdp_map(mmu, gfn, TDP_PG_LEVEL_1G, 0x1000000000ull,
				 TDP_SPTE_EXEC), 0);
	assert_leaf(3 * PAGES_1G, 3 * PAGES_1G, 3, 0x1000000000ull, TDP_SPTE_EXEC);
	assert_leaf(4 * PAGES_1G - 1, 3 * PAGES_1G, 3, 0x1000000000ull,
		    TDP_SPTE_EXEC);
	ck_assert(!tdp_lookup(mmu, 4 * PAGES_1G, NULL));
	ck_assert_uint_eq(stats().tables, 2);
	ck_assert_uint_eq(stats().leaves[3], 1);
}
END_TEST

START_TEST(test_split_1g_for_4k)
{
	const uint64_t base = 0x100000000ull;
	struct tdp_stats st;

	ck_assert_int_eq(tdp_map(mmu, 0, TDP_PG_LEVEL_1G, base, RWX), 0);
	ck_assert_int_eq(tdp_map(mmu, 0x201, TDP_PG_LEVEL_4K, 0xdead000, 0), 0);

	/* The new leaf, and equivalent mappings around it. */
	assert_leaf(0x201, 0x201, 1, 0xdead000, 0);
	assert_leaf(0x200, 0x200, 1, base + 0x200 * 4096ull, RWX);
	assert_leaf(0x202, 0x202, 1, base + 0x202 * 4096ull, RWX);
	assert_leaf(0x3ff, 0x3ff, 1, base + 0x3ff * 4096ull, RWX);
	assert_leaf(0x1ff, 0, 2, base, RWX);
	assert_leaf(0x400, 0x400, 2, base + 0x400 * 4096ull, RWX);
	assert_leaf(PAGES_1G - 1, PAGES_1G - PAGES_2M, 2,
		    base + (PAGES_1G - PAGES_2M) * 4096ull, RWX);
	ck_assert(!tdp_lookup(mmu, PAGES_1G, NULL));

	st = stats();
	ck_assert_uint_eq(st.leaves[3], 0);
	ck_assert_uint_eq(st.leaves[2], 511);
	ck_assert_uint_eq(st.leaves[1], 512);
	ck_assert_uint_eq(st.tables, 4);
	ck_assert_uint_eq(st.zapped, 0);	/* a split is not a zap */
	ck_assert_uint_eq(st.installs, 2);
}
END_TEST

START_TEST(test_split_2m_for_4k)
{
	ck_assert_int_eq(tdp_map(mmu, 0x600, TDP_PG_LEVEL_2M, 0x8000000,
				 TDP_SPTE_WRITABLE), 0);
	ck_assert_int_eq(tdp_map(mmu, 0x7ff, TDP_PG_LEVEL_4K, 0x1000, RWX), 0);
	assert_leaf(0x600, 0x600, 1, 0x8000000, TDP_SPTE_WRITABLE);
	assert_leaf(0x7fe, 0x7fe, 1, 0x8000000 + 0x1fe * 4096, TDP_SPTE_WRITABLE);
	assert_leaf(0x7ff, 0x7ff, 1, 0x1000, RWX);
	ck_assert_uint_eq(stats().leaves[2], 0);
	ck_assert_uint_eq(stats().leaves[1], 512);
}
END_TEST

START_TEST(test_larger_leaf_frees_smaller)
{
	struct tdp_stats st;

	ck_assert_int_eq(tdp_map(mmu, 0x200, TDP_PG_LEVEL_4K, 0x1000, 0), 0);
	ck_assert_int_eq(tdp_map(mmu, 0x201, TDP_PG_LEVEL_4K, 0x2000, 0), 0);
	ck_assert_int_eq(tdp_map(mmu, 0x3ff, TDP_PG_LEVEL_4K, 0x3000, 0), 0);
	ck_assert_int_eq(tdp_map(mmu, 0x400, TDP_PG_LEVEL_4K, 0x4000, 0), 0);
	ck_assert_uint_eq(stats().tables, 5);

	ck_assert_int_eq(tdp_map(mmu, 0x300, TDP_PG_LEVEL_2M, 0x200000, RWX), 0);
	st = stats();
	ck_assert_uint_eq(st.zapped, 3);
	ck_assert_uint_eq(st.leaves[1], 1);	/* 0x400 is outside */
	ck_assert_uint_eq(st.leaves[2], 1);
	ck_assert_uint_eq(st.tables, 4);	/* one PT freed */
	assert_leaf(0x201, 0x200, 2, 0x200000, RWX);
	assert_leaf(0x400, 0x400, 1, 0x4000, 0);

	/* A 1G leaf over all of it frees the PD and both PTs' worth. */
	ck_assert_int_eq(tdp_map(mmu, 0, TDP_PG_LEVEL_1G, 0, 0), 0);
	st = stats();
	ck_assert_uint_eq(st.zapped, 5);
	ck_assert_uint_eq(st.leaves[1] + st.leaves[2], 0);
	ck_assert_uint_eq(st.leaves[3], 1);
	ck_assert_uint_eq(st.tables, 2);
}
END_TEST

START_TEST(test_same_level_replace)
{
	ck_assert_int_eq(tdp_map(mmu, 5, TDP_PG_LEVEL_4K, 0x1000, RWX), 0);
	ck_assert_int_eq(tdp_map(mmu, 5, TDP_PG_LEVEL_4K, 0x9000, 0), 0);
	assert_leaf(5, 5, 1, 0x9000, 0);
	ck_assert_uint_eq(stats().leaves[1], 1);
	ck_assert_uint_eq(stats().installs, 2);
	ck_assert_uint_eq(stats().zapped, 0);
}
END_TEST

START_TEST(test_zap_partial_overlap)
{
	struct tdp_stats st;

	ck_assert_int_eq(tdp_map(mmu, 0x200, TDP_PG_LEVEL_2M, 0x200000, 0), 0);
	ck_assert_int_eq(tdp_map(mmu, 0x400, TDP_PG_LEVEL_4K, 0x1000, 0), 0);
	ck_assert_int_eq(tdp_map(mmu, 0x401, TDP_PG_LEVEL_4K, 0x2000, 0), 0);
	ck_assert_int_eq(tdp_map(mmu, 0x600, TDP_PG_LEVEL_4K, 0x3000, 0), 0);
	ck_assert_uint_eq(stats().tables, 5);

	/* One 4K of the 2M leaf is in range: the whole 2M goes. */
	ck_assert_uint_eq(tdp_zap_range(mmu, 0x3ff, 0x401), 2);
	ck_assert(!tdp_lookup(mmu, 0x200, NULL));
	ck_assert(!tdp_lookup(mmu, 0x3ff, NULL));
	ck_assert(!tdp_lookup(mmu, 0x400, NULL));
	assert_leaf(0x401, 0x401, 1, 0x2000, 0);	/* end is exclusive */
	assert_leaf(0x600, 0x600, 1, 0x3000, 0);
	st = stats();
	ck_assert_uint_eq(st.zapped, 2);
	ck_assert_uint_eq(st.leaves[2], 0);
	ck_assert_uint_eq(st.leaves[1], 2);
	ck_assert_uint_eq(st.tables, 5);	/* both PTs still hold a leaf */

	/* Emptying a PT frees it; emptying everything leaves the root. */
	ck_assert_uint_eq(tdp_zap_range(mmu, 0x401, 0x402), 1);
	ck_assert_uint_eq(stats().tables, 4);
	ck_assert_uint_eq(tdp_zap_range(mmu, 0, TDP_GFN_LIMIT), 1);
	st = stats();
	ck_assert_uint_eq(st.tables, 1);
	ck_assert_uint_eq(st.zapped, 4);
	ck_assert_uint_eq(st.leaves[1], 0);

	/* Empty and inverted ranges remove nothing. */
	ck_assert_int_eq(tdp_map(mmu, 7, TDP_PG_LEVEL_4K, 0, 0), 0);
	ck_assert_uint_eq(tdp_zap_range(mmu, 7, 7), 0);
	ck_assert_uint_eq(tdp_zap_range(mmu, 8, 7), 0);
	ck_assert_uint_eq(tdp_zap_range(mmu, 8, ~0ull), 0);
	ck_assert(tdp_lookup(mmu, 7, NULL));
}
END_TEST

START_TEST(test_zap_1g_from_small_range)
{
	ck_assert_int_eq(tdp_map(mmu, PAGES_1G, TDP_PG_LEVEL_1G, 0, 0), 0);
	ck_assert_uint_eq(tdp_zap_range(mmu, 2 * PAGES_1G - 1, 2 * PAGES_1G), 1);
	ck_assert(!tdp_lookup(mmu, PAGES_1G, NULL));
	ck_assert_uint_eq(stats().tables, 1);
}
END_TEST

START_TEST(test_write_protect)
{
	ck_assert_int_eq(tdp_map(mmu, 0x200, TDP_PG_LEVEL_2M, 0x200000, RWX), 0);
	ck_assert_int_eq(tdp_map(mmu, 0x400, TDP_PG_LEVEL_4K, 0x1000, RWX), 0);
	ck_assert_int_eq(tdp_map(mmu, 0x401, TDP_PG_LEVEL_4K, 0x2000,
				 TDP_SPTE_EXEC), 0);
	ck_assert_int_eq(tdp_map(mmu, 0x402, TDP_PG_LEVEL_4K, 0x3000, RWX), 0);

	/* Partly covered 2M leaf is protected whole; 0x401 was already RO. */
	ck_assert_uint_eq(tdp_write_protect_range(mmu, 0x3ff, 0x402), 2);
	assert_leaf(0x200, 0x200, 2, 0x200000, TDP_SPTE_EXEC);
	assert_leaf(0x400, 0x400, 1, 0x1000, TDP_SPTE_EXEC);
	assert_leaf(0x401, 0x401, 1, 0x2000, TDP_SPTE_EXEC);
	assert_leaf(0x402, 0x402, 1, 0x3000, RWX);
	ck_assert_uint_eq(tdp_write_protect_range(mmu, 0x3ff, 0x402), 0);
	ck_assert_uint_eq(tdp_write_protect_range(mmu, 0, TDP_GFN_LIMIT), 1);
	ck_assert_uint_eq(stats().zapped, 0);
}
END_TEST

struct collect {
	int n;
	int stop_at;		/* return non-zero at this leaf, -1: never */
	struct tdp_leaf leaves[16];
};

static int collect_fn(const struct tdp_leaf *leaf, void *opaque)
{
	struct collect *c = opaque;

	ck_assert_int_lt(c->n, 16);
	c->leaves[c->n] = *leaf;
	if (c->n++ == c->stop_at)
		return 42;
	return 0;
}

START_TEST(test_iteration_order)
{
	static const struct {
		uint64_t gfn;
		int level;
	} maps[] = {
		{ TDP_GFN_LIMIT - 1, 1 }, { 0x40000000ull, 3 }, { 0x5, 1 },
		{ 0x8000000ull + 3, 1 }, { 0x200, 2 }, { 0x4, 1 },
	};
	static const uint64_t want[] = {
		0x4, 0x5, 0x200, 0x8000000ull + 3, 0x40000000ull,
		TDP_GFN_LIMIT - 1,
	};
	struct collect c = { .stop_at = -1 };
	unsigned i;

	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		ck_assert_int_eq(tdp_map(mmu, maps[i].gfn, maps[i].level,
					 maps[i].gfn << 12, 0), 0);
	ck_assert_int_eq(tdp_for_each_leaf(mmu, collect_fn, &c), 0);
	ck_assert_int_eq(c.n, 6);
	for (i = 0; i < 6; i++) {
		ck_assert_uint_eq(c.leaves[i].gfn_base, want[i]);
		ck_assert_uint_eq(c.leaves[i].host_base, want[i] << 12);
	}
	ck_assert_int_eq(c.leaves[2].level, 2);
	ck_assert_int_eq(c.leaves[4].level, 3);

	/* Early stop returns the callback's value. */
	c = (struct collect){ .stop_at = 2 };
	ck_assert_int_eq(tdp_for_each_leaf(mmu, collect_fn, &c), 42);
	ck_assert_int_eq(c.n, 3);
}
END_TEST

START_TEST(test_iteration_after_split)
{
	struct collect c = { .stop_at = -1 };

	/* A 2M split yields 512 leaves in order; count them only. */
	ck_assert_int_eq(tdp_map(mmu, 0, TDP_PG_LEVEL_2M, 0, 0), 0);
	ck_assert_int_eq(tdp_map(mmu, 1, TDP_PG_LEVEL_4K, 0, 0), 0);
	ck_assert_uint_eq(tdp_zap_range(mmu, 16, 512), 496);
	ck_assert_int_eq(tdp_for_each_leaf(mmu, collect_fn, &c), 0);
	ck_assert_int_eq(c.n, 16);
	for (int i = 0; i < 16; i++)
		ck_assert_uint_eq(c.leaves[i].gfn_base, (uint64_t)i);
	ck_assert_uint_eq(c.leaves[1].host_base, 0);
	ck_assert_uint_eq(c.leaves[2].host_base, 2 * 4096);
}
END_TEST

START_TEST(test_errors)
{
	ck_assert_int_eq(tdp_map(mmu, 0, 0, 0, 0), -EINVAL);
	ck_assert_int_eq(tdp_map(mmu, 0, 4, 0, 0), -EINVAL);
	ck_assert_int_eq(tdp_map(mmu, 0, -1, 0, 0), -EINVAL);
	ck_assert_int_eq(tdp_map(mmu, TDP_GFN_LIMIT, 1, 0, 0), -EINVAL);
	ck_assert_int_eq(tdp_map(mmu, ~0ull, 3, 0, 0), -EINVAL);
	ck_assert_int_eq(tdp_map(mmu, 0, 1, 0, 1u << 2), -EINVAL);
	ck_assert_int_eq(tdp_map(NULL, 0, 1, 0, 0), -EINVAL);
	ck_assert_uint_eq(stats().installs, 0);
	ck_assert_uint_eq(stats().tables, 1);

	/* The last gfn of a 52-bit gpa space is fine, at every level. */
	ck_assert_int_eq(tdp_map(mmu, TDP_GFN_LIMIT - 1, 1, 0, 0), 0);
	ck_assert_int_eq(tdp_map(mmu, TDP_GFN_LIMIT - 1, 3, 0, 0), 0);
	assert_leaf(TDP_GFN_LIMIT - 1, TDP_GFN_LIMIT - PAGES_1G, 3, 0, 0);
	ck_assert(!tdp_lookup(mmu, TDP_GFN_LIMIT, NULL));
}
END_TEST

START_TEST(test_enomem)
{
	struct tdp_stats before, after;

	ck_assert_int_eq(tdp_map(mmu, 0, TDP_PG_LEVEL_1G, 0x1000, RWX), 0);
	tdp_get_stats(mmu, &before);

	/*
	 * A 4K map tops up three tables before touching the tree (the split
	 * uses two); the second allocation fails.
	 */
	tdp_mmu_fail_alloc(mmu, 2);
	ck_assert_int_eq(tdp_map(mmu, 0x201, TDP_PG_LEVEL_4K, 0, 0), -ENOMEM);
	tdp_get_stats(mmu, &after);
	ck_assert_uint_eq(after.tables, before.tables);
	ck_assert_uint_eq(after.installs, before.installs);
	ck_assert_uint_eq(after.leaves[3], 1);
	ck_assert_uint_eq(after.leaves[1] + after.leaves[2], 0);
	assert_leaf(0x201, 0, 3, 0x1000, RWX);	/* nothing changed */

	/* Injection is one-shot: the retry succeeds. */
	ck_assert_int_eq(tdp_map(mmu, 0x201, TDP_PG_LEVEL_4K, 0, 0), 0);
	assert_leaf(0x201, 0x201, 1, 0, 0);
	assert_leaf(0x202, 0x202, 1, 0x1000 + 0x202 * 4096, RWX);

	/* A fresh 4K mapping far away needs three tables. */
	tdp_mmu_fail_alloc(mmu, 1);
	ck_assert_int_eq(tdp_map(mmu, 0x80000000ull, 1, 0, 0), -ENOMEM);
	ck_assert(!tdp_lookup(mmu, 0x80000000ull, NULL));
	tdp_mmu_fail_alloc(mmu, 0);
	ck_assert_int_eq(tdp_map(mmu, 0x80000000ull, 1, 0, 0), 0);
}
END_TEST

START_TEST(test_create_destroy_many)
{
	/* Leak check under ASan: a populated tree is freed whole. */
	struct tdp_mmu *m = tdp_mmu_create();

	ck_assert_ptr_nonnull(m);
	for (uint64_t g = 0; g < 64; g++)
		ck_assert_int_eq(tdp_map(m, g * PAGES_2M + g, 1 + g % 3, g, 0), 0);
	tdp_mmu_destroy(m);
	tdp_mmu_destroy(NULL);
}
END_TEST

static Suite *tdp_suite(void)
{
	Suite *s = suite_create("tdp");
	TCase *tc = tcase_create("tdp");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_map_4k);
	tcase_add_test(tc, test_map_2m_rounds_down);
	tcase_add_test(tc, test_map_1g);
	tcase_add_test(tc, test_split_1g_for_4k);
	tcase_add_test(tc, test_split_2m_for_4k);
	tcase_add_test(tc, test_larger_leaf_frees_smaller);
	tcase_add_test(tc, test_same_level_replace);
	tcase_add_test(tc, test_zap_partial_overlap);
	tcase_add_test(tc, test_zap_1g_from_small_range);
	tcase_add_test(tc, test_write_protect);
	tcase_add_test(tc, test_iteration_order);
	tcase_add_test(tc, test_iteration_after_split);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_enomem);
	tcase_add_test(tc, test_create_destroy_many);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(tdp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
