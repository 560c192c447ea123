// SPDX-License-Identifier: MIT
/*
 * Where libkvmsim.so, the scenarios and the guest ELFs are: found from
 * the kvmsim binary itself, so a build tree and an installed tree (moved
 * anywhere: the install is relocatable) both work.
 *
 *   build tree        installed (PREFIX moved or not)
 *   kvmsim            bin/kvmsim
 *   libkvmsim.so      lib/libkvmsim.so          (KVMSIM_REL_LIBDIR from bin/)
 *   scenarios/        lib/kvmsim/scenarios/     (KVMSIM_REL_PKGLIBDIR from bin/)
 *   guest-bins/       lib/kvmsim/guest-bins/
 *
 * A scenario directory holds NAME and NAME.manifest, arm64/NAME and
 * NAME.arm64.manifest: the same layout as a program outside the tree
 * with its manifest beside it.
 */
#define _GNU_SOURCE
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

#ifndef KVMSIM_REL_LIBDIR
#define KVMSIM_REL_LIBDIR "../lib"
#endif
#ifndef KVMSIM_REL_PKGLIBDIR
#define KVMSIM_REL_PKGLIBDIR "../lib/kvmsim"
#endif

const char *cli_self_dir(void)
{
	static char dir[PATH_MAX];
	static const char *res;
	ssize_t n;

	if (res)
		return res;
	n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (n <= 0)
		return res = ".";
	dir[n] = 0;
	return res = dirname(dir);
}

/* The first of DIR/a, DIR/b that exists (as a directory if want_dir). */
static const char *first_of(char *buf, const char *a, const char *b, bool want_dir)
{
	const char *cand[] = { a, b };
	struct stat st;

	for (int i = 0; i < 2; i++) {
		snprintf(buf, PATH_MAX, "%s/%s", cli_self_dir(), cand[i]);
		if (!stat(buf, &st) && (!want_dir || S_ISDIR(st.st_mode)))
			return buf;
	}
	return NULL;
}

const char *cli_preload_lib(void)
{
	static char buf[PATH_MAX];

	return first_of(buf, "libkvmsim.so", KVMSIM_REL_LIBDIR "/libkvmsim.so", false);
}

const char *cli_scenario_dir(void)
{
	static char buf[PATH_MAX];
	const char *env = getenv("KVMSIM_SCENARIO_DIR");

	if (env && *env)
		return env;
	return first_of(buf, "scenarios", KVMSIM_REL_PKGLIBDIR "/scenarios", true);
}

const char *cli_guest_dir(void)
{
	static char buf[PATH_MAX];

	return first_of(buf, "guest-bins", KVMSIM_REL_PKGLIBDIR "/guest-bins", true);
}
