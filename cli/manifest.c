// SPDX-License-Identifier: MIT
/*
 * Scenario manifests: "key: value" lines, KEY@PROFILE for one profile's
 * own expectations.  A malformed line is reported as FILE:LINE: what was
 * expected.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

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
		long v;

		errno = 0;
		v = strtol(val, &end, 10);
		/* an exit status: 4294967296 is not 0 */
		if (!*val || *end || errno || v < 0 || v > 255)
			return manifest_error(path, ln, "expected an exit status 0-255 after "
					      "'expect-status:'");
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

void free_manifest(struct manifest *m)
{
	for (int k = 0; k < m->nr_expect; k++)
		free(m->expect_stdout[k]);
	for (int k = 0; k < m->nr_observe; k++)
		free(m->expect_observe[k]);
	m->nr_expect = m->nr_observe = 0;
}

int load_manifest(const char *path, struct manifest *m, const char *spec)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0;
	int ln = 0, r = 0;

	memset(m, 0, sizeof(*m));
	m->spec = spec;
	m->native = true;
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	/* getline: a long line is one line, never split into a second key */
	while (!r && getline(&buf, &cap, f) >= 0) {
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
	free(buf);
	fclose(f);
	if (r)
		free_manifest(m);	/* the caller gets nothing to free on an error */
	return r;
}

