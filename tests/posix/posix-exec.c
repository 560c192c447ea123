// SPDX-License-Identifier: MIT
/*
 * posix-exec: the exec family and the calls that spawn a program, which
 * kvmsim wraps (the TSC trap is lifted around each exec): every form runs
 * its program with the arguments and environment it was given (execl,
 * execlp and execle gather their variable arguments, execle's envp after
 * the NULL), also from a second thread.  Each child writes to our
 * stdout; the parent waits for it before the next line, so the order is
 * fixed.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void run(const char *what, int form)
{
	char *argv[] = { "echo", "execv(p):", (char *)what, NULL };
	char *envp[] = { "POSIX_EXEC=from-envp", NULL };
	int st;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		exit(2);
	if (pid == 0) {
		switch (form) {
		case 0: execl("/bin/echo", "echo", "execl:", what, (char *)NULL); break;
		case 1: execlp("echo", "echo", "execlp:", what, (char *)NULL); break;
		case 2: execle("/usr/bin/env", "env", "-u", "NOTHING", (char *)NULL, envp); break;
		case 3: execv("/bin/echo", argv); break;
		case 4: execvp("echo", argv); break;
		case 5: execvpe("env", (char *[]){ "env", NULL }, envp); break;
		}
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid)
		exit(2);
	printf("%s: exit status %d\n", what, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static void *spawner(void *arg)
{
	(void)arg;
	run("execv from a thread", 3);
	return NULL;
}

int main(void)
{
	static const char *forms[] = { "execl", "execlp", "execle", "execv", "execvp", "execvpe" };
	char line[64];
	FILE *p;
	pid_t pid;
	int st;

	for (int i = 0; i < (int)(sizeof(forms) / sizeof(forms[0])); i++)
		run(forms[i], i);

	fflush(stdout);
	st = system("echo system: ran; exit 3");
	printf("system: exit status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

	p = popen("echo popen: read back", "r");
	if (!p || !fgets(line, sizeof(line), p))
		return 2;
	printf("%s", line);
	printf("popen: exit status %d\n", WEXITSTATUS(pclose(p)));

	fflush(stdout);
	if (posix_spawnp(&pid, "echo", NULL, NULL, (char *[]){ "echo", "posix_spawnp: ran", NULL },
			 environ) || waitpid(pid, &st, 0) != pid)
		return 2;
	printf("posix_spawnp: exit status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

	{
		pthread_t t;

		if (pthread_create(&t, NULL, spawner, NULL) || pthread_join(t, NULL))
			return 2;
	}
	return 0;
}
