// SPDX-License-Identifier: MIT
/*
 * Private memory, three ways:
 *
 *  - guest_memfd (virt/kvm/guest_memfd.c): KVM_CREATE_GUEST_MEMFD gives a
 *    file whose pages back private gfns (and every gfn of a slot bound to
 *    a GUEST_MEMFD_FLAG_MMAP file, KVM_MEMSLOT_GMEM_ONLY).  The storage
 *    is a memfd; the VMM's fd is a dup of it, so its mmap maps the very
 *    pages the guest sees.  fallocate(PUNCH_HOLE) zaps the bound gfns
 *    first (kvm_gmem_punch_hole's invalidate_begin), then frees them.
 *  - memory attributes (kvm_vm_ioctl_set_mem_attributes): per VM, gfn
 *    ranges with KVM_MEMORY_ATTRIBUTE_PRIVATE.  In a
 *    KVM_X86_SW_PROTECTED_VM the attribute decides whether a fault is
 *    private (kvm_mmu_page_fault sets PFERR_PRIVATE_ACCESS from it).
 *  - private-v6 (seed 003, rule private-fd): a slot's private_fd, a
 *    plain memfd; a gfn is private iff its page in the fd is populated;
 *    fallocate in the fd converts (allocate: private, punch: shared) and
 *    zaps the gfns it changes (the series' memfile notifier).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvm-model/kvm_host.h"
#include "kvm-model/kvm_mmu.h"
#include "kvm-model/kvmsim.h"
#include "kvm-model/profile.h"

struct kvm_gmem {
	int refs;		/* open fds (guest_memfd), or 1: the slot (private-v6) */
	struct kvm *kvm;
	uint64_t size;
	uint64_t flags;		/* GUEST_MEMFD_FLAG_* */
	int memfd;		/* the storage */
	uint64_t view_off;	/* file offset of view[0] */
	char *view;		/* kvmsim's MAP_SHARED view, mapped on first use */
	int sigbus_fd;		/* an empty memfd: what the VMM maps without INIT_SHARED */
	bool v6;		/* a private-v6 private_fd, not a guest_memfd */
	dev_t dev;
	ino_t ino;
};

bool kvm_arch_has_private_mem(const struct kvm *kvm)
{
	return kvm && kvm->has_private_mem;
}

/* kvm_gmem_get_supported_flags: INIT_SHARED only where nothing is private. */
static uint64_t kvm_gmem_get_supported_flags(const struct kvm *kvm)
{
	uint64_t flags = GUEST_MEMFD_FLAG_MMAP;

	/* 6.12's kvm_gmem_create: valid_flags = 0 */
	if (kvm_rule_on(RULE_GMEM_NO_FLAGS))
		return 0;

	if (!kvm_arch_has_private_mem(kvm))
		flags |= GUEST_MEMFD_FLAG_INIT_SHARED;
	return flags;
}

int kvm_gmem_memfd(const struct kvm_gmem *gmem)
{
	return gmem->memfd;
}

static void trace_gmem(const char *event, uint64_t gpa, uint64_t size)
{
	struct sim_ev *ev = sim_ev_begin(event);

	sim_ev_hex(ev, "gpa", gpa);
	sim_ev_hex(ev, "size", size);
	sim_ev_end(ev);
}

/* ---- the slots a file is bound to ---- */

typedef void (*gmem_slot_fn)(struct kvm *kvm, struct kvm_memory_slot *slot,
			     uint64_t gfn_start, uint64_t gfn_end, void *opaque);

/* Is the slot's file g the one meant: the same guest_memfd, or (v6) the same inode? */
static bool same_file(const struct kvm_gmem *g, const struct kvm_gmem *gmem)
{
	if (!g || g->v6 != gmem->v6)
		return false;
	return gmem->v6 ? g->dev == gmem->dev && g->ino == gmem->ino : g == gmem;
}

/*
 * Call fn for every slot bound to gmem (or, private-v6, to the file
 * dev/ino) with the gfns that file pages [start, end) back in it.
 */
static void for_each_binding(struct kvm *kvm, const struct kvm_gmem *gmem,
			     uint64_t start, uint64_t end, gmem_slot_fn fn, void *opaque)
{
	struct kvm_memslots *slots = &kvm->memslots[0];

	for (int i = 0; i < slots->nr; i++) {
		struct kvm_memory_slot *s = slots->by_gfn[i];
		const struct kvm_gmem *g = s->gmem;
		uint64_t lo, hi, first;

		if (!same_file(g, gmem))
			continue;
		first = g->v6 ? g->view_off >> PAGE_SHIFT : s->gmem_pgoff;
		lo = start > first ? start : first;
		hi = end < first + s->npages ? end : first + s->npages;
		if (lo < hi)
			fn(kvm, s, s->base_gfn + lo - first, s->base_gfn + hi - first, opaque);
	}
}

static void zap_binding(struct kvm *kvm, struct kvm_memory_slot *slot,
			uint64_t gfn_start, uint64_t gfn_end, void *why)
{
	kvm_mmu_zap_gfn_range(kvm, gfn_start, gfn_end, why);
}

/* ---- guest_memfd ---- */

static char *kvm_gmem_view(struct kvm_gmem *gmem)
{
	void *p;

	if (gmem->view)
		return gmem->view;
	p = mmap(NULL, gmem->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
		 gmem->memfd, gmem->view_off);
	if (p != MAP_FAILED)
		gmem->view = p;
	return gmem->view;
}

/* A guest_memfd pins its VM; a v6 private fd belongs to a slot and does not. */
static struct kvm_gmem *gmem_alloc(struct kvm *kvm, uint64_t size, uint64_t flags, int memfd,
				   bool v6)
{
	struct kvm_gmem *gmem = calloc(1, sizeof(*gmem));
	struct stat st;

	if (!gmem)
		return NULL;
	*gmem = (struct kvm_gmem){ .kvm = kvm, .size = size, .flags = flags, .memfd = memfd,
				   .v6 = v6, .sigbus_fd = -1 };
	if (!fstat(memfd, &st)) {
		gmem->dev = st.st_dev;
		gmem->ino = st.st_ino;
	}
	if (!v6)
		kvm_get_kvm(kvm);
	return gmem;
}

int kvm_gmem_create(struct kvm *kvm, void *uargs)
{
	struct kvm_create_guest_memfd args;
	struct kvm_gmem *gmem;
	int memfd, fd;

	if (copy_from_user(&args, uargs, sizeof(args)))
		return -EFAULT;
	if (args.flags & ~kvm_gmem_get_supported_flags(kvm))
		return -EINVAL;
	if ((int64_t)args.size <= 0 || (args.size & (PAGE_SIZE - 1)))
		return -EINVAL;
	memfd = memfd_create("kvm-gmem", MFD_CLOEXEC);
	if (memfd < 0)
		return -ENOMEM;
	if (ftruncate(memfd, args.size) || !(gmem = gmem_alloc(kvm, args.size, args.flags, memfd, false))) {
		close(memfd);
		return -ENOMEM;
	}
	fd = kvmsim_install_fd(KVMSIM_FILE_GMEM, gmem);
	if (fd < 0) {
		kvm_gmem_get(gmem);
		kvm_gmem_put(gmem);
		return fd;
	}
	struct sim_ev *ev = sim_ev_begin("kvm_gmem_create");

	sim_ev_hex(ev, "size", args.size);
	sim_ev_hex(ev, "flags", args.flags);
	sim_ev_end(ev);
	return fd;
}

void kvm_gmem_get(struct kvm_gmem *gmem)
{
	gmem->refs++;
}

static void unbind_closed(struct kvm *kvm, struct kvm_memory_slot *slot,
			  uint64_t gfn_start, uint64_t gfn_end, void *opaque)
{
	kvm_mmu_zap_gfn_range(kvm, gfn_start, gfn_end, "kvm_gmem_release");
	slot->gmem = NULL;
}

/*
 * kvm_gmem_release: the last fd is gone.  Its bindings lose the file
 * (a later fault there is -EFAULT) and their SPTEs are zapped.
 */
void kvm_gmem_put(struct kvm_gmem *gmem)
{
	struct kvm *kvm = gmem->kvm;

	if (--gmem->refs)
		return;
	if (!gmem->v6)
		for_each_binding(kvm, gmem, 0, UINT64_MAX, unbind_closed, NULL);
	if (gmem->view)
		munmap(gmem->view, gmem->size);
	close(gmem->memfd);
	if (gmem->sigbus_fd >= 0)
		close(gmem->sigbus_fd);
	if (!gmem->v6)
		kvm_put_kvm(kvm);
	free(gmem);
}

static bool binding_overlaps(struct kvm *kvm, const struct kvm_gmem *gmem,
			     uint64_t start, uint64_t end)
{
	struct kvm_memslots *slots = &kvm->memslots[0];

	for (int i = 0; i < slots->nr; i++) {
		const struct kvm_memory_slot *s = slots->by_gfn[i];

		if (s->gmem == gmem && s->gmem_pgoff < end && start < s->gmem_pgoff + s->npages)
			return true;
	}
	return false;
}

int kvm_gmem_bind(struct kvm *kvm, struct kvm_memory_slot *slot, int fd, uint64_t offset)
{
	struct kvm_gmem *gmem;
	uint64_t size = slot->npages << PAGE_SHIFT, start = offset >> PAGE_SHIFT;

	if (fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	if (kvmsim_fd_kind(fd) != KVMSIM_FILE_GMEM)
		return -EINVAL;
	gmem = kvmsim_fd_obj(fd);
	if (gmem->kvm != kvm)
		return -EINVAL;
	if ((int64_t)offset < 0 || (offset & (PAGE_SIZE - 1)) || offset + size > gmem->size ||
	    offset + size < offset)
		return -EINVAL;
	if (binding_overlaps(kvm, gmem, start, start + slot->npages))
		return -EINVAL;
	slot->gmem = gmem;
	slot->gmem_pgoff = start;
	slot->gmem_only = gmem->flags & GUEST_MEMFD_FLAG_MMAP;
	return 0;
}

void kvm_gmem_unbind(struct kvm_memory_slot *slot)
{
	if (slot->gmem && slot->gmem->v6)
		kvm_gmem_put(slot->gmem);
	slot->gmem = NULL;
}

int kvm_gmem_get_pfn(struct kvm *kvm, struct kvm_memory_slot *slot, uint64_t gfn,
		     uint64_t *hva)
{
	struct kvm_gmem *gmem = slot->gmem;
	uint64_t index = gfn - slot->base_gfn + slot->gmem_pgoff;
	char *view;

	if (!gmem)
		return -EFAULT;
	view = kvm_gmem_view(gmem);
	if (!view)
		return -ENOMEM;
	*hva = (uint64_t)(uintptr_t)view + (index << PAGE_SHIFT);
	trace_gmem("kvm_gmem_get_pfn", gfn << PAGE_SHIFT, PAGE_SIZE);
	return 0;
}

/*
 * kvm_gmem_fallocate behind vfs_fallocate's generic checks: only
 * KEEP_SIZE, optionally with PUNCH_HOLE; page-aligned; allocations
 * inside the file.  A punched range is zapped before its pages go.
 */
int kvm_gmem_fallocate(struct kvm_gmem *gmem, int mode, int64_t off, int64_t len)
{
	struct sim_ev *ev;
	uint64_t start = (uint64_t)off >> PAGE_SHIFT, end = (uint64_t)(off + len) >> PAGE_SHIFT;

	if (off < 0 || len <= 0)
		return -EINVAL;
	if (!(mode & FALLOC_FL_KEEP_SIZE) ||
	    (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)))
		return -EOPNOTSUPP;
	if ((off | len) & (PAGE_SIZE - 1))
		return -EINVAL;
	if (!(mode & FALLOC_FL_PUNCH_HOLE)) {
		if ((uint64_t)(off + len) > gmem->size)
			return -EINVAL;
		return fallocate(gmem->memfd, mode, off, len) ? -errno : 0;
	}
	ev = sim_ev_begin("kvm_gmem_punch_hole");
	sim_ev_hex(ev, "offset", off);
	sim_ev_hex(ev, "len", len);
	sim_ev_end(ev);
	for_each_binding(gmem->kvm, gmem, start, end, zap_binding, "kvm_gmem_punch_hole");
	gmem->kvm->stat.gmem_discards++;
	return fallocate(gmem->memfd, mode, off, len) ? -errno : 0;
}

/*
 * kvm_gmem_mmap: only files made with GUEST_MEMFD_FLAG_MMAP, only
 * MAP_SHARED.  Without INIT_SHARED every page is private to the host
 * (kvm_gmem_fault_user_mapping: VM_FAULT_SIGBUS): the VMM gets a mapping
 * of an empty file instead, where every access is a SIGBUS too.
 */
int kvm_gmem_mmap_check(struct kvm_gmem *gmem, int flags)
{
	if (!(gmem->flags & GUEST_MEMFD_FLAG_MMAP))
		return -ENODEV;
	if ((flags & MAP_TYPE) != MAP_SHARED && (flags & MAP_TYPE) != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (gmem->flags & GUEST_MEMFD_FLAG_INIT_SHARED)
		return 0;
	if (gmem->sigbus_fd < 0)
		gmem->sigbus_fd = memfd_create("kvm-gmem-private", MFD_CLOEXEC);
	return gmem->sigbus_fd < 0 ? -ENOMEM : gmem->sigbus_fd;
}

/*
 * The VMM's mappings of guest_memfds.  A mapping holds the file, as a
 * VMA holds its struct file: closing the last fd of a mapped guest_memfd
 * does not release it (nor unbind its slots) until the mapping is gone.
 */
struct gmem_vma {
	uint64_t start, end;
	struct kvm_gmem *gmem;
};

static struct gmem_vma *gmem_vmas;
static int nr_gmem_vmas, cap_gmem_vmas;

void kvm_gmem_vma_add(struct kvm_gmem *gmem, uint64_t start, uint64_t len)
{
	if (nr_gmem_vmas == cap_gmem_vmas) {
		int cap = cap_gmem_vmas ? 2 * cap_gmem_vmas : 8;
		void *p = realloc(gmem_vmas, cap * sizeof(*gmem_vmas));

		if (!p)
			return;	/* untracked: released at the last close, as before */
		gmem_vmas = p;
		cap_gmem_vmas = cap;
	}
	kvm_gmem_get(gmem);
	gmem_vmas[nr_gmem_vmas++] = (struct gmem_vma){ start, start + len, gmem };
}

/* [start, start + len) is unmapped: trim, split or drop the mappings there. */
void kvm_gmem_vma_gone(uint64_t start, uint64_t len)
{
	uint64_t end = start + len;

	for (int i = 0; i < nr_gmem_vmas; i++) {
		struct gmem_vma *v = &gmem_vmas[i];
		struct kvm_gmem *gmem = v->gmem;

		if (v->end <= start || v->start >= end)
			continue;
		if (v->start < start && v->end > end) {
			uint64_t tail = v->end;

			v->end = start;
			kvm_gmem_vma_add(gmem, end, tail - end);
		} else if (v->start < start) {
			v->end = start;
		} else if (v->end > end) {
			v->start = end;
		} else {
			*v = gmem_vmas[--nr_gmem_vmas];
			i--;
			kvm_gmem_put(gmem);
		}
	}
}

/* ---- memory attributes ---- */

uint64_t kvm_supported_mem_attributes(const struct kvm *kvm)
{
	if (!kvm || kvm_arch_has_private_mem(kvm))
		return KVM_MEMORY_ATTRIBUTE_PRIVATE;
	return 0;
}

static bool attrs_test(const struct kvm_mem_attrs *a, uint64_t gfn)
{
	int lo = 0, hi = a->nr;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (a->r[mid].end <= gfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < a->nr && a->r[lo].start <= gfn;
}

/* kvm_range_has_memory_attributes: every gfn of [start, end) is (not) private. */
static bool attrs_range_is(const struct kvm_mem_attrs *a, uint64_t start, uint64_t end,
			   bool private)
{
	for (int i = 0; i < a->nr; i++) {
		if (a->r[i].end <= start || a->r[i].start >= end)
			continue;
		if (!private)
			return false;
		if (a->r[i].start <= start && a->r[i].end >= end)
			return true;
		return false;
	}
	return !private;
}

static int attrs_reserve(struct kvm_mem_attrs *a, int more)
{
	void *p;

	if (a->nr + more <= a->cap)
		return 0;
	p = realloc(a->r, (a->nr + more + 8) * sizeof(a->r[0]));
	if (!p)
		return -ENOMEM;
	a->r = p;
	a->cap = a->nr + more + 8;
	return 0;
}

/* Make [start, end) private or shared: cut it out, then add it back merged. */
static int attrs_set(struct kvm_mem_attrs *a, uint64_t start, uint64_t end, bool private)
{
	int i = 0, r = attrs_reserve(a, 2);

	if (r)
		return r;
	while (i < a->nr) {
		uint64_t s = a->r[i].start, e = a->r[i].end;

		if (e <= start || s >= end) {
			i++;
			continue;
		}
		if (s < start && e > end) {
			memmove(&a->r[i + 1], &a->r[i], (a->nr - i) * sizeof(a->r[0]));
			a->nr++;
			a->r[i].end = start;
			a->r[i + 1].start = end;
			break;
		}
		if (s < start) {
			a->r[i++].end = start;
		} else if (e > end) {
			a->r[i++].start = end;
		} else {
			memmove(&a->r[i], &a->r[i + 1], (a->nr - i - 1) * sizeof(a->r[0]));
			a->nr--;
		}
	}
	if (!private)
		return 0;
	for (i = 0; i < a->nr && a->r[i].start < start; i++)
		;
	memmove(&a->r[i + 1], &a->r[i], (a->nr - i) * sizeof(a->r[0]));
	a->r[i].start = start;
	a->r[i].end = end;
	a->nr++;
	if (i + 1 < a->nr && a->r[i + 1].start == end) {
		a->r[i].end = a->r[i + 1].end;
		memmove(&a->r[i + 1], &a->r[i + 2], (a->nr - i - 2) * sizeof(a->r[0]));
		a->nr--;
	}
	if (i > 0 && a->r[i - 1].end == start) {
		a->r[i - 1].end = a->r[i].end;
		memmove(&a->r[i], &a->r[i + 1], (a->nr - i - 1) * sizeof(a->r[0]));
		a->nr--;
	}
	return 0;
}

uint64_t kvm_get_memory_attributes(struct kvm *kvm, uint64_t gfn)
{
	return attrs_test(&kvm->mem_attrs, gfn) ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0;
}

/* PRIVATE is the only attribute: a mask without it matches any range. */
bool kvm_range_has_memory_attributes(struct kvm *kvm, uint64_t start, uint64_t end,
				     uint64_t mask, uint64_t attrs)
{
	if (!(mask & KVM_MEMORY_ATTRIBUTE_PRIVATE))
		return true;
	return attrs_range_is(&kvm->mem_attrs, start, end,
			      attrs & KVM_MEMORY_ATTRIBUTE_PRIVATE);
}

void kvm_mem_attrs_free(struct kvm *kvm)
{
	free(kvm->mem_attrs.r);
	memset(&kvm->mem_attrs, 0, sizeof(kvm->mem_attrs));
}

/*
 * kvm_vm_set_mem_attributes: nothing to do if the range already has
 * them; else zap what the memslots map there (kvm_arch_pre_set_memory_
 * attributes, bumping the invalidation sequence), then record.
 */
static int kvm_vm_set_mem_attributes(struct kvm *kvm, uint64_t start, uint64_t end,
				     uint64_t attributes)
{
	bool private = attributes & KVM_MEMORY_ATTRIBUTE_PRIVATE;
	struct kvm_memslots *slots = &kvm->memslots[0];
	struct sim_ev *ev;

	if (kvm_range_has_memory_attributes(kvm, start, end, ~0ull, attributes))
		return 0;
	ev = sim_ev_begin("kvm_vm_set_mem_attributes");
	sim_ev_hex(ev, "gpa", start << PAGE_SHIFT);
	sim_ev_hex(ev, "size", (end - start) << PAGE_SHIFT);
	sim_ev_bool(ev, "private", private);
	sim_ev_end(ev);
	for (int i = 0; i < slots->nr; i++) {
		struct kvm_memory_slot *s = slots->by_gfn[i];
		uint64_t lo = start > s->base_gfn ? start : s->base_gfn;
		uint64_t hi = end < s->base_gfn + s->npages ? end : s->base_gfn + s->npages;

		if (lo < hi)
			kvm_mmu_zap_gfn_range(kvm, lo, hi, "kvm_arch_pre_set_memory_attributes");
	}
	kvm->stat.attr_updates++;
	return attrs_set(&kvm->mem_attrs, start, end, private);
}

int kvm_vm_ioctl_set_mem_attributes(struct kvm *kvm, void *uattrs)
{
	struct kvm_memory_attributes attrs;

	if (copy_from_user(&attrs, uattrs, sizeof(attrs)))
		return -EFAULT;
	if (attrs.flags)
		return -EINVAL;
	if (attrs.attributes & ~kvm_supported_mem_attributes(kvm))
		return -EINVAL;
	if (!attrs.size || attrs.address + attrs.size < attrs.address)
		return -EINVAL;
	if ((attrs.address | attrs.size) & (PAGE_SIZE - 1))
		return -EINVAL;
	return kvm_vm_set_mem_attributes(kvm, attrs.address >> PAGE_SHIFT,
					 (attrs.address + attrs.size) >> PAGE_SHIFT,
					 attrs.attributes);
}

/* ---- private-v6 ---- */

/* The fd's page for gfn is populated (in the page cache): mincore on the view. */
static bool private_fd_populated(struct kvm_memory_slot *slot, uint64_t gfn)
{
	char *view = slot->gmem ? kvm_gmem_view(slot->gmem) : NULL;
	unsigned char vec = 0;

	if (!view)
		return false;
	if (mincore(view + ((gfn - slot->base_gfn) << PAGE_SHIFT), PAGE_SIZE, &vec))
		return false;
	return vec & 1;
}

bool kvm_mem_is_private(struct kvm *kvm, uint64_t gfn)
{
	struct kvm_memory_slot *slot;

	if (!kvm_rule_on(RULE_PRIVATE_FD))
		return attrs_test(&kvm->mem_attrs, gfn);
	slot = gfn_to_memslot(kvm, gfn);
	return slot && (slot->flags & KVM_MEM_PRIVATE) && private_fd_populated(slot, gfn);
}

/*
 * The v6 slot keeps its own dup of private_fd and a view of the slot's
 * range of it, from private_offset.
 */
int kvm_private_fd_bind(struct kvm *kvm, struct kvm_memory_slot *slot, int fd,
			uint64_t offset)
{
	struct kvm_gmem *gmem;
	int memfd;

	if (fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	if (kvmsim_fd_kind(fd) != KVMSIM_FILE_NONE || (offset & (PAGE_SIZE - 1)))
		return -EINVAL;
	memfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (memfd < 0)
		return -EMFILE;
	gmem = gmem_alloc(kvm, slot->npages << PAGE_SHIFT, 0, memfd, true);
	if (!gmem) {
		close(memfd);
		return -ENOMEM;
	}
	gmem->refs = 1;
	gmem->view_off = offset;
	slot->gmem = gmem;
	slot->gmem_pgoff = 0;
	return 0;
}

struct v6_change {
	struct kvm_gmem key;	/* the file (dev, ino) and the range changed */
	bool punch;
	bool hit;		/* a bound page of this VM changed */
};

static void v6_zap(struct kvm *kvm, struct kvm_memory_slot *slot,
		   uint64_t gfn_start, uint64_t gfn_end, void *opaque)
{
	struct v6_change *c = opaque;

	kvm_mmu_zap_gfn_range(kvm, gfn_start, gfn_end, c->punch ?
			      "memfile_notifier_invalidate" : "memfile_notifier_populate");
	c->hit = true;
}

/* Zap what the change touched in this VM; count the call once per VM. */
static int private_fd_changed_vm(struct kvm *kvm, void *opaque)
{
	struct v6_change *c = opaque;
	uint64_t end = c->key.view_off + c->key.size;

	c->hit = false;
	for_each_binding(kvm, &c->key, c->key.view_off >> PAGE_SHIFT,
			 (end + PAGE_SIZE - 1) >> PAGE_SHIFT, v6_zap, c);
	if (c->hit && c->punch)
		kvm->stat.gmem_discards++;
	else if (c->hit)
		kvm->stat.gmem_allocs++;
	return 0;
}

/*
 * The series' memfile notifier: a punched hole makes the gfns shared, an
 * allocation makes them private; either way the old mapping is stale.
 */
void kvm_private_fd_fallocate(int fd, int mode, uint64_t off, uint64_t len)
{
	struct v6_change c = { .punch = mode & FALLOC_FL_PUNCH_HOLE };
	struct stat st;

	if (!kvm_rule_on(RULE_PRIVATE_FD) || fstat(fd, &st))
		return;
	c.key.v6 = true;
	c.key.dev = st.st_dev;
	c.key.ino = st.st_ino;
	c.key.view_off = off;
	c.key.size = len;
	kvm_for_each_vm(private_fd_changed_vm, &c);
}
