// SPDX-License-Identifier: MIT
/*
 * kvmsim run [options] SCENARIO [-- ARGS]: run a scenario (under kvmsim,
 * or natively with --native) and check it against its manifest: exit
 * status, stdout lines in order, the oracle verdict and observables.
 * --format tap reports each check as a kselftest-style TAP line.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/compare.h"

struct report {
	bool tap;
	int n, failures;
};

static void check(struct report *r, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void check(struct report *r, bool ok, const char *fmt, ...)
{
	va_list ap;

	r->n++;
	r->failures += !ok;
	if (!r->tap && ok)
		return;
	if (r->tap)
		printf("%s %d - ", ok ? "ok" : "not ok", r->n);
	else
		fprintf(stderr, "kvmsim: FAIL: ");
	va_start(ap, fmt);
	vfprintf(r->tap ? stdout : stderr, fmt, ap);
	va_end(ap);
	fputc('\n', r->tap ? stdout : stderr);
}

static bool has_line(const char *text, const char *line)
{
	size_t l = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && (p[l] == '\n' || !p[l]))
			return true;
	return false;
}

/* Every expected line must appear, as a whole line, in order. */
static void check_expectations(struct report *r, const struct manifest *m, char *out,
			       int status)
{
	char *pos = out;

	check(r, status == m->expect_status, "exit status %d, manifest expects %d", status,
	      m->expect_status);
	for (int i = 0; i < m->nr_expect; i++) {
		size_t l = strlen(m->expect_stdout[i]);
		char *p = pos;

		for (; (p = strstr(p, m->expect_stdout[i])); p++)
			if ((p == out || p[-1] == '\n') && (p[l] == '\n' || !p[l]))
				break;
		check(r, p, "stdout line (in order): %s", m->expect_stdout[i]);
		if (p)
			pos = p + l;
	}
}

/* expect-oracle and expect-observe against the run's observables. */
static void check_observed(struct report *r, const struct manifest *m, const char *obs)
{
	char line[1100];

	if (m->expect_oracle[0]) {
		const char *o = strstr(obs, "oracle\t");
		size_t l = o ? strcspn(o + 7, "\n") : 0;
		bool none = !strcmp(m->expect_oracle, "none");
		bool ok = none ? !o : o && l == strlen(m->expect_oracle) &&
				      !strncmp(o + 7, m->expect_oracle, l);

		check(r, ok, "oracle verdict %.*s, manifest expects %s", o ? (int)l : 4,
		      o ? o + 7 : "none", m->expect_oracle);
	}
	for (int i = 0; i < m->nr_observe; i++) {
		const char *eq = strstr(m->expect_observe[i], " = ");

		snprintf(line, sizeof(line), "%.*s\t%s", (int)(eq - m->expect_observe[i]),
			 m->expect_observe[i], eq + 3);
		check(r, has_line(obs, line), "observable %s", m->expect_observe[i]);
	}
}

/* TAP: the program's output as comments, before the results. */
static void tap_comment(const char *out)
{
	for (const char *p = out; *p;) {
		size_t l = strcspn(p, "\n");

		printf("# %.*s\n", (int)l, p);
		p += l + (p[l] == '\n');
	}
}

int cmd_run(const struct cli_cmd *cmd, int argc, char **argv)
{
	char *out = NULL, *obs = NULL, *spec, **prog, verdict[PATH_MAX + 128];
	struct report r = { 0 };
	struct scenario s;
	struct manifest m;
	struct cli_args a;
	int status;

	cli_parse(cmd, argc, argv, &a);
	if (!a.npos)
		cli_usage_error(cmd, "no scenario given");
	if (a.npos > 1)
		cli_usage_error(cmd, "unexpected argument '%s' (arguments for the scenario "
				"go after --)", a.pos[1]);
	r.tap = a.format && !strcmp(a.format, "tap");
	scenario_resolve(a.pos[0], &s);
#ifndef __aarch64__
	if (a.native && s.arm64) {
		fprintf(stderr, "kvmsim: %s: --native runs on this host's /dev/kvm, which is "
			"not arm64\n", s.name);
		return KVMSIM_EXIT_USAGE;
	}
#endif
	if (load_manifest(s.manifest, &m, NULL))
		return KVMSIM_EXIT_USAGE;
	spec = strdup(getenv("KVMSIM_PROFILE") ? getenv("KVMSIM_PROFILE") :
		      m.profile[0] ? m.profile : "upstream");
	free_manifest(&m);
	/* natively only the plain lines apply: they describe upstream */
	if (load_manifest(s.manifest, &m, a.native ? NULL : spec))
		return KVMSIM_EXIT_USAGE;
	if (a.native)
		setenv("KVMSIM", "off", 1);
	else
		setup_preload();
	if (a.report && !a.native)
		report_setup(a.report, true);
	if (r.tap)
		printf("TAP version 13\n");
	prog = scenario_argv(s.bin, &a);
	status = run_scenario(prog, a.native ? NULL : spec, !r.tap, false, &out, &obs);
	free(prog);
	if (status < 0) {
		fprintf(stderr, "kvmsim: cannot run %s\n", s.bin);
		return KVMSIM_EXIT_USAGE;
	}
	if (r.tap) {
		tap_comment(out);
		printf("1..%d\n", 1 + m.nr_expect + (a.native ? 0 :
			!!m.expect_oracle[0] + m.nr_observe));
	}
	check_expectations(&r, &m, out, status);
	if (!a.native)
		check_observed(&r, &m, obs);
	free_manifest(&m);
	snprintf(verdict, sizeof(verdict), "%s: %s its manifest (%s%s%s)", s.name,
		 r.failures ? "does NOT meet" : "meets", a.native ? "native" : "kvmsim",
		 a.native ? "" : ", profile ", a.native ? "" : spec);
	fprintf(r.tap ? stdout : stderr, "%s%s\n", r.tap ? "# " : "kvmsim: ", verdict);
	if (a.report && !a.native && report_write(s.name, verdict, NULL))
		r.failures = -1;
	free(out);
	free(obs);
	free(spec);
	if (r.failures < 0)
		return KVMSIM_EXIT_USAGE;
	return r.failures ? KVMSIM_EXIT_FAIL : KVMSIM_EXIT_OK;
}
