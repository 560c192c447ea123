// SPDX-License-Identifier: MIT
/*
 * kvmsim compare [options] (SCENARIO [-- ARGS] | -- PROGRAM [ARGS]): the
 * program once per --profile, same seed, and a table of what each run
 * observed.  With no --profile: the manifest's default profile, then its
 * "profiles:" (a program without a manifest: upstream).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/compare.h"

static bool has_column(const struct compare_table *t, const char *spec)
{
	for (int c = 0; c < t->ncols; c++)
		if (!strcmp(t->spec[c], spec))
			return true;
	return false;
}

/* the baseline first: the manifest's default profile, then its list */
static void manifest_columns(struct compare_table *t, const char *manifest)
{
	static char list[1024];
	struct manifest m;
	char *save, *tok;

	if (load_manifest(manifest, &m, NULL))
		exit(KVMSIM_EXIT_USAGE);
	snprintf(list, sizeof(list), "%s %s", m.profile[0] ? m.profile : "upstream",
		 m.profiles);
	free_manifest(&m);
	for (tok = strtok_r(list, " ,", &save); tok && t->ncols < MAX_COLS;
	     tok = strtok_r(NULL, " ,", &save))
		if (!has_column(t, tok))
			t->spec[t->ncols++] = tok;
}

int cmd_compare(const struct cli_cmd *cmd, int argc, char **argv)
{
	static struct compare_table t;
	const char *name;
	struct scenario s;
	struct cli_args a;
	char **prog, **owned = NULL;

	cli_parse(cmd, argc, argv, &a);
	if (a.npos > 1)
		cli_usage_error(cmd, "unexpected argument '%s' (arguments for the scenario "
				"go after --)", a.pos[1]);
	for (int i = 0; i < a.nprofiles; i++)
		t.spec[t.ncols++] = a.profiles[i];
	if (a.npos == 1) {
		scenario_resolve(a.pos[0], &s);
		if (!t.ncols)
			manifest_columns(&t, s.manifest);
		name = s.name;
		prog = owned = scenario_argv(s.bin, &a);
	} else if (a.nrest) {
		prog = a.rest;
		name = prog[0];
		if (!t.ncols)
			t.spec[t.ncols++] = "upstream";
	} else {
		cli_usage_error(cmd, "no scenario or -- PROGRAM given");
	}
	setup_preload();
	if (a.report)
		report_setup(a.report, false);
	for (int c = 0; c < t.ncols; c++) {
		char *out, *obs;
		int status = run_scenario(prog, t.spec[c], false, true, &out, &obs);

		if (status < 0) {
			fprintf(stderr, "kvmsim: cannot run %s\n", prog[0]);
			return KVMSIM_EXIT_USAGE;
		}
		table_column(&t, c, status, obs);
		free(out);
		free(obs);
	}
	print_table(&t, name, a.format, a.diff, a.transpose);
	free(owned);
	if (a.report)
		return report_write(name, NULL, &t);
	return KVMSIM_EXIT_OK;
}
