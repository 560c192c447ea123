// SPDX-License-Identifier: MIT
/*
 * Running a program under kvmsim: LD_PRELOAD, the guest directory, and
 * capturing a scenario's stdout and observables.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"

/*
 * Under the Asan build type libkvmsim.so needs the sanitizer runtimes,
 * but it must come FIRST: libasan intercepts pthread_create, read,
 * poll... and its interceptors would reach the real libc (a real thread)
 * past ours.  ASan's check that it comes first is then turned off.
 */
static void setup_sanitizer_env(void)
{
#ifdef KVMSIM_SANITIZER_PRELOAD
	const char *old = getenv("ASAN_OPTIONS");
	char opts[1024];

	/*
	 * LeakSanitizer does not see pointers kept only on fiber stacks, and
	 * its exit-time check stops the world from inside a run that has
	 * already ended: off unless asked for.
	 */
	snprintf(opts, sizeof(opts), "%s%sverify_asan_link_order=0%s", old ? old : "",
		 old && *old ? ":" : "",
		 old && strstr(old, "detect_leaks") ? "" : ":detect_leaks=0");
	setenv("ASAN_OPTIONS", opts, 1);
#endif
}

void setup_preload(void)
{
	char lib[PATH_MAX];
	const char *old = getenv("LD_PRELOAD"), *found = cli_preload_lib();

	if (!found) {
		fprintf(stderr, "kvmsim: libkvmsim.so not found beside %s nor in its library "
			"directory\n", cli_self_dir());
		exit(KVMSIM_EXIT_USAGE);
	}
	snprintf(lib, sizeof(lib), "%s", found);
#ifdef KVMSIM_SANITIZER_PRELOAD
	snprintf(lib + strlen(lib), sizeof(lib) - strlen(lib), ":%s", KVMSIM_SANITIZER_PRELOAD);
#endif
	setup_sanitizer_env();
	if (old && *old) {
		char both[2 * PATH_MAX];

		snprintf(both, sizeof(both), "%s:%s", lib, old);
		setenv("LD_PRELOAD", both, 1);
	} else {
		setenv("LD_PRELOAD", lib, 1);
	}
}

/* Scenarios load guest ELFs from $KVMSIM_GUEST_DIR: the one beside kvmsim. */
void setup_guest_dir(void)
{
	const char *dir = cli_guest_dir();

	if (dir && !getenv("KVMSIM_GUEST_DIR"))
		setenv("KVMSIM_GUEST_DIR", dir, 1);
}

/*
 * A program without a PT_INTERP (statically linked) never loads
 * libkvmsim.so: it would talk to the real /dev/kvm and run on host
 * threads and time.  Refuse it.  Scripts and unreadable files are left
 * to execvp.
 */
static const char *find_in_path(const char *bin, char *buf, size_t len)
{
	const char *path = getenv("PATH");

	if (strchr(bin, '/') || !path)
		return bin;
	for (const char *p = path; *p; p = strchr(p, ':') ? strchr(p, ':') + 1 : p + strlen(p)) {
		size_t n = strcspn(p, ":");

		snprintf(buf, len, "%.*s/%s", (int)n, n ? p : ".", bin);
		if (access(buf, X_OK) == 0)
			return buf;
	}
	return bin;
}

static bool statically_linked(const char *file)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	bool interp = false;
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(ph)) {
		close(fd);
		return false;
	}
	for (int i = 0; i < eh.e_phnum && !interp; i++)
		interp = pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (uint64_t)i * sizeof(ph))) ==
			 sizeof(ph) && ph.p_type == PT_INTERP;
	close(fd);
	return !interp;
}

void exec_program(const char *bin, char **argv)
{
	char path[4096];

	if (statically_linked(find_in_path(bin, path, sizeof(path)))) {
		fprintf(stderr, "kvmsim: %s is statically linked: libkvmsim.so cannot be "
			"preloaded into it, so it would run on the real /dev/kvm and the "
			"host's threads and time; link it dynamically\n", bin);
		exit(KVMSIM_EXIT_EXEC);
	}
	setup_preload();
	argv[0] = (char *)bin;
	execvp(bin, argv);
	fprintf(stderr, "kvmsim: cannot execute %s: %s\n", bin, strerror(errno));
	exit(KVMSIM_EXIT_EXEC);
}

char **scenario_argv(const char *bin, const struct cli_args *a)
{
	char **argv = calloc(a->nrest + 2, sizeof(*argv));

	if (!argv) {
		perror("kvmsim");
		exit(KVMSIM_EXIT_USAGE);
	}
	argv[0] = (char *)bin;
	for (int i = 0; i < a->nrest; i++)
		argv[i + 1] = a->rest[i];
	return argv;
}

/* Run argv with its stdout through a pipe: echo it and keep it. */
int run_capture(char **argv, char **out, bool echo, bool quiet)
{
	int fds[2], status;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	pid_t pid;
	ssize_t n;

	if (!buf || pipe(fds))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		if (quiet) {
			int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

			if (null >= 0)
				dup2(null, 2);
		}
		execv(argv[0], argv);
		fprintf(stderr, "kvmsim: cannot execute %s: %s\n", argv[0], strerror(errno));
		_exit(KVMSIM_EXIT_EXEC);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf + len, cap - len - 1)) > 0) {
		if (echo)
			fwrite(buf + len, 1, n, stdout);
		len += n;
		if (cap - len < 1024) {
			char *bigger = realloc(buf, cap *= 2);

			if (!bigger)
				break;
			buf = bigger;
		}
	}
	close(fds[0]);
	fflush(stdout);
	buf[len] = 0;
	*out = buf;
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The observables file as one string ("" if the run wrote none). */
char *read_whole_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return strdup("");
	if (getdelim(&buf, &len, 0, f) < 0) {
		free(buf);
		buf = strdup("");
	}
	fclose(f);
	return buf;
}

/*
 * Run a scenario's program under SPEC (NULL: natively) with its
 * observables in a temporary file.  Returns the exit status, or -1.
 */
int run_scenario(char **argv, const char *spec, bool echo, bool quiet, char **out, char **obs)
{
	char tmpl[] = "/tmp/kvmsim-observe-XXXXXX";
	int fd, status;

	if (spec) {
		fd = mkstemp(tmpl);
		if (fd < 0)
			return -1;
		close(fd);
		setenv("KVMSIM_OBSERVE", tmpl, 1);
		setenv("KVMSIM_PROFILE", spec, 1);
	}
	status = run_capture(argv, out, echo, quiet);
	*obs = spec ? read_whole_file(tmpl) : strdup("");
	if (spec)
		unlink(tmpl);
	unsetenv("KVMSIM_OBSERVE");
	return status;
}
