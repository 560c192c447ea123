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
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvm-model/fault_inject.h"
#include "sim/schedule.h"

#ifndef KVMSIM_SCENARIO_BIN_DIR
#define KVMSIM_SCENARIO_BIN_DIR "scenarios"
#endif
#ifndef KVMSIM_SCENARIO_SRC_DIR
#define KVMSIM_SCENARIO_SRC_DIR "scenarios"
#endif

#define MAX_EXPECT 64

struct manifest {
	char description[256];
	char arch[32];
	char profile[64];
	int expect_status;
	char *expect_stdout[MAX_EXPECT];
	int nr_expect;
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
		"options:\n"
		"  --seed N        run seed (default 0)\n"
		"  --trace FILE    write the trace as JSON Lines\n"
		"  --explain[=F]   narrate the fault path (stderr, or file F)\n"
		"  --hash          print the trace hash on stderr at exit\n"
		"  --stats         print per-VM fault-path counters on stderr at exit\n"
		"  --quantum N     guest instructions per scheduling quantum\n"
		"  --arch ARCH     x86_64 (the only one so far)\n"
		"  --native        run: use the real /dev/kvm (KVMSIM=off)\n"
		"  --fail SPEC     fault injection: SITE, SITE:N (N-th hit) or SITE:P\n"
		"                  (each hit with probability P); sites: %s\n"
		"  --timeline F    write a Chrome trace-event timeline (Perfetto)\n"
		"  --profile NAME  KVM rule profile (upstream)\n"
		"explore options:\n"
		"  --strategy S    random | pct | bounded (default random)\n"
		"  --depth D       pct: priority change points + 1 (default 3)\n"
		"  --preemptions B bounded: at most B preemptions (default 2)\n"
		"  --runs N        run budget (default 1000)\n"
		"  --jobs N        parallel processes (results do not depend on N)\n"
		"  --max-choices N per-run decision budget (default 1000000)\n"
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
		{ "--profile", "KVMSIM_PROFILE" },
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

	if (s && strcmp(s, "random") && strcmp(s, "pct") && strcmp(s, "bounded")) {
		fprintf(stderr, "kvmsim: --strategy %s: expected random, pct or bounded\n", s);
		exit(2);
	}
	if (p && strcmp(p, "upstream")) {
		fprintf(stderr, "kvmsim: --profile %s: unknown profile (profiles: upstream)\n", p);
		exit(2);
	}
	for (const char *const *n = (const char *const[]){ "KVMSIM_DEPTH", "KVMSIM_RUNS",
			"KVMSIM_JOBS", "KVMSIM_PREEMPTIONS", "KVMSIM_MAX_CHOICES",
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
		} else if (!strcmp(a, "--arch") && i + 1 < argc) {
			if (strcmp(argv[++i], "x86_64")) {
				fprintf(stderr, "kvmsim: --arch %s: only x86_64 is modelled\n",
					argv[i]);
				exit(2);
			}
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

static int manifest_line(struct manifest *m, const char *path, int ln, char *key,
			 char *val)
{
	if (!strcmp(key, "description"))
		snprintf(m->description, sizeof(m->description), "%s", val);
	else if (!strcmp(key, "arch"))
		snprintf(m->arch, sizeof(m->arch), "%s", val);
	else if (!strcmp(key, "profile"))
		snprintf(m->profile, sizeof(m->profile), "%s", val);
	else if (!strcmp(key, "expect-status")) {
		char *end;

		m->expect_status = strtol(val, &end, 10);
		if (!*val || *end)
			return manifest_error(path, ln, "expected an integer after 'expect-status:'");
	} else if (!strcmp(key, "expect-stdout")) {
		if (m->nr_expect == MAX_EXPECT)
			return manifest_error(path, ln, "too many 'expect-stdout' lines");
		m->expect_stdout[m->nr_expect++] = strdup(val);
	} else {
		return manifest_error(path, ln, "expected one of description, arch, profile, expect-status, expect-stdout");
	}
	return 0;
}

static int load_manifest(const char *path, struct manifest *m)
{
	FILE *f = fopen(path, "re");
	char buf[1024];
	int ln = 0, r = 0;

	memset(m, 0, sizeof(*m));
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

static int cmd_list(void)
{
	struct dirent **ents;
	int n = scandir(KVMSIM_SCENARIO_SRC_DIR, &ents, NULL, alphasort);

	if (n < 0) {
		fprintf(stderr, "kvmsim: %s: %s\n", KVMSIM_SCENARIO_SRC_DIR, strerror(errno));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		char *dot = strstr(ents[i]->d_name, ".manifest");
		char path[PATH_MAX];
		struct manifest m;

		if (dot && !dot[9]) {
			snprintf(path, sizeof(path), "%s/%s", KVMSIM_SCENARIO_SRC_DIR,
				 ents[i]->d_name);
			*dot = 0;
			if (!load_manifest(path, &m)) {
				printf("%-20s %-8s %s\n", ents[i]->d_name, m.arch,
				       m.description);
				for (int k = 0; k < m.nr_expect; k++)
					free(m.expect_stdout[k]);
			}
		}
		free(ents[i]);
	}
	free(ents);
	return 0;
}

/* Run the scenario with its stdout through a pipe: echo it and keep it. */
static int run_capture(char **argv, char **out, size_t *out_len)
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
		execv(argv[0], argv);
		fprintf(stderr, "kvmsim: cannot execute %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf + len, cap - len - 1)) > 0) {
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

static int cmd_run(int argc, char **argv)
{
	bool native = false;
	char bin[PATH_MAX], manifest_path[PATH_MAX], *out = NULL;
	struct manifest m;
	size_t out_len;
	int i, status, failures;

	const char *name;

	if (argc < 3 || argv[2][0] == '-') {
		usage(stderr);
		return 2;
	}
	name = argv[2];
	snprintf(manifest_path, sizeof(manifest_path), "%s/%s.manifest",
		 KVMSIM_SCENARIO_SRC_DIR, argv[2]);
	snprintf(bin, sizeof(bin), "%s/%s", KVMSIM_SCENARIO_BIN_DIR, argv[2]);
	if (load_manifest(manifest_path, &m))
		return 2;
	i = parse_options(argc, argv, 3, &native);
	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	if (native)
		setenv("KVMSIM", "off", 1);
	else
		setup_preload();
	argv[i - 1] = bin;
	status = run_capture(&argv[i - 1], &out, &out_len);
	if (status < 0) {
		fprintf(stderr, "kvmsim: cannot run %s\n", bin);
		return 2;
	}
	failures = check_expectations(&m, out, status);
	for (int k = 0; k < m.nr_expect; k++)
		free(m.expect_stdout[k]);
	fprintf(stderr, "kvmsim: %s: %s its manifest (%s)\n", name,
		failures ? "does NOT meet" : "meets", native ? "native" : "kvmsim");
	free(out);
	return failures ? 1 : 0;
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
	snprintf(bin, size, "%s/%s", KVMSIM_SCENARIO_BIN_DIR, argv[i]);
	if (access(bin, X_OK)) {
		fprintf(stderr, "kvmsim: no scenario %s (see kvmsim list)\n", argv[i]);
		exit(2);
	}
	setenv("KVMSIM_SCENARIO", argv[i], 1);
	*name = argv[i];
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
	if (isatty(STDERR_FILENO))
		setenv("KVMSIM_PROGRESS", "1", 1);
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
	if (!strcmp(argv[1], "list"))
		return cmd_list();
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
