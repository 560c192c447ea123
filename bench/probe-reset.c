// SPDX-License-Identifier: MIT
/*
 * probe-reset: what resetting a process' dirty pages in place would cost
 * on this host, against forking a copy per run (bench/RESULTS.md,
 * "In-place reset instead of fork: the floor").
 *
 * A region of NPAGES populated pages stands for the explored program at
 * its fork point; a "run" writes WRITES pages of it spread over the
 * region (what a run dirties).  Per run, in CPU time (user + sys of this
 * process and its children, getrusage):
 *
 *   none       the run's writes alone, no tracking (subtracted below)
 *   uffd-wp    userfaultfd write-protect, asynchronous (UFFD_FEATURE_WP_ASYNC:
 *              a write to a protected page is resolved in the kernel, no
 *              message), the written pages found with the PAGEMAP_SCAN
 *              ioctl on /proc/self/pagemap (PAGE_IS_WRITTEN), copied back
 *              from a snapshot, then protected again (PM_SCAN_WP_MATCHING)
 *   soft-dirty /proc/self/clear_refs "4" (clears every soft-dirty bit of
 *              the process), pagemap read over the region for bit 55, the
 *              dirty pages copied back
 *   fork       fork, the child writes its pages and _exits, the parent
 *              waits (the current design's floor, without the program)
 *
 * usage: probe-reset [NPAGES [WRITES [RUNS]]]   (default 3200 320 2000)
 * A mechanism the host lacks (soft-dirty without CONFIG_MEM_SOFT_DIRTY,
 * userfaultfd write-protect or PAGEMAP_SCAN before 6.7) is reported as
 * skipped, with the reason.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Linux 6.7 UAPI, absent from older linux-libc-dev */
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_UNPOPULATED	(1 << 13)
#define UFFD_FEATURE_WP_ASYNC		(1 << 15)
#endif
#ifndef PAGEMAP_SCAN
struct page_region {
	uint64_t start, end, categories;
};

struct pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define PAGEMAP_SCAN		_IOWR('f', 16, struct pm_scan_arg)
#define PAGE_IS_WRITTEN		(1 << 1)
#define PM_SCAN_WP_MATCHING	(1 << 0)
#define PM_SCAN_CHECK_WPASYNC	(1 << 1)
#endif

#define PAGE	4096ul

static unsigned long npages, writes, runs;
static unsigned char *region, *snapshot;
static struct page_region *vec;
static int pagemap;

static double cpu_ms(void)
{
	struct rusage s, c;

	getrusage(RUSAGE_SELF, &s);
	getrusage(RUSAGE_CHILDREN, &c);
	return (s.ru_utime.tv_sec + s.ru_stime.tv_sec + c.ru_utime.tv_sec + c.ru_stime.tv_sec) *
	       1e3 + (s.ru_utime.tv_usec + s.ru_stime.tv_usec + c.ru_utime.tv_usec +
		      c.ru_stime.tv_usec) / 1e3;
}

static long minflt(void)
{
	struct rusage s, c;

	getrusage(RUSAGE_SELF, &s);
	getrusage(RUSAGE_CHILDREN, &c);
	return s.ru_minflt + c.ru_minflt;
}

/* The run: one byte in each of `writes` pages, spread, moving with r. */
static void run_writes(unsigned long r)
{
	unsigned long stride = npages / writes;

	for (unsigned long i = 0; i < writes; i++)
		region[((i * stride) + r % stride) * PAGE] = (unsigned char)(r + i + 1);
}

static void report(const char *what, double ms, long faults)
{
	printf("%-11s %8.1f us/run %8.3f us/page  %6.1f faults/run  %8.0f runs/s/core\n", what,
	       ms * 1e3 / runs, ms * 1e3 / runs / writes, (double)faults / runs, runs / (ms / 1e3));
}

static void probe_none(void)
{
	double t = cpu_ms();
	long f = minflt();

	for (unsigned long r = 0; r < runs; r++)
		run_writes(r);
	report("none", cpu_ms() - t, minflt() - f);
}

/* PAGEMAP_SCAN over the region: the written pages, protected again if wp. */
static long scan_written(uint64_t flags)
{
	struct pm_scan_arg a = {
		.size = sizeof(a), .flags = flags,
		.start = (uintptr_t)region, .end = (uintptr_t)region + npages * PAGE,
		.vec = (uintptr_t)vec, .vec_len = npages,
		.category_mask = PAGE_IS_WRITTEN, .return_mask = PAGE_IS_WRITTEN,
	};

	return ioctl(pagemap, PAGEMAP_SCAN, &a);
}

static void restore(long nr)
{
	for (long i = 0; i < nr; i++) {
		size_t off = vec[i].start - (uintptr_t)region;

		memcpy(region + off, snapshot + off, vec[i].end - vec[i].start);
	}
}

static int uffd_wp_setup(void)
{
	struct uffdio_api api = { .api = UFFD_API,
				  .features = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED };
	struct uffdio_register reg = { .range = { (uintptr_t)region, npages * PAGE },
				       .mode = UFFDIO_REGISTER_MODE_WP };
	int uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (uffd < 0) {
		printf("uffd-wp     skipped: userfaultfd: %s\n", strerror(errno));
		return -1;
	}
	if (ioctl(uffd, UFFDIO_API, &api) || !(api.features & UFFD_FEATURE_WP_ASYNC)) {
		printf("uffd-wp     skipped: no UFFD_FEATURE_WP_ASYNC (%s)\n", strerror(errno));
		return -1;
	}
	if (ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		printf("uffd-wp     skipped: UFFDIO_REGISTER_MODE_WP: %s\n", strerror(errno));
		return -1;
	}
	if (scan_written(PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC) < 0) {
		printf("uffd-wp     skipped: PAGEMAP_SCAN: %s\n", strerror(errno));
		return -1;
	}
	return uffd;
}

static void probe_uffd_wp(void)
{
	int uffd = uffd_wp_setup();
	double t, t_scan = 0, t_restore = 0, t_wp = 0, t0;
	long f, found = 0;

	if (uffd < 0)
		return;
	/* protect everything (a write since the snapshot would count) */
	scan_written(PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC);
	t = cpu_ms();
	f = minflt();
	for (unsigned long r = 0; r < runs; r++) {
		long nr;

		run_writes(r);
		t0 = cpu_ms();
		nr = scan_written(0);
		t_scan += cpu_ms() - t0;
		t0 = cpu_ms();
		restore(nr);
		t_restore += cpu_ms() - t0;
		t0 = cpu_ms();
		scan_written(PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC);
		t_wp += cpu_ms() - t0;
		found += nr;
	}
	report("uffd-wp", cpu_ms() - t, minflt() - f);
	printf("            (regions found per run %.1f; scan %.1f us, restore %.1f us, "
	       "re-protect %.1f us per run)\n", (double)found / runs, t_scan * 1e3 / runs,
	       t_restore * 1e3 / runs, t_wp * 1e3 / runs);
	close(uffd);
}

static void clear_soft_dirty(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY);

	if (fd < 0 || write(fd, "4", 1) != 1) {
		perror("clear_refs");
		exit(1);
	}
	close(fd);
}

static void probe_soft_dirty(void)
{
	uint64_t *pm = malloc(npages * sizeof(*pm));
	double t;
	long f, found = 0;

	clear_soft_dirty();
	region[0]++;
	if (pread(pagemap, pm, 8, (off_t)((uintptr_t)region / PAGE * 8)) != 8 || !(pm[0] >> 55 & 1)) {
		printf("soft-dirty  skipped: a written page has no soft-dirty bit "
		       "(a kernel without CONFIG_MEM_SOFT_DIRTY)\n");
		free(pm);
		return;
	}
	region[0]--;
	clear_soft_dirty();
	t = cpu_ms();
	f = minflt();
	for (unsigned long r = 0; r < runs; r++) {
		long nr = 0;

		run_writes(r);
		if (pread(pagemap, pm, npages * 8, (off_t)((uintptr_t)region / PAGE * 8)) !=
		    (ssize_t)(npages * 8)) {
			perror("pagemap");
			exit(1);
		}
		for (unsigned long p = 0; p < npages; p++) {
			if (!(pm[p] >> 55 & 1))
				continue;
			vec[nr].start = (uintptr_t)region + p * PAGE;
			vec[nr].end = vec[nr].start + PAGE;
			nr++;
		}
		restore(nr);
		clear_soft_dirty();
		found += nr;
	}
	report("soft-dirty", cpu_ms() - t, minflt() - f);
	printf("            (pages found per run %.1f)\n", (double)found / runs);
	free(pm);
}

static void probe_fork(void)
{
	double t = cpu_ms();
	long f = minflt();

	for (unsigned long r = 0; r < runs; r++) {
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			run_writes(r);
			_exit(0);
		}
		waitpid(pid, &st, 0);
	}
	report("fork", cpu_ms() - t, minflt() - f);
}

int main(int argc, char **argv)
{
	npages = argc > 1 ? strtoul(argv[1], NULL, 0) : 3200;
	writes = argc > 2 ? strtoul(argv[2], NULL, 0) : 320;
	runs = argc > 3 ? strtoul(argv[3], NULL, 0) : 2000;
	if (!npages || !writes || writes > npages || !runs) {
		fprintf(stderr, "usage: probe-reset [NPAGES [WRITES [RUNS]]]\n");
		return 2;
	}
	region = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	snapshot = malloc(npages * PAGE);
	vec = calloc(npages, sizeof(*vec));
	pagemap = open("/proc/self/pagemap", O_RDONLY);
	if (region == MAP_FAILED || !snapshot || !vec || pagemap < 0) {
		perror("probe-reset");
		return 1;
	}
	madvise(region, npages * PAGE, MADV_NOHUGEPAGE);
	for (unsigned long p = 0; p < npages; p++)
		region[p * PAGE] = (unsigned char)p;
	memcpy(snapshot, region, npages * PAGE);
	printf("%lu pages (%lu KiB), %lu written per run, %lu runs; CPU time per run\n", npages,
	       npages * 4, writes, runs);
	probe_none();
	probe_fork();
	probe_soft_dirty();
	probe_uffd_wp();
	return 0;
}
