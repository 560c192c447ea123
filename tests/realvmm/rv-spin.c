// SPDX-License-Identifier: MIT
/*
 * rv-spin: a VMM thread spins on a flag, without any library call, until
 * the vCPU thread sets it after its guest printed on port 0xe9 and
 * halted; then the roles turn: the vCPU thread spins until the main
 * thread, back from a 5 ms sleep, sets a second flag.
 */
#include <pthread.h>

#include "rv.h"

static struct rv_vm v;
static volatile int guest_done, go_on;
static char out[16];

static void *vcpu_thread(void *arg)
{
	int n = 0;

	for (;;) {
		if (ioctl(v.vcpu, KVM_RUN, 0) < 0)
			rv_die("KVM_RUN");
		if (v.run->exit_reason != KVM_EXIT_IO)
			break;
		if (n < (int)sizeof(out) - 1)
			out[n++] = *((char *)v.run + v.run->io.data_offset);
	}
	__atomic_store_n(&guest_done, v.run->exit_reason, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&go_on, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
	return NULL;
}

int main(void)
{
	static const unsigned char code[] = {
		0xba, 0xe9, 0x00, 0xb0, 'o', 0xee, 0xb0, 'k', 0xee, 0xf4,
	};
	pthread_t t;
	int reason;

	rv_create(&v, code, sizeof(code));
	pthread_create(&t, NULL, vcpu_thread, NULL);
	while (!(reason = __atomic_load_n(&guest_done, __ATOMIC_ACQUIRE)))
		__builtin_ia32_pause();
	printf("main saw the vCPU thread's flag: exit reason %d, guest wrote \"%s\"\n",
	       reason, out);
	usleep(5000);
	__atomic_store_n(&go_on, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	printf("the vCPU thread saw main's flag\n");
	return 0;
}
