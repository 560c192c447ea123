// SPDX-License-Identifier: MIT
/*
 * Unit tests for the x86 stage-1 walker.  Page tables live in a fake
 * guest-physical memory (a byte array behind the read/write callbacks),
 * which also records every entry write so A/D updates can be checked
 * exactly.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mmu-model/x86_walk.h"

#define MEM_SIZE	0x100000ull	/* page tables live below 1M */
#define MAX_WRITES	16

#define P	(1ull << 0)
#define RW	(1ull << 1)
#define US	(1ull << 2)
#define ACC	(1ull << 5)
#define DIRTY	(1ull << 6)
#define PS	(1ull << 7)
#define XD	(1ull << 63)

struct pte_write {
	uint64_t gpa;
	uint64_t val;
	int size;
};

struct fake_mem {
	uint8_t bytes[MEM_SIZE];
	int nr_writes;
	struct pte_write writes[MAX_WRITES];
	int nr_reads;
	uint64_t fail_write_gpa;	/* 0: writes never fail */
};

static struct fake_mem *mem;
static struct x86_walk_ctx ctx;
static struct x86_walk_result res;

static int mem_read(void *opaque, uint64_t gpa, uint64_t *val, int size)
{
	struct fake_mem *m = opaque;

	ck_assert(size == 4 || size == 8);
	if (gpa + size > MEM_SIZE)
		return -1;
	*val = 0;
	memcpy(val, &m->bytes[gpa], size);
	m->nr_reads++;
	return 0;
}

static int mem_write(void *opaque, uint64_t gpa, uint64_t val, int size)
{
	struct fake_mem *m = opaque;

	ck_assert(size == 4 || size == 8);
	if (gpa + size > MEM_SIZE || (m->fail_write_gpa && gpa == m->fail_write_gpa))
		return -1;
	ck_assert_int_lt(m->nr_writes, MAX_WRITES);
	m->writes[m->nr_writes++] = (struct pte_write){ gpa, val, size };
	memcpy(&m->bytes[gpa], &val, size);
	return 0;
}

static void put64(uint64_t gpa, uint64_t val)
{
	memcpy(&mem->bytes[gpa], &val, 8);
}

static void put32(uint64_t gpa, uint32_t val)
{
	memcpy(&mem->bytes[gpa], &val, 4);
}

static uint64_t get64(uint64_t gpa)
{
	uint64_t v;

	memcpy(&v, &mem->bytes[gpa], 8);
	return v;
}

static uint32_t get32(uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, &mem->bytes[gpa], 4);
	return v;
}

static void setup(void)
{
	mem = calloc(1, sizeof(*mem));
	ck_assert_ptr_nonnull(mem);
	memset(&ctx, 0, sizeof(ctx));
	memset(&res, 0xa5, sizeof(res));	/* the walker must fill it */
	ctx.cr0_wp = true;
	ctx.maxphyaddr = 52;
	ctx.read_pte = mem_read;
	ctx.write_pte = mem_write;
	ctx.opaque = mem;
}

static void teardown(void)
{
	free(mem);
	mem = NULL;
}

static enum x86_walk_status walk(uint64_t gva, unsigned access)
{
	return x86_walk_addr(&ctx, gva, access, &res);
}

static void assert_pf(uint64_t gva, unsigned access, uint32_t error_code)
{
	ck_assert_int_eq(walk(gva, access), X86_WALK_PAGE_FAULT);
	ck_assert_uint_eq(res.error_code, error_code);
	ck_assert_int_eq(mem->nr_writes, 0);
}

/*
 * 4-level layout: PML4 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000.
 * GVA indices 1/2/3/4 so every entry sits at a distinct offset.
 */
#define L4_GVA	((1ull << 39) | (2ull << 30) | (3ull << 21) | \
		 (4ull << 12) | 0x567)
#define L4_PML4E	(0x1000 + 1 * 8)
#define L4_PDPTE	(0x2000 + 2 * 8)
#define L4_PDE		(0x3000 + 3 * 8)
#define L4_PTE		(0x4000 + 4 * 8)
#define L4_FRAME	0x123456000ull

/* What the walk told its listener, in order. */
#define MAX_NOTES	16
static struct note {
	enum x86_walk_note what;
	uint64_t gpa, pte;
	int level;
} notes[MAX_NOTES];
static int nr_notes;

static void note(void *opaque, enum x86_walk_note what, uint64_t gpa, uint64_t pte, int level)
{
	ck_assert_ptr_eq(opaque, &nr_notes);
	ck_assert_int_lt(nr_notes, MAX_NOTES);
	notes[nr_notes++] = (struct note){ what, gpa, pte, level };
}

static void assert_note(int i, enum x86_walk_note what, uint64_t gpa, uint64_t pte, int level)
{
	ck_assert_int_eq(notes[i].what, what);
	ck_assert_uint_eq(notes[i].gpa, gpa);
	ck_assert_uint_eq(notes[i].pte, pte);
	ck_assert_int_eq(notes[i].level, level);
}

static void build_4level(uint64_t flags)
{
	ctx.mode = X86_PAGING_4LEVEL;
	ctx.cr3 = 0x1000 | 0x18;	/* PWT/PCD must be ignored */
	put64(L4_PML4E, 0x2000 | flags);
	put64(L4_PDPTE, 0x3000 | flags);
	put64(L4_PDE, 0x4000 | flags);
	put64(L4_PTE, L4_FRAME | flags);
}

START_TEST(test_4level_4k_translation)
{
	build_4level(P | RW | US);
	ck_assert_int_eq(walk(L4_GVA, 0), X86_WALK_OK);
	ck_assert_uint_eq(res.gpa, L4_FRAME | 0x567);
	ck_assert_uint_eq(res.page_size, 4096);
	ck_assert_uint_eq(res.page_gva, L4_GVA & ~0xfffull);
	ck_assert_uint_eq(res.page_gpa, L4_FRAME);
	ck_assert_int_eq(res.level, 1);
	ck_assert(res.writable);
	ck_assert(res.user);
	ck_assert(!res.nx);
	ck_assert(!res.dirty);
	ck_assert_uint_eq(res.error_code, 0);
	ck_assert_int_eq(res.n_tables, 4);
	ck_assert_uint_eq(res.table_gpa[0], L4_PML4E);
	ck_assert_uint_eq(res.table_gpa[1], L4_PDPTE);
	ck_assert_uint_eq(res.table_gpa[2], L4_PDE);
	ck_assert_uint_eq(res.table_gpa[3], L4_PTE);
}
END_TEST

START_TEST(test_4level_accessed_bits_on_read)
{
	build_4level(P | RW | US);
	ck_assert_int_eq(walk(L4_GVA, X86_ACC_USER), X86_WALK_OK);
	/* A on every entry, outermost first, 8 bytes, no D on a read. */
	ck_assert_int_eq(mem->nr_writes, 4);
	ck_assert_uint_eq(mem->writes[0].gpa, L4_PML4E);
	ck_assert_uint_eq(mem->writes[0].val, 0x2000 | P | RW | US | ACC);
	ck_assert_uint_eq(mem->writes[1].gpa, L4_PDPTE);
	ck_assert_uint_eq(mem->writes[1].val, 0x3000 | P | RW | US | ACC);
	ck_assert_uint_eq(mem->writes[2].gpa, L4_PDE);
	ck_assert_uint_eq(mem->writes[2].val, 0x4000 | P | RW | US | ACC);
	ck_assert_uint_eq(mem->writes[3].gpa, L4_PTE);
	ck_assert_uint_eq(mem->writes[3].val, L4_FRAME | P | RW | US | ACC);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(mem->writes[i].size, 8);
	ck_assert(!res.dirty);

	/* Second walk: everything already accessed, nothing written. */
	mem->nr_writes = 0;
	ck_assert_int_eq(walk(L4_GVA, 0), X86_WALK_OK);
	ck_assert_int_eq(mem->nr_writes, 0);
}
END_TEST

/*
 * The listener hears each entry as read, then each A and D bit the walk
 * writes, one note a bit, with the value written; nothing for a bit
 * already set, nothing at all for an inspection walk's A/D, and the
 * entries read before a fault.
 */
START_TEST(test_notes)
{
	uint64_t f = P | RW;

	ctx.note = note;
	ctx.note_opaque = &nr_notes;
	build_4level(f);
	put64(L4_PDPTE, 0x3000 | f | ACC);
	ck_assert_int_eq(walk(L4_GVA, X86_ACC_WRITE), X86_WALK_OK);
	ck_assert_int_eq(nr_notes, 8);
	assert_note(0, X86_WALK_NOTE_ENTRY, L4_PML4E, 0x2000 | f, 4);
	assert_note(1, X86_WALK_NOTE_ENTRY, L4_PDPTE, 0x3000 | f | ACC, 3);
	assert_note(2, X86_WALK_NOTE_ENTRY, L4_PDE, 0x4000 | f, 2);
	assert_note(3, X86_WALK_NOTE_ENTRY, L4_PTE, L4_FRAME | f, 1);
	assert_note(4, X86_WALK_NOTE_ACCESSED, L4_PML4E, 0x2000 | f | ACC, 4);
	assert_note(5, X86_WALK_NOTE_ACCESSED, L4_PDE, 0x4000 | f | ACC, 2);
	assert_note(6, X86_WALK_NOTE_ACCESSED, L4_PTE, L4_FRAME | f | ACC | DIRTY, 1);
	assert_note(7, X86_WALK_NOTE_DIRTY, L4_PTE, L4_FRAME | f | ACC | DIRTY, 1);

	/* all set now: the entries only */
	nr_notes = 0;
	ck_assert_int_eq(walk(L4_GVA, X86_ACC_WRITE), X86_WALK_OK);
	ck_assert_int_eq(nr_notes, 4);
	ck_assert_int_eq(notes[3].what, X86_WALK_NOTE_ENTRY);

	/* an inspection walk writes no bit, so tells of none */
	put64(L4_PTE, L4_FRAME | f);
	ctx.write_pte = NULL;
	nr_notes = 0;
	ck_assert_int_eq(walk(L4_GVA, X86_ACC_WRITE), X86_WALK_OK);
	ck_assert_int_eq(nr_notes, 4);

	/* a #PF: the entries up to the one that faults, no bit */
	ctx.write_pte = mem_write;
	put64(L4_PDE, 0);
	nr_notes = 0;
	ck_assert_int_eq(walk(L4_GVA, 0), X86_WALK_PAGE_FAULT);
	ck_assert_int_eq(nr_notes, 3);
	assert_note(2, X86_WALK_NOTE_ENTRY, L4_PDE, 0, 2);
}
END_TEST

START_TEST(test_4level_dirty_bit_on_write)
{
	build_4level(P | RW | ACC);
	ck_assert_int_eq(walk(L4_GVA, X86_ACC_WRITE), X86_WALK_OK);
	/* Only the leaf changes: D (A already set everywhere). */
	ck_assert_int_eq(mem->nr_writes, 1);
	ck_assert_uint_eq(mem->writes[0].gpa, L4_PTE);
	ck_assert_uint_eq(mem->writes[0].val, L4_FRAME | P | RW | ACC | DIRTY);
	ck_assert(res.dirty);
	/* Non-leaf entries never get D. */
	ck_assert_uint_eq(get64(L4_PDE), 0x4000 | P | RW | ACC);

	mem->nr_writes = 0;
	ck_assert_int_eq(walk(L4_GVA, X86_ACC_WRITE), X86_WALK_OK);
	ck_assert_int_eq(mem->nr_writes, 0);
	ck_assert(res.dirty);
	/* A read reports the leaf's D as it stands. */
	ck_assert_int_eq(walk(L4_GVA, 0), X86_WALK_OK);
	ck_assert(res.dirty);
}
END_TEST

START_TEST(test_4level_2m_page)
{
	build_4level(P | RW);
	put64(L4_PDE, 0x40000000ull | PS | P | RW);
	ck_assert_int_eq(walk(L4_GVA, X86_ACC_WRITE), X86_WALK_OK);
	ck_assert_int_eq(res.level, 2);
	ck_assert_uint_eq(res.page_size, 2ull << 20);
	ck_assert_uint_eq(res.page_gpa, 0x40000000ull);
	ck_assert_uint_eq(res.page_gva, L4_GVA & ~((2ull << 20) - 1));
	ck_assert_uint_eq(res.gpa, 0x40000000ull | (L4_GVA & ((2ull << 20) - 1)));
	ck_assert_int_eq(res.n_tables, 3);
	/* The 2M PDE is the leaf: it gets D, and it carries PAT at bit 12. */
	ck_assert_uint_eq(get64(L4_PDE), 0x40000000ull | PS | P | RW | ACC | DIRTY);
	ck_assert_int_eq(mem->nr_writes, 3);

	/* Bit 12 (PAT) is not an address bit of a 2M frame. */
	mem->nr_writes = 0;
	put64(L4_PDE, 0x40000000ull | (1ull << 12) | PS | P | RW);
	ck_assert_int_eq(walk(L4_GVA, 0), X86_WALK_OK);
	ck_assert_uint_eq(res.page_gpa, 0x40000000ull);
}
END_TEST

START_TEST(test_4level_1g_page)
{
	build_4level(P | RW);
	put64(L4_PDPTE, (5ull << 30) | PS | P);
	ck_assert_int_eq(walk(L4_GVA, 0), X86_WALK_OK);
	ck_assert_int_eq(res.level, 3);
	ck_assert_uint_eq(res.page_size, 1ull << 30);
	ck_assert_uint_eq(res.page_gpa, 5ull << 30);
	ck_assert_uint_eq(res.gpa, (5ull << 30) | (L4_GVA & ((1ull << 30) - 1)));
	ck_assert_int_eq(res.n_tables, 2);
	ck_assert(!res.writable);	/* R/W clear in the PDPTE */
}
END_TEST

START_TEST(test_4level_not_present_each_level)
{
	static const uint64_t entry[] = { L4_PML4E, L4_PDPTE, L4_PDE, L4_PTE };

	for (int lvl = 4; lvl >= 1; lvl--) {
		build_4level(P | RW | US);
		put64(entry[4 - lvl], get64(entry[4 - lvl]) & ~P);
		mem->nr_writes = 0;
		assert_pf(L4_GVA, 0, 0);
		ck_assert_int_eq(res.level, lvl);
		ck_assert_int_eq(res.n_tables, 5 - lvl);
		ck_assert_uint_eq(res.table_gpa[4 - lvl], entry[4 - lvl]);
		assert_pf(L4_GVA, X86_ACC_WRITE | X86_ACC_USER,
			  X86_PFERR_WRITE | X86_PFERR_USER);
	}
}
END_TEST

START_TEST(test_4level_write_protect)
{
	/* R/W clear at an upper level only. */
	build_4level(P | RW);
	put64(L4_PDPTE, 0x3000 | P);

	ctx.cr0_wp = true;
	assert_pf(L4_GVA, X86_ACC_WRITE, X86_PFERR_PRESENT | X86_PFERR_WRITE);
	ck_assert_int_eq(res.level, 1);
	ck_assert_int_eq(res.n_tables, 4);

	/* WP=0: supervisor writes ignore R/W, and set D. */
	ctx.cr0_wp = false;
	ck_assert_int_eq(walk(L4_GVA, X86_ACC_WRITE), X86_WALK_OK);
	ck_assert(!res.writable);
	ck_assert(res.dirty);
	ck_assert_uint_eq(get64(L4_PTE), L4_FRAME | P | RW | ACC | DIRTY);

	/* A reading walk with WP=1 succeeds and reports not writable. */
	ctx.cr0_wp = true;
	ck_assert_int_eq(walk(L4_GVA, 0), X86_WALK_OK);
	ck_assert(!res.writable);
}
END_TEST

START_TEST(test_4level_user_write_to_readonly)
{
	build_4level(P | US);
	ctx.cr0_wp = false;	/* WP never helps user accesses */
	assert_pf(L4_GVA, X86_ACC_WRITE | X86_ACC_USER,
		  X86_PFERR_PRESENT | X86_PFERR_WRITE | X86_PFERR_USER);
	ck_assert_int_eq(walk(L4_GVA, X86_ACC_USER), X86_WALK_OK);
	ck_assert(res.user);
	ck_assert(!res.writable);
}
END_TEST

START_TEST(test_4level_user_to_supervisor)
{
	/* U/S clear in the PML4E only: still a supervisor page. */
	build_4level(P | RW | US);
	put64(L4_PML4E, 0x2000 | P | RW);
	assert_pf(L4_GVA, X86_ACC_USER, X86_PFERR_PRESENT | X86_PFERR_USER);
	ck_assert_int_eq(walk(L4_GVA, X86_ACC_WRITE), X86_WALK_OK);
	ck_assert(!res.user);
}
END_TEST

START_TEST(test_4level_nx)
{
	build_4level(P | RW | US);
	put64(L4_PDE, 0x4000 | P | RW | US | XD);
	ctx.efer_nxe = true;
	assert_pf(L4_GVA, X86_ACC_FETCH, X86_PFERR_PRESENT | X86_PFERR_FETCH);
	assert_pf(L4_GVA, X86_ACC_FETCH | X86_ACC_USER,
		  X86_PFERR_PRESENT | X86_PFERR_FETCH | X86_PFERR_USER);
	ck_assert_int_eq(walk(L4_GVA, 0), X86_WALK_OK);
	ck_assert(res.nx);

	/* Without NXE bit 63 is reserved. */
	ctx.efer_nxe = false;
	mem->nr_writes = 0;
	assert_pf(L4_GVA, 0, X86_PFERR_PRESENT | X86_PFERR_RSVD);
	ck_assert_int_eq(res.level, 2);
	ck_assert_int_eq(res.n_tables, 3);
}
END_TEST

START_TEST(test_4level_fetch_error_code_bit)
{
	build_4level(P | RW | US);
	put64(L4_PTE, 0);
	/* Neither NXE nor SMEP: a fetch looks like a read. */
	assert_pf(L4_GVA, X86_ACC_FETCH, 0);
	ctx.efer_nxe = true;
	assert_pf(L4_GVA, X86_ACC_FETCH, X86_PFERR_FETCH);
	ctx.efer_nxe = false;
	ctx.cr4_smep = true;
	assert_pf(L4_GVA, X86_ACC_FETCH, X86_PFERR_FETCH);
}
END_TEST

START_TEST(test_4level_smep)
{
	build_4level(P | RW | US);
	ck_assert_int_eq(walk(L4_GVA, X86_ACC_FETCH), X86_WALK_OK);
	ctx.cr4_smep = true;
	mem->nr_writes = 0;
	assert_pf(L4_GVA, X86_ACC_FETCH, X86_PFERR_PRESENT | X86_PFERR_FETCH);
	/* User fetches and supervisor data accesses are not SMEP's business. */
	ck_assert_int_eq(walk(L4_GVA, X86_ACC_FETCH | X86_ACC_USER), X86_WALK_OK);
	ck_assert_int_eq(walk(L4_GVA, X86_ACC_WRITE), X86_WALK_OK);
	/* A supervisor page (U/S clear at one level) is fine. */
	put64(L4_PTE, L4_FRAME | P | RW);
	ck_assert_int_eq(walk(L4_GVA, X86_ACC_FETCH), X86_WALK_OK);
}
END_TEST

START_TEST(test_4level_smap)
{
	build_4level(P | RW | US);
	ctx.cr4_smap = true;
	assert_pf(L4_GVA, 0, X86_PFERR_PRESENT);
	assert_pf(L4_GVA, X86_ACC_WRITE, X86_PFERR_PRESENT | X86_PFERR_WRITE);
	/* Fetches and user accesses are not SMAP's business. */
	ck_assert_int_eq(walk(L4_GVA, X86_ACC_FETCH), X86_WALK_OK);
	ck_assert_int_eq(walk(L4_GVA, X86_ACC_USER | X86_ACC_WRITE), X86_WALK_OK);
	put64(L4_PTE, L4_FRAME | P | RW);
	ck_assert_int_eq(walk(L4_GVA, 0), X86_WALK_OK);
}
END_TEST

START_TEST(test_4level_reserved_bits)
{
	/* PS in a PML4E. */
	build_4level(P | RW);
	put64(L4_PML4E, 0x2000 | P | RW | PS);
	assert_pf(L4_GVA, X86_ACC_WRITE,
		  X86_PFERR_PRESENT | X86_PFERR_RSVD | X86_PFERR_WRITE);
	ck_assert_int_eq(res.level, 4);
	ck_assert_int_eq(res.n_tables, 1);

	/* Address bit above MAXPHYADDR in a PTE. */
	build_4level(P | RW);
	put64(L4_PTE, L4_FRAME | (1ull << 40) | P);
	ctx.maxphyaddr = 40;
	assert_pf(L4_GVA, X86_ACC_USER,
		  X86_PFERR_PRESENT | X86_PFERR_RSVD | X86_PFERR_USER);
	ck_assert_int_eq(res.level, 1);
	ctx.maxphyaddr = 41;
	ck_assert_int_eq(walk(L4_GVA, 0), X86_WALK_OK);
	ck_assert_uint_eq(res.page_gpa, L4_FRAME | (1ull << 40));

	/* Bits 62:52 are ignored (available) in 4-level entries. */
	build_4level(P | RW);
	put64(L4_PTE, L4_FRAME | (1ull << 60) | P);
	ck_assert_int_eq(walk(L4_GVA, 0), X86_WALK_OK);
	ck_assert_uint_eq(res.page_gpa, L4_FRAME);

	/* Bit 13 of a 2M frame, bit 29 of a 1G frame. */
	build_4level(P | RW);
	mem->nr_writes = 0;
	put64(L4_PDE, 0x40000000ull | (1ull << 13) | PS | P);
	assert_pf(L4_GVA, 0, X86_PFERR_PRESENT | X86_PFERR_RSVD);
	ck_assert_int_eq(res.level, 2);
	put64(L4_PDE, 0x40000000ull | (1ull << 20) | PS | P);
	assert_pf(L4_GVA, 0, X86_PFERR_PRESENT | X86_PFERR_RSVD);
	put64(L4_PDPTE, (1ull << 30) | (1ull << 29) | PS | P);
	assert_pf(L4_GVA, 0, X86_PFERR_PRESENT | X86_PFERR_RSVD);
	ck_assert_int_eq(res.level, 3);
	put64(L4_PDPTE, (1ull << 30) | (1ull << 13) | PS | P);
	assert_pf(L4_GVA, 0, X86_PFERR_PRESENT | X86_PFERR_RSVD);

	/* Bit 13 of a 4K PTE is an address bit, not reserved. */
	build_4level(P | RW);
	put64(L4_PTE, L4_FRAME | (1ull << 13) | P);
	ck_assert_int_eq(walk(L4_GVA, 0), X86_WALK_OK);

	/* RSVD wins over the permission check (found during the walk). */
	build_4level(P);
	mem->nr_writes = 0;
	put64(L4_PTE, L4_FRAME | (1ull << 45) | P);
	ctx.maxphyaddr = 40;
	assert_pf(L4_GVA, X86_ACC_USER | X86_ACC_WRITE,
		  X86_PFERR_PRESENT | X86_PFERR_RSVD | X86_PFERR_USER |
		  X86_PFERR_WRITE);

	/* Reserved bits in a non-present entry do not matter. */
	put64(L4_PTE, (1ull << 45) | PS);
	assert_pf(L4_GVA, 0, 0);
}
END_TEST

START_TEST(test_4level_no_bits_set_on_failure)
{
	build_4level(P);	/* A clear everywhere, read-only */
	assert_pf(L4_GVA, X86_ACC_WRITE, X86_PFERR_PRESENT | X86_PFERR_WRITE);
	ck_assert_uint_eq(get64(L4_PML4E), 0x2000 | P);
	ck_assert_uint_eq(get64(L4_PTE), L4_FRAME | P);
	put64(L4_PTE, 0);
	assert_pf(L4_GVA, 0, 0);
	ck_assert_uint_eq(get64(L4_PML4E), 0x2000 | P);
}
END_TEST

START_TEST(test_4level_table_fault)
{
	build_4level(P | RW);
	put64(L4_PDE, 0x200000 | P | RW);	/* PT outside fake memory */
	ck_assert_int_eq(walk(L4_GVA, 0), X86_WALK_TABLE_FAULT);
	ck_assert_uint_eq(res.table_fault_gpa, 0x200000 + 4 * 8);
	ck_assert_int_eq(res.n_tables, 3);
	ck_assert_uint_eq(res.table_gpa[2], L4_PDE);
	ck_assert_int_eq(mem->nr_writes, 0);

	/* CR3 itself outside memory. */
	ctx.cr3 = 0x400000;
	ck_assert_int_eq(walk(L4_GVA, 0), X86_WALK_TABLE_FAULT);
	ck_assert_uint_eq(res.table_fault_gpa, 0x400000 + 8);
	ck_assert_int_eq(res.n_tables, 0);

	/* Setting A/D goes through stage 2 too. */
	build_4level(P | RW);
	mem->fail_write_gpa = L4_PDE;
	ck_assert_int_eq(walk(L4_GVA, 0), X86_WALK_TABLE_FAULT);
	ck_assert_uint_eq(res.table_fault_gpa, L4_PDE);
}
END_TEST

START_TEST(test_4level_self_map)
{
	uint64_t gva = (1ull << 39) | (1ull << 30) | (2ull << 21) | (3ull << 12);

	/* PML4 slot 1 points back at the PML4: one entry used at two levels. */
	ctx.mode = X86_PAGING_4LEVEL;
	ctx.cr3 = 0x1000;
	put64(0x1000 + 8, 0x1000 | P | RW);
	put64(0x1000 + 16, 0x3000 | P | RW);
	put64(0x3000 + 24, 0x4000 | P | RW);

	ck_assert_int_eq(walk(gva, X86_ACC_WRITE), X86_WALK_OK);
	ck_assert_uint_eq(res.gpa, 0x4000);
	ck_assert_uint_eq(res.table_gpa[0], 0x1008);
	ck_assert_uint_eq(res.table_gpa[1], 0x1008);
	ck_assert_uint_eq(res.table_gpa[2], 0x1010);
	ck_assert_uint_eq(res.table_gpa[3], 0x3018);
	/* The shared entry is written once, then the leaf gets A and D. */
	ck_assert_int_eq(mem->nr_writes, 3);
	ck_assert_uint_eq(get64(0x3018), 0x4000 | P | RW | ACC | DIRTY);
	ck_assert_uint_eq(get64(0x1008), 0x1000 | P | RW | ACC);
}
END_TEST

START_TEST(test_inspection_walk)
{
	/* Without write_pte nothing is written, but the result is complete. */
	build_4level(P | RW);
	ctx.write_pte = NULL;
	ck_assert_int_eq(walk(L4_GVA, X86_ACC_WRITE), X86_WALK_OK);
	ck_assert(res.dirty);
	ck_assert_uint_eq(res.gpa, L4_FRAME | 0x567);
	ck_assert_uint_eq(get64(L4_PML4E), 0x2000 | P | RW);
	ck_assert_uint_eq(get64(L4_PTE), L4_FRAME | P | RW);
}
END_TEST

/* 32-bit paging: PD 0x1000, PT 0x2000; gva index 3 / 5. */
#define P32_GVA		((3u << 22) | (5u << 12) | 0xabc)
#define P32_PDE		(0x1000 + 3 * 4)
#define P32_PTE		(0x2000 + 5 * 4)

static void build_32(uint32_t flags)
{
	ctx.mode = X86_PAGING_32;
	ctx.cr3 = 0x1000;
	put32(P32_PDE, 0x2000 | flags);
	put32(P32_PTE, 0x00777000 | flags);
}

START_TEST(test_32bit_4k)
{
	build_32(P | RW | US);
	/* Bits above 31 of gva are not part of a 32-bit linear address. */
	ck_assert_int_eq(walk(0xffffffff00000000ull | P32_GVA, X86_ACC_WRITE),
			 X86_WALK_OK);
	ck_assert_uint_eq(res.gpa, 0x00777abc);
	ck_assert_uint_eq(res.page_gva, P32_GVA & ~0xfffu);
	ck_assert_int_eq(res.level, 1);
	ck_assert_uint_eq(res.page_size, 4096);
	ck_assert_int_eq(res.n_tables, 2);
	ck_assert_uint_eq(res.table_gpa[0], P32_PDE);
	ck_assert_uint_eq(res.table_gpa[1], P32_PTE);
	/* 4-byte writes; the neighbouring entry stays intact. */
	ck_assert_int_eq(mem->nr_writes, 2);
	ck_assert_int_eq(mem->writes[0].size, 4);
	ck_assert_int_eq(mem->writes[1].size, 4);
	ck_assert_uint_eq(get32(P32_PDE), 0x2000 | P | RW | US | ACC);
	ck_assert_uint_eq(get32(P32_PTE), 0x00777000 | P | RW | US | ACC | DIRTY);
	ck_assert_uint_eq(get32(P32_PTE + 4), 0);
}
END_TEST

START_TEST(test_32bit_4m_pse)
{
	ctx.mode = X86_PAGING_32;
	ctx.cr3 = 0x1000;
	ctx.cr4_pse = true;
	put32(P32_PDE, 0x00c00000 | PS | P | RW);
	ck_assert_int_eq(walk(P32_GVA, 0), X86_WALK_OK);
	ck_assert_int_eq(res.level, 2);
	ck_assert_uint_eq(res.page_size, 4ull << 20);
	ck_assert_uint_eq(res.page_gpa, 0x00c00000);
	ck_assert_uint_eq(res.gpa, 0x00c00000 | (P32_GVA & 0x3fffff));
	ck_assert_int_eq(res.n_tables, 1);

	/* Without CR4.PSE the PS bit is ignored: it is a page table. */
	ctx.cr4_pse = false;
	put32(P32_PDE, 0x2000 | PS | P | RW);
	put32(P32_PTE, 0x00555000 | P);
	ck_assert_int_eq(walk(P32_GVA, 0), X86_WALK_OK);
	ck_assert_int_eq(res.level, 1);
	ck_assert_uint_eq(res.gpa, 0x00555abc);
}
END_TEST

START_TEST(test_32bit_pse36)
{
	ctx.mode = X86_PAGING_32;
	ctx.cr3 = 0x1000;
	ctx.cr4_pse = true;
	ctx.maxphyaddr = 36;
	/* PDE bits 16..13 = 0xa -> gpa bits 35..32. */
	put32(P32_PDE, 0x00c00000 | (0xau << 13) | PS | P);
	ck_assert_int_eq(walk(P32_GVA, 0), X86_WALK_OK);
	ck_assert_uint_eq(res.page_gpa, 0xa00c00000ull);
	ck_assert_uint_eq(res.gpa, 0xa00c00000ull | (P32_GVA & 0x3fffff));

	/* Bit 17 would be gpa bit 36: reserved with MAXPHYADDR 36. */
	mem->nr_writes = 0;
	put32(P32_PDE, 0x00c00000 | (1u << 17) | PS | P);
	assert_pf(P32_GVA, 0, X86_PFERR_PRESENT | X86_PFERR_RSVD);
	ctx.maxphyaddr = 40;
	ck_assert_int_eq(walk(P32_GVA, 0), X86_WALK_OK);
	ck_assert_uint_eq(res.page_gpa, (1ull << 36) | 0x00c00000);

	/* Bits 20:13 give at most 40 bits, even with MAXPHYADDR 52. */
	ctx.maxphyaddr = 52;
	put32(P32_PDE, 0x00c00000 | (0xffu << 13) | PS | P);
	ck_assert_int_eq(walk(P32_GVA, 0), X86_WALK_OK);
	ck_assert_uint_eq(res.page_gpa, 0xff00c00000ull);

	/* Bit 21 is always reserved. */
	mem->nr_writes = 0;
	put32(P32_PDE, 0x00c00000 | (1u << 21) | PS | P);
	assert_pf(P32_GVA, 0, X86_PFERR_PRESENT | X86_PFERR_RSVD);
}
END_TEST

START_TEST(test_32bit_no_nx)
{
	/* 32-bit entries have no XD bit: NXE changes nothing, not even I/D. */
	build_32(P | RW);
	ctx.efer_nxe = true;
	ck_assert_int_eq(walk(P32_GVA, X86_ACC_FETCH), X86_WALK_OK);
	ck_assert(!res.nx);
	mem->nr_writes = 0;
	put32(P32_PTE, 0);
	assert_pf(P32_GVA, X86_ACC_FETCH, 0);
	ctx.cr4_smep = true;
	assert_pf(P32_GVA, X86_ACC_FETCH, X86_PFERR_FETCH);
}
END_TEST

START_TEST(test_32bit_faults)
{
	build_32(P | RW);
	put32(P32_PDE, 0x2000 | P | RW | US);
	assert_pf(P32_GVA, X86_ACC_USER, X86_PFERR_PRESENT | X86_PFERR_USER);
	ck_assert_int_eq(res.level, 1);
	put32(P32_PDE, 0x2000);
	assert_pf(P32_GVA, X86_ACC_WRITE, X86_PFERR_WRITE);
	ck_assert_int_eq(res.level, 2);
	ck_assert_int_eq(res.n_tables, 1);
}
END_TEST

/* PAE: PDPT at 0x1020 (32-byte aligned), PD 0x2000, PT 0x3000. */
#define PAE_GVA		((2u << 30) | (5u << 21) | (6u << 12) | 0x10)
#define PAE_PDPTE	(0x1020 + 2 * 8)
#define PAE_PDE		(0x2000 + 5 * 8)
#define PAE_PTE		(0x3000 + 6 * 8)

static void build_pae(uint64_t flags)
{
	ctx.mode = X86_PAGING_PAE;
	ctx.cr3 = 0x1020 | 0x18;
	put64(PAE_PDPTE, 0x2000 | P);
	put64(PAE_PDE, 0x3000 | flags);
	put64(PAE_PTE, 0x876543000ull | flags);
}

START_TEST(test_pae_4k)
{
	build_pae(P | RW | US);
	ck_assert_int_eq(walk(PAE_GVA, X86_ACC_USER), X86_WALK_OK);
	ck_assert_uint_eq(res.gpa, 0x876543010ull);
	ck_assert_int_eq(res.level, 1);
	ck_assert_uint_eq(res.page_size, 4096);
	ck_assert_int_eq(res.n_tables, 3);
	ck_assert_uint_eq(res.table_gpa[0], PAE_PDPTE);
	ck_assert_uint_eq(res.table_gpa[1], PAE_PDE);
	ck_assert_uint_eq(res.table_gpa[2], PAE_PTE);
	/* The PDPTE has no A bit (bit 5 is reserved there). */
	ck_assert_int_eq(mem->nr_writes, 2);
	ck_assert_uint_eq(mem->writes[0].gpa, PAE_PDE);
	ck_assert_uint_eq(mem->writes[1].gpa, PAE_PTE);
	ck_assert_int_eq(mem->writes[1].size, 8);
	ck_assert_uint_eq(get64(PAE_PDPTE), 0x2000 | P);
}
END_TEST

START_TEST(test_pae_2m)
{
	build_pae(P | RW);
	put64(PAE_PDE, 0x7fe00000ull | PS | P | RW);
	ck_assert_int_eq(walk(PAE_GVA, X86_ACC_WRITE), X86_WALK_OK);
	ck_assert_int_eq(res.level, 2);
	ck_assert_uint_eq(res.page_size, 2ull << 20);
	ck_assert_uint_eq(res.gpa, 0x7fe00000ull | (PAE_GVA & 0x1fffff));
	ck_assert_uint_eq(get64(PAE_PDE), 0x7fe00000ull | PS | P | RW | ACC | DIRTY);

	mem->nr_writes = 0;
	put64(PAE_PDE, 0x7fe00000ull | (1ull << 14) | PS | P | RW);
	assert_pf(PAE_GVA, 0, X86_PFERR_PRESENT | X86_PFERR_RSVD);
	ck_assert_int_eq(res.level, 2);
}
END_TEST

START_TEST(test_pae_pdpte)
{
	/* R/W, U/S, bits 5..8 and XD are reserved in a PDPTE. */
	static const uint64_t bad[] = { RW, US, ACC, PS, 1ull << 8, XD };

	build_pae(P | RW);
	put64(PAE_PDPTE, 0x2000);
	assert_pf(PAE_GVA, X86_ACC_WRITE, X86_PFERR_WRITE);
	ck_assert_int_eq(res.level, 3);
	ck_assert_int_eq(res.n_tables, 1);

	ctx.efer_nxe = true;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put64(PAE_PDPTE, 0x2000 | P | bad[i]);
		assert_pf(PAE_GVA, 0, X86_PFERR_PRESENT | X86_PFERR_RSVD);
		ck_assert_int_eq(res.level, 3);
	}
	/* PWT/PCD are fine. */
	put64(PAE_PDPTE, 0x2000 | P | 0x18);
	ck_assert_int_eq(walk(PAE_GVA, X86_ACC_WRITE), X86_WALK_OK);
}
END_TEST

START_TEST(test_pae_reserved_and_nx)
{
	/* PAE reserves bits 62:MAXPHYADDR (4-level ignores 62:52). */
	build_pae(P | RW);
	put64(PAE_PTE, 0x876543000ull | (1ull << 60) | P);
	assert_pf(PAE_GVA, 0, X86_PFERR_PRESENT | X86_PFERR_RSVD);
	ck_assert_int_eq(res.level, 1);

	build_pae(P | RW);
	put64(PAE_PTE, 0x876543000ull | XD | P);
	assert_pf(PAE_GVA, X86_ACC_FETCH, X86_PFERR_PRESENT | X86_PFERR_RSVD);
	ctx.efer_nxe = true;
	assert_pf(PAE_GVA, X86_ACC_FETCH, X86_PFERR_PRESENT | X86_PFERR_FETCH);
	ck_assert_int_eq(walk(PAE_GVA, 0), X86_WALK_OK);
	ck_assert(res.nx);
}
END_TEST

START_TEST(test_no_paging)
{
	ctx.mode = X86_PAGING_NONE;
	ck_assert_int_eq(walk(0x12345678, X86_ACC_WRITE | X86_ACC_FETCH), X86_WALK_OK);
	ck_assert_uint_eq(res.gpa, 0x12345678);
	ck_assert_uint_eq(res.page_gpa, 0x12345000);
	ck_assert_uint_eq(res.page_size, 4096);
	ck_assert_int_eq(res.n_tables, 0);
	ck_assert_int_eq(mem->nr_reads, 0);
	ck_assert_int_eq(mem->nr_writes, 0);
}
END_TEST

START_TEST(test_canonical)
{
	ck_assert(x86_is_canonical(0));
	ck_assert(x86_is_canonical(0x00007fffffffffffull));
	ck_assert(!x86_is_canonical(0x0000800000000000ull));
	ck_assert(!x86_is_canonical(0xffff7fffffffffffull));
	ck_assert(x86_is_canonical(0xffff800000000000ull));
	ck_assert(x86_is_canonical(0xffffffffffffffffull));
	ck_assert(!x86_is_canonical(0x8000000000000000ull));
}
END_TEST

static Suite *x86_walk_suite(void)
{
	Suite *s = suite_create("x86_walk");
	TCase *tc = tcase_create("walk");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_4level_4k_translation);
	tcase_add_test(tc, test_4level_accessed_bits_on_read);
	tcase_add_test(tc, test_4level_dirty_bit_on_write);
	tcase_add_test(tc, test_notes);
	tcase_add_test(tc, test_4level_2m_page);
	tcase_add_test(tc, test_4level_1g_page);
	tcase_add_test(tc, test_4level_not_present_each_level);
	tcase_add_test(tc, test_4level_write_protect);
	tcase_add_test(tc, test_4level_user_write_to_readonly);
	tcase_add_test(tc, test_4level_user_to_supervisor);
	tcase_add_test(tc, test_4level_nx);
	tcase_add_test(tc, test_4level_fetch_error_code_bit);
	tcase_add_test(tc, test_4level_smep);
	tcase_add_test(tc, test_4level_smap);
	tcase_add_test(tc, test_4level_reserved_bits);
	tcase_add_test(tc, test_4level_no_bits_set_on_failure);
	tcase_add_test(tc, test_4level_table_fault);
	tcase_add_test(tc, test_4level_self_map);
	tcase_add_test(tc, test_inspection_walk);
	tcase_add_test(tc, test_32bit_4k);
	tcase_add_test(tc, test_32bit_4m_pse);
	tcase_add_test(tc, test_32bit_pse36);
	tcase_add_test(tc, test_32bit_no_nx);
	tcase_add_test(tc, test_32bit_faults);
	tcase_add_test(tc, test_pae_4k);
	tcase_add_test(tc, test_pae_2m);
	tcase_add_test(tc, test_pae_pdpte);
	tcase_add_test(tc, test_pae_reserved_and_nx);
	tcase_add_test(tc, test_no_paging);
	tcase_add_test(tc, test_canonical);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(x86_walk_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
