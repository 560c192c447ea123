/* SPDX-License-Identifier: MIT */
/*
 * Side tables keyed by an object's address (a pthread_mutex_t, a
 * pthread_t...): the model's state never lives inside the program's
 * objects, whose layout belongs to glibc.  Keys are host addresses: they
 * are never printed or traced, and iteration order is never observable.
 */
#ifndef KVMSIM_POSIX_OBJTAB_H
#define KVMSIM_POSIX_OBJTAB_H

#include <stddef.h>

struct objent {
	struct objent *next;
	const void *key;
};

struct objtab {
	struct objent **buckets;
	size_t nbuckets;
	size_t n;
};

struct objent *objtab_find(const struct objtab *t, const void *key);
void objtab_insert(struct objtab *t, const void *key, struct objent *e);
/* Unlink and return the entry (the caller frees it), NULL if absent. */
struct objent *objtab_remove(struct objtab *t, const void *key);
/* Find, or create a zeroed entry of `size` bytes (struct objent first). */
struct objent *objtab_get(struct objtab *t, const void *key, size_t size);

#endif
