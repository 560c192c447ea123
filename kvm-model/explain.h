/* SPDX-License-Identifier: MIT */
/* --explain: the trace narrated as text, for a workshop. */
#ifndef KVMSIM_EXPLAIN_H
#define KVMSIM_EXPLAIN_H

/* Narrate every trace event to path, or to stderr when path is NULL. */
int kvmsim_explain_start(const char *path);

#endif
