/* SPDX-License-Identifier: MIT */
/*
 * KVM rule profiles.  A profile is a named set of rule switches; a spec
 * is a profile name followed by any number of "+rule" (switch on) or
 * "+no-rule" (switch off), e.g. "upstream+reset-exit-reason".  Every rule is
 * defined once here, named, described in one line (`kvmsim profiles`),
 * and consulted at exactly the places in the model where it matters
 * (grep for its RULE_ constant).
 *
 * This file knows nothing of the rest of the model, so the kvmsim command
 * can list and validate profiles without loading it.
 */
#ifndef KVMSIM_PROFILE_H
#define KVMSIM_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum kvm_rule {
	/* 2023 series (seed 000): exit 38, caps 227/228, return -1 */
	RULE_RFC_MEMFAULT_EXIT,
	RULE_ANNOTATE_ERROR_PFN,
	RULE_RFC_MASK_CHECK_BUG,
	RULE_ABSENT_MAPPING_FAULT,
	RULE_EXIT_ON_MISSING,
	RULE_UFFD_SIGBUS_MARKER,
	/* KVM Userfault (seed 002) */
	RULE_USERFAULT,
	RULE_USERFAULT_CLEAR_FLUSH,
	RULE_USERFAULT_ZAP_BY_USERSPACE,
	/* fd-based private memory v6 (seed 003) */
	RULE_PRIVATE_FD,
	/* the kernel's configuration */
	RULE_NO_SW_PROTECTED_VM,
	/* single switches */
	RULE_RESET_EXIT_REASON,
	RULE_ANNOTATE_ALL_EFAULT,
	RULE_APF_FILL_ON_COMPLETION,
	RULE_APF_ERROR_STATE,
	RULE_APF_SYNC_AFTER_ERROR,
	RULE_SKIP_MMU_SEQ_CHECK,
	RULE_POSITIVE_EFAULT,
	/* arm64 user_mem_abort return conventions */
	RULE_ARM64_RETURN_0_RESUME,
	RULE_ARM64_RETURN_0_EXIT,
	RULE_ARM64_PATCH11_DIRTY_BUG,
	RULE_ARM64_S1PTW_WRITE,
	/* the running host's kernel (the host profile) */
	RULE_NO_GUEST_MEMFD,
	RULE_HOST_CAPS,
	RULE_RFLAGS_VM_DROPPED,
	/* Linux 6.12's guest_memfd (the linux-6.12 profile) */
	RULE_GMEM_NO_FLAGS,
	KVM_NR_RULES
};

struct kvm_rule_desc {
	const char *name;
	const char *text;	/* one line for `kvmsim profiles` */
};

struct kvm_profile_desc {
	const char *name;
	const char *text;
	uint64_t rules;		/* bit per enum kvm_rule */
};

extern const struct kvm_rule_desc kvm_rules[KVM_NR_RULES];
extern const struct kvm_profile_desc kvm_profiles[];
extern const size_t kvm_nr_profiles;

/*
 * Parse SPEC into a rule set.  Returns 0, or -1 with a message naming
 * what was expected in ERR.
 */
int kvm_profile_parse(const char *spec, uint64_t *rules, char *err, size_t len);

/* The process' profile (set once from KVMSIM_PROFILE at start-up). */
void kvm_profile_set(uint64_t rules, const char *spec);
const char *kvm_profile_name(void);

static inline bool kvm_rule_bit(uint64_t rules, enum kvm_rule r)
{
	return rules & (1ull << r);
}

extern uint64_t kvm_profile_rules;

/* Is rule R switched on in this process' profile? */
static inline bool kvm_rule_on(enum kvm_rule r)
{
	return kvm_rule_bit(kvm_profile_rules, r);
}

#endif
