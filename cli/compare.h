/* SPDX-License-Identifier: MIT */
/* kvmsim compare: the table of observables, one column per profile. */
#ifndef KVMSIM_CLI_COMPARE_H
#define KVMSIM_CLI_COMPARE_H

#include <stdbool.h>

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

const char *table_value(const struct compare_table *t, int r, int c);
void table_column(struct compare_table *t, int col, int status, char *obs);
/* format: NULL or "table", "json", "tap" */
void print_table(struct compare_table *t, const char *name, const char *format, bool diff,
		 bool transpose);

/* --report FILE.html (report.c) */
void report_setup(const char *path, bool narrate);
int report_write(const char *name, const char *verdict, const struct compare_table *t);

#endif
