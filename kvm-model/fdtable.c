// SPDX-License-Identifier: MIT
/*
 * kvmsim's KVM files.  Each holds a real fd number (a memfd) so the
 * process' other fds never collide with ours, close/dup behave as the
 * kernel's, and a vCPU fd's mmap maps the very pages of its kvm_run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <linux/userfaultfd.h>
#include <unistd.h>

#include "kvm-model/kvm_host.h"
#include "kvm-model/kvmsim.h"
#include "kvm-model/stats.h"
#include "kvm-model/userfaultfd.h"
#include "posix/real.h"
#include "posix/simfd.h"

REAL_DECL(int, epoll_create1, int);

struct kvm_file {
	enum kvmsim_file_kind kind;
	void *obj;
};

static struct kvm_file *files;
static int nr_files;

static int ensure_slot(int fd)
{
	int n;
	struct kvm_file *p;

	if (fd < nr_files)
		return 0;
	n = nr_files ? nr_files : 64;
	while (n <= fd)
		n *= 2;
	p = realloc(files, n * sizeof(*p));
	if (!p)
		return -ENOMEM;
	for (int i = nr_files; i < n; i++)
		p[i] = (struct kvm_file){ KVMSIM_FILE_NONE, NULL };
	files = p;
	nr_files = n;
	return 0;
}

static void get_obj(enum kvmsim_file_kind kind, void *obj)
{
	if (kind == KVMSIM_FILE_VM)
		kvm_get_kvm(obj);
	else if (kind == KVMSIM_FILE_VCPU)
		((struct kvm_vcpu *)obj)->refs++;
	else if (kind == KVMSIM_FILE_GMEM)
		kvm_gmem_get(obj);
	else if (kind == KVMSIM_FILE_STATS)
		kvm_stats_get(obj);
	else if (kind == KVMSIM_FILE_DEVICE)
		kvm_get_kvm(((struct kvm_device *)obj)->kvm);
}

static void put_obj(enum kvmsim_file_kind kind, void *obj)
{
	if (kind == KVMSIM_FILE_VM)
		kvm_put_kvm(obj);
	else if (kind == KVMSIM_FILE_VCPU)
		kvm_put_vcpu(obj);
	else if (kind == KVMSIM_FILE_GMEM)
		kvm_gmem_put(obj);
	else if (kind == KVMSIM_FILE_STATS)
		kvm_stats_put(obj);
	else if (kind == KVMSIM_FILE_DEVICE)
		kvm_put_kvm(((struct kvm_device *)obj)->kvm);
}

/*
 * anon_inode_getfile(..., O_RDONLY): the stats file's fd is the memfd
 * opened again read-only (F_GETFL says O_RDONLY, write is EBADF).
 */
static int stats_fd_open(int memfd)
{
	char path[32];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	return (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
}

int kvmsim_install_fd(enum kvmsim_file_kind kind, void *obj)
{
	int fd;

	/*
	 * A guest_memfd maps its pages: its fd is a dup of the storage. The
	 * others stand on an epoll fd, a file that (like /dev/kvm and KVM's
	 * anon-inode files) has no read, write or mmap: the real calls fail
	 * with Linux's errno; the vCPU's mmap maps run_memfd instead.
	 */
	if (kind == KVMSIM_FILE_GMEM) {
		fd = fcntl(kvm_gmem_memfd(obj), F_DUPFD_CLOEXEC, 0);
		simfd_set_host_rw_check(kvmsim_fd_rw_check);
	}
	else if (kind == KVMSIM_FILE_STATS)
		fd = stats_fd_open(kvm_stats_memfd(obj));
	else
		fd = REAL(epoll_create1)(EPOLL_CLOEXEC);	/* not a simulated epoll */
	if (fd < 0)
		return -errno;
	if (ensure_slot(fd)) {
		close(fd);
		return -ENOMEM;
	}
	/* the new fd's reference (a VM's creating one is already counted) */
	if (kind == KVMSIM_FILE_VCPU)
		((struct kvm_vcpu *)obj)->refs++;
	else if (kind == KVMSIM_FILE_GMEM)
		kvm_gmem_get(obj);
	else if (kind == KVMSIM_FILE_STATS)
		kvm_stats_get(obj);
	else if (kind == KVMSIM_FILE_DEVICE)
		kvm_get_kvm(((struct kvm_device *)obj)->kvm);
	files[fd] = (struct kvm_file){ kind, obj };
	return fd;
}

enum kvmsim_file_kind kvmsim_fd_kind(int fd)
{
	if (fd < 0 || fd >= nr_files)
		return KVMSIM_FILE_NONE;
	return files[fd].kind;
}

void *kvmsim_fd_obj(int fd)
{
	return kvmsim_fd_kind(fd) == KVMSIM_FILE_NONE ? NULL : files[fd].obj;
}

int kvmsim_open_dev(void)
{
	return kvmsim_install_fd(KVMSIM_FILE_DEV, NULL);
}

int kvmsim_open_userfaultfd_dev(void)
{
	return kvmsim_install_fd(KVMSIM_FILE_UFFD_DEV, NULL);
}

/* userfaultfd_dev_ioctl: the misc device only makes userfaultfds. */
static long userfaultfd_dev_ioctl(unsigned long cmd, unsigned long flags)
{
	if (cmd != USERFAULTFD_IOC_NEW)
		return -EINVAL;
	return userfaultfd_new((int)flags);
}

long kvmsim_fd_ioctl(int fd, unsigned long cmd, unsigned long arg)
{
	struct kvm_file *f = &files[fd];
	int new_fd = -1, ctx;
	long r;

	switch (f->kind) {
	case KVMSIM_FILE_DEV:
		return kvm_dev_ioctl(cmd, arg);
	case KVMSIM_FILE_VM:
		ctx = kvm_vm_ctx_enter(f->obj);
		r = kvm_vm_ioctl(f->obj, cmd, arg, &new_fd);
		kvm_vm_ctx_leave(ctx);
		break;
	case KVMSIM_FILE_VCPU:
		ctx = kvm_vm_ctx_enter(((struct kvm_vcpu *)f->obj)->kvm);
		r = kvm_vcpu_ioctl(f->obj, cmd, arg);
		kvm_vm_ctx_leave(ctx);
		break;
	case KVMSIM_FILE_UFFD_DEV:
		return userfaultfd_dev_ioctl(cmd, arg);
	case KVMSIM_FILE_STATS:
		return -ENOTTY;	/* kvm_stat_fops has no ioctl */
	case KVMSIM_FILE_GMEM:
		return -ENOTTY;	/* kvm_gmem_fops has no unlocked_ioctl */
	case KVMSIM_FILE_DEVICE:
		r = kvm_device_ioctl(f->obj, cmd, arg);
		break;
	default:
		return -EBADF;
	}
	/* what a stats file shows after the call (KVM_RUN's exits included) */
	kvm_stats_refresh();
	return r;
}

/* anon_inode_getfd's files: VM, vCPU, guest_memfd, stats (not the misc devices) */
static bool kind_is_anon_inode(enum kvmsim_file_kind kind)
{
	return kind == KVMSIM_FILE_VM || kind == KVMSIM_FILE_VCPU || kind == KVMSIM_FILE_GMEM ||
	       kind == KVMSIM_FILE_STATS || kind == KVMSIM_FILE_DEVICE;
}

/*
 * do_mmap's order: a zero length is EINVAL, PROT_EXEC on the noexec
 * anon-inode mount EPERM, then a file without mmap ENODEV. Returns the
 * fd to map instead (> 0), 0, or -errno.
 */
int kvmsim_mmap_check(int fd, size_t len, int prot, int flags, off_t off)
{
	enum kvmsim_file_kind kind = files[fd].kind;

	if (!len)
		return -EINVAL;
	if ((prot & PROT_EXEC) && kind_is_anon_inode(kind))
		return -EPERM;
	if (kind == KVMSIM_FILE_GMEM)
		return kvm_gmem_mmap_check(files[fd].obj, flags);
	if (kind != KVMSIM_FILE_VCPU)
		return -ENODEV;	/* /dev/kvm, VM fds, /dev/userfaultfd have no mmap */
	return ((struct kvm_vcpu *)files[fd].obj)->run_memfd;
}

/* the kernel's O_LARGEFILE: glibc defines it as 0 on 64-bit hosts */
#if defined(__aarch64__)
#define KERNEL_O_LARGEFILE	0400000
#else
#define KERNEL_O_LARGEFILE	0100000
#endif

/*
 * F_GETFL: open() of a misc device adds O_LARGEFILE on 64-bit hosts,
 * anon_inode_getfd does not (guest_memfd sets it itself).
 */
int kvmsim_fd_getfl(int fd, int flags)
{
	enum kvmsim_file_kind kind = kvmsim_fd_kind(fd);

	if (kind == KVMSIM_FILE_NONE || kind == KVMSIM_FILE_GMEM)
		return flags;
	return kind_is_anon_inode(kind) ? flags & ~KERNEL_O_LARGEFILE : flags | KERNEL_O_LARGEFILE;
}

void kvmsim_fd_mmapped(int fd, unsigned long start, size_t len)
{
	if (kvmsim_fd_kind(fd) == KVMSIM_FILE_GMEM)
		kvm_gmem_vma_add(files[fd].obj, start, len);
}

/*
 * kvm_vcpu_fault: page KVM_COALESCED_MMIO_PAGE_OFFSET of a vCPU mapping
 * is the VM's one coalesced MMIO ring, not the vCPU's own page: mapped
 * over it from the ring's memfd (x86 only; arm64 does not model it).
 */
void kvmsim_vcpu_mmap_ring(int fd, void *start, size_t len, int prot, int flags, off_t off)
{
#ifdef KVM_COALESCED_MMIO_PAGE_OFFSET
	const off_t ring = KVM_COALESCED_MMIO_PAGE_OFFSET * PAGE_SIZE;
	int memfd;

	if (kvmsim_fd_kind(fd) != KVMSIM_FILE_VCPU || off > ring || off + (off_t)len <= ring)
		return;
	memfd = kvm_coalesced_mmio_memfd(((struct kvm_vcpu *)files[fd].obj)->kvm);
	if (memfd >= 0)
		mmap((char *)start + (ring - off), PAGE_SIZE, prot, flags | MAP_FIXED, memfd, 0);
#else
	(void)fd; (void)start; (void)len; (void)prot; (void)flags; (void)off;
#endif
}

void kvmsim_fd_release(int fd)
{
	struct kvm_file f;

	if (kvmsim_fd_kind(fd) == KVMSIM_FILE_NONE)
		return;
	f = files[fd];
	files[fd] = (struct kvm_file){ KVMSIM_FILE_NONE, NULL };
	put_obj(f.kind, f.obj);
}

void kvmsim_fd_dup(int oldfd, int newfd)
{
	enum kvmsim_file_kind kind = kvmsim_fd_kind(oldfd);

	if (kind == KVMSIM_FILE_NONE || newfd < 0 || ensure_slot(newfd))
		return;
	kvmsim_fd_release(newfd);
	files[newfd] = files[oldfd];
	get_obj(kind, files[newfd].obj);
}

/*
 * vfs_fallocate: only a guest_memfd is a regular file with a fallocate
 * op; /dev/kvm and the anon-inode files are not regular (ENODEV).
 */
int kvmsim_fd_fallocate(int fd, int mode, off_t off, off_t len)
{
	if (files[fd].kind != KVMSIM_FILE_GMEM)
		return -ENODEV;
	return kvm_gmem_fallocate(files[fd].obj, mode, off, len);
}

/*
 * kvm_gmem_fops has no read or write: vfs_read/vfs_write fail with
 * EINVAL (no FMODE_CAN_READ/WRITE); its anon-inode file has no
 * FMODE_PREAD/PWRITE, so pread/pwrite fail with ESPIPE before that.  The
 * other KVM files stand on an epoll fd, which fails the same way.
 */
int kvmsim_fd_rw_check(int fd)
{
	return kvmsim_fd_kind(fd) == KVMSIM_FILE_GMEM ? -EINVAL : 0;
}

/*
 * A stats file (kvm_vm_stats_fops) has a read op and FMODE_PREAD but no
 * FMODE_PWRITE: its pwrite is ESPIPE, its write EBADF (the fd is read-only).
 */
int kvmsim_fd_prw_check(int fd, bool write)
{
	enum kvmsim_file_kind kind = kvmsim_fd_kind(fd);

	if (kind == KVMSIM_FILE_GMEM || (write && kind == KVMSIM_FILE_STATS))
		return -ESPIPE;
	return 0;
}

/*
 * noop_llseek: a stats file's position moves only by read; lseek returns
 * it whatever it is asked (a program cannot rewind with it).
 */
bool kvmsim_fd_llseek(int fd, off_t *pos)
{
	long r;

	if (kvmsim_fd_kind(fd) != KVMSIM_FILE_STATS)
		return false;
	r = syscall(SYS_lseek, fd, 0L, SEEK_CUR);
	*pos = r < 0 ? -errno : r;
	return true;
}

/* kvm_gmem_setattr refuses every size change; the others are not files. */
int kvmsim_fd_truncate(int fd, off_t len)
{
	return -EINVAL;
}
