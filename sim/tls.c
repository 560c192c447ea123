// SPDX-License-Identifier: MIT
/*
 * Per-fiber thread-local storage (x86-64 glibc).
 *
 * A real thread has its own static TLS block (every module's __thread
 * variables, errno among them), its own thread control block at the FS
 * base (glibc's struct pthread: the self pointer, the DTV, the stack and
 * pointer guards) and its own DTV for the dynamic TLS of dlopened
 * modules.  Fibers share the OS thread, so each actor but actor 0 gets
 * all three here, and the switch loads its FS base.
 *
 * The block comes from the dynamic linker exactly as pthread_create gets
 * it (_dl_allocate_tls: every module's initial image, a fresh DTV whose
 * dynamic entries are allocated on first use by __tls_get_addr).  Three
 * things are then taken from the creating actor instead:
 *   - the control block's contents (glibc reads the stack and pointer
 *     guards, the TID and more there), with its own self and DTV pointers;
 *   - the TLS of the C library and of the sanitizer runtimes: they are the
 *     runtime every fiber shares (malloc's per-thread cache and arena,
 *     locale and ctype tables, ASan's current-thread record), as one OS
 *     thread would; errno is then set to 0;
 *   - libkvmsim.so's own (Unicorn's guest-random state).
 * The program's own variables, and its other libraries', start from
 * their initial values, as in a new thread.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>

#include "sim/sim_internal.h"

#ifdef SIM_FIBER_ASM

#define ARCH_SET_FS	0x1002
#define HWCAP2_FSGSBASE	(1 << 1)
/* tcbhead_t: tcb (the TP itself), dtv, self */
#define TCB_DTV_OFF	8
#define TCB_SELF_OFF	16

static void *(*allocate_tls)(void *mem);
static void (*deallocate_tls)(void *tcb, bool dealloc_tcb);
static size_t tcb_size;
static bool has_wrfsbase;
static int tls_state;		/* 0: not probed, 1: usable, -1: not */

static void *tls_tp(void)
{
	void *tp;

	__asm__ volatile("movq %%fs:0, %0" : "=r"(tp));
	return tp;
}

static bool tls_probe(void)
{
	const uint32_t *sizeof_pthread;

	if (tls_state)
		return tls_state > 0;
	allocate_tls = dlsym(RTLD_DEFAULT, "_dl_allocate_tls");
	deallocate_tls = dlsym(RTLD_DEFAULT, "_dl_deallocate_tls");
	sizeof_pthread = dlsym(RTLD_DEFAULT, "_thread_db_sizeof_pthread");
	tls_state = allocate_tls && deallocate_tls && sizeof_pthread ? 1 : -1;
	if (sizeof_pthread)
		tcb_size = *sizeof_pthread;
	has_wrfsbase = getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE;
	return tls_state > 0;
}

/* The runtime every fiber shares: see the top of the file. */
static bool tls_shared_module(const char *path)
{
	static const char *const shared[] = {
		"/libc.so", "/libasan.so", "/libubsan.so", "/liblsan.so",
		"/libkvmsim.so",
	};
	const char *base = strrchr(path, '/');

	if (!base)
		return false;
	for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]); i++)
		if (!strncmp(base, shared[i], strlen(shared[i])))
			return true;
	return false;
}

struct tls_copy {
	char *from_tp, *to_tp;
};

static int tls_copy_module(struct dl_phdr_info *info, size_t size, void *data)
{
	struct tls_copy *c = data;

	if (!info->dlpi_tls_modid || !info->dlpi_tls_data ||
	    !tls_shared_module(info->dlpi_name))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		char *from = info->dlpi_tls_data;

		if (ph->p_type != PT_TLS)
			continue;
		/* only blocks in the static TLS area sit at a fixed TP offset */
		if (from >= c->from_tp || c->from_tp - from > (ptrdiff_t)(64 << 20))
			continue;
		memcpy(c->to_tp - (c->from_tp - from), from, ph->p_memsz);
	}
	return 0;
}

void *sim_tls_new(void)
{
	struct tls_copy c;
	void *dtv;

	if (!tls_probe())
		return NULL;
	c.from_tp = tls_tp();
	c.to_tp = allocate_tls(NULL);
	if (!c.to_tp)
		sim_panic("out of memory for a fiber's TLS");
	memcpy(&dtv, c.to_tp + TCB_DTV_OFF, sizeof(dtv));
	memcpy(c.to_tp, c.from_tp, tcb_size);
	memcpy(c.to_tp + TCB_DTV_OFF, &dtv, sizeof(dtv));
	memcpy(c.to_tp, &c.to_tp, sizeof(void *));
	memcpy(c.to_tp + TCB_SELF_OFF, &c.to_tp, sizeof(void *));
	dl_iterate_phdr(tls_copy_module, &c);
	return c.to_tp;
}

void sim_tls_free(void *tp)
{
	if (tp)
		deallocate_tls(tp, true);
}

void *sim_tls_current(void)
{
	return tls_probe() ? tls_tp() : NULL;
}

void sim_tls_load(void *tp)
{
	if (has_wrfsbase) {
		__asm__ volatile("wrfsbase %0" : : "r"(tp) : "memory");
		return;
	}
	long r;

	__asm__ volatile("syscall" : "=a"(r)
			 : "0"(158L /* SYS_arch_prctl */), "D"((long)ARCH_SET_FS), "S"(tp)
			 : "rcx", "r11", "memory");
	if (r)
		sim_panic("arch_prctl(ARCH_SET_FS): %ld", r);
}

#else

void *sim_tls_new(void) { return NULL; }
void sim_tls_free(void *tp) { (void)tp; }
void *sim_tls_current(void) { return NULL; }
void sim_tls_load(void *tp) { (void)tp; }

#endif
