// SPDX-License-Identifier: MIT
/*
 * Guest memory as Unicorn sees it.  Unicorn runs in UC_TLB_VIRTUAL mode:
 * its physical space is the guest-physical space (each memslot's backing
 * mapped once at its GPA, MMIO holes left unmapped) and every miss in its
 * TLB calls x86_tlb_fill, which is the hardware walk: the stage-1 walk
 * (mmu-model) and the stage-2 lookup (the TDP table).
 *
 * The fill never sleeps, exits or injects: when an access needs any of
 * that (no SPTE, a guest #PF, MMIO) it fails, Unicorn stops precisely at
 * the instruction, and uc_handle_mem_fault runs the kernel's path
 * (handle_ept_violation -> kvm_mmu_page_fault ...) outside the engine;
 * the instruction then re-runs.  Fills grant read-only where a write must
 * be seen: a guest PTE not yet dirty, an SPTE not writable (dirty logging,
 * READONLY slots), a guest page-table page (the shadow MMU's write
 * protection).  Zaps, CR3 loads, INVLPG and memslot changes flush
 * Unicorn's TLB.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvm-model/kvm_mmu.h"
#include "kvm-model/walk_trace.h"
#include "kvm-model/x86/uc_internal.h"
#include "mmu-model/hostmem.h"

/* ---- the guest-physical map ---- */

static void unmap_region(struct kvm_x86_uc *a, int i)
{
	/*
	 * Unicorn drops the region's translated code by looking its GPA up
	 * as a virtual address through the fill hook: answer with identity.
	 */
	a->unmapping = true;
	uc_mem_unmap(a->uc, a->regions[i].gpa, a->regions[i].size);
	a->unmapping = false;
	a->regions[i] = a->regions[--a->nr_regions];
}

static int map_region(struct kvm_x86_uc *a, const struct uc_region *r)
{
	struct uc_region *n = realloc(a->regions, (a->nr_regions + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	a->regions = n;
	if (uc_mem_map_ptr(a->uc, r->gpa, r->size, UC_PROT_ALL,
			   (void *)(uintptr_t)r->hva) != UC_ERR_OK)
		return -ENOMEM;
	a->regions[a->nr_regions++] = *r;
	return 0;
}

static bool slot_region_current(const struct kvm_memory_slot *s, const struct uc_region *r)
{
	return r->slot == s && r->gpa == s->base_gfn << PAGE_SHIFT &&
	       r->size == s->npages << PAGE_SHIFT && r->hva == s->userspace_addr;
}

/*
 * kvm_arch_commit_memory_region for the engine: after any memslot change
 * (kvm->stat.memslot_updates moved) map the slots of address space 0 as
 * they are now.  A region that went away or moved takes its translated
 * code with it (the same GPA may come back with other bytes).
 */
static int sync_memslots(struct kvm_vcpu *vcpu, const struct kvm_memory_slot **failed)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	struct kvm *kvm = vcpu->kvm;
	struct kvm_memslots *slots = &kvm->memslots[0];
	bool dropped = false;

	if (a->slots_mapped && a->slots_gen == kvm->stat.memslot_updates)
		return 0;
	for (int i = 0; i < a->nr_regions; i++) {
		const struct kvm_memory_slot *s = NULL;

		for (int j = 0; j < slots->nr && !s; j++)
			if (slots->by_gfn[j] == a->regions[i].slot)
				s = slots->by_gfn[j];
		if (s && a->regions[i].gpa < GMEM_ALIAS_BASE && slot_region_current(s, &a->regions[i]))
			continue;
		if (s && a->regions[i].gpa >= GMEM_ALIAS_BASE && s->gmem == a->regions[i].gmem &&
		    a->regions[i].gpa == GMEM_ALIAS_BASE + (s->base_gfn << PAGE_SHIFT))
			continue;
		unmap_region(a, i--);
		dropped = true;
	}
	for (int j = 0; j < slots->nr; j++) {
		const struct kvm_memory_slot *s = slots->by_gfn[j];
		bool have = false;

		for (int i = 0; i < a->nr_regions && !have; i++)
			have = a->regions[i].gpa < GMEM_ALIAS_BASE && a->regions[i].slot == s;
		/* a guest_memfd-only slot has no shared backing to map */
		if (have || !s->npages || !s->userspace_addr)
			continue;
		struct uc_region r = { .gpa = s->base_gfn << PAGE_SHIFT,
				       .size = s->npages << PAGE_SHIFT,
				       .hva = s->userspace_addr, .slot = s };
		if (map_region(a, &r)) {
			*failed = s;
			return -ENOMEM;
		}
	}
	if (dropped)
		uc_ctl_flush_tb(a->uc);
	x86_tlb_flush(a);
	a->slots_gen = kvm->stat.memslot_updates;
	a->slots_mapped = true;
	return 0;
}

int x86_sync_memslots(struct kvm_vcpu *vcpu)
{
	const struct kvm_memory_slot *s = NULL;

	if (!sync_memslots(vcpu, &s))
		return 0;
	return x86_internal_error(vcpu, "cannot map memslot %u at gpa 0x%llx", s->id,
				  (unsigned long long)(s->base_gfn << PAGE_SHIFT));
}

/*
 * x86_vcpu_preload: map the memslots before the entry does.  A slot that
 * cannot be mapped is mapped again by the entry, which reports it.
 */
void x86_preload_memslots(struct kvm_vcpu *vcpu)
{
	const struct kvm_memory_slot *s = NULL;

	sync_memslots(vcpu, &s);
}

/*
 * A guest_memfd page is mapped by an SPTE whose host page is in the file,
 * not at userspace_addr: map the slot's window of the file once, at
 * GMEM_ALIAS_BASE + its GPA, from the host address of one such page.
 */
static int map_gmem_alias(struct kvm_vcpu *vcpu, const struct kvm_memory_slot *s,
			  uint64_t gfn, uint64_t hva)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	struct uc_region r = { .gpa = GMEM_ALIAS_BASE + (s->base_gfn << PAGE_SHIFT),
			       .size = s->npages << PAGE_SHIFT,
			       .hva = hva - ((gfn - s->base_gfn) << PAGE_SHIFT),
			       .slot = s, .gmem = s->gmem };

	for (int i = 0; i < a->nr_regions; i++)
		if (a->regions[i].gpa == r.gpa)
			unmap_region(a, i--);
	return map_region(a, &r);
}

/* Unicorn's physical address of the host page an SPTE maps gfn to. */
static bool spte_paddr(struct kvm_vcpu *vcpu, uint64_t gfn, uint64_t hva, uint64_t *paddr)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	struct kvm_memory_slot *s = gfn_to_memslot(vcpu->kvm, gfn);
	uint64_t gpa = gfn << PAGE_SHIFT;

	if (!s)
		return false;
	if (hva == gfn_to_hva_memslot(s, gfn)) {
		*paddr = gpa;
		return true;
	}
	for (int i = 0; i < a->nr_regions; i++) {
		const struct uc_region *r = &a->regions[i];

		if (r->gpa == GMEM_ALIAS_BASE + (s->base_gfn << PAGE_SHIFT) &&
		    hva == r->hva + (gpa - (r->gpa - GMEM_ALIAS_BASE))) {
			*paddr = GMEM_ALIAS_BASE + gpa;
			return true;
		}
	}
	return false;
}

/* ---- flushes ---- */

/*
 * Unicorn's TLB has no per-page flush.  Every page is scanned for
 * trapped instructions again before it may be executed after a flush.
 */
void x86_tlb_flush(struct kvm_x86_uc *a)
{
	uc_ctl_flush_tlb(a->uc);
	gfn_set_clear(&a->scanned);
	a->code_hva = NULL;
}

void uc_flush_all(struct kvm_vcpu *vcpu, const char *why)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	struct sim_ev *ev;

	if (!a)
		return;
	ev = sim_ev_begin("kvm_mmu_flush_tlb");
	sim_ev_str(ev, "why", why);
	sim_ev_end(ev);
	/* an engine opened later starts with an empty TLB */
	if (a->uc)
		x86_tlb_flush(a);
}

/* A zap or write-protection of stage 2: Unicorn's TLB has no per-page flush. */
void x86_flush_gfns(struct kvm_vcpu *vcpu, uint64_t gfn_start, uint64_t gfn_end)
{
	struct kvm_x86_uc *a = to_uc(vcpu);

	if (a && a->uc)
		x86_tlb_flush(a);
}

void x86_protect_gfn(struct kvm_vcpu *vcpu, uint64_t gfn)
{
	x86_flush_gfns(vcpu, gfn, gfn + 1);
}

/* ---- stage 1 ---- */

int x86_cpl(struct kvm_vcpu *vcpu)
{
	if (!(vcpu->sregs.cr0 & X86_CR0_PE))
		return 0;
	/* VMX takes the CPL from SS.DPL */
	return vcpu->sregs.ss.dpl;
}

/*
 * A page-table entry is 4 or 8 bytes: copies of constant size, which the
 * compiler inlines.  A memcpy of variable size is a call, and a program
 * may define its own memcpy (the KVM selftests' string_override.c copies
 * byte by byte): every TLB fill walks up to five entries.
 */
static uint64_t pte_load(const void *p, int size)
{
	uint64_t v8;
	uint32_t v4;

	if (size == 8) {
		memcpy(&v8, p, 8);
		return v8;
	}
	memcpy(&v4, p, 4);
	return v4;
}

static void pte_store(void *p, uint64_t val, int size)
{
	uint32_t v4 = (uint32_t)val;

	if (size == 8)
		memcpy(p, &val, 8);
	else
		memcpy(p, &v4, 4);
}

static int pte_read(void *opaque, uint64_t gpa, uint64_t *val, int size)
{
	void *p = kvm_vcpu_gpa_to_hva(opaque, gpa, false);

	if (!p)
		return -EFAULT;
	*val = pte_load(p, size);
	return 0;
}

static int pte_write(void *opaque, uint64_t gpa, uint64_t val, int size)
{
	void *p = kvm_vcpu_gpa_to_hva(opaque, gpa, true);

	if (!p)
		return -EFAULT;
	pte_store(p, val, size);
	return 0;
}

/*
 * The walk a TLB fill does: page-table entries are read and their A/D
 * bits written only through SPTEs already present (and writable); anything
 * else fails the fill and the walk is redone outside, where stage 2 may
 * fault them in.
 */
static void *gpa_to_hva_nofault(struct kvm_vcpu *vcpu, uint64_t gpa, bool write)
{
	struct tdp_leaf leaf;
	uint64_t gfn = gpa >> PAGE_SHIFT;

	if (!tdp_lookup(vcpu->kvm->tdp, gfn, &leaf) ||
	    (write && !(leaf.flags & TDP_SPTE_WRITABLE)))
		return NULL;
	return (void *)(uintptr_t)(tdp_leaf_host(&leaf, gfn) + (gpa & (PAGE_SIZE - 1)));
}

static int pte_read_nofault(void *opaque, uint64_t gpa, uint64_t *val, int size)
{
	void *p = gpa_to_hva_nofault(opaque, gpa, false);

	if (!p)
		return -EFAULT;
	*val = pte_load(p, size);
	return 0;
}

static int pte_write_nofault(void *opaque, uint64_t gpa, uint64_t val, int size)
{
	void *p = gpa_to_hva_nofault(opaque, gpa, true);

	if (!p)
		return -EFAULT;
	pte_store(p, val, size);
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

static enum x86_walk_status walk(struct kvm_vcpu *vcpu, struct x86_walk_ctx *ctx, uint64_t gva,
				 unsigned access, struct x86_walk_result *res)
{
	if (ctx->mode != X86_PAGING_NONE)
		return kvm_x86_walk_traced(ctx, gva, access, res, ctx->read_pte == pte_read_nofault);
	memset(res, 0, sizeof(*res));
	res->gpa = x86_long_mode(vcpu) ? gva : (uint32_t)gva;
	res->page_size = PAGE_SIZE;
	res->page_gva = gva & PAGE_MASK;
	res->page_gpa = res->gpa & PAGE_MASK;
	res->writable = res->user = res->dirty = true;
	return X86_WALK_OK;
}

/*
 * Note the page-table pages a walk used: writes to them must be caught
 * (as the shadow MMU write-protects the gfns it shadows).  Returns true
 * if one is new, so translations already granted may be stale.
 */
static bool track_tables(struct kvm_vcpu *vcpu, const struct x86_walk_result *res)
{
	struct kvm *kvm = vcpu->kvm;
	bool added = false;

	for (int i = 0; i < res->n_tables; i++) {
		uint64_t gfn = res->table_gpa[i] >> PAGE_SHIFT;

		if (!gfn_set_add(&kvm->pt_gfns, gfn))
			continue;
		added = true;
		for (int v = 0; v < kvm->nr_vcpus; v++)
			if (kvm->vcpus[v] != vcpu)
				x86_protect_gfn(kvm->vcpus[v], gfn);
	}
	return added;
}

/*
 * Stage-1 translation for kvmsim's own accesses (may fault stage 2 in);
 * registers the page-table pages the walk used.  Returns the
 * x86_walk_status.
 */
int x86_translate(struct kvm_vcpu *vcpu, uint64_t gva, unsigned access,
		  struct x86_walk_result *res)
{
	struct x86_walk_ctx ctx;
	enum x86_walk_status st;

	x86_build_walk_ctx(vcpu, &ctx);
	st = walk(vcpu, &ctx, gva, access, res);
	if (track_tables(vcpu, res))
		x86_tlb_flush(to_uc(vcpu));
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

	if (st == X86_WALK_PAGE_FAULT) {
		*vector = PF_VECTOR;
		*error_code = res.error_code;
		vcpu->cr2 = gva;
		return NULL;
	}
	*vector = -1;
	if (st != X86_WALK_OK)
		return NULL;
	return kvm_vcpu_gpa_to_hva(vcpu, res.gpa, write);
}

/* Guest code at a linear address, for decoding: bytes read, 0 if none. */
int x86_read_code(struct kvm_vcpu *vcpu, uint64_t lin, uint8_t *buf, size_t len)
{
	struct kvm_x86_uc *uca = to_uc(vcpu);
	size_t done = 0;

	/* the page of the last trapped instruction: translated as Unicorn's TLB has it */
	if (uca->code_hva && (lin & PAGE_MASK) == uca->code_page &&
	    (lin & (PAGE_SIZE - 1)) + len <= PAGE_SIZE) {
		memcpy(buf, uca->code_hva + (lin & (PAGE_SIZE - 1)), len);
		return (int)len;
	}

	while (done < len) {
		uint64_t a = lin + done;
		size_t chunk = PAGE_SIZE - (a & (PAGE_SIZE - 1));
		int vector;
		uint32_t ec;
		void *p = x86_gva_to_hva(vcpu, a, false, &vector, &ec);

		if (!p)
			break;
		if (!done) {
			uca->code_page = a & PAGE_MASK;
			uca->code_hva = (const uint8_t *)p - (a & (PAGE_SIZE - 1));
		}
		if (chunk > len - done)
			chunk = len - done;
		memcpy(buf + done, p, chunk);
		done += chunk;
	}
	return (int)done;
}

/* ---- stale code ---- */

static struct code_page *find_code_page(struct kvm_x86_uc *a, uint64_t gfn)
{
	for (int i = 0; i < a->nr_code; i++)
		if (a->code[i].gfn == gfn)
			return &a->code[i];
	return NULL;
}

/* Remember the bytes of a page Unicorn is about to translate code from. */
static void track_code_page(struct kvm_x86_uc *a, uint64_t gfn, const uint8_t *hva)
{
	struct code_page *n;

	if (find_code_page(a, gfn) || a->nr_code >= MAX_CODE_PAGES)
		return;
	n = realloc(a->code, (a->nr_code + 1) * sizeof(*n));
	if (!n)
		return;
	a->code = n;
	n = &a->code[a->nr_code];
	n->gfn = gfn;
	n->bytes = malloc(PAGE_SIZE);
	if (!n->bytes)
		return;
	memcpy(n->bytes, hva, PAGE_SIZE);
	a->nr_code++;
}

/*
 * Before the guest runs: did anything but this engine write a code page
 * (the VMM between KVM_RUNs, a host memcpy, another vCPU)?  Then every
 * translation goes (Unicorn only drops blocks for writes it makes
 * itself), and every page is scanned for trapped instructions again.
 */
int x86_check_code(struct kvm_vcpu *vcpu)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	bool changed = false;
	struct tdp_leaf leaf;

	for (int i = 0; i < a->nr_code; i++) {
		struct code_page *c = &a->code[i];
		const uint8_t *hva;

		if (!tdp_lookup(vcpu->kvm->tdp, c->gfn, &leaf))
			continue;
		hva = (const uint8_t *)(uintptr_t)tdp_leaf_host(&leaf, c->gfn);
		if (!memcmp(c->bytes, hva, PAGE_SIZE))
			continue;
		memcpy(c->bytes, hva, PAGE_SIZE);
		changed = true;
	}
	if (!changed)
		return 0;
	uc_flush_all(vcpu, "guest code changed");
	uc_ctl_flush_tb(a->uc);
	return 0;
}

/* ---- the TLB fill ---- */

enum fill_result { FILL_OK, FILL_FAULT, FILL_RETRY, FILL_NOPHYS };

static unsigned fill_access(uc_mem_type type)
{
	return type == UC_MEM_WRITE ? X86_ACC_WRITE : type == UC_MEM_FETCH ? X86_ACC_FETCH : 0;
}

static enum fill_result try_fill(struct kvm_vcpu *vcpu, uint64_t gva, unsigned access,
				 uc_tlb_entry *e)
{
	struct kvm *kvm = vcpu->kvm;
	struct x86_walk_result res;
	struct x86_walk_ctx ctx;
	struct tdp_leaf leaf;
	uint64_t gfn, hva;
	bool pt_page;

	if (x86_cpl(vcpu) == 3)
		access |= X86_ACC_USER;
	x86_build_walk_ctx(vcpu, &ctx);
	ctx.read_pte = pte_read_nofault;
	ctx.write_pte = pte_write_nofault;
	if (walk(vcpu, &ctx, gva, access, &res) != X86_WALK_OK)
		return FILL_FAULT;
	if (track_tables(vcpu, &res))
		return FILL_RETRY;
	gfn = res.gpa >> PAGE_SHIFT;
	if (!tdp_lookup(kvm->tdp, gfn, &leaf))
		return FILL_FAULT;
	pt_page = gfn_set_test(&kvm->pt_gfns, gfn);
	e->perms = UC_PROT_READ;
	/* the first write must reach the walker so the guest D bit gets set */
	if (res.writable && res.dirty && (leaf.flags & TDP_SPTE_WRITABLE) && !pt_page)
		e->perms |= UC_PROT_WRITE;
	/*
	 * Executable once the page was scanned for trapped instructions:
	 * a fetch fill scans it, so code is never translated unscanned.
	 */
	if (!res.nx && ((access & X86_ACC_FETCH) ||
			gfn_set_test(&to_uc(vcpu)->scanned, gva >> PAGE_SHIFT)))
		e->perms |= UC_PROT_EXEC;
	if (((access & X86_ACC_WRITE) && !(e->perms & UC_PROT_WRITE)) ||
	    ((access & X86_ACC_FETCH) && !(e->perms & UC_PROT_EXEC)))
		return FILL_FAULT;
	hva = tdp_leaf_host(&leaf, gfn);
	if (!spte_paddr(vcpu, gfn, hva, &e->paddr))
		return FILL_NOPHYS;
	if ((access & X86_ACC_FETCH) && !gfn_set_test(&to_uc(vcpu)->scanned, gva >> PAGE_SHIFT)) {
		struct code_page *c = find_code_page(to_uc(vcpu), gfn);

		/* bytes changed since Unicorn translated them: drop that first */
		if (c && memcmp(c->bytes, (const void *)(uintptr_t)hva, PAGE_SIZE))
			return FILL_RETRY;
		gfn_set_add(&to_uc(vcpu)->scanned, gva >> PAGE_SHIFT);
		track_code_page(to_uc(vcpu), gfn, (const uint8_t *)(uintptr_t)hva);
		x86_scan_code(vcpu, gva & PAGE_MASK, (const uint8_t *)(uintptr_t)hva, PAGE_SIZE);
	}
	return FILL_OK;
}

/*
 * UC_HOOK_TLB_FILL: the hardware's walk for a TLB miss.  Unicorn also
 * calls it outside emulation (unmap, cache removal): then it only answers.
 */
bool x86_tlb_fill(uc_engine *uc, uint64_t gva, uc_mem_type type, uc_tlb_entry *e,
		  void *opaque)
{
	struct kvm_vcpu *vcpu = opaque;
	struct kvm_x86_uc *a = to_uc(vcpu);
	unsigned access = fill_access(type);
	enum fill_result r;

	if (a->unmapping) {
		e->paddr = gva;
		e->perms = UC_PROT_ALL;
		return true;
	}
	if (a->mmio && (gva & PAGE_MASK) == a->mmio->gva_page && !(access & X86_ACC_FETCH)) {
		e->paddr = MMIO_SCRATCH_GPA;
		e->perms = UC_PROT_READ | UC_PROT_WRITE;
		return true;
	}
	r = try_fill(vcpu, gva, access, e);
	/* a probe must not change memory: a store elsewhere stops it */
	if (r == FILL_OK && a->mmio && a->mmio->probe) {
		e->perms &= ~UC_PROT_WRITE;
		if (access & X86_ACC_WRITE)
			r = FILL_FAULT;
	}
	if (r == FILL_OK)
		return true;
	if (a->in_run)
		a->fault = (struct uc_fault){ .valid = true, .retry = r == FILL_RETRY,
					      .access = access, .gva = gva };
	return false;
}

/* ---- faults ---- */

static uint32_t stage2_error_code(unsigned access)
{
	uint32_t ec = 0;

	if (access & X86_ACC_WRITE)
		ec |= PFERR_WRITE_MASK;
	if (access & X86_ACC_FETCH)
		ec |= PFERR_FETCH_MASK;
	return ec;
}

static int mmio_exit_fetch(struct kvm_vcpu *vcpu, uint64_t gpa)
{
	return x86_internal_error(vcpu, "instruction fetch from MMIO gpa 0x%llx",
				  (unsigned long long)gpa);
}

static int begin_mmio_step(struct kvm_vcpu *vcpu, uint64_t gva, uint64_t gpa,
			   unsigned access);
static uint64_t fault_address(struct kvm_vcpu *vcpu, uint64_t page, unsigned access);

/*
 * The fill succeeds now, or the SPTE's host page is outside the slot's
 * backing: a guest_memfd page (map the file's window) or nothing Unicorn
 * can reach.
 */
static int check_fillable(struct kvm_vcpu *vcpu, uint64_t gva, uint64_t gpa, unsigned access)
{
	struct tdp_leaf leaf;
	uc_tlb_entry e;
	uint64_t gfn = gpa >> PAGE_SHIFT;
	struct kvm_memory_slot *s;

	if (try_fill(vcpu, gva, access, &e) != FILL_NOPHYS)
		return 0;
	s = gfn_to_memslot(vcpu->kvm, gfn);
	if (s && s->gmem && tdp_lookup(vcpu->kvm->tdp, gfn, &leaf) &&
	    !map_gmem_alias(vcpu, s, gfn, tdp_leaf_host(&leaf, gfn)) &&
	    try_fill(vcpu, gva, access, &e) != FILL_NOPHYS)
		return 0;
	return x86_internal_error(vcpu, "stage 2 maps gpa 0x%llx to a host page outside its memslot",
				  (unsigned long long)gpa);
}

/*
 * A failed TLB fill: the EPT-violation path.  Returns 0 to re-enter the
 * guest, 1 if an exit for userspace is ready, or -errno for KVM_RUN.
 */
/* The exit as KVM sees it: where, what access, and the instruction at RIP. */
static void trace_ept_violation(struct kvm_vcpu *vcpu, uint64_t gva, uint64_t gpa,
				unsigned access)
{
	uint64_t rip = x86_reg_read(vcpu, UC_X86_REG_RIP);
	struct sim_ev *ev;
	char insn[64];

	/* a fetch fault: the code page itself is what is missing; read
	 * before the event opens (reading it may walk: a traced walk) */
	if (!(access & X86_ACC_FETCH)) {
		kvm_walk_trace_quiet(true);
		x86_disasm(vcpu, rip, insn, sizeof(insn));
		kvm_walk_trace_quiet(false);
	}
	ev = sim_ev_begin("handle_ept_violation");
	sim_ev_hex(ev, "gva", gva);
	sim_ev_hex(ev, "gpa", gpa);
	sim_ev_str(ev, "access", access & X86_ACC_WRITE ? "write" :
		   access & X86_ACC_FETCH ? "fetch" : "read");
	sim_ev_hex(ev, "rip", rip);
	if (!(access & X86_ACC_FETCH))
		sim_ev_str(ev, "insn", insn);
	sim_ev_end(ev);
}

int uc_handle_mem_fault(struct kvm_vcpu *vcpu)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	unsigned access = a->fault.access;
	uint64_t gva = a->fault.gva;
	struct x86_walk_result res;
	struct kvm_page_fault fault;
	struct sim_ev *ev;
	int st, r;

	a->fault.valid = false;
	if (a->fault.retry)
		return x86_check_code(vcpu);
	if (x86_cpl(vcpu) == 3)
		access |= X86_ACC_USER;
	st = x86_translate(vcpu, gva, access, &res);
	if (st == X86_WALK_PAGE_FAULT) {
		/* the exact CR2, which hardware reports: no walk to narrate */
		kvm_walk_trace_quiet(true);
		vcpu->cr2 = fault_address(vcpu, gva, access);
		kvm_walk_trace_quiet(false);
		ev = sim_ev_begin("kvm_inject_page_fault");
		sim_ev_hex(ev, "gva", vcpu->cr2);
		sim_ev_hex(ev, "error_code", res.error_code);
		sim_ev_end(ev);
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

	/*
	 * Only an access the SPTE does not allow is an EPT violation; the
	 * engine also comes here for its own reasons (a write to a guest page
	 * table it tracks), where the CPU would have gone on.
	 */
	if (!kvm_tdp_spte_allows(vcpu->kvm, res.gpa, access & X86_ACC_WRITE))
		trace_ept_violation(vcpu, gva, res.gpa, access);

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
	return check_fillable(vcpu, gva, res.gpa, access & ~X86_ACC_USER);
}

/* ---- MMIO: one instruction stepped against a callback page ---- */

static uint64_t mmio_read_cb(uc_engine *uc, uint64_t offset, unsigned size, void *opaque)
{
	struct kvm_x86_uc *a = opaque;
	struct mmio_step *m = a->mmio;
	uint64_t gva, v = 0;

	if (!m)
		return 0;
	gva = m->gva_page + offset;
	if (m->probe) {
		if (!m->probed)
			m->probe_gva = gva;
		m->probed = true;
		return 0;
	}
	if (m->hva_page) {
		memcpy(&v, m->hva_page + offset, size);
		return v;
	}
	if (!m->have_read_data) {
		/* first read of this instruction: exit for the value */
		if (!m->read_len)
			m->read_gva = gva;
		m->read_len += size;
		return 0;
	}
	memcpy(&v, m->read_data + (gva - m->read_gva), size);
	m->read_seen += size;
	return v;
}

static void mmio_write_cb(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value,
			  void *opaque)
{
	struct kvm_x86_uc *a = opaque;
	struct mmio_step *m = a->mmio;
	uint64_t gva;

	if (!m)
		return;
	gva = m->gva_page + offset;
	if (m->probe) {
		if (!m->probed)
			m->probe_gva = gva;
		m->probed = true;
		return;
	}
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

/* The callback page every MMIO step goes through (mapped once). */
int x86_map_mmio_scratch(struct kvm_vcpu *vcpu)
{
	struct kvm_x86_uc *a = to_uc(vcpu);

	return uc_mmio_map(a->uc, MMIO_SCRATCH_GPA, PAGE_SIZE, mmio_read_cb, a,
			   mmio_write_cb, a) == UC_ERR_OK ? 0 : -ENOMEM;
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
	else
		x86_spend_ns(vcpu, x86_mmio_poll_cost(vcpu, gpa, len));
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

#define STEP_FLUSH_INTERVAL	1024

/*
 * Run exactly the instruction at RIP, its MMIO page translated to the
 * callback page: Unicorn stops at the next instruction's address (an exit
 * set for this run only; the blocks translated with it are dropped
 * before and after, so no other run sees the stop).  Returns 1 with an
 * exit ready, 0 when it completed without needing userspace, or what a
 * nested fault returned.
 */
static uc_err step_once(struct kvm_vcpu *vcpu, struct mmio_step *m, uint64_t rip,
			uint64_t start, uint64_t next)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	uc_err err;

	a->mmio = m;
	a->stepping = true;
	a->fault.valid = false;
	a->stop = STOP_NONE;
	x86_tlb_flush(a);
	uc_ctl_remove_cache(a->uc, start, start + 1);
	uc_ctl_set_exits(a->uc, &next, 1);
	a->in_run = true;
	err = uc_emu_start(a->uc, rip, 0, 0, 0);
	a->in_run = false;
	uc_ctl_set_exits(a->uc, NULL, 0);
	a->mmio = NULL;
	a->stepping = false;
	x86_tlb_flush(a);
	uc_ctl_remove_cache(a->uc, start, start + 1);
	/*
	 * Every step translates fresh blocks.  Unicorn crashes when its
	 * translation buffer fills up during a run (tb_set_jmp_target on a
	 * flushed block, after ~9,000 steps with a 4 MiB buffer): flush all
	 * translations here, outside any run, well before it is full.
	 */
	if (++a->steps >= STEP_FLUSH_INTERVAL) {
		a->steps = 0;
		uc_ctl_flush_tb(a->uc);
	}
	return err;
}

/* The instruction at RIP: its linear address and the next one's. */
static int insn_bounds(struct kvm_vcpu *vcpu, uint64_t *start, uint64_t *next)
{
	uint8_t code[16];
	int n, len;

	*start = x86_linear_rip(vcpu);
	n = x86_read_code(vcpu, *start, code, sizeof(code));
	len = x86_insn_length(vcpu, code, n);
	*next = *start + len;
	return len;
}

/*
 * The exact address of a faulting access: Unicorn's fill only names the
 * page.  An instruction fetch faults at RIP or, for one that crosses into
 * the page, at its start; for data the instruction is stepped once with
 * the page translated to the callback page and no other store allowed,
 * then rolled back.
 */
static uint64_t fault_address(struct kvm_vcpu *vcpu, uint64_t page, unsigned access)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	struct mmio_step m = { .gva_page = page, .probe = true };
	uint64_t rip = x86_reg_read(vcpu, UC_X86_REG_RIP), start, next;

	if (access & X86_ACC_FETCH) {
		start = x86_linear_rip(vcpu);
		return (start & PAGE_MASK) == page ? start : page;
	}
	if (insn_bounds(vcpu, &start, &next) <= 0)
		return page;
	uc_context_save(a->uc, a->step_ctx);
	step_once(vcpu, &m, rip, start, next);
	uc_context_restore(a->uc, a->step_ctx);
	return m.probed ? m.probe_gva : page;
}

static int mmio_step_run(struct kvm_vcpu *vcpu, struct mmio_step *m)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	uint64_t rip = x86_reg_read(vcpu, UC_X86_REG_RIP), start, next;
	uc_err err = UC_ERR_OK;

	if (insn_bounds(vcpu, &start, &next) <= 0)
		return x86_internal_error(vcpu, "cannot decode the MMIO instruction at 0x%llx",
					  (unsigned long long)start);
	if (!x86_emulator_can_mmio(vcpu, start))
		return handle_emulation_failure(vcpu, start);
	uc_context_save(a->uc, a->step_ctx);
	for (int tries = 0; tries < 8; tries++) {
		err = step_once(vcpu, m, rip, start, next);
		if (a->stop == STOP_INTR) {
			uc_context_restore(a->uc, a->step_ctx);
			return kvm_inject_exception(vcpu, a->intno,
						    x86_exception_has_error_code(a->intno), 0, false);
		}
		if (err == UC_ERR_OK || !a->fault.valid)
			break;
		/* the instruction's other operand needs a translation first */
		int r = uc_handle_mem_fault(vcpu);
		if (r)
			return r;
	}
	if (err != UC_ERR_OK)
		return x86_internal_error(vcpu, "MMIO step at 0x%llx: %s",
					  (unsigned long long)start, uc_strerror(err));
	if (!m->have_read_data && m->read_len) {
		uint64_t gpa = m->gpa_page | (m->read_gva & (PAGE_SIZE - 1));

		/* roll back: the read completes on the next KVM_RUN */
		uc_context_restore(a->uc, a->step_ctx);
		if (m->read_len <= (int)sizeof(m->read_data) &&
		    vcpu_mmio_read(vcpu, gpa, m->read_len, m->read_data)) {
			/* a device in the kernel answered: step again with its value */
			m->have_read_data = true;
			m->read_seen = 0;
			m->wrote = false;
			m->write_len = 0;
			return mmio_step_run(vcpu, m);
		}
		fill_mmio_exit(vcpu, m->gpa_page | (m->read_gva & (PAGE_SIZE - 1)),
			       NULL, m->read_len, false);
		vcpu->pending = PENDING_MMIO_READ;
		return 1;
	}
	if (m->wrote && m->track_write)
		return 0;
	/* the step ran: RIP is past it, KVM's emulator would still be at it */
	a->mmio_insn_rip = start;
	if (m->wrote && vcpu_mmio_write(vcpu, m->gpa_page | (m->write_gva & (PAGE_SIZE - 1)),
					m->write_len, m->write_data)) {
		a->mmio_insn_rip = 0;
		return 0;
	}
	a->mmio_insn_rip = 0;
	if (m->wrote) {
		uint64_t gpa = m->gpa_page | (m->write_gva & (PAGE_SIZE - 1));

		/* vcpu_mmio_write: a coalesced zone takes it without an exit */
		if (kvm_coalesced_io_write(vcpu->kvm, false, gpa, m->write_len, m->write_data))
			return 0;
		fill_mmio_exit(vcpu, gpa, m->write_data, m->write_len, true);
		return 1;
	}
	return 0;
}

/* ---- MMIO to a device in the kernel by a plain MOV ---- */

/* The general-purpose registers, in encoding order, by operand size. */
static const x86_reg gpr_by_size[4][16] = {
	{ X86_REG_AL, X86_REG_CL, X86_REG_DL, X86_REG_BL, X86_REG_SPL, X86_REG_BPL,
	  X86_REG_SIL, X86_REG_DIL, X86_REG_R8B, X86_REG_R9B, X86_REG_R10B, X86_REG_R11B,
	  X86_REG_R12B, X86_REG_R13B, X86_REG_R14B, X86_REG_R15B },
	{ X86_REG_AX, X86_REG_CX, X86_REG_DX, X86_REG_BX, X86_REG_SP, X86_REG_BP,
	  X86_REG_SI, X86_REG_DI, X86_REG_R8W, X86_REG_R9W, X86_REG_R10W, X86_REG_R11W,
	  X86_REG_R12W, X86_REG_R13W, X86_REG_R14W, X86_REG_R15W },
	{ X86_REG_EAX, X86_REG_ECX, X86_REG_EDX, X86_REG_EBX, X86_REG_ESP, X86_REG_EBP,
	  X86_REG_ESI, X86_REG_EDI, X86_REG_R8D, X86_REG_R9D, X86_REG_R10D, X86_REG_R11D,
	  X86_REG_R12D, X86_REG_R13D, X86_REG_R14D, X86_REG_R15D },
	{ X86_REG_RAX, X86_REG_RCX, X86_REG_RDX, X86_REG_RBX, X86_REG_RSP, X86_REG_RBP,
	  X86_REG_RSI, X86_REG_RDI, X86_REG_R8, X86_REG_R9, X86_REG_R10, X86_REG_R11,
	  X86_REG_R12, X86_REG_R13, X86_REG_R14, X86_REG_R15 },
};

static const int uc_gpr[16] = {
	UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX,
	UC_X86_REG_RSP, UC_X86_REG_RBP, UC_X86_REG_RSI, UC_X86_REG_RDI,
	UC_X86_REG_R8, UC_X86_REG_R9, UC_X86_REG_R10, UC_X86_REG_R11,
	UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15,
};

/* The 64-bit register (Unicorn's id) of a capstone GPR of size bytes, or -1. */
static int gpr_of(x86_reg reg, int size)
{
	int row = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : size == 8 ? 3 : -1;

	for (int i = 0; row >= 0 && i < 16; i++)
		if (gpr_by_size[row][i] == reg)
			return uc_gpr[i];
	return -1;
}

/* A 64-bit address register's value (RIP-relative: the next RIP), or false. */
static bool addr_reg(struct kvm_vcpu *vcpu, x86_reg reg, uint64_t next_rip, uint64_t *val)
{
	int r;

	if (reg == X86_REG_INVALID) {
		*val = 0;
		return true;
	}
	if (reg == X86_REG_RIP) {
		*val = next_rip;
		return true;
	}
	r = gpr_of(reg, 8);
	if (r < 0)
		return false;
	*val = x86_reg_read(vcpu, r);
	return true;
}

/*
 * KVM's emulator runs an MMIO instruction against the device; kvmsim
 * steps it in Unicorn, which costs two full TLB flushes per step (and a
 * probe step first).  For the common case, a 64-bit-mode MOV between a
 * general-purpose register (or an immediate) and memory with a 64-bit
 * address and no segment override, to a device in the kernel (the local
 * APIC's page, an I/O bus device), the access is made here: the operand
 * decoded by capstone, the register merged as the CPU merges it (a
 * 32-bit destination zero-extends, 8/16-bit ones keep the rest).  Returns
 * 0 when done, -1 to take the step path (anything else, an access the
 * faulting page does not hold, or no device in the kernel took it: a
 * device that declines has done nothing).
 */
static int mmio_fast_mov(struct kvm_vcpu *vcpu, uint64_t gva, uint64_t gpa, unsigned access)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	uint64_t rip = x86_reg_read(vcpu, UC_X86_REG_RIP), next, base, index, addr, val = 0;
	const cs_x86_op *mem, *other;
	const cs_x86 *x;
	const uint8_t *code;
	uint8_t buf[16];
	size_t n;
	cs_insn *insn;
	int size, reg = -1, ok = -1;

	if (x86_cpu_mode(vcpu) != MODE_64 ||
	    (x86_reg_read(vcpu, UC_X86_REG_RFLAGS) & X86_EFLAGS_TF))
		return -1;
	n = (size_t)x86_read_code(vcpu, x86_linear_rip(vcpu), buf, sizeof(buf));
	code = buf;
	insn = cs_malloc(a->cs[MODE_64]);
	if (!insn)
		return -1;
	next = rip;
	if (!cs_disasm_iter(a->cs[MODE_64], &code, &n, &next, insn) || insn->id != X86_INS_MOV)
		goto out;
	x = &insn->detail->x86;
	if (x->op_count != 2)
		goto out;
	mem = &x->operands[(access & X86_ACC_WRITE) ? 0 : 1];
	other = &x->operands[(access & X86_ACC_WRITE) ? 1 : 0];
	size = mem->size;
	if (mem->type != X86_OP_MEM || mem->mem.segment != X86_REG_INVALID ||
	    !addr_reg(vcpu, mem->mem.base, next, &base) ||
	    !addr_reg(vcpu, mem->mem.index, next, &index))
		goto out;
	addr = base + index * (uint64_t)mem->mem.scale + (uint64_t)mem->mem.disp;
	if ((addr & PAGE_MASK) != (gva & PAGE_MASK) || (addr & ~PAGE_MASK) + size > PAGE_SIZE)
		goto out;
	if (other->type == X86_OP_REG) {
		reg = gpr_of(other->reg, size);
		if (reg < 0)
			goto out;
	} else if (other->type != X86_OP_IMM || !(access & X86_ACC_WRITE)) {
		goto out;
	}
	gpa = (gpa & PAGE_MASK) | (addr & ~PAGE_MASK);
	if (access & X86_ACC_WRITE) {
		val = reg >= 0 ? x86_reg_read(vcpu, reg) : (uint64_t)other->imm;
		if (!vcpu_mmio_write(vcpu, gpa, size, &val))
			goto out;
	} else {
		uint64_t old = x86_reg_read(vcpu, reg), mask;

		if (!vcpu_mmio_read(vcpu, gpa, size, &val))
			goto out;
		mask = size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
		val &= mask;
		if (size < 4)
			val |= old & ~mask;
		x86_reg_write(vcpu, reg, val);
	}
	x86_reg_write(vcpu, UC_X86_REG_RIP, next);
	ok = 0;
out:
	cs_free(insn, 1);
	return ok;
}

static int begin_mmio_step(struct kvm_vcpu *vcpu, uint64_t gva, uint64_t gpa,
			   unsigned access)
{
	struct mmio_step *m = &to_uc(vcpu)->mmio_pending;
	struct kvm_memory_slot *slot = gfn_to_memslot(vcpu->kvm, gpa >> PAGE_SHIFT);
	int r;

	/* no memslot behind it: a device in the kernel may take a MOV at once */
	if (!slot && !mmio_fast_mov(vcpu, gva, gpa, access))
		return 0;

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
 * write-protected in the TLB as KVM's shadow MMU keeps them: emulate the
 * one instruction against the page's bytes, then drop every translation
 * (any of them may derive from the entry just written), as
 * kvm_mmu_track_write zaps the shadow pages of a written gfn.
 */
int kvm_mmu_track_write(struct kvm_vcpu *vcpu, uint64_t gva, uint64_t gpa)
{
	struct mmio_step *m = &to_uc(vcpu)->mmio_pending;
	struct kvm *kvm = vcpu->kvm;
	struct sim_ev *ev;
	int r;

	*m = (struct mmio_step){ .gva_page = gva & PAGE_MASK, .gpa_page = gpa & PAGE_MASK,
				 .track_write = true };
	m->hva_page = kvm_vcpu_gpa_to_hva(vcpu, gpa & PAGE_MASK, true);
	if (!m->hva_page)
		return x86_internal_error(vcpu, "page-table page gpa 0x%llx has no writable backing",
					  (unsigned long long)gpa);
	ev = sim_ev_begin("kvm_mmu_track_write");
	sim_ev_hex(ev, "gva", gva);
	sim_ev_hex(ev, "gpa", gpa);
	sim_ev_end(ev);
	r = mmio_step_run(vcpu, m);
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
