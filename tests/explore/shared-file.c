// SPDX-License-Identifier: MIT
/*
 * shared-file: a file mapped shared and writable (a memfd, as guest
 * memory often is) that the program also changes through its fd.  Every
 * explored run must start from the file as it was at the fork point:
 * the run's pread past the end finds nothing, then the run extends the
 * file and writes there.  (Runs once shared the file itself through the
 * fd: the second run found the first one's byte.)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG	4096

static void *worker(void *arg)
{
	char *mem = arg;

	mem[1] = 'w';
	return NULL;
}

int main(void)
{
	int fd = memfd_create("shared-file", MFD_CLOEXEC);
	char *mem, c = 0;
	pthread_t t;
	ssize_t n;

	if (fd < 0 || ftruncate(fd, 2 * PG))
		return 2;
	mem = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED)
		return 2;
	mem[0] = 'm';
	pthread_create(&t, NULL, worker, mem);	/* the first choice: runs fork here */
	n = pread(fd, &c, 1, 2 * PG);
	if (ftruncate(fd, 3 * PG) || pwrite(fd, "B", 1, 2 * PG) != 1)
		return 2;
	pthread_join(t, NULL);
	printf("pread past the end: %zd, mapped: %c%c, size now %ld\n", n, mem[0], mem[1],
	       (long)lseek(fd, 0, SEEK_END));
	return 0;
}
