// SPDX-License-Identifier: MIT
/*
 * Observables for `kvmsim compare` (see observe.h).  Only the first
 * OBSERVE_RUNS KVM_RUN calls of each vCPU get rows of their own: a
 * demand-paging run has thousands, and the counters summarise the rest.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kvm-model/kvm_host.h"
#include "kvm-model/observe.h"
#include "sim/oracle.h"

#define OBSERVE_RUNS	8

static FILE *observe_file;

void kvm_observe(const char *key, const char *fmt, ...)
{
	va_list ap;

	if (!observe_file)
		return;
	fprintf(observe_file, "%s\t", key);
	va_start(ap, fmt);
	vfprintf(observe_file, fmt, ap);
	va_end(ap);
	fputc('\n', observe_file);
	fflush(observe_file);
}

static void observe_verdict(const char *oracle, const char *message, void *opaque)
{
	if (oracle)
		kvm_observe("oracle", "%s", oracle);
}

void kvm_observe_start(const char *path)
{
	observe_file = fopen(path, "we");
	if (!observe_file) {
		fprintf(stderr, "kvmsim: cannot write %s\n", path);
		return;
	}
	sim_oracle_add_finish(observe_verdict, NULL);
}

static const char *errno_text(int ret)
{
	static char buf[32];
	const char *name = strerrorname_np(-ret);

	if (ret >= 0)
		snprintf(buf, sizeof(buf), "%d", ret);
	else
		snprintf(buf, sizeof(buf), "-1 %s", name ? name : "?");
	return buf;
}

const char *kvm_exit_reason_name(uint32_t reason)
{
	static const char *const names[] = {
		[KVM_EXIT_UNKNOWN] = "UNKNOWN", [KVM_EXIT_EXCEPTION] = "EXCEPTION",
		[KVM_EXIT_IO] = "IO", [KVM_EXIT_HYPERCALL] = "HYPERCALL",
		[KVM_EXIT_DEBUG] = "DEBUG", [KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
		[KVM_EXIT_NMI] = "NMI", [KVM_EXIT_X86_RDMSR] = "X86_RDMSR",
		[KVM_EXIT_X86_WRMSR] = "X86_WRMSR", [KVM_EXIT_ARM_NISV] = "ARM_NISV",
		[KVM_EXIT_HLT] = "HLT", [KVM_EXIT_MMIO] = "MMIO",
		[KVM_EXIT_SHUTDOWN] = "SHUTDOWN", [KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
		[KVM_EXIT_INTR] = "INTR", [KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
		[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
		[KVMSIM_EXIT_MEMORY_FAULT_RFC] = "MEMORY_FAULT(rfc)",
		[KVM_EXIT_MEMORY_FAULT] = "MEMORY_FAULT",
	};

	return reason < sizeof(names) / sizeof(names[0]) && names[reason] ?
	       names[reason] : "?";
}

void kvm_observe_run(struct kvm_vcpu *vcpu, int ret)
{
	const struct kvmsim_memory_fault *mf = (const void *)((const char *)vcpu->run +
							       KVMSIM_RUN_UNION_OFFSET);
	uint32_t reason = vcpu->run->exit_reason;
	char key[64];

	vcpu->run_calls++;
	if (!observe_file || vcpu->run_calls > OBSERVE_RUNS)
		return;
	snprintf(key, sizeof(key), "%s KVM_RUN #%llu returns", vcpu->name,
		 (unsigned long long)vcpu->run_calls);
	kvm_observe(key, "%s", errno_text(ret));
	snprintf(key, sizeof(key), "%s exit_reason after #%llu", vcpu->name,
		 (unsigned long long)vcpu->run_calls);
	/* "stale": left by an earlier KVM_RUN (a reset to 0 is not) */
	kvm_observe(key, "%u %s%s", reason, kvm_exit_reason_name(reason),
		    vcpu->exit_filled || !reason ? "" : " (stale)");
	if (reason != KVM_EXIT_MEMORY_FAULT && reason != KVMSIM_EXIT_MEMORY_FAULT_RFC)
		return;
	snprintf(key, sizeof(key), "%s memory_fault after #%llu", vcpu->name,
		 (unsigned long long)vcpu->run_calls);
	kvm_observe(key, "gpa 0x%llx size 0x%llx flags 0x%llx",
		    (unsigned long long)mf->gpa, (unsigned long long)mf->size,
		    (unsigned long long)mf->flags);
}

void kvm_observe_vm(struct kvm *kvm)
{
	const struct kvm_stats *st = &kvm->stat;
	char key[64];

	if (!observe_file)
		return;
#define OBSERVE_COUNT(what, val) do {						\
		snprintf(key, sizeof(key), "vm%d %s", kvm->vm_id, what);	\
		kvm_observe(key, "%llu", (unsigned long long)(val));		\
	} while (0)
	OBSERVE_COUNT("KVM_RUN calls", st->run_calls);
	OBSERVE_COUNT("stage-2 faults", st->page_faults);
	OBSERVE_COUNT("SPTEs installed 4K", st->spte_installs[1]);
	OBSERVE_COUNT("SPTEs installed 2M+1G", st->spte_installs[2] + st->spte_installs[3]);
	OBSERVE_COUNT("SPTEs zapped", st->zaps);
	OBSERVE_COUNT("invalidations", st->invalidations);
	OBSERVE_COUNT("MMIO exits", st->mmio_exits);
	OBSERVE_COUNT("memory-fault exits", st->memory_fault_exits);
	OBSERVE_COUNT("userfaults", st->userfaults);
	OBSERVE_COUNT("fault retries (stale)", st->fault_retries);
	OBSERVE_COUNT("SPTEs write-protected (dirty log)", st->dirty_wrprots);
	OBSERVE_COUNT("memslot updates", st->memslot_updates);
	OBSERVE_COUNT("memory attribute changes", st->attr_updates);
	OBSERVE_COUNT("private fd allocations", st->gmem_allocs);
	OBSERVE_COUNT("private page discards", st->gmem_discards);
	if (kvm->irqchip_kernel) {
		OBSERVE_COUNT("async PF not present", st->apf_not_present);
		OBSERVE_COUNT("async PF page ready", st->apf_page_ready);
		OBSERVE_COUNT("async PF page error", st->apf_page_error);
		OBSERVE_COUNT("async PF sync after error", st->apf_sync_after_error);
	}
#undef OBSERVE_COUNT
}
