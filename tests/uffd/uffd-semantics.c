// SPDX-License-Identifier: MIT
/*
 * uffd-semantics: userfaultfd's ioctls, read and poll without a VM.  Each
 * line is one call and what it returned (value, errno name, the result
 * field of the struct), so the transcript of a real kernel and kvmsim's
 * can be compared byte for byte (tests/uffd/run.sh).  Only the feature and
 * ioctl bits kvmsim implements are printed (the kernel reports more).
 *
 * Covered: creation (userfaultfd(2) and /dev/userfaultfd), UFFDIO_API
 * (bad api, unknown features, twice), UFFDIO_REGISTER (bad modes,
 * unaligned, empty, below mmap_min_addr, past the address space, unmapped,
 * MINOR on anonymous memory, another context's range, ioctls reported),
 * read (before UFFDIO_API, too small, EAGAIN when empty), poll (blocking
 * and non-blocking files), UFFDIO_COPY (EEXIST, a partial copy stopping at
 * a present page, unregistered destination, bad source, DONTWAKE),
 * UFFDIO_ZEROPAGE, UFFDIO_CONTINUE (anonymous: EINVAL; no page cache page:
 * EFAULT; then mapped, then EEXIST), UFFDIO_WAKE, MADV_DONTNEED making a
 * page missing again, UFFDIO_UNREGISTER, unknown ioctls.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PG	4096ul
#include "kvmsim/uapi_ext.h"	/* UFFDIO_POISON: 6.6+, Debian's headers are 6.1 */
#define MODELLED_FEATURES	(UFFD_FEATURE_MISSING_SHMEM | UFFD_FEATURE_MINOR_SHMEM | \
				 UFFD_FEATURE_EXACT_ADDRESS)
#define RANGE_IOCTLS	((1ull << _UFFDIO_WAKE) | (1ull << _UFFDIO_COPY) | \
			 (1ull << _UFFDIO_ZEROPAGE) | (1ull << _UFFDIO_CONTINUE))
#define API_IOCTLS	((1ull << _UFFDIO_REGISTER) | (1ull << _UFFDIO_UNREGISTER) | \
			 (1ull << _UFFDIO_API))

static void show(const char *what, long r, int err)
{
	printf("%-44s %ld", what, r);
	if (r < 0)
		printf(" %s", strerrorname_np(err));
}

static long do_ioctl(int fd, unsigned long cmd, void *arg, const char *what)
{
	long r = ioctl(fd, cmd, arg);

	show(what, r, errno);
	return r;
}

static void end(void)
{
	printf("\n");
}

static void reg(int uffd, uint64_t start, uint64_t len, uint64_t mode, const char *what)
{
	struct uffdio_register r = { .range = { start, len }, .mode = mode };

	if (do_ioctl(uffd, UFFDIO_REGISTER, &r, what) == 0)
		printf(" ioctls %#llx", (unsigned long long)(r.ioctls & RANGE_IOCTLS));
	end();
}

static void copy(int uffd, void *dst, const void *src, uint64_t len, uint64_t mode,
		 const char *what)
{
	struct uffdio_copy c = { (uint64_t)dst, (uint64_t)src, len, mode, 0x7777 };

	do_ioctl(uffd, UFFDIO_COPY, &c, what);
	printf(" copy %lld", (long long)c.copy);
	end();
}

static void zeropage(int uffd, void *dst, uint64_t len, uint64_t mode, const char *what)
{
	struct uffdio_zeropage z = { { (uint64_t)dst, len }, mode, 0x7777 };

	do_ioctl(uffd, UFFDIO_ZEROPAGE, &z, what);
	printf(" zeropage %lld", (long long)z.zeropage);
	end();
}

static void cont(int uffd, void *dst, uint64_t len, uint64_t mode, const char *what)
{
	struct uffdio_continue c = { { (uint64_t)dst, len }, mode, 0x7777 };

	do_ioctl(uffd, UFFDIO_CONTINUE, &c, what);
	printf(" mapped %lld", (long long)c.mapped);
	end();
}

static void range_ioctl(int uffd, unsigned long cmd, uint64_t start, uint64_t len,
			const char *what)
{
	struct uffdio_range r = { start, len };

	do_ioctl(uffd, cmd, &r, what);
	end();
}

static bool present(const void *p)
{
	static int fd = -1;
	uint64_t e = 0;

	if (fd < 0)
		fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pread(fd, &e, sizeof(e), (uint64_t)p / PG * 8) != sizeof(e))
		return false;
	return e >> 63;
}

static void *map(size_t len, int flags, int fd)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

/* Three pages nothing is mapped at, right now (mapped, then unmapped). */
static uint8_t *unmapped(void)
{
	uint8_t *p = map(3 * PG, MAP_PRIVATE | MAP_ANONYMOUS, -1);

	munmap(p, 3 * PG);
	return p;
}

static int new_uffd(int flags)
{
	return syscall(SYS_userfaultfd, flags);
}

static void api(int uffd, uint64_t api_version, uint64_t features, const char *what)
{
	struct uffdio_api a = { api_version, features, 0x5555 };

	do_ioctl(uffd, UFFDIO_API, &a, what);
	printf(" features %#llx ioctls %#llx", (unsigned long long)(a.features & MODELLED_FEATURES),
	       (unsigned long long)(a.ioctls & API_IOCTLS));
	end();
}

static void creation(void)
{
	int dev, fd;
	long r;

	r = new_uffd(0x40000000);
	show("userfaultfd(bad flags)", r, errno);
	end();
	dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	show("open /dev/userfaultfd", dev < 0 ? dev : 0, errno);
	end();
	if (dev < 0)
		return;
	r = ioctl(dev, USERFAULTFD_IOC_NEW, 0x40000000);
	show("USERFAULTFD_IOC_NEW(bad flags)", r, errno);
	end();
	r = ioctl(dev, _IO(USERFAULTFD_IOC, 1), 0);
	show("/dev/userfaultfd other ioctl", r, errno);
	end();
	fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
	show("USERFAULTFD_IOC_NEW", fd < 0 ? fd : 0, errno);
	end();
	if (fd >= 0) {
		api(fd, UFFD_API, 0, "UFFDIO_API on a /dev/userfaultfd fd");
		close(fd);
	}
	close(dev);
}

static void poison(int uffd, void *dst, uint64_t len, uint64_t mode, const char *what)
{
	struct uffdio_poison p = { { (uint64_t)dst, len }, mode, 0x7777 };

	do_ioctl(uffd, UFFDIO_POISON, &p, what);
	printf(" updated %lld", (long long)p.updated);
	end();
}

/* A fresh uffd with UFFD_FEATURE_POISON; the poisoned page is never touched. */
static void poison_section(const uint8_t *src)
{
	uint8_t *m = map(4 * PG, MAP_PRIVATE | MAP_ANONYMOUS, -1), *other;
	int uffd = new_uffd(O_CLOEXEC | O_NONBLOCK);
	long r;

	api(uffd, UFFD_API, UFFD_FEATURE_POISON, "UFFDIO_API(FEATURE_POISON)");
	reg(uffd, (uint64_t)m, 4 * PG, UFFDIO_REGISTER_MODE_MISSING, "REGISTER for POISON");
	poison(uffd, m + 8, PG, 0, "POISON unaligned");
	poison(uffd, m, 0, 0, "POISON len 0");
	poison(uffd, m, PG, 1 << 5, "POISON unknown mode");
	other = map(PG, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	poison(uffd, other, PG, 0, "POISON on unregistered memory");
	poison(uffd, m, PG, 0, "POISON page 0");
	poison(uffd, m, PG, 0, "POISON page 0 again");
	copy(uffd, m, src, PG, 0, "COPY over a poisoned page");
	copy(uffd, m + PG, src, PG, 0, "COPY page 1");
	poison(uffd, m, 2 * PG, UFFDIO_POISON_MODE_DONTWAKE, "POISON pages 0-1 (both present)");
	poison(uffd, m + 2 * PG, 2 * PG, UFFDIO_POISON_MODE_DONTWAKE, "POISON pages 2-3 DONTWAKE");
	r = madvise(m, PG, MADV_DONTNEED);
	printf("MADV_DONTNEED of poisoned page 0: %ld\n", r);
	copy(uffd, m, src, PG, 0, "COPY page 0 after MADV_DONTNEED");
	printf("page 0 byte %#x\n", m[100]);
	close(uffd);
}

int main(void)
{
	static uint8_t src[4 * PG] __attribute__((aligned(4096)));
	struct uffd_msg msg;
	struct pollfd pfd;
	uint8_t *a, *b, *hole, *sh, *alias;
	int uffd, uffd2, blocking, mfd;
	long r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(src, 0x5a, sizeof(src));
	creation();

	uffd = new_uffd(O_CLOEXEC | O_NONBLOCK);
	show("userfaultfd(O_CLOEXEC|O_NONBLOCK)", uffd < 0 ? uffd : 0, errno);
	end();
	a = map(8 * PG, MAP_PRIVATE | MAP_ANONYMOUS, -1);

	/* ---- before UFFDIO_API ---- */
	reg(uffd, (uint64_t)a, PG, UFFDIO_REGISTER_MODE_MISSING, "UFFDIO_REGISTER before API");
	r = read(uffd, &msg, sizeof(msg));
	show("read before API", r, errno);
	end();
	pfd = (struct pollfd){ .fd = uffd, .events = POLLIN };
	r = poll(&pfd, 1, 0);
	show("poll before API", r, errno);
	printf(" revents %#x", pfd.revents);
	end();
	api(uffd, 0x1234, 0, "UFFDIO_API(bad api)");
	api(uffd, UFFD_API, 1ull << 62, "UFFDIO_API(unknown feature)");
	api(uffd, UFFD_API, 0, "UFFDIO_API");
	api(uffd, UFFD_API, 0, "UFFDIO_API again");

	/* ---- UFFDIO_REGISTER ---- */
	reg(uffd, (uint64_t)a, PG, 0, "REGISTER mode 0");
	reg(uffd, (uint64_t)a, PG, 1 << 5, "REGISTER unknown mode");
	reg(uffd, (uint64_t)a + 8, PG, UFFDIO_REGISTER_MODE_MISSING, "REGISTER unaligned start");
	reg(uffd, (uint64_t)a, PG + 8, UFFDIO_REGISTER_MODE_MISSING, "REGISTER unaligned len");
	reg(uffd, (uint64_t)a, 0, UFFDIO_REGISTER_MODE_MISSING, "REGISTER len 0");
	reg(uffd, 0, PG, UFFDIO_REGISTER_MODE_MISSING, "REGISTER at 0");
	reg(uffd, (1ull << 47) - PG, 2 * PG, UFFDIO_REGISTER_MODE_MISSING,
	    "REGISTER past the address space");
	hole = unmapped();
	reg(uffd, (uint64_t)hole, 3 * PG, UFFDIO_REGISTER_MODE_MISSING, "REGISTER unmapped");
	reg(uffd, (uint64_t)a, PG, UFFDIO_REGISTER_MODE_MINOR, "REGISTER MINOR on anonymous");
	reg(uffd, (uint64_t)a, 8 * PG, UFFDIO_REGISTER_MODE_MISSING, "REGISTER MISSING");
	reg(uffd, (uint64_t)a, 8 * PG, UFFDIO_REGISTER_MODE_MISSING, "REGISTER MISSING again");
	uffd2 = new_uffd(O_CLOEXEC | O_NONBLOCK);
	api(uffd2, UFFD_API, 0, "UFFDIO_API (second uffd)");
	reg(uffd2, (uint64_t)a + PG, PG, UFFDIO_REGISTER_MODE_MISSING,
	    "REGISTER a range another uffd has");

	/* ---- read and poll with nothing pending ---- */
	r = read(uffd, &msg, sizeof(msg));
	show("read, nothing pending", r, errno);
	end();
	r = read(uffd, &msg, sizeof(msg) - 1);
	show("read of 31 bytes", r, errno);
	end();
	pfd = (struct pollfd){ .fd = uffd, .events = POLLIN };
	r = poll(&pfd, 1, 0);
	show("poll, nothing pending", r, errno);
	printf(" revents %#x", pfd.revents);
	end();
	blocking = new_uffd(O_CLOEXEC);
	api(blocking, UFFD_API, 0, "UFFDIO_API (blocking uffd)");
	pfd = (struct pollfd){ .fd = blocking, .events = POLLIN };
	r = poll(&pfd, 1, 0);
	show("poll of a blocking uffd", r, errno);
	printf(" revents %#x", pfd.revents);
	end();

	/* ---- UFFDIO_COPY ---- */
	copy(uffd, a + 8, src, PG, 0, "COPY unaligned dst");
	copy(uffd, a, src, 0, 0, "COPY len 0");
	copy(uffd, a, src, PG, 1 << 5, "COPY unknown mode");
	copy(uffd, a, (void *)16, PG, 0, "COPY src below mmap_min_addr");
	hole = unmapped();
	copy(uffd, hole, src, PG, 0, "COPY to unmapped memory");
	b = map(2 * PG, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	copy(uffd, b, src, PG, 0, "COPY to unregistered memory");
	hole = unmapped();
	copy(uffd, a, hole, PG, 0, "COPY from unmapped memory");
	printf("page 0 present before COPY: %d\n", present(a));
	copy(uffd, a, src, PG, 0, "COPY page 0");
	printf("page 0 present: %d, byte %#x\n", present(a), a[100]);
	copy(uffd, a, src, PG, 0, "COPY page 0 again");
	copy(uffd, a + 7 * PG, src, 2 * PG, 0, "COPY past the registered range");
	zeropage(uffd, a + 3 * PG, PG, 0, "ZEROPAGE page 3");
	printf("page 3 present: %d, byte %#x\n", present(a + 3 * PG), a[3 * PG + 100]);
	copy(uffd, a + 2 * PG, src, 3 * PG, 0, "COPY pages 2-4 (3 is present)");
	printf("pages 2,3,4 present: %d %d %d\n", present(a + 2 * PG), present(a + 3 * PG),
	       present(a + 4 * PG));
	copy(uffd, a + 5 * PG, src, PG, UFFDIO_COPY_MODE_DONTWAKE, "COPY page 5 DONTWAKE");

	/* ---- UFFDIO_ZEROPAGE ---- */
	zeropage(uffd, a + 6 * PG, PG, 1 << 5, "ZEROPAGE unknown mode");
	zeropage(uffd, a + 6 * PG + 8, PG, 0, "ZEROPAGE unaligned");
	zeropage(uffd, a, PG, 0, "ZEROPAGE on a present page");
	zeropage(uffd, a + 6 * PG, PG, UFFDIO_ZEROPAGE_MODE_DONTWAKE, "ZEROPAGE DONTWAKE");
	zeropage(uffd, b, PG, 0, "ZEROPAGE on unregistered memory");

	/* ---- MADV_DONTNEED: missing again ---- */
	r = madvise(a, PG, MADV_DONTNEED);
	printf("MADV_DONTNEED page 0: %ld, present %d\n", r, present(a));
	copy(uffd, a, src, PG, 0, "COPY page 0 after MADV_DONTNEED");

	/* ---- UFFDIO_WAKE ---- */
	range_ioctl(uffd, UFFDIO_WAKE, (uint64_t)a + 8, PG, "WAKE unaligned");
	range_ioctl(uffd, UFFDIO_WAKE, (uint64_t)a, 0, "WAKE len 0");
	range_ioctl(uffd, UFFDIO_WAKE, (uint64_t)a, 8 * PG, "WAKE");

	/* ---- UFFDIO_CONTINUE ---- */
	cont(uffd, a + 7 * PG, PG, 0, "CONTINUE on anonymous memory");
	mfd = memfd_create("uffd-semantics", MFD_CLOEXEC);
	if (mfd < 0 || ftruncate(mfd, 4 * PG) < 0) {
		perror("memfd");
		return 1;
	}
	sh = map(4 * PG, MAP_SHARED, mfd);
	alias = map(4 * PG, MAP_SHARED, mfd);
	reg(uffd, (uint64_t)sh, 4 * PG, UFFDIO_REGISTER_MODE_MINOR, "REGISTER MINOR on a memfd");
	cont(uffd, sh, PG, 1 << 5, "CONTINUE unknown mode");
	cont(uffd, sh, PG, 0, "CONTINUE, not in the page cache");
	memset(alias, 0x77, 3 * PG);
	printf("page 0 of the memfd present in the registered mapping: %d\n", present(sh));
	cont(uffd, sh, PG, 0, "CONTINUE page 0");
	printf("page 0 present: %d, byte %#x\n", present(sh), sh[100]);
	cont(uffd, sh, PG, 0, "CONTINUE page 0 again");
	cont(uffd, sh + PG, PG, UFFDIO_CONTINUE_MODE_DONTWAKE, "CONTINUE page 1 DONTWAKE");
	reg(uffd, (uint64_t)sh, 4 * PG, UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_MINOR,
	    "REGISTER MISSING|MINOR on a memfd");
	copy(uffd, sh + 3 * PG, src, PG, 0, "COPY into the memfd hole");
	printf("memfd page 3 through the alias: %#x\n", alias[3 * PG + 1]);
	printf("memfd page 2 present in the registered mapping: %d\n", present(sh + 2 * PG));
	copy(uffd, sh + 2 * PG, src, PG, 0, "COPY over a page in the page cache");

	/* ---- UFFDIO_POISON (6.6+) ---- */
	poison_section(src);

	/* ---- UFFDIO_UNREGISTER ---- */
	range_ioctl(uffd, UFFDIO_UNREGISTER, (uint64_t)a + 8, PG, "UNREGISTER unaligned");
	hole = unmapped();
	range_ioctl(uffd, UFFDIO_UNREGISTER, (uint64_t)hole, 3 * PG, "UNREGISTER unmapped");
	range_ioctl(uffd, UFFDIO_UNREGISTER, (uint64_t)a, 8 * PG, "UNREGISTER");
	r = madvise(a, PG, MADV_DONTNEED);
	copy(uffd, a, src, PG, 0, "COPY after UNREGISTER");
	range_ioctl(uffd, UFFDIO_UNREGISTER, (uint64_t)a, 8 * PG, "UNREGISTER again");
	r = ioctl(uffd, _IOWR(UFFDIO, 0x3e, struct uffdio_range), &msg);
	show("unknown uffd ioctl", r, errno);
	end();

	close(blocking);
	close(uffd2);
	close(uffd);
	printf("done\n");
	return 0;
}
