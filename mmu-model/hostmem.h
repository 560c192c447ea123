/* SPDX-License-Identifier: MIT */
/*
 * Host memory as the kernel's GUP sees it: which host virtual addresses are
 * mapped, with which protection, and whether a range is backed by huge
 * pages (THP after MADV_HUGEPAGE, or hugetlbfs).  The model is refreshed
 * from /proc/self/maps after every call that can change it (the
 * interposition layer marks it stale); huge-page advice is recorded as the
 * program gives it.  Knows nothing of KVM or Unicorn.
 */
#ifndef KVMSIM_HOSTMEM_H
#define KVMSIM_HOSTMEM_H

#include <stdbool.h>
#include <stdint.h>

#define HOSTMEM_PROT_READ	0x1
#define HOSTMEM_PROT_WRITE	0x2
#define HOSTMEM_PROT_EXEC	0x4

/* What backs a VMA, as far as userfaultfd cares (vma_can_userfault). */
enum hostmem_kind {
	HOSTMEM_ANON,		/* private anonymous: heap, stack, MAP_ANONYMOUS */
	HOSTMEM_SHMEM,		/* memfd, MAP_SHARED|MAP_ANONYMOUS, SysV, /dev/shm */
	HOSTMEM_FILE,		/* any other file */
	HOSTMEM_SPECIAL,	/* [vdso], [vvar], [vsyscall] */
	HOSTMEM_HUGETLB,	/* hugetlbfs: MAP_HUGETLB, a MFD_HUGETLB memfd */
};

struct hostmem_vma {
	uint64_t start, end;
	int prot;		/* HOSTMEM_PROT_* */
	bool shared;		/* MAP_SHARED */
	enum hostmem_kind kind;
	uint64_t dev, inode;	/* the file behind it (0 for anonymous) */
	uint64_t pgoff;		/* file offset of start, in bytes */
	uint64_t page_size;	/* 4 KiB, or the hugetlb page size */
};

/* The process' mappings changed (mmap, munmap, mprotect, mremap ...). */
void hostmem_mark_stale(void);

/*
 * Protection of the page containing hva: HOSTMEM_PROT_* bits, 0 for
 * PROT_NONE, or -1 if nothing is mapped there.
 */
int hostmem_prot(uint64_t hva);

/* The VMA containing hva; false if nothing is mapped there. */
bool hostmem_find_vma(uint64_t hva, struct hostmem_vma *vma);
/* The first VMA that ends above hva (it may start above it); false if none. */
bool hostmem_next_vma(uint64_t hva, struct hostmem_vma *vma);

/*
 * Page state as the host kernel has it right now, read from
 * /proc/self/pagemap and mincore(2) (never cached: the VMM changes it
 * behind our back with memcpy, MADV_DONTNEED...).
 *   present: a PTE maps the page in this process (or it is swapped out):
 *            what userfaultfd's pte_none test sees.
 *   cached:  the page exists in the page cache (shmem) or is resident,
 *            whether or not this mapping has a PTE for it: with !present,
 *            a MINOR fault.
 */
bool hostmem_page_present(uint64_t hva);
bool hostmem_page_cached(uint64_t hva);
/*
 * What get_user_page_fast_only can take without faulting: a present PTE
 * in a VMA that allows the access.  (A private page still shared
 * copy-on-write counts as writable: pagemap cannot tell it reliably.)
 */
bool hostmem_page_fast_gup(uint64_t hva, bool write);

/*
 * Presence of pages that only the model maps: userfaultfd-armed ranges,
 * where any other first touch would itself be a userfault on Linux.  A
 * snapshot of /proc/self/pagemap per 2 MiB of address space, taken at
 * the first question about it and kept up to date by hostmem_note_mapped
 * (the model's own fills) and by every call that can unmap or map pages
 * (hostmem_forget, hostmem_changed, hostmem_note_advice, file unmaps, a
 * fork's child), so a fault asks the kernel nothing.
 *   hostmem_pte_present: as hostmem_page_present, from the snapshot
 *   hostmem_pte_fast_gup: as hostmem_page_fast_gup, from the snapshot
 *   hostmem_forget_ptes: drop the snapshot of a range (re-read when asked),
 *   as UFFDIO_REGISTER does for a range the VMM may have touched unarmed
 */
bool hostmem_pte_present(uint64_t hva);
bool hostmem_pte_fast_gup(uint64_t hva, bool write);
void hostmem_note_mapped(uint64_t start, uint64_t len);
void hostmem_forget_ptes(uint64_t start, uint64_t len);

/* [start, start + len) changed mapping or protection (mmap, mprotect). */
void hostmem_changed(uint64_t start, uint64_t len);
/* A successful madvise(2): what it does to the snapshot above. */
void hostmem_note_advice(uint64_t start, uint64_t len, int advice);

/*
 * Whether [start, start + len) lies in private or shared anonymous memory
 * the process may read (write: and write), so a plain memcpy cannot fault.
 * False when unsure (then the caller checks with the kernel).
 */
bool hostmem_anon_accessible(uint64_t start, uint64_t len, bool write);

/*
 * Poisoned pages (MADV_HWPOISON, or a UFFDIO_POISON PTE marker): any GUP
 * gets -EHWPOISON.  Zapping the PTEs (munmap, MADV_DONTNEED) forgets them.
 */
void hostmem_poison(uint64_t start, uint64_t len);
void hostmem_unpoison(uint64_t start, uint64_t len);
bool hostmem_is_poisoned(uint64_t hva);

/* Call fn for each VMA mapping [off, off + len) of file (dev, inode). */
void hostmem_for_each_file_vma(uint64_t dev, uint64_t inode, uint64_t off, uint64_t len,
			       void (*fn)(uint64_t hva_start, uint64_t hva_end, void *opaque),
			       void *opaque);

/*
 * Record MADV_HUGEPAGE / MADV_NOHUGEPAGE and hugetlbfs mappings
 * (MAP_HUGETLB, or a hugetlbfs file: the caller rounds len up to the page).
 */
void hostmem_advise_huge(uint64_t start, uint64_t len, bool huge);
void hostmem_record_hugetlb(uint64_t start, uint64_t len, uint64_t page_size);
/* The hugetlb page size backing hva, or 0 when it is not hugetlbfs memory. */
uint64_t hostmem_hugetlb_size(uint64_t hva);
void hostmem_forget(uint64_t start, uint64_t len);

/*
 * Largest page size backing the naturally aligned block of `size` bytes
 * around hva: returns true if [align_down(hva, size), +size) is entirely
 * backed by pages of at least `size` (THP gives at most 2M).
 */
bool hostmem_is_huge(uint64_t hva, uint64_t size);

#endif
