// SPDX-License-Identifier: MIT
/*
 * The process's own RDTSC and RDTSCP read the virtual clock.
 *
 * A VMM compares its guest's TSC with its own `rdtsc` plus the vCPU's
 * TSC offset (system_counter_offset_test); the host TSC kvmsim models
 * runs on the virtual clock, so the process's must too, or the two never
 * agree (and a run's values differ from run to run).  The instruction
 * cannot be interposed, so it is trapped: prctl(PR_SET_TSC,
 * PR_TSC_SIGSEGV) makes it raise #GP in user mode (CR4.TSD for this
 * task, inherited by its clones), the kernel sends SIGSEGV (SI_KERNEL),
 * and the handler here answers from the model's host TSC (tsc_read) and
 * steps over the instruction.  Every rdtsc in the process is caught:
 * the program's, libc's and Unicorn's; only the vDSO's (a clock read
 * that bypassed the interposed clock_gettime) gets the real TSC, read
 * with the trap lifted for the one instruction, because its clocks are
 * the host's.  A read by a simulated thread is a clock read for the
 * polling rule (time.c): a thread spinning on rdtsc lets time pass.
 *
 * The handler owns SIGSEGV: the program's own disposition is kept
 * (posix_tsc_sigsegv_action, for the interposed sigaction/signal) and
 * every other SIGSEGV goes to it.  The flag survives execve and ld.so
 * itself reads the TSC at start-up, so the exec family lifts it first
 * (posix_tsc_exec_begin/end).  KVMSIM_TRAP_TSC=0 leaves the TSC alone.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <ucontext.h>

#include "posix/posix.h"
#include "posix/real.h"
#include "sim/sim.h"

#if defined(__x86_64__)

REAL_DECL(int, sigaction, int, const struct sigaction *, struct sigaction *);
REAL_DECL(int, raise, int);

static uint64_t (*tsc_read)(void);
static bool trapping;
static struct sigaction prog_act;	/* the program's SIGSEGV disposition */
static uintptr_t vdso_lo, vdso_hi;

/* the vDSO's extent, from its ELF header (mapped at AT_SYSINFO_EHDR) */
static void find_vdso(void)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)getauxval(AT_SYSINFO_EHDR);
	const Elf64_Phdr *ph;
	uintptr_t end = 0;

	if (!eh)
		return;
	ph = (const Elf64_Phdr *)((const char *)eh + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr + ph[i].p_memsz > end)
			end = ph[i].p_vaddr + ph[i].p_memsz;
	vdso_lo = (uintptr_t)eh;
	vdso_hi = vdso_lo + end;
}

/* 2 for rdtsc (0f 31), 3 for rdtscp (0f 01 f9), 0 for anything else */
static int tsc_insn_len(const unsigned char *ip)
{
	if (ip[0] == 0x0f && ip[1] == 0x31)
		return 2;
	if (ip[0] == 0x0f && ip[1] == 0x01 && ip[2] == 0xf9)
		return 3;
	return 0;
}

/* the real TSC (and TSC_AUX), the trap lifted for one instruction */
static uint64_t host_rdtscp(uint32_t *aux)
{
	uint32_t lo, hi, c;

	prctl(PR_SET_TSC, PR_TSC_ENABLE, 0, 0, 0);
	__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(c));
	prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0);
	*aux = c;
	return (uint64_t)hi << 32 | lo;
}

/* Any other SIGSEGV: what the program asked for, or the default action. */
static void sigsegv_chain(int sig, siginfo_t *si, void *uc)
{
	/* a queued signal is raised; a fault runs again and kills the process */
	if (posix_signal_chain(&prog_act, sig, si, uc) && si->si_code <= 0)
		REAL(raise)(SIGSEGV);
}

/*
 * On the faulting thread's stack, SA_NODEFER: a simulated thread may
 * yield inside (the polling rule) and another one trap meanwhile.
 */
static void tsc_sigsegv(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	const unsigned char *ip = (const unsigned char *)g[REG_RIP];
	int saved = errno, len = 0;
	uint32_t aux = 0;
	uint64_t tsc;

	/* #GP in user mode; the instruction was fetched, so it is readable */
	if (si->si_code == SI_KERNEL)
		len = tsc_insn_len(ip);
	if (!len) {
		errno = saved;
		sigsegv_chain(sig, si, ucv);
		return;
	}
	if ((uintptr_t)ip >= vdso_lo && (uintptr_t)ip < vdso_hi) {
		tsc = host_rdtscp(&aux);
	} else {
		if (sim_self())
			posix_clock_poll();
		/* the host kvmsim models has one CPU: TSC_AUX (node << 12 | cpu) is 0 */
		tsc = tsc_read();
	}
	g[REG_RAX] = (uint32_t)tsc;
	g[REG_RDX] = tsc >> 32;
	if (len == 3)
		g[REG_RCX] = aux;
	g[REG_RIP] += len;
	errno = saved;
}

void posix_tsc_trap_start(uint64_t (*read)(void))
{
	struct sigaction sa = { .sa_sigaction = tsc_sigsegv,
				.sa_flags = SA_SIGINFO | SA_NODEFER | SA_RESTART };
	const char *v = getenv("KVMSIM_TRAP_TSC");

	if (trapping || (v && !strcmp(v, "0")))
		return;
	tsc_read = read;
	find_vdso();
	if (REAL(sigaction)(SIGSEGV, NULL, &prog_act))
		return;
	sigemptyset(&sa.sa_mask);
	if (REAL(sigaction)(SIGSEGV, &sa, NULL))
		return;
	if (prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0)) {
		posix_warn_once("PR_SET_TSC", "the kernel refused PR_TSC_SIGSEGV: the process's "
				"rdtsc reads the host's TSC, not the virtual clock");
		REAL(sigaction)(SIGSEGV, &prog_act, NULL);
		return;
	}
	trapping = true;
}

bool posix_tsc_owns_sigsegv(void)
{
	return trapping;
}

int posix_tsc_sigsegv_action(const struct sigaction *act, struct sigaction *old)
{
	if (old)
		*old = prog_act;
	if (act)
		prog_act = *act;
	return 0;
}

void posix_tsc_exec_begin(void)
{
	if (trapping)
		prctl(PR_SET_TSC, PR_TSC_ENABLE, 0, 0, 0);
}

void posix_tsc_exec_end(void)
{
	if (trapping)
		prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0);
}

#else	/* no TSC to trap */

void posix_tsc_trap_start(uint64_t (*read)(void))
{
	(void)read;
}

bool posix_tsc_owns_sigsegv(void)
{
	return false;
}

int posix_tsc_sigsegv_action(const struct sigaction *act, struct sigaction *old)
{
	(void)act;
	(void)old;
	return 0;
}

void posix_tsc_exec_begin(void)
{
}

void posix_tsc_exec_end(void)
{
}

#endif
