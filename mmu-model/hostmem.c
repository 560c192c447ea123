// SPDX-License-Identifier: MIT
/*
 * Host memory protections read from /proc/self/maps, refreshed lazily
 * after the interposition layer reports a change.  Only decisions are
 * taken from it (is this page writable?), never values that reach a trace,
 * so host addresses stay out of every output.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mmu-model/hostmem.h"


struct huge_range {
	uint64_t start, end;
	uint64_t page_size;	/* 2M for THP advice, else the hugetlb size */
	bool hugetlb;
};

static struct hostmem_vma *vmas;
static size_t nr_vmas, cap_vmas;
static bool stale = true;

static struct huge_range *huge;
static size_t nr_huge, cap_huge;

/*
 * Address ranges an interposed call changed since the last refresh
 * (sorted, disjoint).  A lookup re-reads /proc/self/maps only when its
 * answer could lie in one of them: one engine's mmap per vCPU must not
 * make every vCPU's next fault parse the whole map again.
 */
struct addr_range {
	uint64_t start, end;
};

static struct addr_range *dirty;
static size_t nr_dirty, cap_dirty;

void hostmem_mark_stale(void)
{
	stale = true;
}

/* Index of the first dirty range ending after a. */
static size_t dirty_lower_bound(uint64_t a)
{
	size_t lo = 0, hi = nr_dirty;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (dirty[mid].end <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool dirty_hits(uint64_t lo, uint64_t hi)
{
	size_t i = dirty_lower_bound(lo);

	return i < nr_dirty && dirty[i].start < hi;
}

/* Record [start, end) as changed, merged with what it overlaps or touches. */
static void dirty_add(uint64_t start, uint64_t end)
{
	size_t i, j;

	if (stale || end <= start)
		return;
	i = dirty_lower_bound(start ? start - 1 : 0);
	for (j = i; j < nr_dirty && dirty[j].start <= end; j++) {
		start = start < dirty[j].start ? start : dirty[j].start;
		end = end > dirty[j].end ? end : dirty[j].end;
	}
	if (j == i) {
		if (nr_dirty == cap_dirty) {
			size_t cap = cap_dirty ? cap_dirty * 2 : 64;
			struct addr_range *p = realloc(dirty, cap * sizeof(*p));

			if (!p) {
				stale = true;	/* re-read everything instead */
				return;
			}
			dirty = p;
			cap_dirty = cap;
		}
		memmove(&dirty[i + 1], &dirty[i], (nr_dirty - i) * sizeof(*dirty));
		nr_dirty++;
	} else {
		memmove(&dirty[i + 1], &dirty[j], (nr_dirty - j) * sizeof(*dirty));
		nr_dirty -= j - i - 1;
	}
	dirty[i] = (struct addr_range){ start, end };
}

static void push_vma(const struct hostmem_vma *v)
{
	if (nr_vmas == cap_vmas) {
		size_t cap = cap_vmas ? cap_vmas * 2 : 256;
		struct hostmem_vma *p = realloc(vmas, cap * sizeof(*p));

		if (!p)
			return;	/* keep the old list; lookups stay conservative */
		vmas = p;
		cap_vmas = cap;
	}
	vmas[nr_vmas++] = *v;
}

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* The backing of a /proc/self/maps line from its inode and path. */
static enum hostmem_kind vma_kind(unsigned long inode, const char *path)
{
	if (starts_with(path, "[vdso]") || starts_with(path, "[vvar") ||
	    starts_with(path, "[vsyscall]"))
		return HOSTMEM_SPECIAL;
	if (!inode)
		return HOSTMEM_ANON;
	if (starts_with(path, "/memfd:") || starts_with(path, "/dev/zero") ||
	    starts_with(path, "/SYSV") || starts_with(path, "/dev/shm/"))
		return HOSTMEM_SHMEM;
	return HOSTMEM_FILE;
}

static uint64_t hugetlb_size(uint64_t hva);

static int parse_prot(const char *perms)
{
	int prot = 0;

	if (perms[0] == 'r')
		prot |= HOSTMEM_PROT_READ;
	if (perms[1] == 'w')
		prot |= HOSTMEM_PROT_WRITE;
	if (perms[2] == 'x')
		prot |= HOSTMEM_PROT_EXEC;
	return prot;
}

static void refresh(void)
{
	char line[4096 + 128], perms[8], path[4096];
	unsigned long start, end, off, inode;
	unsigned int major, minor;
	FILE *f = fopen("/proc/self/maps", "re");

	nr_vmas = 0;
	nr_dirty = 0;
	stale = false;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		struct hostmem_vma v;
		int n;

		path[0] = 0;
		n = sscanf(line, "%lx-%lx %7s %lx %x:%x %lu %4095[^\n]", &start, &end,
			   perms, &off, &major, &minor, &inode, path);
		if (n < 7)
			continue;
		v.start = start;
		v.end = end;
		v.prot = parse_prot(perms);
		v.shared = perms[3] == 's';
		v.kind = vma_kind(inode, path);
		v.page_size = hugetlb_size(start);
		if (!v.page_size && starts_with(path, "/anon_hugepage"))
			v.page_size = 2ull << 20;	/* mapped before us: the default size */
		if (v.page_size)
			v.kind = HOSTMEM_HUGETLB;
		else
			v.page_size = 4096;
		v.dev = makedev(major, minor);
		v.inode = inode;
		v.pgoff = off;
		push_vma(&v);
	}
	fclose(f);
}

/* The first cached VMA ending above hva (it may start above hva too), or NULL. */
static const struct hostmem_vma *cached_next(uint64_t hva)
{
	size_t lo = 0, hi;

	if (stale)
		refresh();
	hi = nr_vmas;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (vmas[mid].end <= hva)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < nr_vmas ? &vmas[lo] : NULL;
}

/*
 * The first VMA ending above hva, with its extent: re-read if anything
 * between hva (or the VMA's start) and the VMA's end changed, or next to
 * them (the kernel merges neighbours), or if nothing was found.
 */
static const struct hostmem_vma *lookup_next(uint64_t hva)
{
	const struct hostmem_vma *v = cached_next(hva);
	uint64_t lo = v && v->start < hva ? v->start : hva;

	if (!v || dirty_hits(lo ? lo - 1 : 0, v->end + 1)) {
		refresh();
		v = cached_next(hva);
	}
	return v;
}

bool hostmem_next_vma(uint64_t hva, struct hostmem_vma *vma)
{
	const struct hostmem_vma *v = lookup_next(hva);

	if (v)
		*vma = *v;
	return v;
}

/*
 * The VMA containing hva, for its protection and kind: re-read if hva's
 * page changed or nothing is known there (glibc maps memory without the
 * interposed mmap: malloc's large blocks).
 */
static const struct hostmem_vma *lookup(uint64_t hva)
{
	const struct hostmem_vma *v = cached_next(hva);

	if (!v || v->start > hva || dirty_hits(hva, hva + 1)) {
		refresh();
		v = cached_next(hva);
	}
	return v && v->start <= hva ? v : NULL;
}

int hostmem_prot(uint64_t hva)
{
	const struct hostmem_vma *v = lookup(hva);

	return v ? v->prot : -1;
}

bool hostmem_find_vma(uint64_t hva, struct hostmem_vma *vma)
{
	const struct hostmem_vma *v = lookup(hva);

	/* the extent too: a neighbour may have merged into it */
	if (v && dirty_hits(v->start ? v->start - 1 : 0, v->end + 1)) {
		refresh();
		v = lookup(hva);
	}

	if (v)
		*vma = *v;
	return v;
}

#define PM_PRESENT	(1ull << 63)
#define PM_SWAP		(1ull << 62)

/* Entries of n pages from hva's; those the kernel did not give are 0. */
static void pagemap_read(uint64_t hva, uint64_t *e, size_t n)
{
	static int fd = -1;
	ssize_t got = -1;

	if (fd < 0)
		fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		got = pread(fd, e, n * sizeof(*e), (off_t)(hva >> 12) * sizeof(*e));
	if (got < 0)
		got = 0;
	memset((char *)e + got, 0, n * sizeof(*e) - (size_t)got);
}

static uint64_t pagemap_entry(uint64_t hva)
{
	uint64_t e;

	pagemap_read(hva, &e, 1);
	return e;
}

bool hostmem_page_fast_gup(uint64_t hva, bool write)
{
	const struct hostmem_vma *v = lookup(hva);
	uint64_t e;

	if (!v || !(v->prot & HOSTMEM_PROT_READ) ||
	    (write && !(v->prot & HOSTMEM_PROT_WRITE)) || hostmem_is_poisoned(hva))
		return false;
	/*
	 * Only presence: pagemap's exclusive bit would tell a COW page
	 * from a written one, but fork (explore's runs) clears it.
	 */
	e = pagemap_entry(hva);
	return e & PM_PRESENT;
}

bool hostmem_anon_accessible(uint64_t start, uint64_t len, bool write)
{
	uint64_t a = start, end = start + len;

	if (end < start)
		return false;
	while (a < end) {
		const struct hostmem_vma *v = lookup(a);

		if (!v || v->kind != HOSTMEM_ANON || !(v->prot & HOSTMEM_PROT_READ) ||
		    (write && !(v->prot & HOSTMEM_PROT_WRITE)))
			return false;
		a = v->end;
	}
	return true;
}

/* ---- the PTE snapshot of model-mapped ranges ---- */

#define CHUNK_SHIFT	21			/* one 4 KiB pagemap read: 512 pages */
#define CHUNK_PAGES	(1u << (CHUNK_SHIFT - 12))
#define NO_CHUNK	1ull			/* never a chunk base */

struct pte_chunk {
	uint64_t base;				/* NO_CHUNK: free slot */
	bool valid;				/* false: read pagemap again */
	uint64_t present[CHUNK_PAGES / 64];	/* PM_PRESENT */
	uint64_t swapped[CHUNK_PAGES / 64];	/* PM_SWAP */
};

static struct pte_chunk *chunks;
static size_t nr_chunks, cap_chunks;		/* cap: 0 or a power of two */

static size_t chunk_hash(uint64_t base)
{
	return (size_t)((base >> CHUNK_SHIFT) * 0x9e3779b97f4a7c15ull >> 20);
}

static struct pte_chunk *chunk_slot(struct pte_chunk *tab, size_t cap, uint64_t base)
{
	size_t i = chunk_hash(base) & (cap - 1);

	while (tab[i].base != base && tab[i].base != NO_CHUNK)
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

static struct pte_chunk *chunk_find(uint64_t base)
{
	struct pte_chunk *c;

	if (!cap_chunks)
		return NULL;
	c = chunk_slot(chunks, cap_chunks, base);
	return c->base == base ? c : NULL;
}

static bool chunks_grow(void)
{
	size_t cap = cap_chunks ? cap_chunks * 2 : 64;
	struct pte_chunk *tab = malloc(cap * sizeof(*tab));

	if (!tab)
		return false;
	for (size_t i = 0; i < cap; i++)
		tab[i].base = NO_CHUNK;
	for (size_t i = 0; i < cap_chunks; i++)
		if (chunks[i].base != NO_CHUNK)
			*chunk_slot(tab, cap, chunks[i].base) = chunks[i];
	free(chunks);
	chunks = tab;
	cap_chunks = cap;
	return true;
}

/* A fork's child has its own page tables (shared pages not copied). */
static void chunks_forget_all(void)
{
	for (size_t i = 0; i < cap_chunks; i++)
		chunks[i].valid = false;
}

static void chunk_read(struct pte_chunk *c)
{
	uint64_t e[CHUNK_PAGES];

	pagemap_read(c->base, e, CHUNK_PAGES);
	memset(c->present, 0, sizeof(c->present));
	memset(c->swapped, 0, sizeof(c->swapped));
	for (unsigned i = 0; i < CHUNK_PAGES; i++) {
		if (e[i] & PM_PRESENT)
			c->present[i / 64] |= 1ull << (i % 64);
		if (e[i] & PM_SWAP)
			c->swapped[i / 64] |= 1ull << (i % 64);
	}
	c->valid = true;
}

/* The chunk holding hva, read from pagemap if need be; NULL without memory. */
static struct pte_chunk *chunk_get(uint64_t hva)
{
	static bool atfork;
	uint64_t base = hva & ~((1ull << CHUNK_SHIFT) - 1);
	struct pte_chunk *c = chunk_find(base);

	if (!c) {
		if (!atfork)
			atfork = !pthread_atfork(NULL, NULL, chunks_forget_all);
		if ((nr_chunks + 1) * 2 > cap_chunks && !chunks_grow())
			return NULL;
		c = chunk_slot(chunks, cap_chunks, base);
		c->base = base;
		c->valid = false;
		nr_chunks++;
	}
	if (!c->valid)
		chunk_read(c);
	return c;
}

static unsigned chunk_index(uint64_t hva)
{
	return (unsigned)((hva >> 12) & (CHUNK_PAGES - 1));
}

static bool chunk_test(const uint64_t *bits, uint64_t hva)
{
	unsigned i = chunk_index(hva);

	return (bits[i / 64] >> (i % 64)) & 1;
}

bool hostmem_pte_present(uint64_t hva)
{
	struct pte_chunk *c = chunk_get(hva);

	if (!c)
		return hostmem_page_present(hva);
	return chunk_test(c->present, hva) || chunk_test(c->swapped, hva) ||
	       hostmem_is_poisoned(hva);
}

bool hostmem_pte_fast_gup(uint64_t hva, bool write)
{
	const struct hostmem_vma *v = lookup(hva);
	struct pte_chunk *c;

	if (!v || !(v->prot & HOSTMEM_PROT_READ) ||
	    (write && !(v->prot & HOSTMEM_PROT_WRITE)) || hostmem_is_poisoned(hva))
		return false;
	c = chunk_get(hva);
	if (!c)
		return hostmem_page_fast_gup(hva, write);
	return chunk_test(c->present, hva);
}

void hostmem_note_mapped(uint64_t start, uint64_t len)
{
	for (uint64_t a = start & ~0xfffull; a < start + len; a += 0x1000) {
		struct pte_chunk *c = chunk_find(a & ~((1ull << CHUNK_SHIFT) - 1));
		unsigned i = chunk_index(a);

		if (!c || !c->valid)
			continue;
		c->present[i / 64] |= 1ull << (i % 64);
		c->swapped[i / 64] &= ~(1ull << (i % 64));
	}
}

void hostmem_forget_ptes(uint64_t start, uint64_t len)
{
	uint64_t mask = (1ull << CHUNK_SHIFT) - 1, end = start + len;

	if (!nr_chunks || end < start)
		return;
	/* few chunks, or a huge range (an munmap of a whole 64G slot): walk the table */
	if ((end - (start & ~mask)) >> CHUNK_SHIFT > cap_chunks) {
		for (size_t i = 0; i < cap_chunks; i++)
			if (chunks[i].base != NO_CHUNK && chunks[i].base < end &&
			    chunks[i].base + mask >= start)
				chunks[i].valid = false;
		return;
	}
	for (uint64_t b = start & ~mask; b < end; b += mask + 1) {
		struct pte_chunk *c = chunk_find(b);

		if (c)
			c->valid = false;
	}
}

void hostmem_changed(uint64_t start, uint64_t len)
{
	dirty_add(start, start + len);
	hostmem_forget_ptes(start, len);
}

void hostmem_note_advice(uint64_t start, uint64_t len, int advice)
{
	switch (advice) {
	case MADV_NORMAL: case MADV_RANDOM: case MADV_SEQUENTIAL: case MADV_WILLNEED:
	case MADV_DONTFORK: case MADV_DOFORK: case MADV_MERGEABLE: case MADV_UNMERGEABLE:
	case MADV_HUGEPAGE: case MADV_NOHUGEPAGE: case MADV_DONTDUMP: case MADV_DODUMP:
	case MADV_COLD:
		return;		/* no PTE appears or goes */
	case MADV_POPULATE_READ: case MADV_POPULATE_WRITE:
		hostmem_note_mapped(start, len);
		return;
	default:		/* DONTNEED, REMOVE, FREE, PAGEOUT, COLLAPSE ... */
		hostmem_forget_ptes(start, len);
	}
}

/* ---- poison ---- */

static uint64_t *poisoned;	/* sorted page addresses */
static size_t nr_poisoned, cap_poisoned;

static size_t poison_lower_bound(uint64_t page)
{
	size_t lo = 0, hi = nr_poisoned;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (poisoned[mid] < page)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool hostmem_is_poisoned(uint64_t hva)
{
	uint64_t page = hva & ~0xfffull;
	size_t i = poison_lower_bound(page);

	return i < nr_poisoned && poisoned[i] == page;
}

void hostmem_poison(uint64_t start, uint64_t len)
{
	for (uint64_t page = start & ~0xfffull; page < start + len; page += 0x1000) {
		size_t i = poison_lower_bound(page);

		if (i < nr_poisoned && poisoned[i] == page)
			continue;
		if (nr_poisoned == cap_poisoned) {
			size_t cap = cap_poisoned ? cap_poisoned * 2 : 64;
			uint64_t *p = realloc(poisoned, cap * sizeof(*p));

			if (!p)
				return;
			poisoned = p;
			cap_poisoned = cap;
		}
		memmove(&poisoned[i + 1], &poisoned[i], (nr_poisoned - i) * sizeof(*poisoned));
		poisoned[i] = page;
		nr_poisoned++;
	}
}

void hostmem_unpoison(uint64_t start, uint64_t len)
{
	size_t i = poison_lower_bound(start & ~0xfffull), j = i;

	if (!nr_poisoned)
		return;

	while (j < nr_poisoned && poisoned[j] < start + len)
		j++;
	memmove(&poisoned[i], &poisoned[j], (nr_poisoned - j) * sizeof(*poisoned));
	nr_poisoned -= j - i;
}

void hostmem_for_each_file_vma(uint64_t dev, uint64_t inode, uint64_t off, uint64_t len,
			       void (*fn)(uint64_t hva_start, uint64_t hva_end, void *opaque),
			       void *opaque)
{
	if (stale || nr_dirty)
		refresh();
	for (size_t i = 0; i < nr_vmas; i++) {
		const struct hostmem_vma *v = &vmas[i];
		uint64_t vlen = v->end - v->start, lo, hi;

		if (v->inode != inode || v->dev != dev || !inode)
			continue;
		lo = off > v->pgoff ? off : v->pgoff;
		hi = off + len < v->pgoff + vlen ? off + len : v->pgoff + vlen;
		if (lo >= hi)
			continue;
		/* only unmaps (hole punch, truncation) walk a file's mappings */
		hostmem_forget_ptes(v->start + (lo - v->pgoff), hi - lo);
		fn(v->start + (lo - v->pgoff), v->start + (hi - v->pgoff), opaque);
	}
}

bool hostmem_page_present(uint64_t hva)
{
	/* a poison marker is a PTE too: userfaultfd sees it as present */
	return (pagemap_entry(hva) & (PM_PRESENT | PM_SWAP)) || hostmem_is_poisoned(hva);
}

bool hostmem_page_cached(uint64_t hva)
{
	unsigned char vec = 0;

	if (mincore((void *)(uintptr_t)(hva & ~0xfffull), 0x1000, &vec))
		return false;
	return vec & 1;
}

/*
 * Trim every record overlapping [start, end).  Records are disjoint, so at
 * most one straddles the whole range; its tail is appended after the loop
 * (the caller reserved room) so no unread record is overwritten.
 */
static void huge_remove(uint64_t start, uint64_t end)
{
	struct huge_range tail = { 0 };
	size_t out = 0;

	for (size_t i = 0; i < nr_huge; i++) {
		struct huge_range r = huge[i];

		if (r.end <= start || r.start >= end) {
			huge[out++] = r;
			continue;
		}
		if (r.start < start)
			huge[out++] = (struct huge_range){ r.start, start, r.page_size, r.hugetlb };
		if (r.end > end)
			tail = (struct huge_range){ end, r.end, r.page_size, r.hugetlb };
	}
	nr_huge = out;
	if (tail.end)
		huge[nr_huge++] = tail;
}

/* Room for two more records: a removal may split one record in two. */
static bool huge_reserve(void)
{
	size_t cap;
	struct huge_range *p;

	if (nr_huge + 2 <= cap_huge)
		return true;
	cap = cap_huge ? cap_huge * 2 : 32;
	p = realloc(huge, cap * sizeof(*p));
	if (!p)
		return false;
	huge = p;
	cap_huge = cap;
	return true;
}

static void huge_add(uint64_t start, uint64_t end, uint64_t page_size, bool hugetlb)
{
	if (huge_reserve())
		huge[nr_huge++] = (struct huge_range){ start, end, page_size, hugetlb };
}

void hostmem_advise_huge(uint64_t start, uint64_t len, bool is_huge)
{
	if (!huge_reserve())
		return;
	huge_remove(start, start + len);
	if (is_huge)
		huge_add(start, start + len, 2ull << 20, false);
}

void hostmem_record_hugetlb(uint64_t start, uint64_t len, uint64_t page_size)
{
	if (!huge_reserve())
		return;
	huge_remove(start, start + len);
	huge_add(start, start + len, page_size, true);
	/* the next lookup re-reads the vma and learns its kind */
	dirty_add(start, start + len);
}

static uint64_t hugetlb_size(uint64_t hva)
{
	for (size_t i = 0; i < nr_huge; i++)
		if (huge[i].hugetlb && huge[i].start <= hva && hva < huge[i].end)
			return huge[i].page_size;
	return 0;
}

uint64_t hostmem_hugetlb_size(uint64_t hva)
{
	struct hostmem_vma vma;

	return hostmem_find_vma(hva, &vma) && vma.kind == HOSTMEM_HUGETLB ? vma.page_size : 0;
}

void hostmem_forget(uint64_t start, uint64_t len)
{
	dirty_add(start, start + len);
	hostmem_forget_ptes(start, len);
	hostmem_unpoison(start, len);
	if (huge_reserve())
		huge_remove(start, start + len);
}

bool hostmem_is_huge(uint64_t hva, uint64_t size)
{
	uint64_t start = hva & ~(size - 1), end = start + size;

	for (size_t i = 0; i < nr_huge; i++) {
		if (huge[i].page_size < size)
			continue;
		if (huge[i].start <= start && huge[i].end >= end)
			return true;
	}
	return false;
}
