// SPDX-License-Identifier: MIT
/*
 * Every option of every subcommand, in one table: getopt_long parses
 * them (options anywhere before "--", --opt=value or --opt value), the
 * help text is printed from the same table, and each subcommand takes
 * only the options whose mask names it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "kvm-model/fault_inject.h"
#include "kvm-model/profile.h"

/* the options that change what the program does, shared by its runners */
#define RUNNERS (CMD_RUN | CMD_EXEC | CMD_EXPLORE | CMD_COMPARE | CMD_STEP)
/* the options that only say what to write */
#define OUTPUTS (RUNNERS | CMD_REPLAY | CMD_SHRINK)

enum value_kind { V_NONE, V_RANGE, V_UNSIGNED, V_POSITIVE, V_OUTFILE, V_PROFILE, V_CHOICE, V_DIR, V_FAIL };

struct cli_opt {
	const char *name;
	int has_arg;
	unsigned cmds;
	const char *env;		/* set to the value (or "1") */
	enum value_kind kind;
	const char *choices;		/* V_CHOICE: "a|b|c" */
	const char *arg;		/* for the help text */
	const char *help;
};

static const struct cli_opt opts[] = {
	{ "seed", 1, RUNNERS, "KVMSIM_SEED", V_UNSIGNED, NULL, "N", "run seed (default 0)" },
	{ "profile", 1, RUNNERS & ~CMD_COMPARE, "KVMSIM_PROFILE", V_PROFILE, NULL, "SPEC",
	  "KVM rules: PROFILE[+RULE|+no-RULE]... (default: the manifest's, else upstream)" },
	{ "profile", 1, CMD_COMPARE, NULL, V_PROFILE, NULL, "SPEC",
	  "a column (repeatable; default: the manifest's profile and profiles)" },
	{ "arch", 1, RUNNERS, "KVMSIM_ARCH", V_CHOICE, "x86_64|arm64", "ARCH",
	  "the /dev/kvm the program sees: x86_64 or arm64 (default: the scenario's)" },
	{ "trace", 1, OUTPUTS, "KVMSIM_TRACE", V_OUTFILE, NULL, "FILE",
	  "write the trace as JSON Lines" },
	{ "explain", 2, OUTPUTS & ~CMD_STEP, "KVMSIM_EXPLAIN", V_OUTFILE, NULL, "[=FILE]",
	  "narrate the fault path (on stderr, or into FILE)" },
	{ "explain-actor", 1, OUTPUTS & ~CMD_STEP, "KVMSIM_EXPLAIN_ACTOR", V_NONE, NULL, "A[,A...]",
	  "narrate only these actors (vcpu0, vm1.vcpu0, vmm, thread1...)" },
	{ "explain-gpa", 1, OUTPUTS & ~CMD_STEP, "KVMSIM_EXPLAIN_GPA", V_RANGE, NULL, "LO[-HI]",
	  "narrate only the faults on these guest-physical addresses" },
	{ "explain-depth", 1, OUTPUTS & ~CMD_STEP, "KVMSIM_EXPLAIN_DEPTH", V_UNSIGNED, NULL, "N",
	  "narrate only N levels deep (0: the entry points)" },
	{ "explain-events", 1, OUTPUTS & ~CMD_STEP, "KVMSIM_EXPLAIN_EVENTS", V_NONE, NULL, "E[,E...]",
	  "narrate only these events (kvm_mmu_page_fault, kvm_exit...)" },
	{ "explain-walk", 1, OUTPUTS, "KVMSIM_EXPLAIN_WALK", V_CHOICE, "off|fault|all", "LEVEL",
	  "trace and narrate the guest page-table walk: off (default), fault (walks that "
	  "end in KVM) or all (every TLB miss too): entries read, A/D bits set" },
	{ "timeline", 1, OUTPUTS, "KVMSIM_TIMELINE", V_OUTFILE, NULL, "FILE",
	  "write a Chrome trace-event timeline (Perfetto, chrome://tracing)" },
	{ "hash", 0, OUTPUTS, "KVMSIM_HASH", V_NONE, NULL, NULL,
	  "print the trace hash on stderr at exit" },
	{ "stats", 0, OUTPUTS, "KVMSIM_STATS", V_NONE, NULL, NULL,
	  "print per-VM fault-path counters on stderr at exit" },
	{ "cost", 0, OUTPUTS, "KVMSIM_COST", V_NONE, NULL, NULL,
	  "virtual-time cost model (faults, exits, lock contention, wakeups)" },
	{ "quantum", 1, RUNNERS, "KVMSIM_QUANTUM", V_UNSIGNED, NULL, "N",
	  "guest instructions per scheduling quantum (default 100000)" },
	{ "fail", 1, RUNNERS, NULL, V_FAIL, NULL, "SITE[:N|:P]",
	  "fault injection (repeatable): every hit, the N-th, or with probability P" },
	{ "native", 0, CMD_RUN, NULL, V_NONE, NULL, NULL, "use the real /dev/kvm" },
	{ "strategy", 1, CMD_EXPLORE, "KVMSIM_STRATEGY", V_CHOICE, "random|pct|bounded", "S",
	  "random, pct or bounded (default random)" },
	{ "runs", 1, CMD_EXPLORE | CMD_SHRINK, "KVMSIM_RUNS", V_UNSIGNED, NULL, "N",
	  "run budget (default 1000)" },
	{ "jobs", 1, CMD_EXPLORE | CMD_SHRINK, "KVMSIM_JOBS", V_POSITIVE, NULL, "N",
	  "parallel processes (results do not depend on N)" },
	{ "depth", 1, CMD_EXPLORE, "KVMSIM_DEPTH", V_UNSIGNED, NULL, "D",
	  "pct: priority change points + 1 (default 3)" },
	{ "preemptions", 1, CMD_EXPLORE, "KVMSIM_PREEMPTIONS", V_UNSIGNED, NULL, "B",
	  "bounded: at most B preemptions (default 2)" },
	{ "por", 1, CMD_EXPLORE, "KVMSIM_POR", V_CHOICE, "on|off", "on|off",
	  "bounded: partial-order reduction, sleep sets over objects (default on)" },
	{ "max-choices", 1, CMD_EXPLORE | CMD_SHRINK, "KVMSIM_MAX_CHOICES", V_UNSIGNED, NULL, "N",
	  "per-run decision budget (default 1000000)" },
	{ "max-vtime", 1, CMD_EXPLORE, "KVMSIM_MAX_VTIME", V_UNSIGNED, NULL, "NS",
	  "per-run budget in virtual time (a guest advances it 1 ns per translated block); "
	  "recorded in saved schedules (default 0: none)" },
	{ "max-starve", 1, CMD_EXPLORE | CMD_SHRINK, "KVMSIM_MAX_STARVE", V_UNSIGNED, NULL, "N",
	  "per-run budget: decisions in a row an actor may be runnable and not run "
	  "(default 10000, 0: none)" },
	{ "preempt", 1, RUNNERS, "KVMSIM_PREEMPT", V_CHOICE, "sync|blocking", "G",
	  "sync: every synchronization operation is a scheduling point (explore's default); "
	  "blocking: only blocking ones (run's default)" },
	{ "out", 1, CMD_EXPLORE, NULL, V_DIR, NULL, "DIR",
	  "where failing schedules are saved (default .)" },
	{ "shard", 1, CMD_EXPLORE, "KVMSIM_SHARD", V_NONE, NULL, "I/N",
	  "make runs I, I+N, I+2N... only; the tally goes to DIR/NAME.shard-I-of-N.result "
	  "(kvmsim merge)" },
	{ "keep-going", 0, CMD_EXPLORE, "KVMSIM_KEEP_GOING", V_NONE, NULL, NULL,
	  "go on past failures: tally every run, save one schedule per distinct failure" },
	{ "format", 1, CMD_COMPARE, NULL, V_CHOICE, "table|json|tap", "F",
	  "table (default), json or tap" },
	{ "format", 1, CMD_RUN, NULL, V_CHOICE, "text|tap", "F",
	  "text (default) or tap: the manifest checks as TAP" },
	{ "report", 1, CMD_RUN | CMD_COMPARE | CMD_REPLAY, NULL, V_OUTFILE, NULL, "FILE.html",
	  "a self-contained HTML report: faults, narration, timeline (run, replay), the table (compare)" },
	{ "diff", 0, CMD_COMPARE, NULL, V_NONE, NULL, NULL,
	  "only the rows whose values differ" },
	{ "transpose", 0, CMD_COMPARE, NULL, V_NONE, NULL, NULL,
	  "one row per profile, one block per observable (fits narrow terminals)" },
	{ "help", 0, ~0u, NULL, V_NONE, NULL, NULL, "this help" },
};

#define NR_OPTS (sizeof(opts) / sizeof(opts[0]))

void cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kvmsim: %s%s", cmd ? cmd->name : "", cmd ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see kvmsim %s%s--help)\n", cmd ? cmd->name : "", cmd ? " " : "");
	exit(KVMSIM_EXIT_USAGE);
}

static const char *const fail_sites[] = { KVMSIM_FAIL_SITES };

void cli_add_fail(const char *spec)
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
		exit(KVMSIM_EXIT_USAGE);
	}
	snprintf(both, sizeof(both), "%s%s%s", old ? old : "", old ? "," : "", spec);
	setenv("KVMSIM_FAIL", both, 1);
}

static bool in_choices(const char *choices, const char *v)
{
	size_t n = strlen(v);

	for (const char *p = choices; p; p = strchr(p, '|'), p = p ? p + 1 : NULL)
		if (!strncmp(p, v, n) && (p[n] == '|' || !p[n]))
			return *v != 0;
	return false;
}

/*
 * An output file must be writable before the program starts: later it
 * would be a warning in the middle of the run, or nothing at all.
 */
static void check_outfile(const char *opt, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);

	if (fd < 0) {
		fprintf(stderr, "kvmsim: --%s %s: %s\n", opt, path, strerror(errno));
		exit(KVMSIM_EXIT_USAGE);
	}
	close(fd);
}

/* Check one value; exits 2 with a one-line message when it is bad. */
static void check_value(const struct cli_cmd *cmd, const struct cli_opt *o, const char *v)
{
	uint64_t rules;
	char err[256], *end;

	switch (o->kind) {
	case V_UNSIGNED:
	case V_POSITIVE:
		errno = 0;
		unsigned long long n = strtoull(v, &end, 0);

		if (!*v || *end || *v == '-' || errno)
			cli_usage_error(cmd, "--%s %s: expected an unsigned number", o->name, v);
		if (o->kind == V_POSITIVE && !n)
			cli_usage_error(cmd, "--%s must be at least 1", o->name);
		break;
	case V_RANGE: {
		unsigned long long lo, hi;

		errno = 0;
		lo = hi = strtoull(v, &end, 0);
		if (*end == '-' && end > v)
			hi = strtoull(end + 1, &end, 0);
		if (!*v || *end || errno || hi < lo || *v == '-')
			cli_usage_error(cmd, "--%s %s: expected ADDR or LO-HI", o->name, v);
		break;
	}
	case V_CHOICE:
		if (!in_choices(o->choices, v))
			cli_usage_error(cmd, "--%s %s: expected one of %s", o->name, v, o->choices);
		break;
	case V_PROFILE:
		if (kvm_profile_parse(v, &rules, err, sizeof(err)))
			cli_usage_error(cmd, "--profile %s: %s", v, err);
		break;
	case V_OUTFILE:
		check_outfile(o->name, v);
		break;
	case V_DIR:
		if (access(v, W_OK)) {
			fprintf(stderr, "kvmsim: --%s %s: %s\n", o->name, v, strerror(errno));
			exit(KVMSIM_EXIT_USAGE);
		}
		break;
	case V_FAIL:
		cli_add_fail(v);
		break;
	case V_NONE:
		break;
	}
}

static void take_option(const struct cli_cmd *cmd, const struct cli_opt *o, const char *v,
			struct cli_args *a)
{
	if (v)
		check_value(cmd, o, v);
	if (o->env)
		setenv(o->env, v ? v : "1", 1);
	if (!strcmp(o->name, "native"))
		a->native = true;
	else if (!strcmp(o->name, "out"))
		a->out_dir = v;
	else if (!strcmp(o->name, "format"))
		a->format = v;
	else if (!strcmp(o->name, "report"))
		a->report = v;
	else if (!strcmp(o->name, "diff"))
		a->diff = true;
	else if (!strcmp(o->name, "transpose"))
		a->transpose = true;
	else if (!strcmp(o->name, "profile") && cmd->bit == CMD_COMPARE) {
		if (a->nprofiles == (int)(sizeof(a->profiles) / sizeof(a->profiles[0])))
			cli_usage_error(cmd, "at most %zu profiles",
					sizeof(a->profiles) / sizeof(a->profiles[0]));
		a->profiles[a->nprofiles++] = v;
	}
}

void cli_parse(const struct cli_cmd *cmd, int argc, char **argv, struct cli_args *a)
{
	struct option lopts[NR_OPTS + 1];
	const struct cli_opt *which[NR_OPTS];
	int n = 0, dd, c, idx;
	/* exec: PROGRAM and its options are the program's, "--" or not */
	const char *optstring = cmd->bit == CMD_EXEC ? "+:h" : ":h";

	memset(a, 0, sizeof(*a));
	a->cmd = cmd;
	a->out_dir = ".";
	for (size_t k = 0; k < NR_OPTS; k++) {
		if (!(opts[k].cmds & cmd->bit))
			continue;
		which[n] = &opts[k];
		lopts[n++] = (struct option){ opts[k].name, opts[k].has_arg, NULL, 0 };
	}
	lopts[n] = (struct option){ 0 };
	/* getopt must not see what follows "--": it would lose where it was */
	for (dd = 1; dd < argc && strcmp(argv[dd], "--"); dd++)
		;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(dd, argv, optstring, lopts, &idx)) != -1) {
		if (c == 'h' || (c == 0 && !strcmp(lopts[idx].name, "help"))) {
			cli_help(stdout, cmd);
			exit(KVMSIM_EXIT_OK);
		}
		if (c == 0) {
			take_option(cmd, which[idx], optarg, a);
			continue;
		}
		if (c == ':')
			cli_usage_error(cmd, "option %s needs a value", argv[optind - 1]);
		if (optopt)
			cli_usage_error(cmd, "unknown option -%c", optopt);
		cli_usage_error(cmd, "unknown option %s", argv[optind - 1]);
	}
	a->pos = argv + optind;
	a->npos = dd - optind;
	if (dd < argc) {
		a->rest = argv + dd + 1;
		a->nrest = argc - dd - 1;
	}
}

/* ---- help ---- */

void cli_print_exit_codes(FILE *f)
{
	fprintf(f,
		"exit status:\n"
		"  0    done: the manifest is met, explore found no failing run\n"
		"  1    the manifest is not met (run), explore found a failing run\n"
		"  2    bad command line, or an input file that cannot be read or parsed\n"
		"  86   an oracle failed in the program (deadlock, lost-wakeup, stale-kvm-run...)\n"
		"  127  the program could not be executed\n"
		"  (exec, replay: the program's own exit status, or 86)\n");
}

void cli_help(FILE *f, const struct cli_cmd *cmd)
{
	fprintf(f, "usage: kvmsim %s %s\n\n%s\n", cmd->name, cmd->synopsis, cmd->text);
	fprintf(f, "\noptions:\n");
	for (size_t k = 0; k < NR_OPTS; k++) {
		const struct cli_opt *o = &opts[k];
		char left[64];

		if (!(o->cmds & cmd->bit))
			continue;
		snprintf(left, sizeof(left), "--%s%s%s", o->name,
			 o->arg && o->arg[0] != '[' ? " " : "", o->arg ? o->arg : "");
		if (!strcmp(o->name, "help"))
			snprintf(left, sizeof(left), "-h, --help");
		fprintf(f, "  %-22s %s\n", left, o->help);
		if (o->kind == V_FAIL)
			fprintf(f, "  %-22s sites: %s\n", "", KVMSIM_FAIL_SITES_TEXT);
	}
	fprintf(f, "\n");
	cli_print_exit_codes(f);
}

void cli_help_all(FILE *f)
{
	fprintf(f, "usage: kvmsim COMMAND [options] [ARGS]\n"
		"       kvmsim help COMMAND | kvmsim COMMAND --help\n"
		"       kvmsim --version\n\n"
		"A deterministic userspace model of Linux KVM: runs a VMM written against\n"
		"the real KVM uAPI, with every step of the fault path traced.\n\ncommands:\n");
	for (const struct cli_cmd *c = cli_cmds; c->name; c++)
		fprintf(f, "  %-9s %s\n", c->name, c->summary);
	fprintf(f, "\n");
	cli_print_exit_codes(f);
}
