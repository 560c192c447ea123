// SPDX-License-Identifier: MIT
/*
 * --explain: each trace event becomes one narrated line, indented by where
 * it sits in the fault path and carrying the event's own fields, so the
 * text and the JSON trace never disagree.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kvm-model/explain.h"
#include "sim/sim.h"

struct narration {
	const char *event;
	int depth;
	const char *text;
};

static const struct narration narrations[] = {
	{ "kvm_create_vm", 0, "KVM_CREATE_VM: a new VM" },
	{ "kvm_vm_ioctl_create_vcpu", 0, "KVM_CREATE_VCPU" },
	{ "kvm_set_memslot", 0, "KVM_SET_USER_MEMORY_REGION: memslot change" },
	{ "handle_ept_violation", 0, "the guest touched memory Unicorn has no translation for; stage 1 gave this gpa, stage 2 does not map it yet" },
	{ "kvm_inject_page_fault", 0, "stage-1 walk failed: the guest's own page tables say #PF" },
	{ "kvm_mmu_page_fault", 1, "kvm_mmu_page_fault: stage-2 fault" },
	{ "kvm_faultin_pfn", 2, "kvm_faultin_pfn: find the memslot and the host page" },
	{ "kvm_handle_noslot_fault", 3, "kvm_handle_noslot_fault: no memslot here, so this is MMIO" },
	{ "hva_to_pfn_fast", 3, "hva_to_pfn_fast: look the host page up without faulting it in" },
	{ "hva_to_pfn_slow", 3, "hva_to_pfn_slow: GUP, may fault the host page in" },
	{ "kvm_handle_error_pfn", 3, "kvm_handle_error_pfn: no usable host page" },
	{ "kvm_prepare_memory_fault_exit", 3, "kvm_prepare_memory_fault_exit: fill kvm_run.memory_fault" },
	{ "kvm_mmu_hugepage_adjust", 2, "kvm_mmu_hugepage_adjust: choose the mapping level" },
	{ "is_page_fault_stale", 2, "is_page_fault_stale: an invalidation raced with us, retry" },
	{ "kvm_tdp_mmu_map", 2, "kvm_tdp_mmu_map: install the SPTE" },
	{ "kvm_tdp_mmu_zap_leafs", 0, "zap stage-2 SPTEs" },
	{ "kvm_pgtable_stage2_unmap", 0, "unmap a stage-2 range (arm64)" },
	{ "kvm_mmio", 1, "emulate the access as MMIO: exit to userspace" },
	{ "kvm_pio", 1, "port I/O: exit to userspace" },
	{ "kvm_inj_exception", 1, "deliver an exception through the guest IDT" },
	{ "kvm_triple_fault", 1, "exception delivery failed twice: triple fault" },
	{ "kvm_internal_error", 1, "KVM_EXIT_INTERNAL_ERROR" },
	{ "kvm_mmu_flush_tlb", 1, "drop installed translations" },
	{ "kvm_gmem_get_pfn", 3, "kvm_gmem_get_pfn: a private (or guest_memfd-only) page comes from the guest_memfd, not userspace_addr" },
	{ "kvm_gmem_create", 0, "KVM_CREATE_GUEST_MEMFD: a new guest_memfd" },
	{ "kvm_gmem_punch_hole", 0, "fallocate(PUNCH_HOLE) on a guest_memfd: zap what maps the range, then free it" },
	{ "kvm_vm_set_mem_attributes", 0, "KVM_SET_MEMORY_ATTRIBUTES: private/shared changes, the range is zapped" },
	{ "kvm_get_dirty_log_protect", 0, "KVM_GET_DIRTY_LOG: copy the log (without manual protect: clear it and write-protect those pages)" },
	{ "kvm_clear_dirty_log_protect", 0, "KVM_CLEAR_DIRTY_LOG: clear these bits and write-protect their pages" },
	{ "kvm_exit", 0, "KVM_RUN returns to userspace" },
	{ "sched_choice", 0, "scheduling choice" },
	{ "oracle", 0, "oracle verdict: the run failed" },
	/* arm64 */
	{ "kvm_arch_vcpu_ioctl_vcpu_init", 0, "KVM_ARM_VCPU_INIT: reset the vCPU" },
	{ "stage1_fault", 0, "stage-1 walk failed: the guest's own tables fault" },
	{ "inject_abt64", 1, "inject_abt64: take the abort to the guest's VBAR_EL1" },
	{ "kvm_inject_undefined", 1, "kvm_inject_undefined: an undefined instruction for the guest" },
	{ "exception_entry", 0, "svc: the CPU takes it to the guest kernel's VBAR_EL1 (KVM is not involved)" },
	{ "kvm_handle_guest_abort", 0, "kvm_handle_guest_abort: stage-2 abort (Unicorn's TLB fill walked stage 1; stage 2 does not map the IPA for this access)" },
	{ "user_mem_abort", 1, "user_mem_abort: fault the page in and map it in stage 2" },
	{ "mmu_invalidate_retry", 2, "mmu_invalidate_retry: an invalidation raced with us, let the guest retry" },
	{ "kvm_pgtable_stage2_map", 2, "kvm_pgtable_stage2_map: install the stage-2 descriptor (level 3: 4K, 2: 2M, 1: 1G)" },
	{ "kvm_pgtable_stage2_relax_perms", 2, "kvm_pgtable_stage2_relax_perms: add write permission" },
	{ "io_mem_abort", 1, "io_mem_abort: no memslot, decode the syndrome (ISV) for userspace" },
	{ "kvm_psci_call", 1, "kvm_psci_call: hvc to the PSCI firmware KVM emulates" },
	{ "kvm_prepare_system_event", 2, "kvm_prepare_system_event: every vCPU stops, userspace decides" },
	{ "kvm_handle_wfx", 1, "kvm_handle_wfx: wfi (no interrupt controller: completes at once)" },
	{ "access_vm_reg", 1, "a translation register write: flush Unicorn's TLB" },
	{ "tlbi", 1, "TLBI: flush Unicorn's TLB" },
};

static FILE *out;

static const struct narration *find(const char *event)
{
	for (size_t i = 0; i < sizeof(narrations) / sizeof(narrations[0]); i++)
		if (!strcmp(narrations[i].event, event))
			return &narrations[i];
	return NULL;
}

/* The fields after "event":"...", as key=value text. */
static void print_fields(const char *line)
{
	const char *p = strstr(line, "\"event\":");

	if (!p || !(p = strchr(p + 9, '"')))
		return;
	for (p++; *p && *p != '}'; p++) {
		if (*p == '"')
			continue;
		fputc(*p == ':' ? '=' : *p == ',' ? ' ' : *p, out);
	}
}

static void narrate(const char *event, const char *line, void *opaque)
{
	const struct narration *n = find(event);
	const char *actor = strstr(line, "\"actor\":\"");
	char who[32] = "";

	if (actor)
		sscanf(actor + 9, "%31[^\"]", who);
	fprintf(out, "%-6s %*s%s  ", who, n ? 2 * n->depth : 0, "",
		n ? n->text : event);
	print_fields(line);
	fputc('\n', out);
}

int kvmsim_explain_start(const char *path)
{
	out = path ? fopen(path, "we") : stderr;
	if (!out)
		return -errno;
	sim_trace_set_sink(narrate, NULL);
	return 0;
}
