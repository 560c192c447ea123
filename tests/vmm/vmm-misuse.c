// SPDX-License-Identifier: MIT
/*
 * vmm-misuse: what the KVM file descriptors answer to calls a VMM should
 * not make, and to calls every program makes on any fd.
 *
 * On /dev/kvm, a VM fd and a vCPU fd: read() and write() (no read/write
 * file operation: EINVAL); FIOCLEX, FIONCLEX and FIONBIO (handled by the
 * VFS for every file: 0, visible in F_GETFD / F_GETFL); F_GETFL (the
 * anon-inode VM and vCPU files have no O_LARGEFILE, /dev/kvm has);
 * mmap() of length 0 (EINVAL before anything else), with PROT_EXEC
 * (the anon-inode mount is noexec: EPERM) and plain (only the vCPU has
 * an mmap: ENODEV for the others).  KVM_SET_IDENTITY_MAP_ADDR before
 * and after the first vCPU (EINVAL once one exists).  An ioctl on a
 * guest_memfd, when the host has guest_memfd (ENOTTY: no ioctl op).
 * Last, two threads call KVM_RUN on the one vCPU at the same time: the
 * kernel serialises them on vcpu->mutex, each gets one exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm-lib.h"

#ifndef KVM_CAP_GUEST_MEMFD
#define KVM_CAP_GUEST_MEMFD 234
struct kvm_create_guest_memfd {
	__u64 size;
	__u64 flags;
	__u64 reserved[6];
};
#define KVM_CREATE_GUEST_MEMFD _IOWR(KVMIO, 0xd4, struct kvm_create_guest_memfd)
#endif

#define RAM_SIZE	0x200000
#define PT_GPA		0x1000
#define GDT_GPA		0x4000
#define STACK_TOP	0x7000
#define CODE_GPA	0x8000

extern const char guest_misuse_start[], guest_misuse_end[];

static void show(const char *what, long r)
{
	if (r < 0)
		printf("  %s: -1 errno=%s\n", what, errno_name(errno));
	else
		printf("  %s: %ld\n", what, r);
}

static void show_mmap(const char *what, int fd, size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED) {
		printf("  %s: MAP_FAILED errno=%s\n", what, errno_name(errno));
		return;
	}
	printf("  %s: mapped\n", what);
	munmap(p, len);
}

static void probe_fd(const char *name, int fd)
{
	char buf[8] = { 0 };
	int on = 1, off = 0;

	printf("## %s\n", name);
	show("read", read(fd, buf, sizeof(buf)));
	show("write", write(fd, buf, sizeof(buf)));
	printf("  F_GETFL: %#x\n", fcntl(fd, F_GETFL));
	show("FIONCLEX", ioctl(fd, FIONCLEX));
	printf("  F_GETFD: %d\n", fcntl(fd, F_GETFD));
	show("FIOCLEX", ioctl(fd, FIOCLEX));
	printf("  F_GETFD: %d\n", fcntl(fd, F_GETFD));
	show("FIONBIO 1", ioctl(fd, FIONBIO, &on));
	printf("  F_GETFL: %#x\n", fcntl(fd, F_GETFL));
	show("FIONBIO 0", ioctl(fd, FIONBIO, &off));
	printf("  F_GETFL: %#x\n", fcntl(fd, F_GETFL));
	show_mmap("mmap length 0", fd, 0, PROT_READ | PROT_WRITE);
	show_mmap("mmap PROT_EXEC", fd, 4096, PROT_READ | PROT_EXEC);
	show_mmap("mmap", fd, 4096, PROT_READ | PROT_WRITE);
}

static void probe_identity_map(int kvm_fd)
{
	uint64_t addr = 0xfffbc000;
	int vm = xioctl(kvm_fd, KVM_CREATE_VM, 0), vcpu;

	printf("## KVM_SET_IDENTITY_MAP_ADDR\n");
	show("before a vCPU", ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, &addr));
	vcpu = xioctl(vm, KVM_CREATE_VCPU, 0);
	show("after a vCPU", ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, &addr));
	close(vcpu);
	close(vm);
}

static void probe_guest_memfd(int vm_fd)
{
	struct kvm_create_guest_memfd gmem = { .size = 0x10000 };
	int fd;

	printf("## guest_memfd\n");
	if (ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD) <= 0) {
		printf("  none on this host\n");
		return;
	}
	fd = ioctl(vm_fd, KVM_CREATE_GUEST_MEMFD, &gmem);
	if (fd < 0) {
		printf("  KVM_CREATE_GUEST_MEMFD: errno=%s\n", errno_name(errno));
		return;
	}
	show("ioctl KVM_GET_API_VERSION", ioctl(fd, KVM_GET_API_VERSION, 0));
	printf("  F_GETFL: %#x\n", fcntl(fd, F_GETFL));
	close(fd);
}

struct runner {
	struct vmm *v;
	int ret, err;
};

static void *run_once(void *opaque)
{
	struct runner *r = opaque;

	r->ret = ioctl(r->v->vcpu_fd, KVM_RUN, 0);
	r->err = errno;
	return NULL;
}

/*
 * Which thread enters first is the host's choice, and the exit data one
 * thread sees may already be the other's: the transcript shows only the
 * return values, then the next exit's counter (2: each call ran once).
 */
static void probe_concurrent_run(struct vmm *v, char *ram)
{
	struct runner r[2] = { { .v = v }, { .v = v } };
	pthread_t t[2];

	printf("## two threads in KVM_RUN on one vCPU\n");
	vmm_load(ram, CODE_GPA, guest_misuse_start, guest_misuse_end);
	vmm_setup_long_mode(v, ram, PT_GPA, GDT_GPA);
	vmm_set_regs(v, CODE_GPA, STACK_TOP);
	for (int i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, run_once, &r[i]))
			fatal("pthread_create");
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 2; i++)
		printf("  a thread: ret=%d%s%s\n", r[i].ret, r[i].ret < 0 ? " errno=" : "",
		       r[i].ret < 0 ? errno_name(r[i].err) : "");
	vmm_run(v);
	printf("  counter %d\n", *(uint8_t *)vmm_io_data(v));
}

int main(void)
{
	struct vmm v;
	char *ram;

	printf("# vmm-misuse\n");
	vmm_open(&v);
	ram = vmm_alloc(RAM_SIZE);
	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	probe_fd("/dev/kvm", v.kvm_fd);
	probe_fd("VM fd", v.vm_fd);
	probe_fd("vCPU fd", v.vcpu_fd);
	probe_identity_map(v.kvm_fd);
	probe_guest_memfd(v.vm_fd);
	probe_concurrent_run(&v, ram);
	vmm_close(&v);
	return 0;
}
