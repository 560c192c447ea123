// SPDX-License-Identifier: MIT
/*
 * Strategies, the choice log, fault injection, and the fork server that
 * runs `explore` and `shrink` (see explore.h).
 *
 * One wrapper strategy is installed in every mode but plain-without-
 * injection: it reseeds at the first choice (forking there when asked
 * to), asks the inner strategy, and logs the answer.  The inner ones:
 *
 *   random      uniform pick from the scheduler stream
 *   pct         Probabilistic Concurrency Testing (Burckhardt et al.):
 *               random actor priorities, d - 1 change points among the
 *               first k decisions where the running actor drops to the
 *               bottom; always run the highest-priority runnable actor
 *   forced      follow a list of choices (replay, shrink candidates,
 *               bounded-search prefixes); past its end or once it no
 *               longer fits, fall back to nonpreempt
 *   nonpreempt  keep the current actor if it can go on, else the lowest id
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sim/explore.h"
#include "sim/oracle.h"
#include "sim/outcome.h"
#include "sim/sim_internal.h"

#define SLOT_CHOICES	(1u << 20)
#define SLOT_LEARN	(1u << 20)	/* bytes of sim_explore_learn records per run */
#define MAX_PRIO_IDS	4096
#define MAX_DEPTH	32

enum inner { IN_RANDOM, IN_PCT, IN_FORCED, IN_NONPREEMPT };
enum arm_mode { ARM_ALWAYS, ARM_NTH, ARM_PROB };

struct armed_site {
	uint32_t site;
	enum arm_mode mode;
	uint64_t nth;
	double p;
	uint64_t hits;
};

/* A run's verdict and choices, written by the child, read by the server. */
struct slot_hdr {
	char oracle[32];
	char message[512];
	uint64_t nchoices;
	bool overflow;
};

struct slot {
	struct slot_hdr h;
	struct sim_choice c[SLOT_CHOICES];
	uint32_t learn_len;		/* records: u32 length, bytes, 8-aligned */
	unsigned char learn[SLOT_LEARN];
};

static struct {
	struct sim_explore_cfg cfg;
	bool configured;
	bool started;			/* the first choice has been made */
	uint64_t run_seed;

	struct sim_choice *log;		/* this run's choices */
	uint64_t nlog, cap;
	struct slot_hdr *hdr;		/* in a forked run: where to report */

	enum inner inner;
	const struct sim_choice *forced;
	uint64_t nforced;
	bool diverged;
	bool warn_divergence;

	/* pct */
	int depth;
	uint64_t k;
	uint64_t cp[MAX_DEPTH];
	uint64_t prio[MAX_PRIO_IDS];
	bool has_prio[MAX_PRIO_IDS];

	struct armed_site armed[SIM_MAX_FAIL];
	int narmed;

	/* decisions in a row each actor was runnable and not picked */
	uint64_t starved[MAX_PRIO_IDS];
} ex;

static void serve(void);

/* ---- the log ---- */

static void log_choice(const struct sim_choice *c)
{
	if (ex.nlog == ex.cap) {
		if (ex.hdr) {		/* a slot is fixed-size */
			ex.hdr->overflow = true;
			sim_oracle_fail("budget", "more than %u choices in one run",
					SLOT_CHOICES);
		}
		ex.cap = ex.cap ? 2 * ex.cap : 1024;
		ex.log = realloc(ex.log, ex.cap * sizeof(*ex.log));
		SIM_BUG_ON(!ex.log);
	}
	ex.log[ex.nlog++] = *c;
	if (ex.hdr)
		ex.hdr->nchoices = ex.nlog;
	if (ex.cfg.max_choices && ex.nlog > ex.cfg.max_choices)
		sim_oracle_fail("budget", "run exceeded %" PRIu64 " choices",
				ex.cfg.max_choices);
}

uint64_t sim_explore_choices(void)
{
	return ex.nlog;
}

bool sim_explore_in_run(void)
{
	return ex.hdr;
}

static struct slot *my_slot;	/* in a forked run */

void sim_explore_learn(const void *rec, size_t len)
{
	size_t need = (sizeof(uint32_t) + len + 7) & ~(size_t)7;
	uint32_t n = (uint32_t)len;

	/* a process the run's program forked shares the slot: only the run writes */
	if (!my_slot || sim_in_forked_child() || len > SLOT_LEARN ||
	    my_slot->learn_len + need > SLOT_LEARN)
		return;
	memcpy(my_slot->learn + my_slot->learn_len, &n, sizeof(n));
	memcpy(my_slot->learn + my_slot->learn_len + sizeof(n), rec, len);
	my_slot->learn_len += need;
}

/* In the server: what the run in slot s learned. */
static void take_learned(struct slot *s)
{
	for (uint32_t off = 0; off + sizeof(uint32_t) <= s->learn_len;) {
		uint32_t n;

		memcpy(&n, s->learn + off, sizeof(n));
		if (n > s->learn_len - off - sizeof(n))
			break;
		if (ex.cfg.learned)
			ex.cfg.learned(s->learn + off + sizeof(n), n);
		off += (sizeof(n) + n + 7) & ~7u;
	}
	s->learn_len = 0;
}

uint64_t sim_explore_preemptions(void)
{
	return sim_choices_preemptions(ex.log, ex.nlog);
}

/* ---- inner strategies ---- */

static int nonpreempt_pick(const struct sim_sched_point *sp)
{
	if (sp->kind == SIM_SCHED_YIELD)
		for (int i = 0; i < sp->n; i++)
			if (sp->runnable[i] == sp->self)
				return i;
	return 0;
}

static uint64_t pct_prio(int id)
{
	if (id >= MAX_PRIO_IDS)
		return ex.depth;
	if (!ex.has_prio[id]) {
		ex.has_prio[id] = true;
		/* above every change-point priority (< depth) */
		ex.prio[id] = ex.depth + (sim_sched_rand() >> 8);
	}
	return ex.prio[id];
}

static int pct_pick(const struct sim_sched_point *sp)
{
	int best = 0;

	for (int i = 0; i < ex.depth - 1; i++) {
		if (ex.cp[i] == sp->decision && sp->self->id < MAX_PRIO_IDS) {
			pct_prio(sp->self->id);
			ex.prio[sp->self->id] = ex.depth - 2 - i;
		}
	}
	for (int i = 1; i < sp->n; i++)
		if (pct_prio(sp->runnable[i]->id) > pct_prio(sp->runnable[best]->id))
			best = i;
	return best;
}

static void diverge(const char *why)
{
	if (!ex.diverged && ex.warn_divergence)
		fprintf(stderr, "kvmsim: replay diverged at choice %" PRIu64 ": %s; "
			"going on without preemptions\n", ex.nlog, why);
	ex.diverged = true;
}

/* The forced choice for the next log position, if it is of this kind. */
static const struct sim_choice *next_forced(char kind)
{
	const struct sim_choice *c;

	if (ex.inner != IN_FORCED || ex.diverged || ex.nlog >= ex.nforced)
		return NULL;
	c = &ex.forced[ex.nlog];
	if (c->kind != kind) {
		diverge(kind == 'p' ? "a scheduling decision where the schedule has an injection"
				    : "an injection where the schedule has a scheduling decision");
		return NULL;
	}
	return c;
}

static int forced_pick(const struct sim_sched_point *sp)
{
	const struct sim_choice *c = next_forced('p');

	if (!c)
		return nonpreempt_pick(sp);
	for (int i = 0; i < sp->n; i++)
		if (sp->runnable[i]->id == c->chosen)
			return i;
	diverge("the recorded actor cannot run");
	return nonpreempt_pick(sp);
}

static int inner_pick(const struct sim_sched_point *sp)
{
	switch (ex.inner) {
	case IN_PCT:
		return pct_pick(sp);
	case IN_FORCED:
		return forced_pick(sp);
	case IN_NONPREEMPT:
		return nonpreempt_pick(sp);
	default:
		return (int)sim_sched_rand_below((uint64_t)sp->n);
	}
}

/* ---- the first choice ---- */

static void first_choice(void)
{
	ex.started = true;
	if (ex.cfg.fork_point)
		ex.cfg.fork_point();
	if (ex.cfg.mode == SIM_RUN_EXPLORE || ex.cfg.mode == SIM_RUN_SHRINK)
		serve();	/* returns in each forked run */
	sim_rand_reseed(ex.run_seed);
}

static char point_char(enum sim_sched_kind k)
{
	return k == SIM_SCHED_YIELD ? 'y' : k == SIM_SCHED_WAIT ? 'w' : 'x';
}

/*
 * The starvation budget: an actor left runnable and not picked for
 * max_starve decisions in a row is what a spinning actor (a guest
 * looping in KVM_RUN, a thread polling a flag) does to the one it waits
 * for under an unfair schedule; the run would go on for minutes.
 */
static void check_starvation(const struct sim_sched_point *sp, const struct sim_actor *next)
{
	for (int i = 0; i < sp->n; i++) {
		const struct sim_actor *a = sp->runnable[i];
		int id = sim_actor_id(a);

		if (id >= MAX_PRIO_IDS)
			continue;
		if (a == next) {
			ex.starved[id] = 0;
			continue;
		}
		if (++ex.starved[id] > ex.cfg.max_starve && ex.cfg.max_starve)
			sim_oracle_fail("budget", "%s starved: runnable but not run for %" PRIu64
					" scheduling decisions in a row while %s ran (at %s)",
					sim_actor_name(a), ex.cfg.max_starve, sim_actor_name(next),
					sp->point ? sp->point : "exit");
	}
}

static int explore_pick(const struct sim_sched_point *sp, void *opaque)
{
	struct sim_choice c = { .kind = 'p', .point = point_char(sp->kind) };
	int idx;

	if (!ex.started)
		first_choice();
	idx = inner_pick(sp);
	c.ncand = (uint16_t)sp->n;
	c.chosen = sp->runnable[idx]->id;
	c.self = sp->self->id;
	c.obj[0] = (uintptr_t)sp->runnable[idx]->op_obj[0];
	c.obj[1] = (uintptr_t)sp->runnable[idx]->op_obj[1];
	for (int i = 0; i < sp->n; i++)
		if (sp->runnable[i]->id < 64)
			c.mask |= 1ull << sp->runnable[i]->id;
	log_choice(&c);
	check_starvation(sp, sp->runnable[idx]);
	return idx;
}

static const struct sim_strategy explore_strategy = {
	.name = "explore",
	.pick = explore_pick,
};

/* ---- fault injection ---- */

int sim_inject_arm(const char *spec)
{
	struct armed_site a = { .mode = ARM_ALWAYS };
	char name[128];
	const char *colon = strchr(spec, ':');
	size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
	char *end;

	if (!len || len >= sizeof(name) || ex.narmed == SIM_MAX_FAIL)
		return -1;
	memcpy(name, spec, len);
	name[len] = 0;
	if (colon) {
		const char *v = colon + 1;

		if (strchr(v, '.')) {
			a.mode = ARM_PROB;
			a.p = strtod(v, &end);
			if (*end || end == v || !(a.p > 0 && a.p < 1))
				return -1;
		} else {
			a.mode = ARM_NTH;
			a.nth = strtoull(v, &end, 10);
			if (*end || end == v || !a.nth || *v == '-')
				return -1;
		}
	}
	a.site = sim_site_intern(name);
	ex.armed[ex.narmed++] = a;
	sim_set_strategy(&explore_strategy);
	return 0;
}

static bool arming_rule(struct armed_site *a)
{
	switch (a->mode) {
	case ARM_NTH:
		return a->hits == a->nth;
	case ARM_PROB:
		return (double)(sim_sched_rand() >> 11) * 0x1.0p-53 < a->p;
	default:
		return true;
	}
}

bool sim_inject(const char *site)
{
	struct sim_choice c = { .kind = 'f' };
	const struct sim_choice *f;
	struct armed_site *a = NULL;
	struct sim_ev *ev;

	for (int i = 0; i < ex.narmed && !a; i++)
		if (!strcmp(sim_site_name(ex.armed[i].site), site))
			a = &ex.armed[i];
	if (!a)
		return false;
	a->hits++;
	if (a->mode == ARM_PROB && !ex.started)
		first_choice();
	c.site = a->site;
	f = next_forced('f');
	if (f && f->site != a->site) {
		diverge("an injection at another site");
		f = NULL;
	}
	c.chosen = f ? f->chosen : arming_rule(a);
	log_choice(&c);
	ev = sim_ev_begin("fault_injection");
	sim_ev_str(ev, "site", site);
	sim_ev_int(ev, "hit", (int64_t)a->hits);
	sim_ev_bool(ev, "fail", c.chosen);
	sim_ev_end(ev);
	return c.chosen;
}

/* ---- configuration ---- */

static void over_vtime(uint64_t ns, const char *point)
{
	sim_oracle_fail("budget", "virtual time passed %" PRIu64 " ns while %s ran (at %s)", ns,
			sim_actor_name(sim_self()), point ? point : "exit");
}

void sim_explore_reset(void)
{
	ex.started = false;
	ex.nlog = 0;
	ex.diverged = false;
	memset(ex.starved, 0, sizeof(ex.starved));
	for (int i = 0; i < ex.narmed; i++)
		ex.armed[i].hits = 0;
}

static void record_verdict(const char *oracle, const char *message, void *opaque)
{
	if (!ex.hdr || !oracle)
		return;
	snprintf(ex.hdr->oracle, sizeof(ex.hdr->oracle), "%s", oracle);
	snprintf(ex.hdr->message, sizeof(ex.hdr->message), "%s", message);
}

/* explore/shrink on a program that never had a choice: its one run is all. */
static void no_choice_exit(int status, void *opaque)
{
	if (ex.started || ex.hdr)
		return;
	fprintf(stderr, "%s: the program made no scheduling choice, so its one run "
		"is every schedule: %s (exit status %d)\n",
		ex.cfg.mode == SIM_RUN_SHRINK ? "shrink" : "explore",
		status ? "FAILED" : "passed", status);
}

static void quiet_stdout(void)
{
	int fd = open("/dev/null", O_WRONLY);

	fflush(stdout);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		close(fd);
	}
}

int sim_explore_configure(const struct sim_explore_cfg *cfg)
{
	ex.cfg = *cfg;
	ex.configured = true;
	ex.run_seed = cfg->meta.seed;
	ex.inner = IN_RANDOM;
	if (!ex.cfg.jobs)
		ex.cfg.jobs = 1;
	if (cfg->mode == SIM_RUN_REPLAY) {
		ex.inner = IN_FORCED;
		ex.forced = cfg->meta.choices;
		ex.nforced = cfg->meta.nchoices;
		ex.run_seed = cfg->meta.run_seed;
		ex.warn_divergence = true;
	}
	sim_oracle_add_finish(record_verdict, NULL);
	if (cfg->mode == SIM_RUN_EXPLORE || cfg->mode == SIM_RUN_SHRINK) {
		/* runs are judged by verdicts; their output would be noise */
		quiet_stdout();
		on_exit(no_choice_exit, NULL);
	}
	if (cfg->mode != SIM_RUN_PLAIN || ex.narmed)
		sim_set_strategy(&explore_strategy);
	if (cfg->mode != SIM_RUN_PLAIN)
		sim_set_vtime_budget(cfg->meta.max_vtime, over_vtime);
	return 0;
}

/* ============ the fork server (explore, shrink) ============ */

struct job {
	pid_t pid;
	uint64_t run;
	struct slot *slot;
	int out;		/* memfd: the run's stdout */
};

struct result {
	bool failed;
	char oracle[32];
	char message[512];
	uint64_t out_hash;		/* FNV-1a of the run's stdout */
	char out_line[96];		/* its first line */
	struct sim_choice *choices;	/* kept for failures and search */
	uint64_t nchoices;
};

/* Pre-fork choices (injections before the first pick): every run has them. */
static struct sim_choice *prefix_log;
static uint64_t prefix_n;
static struct slot *slots;
static struct job *jobs;

/*
 * A run's stdout goes to a memory file of its job slot: the server hashes
 * it into the run's outcome (schedules that print different things are
 * different outcomes even when all pass).
 */
static void quiet_child_output(int out)
{
	int fd = open("/dev/null", O_WRONLY);
	const char *keep = getenv("KVMSIM_RUN_STDERR");

	if (fd >= 0) {
		dup2(out >= 0 ? out : fd, STDOUT_FILENO);
		/* KVMSIM_RUN_STDERR=1: see what the runs say (debugging) */
		if (!keep || strcmp(keep, "1"))
			dup2(fd, STDERR_FILENO);
		close(fd);
	}
}

struct run_spec {
	enum inner inner;
	uint64_t seed;
	const struct sim_choice *forced;
	uint64_t nforced;
};

/*
 * After fork, MAP_SHARED memory (the kvm_run pages, a VMM's memfd or shm
 * guest memory) is still shared with the server and the other runs: one
 * run's writes would show in the next.  Give the child its own copy of
 * every shared writable file, mapped at the same places and offsets so
 * aliases stay aliases, with the same pages mapped as before.
 */
struct shared_map {
	uintptr_t start, end;
	uint64_t off;
	char id[64];		/* dev:inode */
	int prot;
	unsigned char *present;	/* per page: mapped in this VMA before */
};

#define MAX_SHARED_MAPS 256

static bool page_mapped(int pagemap, uintptr_t addr)
{
	uint64_t e = 0;

	if (pread(pagemap, &e, 8, (off_t)(addr / 4096) * 8) != 8)
		return true;	/* unknown: copy it */
	return e >> 63;
}

static int read_shared_maps(struct shared_map *m, int max)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4352], perms[8], dev[16];
	unsigned long long start, end, off, ino;
	int n = 0;

	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx %7s %llx %15s %llu", &start, &end, perms,
			   &off, dev, &ino) != 6 || perms[3] != 's')
			continue;
		if ((uintptr_t)start >= (uintptr_t)slots &&
		    (uintptr_t)start < (uintptr_t)slots + (size_t)ex.cfg.jobs * sizeof(*slots))
			continue;	/* the report channel stays shared */
		m[n] = (struct shared_map){ start, end, off, "", 0, NULL };
		snprintf(m[n].id, sizeof(m[n].id), "%s:%llu", dev, ino);
		m[n].prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
			    (perms[2] == 'x' ? PROT_EXEC : 0);
		n++;
	}
	fclose(f);
	return n;
}

/*
 * Which pages of each shared mapping the server has mapped: fork does not
 * copy those page-table entries to the child, so this is taken once in
 * the server, before any fork.
 */
static struct shared_map shared_maps[MAX_SHARED_MAPS];
static int nr_shared_maps;

static void note_shared_memory(void)
{
	int pagemap = open("/proc/self/pagemap", O_RDONLY);

	nr_shared_maps = read_shared_maps(shared_maps, MAX_SHARED_MAPS);
	for (int i = 0; i < nr_shared_maps; i++) {
		struct shared_map *m = &shared_maps[i];
		size_t pages = (m->end - m->start) / 4096;

		m->present = calloc(pages ? pages : 1, 1);
		SIM_BUG_ON(!m->present);
		for (size_t p = 0; p < pages; p++)
			m->present[p] = page_mapped(pagemap, m->start + p * 4096);
	}
	if (pagemap >= 0)
		close(pagemap);
}

/* Pages the file has (mapped or not); unknown counts as resident. */
static bool page_resident(uintptr_t addr)
{
	unsigned char v = 1;

	mincore((void *)addr, 4096, &v);
	return v & 1;
}

/*
 * The child's copy of a shared file is made with the host's calls, not
 * the program's: libkvmsim interposes mmap, pwrite, ftruncate, close and
 * syscall itself, and the model would see them in the middle of a
 * scheduling decision.  The next syscall() after ours is libc's.
 */
static long (*host_syscall)(long nr, ...);

#define host_call(nr, ...)						\
	({								\
		if (!host_syscall)					\
			host_syscall = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall"); \
		host_syscall(nr, __VA_ARGS__);				\
	})

/* Does fd name the file of /proc/self/maps' "MAJ:MIN:INODE" id? */
static bool fd_is_file(int fd, const char *id)
{
	unsigned int maj, min;
	unsigned long long ino;
	struct stat st;

	if (sscanf(id, "%x:%x:%llu", &maj, &min, &ino) != 3 ||
	    host_call(SYS_fstat, fd, &st))
		return false;
	return major(st.st_dev) == maj && minor(st.st_dev) == min && st.st_ino == ino;
}

/*
 * fd, which names the shared file, names the run's copy from now on: the
 * same access mode, status flags, offset and close-on-exec, so the
 * program's ftruncate, fallocate or write through it change the copy,
 * never the file the server and the other runs share.
 */
static void redirect_fd(int fd, int copy)
{
	char path[40];
	long fl = host_call(SYS_fcntl, fd, F_GETFL), fdfl = host_call(SYS_fcntl, fd, F_GETFD);
	long pos = host_call(SYS_lseek, fd, 0L, SEEK_CUR);
	long nfd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", copy);
	nfd = host_call(SYS_openat, AT_FDCWD, path, (int)(fl & (O_ACCMODE | O_APPEND | O_NONBLOCK)) |
			O_CLOEXEC);
	if (fl < 0 || fdfl < 0 || nfd < 0)
		sim_panic("explore: reopening shared memory for fd %d: %s", fd, strerror(errno));
	if (pos > 0)
		host_call(SYS_lseek, (int)nfd, pos, SEEK_SET);
	if (host_call(SYS_dup3, (int)nfd, fd, (fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0)
		sim_panic("explore: dup3 for fd %d: %s", fd, strerror(errno));
	host_call(SYS_close, (int)nfd);
}

static void redirect_fds(const char *id, int copy)
{
	char buf[4096];
	long dir = host_call(SYS_openat, AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long len;

	if (dir < 0)
		sim_panic("explore: /proc/self/fd: %s", strerror(errno));
	while ((len = host_call(SYS_getdents64, (int)dir, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < len;) {
			/* struct linux_dirent64: ino, off, reclen, type, name */
			unsigned short reclen = *(unsigned short *)(buf + off + 16);
			const char *name = buf + off + 19;
			int fd = atoi(name);

			off += reclen;
			if (name[0] < '0' || name[0] > '9' || fd == copy || fd == dir)
				continue;
			if (fd_is_file(fd, id))
				redirect_fd(fd, copy);
		}
	}
	host_call(SYS_close, (int)dir);
}

static void privatize_group(struct shared_map *m, int n, int first)
{
	uint64_t size = 0;
	int fd = (int)host_call(SYS_memfd_create, "kvmsim-run-copy", MFD_CLOEXEC);
	char id_of_group[sizeof(m[first].id)];

	if (fd < 0)
		sim_panic("explore: memfd_create: %s", strerror(errno));
	memcpy(id_of_group, m[first].id, sizeof(id_of_group));
	for (int i = first; i < n; i++)
		if (!strcmp(m[i].id, m[first].id) && m[i].off + (m[i].end - m[i].start) > size)
			size = m[i].off + (m[i].end - m[i].start);
	if (host_call(SYS_ftruncate, fd, (off_t)size))
		sim_panic("explore: ftruncate: %s", strerror(errno));
	for (int i = first; i < n; i++) {
		size_t pages = (m[i].end - m[i].start) / 4096;

		if (strcmp(m[i].id, m[first].id) || !(m[i].prot & PROT_READ))
			continue;
		for (size_t p = 0; p < pages; p++) {
			uintptr_t a = m[i].start + p * 4096;

			if ((m[i].present[p] || page_resident(a)) &&
			    host_call(SYS_pwrite64, fd, (void *)a, 4096,
				      (off_t)(m[i].off + p * 4096)) != 4096)
				sim_panic("explore: copying shared memory: %s", strerror(errno));
		}
	}
	for (int i = first; i < n; i++) {
		size_t pages = (m[i].end - m[i].start) / 4096;
		char id[sizeof(m[i].id)];

		if (strcmp(m[i].id, m[first].id))
			continue;
		if ((void *)host_call(SYS_mmap, (void *)m[i].start, m[i].end - m[i].start, m[i].prot,
				      MAP_SHARED | MAP_FIXED, fd, (off_t)m[i].off) == MAP_FAILED)
			sim_panic("explore: remapping shared memory: %s", strerror(errno));
		for (size_t p = 0; p < pages; p++)
			if (m[i].present[p] && (m[i].prot & PROT_READ))
				(void)*(volatile char *)(m[i].start + p * 4096);
		memcpy(id, m[i].id, sizeof(id));
		m[i].id[0] = 0;		/* done */
		if (i == first)
			memcpy(m[first].id, id, sizeof(id));	/* still the key */
	}
	redirect_fds(id_of_group, fd);
	m[first].id[0] = 0;
	host_call(SYS_close, fd);
}

static void privatize_shared_memory(void)
{
	struct shared_map *m = shared_maps;
	int n = nr_shared_maps;

	/* a file shared writably anywhere, with all its mappings (aliases) */
	for (int i = 0; i < n; i++) {
		bool writable = false;

		for (int j = i; j < n && m[i].id[0]; j++)
			writable |= !strcmp(m[j].id, m[i].id) && (m[j].prot & PROT_WRITE);
		if (writable)
			privatize_group(m, n, i);
	}
}

/* In the child: become the run `spec` describes. */
static void become_run(struct slot *slot, int out, const struct run_spec *spec)
{
	privatize_shared_memory();
	quiet_child_output(out);
	memset(&slot->h, 0, sizeof(slot->h));
	slot->learn_len = 0;
	my_slot = slot;
	ex.hdr = &slot->h;
	ex.log = slot->c;
	ex.cap = SLOT_CHOICES;
	ex.nlog = 0;
	for (uint64_t i = 0; i < prefix_n; i++)
		log_choice(&prefix_log[i]);
	ex.inner = spec->inner;
	ex.run_seed = spec->seed;
	ex.forced = spec->forced;
	ex.nforced = spec->nforced;
	ex.diverged = false;
	ex.warn_divergence = false;
	if (ex.inner == IN_PCT) {
		/* change points from a stream of their own */
		sim_rand_reseed(spec->seed ^ 0x9e3779b97f4a7c15ull);
		for (int i = 0; i < ex.depth - 1; i++)
			ex.cp[i] = sim_sched_rand_below(ex.k ? ex.k : 1);
		memset(ex.has_prio, 0, sizeof(ex.has_prio));
	}
}

static int free_job(void)
{
	for (int i = 0; i < ex.cfg.jobs; i++)
		if (!jobs[i].pid)
			return i;
	return -1;
}

/* Fork one run; returns true in the child. */
static bool launch(uint64_t run, const struct run_spec *spec)
{
	int j = free_job();
	pid_t pid;

	SIM_BUG_ON(j < 0);
	if (jobs[j].out >= 0 && (ftruncate(jobs[j].out, 0) || lseek(jobs[j].out, 0, SEEK_SET)))
		sim_panic("explore: cannot reset a run's stdout: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		sim_panic("explore: fork: %s", strerror(errno));
	if (pid == 0) {
		sim_spin_after_fork();
		become_run(&slots[j], jobs[j].out, spec);
		return true;
	}
	jobs[j].pid = pid;
	jobs[j].run = run;
	jobs[j].slot = &slots[j];
	return false;
}

static void describe_status(int status, struct result *r)
{
	if (WIFSIGNALED(status)) {
		r->failed = true;
		snprintf(r->oracle, sizeof(r->oracle), "program-signal");
		snprintf(r->message, sizeof(r->message), "killed by signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	} else if (WEXITSTATUS(status)) {
		r->failed = true;
		snprintf(r->oracle, sizeof(r->oracle), "program-exit");
		snprintf(r->message, sizeof(r->message), "exit status %d",
			 WEXITSTATUS(status));
	}
}

/* FNV-1a of what the run wrote to stdout, and its first line. */
static void hash_output(int fd, struct result *r)
{
	uint64_t h = 0xcbf29ce484222325ull;
	unsigned char buf[4096];
	size_t line = 0;
	bool in_first = true;
	off_t off = 0;
	ssize_t n;

	while (fd >= 0 && (n = pread(fd, buf, sizeof(buf), off)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			h = (h ^ buf[i]) * 0x100000001b3ull;
			if (buf[i] == '\n')
				in_first = false;
			if (in_first && line + 1 < sizeof(r->out_line))
				r->out_line[line++] = buf[i] >= ' ' && buf[i] < 0x7f ? buf[i] : '?';
		}
		off += n;
	}
	r->out_line[line] = 0;
	r->out_hash = h;
}

/* Wait for any run; fill *r (choices copied) and return its run number. */
static uint64_t reap(struct result *r, bool keep_choices)
{
	int status;
	pid_t pid;

	do
		pid = waitpid(-1, &status, 0);
	while (pid < 0 && errno == EINTR);
	if (pid < 0)
		sim_panic("explore: waitpid: %s", strerror(errno));
	for (int i = 0; i < ex.cfg.jobs; i++) {
		struct job *j = &jobs[i];

		if (j->pid != pid)
			continue;
		memset(r, 0, sizeof(*r));
		if (j->slot->h.oracle[0]) {
			r->failed = true;
			memcpy(r->oracle, j->slot->h.oracle, sizeof(r->oracle));
			memcpy(r->message, j->slot->h.message, sizeof(r->message));
		} else {
			describe_status(status, r);
		}
		hash_output(j->out, r);
		take_learned(j->slot);
		r->nchoices = j->slot->h.nchoices;
		if (keep_choices || r->failed) {
			r->choices = malloc((r->nchoices ? r->nchoices : 1) * sizeof(*r->choices));
			SIM_BUG_ON(!r->choices);
			memcpy(r->choices, j->slot->c, r->nchoices * sizeof(*r->choices));
		}
		j->pid = 0;
		return j->run;
	}
	sim_panic("explore: unknown child %d", (int)pid);
}

static void save_schedule(const char *path, const struct result *r, uint64_t seed,
			  const char *strategy)
{
	struct sim_schedule s = ex.cfg.meta;
	int err;

	s.run_seed = seed;
	snprintf(s.strategy, sizeof(s.strategy), "%s", strategy);
	snprintf(s.oracle, sizeof(s.oracle), "%s", r->oracle);
	snprintf(s.message, sizeof(s.message), "%s", r->message);
	s.choices = r->choices;
	s.nchoices = r->nchoices;
	err = sim_schedule_write(&s, path);
	if (err)
		fprintf(stderr, "kvmsim: cannot write %s: %s\n", path, strerror(-err));
	else
		fprintf(stderr, "saved %s\n", path);
}

static void setup_server(int njobs)
{
	size_t size = (size_t)njobs * sizeof(struct slot);

	fflush(NULL);
	slots = mmap(NULL, size, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (slots == MAP_FAILED)
		sim_panic("explore: cannot map result slots: %s", strerror(errno));
	jobs = calloc(njobs, sizeof(*jobs));
	SIM_BUG_ON(!jobs);
	for (int j = 0; j < njobs; j++)
		jobs[j].out = memfd_create("kvmsim-run-stdout", MFD_CLOEXEC);
	prefix_n = ex.nlog;
	prefix_log = malloc((prefix_n ? prefix_n : 1) * sizeof(*prefix_log));
	SIM_BUG_ON(!prefix_log);
	if (prefix_n)	/* ex.log is NULL before any choice */
		memcpy(prefix_log, ex.log, prefix_n * sizeof(*prefix_log));
	signal(SIGPIPE, SIG_IGN);
	note_shared_memory();
}

/* ---- explore: the run sequence ---- */

/*
 * Bounded search is breadth-first over "prefix, then nonpreempt": each
 * finished run (taken in run order, so the search does not depend on
 * --jobs) adds, for every later decision, every other runnable actor as
 * a new prefix, as long as the prefix stays within the preemption bound.
 */
struct prefix {
	struct sim_choice *c;
	uint64_t n;
	uint64_t sleep;		/* POR: actors asleep after the prefix (bit per id) */
};

static struct prefix *queue;
static uint64_t q_head, q_tail, q_cap;
static uint64_t por_pruned;	/* branches the sleep sets skipped */

static void push_prefix(struct prefix p)
{
	if (q_tail == q_cap) {
		q_cap = q_cap ? 2 * q_cap : 256;
		queue = realloc(queue, q_cap * sizeof(*queue));
		SIM_BUG_ON(!queue);
	}
	queue[q_tail++] = p;
}

static void enqueue(const struct sim_choice *c, uint64_t n, const struct sim_choice *last,
		    uint64_t sleep)
{
	struct prefix p = { malloc((n + 1) * sizeof(*c)), n + 1, sleep };

	SIM_BUG_ON(!p.c);
	if (n)
		memcpy(p.c, c, n * sizeof(*c));
	p.c[n] = *last;
	push_prefix(p);
}

/*
 * Partial-order reduction (sleep sets, Godefroid): two operations of
 * different actors that name their objects and share none commute, so
 * running one before the other reaches the same state either way.  An
 * operation that names no object (an ioctl, a read, a yield, a quantum
 * end) could touch anything and commutes with nothing.
 */
static bool independent(const uintptr_t *a, const uintptr_t *b)
{
	const uintptr_t local = (uintptr_t)SIM_OP_LOCAL;

	if (!a || !b || !a[0] || !b[0])
		return false;
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++)
			if (a[i] && a[i] != local && a[i] == b[j])
				return false;
	return true;
}

/*
 * What each actor does next, along a run: an actor runnable at decision
 * j does at its next pick what it was about to do at j (it has not
 * moved), so its operation is the one logged at that pick.
 */
struct lookahead {
	const struct result *r;
	uint64_t *next;		/* next pick of the same actor, or nchoices */
	uint64_t at[64];	/* each actor's next pick at or after j */
};

static void lookahead_init(struct lookahead *l, const struct result *r)
{
	uint64_t n = r->nchoices;

	l->r = r;
	l->next = malloc((n ? n : 1) * sizeof(*l->next));
	SIM_BUG_ON(!l->next);
	for (int id = 0; id < 64; id++)
		l->at[id] = n;
	for (uint64_t j = n; j-- > 0;) {
		const struct sim_choice *c = &r->choices[j];

		if (c->kind != 'p' || c->chosen < 0 || c->chosen >= 64)
			continue;
		l->next[j] = l->at[c->chosen];
		l->at[c->chosen] = j;
	}
}

/* Past decision j. */
static void lookahead_step(struct lookahead *l, uint64_t j)
{
	const struct sim_choice *c = &l->r->choices[j];

	if (c->kind == 'p' && c->chosen >= 0 && c->chosen < 64 && l->at[c->chosen] == j)
		l->at[c->chosen] = l->next[j];
}

/* Actor id's next operation, NULL if the run never picks it again. */
static const uintptr_t *lookahead_op(const struct lookahead *l, int id)
{
	uint64_t j = l->at[id];

	return j < l->r->nchoices ? l->r->choices[j].obj : NULL;
}

/* The members of `set` whose next operations commute with actor id's. */
static uint64_t commuting(const struct lookahead *l, uint64_t set, int id)
{
	uint64_t z = 0;

	for (int t = 0; t < 64; t++)
		if ((set >> t & 1) && independent(lookahead_op(l, t), lookahead_op(l, id)))
			z |= 1ull << t;
	return z;
}

/*
 * New prefixes from run r, whose decisions from `from` on were its own
 * (nonpreempt), asleep the actors of `sleep` there.
 *
 * With POR, at each decision the branches to the other runnable actors
 * count as explored before the run's own pick (any order is sound for
 * sleep sets, and this one lets the run's own path, whose later
 * decisions are expanded from this same result, skip what they cover):
 * an alternative asleep is skipped; an alternative's prefix carries
 * asleep what commutes with it of the sleep set and of the alternatives
 * taken before it; past the decision, the run's own path keeps asleep
 * what commutes with its pick of the sleep set and of every alternative
 * taken; and from where it picks an actor asleep, all that follows is
 * equivalent to a schedule of an earlier branch and is not expanded.
 */
static void expand(const struct result *r, uint64_t from, uint64_t sleep, bool por)
{
	struct lookahead l;
	uint64_t pre = 0;

	if (por)
		lookahead_init(&l, r);
	for (uint64_t j = 0; j < r->nchoices; j++) {
		const struct sim_choice *c = &r->choices[j];
		uint64_t self = c->chosen >= 0 && c->chosen < 64 ? 1ull << c->chosen : 0;
		uint64_t done = 0;

		if (j >= from && c->kind == 'p') {
			if (por && (sleep & self)) {
				por_pruned++;
				break;
			}
			for (int id = 0; id < 64; id++) {
				struct sim_choice alt = *c;

				if (!(c->mask >> id & 1) || id == c->chosen)
					continue;
				alt.chosen = id;
				if (pre + sim_choice_is_preemption(&alt) >
				    (uint64_t)ex.cfg.preemptions)
					continue;
				if (por && (sleep >> id & 1)) {
					por_pruned++;
					continue;
				}
				if (q_tail - q_head >= ex.cfg.runs)
					goto out;
				enqueue(r->choices, j, &alt,
					por ? commuting(&l, sleep | done, id) : 0);
				done |= 1ull << id;
			}
			if (por)
				sleep = commuting(&l, (sleep | done) & ~self, c->chosen);
		}
		pre += sim_choice_is_preemption(c);
		if (por)
			lookahead_step(&l, j);
	}
out:
	if (por)
		free(l.next);
}

struct explorer {
	uint64_t launched, done, failing;
	uint64_t first_fail;		/* UINT64_MAX: none yet */
	struct sim_tally tally;
	/* per outcome: its lowest run so far, and that run's result */
	struct result *first;
	uint64_t *first_run;
	uint32_t nfirst;
	/* bounded: results waiting to be expanded in run order */
	struct result *pending;
	uint64_t *pending_from;
	bool *pending_done;
	uint64_t expanded;
	uint64_t *run_from;		/* prefix length of each run */
	uint64_t *run_sleep;		/* POR: asleep after its prefix */
	uint64_t started_ns, last_line_ns;	/* plain progress lines */
};

/*
 * Host time, for one thing only: when to print a plain progress line.
 * It never reaches a run, a schedule, a trace or a verdict.
 */
static uint64_t host_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Runs this process makes: every run, or every nshards-th from shard on. */
static uint64_t my_runs(void)
{
	uint64_t n = ex.cfg.nshards > 1 ? ex.cfg.nshards : 1;

	return ex.cfg.runs > ex.cfg.shard ? (ex.cfg.runs - ex.cfg.shard + n - 1) / n : 0;
}

/* Not a terminal: a line every progress_seconds, with the rate so far. */
static void progress_plain(struct explorer *e)
{
	uint64_t now = host_ns(), secs = ex.cfg.progress_seconds;

	if (now - e->last_line_ns < secs * 1000000000ull)
		return;
	e->last_line_ns = now;
	fprintf(stderr, "explore: progress: %" PRIu64 "/%" PRIu64 " runs, %" PRIu64
		" failing, %.0f runs/s\n", e->done, my_runs(), e->failing,
		(double)e->done * 1e9 / (double)(now - e->started_ns + 1));
}

/* A terminal: a redrawn line with the rate and the time left at that rate. */
static void progress_term(struct explorer *e, bool last)
{
	uint64_t now = host_ns(), left = my_runs() - e->done;
	double rate = (double)e->done * 1e9 / (double)(now - e->started_ns + 1);

	if (!last && now - e->last_line_ns < 200000000ull)
		return;
	e->last_line_ns = now;
	fprintf(stderr, "\rexplore: %" PRIu64 "/%" PRIu64 " runs, %" PRIu64 " failing, "
		"%.0f runs/s, ETA %.0f s   %s", e->done, my_runs(), e->failing, rate,
		rate > 0 ? (double)left / rate : 0.0, last ? "\n" : "");
}

static void progress(struct explorer *e, bool last)
{
	if (ex.cfg.progress == 2 && !last)
		progress_plain(e);
	if (ex.cfg.progress == 1)
		progress_term(e, last);
}

static bool bounded(void)
{
	return !strcmp(ex.cfg.strategy, "bounded");
}

/* The run number of this process's i-th run. */
static uint64_t run_number(uint64_t i)
{
	return ex.cfg.nshards > 1 ? ex.cfg.shard + i * ex.cfg.nshards : i;
}

/* Next run's spec; false if there is none (yet). */
static bool next_spec(struct explorer *e, struct run_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->seed = ex.cfg.meta.seed + run_number(e->launched);
	if (!bounded()) {
		spec->inner = !strcmp(ex.cfg.strategy, "pct") ? IN_PCT : IN_RANDOM;
		return true;
	}
	if (q_head == q_tail)
		return false;
	spec->inner = IN_FORCED;
	spec->seed = ex.cfg.meta.seed;
	spec->forced = queue[q_head].c;
	spec->nforced = queue[q_head].n;
	e->run_from[e->launched] = queue[q_head].n;
	e->run_sleep[e->launched] = queue[q_head].sleep;
	q_head++;
	return true;
}

static void expand_in_order(struct explorer *e)
{
	while (e->expanded < e->launched && e->pending_done[e->expanded]) {
		struct result *r = &e->pending[e->expanded];

		expand(r, e->run_from[e->expanded], e->run_sleep[e->expanded], ex.cfg.por);
		free(r->choices);
		r->choices = NULL;
		e->expanded++;
	}
}

static void copy_result(struct result *dst, const struct result *src)
{
	free(dst->choices);
	*dst = *src;
	dst->choices = malloc((src->nchoices ? src->nchoices : 1) * sizeof(*src->choices));
	SIM_BUG_ON(!dst->choices);
	memcpy(dst->choices, src->choices, src->nchoices * sizeof(*src->choices));
}

static uint64_t run_seed(uint64_t run)
{
	return bounded() ? ex.cfg.meta.seed : ex.cfg.meta.seed + run;
}

/* The outcome of run `run` into the tally; a failing one's choices kept. */
static void tally_run(struct explorer *e, uint64_t run, const struct result *r)
{
	struct sim_outcome o = { .failed = r->failed };
	uint32_t idx;

	if (r->failed) {
		memcpy(o.oracle, r->oracle, sizeof(o.oracle));
		memcpy(o.message, r->message, sizeof(o.message));
	} else {
		o.out_hash = r->out_hash;
		memcpy(o.out_line, r->out_line, sizeof(o.out_line));
	}
	idx = sim_tally_outcome(&e->tally, &o);
	sim_tally_set_run(&e->tally, run, idx);
	if (idx >= e->nfirst) {
		e->first = realloc(e->first, (idx + 1) * sizeof(*e->first));
		e->first_run = realloc(e->first_run, (idx + 1) * sizeof(*e->first_run));
		SIM_BUG_ON(!e->first || !e->first_run);
		for (; e->nfirst <= idx; e->nfirst++) {
			memset(&e->first[e->nfirst], 0, sizeof(*e->first));
			e->first_run[e->nfirst] = UINT64_MAX;
		}
	}
	/* runs end in any order with --jobs: keep the lowest */
	if (r->failed && run < e->first_run[idx]) {
		copy_result(&e->first[idx], r);
		e->first_run[idx] = run;
	}
}

static void account(struct explorer *e, uint64_t run, struct result *r)
{
	e->done++;
	tally_run(e, run, r);
	if (r->failed) {
		e->failing++;
		if (run < e->first_fail)
			e->first_fail = run;
	}
	if (bounded()) {
		e->pending[run] = *r;
		e->pending_done[run] = true;
		expand_in_order(e);
	} else {
		free(r->choices);
	}
	progress(e, false);
}

static void alloc_explorer(struct explorer *e)
{
	memset(e, 0, sizeof(*e));
	e->first_fail = UINT64_MAX;
	sim_tally_init(&e->tally);
	e->tally.runs = ex.cfg.runs;
	e->tally.keep_going = ex.cfg.keep_going;
	e->started_ns = e->last_line_ns = host_ns();
	if (!bounded())
		return;
	e->pending = calloc(ex.cfg.runs, sizeof(*e->pending));
	e->pending_done = calloc(ex.cfg.runs, sizeof(*e->pending_done));
	e->run_from = calloc(ex.cfg.runs, sizeof(*e->run_from));
	e->run_sleep = calloc(ex.cfg.runs, sizeof(*e->run_sleep));
	SIM_BUG_ON(!e->pending || !e->pending_done || !e->run_from || !e->run_sleep);
	push_prefix((struct prefix){ NULL, 0, 0 });	/* no preemption at all */
}

static bool running(void)
{
	for (int i = 0; i < ex.cfg.jobs; i++)
		if (jobs[i].pid)
			return true;
	return false;
}

/* Runs one probe run without preemptions to learn how long a run is (pct's k). */
static bool probe_length(void)
{
	struct run_spec spec = { .inner = IN_NONPREEMPT, .seed = ex.cfg.meta.seed };
	struct result r;

	if (launch(UINT64_MAX, &spec))
		return true;
	reap(&r, false);
	free(r.choices);
	ex.k = r.nchoices ? r.nchoices : 1;
	return false;
}

/*
 * What identifies an exploration, for `kvmsim merge` to check that the
 * shards it is given belong together.
 */
static void explore_what(char *buf, size_t size)
{
	const struct sim_schedule *m = &ex.cfg.meta;
	int n;

	n = snprintf(buf, size, "%s seed=%" PRIu64 " depth=%d preemptions=%d profile=%s "
		     "preempt=%s quantum=%" PRIu64 " arch=%s program=%s", ex.cfg.strategy,
		     m->seed, ex.depth, ex.cfg.preemptions, m->profile, m->preempt, m->quantum,
		     m->arch[0] ? m->arch : "x86_64", m->program);
	for (int i = 0; i < m->nargs && n > 0 && (size_t)n < size; i++)
		n += snprintf(buf + n, size - n, " %s", m->args[i]);
	for (int i = 0; i < m->nfail && n > 0 && (size_t)n < size; i++)
		n += snprintf(buf + n, size - n, " fail=%s", m->fail[i]);
}

/*
 * Save the schedule of each failing outcome's first run up to `limit`
 * (without --keep-going that is the first failure alone), in run order.
 */
static void save_failures(struct explorer *e, uint64_t limit)
{
	struct sim_tally *t = &e->tally;
	char strategy[128];

	for (uint64_t run = 0; run < t->nrun && run <= limit; run++) {
		uint32_t idx = t->run[run];
		struct sim_outcome *o;

		if (idx == SIM_NO_OUTCOME || !t->o[idx].failed || e->first_run[idx] != run)
			continue;
		o = &t->o[idx];
		snprintf(o->schedule, sizeof(o->schedule), "%s.%" PRIu64 ".schedule",
			 ex.cfg.save_prefix, run);
		if (!strcmp(ex.cfg.strategy, "pct"))
			snprintf(strategy, sizeof(strategy), "pct depth=%d k=%" PRIu64 " run=%"
				 PRIu64, ex.depth, ex.k, run);
		else
			snprintf(strategy, sizeof(strategy), "%s run=%" PRIu64, ex.cfg.strategy, run);
		save_schedule(o->schedule, &e->first[idx], run_seed(run), strategy);
	}
}

static void write_result_file(struct explorer *e)
{
	struct sim_tally *t = &e->tally;
	int err;

	if (!ex.cfg.result_path)
		return;
	explore_what(t->what, sizeof(t->what));
	t->shard = ex.cfg.shard;
	t->nshards = ex.cfg.nshards ? ex.cfg.nshards : 1;
	err = sim_tally_write(t, ex.cfg.result_path);
	if (err)
		fprintf(stderr, "kvmsim: cannot write %s: %s\n", ex.cfg.result_path,
			strerror(-err));
	else
		fprintf(stderr, "results in %s\n", ex.cfg.result_path);
}

/* How much the partial-order reduction saved, for the summary. */
static const char *por_note(void)
{
	static char note[96];

	if (!bounded() || !ex.cfg.por)
		return ", no partial-order reduction";
	snprintf(note, sizeof(note), ", partial-order reduction skipped %" PRIu64 " branches",
		 por_pruned);
	return note;
}

static void report_explore(struct explorer *e)
{
	uint64_t limit = sim_tally_limit(&e->tally);
	uint64_t first = sim_tally_first_failure(&e->tally);

	progress(e, true);
	sim_tally_print(&e->tally, stderr);
	if (first == SIM_NO_RUN) {
		write_result_file(e);
		if (bounded() && q_head == q_tail && e->launched < ex.cfg.runs)
			fprintf(stderr, "explore: search complete: every schedule with at most %d "
				"preemptions ran (%" PRIu64 " runs%s), no failure\n",
				ex.cfg.preemptions, e->launched, por_note());
		else
			fprintf(stderr, "explore: %" PRIu64 " runs (%s), no failure\n",
				e->done, ex.cfg.strategy);
		_exit(0);
	}
	fprintf(stderr, "FAILED run %" PRIu64 ": oracle %s: %s\n", first,
		e->first[e->tally.run[first]].oracle, e->first[e->tally.run[first]].message);
	save_failures(e, limit);
	write_result_file(e);
	fprintf(stderr, "to see it: kvmsim replay --explain %s\n",
		e->tally.o[e->tally.run[first]].schedule);
	_exit(1);
}

static void serve_explore(void)
{
	struct explorer e;
	struct run_spec spec;
	struct result r;

	ex.depth = ex.cfg.depth > 0 ? ex.cfg.depth : 3;
	if (ex.depth > MAX_DEPTH)
		ex.depth = MAX_DEPTH;
	if (!strcmp(ex.cfg.strategy, "pct") && probe_length())
		return;
	alloc_explorer(&e);
	for (;;) {
		while (free_job() >= 0 && run_number(e.launched) < ex.cfg.runs &&
		       (ex.cfg.keep_going || run_number(e.launched) < e.first_fail) &&
		       next_spec(&e, &spec)) {
			if (launch(run_number(e.launched), &spec))
				return;
			e.launched++;
		}
		if (!running())
			break;
		account(&e, reap(&r, bounded()), &r);
	}
	report_explore(&e);
}

/* ============ shrink ============ */

static uint64_t shrink_runs;

/* Run `c` (forced, then nonpreempt); true if it fails the same oracle. */
static bool try_schedule(const struct sim_choice *c, uint64_t n, struct result *r,
			 bool *child)
{
	struct run_spec spec = { IN_FORCED, ex.cfg.meta.run_seed, c, n };

	*child = launch(shrink_runs, &spec);
	if (*child)
		return false;
	shrink_runs++;
	reap(r, true);
	return r->failed && !strcmp(r->oracle, ex.cfg.meta.oracle);
}

static void take(struct result *best, struct result *r)
{
	free(best->choices);
	*best = *r;
	r->choices = NULL;
}

static uint64_t injected(const struct result *r)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < r->nchoices; i++)
		n += r->choices[i].kind == 'f' && r->choices[i].chosen;
	return n;
}

/* Fewer preemptions first, then fewer injected faults, then fewer choices. */
static bool better(const struct result *a, const struct result *b)
{
	uint64_t pa = sim_choices_preemptions(a->choices, a->nchoices);
	uint64_t pb = sim_choices_preemptions(b->choices, b->nchoices);

	if (pa != pb)
		return pa < pb;
	if (injected(a) != injected(b))
		return injected(a) < injected(b);
	return a->nchoices < b->nchoices;
}

/* Accept r if it is better than best; free whichever loses. */
static bool consider(struct result *best, struct result *r)
{
	if (!better(r, best)) {
		free(r->choices);
		return false;
	}
	take(best, r);
	return true;
}

/* Shortest forced prefix (binary search) that still fails. */
static bool shrink_prefix(struct result *best, bool *child)
{
	const struct sim_choice *orig = best->choices;
	uint64_t lo = 0, hi = best->nchoices;
	struct result found = { 0 }, r;
	bool ok = false;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (try_schedule(orig, mid, &r, child)) {
			free(found.choices);
			found = r;
			ok = true;
			hi = mid;
		} else {
			if (*child)
				return false;
			free(r.choices);
			lo = mid + 1;
		}
	}
	if (!ok)
		return false;
	return consider(best, &found);
}

/* Make one choice simpler: a preemption kept running, an injected fault not. */
static bool simplify(struct sim_choice *c)
{
	if (sim_choice_is_preemption(c)) {
		c->chosen = c->self;
		return true;
	}
	if (c->kind == 'f' && c->chosen) {
		c->chosen = 0;
		return true;
	}
	return false;
}

/* Simplify one choice at a time, last first; keep what still fails. */
static bool shrink_choices(struct result *best, bool *child)
{
	bool changed = false;
	struct result r;

	for (uint64_t j = best->nchoices; j-- > 0;) {
		struct sim_choice t, *c;

		if (j >= best->nchoices)
			continue;
		t = best->choices[j];
		if (!simplify(&t))
			continue;
		c = malloc(best->nchoices * sizeof(*c));
		SIM_BUG_ON(!c);
		memcpy(c, best->choices, best->nchoices * sizeof(*c));
		c[j] = t;
		/* keep what followed; failing that, let it all run unpreempted */
		for (int drop = 0; drop < 2; drop++) {
			if (try_schedule(c, drop ? j + 1 : best->nchoices, &r, child)) {
				changed |= consider(best, &r);
				break;
			}
			if (*child)
				return false;	/* c is the child's forced list */
			free(r.choices);
		}
		free(c);
	}
	return changed;
}

static void shrink_path(char *out, size_t size, const char *in)
{
	size_t len = strlen(in);
	const char *suffix = ".schedule";
	size_t sl = strlen(suffix);

	if (len > sl && !strcmp(in + len - sl, suffix))
		snprintf(out, size, "%.*s.min.schedule", (int)(len - sl), in);
	else
		snprintf(out, size, "%s.min.schedule", in);
}

/*
 * Look for a schedule with fewer preemptions than best from scratch,
 * breadth-first as the bounded strategy does (a preemption can move, not
 * only go away), within a small budget of runs.
 */
static bool shrink_search(struct result *best, bool *child)
{
	uint64_t bound = sim_choices_preemptions(best->choices, best->nchoices);
	uint64_t budget = 256;
	struct result r;

	if (!bound)
		return false;
	ex.cfg.preemptions = (int)bound - 1;
	q_head = q_tail = 0;
	push_prefix((struct prefix){ NULL, 0, 0 });
	while (q_head < q_tail && budget--) {
		struct prefix p = queue[q_head++];

		if (try_schedule(p.c, p.n, &r, child))
			return consider(best, &r);
		if (*child)
			return false;
		expand(&r, p.n, 0, false);
		free(r.choices);
	}
	return false;
}

static void serve_shrink(void)
{
	const struct sim_schedule *m = &ex.cfg.meta;
	struct result best = { 0 }, r, orig;
	bool child = false, changed = true;
	char path[4200], strategy[160];

	if (!try_schedule(m->choices, m->nchoices, &r, &child)) {
		if (child)
			return;
		fprintf(stderr, "shrink: the schedule does not fail oracle %s (%s%s%s)\n",
			m->oracle[0] ? m->oracle : "(none recorded)",
			r.failed ? "it failed " : "it passed", r.failed ? r.oracle : "", "");
		_exit(2);
	}
	best = r;
	for (int round = 0; changed && round < 16; round++) {
		changed = shrink_search(&best, &child);
		if (child)
			return;
		changed |= shrink_prefix(&best, &child);
		if (child)
			return;
		changed |= shrink_choices(&best, &child);
		if (child)
			return;
	}
	orig = (struct result){ .choices = m->choices, .nchoices = m->nchoices };
	if (!better(&best, &orig)) {
		/* nothing smaller fails: a .min.schedule would only be a copy */
		fprintf(stderr, "shrink: %s is already minimal: %" PRIu64 " choices, %" PRIu64
			" preemptions (%" PRIu64 " runs found nothing smaller)\n",
			ex.cfg.schedule_path, m->nchoices,
			sim_choices_preemptions(m->choices, m->nchoices), shrink_runs);
		_exit(0);
	}
	fprintf(stderr, "shrink: %" PRIu64 " choices, %" PRIu64 " preemptions -> %" PRIu64
		" choices, %" PRIu64 " preemptions (%" PRIu64 " runs)\n",
		m->nchoices, sim_choices_preemptions(m->choices, m->nchoices),
		best.nchoices, sim_choices_preemptions(best.choices, best.nchoices),
		shrink_runs);
	fprintf(stderr, "FAILED: oracle %s: %s\n", best.oracle, best.message);
	shrink_path(path, sizeof(path), ex.cfg.schedule_path);
	snprintf(strategy, sizeof(strategy), "shrink of %s", m->strategy[0] ? m->strategy : "?");
	save_schedule(path, &best, m->run_seed, strategy);
	_exit(0);
}

static void serve(void)
{
	setup_server(ex.cfg.mode == SIM_RUN_SHRINK ? 1 : ex.cfg.jobs);
	if (ex.cfg.mode == SIM_RUN_SHRINK)
		serve_shrink();
	else
		serve_explore();
}
