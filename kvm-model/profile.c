// SPDX-License-Identifier: MIT
/*
 * The rule switches and the named profiles built from them.  Which code
 * consults a rule: grep its RULE_ constant.
 */
#include <stdio.h>
#include <string.h>

#include "kvm-model/profile.h"

#define BIT(r)	(1ull << (r))

const struct kvm_rule_desc kvm_rules[KVM_NR_RULES] = {
	[RULE_RFC_MEMFAULT_EXIT] = { "rfc-memfault-exit",
		"memory-fault exit is 38 {flags,gpa,len}, only for reasons enabled with cap 227; "
		"x86 KVM_RUN returns -1 (errno EPERM), otherwise a bare -EFAULT" },
	[RULE_ANNOTATE_ERROR_PFN] = { "annotate-error-pfn",
		"a failed GUP in the stage-2 fault path (kvm_handle_error_pfn, user_mem_abort) "
		"fills a memory-fault exit (the 2023 series on; merged Linux returns a bare -EFAULT)" },
	[RULE_RFC_MASK_CHECK_BUG] = { "rfc-mask-check-bug",
		"cap 227's reason check is 'reasons & !valid' (always 0): any mask is accepted" },
	[RULE_ABSENT_MAPPING_FAULT] = { "absent-mapping-fault",
		"memslot flag 1<<2 KVM_MEM_ABSENT_MAPPING_FAULT and cap 228: fast GUP only, "
		"an absent host page is an unresolved fault" },
	[RULE_EXIT_ON_MISSING] = { "exit-on-missing",
		"memslot flag 1<<3 KVM_MEM_EXIT_ON_MISSING: fast GUP only, a missing host page "
		"is an unresolved fault (an exit where annotate-error-pfn is on)" },
	[RULE_UFFD_SIGBUS_MARKER] = { "uffd-sigbus-marker",
		"the userfaultfd poison marker is the 2023 UFFDIO_SIGBUS proposal's: VM_FAULT_SIGBUS, so "
		"GUP fails with -EFAULT (no hwpoison signal, no address)" },
	[RULE_USERFAULT] = { "userfault",
		"memslot flag 1<<3 KVM_MEM_USERFAULT with region2.userfault_bitmap: a set bit "
		"exits with FLAG_USERFAULT; 0->1 zaps the slot; 4K only while set" },
	[RULE_USERFAULT_CLEAR_FLUSH] = { "userfault-clear-flush",
		"clearing KVM_MEM_USERFAULT flushes the slot (arm64 style) instead of "
		"recovering huge mappings in place (x86 style)" },
	[RULE_USERFAULT_ZAP_BY_USERSPACE] = { "userfault-zap-by-userspace",
		"setting KVM_MEM_USERFAULT does not zap: userspace must invalidate (by "
		"MADV_DONTNEED) what it wants to intercept" },
	[RULE_PRIVATE_FD] = { "private-fd",
		"memslot flag 1<<2 KVM_MEM_PRIVATE with private_fd/private_offset: a gfn is "
		"private iff its fd page is populated (no attribute map)" },
	[RULE_NO_SW_PROTECTED_VM] = { "without-sw-protected-vm",
		"a kernel built without CONFIG_KVM_SW_PROTECTED_VM, as this host's: VM type 1 is "
		"EINVAL, KVM_CAP_VM_TYPES 1, no memory attributes (cap 233 0, the ioctl ENOTTY)" },
	[RULE_RESET_EXIT_REASON] = { "reset-exit-reason",
		"KVM_RUN sets exit_reason to KVM_EXIT_UNKNOWN on entry, so a bare error never "
		"shows a previous exit" },
	[RULE_ANNOTATE_ALL_EFAULT] = { "annotate-all-efault",
		"every -EFAULT KVM_RUN returns carries a memory-fault exit (merged Linux: "
		"only guest_memfd and private/shared faults do)" },
	[RULE_APF_FILL_ON_COMPLETION] = { "apf-fill-on-completion",
		"the async-PF worker writes the vCPU's kvm_run when the page is ready "
		"(not only the running vCPU fills kvm_run)" },
	[RULE_APF_ERROR_STATE] = { "apf-error-state",
		"a failed async-PF GUP is delivered to the guest as a third state, "
		"'page error' (the 2020 async-PF error proposal)" },
	[RULE_APF_SYNC_AFTER_ERROR] = { "apf-sync-after-error",
		"the 2020 async-PF error proposal, patch 1/3 (not merged): the refault of a gfn whose async-PF GUP "
		"failed is synchronous, so the error reaches KVM_RUN (merged Linux: async "
		"again, endless refault)" },
	[RULE_SKIP_MMU_SEQ_CHECK] = { "skip-mmu-seq-check",
		"install the SPTE without checking the invalidation sequence (shows why "
		"the check exists)" },
	[RULE_POSITIVE_EFAULT] = { "positive-efault",
		"the fault path returns EFAULT instead of -EFAULT: the run loop takes it "
		"as 'resume the guest' and refaults forever" },
	[RULE_ARM64_RETURN_0_RESUME] = { "arm64-return-0-resume",
		"arm64 before 2023: user_mem_abort's 0 means 'resume', so it cannot make a "
		"normal exit; an unresolved page is a bare -EFAULT" },
	[RULE_ARM64_RETURN_0_EXIT] = { "arm64-return-0-exit",
		"the 2023 series' patch 11/12: user_mem_abort returns 1 to resume and 0 for a normal "
		"exit; an absent mapping fills exit 38 and KVM_RUN returns 0" },
	[RULE_ARM64_PATCH11_DIRTY_BUG] = { "arm64-patch11-dirty-bug",
		"the 2023 series' patch 11 regression: ret is already 1 at 'writable && !ret', so "
		"user_mem_abort never marks a page dirty" },
	[RULE_ARM64_S1PTW_WRITE] = { "arm64-s1ptw-write",
		"before 6.2 every stage-1 table walk abort was a write fault: userfaults "
		"carry WRITE, page tables dirty, page tables in a read-only memslot abort" },
	[RULE_NO_GUEST_MEMFD] = { "without-guest-memfd",
		"a kernel without guest_memfd (this host's): KVM_CAP_GUEST_MEMFD 0, "
		"KVM_CREATE_GUEST_MEMFD ENOTTY" },
	[RULE_HOST_CAPS] = { "host-caps",
		"KVM_CHECK_EXTENSION answers what the running kernel's /dev/kvm answers (system "
		"and default-VM values); what it lacks switches on the without-* rules, its "
		"quirks their rules" },
	[RULE_RFLAGS_VM_DROPPED] = { "rflags-vm-dropped",
		"a host quirk (kvm_pvm): KVM_SET_REGS drops RFLAGS.VM (bit 17), mainline keeps "
		"it" },
	[RULE_GMEM_NO_FLAGS] = { "gmem-no-flags",
		"guest_memfd before 6.18: KVM_CREATE_GUEST_MEMFD takes no flags (no "
		"GUEST_MEMFD_FLAG_MMAP or INIT_SHARED: EINVAL), KVM_CAP_GUEST_MEMFD_FLAGS 0" },
};

const struct kvm_profile_desc kvm_profiles[] = {
	{ "upstream", "merged Linux (6.8+): exit 39, cap 232, guest_memfd, attributes", 0 },
	{ "rfc-2023-v2", "the 2023 annotated-memory-fault series, v2 (a 2023 kernel): exit 38, caps 227/228, ABSENT_MAPPING_FAULT, UFFDIO_SIGBUS",
	  BIT(RULE_RFC_MEMFAULT_EXIT) | BIT(RULE_ANNOTATE_ERROR_PFN) | BIT(RULE_RFC_MASK_CHECK_BUG) |
	  BIT(RULE_ABSENT_MAPPING_FAULT) | BIT(RULE_UFFD_SIGBUS_MARKER) |
	  BIT(RULE_ARM64_RETURN_0_EXIT) | BIT(RULE_ARM64_PATCH11_DIRTY_BUG) },
	{ "arm64-pre-2023", "arm64 before the 2023 series: user_mem_abort 0 = resume, bare -EFAULT",
	  BIT(RULE_ARM64_RETURN_0_RESUME) },
	{ "exit-on-missing", "upstream plus the later KVM_MEM_EXIT_ON_MISSING series",
	  BIT(RULE_EXIT_ON_MISSING) | BIT(RULE_ANNOTATE_ERROR_PFN) },
	{ "userfault-v3", "upstream plus KVM Userfault's KVM_MEM_USERFAULT (x86: recover on 1->0)",
	  BIT(RULE_USERFAULT) },
	{ "private-v6", "the 2022 fd-based private memory series (v6): private iff populated in the fd",
	  BIT(RULE_PRIVATE_FD) },
	{ "linux-6.12", "Linux 6.12 (the upstream selftests' kernel): upstream with 6.12's "
	  "guest_memfd, which takes no flags and cannot be mmapped",
	  BIT(RULE_GMEM_NO_FLAGS) },
	{ "host", "upstream configured as the running kernel is: its capability values, "
	  "and no guest_memfd or SW-protected VMs where it has none (for comparisons with it)",
	  BIT(RULE_HOST_CAPS) },
};

const size_t kvm_nr_profiles = sizeof(kvm_profiles) / sizeof(kvm_profiles[0]);

uint64_t kvm_profile_rules;
static char profile_spec[128] = "upstream";

static int rule_by_name(const char *name, size_t len)
{
	for (int r = 0; r < KVM_NR_RULES; r++)
		if (strlen(kvm_rules[r].name) == len && !strncmp(kvm_rules[r].name, name, len))
			return r;
	return -1;
}

/* SPEC is NAME[+RULE|+no-RULE]...: only '+' separates, names contain '-'. */
int kvm_profile_parse(const char *spec, uint64_t *rules, char *err, size_t len)
{
	size_t n = strcspn(spec, "+");
	const char *p;
	size_t k;

	for (k = 0; k < kvm_nr_profiles; k++)
		if (strlen(kvm_profiles[k].name) == n && !strncmp(kvm_profiles[k].name, spec, n))
			break;
	if (k == kvm_nr_profiles) {
		snprintf(err, len, "unknown profile '%.*s' (see `kvmsim profiles`)", (int)n, spec);
		return -1;
	}
	*rules = kvm_profiles[k].rules;
	for (p = spec + n; *p; p += 1 + n) {
		bool off = !strncmp(p + 1, "no-", 3);
		int r;

		n = strcspn(p + 1, "+");
		r = rule_by_name(p + 1 + (off ? 3 : 0), n - (off ? 3 : 0));
		if (r < 0) {
			snprintf(err, len, "unknown rule '%.*s' (see `kvmsim profiles`)",
				 (int)n, p + 1);
			return -1;
		}
		if (off)
			*rules &= ~BIT(r);
		else
			*rules |= BIT(r);
	}
	return 0;
}

void kvm_profile_set(uint64_t rules, const char *spec)
{
	kvm_profile_rules = rules;
	snprintf(profile_spec, sizeof(profile_spec), "%s", spec);
}

const char *kvm_profile_name(void)
{
	return profile_spec;
}
