// SPDX-License-Identifier: MIT
/*
 * Host memory protections read from /proc/self/maps, refreshed lazily
 * after the interposition layer reports a change.  Only decisions are
 * taken from it (is this page writable?), never values that reach a trace,
 * so host addresses stay out of every output.
 */
#define _GNU_SOURCE
#include <fcntl.h>
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
};

static struct hostmem_vma *vmas;
static size_t nr_vmas, cap_vmas;
static bool stale = true;

static struct huge_range *huge;
static size_t nr_huge, cap_huge;

void hostmem_mark_stale(void)
{
	stale = true;
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
		v.dev = makedev(major, minor);
		v.inode = inode;
		v.pgoff = off;
		push_vma(&v);
	}
	fclose(f);
}

/* The first VMA ending above hva (it may start above hva too), or NULL. */
static const struct hostmem_vma *lookup_next(uint64_t hva)
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

bool hostmem_next_vma(uint64_t hva, struct hostmem_vma *vma)
{
	const struct hostmem_vma *v = lookup_next(hva);

	if (v)
		*vma = *v;
	return v;
}

static const struct hostmem_vma *lookup(uint64_t hva)
{
	const struct hostmem_vma *v = lookup_next(hva);

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

	if (v)
		*vma = *v;
	return v;
}

#define PM_PRESENT	(1ull << 63)
#define PM_SWAP		(1ull << 62)

static uint64_t pagemap_entry(uint64_t hva)
{
	static int fd = -1;
	uint64_t e = 0;

	if (fd < 0)
		fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || pread(fd, &e, sizeof(e), (off_t)(hva >> 12) * sizeof(e)) != sizeof(e))
		return 0;
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
	if (stale)
		refresh();
	for (size_t i = 0; i < nr_vmas; i++) {
		const struct hostmem_vma *v = &vmas[i];
		uint64_t vlen = v->end - v->start, lo, hi;

		if (v->inode != inode || v->dev != dev || !inode)
			continue;
		lo = off > v->pgoff ? off : v->pgoff;
		hi = off + len < v->pgoff + vlen ? off + len : v->pgoff + vlen;
		if (lo < hi)
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
