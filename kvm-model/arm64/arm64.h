/* SPDX-License-Identifier: MIT */
/*
 * Private state of the arm64 vCPU back end on Unicorn (arch/arm64/kvm as
 * kvmsim models it).  Unicorn runs in its virtual-TLB mode: its physical
 * space is the guest-physical space (each memslot mapped once at its
 * IPA), and every TLB miss comes to kvmsim's fill hook, which walks stage
 * 1 (mmu-model/arm64_walk.c) and looks stage 2 up (mmu-model/tdp.c).  The
 * translation registers the walk reads live here; the MSR/MRS/SYS hooks
 * keep them.
 */
#ifndef KVMSIM_ARM64_H
#define KVMSIM_ARM64_H

#include <capstone/capstone.h>
#include <unicorn/unicorn.h>

#include "kvm-model/kvm_host.h"
#include "kvmsim/arm64_uapi.h"
#include "mmu-model/arm64_walk.h"

/*
 * Unicorn's translation buffer per vCPU engine: QEMU's minimum.  Guest
 * images are small; a full buffer is flushed and refilled, which changes
 * nothing a guest can see.
 */
#define ARM64_TCG_BUFFER_SIZE	(1u << 20)

/* Unicorn's arm64 target page: a TLB fill covers 1K of a 4K guest page. */
#define ARM64_UC_PAGE_SIZE	1024ull

/* ESR_ELx exception classes the model raises or decodes. */
#define ESR_ELx_EC_UNKNOWN	0x00
#define ESR_ELx_EC_SVC64	0x15
#define ESR_ELx_EC_HVC64	0x16
#define ESR_ELx_EC_IABT_LOW	0x20
#define ESR_ELx_EC_IABT_CUR	0x21
#define ESR_ELx_EC_DABT_LOW	0x24
#define ESR_ELx_EC_DABT_CUR	0x25
#define ESR_ELx_EC_BRK64	0x3c
#define ESR_ELx_EC_SHIFT	26
#define ESR_ELx_IL		(1u << 25)
#define ESR_ELx_ISV		(1u << 24)
#define ESR_ELx_SAS_SHIFT	22
#define ESR_ELx_SSE		(1u << 21)
#define ESR_ELx_SRT_SHIFT	16
#define ESR_ELx_SF		(1u << 15)
#define ESR_ELx_S1PTW		(1u << 7)
#define ESR_ELx_WNR		(1u << 6)
#define ESR_ELx_FSC_EXTABT	0x10

/* PSTATE */
#define PSR_MODE_EL0t		0x0
#define PSR_MODE_EL1t		0x4
#define PSR_MODE_EL1h		0x5
#define PSR_MODE_MASK		0xf
#define PSR_DAIF_MASK		0x3c0
#define PSR_I_BIT		(1u << 7)
#define PSR_F_BIT		(1u << 6)

/* A memslot as the engine maps it: one region at its IPA. */
struct arm64_slot_map {
	uint64_t gpa, size, hva;
};

/*
 * The last translation the fill hook granted, per EL: Unicorn's arm64
 * pages are 1K, so a 4K page (or a block) is filled several times; this
 * answers the later fills without another walk.  Dropped with the TLB.
 */
struct arm64_fill_cache {
	bool valid;
	uint64_t va, size, ipa;	/* the range linear in both stages */
	uint64_t hva;		/* the host address of ipa */
	uint32_t perms;		/* UC_PROT_* */
};

/* Why the last uc_emu_start returned, as the hooks saw it. */
enum arm64_stop {
	ARM64_STOP_NONE,	/* wfi, or a failed fill (a->fault) */
	ARM64_STOP_QUANTUM,	/* the block hook spent the quantum */
	ARM64_STOP_EXCEPTION,	/* Unicorn raised an exception: intno */
	ARM64_STOP_IRQ,		/* an IRQ can be taken, or a timer's deadline passed */
};

/* ---- vGICv3 (vgic-v3.c) and the arch timer (arch_timer.c) ---- */

#define VGIC_NR_SGIS		16
#define VGIC_NR_PRIVATE_IRQS	32
#define VGIC_MAX_RESERVED	1023
#define VGIC_NR_IRQS_LEGACY	256
#define VGIC_V3_MAX_CPUS	512
#define VGIC_ADDR_UNDEF		(~0ull)
#define VGIC_PRI_BITS		5	/* ICH_VTR_EL2.PRIbits + 1 of the model */
#define VGIC_PRI_MASK		0xf8	/* the priority bits kept */
#define ICC_IAR1_SPURIOUS	1023
/* include/kvm/arm_vgic.h: one irqchip for GSI routing, pin N = SPI N + 32 */
#define KVM_ARM64_NR_IRQCHIPS		1
#define KVM_ARM64_IRQCHIP_NUM_PINS	(1020 - 32)

/* struct vgic_irq: one interrupt's state, as the distributor keeps it */
struct vgic_irq {
	uint32_t intid;
	uint8_t priority;
	bool enabled;
	bool pending_latch;	/* edge, or ISPENDR / SGI */
	bool line_level;	/* level-sensitive input */
	bool active;
	bool group;		/* 1: group 1 */
	bool level;		/* config: level-sensitive (PPIs, ICFGR) */
	uint64_t mpidr;		/* SPI: GICD_IROUTER Aff2.Aff1.Aff0 */
	struct kvm_vcpu *target_vcpu;	/* SPI: the vCPU it is routed to, or NULL */
};

/* The virtual CPU interface (ICH_VMCR_EL2 and ICH_AP1R0_EL2's worth) */
struct vgic_cpu {
	struct vgic_irq private_irqs[VGIC_NR_PRIVATE_IRQS];
	uint8_t pmr;
	uint8_t bpr0, bpr1;
	bool cbpr, eoimode, grpen0, grpen1;
	uint32_t ap0r, ap1r;	/* active priorities: bit n = group priority n << 3 */
};

enum kvm_arch_timers {
	TIMER_PTIMER,
	TIMER_VTIMER,
	NR_KVM_TIMERS,
};

/* CNT{P,V}_CTL_EL0 */
#define ARCH_TIMER_CTRL_ENABLE	(1u << 0)
#define ARCH_TIMER_CTRL_IT_MASK	(1u << 1)
#define ARCH_TIMER_CTRL_IT_STAT	(1u << 2)

struct arch_timer_context {
	uint64_t cval;
	uint32_t ctl;		/* ENABLE and IMASK; ISTATUS is computed */
	bool irq_level;		/* what the vGIC was last told */
};

/* A VM's vGICv3 (struct vgic_dist) and timer offsets (timer_data). */
struct kvm_arm64_vm {
	bool vgic_in_kernel;	/* KVM_CREATE_DEVICE of a VGIC_V3 */
	bool vgic_initialized;	/* KVM_DEV_ARM_VGIC_CTRL_INIT */
	bool vgic_ready;	/* kvm_vgic_map_resources at the first KVM_RUN */
	bool enabled;		/* GICD_CTLR.EnableGrp1 */
	bool enabled_grp0;	/* GICD_CTLR.EnableGrp0 */
	uint64_t dist_base, redist_base;
	uint32_t nr_spis;
	struct vgic_irq *spis;
	uint32_t timer_ppi[NR_KVM_TIMERS];
	bool timer_ppis_immutable;
	uint64_t voffset, poffset;	/* CNTVOFF, and the physical counter's */
};

/* An MMIO read waiting for userspace (kvm_handle_mmio_return). */
struct arm64_mmio_pending {
	bool active;
	bool read;
	int rt;			/* destination register, 31 = XZR */
	int len;
	bool sign_extend;	/* ESR.SSE */
	bool sixty_four;	/* ESR.SF */
};

struct kvm_arm64_vcpu {
	uc_engine *uc;		/* opened at its first use: arm64_uc() */
	bool engine_failed;	/* uc_open failed: KVM_RUN says -ENOMEM */
	uint64_t pstate_at_open;	/* PSTATE set while there was no engine */
	csh cs;
	uint64_t quantum;	/* guest instructions per scheduling quantum */
	uint64_t quantum_left;	/* counted down by the block hook */
	uint64_t insns_at_entry;	/* vcpu->insns when uc_emu_start began */
	bool in_emu;		/* inside uc_emu_start: fills are the guest's */
	bool code_stale;	/* another vCPU ran IC, or a reset: drop translated code */

	bool initialized;	/* KVM_ARM_VCPU_INIT done */
	uint32_t features;
	bool power_off;		/* PSCI: waits for CPU_ON */
	struct sim_waitq power_wq;
	uint64_t mpidr;

	/* EL1 translation registers, as the stage-1 walk reads them */
	uint64_t sctlr, tcr, ttbr0, ttbr1, mair;

	/* the memslots mapped in the engine, sorted by gpa */
	struct arm64_slot_map *maps;
	int nr_maps;
	struct arm64_fill_cache fill_cache[2];	/* [el0] */

	/* the fill that failed and stopped the engine */
	struct {
		bool valid;
		uc_mem_type type;	/* UC_MEM_READ, _WRITE, _FETCH */
		uint64_t va;		/* Unicorn's page of it (1K aligned) */
		int insn_state;		/* 0: not read yet, 1: insn, 2: unreadable */
		uint32_t insn;		/* the word at PC */
	} fault;
	/* disassembly of the instructions that faulted last (trace text) */
	struct {
		uint64_t pc;
		uint32_t word;
		char text[200];	/* mnemonic (32) + operands (160) */
	} disasm_cache[16];
	enum arm64_stop stop;
	uint32_t intno;
	struct arm64_mmio_pending mmio;
	uint64_t system_event;	/* 0, or KVM_SYSTEM_EVENT_* pending */

	bool has_run_once;	/* kvm_arch_vcpu_run_pid_change done */
	struct vgic_cpu vgic;
	struct arch_timer_context timers[NR_KVM_TIMERS];
	struct sim_waitq wfi_wq;	/* kvm_vcpu_block: wfi waits for an interrupt */
	uint64_t now_at_entry;		/* sim_now() when uc_emu_start began */
	uint32_t irq_deliverable;	/* PSR_I_BIT / PSR_F_BIT: an IRQ / FIQ is signalled */
	uint32_t irq_lines;		/* KVM_IRQ_LINE type CPU, no vGIC: bit 0 IRQ, 1 FIQ */
	uint64_t timer_deadline;	/* virtual ns a timer's line rises, or SIM_FOREVER */
	const char *sync_point;		/* after this stop: sim_sync_point (an SGI was sent) */
};

static inline struct kvm_arm64_vcpu *to_arm64(struct kvm_vcpu *vcpu)
{
	return vcpu->arch;
}

static inline bool irqchip_in_kernel(const struct kvm *kvm)
{
	return kvm->arm64 && kvm->arm64->vgic_in_kernel;
}

/* The stage-1 access kind (ARM64_ACC_*) of a Unicorn fill. */
static inline unsigned arm64_access(uc_mem_type type, bool el0)
{
	unsigned acc = el0 ? ARM64_ACC_EL0 : 0;

	if (type == UC_MEM_WRITE)
		return acc | ARM64_ACC_WRITE;
	if (type == UC_MEM_FETCH)
		return acc | ARM64_ACC_EXEC;
	return acc;
}

/* arm64.c */
unsigned int arm64_phys_shift(const struct kvm *kvm);
uint64_t arm64_reg_read(struct kvm_vcpu *vcpu, int uc_reg);
void arm64_reg_write(struct kvm_vcpu *vcpu, int uc_reg, uint64_t v);
uint64_t arm64_xreg_read(struct kvm_vcpu *vcpu, int n);	/* 31 = XZR */
void arm64_xreg_write(struct kvm_vcpu *vcpu, int n, uint64_t v);
int arm64_internal_error(struct kvm_vcpu *vcpu, const char *what, uint64_t pc);

/*
 * engine.c: the Unicorn engine in TLB mode, opened at its first use (a
 * register access or KVM_RUN), not at KVM_CREATE_VCPU: arm64_uc() opens
 * it or ends the process (register accessors cannot fail);
 * arm64_engine_get() returns NULL instead.  Until then the reset state
 * (zero registers, PSTATE, the translation registers' shadows) is what
 * the engine is opened with.
 */
uc_engine *arm64_uc(struct kvm_vcpu *vcpu);
uc_engine *arm64_engine_get(struct kvm_vcpu *vcpu);
void arm64_engine_close(struct kvm_vcpu *vcpu);
uc_err arm64_engine_run(struct kvm_vcpu *vcpu);
void arm64_flush_tlb(struct kvm_vcpu *vcpu);
void arm64_invalidate_code(struct kvm_vcpu *vcpu, uint64_t ipa, uint64_t size);
void arm64_set_pstate(struct kvm_vcpu *vcpu, uint64_t pstate);
void arm64_set_vm_reg(struct kvm_vcpu *vcpu, uint64_t *shadow, uint64_t val);
bool arm64_from_el0(struct kvm_vcpu *vcpu);
bool arm64_read_guest_va(struct kvm_vcpu *vcpu, uint64_t va, void *buf, size_t len);
bool arm64_fetch_insn(struct kvm_vcpu *vcpu, uint64_t pc, uint32_t *insn);
bool arm64_fault_insn(struct kvm_vcpu *vcpu, uint32_t *insn);
const char *arm64_disasm(struct kvm_vcpu *vcpu, uint64_t pc, uint32_t word);

/* decode.c: what a data abort's instruction accessed */
bool arm64_decode_isv(uint32_t insn, struct arm64_mmio_pending *d);
bool arm64_data_address(struct kvm_vcpu *vcpu, uint64_t pc, uint32_t insn, uint64_t *va);

/* mmu.c */
int kvm_handle_guest_abort(struct kvm_vcpu *vcpu);
int kvm_handle_mmio_return(struct kvm_vcpu *vcpu);
void arm64_flush_gfns(struct kvm_vcpu *vcpu, uint64_t gfn_start, uint64_t gfn_end);
void arm64_protect_gfn(struct kvm_vcpu *vcpu, uint64_t gfn);
void arm64_slot_apply_flags(struct kvm *kvm, struct kvm_memory_slot *old, uint32_t new_flags);
/* the stage-1 walk and stage-2 lookup a fill needs, without faulting */
bool arm64_translate(struct kvm_vcpu *vcpu, uint64_t va, unsigned acc,
		     struct arm64_fill_cache *out);
/* exception entry to VBAR_EL1 (inject_abt64 and friends) */
void arm64_inject_exception(struct kvm_vcpu *vcpu, uint32_t esr, uint64_t far,
			    uint64_t elr, bool set_far);
void kvm_inject_undefined(struct kvm_vcpu *vcpu);
/* the CPU takes an IRQ (VBAR_EL1 + 0x80 of the vector group) or FIQ (+0x100), ESR unchanged */
void arm64_take_irq(struct kvm_vcpu *vcpu, bool fiq);

/* vgic-v3.c */
extern const struct kvm_device_ops kvm_arm_vgic_v3_ops;
void kvm_vgic_vcpu_init(struct kvm_vcpu *vcpu);
int kvm_vgic_map_resources(struct kvm *kvm);
int kvm_vgic_inject_irq(struct kvm *kvm, struct kvm_vcpu *vcpu, uint32_t intid, bool level);
int kvm_vm_ioctl_irq_line(struct kvm *kvm, unsigned long arg, bool line_status);
/* pending, enabled, not active, above the priority mask: what wakes a wfi */
bool kvm_vgic_vcpu_pending_irq(struct kvm_vcpu *vcpu);
/* what the CPU interface would signal now (PSTATE.I aside) */
uint32_t vgic_v3_irq_deliverable(struct kvm_vcpu *vcpu);
/* vgic_flush_lr_state + the CPU: take an IRQ if one is signalled and unmasked */
void kvm_vgic_flush_hwstate(struct kvm_vcpu *vcpu);
/* MMIO to the distributor or a redistributor: true if it was the vGIC's */
bool vgic_mmio_access(struct kvm_vcpu *vcpu, uint64_t gpa, int len, bool write, uint64_t *val);
/* ICC_* system registers (EL1): true if handled */
bool vgic_v3_sysreg(struct kvm_vcpu *vcpu, const uc_arm64_cp_reg *cp, bool write, uint64_t *val);
void kvm_vgic_destroy(struct kvm *kvm);

/* vgic-irqfd.c: GSI routing to the vGIC (kvm_arch_ops hooks) */
struct kvm_kernel_irq_routing_entry;
struct kvm_irq_routing_entry;
int kvm_arm64_set_routing_entry(struct kvm *kvm, struct kvm_kernel_irq_routing_entry *e,
				const struct kvm_irq_routing_entry *ue);
int kvm_vgic_setup_default_irq_routing(struct kvm *kvm);
void vgic_notify_acked_spi(struct kvm *kvm, uint32_t intid);
bool kvm_arm64_irqchip_in_kernel(struct kvm *kvm);
bool kvm_arm64_intc_initialized(struct kvm *kvm);
bool kvm_arm64_irqfd_allowed(struct kvm *kvm, bool resample);

/* arch_timer.c */
void kvm_timer_vcpu_init(struct kvm_vcpu *vcpu);
void kvm_timer_vcpu_reset(struct kvm_vcpu *vcpu);
int kvm_timer_enable(struct kvm_vcpu *vcpu);
uint64_t kvm_arm_timer_now(struct kvm_vcpu *vcpu);
uint64_t kvm_arm_counter(struct kvm_vcpu *vcpu, enum kvm_arch_timers t);
/* sample both timers; a changed line goes to the vGIC (kvm_timer_update_irq) */
void kvm_timer_sync_state(struct kvm_vcpu *vcpu);
/* virtual ns at which a timer's line rises next, SIM_FOREVER if none */
uint64_t kvm_timer_next_deadline(struct kvm_vcpu *vcpu);
bool kvm_arm_timer_sysreg(struct kvm_vcpu *vcpu, const uc_arm64_cp_reg *cp, bool write,
			  uint64_t *val);
int kvm_arm_timer_get_reg(struct kvm_vcpu *vcpu, uint64_t id, uint64_t *val);
int kvm_arm_timer_set_reg(struct kvm_vcpu *vcpu, uint64_t id, uint64_t val);
int kvm_arm_timer_attr(struct kvm_vcpu *vcpu, struct kvm_device_attr *attr, int op);

#endif
