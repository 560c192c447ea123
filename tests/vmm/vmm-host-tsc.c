// SPDX-License-Identifier: MIT
/*
 * vmm-host-tsc: the VMM's own RDTSC and its guest's TSC are one clock
 * (system_counter_offset_test's check), and the process's TSC reads
 * leave its other uses of SIGSEGV and exec alone.
 *
 * Checks: the VMM reads rdtsc before and after a KVM_RUN in which the
 * guest reads its TSC: host before <= guest - offset <= host after, with
 * the vCPU's KVM_VCPU_TSC_OFFSET left as created and, where the host
 * honours it, set to +/-180 s of ticks (this host's PVM KVM ignores the
 * offset: only the first case is checked here natively); rdtscp too; a
 * spin on rdtsc for 10 ms of ticks ends; system() runs a child (ld.so
 * reads the TSC); the program's own SIGSEGV handler is what sigaction
 * reports and it catches a real fault.  Under kvmsim the process's rdtsc
 * is trapped and reads the virtual clock: with VMM_HOST_TSC_EXACT set
 * the program also prints the values, the same on every run.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm-lib.h"

#define RAM_SIZE	0x400000
#define PT_GPA		0x1000
#define GDT_GPA		0x4000
#define STACK_TOP	0x7000
#define CODE_GPA	0x8000

extern const char guest_host_tsc_start[], guest_host_tsc_end[];

static struct vmm v;
static int exact;
static uint64_t khz;

static const char *yes(int b)
{
	return b ? "yes" : "no";
}

static uint64_t host_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static uint64_t host_rdtscp(uint32_t *aux)
{
	uint32_t lo, hi, c;

	__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(c));
	*aux = c;
	return (uint64_t)hi << 32 | lo;
}

static int set_offset(uint64_t off)
{
	struct kvm_device_attr a = { .group = KVM_VCPU_TSC_CTRL, .attr = KVM_VCPU_TSC_OFFSET,
				     .addr = (uintptr_t)&off };

	return ioctl(v.vcpu_fd, KVM_SET_DEVICE_ATTR, &a);
}

static uint64_t get_offset(void)
{
	struct kvm_device_attr a = { .group = KVM_VCPU_TSC_CTRL, .attr = KVM_VCPU_TSC_OFFSET };
	uint64_t off = 0;

	a.addr = (uintptr_t)&off;
	if (ioctl(v.vcpu_fd, KVM_GET_DEVICE_ATTR, &a))
		fatal("KVM_GET_DEVICE_ATTR(TSC_OFFSET): errno=%s", errno_name(errno));
	return off;
}

/* one guest TSC read: RAX at the guest's OUT */
static uint64_t guest_tsc(void)
{
	struct kvm_regs regs;

	if (ioctl(v.vcpu_fd, KVM_RUN, 0) || v.run->exit_reason != KVM_EXIT_IO ||
	    v.run->io.port != 0x10)
		fatal("no OUT exit");
	vmm_get_regs(&v, &regs);
	return regs.rax;
}

static void bracket(const char *what, int use_rdtscp)
{
	uint64_t off = get_offset(), start, end, g;
	uint32_t aux = 0;

	start = use_rdtscp ? host_rdtscp(&aux) : host_rdtsc();
	g = guest_tsc() - off;
	end = use_rdtscp ? host_rdtscp(&aux) : host_rdtsc();
	printf("%s: host TSC before <= guest TSC - offset <= host TSC after: %s\n", what,
	       yes(start <= g && g <= end));
	if (exact)
		printf("%s exact: host %lu, guest - offset %lu, host %lu, TSC_AUX %u\n", what,
		       (unsigned long)start, (unsigned long)g, (unsigned long)end, aux);
}

/* an unmapped address the compiler cannot see through */
static volatile int *volatile bad_address = (volatile int *)8;
static sigjmp_buf fault_jmp;
static int faults;

static void on_segv(int sig)
{
	(void)sig;
	faults++;
	siglongjmp(fault_jmp, 1);
}

int main(void)
{
	char *ram = vmm_alloc(RAM_SIZE);
	int offset_works, st;
	struct sigaction sa, old;
	uint64_t s, n = 0;

	exact = getenv("VMM_HOST_TSC_EXACT") != NULL;
	printf("# vmm-host-tsc\n");
	vmm_open(&v);
	khz = xioctl(v.vcpu_fd, KVM_GET_TSC_KHZ, 0);
	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_host_tsc_start, guest_host_tsc_end);
	vmm_setup_long_mode(&v, ram, PT_GPA, GDT_GPA);
	vmm_set_regs(&v, CODE_GPA, STACK_TOP);

	bracket("offset as created, rdtsc", 0);
	bracket("offset as created, rdtscp", 1);
	if (set_offset(180 * 1000 * khz))
		fatal("KVM_SET_DEVICE_ATTR(TSC_OFFSET): errno=%s", errno_name(errno));
	offset_works = get_offset() == 180 * 1000 * khz;
	if (offset_works) {
		bracket("offset +180 s", 0);
		set_offset(-180 * 1000 * khz);
		bracket("offset -180 s", 0);
	}

	s = host_rdtsc();
	while (host_rdtsc() - s < 10 * khz)
		n++;
	printf("a spin on rdtsc for 10 ms ended after more than one read: %s\n", yes(n > 1));

	fflush(stdout);
	st = system("exit 7");
	printf("system(\"exit 7\"): exit status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_segv;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGSEGV, NULL, &old);
	printf("sigaction(SIGSEGV) reports the program's handler: %s\n",
	       yes(old.sa_handler == on_segv));
	if (!sigsetjmp(fault_jmp, 1))
		*bad_address = 1;
	printf("a write to address 8: the program's handler ran %d time(s)\n", faults);
	vmm_close(&v);
	return 0;
}
