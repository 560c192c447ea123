// SPDX-License-Identifier: MIT
/*
 * rv-select: select(2) on a pipe, as Linux answers it: an empty pipe is
 * not readable (0 with a zero timeout, 0 after a 10 ms timeout that
 * clears the set), its write end is writable; a thread's write 5 ms
 * later wakes a select without timeout, with only the read end set;
 * pselect agrees; a closed fd is EBADF.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

static int p[2];

static void *writer(void *arg)
{
	usleep(5000);
	if (write(p[1], "x", 1) != 1)
		printf("write failed\n");
	return NULL;
}

static void show(const char *what, int r, fd_set *rd, fd_set *wr)
{
	printf("%s: %d", what, r);
	if (r < 0)
		printf(" %s", errno == EBADF ? "EBADF" : strerror(errno));
	if (rd)
		printf(" read-end %s", FD_ISSET(p[0], rd) ? "set" : "clear");
	if (wr)
		printf(" write-end %s", FD_ISSET(p[1], wr) ? "set" : "clear");
	printf("\n");
}

int main(void)
{
	struct timeval zero = { 0, 0 }, ten = { 0, 10000 };
	struct timespec ts = { 0, 0 };
	fd_set rd, wr;
	pthread_t t;
	int bad;

	if (pipe(p))
		return 1;
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	show("empty pipe, zero timeout", select(p[0] + 1, &rd, NULL, NULL, &zero), &rd, NULL);
	FD_SET(p[0], &rd);
	show("empty pipe, 10 ms", select(p[0] + 1, &rd, NULL, NULL, &ten), &rd, NULL);
	FD_SET(p[0], &rd);
	FD_ZERO(&wr);
	FD_SET(p[1], &wr);
	show("both ends", select((p[0] > p[1] ? p[0] : p[1]) + 1, &rd, &wr, NULL, &zero), &rd, &wr);

	pthread_create(&t, NULL, writer, NULL);
	FD_SET(p[0], &rd);
	show("no timeout, a thread writes", select(p[0] + 1, &rd, NULL, NULL, NULL), &rd, NULL);
	pthread_join(t, NULL);
	FD_SET(p[0], &rd);
	show("pselect, data waiting", pselect(p[0] + 1, &rd, NULL, NULL, &ts, NULL), &rd, NULL);

	bad = dup(p[0]);
	close(bad);
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	FD_SET(bad, &rd);
	show("a closed fd in the set", select((bad > p[0] ? bad : p[0]) + 1, &rd, NULL, NULL, &zero),
	     NULL, NULL);
	return 0;
}
