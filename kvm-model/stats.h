/* SPDX-License-Identifier: MIT */
/* Binary statistics files (KVM_GET_STATS_FD): stats.c. */
#ifndef KVMSIM_STATS_H
#define KVMSIM_STATS_H

struct kvm;
struct kvm_vcpu;
struct kvm_stats_file;

/* The new stats fd of a VM (vcpu NULL) or a vCPU, or -errno. */
int kvm_get_stats_fd(struct kvm *kvm, struct kvm_vcpu *vcpu);
/* Rewrite every open stats file's values (after each KVM call). */
void kvm_stats_refresh(void);
int kvm_stats_memfd(struct kvm_stats_file *f);
void kvm_stats_get(struct kvm_stats_file *f);
void kvm_stats_put(struct kvm_stats_file *f);

#endif
