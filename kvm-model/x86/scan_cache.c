// SPDX-License-Identifier: MIT
/*
 * Capstone scans of whole code pages, by content: which instruction
 * starts of a page in a CPU mode are trapped instructions (emulate.c:
 * x86_scan_code) depends on those 4 KiB and the mode only, so a page
 * scanned once needs no capstone pass again in this process, for any
 * vCPU or linear address.
 *
 * It matters for explore: every run is a fork of the process at its first
 * choice and scans the guest's code again (a tenth of a run).  A run
 * hands what it scanned to the server (sim_explore_learn), which adds it
 * here before its next fork, so later runs inherit the results.  A cache
 * keyed by the bytes themselves (compared in full) changes no decision:
 * a hit adds the same hooks in the same order as the scan would.
 */
#include <stdlib.h>
#include <string.h>

#include "kvm-model/x86/uc_internal.h"
#include "sim/explore.h"

#define SCAN_CACHE_SLOTS	1024	/* a power of two; at most half used */

/* The record a run hands the server: mode, the page, its trapped starts. */
struct scan_record {
	uint8_t kind;			/* 's' */
	uint8_t mode;
	uint16_t n;
	uint8_t bytes[PAGE_SIZE];
	uint16_t offs[];
};

static struct x86_scan_result *cache[SCAN_CACHE_SLOTS];
static unsigned int nr_cached;

static uint64_t page_hash(int mode, const uint8_t *bytes)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ (uint64_t)mode;

	for (size_t i = 0; i < PAGE_SIZE; i += 8) {
		uint64_t w;

		memcpy(&w, bytes + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 29;
	}
	return h;
}

static struct x86_scan_result **slot_of(uint64_t hash, int mode, const uint8_t *bytes)
{
	unsigned int i = (unsigned int)hash & (SCAN_CACHE_SLOTS - 1);

	for (;; i = (i + 1) & (SCAN_CACHE_SLOTS - 1)) {
		struct x86_scan_result *e = cache[i];

		if (!e || (e->hash == hash && e->mode == mode &&
			   !memcmp(e->bytes, bytes, PAGE_SIZE)))
			return &cache[i];
	}
}

const struct x86_scan_result *x86_scan_cache_find(int mode, const uint8_t *bytes)
{
	struct x86_scan_result *e;

	if (!nr_cached)
		return NULL;
	e = *slot_of(page_hash(mode, bytes), mode, bytes);
	return e ? e : NULL;
}

static void insert(int mode, const uint8_t *bytes, const uint16_t *offs, unsigned int n)
{
	uint64_t hash = page_hash(mode, bytes);
	struct x86_scan_result **slot, *e;

	if (nr_cached >= SCAN_CACHE_SLOTS / 2)
		return;
	slot = slot_of(hash, mode, bytes);
	if (*slot)
		return;
	e = malloc(sizeof(*e) + n * sizeof(offs[0]));
	if (!e)
		return;
	e->hash = hash;
	e->mode = mode;
	memcpy(e->bytes, bytes, PAGE_SIZE);
	e->n = n;
	memcpy(e->offs, offs, n * sizeof(offs[0]));
	*slot = e;
	nr_cached++;
}

void x86_scan_cache_add(int mode, const uint8_t *bytes, const uint16_t *offs, unsigned int n)
{
	struct scan_record *rec;
	size_t len = sizeof(*rec) + n * sizeof(offs[0]);

	insert(mode, bytes, offs, n);
	if (!sim_explore_in_run())
		return;
	/* the server's copy, for the runs it forks next */
	rec = malloc(len);
	if (!rec)
		return;
	rec->kind = 's';
	rec->mode = (uint8_t)mode;
	rec->n = (uint16_t)n;
	memcpy(rec->bytes, bytes, PAGE_SIZE);
	memcpy(rec->offs, offs, n * sizeof(offs[0]));
	sim_explore_learn(rec, len);
	free(rec);
}

void x86_scan_cache_learned(const void *data, size_t len)
{
	const struct scan_record *rec = data;

	if (len < sizeof(*rec) || rec->kind != 's' || rec->mode >= MODE_NR ||
	    len != sizeof(*rec) + rec->n * sizeof(rec->offs[0]))
		return;
	insert(rec->mode, rec->bytes, rec->offs, rec->n);
}
