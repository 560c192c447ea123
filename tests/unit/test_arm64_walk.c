// SPDX-License-Identifier: MIT
/*
 * Unit tests for the arm64 stage-1 walker (4K granule).  Tables live in a
 * fake IPA space behind the read callback, which can also refuse one IPA
 * to play a stage-2 fault on a table walk (S1PTW).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mmu-model/arm64_walk.h"

#define MEM_SIZE	0x200000ull

#define V	ARM64_DESC_VALID
#define T	ARM64_DESC_TABLE	/* table, or page at level 3 */
#define AF	ARM64_DESC_AF
#define RO	ARM64_DESC_AP_RO
#define EL0	ARM64_DESC_AP_EL0
#define PXN	ARM64_DESC_PXN
#define UXN	ARM64_DESC_UXN

/* TCR: T0SZ = T1SZ = 64 - bits, TG0 = 4K, TG1 = 4K */
#define TCR(bits)	((uint64_t)(64 - (bits)) | (uint64_t)(64 - (bits)) << 16 | \
			 ARM64_TCR_TG1_4K << ARM64_TCR_TG1_SHIFT)

struct fake_mem {
	uint8_t bytes[MEM_SIZE];
	uint64_t refuse_ipa;	/* a read of this IPA fails (stage 2); 0: none */
	int nr_reads;
};

static struct fake_mem *mem;
static struct arm64_walk_ctx ctx;
static struct arm64_walk_result res;

static int mem_read(void *opaque, uint64_t ipa, uint64_t *val)
{
	struct fake_mem *m = opaque;

	if (ipa + 8 > MEM_SIZE || (m->refuse_ipa && ipa == m->refuse_ipa))
		return -1;
	memcpy(val, &m->bytes[ipa], 8);
	m->nr_reads++;
	return 0;
}

static void set_desc(uint64_t table, int idx, uint64_t desc)
{
	memcpy(&mem->bytes[table + idx * 8], &desc, 8);
}

static void setup(void)
{
	mem = calloc(1, sizeof(*mem));
	ck_assert_ptr_nonnull(mem);
	memset(&ctx, 0, sizeof(ctx));
	ctx.sctlr = ARM64_SCTLR_M;
	ctx.tcr = TCR(39);
	ctx.ttbr0 = 0x1000;
	ctx.ttbr1 = 0x8000;
	ctx.read_desc = mem_read;
	ctx.opaque = mem;
}

static void teardown(void)
{
	free(mem);
}

static enum arm64_walk_status walk(uint64_t va, unsigned access)
{
	return arm64_walk(&ctx, va, access, &res);
}

/* 39-bit VA: level 1 at 0x1000, level 2 at 0x2000, level 3 at 0x3000. */
static void map_39(uint64_t va, uint64_t pa, uint64_t leaf_attrs)
{
	set_desc(0x1000, (va >> 30) & 0x1ff, 0x2000 | V | T);
	set_desc(0x2000, (va >> 21) & 0x1ff, 0x3000 | V | T);
	set_desc(0x3000, (va >> 12) & 0x1ff, pa | V | T | leaf_attrs);
}

/* What the walk told its listener: level, IPA, descriptor, in order. */
static struct { int level; uint64_t ipa, desc; } notes[8];
static int nr_notes;

static void note(void *opaque, int level, uint64_t ipa, uint64_t desc)
{
	ck_assert_ptr_eq(opaque, &nr_notes);
	ck_assert_int_lt(nr_notes, 8);
	notes[nr_notes].level = level;
	notes[nr_notes].ipa = ipa;
	notes[nr_notes].desc = desc;
	nr_notes++;
}

/*
 * Each descriptor as read, outermost first; a descriptor stage 2 cannot
 * give (S1PTW) is not told, the ones before it are.
 */
START_TEST(notes_each_descriptor)
{
	ctx.note = note;
	ctx.note_opaque = &nr_notes;
	map_39(0x40201000ull, 0x155000, AF);
	ck_assert_int_eq(walk(0x40201abcull, 0), ARM64_WALK_OK);
	ck_assert_int_eq(nr_notes, 3);
	ck_assert_int_eq(notes[0].level, 1);
	ck_assert_uint_eq(notes[0].ipa, 0x1000 + 1 * 8);
	ck_assert_uint_eq(notes[0].desc, 0x2000 | V | T);
	ck_assert_int_eq(notes[1].level, 2);
	ck_assert_uint_eq(notes[1].ipa, 0x2000 + 1 * 8);
	ck_assert_uint_eq(notes[1].desc, 0x3000 | V | T);
	ck_assert_int_eq(notes[2].level, 3);
	ck_assert_uint_eq(notes[2].ipa, 0x3000 + 1 * 8);
	ck_assert_uint_eq(notes[2].desc, 0x155000 | V | T | AF);

	nr_notes = 0;
	mem->refuse_ipa = 0x3000 + 1 * 8;
	ck_assert_int_eq(walk(0x40201abcull, 0), ARM64_WALK_S2_FAULT);
	ck_assert_int_eq(nr_notes, 2);
	ck_assert_int_eq(notes[1].level, 2);
}
END_TEST

START_TEST(mmu_off_is_flat)
{
	ctx.sctlr = 0;
	ck_assert_int_eq(walk(0x123456789ull, ARM64_ACC_WRITE | ARM64_ACC_EXEC), ARM64_WALK_OK);
	ck_assert_uint_eq(res.ipa, 0x123456789ull);
	ck_assert(res.mmu_off);
	ck_assert_int_eq(mem->nr_reads, 0);
}
END_TEST

START_TEST(start_levels)
{
	ck_assert_int_eq(arm64_start_level(48), 0);
	ck_assert_int_eq(arm64_start_level(40), 0);
	ck_assert_int_eq(arm64_start_level(39), 1);
	ck_assert_int_eq(arm64_start_level(31), 1);
	ck_assert_int_eq(arm64_start_level(30), 2);
	ck_assert_int_eq(arm64_start_level(25), 2);
}
END_TEST

START_TEST(page_39bit)
{
	map_39(0x40201000ull, 0x155000, AF);
	ck_assert_int_eq(walk(0x40201abcull, ARM64_ACC_WRITE), ARM64_WALK_OK);
	ck_assert_uint_eq(res.ipa, 0x155abc);
	ck_assert_int_eq(res.level, 3);
	ck_assert_uint_eq(res.size, 0x1000);
	ck_assert(res.writable);
	ck_assert(res.el1_exec);
	ck_assert(!res.el0);
	ck_assert_int_eq(mem->nr_reads, 3);
	ck_assert_uint_eq(res.table_ipa[1], 0x1000 + 1 * 8);
	ck_assert_uint_eq(res.table_ipa[2], 0x2000 + 1 * 8);
	ck_assert_uint_eq(res.table_ipa[3], 0x3000 + 1 * 8);
}
END_TEST

START_TEST(page_48bit_four_levels)
{
	uint64_t va = 0x0000800040201000ull;

	ctx.tcr = TCR(48);
	set_desc(0x1000, (va >> 39) & 0x1ff, 0x4000 | V | T);
	set_desc(0x4000, (va >> 30) & 0x1ff, 0x2000 | V | T);
	set_desc(0x2000, (va >> 21) & 0x1ff, 0x3000 | V | T);
	set_desc(0x3000, (va >> 12) & 0x1ff, 0x66000 | V | T | AF);
	ck_assert_int_eq(walk(va + 8, 0), ARM64_WALK_OK);
	ck_assert_uint_eq(res.ipa, 0x66008);
	ck_assert_int_eq(mem->nr_reads, 4);
	ck_assert_uint_eq(res.table_ipa[0], 0x1000 + 256 * 8);
}
END_TEST

START_TEST(blocks_2m_and_1g)
{
	set_desc(0x1000, 0, 0x2000 | V | T);
	set_desc(0x2000, 3, 0x00600000ull | V | AF);		/* 2M block at 6M */
	set_desc(0x1000, 2, 0xc0000000ull | V | AF | RO);	/* 1G block */
	ck_assert_int_eq(walk(0x00612345ull, ARM64_ACC_WRITE), ARM64_WALK_OK);
	ck_assert_uint_eq(res.ipa, 0x00612345ull);
	ck_assert_int_eq(res.level, 2);
	ck_assert_uint_eq(res.size, 0x200000);
	ck_assert_int_eq(walk(0x80001234ull, 0), ARM64_WALK_OK);
	ck_assert_uint_eq(res.ipa, 0xc0001234ull);
	ck_assert_int_eq(res.level, 1);
	ck_assert_uint_eq(res.size, 0x40000000ull);
	ck_assert(!res.writable);
}
END_TEST

START_TEST(translation_faults_carry_level)
{
	ck_assert_int_eq(walk(0x1000, 0), ARM64_WALK_FAULT);
	ck_assert_uint_eq(res.fsc, 0x05);		/* level 1 */
	set_desc(0x1000, 0, 0x2000 | V | T);
	ck_assert_int_eq(walk(0x1000, 0), ARM64_WALK_FAULT);
	ck_assert_uint_eq(res.fsc, 0x06);		/* level 2 */
	set_desc(0x2000, 0, 0x3000 | V | T);
	ck_assert_int_eq(walk(0x1000, 0), ARM64_WALK_FAULT);
	ck_assert_uint_eq(res.fsc, 0x07);		/* level 3 */
	ck_assert_int_eq(res.level, 3);
	/* a level-3 descriptor without bit 1 is reserved: translation fault */
	set_desc(0x3000, 1, 0x5000 | V | AF);
	ck_assert_int_eq(walk(0x1000, 0), ARM64_WALK_FAULT);
	ck_assert_uint_eq(res.fsc, 0x07);
}
END_TEST

START_TEST(va_outside_both_ranges)
{
	ck_assert_int_eq(walk(0x0000008000000000ull, 0), ARM64_WALK_FAULT);	/* bit 39 */
	ck_assert_uint_eq(res.fsc, 0x04);
	ck_assert_int_eq(mem->nr_reads, 0);
	ctx.tcr |= ARM64_TCR_EPD0;
	ck_assert_int_eq(walk(0x1000, 0), ARM64_WALK_FAULT);
	ck_assert_uint_eq(res.fsc, 0x04);
}
END_TEST

START_TEST(ttbr1_upper_range)
{
	uint64_t va = 0xffffff8000201000ull;	/* 39-bit upper half, L1 index 0 */

	set_desc(0x8000, 0, 0x9000 | V | T);
	set_desc(0x9000, 1, 0xa000 | V | T);
	set_desc(0xa000, 1, 0x77000 | V | T | AF);
	ck_assert_int_eq(walk(va, 0), ARM64_WALK_OK);
	ck_assert_uint_eq(res.ipa, 0x77000);
	ck_assert_uint_eq(res.table_ipa[1], 0x8000);
}
END_TEST

START_TEST(access_flag_before_permission)
{
	map_39(0x1000, 0x5000, RO);		/* AF clear and read-only */
	ck_assert_int_eq(walk(0x1000, ARM64_ACC_WRITE), ARM64_WALK_FAULT);
	ck_assert_uint_eq(res.fsc, 0x0b);	/* access flag, level 3 */
	map_39(0x1000, 0x5000, RO | AF);
	ck_assert_int_eq(walk(0x1000, ARM64_ACC_WRITE), ARM64_WALK_FAULT);
	ck_assert_uint_eq(res.fsc, 0x0f);	/* permission, level 3 */
	ck_assert_int_eq(walk(0x1000, 0), ARM64_WALK_OK);
}
END_TEST

START_TEST(execute_never)
{
	map_39(0x1000, 0x5000, AF | PXN);
	ck_assert_int_eq(walk(0x1000, ARM64_ACC_EXEC), ARM64_WALK_FAULT);
	ck_assert_uint_eq(res.fsc, 0x0f);
	/* EL0-writable memory is never EL1-executable */
	map_39(0x1000, 0x5000, AF | EL0);
	ck_assert_int_eq(walk(0x1000, ARM64_ACC_EXEC), ARM64_WALK_FAULT);
	ck_assert_int_eq(walk(0x1000, ARM64_ACC_EXEC | ARM64_ACC_EL0), ARM64_WALK_OK);
	map_39(0x1000, 0x5000, AF | EL0 | UXN);
	ck_assert_int_eq(walk(0x1000, ARM64_ACC_EXEC | ARM64_ACC_EL0), ARM64_WALK_FAULT);
	/* EL0 without AP[1] */
	map_39(0x1000, 0x5000, AF);
	ck_assert_int_eq(walk(0x1000, ARM64_ACC_EL0), ARM64_WALK_FAULT);
	ck_assert_uint_eq(res.fsc, 0x0f);
}
END_TEST

START_TEST(table_attributes_restrict)
{
	map_39(0x1000, 0x5000, AF);
	set_desc(0x1000, 0, 0x2000 | V | T | ARM64_DESC_APTABLE_RO);
	ck_assert_int_eq(walk(0x1000, ARM64_ACC_WRITE), ARM64_WALK_FAULT);
	ck_assert_uint_eq(res.fsc, 0x0f);
	set_desc(0x1000, 0, 0x2000 | V | T | ARM64_DESC_PXNTABLE);
	ck_assert_int_eq(walk(0x1000, ARM64_ACC_EXEC), ARM64_WALK_FAULT);
	ck_assert_int_eq(walk(0x1000, ARM64_ACC_WRITE), ARM64_WALK_OK);
}
END_TEST

START_TEST(s1ptw_stage2_fault)
{
	map_39(0x1000, 0x5000, AF);
	mem->refuse_ipa = 0x2000;		/* the level-2 table's entry 0 */
	ck_assert_int_eq(walk(0x1000, 0), ARM64_WALK_S2_FAULT);
	ck_assert_uint_eq(res.s1ptw_ipa, 0x2000);
	ck_assert_int_eq(res.level, 2);
}
END_TEST

static Suite *arm64_walk_suite(void)
{
	Suite *s = suite_create("arm64_walk");
	TCase *tc = tcase_create("walk");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, mmu_off_is_flat);
	tcase_add_test(tc, notes_each_descriptor);
	tcase_add_test(tc, start_levels);
	tcase_add_test(tc, page_39bit);
	tcase_add_test(tc, page_48bit_four_levels);
	tcase_add_test(tc, blocks_2m_and_1g);
	tcase_add_test(tc, translation_faults_carry_level);
	tcase_add_test(tc, va_outside_both_ranges);
	tcase_add_test(tc, ttbr1_upper_range);
	tcase_add_test(tc, access_flag_before_permission);
	tcase_add_test(tc, execute_never);
	tcase_add_test(tc, table_attributes_restrict);
	tcase_add_test(tc, s1ptw_stage2_fault);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(arm64_walk_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
