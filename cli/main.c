// SPDX-License-Identifier: MIT
/*
 * kvmsim COMMAND [options] [ARGS]: the table of subcommands, help and
 * --version.  Each subcommand is in its own cmd_*.c.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "kvmsim/version.h"

const struct cli_cmd cli_cmds[] = {
	{ "list", CMD_LIST, cmd_list, "",
	  "the scenarios, the architectures they are built for, what each shows",
	  "Lists every scenario of the scenario directory: its name, the architectures\n"
	  "it is built for and the one-line description from its manifest." },
	{ "run", CMD_RUN, cmd_run, "[options] SCENARIO [-- ARGS]",
	  "run a scenario and check it against its manifest",
	  "Runs SCENARIO under kvmsim (or natively with --native) and checks its exit\n"
	  "status, stdout, oracle verdict and observables against its manifest.\n"
	  "SCENARIO is a name from `kvmsim list`, or a path to a scenario program built\n"
	  "outside the tree with PATH.manifest beside it (PATH.arm64.manifest for arm64)." },
	{ "exec", CMD_EXEC, cmd_exec, "[options] [--] PROGRAM [ARGS]",
	  "run any program with libkvmsim.so preloaded",
	  "Runs PROGRAM with libkvmsim.so preloaded: its /dev/kvm, threads, clocks and\n"
	  "simulated fds are kvmsim's.  Options end at PROGRAM; its stdout is its own.\n"
	  "The exit status is the program's (86 when an oracle failed)." },
	{ "explore", CMD_EXPLORE, cmd_explore, "[options] (SCENARIO [-- ARGS] | -- PROGRAM [ARGS])",
	  "search schedules for an oracle failure",
	  "Runs the program under many schedules (--strategy) until an oracle fails,\n"
	  "then saves the failing schedule as DIR/NAME.RUN.schedule (--out)." },
	{ "replay", CMD_REPLAY, cmd_schedule, "[options] FILE.schedule",
	  "run one saved schedule again (the same trace every time)",
	  "Runs the program a schedule file names with the seeds, profile, quantum,\n"
	  "fault injections and choices it records." },
	{ "shrink", CMD_SHRINK, cmd_schedule, "[options] FILE.schedule",
	  "the fewest preemptions and choices that still fail",
	  "Shrinks a failing schedule and saves the result as FILE.min.schedule." },
	{ "merge", CMD_MERGE, cmd_merge, "(DIR | FILE.result)...",
	  "the tallies of explore --shard I/N runs as one exploration",
	  "Reads every shard's NAME.shard-I-of-N.result (from the directories given, or\n"
	  "the files), checks that they are the N shards of one exploration, each once,\n"
	  "and prints what one process making every run prints: the outcomes, the\n"
	  "first failing run and its saved schedule.  Exits 1 when a run failed." },
	{ "profiles", CMD_PROFILES, cmd_profiles, "",
	  "every KVM rule profile and rule switch, one line each",
	  "Lists the rule profiles (--profile NAME) with their rules, then every rule\n"
	  "(--profile NAME+RULE to switch it on, +no-RULE to switch it off)." },
	{ "compare", CMD_COMPARE, cmd_compare,
	  "[options] (SCENARIO [-- ARGS] | -- PROGRAM [ARGS])",
	  "one program under several profiles, same seed: a table of observables",
	  "Runs the scenario (or PROGRAM) once per --profile with the same seed and\n"
	  "prints one row per observable: each vCPU's KVM_RUN returns, exit_reason and\n"
	  "memory_fault, the oracles, the exit status and the per-VM counters." },
	{ "step", CMD_STEP, cmd_step, "[options] (SCENARIO [-- ARGS] | -- PROGRAM [ARGS])",
	  "the run one event at a time, for a workshop",
	  "Narrates each event on stderr and stops after it for a command, read from\n"
	  "stdin (a terminal, or a pipe): n (next event), c [NAME] (continue, to an\n"
	  "event whose name contains NAME), regs (the vCPU's registers), run (its\n"
	  "kvm_run), spte [GPA] (the stage-2 entry of the event's gpa), help, q.\n"
	  "At the end of input it runs to the end." },
	{ .name = NULL },
};

const struct cli_cmd *cli_find_cmd(const char *name)
{
	for (const struct cli_cmd *c = cli_cmds; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static int cmd_help(int argc, char **argv)
{
	const struct cli_cmd *c;

	if (argc < 3) {
		cli_help_all(stdout);
		return KVMSIM_EXIT_OK;
	}
	if (argc > 3)
		cli_usage_error(NULL, "help: one command at a time");
	if (!strcmp(argv[2], "exit-codes")) {
		cli_print_exit_codes(stdout);
		return KVMSIM_EXIT_OK;
	}
	c = cli_find_cmd(argv[2]);
	if (!c)
		cli_usage_error(NULL, "help: no command '%s'", argv[2]);
	cli_help(stdout, c);
	return KVMSIM_EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct cli_cmd *c;

	if (argc < 2)
		cli_usage_error(NULL, "no command given");
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("kvmsim %s\n", KVMSIM_VERSION);
		return KVMSIM_EXIT_OK;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))
		return cmd_help(argc, argv);
	c = cli_find_cmd(argv[1]);
	if (!c) {
		if (argv[1][0] == '-')
			cli_usage_error(NULL, "unknown option %s before the command", argv[1]);
		cli_usage_error(NULL, "unknown command '%s'", argv[1]);
	}
	return c->fn(c, argc - 1, argv + 1);
}
