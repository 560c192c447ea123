// SPDX-License-Identifier: MIT
/*
 * kvmsim exec [options] [--] PROGRAM [ARGS]: options end at PROGRAM;
 * everything from there on (a "--" included) is the program's.
 */
#define _GNU_SOURCE
#include <stdio.h>

#include "cli/cli.h"

int cmd_exec(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	char **prog;

	cli_parse(cmd, argc, argv, &a);
	if (a.npos)
		prog = a.pos;		/* contiguous up to argv[argc] */
	else if (a.rest && a.nrest)
		prog = a.rest;
	else
		cli_usage_error(cmd, "no program given");
	exec_program(prog[0], prog);
}
