// SPDX-License-Identifier: MIT
/*
 * The costs of the virtual-time model (KVMSIM_COST=1, `--cost`), in ns.
 * They are not measurements of this machine: they are round figures of
 * the right order for a 2023 server (a guest exit and stage-2 fault a few
 * microseconds, a wakeup and reschedule ~2us, a 4K copy ~1.5us, a
 * contended spinlock section ~1us), chosen so that the model reproduces
 * the *direction* of seed 000's numbers: a userfaultfd's wait queue is
 * one lock that every fault, every reader's read() and every wake takes,
 * so poll()'s wake-all herd and many vCPUs on one uffd serialize on it,
 * while memory-fault exits leave each vCPU to resolve its own fault.
 */
#include "kvm-model/cost.h"
#include "sim/cost.h"

static const struct {
	const char *name;
	uint64_t ns;
} kvm_costs[] = {
	{ COST_STAGE2_FAULT, 2000 },	/* EPT violation exit + kvm_mmu_page_fault */
	{ COST_RUN_EXIT, 1500 },	/* KVM_RUN returns to userspace */
	{ COST_RUN_ENTRY, 1000 },	/* KVM_RUN back into the guest */
	{ COST_UFFD_WQ_LOCK, 1000 },	/* a section under ctx->fault_pending_wqh.lock */
	{ COST_UFFD_COPY, 1500 },	/* UFFDIO_COPY/CONTINUE of one 4K page */
	{ SIM_COST_WAKEUP, 2000 },	/* a sleeper woken and scheduled (poll, uffd) */
	{ SIM_COST_EPOLL_WAKEUP, 3000 },	/* epoll_wait's return path is longer */
};

void kvm_cost_init(bool on)
{
	sim_cost_enable(on);
	for (size_t i = 0; i < sizeof(kvm_costs) / sizeof(kvm_costs[0]); i++)
		sim_cost_define(kvm_costs[i].name, kvm_costs[i].ns);
}
