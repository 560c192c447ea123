/* SPDX-License-Identifier: MIT */
/*
 * What the interposition layer (interpose.c) calls: kvmsim's file table
 * and runtime setup.  Everything behind it is plain C calls.
 */
#ifndef KVMSIM_KVMSIM_H
#define KVMSIM_KVMSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <sys/types.h>

enum kvmsim_file_kind {
	KVMSIM_FILE_NONE,
	KVMSIM_FILE_DEV,	/* /dev/kvm */
	KVMSIM_FILE_VM,
	KVMSIM_FILE_VCPU,
	KVMSIM_FILE_UFFD_DEV,	/* /dev/userfaultfd */
	KVMSIM_FILE_GMEM,	/* a guest_memfd */
	KVMSIM_FILE_STATS,	/* a VM's or vCPU's binary statistics */
	KVMSIM_FILE_DEVICE,	/* KVM_CREATE_DEVICE's (struct kvm_device) */
};

/* Runtime: seed, trace, explain and hash options from the environment. */
void kvmsim_runtime_init(void);
bool kvmsim_enabled(void);
/* The host TSC kvmsim models (x86/tsc.c): what the process's rdtsc reads. */
uint64_t kvmsim_host_tsc(void);

/* Register a new KVM file; returns its fd (a real, reserved fd number) or -errno. */
int kvmsim_install_fd(enum kvmsim_file_kind kind, void *obj);
enum kvmsim_file_kind kvmsim_fd_kind(int fd);
void *kvmsim_fd_obj(int fd);
int kvmsim_open_dev(void);
long kvmsim_fd_ioctl(int fd, unsigned long cmd, unsigned long arg);
/*
 * 0: let the real mmap run on the placeholder fd; > 0: on this fd
 * instead (a stand-in with the file's fault behaviour); else -errno.
 */
int kvmsim_mmap_check(int fd, size_t len, int prot, int flags, off_t off);
int kvmsim_fd_getfl(int fd, int flags);
void kvmsim_fd_release(int fd);
/* The real mmap of one of our fds succeeded at [start, start + len). */
void kvmsim_fd_mmapped(int fd, unsigned long start, size_t len);
void kvmsim_vcpu_mmap_ring(int fd, void *start, size_t len, int prot, int flags, off_t off);
void kvmsim_fd_dup(int oldfd, int newfd);
/* fallocate / ftruncate on one of our fds: 0 or -errno. */
int kvmsim_fd_fallocate(int fd, int mode, off_t off, off_t len);
int kvmsim_fd_truncate(int fd, off_t len);
/* read/write (-EINVAL), pread/pwrite (-ESPIPE) of a file without those ops (or a stats file's pwrite) */
int kvmsim_fd_rw_check(int fd);
int kvmsim_fd_prw_check(int fd, bool write);
/* lseek on one of our fds: true (with *pos, or -errno) when it is not the host's */
bool kvmsim_fd_llseek(int fd, off_t *pos);
/* fallocate on a host file succeeded (private-v6 private fds). */
void kvmsim_host_fallocate(int fd, int mode, off_t off, off_t len);

/* Host memory changed under the guest (munmap, mprotect, mremap, madvise). */
void kvmsim_host_unmap(unsigned long start, size_t len);
/* mprotect: same invalidation, but the pages (and their poison) stay. */
void kvmsim_host_protect(unsigned long start, size_t len);
/* madvise(MADV_HWPOISON), modelled: 0 or -1 with errno. */
int kvmsim_host_hwpoison(unsigned long start, size_t len);
/* fallocate(PUNCH_HOLE) / ftruncate shrinking fd: [off, off + len) is gone. */
void kvmsim_host_file_unmap(int fd, uint64_t off, uint64_t len);
void kvmsim_host_inode_truncated(uint64_t dev, uint64_t ino, uint64_t old_size,
				 uint64_t new_size);
void kvmsim_host_changed(void);
void kvmsim_host_advise(unsigned long start, size_t len, int advice);
void kvmsim_host_mmap(unsigned long start, size_t len, int flags);
/* after kvmsim_host_mmap, for a mapping of a (host) file */
void kvmsim_host_mmap_file(unsigned long start, size_t len, int fd);
/* munmap / mremap: the VMAs themselves are gone (userfaultfd registrations). */
void kvmsim_host_vma_gone(unsigned long start, size_t len);

/* userfaultfd(2) and /dev/userfaultfd: fd or -errno. */
int kvmsim_userfaultfd(int flags);
/* SIGBUS while the host userfaultfd owns it (kvm-model/userfaultfd_host.h) */
bool kvmsim_owns_sigbus(void);
int kvmsim_sigbus_action(const struct sigaction *act, struct sigaction *old);
int kvmsim_open_userfaultfd_dev(void);

#endif
