// SPDX-License-Identifier: MIT
/*
 * fork() by the program (not kvmsim's own forks: the explorer's runs).
 *
 * Before it, each simulated pipe becomes a host pipe (hostpipe.c) so
 * that parent and child share it, as they would share a pipe on Linux,
 * and the trace and timeline are flushed.  In the child: only the
 * calling thread goes on (kernel_fork copies one thread); the kernel's
 * own timer actor stays for the child's timerfds; the interval and POSIX
 * timers and the pending signals are not inherited; the child's ioctls
 * on the parent's VMs fail with EIO (a new mm: posix_mm_generation); it
 * records no trace.  Other simulated fds (eventfd, timerfd, epoll,
 * signalfd) stay the child's own copies.
 */
#include "posix/posix.h"
#include "sim/sim.h"

int posix_fork_prepare(void)
{
	sim_fork_prepare();
	return posix_pipes_to_host();
}

static bool keep_in_child(struct sim_actor *a)
{
	return posix_hrtimer_actor(a);
}

void posix_fork_child(void)
{
	posix_mm_generation_bump();
	posix_threads_after_fork();
	posix_itimers_after_fork();
	posix_signal_after_fork();
	sim_fork_child(keep_in_child);
}
