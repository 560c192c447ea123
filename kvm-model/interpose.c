// SPDX-License-Identifier: MIT
/*
 * THE INTERPOSITION LAYER — the one place where kvmsim replaces libc.
 *
 * libkvmsim.so exports open/openat/ioctl/mmap/munmap/close/dup... so that
 * an unmodified VMM (LD_PRELOAD by `kvmsim exec`, or linked against the
 * library) talks to kvmsim instead of the kernel for /dev/kvm and the fds
 * it hands out.  Every other path and fd goes to the real libc call,
 * untouched.  Memory calls are also observed (not changed) so that
 * kvmsim's model of host memory follows the VMM's mappings, as the
 * kernel's MMU notifiers do.  With KVMSIM=off everything passes through.
 *
 * The fd lifecycle (close, dup*, fcntl, ioctl) of every simulated fd,
 * KVM's and posix/'s (eventfd, pipe, epoll, userfaultfd...), is here, in
 * one place; the rest of the POSIX layer is posix/interpose.c.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "kvm-model/kvmsim.h"
#include "posix/posix.h"
#include "posix/simfd.h"
#include "sim/sim.h"

#define REAL(name) real_##name
#define RESOLVE(name)							\
	do {								\
		if (!real_##name)					\
			real_##name = dlsym(RTLD_NEXT, #name);		\
	} while (0)

static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static int (*real___open_2)(const char *, int);
static int (*real___open64_2)(const char *, int);
static int (*real_ioctl)(int, unsigned long, ...);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static void *(*real_mmap64)(void *, size_t, int, int, int, off_t);
static int (*real_munmap)(void *, size_t);
static int (*real_mprotect)(void *, size_t, int);
static int (*real_madvise)(void *, size_t, int);
static int (*real_fallocate)(int, int, off_t, off_t);
static int (*real_fallocate64)(int, int, off_t, off_t);
static int (*real_ftruncate)(int, off_t);
static int (*real_ftruncate64)(int, off_t);
static int (*real_truncate)(const char *, off_t);
static int (*real_truncate64)(const char *, off_t);
static int (*real_creat)(const char *, mode_t);
static int (*real_creat64)(const char *, mode_t);
static FILE *(*real_fopen)(const char *, const char *);
static FILE *(*real_fopen64)(const char *, const char *);
static FILE *(*real_freopen)(const char *, const char *, FILE *);
static FILE *(*real_freopen64)(const char *, const char *, FILE *);
static void *(*real_mremap)(void *, size_t, size_t, int, ...);
static int (*real_close)(int);
static int (*real_dup)(int);
static int (*real_dup2)(int, int);
static int (*real_dup3)(int, int, int);
static int (*real_fcntl)(int, int, ...);
static int (*real_fcntl64)(int, int, ...);
static long (*real_syscall)(long, ...);

__attribute__((constructor)) static void kvmsim_interpose_init(void)
{
	kvmsim_runtime_init();
	if (kvmsim_enabled())
		posix_tsc_trap_start(kvmsim_host_tsc);
}

static bool is_dev_kvm(const char *path)
{
	return kvmsim_enabled() && path &&
	       (!strcmp(path, "/dev/kvm") || !strcmp(path, "/dev/userfaultfd"));
}

static int ret_errno(long r)
{
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return (int)r;
}

static int open_dev_kvm(const char *path, int flags)
{
	int fd = !strcmp(path, "/dev/userfaultfd") ? kvmsim_open_userfaultfd_dev() :
		 kvmsim_open_dev();

	/* the stand-in fd is close-on-exec and blocking: as open() asked */
	RESOLVE(fcntl);
	if (fd >= 0 && !(flags & O_CLOEXEC))
		REAL(fcntl)(fd, F_SETFD, 0);
	if (fd >= 0 && (flags & O_NONBLOCK))
		REAL(fcntl)(fd, F_SETFL, O_NONBLOCK);
	return ret_errno(fd);
}

/*
 * open(O_TRUNC) empties an existing file: its pages leave every mapping,
 * guests' included. The size before the call, or -1 when nothing to do.
 */
static off_t otrunc_size_before(int dirfd, const char *path, int flags, struct stat *st)
{
	if (!(flags & O_TRUNC) || !kvmsim_enabled() || !path)
		return -1;
	if (fstatat(dirfd, path, st, 0) || !S_ISREG(st->st_mode) || !st->st_size)
		return -1;
	return st->st_size;
}

static int otrunc_done(int fd, off_t old_size, const struct stat *st)
{
	if (fd >= 0 && old_size > 0)
		kvmsim_host_inode_truncated(st->st_dev, st->st_ino, old_size, 0);
	return fd;
}

/* /proc/TID/schedstat and friends of a simulated thread (posix/proc.c) */
static bool proc_open(const char *path, int flags, int *ret)
{
	int fd;

	if (!kvmsim_enabled() || !path || !posix_proc_open(path, flags, &fd))
		return false;
	*ret = ret_errno(fd);
	return true;
}

static mode_t va_mode(int flags, va_list ap)
{
	return (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;
	struct stat st;
	off_t old_size;
	int fd;

	va_start(ap, flags);
	mode = va_mode(flags, ap);
	va_end(ap);
	if (is_dev_kvm(path))
		return open_dev_kvm(path, flags);
	if (proc_open(path, flags, &fd))
		return fd;
	RESOLVE(open);
	old_size = otrunc_size_before(AT_FDCWD, path, flags, &st);
	return otrunc_done(REAL(open)(path, flags, mode), old_size, &st);
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;
	struct stat st;
	off_t old_size;
	int fd;

	va_start(ap, flags);
	mode = va_mode(flags, ap);
	va_end(ap);
	if (is_dev_kvm(path))
		return open_dev_kvm(path, flags);
	if (proc_open(path, flags, &fd))
		return fd;
	RESOLVE(open64);
	old_size = otrunc_size_before(AT_FDCWD, path, flags, &st);
	return otrunc_done(REAL(open64)(path, flags, mode), old_size, &st);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;
	struct stat st;
	off_t old_size;
	int fd;

	va_start(ap, flags);
	mode = va_mode(flags, ap);
	va_end(ap);
	if (is_dev_kvm(path))
		return open_dev_kvm(path, flags);
	if (proc_open(path, flags, &fd))
		return fd;
	RESOLVE(openat);
	old_size = otrunc_size_before(dirfd, path, flags, &st);
	return otrunc_done(REAL(openat)(dirfd, path, flags, mode), old_size, &st);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;
	struct stat st;
	off_t old_size;
	int fd;

	va_start(ap, flags);
	mode = va_mode(flags, ap);
	va_end(ap);
	if (is_dev_kvm(path))
		return open_dev_kvm(path, flags);
	if (proc_open(path, flags, &fd))
		return fd;
	RESOLVE(openat64);
	old_size = otrunc_size_before(dirfd, path, flags, &st);
	return otrunc_done(REAL(openat64)(dirfd, path, flags, mode), old_size, &st);
}

/* _FORTIFY_SOURCE builds call these when flags are not constant. */
int __open_2(const char *path, int flags)
{
	struct stat st;
	off_t old_size;
	int fd;

	if (is_dev_kvm(path))
		return open_dev_kvm(path, flags);
	if (proc_open(path, flags, &fd))
		return fd;
	RESOLVE(__open_2);
	old_size = otrunc_size_before(AT_FDCWD, path, flags, &st);
	return otrunc_done(REAL(__open_2)(path, flags), old_size, &st);
}

int __open64_2(const char *path, int flags)
{
	struct stat st;
	off_t old_size;
	int fd;

	if (is_dev_kvm(path))
		return open_dev_kvm(path, flags);
	if (proc_open(path, flags, &fd))
		return fd;
	RESOLVE(__open64_2);
	old_size = otrunc_size_before(AT_FDCWD, path, flags, &st);
	return otrunc_done(REAL(__open64_2)(path, flags), old_size, &st);
}

/*
 * A KVM, userfaultfd or other simulated ioctl: a synchronization
 * operation at its entry and at its exit (--preempt sync), so another
 * thread can run between the caller's last step and the kernel's first,
 * and between the kernel's answer and the caller's use of it.
 */
static long sync_ioctl(int fd, unsigned long request, unsigned long arg,
		       long (*fn)(int, unsigned long, unsigned long))
{
	long r;

	sim_sync_point("ioctl");
	r = fn(fd, request, arg);
	sim_sync_point("ioctl_exit");
	return r;
}

int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	unsigned long arg;

	va_start(ap, request);
	arg = va_arg(ap, unsigned long);
	va_end(ap);
	/* do_vfs_ioctl answers these for every file, before the file's ioctl */
	bool vfs_ioctl = request == FIOCLEX || request == FIONCLEX || request == FIONBIO ||
			 request == FIOASYNC;

	if (kvmsim_fd_kind(fd) != KVMSIM_FILE_NONE && !vfs_ioctl)
		return ret_errno(sync_ioctl(fd, request, arg, kvmsim_fd_ioctl));
	/* close-on-exec belongs to the real placeholder fd */
	if (simfd_get(fd) && request != FIOCLEX && request != FIONCLEX)
		return ret_errno(sync_ioctl(fd, request, arg, posix_fd_ioctl));
	RESOLVE(ioctl);
	return REAL(ioctl)(fd, request, arg);
}

static void *mmap_common(void *(*real)(void *, size_t, int, int, int, off_t),
			 void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	int kfd = -1;
	void *p;

	if (fd >= 0 && kvmsim_fd_kind(fd) != KVMSIM_FILE_NONE) {
		int r = kvmsim_mmap_check(fd, len, prot, flags, off);

		if (r < 0) {
			errno = -r;
			return MAP_FAILED;
		}
		kfd = fd;
		if (r > 0)
			fd = r;		/* map the stand-in the file gave */
	}
	/*
	 * MAP_FIXED replaces what was mapped there: for a guest that is an
	 * munmap (the MMU notifier), before the old pages go away.
	 */
	if ((flags & MAP_FIXED) && !(flags & MAP_FIXED_NOREPLACE) && kvmsim_enabled()) {
		kvmsim_host_unmap((unsigned long)addr, len);
		kvmsim_host_vma_gone((unsigned long)addr, len);
	}
	p = real(addr, len, prot, flags, fd, off);
	if (p != MAP_FAILED && kvmsim_enabled()) {
		kvmsim_host_mmap((unsigned long)p, len, flags);
		if (fd >= 0 && kfd < 0)
			kvmsim_host_mmap_file((unsigned long)p, len, fd);
		if (kfd >= 0) {
			kvmsim_fd_mmapped(kfd, (unsigned long)p, len);
			kvmsim_vcpu_mmap_ring(kfd, p, len, prot, flags, off);
		}
	}
	return p;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	RESOLVE(mmap);
	return mmap_common(REAL(mmap), addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	RESOLVE(mmap64);
	return mmap_common(REAL(mmap64), addr, len, prot, flags, fd, off);
}

int munmap(void *addr, size_t len)
{
	/* invalidate first: the guest must never see a dangling translation */
	if (kvmsim_enabled()) {
		kvmsim_host_unmap((unsigned long)addr, len);
		kvmsim_host_vma_gone((unsigned long)addr, len);
	}
	RESOLVE(munmap);
	return REAL(munmap)(addr, len);
}

int mprotect(void *addr, size_t len, int prot)
{
	if (kvmsim_enabled())
		kvmsim_host_protect((unsigned long)addr, len);
	RESOLVE(mprotect);
	return REAL(mprotect)(addr, len, prot);
}

int madvise(void *addr, size_t len, int advice)
{
	int r;

	/*
	 * MADV_HWPOISON really poisons a page (and needs CAP_SYS_ADMIN):
	 * under kvmsim the poison is modelled, the page left alone.
	 */
	if (advice == MADV_HWPOISON && kvmsim_enabled())
		return kvmsim_host_hwpoison((unsigned long)addr, len);
	RESOLVE(madvise);
	r = REAL(madvise)(addr, len, advice);
	if (!r && kvmsim_enabled())
		kvmsim_host_advise((unsigned long)addr, len, advice);
	return r;
}

void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	va_list ap;
	void *new_addr;

	va_start(ap, flags);
	new_addr = (flags & MREMAP_FIXED) ? va_arg(ap, void *) : NULL;
	va_end(ap);
	if (kvmsim_enabled()) {
		kvmsim_host_unmap((unsigned long)old, old_len);
		kvmsim_host_vma_gone((unsigned long)old, old_len);
	}
	RESOLVE(mremap);
	return REAL(mremap)(old, old_len, new_len, flags, new_addr);
}

/*
 * SIGBUS belongs to kvmsim once a userfaultfd range is registered on the
 * host (kvm-model/userfaultfd_host.h: a VMM thread's userfault arrives as
 * one): the program's disposition is kept and answered here, and every
 * SIGBUS that is not a userfault goes to it.
 */
static int (*real_sigaction)(int, const struct sigaction *, struct sigaction *);

int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	if (sig == SIGBUS && kvmsim_enabled() && kvmsim_owns_sigbus())
		return kvmsim_sigbus_action(act, old);
	/* SIGSEGV too while the process's rdtsc is trapped (posix/tsc.c) */
	if (sig == SIGSEGV && posix_tsc_owns_sigsegv())
		return posix_tsc_sigsegv_action(act, old);
	RESOLVE(sigaction);
	return REAL(sigaction)(sig, act, old);
}

/* glibc's signal() calls its internal sigaction: BSD semantics, as it has */
sighandler_t signal(int sig, sighandler_t handler)
{
	struct sigaction act = { .sa_handler = handler, .sa_flags = SA_RESTART }, old;

	if (sig == SIGSEGV && posix_tsc_owns_sigsegv()) {
		sigemptyset(&act.sa_mask);
		sigaddset(&act.sa_mask, sig);
		posix_tsc_sigsegv_action(&act, &old);
		return old.sa_handler;
	}
	if (sig != SIGBUS || !kvmsim_enabled() || !kvmsim_owns_sigbus()) {
		static sighandler_t (*real_signal)(int, sighandler_t);

		RESOLVE(signal);
		return REAL(signal)(sig, handler);
	}
	sigemptyset(&act.sa_mask);
	sigaddset(&act.sa_mask, sig);
	kvmsim_sigbus_action(&act, &old);
	return old.sa_handler;
}

/* Punching a hole or truncating a file unmaps its pages everywhere. */
static int fallocate_common(int (*real)(int, int, off_t, off_t), int fd, int mode,
			    off_t off, off_t len)
{
	int r;

	if (kvmsim_enabled() && kvmsim_fd_kind(fd) != KVMSIM_FILE_NONE)
		return ret_errno(kvmsim_fd_fallocate(fd, mode, off, len));
	r = real(fd, mode, off, len);
	if (!r && (mode & FALLOC_FL_PUNCH_HOLE) && kvmsim_enabled())
		kvmsim_host_file_unmap(fd, off, len);
	if (!r && kvmsim_enabled())
		kvmsim_host_fallocate(fd, mode, off, len);
	return r;
}

int fallocate(int fd, int mode, off_t off, off_t len)
{
	RESOLVE(fallocate);
	return fallocate_common(REAL(fallocate), fd, mode, off, len);
}

int fallocate64(int fd, int mode, off_t off, off_t len)
{
	RESOLVE(fallocate64);
	return fallocate_common(REAL(fallocate64), fd, mode, off, len);
}

/* pread/pwrite of a guest_memfd (a dup of a memfd here): ESPIPE */
static ssize_t (*real_pread)(int, void *, size_t, off_t);
static ssize_t (*real_pread64)(int, void *, size_t, off_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off_t);
static ssize_t (*real_preadv)(int, const struct iovec *, int, off_t);
static ssize_t (*real_pwritev)(int, const struct iovec *, int, off_t);

/*
 * Before a positioned read or write: a guest_memfd refuses it (the error,
 * negative), else the buffer's userfault comes first, as the kernel's copy
 * would take it.  The buffer comes as an address: gcc takes a const
 * pointer for a read of pread's write-only buffer.
 */
static int prw_prepare(int fd, uintptr_t buf, size_t n, bool to_buf)
{
	int err;

	if (!kvmsim_enabled())
		return 0;
	err = kvmsim_fd_prw_check(fd, !to_buf);
	if (!err)
		posix_uaccess_fault_in((const void *)buf, n, to_buf);
	return err;
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	int err = prw_prepare(fd, (uintptr_t)buf, n, true);

	if (err)
		return ret_errno(err);
	RESOLVE(pread);
	return REAL(pread)(fd, buf, n, off);
}

ssize_t pread64(int fd, void *buf, size_t n, off_t off)
{
	int err = prw_prepare(fd, (uintptr_t)buf, n, true);

	if (err)
		return ret_errno(err);
	RESOLVE(pread64);
	return REAL(pread64)(fd, buf, n, off);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	int err = prw_prepare(fd, (uintptr_t)buf, n, false);

	if (err)
		return ret_errno(err);
	RESOLVE(pwrite);
	return REAL(pwrite)(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	int err = prw_prepare(fd, (uintptr_t)buf, n, false);

	if (err)
		return ret_errno(err);
	RESOLVE(pwrite64);
	return REAL(pwrite64)(fd, buf, n, off);
}

ssize_t preadv(int fd, const struct iovec *iov, int iovcnt, off_t off)
{
	if (kvmsim_enabled() && kvmsim_fd_prw_check(fd, false))
		return ret_errno(kvmsim_fd_prw_check(fd, false));
	if (kvmsim_enabled())
		posix_uaccess_fault_in_iov(iov, iovcnt, true);
	RESOLVE(preadv);
	return REAL(preadv)(fd, iov, iovcnt, off);
}

ssize_t pwritev(int fd, const struct iovec *iov, int iovcnt, off_t off)
{
	if (kvmsim_enabled() && kvmsim_fd_prw_check(fd, true))
		return ret_errno(kvmsim_fd_prw_check(fd, true));
	if (kvmsim_enabled())
		posix_uaccess_fault_in_iov(iov, iovcnt, false);
	RESOLVE(pwritev);
	return REAL(pwritev)(fd, iov, iovcnt, off);
}

static off_t (*real_lseek)(int, off_t, int);
static off_t (*real_lseek64)(int, off_t, int);

static off_t lseek_common(off_t (*real)(int, off_t, int), int fd, off_t off, int whence)
{
	off_t pos;

	if (kvmsim_enabled() && kvmsim_fd_llseek(fd, &pos))
		return pos < 0 ? ret_errno(pos) : pos;
	return real(fd, off, whence);
}

off_t lseek(int fd, off_t off, int whence)
{
	RESOLVE(lseek);
	return lseek_common(REAL(lseek), fd, off, whence);
}

off_t lseek64(int fd, off_t off, int whence)
{
	RESOLVE(lseek64);
	return lseek_common(REAL(lseek64), fd, off, whence);
}

static int ftruncate_common(int (*real)(int, off_t), int fd, off_t len)
{
	struct stat st;
	bool shrink;
	int r;

	if (kvmsim_enabled() && kvmsim_fd_kind(fd) != KVMSIM_FILE_NONE)
		return ret_errno(kvmsim_fd_truncate(fd, len));
	shrink = kvmsim_enabled() && !fstat(fd, &st) && st.st_size > len;
	r = real(fd, len);

	if (!r && shrink)
		kvmsim_host_file_unmap(fd, len, st.st_size - len);
	return r;
}

int ftruncate(int fd, off_t len)
{
	RESOLVE(ftruncate);
	return ftruncate_common(REAL(ftruncate), fd, len);
}

int ftruncate64(int fd, off_t len)
{
	RESOLVE(ftruncate64);
	return ftruncate_common(REAL(ftruncate64), fd, len);
}

int creat(const char *path, mode_t mode)
{
	struct stat st;
	off_t old_size = otrunc_size_before(AT_FDCWD, path, O_TRUNC, &st);

	RESOLVE(creat);
	return otrunc_done(REAL(creat)(path, mode), old_size, &st);
}

int creat64(const char *path, mode_t mode)
{
	struct stat st;
	off_t old_size = otrunc_size_before(AT_FDCWD, path, O_TRUNC, &st);

	RESOLVE(creat64);
	return otrunc_done(REAL(creat64)(path, mode), old_size, &st);
}

/*
 * fopen(path, "w...") opens with O_TRUNC inside libc, past the open()
 * above: the truncation is seen here instead.
 */
static int fopen_flags(const char *mode)
{
	return mode && mode[0] == 'w' ? O_TRUNC : 0;
}

static FILE *fopen_done(FILE *f, off_t old_size, const struct stat *st)
{
	if (f && old_size > 0)
		kvmsim_host_inode_truncated(st->st_dev, st->st_ino, old_size, 0);
	return f;
}

/* fopen of a simulated thread's /proc file: its text, through fdopen */
static bool proc_fopen(const char *path, const char *mode, FILE **f)
{
	int fd, flags = mode && (mode[0] != 'r' || strchr(mode, '+')) ? O_RDWR : O_RDONLY;

	if (!proc_open(path, flags | (mode && strchr(mode, 'e') ? O_CLOEXEC : 0), &fd))
		return false;
	*f = fd < 0 ? NULL : fdopen(fd, mode);
	return true;
}

FILE *fopen(const char *path, const char *mode)
{
	struct stat st;
	off_t old_size = otrunc_size_before(AT_FDCWD, path, fopen_flags(mode), &st);
	FILE *f;

	if (proc_fopen(path, mode, &f))
		return f;
	RESOLVE(fopen);
	return fopen_done(REAL(fopen)(path, mode), old_size, &st);
}

FILE *fopen64(const char *path, const char *mode)
{
	struct stat st;
	off_t old_size = otrunc_size_before(AT_FDCWD, path, fopen_flags(mode), &st);
	FILE *f;

	if (proc_fopen(path, mode, &f))
		return f;
	RESOLVE(fopen64);
	return fopen_done(REAL(fopen64)(path, mode), old_size, &st);
}

FILE *freopen(const char *path, const char *mode, FILE *stream)
{
	struct stat st;
	off_t old_size = otrunc_size_before(AT_FDCWD, path, fopen_flags(mode), &st);

	RESOLVE(freopen);
	return fopen_done(REAL(freopen)(path, mode, stream), old_size, &st);
}

FILE *freopen64(const char *path, const char *mode, FILE *stream)
{
	struct stat st;
	off_t old_size = otrunc_size_before(AT_FDCWD, path, fopen_flags(mode), &st);

	RESOLVE(freopen64);
	return fopen_done(REAL(freopen64)(path, mode, stream), old_size, &st);
}

/* truncate(2) by path: what ftruncate does, for the file the path names */
static int truncate_common(int (*real)(const char *, off_t), const char *path, off_t len)
{
	struct stat st;
	bool shrink = kvmsim_enabled() && path && !stat(path, &st) && S_ISREG(st.st_mode) &&
		      st.st_size > len;
	int r = real(path, len);

	if (!r && shrink)
		kvmsim_host_inode_truncated(st.st_dev, st.st_ino, st.st_size, len);
	return r;
}

int truncate(const char *path, off_t len)
{
	RESOLVE(truncate);
	return truncate_common(REAL(truncate), path, len);
}

int truncate64(const char *path, off_t len)
{
	RESOLVE(truncate64);
	return truncate_common(REAL(truncate64), path, len);
}

/* fd no longer refers to its simulated file, if it had one. */
static void fd_release(int fd)
{
	kvmsim_fd_release(fd);
	posix_fd_close(fd);
}

/* newfd (already closed by the real call) is now another fd for oldfd's file. */
static void fd_dup(int oldfd, int newfd)
{
	fd_release(newfd);
	kvmsim_fd_dup(oldfd, newfd);
	posix_fd_dup(oldfd, newfd);
}

int close(int fd)
{
	fd_release(fd);
	RESOLVE(close);
	return REAL(close)(fd);
}

int dup(int fd)
{
	int r;

	RESOLVE(dup);
	r = REAL(dup)(fd);
	if (r >= 0)
		fd_dup(fd, r);
	return r;
}

int dup2(int fd, int fd2)
{
	int r;

	RESOLVE(dup2);
	r = REAL(dup2)(fd, fd2);
	if (r >= 0 && fd != fd2)
		fd_dup(fd, r);
	return r;
}

int dup3(int fd, int fd2, int flags)
{
	int r;

	RESOLVE(dup3);
	r = REAL(dup3)(fd, fd2, flags);
	if (r >= 0)
		fd_dup(fd, r);
	return r;
}

/*
 * F_GETFL/F_SETFL on a simulated fd read and set its file's flags
 * (O_NONBLOCK is the one we honour); F_DUPFD* make another fd for the
 * file; the rest (F_GETFD, F_SETFD...) is the placeholder fd's own.
 */
static int fcntl_common(int (*real)(int, int, ...), int fd, int cmd, void *arg)
{
	int r;

	if (simfd_get(fd) && cmd == F_GETFL)
		return ret_errno(posix_fd_getfl(fd));
	if (simfd_get(fd) && cmd == F_SETFL)
		return ret_errno(posix_fd_setfl(fd, (int)(long)arg));
	r = real(fd, cmd, arg);
	if (r >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
		fd_dup(fd, r);
	if (r >= 0 && cmd == F_GETFL)
		r = kvmsim_fd_getfl(fd, r);
	return r;
}

int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	RESOLVE(fcntl);
	return fcntl_common(REAL(fcntl), fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	RESOLVE(fcntl64);
	return fcntl_common(REAL(fcntl64), fd, cmd, arg);
}

/*
 * syscall(2): a raw system call that reaches something kvmsim models
 * goes the way the libc call does -- SYS_futex to the simulated wait
 * queues, SYS_ioctl/read/write/close/poll... to the interposed
 * functions (so a KVM fd or a simulated pipe behaves as with libc),
 * SYS_open/openat of /dev/kvm to kvmsim, the clocks and sleeps to
 * virtual time.  Every other number goes to the kernel with six
 * arguments, as glibc's syscall() passes them; those whose outcome
 * depends on the host or on real threads are warned about once.
 */
#define NONDET(nr, why)	{ SYS_##nr, "syscall(SYS_" #nr ")", why }
static const struct {
	long nr;
	const char *name, *why;
} nondeterministic_syscalls[] = {
	NONDET(clone, "a real thread or process runs outside the simulation"),
	NONDET(clone3, "a real thread or process runs outside the simulation"),
	NONDET(fork, "a real process runs outside the simulation"),
	NONDET(vfork, "a real process runs outside the simulation"),
	NONDET(epoll_pwait, "the raw syscall bypasses kvmsim's model of epoll"),
};

static long routed_syscall(long nr, const long *a, bool *routed)
{
	*routed = true;
	switch (nr) {
	case SYS_userfaultfd:
		return ret_errno(kvmsim_userfaultfd((int)a[0]));
	case SYS_futex:
		return ret_errno(posix_futex((uint32_t *)a[0], (int)a[1], (uint32_t)a[2],
					     (const struct timespec *)a[3],
					     (uint32_t *)a[4], (uint32_t)a[5]));
	case SYS_ioctl:
		return ioctl((int)a[0], (unsigned long)a[1], a[2]);
	case SYS_open:
		return open((const char *)a[0], (int)a[1], (mode_t)a[2]);
	case SYS_openat:
		return openat((int)a[0], (const char *)a[1], (int)a[2], (mode_t)a[3]);
	case SYS_close:
		return close((int)a[0]);
	case SYS_dup:
		return dup((int)a[0]);
	case SYS_dup2:
		return dup2((int)a[0], (int)a[1]);
	case SYS_dup3:
		return dup3((int)a[0], (int)a[1], (int)a[2]);
	case SYS_fcntl:
		return fcntl((int)a[0], (int)a[1], a[2]);
	case SYS_read:
		return read((int)a[0], (void *)a[1], (size_t)a[2]);
	case SYS_write:
		return write((int)a[0], (const void *)a[1], (size_t)a[2]);
	case SYS_readv:
		return readv((int)a[0], (const struct iovec *)a[1], (int)a[2]);
	case SYS_writev:
		return writev((int)a[0], (const struct iovec *)a[1], (int)a[2]);
	case SYS_poll:
		return poll((struct pollfd *)a[0], (nfds_t)a[1], (int)a[2]);
	case SYS_ppoll:
		return ppoll((struct pollfd *)a[0], (nfds_t)a[1],
			     (const struct timespec *)a[2], (const sigset_t *)a[3]);
	case SYS_epoll_wait:
		return epoll_wait((int)a[0], (struct epoll_event *)a[1], (int)a[2], (int)a[3]);
	case SYS_mmap:
		return (long)mmap((void *)a[0], (size_t)a[1], (int)a[2], (int)a[3],
				  (int)a[4], (off_t)a[5]);
	case SYS_munmap:
		return munmap((void *)a[0], (size_t)a[1]);
	case SYS_mprotect:
		return mprotect((void *)a[0], (size_t)a[1], (int)a[2]);
	case SYS_madvise:
		return madvise((void *)a[0], (size_t)a[1], (int)a[2]);
	case SYS_clock_gettime:
		return clock_gettime((clockid_t)a[0], (struct timespec *)a[1]);
	case SYS_gettimeofday:
		return gettimeofday((struct timeval *)a[0], (void *)a[1]);
	case SYS_execve:	/* the TSC trap lifted first (posix/interpose.c) */
		return execve((const char *)a[0], (char *const *)a[1], (char *const *)a[2]);
	case SYS_time:
		return time((time_t *)a[0]);
	case SYS_nanosleep:
		return nanosleep((const struct timespec *)a[0], (struct timespec *)a[1]);
	case SYS_clock_nanosleep:
		/* the raw call returns -1/errno, not the error number */
		return ret_errno(-clock_nanosleep((clockid_t)a[0], (int)a[1],
						  (const struct timespec *)a[2],
						  (struct timespec *)a[3]));
	case SYS_sched_yield:
		return sched_yield();
	case SYS_gettid:
		return gettid();
	case SYS_tgkill:
		return tgkill((pid_t)a[0], (pid_t)a[1], (int)a[2]);
	case SYS_tkill:
		return tgkill(getpid(), (pid_t)a[0], (int)a[1]);
	case SYS_seccomp:
		/*
		 * What would install a mode (STRICT with no flags, FILTER with
		 * a program) is refused as prctl refuses it; libseccomp's
		 * probes with bad arguments get the kernel's answers.
		 */
		if ((a[0] == 0 && !a[1]) || (a[0] == 1 && a[2]))
			return prctl(PR_SET_SECCOMP, a[0] ? 2 : 1, a[2], 0, 0);
		*routed = false;
		return 0;
	/* its rings would be real host kernel objects outside the model */
	case SYS_io_uring_setup:
		posix_warn_once("io_uring_setup", "refused (ENOSYS): its rings would "
				"run in the host kernel, outside the simulation");
		return ret_errno(-ENOSYS);
	case SYS_getrandom:
		return getrandom((void *)a[0], (size_t)a[1], (unsigned int)a[2]);
	default:
		*routed = false;
		return 0;
	}
}

/*
 * Six arguments are taken whatever the caller passed, as glibc's
 * syscall() does: the sixth is read from the caller's frame, which
 * AddressSanitizer would report for syscall(SYS_gettid) made from a
 * frame with a redzone there.
 */
__attribute__((no_sanitize_address))
long syscall(long nr, ...)
{
	va_list ap;
	long a[6], r;
	bool routed;

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (kvmsim_enabled()) {
		r = routed_syscall(nr, a, &routed);
		if (routed)
			return r;
		for (size_t i = 0; i < sizeof(nondeterministic_syscalls) /
					 sizeof(nondeterministic_syscalls[0]); i++)
			if (nondeterministic_syscalls[i].nr == nr)
				posix_warn_once(nondeterministic_syscalls[i].name,
						nondeterministic_syscalls[i].why);
	}
	RESOLVE(syscall);
	return REAL(syscall)(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
