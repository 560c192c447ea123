// SPDX-License-Identifier: MIT
/*
 * Guest memory as Unicorn sees it.  Unicorn's address space is the guest's
 * virtual space; kvmsim fills it on demand: a Unicorn memory error is a
 * "TLB miss" that runs the stage-1 walk (mmu-model), then the stage-2
 * lookup and, if needed, the KVM fault-in path (kvm_mmu_page_fault), and
 * finally maps the translation as a region pointing at the VMM's bytes.
 *
 * Regions are scarce (see DESIGN.md), so a translation is installed as the
 * largest run that is linear in both stages and has one permission, merged
 * with linear neighbours, and the oldest region is evicted past
 * UC_MAX_REGIONS.  Permissions are narrowed so that the events hardware
 * would act on still reach kvmsim: a page is writable in Unicorn only once
 * its guest PTE is dirty, its SPTE writable, and it holds no guest page
 * table (writes to those are caught, as the shadow MMU write-protects them).
 */
#include <errno.h>
#include <string.h>

#include "kvm-model/kvm_mmu.h"
#include "kvm-model/x86/uc_internal.h"
#include "mmu-model/hostmem.h"

/* ---- regions ---- */

static void region_unmap(struct kvm_x86_uc *a, int i, bool drop_code)
{
	struct uc_region *r = &a->regions[i];

	/* translated code is keyed by address: drop it while still mapped */
	if (drop_code)
		uc_ctl_remove_cache(a->uc, r->gva, r->gva + r->size);
	uc_mem_unmap(a->uc, r->gva, r->size);
	a->regions[i] = a->regions[--a->nr_regions];
}

static int region_map(struct kvm_x86_uc *a, uint64_t gva, uint64_t size,
		      uint64_t gpa, uint64_t hva, uint32_t perms)
{
	struct uc_region *r;

	if (uc_mem_map_ptr(a->uc, gva, size, perms & UC_PROT_ALL,
			   (void *)(uintptr_t)hva) != UC_ERR_OK)
		return -ENOMEM;
	r = &a->regions[a->nr_regions++];
	*r = (struct uc_region){ gva, size, gpa, hva, perms, ++a->region_seq };
	return 0;
}

static void evict_oldest(struct kvm_x86_uc *a)
{
	int oldest = 0;

	for (int i = 1; i < a->nr_regions; i++)
		if (a->regions[i].seq < a->regions[oldest].seq)
			oldest = i;
	region_unmap(a, oldest, false);
}

/*
 * Remove [gva, gva+size) from the installed regions, re-mapping the parts
 * of overlapped regions that lie outside it.
 */
static void punch_hole(struct kvm_x86_uc *a, uint64_t gva, uint64_t size)
{
	uint64_t end = gva + size;

	for (int i = 0; i < a->nr_regions; i++) {
		struct uc_region r = a->regions[i];

		if (r.gva >= end || r.gva + r.size <= gva)
			continue;
		region_unmap(a, i, true);
		i = -1;		/* the array changed: rescan */
		if (r.gva < gva)
			region_map(a, r.gva, gva - r.gva, r.gpa, r.hva, r.perms);
		if (r.gva + r.size > end) {
			uint64_t off = end - r.gva;

			region_map(a, end, r.size - off, r.gpa + off, r.hva + off,
				   r.perms);
		}
	}
}

static int find_linear_neighbour(struct kvm_x86_uc *a, uint64_t gva, uint64_t size,
				 uint64_t gpa, uint64_t hva, uint32_t perms,
				 bool before)
{
	for (int i = 0; i < a->nr_regions; i++) {
		struct uc_region *r = &a->regions[i];

		if (r->perms != perms)
			continue;
		if (before && r->gva + r->size == gva && r->gpa + r->size == gpa &&
		    r->hva + r->size == hva)
			return i;
		if (!before && gva + size == r->gva && gpa + size == r->gpa &&
		    hva + size == r->hva)
			return i;
	}
	return -1;
}

/*
 * Map a translation, merging it with linear neighbours of equal
 * permission.  Unmapping a region costs Unicorn a TLB and jump-cache
 * flush per page, so a neighbour is absorbed only while it is no larger
 * than what is being mapped (sizes grow like a binary counter): a run of
 * n first touches costs O(n log n) page flushes instead of O(n^2), and
 * leaves O(log n) regions.
 */
static int install_region(struct kvm_x86_uc *a, uint64_t gva, uint64_t size,
			  uint64_t gpa, uint64_t hva, uint32_t perms)
{
	bool merged = true;
	int i;

	/* overlapped regions lose this range (their code cache goes with them) */
	punch_hole(a, gva, size);
	while (merged) {
		merged = false;
		i = find_linear_neighbour(a, gva, size, gpa, hva, perms, true);
		if (i >= 0 && a->regions[i].size <= size) {
			struct uc_region r = a->regions[i];

			region_unmap(a, i, false);
			gva = r.gva;
			gpa = r.gpa;
			hva = r.hva;
			size += r.size;
			merged = true;
		}
		i = find_linear_neighbour(a, gva, size, gpa, hva, perms, false);
		if (i >= 0 && a->regions[i].size <= size) {
			size += a->regions[i].size;
			region_unmap(a, i, false);
			merged = true;
		}
	}
	while (a->nr_regions >= UC_MAX_REGIONS)
		evict_oldest(a);
	return region_map(a, gva, size, gpa, hva, perms);
}

void uc_punch_hole(struct kvm_vcpu *vcpu, uint64_t gva, uint64_t size)
{
	punch_hole(to_uc(vcpu), gva, size);
}

void uc_flush_all(struct kvm_vcpu *vcpu, const char *why)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	struct sim_ev *ev;

	if (!a->nr_regions)
		return;
	ev = sim_ev_begin("kvm_mmu_flush_tlb");
	sim_ev_str(ev, "why", why);
	sim_ev_int(ev, "regions", a->nr_regions);
	sim_ev_end(ev);
	while (a->nr_regions)
		region_unmap(a, a->nr_regions - 1, true);
}

void x86_flush_gfns(struct kvm_vcpu *vcpu, uint64_t gfn_start, uint64_t gfn_end)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	uint64_t start = gfn_start << PAGE_SHIFT, end = gfn_end << PAGE_SHIFT;

	for (int i = 0; i < a->nr_regions; i++) {
		struct uc_region *r = &a->regions[i];

		if (r->gpa >= end || r->gpa + r->size <= start)
			continue;
		region_unmap(a, i, true);
		i = -1;
	}
}

void x86_protect_gfn(struct kvm_vcpu *vcpu, uint64_t gfn)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	uint64_t gpa = gfn << PAGE_SHIFT;

	for (int i = 0; i < a->nr_regions; i++) {
		struct uc_region *r = &a->regions[i];

		if (!(r->perms & UC_PROT_WRITE) || r->gpa > gpa ||
		    r->gpa + r->size <= gpa)
			continue;
		punch_hole(a, r->gva + (gpa - r->gpa), PAGE_SIZE);
		i = -1;
	}
}

/* ---- stage 1 ---- */

int x86_cpl(struct kvm_vcpu *vcpu)
{
	if (!(vcpu->sregs.cr0 & X86_CR0_PE))
		return 0;
	/* VMX takes the CPL from SS.DPL */
	return vcpu->sregs.ss.dpl;
}

static int pte_read(void *opaque, uint64_t gpa, uint64_t *val, int size)
{
	void *p = kvm_vcpu_gpa_to_hva(opaque, gpa, false);

	if (!p)
		return -EFAULT;
	*val = 0;
	memcpy(val, p, size);
	return 0;
}

static int pte_write(void *opaque, uint64_t gpa, uint64_t val, int size)
{
	void *p = kvm_vcpu_gpa_to_hva(opaque, gpa, true);

	if (!p)
		return -EFAULT;
	memcpy(p, &val, size);
	return 0;
}

void x86_build_walk_ctx(struct kvm_vcpu *vcpu, struct x86_walk_ctx *ctx)
{
	const struct kvm_sregs *s = &vcpu->sregs;

	memset(ctx, 0, sizeof(*ctx));
	if (!(s->cr0 & X86_CR0_PG))
		ctx->mode = X86_PAGING_NONE;
	else if (s->efer & EFER_LMA)
		ctx->mode = X86_PAGING_4LEVEL;
	else if (s->cr4 & X86_CR4_PAE)
		ctx->mode = X86_PAGING_PAE;
	else
		ctx->mode = X86_PAGING_32;
	ctx->cr3 = s->cr3;
	ctx->cr0_wp = s->cr0 & X86_CR0_WP;
	ctx->cr4_pse = s->cr4 & X86_CR4_PSE;
	ctx->cr4_smep = s->cr4 & X86_CR4_SMEP;
	ctx->cr4_smap = s->cr4 & X86_CR4_SMAP;
	ctx->efer_nxe = s->efer & EFER_NX;
	ctx->maxphyaddr = 46;
	ctx->read_pte = pte_read;
	ctx->write_pte = pte_write;
	ctx->opaque = vcpu;
}

/*
 * Stage-1 translation; registers the page-table pages the walk used so
 * that writes to them are caught.  Returns the x86_walk_status.
 */
int x86_translate(struct kvm_vcpu *vcpu, uint64_t gva, unsigned access,
		  struct x86_walk_result *res)
{
	struct x86_walk_ctx ctx;
	enum x86_walk_status st;

	x86_build_walk_ctx(vcpu, &ctx);
	if (ctx.mode == X86_PAGING_NONE) {
		memset(res, 0, sizeof(*res));
		res->gpa = x86_long_mode(vcpu) ? gva : (uint32_t)gva;
		res->page_size = PAGE_SIZE;
		res->page_gva = gva & PAGE_MASK;
		res->page_gpa = res->gpa & PAGE_MASK;
		res->writable = res->user = res->dirty = true;
		return X86_WALK_OK;
	}
	st = x86_walk_addr(&ctx, gva, access, res);
	for (int i = 0; i < res->n_tables; i++) {
		uint64_t gfn = res->table_gpa[i] >> PAGE_SHIFT;
		struct kvm *kvm = vcpu->kvm;

		if (!gfn_set_add(&kvm->pt_gfns, gfn))
			continue;
		for (int v = 0; v < kvm->nr_vcpus; v++)
			x86_protect_gfn(kvm->vcpus[v], gfn);
	}
	return st;
}

/*
 * Translate a gva for an access kvmsim makes on the guest's behalf (an
 * exception frame, an IDT entry).  On failure *vector says which exception
 * the access raises (#PF with *error_code, or -1 for no backing).
 */
void *x86_gva_to_hva(struct kvm_vcpu *vcpu, uint64_t gva, bool write, int *vector,
		     uint32_t *error_code)
{
	struct x86_walk_result res;
	int st = x86_translate(vcpu, gva, write ? X86_ACC_WRITE : 0, &res);
	void *p;

	if (st == X86_WALK_PAGE_FAULT) {
		*vector = PF_VECTOR;
		*error_code = res.error_code;
		vcpu->cr2 = gva;
		return NULL;
	}
	*vector = -1;
	if (st != X86_WALK_OK)
		return NULL;
	p = kvm_vcpu_gpa_to_hva(vcpu, res.gpa, write);
	if (p && write)
		x86_flush_gfns(vcpu, res.gpa >> PAGE_SHIFT, (res.gpa >> PAGE_SHIFT) + 1);
	return p;
}

/* ---- faults ---- */

static unsigned fault_access(int type)
{
	switch (type) {
	case UC_MEM_WRITE_UNMAPPED:
	case UC_MEM_WRITE_PROT:
		return X86_ACC_WRITE;
	case UC_MEM_FETCH_UNMAPPED:
	case UC_MEM_FETCH_PROT:
		return X86_ACC_FETCH;
	default:
		return 0;
	}
}

static uint32_t stage2_error_code(unsigned access)
{
	uint32_t ec = 0;

	if (access & X86_ACC_WRITE)
		ec |= PFERR_WRITE_MASK;
	if (access & X86_ACC_FETCH)
		ec |= PFERR_FETCH_MASK;
	return ec;
}

/* The range [lo, hi) of gpa covered linearly by both stages around gpa. */
static void linear_window(const struct x86_walk_result *res, const struct tdp_leaf *leaf,
			  uint64_t *lo, uint64_t *hi)
{
	uint64_t s2_lo = leaf->gfn_base << PAGE_SHIFT;
	uint64_t s2_hi = s2_lo + (TDP_PAGES_PER_LEVEL(leaf->level) << PAGE_SHIFT);
	uint64_t s1_lo = res->page_gpa, s1_hi = res->page_gpa + res->page_size;

	*lo = s1_lo > s2_lo ? s1_lo : s2_lo;
	*hi = s1_hi < s2_hi ? s1_hi : s2_hi;
}

static bool window_has_pt_page(struct kvm *kvm, uint64_t lo, uint64_t hi)
{
	if (!kvm->pt_gfns.nr)
		return false;
	for (uint64_t g = lo >> PAGE_SHIFT; g < hi >> PAGE_SHIFT; g++)
		if (gfn_set_test(&kvm->pt_gfns, g))
			return true;
	return false;
}

static uint32_t region_perms(struct kvm_vcpu *vcpu, const struct x86_walk_result *res,
			     const struct tdp_leaf *leaf, bool pt_page)
{
	uint32_t perms = UC_PROT_READ;

	/* the first write must reach the walker so the guest D bit gets set */
	if (res->writable && res->dirty && (leaf->flags & TDP_SPTE_WRITABLE) &&
	    !pt_page)
		perms |= UC_PROT_WRITE;
	/* executable once its code has been scanned: on the first fetch */
	if (!res->nx)
		perms |= REGION_EXEC_PENDING;
	return perms;
}

static int install_translation(struct kvm_vcpu *vcpu, uint64_t gva,
			       const struct x86_walk_result *res)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	struct kvm *kvm = vcpu->kvm;
	struct tdp_leaf leaf;
	uint64_t lo, hi, gpa_page = res->gpa & PAGE_MASK;
	uint32_t perms;
	bool pt_page;

	if (!tdp_lookup(kvm->tdp, res->gpa >> PAGE_SHIFT, &leaf))
		return -EAGAIN;
	linear_window(res, &leaf, &lo, &hi);
	pt_page = gfn_set_test(&kvm->pt_gfns, gpa_page >> PAGE_SHIFT);
	perms = region_perms(vcpu, res, &leaf, pt_page);
	if (pt_page || ((perms & UC_PROT_WRITE) && window_has_pt_page(kvm, lo, hi))) {
		lo = gpa_page;
		hi = gpa_page + PAGE_SIZE;
	}
	/* 32-bit guests: never map past the top of the 4G linear space */
	uint64_t gva_lo = gva - (res->gpa - lo);
	uint64_t hva = leaf.host_base + (lo - (leaf.gfn_base << PAGE_SHIFT));

	return install_region(a, gva_lo, hi - lo, lo, hva, perms);
}

static int mmio_exit_fetch(struct kvm_vcpu *vcpu, uint64_t gpa)
{
	return x86_internal_error(vcpu, "instruction fetch from MMIO gpa 0x%llx",
				  (unsigned long long)gpa);
}

static int begin_mmio_step(struct kvm_vcpu *vcpu, uint64_t gva, uint64_t gpa,
			   unsigned access);

/*
 * A fetch from a region the guest may execute but Unicorn was not allowed
 * to yet: hook its trapped instructions, then let Unicorn run it.  Code
 * that changes later under a live region is not rescanned (as before a
 * flush); every flush and eviction starts over.
 */
static bool grant_exec(struct kvm_vcpu *vcpu, uint64_t gva)
{
	struct kvm_x86_uc *a = to_uc(vcpu);

	for (int i = 0; i < a->nr_regions; i++) {
		struct uc_region *r = &a->regions[i];

		if (gva < r->gva || gva >= r->gva + r->size ||
		    !(r->perms & REGION_EXEC_PENDING))
			continue;
		x86_scan_code(vcpu, r->gva, (const uint8_t *)(uintptr_t)r->hva, r->size);
		r->perms = (r->perms & ~REGION_EXEC_PENDING) | UC_PROT_EXEC;
		uc_mem_protect(a->uc, r->gva, r->size, r->perms);
		return true;
	}
	return false;
}

/*
 * A Unicorn memory error: the "TLB miss" path.  Returns 0 to re-enter the
 * guest, 1 if an exit for userspace is ready, or -errno for KVM_RUN.
 */
int uc_handle_mem_fault(struct kvm_vcpu *vcpu)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	unsigned access = fault_access(a->fault.type);
	uint64_t gva = a->fault.addr;
	struct x86_walk_result res;
	struct kvm_page_fault fault;
	int st, r;

	a->fault.valid = false;
	if (a->fault.type == UC_MEM_FETCH_PROT && grant_exec(vcpu, gva))
		return 0;
	if (x86_cpl(vcpu) == 3)
		access |= X86_ACC_USER;
	st = x86_translate(vcpu, gva, access, &res);
	if (st == X86_WALK_PAGE_FAULT) {
		struct sim_ev *ev = sim_ev_begin("kvm_inject_page_fault");

		sim_ev_hex(ev, "gva", gva);
		sim_ev_hex(ev, "error_code", res.error_code);
		sim_ev_end(ev);
		vcpu->cr2 = gva;
		return kvm_inject_exception(vcpu, PF_VECTOR, true, res.error_code,
					    false);
	}
	if (st == X86_WALK_TABLE_FAULT) {
		/* the walk's own stage-2 fault ended in a memory-fault exit */
		if (vcpu->exit_filled &&
		    vcpu->run->exit_reason == (uint32_t)kvm_memory_fault_exit_nr())
			return vcpu->gpa_fault_ret;
		return x86_internal_error(vcpu, "guest page-table walk could not read gpa 0x%llx "
					  "(no memslot, or the read failed)",
					  (unsigned long long)res.table_fault_gpa);
	}

	struct sim_ev *ev = sim_ev_begin("handle_ept_violation");
	sim_ev_hex(ev, "gva", gva);
	sim_ev_hex(ev, "gpa", res.gpa);
	sim_ev_str(ev, "access", access & X86_ACC_WRITE ? "write" :
		   access & X86_ACC_FETCH ? "fetch" : "read");
	sim_ev_end(ev);

	r = kvm_mmu_page_fault(vcpu, res.gpa, stage2_error_code(access), &fault);
	if (r < 0)
		return r;
	if (r == RET_PF_RETRY)
		return 0;
	if (r == RET_PF_EMULATE) {
		if (access & X86_ACC_FETCH)
			return mmio_exit_fetch(vcpu, res.gpa);
		return begin_mmio_step(vcpu, gva, res.gpa, access);
	}
	if ((access & X86_ACC_WRITE) &&
	    gfn_set_test(&vcpu->kvm->pt_gfns, res.gpa >> PAGE_SHIFT))
		return kvm_mmu_track_write(vcpu, gva, res.gpa);
	r = install_translation(vcpu, gva, &res);
	return r == -EAGAIN ? 0 : r;
}

/* ---- MMIO: one instruction stepped against a callback page ---- */

static uint64_t mmio_read_cb(uc_engine *uc, uint64_t offset, unsigned size, void *opaque)
{
	struct mmio_step *m = opaque;
	uint64_t gva = m->gva_page + offset, v = 0;

	if (m->hva_page) {
		memcpy(&v, m->hva_page + offset, size);
		return v;
	}
	if (!m->have_read_data) {
		/* first read of this instruction: exit for the value */
		if (!m->read_len) {
			m->read_gva = gva;
		}
		m->read_len += size;
		uc_emu_stop(uc);
		return 0;
	}
	memcpy(&v, m->read_data + (gva - m->read_gva), size);
	m->read_seen += size;
	return v;
}

static void mmio_write_cb(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value,
			  void *opaque)
{
	struct mmio_step *m = opaque;
	uint64_t gva = m->gva_page + offset;

	if (m->track_write) {
		memcpy(m->hva_page + offset, &value, size);
		m->wrote = true;
		return;
	}
	if (!m->write_len)
		m->write_gva = gva;
	if (gva - m->write_gva + size <= sizeof(m->write_data)) {
		memcpy(m->write_data + (gva - m->write_gva), &value, size);
		m->write_len = gva - m->write_gva + size;
	}
	m->wrote = true;
}

static void fill_mmio_exit(struct kvm_vcpu *vcpu, uint64_t gpa, const void *data,
			   int len, bool is_write)
{
	struct kvm_run *run = vcpu->run;
	struct sim_ev *ev;

	kvm_run_set_exit(vcpu, KVM_EXIT_MMIO);
	run->mmio.phys_addr = gpa;
	run->mmio.len = len;
	run->mmio.is_write = is_write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (is_write)
		memcpy(run->mmio.data, data, len);
	vcpu->kvm->stat.mmio_exits++;
	ev = sim_ev_begin("kvm_mmio");
	sim_ev_str(ev, "type", is_write ? "write" : "read");
	sim_ev_hex(ev, "gpa", gpa);
	sim_ev_int(ev, "len", len);
	if (is_write) {
		uint64_t v = 0;

		memcpy(&v, data, len > 8 ? 8 : len);
		sim_ev_hex(ev, "data", v);
	}
	sim_ev_end(ev);
}

/*
 * Run exactly the instruction at RIP with the MMIO page mapped through
 * callbacks.  Returns 1 with an exit ready, or 0 when it completed without
 * needing userspace, or a negative value from a nested fault.
 */
static int mmio_step_run(struct kvm_vcpu *vcpu, struct mmio_step *m)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	uint64_t rip = x86_reg_read(vcpu, UC_X86_REG_RIP);
	uint64_t start = x86_linear_rip(vcpu);
	uc_err err;

	for (int tries = 0; tries < 8; tries++) {
		punch_hole(a, m->gva_page, PAGE_SIZE);
		if (uc_mmio_map(a->uc, m->gva_page, PAGE_SIZE, mmio_read_cb, m,
				mmio_write_cb, m) != UC_ERR_OK)
			return x86_internal_error(vcpu, "cannot map MMIO page");
		a->mmio = m;
		a->fault.valid = false;
		/*
		 * count=1 only limits code translated while counting: drop
		 * the block cached at rip before, and the one-instruction
		 * block after, or a free run would execute the wrong one.
		 */
		uc_ctl_remove_cache(a->uc, start, start + 1);
		err = uc_emu_start(a->uc, start, (uint64_t)-1, 0, 1);
		uc_ctl_remove_cache(a->uc, start, start + 1);
		a->mmio = NULL;
		uc_ctl_remove_cache(a->uc, m->gva_page, m->gva_page + PAGE_SIZE);
		uc_mem_unmap(a->uc, m->gva_page, PAGE_SIZE);
		if (err == UC_ERR_OK || !a->fault.valid)
			break;
		/* the instruction's other operand needs a translation first */
		int r = uc_handle_mem_fault(vcpu);
		if (r)
			return r;
	}
	if (!m->have_read_data && m->read_len) {
		/* roll back: the read completes on the next KVM_RUN */
		x86_reg_write(vcpu, UC_X86_REG_RIP, rip);
		fill_mmio_exit(vcpu, m->gpa_page | (m->read_gva & (PAGE_SIZE - 1)),
			       NULL, m->read_len, false);
		vcpu->pending = PENDING_MMIO_READ;
		return 1;
	}
	if (m->wrote && m->track_write)
		return 0;
	if (m->wrote) {
		fill_mmio_exit(vcpu, m->gpa_page | (m->write_gva & (PAGE_SIZE - 1)),
			       m->write_data, m->write_len, true);
		return 1;
	}
	return 0;
}

static int begin_mmio_step(struct kvm_vcpu *vcpu, uint64_t gva, uint64_t gpa,
			   unsigned access)
{
	struct mmio_step *m = &to_uc(vcpu)->mmio_pending;
	struct kvm_memory_slot *slot = gfn_to_memslot(vcpu->kvm, gpa >> PAGE_SHIFT);
	int r;

	memset(m, 0, sizeof(*m));
	m->gva_page = gva & PAGE_MASK;
	m->gpa_page = gpa & PAGE_MASK;
	/* reads of a readable backing (READONLY slot, PROT_READ) see its bytes */
	if (slot) {
		uint64_t hva = gfn_to_hva_memslot(slot, gpa >> PAGE_SHIFT);
		int prot = hostmem_prot(hva);

		if (prot > 0 && (prot & HOSTMEM_PROT_READ))
			m->hva_page = (uint8_t *)(uintptr_t)hva;
	}
	r = mmio_step_run(vcpu, m);
	if (r == 1 && vcpu->pending == PENDING_MMIO_READ) {
		/* keep where the read lands for the completion */
		m->read_seen = 0;
	}
	return r;
}

/*
 * A guest write to one of its own page-table pages, which stay
 * write-protected in Unicorn as KVM's shadow MMU keeps them: emulate the one
 * instruction against the page's bytes, then drop every translation (any of
 * them may derive from the entry just written), as kvm_mmu_track_write zaps
 * the shadow pages of a written gfn.
 */
int kvm_mmu_track_write(struct kvm_vcpu *vcpu, uint64_t gva, uint64_t gpa)
{
	struct mmio_step m = {
		.gva_page = gva & PAGE_MASK, .gpa_page = gpa & PAGE_MASK,
		.track_write = true,
	};
	struct kvm *kvm = vcpu->kvm;
	struct sim_ev *ev;
	int r;

	m.hva_page = kvm_vcpu_gpa_to_hva(vcpu, gpa & PAGE_MASK, true);
	if (!m.hva_page)
		return x86_internal_error(vcpu, "page-table page gpa 0x%llx has no writable backing",
					  (unsigned long long)gpa);
	ev = sim_ev_begin("kvm_mmu_track_write");
	sim_ev_hex(ev, "gva", gva);
	sim_ev_hex(ev, "gpa", gpa);
	sim_ev_end(ev);
	r = mmio_step_run(vcpu, &m);
	if (r)
		return r;
	for (int v = 0; v < kvm->nr_vcpus; v++)
		uc_flush_all(kvm->vcpus[v], "guest page-table write");
	return 0;
}

/* complete_emulated_mmio: re-run the instruction with the VMM's data. */
int uc_mmio_complete(struct kvm_vcpu *vcpu)
{
	struct mmio_step *m = &to_uc(vcpu)->mmio_pending;

	vcpu->pending = PENDING_NONE;
	m->have_read_data = true;
	memcpy(m->read_data, vcpu->run->mmio.data, sizeof(m->read_data));
	m->wrote = false;
	m->write_len = 0;
	return mmio_step_run(vcpu, m);
}
