// SPDX-License-Identifier: MIT
/*
 * kvmsim merge (DIR | FILE.result)...: the outcome tallies that
 * `explore --shard I/N` wrote, as one exploration (sim/outcome.h has the
 * file format).  Each shard made runs I, I+N, ... with the seeds one
 * process would have used, so the union of their runs is that process's:
 * the merged outcomes, first failure and schedule are what it reports.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "sim/outcome.h"

struct merge {
	struct sim_tally all;
	bool *seen;		/* per shard index */
	uint32_t nfiles;
};

static bool is_result(const char *name)
{
	size_t n = strlen(name);

	return n > 7 && !strcmp(name + n - 7, ".result");
}

static void add_file(struct merge *m, const char *path)
{
	struct sim_tally t;
	char err[900];

	if (sim_tally_read(&t, path, err, sizeof(err))) {
		fprintf(stderr, "kvmsim: merge: %s\n", err);
		exit(KVMSIM_EXIT_USAGE);
	}
	if (!m->nfiles++) {
		memcpy(m->all.what, t.what, sizeof(t.what));
		m->all.runs = t.runs;
		m->all.nshards = t.nshards;
		m->all.keep_going = t.keep_going;
		m->seen = calloc(t.nshards, sizeof(*m->seen));
		if (!m->seen)
			abort();
	}
	if (sim_tally_merge(&m->all, &t, err, sizeof(err))) {
		fprintf(stderr, "kvmsim: merge: %s: %s\n", path, err);
		exit(KVMSIM_EXIT_USAGE);
	}
	if (m->seen[t.shard]) {
		fprintf(stderr, "kvmsim: merge: %s: shard %" PRIu32 "/%" PRIu32 " given twice\n",
			path, t.shard, t.nshards);
		exit(KVMSIM_EXIT_USAGE);
	}
	m->seen[t.shard] = true;
	sim_tally_free(&t);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void add_dir(struct merge *m, const char *dir)
{
	struct dirent **ents;
	char path[8192];
	int n = scandir(dir, &ents, NULL, by_name), found = 0;

	if (n < 0) {
		fprintf(stderr, "kvmsim: merge: %s: %m\n", dir);
		exit(KVMSIM_EXIT_USAGE);
	}
	for (int i = 0; i < n; i++) {
		if (is_result(ents[i]->d_name)) {
			snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
			add_file(m, path);
			found++;
		}
		free(ents[i]);
	}
	free(ents);
	if (!found) {
		fprintf(stderr, "kvmsim: merge: %s: no *.result file (explore --shard I/N "
			"--out DIR writes them)\n", dir);
		exit(KVMSIM_EXIT_USAGE);
	}
}

/* Every shard present, and every run the result depends on made by one. */
static void check_complete(struct merge *m)
{
	uint64_t limit = sim_tally_limit(&m->all), miss;

	for (uint32_t i = 0; i < m->all.nshards; i++) {
		if (!m->seen[i]) {
			fprintf(stderr, "kvmsim: merge: shard %" PRIu32 "/%" PRIu32
				" is missing\n", i, m->all.nshards);
			exit(KVMSIM_EXIT_USAGE);
		}
	}
	miss = sim_tally_missing(&m->all, limit);
	if (miss != SIM_NO_RUN) {
		fprintf(stderr, "kvmsim: merge: run %" PRIu64 " (shard %" PRIu64 ") has no "
			"result: that shard stopped early\n", miss, miss % m->all.nshards);
		exit(KVMSIM_EXIT_USAGE);
	}
}

int cmd_merge(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct merge m = { 0 };
	struct cli_args a;
	const struct sim_outcome *o;
	struct stat st;
	uint64_t first;

	cli_parse(cmd, argc, argv, &a);
	if (!a.npos || a.rest)
		cli_usage_error(cmd, "%s", a.rest ? "unexpected --" : "no directory or file given");
	sim_tally_init(&m.all);
	for (int i = 0; i < a.npos; i++) {
		if (stat(a.pos[i], &st)) {
			fprintf(stderr, "kvmsim: merge: %s: %m\n", a.pos[i]);
			return KVMSIM_EXIT_USAGE;
		}
		if (S_ISDIR(st.st_mode))
			add_dir(&m, a.pos[i]);
		else
			add_file(&m, a.pos[i]);
	}
	check_complete(&m);
	fprintf(stderr, "merge: %" PRIu32 " shard%s of %s%s\n", m.all.nshards,
		m.all.nshards == 1 ? "" : "s", m.all.what,
		m.all.keep_going ? " (keep-going)" : "");
	sim_tally_print(&m.all, stderr);
	first = sim_tally_first_failure(&m.all);
	if (first == SIM_NO_RUN) {
		fprintf(stderr, "merge: %" PRIu64 " runs, no failure\n", m.all.runs);
	} else {
		o = &m.all.o[m.all.run[first]];
		fprintf(stderr, "FAILED run %" PRIu64 ": oracle %s: %s\n", first, o->oracle,
			o->message);
		if (o->schedule[0])
			fprintf(stderr, "schedule %s\nto see it: kvmsim replay --explain %s\n",
				o->schedule, o->schedule);
	}
	sim_tally_free(&m.all);
	free(m.seen);
	return first == SIM_NO_RUN ? KVMSIM_EXIT_OK : KVMSIM_EXIT_FAIL;
}
