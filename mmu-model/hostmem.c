// SPDX-License-Identifier: MIT
/*
 * Host memory protections read from /proc/self/maps, refreshed lazily
 * after the interposition layer reports a change.  Only decisions are
 * taken from it (is this page writable?), never values that reach a trace,
 * so host addresses stay out of every output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmu-model/hostmem.h"

struct host_vma {
	uint64_t start, end;
	int prot;
};

struct huge_range {
	uint64_t start, end;
	uint64_t page_size;	/* 2M for THP advice, else the hugetlb size */
};

static struct host_vma *vmas;
static size_t nr_vmas, cap_vmas;
static bool stale = true;

static struct huge_range *huge;
static size_t nr_huge, cap_huge;

void hostmem_mark_stale(void)
{
	stale = true;
}

static void push_vma(uint64_t start, uint64_t end, int prot)
{
	if (nr_vmas == cap_vmas) {
		size_t cap = cap_vmas ? cap_vmas * 2 : 256;
		struct host_vma *p = realloc(vmas, cap * sizeof(*p));

		if (!p)
			return;	/* keep the old list; lookups stay conservative */
		vmas = p;
		cap_vmas = cap;
	}
	vmas[nr_vmas++] = (struct host_vma){ start, end, prot };
}

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
	char line[512], perms[8];
	unsigned long start, end;
	FILE *f = fopen("/proc/self/maps", "re");

	nr_vmas = 0;
	stale = false;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) == 3)
			push_vma(start, end, parse_prot(perms));
	}
	fclose(f);
}

int hostmem_prot(uint64_t hva)
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
	if (lo < nr_vmas && vmas[lo].start <= hva)
		return vmas[lo].prot;
	return -1;
}

/*
 * Trim every record overlapping [start, end).  Records are disjoint, so at
 * most one straddles the whole range; its tail is appended after the loop
 * (the caller reserved room) so no unread record is overwritten.
 */
static void huge_remove(uint64_t start, uint64_t end)
{
	struct huge_range tail = { 0, 0, 0 };
	size_t out = 0;

	for (size_t i = 0; i < nr_huge; i++) {
		struct huge_range r = huge[i];

		if (r.end <= start || r.start >= end) {
			huge[out++] = r;
			continue;
		}
		if (r.start < start)
			huge[out++] = (struct huge_range){ r.start, start, r.page_size };
		if (r.end > end)
			tail = (struct huge_range){ end, r.end, r.page_size };
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

static void huge_add(uint64_t start, uint64_t end, uint64_t page_size)
{
	if (huge_reserve())
		huge[nr_huge++] = (struct huge_range){ start, end, page_size };
}

void hostmem_advise_huge(uint64_t start, uint64_t len, bool is_huge)
{
	if (!huge_reserve())
		return;
	huge_remove(start, start + len);
	if (is_huge)
		huge_add(start, start + len, 2ull << 20);
}

void hostmem_record_hugetlb(uint64_t start, uint64_t len, uint64_t page_size)
{
	if (!huge_reserve())
		return;
	huge_remove(start, start + len);
	huge_add(start, start + len, page_size);
}

void hostmem_forget(uint64_t start, uint64_t len)
{
	stale = true;
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
