// SPDX-License-Identifier: MIT
/*
 * --report FILE.html (run, compare): one self-contained HTML file, no
 * network resources.  It is composed from what the run already writes
 * (one event model): the --explain narration, folded at each entry point
 * (a KVM_RUN exit, an EPT violation, an ioctl) with the fault path inside;
 * the --timeline JSON, drawn by a few lines of inline script as actors
 * across virtual time with the wake-up flows; the manifest's checks; and
 * for compare the table, the rows that differ highlighted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/compare.h"
#include "kvmsim/version.h"

static struct {
	const char *path;
	char narration[64], timeline[64];
	/* where the user asked for them too ("" none, "-" stderr) */
	char user_explain[PATH_MAX], user_timeline[PATH_MAX];
} rep;

static void temp_file(char *buf, size_t len, const char *what)
{
	int fd;

	snprintf(buf, len, "/tmp/kvmsim-report-%s-XXXXXX", what);
	fd = mkstemp(buf);
	if (fd < 0) {
		fprintf(stderr, "kvmsim: --report: a temporary file: %s\n", strerror(errno));
		exit(KVMSIM_EXIT_USAGE);
	}
	close(fd);
}

/* Before the run: the narration and timeline go to files the report reads. */
void report_setup(const char *path, bool narrate)
{
	const char *e = getenv("KVMSIM_EXPLAIN"), *t = getenv("KVMSIM_TIMELINE");

	rep.path = path;
	if (!narrate)
		return;		/* compare: the table is the report */
	snprintf(rep.user_explain, sizeof(rep.user_explain), "%s",
		 !e ? "" : !strcmp(e, "1") ? "-" : e);
	snprintf(rep.user_timeline, sizeof(rep.user_timeline), "%s", t ? t : "");
	temp_file(rep.narration, sizeof(rep.narration), "explain");
	setenv("KVMSIM_EXPLAIN", rep.narration, 1);
	if (t) {
		snprintf(rep.timeline, sizeof(rep.timeline), "%s", "");
	} else {
		temp_file(rep.timeline, sizeof(rep.timeline), "timeline");
		setenv("KVMSIM_TIMELINE", rep.timeline, 1);
	}
}

static void html_text(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n && s[i]; i++) {
		switch (s[i]) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(s[i], f);
		}
	}
}

/*
 * The depth of a narration line: "%-9s " then two blanks a level (a
 * longer actor name pushes the text right by its extra length).
 */
static int line_depth(const char *line)
{
	int actor = (int)strcspn(line, " \n"), text = actor;

	while (line[text] == ' ')
		text++;
	text -= (actor > 9 ? actor : 9) + 1;
	return text > 0 ? text / 2 : 0;
}

/*
 * The narration folded: every depth-0 line is a <details> whose body is
 * the deeper lines after it.  The user's --explain still gets the text.
 */
static void write_narration(FILE *f, const char *text)
{
	FILE *copy = NULL;
	bool open = false;
	int entries = 0;

	if (!strcmp(rep.user_explain, "-"))
		copy = stderr;
	else if (rep.user_explain[0])
		copy = fopen(rep.user_explain, "we");
	if (copy)
		fputs(text, copy);
	if (copy && copy != stderr)
		fclose(copy);
	fputs("<section id=\"narration\"><h2>Narration</h2>\n", f);
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");

		if (!line_depth(p)) {
			fprintf(f, "%s<details class=\"entry\"><summary>", open ? "</pre></details>\n" : "");
			html_text(f, p, n);
			fputs("</summary><pre>", f);
			open = true;
			entries++;
		} else {
			html_text(f, p, n);
			fputc('\n', f);
		}
		p += n + (p[n] == '\n');
	}
	fprintf(f, "%s<p class=\"count\">%d entries</p></section>\n", open ? "</pre></details>\n" : "",
		entries);
}

/* The timeline JSON inline, drawn by the script below. */
static void write_timeline(FILE *f, const char *json)
{
	fputs("<section id=\"timeline\"><h2>Timeline</h2>\n"
	      "<p>actors across virtual time (ns, plus 1 ns a step); arrows: who woke whom</p>\n"
	      "<svg id=\"tl\" xmlns=\"http://www.w3.org/2000/svg\"></svg>\n"
	      "<script type=\"application/json\" id=\"tl-data\">", f);
	/* "</" cannot end the script element early: JSON allows "<\/" */
	for (const char *p = json; *p; p++) {
		if (p[0] == '<' && p[1] == '/')
			fputs("<\\", f);
		else
			fputc(*p, f);
	}
	fputs("</script></section>\n", f);
}

static const char style[] =
	"body{font-family:sans-serif;margin:1em 2em}pre{margin:0 0 0 2em;font-size:12px}"
	"summary{font-family:monospace;font-size:12px;white-space:pre;cursor:pointer}"
	"table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:2px 6px}"
	"tr.differs td{background:#fff3c4}.fail{color:#b00;font-weight:bold}.ok{color:#070}"
	"svg text{font-size:11px;font-family:monospace}";

/* Draws the Chrome trace events: X slices per tid, s/f flows as lines. */
static const char script[] =
	"(function(){var el=document.getElementById('tl-data');if(!el)return;"
	"var ev=JSON.parse(el.textContent).traceEvents,svg=document.getElementById('tl');"
	"var ns='http://www.w3.org/2000/svg',names={},tids=[],end=0;"
	"ev.forEach(function(e){if(e.ph=='M'&&e.name=='thread_name')names[e.tid]=e.args.name;"
	"if(e.ph=='X'){if(tids.indexOf(e.tid)<0)tids.push(e.tid);end=Math.max(end,e.ts+e.dur);}});"
	"tids.sort(function(a,b){return a-b});var W=1000,L=110,H=18,sx=(W-L)/(end||1);"
	"svg.setAttribute('width',W);svg.setAttribute('height',tids.length*H+10);"
	"function mk(t,a){var n=document.createElementNS(ns,t);for(var k in a)n.setAttribute(k,a[k]);"
	"svg.appendChild(n);return n;}"
	"tids.forEach(function(t,i){mk('text',{x:2,y:i*H+13}).textContent=names[t]||('tid '+t);});"
	"var start={};ev.forEach(function(e){var i=tids.indexOf(e.tid);"
	"if(e.ph=='X'&&i>=0){var r=mk('rect',{x:L+e.ts*sx,y:i*H+2,width:Math.max(1,e.dur*sx),"
	"height:H-4,fill:'#6a9fd8','class':'slice'});mk('title',{}).textContent=e.name;"
	"r.appendChild(svg.lastChild);}"
	"if(e.ph=='s')start[e.id]=e;"
	"if(e.ph=='f'&&start[e.id]){var s=start[e.id],j=tids.indexOf(s.tid);if(i>=0&&j>=0)"
	"mk('line',{x1:L+s.ts*sx,y1:j*H+H/2,x2:L+e.ts*sx,y2:i*H+H/2,stroke:'#c44','class':'flow'});}"
	"});})();";

static void write_compare(FILE *f, const struct compare_table *t)
{
	fputs("<section id=\"compare\"><h2>Compare</h2><table><tr><th>rule / observable</th>", f);
	for (int c = 0; c < t->ncols; c++) {
		fputs("<th>", f);
		html_text(f, t->spec[c], SIZE_MAX);
		fputs("</th>", f);
	}
	fputs("</tr>\n", f);
	for (int r = 0; r < t->nrows; r++) {
		bool differs = false;

		for (int c = 1; c < t->ncols; c++)
			differs |= strcmp(table_value(t, r, c), table_value(t, r, 0)) != 0;
		fprintf(f, "<tr%s><td>", differs ? " class=\"differs\"" : "");
		html_text(f, t->key[r], SIZE_MAX);
		fputs("</td>", f);
		for (int c = 0; c < t->ncols; c++) {
			const char *v = table_value(t, r, c);

			fprintf(f, "<td%s>", !strcmp(v, "FAIL") ? " class=\"fail\"" : "");
			html_text(f, v, SIZE_MAX);
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table></section>\n", f);
}

/*
 * After the run: the report.  verdict: the manifest's (run) or NULL;
 * table: compare's, or NULL.  Returns 0, or 2 when it cannot be written.
 */
int report_write(const char *name, const char *verdict, const struct compare_table *t)
{
	FILE *f = fopen(rep.path, "we");
	char *text, *json;

	if (!f) {
		fprintf(stderr, "kvmsim: --report %s: %s\n", rep.path, strerror(errno));
		return KVMSIM_EXIT_USAGE;
	}
	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>kvmsim report: ", f);
	html_text(f, name, SIZE_MAX);
	fprintf(f, "</title><style>%s</style></head><body>\n<h1>kvmsim report: ", style);
	html_text(f, name, SIZE_MAX);
	fprintf(f, "</h1>\n<p id=\"meta\">kvmsim %s", KVMSIM_VERSION);
	if (getenv("KVMSIM_PROFILE")) {
		fputs(", profile ", f);
		html_text(f, getenv("KVMSIM_PROFILE"), SIZE_MAX);
	}
	fprintf(f, ", seed %s</p>\n", getenv("KVMSIM_SEED") ? getenv("KVMSIM_SEED") : "0");
	if (verdict) {
		fprintf(f, "<p id=\"verdict\" class=\"%s\">", strstr(verdict, "NOT") ? "fail" : "ok");
		html_text(f, verdict, SIZE_MAX);
		fputs("</p>\n", f);
	}
	if (t)
		write_compare(f, t);
	if (!t) {
		text = read_whole_file(rep.narration);
		json = read_whole_file(rep.timeline[0] ? rep.timeline : rep.user_timeline);
		write_narration(f, text);
		if (json[0])
			write_timeline(f, json);
		free(text);
		free(json);
		unlink(rep.narration);
		if (rep.timeline[0])
			unlink(rep.timeline);
	}
	fprintf(f, "<script>%s</script>\n</body></html>\n", script);
	if (fclose(f)) {
		fprintf(stderr, "kvmsim: --report %s: %s\n", rep.path, strerror(errno));
		return KVMSIM_EXIT_USAGE;
	}
	return KVMSIM_EXIT_OK;
}
