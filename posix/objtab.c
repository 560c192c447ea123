// SPDX-License-Identifier: MIT
/* Address-keyed hash table with chaining; grows at load factor 1. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>

#include "posix/objtab.h"
#include "sim/sim.h"

static size_t hash(const void *key, size_t nbuckets)
{
	uint64_t k = (uint64_t)(uintptr_t)key;

	k = (k >> 3) * 0x9e3779b97f4a7c15ull;
	return (size_t)(k >> 32) & (nbuckets - 1);
}

struct objent *objtab_find(const struct objtab *t, const void *key)
{
	struct objent *e;

	if (!t->nbuckets)
		return NULL;
	for (e = t->buckets[hash(key, t->nbuckets)]; e; e = e->next)
		if (e->key == key)
			return e;
	return NULL;
}

static void grow(struct objtab *t)
{
	size_t n = t->nbuckets ? t->nbuckets * 2 : 64;
	struct objent **b = calloc(n, sizeof(*b));

	if (!b)
		sim_panic("out of memory");
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct objent *e = t->buckets[i], *next;

		for (; e; e = next) {
			size_t h = hash(e->key, n);

			next = e->next;
			e->next = b[h];
			b[h] = e;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
}

void objtab_insert(struct objtab *t, const void *key, struct objent *e)
{
	size_t h;

	if (t->n >= t->nbuckets)
		grow(t);
	h = hash(key, t->nbuckets);
	e->key = key;
	e->next = t->buckets[h];
	t->buckets[h] = e;
	t->n++;
}

struct objent *objtab_remove(struct objtab *t, const void *key)
{
	struct objent **pp, *e;

	if (!t->nbuckets)
		return NULL;
	for (pp = &t->buckets[hash(key, t->nbuckets)]; (e = *pp); pp = &e->next) {
		if (e->key == key) {
			*pp = e->next;
			t->n--;
			return e;
		}
	}
	return NULL;
}

struct objent *objtab_get(struct objtab *t, const void *key, size_t size)
{
	struct objent *e = objtab_find(t, key);

	if (e)
		return e;
	e = calloc(1, size);
	if (!e)
		sim_panic("out of memory");
	objtab_insert(t, key, e);
	return e;
}
