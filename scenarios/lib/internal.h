/* SPDX-License-Identifier: MIT */
/* Library-internal hooks between vm.c and the architecture code. */
#ifndef SCENARIO_INTERNAL_H
#define SCENARIO_INTERNAL_H

#include "scenario.h"

/* Page tables, GDT, TSS and an empty IDT in slot 0. */
void x86_setup_system(struct kvm_vm *vm);
/* CPUID, long-mode sregs, RIP/RSP/RFLAGS. */
void x86_setup_vcpu(struct kvm_vcpu *vcpu, u64 entry);

#endif
