// SPDX-License-Identifier: MIT
/*
 * Runtime setup from the environment (see README, "Environment"):
 *   KVMSIM_SEED     run seed (default 0)
 *   KVMSIM_TRACE    JSON Lines trace file
 *   KVMSIM_EXPLAIN  "1" narrates the fault path on stderr, or a file name
 *   KVMSIM_HASH     "1" prints the trace hash on stderr at exit
 *   KVMSIM_STATS    "1" prints each VM's fault-path counters on stderr
 *   KVMSIM_QUANTUM  guest instructions per scheduling quantum
 *   KVMSIM=off      pass every call through to the real kernel
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kvm-model/explain.h"
#include "kvm-model/kvm_host.h"
#include "kvm-model/kvm_mmu.h"
#include "kvm-model/kvmsim.h"
#include "mmu-model/hostmem.h"

static bool enabled;
static bool print_hash;
static bool print_stats;

/* One line per VM: how the fault path went, and at which stage-2 levels. */
void kvm_print_stats(struct kvm *kvm)
{
	const struct kvm_stats *st = &kvm->stat;

	if (!print_stats)
		return;
	fprintf(stderr, "kvmsim: vm%d: %llu stage-2 faults, SPTEs installed 4K=%llu 2M=%llu 1G=%llu, "
		"%llu zapped, %llu MMIO exits\n", kvm->vm_id,
		(unsigned long long)st->page_faults,
		(unsigned long long)st->spte_installs[1], (unsigned long long)st->spte_installs[2],
		(unsigned long long)st->spte_installs[3], (unsigned long long)st->zaps,
		(unsigned long long)st->mmio_exits);
}

static int print_vm_stats(struct kvm *kvm, void *opaque)
{
	kvm_print_stats(kvm);
	return 0;
}

bool kvmsim_enabled(void)
{
	return enabled;
}

static void at_exit(void)
{
	/* VMs the program never closed */
	kvm_for_each_vm(print_vm_stats, NULL);
	if (print_hash)
		fprintf(stderr, "kvmsim: trace hash %016llx (%llu events)\n",
			(unsigned long long)sim_trace_hash(),
			(unsigned long long)sim_trace_count());
	sim_trace_close();
}

void kvmsim_runtime_init(void)
{
	const char *off = getenv("KVMSIM");
	const char *seed = getenv("KVMSIM_SEED");
	const char *trace = getenv("KVMSIM_TRACE");
	const char *explain = getenv("KVMSIM_EXPLAIN");
	const char *hash = getenv("KVMSIM_HASH");
	const char *stats = getenv("KVMSIM_STATS");

	if (off && !strcmp(off, "off"))
		return;
	enabled = true;
	sim_init(seed ? strtoull(seed, NULL, 0) : 0, "vmm");
	if (trace && *trace && sim_trace_open(trace))
		fprintf(stderr, "kvmsim: cannot open trace file %s\n", trace);
	if (explain && *explain)
		kvmsim_explain_start(strcmp(explain, "1") ? explain : NULL);
	print_hash = hash && !strcmp(hash, "1");
	print_stats = stats && !strcmp(stats, "1");
	/* nobody will read the events: do not format them */
	sim_trace_set_recording(print_hash);
	atexit(at_exit);
}

/* ---- MMU notifiers: the VMM changed memory behind a memslot ---- */

struct notifier_range {
	uint64_t start, end;
};

static int invalidate_vm(struct kvm *kvm, void *opaque)
{
	const struct notifier_range *r = opaque;
	struct kvm_memslots *slots = &kvm->memslots[0];

	for (int i = 0; i < slots->nr; i++) {
		struct kvm_memory_slot *s = slots->by_gfn[i];
		uint64_t lo = s->userspace_addr, hi = lo + (s->npages << PAGE_SHIFT);
		uint64_t a = r->start > lo ? r->start : lo, b = r->end < hi ? r->end : hi;

		if (a >= b)
			continue;
		kvm_mmu_zap_gfn_range(kvm, s->base_gfn + ((a - lo) >> PAGE_SHIFT),
				      s->base_gfn + ((b - lo + PAGE_SIZE - 1) >> PAGE_SHIFT),
				      "kvm_mmu_notifier_invalidate_range_start");
	}
	return 0;
}

void kvm_mmu_notifier_invalidate_range(uint64_t hva_start, uint64_t hva_end)
{
	struct notifier_range r = { hva_start, hva_end };

	kvm_for_each_vm(invalidate_vm, &r);
}

void kvmsim_host_unmap(unsigned long start, size_t len)
{
	hostmem_forget(start, len);
	kvm_mmu_notifier_invalidate_range(start, start + len);
}

void kvmsim_host_changed(void)
{
	hostmem_mark_stale();
}

void kvmsim_host_advise(unsigned long start, size_t len, int advice)
{
	if (advice == MADV_HUGEPAGE || advice == MADV_NOHUGEPAGE)
		hostmem_advise_huge(start, len, advice == MADV_HUGEPAGE);
	else if (advice == MADV_DONTNEED)	/* the pages go away */
		kvm_mmu_notifier_invalidate_range(start, start + len);
}

void kvmsim_host_mmap(unsigned long start, size_t len, int flags)
{
	hostmem_mark_stale();
	if (flags & MAP_HUGETLB) {
		/* the page size is in the flag's high bits; 0 is the default 2M */
		int shift = (flags >> MAP_HUGE_SHIFT) & MAP_HUGE_MASK;

		hostmem_record_hugetlb(start, len, shift ? 1ull << shift : 2ull << 20);
	}
}
