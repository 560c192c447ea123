/* SPDX-License-Identifier: MIT */
/*
 * KVM_SET_GUEST_DEBUG on x86 (guest_debug.c): the host debugger's state
 * (vcpu->guest_debug, arch.eff_db, arch.guest_debug_dr7,
 * arch.singlestep_rip) and the engine hooks that make it real.  The
 * guest's own DR0-DR7 stay in the engine: the host's breakpoints are
 * hooks, never written there, so a guest MOV from DRn sees its own values
 * as KVM's MOV-DR exiting gives them (vcpu->arch.db, not eff_db).
 */
#ifndef KVM_MODEL_X86_GUEST_DEBUG_H
#define KVM_MODEL_X86_GUEST_DEBUG_H

#include <stdbool.h>
#include <stdint.h>
#include <unicorn/unicorn.h>

struct kvm_vcpu;

#define DB_VECTOR	1
#define BP_VECTOR	3

#define DR6_BD		(1u << 13)
#define DR6_BS		(1u << 14)
#define DR6_ACTIVE_LOW	0xffff0ff0u
#define DR7_GD		(1u << 13)

struct x86_guest_debug {
	uint32_t control;	/* vcpu->guest_debug: 0 unless KVM_GUESTDBG_ENABLE */
	uint64_t eff_db[4];	/* with USE_HW_BP: the host's DR0-DR3 */
	uint64_t dr7;		/* with USE_HW_BP: the host's DR7 (guest_debug_dr7) */
	uint64_t singlestep_rip;	/* linear RIP when single-step was set */
	/*
	 * KVM sets RFLAGS.TF in the VMCS only while RIP is singlestep_rip
	 * (__kvm_set_rflags); KVM_SET_REGS moving RIP drops it.
	 */
	bool tf;
	/* the length of the INT3 the last #BP exit was for (event_exit_inst_len) */
	int bp_insn_len;

	/* the hooks installed in the engine, as x86_debug_arm left them */
	bool armed_dirty;
	uint64_t bp_addr[4];
	bool bp_on[4];
	uc_hook bp_hook[4];
	bool step_on, mem_on;
	uc_hook step_hook, write_hook, read_hook;
	/* data breakpoints: the gpa of each watched linear range, at entry */
	uint64_t wp_gpa[4];
	uint32_t wp_len[4];
	uint32_t wp_mask;	/* slots watched now */
	uint32_t wp_read_mask;	/* of them, read/write ones */

	/* during one engine entry */
	uint64_t count;		/* instruction starts the step hook saw */
	uint64_t last;		/* the last one's linear address */
	uint32_t wp_hit;	/* slots a data access hit */
	uint64_t rf_pc;		/* RFLAGS.RF set at entry: the instruction it covers */
	uint32_t exit_dr6;	/* the STOP_DEBUG exit's DR6 bits */
	bool exit_dr7;		/* it reports DR7 (a #DB intercept does) */
};

/* KVM_SET_GUEST_DEBUG (kvm_arch_vcpu_ioctl_set_guest_debug) */
long kvm_vcpu_ioctl_set_guest_debug(struct kvm_vcpu *vcpu, void *uarg);
/* KVM_CAP_SET_GUEST_DEBUG2: the control bits it takes */
uint32_t kvm_guestdbg_valid_mask(void);

/* Before the engine runs: hooks as the debug state wants them. */
void x86_debug_arm(struct kvm_vcpu *vcpu);
/* The engine stopped for a debug event (STOP_DEBUG): fill the exit, 1. */
int x86_debug_exit(struct kvm_vcpu *vcpu);
/*
 * Another hook stopped the engine before the instruction at linear addr
 * (the block hook at a block's start, or a code hook there): an
 * instruction completed under single-step, or a watched access happened,
 * before it.  1 with KVM_EXIT_DEBUG filled, else 0.
 */
int x86_debug_hook_stop(struct kvm_vcpu *vcpu, uint64_t addr, bool at_block);
/*
 * kvm_skip_emulated_instruction's tail: an instruction kvmsim emulated
 * completed (RIP past it).  1 with KVM_EXIT_DEBUG when single-stepping.
 */
int kvm_vcpu_do_singlestep(struct kvm_vcpu *vcpu);
/* An INT3 raised #BP (len: its length): 1 with KVM_EXIT_DEBUG under USE_SW_BP. */
int x86_debug_sw_bp(struct kvm_vcpu *vcpu, int len);
/* KVM_GUESTDBG_BLOCKIRQ: no interrupt or NMI is injected. */
bool kvm_x86_debug_blocks_irq(struct kvm_vcpu *vcpu);
/* Hooks should not act: single-stepping, or a watchpoint needs instruction ends. */
bool x86_debug_stepping(struct kvm_vcpu *vcpu);
/* KVM_SET_REGS set RFLAGS (kvm_set_rflags): TF stays only at singlestep_rip. */
void x86_debug_set_rflags(struct kvm_vcpu *vcpu);
/*
 * A guest MOV to or from DRn with DR7.GD in the DR7 in effect (the host's
 * with USE_HW_BP): KVM_EXIT_DEBUG (1) for the host, else #DB with DR6.BD
 * for the guest (0).  -1: no general detect, the move runs.
 */
int x86_debug_general_detect(struct kvm_vcpu *vcpu);
/* The DR7 a MOV DR is checked against (hardware's). */
uint64_t x86_debug_effective_dr7(struct kvm_vcpu *vcpu);
/* A queued #BP is a soft exception: the INT3 length of the last #BP exit. */
int x86_debug_soft_bp_len(struct kvm_vcpu *vcpu);

#endif
