/* SPDX-License-Identifier: MIT */
/*
 * Shared by the libFuzzer harnesses: the readers under test take a path,
 * so each input becomes a memfd named by /proc/self/fd/N.
 */
#ifndef KVMSIM_FUZZ_COMMON_H
#define KVMSIM_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/* Returns the fd (close it when done) and fills path; -1 on failure. */
static inline int fuzz_input_file(const uint8_t *data, size_t size, char *path, size_t len)
{
	int fd = memfd_create("fuzz-input", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return -1;
	}
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

#endif
