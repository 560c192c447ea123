// SPDX-License-Identifier: MIT
/*
 * Memslots: validation and change kinds as virt/kvm/kvm_main.c's
 * __kvm_set_memory_region, lookups as search_memslots.  The backing bytes
 * are the VMM's own memory at userspace_addr; nothing is copied.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvm-model/fault_inject.h"
#include "kvm-model/kvm_arch.h"
#include "kvm-model/kvm_host.h"
#include "kvm-model/kvm_mmu.h"
#include "kvm-model/profile.h"
#include "kvm-model/userfaultfd.h"

#define KVM_MEM_MAX_NR_PAGES	((1ull << 31) - 1)
/* x86-64's TASK_SIZE_MAX: the highest user address + 1 */
#define TASK_SIZE_MAX		((1ull << 47) - PAGE_SIZE)
#define V1_FLAGS		(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY)

/* Flags the profile's proposals add to KVM_MEM_LOG_DIRTY_PAGES | READONLY. */
uint32_t kvm_profile_memslot_flags(void)
{
	uint32_t flags = 0;

	if (kvm_rule_on(RULE_ABSENT_MAPPING_FAULT))
		flags |= KVM_MEM_ABSENT_MAPPING_FAULT;
	if (kvm_rule_on(RULE_EXIT_ON_MISSING))
		flags |= KVM_MEM_EXIT_ON_MISSING;
	if (kvm_rule_on(RULE_USERFAULT))
		flags |= KVM_MEM_USERFAULT;
	return flags;
}

/*
 * KVM_MEM_GUEST_MEMFD (or, private-v6, KVM_MEM_PRIVATE: the same bit)
 * excludes dirty logging; guest_memfd also excludes READONLY (a write
 * there would be emulated MMIO, which private memory cannot be).
 */
static bool memslot_flag_is_gmem(void)
{
	/* rfc-2023-v2 predates guest_memfd: its bit 2 is ABSENT_MAPPING_FAULT */
	return !kvm_rule_on(RULE_ABSENT_MAPPING_FAULT);
}

static int check_memory_region_flags(const struct kvm_userspace_memory_region2 *mem)
{
	uint32_t valid_flags = KVM_MEM_LOG_DIRTY_PAGES | kvm_profile_memslot_flags();

	if (!memslot_flag_is_gmem())
		return mem->flags & ~(valid_flags | KVM_MEM_READONLY) ? -EINVAL : 0;
	valid_flags |= KVM_MEM_GUEST_MEMFD;
	if (mem->flags & KVM_MEM_GUEST_MEMFD)
		valid_flags &= ~KVM_MEM_LOG_DIRTY_PAGES;
	if (!(mem->flags & KVM_MEM_GUEST_MEMFD) || kvm_rule_on(RULE_PRIVATE_FD))
		valid_flags |= KVM_MEM_READONLY;
	if (mem->flags & ~valid_flags)
		return -EINVAL;
	if ((mem->flags & KVM_MEM_GUEST_MEMFD) &&
	    ((mem->guest_memfd_offset & (PAGE_SIZE - 1)) ||
	     mem->guest_memfd_offset + mem->memory_size < mem->guest_memfd_offset))
		return -EINVAL;
	return 0;
}

/* guest_memfd's bindings are fixed: such a slot can only be deleted. */
static bool gmem_slot_immutable(const struct kvm_userspace_memory_region2 *mem,
				const struct kvm_memory_slot *old)
{
	if (kvm_rule_on(RULE_PRIVATE_FD) || !memslot_flag_is_gmem())
		return false;
	return (mem->flags | old->flags) & KVM_MEM_GUEST_MEMFD;
}

static int kvm_bind_private(struct kvm *kvm, struct kvm_memory_slot *new,
			    const struct kvm_userspace_memory_region2 *mem)
{
	if (!(mem->flags & KVM_MEM_GUEST_MEMFD) || !memslot_flag_is_gmem())
		return 0;
	if (kvm_rule_on(RULE_PRIVATE_FD))
		return kvm_private_fd_bind(kvm, new, (int)mem->guest_memfd,
					   mem->guest_memfd_offset);
	return kvm_gmem_bind(kvm, new, (int)mem->guest_memfd, mem->guest_memfd_offset);
}

static bool access_ok(uint64_t addr, uint64_t size)
{
	return size <= TASK_SIZE_MAX && addr <= TASK_SIZE_MAX - size;
}

uint64_t gfn_to_hva_memslot(const struct kvm_memory_slot *slot, uint64_t gfn)
{
	return slot->userspace_addr + ((gfn - slot->base_gfn) << PAGE_SHIFT);
}

/* Index of the first slot whose base_gfn is > gfn. */
static int upper_bound(const struct kvm_memslots *slots, uint64_t gfn)
{
	int lo = 0, hi = slots->nr;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (slots->by_gfn[mid]->base_gfn <= gfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct kvm_memory_slot *search_memslots(struct kvm_memslots *slots,
					       uint64_t gfn)
{
	int i = upper_bound(slots, gfn) - 1;
	struct kvm_memory_slot *s;

	if (i < 0)
		return NULL;
	s = slots->by_gfn[i];
	return gfn < s->base_gfn + s->npages ? s : NULL;
}

struct kvm_memory_slot *gfn_to_memslot(struct kvm *kvm, uint64_t gfn)
{
	/* vCPUs run outside SMM, so only address space 0 is ever used */
	return search_memslots(&kvm->memslots[0], gfn);
}

static bool kvm_check_memslot_overlap(struct kvm_memslots *slots, int id,
				      uint64_t start, uint64_t end)
{
	for (int i = 0; i < slots->nr; i++) {
		struct kvm_memory_slot *s = slots->by_gfn[i];

		if (s->id == id)
			continue;
		if (s->base_gfn >= end)
			break;
		if (s->base_gfn + s->npages > start)
			return true;
	}
	return false;
}

static void by_gfn_remove(struct kvm_memslots *slots, struct kvm_memory_slot *s)
{
	for (int i = 0; i < slots->nr; i++) {
		if (slots->by_gfn[i] != s)
			continue;
		memmove(&slots->by_gfn[i], &slots->by_gfn[i + 1],
			(slots->nr - i - 1) * sizeof(slots->by_gfn[0]));
		slots->nr--;
		return;
	}
}

static int by_gfn_insert(struct kvm_memslots *slots, struct kvm_memory_slot *s)
{
	int pos;

	if (slots->nr == slots->cap) {
		int cap = slots->cap ? slots->cap * 2 : 16;
		void *p = realloc(slots->by_gfn, cap * sizeof(slots->by_gfn[0]));

		if (!p)
			return -ENOMEM;
		slots->by_gfn = p;
		slots->cap = cap;
	}
	pos = upper_bound(slots, s->base_gfn);
	memmove(&slots->by_gfn[pos + 1], &slots->by_gfn[pos],
		(slots->nr - pos) * sizeof(slots->by_gfn[0]));
	slots->by_gfn[pos] = s;
	slots->nr++;
	return 0;
}

static const char *const mr_change_names[] = {
	[KVM_MR_CREATE] = "create", [KVM_MR_DELETE] = "delete",
	[KVM_MR_MOVE] = "move", [KVM_MR_FLAGS_ONLY] = "flags_only",
};

static void trace_set_memslot(const struct kvm_memory_slot *s, enum kvm_mr_change change)
{
	struct sim_ev *ev = sim_ev_begin("kvm_set_memslot");

	sim_ev_str(ev, "change", mr_change_names[change]);
	sim_ev_int(ev, "as_id", s->as_id);
	sim_ev_int(ev, "slot", s->id);
	sim_ev_hex(ev, "gpa", s->base_gfn << PAGE_SHIFT);
	sim_ev_hex(ev, "size", s->npages << PAGE_SHIFT);
	sim_ev_hex(ev, "flags", s->flags);
	sim_ev_end(ev);
}

/* kvm_alloc_dirty_bitmap; with INITIALLY_SET every page starts dirty. */
static int alloc_dirty_bitmap(struct kvm *kvm, struct kvm_memory_slot *s)
{
	size_t longs = (s->npages + 63) / 64;

	s->dirty_bitmap = calloc(longs ? longs : 1, sizeof(unsigned long));
	if (!s->dirty_bitmap)
		return -ENOMEM;
	if (kvm_dirty_log_manual_protect_and_init_set(kvm))
		for (uint64_t i = 0; i < s->npages; i++)
			s->dirty_bitmap[i / 64] |= 1ul << (i % 64);
	return 0;
}

/*
 * Apply a validated change.  Any change but CREATE makes the old range's
 * stage-2 entries invalid (kvm_arch_flush_shadow_memslot / the slot's flags
 * changed the allowed levels), so zap them and bump the invalidation
 * sequence, as kvm_set_memslot does.
 */
static int kvm_set_memslot(struct kvm *kvm, struct kvm_memslots *slots,
			   struct kvm_memory_slot *old, struct kvm_memory_slot *new,
			   enum kvm_mr_change change)
{
	int r;

	/*
	 * kvm_swap_active_memslots: no MMU-notifier call may be open (it
	 * found its gfns in the old slots), no vCPU may still use them.
	 */
	while (kvm->mn_active_invalidate_count)
		sim_wait(&kvm->mmu_invalidate_wq);
	synchronize_srcu_expedited(kvm);
	kvm->stat.memslot_updates++;
	if ((change == KVM_MR_DELETE || change == KVM_MR_MOVE) && old->as_id == 0)
		kvm_mmu_zap_gfn_range(kvm, old->base_gfn, old->base_gfn + old->npages,
				      "kvm_arch_flush_shadow_memslot");
	if (change == KVM_MR_FLAGS_ONLY && old->as_id == 0) {
		if (kvm_arch()->slot_apply_flags)
			kvm_arch()->slot_apply_flags(kvm, old, new->flags);
		else
			kvm_mmu_slot_apply_flags(kvm, old, new->flags);
	}
	kvm->mmu_invalidate_seq++;

	switch (change) {
	case KVM_MR_DELETE:
		trace_set_memslot(old, change);
		by_gfn_remove(slots, old);
		slots->id_table[old->id] = NULL;
		kvm_gmem_unbind(old);
		free(old->dirty_bitmap);
		free(old);
		return 0;
	case KVM_MR_CREATE:
		r = by_gfn_insert(slots, new);
		if (r)
			return r;
		slots->id_table[new->id] = new;
		trace_set_memslot(new, change);
		return 0;
	case KVM_MR_MOVE:
		by_gfn_remove(slots, old);
		old->base_gfn = new->base_gfn;
		old->flags = new->flags;
		free(new);
		trace_set_memslot(old, change);
		return by_gfn_insert(slots, old);
	case KVM_MR_FLAGS_ONLY:
		old->flags = new->flags;
		old->userfault_bitmap = new->userfault_bitmap;
		free(new);
		trace_set_memslot(old, change);
		return 0;
	}
	return -EINVAL;
}

static int prepare_dirty_bitmap(struct kvm *kvm, struct kvm_memory_slot *old,
				struct kvm_memory_slot *new)
{
	if (!(new->flags & KVM_MEM_LOG_DIRTY_PAGES))
		return 0;
	if (old && old->dirty_bitmap)
		return 0;
	return alloc_dirty_bitmap(kvm, old ? old : new);
}

static void drop_dirty_bitmap(struct kvm_memory_slot *old, uint32_t new_flags)
{
	if (old && !(new_flags & KVM_MEM_LOG_DIRTY_PAGES)) {
		free(old->dirty_bitmap);
		old->dirty_bitmap = NULL;
	}
}

static int validate_region(const struct kvm_userspace_memory_region2 *mem)
{
	int r = check_memory_region_flags(mem);

	if (r)
		return r;
	if (mem->memory_size & (PAGE_SIZE - 1))
		return -EINVAL;
	if (mem->guest_phys_addr & (PAGE_SIZE - 1))
		return -EINVAL;
	if ((mem->userspace_addr & (PAGE_SIZE - 1)) ||
	    !access_ok(mem->userspace_addr, mem->memory_size))
		return -EINVAL;
	if ((mem->slot >> 16) >= KVM_ADDRESS_SPACE_NUM)
		return -EINVAL;
	if (mem->guest_phys_addr + mem->memory_size < mem->guest_phys_addr)
		return -EINVAL;
	if ((mem->memory_size >> PAGE_SHIFT) > KVM_MEM_MAX_NR_PAGES)
		return -EINVAL;
	return 0;
}

/* Mirrors kvm_vm_ioctl_set_memory_region + __kvm_set_memory_region. */
int kvm_set_memory_region(struct kvm *kvm,
			  const struct kvm_userspace_memory_region2 *mem)
{
	uint16_t as_id = mem->slot >> 16, id = (uint16_t)mem->slot;
	struct kvm_memslots *slots;
	struct kvm_memory_slot *old, *new;
	enum kvm_mr_change change;
	uint64_t base_gfn, npages;
	int r;

	if (id >= KVM_USER_MEM_SLOTS)
		return -EINVAL;
	r = validate_region(mem);
	if (r)
		return r;

	slots = &kvm->memslots[as_id];
	old = slots->id_table[id];
	if (!mem->memory_size) {
		if (!old)
			return -EINVAL;
		return kvm_set_memslot(kvm, slots, old, NULL, KVM_MR_DELETE);
	}

	base_gfn = mem->guest_phys_addr >> PAGE_SHIFT;
	npages = mem->memory_size >> PAGE_SHIFT;
	if (!old) {
		change = KVM_MR_CREATE;
	} else {
		if (gmem_slot_immutable(mem, old))
			return -EINVAL;
		if (mem->userspace_addr != old->userspace_addr ||
		    npages != old->npages ||
		    ((mem->flags ^ old->flags) & KVM_MEM_READONLY))
			return -EINVAL;
		if (base_gfn != old->base_gfn)
			change = KVM_MR_MOVE;
		else if (mem->flags != old->flags ||
			 ((mem->flags & KVM_MEM_USERFAULT) && kvm_rule_on(RULE_USERFAULT) &&
			  mem->pad2[0] != old->userfault_bitmap))
			change = KVM_MR_FLAGS_ONLY;
		else
			return 0;
	}
	if ((change == KVM_MR_CREATE || change == KVM_MR_MOVE) &&
	    kvm_check_memslot_overlap(slots, id, base_gfn, base_gfn + npages))
		return -EEXIST;
	/* kvm_arch_prepare_memory_region: arm64 refuses IPAs past its size */
	if (kvm_arch()->prepare_memory_region && change != KVM_MR_FLAGS_ONLY) {
		r = kvm_arch()->prepare_memory_region(kvm, base_gfn, npages);
		if (r)
			return r;
	}

	new = sim_inject(FAIL_MEMSLOT_ALLOC) ? NULL : calloc(1, sizeof(*new));
	if (!new)
		return -ENOMEM;
	*new = (struct kvm_memory_slot) {
		.id = id, .as_id = as_id, .base_gfn = base_gfn,
		.npages = npages, .userspace_addr = mem->userspace_addr,
		.flags = mem->flags,
		/* userfault-v3: region2.userfault_bitmap takes pad2[0] */
		.userfault_bitmap = (mem->flags & KVM_MEM_USERFAULT) &&
				    kvm_rule_on(RULE_USERFAULT) ? mem->pad2[0] : 0,
	};
	r = change == KVM_MR_CREATE ? kvm_bind_private(kvm, new, mem) : 0;
	if (!r)
		r = prepare_dirty_bitmap(kvm, old, new);
	if (r) {
		kvm_gmem_unbind(new);
		free(new);
		return r;
	}
	drop_dirty_bitmap(old, new->flags);
	return kvm_set_memslot(kvm, slots, old, new, change);
}

static int hva_to_gpa_vm(struct kvm *kvm, void *opaque)
{
	uint64_t *io = opaque;	/* in: hva; out: gpa */
	struct kvm_memslots *slots = &kvm->memslots[0];

	for (int i = 0; i < slots->nr; i++) {
		struct kvm_memory_slot *s = slots->by_gfn[i];

		if (io[0] >= s->userspace_addr &&
		    io[0] - s->userspace_addr < (s->npages << PAGE_SHIFT)) {
			io[1] = (s->base_gfn << PAGE_SHIFT) + (io[0] - s->userspace_addr);
			return 1;
		}
	}
	return 0;
}

/* The gpa the first memslot mapping hva gives it (traces name gpas, not hvas). */
bool kvm_hva_to_gpa(uint64_t hva, uint64_t *gpa)
{
	uint64_t io[2] = { hva, 0 };

	if (!kvm_for_each_vm(hva_to_gpa_vm, io))
		return false;
	*gpa = io[1];
	return true;
}

void kvm_free_memslots(struct kvm *kvm)
{
	for (int as = 0; as < KVM_ADDRESS_SPACE_NUM; as++) {
		struct kvm_memslots *slots = &kvm->memslots[as];

		for (int i = 0; i < slots->nr; i++) {
			kvm_gmem_unbind(slots->by_gfn[i]);
			free(slots->by_gfn[i]->dirty_bitmap);
			slots->id_table[slots->by_gfn[i]->id] = NULL;
			free(slots->by_gfn[i]);
		}
		free(slots->by_gfn);
		/*
		 * Not a memset of the 256 KiB id table: in an explore run every
		 * page of it written is a copy-on-write fault.
		 */
		slots->by_gfn = NULL;
		slots->nr = slots->cap = 0;
	}
}
