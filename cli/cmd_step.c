// SPDX-License-Identifier: MIT
/*
 * kvmsim step [options] (SCENARIO [-- ARGS] | -- PROGRAM [ARGS]): the
 * program with libkvmsim.so's stepper on (kvm-model/step.c), which takes
 * its commands from kvmsim's stdin, passed as an inherited fd.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/cli.h"

int cmd_step(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct scenario s;
	struct cli_args a;
	char **prog, fd[16];
	int ctl;

	cli_parse(cmd, argc, argv, &a);
	if (a.npos > 1)
		cli_usage_error(cmd, "unexpected argument '%s'", a.pos[1]);
	if (a.npos == 1) {
		scenario_resolve(a.pos[0], &s);
		scenario_default_profile(&s);
		setenv("KVMSIM_SCENARIO", s.name, 1);
		prog = scenario_argv(s.bin, &a);
	} else if (a.nrest) {
		prog = a.rest;
	} else {
		cli_usage_error(cmd, "no scenario or -- PROGRAM given");
	}
	/* a copy of stdin the program will not read by accident */
	ctl = dup(STDIN_FILENO);
	if (ctl < 0) {
		perror("kvmsim: step: stdin");
		return KVMSIM_EXIT_USAGE;
	}
	snprintf(fd, sizeof(fd), "%d", ctl);
	setenv("KVMSIM_STEP", fd, 1);
	exec_program(prog[0], prog);
}
