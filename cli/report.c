// SPDX-License-Identifier: MIT
/*
 * --report FILE.html (run, compare): one self-contained HTML file, no
 * network resources.  It is composed from what the run already writes
 * (one event model): the --explain narration, folded at each entry point
 * (a KVM_RUN exit, an EPT violation, an ioctl) with the fault path inside;
 * the --timeline JSON, drawn by a few lines of inline script as actors
 * across virtual time with the wake-up flows; the faults, from the
 * trace's walk and stage-2 events (--explain-walk=fault is turned on
 * unless asked otherwise): for the fault picked in the page, the guest's
 * page-table walk entry by entry and what stage 2 did for each page it
 * touched; the manifest's checks; and for compare the table, the rows
 * that differ highlighted.
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
	char narration[64], timeline[64], trace[64];
	/* where the user asked for them too ("" none, "-" stderr) */
	char user_explain[PATH_MAX], user_timeline[PATH_MAX], user_trace[PATH_MAX];
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
	/* the fault diagrams read the trace: the user's, or one of ours */
	e = getenv("KVMSIM_TRACE");
	snprintf(rep.user_trace, sizeof(rep.user_trace), "%s", e ? e : "");
	if (!e) {
		temp_file(rep.trace, sizeof(rep.trace), "trace");
		setenv("KVMSIM_TRACE", rep.trace, 1);
	}
	setenv("KVMSIM_EXPLAIN_WALK", "fault", 0);
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

/* The trace events the fault diagrams are drawn from. */
static const char *const fault_events[] = {
	"kvm_mmu_pagetable_walk", "kvm_mmu_paging_element", "kvm_mmu_set_accessed_bit",
	"kvm_mmu_set_dirty_bit", "kvm_mmu_walker_error", "walk_addr_generic",
	"walk_s1", "walk_s1_desc", "walk_s1_result",
	"handle_ept_violation", "kvm_inject_page_fault", "stage1_fault", "inject_abt64",
	"kvm_mmu_page_fault", "kvm_tdp_mmu_map", "kvm_handle_noslot_fault", "kvm_mmio",
	"kvm_handle_guest_abort", "user_mem_abort", "kvm_pgtable_stage2_map",
	"kvm_pgtable_stage2_relax_perms", "io_mem_abort", "handle_userfault",
	"kvm_prepare_memory_fault_exit", "kvm_vcpu_ioctl_run_return",
};

static bool fault_event(const char *line, size_t n)
{
	char key[80];

	for (size_t i = 0; i < sizeof(fault_events) / sizeof(fault_events[0]); i++) {
		snprintf(key, sizeof(key), "\"event\":\"%s\"", fault_events[i]);
		if (memmem(line, n, key, strlen(key)))
			return true;
	}
	return false;
}

/* Those events of the trace (JSON Lines) as one JSON array, inline. */
static void write_faults(FILE *f, const char *jsonl)
{
	bool first = true;

	fputs("<section id=\"faults\"><h2>Faults</h2>\n"
	      "<p>the guest's page-table walk and what stage 2 did, for one fault: "
	      "<select id=\"fault-pick\"></select></p>\n"
	      "<div id=\"walk\"></div><div id=\"stage2\"></div>\n"
	      "<script type=\"application/json\" id=\"faults-data\">[", f);
	for (const char *p = jsonl; *p;) {
		size_t n = strcspn(p, "\n");

		if (!strncmp(p, "{\"seq\":", 7) && fault_event(p, n)) {
			if (!first)
				fputs(",\n", f);
			first = false;
			for (size_t i = 0; i < n; i++) {
				if (p[i] == '<' && p[i + 1] == '/')
					fputs("<\\", f);
				else
					fputc(p[i], f);
			}
		}
		p += n + (p[n] == '\n');
	}
	fputs("]</script></section>\n", f);
}

static const char style[] =
	"body{font-family:sans-serif;margin:1em 2em}pre{margin:0 0 0 2em;font-size:12px}"
	"summary{font-family:monospace;font-size:12px;white-space:pre;cursor:pointer}"
	"table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:2px 6px}"
	"tr.differs td{background:#fff3c4}.fail{color:#b00;font-weight:bold}.ok{color:#070}"
	"svg text{font-size:11px;font-family:monospace}"
	".pt{display:flex;flex-wrap:wrap;align-items:center;font-family:monospace;font-size:12px}"
	".pte{border:1px solid #888;border-radius:4px;padding:4px 6px;margin:4px;background:#f4f8ff}"
	".pte.fault{background:#ffe0e0}.pte .set{color:#070;font-weight:bold}.arrow{margin:0 2px}"
	"#stage2 td{font-family:monospace}";

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
	"});})();"
	/* the faults: one story per walk made for a fault, until the next */
	"(function(){var el=document.getElementById('faults-data');if(!el)return;"
	"var ev=JSON.parse(el.textContent),cur={},faults=[];"
	"var WALK=/^(kvm_mmu_pagetable_walk|kvm_mmu_paging_element|kvm_mmu_set_accessed_bit|"
	"kvm_mmu_set_dirty_bit|kvm_mmu_walker_error|walk_addr_generic|walk_s1|walk_s1_desc|walk_s1_result)$/;"
	"var ENTRY=/^(handle_ept_violation|kvm_inject_page_fault|stage1_fault|kvm_handle_guest_abort)$/;"
	"ev.forEach(function(e){var a=e.actor;"
	"if((e.event=='kvm_mmu_pagetable_walk'||e.event=='walk_s1')&&e.by=='fault'){"
	"cur[a]={walk:[e],s2:[],entry:null};faults.push(cur[a]);return;}"
	"var c=cur[a];if(!c)return;if(e.event=='kvm_vcpu_ioctl_run_return'){cur[a]=null;return;}"
	"if(WALK.test(e.event))c.walk.push(e);"
	"else{if(!c.entry&&ENTRY.test(e.event)&&e.access!='s1ptw')c.entry=e;c.s2.push(e);}});"
	"faults=faults.filter(function(f){return f.entry;});"
	"var pick=document.getElementById('fault-pick'),W=document.getElementById('walk'),"
	"S=document.getElementById('stage2');"
	"function h(v){return v===undefined?'':String(v);}"
	/* what an entry says, as the narration decodes it */
	"function bit(v,n){return Number(BigInt(v)>>BigInt(n)&1n);}"
	"function flags(x86,v,l){if(x86){var r=[];[[0,'P'],[1,'W'],[2,'U'],[5,'A'],[6,'D'],[7,'PS'],"
	"[63,'NX']].forEach(function(b){if(bit(v,b[0]))r.push(b[1]);});"
	"return r.join(' ')+(bit(v,0)?'':' not present');}"
	"if(!bit(v,0))return 'invalid';if(l<3&&bit(v,1))return 'table';"
	"return (l==3?'page':'block')+(bit(v,10)?' AF':' no AF')+(bit(v,7)?' RO':' RW')+(bit(v,6)?' EL0':'');}"
	"function title(f){var e=f.entry,w=f.walk[0];"
	"if(e.event=='handle_ept_violation')return 'EPT violation: '+e.access+' gva '+e.gva+' -> gpa '+e.gpa;"
	"if(e.event=='kvm_inject_page_fault')return '#PF to the guest: gva '+e.gva+' error code '+e.error_code;"
	"if(e.event=='stage1_fault')return 'stage-1 abort to the guest: va '+e.va+' fsc '+e.fsc;"
	"return 'stage-2 abort: '+e.access+' va '+e.va+' -> ipa '+e.ipa;}"
	"faults.forEach(function(f,i){var o=document.createElement('option');o.value=i;"
	"o.textContent=(i+1)+'. '+f.entry.actor+': '+title(f);pick.appendChild(o);});"
	"function box(parent,cls,text){var d=document.createElement('div');d.className=cls;"
	"d.textContent=text;parent.appendChild(d);return d;}"
	"function draw(i){var f=faults[i];W.textContent='';S.textContent='';if(!f)return;"
	"var w0=f.walk[0],x86=w0.event=='kvm_mmu_pagetable_walk';"
	"box(W,'caption','Stage 1: '+(x86?'gva '+w0.gva+' ('+w0.access+') from CR3 '+w0.cr3:"
	"'va '+w0.va+' ('+w0.access+') from TTBR '+w0.ttbr));"
	"var pt=box(W,'pt','');box(pt,'pte root',x86?'CR3 '+w0.cr3:'TTBR '+w0.ttbr);"
	"var byGpa={};f.walk.forEach(function(e){"
	"if(e.event=='kvm_mmu_paging_element'||e.event=='walk_s1_desc'){box(pt,'arrow','\u2192');"
	"var v=e.pte||e.desc,b=box(pt,'pte','L'+e.level+' @'+(e.pte_gpa||e.desc_ipa)+' = '+v+' ['+"
	"flags(x86,v,e.level)+']');"
	"b.setAttribute('data-level',e.level);byGpa[e.pte_gpa]=b;}"
	"if(e.event=='kvm_mmu_set_accessed_bit'||e.event=='kvm_mmu_set_dirty_bit'){var t=byGpa[e.pte_gpa];"
	"if(t){var s=document.createElement('span');s.className='set';"
	"s.textContent=e.event=='kvm_mmu_set_dirty_bit'?' D set':' A set';t.appendChild(s);}}"
	"if(e.event=='walk_addr_generic'||e.event=='walk_s1_result'){box(pt,'arrow','\u2192');"
	"box(pt,'pte leaf',e.gpa?'gpa '+e.gpa+' ('+e.page_size+' page)':e.ipa?'ipa '+e.ipa+' ('+e.size+')':"
	"e.fsc?'fault fsc '+e.fsc+' at level '+e.level:'table '+(e.table_gpa||e.s1ptw_ipa)+' not in stage 2');}"
	"if(e.event=='kvm_mmu_walker_error'){box(pt,'arrow','\u2192');"
	"box(pt,'pte leaf fault','#PF error code '+e.pferr+' at level '+e.level);}});"
	"box(S,'caption','Stage 2: what KVM did for each page');"
	"var tb=document.createElement('table');S.appendChild(tb);"
	"var hr=document.createElement('tr');tb.appendChild(hr);"
	"function gfn(a){return a?String(BigInt(a)>>12n):'';}"
	"var last=f.walk[f.walk.length-1],page=gfn(last.gpa||last.ipa),tables={};"
	"f.walk.forEach(function(e){if(e.pte_gpa||e.desc_ipa)tables[gfn(e.pte_gpa||e.desc_ipa)]=e.level;});"
	"function what(e){var g=gfn(e.gpa||e.ipa);if(!g)return '';"
	"if(tables[g]!==undefined&&g!=page)return 'level-'+tables[g]+' table';"
	"return g==page?'the accessed page':'';}"
	"['event','gpa / ipa','for','level','writable','detail'].forEach(function(c){"
	"var th=document.createElement('th');th.textContent=c;hr.appendChild(th);});"
	"f.s2.forEach(function(e){var tr=document.createElement('tr');tr.className='s2';tb.appendChild(tr);"
	"[e.event,h(e.gpa||e.ipa),what(e),h(e.level),h(e.writable),"
	"h(e.access||e.error_code||e.insn||e.rw)].forEach(function(v){"
	"var td=document.createElement('td');td.textContent=v;tr.appendChild(td);});});}"
	"pick.onchange=function(){draw(+pick.value);};"
	"var m=/fault=(\\d+)/.exec(location.hash),i=m?Math.min(+m[1]-1,faults.length-1):0;"
	"if(faults.length){pick.value=i;draw(i);}"
	"document.getElementById('faults').setAttribute('data-faults',faults.length);})();";

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
 * After the run: the report.  verdict: the manifest's (run), the exit
 * status (replay), or NULL;
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
		bool failed = strstr(verdict, "NOT") || strstr(verdict, "oracle failed");

		fprintf(f, "<p id=\"verdict\" class=\"%s\">", failed ? "fail" : "ok");
		html_text(f, verdict, SIZE_MAX);
		fputs("</p>\n", f);
	}
	if (t)
		write_compare(f, t);
	if (!t) {
		text = read_whole_file(rep.narration);
		json = read_whole_file(rep.timeline[0] ? rep.timeline : rep.user_timeline);
		char *trace = read_whole_file(rep.trace[0] ? rep.trace : rep.user_trace);

		write_faults(f, trace);
		write_narration(f, text);
		if (json[0])
			write_timeline(f, json);
		free(trace);
		free(text);
		free(json);
		if (rep.trace[0])
			unlink(rep.trace);
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
