// SPDX-License-Identifier: MIT
/*
 * arm64 vCPU on Unicorn (arch/arm64/kvm/arm.c, guest.c, reset.c,
 * psci.c, handle_exit.c as kvmsim models them): KVM_ARM_VCPU_INIT,
 * ONE_REG, the run loop (engine.c runs Unicorn in block-counted quanta),
 * PSCI through hvc, the exceptions Unicorn raises, and the arch's
 * kvm_arch_ops.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvm-model/arm64/arm64.h"
#include "kvm-model/kvm_arch.h"
#include "posix/posix.h"

#define UNTIL_NEVER		((uint64_t)-1)
#define DEFAULT_QUANTUM		100000
#define ARM64_IPA_LIMIT		48	/* kvm_ipa_limit this model reports */
#define ARM64_IPA_DEFAULT	40	/* KVM_CREATE_VM type 0 */
#define ARM64_MAX_VCPUS		512	/* kvm_arm_default_max_vcpus */
#define SCTLR_EL1_RESET		0x30d00800ull	/* RES1 bits, MMU and caches off */
#define INSN_WFI		0xd503207fu
#define INSN_HVC_MASK		0xffe0001fu
#define INSN_HVC		0xd4000002u
#define EXCP_UDEF		1	/* Unicorn/QEMU exception numbers */
#define EXCP_SWI		2

/* ---- registers ---- */

uint64_t arm64_reg_read(struct kvm_vcpu *vcpu, int uc_reg)
{
	uint64_t v = 0;

	uc_reg_read(arm64_uc(vcpu), uc_reg, &v);
	return v;
}

void arm64_reg_write(struct kvm_vcpu *vcpu, int uc_reg, uint64_t v)
{
	uc_reg_write(arm64_uc(vcpu), uc_reg, &v);
}

static int xreg_id(int n)
{
	return n < 29 ? UC_ARM64_REG_X0 + n : n == 29 ? UC_ARM64_REG_X29 : UC_ARM64_REG_X30;
}

uint64_t arm64_xreg_read(struct kvm_vcpu *vcpu, int n)
{
	return n == 31 ? 0 : arm64_reg_read(vcpu, xreg_id(n));
}

void arm64_xreg_write(struct kvm_vcpu *vcpu, int n, uint64_t v)
{
	if (n != 31)
		arm64_reg_write(vcpu, xreg_id(n), v);
}

/* MPIDR_EL1 as reset_mpidr builds it from the vCPU id */
static uint64_t vcpu_mpidr(int vcpu_id)
{
	return (1ull << 31) | (vcpu_id & 0xf) | ((uint64_t)((vcpu_id >> 4) & 0xff) << 8) |
	       ((uint64_t)((vcpu_id >> 12) & 0xff) << 16);
}

static int kvm_arch_vcpu_create(struct kvm_vcpu *vcpu)
{
	struct kvm_arm64_vcpu *a;
	const char *q = getenv("KVMSIM_QUANTUM");

	/* kvm_arch_vcpu_precreate: no new vCPU once the vGIC is sized */
	if (irqchip_in_kernel(vcpu->kvm) && vcpu->kvm->arm64->vgic_initialized)
		return -EBUSY;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	vcpu->arch = a;
	a->quantum = q && atoll(q) > 0 ? (uint64_t)atoll(q) : DEFAULT_QUANTUM;
	a->mpidr = vcpu_mpidr(vcpu->vcpu_id);
	sim_waitq_init(&a->power_wq, "kvm_vcpu_power_off");
	sim_waitq_init(&a->wfi_wq, "kvm_vcpu_block");
	a->timer_deadline = SIM_FOREVER;
	a->pstate_at_open = PSR_MODE_EL1h | PSR_DAIF_MASK;
	kvm_vgic_vcpu_init(vcpu);
	kvm_timer_vcpu_init(vcpu);
	/*
	 * No engine yet (arm64_uc): a VM may create hundreds of vCPUs and
	 * run few, and an engine is most of a vCPU's memory.
	 */
	return 0;
}

static void kvm_arch_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	struct kvm_arm64_vcpu *a = to_arm64(vcpu);

	if (!a)
		return;
	arm64_engine_close(vcpu);
	free(a);
	vcpu->arch = NULL;
}

/* kvm_reset_vcpu: EL1h, interrupts masked, MMU off, registers zero. */
static void kvm_reset_vcpu(struct kvm_vcpu *vcpu)
{
	struct kvm_arm64_vcpu *a = to_arm64(vcpu);

	/* an engine not opened yet has every register at zero */
	for (int i = 0; a->uc && i < 31; i++)
		arm64_xreg_write(vcpu, i, 0);
	if (a->uc) {
		arm64_reg_write(vcpu, UC_ARM64_REG_SP, 0);
		arm64_reg_write(vcpu, UC_ARM64_REG_PC, 0);
	}
	a->ttbr0 = a->ttbr1 = a->mair = 0;
	arm64_set_vm_reg(vcpu, &a->tcr, 0);
	arm64_set_vm_reg(vcpu, &a->sctlr, SCTLR_EL1_RESET);
	arm64_set_pstate(vcpu, PSR_MODE_EL1h | PSR_DAIF_MASK);
	a->mmio.active = false;
	a->power_off = a->features & (1u << KVMSIM_ARM_VCPU_POWER_OFF);
	kvm_timer_vcpu_reset(vcpu);
	/* a VMM that resets a vCPU may have loaded new code: translate afresh */
	a->code_stale = true;
}

/* ---- PSCI (arch/arm64/kvm/psci.c) ---- */

static struct kvm_vcpu *kvm_mpidr_to_vcpu(struct kvm *kvm, uint64_t mpidr)
{
	for (int i = 0; i < kvm->nr_vcpus; i++) {
		struct kvm_arm64_vcpu *a = to_arm64(kvm->vcpus[i]);

		if (a->initialized && (a->mpidr & 0xff00ffffffull) == (mpidr & 0xff00ffffffull))
			return kvm->vcpus[i];
	}
	return NULL;
}

static int64_t kvm_psci_vcpu_on(struct kvm_vcpu *source)
{
	struct kvm_vcpu *vcpu = kvm_mpidr_to_vcpu(source->kvm, arm64_xreg_read(source, 1));
	struct kvm_arm64_vcpu *a;

	if (!vcpu)
		return PSCI_RET_INVALID_PARAMS;
	a = to_arm64(vcpu);
	if (!a->power_off)
		return PSCI_RET_ALREADY_ON;
	kvm_reset_vcpu(vcpu);
	arm64_reg_write(vcpu, UC_ARM64_REG_PC, arm64_xreg_read(source, 2));
	arm64_xreg_write(vcpu, 0, arm64_xreg_read(source, 3));
	a->power_off = false;
	sim_wake_all(&a->power_wq);
	return PSCI_RET_SUCCESS;
}

/* kvm_prepare_system_event: every vCPU stops, userspace decides. */
static int kvm_prepare_system_event(struct kvm_vcpu *vcpu, uint32_t type)
{
	struct kvm *kvm = vcpu->kvm;
	struct sim_ev *ev = sim_ev_begin("kvm_prepare_system_event");

	sim_ev_int(ev, "type", type);
	sim_ev_end(ev);
	for (int i = 0; i < kvm->nr_vcpus; i++)
		to_arm64(kvm->vcpus[i])->power_off = true;
	kvm_run_set_exit(vcpu, KVM_EXIT_SYSTEM_EVENT);
	vcpu->run->system_event.type = type;
	vcpu->run->system_event.ndata = 1;
	vcpu->run->system_event.data[0] = 0;
	return 1;
}

/* kvm_psci_call: the function id in x0, the result back in x0. */
static int kvm_psci_call(struct kvm_vcpu *vcpu)
{
	uint32_t fn = arm64_xreg_read(vcpu, 0);
	struct kvm_vcpu *target;
	struct sim_ev *ev = sim_ev_begin("kvm_psci_call");
	int64_t val = PSCI_RET_NOT_SUPPORTED;

	sim_ev_hex(ev, "fn", fn);
	sim_ev_end(ev);
	switch (fn) {
	case PSCI_0_2_FN_PSCI_VERSION:
		val = KVMSIM_PSCI_VERSION_1_1;
		break;
	case PSCI_0_2_FN_CPU_ON:
	case PSCI_0_2_FN64_CPU_ON:
		val = kvm_psci_vcpu_on(vcpu);
		break;
	case PSCI_0_2_FN_CPU_OFF:
		to_arm64(vcpu)->power_off = true;
		return 0;
	case PSCI_0_2_FN64_AFFINITY_INFO:
		target = kvm_mpidr_to_vcpu(vcpu->kvm, arm64_xreg_read(vcpu, 1));
		val = !target ? PSCI_RET_INVALID_PARAMS : to_arm64(target)->power_off;
		break;
	case PSCI_0_2_FN_SYSTEM_OFF:
		return kvm_prepare_system_event(vcpu, KVM_SYSTEM_EVENT_SHUTDOWN);
	case PSCI_0_2_FN_SYSTEM_RESET:
		return kvm_prepare_system_event(vcpu, KVM_SYSTEM_EVENT_RESET);
	}
	arm64_xreg_write(vcpu, 0, (uint64_t)val);
	return 0;
}

/* ---- exits ---- */

int arm64_internal_error(struct kvm_vcpu *vcpu, const char *what, uint64_t pc)
{
	struct kvm_run *run = vcpu->run;
	struct sim_ev *ev = sim_ev_begin("kvm_internal_error");

	sim_ev_str(ev, "what", what);
	sim_ev_hex(ev, "pc", pc);
	sim_ev_end(ev);
	kvm_run_set_exit(vcpu, KVM_EXIT_INTERNAL_ERROR);
	run->internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
	run->internal.ndata = 1;
	run->internal.data[0] = pc;
	return 1;
}

static void trace_exit(struct kvm_vcpu *vcpu)
{
	struct sim_ev *ev = sim_ev_begin("kvm_exit");

	sim_ev_int(ev, "exit_reason", vcpu->run->exit_reason);
	sim_ev_hex(ev, "pc", arm64_reg_read(vcpu, UC_ARM64_REG_PC));
	sim_ev_end(ev);
}

/* hvc is PSCI/SMCCC; anything else Unicorn found undefined is the guest's. */
static int handle_exception(struct kvm_vcpu *vcpu)
{
	struct kvm_arm64_vcpu *a = to_arm64(vcpu);
	uint64_t pc = arm64_reg_read(vcpu, UC_ARM64_REG_PC);
	uint32_t insn = 0;

	/* hvc is UNDEFINED at EL0 */
	if (a->intno == EXCP_UDEF && !arm64_from_el0(vcpu) && arm64_fetch_insn(vcpu, pc, &insn) &&
	    (insn & INSN_HVC_MASK) == INSN_HVC) {
		/* the trap's preferred return is the next instruction */
		arm64_reg_write(vcpu, UC_ARM64_REG_PC, pc + 4);
		return kvm_psci_call(vcpu);
	}
	if (a->intno == EXCP_UDEF) {
		kvm_inject_undefined(vcpu);
		return 0;
	}
	if (a->intno == EXCP_SWI && arm64_fetch_insn(vcpu, pc - 4, &insn)) {
		/* PC is past the svc already, as ELR_EL1 wants it */
		uint32_t esr = ESR_ELx_EC_SVC64 << ESR_ELx_EC_SHIFT | ESR_ELx_IL |
			       ((insn >> 5) & 0xffff);
		struct sim_ev *ev = sim_ev_begin("exception_entry");

		sim_ev_str(ev, "from", arm64_from_el0(vcpu) ? "el0" : "el1");
		sim_ev_hex(ev, "esr", esr);
		sim_ev_hex(ev, "elr", pc);
		sim_ev_end(ev);
		arm64_inject_exception(vcpu, esr, 0, pc, false);
		return 0;
	}
	return arm64_internal_error(vcpu, "unicorn exception", pc);
}

/* kvm_arch_vcpu_runnable: an interrupt the vGIC would signal (masked or not) */
static bool kvm_arch_vcpu_runnable(struct kvm_vcpu *vcpu)
{
	kvm_timer_sync_state(vcpu);
	return kvm_vgic_vcpu_pending_irq(vcpu);
}

/* a signal the thread in KVM_RUN may take (KVM_SET_SIGNAL_MASK's mask inside) */
static bool kvm_vcpu_signal_pending(struct kvm_vcpu *vcpu)
{
	return vcpu->run_caller &&
	       posix_signal_pending(vcpu->run_caller,
				    vcpu->sigmask_active ? &vcpu->sigmask : NULL);
}

/*
 * kvm_vcpu_kick: a signal for the thread in KVM_RUN wakes its vCPU from
 * a wfi or a powered-off sleep (signal_wake_up -> kvm_vcpu_check_block).
 */
static void kvm_arm64_vcpu_kick(struct kvm_vcpu *vcpu)
{
	struct kvm_arm64_vcpu *a = to_arm64(vcpu);

	sim_wake_all(&a->wfi_wq);
	sim_wake_all(&a->power_wq);
}

/*
 * kvm_vcpu_block: sleep until an interrupt is pending.  A timer armed
 * bounds the sleep on the virtual clock (never a deadlock verdict); with
 * nothing that can wake it, the wfi sleeps for ever, as on KVM, unless
 * a signal comes: kvm_vcpu_check_block ends the sleep, the wfi is done
 * (PC past it) and KVM_RUN returns -EINTR with KVM_EXIT_INTR.
 */
static void kvm_vcpu_block(struct kvm_vcpu *vcpu)
{
	struct kvm_arm64_vcpu *a = to_arm64(vcpu);
	struct sim_ev *ev;

	/* an SGI or KVM_IRQ_LINE from another thread may come first */
	sim_sync_point("kvm_vcpu_block");
	if (kvm_arch_vcpu_runnable(vcpu)) {
		sim_yield("kvm_vcpu_block");	/* another vCPU may run here */
		return;
	}
	ev = sim_ev_begin("kvm_vcpu_block");
	sim_ev_str(ev, "vcpu", vcpu->name);
	sim_ev_end(ev);
	do {
		uint64_t deadline = kvm_timer_next_deadline(vcpu);

		if (kvm_vcpu_signal_pending(vcpu))
			break;
		if (deadline == SIM_FOREVER)
			sim_wait(&a->wfi_wq);
		else
			sim_wait_until(&a->wfi_wq, deadline);
	} while (!kvm_arch_vcpu_runnable(vcpu));
	ev = sim_ev_begin("kvm_vcpu_wakeup");
	sim_ev_str(ev, "vcpu", vcpu->name);
	sim_ev_end(ev);
}

/* kvm_handle_wfx: wfi blocks the vCPU until an interrupt is pending */
static int kvm_handle_wfx(struct kvm_vcpu *vcpu)
{
	struct sim_ev *ev = sim_ev_begin("kvm_handle_wfx");

	sim_ev_hex(ev, "pc", arm64_reg_read(vcpu, UC_ARM64_REG_PC) - 4);
	sim_ev_end(ev);
	kvm_vcpu_block(vcpu);
	return 0;
}

static int handle_stop(struct kvm_vcpu *vcpu, uc_err err)
{
	struct kvm_arm64_vcpu *a = to_arm64(vcpu);
	uint64_t pc = arm64_reg_read(vcpu, UC_ARM64_REG_PC);
	uint32_t insn;

	if (a->stop == ARM64_STOP_EXCEPTION)
		return handle_exception(vcpu);
	/* a failed fill: Unicorn stopped at the instruction, nothing of it ran */
	if (err == UC_ERR_EXCEPTION && a->fault.valid)
		return kvm_handle_guest_abort(vcpu);
	if (err != UC_ERR_OK)
		return arm64_internal_error(vcpu, uc_strerror(err), pc);
	if (a->stop == ARM64_STOP_QUANTUM) {
		sim_yield("quantum");
		return 0;
	}
	if (a->stop == ARM64_STOP_IRQ)
		return 0;	/* the next entry takes it */
	/* wfi ends uc_emu_start with PC past it */
	if (arm64_fetch_insn(vcpu, pc - 4, &insn) && insn == INSN_WFI)
		return kvm_handle_wfx(vcpu);
	return arm64_internal_error(vcpu, "engine stopped for no reason", pc);
}

/*
 * Before entry (kvm_timer_sync_user + kvm_vgic_flush_hwstate): the timers'
 * lines at this instant, an interrupt taken if one is signalled and
 * unmasked; what the block hook must watch while the guest runs.
 */
static int vcpu_enter_guest(struct kvm_vcpu *vcpu)
{
	struct kvm_arm64_vcpu *a = to_arm64(vcpu);
	uc_err err;

	kvm_timer_sync_state(vcpu);
	kvm_vgic_flush_hwstate(vcpu);
	a->irq_deliverable = vgic_v3_irq_deliverable(vcpu);
	a->timer_deadline = kvm_timer_next_deadline(vcpu);
	err = arm64_engine_run(vcpu);
	if (a->sync_point) {
		const char *point = a->sync_point;

		a->sync_point = NULL;
		sim_sync_point(point);
	}
	return handle_stop(vcpu, err);
}

/* kvm_arch_vcpu_run_pid_change: the vGIC's frames and the timer's PPIs are fixed */
static int kvm_arch_vcpu_first_run_init(struct kvm_vcpu *vcpu)
{
	int r = kvm_vgic_map_resources(vcpu->kvm);

	if (r)
		return r;
	r = kvm_timer_enable(vcpu);
	if (r)
		return r;
	to_arm64(vcpu)->has_run_once = true;
	return 0;
}

static int kvm_arch_vcpu_ioctl_run(struct kvm_vcpu *vcpu)
{
	struct kvm_arm64_vcpu *a = to_arm64(vcpu);
	int r;

	if (!a->initialized)
		return -ENOEXEC;
	if (!a->has_run_once) {
		r = kvm_arch_vcpu_first_run_init(vcpu);
		if (r)
			return r;
	}
	r = kvm_handle_mmio_return(vcpu);
	if (r)
		return r;
	if (vcpu->run->immediate_exit)
		return -EINTR;
	do {
		/* a powered-off vCPU sleeps until PSCI CPU_ON, or a signal */
		while (a->power_off && !kvm_vcpu_signal_pending(vcpu))
			sim_wait(&a->power_wq);
		if (kvm_signal_pending(vcpu))
			return -EINTR;
		r = vcpu_enter_guest(vcpu);
	} while (r == 0);
	if (r < 0)
		return r;
	vcpu->exits++;
	trace_exit(vcpu);
	sim_yield("kvm_run_fill_window");
	return 0;
}

/* ---- ONE_REG ---- */

#define CORE_OFF(f)	KVMSIM_REG_ARM_CORE_OFF(f)

/* A core-register id: its Unicorn register and the size KVM insists on. */
static int core_reg(uint64_t off, int *uc_reg, uint64_t *size)
{
	*size = KVMSIM_REG_SIZE_U64;
	if (off < CORE_OFF(sp) && off % 2 == 0) {
		*uc_reg = xreg_id(off / 2);
		return 0;
	}
	if (off == CORE_OFF(sp))
		*uc_reg = UC_ARM64_REG_SP_EL0;
	else if (off == CORE_OFF(pc))
		*uc_reg = UC_ARM64_REG_PC;
	else if (off == CORE_OFF(pstate))
		*uc_reg = UC_ARM64_REG_PSTATE;
	else if (off == CORE_OFF(sp_el1))
		*uc_reg = UC_ARM64_REG_SP_EL1;
	else if (off == CORE_OFF(elr_el1))
		*uc_reg = UC_ARM64_REG_ELR_EL1;
	else if (off >= CORE_OFF(spsr[0]) && off <= CORE_OFF(spsr[4]) && off % 2 == 0)
		*uc_reg = -1 - (int)((off - CORE_OFF(spsr[0])) / 2);	/* spsr[n] */
	else if (off >= CORE_OFF(vregs[0]) && off < CORE_OFF(fpsr) &&
		 (off - CORE_OFF(vregs[0])) % 4 == 0) {
		*uc_reg = UC_ARM64_REG_Q0 + (off - CORE_OFF(vregs[0])) / 4;
		*size = KVMSIM_REG_SIZE_U128;
	} else if (off == CORE_OFF(fpsr) || off == CORE_OFF(fpcr)) {
		*uc_reg = off == CORE_OFF(fpsr) ? UC_ARM64_REG_FPSR : UC_ARM64_REG_FPCR;
		*size = KVMSIM_REG_SIZE_U32;
	} else {
		return -EINVAL;
	}
	return 0;
}

/*
 * SP: KVM's regs.sp is SP_EL0 and sp_el1 is SP_EL1; Unicorn's live SP is
 * whichever PSTATE.SP selects, so go through the live one when it is.
 */
static int live_sp(struct kvm_vcpu *vcpu, int uc_reg)
{
	bool el1h = (arm64_reg_read(vcpu, UC_ARM64_REG_PSTATE) & PSR_MODE_MASK) == PSR_MODE_EL1h;

	if ((uc_reg == UC_ARM64_REG_SP_EL1 && el1h) || (uc_reg == UC_ARM64_REG_SP_EL0 && !el1h))
		return UC_ARM64_REG_SP;
	return uc_reg;
}

static int core_reg_access(struct kvm_vcpu *vcpu, uint64_t id, void *val, bool set)
{
	struct kvm_arm64_vcpu *a = to_arm64(vcpu);
	uint64_t size;
	int uc_reg;

	if (core_reg(id & 0xffff, &uc_reg, &size) || (id & KVMSIM_REG_SIZE_MASK) != size)
		return -EINVAL;
	if (uc_reg < 0) {
		/* SPSR_EL1 is spsr[0]; the AArch32 banks read as zero */
		uc_arm64_cp_reg spsr = { .crn = 4, .op0 = 3 };

		if (uc_reg != -1) {
			if (!set)
				memset(val, 0, 8);
			return 0;
		}
		if (set) {
			memcpy(&spsr.val, val, 8);
			return uc_reg_write(arm64_uc(vcpu), UC_ARM64_REG_CP_REG, &spsr) ?
			       -EINVAL : 0;
		}
		uc_reg_read(arm64_uc(vcpu), UC_ARM64_REG_CP_REG, &spsr);
		memcpy(val, &spsr.val, 8);
		return 0;
	}
	uc_reg = live_sp(vcpu, uc_reg);
	if (set && uc_reg == UC_ARM64_REG_PC)
		a->mmio.active = false;
	if (set && uc_reg == UC_ARM64_REG_PSTATE) {
		uint64_t m;

		memcpy(&m, val, 8);
		/* only AArch64 EL0t, EL1t and EL1h are valid (validate_core_offset) */
		if ((m & 0x1f) != PSR_MODE_EL0t && (m & 0x1f) != PSR_MODE_EL1t &&
		    (m & 0x1f) != PSR_MODE_EL1h)
			return -EINVAL;
		arm64_set_pstate(vcpu, m);
		return 0;
	}
	return (set ? uc_reg_write(arm64_uc(vcpu), uc_reg, val) :
		      uc_reg_read(arm64_uc(vcpu), uc_reg, val)) ? -EINVAL : 0;
}

struct sysreg_desc {
	uint64_t id;
	int uc_reg;		/* 0: kept in struct kvm_arm64_vcpu */
};

static const struct sysreg_desc sysregs[] = {
	{ KVMSIM_REG_MPIDR_EL1, 0 },
	{ KVMSIM_REG_SCTLR_EL1, 0 },
	{ KVMSIM_REG_CPACR_EL1, UC_ARM64_REG_CPACR_EL1 },
	{ KVMSIM_REG_TTBR0_EL1, 0 },
	{ KVMSIM_REG_TTBR1_EL1, 0 },
	{ KVMSIM_REG_TCR_EL1, 0 },
	{ KVMSIM_REG_ESR_EL1, UC_ARM64_REG_ESR_EL1 },
	{ KVMSIM_REG_FAR_EL1, UC_ARM64_REG_FAR_EL1 },
	{ KVMSIM_REG_MAIR_EL1, 0 },
	{ KVMSIM_REG_VBAR_EL1, UC_ARM64_REG_VBAR_EL1 },
	{ KVMSIM_REG_TPIDR_EL1, UC_ARM64_REG_TPIDR_EL1 },
};
#define NR_SYSREGS	(int)(sizeof(sysregs) / sizeof(sysregs[0]))

static uint64_t *sysreg_field(struct kvm_arm64_vcpu *a, uint64_t id)
{
	switch (id) {
	case KVMSIM_REG_MPIDR_EL1:
		return &a->mpidr;
	case KVMSIM_REG_SCTLR_EL1:
		return &a->sctlr;
	case KVMSIM_REG_TTBR0_EL1:
		return &a->ttbr0;
	case KVMSIM_REG_TTBR1_EL1:
		return &a->ttbr1;
	case KVMSIM_REG_TCR_EL1:
		return &a->tcr;
	case KVMSIM_REG_MAIR_EL1:
		return &a->mair;
	}
	return NULL;
}

static int sys_reg_access(struct kvm_vcpu *vcpu, uint64_t id, uint64_t *val, bool set)
{
	for (int i = 0; i < NR_SYSREGS; i++) {
		uint64_t *field;

		if (sysregs[i].id != id)
			continue;
		if (sysregs[i].uc_reg) {
			if (set)
				arm64_reg_write(vcpu, sysregs[i].uc_reg, *val);
			else
				*val = arm64_reg_read(vcpu, sysregs[i].uc_reg);
			return 0;
		}
		field = sysreg_field(to_arm64(vcpu), id);
		if (set && field == &to_arm64(vcpu)->mpidr)
			*field = *val;
		else if (set)
			arm64_set_vm_reg(vcpu, field, *val);
		else
			*val = *field;
		return 0;
	}
	return -ENOENT;
}

static int kvm_arm_one_reg(struct kvm_vcpu *vcpu, unsigned long arg, bool set)
{
	struct kvm_one_reg reg;
	uint8_t val[16] = { 0 };
	uint64_t size;
	int r;

	if (copy_from_user(&reg, (void *)arg, sizeof(reg)))
		return -EFAULT;
	if ((reg.id & ~0xffffffffffffull & ~KVMSIM_REG_SIZE_MASK) != KVMSIM_REG_ARM64)
		return -EINVAL;
	size = 1ull << ((reg.id & KVMSIM_REG_SIZE_MASK) >> 52);
	if (size > sizeof(val))
		return -EINVAL;
	if (set && copy_from_user(val, (void *)(uintptr_t)reg.addr, size))
		return -EFAULT;
	switch (reg.id & KVMSIM_REG_ARM_COPROC_MASK) {
	case KVMSIM_REG_ARM_CORE:
		r = core_reg_access(vcpu, reg.id, val, set);
		break;
	case KVMSIM_REG_ARM64_SYSREG:
		if ((reg.id & KVMSIM_REG_SIZE_MASK) != KVMSIM_REG_SIZE_U64)
			r = -ENOENT;
		else if (set)
			r = kvm_arm_timer_set_reg(vcpu, reg.id, *(uint64_t *)val);
		else
			r = kvm_arm_timer_get_reg(vcpu, reg.id, (uint64_t *)val);
		if (r == -ENOENT)
			r = sys_reg_access(vcpu, reg.id, (uint64_t *)val, set);
		break;
	default:
		r = -ENOENT;
	}
	if (!r && !set && copy_to_user((void *)(uintptr_t)reg.addr, val, size))
		return -EFAULT;
	return r;
}

static const uint64_t timer_regs[] = {
	KVMSIM_REG_ARM_TIMER_CTL, KVMSIM_REG_ARM_TIMER_CNT, KVMSIM_REG_ARM_TIMER_CVAL,
	KVMSIM_REG_ARM_PTIMER_CTL, KVMSIM_REG_ARM_PTIMER_CNT, KVMSIM_REG_ARM_PTIMER_CVAL,
};

/* Every core register id, then the system registers, as KVM lists them. */
static int fill_reg_list(uint64_t *ids)
{
	int n = 0;

	for (uint64_t off = 0; off < sizeof(struct kvm_arm64_regs) / 4; off++) {
		int uc_reg;
		uint64_t size;

		if (core_reg(off, &uc_reg, &size))
			continue;
		if (ids)
			ids[n] = KVMSIM_REG_ARM64 | size | KVMSIM_REG_ARM_CORE | off;
		n++;
	}
	for (int i = 0; i < NR_SYSREGS; i++, n++)
		if (ids)
			ids[n] = sysregs[i].id;
	/* kvm_arm_copy_timer_indices */
	for (int i = 0; i < (int)(sizeof(timer_regs) / sizeof(timer_regs[0])); i++, n++)
		if (ids)
			ids[n] = timer_regs[i];
	return n;
}

static int kvm_arm_copy_reg_indices(struct kvm_vcpu *vcpu, unsigned long arg)
{
	struct kvm_reg_list hdr, *u = (void *)arg;
	uint64_t ids[256];
	int n = fill_reg_list(ids);

	if (copy_from_user(&hdr, u, sizeof(hdr)))
		return -EFAULT;
	if (hdr.n < (uint64_t)n) {
		hdr.n = n;
		return copy_to_user(u, &hdr, sizeof(hdr)) ? -EFAULT : -E2BIG;
	}
	hdr.n = n;
	if (copy_to_user(u, &hdr, sizeof(hdr)) || copy_to_user(u->reg, ids, n * sizeof(ids[0])))
		return -EFAULT;
	return 0;
}

/* ---- KVM_ARM_VCPU_INIT ---- */

static int kvm_vcpu_init_check_features(const struct kvm_vcpu_init *init, uint32_t *features)
{
	*features = init->features[0];
	for (int i = 1; i < 7; i++)
		if (init->features[i])
			return -ENOENT;
	if (*features & ~((1u << KVMSIM_ARM_VCPU_MAX_FEATURES) - 1))
		return -ENOENT;
	/* only POWER_OFF and PSCI_0_2: no AArch32 EL1, PMU, SVE or pointer auth */
	if (*features & ~((1u << KVMSIM_ARM_VCPU_POWER_OFF) | (1u << KVMSIM_ARM_VCPU_PSCI_0_2)))
		return -EINVAL;
	return 0;
}

static int kvm_arch_vcpu_ioctl_vcpu_init(struct kvm_vcpu *vcpu, unsigned long arg)
{
	struct kvm_arm64_vcpu *a = to_arm64(vcpu);
	struct kvm_vcpu_init init;
	uint32_t features;
	struct sim_ev *ev;
	int r;

	if (copy_from_user(&init, (void *)arg, sizeof(init)))
		return -EFAULT;
	if (init.target != KVMSIM_ARM_TARGET_GENERIC_V8)
		return -EINVAL;
	r = kvm_vcpu_init_check_features(&init, &features);
	if (r)
		return r;
	/* kvm_vcpu_init_changed: a second init must ask for the same features */
	if (a->initialized && (features & ~(1u << KVMSIM_ARM_VCPU_POWER_OFF)) !=
			      (a->features & ~(1u << KVMSIM_ARM_VCPU_POWER_OFF)))
		return -EINVAL;
	a->features = features;
	a->initialized = true;
	kvm_reset_vcpu(vcpu);
	ev = sim_ev_begin("kvm_arch_vcpu_ioctl_vcpu_init");
	sim_ev_int(ev, "vcpu_id", vcpu->vcpu_id);
	sim_ev_hex(ev, "features", features);
	sim_ev_end(ev);
	return 0;
}

/* ---- ioctls and the ops table ---- */

/* kvm_arm_vcpu_finalize: only SVE has something to finalize, and there is no SVE */
static long kvm_arm_vcpu_finalize(struct kvm_vcpu *vcpu, unsigned long arg)
{
	int what;

	if (!to_arm64(vcpu)->initialized)
		return -ENOEXEC;
	if (copy_from_user(&what, (void *)arg, sizeof(what)))
		return -EFAULT;
	return -EINVAL;
}

/* kvm_arm_vcpu_arch_{set,get,has}_attr: the timer's PPIs; no PMU, no PV time */
static long kvm_arm_vcpu_attr(struct kvm_vcpu *vcpu, unsigned int cmd, unsigned long arg)
{
	struct kvm_device_attr attr;
	int op = cmd == KVM_SET_DEVICE_ATTR ? 0 : cmd == KVM_GET_DEVICE_ATTR ? 1 : 2;

	if (copy_from_user(&attr, (void *)arg, sizeof(attr)))
		return -EFAULT;
	switch (attr.group) {
	case KVMSIM_ARM_VCPU_PMU_V3_CTRL:
		return op == 2 ? -ENXIO : -ENODEV;	/* !kvm_vcpu_has_pmu */
	case KVMSIM_ARM_VCPU_TIMER_CTRL:
		return kvm_arm_timer_attr(vcpu, &attr, op);
	default:
		return -ENXIO;
	}
}

static const struct kvm_device_ops *kvm_arm_device_ops(uint32_t type)
{
	return type == KVM_DEV_TYPE_ARM_VGIC_V3 ? &kvm_arm_vgic_v3_ops : NULL;
}

static long kvm_arch_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned int cmd, unsigned long arg)
{
	bool initialized = to_arm64(vcpu)->initialized;

	switch (cmd) {
	case KVM_ARM_VCPU_INIT:
		return kvm_arch_vcpu_ioctl_vcpu_init(vcpu, arg);
	case KVM_SET_ONE_REG:
	case KVM_GET_ONE_REG:
		if (!initialized)
			return -ENOEXEC;
		return kvm_arm_one_reg(vcpu, arg, cmd == KVM_SET_ONE_REG);
	case KVM_GET_REG_LIST:
		if (!initialized)
			return -ENOEXEC;
		return kvm_arm_copy_reg_indices(vcpu, arg);
	case KVM_ARM_VCPU_FINALIZE:
		return kvm_arm_vcpu_finalize(vcpu, arg);
	case KVM_SET_DEVICE_ATTR:
	case KVM_GET_DEVICE_ATTR:
	case KVM_HAS_DEVICE_ATTR:
		return kvm_arm_vcpu_attr(vcpu, cmd, arg);
	default:
		/* KVM_GET_REGS, KVM_SET_SREGS ... are -EINVAL on arm64 */
		return -EINVAL;
	}
}

static long kvm_arch_vm_ioctl(struct kvm *kvm, unsigned int cmd, unsigned long arg)
{
	struct kvm_vcpu_init init = { .target = KVMSIM_ARM_TARGET_GENERIC_V8 };

	switch (cmd) {
	case KVM_IRQ_LINE:
	case KVM_IRQ_LINE_STATUS:
		return kvm_vm_ioctl_irq_line(kvm, arg, cmd == KVM_IRQ_LINE_STATUS);
	case KVM_ARM_PREFERRED_TARGET:
		return copy_to_user((void *)arg, &init, sizeof(init)) ? -EFAULT : 0;
	default:
		return -EINVAL;
	}
}

static long kvm_arch_dev_ioctl(unsigned int cmd, unsigned long arg)
{
	return -EINVAL;
}

static int kvm_arch_check_extension(struct kvm *kvm, long ext)
{
	switch (ext) {
	case KVM_CAP_ARM_PSCI:
	case KVM_CAP_ARM_PSCI_0_2:
	case KVM_CAP_ONE_REG:
	case KVM_CAP_SYNC_MMU:
	case KVM_CAP_READONLY_MEM:
	case KVM_CAP_DEVICE_CTRL:
	case KVM_CAP_ARM_IRQ_LINE_LAYOUT_2:
	case KVM_CAP_IRQCHIP:		/* vgic_present: the host can give a VM a vGIC */
		return 1;
	case KVM_CAP_ARM_VM_IPA_SIZE:
		return ARM64_IPA_LIMIT;
	case KVM_CAP_NR_VCPUS:
	case KVM_CAP_MAX_VCPUS:
		return ARM64_MAX_VCPUS;
	default:
		return 0;
	}
}

/* kvm_arm_setup_stage2: type is the IPA size (0: 40 bits), nothing else */
static int kvm_arch_init_vm(struct kvm *kvm, unsigned long type)
{
	unsigned long ipa = type & KVMSIM_VM_TYPE_ARM_IPA_SIZE_MASK;

	if (type & ~KVMSIM_VM_TYPE_ARM_IPA_SIZE_MASK)
		return -EINVAL;
	if (ipa && (ipa < 32 || ipa > ARM64_IPA_LIMIT))
		return -EINVAL;
	kvm->arm64 = calloc(1, sizeof(*kvm->arm64));
	return kvm->arm64 ? 0 : -ENOMEM;
}

/* kvm_phys_shift: the IPA bits KVM_CREATE_VM's type asked for */
unsigned int arm64_phys_shift(const struct kvm *kvm)
{
	unsigned int ipa = kvm->type & KVMSIM_VM_TYPE_ARM_IPA_SIZE_MASK;

	return ipa ? ipa : ARM64_IPA_DEFAULT;
}

static void kvm_arch_destroy_vm(struct kvm *kvm)
{
	if (!kvm->arm64)
		return;
	kvm_vgic_destroy(kvm);
	free(kvm->arm64);
	kvm->arm64 = NULL;
}

/* No memslot past the VM's IPA size. */
static int kvm_arch_prepare_memory_region(struct kvm *kvm, uint64_t base_gfn,
					  uint64_t npages)
{
	return base_gfn + npages > (1ull << (arm64_phys_shift(kvm) - PAGE_SHIFT)) ? -EFAULT : 0;
}

const struct kvm_arch_ops kvm_arm64_arch_ops = {
	.name = "arm64",
	.stage2_zap_event = "kvm_pgtable_stage2_unmap",
	.init_vm = kvm_arch_init_vm,
	.destroy_vm = kvm_arch_destroy_vm,
	.vcpu_create = kvm_arch_vcpu_create,
	.vcpu_destroy = kvm_arch_vcpu_destroy,
	.vcpu_run = kvm_arch_vcpu_ioctl_run,
	.dev_ioctl = kvm_arch_dev_ioctl,
	.vm_ioctl = kvm_arch_vm_ioctl,
	.vcpu_ioctl = kvm_arch_vcpu_ioctl,
	.check_extension = kvm_arch_check_extension,
	.device_ops = kvm_arm_device_ops,
	.prepare_memory_region = kvm_arch_prepare_memory_region,
	.slot_apply_flags = arm64_slot_apply_flags,
	.flush_gfns = arm64_flush_gfns,
	.protect_gfn = arm64_protect_gfn,
	.vcpu_kick = kvm_arm64_vcpu_kick,
	.irqchip_in_kernel = kvm_arm64_irqchip_in_kernel,
	.intc_initialized = kvm_arm64_intc_initialized,
	.irqfd_allowed = kvm_arm64_irqfd_allowed,
	.set_routing_entry = kvm_arm64_set_routing_entry,
	.nr_irqchips = KVM_ARM64_NR_IRQCHIPS,
	.irqchip_num_pins = KVM_ARM64_IRQCHIP_NUM_PINS,
};
