// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness: the schedule-file reader (sim_schedule_read), as
 * `kvmsim replay` and `shrink` use it.  A bad file must be an error with
 * FILE:LINE, never a crash, a leak or an allocation the file cannot back.
 */
#define _GNU_SOURCE	/* memfd_create */
#include <string.h>

#include "fuzz_common.h"
#include "sim/schedule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sim_schedule s;
	char path[64], err[512];
	int fd = fuzz_input_file(data, size, path, sizeof(path));

	if (fd < 0)
		return 0;
	if (!sim_schedule_read(&s, path, err, sizeof(err)))
		sim_schedule_free(&s);
	else if (strncmp(err, path, strlen(path)))
		__builtin_trap();	/* every error names the file */
	close(fd);
	sim_sites_forget();	/* names interned by this input */
	return 0;
}
