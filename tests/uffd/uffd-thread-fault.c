// SPDX-License-Identifier: MIT
/*
 * uffd-thread-fault: a VMM thread (no vCPU, no VM) touching missing pages
 * of a userfaultfd-registered range blocks until a handler thread resolves
 * them, as on Linux.  The main thread is the faulting one; a handler
 * thread reads each message, prints it (offset in the range, flags) and
 * fills the page with UFFDIO_COPY; the main thread then prints what its
 * access saw.  Accesses, one page each:
 *   page 0: a load                        -> flags 0, reads the copied bytes
 *   page 1: a store                       -> flags WRITE, the store lands
 *                                            on the copied page
 *   page 2: libc memcpy from the page     -> flags 0
 *   page 3: read(2) from a pipe into it   -> flags WRITE (the kernel's copy)
 *   page 4: UFFDIO_ZEROPAGE instead, then a load -> 0
 *   page 5: UFFDIO_WAKE without a fill: the load faults again (a second
 *           message), then a copy
 *   page 6: readv(2) from a pipe, the second iovec in it -> flags WRITE
 *   page 7: writev(2) to a pipe from it                 -> flags 0
 *   page 8: preadv(2) from a file into it               -> flags WRITE
 * Each message is printed before the handler resolves it and the main
 * thread prints only after its access returned, so the transcript is the
 * same natively and under kvmsim (tests/uffd/run.sh).
 *
 * "unhandled": the main thread loads a missing page and nobody reads the
 * userfaultfd.  Linux hangs; kvmsim ends with the deadlock verdict
 * (tests/uffd/thread-fault.sh; kvmsim only).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define PG		4096ul
#define NPAGES		9

static int uffd;
static char *base;
static char src[PG];

static void die(const char *what)
{
	fprintf(stderr, "fatal: %s: %s\n", what, strerror(errno));
	exit(1);
}

static struct uffd_msg next_msg(void)
{
	struct uffd_msg msg;

	if (read(uffd, &msg, sizeof(msg)) != sizeof(msg))
		die("read(uffd)");
	if (msg.event != UFFD_EVENT_PAGEFAULT)
		die("not a page fault");
	printf("handler: fault at page %lu flags 0x%llx\n",
	       (unsigned long)((msg.arg.pagefault.address - (uintptr_t)base) / PG),
	       (unsigned long long)msg.arg.pagefault.flags);
	fflush(stdout);
	return msg;
}

static void copy_page(uint64_t addr, char fill)
{
	struct uffdio_copy c = { .dst = addr & ~(PG - 1), .src = (uintptr_t)src, .len = PG };

	memset(src, fill, PG);
	if (ioctl(uffd, UFFDIO_COPY, &c) || c.copy != (int64_t)PG)
		die("UFFDIO_COPY");
}

static void *handler(void *arg)
{
	struct uffd_msg m;
	(void)arg;

	copy_page(next_msg().arg.pagefault.address, 'A');	/* page 0 */
	copy_page(next_msg().arg.pagefault.address, 'B');	/* page 1 */
	copy_page(next_msg().arg.pagefault.address, 'C');	/* page 2 */
	copy_page(next_msg().arg.pagefault.address, 'D');	/* page 3 */
	m = next_msg();						/* page 4 */
	{
		struct uffdio_zeropage z = { .range = { m.arg.pagefault.address, PG } };

		if (ioctl(uffd, UFFDIO_ZEROPAGE, &z) || z.zeropage != (int64_t)PG)
			die("UFFDIO_ZEROPAGE");
	}
	m = next_msg();						/* page 5: wake only */
	{
		struct uffdio_range r = { m.arg.pagefault.address, PG };

		if (ioctl(uffd, UFFDIO_WAKE, &r))
			die("UFFDIO_WAKE");
	}
	copy_page(next_msg().arg.pagefault.address, 'F');	/* page 5 again */
	copy_page(next_msg().arg.pagefault.address, 'G');	/* page 6 */
	copy_page(next_msg().arg.pagefault.address, 'H');	/* page 7 */
	copy_page(next_msg().arg.pagefault.address, 'I');	/* page 8 */
	return NULL;
}

static void setup(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;

	base = mmap(NULL, NPAGES * PG, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		die("mmap");
	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		die("userfaultfd");
	if (ioctl(uffd, UFFDIO_API, &api))
		die("UFFDIO_API");
	reg = (struct uffdio_register){ .range = { (uintptr_t)base, NPAGES * PG },
					.mode = UFFDIO_REGISTER_MODE_MISSING };
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		die("UFFDIO_REGISTER");
}

/* pages 6-8: the kernel's copies of readv, writev and preadv */
static void vectored(int pfd[2])
{
	char head[2], out[8];
	struct iovec iov[2] = { { head, sizeof(head) }, { base + 6 * PG + 4, 4 } };
	FILE *f = tmpfile();

	if (write(pfd[1], "..vec", 5) != 5)
		die("write(pipe)");
	printf("main: page 6 readv(2): %zd\n", readv(pfd[0], iov, 2));
	printf("main: page 6 now: %.7s\n", base + 6 * PG);
	fflush(stdout);

	iov[0] = (struct iovec){ base + 7 * PG, 3 };
	printf("main: page 7 writev(2): %zd\n", writev(pfd[1], iov, 1));
	if (read(pfd[0], out, 3) != 3)
		die("read(pipe)");
	printf("main: page 7 went through the pipe: %.3s\n", out);
	fflush(stdout);

	if (!f || fputs("file", f) == EOF || fflush(f))
		die("tmpfile");
	iov[0] = (struct iovec){ base + 8 * PG + 1, 4 };
	printf("main: page 8 preadv(2): %zd\n", preadv(fileno(f), iov, 1, 0));
	printf("main: page 8 now: %.5s\n", base + 8 * PG);
	fflush(stdout);
	fclose(f);
}

static void handled(void)
{
	volatile char *p = base;
	char buf[16];
	int pfd[2];
	pthread_t t;

	if (pthread_create(&t, NULL, handler, NULL))
		die("pthread_create");

	printf("main: page 0 load: %c\n", p[100]);
	fflush(stdout);

	p[PG + 7] = 'x';
	printf("main: page 1 after a store: %c%c%c\n", p[PG + 6], p[PG + 7], p[PG + 8]);
	fflush(stdout);

	memcpy(buf, base + 2 * PG + 10, sizeof(buf));
	printf("main: page 2 memcpy: %.4s\n", buf);
	fflush(stdout);

	if (pipe(pfd) || write(pfd[1], "pipe", 4) != 4)
		die("pipe");
	printf("main: page 3 read(2): %zd\n", read(pfd[0], base + 3 * PG + 2, 4));
	printf("main: page 3 now: %.6s\n", base + 3 * PG);
	fflush(stdout);

	printf("main: page 4 load after ZEROPAGE: %d\n", p[4 * PG + 1]);
	fflush(stdout);

	printf("main: page 5 load after a WAKE and a copy: %c\n", p[5 * PG]);
	fflush(stdout);

	vectored(pfd);

	if (pthread_join(t, NULL))
		die("pthread_join");
	printf("main: done\n");
}

int main(int argc, char **argv)
{
	setup();
	if (argc > 1 && !strcmp(argv[1], "unhandled")) {
		printf("main: loading a missing page nobody resolves\n");
		fflush(stdout);
		printf("main: read %d (not reached)\n", base[0]);
		return 1;
	}
	handled();
	return 0;
}
