// SPDX-License-Identifier: MIT
/*
 * Dirty logging, mirroring virt/kvm/kvm_main.c: kvm_get_dirty_log_protect,
 * kvm_clear_dirty_log_protect and KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2.
 *
 * A page is logged when a writable SPTE is installed for it (the write
 * fault in kvm_tdp_mmu_map; read faults on a logged slot map read-only,
 * as this host's KVM does: tests/vmm/vmm-dirty-log phase 3).  So
 * handing a bit back to userspace must write-protect the page again
 * (kvm_arch_mmu_enable_log_dirty_pt_masked), and the vCPUs' Unicorn
 * mappings of it must go, or the next write would not come back to
 * the model.  Writes kvmsim makes for the guest (A/D bits in guest page
 * tables, exception frames) go through kvm_vcpu_gpa_to_hva and take the
 * same write fault.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvm-model/kvm_host.h"
#include "kvm-model/kvm_mmu.h"

#define BITS_PER_LONG	64
#define KVM_DIRTY_LOG_MANUAL_CAPS \
	(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET)

bool kvm_dirty_log_manual_protect_and_init_set(const struct kvm *kvm)
{
	return kvm->manual_dirty_log_protect & KVM_DIRTY_LOG_INITIALLY_SET;
}

void mark_page_dirty_in_slot(struct kvm_memory_slot *slot, uint64_t gfn)
{
	uint64_t rel = gfn - slot->base_gfn;

	if (slot->dirty_bitmap)
		slot->dirty_bitmap[rel / BITS_PER_LONG] |= 1ul << (rel % BITS_PER_LONG);
}

void mark_page_dirty(struct kvm *kvm, uint64_t gfn)
{
	struct kvm_memory_slot *slot = gfn_to_memslot(kvm, gfn);

	if (slot)
		mark_page_dirty_in_slot(slot, gfn);
}

/* kvm_dirty_bitmap_bytes: whole longs, as userspace's buffer is sized. */
static size_t kvm_dirty_bitmap_bytes(const struct kvm_memory_slot *slot)
{
	return (slot->npages + BITS_PER_LONG - 1) / BITS_PER_LONG * sizeof(long);
}

/*
 * Write-protect the pages of mask (bit i = page offset + i of the slot),
 * one run of set bits at a time.  The vCPUs' translations go afterwards,
 * once per ioctl (kvm_flush_remote_tlbs_memslot), as in KVM: a flush per
 * run made KVM_GET_DIRTY_LOG of a randomly written 1 GiB slot thousands
 * of whole-TLB flushes (dirty_log_test).
 */
static void kvm_arch_mmu_enable_log_dirty_pt_masked(struct kvm *kvm,
						     struct kvm_memory_slot *slot,
						     uint64_t offset, unsigned long mask)
{
	while (mask) {
		int lo = __builtin_ctzl(mask);
		int hi = lo;

		while (hi < BITS_PER_LONG && (mask & (1ul << hi)))
			hi++;
		uint64_t start = slot->base_gfn + offset + lo;
		uint64_t end = slot->base_gfn + offset + hi;

		kvm->stat.dirty_wrprots += tdp_write_protect_range(kvm->tdp, start, end);
		mask = hi < BITS_PER_LONG ? mask & ~((1ul << hi) - 1) : 0;
	}
}

/* Drop every vCPU's translations of the slot's pages. */
static void kvm_flush_remote_tlbs_memslot(struct kvm *kvm, const struct kvm_memory_slot *slot)
{
	for (int i = 0; i < kvm->nr_vcpus; i++)
		kvm_arch_vcpu_flush_gfns(kvm->vcpus[i], slot->base_gfn,
					 slot->base_gfn + slot->npages);
}

/* id_to_memslot with kvm_get_dirty_log_protect's checks: 0 or -errno. */
static int dirty_log_slot(struct kvm *kvm, uint32_t slot_arg,
			  struct kvm_memory_slot **slot)
{
	uint16_t as_id = slot_arg >> 16, id = (uint16_t)slot_arg;

	if (as_id >= KVM_ADDRESS_SPACE_NUM || id >= KVM_USER_MEM_SLOTS)
		return -EINVAL;
	*slot = kvm->memslots[as_id].id_table[id];
	if (!*slot || !(*slot)->dirty_bitmap)
		return -ENOENT;
	return 0;
}

static void trace_dirty_log(const char *event, const struct kvm_memory_slot *slot,
			    uint64_t first, uint64_t pages, uint64_t dirty)
{
	struct sim_ev *ev = sim_ev_begin(event);

	sim_ev_int(ev, "slot", slot->id);
	sim_ev_hex(ev, "gpa", (slot->base_gfn + first) << PAGE_SHIFT);
	sim_ev_int(ev, "pages", (int64_t)pages);
	sim_ev_int(ev, "dirty", (int64_t)dirty);
	sim_ev_end(ev);
}

/*
 * Without manual protect: hand the bitmap over, clear it and re-protect
 * what it held.  With it: only copy; KVM_CLEAR_DIRTY_LOG re-protects.
 */
static int kvm_get_dirty_log_protect(struct kvm *kvm, struct kvm_dirty_log *log)
{
	struct kvm_memory_slot *slot;
	unsigned long *buf;
	size_t n, longs;
	uint64_t dirty = 0;
	bool flush = false;
	int r = dirty_log_slot(kvm, log->slot, &slot);

	if (r)
		return r;
	n = kvm_dirty_bitmap_bytes(slot);
	longs = n / sizeof(long);
	buf = calloc(longs, sizeof(long));
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < longs; i++) {
		buf[i] = slot->dirty_bitmap[i];
		dirty += __builtin_popcountl(buf[i]);
		if (kvm->manual_dirty_log_protect || !buf[i])
			continue;
		slot->dirty_bitmap[i] = 0;
		kvm_arch_mmu_enable_log_dirty_pt_masked(kvm, slot, i * BITS_PER_LONG, buf[i]);
		flush = true;
	}
	if (flush)
		kvm_flush_remote_tlbs_memslot(kvm, slot);
	trace_dirty_log("kvm_get_dirty_log_protect", slot, 0, slot->npages, dirty);
	r = copy_to_user(log->dirty_bitmap, buf, n);
	free(buf);
	return r;
}

int kvm_vm_ioctl_get_dirty_log(struct kvm *kvm, void *ulog)
{
	struct kvm_dirty_log log;

	if (copy_from_user(&log, ulog, sizeof(log)))
		return -EFAULT;
	return kvm_get_dirty_log_protect(kvm, &log);
}

/*
 * first_page must be 64-aligned, and num_pages a multiple of 64 unless
 * the range reaches the end of the slot.  Bits set in userspace's
 * bitmap are cleared in the log and those pages re-protected.
 */
static int kvm_clear_dirty_log_protect(struct kvm *kvm, struct kvm_clear_dirty_log *log)
{
	struct kvm_memory_slot *slot;
	unsigned long *buf;
	size_t longs;
	uint64_t cleared = 0;
	int r;

	if (log->slot >> 16 >= KVM_ADDRESS_SPACE_NUM ||
	    (uint16_t)log->slot >= KVM_USER_MEM_SLOTS)
		return -EINVAL;
	if (log->first_page & 63)
		return -EINVAL;
	r = dirty_log_slot(kvm, log->slot, &slot);
	if (r)
		return r;
	if (log->first_page > slot->npages ||
	    log->num_pages > slot->npages - log->first_page ||
	    (log->num_pages < slot->npages - log->first_page && (log->num_pages & 63)))
		return -EINVAL;
	longs = (log->num_pages + BITS_PER_LONG - 1) / BITS_PER_LONG;
	buf = calloc(longs ? longs : 1, sizeof(long));
	if (!buf)
		return -ENOMEM;
	if (copy_from_user(buf, log->dirty_bitmap, longs * sizeof(long))) {
		free(buf);
		return -EFAULT;
	}
	for (size_t i = 0; i < longs; i++) {
		uint64_t offset = log->first_page + i * BITS_PER_LONG;
		unsigned long *p = &slot->dirty_bitmap[offset / BITS_PER_LONG];
		unsigned long mask = buf[i] & *p;	/* the bits really cleared */

		if (!mask)
			continue;
		*p &= ~mask;
		cleared += __builtin_popcountl(mask);
		kvm_arch_mmu_enable_log_dirty_pt_masked(kvm, slot, offset, mask);
	}
	if (cleared)
		kvm_flush_remote_tlbs_memslot(kvm, slot);
	free(buf);
	trace_dirty_log("kvm_clear_dirty_log_protect", slot, log->first_page,
			log->num_pages, cleared);
	return 0;
}

int kvm_vm_ioctl_clear_dirty_log(struct kvm *kvm, void *ulog)
{
	struct kvm_clear_dirty_log log;

	if (copy_from_user(&log, ulog, sizeof(log)))
		return -EFAULT;
	return kvm_clear_dirty_log_protect(kvm, &log);
}

/* KVM_ENABLE_CAP(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2): INITIALLY_SET needs ENABLE. */
int kvm_vm_ioctl_enable_dirty_log_protect(struct kvm *kvm, uint64_t flags)
{
	uint64_t allowed = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;

	if (flags & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE)
		allowed = KVM_DIRTY_LOG_MANUAL_CAPS;
	if (flags & ~allowed)
		return -EINVAL;
	kvm->manual_dirty_log_protect = flags;
	return 0;
}
