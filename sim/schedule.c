// SPDX-License-Identifier: MIT
/*
 * Schedule files (format in schedule.h).  Reading is strict: any line
 * that is not what the format says is an error naming file and line.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvmsim/version.h"
#include "sim/schedule.h"
#include "sim/sim_internal.h"

/* fault-injection site names, interned: as many as the program has */
static char **site_names;
static uint32_t nr_sites, sites_cap;

uint32_t sim_site_intern(const char *name)
{
	for (uint32_t i = 0; i < nr_sites; i++)
		if (!strcmp(site_names[i], name))
			return i;
	if (nr_sites == sites_cap) {
		uint32_t cap = sites_cap ? 2 * sites_cap : 64;
		char **p = realloc(site_names, cap * sizeof(*p));

		SIM_BUG_ON(!p);
		site_names = p;
		sites_cap = cap;
	}
	site_names[nr_sites] = strdup(name);
	SIM_BUG_ON(!site_names[nr_sites]);
	return nr_sites++;
}

void sim_sites_forget(void)
{
	while (nr_sites)
		free(site_names[--nr_sites]);
}

const char *sim_site_name(uint32_t idx)
{
	return idx < nr_sites ? site_names[idx] : "?";
}

uint64_t sim_choices_preemptions(const struct sim_choice *c, uint64_t n)
{
	uint64_t p = 0;

	for (uint64_t i = 0; i < n; i++)
		p += sim_choice_is_preemption(&c[i]);
	return p;
}

/* Values are written as the rest of the line: no newlines inside. */
static void put_line(FILE *f, const char *key, const char *v)
{
	fprintf(f, "%s ", key);
	for (; *v; v++)
		fputc(*v == '\n' ? ' ' : *v, f);
	fputc('\n', f);
}

static void write_choice(FILE *f, const struct sim_choice *c)
{
	if (c->kind == 'f')
		fprintf(f, "f %s %d\n", sim_site_name(c->site), c->chosen);
	else
		fprintf(f, "p %d %d %c %u %" PRIx64 "\n", c->chosen, c->self,
			c->point, c->ncand, c->mask);
}

static int write_schedule(FILE *f, const struct sim_schedule *s)
{
	fprintf(f, "kvmsim-schedule 1\nversion %s\n", KVMSIM_VERSION);
	put_line(f, "program", s->program);
	if (s->scenario[0])
		put_line(f, "scenario", s->scenario);
	for (int i = 0; i < s->nargs; i++)
		put_line(f, "arg", s->args[i]);
	fprintf(f, "seed %" PRIu64 "\nrun-seed %" PRIu64 "\n", s->seed, s->run_seed);
	put_line(f, "profile", s->profile[0] ? s->profile : "upstream");
	if (s->arch[0])
		put_line(f, "arch", s->arch);
	fprintf(f, "quantum %" PRIu64 "\n", s->quantum);
	if (s->preempt[0])
		put_line(f, "preempt", s->preempt);
	if (s->max_vtime)
		fprintf(f, "max-vtime %" PRIu64 "\n", s->max_vtime);
	for (int i = 0; i < s->nfail; i++)
		put_line(f, "fail", s->fail[i]);
	if (s->strategy[0])
		put_line(f, "strategy", s->strategy);
	if (s->oracle[0]) {
		put_line(f, "oracle", s->oracle);
		put_line(f, "message", s->message);
	}
	fprintf(f, "choices %" PRIu64 "\n", s->nchoices);
	for (uint64_t i = 0; i < s->nchoices; i++)
		write_choice(f, &s->choices[i]);
	fprintf(f, "end\n");
	return ferror(f) ? -EIO : 0;
}

/*
 * Written to PATH.tmp.PID and renamed over PATH: a reader (a merge, a
 * replay started meanwhile, a shard on another machine syncing files)
 * never sees half a file.  Schedules and tallies are written this way.
 */
int sim_write_file_atomic(const char *path, int (*write)(FILE *f, const void *arg),
			  const void *arg)
{
	char tmp[4200];
	FILE *f;
	int err;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	err = write(f, arg);
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

static int write_schedule_arg(FILE *f, const void *s)
{
	return write_schedule(f, s);
}

int sim_schedule_write(const struct sim_schedule *s, const char *path)
{
	return sim_write_file_atomic(path, write_schedule_arg, s);
}

struct reader {
	const char *path;
	int line;
	char *err;
	size_t errlen;
	uint64_t choices_alloc;	/* entries s->choices has room for */
};

static int bad(struct reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int bad(struct reader *r, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(r->err, r->errlen, "%s:%d: ", r->path, r->line);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < r->errlen)
		vsnprintf(r->err + n, r->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

static int parse_u64(struct reader *r, const char *v, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(v, &end, 0);
	if (errno || end == v || *end || *v == '-')
		return bad(r, "expected an unsigned number, got \"%s\"", v);
	return 0;
}

/*
 * The storage grows with the choice lines actually read: "choices N"
 * is a promise the file may not keep, not a size to reserve up front.
 */
static int grow_choices(struct reader *r, struct sim_schedule *s)
{
	uint64_t n = r->choices_alloc ? 2 * r->choices_alloc : 1024;
	struct sim_choice *p;

	if (n > s->choices_cap)
		n = s->choices_cap;
	p = realloc(s->choices, n * sizeof(*p));
	if (!p)
		return bad(r, "out of memory");
	s->choices = p;
	r->choices_alloc = n;
	return 0;
}

/* One space-separated field of a choice line as a number in [0, max]. */
static bool choice_field(char **p, int base, uint64_t max, uint64_t *out)
{
	char *end;

	if (**p != ' ' || !(*p)[1] || (*p)[1] == ' ' || (*p)[1] == '-' || (*p)[1] == '+')
		return false;
	errno = 0;
	*out = strtoull(*p + 1, &end, base);
	if (errno || end == *p + 1 || (*end && *end != ' ') || *out > max)
		return false;
	*p = end;
	return true;
}

/* "p CHOSEN SELF y|w|x NCAND MASK": every number range-checked, no overflow */
static bool parse_pick(char *line, struct sim_choice *c)
{
	uint64_t chosen, self, ncand, mask;
	char *p = line + 1;

	if (!choice_field(&p, 10, INT32_MAX, &chosen) || !choice_field(&p, 10, INT32_MAX, &self))
		return false;
	if (p[0] != ' ' || !p[1] || !strchr("ywx", p[1]) || p[2] != ' ')
		return false;
	c->point = p[1];
	p += 2;
	if (!choice_field(&p, 10, UINT16_MAX, &ncand) || !choice_field(&p, 16, UINT64_MAX, &mask) ||
	    *p)
		return false;
	c->chosen = (int32_t)chosen;
	c->self = (int32_t)self;
	c->ncand = (uint16_t)ncand;
	c->mask = mask;
	return true;
}

/* "f SITE 0|1": a name of 1..127 characters, then the outcome */
static bool parse_injection(const char *line, char *name, size_t size, struct sim_choice *c)
{
	const char *site = line + 2, *outcome;
	size_t len = strcspn(site, " ");

	if (line[0] != 'f' || line[1] != ' ' || !len || len >= size || site[len] != ' ')
		return false;
	outcome = site + len + 1;
	if (strcmp(outcome, "0") && strcmp(outcome, "1"))
		return false;
	memcpy(name, site, len);
	name[len] = 0;
	c->chosen = outcome[0] - '0';
	return true;
}

static int parse_choice(struct reader *r, struct sim_schedule *s, char *line)
{
	struct sim_choice c = { .kind = line[0] };
	char name[128];

	if (c.kind == 'p') {
		if (!parse_pick(line, &c))
			return bad(r, "expected \"p CHOSEN SELF y|w|x NCAND MASK\"");
	} else if (parse_injection(line, name, sizeof(name), &c)) {
		c.site = sim_site_intern(name);
	} else {
		return bad(r, "expected \"p ...\" or \"f SITE 0|1\"");
	}
	if (s->nchoices >= s->choices_cap)
		return bad(r, "more choices than the \"choices\" line said");
	if (s->nchoices == r->choices_alloc && grow_choices(r, s))
		return -1;
	s->choices[s->nchoices++] = c;
	return 0;
}

static int set_str(struct reader *r, char *dst, size_t size, const char *v)
{
	if (strlen(v) >= size)
		return bad(r, "value too long (at most %zu bytes)", size - 1);
	strcpy(dst, v);
	return 0;
}

static int push_str(struct reader *r, char **arr, int *n, int max, const char *v)
{
	if (*n == max)
		return bad(r, "more than %d of these lines", max);
	arr[*n] = strdup(v);
	if (!arr[*n])
		return bad(r, "out of memory");
	(*n)++;
	return 0;
}

static int parse_count(struct reader *r, struct sim_schedule *s, const char *v)
{
	uint64_t n;

	if (parse_u64(r, v, &n))
		return -1;
	if (s->choices)
		return bad(r, "a second \"choices\" line");
	if (n > (1ull << 28))
		return bad(r, "too many choices (%" PRIu64 ")", n);
	s->choices = calloc(1, sizeof(*s->choices));	/* non-NULL: the line was seen */
	if (!s->choices)
		return bad(r, "out of memory");
	r->choices_alloc = 1;
	s->choices_cap = n;
	return 0;
}

static int parse_preempt(struct reader *r, struct sim_schedule *s, const char *v)
{
	enum sim_preempt p;

	if (sim_preempt_parse(v, &p))
		return bad(r, "expected \"preempt sync\" or \"preempt blocking\"");
	return set_str(r, s->preempt, sizeof(s->preempt), v);
}

/* One "key value" header line. */
static int parse_header(struct reader *r, struct sim_schedule *s, char *line)
{
	char *v = strchr(line, ' ');

	if (!v)
		return bad(r, "expected \"KEY VALUE\"");
	*v++ = 0;
	if (!strcmp(line, "version"))	/* the kvmsim that wrote it */
		return set_str(r, s->version, sizeof(s->version), v);
	if (!strcmp(line, "program"))
		return set_str(r, s->program, sizeof(s->program), v);
	if (!strcmp(line, "scenario"))
		return set_str(r, s->scenario, sizeof(s->scenario), v);
	if (!strcmp(line, "arg"))
		return push_str(r, s->args, &s->nargs, SIM_MAX_ARGS, v);
	if (!strcmp(line, "fail"))
		return push_str(r, s->fail, &s->nfail, SIM_MAX_FAIL, v);
	if (!strcmp(line, "seed"))
		return parse_u64(r, v, &s->seed);
	if (!strcmp(line, "run-seed"))
		return parse_u64(r, v, &s->run_seed);
	if (!strcmp(line, "quantum"))
		return parse_u64(r, v, &s->quantum);
	if (!strcmp(line, "max-vtime"))
		return parse_u64(r, v, &s->max_vtime);
	if (!strcmp(line, "profile"))
		return set_str(r, s->profile, sizeof(s->profile), v);
	if (!strcmp(line, "arch"))
		return set_str(r, s->arch, sizeof(s->arch), v);
	if (!strcmp(line, "preempt"))
		return parse_preempt(r, s, v);
	if (!strcmp(line, "strategy"))
		return set_str(r, s->strategy, sizeof(s->strategy), v);
	if (!strcmp(line, "oracle"))
		return set_str(r, s->oracle, sizeof(s->oracle), v);
	if (!strcmp(line, "message"))
		return set_str(r, s->message, sizeof(s->message), v);
	if (!strcmp(line, "choices"))
		return parse_count(r, s, v);
	return bad(r, "unknown key \"%s\"", line);
}

static int parse_line(struct reader *r, struct sim_schedule *s, char *line,
		      bool *ended)
{
	if (r->line == 1)
		return strcmp(line, "kvmsim-schedule 1") ?
			bad(r, "expected \"kvmsim-schedule 1\"") : 0;
	if (!line[0] || line[0] == '#')
		return 0;
	if (*ended)
		return bad(r, "text after \"end\"");
	if (!strcmp(line, "end")) {
		*ended = true;
		return 0;
	}
	if ((line[0] == 'p' || line[0] == 'f') && line[1] == ' ') {
		if (!s->choices)
			return bad(r, "a choice before the \"choices N\" line");
		return parse_choice(r, s, line);
	}
	return parse_header(r, s, line);
}

int sim_schedule_read(struct sim_schedule *s, const char *path, char *err,
		      size_t errlen)
{
	struct reader r = { .path = path, .err = err, .errlen = errlen };
	char buf[8192];
	bool ended = false;
	int ret = 0;
	FILE *f;

	memset(s, 0, sizeof(*s));
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (!ret && fgets(buf, sizeof(buf), f)) {
		size_t len = strlen(buf);

		r.line++;
		if (len && buf[len - 1] == '\n')
			buf[--len] = 0;
		else if (!feof(f))
			ret = bad(&r, "line longer than %zu bytes", sizeof(buf) - 2);
		if (!ret)
			ret = parse_line(&r, s, buf, &ended);
	}
	fclose(f);
	r.line++;
	if (!ret && r.line == 1)
		ret = bad(&r, "empty file, expected \"kvmsim-schedule 1\"");
	if (!ret && !s->program[0])
		ret = bad(&r, "no \"program\" line");
	if (!ret && !ended)
		ret = bad(&r, "expected \"end\" (file cut short?)");
	if (!ret && s->nchoices != s->choices_cap)
		ret = bad(&r, "\"choices %" PRIu64 "\" but %" PRIu64 " choice lines",
			  s->choices_cap, s->nchoices);
	if (ret)
		sim_schedule_free(s);
	return ret;
}

void sim_schedule_free(struct sim_schedule *s)
{
	for (int i = 0; i < s->nargs; i++)
		free(s->args[i]);
	for (int i = 0; i < s->nfail; i++)
		free(s->fail[i]);
	free(s->choices);
	s->choices = NULL;
	s->nargs = s->nfail = 0;
	s->nchoices = s->choices_cap = 0;
}
