// SPDX-License-Identifier: MIT
/* rv-static: linked statically, so kvmsim exec must refuse to run it. */
#include <stdio.h>

int main(void)
{
	printf("a static program ran\n");
	return 0;
}
