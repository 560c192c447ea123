// SPDX-License-Identifier: MIT
/*
 * Which program and which manifest a scenario argument means.
 *
 * A name (letters, digits, '_', '-', '.', '+'; no '/', not starting with
 * '.') is looked up in the scenario directory only: it cannot name a file
 * outside it.  Anything with a '/' is a path to a scenario program built
 * elsewhere, with PATH.manifest (and for arm64 PATH.arm64.manifest)
 * beside it.
 *
 * The architecture: --arch when given, else the one the scenario is built
 * for (x86_64 first).  Asking for an architecture a scenario is not built
 * for is refused before anything runs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static void die(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "kvmsim: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	exit(KVMSIM_EXIT_USAGE);
}

bool scenario_name_valid(const char *name)
{
	if (!*name || *name == '.' || strlen(name) > 200)
		return false;
	for (const char *p = name; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.+",
			    *p))
			return false;
	return true;
}

static bool executable(const char *path)
{
	return !access(path, X_OK);
}

void scenario_arches(const char *name, bool *x86, bool *arm64)
{
	const char *dir = cli_scenario_dir();
	char path[PATH_MAX];

	*x86 = *arm64 = false;
	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	*x86 = executable(path);
	snprintf(path, sizeof(path), "%s/arm64/%s", dir, name);
	*arm64 = executable(path);
}

static const char *wanted_arch(void)
{
	const char *arch = getenv("KVMSIM_ARCH");

	return arch && *arch ? arch : NULL;
}

/* BASE.arm64.manifest for arm64 when there is one, else BASE.manifest */
static bool pick_manifest(struct scenario *s, const char *base)
{
	if (s->arm64) {
		snprintf(s->manifest, sizeof(s->manifest), "%s.arm64.manifest", base);
		if (!access(s->manifest, R_OK))
			return true;
	}
	snprintf(s->manifest, sizeof(s->manifest), "%s.manifest", base);
	return !access(s->manifest, R_OK);
}

static void resolve_path(const char *arg, struct scenario *s)
{
	const char *arch = wanted_arch(), *slash;
	struct manifest m;

	if (!realpath(arg, s->bin) || !executable(s->bin))
		die("%s: %s", arg, errno ? strerror(errno) : "not an executable program");
	slash = strrchr(s->bin, '/');
	snprintf(s->name, sizeof(s->name), "%.200s", slash ? slash + 1 : s->bin);
	s->is_path = true;
	s->arm64 = arch && !strcmp(arch, "arm64");
	if (!pick_manifest(s, s->bin))
		die("%s: no manifest beside it (expected %s)", arg, s->manifest);
	if (load_manifest(s->manifest, &m, NULL))
		exit(KVMSIM_EXIT_USAGE);
	free_manifest(&m);
	/* one program is built for one architecture: its manifest says which */
	if (!arch && !strcmp(m.arch, "arm64")) {
		s->arm64 = true;
		pick_manifest(s, s->bin);
	} else if (arch && m.arch[0] && strcmp(arch, m.arch) && !strstr(s->manifest, ".arm64.")) {
		fprintf(stderr, "kvmsim: %s: built for %s (its manifest says so), not --arch %s\n",
			arg, m.arch, arch);
		exit(KVMSIM_EXIT_USAGE);
	}
}

static void resolve_name(const char *arg, struct scenario *s)
{
	const char *dir = cli_scenario_dir(), *arch = wanted_arch();
	char base[PATH_MAX];
	bool x86, arm64;

	if (!scenario_name_valid(arg))
		die("'%s' is not a scenario name (a path to a program needs a '/', e.g. ./%s)",
		    arg, arg);
	if (!dir)
		die("no scenario directory beside %s%s", cli_self_dir(), "");
	snprintf(s->name, sizeof(s->name), "%s", arg);
	snprintf(base, sizeof(base), "%s/%s", dir, arg);
	scenario_arches(arg, &x86, &arm64);
	if (!x86 && !arm64) {
		if (pick_manifest(s, base))
			die("scenario %s is not built (%s)", arg, s->manifest);
		die("no scenario %s (see kvmsim list)%s", arg, "");
	}
	if (arch && !strcmp(arch, "x86_64") && !x86)
		die("%s is an arm64-only scenario: it cannot run with --arch x86_64%s", arg, "");
	if (arch && !strcmp(arch, "arm64") && !arm64)
		die("%s has no arm64 build: it cannot run with --arch arm64%s", arg, "");
	s->arm64 = arch ? !strcmp(arch, "arm64") : !x86;
	snprintf(s->bin, sizeof(s->bin), "%s/%s%s", dir, s->arm64 ? "arm64/" : "", arg);
	if (!pick_manifest(s, base))
		die("scenario %s has no manifest (%s)", arg, s->manifest);
}

/*
 * A program outside the tree loads its own guests: guest-bins/ beside it
 * (where kvmsim_add_guest puts them), unless KVMSIM_GUEST_DIR says.
 */
static void sibling_guest_dir(const struct scenario *s)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(s->bin, '/');

	snprintf(dir, sizeof(dir), "%.*s/guest-bins", (int)(slash - s->bin), s->bin);
	if (!getenv("KVMSIM_GUEST_DIR") && !access(dir, R_OK))
		setenv("KVMSIM_GUEST_DIR", dir, 1);
}

void scenario_resolve(const char *arg, struct scenario *s)
{
	memset(s, 0, sizeof(*s));
	errno = 0;
	if (strchr(arg, '/'))
		resolve_path(arg, s);
	else
		resolve_name(arg, s);
	if (s->arm64)
		setenv("KVMSIM_ARCH", "arm64", 1);
	if (s->is_path)
		sibling_guest_dir(s);
	setup_guest_dir();
}
