// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness: the scenario-manifest parser (cli/manifest.c), for
 * the default view and one profile's (KEY@PROFILE lines).  A bad line
 * must be a FILE:LINE error, never a crash, a leak or a silent split.
 */
#define _GNU_SOURCE	/* memfd_create */
#include "cli/cli.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const specs[] = { NULL, "rfc-2023-v2" };
	struct manifest m;
	char path[64];
	int fd = fuzz_input_file(data, size, path, sizeof(path));

	if (fd < 0)
		return 0;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		if (!load_manifest(path, &m, specs[i]))
			free_manifest(&m);
	close(fd);
	return 0;
}
