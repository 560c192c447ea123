// SPDX-License-Identifier: MIT
/*
 * Spinning actors.
 *
 * Actors switch only at scheduling points, so a thread that spins on
 * memory without calling anything kvmsim models
 * (while (!READ_ONCE(ready)) cpu_relax();) would keep the one OS thread
 * forever and the actor it waits for would never run.  The rule:
 *
 *   An actor that has used SIM_SPIN_TICKS ticks of host CPU time
 *   (SIM_SPIN_TICK_MS each) without any actor reaching a scheduling
 *   point, and was interrupted in the program's own code (a module
 *   loaded at start-up other than libc, the dynamic linker, libkvmsim,
 *   the sanitizer runtimes and the vDSO; never Unicorn's translated
 *   code, which is in no module), is parked: it leaves the run queue
 *   (trace event "spin_park") until another actor reaches a scheduling
 *   point.  With nothing else runnable, virtual time jumps to the next
 *   timer as for a sleep; with no timer either, the spinner resumes
 *   alone (it is all that can make progress).
 *
 * A tick is a POSIX CPU-time timer's signal (SIGRTMAX - 2) handled on
 * the spinner's own stack, which is where the switch happens.
 *
 * Determinism: where it is parked depends on host timing, but a spin
 * that has no side effects leaves the same state wherever it stops, and
 * no other actor ran meanwhile, so the park falls at the same place in
 * the sequence of events and scheduling decisions: the same seed gives
 * the same trace.  A long computation in one thread without any
 * scheduling point (not a spin: it writes memory) can also be parked,
 * at a host-dependent point; runs of such a program are deterministic
 * only if nothing else observes the computation midway.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>

#include "sim/sim_internal.h"

#define SIM_SPIN_TICK_MS	10
#define SIM_SPIN_TICKS		3
#define SPIN_SIGNAL		(SIGRTMAX - 2)
#define MAX_RANGES		64

struct code_range {
	uintptr_t start, end;
};

static struct code_range program_code[MAX_RANGES];
static int nr_program_code;
static timer_t spin_timer;
static bool spin_armed;
static uint64_t last_points = UINT64_MAX;
static struct sim_actor *last_actor;
static int strikes;
static struct sim_waitq spinq;
static bool parking;		/* a park is no progress for other spinners */

static bool runtime_module(const char *path)
{
	static const char *const names[] = {
		"libc.so", "ld-linux", "libkvmsim.so", "libasan.so", "libubsan.so",
		"liblsan.so", "linux-vdso", "libunwind", "libgcc_s", "libstdc++",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strstr(path, names[i]))
			return true;
	return false;
}

static int add_module(struct dl_phdr_info *info, size_t size, void *data)
{
	if (runtime_module(info->dlpi_name))
		return 0;
	for (int i = 0; i < info->dlpi_phnum && nr_program_code < MAX_RANGES; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		program_code[nr_program_code++] = (struct code_range){
			info->dlpi_addr + ph->p_vaddr,
			info->dlpi_addr + ph->p_vaddr + ph->p_memsz,
		};
	}
	return 0;
}

static bool in_program_code(uintptr_t pc)
{
	for (int i = 0; i < nr_program_code; i++)
		if (pc >= program_code[i].start && pc < program_code[i].end)
			return true;
	return false;
}

/* Park the current actor until another one reaches a scheduling point. */
static void spin_park(struct sim_actor *self)
{
	struct sim_ev *ev = sim_ev_begin("spin_park");

	sim_ev_str(ev, "actor", self->name);
	sim_ev_end(ev);
	parking = true;
	sim_wait(&spinq);
}

static void spin_tick(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	struct sim_actor *self = sim_rt.cur;
	int saved_errno = errno;

	if (sim_rt.in_sched || sim_rt.points != last_points || self != last_actor) {
		last_points = sim_rt.points;
		last_actor = self;
		strikes = 0;
	} else if (++strikes >= SIM_SPIN_TICKS) {
		strikes = 0;
#ifdef REG_RIP
		if (in_program_code((uintptr_t)uc->uc_mcontext.gregs[REG_RIP]))
			spin_park(self);
#else
		(void)uc;
#endif
	}
	errno = saved_errno;
}

/* A scheduling point was reached: parked spinners may look again. */
void sim_spin_progress(struct sim_actor *self)
{
	if (parking) {
		parking = false;
		return;
	}
	if (spinq.head)
		sim_wake_all(&spinq);
}

/* Nothing else can run: a parked spinner goes on alone (timers first). */
bool sim_spin_resume_alone(void)
{
	return sim_wake_all(&spinq) > 0;
}

static void spin_arm(void)
{
	struct itimerspec its = {
		.it_interval = { 0, SIM_SPIN_TICK_MS * 1000000L },
		.it_value = { 0, SIM_SPIN_TICK_MS * 1000000L },
	};
	struct sigevent sev = {
		.sigev_notify = SIGEV_SIGNAL,
		.sigev_signo = SPIN_SIGNAL,
	};

	/* the host's timer (libkvmsim.so interposes these names) */
	int (*create)(clockid_t, struct sigevent *, timer_t *) =
		(int (*)(clockid_t, struct sigevent *, timer_t *))dlsym(RTLD_NEXT, "timer_create");
	int (*settime)(timer_t, int, const struct itimerspec *, struct itimerspec *) =
		(int (*)(timer_t, int, const struct itimerspec *, struct itimerspec *))
		dlsym(RTLD_NEXT, "timer_settime");

	if (create && settime && create(CLOCK_PROCESS_CPUTIME_ID, &sev, &spin_timer) == 0 &&
	    settime(spin_timer, 0, &its, NULL) == 0)
		spin_armed = true;
}

void sim_spin_watchdog_start(void)
{
	struct sigaction sa;

	if (spin_armed)
		return;
	sim_waitq_init(&spinq, "spin");
	dl_iterate_phdr(add_module, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = spin_tick;
	/* the handler switches fibers: the next tick must not wait for it */
	sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SPIN_SIGNAL, &sa, NULL) != 0)
		return;
	spin_arm();
}

/* POSIX timers are not inherited by fork: each explored run re-arms. */
void sim_spin_after_fork(void)
{
	if (!spin_armed)
		return;
	spin_armed = false;
	spin_arm();
}
