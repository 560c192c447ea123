/* SPDX-License-Identifier: MIT */
/*
 * Observables for `kvmsim compare` and manifests (KVMSIM_OBSERVE=FILE):
 * what each KVM_RUN returned and left in kvm_run, the oracle verdict, and
 * the fault-path counters at exit, one "key<TAB>value" line each.  The
 * keys are stable so that runs under different profiles line up.
 */
#ifndef KVMSIM_OBSERVE_H
#define KVMSIM_OBSERVE_H

#include <stdint.h>

struct kvm;
struct kvm_vcpu;

void kvm_observe_start(const char *path);
/* After KVM_RUN: its return value (0, -1 or -errno) and what kvm_run holds. */
void kvm_observe_run(struct kvm_vcpu *vcpu, int ret);
/* A named observable (scenario-specific ones go through kvmsim's API too). */
void kvm_observe(const char *key, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* KVM_EXIT_* without the prefix ("MEMORY_FAULT(rfc)" for the 2023 series' 38), or "?" */
const char *kvm_exit_reason_name(uint32_t reason);
/* Counters of a VM going away. */
void kvm_observe_vm(struct kvm *kvm);

#endif
