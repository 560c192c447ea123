// SPDX-License-Identifier: MIT
/*
 * The process' architecture, chosen once from KVMSIM_ARCH, and the
 * kvm_arch_* entry points the generic code calls through it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm-model/kvm_arch.h"
#include "kvm-model/kvm_mmu.h"

static const struct kvm_arch_ops *const all_arches[] = {
	&kvm_x86_arch_ops,
	&kvm_arm64_arch_ops,
};

static const struct kvm_arch_ops *current_arch = &kvm_x86_arch_ops;

const struct kvm_arch_ops *kvm_arch(void)
{
	return current_arch;
}

int kvm_arch_select(const char *name)
{
	for (size_t i = 0; i < sizeof(all_arches) / sizeof(all_arches[0]); i++) {
		if (!strcmp(all_arches[i]->name, name)) {
			current_arch = all_arches[i];
			return 0;
		}
	}
	return -EINVAL;
}

void kvm_arch_init(const char *name)
{
	if (name && *name && kvm_arch_select(name)) {
		fprintf(stderr, "kvmsim: KVMSIM_ARCH=%s: unknown architecture\n", name);
		exit(2);
	}
}

/* Called by the shared stage-2 code (zap, memslot changes). */
void kvm_arch_vcpu_flush_gfns(struct kvm_vcpu *vcpu, uint64_t gfn_start,
			      uint64_t gfn_end)
{
	current_arch->flush_gfns(vcpu, gfn_start, gfn_end);
}

void kvm_arch_vcpu_protect_gfn(struct kvm_vcpu *vcpu, uint64_t gfn)
{
	current_arch->protect_gfn(vcpu, gfn);
}
