// SPDX-License-Identifier: MIT
/*
 * What KVM's instruction emulator cannot do, and what userspace then sees
 * (arch/x86/kvm/x86.c: handle_emulation_failure,
 * prepare_emulation_failure_exit; KVM_CAP_EXIT_ON_EMULATION_FAILURE).
 *
 * kvmsim runs an MMIO access by stepping the instruction in the engine,
 * which can do anything; KVM decodes and emulates it, and has no x87.  So
 * an MMIO access by an x87 instruction with a memory operand, other than
 * the two KVM emulates (fnstcw, d9 /7, and fnstsw, dd /7), fails here as
 * it fails there.
 */
#include <errno.h>
#include <string.h>

#include "kvm-model/x86/uc_internal.h"
#include "kvm-model/x86/x86_state.h"
#include "sim/sim.h"

#define UD_VECTOR	6
/* the emulator fetches at most an instruction's 15 bytes, never past the page */
#define MAX_INSN_BYTES	15

static bool is_legacy_prefix(uint8_t b)
{
	switch (b) {
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
	case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
		return true;
	}
	return false;
}

/* Would the emulator decode and run this instruction's memory access? */
static bool emulator_handles(const uint8_t *code, int n, bool lm)
{
	int i = 0;
	uint8_t op, reg;

	while (i < n && is_legacy_prefix(code[i]))
		i++;
	if (lm && i < n && (code[i] & 0xf0) == 0x40)
		i++;
	if (i + 1 >= n)
		return true;
	op = code[i];
	if (op < 0xd8 || op > 0xdf || (code[i + 1] >> 6) == 3)
		return true;
	reg = (code[i + 1] >> 3) & 7;
	return (op == 0xd9 || op == 0xdd) && reg == 7;
}

bool x86_emulator_can_mmio(struct kvm_vcpu *vcpu, uint64_t lin)
{
	uint8_t code[MAX_INSN_BYTES];
	int n = x86_read_code(vcpu, lin, code, sizeof(code));

	return emulator_handles(code, n, x86_cpu_mode(vcpu) == MODE_64);
}

/*
 * prepare_emulation_failure_exit: KVM_INTERNAL_ERROR_EMULATION with the
 * fetched instruction bytes (padded with 0x90), then the flags word and
 * five words of hardware exit information; kvmsim has no hardware exit,
 * so those five are zero.
 */
static void prepare_emulation_failure_exit(struct kvm_vcpu *vcpu, uint64_t lin)
{
	struct kvm_run *run = vcpu->run;
	size_t len = MAX_INSN_BYTES;
	int n;

	if (len > PAGE_SIZE - (lin & (PAGE_SIZE - 1)))
		len = PAGE_SIZE - (lin & (PAGE_SIZE - 1));
	kvm_run_set_exit(vcpu, KVM_EXIT_INTERNAL_ERROR);
	memset(&run->emulation_failure, 0, sizeof(run->internal));
	run->emulation_failure.suberror = KVM_INTERNAL_ERROR_EMULATION;
	memset(run->emulation_failure.insn_bytes, 0x90,
	       sizeof(run->emulation_failure.insn_bytes));
	n = x86_read_code(vcpu, lin, run->emulation_failure.insn_bytes, len);
	if (n > 0) {
		run->emulation_failure.flags = KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES;
		run->emulation_failure.insn_size = n;
		/* flags, insn_size + insn_bytes, and the five exit-info words */
		run->emulation_failure.ndata = 3 + 5;
	} else {
		run->emulation_failure.ndata = 1 + 5;
	}
}

/*
 * handle_emulation_failure: with KVM_CAP_EXIT_ON_EMULATION_FAILURE the
 * exit alone; otherwise #UD is queued for the guest, and at CPL 0 the
 * exit comes too (the #UD then arrives at the next KVM_RUN).
 */
int handle_emulation_failure(struct kvm_vcpu *vcpu, uint64_t lin)
{
	struct x86_vcpu_state *s = x86_state(vcpu);
	struct sim_ev *ev = sim_ev_begin("handle_emulation_failure");

	sim_ev_hex(ev, "rip", x86_reg_read(vcpu, UC_X86_REG_RIP));
	sim_ev_end(ev);
	if (kvm_x86_vm(vcpu->kvm)->exit_on_emulation_error) {
		prepare_emulation_failure_exit(vcpu, lin);
		return 1;
	}
	if (x86_cpl(vcpu) != 0)
		return kvm_inject_exception(vcpu, UD_VECTOR, false, 0, false);
	s->exception_pending = true;
	s->exception_nr = UD_VECTOR;
	s->exception_has_error = false;
	prepare_emulation_failure_exit(vcpu, lin);
	return 1;
}

/* A queued exception is delivered as the guest is entered. */
int kvm_deliver_queued_exception(struct kvm_vcpu *vcpu)
{
	struct x86_vcpu_state *s = x86_state(vcpu);

	if (!s || !s->exception_pending)
		return 0;
	s->exception_pending = false;
	return kvm_inject_exception(vcpu, s->exception_nr, s->exception_has_error,
				    s->exception_error_code, false);
}

/* KVM_SET_REGS (__set_regs) drops it; a bare vCPU of the unit tests has none. */
void kvm_drop_queued_exception(struct kvm_vcpu *vcpu)
{
	if (x86_state(vcpu))
		x86_state(vcpu)->exception_pending = false;
}

/* KVM_ENABLE_CAP(KVM_CAP_EXIT_ON_EMULATION_FAILURE): args[0] is 0 or 1. */
int kvm_enable_exit_on_emulation_failure(struct kvm *kvm, uint64_t arg)
{
	if (arg & ~1ull)
		return -EINVAL;
	kvm_x86_vm(kvm)->exit_on_emulation_error = arg;
	return 0;
}
