// SPDX-License-Identifier: MIT
/*
 * Timeline: the run as Chrome trace-event JSON, which Perfetto and
 * chrome://tracing open.  One track (tid) per actor, named after it; a
 * slice for every stretch an actor ran, named after the scheduling point
 * that ended it; an instant event for every trace event, with the trace
 * line as its arguments.
 *
 * The time axis is in steps, not host time: every switch and every event
 * advances it by one "microsecond", so the picture is the order of
 * things, identical on every replay.  Virtual time is in each slice's
 * arguments.
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

static void end_slice(const struct sim_actor *a, const char *why)
{
	sep();
	fputs("{\"name\":", tl);
	put_json_str(why ? why : "exit");
	fprintf(tl, ",\"ph\":\"X\",\"pid\":1,\"tid\":%d,\"ts\":%" PRIu64 ",\"dur\":%" PRIu64
		",\"args\":{\"vtime_start\":%" PRIu64 ",\"vtime_end\":%" PRIu64 "}}",
		a->id, slice_start, step > slice_start ? step - slice_start : 1,
		slice_vtime, sim_now());
	step++;
	slice_start = step;
	slice_vtime = sim_now();
}

void sim_timeline_switch(const struct sim_actor *prev, const char *point)
{
	if (tl)
		end_slice(prev, point);
}

void sim_timeline_event(const struct sim_ev *ev)
{
	if (!tl)
		return;
	sep();
	fputs("{\"name\":", tl);
	put_json_str(sim_ev_name(ev));
	fprintf(tl, ",\"ph\":\"i\",\"s\":\"t\",\"pid\":1,\"tid\":%d,\"ts\":%" PRIu64
		",\"args\":%s}", sim_rt.cur ? sim_rt.cur->id : 0, step, sim_ev_json(ev));
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
		fprintf(tl, ",\"ph\":\"i\",\"s\":\"g\",\"pid\":1,\"tid\":0,\"ts\":%" PRIu64
			",\"args\":{\"message\":", step);
		put_json_str(message);
		fputs("}}", tl);
	}
	fputs("\n],\"displayTimeUnit\":\"ns\"}\n", tl);
	fclose(tl);
	tl = NULL;
}

static void timeline_atexit(void)
{
	timeline_close(NULL, NULL, NULL);
}

void sim_finish_outputs(void)
{
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
