// SPDX-License-Identifier: MIT
/*
 * The kvmsim command.
 *
 *   kvmsim list
 *   kvmsim run SCENARIO [options] [-- ARGS]
 *   kvmsim exec [options] -- PROGRAM ARGS
 *   kvmsim explore [options] (SCENARIO | -- PROGRAM ARGS)
 *   kvmsim replay [options] FILE.schedule
 *   kvmsim shrink [options] FILE.schedule
 *
 * Options become KVMSIM_* environment variables read by libkvmsim.so in
 * the program (see README, "Environment").  kvmsim's own messages go to
 * stderr: under exec, the program's stdout is its own.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvm-model/fault_inject.h"
#include "kvm-model/profile.h"
#include "sim/schedule.h"
#include "sim/sim.h"

#ifndef KVMSIM_SCENARIO_BIN_DIR
#define KVMSIM_SCENARIO_BIN_DIR "scenarios"
#endif
#ifndef KVMSIM_SCENARIO_SRC_DIR
#define KVMSIM_SCENARIO_SRC_DIR "scenarios"
#endif

#define MAX_EXPECT 64

/*
 * A scenario's manifest, as it applies under one profile spec: a key
 * written KEY@SPEC counts only when the run's profile is exactly SPEC
 * (and overrides the plain KEY for expect-status and expect-oracle).
 */
struct manifest {
	char description[256];
	char arch[32];
	char profile[64];		/* default profile */
	char profiles[512];		/* the profiles its tests run under */
	const char *spec;		/* the profile this view is for */
	int expect_status;
	bool status_specific;
	char expect_oracle[64];		/* "none", or an oracle name */
	bool oracle_specific;
	char *expect_stdout[MAX_EXPECT];
	int nr_expect;
	char *expect_observe[MAX_EXPECT];	/* "KEY = VALUE" */
	int nr_observe;
	/* plain lines until the first KEY@SPEC line of that key replaces them */
	bool stdout_specific, observe_specific;
	bool native;				/* "native: no" turns it off */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kvmsim list\n"
		"       kvmsim run SCENARIO [options] [-- ARGS]\n"
		"       kvmsim exec [options] -- PROGRAM [ARGS]\n"
		"       kvmsim explore [options] (SCENARIO | -- PROGRAM [ARGS])\n"
		"       kvmsim replay [options] FILE.schedule\n"
		"       kvmsim shrink [options] FILE.schedule\n"
		"       kvmsim profiles\n"
		"       kvmsim compare SCENARIO [--profile SPEC]... [--format table|json] [options]\n"
		"options:\n"
		"  --seed N        run seed (default 0)\n"
		"  --trace FILE    write the trace as JSON Lines\n"
		"  --explain[=F]   narrate the fault path (stderr, or file F)\n"
		"  --hash          print the trace hash on stderr at exit\n"
		"  --stats         print per-VM fault-path counters on stderr at exit\n"
		"  --quantum N     guest instructions per scheduling quantum\n"
		"  --arch ARCH     x86_64 (default) or arm64: the /dev/kvm the program sees\n"
		"  --native        run: use the real /dev/kvm (KVMSIM=off)\n"
		"  --fail SPEC     fault injection: SITE, SITE:N (N-th hit) or SITE:P\n"
		"                  (each hit with probability P); sites: %s\n"
		"  --timeline F    write a Chrome trace-event timeline (Perfetto)\n"
		"  --cost          virtual-time cost model (contention, wakeups, exits)\n"
		"  --profile SPEC  KVM rules: PROFILE[+RULE|+no-RULE]... (kvmsim profiles)\n"
		"explore options:\n"
		"  --strategy S    random | pct | bounded (default random)\n"
		"  --depth D       pct: priority change points + 1 (default 3)\n"
		"  --preemptions B bounded: at most B preemptions (default 2)\n"
		"  --runs N        run budget (default 1000)\n"
		"  --jobs N        parallel processes (results do not depend on N)\n"
		"  --max-choices N per-run decision budget (default 1000000)\n"
		"  --max-starve N  per-run budget: decisions in a row an actor may be\n"
		"                  runnable and not run (default 10000, 0: none)\n"
		"  --preempt G     sync (every synchronization operation is a scheduling\n"
		"                  point; explore's default) or blocking (run's default)\n"
		"  --out DIR       where failing schedules are saved (default .)\n",
		KVMSIM_FAIL_SITES_TEXT);
}

static const char *self_dir(void)
{
	static char dir[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);

	if (n <= 0)
		return ".";
	dir[n] = 0;
	return dirname(dir);
}

static const char *const fail_sites[] = { KVMSIM_FAIL_SITES };

static void add_fail(const char *spec)
{
	const char *old = getenv("KVMSIM_FAIL");
	size_t len = strcspn(spec, ":");
	char both[1024];
	bool known = false;

	for (size_t k = 0; k < sizeof(fail_sites) / sizeof(fail_sites[0]); k++)
		known |= strlen(fail_sites[k]) == len && !strncmp(fail_sites[k], spec, len);
	if (!known) {
		fprintf(stderr, "kvmsim: --fail %s: unknown site (sites: %s)\n", spec,
			KVMSIM_FAIL_SITES_TEXT);
		exit(2);
	}
	snprintf(both, sizeof(both), "%s%s%s", old ? old : "", old ? "," : "", spec);
	setenv("KVMSIM_FAIL", both, 1);
}

static const char *out_dir = ".";

/* Options that take a value and become one environment variable. */
static bool env_option(int argc, char **argv, int *i)
{
	static const struct { const char *opt, *env; } map[] = {
		{ "--seed", "KVMSIM_SEED" }, { "--trace", "KVMSIM_TRACE" },
		{ "--quantum", "KVMSIM_QUANTUM" }, { "--timeline", "KVMSIM_TIMELINE" },
		{ "--strategy", "KVMSIM_STRATEGY" }, { "--depth", "KVMSIM_DEPTH" },
		{ "--preemptions", "KVMSIM_PREEMPTIONS" }, { "--runs", "KVMSIM_RUNS" },
		{ "--jobs", "KVMSIM_JOBS" }, { "--max-choices", "KVMSIM_MAX_CHOICES" },
		{ "--profile", "KVMSIM_PROFILE" }, { "--preempt", "KVMSIM_PREEMPT" },
		{ "--max-starve", "KVMSIM_MAX_STARVE" },
	};

	for (size_t k = 0; k < sizeof(map) / sizeof(map[0]); k++) {
		if (strcmp(argv[*i], map[k].opt))
			continue;
		if (*i + 1 >= argc) {
			fprintf(stderr, "kvmsim: %s needs a value\n", argv[*i]);
			exit(2);
		}
		setenv(map[k].env, argv[++*i], 1);
		return true;
	}
	return false;
}

static void check_values(void)
{
	const char *s = getenv("KVMSIM_STRATEGY"), *p = getenv("KVMSIM_PROFILE");

	const char *g = getenv("KVMSIM_PREEMPT");
	enum sim_preempt gran;

	if (g && sim_preempt_parse(g, &gran)) {
		fprintf(stderr, "kvmsim: --preempt %s: expected sync or blocking\n", g);
		exit(2);
	}
	if (s && strcmp(s, "random") && strcmp(s, "pct") && strcmp(s, "bounded")) {
		fprintf(stderr, "kvmsim: --strategy %s: expected random, pct or bounded\n", s);
		exit(2);
	}
	if (p) {
		uint64_t rules;
		char err[256];

		if (kvm_profile_parse(p, &rules, err, sizeof(err))) {
			fprintf(stderr, "kvmsim: --profile %s: %s\n", p, err);
			exit(2);
		}
	}
	for (const char *const *n = (const char *const[]){ "KVMSIM_DEPTH", "KVMSIM_RUNS",
			"KVMSIM_JOBS", "KVMSIM_PREEMPTIONS", "KVMSIM_MAX_CHOICES", "KVMSIM_MAX_STARVE",
			"KVMSIM_SEED", "KVMSIM_QUANTUM", NULL }; *n; n++) {
		const char *v = getenv(*n);
		char *end;

		if (!v)
			continue;
		strtoull(v, &end, 0);
		if (!*v || *end || *v == '-') {
			fprintf(stderr, "kvmsim: %s=%s: expected an unsigned number\n", *n, v);
			exit(2);
		}
	}
	if (getenv("KVMSIM_JOBS") && !strtoull(getenv("KVMSIM_JOBS"), NULL, 0)) {
		fprintf(stderr, "kvmsim: --jobs must be at least 1\n");
		exit(2);
	}
}

/* Parse common options; returns the index of the first non-option. */
static int parse_options(int argc, char **argv, int i, bool *native)
{
	for (; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--"))
			break;
		if (env_option(argc, argv, &i))
			continue;
		if (!strcmp(a, "--fail") && i + 1 < argc) {
			add_fail(argv[++i]);
			continue;
		}
		if (!strcmp(a, "--out") && i + 1 < argc) {
			out_dir = argv[++i];
			continue;
		}
		if (!strcmp(a, "--explain")) {
			setenv("KVMSIM_EXPLAIN", "1", 1);
		} else if (!strncmp(a, "--explain=", 10)) {
			setenv("KVMSIM_EXPLAIN", a + 10, 1);
		} else if (!strcmp(a, "--hash")) {
			setenv("KVMSIM_HASH", "1", 1);
		} else if (!strcmp(a, "--stats")) {
			setenv("KVMSIM_STATS", "1", 1);
		} else if (!strcmp(a, "--cost")) {
			setenv("KVMSIM_COST", "1", 1);
		} else if (!strcmp(a, "--arch") && i + 1 < argc) {
			if (strcmp(argv[++i], "x86_64") && strcmp(argv[i], "arm64")) {
				fprintf(stderr, "kvmsim: --arch %s: x86_64 or arm64\n",
					argv[i]);
				exit(2);
			}
			setenv("KVMSIM_ARCH", argv[i], 1);
		} else if (!strcmp(a, "--native") && native) {
			*native = true;
		} else if (a[0] == '-') {
			fprintf(stderr, "kvmsim: unknown option %s\n", a);
			usage(stderr);
			exit(2);
		} else {
			break;
		}
	}
	check_values();
	return i;
}

/*
 * Under the Asan build type libkvmsim.so needs the sanitizer runtimes,
 * but it must come FIRST: libasan intercepts pthread_create, read,
 * poll... and its interceptors would reach the real libc (a real thread)
 * past ours.  ASan's check that it comes first is then turned off.
 */
static void setup_sanitizer_env(void)
{
#ifdef KVMSIM_SANITIZER_PRELOAD
	const char *old = getenv("ASAN_OPTIONS");
	char opts[1024];

	/*
	 * LeakSanitizer does not see pointers kept only on fiber stacks, and
	 * its exit-time check stops the world from inside a run that has
	 * already ended: off unless asked for.
	 */
	snprintf(opts, sizeof(opts), "%s%sverify_asan_link_order=0%s", old ? old : "",
		 old && *old ? ":" : "",
		 old && strstr(old, "detect_leaks") ? "" : ":detect_leaks=0");
	setenv("ASAN_OPTIONS", opts, 1);
#endif
}

static void setup_preload(void)
{
	char lib[PATH_MAX];
	const char *old = getenv("LD_PRELOAD");

	snprintf(lib, sizeof(lib), "%s/libkvmsim.so", self_dir());
	if (access(lib, R_OK)) {
		fprintf(stderr, "kvmsim: %s not found\n", lib);
		exit(2);
	}
#ifdef KVMSIM_SANITIZER_PRELOAD
	snprintf(lib + strlen(lib), sizeof(lib) - strlen(lib), ":%s", KVMSIM_SANITIZER_PRELOAD);
#endif
	setup_sanitizer_env();
	if (old && *old) {
		char both[2 * PATH_MAX];

		snprintf(both, sizeof(both), "%s:%s", lib, old);
		setenv("LD_PRELOAD", both, 1);
	} else {
		setenv("LD_PRELOAD", lib, 1);
	}
}

static int cmd_exec(int argc, char **argv)
{
	int i = parse_options(argc, argv, 2, NULL);

	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	setup_preload();
	execvp(argv[i], &argv[i]);
	fprintf(stderr, "kvmsim: cannot execute %s: %s\n", argv[i], strerror(errno));
	return 127;
}

/* ---- manifests ---- */

static int manifest_error(const char *path, int line, const char *what)
{
	fprintf(stderr, "%s:%d: %s\n", path, line, what);
	return -1;
}

static int add_line(char **list, int *nr, bool *list_specific, bool specific,
		    const char *path, int ln, const char *val)
{
	if (specific && !*list_specific) {
		/* the profile's own lines replace the plain ones */
		while (*nr)
			free(list[--*nr]);
		*list_specific = true;
	}
	/* "KEY@SPEC:" with nothing after it: no lines for that profile */
	if ((!specific && *list_specific) || !*val)
		return 0;
	if (*nr == MAX_EXPECT)
		return manifest_error(path, ln, "too many expect-stdout/expect-observe lines");
	list[(*nr)++] = strdup(val);
	return 0;
}

static int manifest_line(struct manifest *m, const char *path, int ln, char *key,
			 char *val)
{
	char *at = strchr(key, '@');
	bool specific = at != NULL;

	if (at) {
		*at = 0;
		if (!m->spec || strcmp(at + 1, m->spec))
			return 0;	/* for another profile */
	}
	if (!strcmp(key, "description"))
		snprintf(m->description, sizeof(m->description), "%s", val);
	else if (!strcmp(key, "arch"))
		snprintf(m->arch, sizeof(m->arch), "%s", val);
	else if (!strcmp(key, "profile"))
		snprintf(m->profile, sizeof(m->profile), "%s", val);
	else if (!strcmp(key, "profiles"))
		snprintf(m->profiles, sizeof(m->profiles), "%s", val);
	else if (!strcmp(key, "expect-status")) {
		char *end;
		long v = strtol(val, &end, 10);

		if (!*val || *end)
			return manifest_error(path, ln, "expected an integer after 'expect-status:'");
		if (specific || !m->status_specific)
			m->expect_status = v;
		m->status_specific |= specific;
	} else if (!strcmp(key, "expect-oracle")) {
		if (specific || !m->oracle_specific)
			snprintf(m->expect_oracle, sizeof(m->expect_oracle), "%s", val);
		m->oracle_specific |= specific;
	} else if (!strcmp(key, "expect-stdout")) {
		return add_line(m->expect_stdout, &m->nr_expect, &m->stdout_specific, specific,
				path, ln, val);
	} else if (!strcmp(key, "expect-observe")) {
		if (!strstr(val, " = "))
			return manifest_error(path, ln, "expected 'expect-observe: KEY = VALUE'");
		return add_line(m->expect_observe, &m->nr_observe, &m->observe_specific,
				specific, path, ln, val);
	} else if (!strcmp(key, "native")) {
		if (strcmp(val, "yes") && strcmp(val, "no"))
			return manifest_error(path, ln, "expected 'native: yes' or 'native: no'");
		m->native = !strcmp(val, "yes");
	} else {
		return manifest_error(path, ln, "expected one of description, arch, profile, profiles, "
				      "expect-status, expect-oracle, expect-stdout, expect-observe, native "
				      "(optionally KEY@PROFILE)");
	}
	return 0;
}

static void free_manifest(struct manifest *m)
{
	for (int k = 0; k < m->nr_expect; k++)
		free(m->expect_stdout[k]);
	for (int k = 0; k < m->nr_observe; k++)
		free(m->expect_observe[k]);
}

static int load_manifest(const char *path, struct manifest *m, const char *spec)
{
	FILE *f = fopen(path, "re");
	char buf[1024];
	int ln = 0, r = 0;

	memset(m, 0, sizeof(*m));
	m->spec = spec;
	m->native = true;
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	while (!r && fgets(buf, sizeof(buf), f)) {
		char *colon, *val;

		ln++;
		buf[strcspn(buf, "\n")] = 0;
		if (!buf[0] || buf[0] == '#')
			continue;
		colon = strchr(buf, ':');
		if (!colon) {
			r = manifest_error(path, ln, "expected 'key: value'");
			break;
		}
		*colon = 0;
		for (val = colon + 1; *val == ' '; val++)
			;
		r = manifest_line(m, path, ln, buf, val);
	}
	fclose(f);
	return r;
}

/* Every profile with its rules, then every rule: one line each. */
static int cmd_profiles(void)
{
	printf("profiles (--profile NAME[+RULE|+no-RULE]...):\n");
	for (size_t k = 0; k < kvm_nr_profiles; k++) {
		printf("  %-18s %s\n", kvm_profiles[k].name, kvm_profiles[k].text);
		printf("  %-18s rules:", "");
		if (!kvm_profiles[k].rules)
			printf(" (none)");
		for (int r = 0; r < KVM_NR_RULES; r++)
			if (kvm_rule_bit(kvm_profiles[k].rules, r))
				printf(" %s", kvm_rules[r].name);
		printf("\n");
	}
	printf("rules:\n");
	for (int r = 0; r < KVM_NR_RULES; r++)
		printf("  %-28s %s\n", kvm_rules[r].name, kvm_rules[r].text);
	return 0;
}

/*
 * The scenario a manifest file names: NAME.manifest is NAME;
 * NAME.arm64.manifest is NAME when there is no NAME.manifest (an arm64-only
 * scenario), else NAME's arm64 variant, listed with NAME.
 */
static bool manifest_scenario(const char *file, char *name, size_t len)
{
	size_t n = strlen(file);
	char plain[PATH_MAX];

	if (n <= 9 || strcmp(file + n - 9, ".manifest"))
		return false;
	n -= 9;
	if (n > 6 && !strncmp(file + n - 6, ".arm64", 6)) {
		snprintf(plain, sizeof(plain), "%s/%.*s.manifest", KVMSIM_SCENARIO_SRC_DIR,
			 (int)(n - 6), file);
		if (!access(plain, R_OK))
			return false;
		n -= 6;
	}
	snprintf(name, len, "%.*s", (int)n, file);
	return true;
}

static int cmd_list(void)
{
	struct dirent **ents;
	int n = scandir(KVMSIM_SCENARIO_SRC_DIR, &ents, NULL, alphasort);

	if (n < 0) {
		fprintf(stderr, "kvmsim: %s: %s\n", KVMSIM_SCENARIO_SRC_DIR, strerror(errno));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX], arm64[PATH_MAX], name[256];
		struct manifest m;

		if (manifest_scenario(ents[i]->d_name, name, sizeof(name))) {
			snprintf(path, sizeof(path), "%s/%s", KVMSIM_SCENARIO_SRC_DIR,
				 ents[i]->d_name);
			snprintf(arm64, sizeof(arm64), "%s/%s.arm64.manifest",
				 KVMSIM_SCENARIO_SRC_DIR, name);
			if (!load_manifest(path, &m, NULL)) {
				bool both = strcmp(path, arm64) && !access(arm64, R_OK);

				printf("%-20s %-14s %s\n", name, both ? "x86_64,arm64" : m.arch,
				       m.description);
				free_manifest(&m);
			}
		}
		free(ents[i]);
	}
	free(ents);
	return 0;
}

/* Run the scenario with its stdout through a pipe: echo it and keep it. */
static bool quiet_children;	/* compare: the verdicts are in the table */

static int run_capture(char **argv, char **out, size_t *out_len, bool echo)
{
	int fds[2], status;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	pid_t pid;
	ssize_t n;

	if (!buf || pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		if (quiet_children) {
			int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

			if (null >= 0)
				dup2(null, 2);
		}
		execv(argv[0], argv);
		fprintf(stderr, "kvmsim: cannot execute %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf + len, cap - len - 1)) > 0) {
		if (echo)
			fwrite(buf + len, 1, n, stdout);
		len += n;
		if (cap - len < 1024)
			buf = realloc(buf, cap *= 2);
	}
	close(fds[0]);
	fflush(stdout);
	buf[len] = 0;
	*out = buf;
	*out_len = len;
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Every expected line must appear, as a whole line, in order. */
static int check_expectations(const struct manifest *m, char *out, int status)
{
	char *pos = out;
	int failures = 0;

	if (status != m->expect_status) {
		fprintf(stderr, "kvmsim: FAIL: exit status %d, manifest expects %d\n",
			status, m->expect_status);
		failures++;
	}
	for (int i = 0; i < m->nr_expect; i++) {
		size_t l = strlen(m->expect_stdout[i]);
		char *p = pos;

		for (; (p = strstr(p, m->expect_stdout[i])); p++)
			if ((p == out || p[-1] == '\n') && (p[l] == '\n' || !p[l]))
				break;
		if (!p) {
			fprintf(stderr, "kvmsim: FAIL: expected line not printed (in order): %s\n",
				m->expect_stdout[i]);
			failures++;
			continue;
		}
		pos = p + l;
	}
	return failures;
}

/* The observables file as one string ("" if the run wrote none). */
static char *read_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return strdup("");
	if (getdelim(&buf, &len, 0, f) < 0) {
		free(buf);
		buf = strdup("");
	}
	fclose(f);
	return buf;
}

static bool has_line(const char *text, const char *line)
{
	size_t l = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && (p[l] == '\n' || !p[l]))
			return true;
	return false;
}

/* expect-oracle and expect-observe against the run's observables. */
static int check_observed(const struct manifest *m, const char *obs)
{
	char line[1100];
	int failures = 0;

	if (m->expect_oracle[0]) {
		const char *o = strstr(obs, "oracle\t");
		size_t l = o ? strcspn(o + 7, "\n") : 0;
		bool none = !strcmp(m->expect_oracle, "none");

		if (none ? o != NULL : !o || l != strlen(m->expect_oracle) ||
		    strncmp(o + 7, m->expect_oracle, l)) {
			fprintf(stderr, "kvmsim: FAIL: oracle verdict %.*s, manifest expects %s\n",
				o ? (int)l : 4, o ? o + 7 : "none", m->expect_oracle);
			failures++;
		}
	}
	for (int i = 0; i < m->nr_observe; i++) {
		const char *eq = strstr(m->expect_observe[i], " = ");

		snprintf(line, sizeof(line), "%.*s\t%s", (int)(eq - m->expect_observe[i]),
			 m->expect_observe[i], eq + 3);
		if (!has_line(obs, line)) {
			fprintf(stderr, "kvmsim: FAIL: expected observable not seen: %s\n",
				m->expect_observe[i]);
			failures++;
		}
	}
	return failures;
}

/*
 * Run a scenario's program under SPEC (NULL: natively) with its
 * observables in a temporary file.  Returns the exit status, or -1.
 */
static int run_scenario(char **argv, const char *spec, bool echo, char **out, char **obs)
{
	char tmpl[] = "/tmp/kvmsim-observe-XXXXXX";
	int fd = -1, status;
	size_t len;

	if (spec) {
		fd = mkstemp(tmpl);
		if (fd < 0)
			return -1;
		close(fd);
		setenv("KVMSIM_OBSERVE", tmpl, 1);
		setenv("KVMSIM_PROFILE", spec, 1);
	}
	status = run_capture(argv, out, &len, echo);
	*obs = spec ? read_file(tmpl) : strdup("");
	if (spec)
		unlink(tmpl);
	unsetenv("KVMSIM_OBSERVE");
	return status;
}

static bool arch_is_arm64(void)
{
	const char *arch = getenv("KVMSIM_ARCH");

	return arch && !strcmp(arch, "arm64");
}

/*
 * --arch arm64: the scenario built against the arm64 uAPI
 * (scenarios/arm64/NAME) and NAME.arm64.manifest when the exits differ
 * by architecture (MMIO ucalls, no HLT exit), else NAME.manifest.
 */
static void scenario_paths(const char *name, char *manifest, char *bin)
{
	char plain[PATH_MAX];

	/* an arm64-only scenario (NAME.arm64.manifest alone) runs as arm64 */
	snprintf(plain, sizeof(plain), "%s/%s.manifest", KVMSIM_SCENARIO_SRC_DIR, name);
	snprintf(manifest, PATH_MAX, "%s/%s.arm64.manifest", KVMSIM_SCENARIO_SRC_DIR, name);
	if (access(plain, R_OK) && !access(manifest, R_OK))
		setenv("KVMSIM_ARCH", "arm64", 1);
	if (arch_is_arm64()) {
		snprintf(manifest, PATH_MAX, "%s/%s.arm64.manifest", KVMSIM_SCENARIO_SRC_DIR,
			 name);
		if (access(manifest, R_OK))
			snprintf(manifest, PATH_MAX, "%s/%s.manifest", KVMSIM_SCENARIO_SRC_DIR,
				 name);
		snprintf(bin, PATH_MAX, "%s/arm64/%s", KVMSIM_SCENARIO_BIN_DIR, name);
		return;
	}
	snprintf(manifest, PATH_MAX, "%s/%s.manifest", KVMSIM_SCENARIO_SRC_DIR, name);
	snprintf(bin, PATH_MAX, "%s/%s", KVMSIM_SCENARIO_BIN_DIR, name);
}

/* --arch decides which binary and manifest a scenario name means: early */
static void scan_arch(int argc, char **argv)
{
	for (int i = 2; i + 1 < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--arch"))
			setenv("KVMSIM_ARCH", argv[i + 1], 1);
}

static int cmd_run(int argc, char **argv)
{
	bool native = false;
	char bin[PATH_MAX], manifest_path[PATH_MAX], *out = NULL, *obs = NULL;
	const char *name, *spec;
	struct manifest m;
	int i, status, failures;

	if (argc < 3 || argv[2][0] == '-') {
		usage(stderr);
		return 2;
	}
	name = argv[2];
	scenario_paths(name, manifest_path, bin);
	if (load_manifest(manifest_path, &m, NULL))
		return 2;
	free_manifest(&m);
	i = parse_options(argc, argv, 3, &native);
	if (i < argc && !strcmp(argv[i], "--"))
		i++;
#ifndef __aarch64__
	if (native && arch_is_arm64()) {
		fprintf(stderr, "kvmsim: %s: --native runs on this host's /dev/kvm, which is "
			"not arm64\n", name);
		return 2;
	}
#endif
	spec = getenv("KVMSIM_PROFILE");
	if (!spec)
		spec = m.profile[0] ? m.profile : "upstream";
	spec = strdup(spec);
	/* natively only the plain lines apply: they describe upstream */
	if (load_manifest(manifest_path, &m, native ? NULL : spec))
		return 2;
	if (native)
		setenv("KVMSIM", "off", 1);
	else
		setup_preload();
	argv[i - 1] = bin;
	status = run_scenario(&argv[i - 1], native ? NULL : spec, true, &out, &obs);
	if (status < 0) {
		fprintf(stderr, "kvmsim: cannot run %s\n", bin);
		return 2;
	}
	failures = check_expectations(&m, out, status);
	if (!native)
		failures += check_observed(&m, obs);
	free_manifest(&m);
	fprintf(stderr, "kvmsim: %s: %s its manifest (%s%s%s)\n", name,
		failures ? "does NOT meet" : "meets", native ? "native" : "kvmsim",
		native ? "" : ", profile ", native ? "" : spec);
	free(out);
	free(obs);
	free((char *)spec);
	return failures ? 1 : 0;
}

/* ---- compare ---- */

#define MAX_COLS	8
#define MAX_ROWS	256

struct compare_table {
	int ncols;
	const char *spec[MAX_COLS];
	int nrows;
	char *key[MAX_ROWS];
	char *val[MAX_ROWS][MAX_COLS];
	bool oracle_row[MAX_ROWS];
};

static int table_row(struct compare_table *t, const char *key, bool oracle)
{
	for (int r = 0; r < t->nrows; r++)
		if (!strcmp(t->key[r], key))
			return r;
	if (t->nrows == MAX_ROWS)
		return -1;
	t->key[t->nrows] = strdup(key);
	t->oracle_row[t->nrows] = oracle;
	return t->nrows++;
}

static void table_set(struct compare_table *t, int col, const char *key, const char *val,
		      bool oracle)
{
	int r = table_row(t, key, oracle);

	if (r < 0)
		return;
	free(t->val[r][col]);
	t->val[r][col] = strdup(val);
}

/* One column: the exit status, then the observables in the order written. */
static void table_column(struct compare_table *t, int col, int status, char *obs)
{
	char buf[32], *save, *line;

	snprintf(buf, sizeof(buf), "%d", status);
	table_set(t, col, "exit status", buf, false);
	for (line = strtok_r(obs, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *tab = strchr(line, '\t'), key[128];

		if (!tab)
			continue;
		*tab = 0;
		if (!strcmp(line, "oracle")) {
			snprintf(key, sizeof(key), "oracle %s", tab + 1);
			table_set(t, col, key, "FAIL", true);
		} else {
			table_set(t, col, line, tab + 1, false);
		}
	}
}

static const char *table_val(const struct compare_table *t, int r, int c)
{
	return t->val[r][c] ? t->val[r][c] : t->oracle_row[r] ? "pass" : "-";
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++)
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else
			putchar(*s);
	putchar('"');
}

/*
 * Row order: the exit status, each vCPU's runs in order, the oracles,
 * then the counters; first-seen order inside a group.
 */
static int row_rank(const char *key, long *vcpu, long *run)
{
	const char *hash = strchr(key, '#');

	*vcpu = *run = 0;
	if (!strcmp(key, "exit status"))
		return 0;
	if (!strncmp(key, "vcpu", 4)) {
		*vcpu = strtol(key + 4, NULL, 10);
		*run = hash ? strtol(hash + 1, NULL, 10) : 0;
		return 1;
	}
	if (!strncmp(key, "oracle ", 7))
		return 2;
	return 3;
}

static void sort_rows(struct compare_table *t)
{
	for (int i = 1; i < t->nrows; i++) {
		for (int j = i; j > 0; j--) {
			long va, ra, vb, rb;
			int a = row_rank(t->key[j - 1], &va, &ra);
			int b = row_rank(t->key[j], &vb, &rb);

			if (a < b || (a == b && (va < vb || (va == vb && ra <= rb))))
				break;
			char *k = t->key[j];
			bool o = t->oracle_row[j];
			char *v[MAX_COLS];

			memcpy(v, t->val[j], sizeof(v));
			t->key[j] = t->key[j - 1];
			t->oracle_row[j] = t->oracle_row[j - 1];
			memcpy(t->val[j], t->val[j - 1], sizeof(v));
			t->key[j - 1] = k;
			t->oracle_row[j - 1] = o;
			memcpy(t->val[j - 1], v, sizeof(v));
		}
	}
}

static void print_table(struct compare_table *t, const char *name, bool json)
{
	int w[MAX_COLS], kw = 18;

	sort_rows(t);
	for (int r = 0; r < t->nrows; r++)
		if ((int)strlen(t->key[r]) > kw)
			kw = strlen(t->key[r]);
	for (int c = 0; c < t->ncols; c++) {
		w[c] = strlen(t->spec[c]);
		for (int r = 0; r < t->nrows; r++)
			if ((int)strlen(table_val(t, r, c)) > w[c])
				w[c] = strlen(table_val(t, r, c));
	}

	if (json) {
		printf("{\"scenario\":");
		json_str(name);
		printf(",\"profiles\":[");
		for (int c = 0; c < t->ncols; c++) {
			printf("%s", c ? "," : "");
			json_str(t->spec[c]);
		}
		printf("],\"rows\":[");
		for (int r = 0; r < t->nrows; r++) {
			printf("%s{\"observable\":", r ? "," : "");
			json_str(t->key[r]);
			printf(",\"values\":[");
			for (int c = 0; c < t->ncols; c++) {
				printf("%s", c ? "," : "");
				json_str(table_val(t, r, c));
			}
			printf("]}");
		}
		printf("]}\n");
		return;
	}
	/* the last column is not padded: no trailing blanks */
	w[t->ncols - 1] = 0;
	printf("%-*s", kw, "rule / observable");
	for (int c = 0; c < t->ncols; c++)
		printf("  %-*s", w[c], t->spec[c]);
	printf("\n");
	for (int r = 0; r < t->nrows; r++) {
		printf("%-*s", kw, t->key[r]);
		for (int c = 0; c < t->ncols; c++)
			printf("  %-*s", w[c], table_val(t, r, c));
		printf("\n");
	}
}

/* One --profile or --format value; -1 with a message when it is bad. */
static int compare_option(struct compare_table *t, bool prof, const char *val, bool *json)
{
	uint64_t rules;
	char err[256];

	if (!prof) {
		if (strcmp(val, "json") && strcmp(val, "table")) {
			fprintf(stderr, "kvmsim: --format %s: expected table or json\n", val);
			return -1;
		}
		*json = !strcmp(val, "json");
		return 0;
	}
	if (kvm_profile_parse(val, &rules, err, sizeof(err))) {
		fprintf(stderr, "kvmsim: --profile %s: %s\n", val, err);
		return -1;
	}
	if (t->ncols == MAX_COLS) {
		fprintf(stderr, "kvmsim: at most %d profiles\n", MAX_COLS);
		return -1;
	}
	t->spec[t->ncols++] = val;
	return 0;
}

static bool compare_has_column(const struct compare_table *t, const char *spec)
{
	for (int c = 0; c < t->ncols; c++)
		if (!strcmp(t->spec[c], spec))
			return true;
	return false;
}

/*
 * Take compare's own options (--profile, --format) out of argv, before
 * "--"; the profiles default to the manifest's "profile:" and then its
 * "profiles:".  Returns the new argc (argv stays NULL-terminated), or -1.
 */
static int compare_profiles(int argc, char **argv, struct compare_table *t,
			    const struct manifest *m, bool *json)
{
	static char list[sizeof(m->profile) + sizeof(m->profiles)];
	char *save, *tok;
	int i, k;

	for (i = k = 3; i < argc; i++) {
		bool prof = !strcmp(argv[i], "--profile"), fmt = !strcmp(argv[i], "--format");

		if (!strcmp(argv[i], "--")) {
			while (i < argc)
				argv[k++] = argv[i++];
			break;
		}
		if (!prof && !fmt) {
			argv[k++] = argv[i];
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "kvmsim: %s needs a value\n", argv[i]);
			return -1;
		}
		if (compare_option(t, prof, argv[++i], json))
			return -1;
	}
	argv[k] = NULL;
	if (t->ncols)
		return k;
	/* the baseline first: the manifest's default profile */
	snprintf(list, sizeof(list), "%s %s", m->profile[0] ? m->profile : "upstream",
		 m->profiles);
	for (tok = strtok_r(list, " ,", &save); tok && t->ncols < MAX_COLS;
	     tok = strtok_r(NULL, " ,", &save))
		if (!compare_has_column(t, tok))
			t->spec[t->ncols++] = tok;
	return k;
}

static int cmd_compare(int argc, char **argv)
{
	char bin[PATH_MAX], manifest_path[PATH_MAX];
	static struct compare_table t;
	const char *name = argv[2];
	struct manifest m;
	bool json = false;
	int i;

	if (argc < 3 || argv[2][0] == '-') {
		usage(stderr);
		return 2;
	}
	scenario_paths(argv[2], manifest_path, bin);
	if (load_manifest(manifest_path, &m, NULL))
		return 2;
	free_manifest(&m);
	argc = compare_profiles(argc, argv, &t, &m, &json);
	if (argc < 0)
		return 2;
	i = parse_options(argc, argv, 3, NULL);
	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	setup_preload();
	argv[i - 1] = bin;
	quiet_children = true;
	for (int c = 0; c < t.ncols; c++) {
		char *out, *obs;
		int status = run_scenario(&argv[i - 1], t.spec[c], false, &out, &obs);

		if (status < 0) {
			fprintf(stderr, "kvmsim: cannot run %s\n", bin);
			return 2;
		}
		table_column(&t, c, status, obs);
		free(out);
		free(obs);
	}
	print_table(&t, name, json);
	return 0;
}

/* A scenario name or "-- PROGRAM": the path to execute. */
static int resolve_target(int argc, char **argv, int i, char *bin, size_t size,
			  const char **name)
{
	if (i < argc && !strcmp(argv[i], "--")) {
		if (++i >= argc)
			return -1;
		snprintf(bin, size, "%s", argv[i]);
		*name = argv[i];
		return i;
	}
	if (i >= argc)
		return -1;
	snprintf(bin, size, "%s/%s%s", KVMSIM_SCENARIO_BIN_DIR, arch_is_arm64() ? "arm64/" : "",
		 argv[i]);
	if (access(bin, X_OK)) {
		fprintf(stderr, "kvmsim: no scenario %s (see kvmsim list)\n", argv[i]);
		exit(2);
	}
	setenv("KVMSIM_SCENARIO", argv[i], 1);
	*name = argv[i];
	/* the scenario's own profile unless --profile said otherwise */
	if (!getenv("KVMSIM_PROFILE")) {
		char manifest_path[PATH_MAX], unused[PATH_MAX];
		struct manifest m;

		scenario_paths(argv[i], manifest_path, unused);
		if (!load_manifest(manifest_path, &m, NULL)) {
			if (m.profile[0])
				setenv("KVMSIM_PROFILE", m.profile, 1);
			free_manifest(&m);
		}
	}
	return i;
}

static void exec_program(const char *bin, char **argv)
{
	setup_preload();
	argv[0] = (char *)bin;
	execvp(bin, argv);
	fprintf(stderr, "kvmsim: cannot execute %s: %s\n", bin, strerror(errno));
	exit(127);
}

static int cmd_explore(int argc, char **argv)
{
	int i = parse_options(argc, argv, 2, NULL);
	char bin[PATH_MAX], prefix[PATH_MAX * 2], *base;
	const char *name;

	i = resolve_target(argc, argv, i, bin, sizeof(bin), &name);
	if (i < 0) {
		usage(stderr);
		return 2;
	}
	base = strrchr(name, '/') ? strrchr(name, '/') + 1 : (char *)name;
	snprintf(prefix, sizeof(prefix), "%s/%s", out_dir, base);
	setenv("KVMSIM_MODE", "explore", 1);
	setenv("KVMSIM_SAVE_PREFIX", prefix, 1);
	/* a redrawn line on a terminal, else a plain line every few seconds */
	setenv("KVMSIM_PROGRESS", isatty(STDERR_FILENO) ? "1" : "2", 1);
	exec_program(bin, &argv[i]);
	return 127;
}

/* replay and shrink: everything about the run comes from the file. */
static int cmd_schedule(int argc, char **argv, const char *mode)
{
	int i = parse_options(argc, argv, 2, NULL);
	struct sim_schedule s;
	char err[600], num[32], *args[SIM_MAX_ARGS + 2];

	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	if (sim_schedule_read(&s, argv[i], err, sizeof(err))) {
		fprintf(stderr, "kvmsim: %s\n", err);
		return 2;
	}
	setenv("KVMSIM_MODE", mode, 1);
	setenv("KVMSIM_SCHEDULE", argv[i], 1);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)s.seed);
	setenv("KVMSIM_SEED", num, 1);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)s.quantum);
	if (s.quantum)
		setenv("KVMSIM_QUANTUM", num, 1);
	setenv("KVMSIM_PROFILE", s.profile, 1);
	if (s.arch[0])
		setenv("KVMSIM_ARCH", s.arch, 1);
	setenv("KVMSIM_PREEMPT", s.preempt[0] ? s.preempt : "blocking", 1);
	unsetenv("KVMSIM_FAIL");
	for (int k = 0; k < s.nfail; k++)
		add_fail(s.fail[k]);
	if (s.scenario[0])
		setenv("KVMSIM_SCENARIO", s.scenario, 1);
	for (int k = 0; k < s.nargs; k++)
		args[k + 1] = s.args[k];
	args[s.nargs + 1] = NULL;
	exec_program(s.program, args);
	return 127;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	scan_arch(argc, argv);
	if (!strcmp(argv[1], "list"))
		return cmd_list();
	if (!strcmp(argv[1], "profiles"))
		return cmd_profiles();
	if (!strcmp(argv[1], "compare"))
		return cmd_compare(argc, argv);
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc, argv);
	if (!strcmp(argv[1], "exec"))
		return cmd_exec(argc, argv);
	if (!strcmp(argv[1], "explore"))
		return cmd_explore(argc, argv);
	if (!strcmp(argv[1], "replay"))
		return cmd_schedule(argc, argv, "replay");
	if (!strcmp(argv[1], "shrink"))
		return cmd_schedule(argc, argv, "shrink");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "kvmsim: unknown command %s\n", argv[1]);
	usage(stderr);
	return 2;
}
