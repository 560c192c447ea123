// SPDX-License-Identifier: MIT
/* kvmsim profiles: every profile with its rules, then every rule. */
#define _GNU_SOURCE
#include <stdio.h>

#include "cli/cli.h"
#include "kvm-model/profile.h"

int cmd_profiles(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;

	cli_parse(cmd, argc, argv, &a);
	if (a.npos || a.rest)
		cli_usage_error(cmd, "unexpected argument '%s'", a.npos ? a.pos[0] : "--");
	printf("profiles (--profile NAME[+RULE|+no-RULE]...):\n");
	for (size_t k = 0; k < kvm_nr_profiles; k++) {
		printf("  %-18s %s\n", kvm_profiles[k].name, kvm_profiles[k].text);
		printf("  %-18s rules:", "");
		if (!kvm_profiles[k].rules)
			printf(" (none)");
		for (int r = 0; r < KVM_NR_RULES; r++)
			if (kvm_rule_bit(kvm_profiles[k].rules, r))
				printf(" %s", kvm_rules[r].name);
		printf("\n");
	}
	printf("rules:\n");
	for (int r = 0; r < KVM_NR_RULES; r++)
		printf("  %-28s %s\n", kvm_rules[r].name, kvm_rules[r].text);
	return KVMSIM_EXIT_OK;
}
