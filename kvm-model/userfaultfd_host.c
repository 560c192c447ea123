// SPDX-License-Identifier: MIT
/*
 * The host kernel's userfaultfd behind the model: see userfaultfd_host.h.
 *
 * Real system calls here go through libc's own entry points (dlsym
 * RTLD_NEXT): libkvmsim.so interposes syscall(), ioctl() and sigaction(),
 * and SYS_userfaultfd through the interposed syscall() would make a model
 * userfaultfd, not a host one.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "kvm-model/userfaultfd.h"
#include "kvm-model/userfaultfd_host.h"
#include "posix/posix.h"
#include "sim/sim.h"

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY	1
#endif
#ifndef UFFD_FEATURE_POISON
#define UFFD_FEATURE_POISON	(1 << 14)
#endif

/* What the model may ask of the host, when the host has it. */
#define HOST_WANTED	(UFFD_FEATURE_SIGBUS | UFFD_FEATURE_MISSING_SHMEM |		\
			 UFFD_FEATURE_MINOR_SHMEM | UFFD_FEATURE_MISSING_HUGETLBFS |	\
			 UFFD_FEATURE_MINOR_HUGETLBFS)

static int host_fd = -1;
static bool host_tried;
static bool host_warned;
static uint64_t host_features;
static bool owns_sigbus;
static struct sigaction prog_act;	/* the program's SIGBUS disposition */

static long (*real_syscall)(long, ...);
static int (*real_ioctl)(int, unsigned long, ...);
static int (*real_sigaction)(int, const struct sigaction *, struct sigaction *);

static bool resolve(void)
{
	if (!real_syscall)
		real_syscall = dlsym(RTLD_NEXT, "syscall");
	if (!real_ioctl)
		real_ioctl = dlsym(RTLD_NEXT, "ioctl");
	if (!real_sigaction)
		real_sigaction = dlsym(RTLD_NEXT, "sigaction");
	return real_syscall && real_ioctl && real_sigaction;
}

static void warn_once(const char *what, int err)
{
	if (host_warned)
		return;
	host_warned = true;
	fprintf(stderr, "kvmsim: warning: no host userfaultfd (%s: %s): a VMM thread touching "
		"a missing registered page reads zeros instead of blocking\n", what, strerror(err));
}

/* userfaultfd(2): user-mode faults only where the host allows that much. */
static int open_raw(void)
{
	int fd = (int)real_syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);

	if (fd < 0 && errno == EINVAL)	/* before 5.11 */
		fd = (int)real_syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	return fd;
}

/*
 * Far from the program's fds: a VMM that prints or counts its fds must
 * see the numbers it sees natively.
 */
static int move_high(int fd)
{
	struct rlimit rl;
	int high;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur < 64)
		return fd;
	high = (int)(rl.rlim_cur > 4096 ? 4096 : rl.rlim_cur) - 32;
	int nfd = (int)real_syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, high);

	if (nfd < 0)
		return fd;
	real_syscall(SYS_close, fd);
	return nfd;
}

static void atfork_child(void);

/* The host userfaultfd, opened on first use; false when there is none. */
static bool host_open(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	int fd;

	if (host_fd >= 0)
		return true;
	if (host_tried)
		return false;
	host_tried = true;
	if (!resolve())
		return false;
	/* which features: UFFDIO_API succeeds once per file, so probe on another */
	fd = open_raw();
	if (fd < 0) {
		warn_once("userfaultfd", errno);
		return false;
	}
	if (real_ioctl(fd, UFFDIO_API, &api)) {
		warn_once("UFFDIO_API", errno);
		real_syscall(SYS_close, fd);
		return false;
	}
	real_syscall(SYS_close, fd);
	if (!(api.features & UFFD_FEATURE_SIGBUS)) {
		warn_once("UFFD_FEATURE_SIGBUS", EOPNOTSUPP);
		return false;
	}
	host_features = api.features & HOST_WANTED;
	fd = open_raw();
	api = (struct uffdio_api){ .api = UFFD_API, .features = host_features };
	if (fd < 0 || real_ioctl(fd, UFFDIO_API, &api)) {
		warn_once("UFFDIO_API", errno);
		if (fd >= 0)
			real_syscall(SYS_close, fd);
		return false;
	}
	host_fd = move_high(fd);
	{
		static bool atfork;

		if (!atfork)
			atfork = !pthread_atfork(NULL, NULL, atfork_child);
	}
	return true;
}

/*
 * A fork's child: its vmas lost the registrations (no EVENT_FORK), and
 * the inherited file still speaks for the parent's mm.  Open a new one and
 * register what the model has.
 */
static void atfork_child(void)
{
	if (host_fd < 0)
		return;
	real_syscall(SYS_close, host_fd);
	host_fd = -1;
	host_tried = false;
	userfaultfd_host_reregister();
}

/* ---- SIGBUS ---- */

static bool fault_is_write(const void *ucv)
{
#if defined(__x86_64__)
	const ucontext_t *uc = ucv;

	return uc && (uc->uc_mcontext.gregs[REG_ERR] & 2);	/* X86_PF_WRITE */
#else
	(void)ucv;
	return false;
#endif
}

/* Any other SIGBUS: what the program asked for, or the default action. */
static void sigbus_chain(int sig, siginfo_t *si, void *uc)
{
	if (!posix_signal_chain(&prog_act, sig, si, uc))
		return;
	owns_sigbus = false;
	raise(SIGBUS);
}

/*
 * The host refused a registered missing page to a VMM thread's load or
 * store: the userfault, on the thread's own stack (the handler runs there,
 * SA_NODEFER so other threads may fault meanwhile).  It sleeps in
 * handle_userfault like any simulated wait; returning re-runs the access.
 */
static void uffd_host_sigbus(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;

	if (si->si_code == BUS_ADRERR && sim_self() &&
	    handle_userfault_user((uintptr_t)si->si_addr, fault_is_write(uc))) {
		errno = saved;
		return;
	}
	errno = saved;
	sigbus_chain(sig, si, uc);
}

static void own_sigbus(void)
{
	struct sigaction sa = { .sa_sigaction = uffd_host_sigbus,
				.sa_flags = SA_SIGINFO | SA_NODEFER | SA_RESTART };

	if (owns_sigbus)
		return;
	if (real_sigaction(SIGBUS, NULL, &prog_act))
		return;
	sigemptyset(&sa.sa_mask);
	if (!real_sigaction(SIGBUS, &sa, NULL))
		owns_sigbus = true;
}

bool uffd_host_owns_sigbus(void)
{
	return owns_sigbus;
}

int uffd_host_sigbus_action(const struct sigaction *act, struct sigaction *old)
{
	if (old)
		*old = prog_act;
	if (act)
		prog_act = *act;
	return 0;
}

/* ---- registrations and fills ---- */

bool uffd_host_register(uint64_t start, uint64_t len, unsigned long vm_flags)
{
	struct uffdio_register reg = { .range = { start, len } };

	if (!host_open())
		return false;
	if (vm_flags & VM_UFFD_MISSING)
		reg.mode |= UFFDIO_REGISTER_MODE_MISSING;
	if (vm_flags & VM_UFFD_MINOR)
		reg.mode |= UFFDIO_REGISTER_MODE_MINOR;
	if (real_ioctl(host_fd, UFFDIO_REGISTER, &reg)) {
		warn_once("UFFDIO_REGISTER", errno);
		return false;
	}
	own_sigbus();
	return true;
}

void uffd_host_unregister(uint64_t start, uint64_t len)
{
	struct uffdio_range range = { start, len };

	if (host_fd >= 0)
		real_ioctl(host_fd, UFFDIO_UNREGISTER, &range);
}

static int host_ioctl(unsigned long cmd, void *arg)
{
	if (host_fd < 0)
		return -ENOSYS;
	return real_ioctl(host_fd, cmd, arg) ? -errno : 0;
}

int uffd_host_copy(uint64_t dst, const void *src, uint64_t len)
{
	struct uffdio_copy c = { .dst = dst, .src = (uintptr_t)src, .len = len,
				 .mode = UFFDIO_COPY_MODE_DONTWAKE };

	return host_ioctl(UFFDIO_COPY, &c);
}

int uffd_host_zeropage(uint64_t dst, uint64_t len)
{
	struct uffdio_zeropage z = { .range = { dst, len },
				     .mode = UFFDIO_ZEROPAGE_MODE_DONTWAKE };

	return host_ioctl(UFFDIO_ZEROPAGE, &z);
}

int uffd_host_continue(uint64_t dst, uint64_t len)
{
	struct uffdio_continue c = { .range = { dst, len },
				     .mode = UFFDIO_CONTINUE_MODE_DONTWAKE };

	if (!(host_features & UFFD_FEATURE_MINOR_SHMEM))
		return -ENOSYS;
	return host_ioctl(UFFDIO_CONTINUE, &c);
}
