// SPDX-License-Identifier: MIT
/*
 * KVM_SET_GUEST_DEBUG on x86 (arch/x86/kvm/x86.c:
 * kvm_arch_vcpu_ioctl_set_guest_debug; the exits as vmx.c's
 * handle_exception_nmi, handle_dr and x86.c's kvm_vcpu_do_singlestep fill
 * them).  Each mechanism is an engine hook present only while it is
 * wanted, as any hook slows Unicorn down:
 *  - USE_HW_BP execution breakpoints: a code hook on each address;
 *  - SINGLESTEP: a code hook on every instruction, the step ends where
 *    the next instruction starts (or after an instruction kvmsim
 *    emulates, or an event it delivers);
 *  - USE_HW_BP data breakpoints (write, read/write): memory hooks, on the
 *    guest-physical address each watched linear range has at entry, and
 *    the every-instruction code hook to stop after the access's
 *    instruction (a data breakpoint is a trap);
 *  - USE_SW_BP: the #BP Unicorn raises for INT3 becomes the exit.
 * The guest's DR0-DR7 stay the engine's (KVM_GET/SET_DEBUGREGS, guest
 * MOV DR): the host's breakpoints never enter them.
 */
#include <errno.h>
#include <string.h>

#include "kvm-model/x86/guest_debug.h"
#include "kvm-model/x86/uc_internal.h"
#include "kvm-model/x86/x86_state.h"

#define DR7_BP_EN_MASK	0xffu

static struct x86_guest_debug *dbg_of(struct kvm_vcpu *vcpu)
{
	return &to_uc(vcpu)->dbg;
}

uint32_t kvm_guestdbg_valid_mask(void)
{
	return KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_USE_HW_BP |
	       KVM_GUESTDBG_USE_SW_BP | KVM_GUESTDBG_INJECT_BP | KVM_GUESTDBG_INJECT_DB |
	       KVM_GUESTDBG_BLOCKIRQ;
}

uint64_t x86_debug_effective_dr7(struct kvm_vcpu *vcpu)
{
	struct x86_guest_debug *d = dbg_of(vcpu);

	if (d->control & KVM_GUESTDBG_USE_HW_BP)
		return d->dr7;
	return x86_reg_read(vcpu, UC_X86_REG_DR7);
}

/* kvm_is_exception_pending: one queued by userspace or by the model */
static bool exception_pending(struct kvm_vcpu *vcpu)
{
	struct kvm_x86_events *ev = &to_uc(vcpu)->events;
	struct x86_vcpu_state *s = x86_state(vcpu);

	return ev->exception_nr >= 0 || (s && s->exception_pending);
}

static long kvm_arch_vcpu_ioctl_set_guest_debug(struct kvm_vcpu *vcpu,
						const struct kvm_guest_debug *g)
{
	struct x86_guest_debug *d = dbg_of(vcpu);
	struct kvm_x86_events *ev = &to_uc(vcpu)->events;

	/* before the ENABLE test: a queued #DB/#BP needs no debugging on */
	if (g->control & (KVM_GUESTDBG_INJECT_DB | KVM_GUESTDBG_INJECT_BP)) {
		if (exception_pending(vcpu))
			return -EBUSY;
		ev->exception_nr = ev->exception_last_nr =
			g->control & KVM_GUESTDBG_INJECT_DB ? DB_VECTOR : BP_VECTOR;
		ev->exception_pending = true;
		ev->exception_has_error = false;
		ev->exception_error_code = 0;
	}
	/* unknown bits are kept, as x86 KVM keeps them (no EINVAL) */
	d->control = g->control & KVM_GUESTDBG_ENABLE ? g->control : 0;
	if (d->control & KVM_GUESTDBG_USE_HW_BP) {
		memcpy(d->eff_db, g->arch.debugreg, sizeof(d->eff_db));
		d->dr7 = g->arch.debugreg[7];
	}
	d->tf = false;
	if (d->control & KVM_GUESTDBG_SINGLESTEP) {
		d->singlestep_rip = x86_linear_rip(vcpu);
		d->tf = true;
	}
	d->armed_dirty = true;
	return 0;
}

long kvm_vcpu_ioctl_set_guest_debug(struct kvm_vcpu *vcpu, void *uarg)
{
	struct kvm_guest_debug g;

	if (copy_from_user(&g, uarg, sizeof(g)))
		return -EFAULT;
	/* the engine holds the guest's registers the ioctl reads */
	x86_uc(vcpu);
	return kvm_arch_vcpu_ioctl_set_guest_debug(vcpu, &g);
}

void x86_debug_set_rflags(struct kvm_vcpu *vcpu)
{
	struct x86_guest_debug *d = dbg_of(vcpu);
	bool tf = (d->control & KVM_GUESTDBG_SINGLESTEP) &&
		  x86_linear_rip(vcpu) == d->singlestep_rip;

	if (tf != d->tf) {
		d->tf = tf;
		d->armed_dirty = true;
	}
}

bool kvm_x86_debug_blocks_irq(struct kvm_vcpu *vcpu)
{
	return dbg_of(vcpu)->control & KVM_GUESTDBG_BLOCKIRQ;
}

static bool stepping(const struct x86_guest_debug *d)
{
	return (d->control & KVM_GUESTDBG_SINGLESTEP) && d->tf;
}

/*
 * Before an instruction starts, `completed` instructions of this entry
 * done: the DR6 bits of the debug exit due there, or 0.
 */
static uint32_t pending_dr6(const struct x86_guest_debug *d, uint64_t completed)
{
	return d->wp_hit | (stepping(d) && completed ? DR6_BS : 0);
}

bool x86_debug_stepping(struct kvm_vcpu *vcpu)
{
	struct x86_guest_debug *d = dbg_of(vcpu);

	return stepping(d) || d->wp_mask;
}

/* ---- the exit ---- */

/* Fill KVM_EXIT_DEBUG; dr6 < 0 leaves debug.arch.dr6/dr7 as they were. */
static int debug_exit(struct kvm_vcpu *vcpu, int exception, int64_t dr6, bool dr7)
{
	struct kvm_run *run = vcpu->run;
	struct sim_ev *ev;

	kvm_run_set_exit(vcpu, KVM_EXIT_DEBUG);
	run->debug.arch.exception = exception;
	run->debug.arch.pc = x86_linear_rip(vcpu);
	if (dr6 >= 0)
		run->debug.arch.dr6 = (uint64_t)dr6 | DR6_ACTIVE_LOW;
	if (dr7)
		run->debug.arch.dr7 = x86_debug_effective_dr7(vcpu);
	ev = sim_ev_begin("kvm_guest_debug_exit");
	sim_ev_int(ev, "exception", exception);
	sim_ev_hex(ev, "pc", run->debug.arch.pc);
	sim_ev_hex(ev, "dr6", dr6 >= 0 ? (uint64_t)dr6 : 0);
	sim_ev_end(ev);
	return 1;
}

int x86_debug_exit(struct kvm_vcpu *vcpu)
{
	struct x86_guest_debug *d = dbg_of(vcpu);

	return debug_exit(vcpu, DB_VECTOR, d->exit_dr6, d->exit_dr7);
}

int kvm_vcpu_do_singlestep(struct kvm_vcpu *vcpu)
{
	uint64_t dr6;

	/* x86.c's: DR7 is not filled on this path */
	if (stepping(dbg_of(vcpu)))
		return debug_exit(vcpu, DB_VECTOR, DR6_BS, false);
	/*
	 * The guest's own RFLAGS.TF: the engine traps after the instructions
	 * it runs, kvmsim after those it finishes (kvm_queue_exception_p with
	 * DR6.BS; the trap bits are replaced).
	 */
	if (!(x86_reg_read(vcpu, UC_X86_REG_RFLAGS) & X86_EFLAGS_TF))
		return 0;
	dr6 = (x86_reg_read(vcpu, UC_X86_REG_DR6) & ~0xfull) | DR6_BS;
	x86_reg_write(vcpu, UC_X86_REG_DR6, dr6);
	return kvm_inject_exception(vcpu, DB_VECTOR, false, 0, true);
}

int x86_debug_sw_bp(struct kvm_vcpu *vcpu, int len)
{
	struct x86_guest_debug *d = dbg_of(vcpu);

	d->bp_insn_len = len;
	if (!(d->control & KVM_GUESTDBG_USE_SW_BP))
		return 0;
	/* #BP intercepted: the exit names the INT3 itself, DR6/DR7 untouched */
	return debug_exit(vcpu, BP_VECTOR, -1, false);
}

int x86_debug_soft_bp_len(struct kvm_vcpu *vcpu)
{
	return dbg_of(vcpu)->bp_insn_len;
}

int x86_debug_hook_stop(struct kvm_vcpu *vcpu, uint64_t addr, bool at_block)
{
	struct x86_guest_debug *d = dbg_of(vcpu);
	/* the step hook ran for this instruction already, or not (see there) */
	uint64_t completed = d->count - (!at_block && d->count && d->last == addr);
	uint32_t dr6 = pending_dr6(d, completed);

	if (!dr6)
		return 0;
	return debug_exit(vcpu, DB_VECTOR, dr6, true);
}

int x86_debug_general_detect(struct kvm_vcpu *vcpu)
{
	struct x86_guest_debug *d = dbg_of(vcpu);
	uint64_t dr7 = x86_debug_effective_dr7(vcpu), dr6;

	if (!(dr7 & DR7_GD))
		return -1;
	/* handle_dr: the VM exit comes before the #DB, KVM emulates it */
	if (d->control & KVM_GUESTDBG_USE_HW_BP)
		return debug_exit(vcpu, DB_VECTOR, DR6_BD, true);
	/* the guest's own: DR6.BD (trap bits cleared), DR7.GD cleared, a fault */
	dr6 = (x86_reg_read(vcpu, UC_X86_REG_DR6) & ~0xfull) | DR6_BD;
	x86_reg_write(vcpu, UC_X86_REG_DR6, dr6);
	x86_reg_write(vcpu, UC_X86_REG_DR7, dr7 & ~(uint64_t)DR7_GD);
	return kvm_inject_exception(vcpu, DB_VECTOR, false, 0, false);
}

/* ---- hooks ---- */

/* Stop before the instruction at addr, for a debug exit. */
static void stop_for_debug(struct kvm_x86_uc *a, uint64_t addr, uint32_t dr6, bool dr7)
{
	a->stop = STOP_DEBUG;
	a->stop_pc = addr;
	/* Unicorn's RIP after a stop from a hook: handle_stop resumes at stop_pc */
	a->stopped_at_block = true;
	a->dbg.exit_dr6 = dr6;
	a->dbg.exit_dr7 = dr7;
	uc_emu_stop(a->uc);
}

/*
 * Another hook's stop at this address is overridden: the instruction has
 * not run (a trapped instruction, an interrupt window), and a debug event
 * comes first, as a code breakpoint's #DB or a single-step trap does.
 */
static bool may_stop(struct kvm_x86_uc *a)
{
	return !a->stepping && (a->stop == STOP_NONE || a->stop == STOP_SPECIAL ||
				a->stop == STOP_IRQ_WINDOW);
}

/* An execution breakpoint of the host's (kvm_vcpu_check_hw_bp, type 0). */
static void bp_hook(uc_engine *uc, uint64_t addr, uint32_t size, void *opaque)
{
	struct kvm_vcpu *vcpu = opaque;
	struct kvm_x86_uc *a = to_uc(vcpu);
	struct x86_guest_debug *d = &a->dbg;
	uint32_t dr6 = 0;

	if (!may_stop(a))
		return;
	/*
	 * RFLAGS.RF at entry suppresses the first instruction's code
	 * breakpoints (the CPU clears RF once it completes; Unicorn never
	 * does, so it is not read here).
	 */
	if (addr == d->rf_pc) {
		d->rf_pc = ~0ull;
		return;
	}
	for (int i = 0; i < 4; i++)
		if (d->bp_on[i] && d->bp_addr[i] == addr)
			dr6 |= 1u << i;
	if (dr6)
		stop_for_debug(a, addr, dr6, true);
}

/*
 * Every instruction while single-stepping or watching data: the first
 * one of an entry runs; at the next one's start it has completed.
 * Unicorn calls no further hook of an instruction once one stopped the
 * engine, so this one may not run where a trapped instruction's did:
 * x86_debug_hook_stop does its check then.
 */
static void step_hook(uc_engine *uc, uint64_t addr, uint32_t size, void *opaque)
{
	struct kvm_vcpu *vcpu = opaque;
	struct kvm_x86_uc *a = to_uc(vcpu);
	struct x86_guest_debug *d = &a->dbg;
	uint32_t dr6;

	if (!may_stop(a))
		return;
	dr6 = pending_dr6(d, d->count);
	d->count++;
	d->last = addr;
	if (dr6)
		stop_for_debug(a, addr, dr6, true);
}

/* A data access: which watched slots it touches (the instruction ends first). */
static void mem_hook(uc_engine *uc, uc_mem_type type, uint64_t gpa, int size,
		     int64_t value, void *opaque)
{
	struct kvm_x86_uc *a = to_uc((struct kvm_vcpu *)opaque);
	struct x86_guest_debug *d = &a->dbg;
	uint32_t mask = type == UC_MEM_WRITE ? d->wp_mask : d->wp_read_mask;

	if (a->stepping)
		return;
	for (int i = 0; i < 4; i++)
		if ((mask & (1u << i)) && gpa < d->wp_gpa[i] + d->wp_len[i] &&
		    d->wp_gpa[i] < gpa + (uint64_t)size)
			d->wp_hit |= 1u << i;
}

static void hook_del(struct kvm_x86_uc *a, bool *on, uc_hook h)
{
	if (*on)
		uc_hook_del(a->uc, h);
	*on = false;
}

/* DR7's type (R/W) and length fields of slot i */
static int dr7_type(uint64_t dr7, int i)
{
	return (dr7 >> (16 + 4 * i)) & 3;
}

static uint32_t dr7_len(uint64_t dr7, int i)
{
	static const uint32_t len[4] = { 1, 2, 8, 4 };

	return len[(dr7 >> (18 + 4 * i)) & 3];
}

static bool slot_enabled(uint64_t dr7, int i)
{
	return (dr7 >> (2 * i)) & 3;
}

/* The guest-physical address of a watched linear address now, if mapped. */
static bool watch_gpa(struct kvm_vcpu *vcpu, uint64_t gva, uint64_t *gpa)
{
	struct x86_walk_result res;
	struct x86_walk_ctx ctx;

	x86_build_walk_ctx(vcpu, &ctx);
	ctx.write_pte = NULL;	/* an inspection walk: no A/D bits */
	if (x86_walk_addr(&ctx, gva, 0, &res) != X86_WALK_OK)
		return false;
	*gpa = res.gpa;
	return true;
}

static void arm_breakpoints(struct kvm_vcpu *vcpu, bool hw)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	struct x86_guest_debug *d = &a->dbg;

	for (int i = 0; i < 4; i++) {
		bool want = hw && slot_enabled(d->dr7, i) && dr7_type(d->dr7, i) == 0;

		if (d->bp_on[i] && (!want || d->bp_addr[i] != d->eff_db[i])) {
			hook_del(a, &d->bp_on[i], d->bp_hook[i]);
			uc_ctl_remove_cache(a->uc, d->bp_addr[i], d->bp_addr[i] + 1);
		}
		if (!want || d->bp_on[i])
			continue;
		d->bp_addr[i] = d->eff_db[i];
		if (uc_hook_add(a->uc, &d->bp_hook[i], UC_HOOK_CODE, bp_hook, vcpu,
				d->bp_addr[i], d->bp_addr[i]))
			continue;
		d->bp_on[i] = true;
		/* a block translated before the hook would run past it */
		uc_ctl_remove_cache(a->uc, d->bp_addr[i], d->bp_addr[i] + 1);
	}
}

/* Which data breakpoints are armed, and where they are in memory now. */
static void arm_watchpoints(struct kvm_vcpu *vcpu, bool hw)
{
	struct x86_guest_debug *d = dbg_of(vcpu);

	d->wp_mask = d->wp_read_mask = 0;
	for (int i = 0; i < 4 && hw; i++) {
		int type = dr7_type(d->dr7, i);
		uint32_t len = dr7_len(d->dr7, i);

		if (!slot_enabled(d->dr7, i) || (type != 1 && type != 3))
			continue;
		/* hardware ignores the address bits below the length */
		if (!watch_gpa(vcpu, d->eff_db[i] & ~(uint64_t)(len - 1), &d->wp_gpa[i]))
			continue;
		d->wp_len[i] = len;
		d->wp_mask |= 1u << i;
		if (type == 3)
			d->wp_read_mask |= 1u << i;
	}
}

void x86_debug_arm(struct kvm_vcpu *vcpu)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	struct x86_guest_debug *d = &a->dbg;
	bool hw = (d->control & KVM_GUESTDBG_USE_HW_BP) && (d->dr7 & DR7_BP_EN_MASK);
	bool step, mem, flush = false;

	d->count = 0;
	d->wp_hit = 0;
	/* with hardware breakpoints, a watched range's gpa is looked up at each entry */
	if (!d->armed_dirty && !hw)
		return;
	d->armed_dirty = false;
	d->rf_pc = x86_reg_read(vcpu, UC_X86_REG_RFLAGS) & X86_EFLAGS_RF ?
		   x86_linear_rip(vcpu) : ~0ull;
	arm_breakpoints(vcpu, hw);
	arm_watchpoints(vcpu, hw);
	step = stepping(d) || d->wp_mask;
	mem = d->wp_mask;
	if (step != d->step_on) {
		if (step)
			d->step_on = !uc_hook_add(a->uc, &d->step_hook, UC_HOOK_CODE,
						  step_hook, vcpu, 1, 0);
		else
			hook_del(a, &d->step_on, d->step_hook);
		flush = true;
	}
	if (mem != d->mem_on) {
		if (mem) {
			d->mem_on = !uc_hook_add(a->uc, &d->write_hook, UC_HOOK_MEM_WRITE,
						 mem_hook, vcpu, 1, 0) &&
				    !uc_hook_add(a->uc, &d->read_hook, UC_HOOK_MEM_READ,
						 mem_hook, vcpu, 1, 0);
		} else {
			uc_hook_del(a->uc, d->write_hook);
			uc_hook_del(a->uc, d->read_hook);
			d->mem_on = false;
		}
		flush = true;
	}
	/*
	 * Code hooks and memory hooks are compiled into translated blocks
	 * (a block without a memory hook takes the fast path): retranslate.
	 */
	if (flush)
		uc_ctl_flush_tb(a->uc);
}

