// SPDX-License-Identifier: MIT
/*
 * Interrupts from a userspace irqchip (arch/x86/kvm/x86.c): KVM_INTERRUPT
 * queues a vector that the next entry injects through the guest's IDT
 * (kvm_queue_interrupt: the VMM promised the vCPU was ready, so it is
 * injected without looking at RFLAGS.IF, as KVM's reinjection path does),
 * KVM_NMI queues an NMI (vector 2, delivered whatever RFLAGS.IF says),
 * kvm_run.request_interrupt_window asks for KVM_EXIT_IRQ_WINDOW_OPEN as
 * soon as the guest can take an interrupt (RFLAGS.IF=1, outside an STI
 * shadow), and every KVM_RUN reports if_flag and
 * ready_for_interrupt_injection (post_kvm_run_save).
 *
 * Where the window opens inside a run: RFLAGS.IF only becomes 1 through
 * STI (trapped and emulated), POPF or IRET, and Unicorn ends a translated
 * block after each of these, so testing RFLAGS at every block start finds
 * the boundary the CPU would exit at; after STI the block that starts at
 * the shadowed instruction is let run, so the window is seen at the next
 * block start (exact when the shadowed instruction ends its block: a jump,
 * HLT, or another trapped instruction).
 */
#include <errno.h>
#include <linux/kvm.h>

#include "kvm-model/x86/uc_internal.h"
#include "kvm-model/kvm_irq.h"
#include "kvm-model/x86/x86_state.h"

#define X86_EFLAGS_IF	(1ull << 9)
#define NMI_VECTOR	2

static struct kvm_x86_events *vcpu_events(struct kvm_vcpu *vcpu)
{
	return &to_uc(vcpu)->events;
}

void kvm_x86_events_init(struct kvm_vcpu *vcpu)
{
	struct kvm_x86_events *ev = vcpu_events(vcpu);

	ev->interrupt_nr = -1;
	ev->pending_external_vector = -1;
	ev->pending_ioapic_eoi = -1;
	ev->exception_nr = -1;
	ev->nmi_pending = 0;
	ev->window_wanted = false;
}

static void trace_vector(const char *event, int vector)
{
	struct sim_ev *ev = sim_ev_begin(event);

	sim_ev_int(ev, "vector", vector);
	sim_ev_end(ev);
}

long kvm_vcpu_ioctl_interrupt(struct kvm_vcpu *vcpu, const struct kvm_interrupt *irq)
{
	struct kvm_x86_events *ev = vcpu_events(vcpu);

	if (irq->irq >= 256)
		return -EINVAL;
	/* with the PIC in the kernel it is the PIC's job */
	if (pic_in_kernel(vcpu->kvm))
		return -ENXIO;
	/* split irqchip: an ExtINT for LINT0, one at a time */
	if (vcpu->kvm->irqchip_kernel) {
		if (ev->pending_external_vector != -1)
			return -EEXIST;
		ev->pending_external_vector = irq->irq;
		trace_vector("kvm_queue_interrupt", irq->irq);
		kvm_vcpu_kick(vcpu);
		return 0;
	}
	ev->interrupt_nr = irq->irq;
	ev->interrupt_last_nr = irq->irq;
	trace_vector("kvm_queue_interrupt", irq->irq);
	return 0;
}

/* kvm_inject_nmi + process_nmi: a third NMI while two wait is dropped. */
long kvm_vcpu_ioctl_nmi(struct kvm_vcpu *vcpu)
{
	struct kvm_x86_events *ev = vcpu_events(vcpu);

	if (ev->nmi_pending < 2)
		ev->nmi_pending++;
	trace_vector("kvm_inject_nmi", NMI_VECTOR);
	kvm_vcpu_kick(vcpu);
	return 0;
}

/*
 * kvm_cpu_accept_dm_intr: no ExtINT already waiting, and (split
 * irqchip) LINT0 would take one.
 */
static bool kvm_cpu_accept_dm_intr(struct kvm_vcpu *vcpu)
{
	if (!lapic_in_kernel(vcpu))
		return vcpu_events(vcpu)->interrupt_nr < 0;
	return !kvm_cpu_has_extint(vcpu) && kvm_apic_accept_pic_intr(vcpu);
}

/* kvm_cpu_accept_dm_intr && kvm_arch_interrupt_allowed */
static bool kvm_vcpu_ready_for_interrupt_injection(struct kvm_vcpu *vcpu)
{
	return kvm_arch_interrupt_allowed(vcpu) && kvm_cpu_accept_dm_intr(vcpu);
}

static bool dm_request_for_irq_injection(struct kvm_vcpu *vcpu)
{
	return vcpu->run->request_interrupt_window && !pic_in_kernel(vcpu->kvm);
}

/*
 * The window the VMM asked for: open now, an exit; closed, the block hook
 * watches for it (skipping the instruction in an STI shadow).
 */
static int kvm_check_irq_window(struct kvm_vcpu *vcpu)
{
	struct kvm_x86_events *ev = vcpu_events(vcpu);
	struct kvm_lapic *apic = &to_uc(vcpu)->lapic;

	ev->window_wanted = false;
	if (!dm_request_for_irq_injection(vcpu))
		return 0;
	if (kvm_vcpu_ready_for_interrupt_injection(vcpu)) {
		trace_vector("kvm_irq_window_open", -1);
		kvm_run_set_exit(vcpu, KVM_EXIT_IRQ_WINDOW_OPEN);
		return 1;
	}
	if (ev->interrupt_nr >= 0 || ev->pending_external_vector >= 0)
		return 0;
	ev->window_wanted = true;
	ev->window_skip = apic->irq_shadow ? apic->shadow_rip + vcpu->sregs.cs.base : ~0ull;
	return 0;
}

/*
 * #BP is a soft exception (vmx_inject_exception): the return address is
 * past the INT3 of the last #BP exit (event_exit_inst_len), which is how
 * a debugger gives the guest back a breakpoint that was not its own.
 */
static int kvm_inject_queued_vector(struct kvm_vcpu *vcpu, int vector,
				    const struct kvm_x86_events *ev)
{
	if (vector == BP_VECTOR) {
		x86_reg_write(vcpu, UC_X86_REG_RIP, x86_reg_read(vcpu, UC_X86_REG_RIP) +
			      x86_debug_soft_bp_len(vcpu));
		return kvm_inject_exception(vcpu, vector, false, 0, true);
	}
	return kvm_inject_exception(vcpu, vector, ev->exception_has_error,
				    ev->exception_error_code, false);
}

/*
 * What userspace queued with KVM_SET_VCPU_EVENTS or KVM_X86_SET_MCE goes
 * in first (kvm_check_and_inject_events: a triple fault, the injected
 * exception, the injected NMI): 0, or 1 with an exit ready.
 */
static int inject_queued_exception(struct kvm_vcpu *vcpu, struct kvm_x86_events *ev)
{
	int vector = ev->exception_nr, r;

	if (ev->triple_fault) {
		ev->triple_fault = false;
		trace_vector("kvm_triple_fault", -1);
		kvm_run_set_exit(vcpu, KVM_EXIT_SHUTDOWN);
		to_uc(vcpu)->shutdown = true;
		return 1;
	}
	if (vector >= 0) {
		ev->exception_nr = -1;
		r = kvm_inject_queued_vector(vcpu, vector, ev);
		if (r)
			return r;
	}
	if (ev->nmi_injected) {
		ev->nmi_injected = false;
		trace_vector("kvm_inj_nmi", NMI_VECTOR);
		return kvm_inject_irq(vcpu, NMI_VECTOR);
	}
	return 0;
}

int kvm_x86_inject_queued_events(struct kvm_vcpu *vcpu)
{
	struct kvm_x86_events *ev = vcpu_events(vcpu);
	int vector = ev->interrupt_nr, r;
	struct sim_ev *tev;

	/* KVM_REQ_IOAPIC_EOI_EXIT: userspace's IOAPIC hears of the EOI */
	if (ev->pending_ioapic_eoi >= 0) {
		kvm_run_set_exit(vcpu, KVM_EXIT_IOAPIC_EOI);
		vcpu->run->eoi.vector = ev->pending_ioapic_eoi;
		tev = sim_ev_begin("kvm_ioapic_eoi_exit");
		sim_ev_int(tev, "vector", ev->pending_ioapic_eoi);
		sim_ev_end(tev);
		ev->pending_ioapic_eoi = -1;
		return 1;
	}

	/* a queued exception first, as kvm_check_and_inject_events does */
	r = kvm_deliver_queued_exception(vcpu);
	if (r)
		return r;
	r = inject_queued_exception(vcpu, ev);
	if (r)
		return r;
	/* KVM_GUESTDBG_BLOCKIRQ: exceptions only */
	if (kvm_x86_debug_blocks_irq(vcpu))
		return kvm_check_irq_window(vcpu);
	if (vector >= 0) {
		ev->interrupt_nr = -1;
		r = kvm_inject_irq(vcpu, vector);
		if (r)
			return r;
	}
	/* an NMI gets in after the interrupt, as its own entry would */
	if (ev->nmi_pending) {
		ev->nmi_pending--;
		trace_vector("kvm_inj_nmi", NMI_VECTOR);
		r = kvm_inject_irq(vcpu, NMI_VECTOR);
		if (r)
			return r;
	}
	return kvm_check_irq_window(vcpu);
}

bool kvm_x86_irq_window_opened(struct kvm_x86_events *ev, uc_engine *uc, uint64_t block_addr)
{
	uint64_t rflags = 0;

	if (!ev->window_wanted || block_addr == ev->window_skip)
		return false;
	uc_reg_read(uc, UC_X86_REG_RFLAGS, &rflags);
	return rflags & X86_EFLAGS_IF;
}

/* post_kvm_run_save: what every KVM_RUN return tells the VMM. */
static void post_kvm_run_save(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	run->if_flag = !!(x86_reg_read(vcpu, UC_X86_REG_RFLAGS) & X86_EFLAGS_IF);
	run->ready_for_interrupt_injection = pic_in_kernel(vcpu->kvm) ||
					     kvm_vcpu_ready_for_interrupt_injection(vcpu);
}

/*
 * vcpu_mmio_read / vcpu_mmio_write: an MMIO access goes to the devices in
 * the kernel first (the local APIC's page); true if one took it, false
 * for an exit to userspace.
 */
bool vcpu_mmio_read(struct kvm_vcpu *vcpu, uint64_t gpa, int len, void *data)
{
	return kvm_lapic_mmio_read(vcpu, gpa, len, data) ||
	       !kvm_io_bus_read(vcpu, KVM_MMIO_BUS, gpa, len, data);
}

bool vcpu_mmio_write(struct kvm_vcpu *vcpu, uint64_t gpa, int len, const void *data)
{
	return kvm_lapic_mmio_write(vcpu, gpa, len, data) ||
	       !kvm_io_bus_write(vcpu, KVM_MMIO_BUS, gpa, len, data);
}

int kvm_x86_vcpu_run(struct kvm_vcpu *vcpu)
{
	int r = kvm_arch_vcpu_ioctl_run(vcpu);

	vcpu_events(vcpu)->window_wanted = false;
	post_kvm_run_save(vcpu);
	return r;
}

/* ---- the in-kernel irqchip's view of the vCPU (arch/x86/kvm/irq.c) ---- */

/* kvm_cpu_has_extint: the PIC's INTR (split: KVM_INTERRUPT's), if LINT0 takes it */
bool kvm_cpu_has_extint(struct kvm_vcpu *vcpu)
{
	struct kvm_pic *pic = vcpu->kvm->x86->vpic;

	if (!lapic_in_kernel(vcpu) || !kvm_apic_accept_pic_intr(vcpu))
		return false;
	if (irqchip_split(vcpu->kvm))
		return vcpu_events(vcpu)->pending_external_vector != -1;
	return pic && kvm_pic_output(pic);
}

bool kvm_cpu_has_interrupt(struct kvm_vcpu *vcpu)
{
	return kvm_cpu_has_extint(vcpu) || kvm_apic_has_interrupt(vcpu) >= 0;
}

/* kvm_cpu_get_interrupt: INTA to the PIC first, else the APIC's IRR to ISR */
int kvm_cpu_get_interrupt(struct kvm_vcpu *vcpu)
{
	struct sim_ev *ev;
	int vector;

	if (kvm_cpu_has_extint(vcpu) && irqchip_split(vcpu->kvm)) {
		vector = vcpu_events(vcpu)->pending_external_vector;
		vcpu_events(vcpu)->pending_external_vector = -1;
		return vector;
	}
	if (kvm_cpu_has_extint(vcpu)) {
		vector = kvm_pic_read_irq(vcpu->kvm);
		ev = sim_ev_begin("kvm_pic_read_irq");
		sim_ev_int(ev, "vector", vector);
		sim_ev_end(ev);
		return vector;
	}
	return kvm_get_apic_interrupt(vcpu);
}
