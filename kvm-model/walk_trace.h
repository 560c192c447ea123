/* SPDX-License-Identifier: MIT */
/*
 * The stage-1 (guest page-table) walk as trace events, at the level
 * KVMSIM_EXPLAIN_WALK selects (kvmsim --explain-walk):
 *   off    (default) no walk events: the trace is what it was
 *   fault  the walks that end in KVM: an EPT violation / stage-2 abort,
 *          a #PF or stage-1 abort for the guest, KVM's own accesses to
 *          guest virtual memory (exception frames, the emulator)
 *   all    also every TLB miss's walk (the CPU's, which sets A/D bits
 *          with no exit at all)
 * Events (x86, mmutrace.h's names): kvm_mmu_pagetable_walk,
 * kvm_mmu_paging_element, kvm_mmu_set_accessed_bit, kvm_mmu_set_dirty_bit,
 * kvm_mmu_walker_error, and walk_addr_generic with the translation.
 * arm64 (at.c's walk_s1): walk_s1, walk_s1_desc, walk_s1_result.
 */
#ifndef KVMSIM_WALK_TRACE_H
#define KVMSIM_WALK_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "mmu-model/arm64_walk.h"
#include "mmu-model/x86_walk.h"

enum kvm_walk_level { KVM_WALK_OFF, KVM_WALK_FAULT, KVM_WALK_ALL };

/* Read KVMSIM_EXPLAIN_WALK: 0, or -EINVAL for a value not listed above. */
int kvm_walk_trace_start(void);

/*
 * Between quiet(true) and quiet(false) walks are not traced: the ones
 * kvmsim makes only to print an event's instruction, which no CPU or
 * KVM would make.
 */
void kvm_walk_trace_quiet(bool on);

/* x86_walk_addr, traced when the level selects it (fill: a TLB fill's walk). */
enum x86_walk_status kvm_x86_walk_traced(const struct x86_walk_ctx *ctx, uint64_t gva,
					 unsigned access, struct x86_walk_result *res,
					 bool fill);
/* arm64_walk, likewise. */
enum arm64_walk_status kvm_arm64_walk_traced(const struct arm64_walk_ctx *ctx, uint64_t va,
					     unsigned access, struct arm64_walk_result *res,
					     bool fill);

#endif
