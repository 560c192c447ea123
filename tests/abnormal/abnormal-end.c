// SPDX-License-Identifier: MIT
/*
 * abnormal-end MODE: a VMM that ends badly after some KVM work, for
 * tests/abnormal-end.sh, which checks kvmsim still finishes its outputs.
 *   block   read stdin (the test never writes it): killed by SIGTERM
 *   abort   abort()
 *   thread  exit(3) from a second thread while main waits
 * Each first prints a line to stdout, which the test makes a file (fully
 * buffered): a death by signal loses it, as natively; exit() writes it.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static void *exit_thread(void *arg)
{
	exit(3);
}

int main(int argc, char **argv)
{
	int kvm = open("/dev/kvm", O_RDWR), vm, vcpu;
	pthread_t t;
	char c;

	if (argc != 2 || kvm < 0)
		return 2;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vm < 0 || vcpu < 0)
		return 2;
	printf("buffered until exit\n");
	if (!strcmp(argv[1], "block"))
		return read(0, &c, 1) < 0;
	if (!strcmp(argv[1], "abort"))
		abort();
	if (!strcmp(argv[1], "thread")) {
		pthread_create(&t, NULL, exit_thread, NULL);
		pthread_join(t, NULL);
	}
	return 2;
}
