// SPDX-License-Identifier: MIT
/*
 * --explain: each trace event becomes one narrated line, indented by where
 * it sits in the fault path, told in the kernel's words and carrying the
 * event's own fields.  It reads the event's typed fields (sim_ev_field),
 * never its JSON text, so values print as the model wrote them (an arm64
 * instruction keeps its commas) and the text and the trace cannot
 * disagree.
 *
 * Filters (environment, set by kvmsim's --explain-* options):
 *   KVMSIM_EXPLAIN_ACTOR   ACTOR[,ACTOR...]  only these actors (vcpu0, vm1.vcpu0, vmm...)
 *   KVMSIM_EXPLAIN_GPA     LO[-HI]           only the stories of faults in [LO, HI]
 *   KVMSIM_EXPLAIN_DEPTH   N                 only lines indented N levels or less
 *   KVMSIM_EXPLAIN_EVENTS  NAME[,NAME...]    only these events
 * The stage-1 walk's events exist only when KVMSIM_EXPLAIN_WALK asks for
 * them (walk_trace.c); the walk lines then also tell what each entry says.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm-model/explain.h"
#include "kvm-model/observe.h"
#include "sim/sim.h"

struct narration {
	const char *event;
	int depth;
	const char *text;
};

static const struct narration narrations[] = {
	{ "kvm_create_vm", 0, "KVM_CREATE_VM: a new VM" },
	/* the stage-1 walk (--explain-walk=fault|all) */
	{ "kvm_mmu_pagetable_walk", 0, "the guest's page tables are walked for this gva" },
	{ "kvm_mmu_paging_element", 1, "entry read" },
	{ "kvm_mmu_set_accessed_bit", 1, "the walk sets the entry's Accessed bit" },
	{ "kvm_mmu_set_dirty_bit", 1, "the walk sets the leaf's Dirty bit" },
	{ "kvm_mmu_walker_error", 1, "the walk fails: #PF for the guest" },
	{ "walk_addr_generic", 1, "the walk ends" },
	{ "kvm_vm_ioctl_create_vcpu", 0, "KVM_CREATE_VCPU" },
	{ "kvm_set_memslot", 0, "KVM_SET_USER_MEMORY_REGION: memslot change" },
	{ "handle_ept_violation", 0, "handle_ept_violation: EPT violation, the guest's page tables gave this gpa" },
	{ "kvm_inject_page_fault", 0, "kvm_inject_page_fault: the guest's own page tables fault, #PF to the guest" },
	{ "kvm_mmu_page_fault", 1, "kvm_mmu_page_fault: stage-2 (TDP) fault" },
	{ "kvm_faultin_pfn", 2, "kvm_faultin_pfn: find the memslot and the host page" },
	{ "kvm_handle_noslot_fault", 3, "kvm_handle_noslot_fault: no memslot here, so this is MMIO" },
	{ "hva_to_pfn_fast", 3, "hva_to_pfn_fast: look the host page up without faulting it in" },
	{ "hva_to_pfn_slow", 3, "hva_to_pfn_slow: GUP, may fault the host page in" },
	{ "kvm_handle_error_pfn", 3, "kvm_handle_error_pfn: no usable host page" },
	{ "kvm_prepare_memory_fault_exit", 3, "kvm_prepare_memory_fault_exit: fill kvm_run.memory_fault" },
	{ "kvm_try_async_get_page", 3, "kvm_try_async_get_page: fault the page in from a worker (async PF)" },
	{ "kvm_mmu_hugepage_adjust", 2, "kvm_mmu_hugepage_adjust: choose the mapping level" },
	{ "mmu_invalidate_seq_snapshot", 3, "mmu_invalidate_seq snapshot: an invalidation after this makes the fault stale" },
	{ "mmu_invalidate_retry_gfn", 2, "mmu_invalidate_retry_gfn: did an invalidation overtake the lookup?" },
	{ "is_page_fault_stale", 2, "is_page_fault_stale: an invalidation raced with us, retry" },
	{ "kvm_tdp_mmu_map", 2, "kvm_tdp_mmu_map: install the SPTE" },
	{ "kvm_mmu_track_write", 0, "kvm_mmu_track_write: the guest wrote one of its page tables, the translations made from it are dropped" },
	{ "kvm_mmu_invalidate_range_add", 0, "kvm_mmu_invalidate_begin: an MMU-notifier invalidation opens; faults on these gfns retry until it ends" },
	{ "kvm_mmu_invalidate_end", 0, "kvm_mmu_invalidate_end: the invalidation closes and mmu_invalidate_seq moves on" },
	{ "kvm_tdp_mmu_zap_leafs", 0, "kvm_tdp_mmu_zap_leafs: zap stage-2 SPTEs" },
	{ "kvm_pgtable_stage2_unmap", 0, "kvm_pgtable_stage2_unmap: unmap a stage-2 range" },
	{ "kvm_mmio", 1, "emulate the access as MMIO: exit to userspace" },
	{ "kvm_pio", 1, "kvm_fast_pio: port I/O, exit to userspace" },
	{ "kvm_inj_exception", 1, "kvm_inject_exception: deliver an exception through the guest IDT" },
	{ "kvm_triple_fault", 1, "kvm_make_request(KVM_REQ_TRIPLE_FAULT): exception delivery failed twice" },
	{ "kvm_internal_error", 1, "KVM_EXIT_INTERNAL_ERROR" },
	{ "kvm_mmu_flush_tlb", 1, "kvm_flush_remote_tlbs: drop the vCPU's cached translations" },
	{ "kvm_gmem_get_pfn", 3, "kvm_gmem_get_pfn: a private (or guest_memfd-only) page comes from the guest_memfd, not userspace_addr" },
	{ "kvm_gmem_create", 0, "KVM_CREATE_GUEST_MEMFD: a new guest_memfd" },
	{ "kvm_gmem_punch_hole", 0, "fallocate(PUNCH_HOLE) on a guest_memfd: zap what maps the range, then free it" },
	{ "kvm_vm_set_mem_attributes", 0, "KVM_SET_MEMORY_ATTRIBUTES: private/shared changes, the range is zapped" },
	{ "kvm_get_dirty_log_protect", 0, "KVM_GET_DIRTY_LOG: copy the log (without manual protect: clear it and write-protect those pages)" },
	{ "kvm_clear_dirty_log_protect", 0, "KVM_CLEAR_DIRTY_LOG: clear these bits and write-protect their pages" },
	{ "kvm_exit", 0, "vcpu_enter_guest: VM exit" },
	{ "kvm_vcpu_ioctl_run_return", 0, "KVM_RUN returns to userspace" },
	{ "handle_userfault", 2, "handle_userfault: the page is missing, wait for userspace" },
	{ "handle_userfault_woken", 2, "handle_userfault: woken" },
	{ "userfaultfd_ctx_read", 0, "read(userfaultfd): a fault message" },
	{ "userfaultfd_wake", 0, "UFFDIO_WAKE / the resolving ioctl wakes the faulting threads" },
	/* x86 interrupts: kvm-model/x86/lapic.c, irq.c */
	{ "kvm_apic_send_ipi", 1, "kvm_apic_send_ipi: the guest wrote its ICR, an IPI leaves this vCPU" },
	{ "kvm_apic_set_irq", 2, "kvm_apic_set_irq: the message reaches an APIC its destination names" },
	{ "kvm_apic_accept_irq", 3, "__apic_accept_irq: the vector is latched in IRR, the vCPU kicked" },
	{ "kvm_apic_accept_init", 3, "__apic_accept_irq: INIT latched, the vCPU will reset" },
	{ "kvm_apic_accept_sipi", 3, "__apic_accept_irq: STARTUP latched with its vector" },
	{ "kvm_inject_nmi", 3, "kvm_inject_nmi: an NMI is pending" },
	{ "kvm_apic_read", 1, "apic_mmio_read: the guest read an xAPIC register (no exit: the APIC is in the kernel)" },
	{ "kvm_apic_write", 1, "apic_mmio_write: the guest wrote an xAPIC register (no exit: the APIC is in the kernel)" },
	{ "kvm_eoi", 1, "apic_set_eoi: EOI retires the highest vector in service" },
	{ "kvm_report_tpr_access", 0, "KVM_REQ_REPORT_TPR_ACCESS: the guest touched its TPR, KVM_EXIT_TPR_ACCESS tells the VMM" },
	{ "kvm_lapic_set_vapic_addr", 0, "KVM_SET_VAPIC_ADDR: KVM keeps the TPR/ISR/IRR word at this gpa in step with the LAPIC (0: stops)" },
	{ "start_apic_timer", 1, "start_apic_timer: the LAPIC timer is armed on the virtual clock" },
	{ "apic_timer_expired", 0, "apic_timer_expired: the LAPIC timer fires, its LVT vector goes to IRR" },
	{ "kvm_set_mp_state", 0, "kvm_apic_accept_events / vcpu_block: the vCPU's MP state changes" },
	{ "kvm_emulate_halt", 0, "kvm_emulate_halt: HLT, the vCPU becomes HALTED" },
	{ "kvm_vcpu_block", 0, "kvm_vcpu_block: the vCPU sleeps until an interrupt, INIT/SIPI or its timer wakes it" },
	{ "kvm_vcpu_wakeup", 0, "kvm_vcpu_block: woken" },
	{ "kvm_inj_virq", 0, "kvm_inj_virq: deliver the interrupt through the guest's IDT" },
	{ "kvm_queue_interrupt", 0, "KVM_INTERRUPT: userspace queues a vector for the next entry" },
	{ "kvm_inj_nmi", 0, "inject_pending_event: deliver the NMI (vector 2)" },
	{ "kvm_irq_window_open", 0, "KVM_EXIT_IRQ_WINDOW_OPEN: the guest can take an interrupt now" },
	{ "sched_choice", 0, "scheduling choice" },
	{ "oracle", 0, "oracle verdict: the run failed" },
	{ "fault_injection", 0, "fault injection (--fail): this hit of the site" },
	{ "kvm_efault", 1, "-EFAULT for KVM_RUN (annotated: KVM_EXIT_MEMORY_FAULT filled)" },
	{ "kvm_send_hwpoison_signal", 2, "kvm_send_hwpoison_signal: the page is poisoned, SIGBUS to the vCPU thread" },
	{ "send_sig_mceerr", 2, "send_sig_mceerr: SIGBUS with BUS_MCEERR_AR and the host address" },
	{ "kvm_emulate_halt", 1, "kvm_emulate_halt: hlt from the guest" },
	{ "kvm_emulate_hypercall", 1, "kvm_emulate_hypercall: vmcall from the guest" },
	{ "kvm_vcpu_block", 1, "kvm_vcpu_block: the vCPU waits for an event" },
	{ "kvm_vcpu_wakeup", 1, "kvm_vcpu_wakeup: the vCPU is runnable again" },
	{ "apic_timer_expired", 1, "apic_timer_expired: the LAPIC timer fired" },
	{ "async_pf_execute", 0, "async_pf_execute: the async-PF worker faults the page in" },
	{ "synchronize_srcu_expedited", 1, "synchronize_srcu_expedited: wait until no reader uses the old memslots" },
	{ "userfaultfd_new", 0, "userfaultfd(2): a new userfaultfd" },
	{ "userfaultfd_register", 0, "UFFDIO_REGISTER: faults in this range go to the userfaultfd" },
	{ "userfaultfd_unregister", 0, "UFFDIO_UNREGISTER" },
	/* the x86 in-kernel irqchip (i8259.c, ioapic.c, i8254.c, irqchip.c, eventfd.c) */
	{ "kvm_create_irqchip", 0, "KVM_CREATE_IRQCHIP: PIC pair, IOAPIC and default GSI routes in the kernel" },
	{ "kvm_create_pit", 0, "KVM_CREATE_PIT2: the 8254 PIT on ports 0x40-0x43, channel 0 drives GSI 0" },
	{ "kvm_set_irq_routing", 0, "kvm_set_irq_routing: a new GSI routing table" },
	{ "kvm_enable_split_irqchip", 0, "KVM_CAP_SPLIT_IRQCHIP: LAPICs in the kernel, PIC and IOAPIC left to userspace" },
	{ "kvm_ioapic_eoi_exit", 0, "KVM_EXIT_IOAPIC_EOI: userspace's IOAPIC hears of a level-triggered EOI" },
	{ "kvm_set_irq", 0, "kvm_set_irq: a GSI line changes level, through every route of that GSI" },
	{ "kvm_pic_set_irq", 1, "kvm_pic_set_irq: the 8259 pin latches in IRR (unless masked or already pending)" },
	{ "kvm_ioapic_set_irq", 1, "kvm_ioapic_set_irq: the IOAPIC pin sends its redirection entry's message" },
	{ "kvm_set_msi", 1, "kvm_set_msi: an MSI message to the local APICs it names" },
	{ "kvm_pic_read_irq", 1, "kvm_cpu_get_interrupt: INTA from the PIC, the vector goes in service" },
	{ "kvm_ack_irq", 1, "kvm_notify_acked_irq: the guest acknowledged this pin (EOI): ack notifiers run" },
	{ "create_pit_timer", 1, "create_pit_timer: PIT channel 0's timer (re)started on the virtual clock" },
	{ "pit_do_work", 0, "pit_do_work: the PIT ticks, GSI 0 pulses" },
	{ "kvm_irqfd_assign", 0, "KVM_IRQFD: writes to this eventfd raise the GSI" },
	{ "irqfd_wakeup", 0, "irqfd_wakeup: the eventfd was written (MSI routes are delivered right here)" },
	{ "irqfd_inject", 0, "irqfd_inject: the irqfd kworker raises the GSI" },
	{ "irqfd_deactivate", 0, "irqfd_deactivate: the irqfd goes away" },
	{ "kvm_assign_ioeventfd", 0, "KVM_IOEVENTFD: guest writes here signal an eventfd instead of exiting" },
	{ "ioeventfd_write", 1, "ioeventfd_write: the guest's write signals the eventfd, no exit" },
	/* arm64 */
	{ "kvm_arch_vcpu_ioctl_vcpu_init", 0, "KVM_ARM_VCPU_INIT: reset the vCPU" },
	{ "walk_s1", 0, "the guest's stage-1 tables are walked for this va" },
	{ "walk_s1_desc", 1, "descriptor read" },
	{ "walk_s1_result", 1, "the walk ends" },
	{ "stage1_fault", 0, "the guest's own stage-1 tables fault: an abort for the guest" },
	{ "inject_abt64", 1, "inject_abt64: take the abort to the guest's VBAR_EL1" },
	{ "kvm_inject_undefined", 1, "kvm_inject_undefined: an undefined instruction for the guest" },
	{ "exception_entry", 0, "svc: the CPU takes it to the guest kernel's VBAR_EL1 (KVM is not involved)" },
	{ "kvm_handle_guest_abort", 0, "kvm_handle_guest_abort: stage-2 abort" },
	{ "user_mem_abort", 1, "user_mem_abort: fault the page in and map it in stage 2" },
	{ "mmu_invalidate_retry", 2, "mmu_invalidate_retry: an invalidation raced with us, let the guest retry" },
	{ "kvm_pgtable_stage2_map", 2, "kvm_pgtable_stage2_map: install the stage-2 descriptor (level 3: 4K, 2: 2M, 1: 1G)" },
	{ "kvm_pgtable_stage2_relax_perms", 2, "kvm_pgtable_stage2_relax_perms: add write permission" },
	{ "io_mem_abort", 1, "io_mem_abort: no memslot, decode the syndrome (ISV) for userspace" },
	{ "kvm_psci_call", 1, "kvm_psci_call: hvc to the PSCI firmware KVM emulates" },
	{ "kvm_prepare_system_event", 2, "kvm_prepare_system_event: every vCPU stops, userspace decides" },
	{ "kvm_handle_wfx", 1, "kvm_handle_wfx: wfi, the vCPU blocks unless an interrupt is pending" },
	{ "kvm_vcpu_block", 1, "kvm_vcpu_block: nothing pending, the vCPU sleeps (an armed timer bounds the sleep on the virtual clock)" },
	{ "kvm_vcpu_wakeup", 1, "kvm_vcpu_block: woken, an interrupt is pending" },
	{ "kvm_ioctl_create_device", 0, "KVM_CREATE_DEVICE: a new in-kernel device (its fd takes KVM_SET_DEVICE_ATTR)" },
	{ "vgic_init", 0, "KVM_DEV_ARM_VGIC_CTRL_INIT: vgic_init sizes the SPIs, routes them to vCPU 0" },
	{ "kvm_irq_line", 0, "KVM_IRQ_LINE: userspace drives an interrupt line (type 1 SPI, 2 PPI)" },
	{ "kvm_vgic_inject_irq", 1, "kvm_vgic_inject_irq: a level (or a rising edge) reaches the vGIC" },
	{ "kvm_timer_update_irq", 1, "kvm_timer_update_irq: the timer's output changed (ENABLE, not IMASK, CVAL <= counter); its PPI follows" },
	{ "kvm_arm_timer_write", 1, "the guest programs its timer (CNTx_CTL/CVAL/TVAL_EL0)" },
	{ "vgic_v3_populate_lr", 1, "vgic_v3_populate_lr: the highest pending interrupt in a list register; the guest takes the IRQ (VBAR_EL1 + 0x80 of its vector group)" },
	{ "__vgic_v3_read_iar", 1, "ICC_IAR1_EL1: the guest acknowledges the interrupt (1023: none)" },
	{ "__vgic_v3_write_eoir", 1, "ICC_EOIR1_EL1: priority drop (and deactivation unless EOImode)" },
	{ "__vgic_v3_write_dir", 1, "ICC_DIR_EL1: deactivation (EOImode 1)" },
	{ "vgic_v3_dispatch_sgi", 1, "ICC_SGI1R_EL1: an SGI made pending on each target vCPU, which is kicked" },
	{ "vgic_mmio_access", 1, "a distributor/redistributor register: handled in the kernel, no exit" },
	{ "access_vm_reg", 1, "access_vm_reg: a translation register write, cached translations dropped" },
	{ "tlbi", 1, "TLBI: cached translations dropped" },
};

#define MAX_FILTER 16

static struct {
	char *actor[MAX_FILTER], *event[MAX_FILTER];
	int nactor, nevent;
	bool gpa;
	uint64_t gpa_lo, gpa_hi;
	int depth;			/* -1: any */
} filter = { .depth = -1 };

/* per actor: is the fault story it is telling in the gpa range? */
#define MAX_ACTORS 256
static struct {
	char name[48];
	bool in_range;
} stories[MAX_ACTORS];
static int nstories;

static FILE *out;

static const struct narration *find(const char *event)
{
	for (size_t i = 0; i < sizeof(narrations) / sizeof(narrations[0]); i++)
		if (!strcmp(narrations[i].event, event))
			return &narrations[i];
	return NULL;
}

static bool listed(char *const *list, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(list[i], name))
			return true;
	return false;
}

static bool *story_of(const char *actor)
{
	for (int i = 0; i < nstories; i++)
		if (!strcmp(stories[i].name, actor))
			return &stories[i].in_range;
	if (nstories == MAX_ACTORS)
		return &stories[0].in_range;
	snprintf(stories[nstories].name, sizeof(stories[0].name), "%s", actor);
	return &stories[nstories++].in_range;
}

/*
 * The gpa filter follows fault stories: an event with a gpa starts (or
 * ends) one, and the events after it without a gpa (hva_to_pfn_fast, the
 * exit) belong to the story of their actor.
 */
static bool gpa_selected(const struct sim_ev *ev)
{
	const struct sim_ev_field *f = sim_ev_find(ev, "gpa");
	bool *in = story_of(sim_ev_actor(ev));

	if (!f)
		f = sim_ev_find(ev, "ipa");	/* arm64's word for it */

	if (f && f->kind == SIM_EV_HEX)
		*in = f->u >= filter.gpa_lo && f->u <= filter.gpa_hi;
	return *in;
}

static bool selected(const struct sim_ev *ev, const struct narration *n)
{
	if (filter.nactor && !listed(filter.actor, filter.nactor, sim_ev_actor(ev)))
		return false;
	if (filter.nevent && !listed(filter.event, filter.nevent, sim_ev_name(ev)))
		return false;
	if (filter.depth >= 0 && (n ? n->depth : 0) > filter.depth)
		return false;
	return !filter.gpa || gpa_selected(ev);
}

static void print_field(const struct sim_ev_field *f)
{
	switch (f->kind) {
	case SIM_EV_HEX:
		fprintf(out, " %s=0x%" PRIx64, f->key, f->u);
		break;
	case SIM_EV_INT:
		fprintf(out, " %s=%" PRId64, f->key, (int64_t)f->u);
		if (!strcmp(f->key, "exit_reason"))
			fprintf(out, " (KVM_EXIT_%s)", kvm_exit_reason_name((uint32_t)f->u));
		break;
	case SIM_EV_BOOL:
		fprintf(out, " %s=%s", f->key, f->u ? "true" : "false");
		break;
	case SIM_EV_NULL:
		fprintf(out, " %s=null", f->key);
		break;
	case SIM_EV_STR:
		/* an instruction or a message: as written, quoted if it has blanks */
		fprintf(out, strpbrk(f->s, " \t,") ? " %s=\"%s\"" : " %s=%s", f->key, f->s);
		break;
	}
}

/* An x86 paging-structure entry's bits, as the SDM names them. */
static void describe_x86_pte(uint64_t pte, int level)
{
	static const struct { int bit; const char *name; } bits[] = {
		{ 0, "P" }, { 1, "W" }, { 2, "U" }, { 5, "A" }, { 6, "D" }, { 7, "PS" }, { 63, "NX" },
	};
	const char *sep = "";

	fputs(" (", out);
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (pte >> bits[i].bit & 1) {
			fprintf(out, "%s%s", sep, bits[i].name);
			sep = " ";
		}
	if (!(pte & 1)) {
		fprintf(out, "%snot present)", *sep ? ", " : "");
		return;
	}
	fprintf(out, ", %s 0x%" PRIx64 ")", level == 1 || (pte & 0x80) ? "page" : "table",
		pte & (uint64_t)0x000ffffffffff000);
}

/* An arm64 stage-1 descriptor (4K granule): what it is and its AF/AP bits. */
static void describe_arm64_desc(uint64_t desc, int level)
{
	uint64_t addr = desc & 0x0000fffffffff000ull;

	if (!(desc & 1)) {
		fputs(" (invalid)", out);
		return;
	}
	if (level < 3 && (desc & 2)) {
		fprintf(out, " (table 0x%" PRIx64 ")", addr);
		return;
	}
	fprintf(out, " (%s 0x%" PRIx64 ", AF %s, %s%s)", level == 3 ? "page" : "block", addr,
		desc & (1ull << 10) ? "set" : "clear: Access flag fault (TCR_EL1.HA off)",
		desc & (1ull << 7) ? "read-only" : "read/write",
		desc & (1ull << 6) ? ", EL0" : "");
}

void kvmsim_explain_describe(FILE *f, const char *arch, uint64_t entry, int level)
{
	FILE *saved = out;

	out = f;
	if (!strcmp(arch, "arm64"))
		describe_arm64_desc(entry, level);
	else
		describe_x86_pte(entry, level);
	out = saved;
}

/* What an entry the walk read says, after its fields. */
static void describe(const struct sim_ev *ev)
{
	const struct sim_ev_field *v = sim_ev_find(ev, "pte");
	const struct sim_ev_field *l = sim_ev_find(ev, "level");

	if (!strcmp(sim_ev_name(ev), "kvm_mmu_paging_element") && v && l)
		describe_x86_pte(v->u, (int)l->u);
	else if (!strcmp(sim_ev_name(ev), "walk_s1_desc") && (v = sim_ev_find(ev, "desc")) && l)
		describe_arm64_desc(v->u, (int)l->u);
}

static void print_line(FILE *f, const struct sim_ev *ev, const struct narration *n)
{
	FILE *saved = out;

	out = f;
	fprintf(out, "%-9s %*s%s ", sim_ev_actor(ev), n ? 2 * n->depth : 0, "",
		n ? n->text : sim_ev_name(ev));
	/* the VM tag: the actor's name says it already (vm1.vcpu0) */
	for (int i = 0; i < sim_ev_nfields(ev); i++)
		if (!sim_ev_field(ev, i)->tag)
			print_field(sim_ev_field(ev, i));
	describe(ev);
	fputc('\n', out);
	out = saved;
}

void kvmsim_explain_print(FILE *f, const struct sim_ev *ev)
{
	print_line(f, ev, find(sim_ev_name(ev)));
}

static void narrate(const struct sim_ev *ev, void *opaque)
{
	const struct narration *n = find(sim_ev_name(ev));

	if (selected(ev, n))
		print_line(out, ev, n);
}

/* "a,b,c" into list (the string is kept) */
static int split_list(const char *v, char **list)
{
	char *copy = strdup(v), *save, *tok;
	int n = 0;

	for (tok = strtok_r(copy, ",", &save); tok && n < MAX_FILTER;
	     tok = strtok_r(NULL, ",", &save))
		list[n++] = tok;
	return n;
}

static int parse_gpa(const char *v)
{
	char *end;

	errno = 0;
	filter.gpa_lo = strtoull(v, &end, 0);
	filter.gpa_hi = filter.gpa_lo;
	if (*end == '-')
		filter.gpa_hi = strtoull(end + 1, &end, 0);
	if (errno || *end || end == v || filter.gpa_hi < filter.gpa_lo)
		return -EINVAL;
	filter.gpa = true;
	return 0;
}

static int parse_filters(void)
{
	const char *v;
	char *end;

	if ((v = getenv("KVMSIM_EXPLAIN_ACTOR")) && *v)
		filter.nactor = split_list(v, filter.actor);
	if ((v = getenv("KVMSIM_EXPLAIN_EVENTS")) && *v)
		filter.nevent = split_list(v, filter.event);
	if ((v = getenv("KVMSIM_EXPLAIN_DEPTH")) && *v) {
		filter.depth = (int)strtol(v, &end, 0);
		if (*end || filter.depth < 0) {
			fprintf(stderr, "kvmsim: KVMSIM_EXPLAIN_DEPTH=%s: expected a number >= 0\n", v);
			return -EINVAL;
		}
	}
	if ((v = getenv("KVMSIM_EXPLAIN_GPA")) && *v && parse_gpa(v)) {
		fprintf(stderr, "kvmsim: KVMSIM_EXPLAIN_GPA=%s: expected GPA or LO-HI\n", v);
		return -EINVAL;
	}
	return 0;
}

/* before a signal ends the process: the narration written so far */
void kvmsim_explain_flush(void)
{
	if (out)
		fflush(out);
}

int kvmsim_explain_start(const char *path)
{
	int r = parse_filters();

	if (r)
		return r;
	out = path ? fopen(path, "we") : stderr;
	if (!out)
		return -errno;
	sim_trace_set_sink(narrate, NULL);
	return 0;
}
