// SPDX-License-Identifier: MIT
/*
 * The /proc files that describe a simulated thread.  gettid() names
 * simulated threads (the pid, then one more per created thread), so
 * /proc/TID/... would describe whatever host task has that number, or
 * the host process itself: the files kvmsim knows are made here instead,
 * from the virtual clock.
 *
 * schedstat (fs/proc/base.c proc_pid_schedstat): "%llu %llu %lu\n", the
 * ns the thread ran, the ns it waited runnable for the CPU (run_delay),
 * the times it was switched in.  The paths: /proc/self/schedstat (the
 * main thread, as /proc/PID is the group leader), /proc/thread-self/...,
 * /proc/TID/..., /proc/PID/task/TID/... and /proc/self/task/TID/....
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "posix/posix.h"
#include "sim/sim.h"

/* "N/" at *p: the number, p moved past it; -1 for anything else */
static long parse_num(const char **p)
{
	char *end;
	long n;

	if (**p < '0' || **p > '9')
		return -1;
	n = strtol(*p, &end, 10);
	if (*end != '/')
		return -1;
	*p = end + 1;
	return n;
}

/* The thread a /proc/.../schedstat path names, 0 if it is no such path. */
static pid_t schedstat_tid(const char *path)
{
	const char *p;
	long pid, tid;

	if (strncmp(path, "/proc/", 6))
		return 0;
	p = path + 6;
	if (!strcmp(p, "thread-self/schedstat"))
		return posix_gettid();
	if (!strncmp(p, "self/", 5)) {
		pid = getpid();
		p += 5;
	} else if ((pid = parse_num(&p)) < 0) {
		return 0;
	}
	if (!strcmp(p, "schedstat"))
		return (pid_t)pid;
	/* PID/task/TID/schedstat: TID must be one of PID's threads */
	if (strncmp(p, "task/", 5) || pid != getpid())
		return 0;
	p += 5;
	if ((tid = parse_num(&p)) < 0 || strcmp(p, "schedstat"))
		return 0;
	return (pid_t)tid;
}

bool posix_proc_open(const char *path, int flags, int *fd)
{
	struct sim_schedstat s;
	pid_t tid = path ? schedstat_tid(path) : 0;
	char text[80];
	int n, r;

	/* another process's file, or a number no thread of ours had: the host's */
	r = tid ? posix_thread_schedstat(tid, &s) : -ESRCH;
	if (r == -ESRCH)
		return false;
	/* an exited thread's directory is gone; the file is 0444 */
	if (r || (flags & O_ACCMODE) != O_RDONLY) {
		*fd = r ? r : -EACCES;
		return true;
	}
	n = snprintf(text, sizeof(text), "%llu %llu %llu\n", (unsigned long long)s.exec_ns,
		     (unsigned long long)s.delay_ns, (unsigned long long)s.pcount);
	*fd = memfd_create("schedstat", flags & O_CLOEXEC ? MFD_CLOEXEC : 0);
	if (*fd < 0) {
		*fd = -errno;
		return true;
	}
	if (write(*fd, text, n) != n || lseek(*fd, 0, SEEK_SET)) {
		close(*fd);
		*fd = -EIO;
	}
	return true;
}
