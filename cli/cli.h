/* SPDX-License-Identifier: MIT */
/*
 * The kvmsim command: a front end, not part of the KVM model.  Each
 * subcommand lives in its own file (cmd_*.c); this header is what they
 * share: the exit codes, the option table, scenario lookup, manifests
 * and running a program with libkvmsim.so preloaded.
 *
 * Options become KVMSIM_* environment variables that libkvmsim.so reads
 * in the program; kvmsim's own messages go to stderr (under exec the
 * program's stdout is its own).
 */
#ifndef KVMSIM_CLI_H
#define KVMSIM_CLI_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

/*
 * The one table of exit codes (`kvmsim help exit-codes` prints it, the
 * man page and README copy it).
 */
enum kvmsim_exit {
	KVMSIM_EXIT_OK = 0,		/* done; the manifest is met; explore found no failure */
	KVMSIM_EXIT_FAIL = 1,		/* the manifest is not met; explore found a failing run */
	KVMSIM_EXIT_USAGE = 2,		/* bad command line, unreadable or malformed input */
	KVMSIM_EXIT_ORACLE = 86,	/* an oracle failed (SIM_ORACLE_EXIT_STATUS, from the program) */
	KVMSIM_EXIT_EXEC = 127,		/* the program could not be executed */
};

/* Subcommands, as bits: which options each one takes. */
enum {
	CMD_RUN = 1 << 0,
	CMD_EXEC = 1 << 1,
	CMD_EXPLORE = 1 << 2,
	CMD_REPLAY = 1 << 3,
	CMD_SHRINK = 1 << 4,
	CMD_COMPARE = 1 << 5,
	CMD_LIST = 1 << 6,
	CMD_PROFILES = 1 << 7,
	CMD_STEP = 1 << 8,
	CMD_MERGE = 1 << 9,
};

struct cli_cmd {
	const char *name;
	unsigned bit;
	int (*fn)(const struct cli_cmd *cmd, int argc, char **argv);
	const char *synopsis;		/* after "kvmsim NAME " */
	const char *summary;		/* one line for `kvmsim help` */
	const char *text;		/* what it does, for `kvmsim help NAME` */
};

/* What a subcommand's command line holds once the options are parsed. */
struct cli_args {
	const struct cli_cmd *cmd;
	char **pos;			/* operands before "--" */
	int npos;
	char **rest;			/* after "--" (NULL if there was none) */
	int nrest;
	bool native;			/* run --native */
	const char *out_dir;		/* explore --out */
	/* compare */
	const char *profiles[8];
	int nprofiles;
	const char *format;		/* table, json, tap */
	const char *report;		/* --report FILE.html */
	bool diff, transpose;
};

extern const struct cli_cmd cli_cmds[];
const struct cli_cmd *cli_find_cmd(const char *name);

/* Parse argv[1..] of a subcommand (argv[0] is its name); exits on errors. */
void cli_parse(const struct cli_cmd *cmd, int argc, char **argv, struct cli_args *a);
/* "kvmsim: CMD: message (see kvmsim CMD --help)", exit 2. */
void cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
void cli_help(FILE *f, const struct cli_cmd *cmd);
void cli_help_all(FILE *f);
void cli_print_exit_codes(FILE *f);
void cli_add_fail(const char *spec);

/* ---- where things are: relative to the kvmsim binary (relocatable) ---- */

const char *cli_self_dir(void);
/* libkvmsim.so, the scenario directory, the guest ELF directory; NULL if absent */
const char *cli_preload_lib(void);
const char *cli_scenario_dir(void);
const char *cli_guest_dir(void);

/* ---- scenarios ---- */

struct scenario {
	char name[256];			/* as given (a name, or a path's file name) */
	char bin[PATH_MAX];
	char manifest[PATH_MAX + 32];	/* BIN + ".arm64.manifest" */
	bool is_path;			/* given as a path to a program outside the tree */
	bool arm64;			/* runs against the arm64 /dev/kvm */
};

/*
 * Resolve a scenario name (in the scenario directory) or a path to a
 * scenario program (its manifest beside it), for the --arch given or the
 * one the scenario is built for.  Exits 2 with a message when it cannot.
 */
void scenario_resolve(const char *arg, struct scenario *s);
/* x86_64 and/or arm64 builds of a named scenario */
void scenario_arches(const char *name, bool *x86, bool *arm64);
bool scenario_name_valid(const char *name);

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

int load_manifest(const char *path, struct manifest *m, const char *spec);
void free_manifest(struct manifest *m);

/* ---- running programs ---- */

/* LD_PRELOAD=libkvmsim.so (and the sanitizer runtimes in an Asan build) */
void setup_preload(void);
/* KVMSIM_GUEST_DIR for scenarios, unless the caller set it */
void setup_guest_dir(void);
void exec_program(const char *bin, char **argv) __attribute__((noreturn));
/* Run argv with stdout captured (and echoed); returns the exit status or -1. */
int run_capture(char **argv, char **out, bool echo, bool quiet);
/* Run under SPEC (NULL: natively), observables in *obs; status or -1. */
int run_scenario(char **argv, const char *spec, bool echo, bool quiet, char **out, char **obs);
char *read_whole_file(const char *path);
/* argv for a scenario binary: bin, then the arguments after "--" */
char **scenario_argv(const char *bin, const struct cli_args *a);

/* ---- subcommands ---- */

int cmd_list(const struct cli_cmd *cmd, int argc, char **argv);
int cmd_profiles(const struct cli_cmd *cmd, int argc, char **argv);
int cmd_run(const struct cli_cmd *cmd, int argc, char **argv);
int cmd_exec(const struct cli_cmd *cmd, int argc, char **argv);
int cmd_explore(const struct cli_cmd *cmd, int argc, char **argv);
int cmd_schedule(const struct cli_cmd *cmd, int argc, char **argv);
int cmd_compare(const struct cli_cmd *cmd, int argc, char **argv);
int cmd_step(const struct cli_cmd *cmd, int argc, char **argv);
int cmd_merge(const struct cli_cmd *cmd, int argc, char **argv);
/* the scenario's own profile unless --profile said otherwise */
void scenario_default_profile(const struct scenario *s);

#endif
