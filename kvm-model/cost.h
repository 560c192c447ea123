/* SPDX-License-Identifier: MIT */
/* Names of the virtual-time costs kvm-model defines (values in cost.c). */
#ifndef KVMSIM_KVM_COST_H
#define KVMSIM_KVM_COST_H

#include <stdbool.h>
#include <stdint.h>

#define COST_STAGE2_FAULT	"stage2_fault"
#define COST_RUN_EXIT		"kvm_run_exit"
#define COST_RUN_ENTRY		"kvm_run_entry"
#define COST_UFFD_WQ_LOCK	"uffd_wq_lock"
#define COST_UFFD_COPY		"uffd_copy"

void kvm_cost_init(bool on);

#endif
