// SPDX-License-Identifier: MIT
/*
 * The model's on/off switch, real-symbol lookup, and the one-time
 * warnings for calls whose outcome kvmsim cannot make deterministic.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "posix/posix.h"
#include "posix/real.h"
#include "sim/sim.h"

#define MAX_WARNED 64

static bool active;
static const char *warned[MAX_WARNED];
static int nr_warned;

void posix_thread_init(void);

void posix_init(void)
{
	SIM_BUG_ON(!sim_initialized());
	if (active)
		return;
	posix_thread_init();
	posix_signal_init();
	sim_spin_watchdog_start();
	active = true;
}

bool posix_active(void)
{
	return active;
}

/*
 * Not instrumented: the sanitizers' own start-up calls interposed names
 * (ASan's pthread_key_create, pthread_getspecific), and an instrumented
 * frame here would ask ASan for a fake stack (detect_stack_use_after_return,
 * on by default since GCC 13's runtime), which calls pthread_getspecific
 * again: endless recursion before main.
 */
__attribute__((no_sanitize("address")))
void *posix_real_sym(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);
	char msg[160];
	int n;

	if (p)
		return p;
	/* no stdio: this may run before or inside anything */
	n = snprintf(msg, sizeof(msg), "kvmsim: libc has no %s\n", name);
	if (write(2, msg, n) < 0)
		abort();
	abort();
}

/* Print `text` the first time `key` comes up. */
void posix_warn_once_text(const char *key, const char *text)
{
	for (int i = 0; i < nr_warned; i++)
		if (!strcmp(warned[i], key))
			return;
	if (nr_warned < MAX_WARNED)
		warned[nr_warned++] = strdup(key);
	fprintf(stderr, "kvmsim: warning: %s\n", text);
}

void posix_warn_once(const char *call, const char *why)
{
	char text[512];

	snprintf(text, sizeof(text), "%s() is not simulated; %s", call, why);
	posix_warn_once_text(call, text);
}

static unsigned long mm_generation;

unsigned long posix_mm_generation(void)
{
	return mm_generation;
}

void posix_mm_generation_bump(void)
{
	mm_generation++;
}
