// SPDX-License-Identifier: MIT
/* A small open-addressing set of 64-bit keys (gfns, code addresses). */
#include <stdlib.h>
#include <string.h>

#include "kvm-model/kvm_host.h"

static size_t slot_of(const struct gfn_set *s, uint64_t key)
{
	/* Fibonacci hashing; cap is a power of two */
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 17) & (s->cap - 1);
}

bool gfn_set_test(const struct gfn_set *s, uint64_t gfn)
{
	uint64_t key = gfn + 1;

	if (!s->nr)
		return false;
	for (size_t i = slot_of(s, key);; i = (i + 1) & (s->cap - 1)) {
		if (s->keys[i] == key)
			return true;
		if (!s->keys[i])
			return false;
	}
}

static bool grow(struct gfn_set *s)
{
	struct gfn_set n = { .cap = s->cap ? s->cap * 2 : 64 };

	n.keys = calloc(n.cap, sizeof(uint64_t));
	if (!n.keys)
		return false;
	for (size_t i = 0; i < s->cap; i++) {
		uint64_t key = s->keys[i];
		size_t j;

		if (!key)
			continue;
		for (j = slot_of(&n, key); n.keys[j]; j = (j + 1) & (n.cap - 1))
			;
		n.keys[j] = key;
		n.nr++;
	}
	free(s->keys);
	*s = n;
	return true;
}

bool gfn_set_add(struct gfn_set *s, uint64_t gfn)
{
	uint64_t key = gfn + 1;
	size_t i;

	if (gfn_set_test(s, gfn))
		return false;
	if ((s->nr + 1) * 2 > s->cap && !grow(s))
		return false;
	for (i = slot_of(s, key); s->keys[i]; i = (i + 1) & (s->cap - 1))
		;
	s->keys[i] = key;
	s->nr++;
	return true;
}

bool gfn_set_del(struct gfn_set *s, uint64_t gfn)
{
	uint64_t key = gfn + 1;
	size_t i;

	if (!gfn_set_test(s, gfn))
		return false;
	for (i = slot_of(s, key); s->keys[i] != key; i = (i + 1) & (s->cap - 1))
		;
	s->keys[i] = 0;
	s->nr--;
	/* re-insert the rest of the cluster so lookups still find them */
	for (i = (i + 1) & (s->cap - 1); s->keys[i]; i = (i + 1) & (s->cap - 1)) {
		uint64_t k = s->keys[i];
		size_t j;

		s->keys[i] = 0;
		for (j = slot_of(s, k); s->keys[j]; j = (j + 1) & (s->cap - 1))
			;
		s->keys[j] = k;
	}
	return true;
}

void gfn_set_clear(struct gfn_set *s)
{
	if (s->keys)
		memset(s->keys, 0, s->cap * sizeof(uint64_t));
	s->nr = 0;
}

void gfn_set_free(struct gfn_set *s)
{
	free(s->keys);
	memset(s, 0, sizeof(*s));
}
