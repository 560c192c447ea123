// SPDX-License-Identifier: MIT
/*
 * vmm-smp: a boot vCPU starts two APs with INIT and SIPI and exchanges
 * IPIs with them through the in-kernel LAPICs (x2APIC mode), one VMM
 * thread per vCPU.
 *
 * Checks: with KVM_CREATE_IRQCHIP the APs start UNINITIALIZED and the
 * BSP RUNNABLE (KVM_GET_MP_STATE); a signal for AP1's thread, which
 * blocks it outside KVM_RUN (KVM_SET_SIGNAL_MASK lets it in), ends the
 * KVM_RUN that waits for INIT with EINTR and KVM_EXIT_INTR (the thread
 * then takes it with sigwaitinfo, as QEMU does); each AP's KVM_RUN
 * blocks until INIT and then fails once with EAGAIN, the next KVM_RUN waits for the SIPI
 * and runs the real-mode trampoline at vector << 12 (0x9000); both APs
 * start (count and ID mask in guest memory); fixed IPIs by physical ID,
 * by logical x2APIC cluster bits, and to all-but-self reach exactly the
 * APs they name (per-AP counts), and the APs' answers (counted in
 * memory: two may arrive as one interrupt) wake the BSP, which waits in
 * HLT (KVM_RUN does not exit for it); a self-IPI through the
 * SELF_IPI MSR; a last IPI makes each AP report its x2APIC ID with OUT
 * to port 0xf0, and the BSP ends with OUT to port 0x10.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "vmm-lib.h"

#define RAM_SIZE	0x400000
#define PT_GPA		0x1000
#define GDT_GPA		0x4000
#define IDT_GPA		0x5000
#define STACK_TOP	0x7000
#define CODE_GPA	0x8000
#define TRAMPOLINE_GPA	0x9000
#define DATA_GPA	0xf000
#define NR_AP		2

extern const char guest_ap_start[], guest_ap_ipi[], guest_ap_exit[], guest_ap_end[];
extern const char guest_bsp_start[], guest_bsp_reply[], guest_bsp_self[], guest_bsp_end[];

struct ap {
	int fd;
	struct kvm_run *run;
	int eagain;		/* KVM_RUN calls that failed with EAGAIN */
	int eintr;		/* ... with EINTR */
	uint32_t eintr_exit;
	int ret, err;		/* the last KVM_RUN */
	uint32_t exit_reason;
	uint16_t port;
	uint8_t data;
};

static struct ap aps[NR_AP];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int interrupted;

static void set_cpuid(int kvm_fd, int vcpu_fd)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 100 * sizeof(c->entries[0]));

	c->nent = 100;
	xioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c);
	xioctl(vcpu_fd, KVM_SET_CPUID2, c);
	free(c);
}

static uint32_t mp_state(int fd)
{
	struct kvm_mp_state mp;

	xioctl(fd, KVM_GET_MP_STATE, &mp);
	return mp.mp_state;
}

/* Run an AP until it exits for something but EAGAIN. */
static void *ap_thread(void *arg)
{
	struct ap *ap = arg;

	for (;;) {
		ap->ret = ioctl(ap->fd, KVM_RUN, 0);
		ap->err = ap->ret ? errno : 0;
		if (ap->ret == -1 && errno == EAGAIN) {
			ap->eagain++;
			continue;
		}
		if (ap->ret == -1 && errno == EINTR) {
			sigset_t set;
			siginfo_t info;

			ap->eintr++;
			ap->eintr_exit = ap->run->exit_reason;
			sigemptyset(&set);
			sigaddset(&set, SIGUSR1);
			sigwaitinfo(&set, &info);
			pthread_mutex_lock(&lock);
			interrupted = 1;
			pthread_cond_signal(&cond);
			pthread_mutex_unlock(&lock);
			continue;
		}
		break;
	}
	ap->exit_reason = ap->run->exit_reason;
	if (!ap->ret && ap->exit_reason == KVM_EXIT_IO) {
		ap->port = ap->run->io.port;
		ap->data = *((uint8_t *)ap->run + ap->run->io.data_offset);
	}
	return NULL;
}

static void set_ivt(char *ram, int vector, const char *handler)
{
	uint16_t ent[2] = { (uint16_t)(handler - guest_ap_start), TRAMPOLINE_GPA >> 4 };

	memcpy(ram + vector * 4, ent, sizeof(ent));
}

int main(void)
{
	char *ram = vmm_alloc(RAM_SIZE);
	pthread_t threads[NR_AP];
	struct kvm_signal_mask *mask = calloc(1, sizeof(*mask) + 8);
	sigset_t usr1;
	struct kvm_sregs sregs;
	uint16_t w[2];
	uint32_t d[2];
	struct vmm v;
	int r;

	printf("# vmm-smp\n");
	vmm_open(&v);
	vmm_destroy_vm(&v);
	v.vm_fd = xioctl(v.kvm_fd, KVM_CREATE_VM, 0);
	xioctl(v.vm_fd, KVM_CREATE_IRQCHIP, 0);
	v.vcpu_fd = xioctl(v.vm_fd, KVM_CREATE_VCPU, 0);
	v.run = mmap(NULL, v.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v.vcpu_fd, 0);
	if (v.run == MAP_FAILED)
		fatal("mmap(vcpu): errno=%s", errno_name(errno));
	v.nr_runs = 0;
	set_cpuid(v.kvm_fd, v.vcpu_fd);
	for (int i = 0; i < NR_AP; i++) {
		aps[i].fd = xioctl(v.vm_fd, KVM_CREATE_VCPU, i + 1);
		aps[i].run = mmap(NULL, v.run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
				  aps[i].fd, 0);
		if (aps[i].run == MAP_FAILED)
			fatal("mmap(vcpu %d): errno=%s", i + 1, errno_name(errno));
		set_cpuid(v.kvm_fd, aps[i].fd);
	}
	printf("mp_state before: BSP %u, AP1 %u, AP2 %u\n", mp_state(v.vcpu_fd),
	       mp_state(aps[0].fd), mp_state(aps[1].fd));

	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_bsp_start, guest_bsp_end);
	vmm_load(ram, TRAMPOLINE_GPA, guest_ap_start, guest_ap_end);
	set_ivt(ram, 0x40, guest_ap_ipi);
	set_ivt(ram, 0x42, guest_ap_exit);
	vmm_setup_long_mode(&v, ram, PT_GPA, GDT_GPA);
	vmm_set_idt_gate(ram + IDT_GPA, 0x41,
			 CODE_GPA + (uint64_t)(guest_bsp_reply - guest_bsp_start));
	vmm_set_idt_gate(ram + IDT_GPA, 0x43,
			 CODE_GPA + (uint64_t)(guest_bsp_self - guest_bsp_start));
	vmm_get_sregs(&v, &sregs);
	sregs.idt.base = IDT_GPA;
	sregs.idt.limit = 256 * 16 - 1;
	vmm_set_sregs(&v, &sregs);
	vmm_set_regs(&v, CODE_GPA, STACK_TOP);

	/* SIGUSR1 reaches AP1's thread only inside KVM_RUN */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);
	mask->len = 8;
	memset(mask->sigset, 0, 8);
	xioctl(aps[0].fd, KVM_SET_SIGNAL_MASK, mask);
	free(mask);
	for (int i = 0; i < NR_AP; i++)
		if (pthread_create(&threads[i], NULL, ap_thread, &aps[i]))
			fatal("pthread_create");
	pthread_kill(threads[0], SIGUSR1);
	pthread_mutex_lock(&lock);
	while (!interrupted)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	r = ioctl(v.vcpu_fd, KVM_RUN, 0);
	printf("BSP KVM_RUN: %d %s exit %s", r, r ? errno_name(errno) : "",
	       exit_reason_name(v.run->exit_reason));
	if (v.run->exit_reason == KVM_EXIT_IO)
		printf(" port 0x%x", v.run->io.port);
	printf("\n");
	for (int i = 0; i < NR_AP; i++) {
		pthread_join(threads[i], NULL);
		printf("AP%d: EINTR %d", i + 1, aps[i].eintr);
		if (aps[i].eintr)
			printf(" (exit %s)", exit_reason_name(aps[i].eintr_exit));
		printf(", EAGAIN %d, then KVM_RUN %d %s exit %s port 0x%x data %u\n",
		       aps[i].eagain, aps[i].ret, aps[i].ret ? errno_name(aps[i].err) : "",
		       exit_reason_name(aps[i].exit_reason), aps[i].port, aps[i].data);
	}
	memcpy(w, ram + DATA_GPA, sizeof(w));
	printf("APs started %u, x2APIC ID mask 0x%x\n", w[0], w[1]);
	memcpy(w, ram + DATA_GPA + 0x12, sizeof(w));
	printf("IPIs 0x40 taken: AP1 %u, AP2 %u\n", w[0], w[1]);
	memcpy(d, ram + DATA_GPA + 0x20, sizeof(d));
	printf("answers the APs sent %u, self-IPIs the BSP took %u\n", d[0], d[1]);
	printf("mp_state after: BSP %u, AP1 %u, AP2 %u\n", mp_state(v.vcpu_fd),
	       mp_state(aps[0].fd), mp_state(aps[1].fd));
	return 0;
}
