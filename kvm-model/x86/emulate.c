// SPDX-License-Identifier: MIT
/*
 * What Unicorn cannot do for us on x86: instructions it executes silently
 * against its own (paging-off) state — mov to/from CRn, wrmsr/rdmsr,
 * invlpg, rdtsc, cpuid, hlt — are found when a block is first executed
 * (capstone over the block) and trapped with an address-limited code hook;
 * and exceptions, which never reach the guest's IDT in Unicorn, are
 * delivered here (kvm_inject_exception + the architectural event delivery
 * that hardware does after VM entry).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "kvm-model/kvm_mmu.h"
#include "kvm-model/x86/uc_internal.h"
#include "kvm-model/x86/x86_state.h"

/* ---- finding trapped instructions ---- */

static bool is_cr_operand(const cs_x86_op *op)
{
	return op->type == X86_OP_REG && op->reg >= X86_REG_CR0 &&
	       op->reg <= X86_REG_CR15;
}

static bool is_dr_operand(const cs_x86_op *op)
{
	return op->type == X86_OP_REG && op->reg >= X86_REG_DR0 &&
	       op->reg <= X86_REG_DR15;
}

static bool insn_is_trapped(const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;

	switch (insn->id) {
	case X86_INS_HLT:
	case X86_INS_WRMSR:
	case X86_INS_RDMSR:
	case X86_INS_RDTSC:
	case X86_INS_RDTSCP:
	case X86_INS_CPUID:
	case X86_INS_INVLPG:
	case X86_INS_STI:
	case X86_INS_LMSW:
	case X86_INS_CLTS:
	case X86_INS_IN: case X86_INS_OUT:
	case X86_INS_INSB: case X86_INS_INSW: case X86_INS_INSD:
	case X86_INS_OUTSB: case X86_INS_OUTSW: case X86_INS_OUTSD:
		return true;
	case X86_INS_MOV:
		return x->op_count == 2 &&
		       (is_cr_operand(&x->operands[0]) || is_cr_operand(&x->operands[1]) ||
			is_dr_operand(&x->operands[0]) || is_dr_operand(&x->operands[1]));
	default:
		return false;
	}
}

/* ---- RDTSC and the polling rule ---- */

/*
 * A guest that reads the TSC again after running only a few blocks of
 * its own is polling the clock: udelay(), a timeout loop around a flag
 * another vCPU sets.  On a real CPU such a loop spins until wall time
 * has passed; here virtual time moves one ns per block, so it would need
 * billions of reads.  After POLL_FREE close reads in a row, each further
 * one spends virtual time, from POLL_MIN_NS doubling up to a ceiling
 * (TSC_POLL_MAX_NS, below the quantum: a poller still ends its quantum
 * and lets the others run).  A read POLL_GAP or more blocks after the
 * previous one, or of something else, starts over.  The same holds for a
 * guest that reads one MMIO address again and again, each read an exit
 * to userspace (a device's status register; set_memory_region_test's
 * spin on a deleted memslot): up to MMIO_POLL_MAX_NS per exit, a device
 * (and a VMM) that answers that slowly.  The rule counts only the
 * vCPU's own blocks and reads: the same run gives the same times.
 */
#define POLL_GAP		16
#define POLL_FREE		16
#define POLL_MIN_NS		64
#define TSC_POLL_MAX_NS		16384
#define MMIO_POLL_MAX_NS	1048576

uint64_t x86_poll_cost(struct kvm_vcpu *vcpu, struct x86_poll *p, uint64_t what,
		       uint64_t max_ns)
{
	uint64_t blocks = x86_vcpu_blocks(vcpu), ns;

	if (blocks - p->blocks < POLL_GAP && what == p->what) {
		if (p->reads < UINT_MAX)
			p->reads++;
	} else {
		p->reads = 0;
	}
	p->blocks = blocks;
	p->what = what;
	if (p->reads <= POLL_FREE)
		return 0;
	ns = p->reads - POLL_FREE - 1 >= 32 ? max_ns :
	     (uint64_t)POLL_MIN_NS << (p->reads - POLL_FREE - 1);
	return ns < max_ns ? ns : max_ns;
}

uint64_t x86_mmio_poll_cost(struct kvm_vcpu *vcpu, uint64_t gpa, int len)
{
	return x86_poll_cost(vcpu, &to_uc(vcpu)->mmio_poll, gpa << 4 | (uint64_t)len,
			     MMIO_POLL_MAX_NS);
}

/* RDTSC/RDTSCP: EDX:EAX = the guest TSC (and ECX = TSC_AUX) */
static void kvm_emulate_rdtsc(struct kvm_vcpu *vcpu, bool rdtscp)
{
	uint64_t tsc;

	x86_spend_ns(vcpu, x86_poll_cost(vcpu, &to_uc(vcpu)->tsc_poll, 0, TSC_POLL_MAX_NS));
	tsc = kvm_read_l1_tsc_at(vcpu, x86_vcpu_now(vcpu));
	x86_reg_write(vcpu, UC_X86_REG_RAX, (uint32_t)tsc);
	x86_reg_write(vcpu, UC_X86_REG_RDX, tsc >> 32);
	if (rdtscp)
		x86_reg_write(vcpu, UC_X86_REG_RCX, (uint32_t)vcpu->msr_tsc_aux);
}

/*
 * An unprefixed RDTSC (0f 31) or RDTSCP (0f 01 f9) is emulated inside
 * its code hook, the engine going on at the next instruction: leaving
 * and re-entering Unicorn costs some 40 us of host time per trap (the
 * block at the restart address is translated again), which a polling
 * loop would pay on every read.  With CR4.TSD set (a #GP at CPL > 0) it
 * takes the general path.  The bytes are checked, as the hook stays on
 * the address if the guest rewrites its code during the run.
 */
static bool rdtsc_in_hook(struct kvm_vcpu *vcpu, uint64_t addr, uint32_t size)
{
	static const uint8_t rdtsc[] = { 0x0f, 0x31 }, rdtscp[] = { 0x0f, 0x01, 0xf9 };
	uint8_t code[3];

	if ((size != sizeof(rdtsc) && size != sizeof(rdtscp)) ||
	    (vcpu->sregs.cr4 & X86_CR4_TSD) ||
	    x86_read_code(vcpu, addr, code, size) != (int)size ||
	    memcmp(code, size == sizeof(rdtsc) ? rdtsc : rdtscp, size))
		return false;
	kvm_emulate_rdtsc(vcpu, size == sizeof(rdtscp));
	/* Unicorn resumes at the new RIP without leaving uc_emu_start */
	x86_reg_write(vcpu, UC_X86_REG_RIP, x86_reg_read(vcpu, UC_X86_REG_RIP) + size);
	return true;
}

/* ---- MOV to/from DRn ---- */

/*
 * A MOV DR is trapped for DR7.GD only, which Unicorn does not model:
 * without it the engine runs the move itself (a write to DR7 arms the
 * guest's own breakpoints there).  Its bytes end in 0f 21/23 and ModRM.
 */
static bool mov_dr_in_engine(struct kvm_vcpu *vcpu, uint64_t addr, uint32_t size)
{
	uint8_t code[16];

	if (size < 3 || size > sizeof(code) || x86_read_code(vcpu, addr, code, size) != (int)size ||
	    code[size - 3] != 0x0f || (code[size - 2] != 0x21 && code[size - 2] != 0x23))
		return false;
	return !(x86_debug_effective_dr7(vcpu) & DR7_GD) && !x86_cpl(vcpu);
}

/* ---- trapping ---- */

static void trap_hook(uc_engine *uc, uint64_t addr, uint32_t size, void *opaque)
{
	struct kvm_vcpu *vcpu = opaque;
	struct kvm_x86_uc *a = to_uc(vcpu);

	/* a debug hook stopped before this instruction: it must not run */
	if (a->stop == STOP_DEBUG)
		return;
	if (a->stop == STOP_NONE && !a->stepping && !x86_debug_stepping(vcpu) &&
	    rdtsc_in_hook(vcpu, addr, size))
		return;
	if (a->stop == STOP_NONE && !a->stepping && mov_dr_in_engine(vcpu, addr, size))
		return;
	a->stop = STOP_SPECIAL;
	a->special_rip = addr;
	uc_emu_stop(uc);
}

static void add_trap(struct kvm_vcpu *vcpu, uint64_t addr)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	struct trap_hook *n;
	uc_hook h;

	if (!gfn_set_add(&a->trapped, addr))
		return;
	if (uc_hook_add(a->uc, &h, UC_HOOK_CODE, trap_hook, vcpu, addr, addr))
		return;
	/* doubling: growing by one moved the array through fresh heap pages */
	if (a->nr_hooks == a->cap_hooks) {
		size_t cap = a->cap_hooks ? 2 * a->cap_hooks : 64;

		n = realloc(a->hooks, cap * sizeof(*n));
		if (!n)
			return;
		a->hooks = n;
		a->cap_hooks = cap;
	}
	a->hooks[a->nr_hooks++] = (struct trap_hook){ addr, h };
}

/* ---- scanning ---- */

static struct scan_memo **scan_memo_slot(struct kvm_x86_uc *a, uint64_t gva_page)
{
	return &a->scan_memo[(gva_page >> PAGE_SHIFT) % SCAN_MEMO_SIZE];
}

static void scan_memo_forget(struct kvm_x86_uc *a, uint64_t gva_page)
{
	struct scan_memo *m = *scan_memo_slot(a, gva_page);

	if (m && m->gva_page == gva_page)
		m->mode = -1;
}

/*
 * Was this page scanned in this mode with these very bytes?  Every trap
 * that scan hooked is still there (x86_drop_trap forgets the page), so a
 * TLB flush (every MMIO step makes two) costs a 4 KiB compare instead of
 * a capstone pass over the page.  Otherwise remember it for next time.
 */
static bool scan_memo_hit(struct kvm_x86_uc *a, uint64_t gva_page, int mode,
			  const uint8_t *bytes)
{
	struct scan_memo **slot = scan_memo_slot(a, gva_page), *m = *slot;

	if (m && m->gva_page == gva_page && m->mode == mode &&
	    !memcmp(m->bytes, bytes, PAGE_SIZE))
		return true;
	if (!m) {
		m = malloc(sizeof(*m));
		if (!m)
			return false;
		*slot = m;
	}
	m->gva_page = gva_page;
	m->mode = mode;
	memcpy(m->bytes, bytes, PAGE_SIZE);
	return false;
}

/*
 * The code at addr changed and is no trapped instruction any more: its
 * hook goes, and so does the block translated with it.
 */
void x86_drop_trap(struct kvm_vcpu *vcpu, uint64_t addr)
{
	struct kvm_x86_uc *a = to_uc(vcpu);

	for (size_t i = 0; i < a->nr_hooks; i++) {
		if (a->hooks[i].addr != addr)
			continue;
		uc_hook_del(a->uc, a->hooks[i].hook);
		a->hooks[i] = a->hooks[--a->nr_hooks];
		break;
	}
	gfn_set_del(&a->trapped, addr);
	uc_ctl_remove_cache(a->uc, addr, addr + 1);
	/* the page's hooks no longer match its scan */
	scan_memo_forget(a, addr & PAGE_MASK);
}

/*
 * Every trapped instruction has one of these opcodes after its prefixes
 * (0f 01 covers invlpg, lmsw and rdtscp; 0f 21/23 are MOV DR; fb is sti, whose interrupt
 * shadow the model must know).  Port I/O is trapped too, so it
 * is emulated with its operands decoded, the same way in every mode.
 */
static bool one_byte_trap(uint8_t b)
{
	return b == 0xf4 || b == 0xfb || (b >= 0xe4 && b <= 0xe7) || (b >= 0xec && b <= 0xef) ||
	       (b >= 0x6c && b <= 0x6f);
}

static bool trap_opcode(const uint8_t *p)
{
	if (one_byte_trap(p[0]))
		return true;
	if (p[0] != 0x0f)
		return false;
	switch (p[1]) {
	case 0x01: case 0x06: case 0x20: case 0x21: case 0x22: case 0x23:
	case 0x30: case 0x31: case 0x32: case 0xa2:
		return true;
	}
	return false;
}

/* longest prefix run (legacy prefixes, REX) an instruction may start with */
#define MAX_PREFIXES	4

/*
 * Hook every address in [gva, gva + len) where a trapped instruction would
 * start, before Unicorn may execute any of it (the region is not
 * executable until this has run).  A candidate is decoded at each start
 * that could reach the opcode through prefixes; a start that is really the
 * middle of another instruction costs a hook that never fires, so nothing
 * real is missed however code and data mix.
 */
void x86_scan_code(struct kvm_vcpu *vcpu, uint64_t gva, const uint8_t *bytes, size_t len)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	int mode = x86_cpu_mode(vcpu);
	csh cs = a->cs[mode];
	bool page = len == PAGE_SIZE && !(gva & ~PAGE_MASK);
	const struct x86_scan_result *known;
	uint16_t starts[SCAN_CACHE_MAX_STARTS];
	unsigned int nr_starts = 0;
	cs_insn *insn;

	if (page && scan_memo_hit(a, gva, mode, bytes))
		return;
	/* these bytes scanned before in this mode: the same hooks, no capstone */
	if (page && (known = x86_scan_cache_find(mode, bytes))) {
		for (unsigned int i = 0; i < known->n; i++)
			add_trap(vcpu, gva + known->offs[i]);
		return;
	}
	insn = cs_malloc(cs);
	for (size_t i = 0; i < len; i++) {
		if (i + 1 == len ? !one_byte_trap(bytes[i]) : !trap_opcode(bytes + i))
			continue;
		for (size_t start = i > MAX_PREFIXES ? i - MAX_PREFIXES : 0; start <= i; start++) {
			const uint8_t *code = bytes + start;
			size_t n = len - start < 16 ? len - start : 16;
			uint64_t addr = gva + start;

			if (!cs_disasm_iter(cs, &code, &n, &addr, insn) ||
			    start + insn->size <= i)
				continue;
			if (!insn_is_trapped(insn))
				continue;
			add_trap(vcpu, gva + start);
			if (nr_starts < SCAN_CACHE_MAX_STARTS)
				starts[nr_starts] = (uint16_t)start;
			nr_starts++;
		}
	}
	cs_free(insn, 1);
	if (page && nr_starts <= SCAN_CACHE_MAX_STARTS)
		x86_scan_cache_add(mode, bytes, starts, nr_starts);
}

int x86_insn_length(struct kvm_vcpu *vcpu, const uint8_t *code, int n)
{
	cs_insn *insn;
	int len = 0;

	if (n > 0 && cs_disasm(to_uc(vcpu)->cs[x86_cpu_mode(vcpu)], code, n, 0, 1, &insn) == 1) {
		len = insn->size;
		cs_free(insn, 1);
	}
	return len;
}

/* Decode the instruction at linear lin, its address the guest's RIP. */
static bool decode_at(struct kvm_vcpu *vcpu, uint64_t lin, uint64_t rip, cs_insn **insn)
{
	uint8_t code[16];
	int n = x86_read_code(vcpu, lin, code, sizeof(code));

	return n && cs_disasm(to_uc(vcpu)->cs[x86_cpu_mode(vcpu)], code, n, rip, 1, insn) == 1;
}

void x86_disasm(struct kvm_vcpu *vcpu, uint64_t rip, char *buf, size_t len)
{
	cs_insn *insn;

	snprintf(buf, len, "(unreadable)");
	if (decode_at(vcpu, x86_linear_rip(vcpu), rip, &insn)) {
		snprintf(buf, len, "%s%s%s", insn->mnemonic, insn->op_str[0] ? " " : "",
			 insn->op_str);
		cs_free(insn, 1);
	}
}

/* ---- errors ---- */

int x86_internal_error(struct kvm_vcpu *vcpu, const char *fmt, ...)
{
	struct kvm_run *run = vcpu->run;
	char msg[256];
	struct sim_ev *ev;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kvm_run_set_exit(vcpu, KVM_EXIT_INTERNAL_ERROR);
	run->internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
	run->internal.ndata = 0;
	fprintf(stderr, "kvmsim: %s: internal error: %s\n", vcpu->name, msg);
	ev = sim_ev_begin("kvm_internal_error");
	sim_ev_str(ev, "msg", msg);
	sim_ev_end(ev);
	return 1;
}

/* ---- exception delivery ---- */

bool x86_exception_has_error_code(int vector)
{
	return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 ||
	       vector == 21;
}

static int push_bytes(struct kvm_vcpu *vcpu, uint64_t *sp, uint64_t val, int size)
{
	int vector;
	uint32_t ec;
	void *p;

	*sp -= size;
	p = x86_gva_to_hva(vcpu, *sp, true, &vector, &ec);
	if (!p)
		return -1;
	memcpy(p, &val, size);
	return 0;
}

static void *read_idt_entry(struct kvm_vcpu *vcpu, int vector, int size)
{
	uint64_t base = vcpu->sregs.idt.base, off = (uint64_t)vector * size;
	int v;
	uint32_t ec;

	if (off + size - 1 > vcpu->sregs.idt.limit)
		return NULL;
	return x86_gva_to_hva(vcpu, base + off, false, &v, &ec);
}

/* CS from the gate or the IVT, with the descriptor the CPU would load. */
static int load_cs(struct kvm_vcpu *vcpu, uint16_t sel)
{
	return x86_load_cs(vcpu, sel) ? -1 : 0;
}

static int deliver_real_mode(struct kvm_vcpu *vcpu, int vector)
{
	uint8_t *e = read_idt_entry(vcpu, vector, 4);
	uint64_t ss = x86_reg_read(vcpu, UC_X86_REG_SS);
	uint64_t sp = (ss << 4) + (uint16_t)x86_reg_read(vcpu, UC_X86_REG_RSP);
	uint64_t flags = x86_reg_read(vcpu, UC_X86_REG_EFLAGS);
	uint16_t ip, cs;

	if (!e)
		return -1;
	memcpy(&ip, e, 2);
	memcpy(&cs, e + 2, 2);
	if (push_bytes(vcpu, &sp, flags, 2) ||
	    push_bytes(vcpu, &sp, x86_reg_read(vcpu, UC_X86_REG_CS), 2) ||
	    push_bytes(vcpu, &sp, x86_reg_read(vcpu, UC_X86_REG_RIP), 2))
		return -1;
	x86_reg_write(vcpu, UC_X86_REG_RSP, (sp - (ss << 4)) & 0xffff);
	x86_reg_write(vcpu, UC_X86_REG_EFLAGS, flags & ~((1u << 9) | (1u << 8) | (1u << 18)));
	if (load_cs(vcpu, cs))
		return -1;
	x86_reg_write(vcpu, UC_X86_REG_RIP, ip);
	return 0;
}

/* Gate fields shared by 32- and 64-bit IDTs. */
struct gate {
	uint64_t offset;
	uint16_t selector;
	int type;
	int ist;
	bool present;
};

static int read_gate(struct kvm_vcpu *vcpu, int vector, bool wide, struct gate *g)
{
	uint8_t *e = read_idt_entry(vcpu, vector, wide ? 16 : 8);
	uint16_t lo, hi;

	if (!e)
		return -1;
	memcpy(&lo, e, 2);
	memcpy(&g->selector, e + 2, 2);
	memcpy(&hi, e + 6, 2);
	g->ist = e[4] & 7;
	g->type = e[5] & 0xf;
	g->present = e[5] & 0x80;
	g->offset = lo | ((uint64_t)hi << 16);
	if (wide) {
		uint32_t top;

		memcpy(&top, e + 8, 4);
		g->offset |= (uint64_t)top << 32;
	}
	/* interrupt and trap gates only (no task gates) */
	if (!g->present || (g->type != 0xe && g->type != 0xf))
		return -1;
	return 0;
}

static uint64_t tss_read64(struct kvm_vcpu *vcpu, uint64_t off, bool *ok)
{
	int v;
	uint32_t ec;
	uint64_t val = 0;
	void *p = x86_gva_to_hva(vcpu, vcpu->sregs.tr.base + off, false, &v, &ec);

	*ok = p != NULL;
	if (p)
		memcpy(&val, p, 8);
	return val;
}

static int deliver_protected(struct kvm_vcpu *vcpu, int vector, bool has_error,
			     uint32_t error_code)
{
	bool lm = x86_long_mode(vcpu);
	int width = lm ? 8 : 4;
	uint64_t rsp = x86_reg_read(vcpu, UC_X86_REG_RSP);
	uint64_t flags = x86_reg_read(vcpu, UC_X86_REG_EFLAGS);
	uint64_t ss = x86_reg_read(vcpu, UC_X86_REG_SS);
	struct gate g;
	bool ok = true;

	if (read_gate(vcpu, vector, lm, &g))
		return -1;
	/* faults push RFLAGS.RF set so the retried instruction is not re-trapped */
	if (!vcpu->arch_trap_exception)
		flags |= X86_EFLAGS_RF;
	uint64_t sp = lm ? rsp : vcpu->sregs.ss.base + (uint32_t)rsp;
	if (lm && g.ist)
		sp = tss_read64(vcpu, 0x24 + 8 * (g.ist - 1), &ok);
	if (!ok)
		return -1;
	if (lm)
		sp &= ~0xfull;
	if ((lm && push_bytes(vcpu, &sp, ss, 8)) ||
	    (lm && push_bytes(vcpu, &sp, rsp, 8)) ||
	    push_bytes(vcpu, &sp, flags, width) ||
	    push_bytes(vcpu, &sp, x86_reg_read(vcpu, UC_X86_REG_CS), width) ||
	    push_bytes(vcpu, &sp, x86_reg_read(vcpu, UC_X86_REG_RIP), width) ||
	    (has_error && push_bytes(vcpu, &sp, error_code, width)))
		return -1;
	x86_reg_write(vcpu, UC_X86_REG_RSP, lm ? sp : sp - vcpu->sregs.ss.base);
	/* TF, NT, RF, VM cleared; IF too for an interrupt gate */
	flags &= ~((1u << 8) | (1u << 14) | (1u << 16) | (1u << 17));
	if (g.type == 0xe)
		flags &= ~(1u << 9);
	x86_reg_write(vcpu, UC_X86_REG_EFLAGS, flags);
	if (load_cs(vcpu, g.selector))
		return -1;
	x86_reg_write(vcpu, UC_X86_REG_RIP, lm ? g.offset : (uint32_t)g.offset);
	return 0;
}

static int deliver_one(struct kvm_vcpu *vcpu, int vector, bool has_error,
		       uint32_t error_code)
{
	if (!(vcpu->sregs.cr0 & X86_CR0_PE))
		return deliver_real_mode(vcpu, vector);
	return deliver_protected(vcpu, vector, has_error, error_code);
}

static void trace_exception(const char *event, int vector, uint32_t error_code,
			    uint64_t rip)
{
	struct sim_ev *ev = sim_ev_begin(event);

	sim_ev_int(ev, "vector", vector);
	sim_ev_hex(ev, "error_code", error_code);
	sim_ev_hex(ev, "rip", rip);
	sim_ev_end(ev);
}

/*
 * Deliver an exception through the guest's IDT.  A failure while
 * delivering becomes #DF; a failure while delivering #DF is a triple fault
 * (KVM_EXIT_SHUTDOWN).  Returns 0 to continue, 1 with an exit ready.
 */
int kvm_inject_exception(struct kvm_vcpu *vcpu, int vector, bool has_error,
			 uint32_t error_code, bool is_trap)
{
	uint64_t rip = x86_reg_read(vcpu, UC_X86_REG_RIP);

	/* RIP is already past a trap instruction */
	vcpu->arch_trap_exception = is_trap;
	to_uc(vcpu)->exceptions++;
	if (vector == PF_VECTOR)
		x86_reg_write(vcpu, UC_X86_REG_CR2, vcpu->cr2);
	trace_exception("kvm_inj_exception", vector, error_code, rip);
	if (!deliver_one(vcpu, vector, has_error, error_code))
		return 0;
	if (vector != DF_VECTOR) {
		trace_exception("kvm_inj_exception", DF_VECTOR, 0, rip);
		if (!deliver_one(vcpu, DF_VECTOR, true, 0))
			return 0;
	}
	trace_exception("kvm_triple_fault", vector, error_code, rip);
	/* the CPU stops while delivering a fault, so RFLAGS.RF is already set */
	if (!is_trap)
		x86_reg_write(vcpu, UC_X86_REG_RFLAGS,
			      x86_reg_read(vcpu, UC_X86_REG_RFLAGS) | X86_EFLAGS_RF);
	kvm_run_set_exit(vcpu, KVM_EXIT_SHUTDOWN);
	to_uc(vcpu)->shutdown = true;
	return 1;
}

/*
 * An external interrupt (the LAPIC's vector): a trap-like event, RIP
 * already at the next instruction.  A vector whose gate cannot be used
 * is #GP with the IDT error code (vector << 3 | IDT | EXT).
 */
int kvm_inject_irq(struct kvm_vcpu *vcpu, int vector)
{
	uint64_t rip = x86_reg_read(vcpu, UC_X86_REG_RIP);

	vcpu->arch_trap_exception = true;
	trace_exception("kvm_inj_virq", vector, 0, rip);
	if (!deliver_one(vcpu, vector, false, 0))
		return 0;
	return kvm_inject_exception(vcpu, GP_VECTOR, true, (uint32_t)vector << 3 | 3, false);
}

/* ---- trapped instructions ---- */

static int uc_reg_of(x86_reg r)
{
	static const struct { x86_reg cs; int uc; } map[] = {
		{ X86_REG_RAX, UC_X86_REG_RAX }, { X86_REG_RBX, UC_X86_REG_RBX },
		{ X86_REG_RCX, UC_X86_REG_RCX }, { X86_REG_RDX, UC_X86_REG_RDX },
		{ X86_REG_RSI, UC_X86_REG_RSI }, { X86_REG_RDI, UC_X86_REG_RDI },
		{ X86_REG_RBP, UC_X86_REG_RBP }, { X86_REG_RSP, UC_X86_REG_RSP },
		{ X86_REG_R8, UC_X86_REG_R8 }, { X86_REG_R9, UC_X86_REG_R9 },
		{ X86_REG_R10, UC_X86_REG_R10 }, { X86_REG_R11, UC_X86_REG_R11 },
		{ X86_REG_R12, UC_X86_REG_R12 }, { X86_REG_R13, UC_X86_REG_R13 },
		{ X86_REG_R14, UC_X86_REG_R14 }, { X86_REG_R15, UC_X86_REG_R15 },
		{ X86_REG_EAX, UC_X86_REG_RAX }, { X86_REG_EBX, UC_X86_REG_RBX },
		{ X86_REG_ECX, UC_X86_REG_RCX }, { X86_REG_EDX, UC_X86_REG_RDX },
		{ X86_REG_ESI, UC_X86_REG_RSI }, { X86_REG_EDI, UC_X86_REG_RDI },
		{ X86_REG_EBP, UC_X86_REG_RBP }, { X86_REG_ESP, UC_X86_REG_RSP },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].cs == r)
			return map[i].uc;
	return -1;
}

static int set_control(struct kvm_vcpu *vcpu, uint64_t cr0, uint64_t cr4, uint64_t efer)
{
	if (x86_set_control(vcpu, cr0, cr4, efer))
		return kvm_inject_exception(vcpu, GP_VECTOR, true, 0, false);
	return 0;
}

static int emulate_mov_cr(struct kvm_vcpu *vcpu, const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;
	struct kvm_sregs *s = &vcpu->sregs;
	bool to_cr = is_cr_operand(&x->operands[0]);
	x86_reg cr = to_cr ? x->operands[0].reg : x->operands[1].reg;
	int gpr = uc_reg_of(to_cr ? x->operands[1].reg : x->operands[0].reg);
	int n = cr - X86_REG_CR0;
	char text[256];
	uint64_t v;

	snprintf(text, sizeof(text), "%s %s", insn->mnemonic, insn->op_str);
	if (gpr < 0)
		return x86_internal_error(vcpu, "cannot decode '%s'", text);
	if (!to_cr) {
		uint64_t val = n == 0 ? s->cr0 : n == 2 ? vcpu->cr2 : n == 3 ? s->cr3 :
			       n == 4 ? s->cr4 : n == 8 ? kvm_get_cr8(vcpu) : 0;

		x86_reg_write(vcpu, gpr, x86_long_mode(vcpu) ? val : (uint32_t)val);
		return 0;
	}
	v = x86_reg_read(vcpu, gpr);
	switch (n) {
	case 0:
		return set_control(vcpu, v, s->cr4, s->efer);
	case 2:
		vcpu->cr2 = v;
		return 0;
	case 3:
		s->cr3 = v;
		uc_flush_all(vcpu, "cr3 write");
		return 0;
	case 4:
		return set_control(vcpu, s->cr0, v, s->efer);
	case 8:
		/* kvm_set_cr8: TPR bits 7:4 with the LAPIC in the kernel */
		if (v & ~0xfull)
			return kvm_inject_exception(vcpu, GP_VECTOR, true, 0, false);
		kvm_set_cr8(vcpu, v);
		return 0;
	}
	return kvm_inject_exception(vcpu, UD_VECTOR, false, 0, false);
}

/*
 * handle_dr: #GP at CPL > 0, then DR7.GD (a KVM_EXIT_DEBUG for the host's
 * USE_HW_BP, or the guest's #DB with DR6.BD), then the move itself.
 */
static int emulate_mov_dr(struct kvm_vcpu *vcpu, const cs_insn *insn, bool *skip)
{
	const cs_x86 *x = &insn->detail->x86;
	bool to_dr = is_dr_operand(&x->operands[0]);
	int n = (to_dr ? x->operands[0].reg : x->operands[1].reg) - X86_REG_DR0;
	int gpr = uc_reg_of(to_dr ? x->operands[1].reg : x->operands[0].reg);
	int r;

	*skip = false;
	if (x86_cpl(vcpu))
		return kvm_inject_exception(vcpu, GP_VECTOR, true, 0, false);
	/* kvm_require_dr: DR4/DR5 are #UD with CR4.DE, DR8-15 always */
	if (n > 7 || ((n == 4 || n == 5) && (vcpu->sregs.cr4 & X86_CR4_DE)))
		return kvm_inject_exception(vcpu, UD_VECTOR, false, 0, false);
	r = x86_debug_general_detect(vcpu);
	if (r >= 0)
		return r;
	if (gpr < 0)
		return x86_internal_error(vcpu, "cannot decode '%s %s'", insn->mnemonic,
					  insn->op_str);
	/* DR4/DR5 alias DR6/DR7 */
	if (n == 4 || n == 5)
		n += 2;
	*skip = true;
	if (to_dr)
		x86_reg_write(vcpu, UC_X86_REG_DR0 + n, x86_reg_read(vcpu, gpr));
	else
		x86_reg_write(vcpu, gpr, x86_reg_read(vcpu, UC_X86_REG_DR0 + n));
	return 0;
}

/*
 * RDMSR/WRMSR: EFER (unless filtered) changes the paging mode, so it
 * stays here; every other MSR goes through msr_filter.c, which may exit.
 */
static int emulate_msr(struct kvm_vcpu *vcpu, const cs_insn *insn, bool *skip)
{
	bool write = insn->id == X86_INS_WRMSR;
	uint32_t idx = (uint32_t)x86_reg_read(vcpu, UC_X86_REG_RCX);
	uint64_t v = ((uint64_t)(uint32_t)x86_reg_read(vcpu, UC_X86_REG_RDX) << 32) |
		     (uint32_t)x86_reg_read(vcpu, UC_X86_REG_RAX);

	if (idx == MSR_EFER &&
	    kvm_msr_allowed(vcpu, idx, write ? KVM_MSR_FILTER_WRITE : KVM_MSR_FILTER_READ)) {
		if (write)
			return set_control(vcpu, vcpu->sregs.cr0, vcpu->sregs.cr4, v);
		x86_reg_write(vcpu, UC_X86_REG_RAX, (uint32_t)vcpu->sregs.efer);
		x86_reg_write(vcpu, UC_X86_REG_RDX, vcpu->sregs.efer >> 32);
		return 0;
	}
	*skip = false;
	return kvm_emulate_msr(vcpu, write, x86_reg_read(vcpu, UC_X86_REG_RIP) + insn->size);
}

static const struct kvm_cpuid_entry2 *find_cpuid(struct kvm_vcpu *vcpu,
						 uint32_t fn, uint32_t idx)
{
	for (int i = 0; i < vcpu->cpuid_nent; i++) {
		const struct kvm_cpuid_entry2 *e = &vcpu->cpuid[i];

		if (e->function != fn)
			continue;
		if ((e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) && e->index != idx)
			continue;
		return e;
	}
	return NULL;
}

static void emulate_cpuid(struct kvm_vcpu *vcpu)
{
	uint32_t fn = x86_reg_read(vcpu, UC_X86_REG_RAX);
	uint32_t idx = x86_reg_read(vcpu, UC_X86_REG_RCX);
	const struct kvm_cpuid_entry2 *e = find_cpuid(vcpu, fn, idx);

	x86_reg_write(vcpu, UC_X86_REG_RAX, e ? e->eax : 0);
	x86_reg_write(vcpu, UC_X86_REG_RBX, e ? e->ebx : 0);
	x86_reg_write(vcpu, UC_X86_REG_RCX, e ? e->ecx : 0);
	x86_reg_write(vcpu, UC_X86_REG_RDX, e ? e->edx : 0);
}

/*
 * Element size of INS/OUTS (0: not one): 6c/6e are bytes; 6d/6f are the
 * operand size, 16 bits in 16-bit code and 32 elsewhere, the other one
 * with a 0x66 prefix (capstone's id says INSD for `66 6d` in 64-bit
 * code, so the encoding decides).
 */
static int string_pio_size(struct kvm_vcpu *vcpu, const cs_insn *insn)
{
	bool op16;

	const cs_x86 *x = &insn->detail->x86;

	switch (insn->id) {
	case X86_INS_INSB: case X86_INS_OUTSB:
	case X86_INS_INSW: case X86_INS_OUTSW:
	case X86_INS_INSD: case X86_INS_OUTSD:
		break;
	default:
		return 0;
	}
	if (x->opcode[0] == 0x6c || x->opcode[0] == 0x6e)
		return 1;
	op16 = x86_cpu_mode(vcpu) == MODE_16;
	if (x->prefix[2] == X86_PREFIX_OPSIZE)
		op16 = !op16;
	return op16 ? 2 : 4;
}

#define COPY_OK	INT_MIN	/* copy_guest: no exception, no exit */

/*
 * Copy between guest linear memory and buf for string I/O, as the
 * emulator does: a stage-1 fault is a #PF for the guest; the data moves
 * with kvm_vcpu_read_guest / kvm_vcpu_write_guest, outside the stage-2
 * fault path, so a host page that is gone is kvm_efault() (a bare
 * -EFAULT upstream).  Returns COPY_OK, 0 (#PF injected), 1 (exit) or -errno.
 */
static int copy_guest(struct kvm_vcpu *vcpu, uint64_t addr, void *buf, size_t len,
		      bool to_guest)
{
	for (size_t done = 0; done < len;) {
		uint64_t a = addr + done, bad;
		size_t chunk = PAGE_SIZE - (a & (PAGE_SIZE - 1));
		struct x86_walk_result res;
		int st, r;

		if (chunk > len - done)
			chunk = len - done;
		st = x86_translate(vcpu, a, to_guest ? X86_ACC_WRITE : 0, &res);
		if (st == X86_WALK_PAGE_FAULT) {
			vcpu->cr2 = a;
			return kvm_inject_exception(vcpu, PF_VECTOR, true, res.error_code, false);
		}
		if (st != X86_WALK_OK || !gfn_to_memslot(vcpu->kvm, res.gpa >> PAGE_SHIFT))
			return x86_internal_error(vcpu, "string I/O to gva 0x%llx with no memslot",
						  (unsigned long long)a);
		r = to_guest ? kvm_vcpu_write_guest(vcpu, res.gpa, (uint8_t *)buf + done, chunk, &bad) :
			       kvm_vcpu_read_guest(vcpu, res.gpa, (uint8_t *)buf + done, chunk, &bad);
		if (r)
			return kvm_efault(vcpu, bad & PAGE_MASK, PAGE_SIZE);
		if (to_guest)
			kvm_arch_vcpu_flush_gfns(vcpu, res.gpa >> PAGE_SHIFT,
						 (res.gpa >> PAGE_SHIFT) + 1);
		done += chunk;
	}
	return COPY_OK;
}

/* The emulator's PIO read-ahead buffer (struct read_cache's data[]). */
#define PIO_READ_AHEAD	sizeof(((struct pending_string_pio *)0)->read_ahead)

/* rCX as the address size masks it (address_mask). */
static uint64_t string_count(struct kvm_vcpu *vcpu)
{
	uint64_t rcx = x86_reg_read(vcpu, UC_X86_REG_RCX);

	return x86_long_mode(vcpu) ? rcx : (uint32_t)rcx;
}

/*
 * How many INS elements one exit asks for (pio_in_emulated): what rCX
 * says, at most the read-ahead buffer, and at most the bytes left in the
 * destination's page (to its start with EFLAGS.DF set; counted in bytes,
 * not elements, as KVM does), at least one.
 */
static uint32_t ins_batch(struct kvm_vcpu *vcpu, const struct pending_string_pio *ps)
{
	uint64_t rdi = x86_reg_read(vcpu, UC_X86_REG_RDI);
	uint64_t n = ps->rep ? string_count(vcpu) : 1;
	uint64_t in_page = ps->down ? rdi & (PAGE_SIZE - 1) :
				      PAGE_SIZE - (rdi & (PAGE_SIZE - 1));

	if (n > in_page)
		n = in_page;
	if (n > (uint64_t)(PIO_READ_AHEAD / ps->size))
		n = PIO_READ_AHEAD / ps->size;
	return n ? n : 1;
}

/*
 * Move `count` string elements between guest linear memory at `base`
 * (the first element's address) and buf: upwards, or with EFLAGS.DF set
 * downwards, element i at base - i * size while buf stays in order.
 */
static int copy_string(struct kvm_vcpu *vcpu, const struct pending_string_pio *ps,
		       uint64_t base, void *buf, uint32_t count, bool to_guest)
{
	if (!ps->down)
		return copy_guest(vcpu, base, buf, (size_t)count * ps->size, to_guest);
	for (uint32_t i = 0; i < count; i++) {
		int r = copy_guest(vcpu, base - (uint64_t)i * ps->size,
				   (char *)buf + (size_t)i * ps->size, ps->size, to_guest);

		if (r != COPY_OK)
			return r;
	}
	return COPY_OK;
}

static bool coalesce_string_out(struct kvm_vcpu *vcpu, const struct pending_string_pio *ps,
				uint32_t count)
{
	const char *data = (const char *)vcpu->run + KVM_PIO_PAGE_OFFSET * PAGE_SIZE;
	uint16_t port = (uint16_t)x86_reg_read(vcpu, UC_X86_REG_RDX);

	for (uint32_t i = 0; i < count; i++)
		if (!kvm_coalesced_io_write(vcpu->kvm, true, port, ps->size, data + i * ps->size))
			return false;
	return true;
}

static uint64_t string_base(struct kvm_vcpu *vcpu, bool in)
{
	bool lm = x86_long_mode(vcpu);

	return in ? x86_reg_read(vcpu, UC_X86_REG_RDI) + (lm ? 0 : vcpu->sregs.es.base) :
		    x86_reg_read(vcpu, UC_X86_REG_RSI) + (lm ? 0 : vcpu->sregs.ds.base);
}

/*
 * INS/OUTS: one KVM_EXIT_IO carrying `count` elements in the data page.
 * INS asks for what the emulator's read-ahead asks (ins_batch); OUTS
 * sends up to a page of elements.  The registers move on completion.
 */
static int emulate_string_pio(struct kvm_vcpu *vcpu, const cs_insn *insn)
{
	struct pending_string_pio *ps = &vcpu->pending_string;
	struct kvm_run *run = vcpu->run;
	int size = string_pio_size(vcpu, insn);
	uint64_t count = 1;
	int r;

	/* field by field: read_ahead keeps what earlier INS left in it */
	ps->in = insn->id == X86_INS_INSB || insn->id == X86_INS_INSW ||
		 insn->id == X86_INS_INSD;
	ps->rep = insn->detail->x86.prefix[0] == X86_PREFIX_REP;
	ps->down = x86_reg_read(vcpu, UC_X86_REG_RFLAGS) & (1u << 10);
	ps->size = size;
	if (ps->rep) {
		count = string_count(vcpu);
		if (!count) {
			x86_reg_write(vcpu, UC_X86_REG_RIP, insn->address + insn->size);
			return 0;
		}
	}
	if (ps->in)
		count = ins_batch(vcpu, ps);
	else if (count > PAGE_SIZE / size)
		count = PAGE_SIZE / size;
	ps->count = count;
	ps->addr = string_base(vcpu, ps->in);
	vcpu->pending_rip_next = insn->address + insn->size;
	if (!ps->in) {
		/* the data is read before the exit is set up, as the emulator does */
		r = copy_string(vcpu, ps, ps->addr,
				(char *)run + KVM_PIO_PAGE_OFFSET * PAGE_SIZE, count, false);
		if (r != COPY_OK)
			return r;
		/*
		 * kernel_pio: every element taken by a coalesced PIO zone, no
		 * exit; one refused and all of them go to userspace (those
		 * already in the ring stay there, as in KVM).
		 */
		if (coalesce_string_out(vcpu, ps, count))
			return x86_complete_string_pio(vcpu);
	}
	kvm_run_set_exit(vcpu, KVM_EXIT_IO);
	run->io.direction = ps->in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = size;
	run->io.port = (uint16_t)x86_reg_read(vcpu, UC_X86_REG_RDX);
	run->io.count = count;
	run->io.data_offset = KVM_PIO_PAGE_OFFSET * PAGE_SIZE;
	vcpu->pending = PENDING_PIO_STRING;
	return 1;
}

/*
 * Completion of INS/OUTS: store INS data, advance rSI/rDI, count rCX down.
 * The VMM may have changed rCX (or rDI) since the exit; as the emulator
 * restarted on the instruction does, INS re-reads them: rCX now zero
 * ends the instruction with nothing stored, otherwise it stores what
 * ins_batch says now (elements past those the exit asked for are what the
 * read-ahead buffer held from earlier INS), and OUTS never counts rCX
 * below zero.
 */
int x86_complete_string_pio(struct kvm_vcpu *vcpu)
{
	struct pending_string_pio *ps = &vcpu->pending_string;
	int reg = ps->in ? UC_X86_REG_RDI : UC_X86_REG_RSI;
	uint64_t rcx = ps->rep ? string_count(vcpu) : 1;
	uint32_t n = ps->count;
	int r;

	vcpu->pending = PENDING_NONE;
	if (!rcx) {
		x86_reg_write(vcpu, UC_X86_REG_RIP, vcpu->pending_rip_next);
		return 0;
	}
	if (ps->in) {
		memcpy(ps->read_ahead, (char *)vcpu->run + KVM_PIO_PAGE_OFFSET * PAGE_SIZE,
		       (size_t)ps->count * ps->size);
		n = ins_batch(vcpu, ps);
		r = copy_string(vcpu, ps, string_base(vcpu, true), ps->read_ahead, n, true);
		if (r != COPY_OK)
			return r;
	} else if (n > rcx) {
		n = rcx;
	}
	x86_reg_write(vcpu, reg, x86_reg_read(vcpu, reg) +
			(int64_t)n * ps->size * (ps->down ? -1 : 1));
	if (!ps->rep) {
		x86_reg_write(vcpu, UC_X86_REG_RIP, vcpu->pending_rip_next);
		return 0;
	}
	x86_reg_write(vcpu, UC_X86_REG_RCX, x86_reg_read(vcpu, UC_X86_REG_RCX) - n);
	/* more elements left: the instruction runs again */
	if (rcx == n)
		x86_reg_write(vcpu, UC_X86_REG_RIP, vcpu->pending_rip_next);
	return 0;
}

/*
 * Without an in-kernel LAPIC a halted vCPU goes to userspace
 * (kvm_emulate_halt -> KVM_EXIT_HLT) with RIP past the hlt; with one
 * (KVM_CREATE_IRQCHIP) the vCPU becomes HALTED and the run loop blocks
 * it in KVM_RUN until an interrupt, INIT/SIPI or completed async work can
 * wake it (vcpu_block).
 */
static int kvm_emulate_halt(struct kvm_vcpu *vcpu, uint64_t next_rip, bool *skip)
{
	struct sim_ev *ev = sim_ev_begin("kvm_emulate_halt");

	sim_ev_hex(ev, "rip", next_rip);
	sim_ev_end(ev);
	x86_reg_write(vcpu, UC_X86_REG_RIP, next_rip);
	*skip = false;
	if (lapic_in_kernel(vcpu)) {
		x86_state(vcpu)->mp_state = KVM_MP_STATE_HALTED;
		return 0;
	}
	kvm_run_set_exit(vcpu, KVM_EXIT_HLT);
	return 1;
}

/* STI: IF set; if it was clear, interrupts wait one more instruction. */
static int emulate_sti(struct kvm_vcpu *vcpu, const cs_insn *insn, bool *skip)
{
	uint64_t fl = x86_reg_read(vcpu, UC_X86_REG_RFLAGS);
	int iopl = (fl >> 12) & 3;

	if ((vcpu->sregs.cr0 & X86_CR0_PE) && x86_cpl(vcpu) > iopl) {
		*skip = false;
		return kvm_inject_exception(vcpu, GP_VECTOR, true, 0, false);
	}
	x86_reg_write(vcpu, UC_X86_REG_RFLAGS, fl | (1u << 9));
	if (!(fl & (1u << 9))) {
		kvm_set_interrupt_shadow(vcpu, insn->address + insn->size);
		/* RIP at the shadowed instruction while its end is found */
		x86_reg_write(vcpu, UC_X86_REG_RIP, insn->address + insn->size);
		x86_watch_shadow_end(vcpu);
		x86_reg_write(vcpu, UC_X86_REG_RIP, insn->address);
	}
	return 0;
}

/*
 * Port I/O needs CPL <= IOPL in protected mode; the TSS permission bitmap
 * that could still allow it is not modelled, so it is #GP there.
 */
static bool io_allowed(struct kvm_vcpu *vcpu)
{
	int iopl = (x86_reg_read(vcpu, UC_X86_REG_RFLAGS) >> 12) & 3;

	return !(vcpu->sregs.cr0 & X86_CR0_PE) || x86_cpl(vcpu) <= iopl;
}

/* IN/OUT with an immediate or DX port: one KVM_EXIT_IO (handle_io). */
static int emulate_pio(struct kvm_vcpu *vcpu, const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;
	bool in = insn->id == X86_INS_IN;
	const cs_x86_op *port_op = &x->operands[in ? 1 : 0];
	const cs_x86_op *reg_op = &x->operands[in ? 0 : 1];
	uint16_t port;

	if (x->op_count != 2)
		return x86_internal_error(vcpu, "cannot decode '%s %s'", insn->mnemonic,
					  insn->op_str);
	port = port_op->type == X86_OP_IMM ? (uint8_t)port_op->imm :
	       (uint16_t)x86_reg_read(vcpu, UC_X86_REG_RDX);
	if (!in) {
		uint64_t rax = x86_reg_read(vcpu, UC_X86_REG_RAX);

		/* kernel_pio: a coalesced PIO zone takes the OUT, no exit */
		if (kvm_coalesced_io_write(vcpu->kvm, true, port, reg_op->size, &rax)) {
			x86_reg_write(vcpu, UC_X86_REG_RIP, insn->address + insn->size);
			return 0;
		}
	}
	return kvm_fast_pio(vcpu, in, port, reg_op->size, insn->address,
			    insn->address + insn->size);
}

/*
 * Instructions only CPL 0 may run (the SDM's "privileged instructions"):
 * at CPL > 0 they raise #GP(0), which the CPU checks before any VM exit,
 * so KVM never sees them.  MOV DR has its own order (handle_dr).
 */
static bool insn_is_privileged(const cs_insn *insn)
{
	switch (insn->id) {
	case X86_INS_HLT:
	case X86_INS_WRMSR:
	case X86_INS_RDMSR:
	case X86_INS_INVLPG:
	case X86_INS_CLTS:
	case X86_INS_LMSW:
		return true;
	case X86_INS_MOV:
		return is_cr_operand(&insn->detail->x86.operands[0]) ||
		       is_cr_operand(&insn->detail->x86.operands[1]);
	default:
		return false;
	}
}

static int emulate_insn(struct kvm_vcpu *vcpu, const cs_insn *insn, bool *skip)
{
	*skip = true;
	if (insn_is_privileged(insn) && x86_cpl(vcpu))
		return kvm_inject_exception(vcpu, GP_VECTOR, true, 0, false);
	switch (insn->id) {
	case X86_INS_HLT:
		return kvm_emulate_halt(vcpu, insn->address + insn->size, skip);
	case X86_INS_MOV:
		if (is_dr_operand(&insn->detail->x86.operands[0]) ||
		    is_dr_operand(&insn->detail->x86.operands[1]))
			return emulate_mov_dr(vcpu, insn, skip);
		return emulate_mov_cr(vcpu, insn);
	case X86_INS_WRMSR:
	case X86_INS_RDMSR:
		return emulate_msr(vcpu, insn, skip);
	case X86_INS_RDTSC:
	case X86_INS_RDTSCP:
		if ((vcpu->sregs.cr4 & X86_CR4_TSD) && x86_cpl(vcpu))
			return kvm_inject_exception(vcpu, GP_VECTOR, true, 0, false);
		kvm_emulate_rdtsc(vcpu, insn->id == X86_INS_RDTSCP);
		return 0;
	case X86_INS_CPUID:
		emulate_cpuid(vcpu);
		return 0;
	case X86_INS_STI:
		return emulate_sti(vcpu, insn, skip);
	case X86_INS_INVLPG:
		uc_flush_all(vcpu, "invlpg");
		return 0;
	case X86_INS_INSB: case X86_INS_INSW: case X86_INS_INSD:
	case X86_INS_OUTSB: case X86_INS_OUTSW: case X86_INS_OUTSD:
	case X86_INS_IN: case X86_INS_OUT:
		*skip = false;
		if (!io_allowed(vcpu))
			return kvm_inject_exception(vcpu, GP_VECTOR, true, 0, false);
		return string_pio_size(vcpu, insn) ? emulate_string_pio(vcpu, insn) :
						   emulate_pio(vcpu, insn);
	case X86_INS_CLTS:
		return set_control(vcpu, vcpu->sregs.cr0 & ~X86_CR0_TS,
				   vcpu->sregs.cr4, vcpu->sregs.efer);
	default:
		*skip = false;
		return x86_internal_error(vcpu, "'%s %s' is not modelled",
					  insn->mnemonic, insn->op_str);
	}
}

/*
 * The trapped instruction at linear address lin, decoded once: a cached
 * decode is used while the guest's bytes there are still the same.
 */
static const cs_insn *trap_insn(struct kvm_vcpu *vcpu, uint64_t lin, uint64_t rip)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	struct trap_insn *t = &a->insns[(lin ^ (lin >> 12)) % TRAP_INSN_CACHE];
	int mode = x86_cpu_mode(vcpu), n;
	uint8_t code[16];
	cs_insn *insn;

	n = x86_read_code(vcpu, lin, code, sizeof(code));
	if (t->lin != lin || t->mode != mode || !t->insn.size || t->insn.size > n ||
	    memcmp(t->insn.bytes, code, t->insn.size)) {
		if (!n || cs_disasm(a->cs[mode], code, n, rip, 1, &insn) != 1)
			return NULL;
		t->lin = lin;
		t->mode = mode;
		t->insn = *insn;
		t->detail = *insn->detail;
		cs_free(insn, 1);
	}
	t->insn.detail = &t->detail;
	t->insn.address = rip;
	return &t->insn;
}

/* A trapped instruction is at special_rip: emulate it and step past it. */
int x86_emulate_special(struct kvm_vcpu *vcpu)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	uint64_t rip = x86_reg_read(vcpu, UC_X86_REG_RIP), exceptions;
	const cs_insn *insn = trap_insn(vcpu, a->special_rip, rip);
	bool skip = false;
	int r;

	if (!insn)
		return x86_internal_error(vcpu, "cannot decode the instruction at 0x%llx",
					  (unsigned long long)a->special_rip);
	/* the code changed under its hook: run what is there now */
	if (!insn_is_trapped(insn)) {
		x86_drop_trap(vcpu, a->special_rip);
		return 0;
	}
	exceptions = a->exceptions;
	r = emulate_insn(vcpu, insn, &skip);
	/* a fault it raised is delivered with RIP at the instruction */
	if (r == 0 && skip && a->exceptions == exceptions)
		x86_reg_write(vcpu, UC_X86_REG_RIP, rip + insn->size);
	return r;
}

/* #UD from Unicorn.  VMCALL and VMMCALL are KVM's hypercall (hypercall.c). */
int x86_handle_invalid_insn(struct kvm_vcpu *vcpu)
{
	uint64_t rip = x86_reg_read(vcpu, UC_X86_REG_RIP);
	cs_insn *insn;

	if (decode_at(vcpu, x86_linear_rip(vcpu), rip, &insn)) {
		bool vmcall = insn->id == X86_INS_VMCALL || insn->id == X86_INS_VMMCALL;
		uint16_t size = insn->size;

		cs_free(insn, 1);
		if (vmcall)
			return kvm_emulate_hypercall(vcpu, size);
	}
	return kvm_inject_exception(vcpu, UD_VECTOR, false, 0, false);
}
