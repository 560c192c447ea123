// SPDX-License-Identifier: MIT
/*
 * kvmsim replay|shrink [options] FILE.schedule: everything about the run
 * (program, arguments, seeds, profile, quantum, armed faults) comes from
 * the file.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/compare.h"
#include "sim/schedule.h"

/*
 * replay --report: the program runs as a child (not exec'd) so the
 * report can be written when it ends; its exit status is replay's.
 */
static int replay_with_report(const char *report, const char *schedule,
			      const struct sim_schedule *s, char **args)
{
	char verdict[700], *out;
	const char *name = s->scenario[0] ? s->scenario : s->program;
	int status;

	report_setup(report, true);
	setup_preload();
	args[0] = (char *)s->program;
	status = run_capture(args, &out, true, false);
	free(out);
	if (status < 0) {
		fprintf(stderr, "kvmsim: cannot run %s\n", s->program);
		return KVMSIM_EXIT_EXEC;
	}
	snprintf(verdict, sizeof(verdict), "replay of %s: exit status %d%s", schedule, status,
		 status == KVMSIM_EXIT_ORACLE ? " (an oracle failed)" : "");
	if (report_write(name, verdict, NULL))
		return KVMSIM_EXIT_USAGE;
	return status;
}

int cmd_schedule(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct sim_schedule s;
	char err[600], num[32], *args[SIM_MAX_ARGS + 2];
	struct cli_args a;

	cli_parse(cmd, argc, argv, &a);
	if (!a.npos)
		cli_usage_error(cmd, "no schedule file given");
	if (a.npos > 1 || a.rest)
		cli_usage_error(cmd, "unexpected argument '%s'", a.npos > 1 ? a.pos[1] : "--");
	if (sim_schedule_read(&s, a.pos[0], err, sizeof(err))) {
		fprintf(stderr, "kvmsim: %s\n", err);
		return KVMSIM_EXIT_USAGE;
	}
	setenv("KVMSIM_MODE", cmd->name, 1);
	setenv("KVMSIM_SCHEDULE", a.pos[0], 1);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)s.seed);
	setenv("KVMSIM_SEED", num, 1);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)s.quantum);
	if (s.quantum)
		setenv("KVMSIM_QUANTUM", num, 1);
	setenv("KVMSIM_PROFILE", s.profile, 1);
	if (s.max_vtime) {
		snprintf(num, sizeof(num), "%llu", (unsigned long long)s.max_vtime);
		setenv("KVMSIM_MAX_VTIME", num, 1);
	}
	if (s.arch[0])
		setenv("KVMSIM_ARCH", s.arch, 1);
	setenv("KVMSIM_PREEMPT", s.preempt[0] ? s.preempt : "blocking", 1);
	unsetenv("KVMSIM_FAIL");
	for (int k = 0; k < s.nfail; k++)
		cli_add_fail(s.fail[k]);
	if (s.scenario[0]) {
		setenv("KVMSIM_SCENARIO", s.scenario, 1);
		setup_guest_dir();
	}
	for (int k = 0; k < s.nargs; k++)
		args[k + 1] = s.args[k];
	args[s.nargs + 1] = NULL;
	/* what will run, before it runs (its own output follows) */
	fprintf(stderr, "kvmsim: %s: %s", cmd->name, s.program);
	for (int k = 0; k < s.nargs; k++)
		fprintf(stderr, " %s", s.args[k]);
	fprintf(stderr, " (seed %llu, profile %s)\n", (unsigned long long)s.seed, s.profile);
	if (a.report) {
		int status = replay_with_report(a.report, a.pos[0], &s, args);

		sim_schedule_free(&s);
		return status;
	}
	exec_program(s.program, args);
}
