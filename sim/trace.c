// SPDX-License-Identifier: MIT
/*
 * Trace recorder: one JSON object per line, hashed with FNV-1a 64.
 *
 * The hash runs over the concatenation of all lines (newlines included),
 * so it equals the FNV-1a of the trace file, and it is computed whether or
 * not a file is open: runs compare by hash without paying for output.
 *
 * The file starts with one header line, {"kvmsim_trace":SCHEMA,"version":
 * "X.Y.Z","vtime":"ns"}, which is not an event: it is neither counted nor
 * hashed, so the hash of a run is the same from any kvmsim version whose
 * events are the same (and it equals the FNV-1a of the file minus that
 * first line).
 *
 * A line has a fixed size.  A field that does not fit is dropped with all
 * fields after it, and the line ends with "truncated":true, so every line
 * stays valid JSON.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kvmsim/version.h"
#include "sim/sim_internal.h"

/* the trace format: bump when a field changes meaning */
#define SIM_TRACE_SCHEMA 1
#define SIM_EV_LINE_MAX 4096
/* Room kept for ,"truncated":true} and the terminating NUL. */
#define SIM_EV_RESERVE 32
/* Head strings (actor, event) are cut to this many bytes of input. */
#define SIM_EV_HEAD_STR_MAX 256
#define SIM_EV_NAME_MAX 128

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

#define SIM_EV_MAX_FIELDS 48

struct sim_ev {
	bool open;
	bool truncated;
	size_t len;
	char event[SIM_EV_NAME_MAX];
	char line[SIM_EV_LINE_MAX];
	/* the same event as typed fields (keys and strings in pool) */
	uint64_t seq, vtime;
	const char *actor;
	int nfields;
	struct sim_ev_field fields[SIM_EV_MAX_FIELDS];
	size_t pool_len;
	char pool[SIM_EV_LINE_MAX];
};

/* A bounded writer: stops at cap - 1 and remembers that it did. */
struct sbuf {
	char *p;
	size_t len;
	size_t cap;
	bool overflow;
};

static struct sim_ev the_ev;
static char scratch[SIM_EV_LINE_MAX];
static uint64_t trace_hash = FNV_OFFSET;
static uint64_t trace_count;
static FILE *trace_file;
static bool trace_write_failed;
static bool atexit_registered;
static sim_trace_sink_fn sink_fn;
static void *sink_opaque;
/* The sink reads the_ev's buffers: it must not start another event. */
static bool in_sink;
/* Off: events are not formatted at all (no file, no sink, no hash wanted). */
static bool recording = true;
/* The placeholder handed out while not recording. */
static struct sim_ev idle_ev;

void sim_trace_set_recording(bool on)
{
	recording = on;
}

bool sim_trace_recording(void)
{
	return recording || trace_file || sink_fn || sim_timeline_on();
}

static bool idle(const struct sim_ev *ev)
{
	return ev == &idle_ev;
}

static void sb_putc(struct sbuf *b, char c)
{
	if (b->len + 1 >= b->cap) {
		b->overflow = true;
		return;
	}
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
	while (*s)
		sb_putc(b, *s++);
}

/* Never cut a UTF-8 sequence in two: back up to a lead byte. */
static size_t utf8_cut(const char *s, size_t max)
{
	size_t n;

	if (max == SIZE_MAX)
		return strlen(s);
	n = strnlen(s, max + 1);
	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/* The two-character escapes JSON has; NULL for other bytes. */
static const char *json_short_escape(unsigned char c)
{
	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\b':
		return "\\b";
	case '\f':
		return "\\f";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	default:
		return NULL;
	}
}

/* JSON string with quotes; bytes >= 0x80 pass through (UTF-8 assumed). */
static void sb_json_str(struct sbuf *b, const char *s, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, n = utf8_cut(s, max);

	sb_putc(b, '"');
	for (i = 0; i < n && !b->overflow; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = json_short_escape(c);

		if (esc) {
			sb_puts(b, esc);
		} else if (c < 0x20) {
			sb_puts(b, "\\u00");
			sb_putc(b, hex[c >> 4]);
			sb_putc(b, hex[c & 0xf]);
		} else {
			sb_putc(b, (char)c);
		}
	}
	sb_putc(b, '"');
}

static struct sbuf line_buf(struct sim_ev *ev)
{
	return (struct sbuf) {
		.p = ev->line,
		.len = ev->len,
		.cap = SIM_EV_LINE_MAX - SIM_EV_RESERVE,
	};
}

static void check_ev(const struct sim_ev *ev)
{
	SIM_BUG_ON(ev != &the_ev);
	SIM_BUG_ON(!ev->open);
}

/* A copy of s in the event's pool; NULL when the pool is full. */
static const char *pool_dup(struct sim_ev *ev, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p;

	if (ev->pool_len + n > sizeof(ev->pool))
		return NULL;
	p = ev->pool + ev->pool_len;
	memcpy(p, s, n);
	ev->pool_len += n;
	return p;
}

/* The typed field: what sinks read.  Dropped (as in the line) if no room. */
static void ev_field(struct sim_ev *ev, const char *key, enum sim_ev_kind kind, uint64_t u,
		     const char *str)
{
	struct sim_ev_field *f;

	if (ev->truncated || ev->nfields == SIM_EV_MAX_FIELDS)
		return;
	f = &ev->fields[ev->nfields];
	f->key = pool_dup(ev, key);
	f->kind = kind;
	f->u = u;
	f->s = str ? pool_dup(ev, str) : NULL;
	f->tag = false;
	if (f->key && (!str || f->s))
		ev->nfields++;
}

/*
 * Format ,"key": and the value (already rendered by the caller into
 * `value`, raw JSON) into scratch, then commit it whole or not at all.
 */
static void ev_add(struct sim_ev *ev, const char *key, const char *value)
{
	struct sbuf f = { .p = scratch, .cap = sizeof(scratch) };
	struct sbuf l;

	check_ev(ev);
	SIM_BUG_ON(!key);
	if (ev->truncated)
		return;
	sb_putc(&f, ',');
	sb_json_str(&f, key, SIZE_MAX);
	sb_putc(&f, ':');
	sb_puts(&f, value);
	l = line_buf(ev);
	if (f.overflow || l.len + f.len >= l.cap) {
		ev->truncated = true;
		return;
	}
	memcpy(ev->line + ev->len, scratch, f.len + 1);
	ev->len += f.len;
}

struct sim_ev *sim_ev_begin(const char *event)
{
	struct sim_ev *ev = &the_ev;
	struct sim_actor *self = sim_self();
	struct sbuf l;
	char num[32];

	if (!sim_trace_recording())
		return &idle_ev;
	SIM_BUG_ON(ev->open);
	SIM_BUG_ON(in_sink);
	SIM_BUG_ON(!event);
	ev->open = true;
	ev->truncated = false;
	ev->len = 0;
	ev->nfields = 0;
	ev->pool_len = 0;
	ev->seq = trace_count;
	ev->vtime = sim_now();
	ev->actor = pool_dup(ev, self ? self->name : "-");
	snprintf(ev->event, sizeof(ev->event), "%s", event);
	l = line_buf(ev);
	snprintf(num, sizeof(num), "%" PRIu64, trace_count);
	sb_puts(&l, "{\"seq\":");
	sb_puts(&l, num);
	snprintf(num, sizeof(num), "%" PRIu64, sim_now());
	sb_puts(&l, ",\"vtime\":");
	sb_puts(&l, num);
	sb_puts(&l, ",\"actor\":");
	/* Before sim_init there is no actor 0 yet. */
	sb_json_str(&l, self ? self->name : "-", SIM_EV_HEAD_STR_MAX);
	sb_puts(&l, ",\"event\":");
	sb_json_str(&l, event, SIM_EV_HEAD_STR_MAX);
	/* Head strings are capped so the head always fits. */
	SIM_BUG_ON(l.overflow);
	ev->len = l.len;
	return ev;
}

void sim_ev_hex(struct sim_ev *ev, const char *key, uint64_t v)
{
	char buf[32];

	if (idle(ev))
		return;
	snprintf(buf, sizeof(buf), "\"0x%" PRIx64 "\"", v);
	ev_field(ev, key, SIM_EV_HEX, v, NULL);
	ev_add(ev, key, buf);
}

void sim_ev_int(struct sim_ev *ev, const char *key, int64_t v)
{
	char buf[32];

	if (idle(ev))
		return;
	snprintf(buf, sizeof(buf), "%" PRId64, v);
	ev_field(ev, key, SIM_EV_INT, (uint64_t)v, NULL);
	ev_add(ev, key, buf);
}

/*
 * The escaped value is rendered into a second buffer first: ev_add
 * formats the whole field into scratch.
 */
void sim_ev_str(struct sim_ev *ev, const char *key, const char *v)
{
	static char val[SIM_EV_LINE_MAX];
	struct sbuf b = { .p = val, .cap = sizeof(val) };

	if (idle(ev))
		return;
	check_ev(ev);
	if (!v) {
		ev_field(ev, key, SIM_EV_NULL, 0, NULL);
		ev_add(ev, key, "null");
		return;
	}
	ev_field(ev, key, SIM_EV_STR, 0, v);
	sb_json_str(&b, v, SIZE_MAX);
	if (b.overflow) {
		ev->truncated = true;
		return;
	}
	ev_add(ev, key, val);
}

void sim_ev_bool(struct sim_ev *ev, const char *key, bool v)
{
	if (idle(ev))
		return;
	ev_field(ev, key, SIM_EV_BOOL, v, NULL);
	ev_add(ev, key, v ? "true" : "false");
}

static void hash_bytes(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		trace_hash ^= (unsigned char)p[i];
		trace_hash *= FNV_PRIME;
	}
}

static void write_line(const char *line, size_t len)
{
	if (!trace_file)
		return;
	if (fwrite(line, 1, len, trace_file) != len && !trace_write_failed) {
		trace_write_failed = true;
		fprintf(stderr, "sim: trace write failed: %s\n",
			strerror(errno));
	}
}

static const char *tag_key;
static int64_t (*tag_fn)(void);

void sim_trace_set_tag(const char *key, int64_t (*fn)(void))
{
	tag_key = key;
	tag_fn = fn;
}

void sim_ev_end(struct sim_ev *ev)
{
	int64_t tag;

	if (idle(ev))
		return;
	if (tag_fn && !sim_ev_find(ev, tag_key) && (tag = tag_fn()) >= 0) {
		int n = ev->nfields;

		sim_ev_int(ev, tag_key, tag);
		if (ev->nfields > n)
			ev->fields[n].tag = true;
	}
	check_ev(ev);
	if (ev->truncated) {
		/* The reserve guarantees room for this. */
		memcpy(ev->line + ev->len, ",\"truncated\":true",
		       sizeof(",\"truncated\":true"));
		ev->len += sizeof(",\"truncated\":true") - 1;
	}
	ev->line[ev->len++] = '}';
	ev->line[ev->len++] = '\n';
	ev->line[ev->len] = '\0';
	hash_bytes(ev->line, ev->len);
	write_line(ev->line, ev->len);
	trace_count++;
	ev->line[--ev->len] = '\0';
	ev->open = false;
	sim_timeline_event(ev);
	if (sink_fn) {
		in_sink = true;
		sink_fn(ev, sink_opaque);
		in_sink = false;
	}
}

const char *sim_ev_name(const struct sim_ev *ev)
{
	return ev->event;
}

const char *sim_ev_actor(const struct sim_ev *ev)
{
	return ev->actor ? ev->actor : "-";
}

uint64_t sim_ev_seq(const struct sim_ev *ev)
{
	return ev->seq;
}

uint64_t sim_ev_vtime(const struct sim_ev *ev)
{
	return ev->vtime;
}

const char *sim_ev_json(const struct sim_ev *ev)
{
	return ev->line;
}

int sim_ev_nfields(const struct sim_ev *ev)
{
	return ev->nfields;
}

const struct sim_ev_field *sim_ev_field(const struct sim_ev *ev, int i)
{
	return i >= 0 && i < ev->nfields ? &ev->fields[i] : NULL;
}

const struct sim_ev_field *sim_ev_find(const struct sim_ev *ev, const char *key)
{
	for (int i = 0; i < ev->nfields; i++)
		if (!strcmp(ev->fields[i].key, key))
			return &ev->fields[i];
	return NULL;
}

uint64_t sim_trace_hash(void)
{
	return trace_hash;
}

uint64_t sim_trace_count(void)
{
	return trace_count;
}

void sim_trace_set_sink(sim_trace_sink_fn fn, void *opaque)
{
	sink_fn = fn;
	sink_opaque = opaque;
}

void sim_trace_flush(void)
{
	if (trace_file)
		fflush(trace_file);
}

void sim_trace_close(void)
{
	if (!trace_file)
		return;
	if (fclose(trace_file) != 0 && !trace_write_failed)
		fprintf(stderr, "sim: trace close failed: %s\n",
			strerror(errno));
	trace_file = NULL;
}

/*
 * In a forked child: the trace file is the parent's (flushed before the
 * fork, so closing writes nothing) and so are the sinks; the child's
 * events are not recorded.
 */
void sim_trace_after_fork(void)
{
	if (trace_file)
		fclose(trace_file);
	trace_file = NULL;
	sink_fn = NULL;
	recording = false;
}

static void trace_atexit(void)
{
	sim_trace_close();
}

int sim_trace_open(const char *path)
{
	FILE *f;

	SIM_BUG_ON(!path);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "{\"kvmsim_trace\":%d,\"version\":\"%s\",\"vtime\":\"ns\"}\n",
		SIM_TRACE_SCHEMA, KVMSIM_VERSION);
	sim_trace_close();
	trace_file = f;
	trace_write_failed = false;
	if (!atexit_registered) {
		atexit(trace_atexit);
		atexit_registered = true;
	}
	return 0;
}

void sim_trace_reset(void)
{
	the_ev.open = false;
	in_sink = false;
	trace_hash = FNV_OFFSET;
	trace_count = 0;
}
