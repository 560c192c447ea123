// SPDX-License-Identifier: MIT
/*
 * uffd-hugetlb: userfaultfd on hugetlbfs memory (2 MiB pages), natively
 * and under kvmsim with one transcript (tests/uffd/hugetlb.sh).  Each line
 * is one call and its result (value, errno name, the struct's result
 * field); fault messages print their offset in the mapping.
 *
 * Covered, on MAP_HUGETLB private memory and a MFD_HUGETLB memfd mapped
 * shared: UFFDIO_REGISTER with a start or an end not 2 MiB aligned
 * (EINVAL), aligned (the ioctls: no ZEROPAGE), UFFDIO_COPY with dst or
 * len not 2 MiB aligned (EINVAL), a 4 KiB copy (EINVAL), a 2 MiB copy,
 * again (EEXIST), a 4 MiB copy stopping at a present huge page (2 MiB and
 * EAGAIN), UFFDIO_ZEROPAGE (EINVAL), a thread's load in the middle of a
 * missing huge page (one message at the huge page's start, flags 0; a
 * store: WRITE), UFFDIO_UNREGISTER misaligned (EINVAL) and aligned.
 *
 * Needs free huge pages: without them it prints why and exits 77.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define HP	(2ul << 20)
#define PG	4096ul
#define NHP	4
/* what kvmsim models of the ioctls bits (the kernel may report more) */
#define SHOWN_IOCTLS	((1ull << _UFFDIO_WAKE) | (1ull << _UFFDIO_COPY) | \
			 (1ull << _UFFDIO_ZEROPAGE) | (1ull << _UFFDIO_CONTINUE))

static int uffd;
static char *base;
static char *src;

static void show(const char *what, long r, int err)
{
	printf("%-48s %ld", what, r);
	if (r < 0)
		printf(" %s", strerrorname_np(err));
}

static void reg(const char *what, uint64_t off, uint64_t len)
{
	struct uffdio_register r = { .range = { (uintptr_t)base + off, len },
				     .mode = UFFDIO_REGISTER_MODE_MISSING };
	long ret = ioctl(uffd, UFFDIO_REGISTER, &r);

	show(what, ret, errno);
	if (!ret)
		printf(" ioctls %#llx", (unsigned long long)(r.ioctls & SHOWN_IOCTLS));
	printf("\n");
}

static void unreg(const char *what, uint64_t off, uint64_t len)
{
	struct uffdio_range r = { (uintptr_t)base + off, len };
	long ret = ioctl(uffd, UFFDIO_UNREGISTER, &r);

	show(what, ret, errno);
	printf("\n");
}

static void copy(const char *what, uint64_t off, uint64_t len)
{
	struct uffdio_copy c = { .dst = (uintptr_t)base + off, .src = (uintptr_t)src, .len = len };
	long ret = ioctl(uffd, UFFDIO_COPY, &c);

	show(what, ret, errno);
	printf(" copy %lld\n", (long long)c.copy);
}

static void zeropage(const char *what, uint64_t off, uint64_t len)
{
	struct uffdio_zeropage z = { .range = { (uintptr_t)base + off, len } };
	long ret = ioctl(uffd, UFFDIO_ZEROPAGE, &z);

	show(what, ret, errno);
	printf(" zeropage %lld\n", (long long)z.zeropage);
}

/* the handler thread: one message, printed, then a 2 MiB copy of fill */
static void *handler(void *arg)
{
	struct uffd_msg msg;
	char fill = (char)(uintptr_t)arg;
	uint64_t off;

	if (read(uffd, &msg, sizeof(msg)) != sizeof(msg))
		return NULL;
	off = msg.arg.pagefault.address - (uintptr_t)base;
	printf("handler: fault at offset %#llx flags %#llx\n", (unsigned long long)off,
	       (unsigned long long)msg.arg.pagefault.flags);
	fflush(stdout);
	memset(src, fill, HP);
	copy("handler: UFFDIO_COPY of the huge page", off, HP);
	fflush(stdout);
	return NULL;
}

static void thread_access(uint64_t off, bool write, char fill)
{
	volatile char *p = base + off;
	pthread_t t;

	if (pthread_create(&t, NULL, handler, (void *)(uintptr_t)fill))
		exit(1);
	if (write) {
		*p = 'w';
		pthread_join(t, NULL);
		printf("main: store at %#llx done, bytes around it: %c%c%c\n",
		       (unsigned long long)off, p[-1], p[0], p[1]);
	} else {
		char c = *p;

		pthread_join(t, NULL);
		printf("main: load at %#llx read %c\n", (unsigned long long)off, c);
	}
}

static int run(const char *kind, char *mem)
{
	struct uffdio_api api = { .api = UFFD_API };

	base = mem;
	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api)) {
		perror("userfaultfd");
		return 1;
	}
	printf("== %s, %d huge pages\n", kind, NHP);
	reg("REGISTER start not 2M aligned", PG, 2 * HP - PG);
	reg("REGISTER end not 2M aligned", 0, 2 * HP + PG);
	reg("REGISTER 4K", 0, PG);
	reg("REGISTER all", 0, NHP * HP);
	copy("COPY dst not 2M aligned", PG, HP);
	copy("COPY len 4K", 0, PG);
	copy("COPY len 2M+4K", 0, HP + PG);
	zeropage("ZEROPAGE 2M", 0, HP);
	memset(src, 'a', 2 * HP);
	copy("COPY huge page 0", 0, HP);
	copy("COPY huge page 0 again", 0, HP);
	copy("COPY huge page 2", 2 * HP, HP);
	copy("COPY huge pages 1-2 (2 present)", HP, 2 * HP);
	copy("COPY huge pages 0-1 (0 present)", 0, 2 * HP);
	printf("main: byte at %#lx: %c\n", 2 * HP + 5, base[2 * HP + 5]);
	thread_access(3 * HP + 0x1234, false, 'r');
	unreg("UNREGISTER start not 2M aligned", PG, HP - PG);
	unreg("UNREGISTER all", 0, NHP * HP);
	close(uffd);
	return 0;
}

static int reregister_store(char *mem)
{
	struct uffdio_api api = { .api = UFFD_API };

	base = mem;
	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api))
		return 1;
	reg("REGISTER last huge page", 3 * HP, HP);
	thread_access(3 * HP + 0x10, true, 's');
	close(uffd);
	return 0;
}

int main(void)
{
	char *anon, *shared;
	int fd;

	src = mmap(NULL, 2 * HP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	anon = mmap(NULL, NHP * HP, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (src == MAP_FAILED || anon == MAP_FAILED) {
		fprintf(stderr, "SKIP: no free 2 MiB huge pages (/proc/sys/vm/nr_hugepages)\n");
		return 77;
	}
	fd = memfd_create("uffd-hugetlb", MFD_CLOEXEC | MFD_HUGETLB);
	if (fd < 0 || ftruncate(fd, NHP * HP)) {
		fprintf(stderr, "SKIP: no hugetlbfs memfd: %s\n", strerror(errno));
		return 77;
	}
	shared = mmap(NULL, NHP * HP, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (shared == MAP_FAILED) {
		fprintf(stderr, "SKIP: no free 2 MiB huge pages for the memfd\n");
		return 77;
	}
	if (run("MAP_HUGETLB, private", anon) || run("MFD_HUGETLB memfd, shared", shared))
		return 1;
	munmap(anon, NHP * HP);
	anon = mmap(NULL, NHP * HP, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (anon == MAP_FAILED || reregister_store(anon))
		return 1;
	printf("done\n");
	return 0;
}
