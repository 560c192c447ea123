// SPDX-License-Identifier: MIT
/* Virtual-time costs (see cost.h). */
#include <string.h>

#include "sim/cost.h"

#define MAX_COSTS	32

static bool enabled;
static struct {
	const char *name;
	uint64_t ns;
} costs[MAX_COSTS];
static int nr_costs;

void sim_cost_enable(bool on)
{
	enabled = on;
}

bool sim_cost_enabled(void)
{
	return enabled;
}

void sim_cost_define(const char *name, uint64_t ns)
{
	for (int i = 0; i < nr_costs; i++) {
		if (!strcmp(costs[i].name, name)) {
			costs[i].ns = ns;
			return;
		}
	}
	if (nr_costs < MAX_COSTS)
		costs[nr_costs++] = (typeof(costs[0])){ name, ns };
}

static uint64_t cost_of(const char *name)
{
	for (int i = 0; i < nr_costs; i++)
		if (!strcmp(costs[i].name, name))
			return costs[i].ns;
	return 0;
}

void sim_charge(const char *name)
{
	uint64_t ns = enabled ? cost_of(name) : 0;

	if (ns)
		sim_sleep_until(sim_now() + ns);
}

void sim_lock_init(struct sim_lock *lock, const char *name)
{
	lock->held = false;
	sim_waitq_init(&lock->wq, name);
}

void sim_charge_locked(struct sim_lock *lock, const char *name)
{
	if (!enabled || !cost_of(name))
		return;
	while (lock->held)
		sim_wait(&lock->wq);
	lock->held = true;
	sim_charge(name);
	lock->held = false;
	sim_wake_one(&lock->wq);
}
