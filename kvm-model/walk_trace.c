// SPDX-License-Identifier: MIT
/*
 * Stage-1 walks as trace events (see walk_trace.h).  The walkers in
 * mmu-model/ tell a listener each entry they read and each A/D bit they
 * write; here those become events, between one that opens the walk and
 * one that gives its outcome.  The walk itself is unchanged: with the
 * level off, the listener is not even installed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvm-model/walk_trace.h"
#include "sim/sim.h"

static enum kvm_walk_level level;
static int quiet;

int kvm_walk_trace_start(void)
{
	const char *v = getenv("KVMSIM_EXPLAIN_WALK");

	if (!v || !*v || !strcmp(v, "off"))
		level = KVM_WALK_OFF;
	else if (!strcmp(v, "fault"))
		level = KVM_WALK_FAULT;
	else if (!strcmp(v, "all"))
		level = KVM_WALK_ALL;
	else
		return -EINVAL;
	return 0;
}

void kvm_walk_trace_quiet(bool on)
{
	quiet += on ? 1 : -1;
}

static bool traced(bool fill)
{
	if (quiet)
		return false;
	return level == KVM_WALK_ALL || (level == KVM_WALK_FAULT && !fill);
}

/* ---- x86 ---- */

static void x86_note(void *opaque, enum x86_walk_note what, uint64_t gpa, uint64_t pte,
		     int lvl)
{
	static const char *const names[] = {
		[X86_WALK_NOTE_ENTRY] = "kvm_mmu_paging_element",
		[X86_WALK_NOTE_ACCESSED] = "kvm_mmu_set_accessed_bit",
		[X86_WALK_NOTE_DIRTY] = "kvm_mmu_set_dirty_bit",
	};
	struct sim_ev *ev = sim_ev_begin(names[what]);

	sim_ev_int(ev, "level", lvl);
	sim_ev_hex(ev, "pte_gpa", gpa);
	sim_ev_hex(ev, "pte", pte);
	sim_ev_end(ev);
}

static const char *x86_access_name(unsigned access)
{
	return access & X86_ACC_WRITE ? "write" : access & X86_ACC_FETCH ? "fetch" : "read";
}

enum x86_walk_status kvm_x86_walk_traced(const struct x86_walk_ctx *ctx, uint64_t gva,
					 unsigned access, struct x86_walk_result *res,
					 bool fill)
{
	struct x86_walk_ctx noted;
	enum x86_walk_status st;
	struct sim_ev *ev;

	if (!traced(fill))
		return x86_walk_addr(ctx, gva, access, res);
	noted = *ctx;
	noted.note = x86_note;
	ev = sim_ev_begin("kvm_mmu_pagetable_walk");
	sim_ev_hex(ev, "gva", gva);
	/* the kernel's pferr: W, U and F bits of the access */
	sim_ev_hex(ev, "pferr", access & (X86_ACC_WRITE | X86_ACC_USER | X86_ACC_FETCH));
	sim_ev_str(ev, "access", x86_access_name(access));
	sim_ev_hex(ev, "cr3", ctx->cr3);
	sim_ev_str(ev, "by", fill ? "tlb_fill" : "fault");
	sim_ev_end(ev);

	st = x86_walk_addr(&noted, gva, access, res);
	switch (st) {
	case X86_WALK_OK:
		ev = sim_ev_begin("walk_addr_generic");
		sim_ev_hex(ev, "gva", gva);
		sim_ev_hex(ev, "gpa", res->gpa);
		sim_ev_hex(ev, "page_size", res->page_size);
		sim_ev_bool(ev, "writable", res->writable);
		sim_ev_bool(ev, "dirty", res->dirty);
		break;
	case X86_WALK_PAGE_FAULT:
		ev = sim_ev_begin("kvm_mmu_walker_error");
		sim_ev_hex(ev, "pferr", res->error_code);
		sim_ev_int(ev, "level", res->level);
		break;
	default:
		ev = sim_ev_begin("walk_addr_generic");
		sim_ev_hex(ev, "gva", gva);
		sim_ev_hex(ev, "table_gpa", res->table_fault_gpa);
		sim_ev_int(ev, "level", res->level);
		break;
	}
	sim_ev_end(ev);
	return st;
}

/* ---- arm64 ---- */

static void arm64_note(void *opaque, int lvl, uint64_t ipa, uint64_t desc)
{
	struct sim_ev *ev = sim_ev_begin("walk_s1_desc");

	sim_ev_int(ev, "level", lvl);
	sim_ev_hex(ev, "desc_ipa", ipa);
	sim_ev_hex(ev, "desc", desc);
	sim_ev_end(ev);
}

static const char *arm64_access_name(unsigned access)
{
	return access & ARM64_ACC_WRITE ? "write" : access & ARM64_ACC_EXEC ? "exec" : "read";
}

enum arm64_walk_status kvm_arm64_walk_traced(const struct arm64_walk_ctx *ctx, uint64_t va,
					     unsigned access, struct arm64_walk_result *res,
					     bool fill)
{
	struct arm64_walk_ctx noted;
	enum arm64_walk_status st;
	struct sim_ev *ev;

	if (!traced(fill))
		return arm64_walk(ctx, va, access, res);
	noted = *ctx;
	noted.note = arm64_note;
	ev = sim_ev_begin("walk_s1");
	sim_ev_hex(ev, "va", va);
	sim_ev_str(ev, "access", arm64_access_name(access));
	sim_ev_bool(ev, "el0", access & ARM64_ACC_EL0);
	sim_ev_hex(ev, "ttbr", va >> 55 & 1 ? ctx->ttbr1 : ctx->ttbr0);
	sim_ev_str(ev, "by", fill ? "tlb_fill" : "fault");
	sim_ev_end(ev);

	st = arm64_walk(&noted, va, access, res);
	ev = sim_ev_begin("walk_s1_result");
	sim_ev_hex(ev, "va", va);
	switch (st) {
	case ARM64_WALK_OK:
		sim_ev_hex(ev, "ipa", res->ipa);
		sim_ev_hex(ev, "size", res->size);
		sim_ev_bool(ev, "writable", res->writable);
		sim_ev_bool(ev, "mmu_off", res->mmu_off);
		break;
	case ARM64_WALK_FAULT:
		sim_ev_hex(ev, "fsc", res->fsc);
		sim_ev_int(ev, "level", res->level);
		break;
	case ARM64_WALK_S2_FAULT:
		sim_ev_hex(ev, "s1ptw_ipa", res->s1ptw_ipa);
		sim_ev_int(ev, "level", res->level);
		break;
	}
	sim_ev_end(ev);
	return st;
}
