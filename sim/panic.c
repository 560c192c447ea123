// SPDX-License-Identifier: MIT
/*
 * sim_panic: the message, where the run was, and a backtrace.
 *
 * The backtrace prints function+offset only.  Absolute addresses change
 * with ASLR, so they would make two panics of the same run differ and leak
 * host state into reports.
 */
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <stdarg.h>
#include <stdlib.h>

#include "sim/sim_internal.h"

#define SIM_BT_MAX_FRAMES 64

/* noinline: frame 0 is always this function, and is skipped. */
static __attribute__((noinline)) void print_backtrace(FILE *out)
{
	unw_context_t uc;
	unw_cursor_t cursor;
	unw_word_t off;
	char name[256];
	int n = 0;
	int ret;

	if (unw_getcontext(&uc) != 0 || unw_init_local(&cursor, &uc) != 0) {
		fputs("  (no backtrace)\n", out);
		return;
	}
	if (unw_step(&cursor) <= 0) {
		fputs("  (no backtrace)\n", out);
		return;
	}
	do {
		ret = unw_get_proc_name(&cursor, name, sizeof(name), &off);
		/* -UNW_ENOMEM: the name was cut to fit, still worth printing. */
		if (ret == 0 || ret == -UNW_ENOMEM)
			fprintf(out, "  #%d %s+0x%lx\n", n, name,
				(unsigned long)off);
		else
			fprintf(out, "  #%d ??\n", n);
	} while (++n < SIM_BT_MAX_FRAMES && unw_step(&cursor) > 0);
}

static void print_where(FILE *out)
{
	struct sim_actor *self = sim_self();

	fprintf(out, "  in actor %d \"%s\" at vtime %llu, decision %llu\n",
		self ? self->id : -1, self ? self->name : "-",
		(unsigned long long)sim_now(),
		(unsigned long long)sim_decisions());
}

void sim_panic(const char *fmt, ...)
{
	static bool panicking;
	va_list ap;

	fflush(stdout);
	fputs("sim: panic: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	/* A panic while panicking (say, in the trace flush) must not loop. */
	if (!panicking) {
		panicking = true;
		print_where(stderr);
		fputs("backtrace:\n", stderr);
		print_backtrace(stderr);
		/* abort() skips atexit: keep the trace that led here. */
		sim_trace_flush();
	}
	fflush(stderr);
	abort();
}
