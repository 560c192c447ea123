// SPDX-License-Identifier: MIT
/*
 * Timeline: the run as Chrome trace-event JSON, which Perfetto and
 * chrome://tracing open.  One track (tid) per actor, named after it; a
 * slice for every stretch an actor ran, named after the first thing it did
 * (its first trace event; else the scheduling point that ended it, which
 * is always in its arguments); an instant event for every trace event, with the trace
 * line as its arguments; a flow arrow from an actor to every actor it
 * woke (the VMM's KVM_RUN to its vCPU, a fault to the userfaultfd reader,
 * UFFDIO_COPY back to the vCPU); counter tracks the model feeds
 * (sim_timeline_counter: faults, exits, userfaults).
 *
 * The time axis is virtual time in nanoseconds, plus one nanosecond per
 * step (switch or event), so that things which took no virtual time keep
 * their order and a width: without --cost virtual time moves only for
 * sleeps, and the picture is the order of things.  Each slice also has
 * its exact virtual start and end in its arguments.  Identical on every
 * replay.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim/oracle.h"
#include "sim/sim_internal.h"

static FILE *tl;
static uint64_t step;
static uint64_t slice_start;
static uint64_t slice_vtime;
static bool first_event = true;
/* flows: the id of the arrow pointing at each actor's next slice */
static uint64_t *flow_to;
static int nflow_to;
static uint64_t flow_ids;
/* what the running actor did: the first event of its current slice */
static char slice_what[64];

bool sim_timeline_on(void)
{
	return tl != NULL;
}

static void sep(void)
{
	fputs(first_event ? "\n" : ",\n", tl);
	first_event = false;
}

static void put_json_str(const char *s)
{
	fputc('"', tl);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(tl, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(tl, "\\u%04x", *s);
		else
			fputc(*s, tl);
	}
	fputc('"', tl);
}

/* The axis: virtual ns + one ns per step, in Chrome's microseconds. */
static void put_ts(const char *key, uint64_t ns)
{
	fprintf(tl, ",\"%s\":%" PRIu64 ".%03" PRIu64, key, ns / 1000, ns % 1000);
}

static uint64_t now_ns(void)
{
	return sim_now() + step;
}

static void end_slice(const struct sim_actor *a, const char *why)
{
	uint64_t end = now_ns();

	sep();
	fputs("{\"name\":", tl);
	put_json_str(slice_what[0] ? slice_what : why ? why : "exit");
	fprintf(tl, ",\"ph\":\"X\",\"pid\":1,\"tid\":%d", a->id);
	put_ts("ts", slice_start);
	put_ts("dur", end > slice_start ? end - slice_start : 1);
	fprintf(tl, ",\"args\":{\"vtime_start\":%" PRIu64 ",\"vtime_end\":%" PRIu64
		",\"ended_at\":", slice_vtime, sim_now());
	put_json_str(why ? why : "exit");
	fputs("}}", tl);
	slice_what[0] = 0;
	/* the arrow from whoever woke this actor ends in this slice */
	if (a->id < nflow_to && flow_to[a->id]) {
		sep();
		fprintf(tl, "{\"name\":\"wake\",\"cat\":\"wake\",\"ph\":\"f\",\"bp\":\"e\","
			"\"id\":%" PRIu64 ",\"pid\":1,\"tid\":%d", flow_to[a->id], a->id);
		put_ts("ts", slice_start);
		fputs("}", tl);
		flow_to[a->id] = 0;
	}
	step++;
	slice_start = now_ns();
	slice_vtime = sim_now();
}

/* waker made wakee runnable: an arrow from here to wakee's next slice */
void sim_timeline_wake(const struct sim_actor *waker, const struct sim_actor *wakee)
{
	if (!tl || !waker || waker == wakee)
		return;
	if (wakee->id >= nflow_to) {
		int n = wakee->id + 64;
		uint64_t *bigger = realloc(flow_to, n * sizeof(*flow_to));

		if (!bigger)
			return;
		memset(bigger + nflow_to, 0, (n - nflow_to) * sizeof(*flow_to));
		flow_to = bigger;
		nflow_to = n;
	}
	if (flow_to[wakee->id])		/* woken twice before it ran: the first arrow wins */
		return;
	flow_to[wakee->id] = ++flow_ids;
	sep();
	fprintf(tl, "{\"name\":\"wake\",\"cat\":\"wake\",\"ph\":\"s\",\"id\":%" PRIu64
		",\"pid\":1,\"tid\":%d", flow_ids, waker->id);
	put_ts("ts", now_ns());
	fputs("}", tl);
}

void sim_timeline_counter(const char *name, uint64_t value)
{
	if (!tl)
		return;
	sep();
	fputs("{\"name\":", tl);
	put_json_str(name);
	fputs(",\"ph\":\"C\",\"pid\":1", tl);
	put_ts("ts", now_ns());
	fprintf(tl, ",\"args\":{\"value\":%" PRIu64 "}}", value);
}

void sim_timeline_switch(const struct sim_actor *prev, const char *point)
{
	if (tl)
		end_slice(prev, point);
}

static sim_timeline_sampler_fn sampler;

void sim_timeline_set_sampler(sim_timeline_sampler_fn fn)
{
	sampler = fn;
}

void sim_timeline_event(const struct sim_ev *ev)
{
	if (!tl)
		return;
	if (sampler)
		sampler();
	if (!slice_what[0])
		snprintf(slice_what, sizeof(slice_what), "%s", sim_ev_name(ev));
	sep();
	fputs("{\"name\":", tl);
	put_json_str(sim_ev_name(ev));
	fprintf(tl, ",\"ph\":\"i\",\"s\":\"t\",\"pid\":1,\"tid\":%d",
		sim_rt.cur ? sim_rt.cur->id : 0);
	put_ts("ts", now_ns());
	fprintf(tl, ",\"args\":%s}", sim_ev_json(ev));
	step++;
}

static void timeline_close(const char *oracle, const char *message, void *opaque)
{
	if (!tl)
		return;
	if (sim_rt.cur)
		end_slice(sim_rt.cur, oracle ? oracle : "end");
	for (int i = 0; i < sim_rt.nactors; i++) {
		sep();
		fprintf(tl, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%d,"
			"\"args\":{\"name\":", sim_rt.actors[i]->id);
		put_json_str(sim_rt.actors[i]->name);
		fputs("}}", tl);
	}
	sep();
	fputs("{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"args\":{\"name\":\"kvmsim\"}}", tl);
	if (oracle) {
		sep();
		fputs("{\"name\":", tl);
		put_json_str(oracle);
		fputs(",\"ph\":\"i\",\"s\":\"g\",\"pid\":1,\"tid\":0", tl);
		put_ts("ts", now_ns());
		fputs(",\"args\":{\"message\":", tl);
		put_json_str(message);
		fputs("}}", tl);
	}
	fputs("\n],\"displayTimeUnit\":\"ns\"}\n", tl);
	fclose(tl);
	tl = NULL;
}

void sim_timeline_flush(void)
{
	if (tl)
		fflush(tl);
}

/* In a forked child: the parent's file (flushed), left as it is. */
void sim_timeline_after_fork(void)
{
	if (tl)
		fclose(tl);
	tl = NULL;
}

static void timeline_atexit(void)
{
	timeline_close(NULL, NULL, NULL);
}

static void (*finish_outputs_hook)(void);

void sim_set_finish_outputs_hook(void (*fn)(void))
{
	finish_outputs_hook = fn;
}

void sim_finish_outputs(void)
{
	/* the layer above's outputs first: its hash covers the whole trace */
	if (finish_outputs_hook)
		finish_outputs_hook();
	if (tl)
		timeline_close(NULL, NULL, NULL);
	sim_trace_close();
}

int sim_timeline_open(const char *path)
{
	tl = fopen(path, "w");
	if (!tl)
		return -errno;
	fputs("{\"traceEvents\":[", tl);
	sim_oracle_add_finish(timeline_close, NULL);
	atexit(timeline_atexit);
	return 0;
}
