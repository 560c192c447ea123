// SPDX-License-Identifier: MIT
/*
 * arm64 guest aborts, as arch/arm64/kvm/mmu.c and mmio.c handle them:
 * kvm_handle_guest_abort -> user_mem_abort (GUP, block size, the
 * invalidation-sequence retry, kvm_pgtable_stage2_map) or io_mem_abort
 * (KVM_EXIT_MMIO from the ISV syndrome).  A Unicorn TLB miss comes to
 * arm64_translate (stage 1 walked as hardware would, stage 2 looked up);
 * a miss it cannot fill stops the engine and comes back here, where only
 * a stage-2 miss enters the KVM path.  Every stage is a trace event named
 * after the kernel function it mirrors.
 */
#include <errno.h>
#include <string.h>

#include "kvm-model/arm64/arm64.h"
#include "kvm-model/kvm_mmu.h"
#include "kvm-model/profile.h"
#include "kvm-model/userfaultfd.h"
#include "kvm-model/walk_trace.h"
#include "mmu-model/hostmem.h"

/* stage-2 block sizes in tdp levels and the arm64 level that names them */
static int s2_arm64_level(int tdp_level)
{
	return 4 - tdp_level;	/* 4K: 3, 2M: 2, 1G: 1 */
}

/* Stage-2 changes (zap, write-protect) drop what the vCPU's TLB holds. */
void arm64_flush_gfns(struct kvm_vcpu *vcpu, uint64_t gfn_start, uint64_t gfn_end)
{
	arm64_flush_tlb(vcpu);
}

/*
 * Guest page-table writes need no tracking on arm64: the architecture
 * makes the guest invalidate (TLBI) after changing a valid descriptor,
 * and the TLBI hook flushes the TLB.
 */
void arm64_protect_gfn(struct kvm_vcpu *vcpu, uint64_t gfn)
{
}

/* ---- exception entry ---- */

static const uc_arm64_cp_reg spsr_el1 = { .crn = 4, .crm = 0, .op0 = 3, .op1 = 0, .op2 = 0 };

/*
 * Enter EL1h at VBAR_EL1 + the vector for where the exception came from
 * (current EL with SP_EL0, current EL with SP_ELx, lower EL), saving
 * PSTATE in SPSR_EL1 and the return address in ELR_EL1.
 */
static void arm64_enter_vector(struct kvm_vcpu *vcpu, uint64_t elr, uint64_t type)
{
	uint64_t pstate = arm64_reg_read(vcpu, UC_ARM64_REG_PSTATE);
	uint64_t mode = pstate & PSR_MODE_MASK;
	uint64_t offset = mode == PSR_MODE_EL1h ? 0x200 : mode == PSR_MODE_EL1t ? 0 : 0x400;
	uc_arm64_cp_reg spsr = spsr_el1;

	offset += type;
	spsr.val = pstate;
	uc_reg_write(arm64_uc(vcpu), UC_ARM64_REG_CP_REG, &spsr);
	arm64_reg_write(vcpu, UC_ARM64_REG_ELR_EL1, elr);
	if (mode != PSR_MODE_EL1h) {
		/* Unicorn's PSTATE write does not switch stack pointers */
		uint64_t sp = arm64_reg_read(vcpu, UC_ARM64_REG_SP);

		arm64_reg_write(vcpu, UC_ARM64_REG_SP_EL0, sp);
		arm64_reg_write(vcpu, UC_ARM64_REG_SP, arm64_reg_read(vcpu, UC_ARM64_REG_SP_EL1));
	}
	arm64_set_pstate(vcpu, PSR_MODE_EL1h | PSR_DAIF_MASK);
	arm64_reg_write(vcpu, UC_ARM64_REG_PC,
			arm64_reg_read(vcpu, UC_ARM64_REG_VBAR_EL1) + offset);
}

void arm64_inject_exception(struct kvm_vcpu *vcpu, uint32_t esr, uint64_t far,
			    uint64_t elr, bool set_far)
{
	arm64_reg_write(vcpu, UC_ARM64_REG_ESR_EL1, esr);
	if (set_far)
		arm64_reg_write(vcpu, UC_ARM64_REG_FAR_EL1, far);
	arm64_enter_vector(vcpu, elr, 0);
}

/* An IRQ or FIQ: the vectors after the synchronous one, ELR the next instruction. */
void arm64_take_irq(struct kvm_vcpu *vcpu, bool fiq)
{
	arm64_enter_vector(vcpu, arm64_reg_read(vcpu, UC_ARM64_REG_PC), fiq ? 0x100 : 0x80);
}

/* inject_abt64: a data or prefetch abort at `addr` with this status code */
static void inject_abt64(struct kvm_vcpu *vcpu, bool is_iabt, uint64_t addr,
			 uint32_t fsc, bool write)
{
	bool low = arm64_from_el0(vcpu);
	uint32_t ec = is_iabt ? (low ? ESR_ELx_EC_IABT_LOW : ESR_ELx_EC_IABT_CUR)
			      : (low ? ESR_ELx_EC_DABT_LOW : ESR_ELx_EC_DABT_CUR);
	uint32_t esr = ec << ESR_ELx_EC_SHIFT | ESR_ELx_IL | fsc;
	uint64_t pc = arm64_reg_read(vcpu, UC_ARM64_REG_PC);
	struct sim_ev *ev;

	if (write && !is_iabt)
		esr |= ESR_ELx_WNR;
	ev = sim_ev_begin("inject_abt64");
	sim_ev_hex(ev, "esr", esr);
	sim_ev_hex(ev, "far", addr);
	sim_ev_hex(ev, "elr", pc);
	sim_ev_end(ev);
	arm64_inject_exception(vcpu, esr, addr, pc, true);
}

void kvm_inject_undefined(struct kvm_vcpu *vcpu)
{
	uint64_t pc = arm64_reg_read(vcpu, UC_ARM64_REG_PC);
	uint32_t esr = ESR_ELx_EC_UNKNOWN << ESR_ELx_EC_SHIFT | ESR_ELx_IL;
	struct sim_ev *ev = sim_ev_begin("kvm_inject_undefined");

	sim_ev_hex(ev, "elr", pc);
	sim_ev_end(ev);
	arm64_inject_exception(vcpu, esr, 0, pc, false);
}

/* ---- stage 2: user_mem_abort ---- */

struct s2_fault {
	uint64_t ipa, va;
	bool write, exec, s1ptw;
	struct kvm_memory_slot *slot;
	struct kvm_page_fault pf;	/* what the arch-neutral GUP path takes */
};

static void trace_ipa(const char *event, uint64_t ipa)
{
	struct sim_ev *ev = sim_ev_begin(event);

	sim_ev_hex(ev, "ipa", ipa);
	sim_ev_end(ev);
}

/*
 * Seed 000 patch 12: an absent mapping on a fast-only slot fills exit 38
 * {flags 0, gpa, len} and user_mem_abort returns 0, which after patch 11
 * is a normal exit: KVM_RUN returns 0.
 */
static int user_mem_abort_exit_0(struct kvm_vcpu *vcpu, uint64_t gpa)
{
	kvm_prepare_memory_fault_exit(vcpu, gpa, PAGE_SIZE, 0);
	return 1;
}

/*
 * kvm_handle_error_pfn's arm64 counterpart, the one place where what
 * KVM_RUN returns for an unresolved host page is decided: hwpoison sends
 * SIGBUS and resumes (the signal makes KVM_RUN return -EINTR); otherwise
 * by convention: upstream, a bare -EFAULT (-1/EFAULT with
 * KVM_EXIT_MEMORY_FAULT under annotate-error-pfn); arm64-return-0-resume
 * (before 2023), a bare -EFAULT; arm64-return-0-exit (patch 11/12), exit
 * 38 with KVM_RUN returning 0 for an absent mapping, a bare -EFAULT for
 * the rest.
 */
static int user_mem_abort_error(struct kvm_vcpu *vcpu, struct s2_fault *f, int pfn_err)
{
	uint64_t gpa = f->ipa & PAGE_MASK;

	trace_ipa("kvm_handle_error_pfn", f->ipa);
	if (pfn_err != KVM_PFN_ERR_HWPOISON && kvm_rule_on(RULE_ARM64_RETURN_0_RESUME))
		return kvm_efault(vcpu, gpa, PAGE_SIZE);
	if (pfn_err != KVM_PFN_ERR_HWPOISON && kvm_rule_on(RULE_ARM64_RETURN_0_EXIT))
		return pfn_err == KVM_PFN_ERR_NEEDS_IO ? user_mem_abort_exit_0(vcpu, gpa) :
							  kvm_efault(vcpu, gpa, PAGE_SIZE);
	if (pfn_err == KVM_PFN_ERR_HWPOISON) {
		kvm_send_hwpoison_signal(vcpu, f->ipa, f->pf.hva);
		return 0;
	}
	return kvm_pfn_error_exit(vcpu, gpa, pfn_err);
}

/*
 * The block size: a 1G or 2M stage-2 block when the slot covers the
 * aligned range, IPA and HVA are congruent (fault_supports_stage2_huge_
 * mapping) and the host backs it with a page that large; 4K (force_pte)
 * under dirty logging, KVM Userfault, or in a userfaultfd-armed range.
 */
static int stage2_block_level(struct s2_fault *f)
{
	const struct kvm_memory_slot *slot = f->slot;
	uint64_t gfn = f->ipa >> PAGE_SHIFT;

	if ((slot->flags & KVM_MEM_LOG_DIRTY_PAGES) || kvm_memslot_userfault(slot) ||
	    (userfaultfd_armed(f->pf.hva) && !hostmem_hugetlb_size(f->pf.hva)))
		return TDP_PG_LEVEL_4K;
	for (int level = TDP_PG_LEVEL_1G; level > TDP_PG_LEVEL_4K; level--) {
		uint64_t pages = TDP_PAGES_PER_LEVEL(level);
		uint64_t base = gfn & ~(pages - 1);
		uint64_t size = pages << PAGE_SHIFT;

		if (base < slot->base_gfn || base + pages > slot->base_gfn + slot->npages)
			continue;
		if ((f->pf.hva ^ f->ipa) & (size - 1))
			continue;
		if (hostmem_is_huge(f->pf.hva, size))
			return level;
	}
	return TDP_PG_LEVEL_4K;
}

static int kvm_pgtable_stage2_map(struct kvm_vcpu *vcpu, struct s2_fault *f, int level,
				  bool writable)
{
	struct kvm *kvm = vcpu->kvm;
	uint64_t pages = TDP_PAGES_PER_LEVEL(level);
	uint64_t gfn = f->ipa >> PAGE_SHIFT, base = gfn & ~(pages - 1);
	unsigned flags = TDP_SPTE_EXEC | (writable ? TDP_SPTE_WRITABLE : 0);
	struct tdp_leaf old;
	bool relax = tdp_lookup(kvm->tdp, gfn, &old) && old.level == level;
	struct sim_ev *ev;
	int r;

	r = tdp_map(kvm->tdp, base, level, gfn_to_hva_memslot(f->slot, base), flags);
	if (r)
		return r;
	kvm->stat.spte_installs[level]++;
	/* KVM cleans the I-cache of what it maps: Unicorn drops stale code */
	arm64_invalidate_code(vcpu, base << PAGE_SHIFT, pages << PAGE_SHIFT);
	ev = sim_ev_begin(relax ? "kvm_pgtable_stage2_relax_perms" : "kvm_pgtable_stage2_map");
	sim_ev_hex(ev, "ipa", base << PAGE_SHIFT);
	sim_ev_int(ev, "level", s2_arm64_level(level));
	sim_ev_bool(ev, "writable", writable);
	sim_ev_end(ev);
	return 0;
}

static int user_mem_abort(struct kvm_vcpu *vcpu, struct s2_fault *f)
{
	bool logging = f->slot->flags & KVM_MEM_LOG_DIRTY_PAGES;
	struct kvm_page_fault *pf = &f->pf;
	struct sim_ev *ev;
	int level, r;

	ev = sim_ev_begin("user_mem_abort");
	sim_ev_hex(ev, "ipa", f->ipa);
	sim_ev_bool(ev, "write", f->write);
	sim_ev_bool(ev, "exec", f->exec);
	sim_ev_end(ev);
	pf->addr = f->ipa;
	pf->gfn = f->ipa >> PAGE_SHIFT;
	pf->write = f->write;
	pf->exec = f->exec;
	pf->slot = f->slot;
	/* smp_rmb() before GUP: a later invalidation makes this fault stale */
	pf->mmu_seq = vcpu->kvm->mmu_invalidate_seq;
	kvm_trace_seq_snapshot("ipa", f->ipa, pf->mmu_seq);
	r = __gfn_to_pfn_memslot(vcpu, pf);
	if (r) {
		r = user_mem_abort_error(vcpu, f, r);
		/* hazard 12: a positive errno is "resume" to handle_exit's caller */
		return r > 0 && r != 1 ? 0 : r;
	}
	level = stage2_block_level(f);
	/* only a write fault maps a logged page writable: the next write is seen */
	if ((f->slot->flags & KVM_MEM_READONLY) || (logging && !f->write))
		pf->map_writable = false;
	sim_yield("fault_install_window");
	if (mmu_invalidate_retry_gfn(vcpu->kvm, "ipa", f->ipa, pf->mmu_seq,
				     !kvm_rule_on(RULE_SKIP_MMU_SEQ_CHECK))) {
		vcpu->kvm->stat.fault_retries++;
		trace_ipa("mmu_invalidate_retry", f->ipa);
		return 0;
	}
	r = kvm_pgtable_stage2_map(vcpu, f, level, pf->map_writable);
	if (r)
		return r;
	/* patch 11 set ret to 1 before the "only if handled" check */
	if (pf->map_writable && !kvm_rule_on(RULE_ARM64_PATCH11_DIRTY_BUG))
		mark_page_dirty_in_slot(f->slot, pf->gfn);
	return 0;
}

/* ---- MMIO: io_mem_abort and its completion ---- */

/*
 * kvm_io_bus_read/write: the vGIC's frames are handled in the kernel;
 * the access completes (kvm_handle_mmio_return) without an exit.
 */
static bool vgic_io_access(struct kvm_vcpu *vcpu, uint64_t ipa, struct arm64_mmio_pending *d,
			   bool write)
{
	uint64_t v = write ? arm64_xreg_read(vcpu, d->rt) : 0;

	if (write && d->len < 8)
		v &= (1ull << (8 * d->len)) - 1;
	if (!vgic_mmio_access(vcpu, ipa, d->len, write, &v))
		return false;
	if (!write)
		memcpy(vcpu->run->mmio.data, &v, d->len);
	d->active = true;
	to_arm64(vcpu)->mmio = *d;
	kvm_handle_mmio_return(vcpu);
	return true;
}

static int io_mem_abort(struct kvm_vcpu *vcpu, uint64_t ipa, bool write)
{
	struct kvm_arm64_vcpu *a = to_arm64(vcpu);
	struct arm64_mmio_pending d = { 0 };
	struct kvm_run *run = vcpu->run;
	struct sim_ev *ev;
	uint32_t insn;
	bool isv = arm64_fault_insn(vcpu, &insn) && arm64_decode_isv(insn, &d);

	ev = sim_ev_begin("io_mem_abort");
	sim_ev_hex(ev, "ipa", ipa);
	sim_ev_bool(ev, "isv", isv);
	sim_ev_end(ev);
	if (!isv || d.read == write)
		/* kvm_pr_unimpl: "Data abort outside memslots with no valid syndrome info" */
		return -ENOSYS;
	if (vgic_io_access(vcpu, ipa, &d, write))
		return 0;
	kvm_run_set_exit(vcpu, KVM_EXIT_MMIO);
	run->mmio.phys_addr = ipa;
	run->mmio.len = d.len;
	run->mmio.is_write = write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (write) {
		uint64_t v = arm64_xreg_read(vcpu, d.rt);

		memcpy(run->mmio.data, &v, d.len);
	}
	d.active = true;
	a->mmio = d;
	vcpu->kvm->stat.mmio_exits++;
	ev = sim_ev_begin("kvm_mmio");
	sim_ev_str(ev, "rw", write ? "write" : "read");
	sim_ev_hex(ev, "gpa", ipa);
	sim_ev_int(ev, "len", d.len);
	if (write) {
		uint64_t v = 0;

		memcpy(&v, run->mmio.data, d.len);
		sim_ev_hex(ev, "val", v);
	}
	sim_ev_end(ev);
	return 1;
}

/* kvm_handle_mmio_return: a read's data into Rt, then skip the instruction. */
int kvm_handle_mmio_return(struct kvm_vcpu *vcpu)
{
	struct kvm_arm64_vcpu *a = to_arm64(vcpu);
	struct arm64_mmio_pending *d = &a->mmio;

	if (!d->active)
		return 0;
	d->active = false;
	if (d->read) {
		uint64_t v = 0;
		int bits = d->len * 8;

		memcpy(&v, vcpu->run->mmio.data, d->len);
		if (d->sign_extend && bits < 64 && (v >> (bits - 1)) & 1)
			v |= ~0ull << bits;
		if (!d->sixty_four)
			v &= 0xffffffffull;
		arm64_xreg_write(vcpu, d->rt, v);
	}
	arm64_reg_write(vcpu, UC_ARM64_REG_PC, arm64_reg_read(vcpu, UC_ARM64_REG_PC) + 4);
	return 0;
}

/* ---- kvm_handle_guest_abort ---- */

/*
 * A stage-2 abort on `ipa`: no memslot (or a write to a read-only one)
 * is MMIO, except for instruction fetches (prefetch abort injected) and
 * stage-1 table walks (external abort injected); otherwise
 * user_mem_abort.  0: re-enter the guest; 1: exit; -errno.
 */
static int stage2_abort(struct kvm_vcpu *vcpu, struct s2_fault *f)
{
	struct kvm *kvm = vcpu->kvm;
	const char *text = NULL;
	struct sim_ev *ev;
	uint32_t insn;
	int r;

	/* the instruction that aborted (not while its own page is missing);
	 * read before the event opens: reading it may walk (a traced walk) */
	kvm_walk_trace_quiet(true);
	if (!f->exec && arm64_fault_insn(vcpu, &insn))
		text = arm64_disasm(vcpu, arm64_reg_read(vcpu, UC_ARM64_REG_PC), insn);
	kvm_walk_trace_quiet(false);
	ev = sim_ev_begin("kvm_handle_guest_abort");
	sim_ev_hex(ev, "ipa", f->ipa);
	sim_ev_hex(ev, "va", f->va);
	sim_ev_str(ev, "access", f->s1ptw ? "s1ptw" : f->exec ? "exec" :
				 f->write ? "write" : "read");
	sim_ev_hex(ev, "pc", arm64_reg_read(vcpu, UC_ARM64_REG_PC));
	if (text)
		sim_ev_str(ev, "insn", text);
	sim_ev_end(ev);
	kvm->stat.page_faults++;
	f->slot = gfn_to_memslot(kvm, f->ipa >> PAGE_SHIFT);
	if (!f->slot || (f->write && (f->slot->flags & KVM_MEM_READONLY))) {
		if (f->exec) {
			inject_abt64(vcpu, true, f->va, ESR_ELx_FSC_EXTABT, false);
			return 0;
		}
		if (f->s1ptw) {
			inject_abt64(vcpu, false, f->va, ESR_ELx_FSC_EXTABT, false);
			return 0;
		}
		r = io_mem_abort(vcpu, f->ipa, f->write);
		kvm_livelock_check(vcpu, f->ipa >> PAGE_SHIFT, true, "exited");
		return r;
	}
	kvm_vcpu_srcu_read_lock(vcpu);
	r = user_mem_abort(vcpu, f);
	kvm_vcpu_srcu_read_unlock(vcpu);
	return r;
}

/* Present in stage 2 with the needed permission. */
static bool s2_lookup(struct kvm *kvm, uint64_t ipa, bool write, struct tdp_leaf *leaf)
{
	return tdp_lookup(kvm->tdp, ipa >> PAGE_SHIFT, leaf) &&
	       (!write || (leaf->flags & TDP_SPTE_WRITABLE));
}

struct walk_state {
	struct kvm_vcpu *vcpu;
	uint64_t va;
	bool may_fault;	/* false: a fill's walk, which only looks */
	int ret;	/* a failed S1PTW's outcome */
};

/* S1PTW: each descriptor read is a stage-2 read that may fault. */
static int s1ptw_read(void *opaque, uint64_t ipa, uint64_t *val)
{
	struct walk_state *ws = opaque;
	struct kvm *kvm = ws->vcpu->kvm;
	struct tdp_leaf leaf;

	/*
	 * kvm_is_write_fault: an S1PTW translation fault is a read (only a
	 * permission fault, for hardware AF/DBM, is a write); before 6.2
	 * every S1PTW counted as a write.
	 */
	bool write = kvm_rule_on(RULE_ARM64_S1PTW_WRITE);

	if (!s2_lookup(kvm, ipa, write, &leaf)) {
		struct s2_fault f = { .ipa = ipa, .va = ws->va, .s1ptw = true, .write = write };

		if (!ws->may_fault)
			return -1;
		ws->ret = stage2_abort(ws->vcpu, &f);
		if (ws->ret || !s2_lookup(kvm, ipa, write, &leaf))
			return -1;
	}
	memcpy(val, (void *)(uintptr_t)(tdp_leaf_host(&leaf, ipa >> PAGE_SHIFT) +
					(ipa & ~PAGE_MASK)), 8);
	return 0;
}

static void build_walk_ctx(struct kvm_vcpu *vcpu, struct arm64_walk_ctx *ctx,
			   struct walk_state *ws)
{
	struct kvm_arm64_vcpu *a = to_arm64(vcpu);

	memset(ctx, 0, sizeof(*ctx));
	ctx->sctlr = a->sctlr;
	ctx->tcr = a->tcr;
	ctx->ttbr0 = a->ttbr0;
	ctx->ttbr1 = a->ttbr1;
	ctx->read_desc = s1ptw_read;
	ctx->opaque = ws;
}

/*
 * The part of both leaves around va that is linear in both stages, with
 * what the EL may do there: the translation a TLB fill grants.
 */
static void fill_from_leaves(uint64_t va, const struct arm64_walk_result *res,
			     const struct tdp_leaf *leaf, bool el0,
			     struct arm64_fill_cache *out)
{
	uint64_t s2_lo = leaf->gfn_base << PAGE_SHIFT;
	uint64_t s2_hi = s2_lo + (TDP_PAGES_PER_LEVEL(leaf->level) << PAGE_SHIFT);
	uint64_t s1_size = res->mmu_off ? s2_hi - s2_lo : res->size;
	uint64_t s1_lo = res->ipa & ~(s1_size - 1);
	uint64_t lo = s1_lo > s2_lo ? s1_lo : s2_lo;
	uint64_t hi = s1_lo + s1_size < s2_hi ? s1_lo + s1_size : s2_hi;
	bool exec = el0 ? res->el0_exec : res->el1_exec;

	out->valid = true;
	out->va = va - (res->ipa - lo);
	out->size = hi - lo;
	out->ipa = lo;
	out->hva = tdp_leaf_host(leaf, lo >> PAGE_SHIFT);
	out->perms = UC_PROT_READ;
	if (res->writable && (leaf->flags & TDP_SPTE_WRITABLE))
		out->perms |= UC_PROT_WRITE;
	if (exec && (leaf->flags & TDP_SPTE_EXEC))
		out->perms |= UC_PROT_EXEC;
}

/*
 * A TLB fill: the stage-1 walk and the stage-2 lookup for this access,
 * taking no fault.  False when either stage cannot give it now.
 */
bool arm64_translate(struct kvm_vcpu *vcpu, uint64_t va, unsigned acc,
		     struct arm64_fill_cache *out)
{
	struct walk_state ws = { .vcpu = vcpu, .va = va };
	struct arm64_walk_ctx ctx;
	struct arm64_walk_result res;
	struct tdp_leaf leaf;

	build_walk_ctx(vcpu, &ctx, &ws);
	if (kvm_arm64_walk_traced(&ctx, va, acc, &res, true) != ARM64_WALK_OK ||
	    !s2_lookup(vcpu->kvm, res.ipa, acc & ARM64_ACC_WRITE, &leaf))
		return false;
	fill_from_leaves(va, &res, &leaf, acc & ARM64_ACC_EL0, out);
	return true;
}

/*
 * The VA the hardware would report (FAR_EL1): the fill names only the
 * 1K page that missed; the instruction at PC names the byte.  An access
 * that starts before the page and straddles into it faults at the page.
 */
static uint64_t fault_address(struct kvm_vcpu *vcpu)
{
	struct kvm_arm64_vcpu *a = to_arm64(vcpu);
	uint64_t pc = arm64_reg_read(vcpu, UC_ARM64_REG_PC);
	uint64_t page = a->fault.va, ea;
	uint32_t insn;

	if (a->fault.type == UC_MEM_FETCH)
		return pc > page ? pc : page;
	if (!arm64_fault_insn(vcpu, &insn) || !arm64_data_address(vcpu, pc, insn, &ea))
		return page;
	return ea >= page && ea - page < ARM64_UC_PAGE_SIZE ? ea : page;
}

static void trace_s1_fault(const struct arm64_walk_result *res, uint64_t va)
{
	struct sim_ev *ev = sim_ev_begin("stage1_fault");

	sim_ev_hex(ev, "va", va);
	sim_ev_hex(ev, "fsc", res->fsc);
	sim_ev_int(ev, "level", res->level);
	sim_ev_end(ev);
}

/*
 * A fill the hook could not grant: walk stage 1 again, this time taking
 * the faults (S1PTW ones included), then stage 2.
 */
int kvm_handle_guest_abort(struct kvm_vcpu *vcpu)
{
	struct kvm_arm64_vcpu *a = to_arm64(vcpu);
	uint64_t va = fault_address(vcpu);
	unsigned acc = arm64_access(a->fault.type, arm64_from_el0(vcpu));
	bool write = acc & ARM64_ACC_WRITE, exec = acc & ARM64_ACC_EXEC;
	struct walk_state ws = { .vcpu = vcpu, .va = va, .may_fault = true };
	struct arm64_walk_ctx ctx;
	struct arm64_walk_result res;
	struct tdp_leaf leaf;
	struct s2_fault f;
	int r;

	build_walk_ctx(vcpu, &ctx, &ws);
	switch (kvm_arm64_walk_traced(&ctx, va, acc, &res, false)) {
	case ARM64_WALK_S2_FAULT:
		return ws.ret;
	case ARM64_WALK_FAULT:
		/* the guest's own translation fault: hardware takes it to EL1 */
		trace_s1_fault(&res, va);
		inject_abt64(vcpu, exec, va, res.fsc, write);
		return 0;
	case ARM64_WALK_OK:
		break;
	}
	/* what the fill needs from stage 2; an SPTE without it is a permission fault */
	if (s2_lookup(vcpu->kvm, res.ipa, write, &leaf) &&
	    (!exec || (leaf.flags & TDP_SPTE_EXEC))) {
		/* the walk's own S1PTW faults mapped what was missing */
		kvm_livelock_check(vcpu, res.ipa >> PAGE_SHIFT, true, "re-faulted");
		return 0;
	}
	f = (struct s2_fault){ .ipa = res.ipa, .va = va, .write = write, .exec = exec };
	r = stage2_abort(vcpu, &f);
	if (!r)
		kvm_livelock_check(vcpu, res.ipa >> PAGE_SHIFT, false, "re-faulted");
	return r;
}

/*
 * kvm_arch_commit_memory_region for a FLAGS_ONLY change on arm64: dirty
 * logging on or off drops the slot's stage-2 mappings (they come back
 * read-only, 4K, while logging; blocks again after); KVM Userfault on
 * zaps the slot (unless userspace must do it), and off flushes it: arm64
 * has no in-place recovery of blocks (seed 002: "x86 recovers, arm64
 * flushes"), the next faults rebuild them.
 */
void arm64_slot_apply_flags(struct kvm *kvm, struct kvm_memory_slot *old, uint32_t new_flags)
{
	uint32_t changed = old->flags ^ new_flags;
	uint64_t end = old->base_gfn + old->npages;

	if (changed & KVM_MEM_LOG_DIRTY_PAGES)
		kvm_mmu_zap_gfn_range(kvm, old->base_gfn, end,
				      new_flags & KVM_MEM_LOG_DIRTY_PAGES ?
				      "kvm_mmu_wp_memory_region" : "kvm_arch_flush_shadow_memslot");
	if (!(changed & KVM_MEM_USERFAULT) || !kvm_rule_on(RULE_USERFAULT))
		return;
	if ((new_flags & KVM_MEM_USERFAULT) && kvm_rule_on(RULE_USERFAULT_ZAP_BY_USERSPACE))
		return;
	kvm_mmu_zap_gfn_range(kvm, old->base_gfn, end, "kvm_arch_flush_shadow_memslot");
}
