// SPDX-License-Identifier: MIT
/*
 * kvmsim explore [options] (SCENARIO [-- ARGS] | -- PROGRAM [ARGS]):
 * libkvmsim.so in the program runs the search (sim/explore.c); this only
 * says where to save what it finds.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

/* the scenario's own profile unless --profile said otherwise */
void scenario_default_profile(const struct scenario *s)
{
	struct manifest m;

	if (getenv("KVMSIM_PROFILE") || load_manifest(s->manifest, &m, NULL))
		return;
	if (m.profile[0])
		setenv("KVMSIM_PROFILE", m.profile, 1);
	free_manifest(&m);
}

/*
 * --shard I/N: runs I, I+N, I+2N... of the budget, and a tally file for
 * kvmsim merge.  Bounded search is not split: which schedules it runs
 * next depends on the results of every earlier one.
 */
static void shard_setup(const struct cli_cmd *cmd, const char *prefix)
{
	const char *v = getenv("KVMSIM_SHARD"), *s = getenv("KVMSIM_STRATEGY");
	char path[PATH_MAX * 2 + 64], *end;
	unsigned long i, n;

	if (!v)
		return;
	errno = 0;
	i = strtoul(v, &end, 10);
	if (end == v || *end != '/' || !isdigit((unsigned char)end[1]))
		cli_usage_error(cmd, "--shard %s: expected I/N (e.g. 0/4)", v);
	n = strtoul(end + 1, &end, 10);
	if (*end || errno || !n || i >= n || n > UINT32_MAX)
		cli_usage_error(cmd, "--shard %s: expected I/N with 0 <= I < N", v);
	if (n > 1 && s && !strcmp(s, "bounded"))
		cli_usage_error(cmd, "--shard: the bounded search cannot be split (its next "
				"schedules depend on every earlier result); use random or pct");
	snprintf(path, sizeof(path), "%s.shard-%lu-of-%lu.result", prefix, i, n);
	setenv("KVMSIM_RESULT", path, 1);
}

int cmd_explore(const struct cli_cmd *cmd, int argc, char **argv)
{
	char prefix[PATH_MAX * 2], **prog;
	struct scenario s;
	struct cli_args a;
	const char *name, *base;

	cli_parse(cmd, argc, argv, &a);
	if (a.npos > 1)
		cli_usage_error(cmd, "unexpected argument '%s'", a.pos[1]);
	if (a.npos == 1) {
		scenario_resolve(a.pos[0], &s);
		scenario_default_profile(&s);
		setenv("KVMSIM_SCENARIO", s.name, 1);
		name = s.name;
		prog = scenario_argv(s.bin, &a);
	} else if (a.nrest) {
		prog = a.rest;
		name = prog[0];
	} else {
		cli_usage_error(cmd, "no scenario or -- PROGRAM given");
	}
	base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
	snprintf(prefix, sizeof(prefix), "%s/%s", a.out_dir, base);
	shard_setup(cmd, prefix);
	setenv("KVMSIM_MODE", "explore", 1);
	setenv("KVMSIM_SAVE_PREFIX", prefix, 1);
	/* a redrawn line on a terminal, else a plain line every few seconds */
	setenv("KVMSIM_PROGRESS", isatty(STDERR_FILENO) ? "1" : "2", 1);
	exec_program(prog[0], prog);
}
