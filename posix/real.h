/* SPDX-License-Identifier: MIT */
/*
 * The real libc functions, for the model's own use of a call that
 * libkvmsim.so interposes (pthread_self, poll, close...) and for the
 * wrappers' pass-through.  dlsym(RTLD_NEXT) from libkvmsim.so finds the
 * next definition after ours (libc, or a sanitizer's interceptor); from
 * a unit test's executable, libc's.
 */
#ifndef KVMSIM_POSIX_REAL_H
#define KVMSIM_POSIX_REAL_H

#include <dlfcn.h>

#define REAL_DECL(ret, name, ...) static ret (*real_##name)(__VA_ARGS__)
#define REAL(name)							\
	(*({								\
		if (!real_##name)					\
			real_##name = (__typeof__(real_##name))		\
				posix_real_sym(#name);			\
		real_##name;						\
	}))

/* dlsym(RTLD_NEXT, name); aborts with a message when missing. */
void *posix_real_sym(const char *name);

#endif
