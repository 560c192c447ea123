// SPDX-License-Identifier: MIT
/*
 * compare's table: one column per profile, one row per observable, and
 * its four renderings: a table wrapped to 100 columns, a transposed view
 * (one block per observable), JSON and TAP.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/compare.h"

#define WIDTH 100

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
void table_column(struct compare_table *t, int col, int status, char *obs)
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

const char *table_value(const struct compare_table *t, int r, int c)
{
	return t->val[r][c] ? t->val[r][c] : t->oracle_row[r] ? "pass" : "-";
}

/* --diff: with one column there is nothing to differ from, every row stays */
static bool row_differs(const struct compare_table *t, int r)
{
	if (t->ncols == 1)
		return true;
	for (int c = 1; c < t->ncols; c++)
		if (strcmp(table_value(t, r, c), table_value(t, r, 0)))
			return true;
	return false;
}

/* A JSON string: quotes, backslashes and every control character escaped. */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			printf("\\n");
		else if (c == '\t')
			printf("\\t");
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
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
	/* vcpuN, or vmM.vcpuN for a vCPU of another VM than the first */
	if (!strncmp(key, "vm", 2) && strstr(key, ".vcpu") == key + strspn(key + 2, "0123456789") + 2) {
		*vcpu = strtol(key + 2, NULL, 10) * 4096 + strtol(strstr(key, ".vcpu") + 5, NULL, 10);
		*run = hash ? strtol(hash + 1, NULL, 10) : 0;
		return 1;
	}
	if (!strncmp(key, "vcpu", 4)) {
		*vcpu = strtol(key + 4, NULL, 10);
		*run = hash ? strtol(hash + 1, NULL, 10) : 0;
		return 1;
	}
	if (!strncmp(key, "oracle ", 7))
		return 2;
	return 3;
}

static bool row_before(const char *a, const char *b)
{
	long va, ra, vb, rb;
	int ka = row_rank(a, &va, &ra), kb = row_rank(b, &vb, &rb);

	return ka < kb || (ka == kb && (va < vb || (va == vb && ra < rb)));
}

/* Stable insertion sort: rows of one rank keep their first-seen order. */
static void sort_rows(struct compare_table *t)
{
	for (int i = 1; i < t->nrows; i++) {
		for (int j = i; j > 0 && row_before(t->key[j], t->key[j - 1]); j--) {
			char *k = t->key[j], *v[MAX_COLS];
			bool o = t->oracle_row[j];

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

static void print_json(const struct compare_table *t, const char *name, bool diff)
{
	bool first = true;

	printf("{\"scenario\":");
	json_str(name);
	printf(",\"profiles\":[");
	for (int c = 0; c < t->ncols; c++) {
		printf("%s", c ? "," : "");
		json_str(t->spec[c]);
	}
	printf("],\"rows\":[");
	for (int r = 0; r < t->nrows; r++) {
		if (diff && !row_differs(t, r))
			continue;
		printf("%s{\"observable\":", first ? "" : ",");
		first = false;
		json_str(t->key[r]);
		printf(",\"values\":[");
		for (int c = 0; c < t->ncols; c++) {
			printf("%s", c ? "," : "");
			json_str(table_value(t, r, c));
		}
		printf("]}");
	}
	printf("]}\n");
}

/*
 * TAP: one test per profile, ok when the program exited 0 and no oracle
 * failed; its rows follow as diagnostics.
 */
static void print_tap(const struct compare_table *t, const char *name, bool diff)
{
	printf("TAP version 13\n1..%d\n", t->ncols);
	for (int c = 0; c < t->ncols; c++) {
		bool ok = true;

		for (int r = 0; r < t->nrows; r++)
			if (t->oracle_row[r] ? t->val[r][c] != NULL :
			    !strcmp(t->key[r], "exit status") && strcmp(table_value(t, r, c), "0"))
				ok = false;
		printf("%s %d - %s: %s\n", ok ? "ok" : "not ok", c + 1, name, t->spec[c]);
		for (int r = 0; r < t->nrows; r++)
			if (!diff || row_differs(t, r))
				printf("# %s: %s\n", t->key[r], table_value(t, r, c));
	}
}

/* one observable per block, one line per profile: fits any width */
static void print_transposed(const struct compare_table *t, bool diff)
{
	int sw = 0;

	for (int c = 0; c < t->ncols; c++)
		if ((int)strlen(t->spec[c]) > sw)
			sw = strlen(t->spec[c]);
	for (int r = 0; r < t->nrows; r++) {
		if (diff && !row_differs(t, r))
			continue;
		printf("%s\n", t->key[r]);
		for (int c = 0; c < t->ncols; c++)
			printf("  %-*s  %s\n", sw, t->spec[c], table_value(t, r, c));
	}
}

/* Columns [c0, c1) beside the key column; the last one is not padded. */
static void print_block(const struct compare_table *t, const int *w, int kw, int c0, int c1,
			bool diff)
{
	printf("%-*s", kw, "rule / observable");
	for (int c = c0; c < c1; c++)
		printf("  %-*s", c + 1 < c1 ? w[c] : 0, t->spec[c]);
	printf("\n");
	for (int r = 0; r < t->nrows; r++) {
		if (diff && !row_differs(t, r))
			continue;
		printf("%-*s", kw, t->key[r]);
		for (int c = c0; c < c1; c++)
			printf("  %-*s", c + 1 < c1 ? w[c] : 0, table_value(t, r, c));
		printf("\n");
	}
}

void print_table(struct compare_table *t, const char *name, const char *format, bool diff,
		 bool transpose)
{
	int w[MAX_COLS], kw = 18;

	sort_rows(t);
	if (format && !strcmp(format, "json"))
		return print_json(t, name, diff);
	if (format && !strcmp(format, "tap"))
		return print_tap(t, name, diff);
	if (transpose)
		return print_transposed(t, diff);
	for (int r = 0; r < t->nrows; r++)
		if ((!diff || row_differs(t, r)) && (int)strlen(t->key[r]) > kw)
			kw = strlen(t->key[r]);
	for (int c = 0; c < t->ncols; c++) {
		w[c] = strlen(t->spec[c]);
		for (int r = 0; r < t->nrows; r++)
			if ((!diff || row_differs(t, r)) && (int)strlen(table_value(t, r, c)) > w[c])
				w[c] = strlen(table_value(t, r, c));
	}
	/* as many columns per block as fit in 100 (at least one) */
	for (int c0 = 0, c1; c0 < t->ncols; c0 = c1) {
		int width = kw + 2 + w[c0];

		for (c1 = c0 + 1; c1 < t->ncols && width + 2 + w[c1] <= WIDTH; c1++)
			width += 2 + w[c1];
		if (c0)
			printf("\n");
		print_block(t, w, kw, c0, c1, diff);
	}
}
