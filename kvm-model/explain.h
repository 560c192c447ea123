/* SPDX-License-Identifier: MIT */
/* --explain: the trace narrated as text, for a workshop. */
#ifndef KVMSIM_EXPLAIN_H
#define KVMSIM_EXPLAIN_H

/* Narrate every trace event to path, or to stderr when path is NULL. */
int kvmsim_explain_start(const char *path);
void kvmsim_explain_flush(void);

#include <stdint.h>
#include <stdio.h>
struct sim_ev;
/* One event's narrated line, unfiltered (the stepper prints with it). */
void kvmsim_explain_print(FILE *f, const struct sim_ev *ev);
/* What a page-table entry says: " (P W A, table 0x11000)" (arch "x86" or "arm64"). */
void kvmsim_explain_describe(FILE *f, const char *arch, uint64_t entry, int level);
/* kvmsim step: stop after events and take commands from fd (step.c). */
int kvmsim_step_start(int fd);

#endif
