// SPDX-License-Identifier: MIT
/*
 * Outcome tallies and their files (see outcome.h).  Plain data: both the
 * explorer in the program and `kvmsim merge` use it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvmsim/version.h"
#include "sim/outcome.h"
#include "sim/sim_internal.h"

void sim_tally_init(struct sim_tally *t)
{
	memset(t, 0, sizeof(*t));
	t->nshards = 1;
}

void sim_tally_free(struct sim_tally *t)
{
	free(t->o);
	free(t->run);
	sim_tally_init(t);
}

static bool same_outcome(const struct sim_outcome *a, const struct sim_outcome *b)
{
	if (a->failed != b->failed)
		return false;
	if (a->failed)
		return !strcmp(a->oracle, b->oracle) && !strcmp(a->message, b->message);
	return a->out_hash == b->out_hash;
}

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 64;

	if (need <= *cap)
		return p;
	while (n < need)
		n *= 2;
	p = realloc(p, n * size);
	if (!p) {
		fprintf(stderr, "kvmsim: out of memory for the outcome tally\n");
		abort();
	}
	*cap = n;
	return p;
}

uint32_t sim_tally_outcome(struct sim_tally *t, const struct sim_outcome *o)
{
	size_t cap = t->cap;

	for (uint32_t i = 0; i < t->n; i++)
		if (same_outcome(&t->o[i], o))
			return i;
	t->o = grow(t->o, &cap, t->n + 1, sizeof(*t->o));
	t->cap = (uint32_t)cap;
	t->o[t->n] = *o;
	return t->n++;
}

void sim_tally_set_run(struct sim_tally *t, uint64_t run, uint32_t idx)
{
	size_t cap = t->nrun;

	if (run >= t->nrun) {
		t->run = grow(t->run, &cap, run + 1, sizeof(*t->run));
		for (uint64_t i = t->nrun; i < cap; i++)
			t->run[i] = SIM_NO_OUTCOME;
		t->nrun = cap;
	}
	t->run[run] = idx;
}

uint64_t sim_tally_first_failure(const struct sim_tally *t)
{
	for (uint64_t r = 0; r < t->nrun; r++)
		if (t->run[r] != SIM_NO_OUTCOME && t->o[t->run[r]].failed)
			return r;
	return SIM_NO_RUN;
}

uint64_t sim_tally_limit(const struct sim_tally *t)
{
	uint64_t f = t->keep_going ? SIM_NO_RUN : sim_tally_first_failure(t);

	if (f != SIM_NO_RUN)
		return f;
	return t->runs ? t->runs - 1 : 0;
}

uint64_t sim_tally_missing(const struct sim_tally *t, uint64_t limit)
{
	for (uint64_t r = 0; r <= limit && t->runs; r++)
		if (r >= t->nrun || t->run[r] == SIM_NO_OUTCOME)
			return r;
	return SIM_NO_RUN;
}

uint64_t sim_tally_first_run(const struct sim_tally *t, uint32_t idx, uint64_t limit)
{
	for (uint64_t r = 0; r < t->nrun && r <= limit; r++)
		if (t->run[r] == idx)
			return r;
	return SIM_NO_RUN;
}

struct row {
	uint32_t idx;
	uint64_t count, first;
};

static int by_first_run(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

void sim_tally_print(const struct sim_tally *t, FILE *f)
{
	uint64_t limit = sim_tally_limit(t), total = 0;
	struct row *rows = calloc(t->n ? t->n : 1, sizeof(*rows));
	uint32_t nrows = 0;

	if (!rows)
		abort();
	for (uint32_t i = 0; i < t->n; i++)
		rows[i] = (struct row){ i, 0, SIM_NO_RUN };
	for (uint64_t r = 0; r < t->nrun && r <= limit; r++) {
		struct row *w;

		if (t->run[r] == SIM_NO_OUTCOME)
			continue;
		w = &rows[t->run[r]];
		if (!w->count++)
			w->first = r;
		total++;
	}
	for (uint32_t i = 0; i < t->n; i++)
		if (rows[i].count)
			rows[nrows++] = rows[i];
	qsort(rows, nrows, sizeof(*rows), by_first_run);
	fprintf(f, "outcomes of %" PRIu64 " run%s:\n", total, total == 1 ? "" : "s");
	for (uint32_t i = 0; i < nrows; i++) {
		const struct sim_outcome *o = &t->o[rows[i].idx];

		if (o->failed)
			fprintf(f, "  %8" PRIu64 "  FAILED oracle %s: %s (first run %" PRIu64 ")\n",
				rows[i].count, o->oracle, o->message, rows[i].first);
		else
			fprintf(f, "  %8" PRIu64 "  passed, stdout %016" PRIx64 " \"%s\" (first run %"
				PRIu64 ")\n", rows[i].count, o->out_hash, o->out_line,
				rows[i].first);
	}
	free(rows);
}

/* ---- the file ---- */

static void put(FILE *f, const char *key, const char *v)
{
	/* one line per value: a newline in it would start another item */
	fprintf(f, "%s ", key);
	for (; *v; v++)
		fputc(*v == '\n' || *v == '\r' ? ' ' : *v, f);
	fputc('\n', f);
}

static int write_tally(FILE *f, const struct sim_tally *t)
{
	fprintf(f, "kvmsim-explore-result 1\nversion %s\n", KVMSIM_VERSION);
	put(f, "what", t->what);
	fprintf(f, "shard %" PRIu32 " %" PRIu32 "\nruns %" PRIu64 "\nkeep-going %d\n",
		t->shard, t->nshards, t->runs, t->keep_going);
	for (uint32_t i = 0; i < t->n; i++) {
		const struct sim_outcome *o = &t->o[i];

		fprintf(f, "outcome %" PRIu32 " %s %016" PRIx64 "\n", i,
			o->failed ? "failed" : "passed", o->out_hash);
		if (o->failed) {
			put(f, "oracle", o->oracle);
			put(f, "message", o->message);
		} else {
			put(f, "stdout", o->out_line);
		}
		if (o->schedule[0])
			put(f, "schedule", o->schedule);
	}
	for (uint64_t r = 0; r < t->nrun; r++)
		if (t->run[r] != SIM_NO_OUTCOME)
			fprintf(f, "r %" PRIu64 " %" PRIu32 "\n", r, t->run[r]);
	fprintf(f, "end\n");
	return ferror(f) ? -EIO : 0;
}

static int write_tally_arg(FILE *f, const void *t)
{
	return write_tally(f, t);
}

/* PATH.tmp.PID renamed over PATH, as schedules are (sim_write_file_atomic) */
int sim_tally_write(const struct sim_tally *t, const char *path)
{
	return sim_write_file_atomic(path, write_tally_arg, t);
}

struct reader {
	const char *path;
	int line;
	char *err;
	size_t errlen;
};

static int bad(struct reader *rd, const char *fmt, ...)
{
	char what[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(rd->err, rd->errlen, "%s:%d: %s", rd->path, rd->line, what);
	return -1;
}

static void copy_value(char *dst, size_t size, const char *v)
{
	snprintf(dst, size, "%s", v);
}

/* One line (key and value split at the first space); 1 at "end". */
static int read_item(struct sim_tally *t, struct reader *rd, char *key, char *v)
{
	struct sim_outcome *o = t->n ? &t->o[t->n - 1] : NULL;
	uint64_t run, idx, hash;
	char kind[16];
	int n = 0;

	if (!strcmp(key, "end"))
		return 1;
	if (!strcmp(key, "version"))
		return 0;
	if (!strcmp(key, "what")) {
		copy_value(t->what, sizeof(t->what), v);
	} else if (!strcmp(key, "shard")) {
		if (sscanf(v, "%" SCNu32 " %" SCNu32 "%n", &t->shard, &t->nshards, &n) != 2 ||
		    v[n] || !t->nshards || t->shard >= t->nshards)
			return bad(rd, "expected \"shard I N\" with I < N");
	} else if (!strcmp(key, "runs")) {
		if (sscanf(v, "%" SCNu64 "%n", &t->runs, &n) != 1 || v[n])
			return bad(rd, "expected \"runs N\"");
	} else if (!strcmp(key, "keep-going")) {
		if (strcmp(v, "0") && strcmp(v, "1"))
			return bad(rd, "expected \"keep-going 0|1\"");
		t->keep_going = *v == '1';
	} else if (!strcmp(key, "outcome")) {
		struct sim_outcome blank = { 0 };
		size_t cap = t->cap;

		if (sscanf(v, "%" SCNu64 " %15s %" SCNx64 "%n", &idx, kind, &hash, &n) != 3 ||
		    v[n] || idx != t->n || (strcmp(kind, "passed") && strcmp(kind, "failed")))
			return bad(rd, "expected \"outcome %u passed|failed HASH\"", t->n);
		blank.failed = kind[0] == 'f';
		blank.out_hash = hash;
		t->o = grow(t->o, &cap, t->n + 1, sizeof(*t->o));
		t->cap = (uint32_t)cap;
		t->o[t->n++] = blank;
	} else if (!strcmp(key, "oracle") && o) {
		copy_value(o->oracle, sizeof(o->oracle), v);
	} else if (!strcmp(key, "message") && o) {
		copy_value(o->message, sizeof(o->message), v);
	} else if (!strcmp(key, "stdout") && o) {
		copy_value(o->out_line, sizeof(o->out_line), v);
	} else if (!strcmp(key, "schedule") && o) {
		copy_value(o->schedule, sizeof(o->schedule), v);
	} else if (!strcmp(key, "r")) {
		if (sscanf(v, "%" SCNu64 " %" SCNu64 "%n", &run, &idx, &n) != 2 || v[n] ||
		    idx >= t->n || run >= t->runs)
			return bad(rd, "expected \"r RUN OUTCOME\" (a run below the budget, "
				   "an outcome above)");
		if (run < t->nrun && t->run[run] != SIM_NO_OUTCOME)
			return bad(rd, "run %" PRIu64 " twice", run);
		sim_tally_set_run(t, run, (uint32_t)idx);
	} else {
		return bad(rd, "unknown item \"%s\"", key);
	}
	return 0;
}

int sim_tally_read(struct sim_tally *t, const char *path, char *err, size_t errlen)
{
	struct reader rd = { path, 0, err, errlen };
	char *line = NULL;
	size_t size = 0;
	ssize_t len;
	int ret = -1;
	FILE *f;

	sim_tally_init(t);
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &size, f)) >= 0) {
		char *v;
		int r;

		rd.line++;
		if (len && line[len - 1] == '\n')
			line[--len] = 0;
		if (rd.line == 1) {
			if (strcmp(line, "kvmsim-explore-result 1")) {
				bad(&rd, "expected \"kvmsim-explore-result 1\"");
				break;
			}
			continue;
		}
		v = strchr(line, ' ');
		if (v)
			*v++ = 0;
		r = read_item(t, &rd, line, v ? v : (char *)"");
		if (r < 0)
			break;
		if (r > 0) {
			ret = 0;
			break;
		}
	}
	if (ret && rd.line && !err[0])
		bad(&rd, "no \"end\" line (a file cut short)");
	if (ret && !rd.line)
		snprintf(err, errlen, "%s: empty file", path);
	free(line);
	fclose(f);
	if (ret)
		sim_tally_free(t);
	return ret;
}

int sim_tally_merge(struct sim_tally *dst, const struct sim_tally *src, char *err,
		    size_t errlen)
{
	if (strcmp(dst->what, src->what) || dst->runs != src->runs ||
	    dst->nshards != src->nshards || dst->keep_going != src->keep_going) {
		snprintf(err, errlen, "not the same exploration: \"%s\" (%" PRIu32
			 " shards) and \"%s\" (%" PRIu32 " shards)", dst->what, dst->nshards,
			 src->what, src->nshards);
		return -1;
	}
	bool *seen = calloc(src->n ? src->n : 1, sizeof(*seen));

	if (!seen)
		abort();
	for (uint64_t r = 0; r < src->nrun; r++) {
		const struct sim_outcome *o;
		uint32_t idx;

		if (src->run[r] == SIM_NO_OUTCOME)
			continue;
		if (r < dst->nrun && dst->run[r] != SIM_NO_OUTCOME) {
			snprintf(err, errlen, "run %" PRIu64 " is in two shards", r);
			free(seen);
			return -1;
		}
		o = &src->o[src->run[r]];
		idx = sim_tally_outcome(dst, o);
		/*
		 * An outcome's schedule is its first run's (in src, r the
		 * first time): keep whichever shard ran the lowest.
		 */
		if (!seen[src->run[r]] && o->schedule[0] &&
		    (!dst->o[idx].schedule[0] || r < sim_tally_first_run(dst, idx, SIM_NO_RUN)))
			memcpy(dst->o[idx].schedule, o->schedule, sizeof(o->schedule));
		seen[src->run[r]] = true;
		sim_tally_set_run(dst, r, idx);
	}
	free(seen);
	return 0;
}
