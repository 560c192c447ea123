// SPDX-License-Identifier: MIT
/*
 * kvmsim list: every scenario, the architectures it is built for (from
 * the programs present, not from a manifest line) and its description.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

struct entry {
	char name[256];
	char arch[32];
	char description[256];
};

/*
 * The scenario a manifest file names: NAME.manifest is NAME;
 * NAME.arm64.manifest is NAME when there is no NAME.manifest (an arm64-only
 * scenario), else NAME's arm64 variant, listed with NAME.
 */
static bool manifest_scenario(const char *dir, const char *file, char *name, size_t len)
{
	size_t n = strlen(file);
	char plain[PATH_MAX];

	if (n <= 9 || strcmp(file + n - 9, ".manifest"))
		return false;
	n -= 9;
	if (n > 6 && !strncmp(file + n - 6, ".arm64", 6)) {
		snprintf(plain, sizeof(plain), "%s/%.*s.manifest", dir, (int)(n - 6), file);
		if (!access(plain, R_OK))
			return false;
		n -= 6;
	}
	snprintf(name, len, "%.*s", (int)n, file);
	return scenario_name_valid(name);
}

static bool list_entry(const char *dir, const char *file, struct entry *e)
{
	char path[PATH_MAX];
	struct manifest m;
	bool x86, arm64;

	if (!manifest_scenario(dir, file, e->name, sizeof(e->name)))
		return false;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (load_manifest(path, &m, NULL))
		return false;
	snprintf(e->description, sizeof(e->description), "%s", m.description);
	free_manifest(&m);
	scenario_arches(e->name, &x86, &arm64);
	snprintf(e->arch, sizeof(e->arch), "%s", x86 && arm64 ? "x86_64,arm64" :
		 x86 ? "x86_64" : arm64 ? "arm64" : "(not built)");
	return true;
}

int cmd_list(const struct cli_cmd *cmd, int argc, char **argv)
{
	const char *dir = cli_scenario_dir();
	struct dirent **ents;
	struct entry *list;
	struct cli_args a;
	int n, nr = 0, nw = 4, aw = 4;

	cli_parse(cmd, argc, argv, &a);
	if (a.npos || a.rest)
		cli_usage_error(cmd, "unexpected argument '%s'", a.npos ? a.pos[0] : "--");
	if (!dir || (n = scandir(dir, &ents, NULL, alphasort)) < 0) {
		fprintf(stderr, "kvmsim: no scenario directory beside %s\n", cli_self_dir());
		return KVMSIM_EXIT_USAGE;
	}
	list = calloc(n ? n : 1, sizeof(*list));
	for (int i = 0; i < n; i++) {
		if (list && list_entry(dir, ents[i]->d_name, &list[nr])) {
			if ((int)strlen(list[nr].name) > nw)
				nw = strlen(list[nr].name);
			if ((int)strlen(list[nr].arch) > aw)
				aw = strlen(list[nr].arch);
			nr++;
		}
		free(ents[i]);
	}
	free(ents);
	printf("%-*s  %-*s  %s\n", nw, "NAME", aw, "ARCH", "WHAT IT SHOWS");
	for (int i = 0; i < nr; i++)
		printf("%-*s  %-*s  %s\n", nw, list[i].name, aw, list[i].arch,
		       list[i].description);
	free(list);
	return KVMSIM_EXIT_OK;
}
