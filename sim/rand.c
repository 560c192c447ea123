// SPDX-License-Identifier: MIT
/*
 * Seeded randomness and virtual time.
 *
 * Two xoshiro256** streams come from one seed through splitmix64: one for
 * the model (sim_rand) and one for the scheduler (sim_sched_rand).  Keeping
 * them apart means a replayed or PCT schedule consumes no model numbers,
 * so the model sees the same values whichever strategy runs it.
 */
#include "sim/sim_internal.h"

struct xoshiro {
	uint64_t s[4];
};

static struct xoshiro model_rng;
static struct xoshiro sched_rng;
static uint64_t vclock;

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t xoshiro_next(struct xoshiro *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Rejection keeps the result exactly uniform: no modulo bias. */
static uint64_t xoshiro_below(struct xoshiro *r, uint64_t n)
{
	uint64_t threshold, x;

	SIM_BUG_ON(n == 0);
	threshold = -n % n;
	do {
		x = xoshiro_next(r);
	} while (x < threshold);
	return x % n;
}

void sim_rand_reseed(uint64_t seed)
{
	uint64_t x = seed;
	int i;

	/* splitmix64 never yields an all-zero xoshiro state in practice. */
	for (i = 0; i < 4; i++)
		model_rng.s[i] = splitmix64(&x);
	for (i = 0; i < 4; i++)
		sched_rng.s[i] = splitmix64(&x);
}

/* Unseeded xoshiro state is all zeros and would return 0 forever. */
uint64_t sim_rand(void)
{
	SIM_BUG_ON(!sim_rt.initialized);
	return xoshiro_next(&model_rng);
}

uint64_t sim_rand_below(uint64_t n)
{
	SIM_BUG_ON(!sim_rt.initialized);
	return xoshiro_below(&model_rng, n);
}

uint64_t sim_sched_rand(void)
{
	SIM_BUG_ON(!sim_rt.initialized);
	return xoshiro_next(&sched_rng);
}

uint64_t sim_sched_rand_below(uint64_t n)
{
	SIM_BUG_ON(!sim_rt.initialized);
	return xoshiro_below(&sched_rng, n);
}

void sim_clock_reset(void)
{
	vclock = 0;
}

uint64_t sim_now(void)
{
	return vclock;
}

void sim_advance(uint64_t ns)
{
	/* Wrapping would make time run backwards: always a model bug. */
	SIM_BUG_ON(vclock + ns < vclock);
	vclock += ns;
}
