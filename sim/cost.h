/* SPDX-License-Identifier: MIT */
/*
 * A virtual-time cost model (off unless enabled): an actor that "spends
 * CPU" sleeps that long in virtual time, so actors overlap as on many
 * CPUs, and a sim_lock held while spending serializes them, as a
 * contended kernel lock does.  Costs are named and defined by the layer
 * that knows them (kvm-model/cost.c); the layers that pay them (posix,
 * userfaultfd, the fault path) look them up by name.  With the model off
 * every call returns at once and virtual time is untouched.
 */
#ifndef KVMSIM_SIM_COST_H
#define KVMSIM_SIM_COST_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/sim.h"

/* Costs the generic layers (posix/) pay; their values come from above. */
#define SIM_COST_WAKEUP		"wakeup"	/* a sleeper woken and scheduled */
#define SIM_COST_EPOLL_WAKEUP	"epoll_wakeup"	/* the same, out of epoll_wait */

struct sim_lock {
	bool held;
	struct sim_waitq wq;
};

void sim_cost_enable(bool on);
bool sim_cost_enabled(void);
/* Define (or redefine) a named cost in virtual ns. */
void sim_cost_define(const char *name, uint64_t ns);
/* The current actor spends the named cost (0 if undefined). */
void sim_charge(const char *name);
/* The same, holding lock; waits for it first. */
void sim_charge_locked(struct sim_lock *lock, const char *name);
void sim_lock_init(struct sim_lock *lock, const char *name);

#endif
