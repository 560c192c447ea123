// SPDX-License-Identifier: MIT
/*
 * Runtime setup from the environment (see README, "Environment"):
 *   KVMSIM_SEED     run seed (default 0)
 *   KVMSIM_TRACE    JSON Lines trace file
 *   KVMSIM_EXPLAIN  "1" narrates the fault path on stderr, or a file name
 *   KVMSIM_HASH     "1" prints the trace hash on stderr at exit
 *   KVMSIM_STATS    "1" prints each VM's fault-path counters on stderr
 *   KVMSIM_QUANTUM  guest instructions per scheduling quantum
 *   KVMSIM_FAIL     comma-separated fault-injection specs (SITE[:N|:P])
 *   KVMSIM_PROFILE  KVM rule profile spec (recorded in schedules)
 *   KVMSIM_OBSERVE  file for observables (kvmsim compare, manifests)
 *   KVMSIM_COST     "1": the virtual-time cost model (kvm-model/cost.c)
 *   KVMSIM_ARCH     the architecture /dev/kvm models (x86_64, the default)
 *   KVMSIM_MODE     explore | replay | shrink (set by those commands)
 *   KVMSIM_STRATEGY, KVMSIM_DEPTH, KVMSIM_PREEMPTIONS, KVMSIM_RUNS,
 *   KVMSIM_JOBS, KVMSIM_MAX_CHOICES, KVMSIM_SAVE_PREFIX, KVMSIM_PROGRESS,
 *   KVMSIM_SHARD (I/N), KVMSIM_KEEP_GOING, KVMSIM_RESULT (tally file),
 *   KVMSIM_POR (on|off: bounded search's partial-order reduction),
 *   KVMSIM_MAX_VTIME (per-run virtual-time budget, ns; "budget" verdict),
 *   KVMSIM_SCHEDULE, KVMSIM_SCENARIO   explore/replay/shrink settings
 *   KVMSIM_MAX_STARVE  decisions in a row an actor may be runnable and
 *                   not run (default 10000; "budget" verdict)
 *   KVMSIM_PROGRESS_SECONDS  between plain progress lines (default 5)
 *   KVMSIM_PREEMPT  sync | blocking: scheduling points (default sync under
 *                   explore/replay/shrink, blocking otherwise)
 *   KVMSIM=off      pass every call through to the real kernel
 */
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <unistd.h>

#include "kvm-model/explain.h"
#include "kvm-model/fault_inject.h"
#include "kvm-model/kvm_arch.h"
#include "kvm-model/kvm_host.h"
#include "kvm-model/kvm_mmu.h"
#include "kvm-model/kvmsim.h"
#include "kvm-model/observe.h"
#include "kvm-model/cost.h"
#include "kvm-model/profile.h"
#include "kvm-model/userfaultfd.h"
#include "kvm-model/userfaultfd_host.h"
#include "kvm-model/walk_trace.h"
#include "mmu-model/hostmem.h"
#include "posix/posix.h"
#include "posix/real.h"
#include "sim/explore.h"

static bool enabled;
static bool print_hash;
static bool print_stats;

/* One line per VM: how the fault path went, and at which stage-2 levels. */
void kvm_print_stats(struct kvm *kvm)
{
	const struct kvm_stats *st = &kvm->stat;

	if (!print_stats)
		return;
	fprintf(stderr, "kvmsim: vm%d: %llu stage-2 faults, SPTEs installed 4K=%llu 2M=%llu 1G=%llu, "
		"%llu zapped, %llu MMIO exits\n", kvm->vm_id,
		(unsigned long long)st->page_faults,
		(unsigned long long)st->spte_installs[1], (unsigned long long)st->spte_installs[2],
		(unsigned long long)st->spte_installs[3], (unsigned long long)st->zaps,
		(unsigned long long)st->mmio_exits);
}

static int print_vm_stats(struct kvm *kvm, void *opaque)
{
	kvm_print_stats(kvm);
	kvm_observe_vm(kvm);
	return 0;
}

bool kvmsim_enabled(void)
{
	return enabled;
}

static void at_exit(void)
{
	static bool done;

	/* once: at exit, or before a signal ends the process (sim_finish_outputs) */
	if (done)
		return;
	done = true;
	/* a child the program forked: the VMs, trace and hash are the parent's */
	if (sim_in_forked_child())
		return;
	/* VMs the program never closed */
	kvm_for_each_vm(print_vm_stats, NULL);
	kvmsim_explain_flush();
	if (print_hash)
		fprintf(stderr, "kvmsim: trace hash %016llx (%llu events)\n",
			(unsigned long long)sim_trace_hash(),
			(unsigned long long)sim_trace_count());
	sim_trace_close();
}

/*
 * An environment number is an option given another way: checked as
 * strictly (digits only, in range), and a bad one stops the run.
 */
static uint64_t env_u64_max(const char *name, uint64_t dflt, uint64_t max)
{
	const char *v = getenv(name);
	uint64_t n;
	char *end;

	if (!v || !*v)
		return dflt;
	errno = 0;
	n = strtoull(v, &end, 0);
	if (errno || end == v || *end || strchr(v, '-') || n > max) {
		fprintf(stderr, "kvmsim: %s=%s: expected an unsigned number up to %llu\n",
			name, v, (unsigned long long)max);
		exit(2);
	}
	return n;
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	return env_u64_max(name, dflt, UINT64_MAX);
}

static int env_int(const char *name, int dflt)
{
	return (int)env_u64_max(name, (uint64_t)dflt, INT_MAX);
}

static bool known_fail_site(const char *spec)
{
	static const char *const sites[] = { KVMSIM_FAIL_SITES };
	size_t len = strcspn(spec, ":");

	for (size_t k = 0; k < sizeof(sites) / sizeof(sites[0]); k++)
		if (strlen(sites[k]) == len && !strncmp(sites[k], spec, len))
			return true;
	return false;
}

/* The program and its arguments, as a schedule records them. */
static void program_meta(struct sim_schedule *m)
{
	static char cmdline[65536];
	ssize_t n = readlink("/proc/self/exe", m->program, sizeof(m->program) - 1);
	FILE *f = fopen("/proc/self/cmdline", "r");
	size_t len = f ? fread(cmdline, 1, sizeof(cmdline) - 1, f) : 0;
	char *p = cmdline;

	if (f)
		fclose(f);
	m->program[n > 0 ? n : 0] = 0;
	cmdline[len] = 0;
	p += strlen(p) + 1;		/* argv[0] */
	while (p < cmdline + len && m->nargs < SIM_MAX_ARGS) {
		m->args[m->nargs++] = p;
		p += strlen(p) + 1;
	}
}

static int arm_faults(struct sim_schedule *m, const char *list)
{
	static char buf[1024];
	char *save, *tok;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!known_fail_site(tok)) {
			fprintf(stderr, "kvmsim: KVMSIM_FAIL: unknown site \"%s\" (sites: %s)\n",
				tok, KVMSIM_FAIL_SITES_TEXT);
			return -1;
		}
		if (sim_inject_arm(tok)) {
			fprintf(stderr, "kvmsim: bad fault-injection spec \"%s\" "
				"(expected SITE, SITE:N or SITE:P with 0<P<1)\n", tok);
			return -1;
		}
		if (m->nfail < SIM_MAX_FAIL)
			m->fail[m->nfail++] = tok;
	}
	return 0;
}

static enum sim_run_mode env_mode(void)
{
	const char *mode = getenv("KVMSIM_MODE");

	if (!mode || !*mode)
		return SIM_RUN_PLAIN;
	if (!strcmp(mode, "explore"))
		return SIM_RUN_EXPLORE;
	if (!strcmp(mode, "replay"))
		return SIM_RUN_REPLAY;
	if (!strcmp(mode, "shrink"))
		return SIM_RUN_SHRINK;
	fprintf(stderr, "kvmsim: KVMSIM_MODE=%s: expected explore, replay or shrink\n", mode);
	exit(2);
}

/* Replay and shrink take choices and seeds from the schedule file. */
static void load_schedule(struct sim_explore_cfg *cfg)
{
	char err[512];
	struct sim_schedule *m = &cfg->meta;
	struct sim_schedule file;

	cfg->schedule_path = getenv("KVMSIM_SCHEDULE");
	if (!cfg->schedule_path || sim_schedule_read(&file, cfg->schedule_path, err, sizeof(err))) {
		fprintf(stderr, "kvmsim: %s\n", cfg->schedule_path ? err : "KVMSIM_SCHEDULE not set");
		exit(2);
	}
	m->choices = file.choices;
	m->nchoices = file.nchoices;
	m->seed = file.seed;
	m->run_seed = file.run_seed;
	memcpy(m->oracle, file.oracle, sizeof(m->oracle));
	memcpy(m->strategy, file.strategy, sizeof(m->strategy));
}

/* The rule profile: kvmsim validated it; a bad one set by hand is fatal. */
static void profile_setup(void)
{
	const char *v = getenv("KVMSIM_PROFILE");
	uint64_t rules;
	char err[256];

	if (!v || !*v)
		return;
	if (kvm_profile_parse(v, &rules, err, sizeof(err))) {
		fprintf(stderr, "kvmsim: KVMSIM_PROFILE=%s: %s\n", v, err);
		exit(2);
	}
	kvm_profile_set(kvm_host_probe_rules(rules), v);
}

/*
 * Which operations are scheduling points.  Under explore every
 * synchronization operation is, so races between two uncontended ones
 * are found; a plain run keeps to blocking points (cheaper for real VMMs,
 * and its one schedule is as good as any).
 */
static void preempt_setup(struct sim_schedule *m)
{
	const char *v = getenv("KVMSIM_PREEMPT");
	enum sim_preempt p = env_mode() == SIM_RUN_PLAIN ? SIM_PREEMPT_BLOCKING : SIM_PREEMPT_SYNC;

	if (v && *v && sim_preempt_parse(v, &p)) {
		fprintf(stderr, "kvmsim: KVMSIM_PREEMPT=%s: expected sync or blocking\n", v);
		exit(2);
	}
	sim_set_preempt(p);
	snprintf(m->preempt, sizeof(m->preempt), "%s", sim_preempt_name(p));
}

static void explore_setup(uint64_t seed)
{
	static struct sim_explore_cfg cfg;
	const char *fail = getenv("KVMSIM_FAIL");
	const char *v;

	cfg.mode = env_mode();
	cfg.strategy = (v = getenv("KVMSIM_STRATEGY")) && *v ? v : "random";
	cfg.depth = env_int("KVMSIM_DEPTH", 3);
	cfg.preemptions = env_int("KVMSIM_PREEMPTIONS", 2);
	cfg.por = !(v = getenv("KVMSIM_POR")) || strcmp(v, "off");
	cfg.runs = env_u64("KVMSIM_RUNS", 1000);
	cfg.keep_going = env_int("KVMSIM_KEEP_GOING", 0);
	cfg.result_path = (v = getenv("KVMSIM_RESULT")) && *v ? v : NULL;
	if ((v = getenv("KVMSIM_SHARD")) && *v &&
	    (sscanf(v, "%" SCNu32 "/%" SCNu32, &cfg.shard, &cfg.nshards) != 2 ||
	     !cfg.nshards || cfg.shard >= cfg.nshards)) {
		fprintf(stderr, "kvmsim: KVMSIM_SHARD=%s: expected I/N with I < N\n", v);
		exit(2);
	}
	cfg.jobs = env_int("KVMSIM_JOBS", 1);
	cfg.max_choices = env_u64("KVMSIM_MAX_CHOICES", 100000);
	cfg.save_prefix = (v = getenv("KVMSIM_SAVE_PREFIX")) && *v ? v : "kvmsim";
	cfg.progress = env_int("KVMSIM_PROGRESS", 0);
	cfg.progress_seconds = env_u64("KVMSIM_PROGRESS_SECONDS", 5);
	cfg.max_starve = env_u64("KVMSIM_MAX_STARVE", 10000);
	cfg.meta.seed = seed;
	cfg.meta.run_seed = seed;
	cfg.meta.quantum = env_u64("KVMSIM_QUANTUM", 0);
	cfg.meta.max_vtime = env_u64("KVMSIM_MAX_VTIME", 0);
	snprintf(cfg.meta.profile, sizeof(cfg.meta.profile), "%s",
		 (v = getenv("KVMSIM_PROFILE")) && *v ? v : "upstream");
	snprintf(cfg.meta.scenario, sizeof(cfg.meta.scenario), "%s",
		 (v = getenv("KVMSIM_SCENARIO")) ? v : "");
	snprintf(cfg.meta.arch, sizeof(cfg.meta.arch), "%s",
		 (v = getenv("KVMSIM_ARCH")) && strcmp(v, "x86_64") ? v : "");
	program_meta(&cfg.meta);
	preempt_setup(&cfg.meta);
	if (cfg.mode == SIM_RUN_REPLAY || cfg.mode == SIM_RUN_SHRINK)
		load_schedule(&cfg);
	if (fail && *fail && arm_faults(&cfg.meta, fail))
		exit(2);
	cfg.fork_point = kvm_preload_vcpus;
	cfg.learned = kvm_explore_learned;
	sim_explore_configure(&cfg);
}

/*
 * The timeline's counter tracks: per VM, the stage-2 faults KVM took,
 * KVM_RUN calls, userfaults and zapped SPTEs, written when they change.
 */
#define TL_VMS 16
#define TL_COUNTERS 4

static uint64_t tl_last[TL_VMS][TL_COUNTERS];

static int sample_vm(struct kvm *kvm, void *opaque)
{
	static const char *const names[TL_COUNTERS] = {
		"stage-2 faults", "KVM_RUN calls", "userfaults", "SPTEs zapped",
	};
	uint64_t now[TL_COUNTERS] = {
		kvm->stat.page_faults, kvm->stat.run_calls, kvm->stat.userfaults,
		kvm->stat.zaps,
	};
	char name[64];

	if (kvm->vm_id < 0 || kvm->vm_id >= TL_VMS)
		return 0;
	for (int i = 0; i < TL_COUNTERS; i++) {
		if (now[i] == tl_last[kvm->vm_id][i])
			continue;
		tl_last[kvm->vm_id][i] = now[i];
		snprintf(name, sizeof(name), "vm%d %s", kvm->vm_id, names[i]);
		sim_timeline_counter(name, now[i]);
	}
	return 0;
}

static void sample_counters(void)
{
	kvm_for_each_vm(sample_vm, NULL);
}

static void output_error(const char *what, const char *path, int err)
{
	fprintf(stderr, "kvmsim: cannot open %s file %s: %s\n", what, path, strerror(-err));
	exit(2);
}

/*
 * A run ended by a signal keeps its outputs.  SIGTERM, SIGINT and SIGHUP
 * from outside are posix/signal.c's (term_by_signal), abort() (SIGABRT)
 * is here: kvmsim's own outputs are finished (sim_finish_outputs: the
 * trace, the timeline, the hash), then the process dies of the same
 * signal.  The program's stdio buffers and exit handlers are left alone,
 * as the default action leaves them: its stdout ends where it would have
 * ended natively (and a flush from inside an interrupted printf would
 * write its buffer twice).
 */
REAL_DECL(int, sigaction, int, const struct sigaction *, struct sigaction *);
REAL_DECL(int, sigprocmask, int, const sigset_t *, sigset_t *);
REAL_DECL(int, raise, int);

static const int finishing_signals[] = { SIGABRT };
static volatile sig_atomic_t fatal_signal;

static void __attribute__((noreturn)) reraise_fatal_signal(int sig)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t set;

	/* libc's own calls: the program's signals may be simulated */
	REAL(sigaction)(sig, &dfl, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	REAL(sigprocmask)(SIG_UNBLOCK, &set, NULL);
	REAL(raise)(sig);
	_exit(128 + sig);
}

static void finish_on_signal(int sig)
{
	if (fatal_signal)		/* a second one while finishing: die now */
		_exit(128 + sig);
	fatal_signal = sig;
	sim_finish_outputs();
	reraise_fatal_signal(sig);
}

static void install_finishing_handlers(void)
{
	struct sigaction sa = { .sa_handler = finish_on_signal, .sa_flags = SA_NODEFER };

	for (size_t i = 0; i < sizeof(finishing_signals) / sizeof(finishing_signals[0]); i++) {
		struct sigaction old;

		/* a signal the launcher ignored (nohup) stays ignored */
		if (!REAL(sigaction)(finishing_signals[i], NULL, &old) && old.sa_handler == SIG_IGN)
			continue;
		REAL(sigaction)(finishing_signals[i], &sa, NULL);
	}
}

void kvmsim_runtime_init(void)
{
	const char *off = getenv("KVMSIM");
	const char *trace = getenv("KVMSIM_TRACE");
	const char *explain = getenv("KVMSIM_EXPLAIN");
	const char *hash = getenv("KVMSIM_HASH");
	const char *stats = getenv("KVMSIM_STATS");
	const char *timeline = getenv("KVMSIM_TIMELINE");
	const char *observe = getenv("KVMSIM_OBSERVE");
	const char *v;
	const char *arch = getenv("KVMSIM_ARCH");
	int r;

	if (off && !strcmp(off, "off"))
		return;
	enabled = true;
	install_finishing_handlers();
	kvm_arch_init(arch);
	sim_init(env_u64("KVMSIM_SEED", 0), "vmm");
	env_u64("KVMSIM_LIVELOCK", 0);	/* checked here, read by kvm_livelock_limit */
	posix_init();
	profile_setup();
	kvm_cost_init((v = getenv("KVMSIM_COST")) && !strcmp(v, "1"));
	explore_setup(sim_seed());
	/* an output file asked for and not written is an error, not a warning */
	if (trace && *trace && (r = sim_trace_open(trace)))
		output_error("trace", trace, r);
	if (timeline && *timeline && (r = sim_timeline_open(timeline)))
		output_error("timeline", timeline, r);
	if (timeline && *timeline)
		sim_timeline_set_sampler(sample_counters);
	if (observe && *observe)
		kvm_observe_start(observe);
	if (explain && *explain && (r = kvmsim_explain_start(strcmp(explain, "1") ? explain : NULL)))
		output_error("explain", explain, r);
	if (kvm_walk_trace_start()) {
		fprintf(stderr, "kvmsim: KVMSIM_EXPLAIN_WALK=%s: expected off, fault or all\n",
			getenv("KVMSIM_EXPLAIN_WALK"));
		exit(2);
	}
	/* kvmsim step: the control fd it passed (the stepper narrates too) */
	if ((v = getenv("KVMSIM_STEP")) && *v && (r = kvmsim_step_start(atoi(v))))
		output_error("step control", v, r);
	print_hash = hash && !strcmp(hash, "1");
	print_stats = stats && !strcmp(stats, "1");
	/* nobody will read the events: do not format them */
	sim_trace_set_recording(print_hash);
	atexit(at_exit);
	sim_set_finish_outputs_hook(at_exit);
	sim_trace_set_tag("vm", kvm_vm_ctx_tag);
}

/* ---- MMU notifiers: the VMM changed memory behind a memslot ---- */

struct notifier_range {
	uint64_t start, end;
};

/* The part [*a, *b) of r that slot s maps; false if none. */
static bool slot_hva_overlap(const struct kvm_memory_slot *s, const struct notifier_range *r,
			     uint64_t *a, uint64_t *b)
{
	uint64_t lo = s->userspace_addr, hi = lo + (s->npages << PAGE_SHIFT);

	*a = r->start > lo ? r->start : lo;
	*b = r->end < hi ? r->end : hi;
	return *a < *b;
}

/*
 * kvm_mmu_invalidate_begin + kvm_mmu_invalidate_range_add: from here to
 * kvm_mmu_invalidate_end, a fault on a gfn in the range retries.
 */
static void kvm_mmu_invalidate_begin(struct kvm *kvm)
{
	if (!kvm->mmu_invalidate_in_progress++) {
		kvm->mmu_invalidate_range_start = UINT64_MAX;
		kvm->mmu_invalidate_range_end = 0;
	}
}

static void kvm_mmu_invalidate_range_add(struct kvm *kvm, uint64_t gfn_start, uint64_t gfn_end)
{
	struct sim_ev *ev;

	if (gfn_start < kvm->mmu_invalidate_range_start)
		kvm->mmu_invalidate_range_start = gfn_start;
	if (gfn_end > kvm->mmu_invalidate_range_end)
		kvm->mmu_invalidate_range_end = gfn_end;
	ev = sim_ev_begin("kvm_mmu_invalidate_range_add");
	sim_ev_hex(ev, "gpa", gfn_start << PAGE_SHIFT);
	sim_ev_hex(ev, "size", (gfn_end - gfn_start) << PAGE_SHIFT);
	sim_ev_int(ev, "in_progress", kvm->mmu_invalidate_in_progress);
	sim_ev_end(ev);
}

/*
 * kvm_mmu_invalidate_end: the sequence moves on (a lookup made while the
 * invalidation was open is stale), then the range closes.
 */
static void kvm_mmu_invalidate_end(struct kvm *kvm)
{
	struct sim_ev *ev;

	kvm->mmu_invalidate_seq++;
	kvm->mmu_invalidate_in_progress--;
	ev = sim_ev_begin("kvm_mmu_invalidate_end");
	sim_ev_int(ev, "mmu_invalidate_seq", (int64_t)kvm->mmu_invalidate_seq);
	sim_ev_int(ev, "in_progress", kvm->mmu_invalidate_in_progress);
	sim_ev_end(ev);
}

/* The VMs one notifier call reached, for its _end. */
struct notifier_vms {
	const struct notifier_range *r;
	struct {
		struct kvm *kvm;
		bool begun;	/* the range overlapped a memslot of it */
	} *vms;
	int nr, cap;
};

static int invalidate_vm_start(struct kvm *kvm, void *opaque)
{
	struct notifier_vms *nv = opaque;
	struct kvm_memslots *slots = &kvm->memslots[0];
	int ctx = kvm_vm_ctx_enter(kvm);
	bool begun = false;

	kvm->mn_active_invalidate_count++;
	for (int i = 0; i < slots->nr; i++) {
		struct kvm_memory_slot *s = slots->by_gfn[i];
		uint64_t a, b, gfn_start, gfn_end;

		if (!slot_hva_overlap(s, nv->r, &a, &b))
			continue;
		gfn_start = s->base_gfn + ((a - s->userspace_addr) >> PAGE_SHIFT);
		gfn_end = s->base_gfn + ((b - s->userspace_addr + PAGE_SIZE - 1) >> PAGE_SHIFT);
		if (!begun)
			kvm_mmu_invalidate_begin(kvm);
		begun = true;
		kvm_mmu_invalidate_range_add(kvm, gfn_start, gfn_end);
		kvm_mmu_zap_gfn_range(kvm, gfn_start, gfn_end,
				      "kvm_mmu_notifier_invalidate_range_start");
	}
	kvm_vm_ctx_leave(ctx);
	if (nv->nr == nv->cap) {
		nv->cap = nv->cap ? 2 * nv->cap : 4;
		nv->vms = realloc(nv->vms, nv->cap * sizeof(*nv->vms));
		if (!nv->vms)
			abort();
	}
	kvm_get_kvm(kvm);	/* the mmu_notifier's hold until _end */
	nv->vms[nv->nr].kvm = kvm;
	nv->vms[nv->nr++].begun = begun;
	return 0;
}

static void invalidate_vm_end(struct kvm *kvm, bool begun)
{
	int ctx = kvm_vm_ctx_enter(kvm);

	if (begun)
		kvm_mmu_invalidate_end(kvm);
	kvm->mn_active_invalidate_count--;
	sim_wake_all(&kvm->mmu_invalidate_wq);
	kvm_vm_ctx_leave(ctx);
	kvm_put_kvm(kvm);
}

static int vm_maps_range(struct kvm *kvm, void *opaque)
{
	struct kvm_memslots *slots = &kvm->memslots[0];
	uint64_t a, b;

	for (int i = 0; i < slots->nr; i++)
		if (slot_hva_overlap(slots->by_gfn[i], opaque, &a, &b))
			return 1;
	return 0;
}

void kvm_trace_seq_snapshot(const char *addr_key, uint64_t addr, uint64_t mmu_seq)
{
	struct sim_ev *ev = sim_ev_begin("mmu_invalidate_seq_snapshot");

	sim_ev_hex(ev, addr_key, addr);
	sim_ev_int(ev, "mmu_seq", (int64_t)mmu_seq);
	sim_ev_end(ev);
}

bool kvm_mmu_invalidate_open(const struct kvm *kvm, uint64_t gfn)
{
	return kvm->mmu_invalidate_in_progress && gfn >= kvm->mmu_invalidate_range_start &&
	       gfn < kvm->mmu_invalidate_range_end;
}

bool mmu_invalidate_retry_gfn(struct kvm *kvm, const char *addr_key, uint64_t addr,
			      uint64_t mmu_seq, bool checked)
{
	uint64_t gfn = addr >> PAGE_SHIFT;
	bool open = kvm_mmu_invalidate_open(kvm, gfn);
	struct sim_ev *ev = sim_ev_begin("mmu_invalidate_retry_gfn");

	sim_ev_hex(ev, addr_key, addr);
	sim_ev_int(ev, "mmu_seq", (int64_t)mmu_seq);
	sim_ev_int(ev, "mmu_invalidate_seq", (int64_t)kvm->mmu_invalidate_seq);
	sim_ev_bool(ev, "in_progress", open);
	sim_ev_bool(ev, "stale", open || mmu_seq != kvm->mmu_invalidate_seq);
	sim_ev_bool(ev, "checked", checked);
	sim_ev_end(ev);
	if (!checked)
		return false;
	/*
	 * Inside the window the kernel's vCPU re-faults until _end; here it
	 * waits for _end (one wake instead of a spin the livelock check
	 * would count), then retries.
	 */
	if (open) {
		while (kvm_mmu_invalidate_open(kvm, gfn))
			sim_wait(&kvm->mmu_invalidate_wq);
		return true;
	}
	return mmu_seq != kvm->mmu_invalidate_seq;
}

/*
 * The host mm changes under the guests: the notifier's _start and _end
 * are two steps with a scheduling point between them, so explore can run
 * a fault inside the window (it must retry until _end, by
 * mmu_invalidate_retry_gfn) as well as before and after it.
 */
void kvm_mmu_notifier_invalidate_range(uint64_t hva_start, uint64_t hva_end)
{
	struct notifier_range r = { hva_start, hva_end };
	struct notifier_vms nv = { .r = &r };

	if (!kvm_for_each_vm(vm_maps_range, &r))
		return;
	sim_yield("mmu_notifier_invalidate_range_start");
	kvm_for_each_vm(invalidate_vm_start, &nv);
	sim_yield("mmu_notifier_invalidate_range_end");
	for (int i = 0; i < nv.nr; i++)
		invalidate_vm_end(nv.vms[i].kvm, nv.vms[i].begun);
	free(nv.vms);
}

void kvmsim_host_unmap(unsigned long start, size_t len)
{
	hostmem_forget(start, len);
	kvm_mmu_notifier_invalidate_range(start, start + len);
}

void kvmsim_host_protect(unsigned long start, size_t len)
{
	hostmem_changed(start, len);
	kvm_mmu_notifier_invalidate_range(start, start + len);
}

/*
 * memory_failure on each page: poisoned, unmapped from every guest (the
 * MMU notifier), and from then on GUP fails with -EHWPOISON.
 */
int kvmsim_host_hwpoison(unsigned long start, size_t len)
{
	if ((start & (PAGE_SIZE - 1)) || hostmem_prot(start) < 0) {
		errno = hostmem_prot(start) < 0 ? ENOMEM : EINVAL;
		return -1;
	}
	hostmem_poison(start, len);
	kvm_mmu_notifier_invalidate_range(start, start + len);
	return 0;
}

static void file_unmap_range(uint64_t hva_start, uint64_t hva_end, void *opaque)
{
	kvm_mmu_notifier_invalidate_range(hva_start & PAGE_MASK,
					  (hva_end + PAGE_SIZE - 1) & PAGE_MASK);
}

void kvmsim_host_file_unmap(int fd, uint64_t off, uint64_t len)
{
	struct stat st;

	if (fstat(fd, &st))
		return;
	hostmem_mark_stale();
	hostmem_for_each_file_vma(st.st_dev, st.st_ino, off & PAGE_MASK,
				  len + (off & (PAGE_SIZE - 1)), file_unmap_range, NULL);
}

/* truncate(2) and open(O_TRUNC) shrink a file by path: as ftruncate does */
void kvmsim_host_inode_truncated(uint64_t dev, uint64_t ino, uint64_t old_size,
				 uint64_t new_size)
{
	if (new_size >= old_size)
		return;
	hostmem_mark_stale();
	hostmem_for_each_file_vma(dev, ino, new_size & PAGE_MASK,
				  old_size - new_size + (new_size & (PAGE_SIZE - 1)),
				  file_unmap_range, NULL);
}

void kvmsim_host_fallocate(int fd, int mode, off_t off, off_t len)
{
	kvm_private_fd_fallocate(fd, mode, off, len);
}

void kvmsim_host_vma_gone(unsigned long start, size_t len)
{
	userfaultfd_unmap(start, len);
	kvm_gmem_vma_gone(start, len);
}

int kvmsim_userfaultfd(int flags)
{
	return userfaultfd_new(flags);
}

bool kvmsim_owns_sigbus(void)
{
	return uffd_host_owns_sigbus();
}

int kvmsim_sigbus_action(const struct sigaction *act, struct sigaction *old)
{
	return uffd_host_sigbus_action(act, old);
}

void kvmsim_host_changed(void)
{
	hostmem_mark_stale();
}

void kvmsim_host_advise(unsigned long start, size_t len, int advice)
{
	hostmem_note_advice(start, len, advice);
	if (advice == MADV_HUGEPAGE || advice == MADV_NOHUGEPAGE)
		hostmem_advise_huge(start, len, advice == MADV_HUGEPAGE);
	else if (advice == MADV_DONTNEED || advice == MADV_REMOVE) {
		/* the pages go away, and with them any poison marker */
		hostmem_unpoison(start, len);
		kvm_mmu_notifier_invalidate_range(start, start + len);
	}
}

void kvmsim_host_mmap(unsigned long start, size_t len, int flags)
{
	hostmem_changed(start, len);
	/* MAP_FIXED replaces whatever was mapped there */
	if ((flags & MAP_FIXED) && !(flags & MAP_FIXED_NOREPLACE))
		kvm_gmem_vma_gone(start, len);
	if (flags & MAP_HUGETLB) {
		/* the page size is in the flag's high bits; 0 is the default 2M */
		int shift = (flags >> MAP_HUGE_SHIFT) & MAP_HUGE_MASK;
		uint64_t size = shift ? 1ull << shift : 2ull << 20;

		/* hugetlb mmap rounds the length up to the page */
		hostmem_record_hugetlb(start, (len + size - 1) & ~(size - 1), size);
	}
}

/* A file mapping: a hugetlbfs file (MFD_HUGETLB) is hugetlb memory too. */
void kvmsim_host_mmap_file(unsigned long start, size_t len, int fd)
{
	struct statfs sfs;

	if (!fstatfs(fd, &sfs) && sfs.f_type == HUGETLBFS_MAGIC && sfs.f_bsize > 0) {
		uint64_t size = (uint64_t)sfs.f_bsize;

		hostmem_record_hugetlb(start, (len + size - 1) & ~(size - 1), size);
	}
}
