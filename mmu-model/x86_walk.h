/* SPDX-License-Identifier: MIT */
/*
 * x86 stage-1 (guest page table) walker, as the hardware does it
 * (mirrors the kernel's paging_tmpl.h walk_addr_generic).  Knows nothing of
 * Unicorn; reads and writes guest page-table entries through callbacks that
 * go through stage 2, so a table access can itself fail in stage 2.
 */
#ifndef KVMSIM_X86_WALK_H
#define KVMSIM_X86_WALK_H

#include <stdbool.h>
#include <stdint.h>

enum x86_paging_mode {
	X86_PAGING_NONE,	/* CR0.PG = 0: gpa = gva (truncated to 32 bits outside long mode) */
	X86_PAGING_32,		/* 2-level, 4K and 4M (CR4.PSE) pages */
	X86_PAGING_PAE,		/* 3-level, PDPTEs from CR3, 4K and 2M */
	X86_PAGING_4LEVEL,	/* long mode, 4K, 2M, 1G */
};

/* Access kinds, combinable (as the #PF error code bits). */
#define X86_ACC_WRITE	(1u << 1)
#define X86_ACC_USER	(1u << 2)
#define X86_ACC_FETCH	(1u << 4)

/* #PF error code bits (SDM 4.7). */
#define X86_PFERR_PRESENT	(1u << 0)
#define X86_PFERR_WRITE		(1u << 1)
#define X86_PFERR_USER		(1u << 2)
#define X86_PFERR_RSVD		(1u << 3)
#define X86_PFERR_FETCH		(1u << 4)

/*
 * Guest-physical access to a paging-structure entry.  Return 0 on success,
 * non-zero if stage 2 cannot provide the entry (the walk stops and returns
 * X86_WALK_TABLE_FAULT with table_fault_gpa set).  size is 4 or 8.
 */
typedef int (*x86_pte_read_fn)(void *opaque, uint64_t gpa, uint64_t *val, int size);
typedef int (*x86_pte_write_fn)(void *opaque, uint64_t gpa, uint64_t val, int size);

/*
 * What a walk did, told as it happens (for narration; changes nothing):
 * an entry read (pte as read), or an A or D bit written into the entry at
 * gpa (pte: the value written).  A walk without write_pte writes none.
 */
enum x86_walk_note {
	X86_WALK_NOTE_ENTRY,
	X86_WALK_NOTE_ACCESSED,
	X86_WALK_NOTE_DIRTY,
};
typedef void (*x86_walk_note_fn)(void *opaque, enum x86_walk_note what, uint64_t gpa,
				 uint64_t pte, int level);

struct x86_walk_ctx {
	enum x86_paging_mode mode;
	uint64_t cr3;
	bool cr0_wp;		/* supervisor writes honour R/W */
	bool cr4_pse;		/* 4M pages in 32-bit paging */
	bool cr4_smep;
	bool cr4_smap;
	bool efer_nxe;		/* XD bit (bit 63) valid; else reserved */
	uint8_t maxphyaddr;	/* e.g. 52; bits above are reserved */
	x86_pte_read_fn read_pte;
	x86_pte_write_fn write_pte;	/* used to set A/D bits */
	void *opaque;
	x86_walk_note_fn note;		/* NULL: nobody listens */
	void *note_opaque;
};

/* Maximum paging-structure entries touched by one walk (PML4..PTE + PDPTE). */
#define X86_WALK_MAX_TABLES 5

struct x86_walk_result {
	uint64_t gpa;		/* translated guest-physical address of gva */
	uint64_t page_size;	/* 4K, 2M, 4M or 1G: the leaf's size */
	uint64_t page_gva;	/* gva rounded down to page_size */
	uint64_t page_gpa;	/* gpa of the leaf's first byte */
	int level;		/* 1 = PTE, 2 = PDE, 3 = PDPTE, 4 = PML4E */
	bool writable;		/* effective permission for supervisor writes with cr0_wp,
				 * or for user writes (combined over all levels) */
	bool user;		/* U/S set at every level */
	bool nx;		/* execute disabled at some level */
	bool dirty;		/* leaf D bit after this walk */
	/* gpas of every paging-structure entry read, outermost first */
	uint64_t table_gpa[X86_WALK_MAX_TABLES];
	int n_tables;
	/* on X86_WALK_PAGE_FAULT: the #PF error code to inject */
	uint32_t error_code;
	/* on X86_WALK_TABLE_FAULT: the gpa stage 2 could not provide */
	uint64_t table_fault_gpa;
};

enum x86_walk_status {
	X86_WALK_OK = 0,
	X86_WALK_PAGE_FAULT,	/* inject #PF with error_code, CR2 = gva */
	X86_WALK_TABLE_FAULT,	/* read_pte/write_pte failed at table_fault_gpa */
};

/*
 * Translate gva for an access of kind `access` (X86_ACC_*).  On success sets
 * accessed bits on every entry used and, for writes, the leaf's dirty bit,
 * as hardware does (a bit already set is not written again).
 *
 * Details of this model:
 *  - res is zeroed first.  On any failure n_tables/table_gpa list the
 *    entries read successfully (the faulting one included for #PF, the one
 *    stage 2 could not provide excluded) and level is the level of the
 *    failing entry (the leaf's for a permission fault); no A/D bit is set.
 *  - X86_PAGING_NONE: gpa = gva, page_size 4K, level 0, n_tables 0,
 *    writable and user true.
 *  - 32-bit and PAE paging use only the low 32 bits of gva (also in
 *    page_gva).  PAE PDPTEs are read on every walk (not cached at MOV CR3)
 *    and have no A bit; their reserved bits give #PF with RSVD|P.
 *  - I/D is set for fetches only if CR4.SMEP, or NXE with PAE/4-level
 *    paging (SDM 4.7); NXE has no effect in 32-bit paging.
 *  - SMAP ignores EFLAGS.AC (treated as clear): every supervisor data
 *    access to a user page faults when cr4_smap is set.
 *  - maxphyaddr 0 means 52; values are clamped to 32..52.  PSE-36 uses
 *    min(maxphyaddr, 40) bits.
 *  - Access bits other than X86_ACC_* are ignored.
 *  - write_pte may be NULL: the walk then sets no A/D bit (an inspection
 *    walk); res->dirty still reports what a real walk would leave.
 */
enum x86_walk_status x86_walk_addr(const struct x86_walk_ctx *ctx, uint64_t gva,
				   unsigned access, struct x86_walk_result *res);

/* Is gva canonical for 4-level paging (48-bit)? */
bool x86_is_canonical(uint64_t gva);

#endif
