// SPDX-License-Identifier: MIT
/*
 * rv-sigterm: a program that leaves SIGTERM at its default and waits in
 * pause() until one comes from outside (run.sh sigterm-trace sends it):
 * it dies of the signal (status 143 from the shell) and, under kvmsim,
 * the trace file is complete up to then.
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *thread(void *arg)
{
	usleep(1000);
	return NULL;
}

int main(void)
{
	pthread_t t;

	pthread_create(&t, NULL, thread, NULL);
	pthread_join(t, NULL);
	printf("ready\n");
	fflush(stdout);
	pause();
	return 0;
}
