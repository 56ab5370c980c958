/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The last words of the previous boot: its time span, event counts by
 * type, lost events, and per CPU the last N events formatted as trace-cmd
 * report does. One pass over the file counts and remembers where the last
 * N records of each CPU are; only those are read again and formatted.
 *
 * The data is the previous boot's but the stored kallsyms and pid->comm
 * information are not: addresses are shifted by the difference of the two
 * boots' kernel text (LAST_BOOT_INFO against the stored _text), and comms
 * come from the trace's own sched_switch/sched_wakeup fields.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <trace-cmd.h>

#include "bootrace-local.h"
#include "report-event.h"
#include "tracedat.h"

#define MAX_EVENT_ID 65536

struct ring {
	unsigned long long *offsets;
	unsigned int n, head;
};

struct pass {
	struct bootrace_report *rep;
	struct tep_handle *tep;
	unsigned int last;
	struct ring *rings;
	unsigned long long *counts;	/* by event id */
	struct tep_event *sched_switch, *sched_wakeup, *sched_waking;
	struct tep_event *printk_console;
};

struct shift {
	struct tep_handle *lookup;	/* the stored kallsyms, unshifted */
	unsigned long long text, end;	/* of the stored kernel */
	unsigned long long delta;	/* previous boot's _text - stored _text */
};

static void note_comm(struct pass *p, struct tep_event *ev, struct tep_record *rec,
		      const char *comm_field, const char *pid_field)
{
	unsigned long long pid;
	const char *comm;
	char name[17];
	int len;

	comm = tep_get_field_raw(NULL, ev, comm_field, rec, &len, 0);
	if (!comm || tep_get_field_val(NULL, ev, pid_field, rec, &pid, 0) || !pid)
		return;
	snprintf(name, sizeof(name), "%.*s", len, comm);
	tep_override_comm(p->tep, name, (int)pid);
}

static int count_record(struct tracecmd_input *handle, struct tep_record *rec,
			int cpu, void *data)
{
	struct pass *p = data;
	struct bootrace_report *rep = p->rep;
	struct bootrace_report_cpu *c;
	struct tep_event *ev;
	int id;

	if (cpu < 0 || cpu >= rep->nr_cpus)
		return 0;
	c = &rep->cpus[cpu];
	if (!c->records++)
		c->first_ns = rec->ts;
	c->last_ns = rec->ts;
	if (!rep->records++ || rec->ts < rep->first_ns)
		rep->first_ns = rec->ts;
	if (rec->ts > rep->last_ns)
		rep->last_ns = rec->ts;
	if (rec->missed_events) {
		rep->missed_markers++;
		if (rec->missed_events > 0)
			rep->missed += rec->missed_events;
	}
	id = tep_data_type(p->tep, rec);
	if (id >= 0 && id < MAX_EVENT_ID)
		p->counts[id]++;
	ev = tep_find_event(p->tep, id);
	if (ev && ev == p->sched_switch) {
		note_comm(p, ev, rec, "prev_comm", "prev_pid");
		note_comm(p, ev, rec, "next_comm", "next_pid");
	} else if (ev && (ev == p->sched_wakeup || ev == p->sched_waking)) {
		note_comm(p, ev, rec, "comm", "pid");
	} else if (ev && ev == p->printk_console) {
		br_report_note_console(rep, p->tep, ev, rec);
	}
	if (p->last) {
		struct ring *r = &p->rings[cpu];

		r->offsets[r->head] = rec->offset;
		r->head = (r->head + 1) % p->last;
		if (r->n < p->last)
			r->n++;
	}
	return 0;
}

static int cmp_count(const void *a, const void *b)
{
	const struct bootrace_event_count *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int collect_types(struct pass *p)
{
	struct bootrace_report *rep = p->rep;
	int nr = 0;

	for (int id = 0; id < MAX_EVENT_ID; id++)
		nr += p->counts[id] != 0;
	rep->types = calloc(nr ? nr : 1, sizeof(*rep->types));
	if (!rep->types)
		return -ENOMEM;
	for (int id = 0; id < MAX_EVENT_ID; id++) {
		struct bootrace_event_count *t;
		struct tep_event *ev;

		if (!p->counts[id])
			continue;
		t = &rep->types[rep->nr_types++];
		ev = tep_find_event(p->tep, id);
		if (ev)
			snprintf(t->name, sizeof(t->name), "%s:%s", ev->system, ev->name);
		else
			snprintf(t->name, sizeof(t->name), "unknown:%d", id);
		t->count = p->counts[id];
	}
	qsort(rep->types, rep->nr_types, sizeof(*rep->types), cmp_count);
	return 0;
}

/* "<comm>-<pid> [<cpu>] <secs>.<usecs>: <name>: <info>", as trace-cmd report. */
static char *format_record(struct tep_handle *tep, struct tep_record *rec)
{
	struct tep_event *ev = tep_find_event_by_record(tep, rec);
	struct trace_seq s;
	char name[136], *text = NULL;

	snprintf(name, sizeof(name), "%s:", ev ? ev->name : "unknown");
	trace_seq_init(&s);
	tep_print_event(tep, &s, rec, "%16s-%-5d [%03d] %6.1000d:",
			TEP_PRINT_COMM, TEP_PRINT_PID, TEP_PRINT_CPU, TEP_PRINT_TIME);
	trace_seq_printf(&s, " %-20s ", name);
	tep_print_event(tep, &s, rec, "%s", TEP_PRINT_INFO);
	trace_seq_terminate(&s);
	if (s.state == TRACE_SEQ__GOOD) {
		text = strdup(s.buffer);
		/* trace_marker payloads end in a newline: one event, one line. */
		if (text)
			br_strip(text);
	}
	trace_seq_destroy(&s);
	return text;
}

/* The last N records of each CPU, read again by offset and formatted. */
static int format_last(struct tracecmd_input *handle, struct pass *p)
{
	struct bootrace_report *rep = p->rep;

	for (int cpu = 0; cpu < rep->nr_cpus; cpu++) {
		struct ring *r = &p->rings[cpu];
		struct bootrace_report_cpu *c = &rep->cpus[cpu];
		unsigned int start = (r->head + p->last - r->n) % p->last;

		c->lines = calloc(r->n ? r->n : 1, sizeof(*c->lines));
		if (!c->lines)
			return -ENOMEM;
		for (unsigned int i = 0; i < r->n; i++) {
			struct tep_record *rec;
			int rcpu;

			rec = tracecmd_read_at(handle, r->offsets[(start + i) % p->last], &rcpu);
			if (!rec)
				continue;
			c->lines[c->nr_lines].ts = rec->ts;
			c->lines[c->nr_lines].text = format_record(p->tep, rec);
			if (c->lines[c->nr_lines].text)
				br_report_line_fields(p->tep, rec, &c->lines[c->nr_lines++]);
			tracecmd_free_record(rec);
		}
	}
	return 0;
}

/*
 * The stored kernel's _text and the end of its own symbols (modules, named
 * "[mod]" at the end of their lines, excluded; 6.18 lists no _end).
 */
static int kernel_range(const char *kallsyms, unsigned long long *text,
			unsigned long long *end)
{
	*text = *end = 0;
	for (const char *line = kallsyms; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[256], type, sym[64], mod[2];
		unsigned long long a;

		if (len >= sizeof(buf))
			continue;
		memcpy(buf, line, len);
		buf[len] = '\0';
		if (sscanf(buf, "%llx %c %63s %1s", &a, &type, sym, mod) != 3)
			continue;
		if (!strcmp(sym, "_text"))
			*text = a;
		if (a >= *end && a < ~0ULL)
			*end = a + 1;
	}
	return *text && *end > *text ? 0 : -ENOENT;
}

static char *resolve(void *priv, unsigned long long *addrp, char **modp)
{
	struct shift *s = priv;
	unsigned long long a = *addrp - s->delta;
	const char *name;

	if (a < s->text || a >= s->end)
		return NULL;
	name = tep_find_function(s->lookup, a);
	if (!name)
		return NULL;
	*addrp = tep_find_function_address(s->lookup, a) + s->delta;
	*modp = NULL;
	return (char *)name;
}

/*
 * Resolve the previous boot's addresses: trace-cmd 3.4 does the same with
 * LAST_BOOT_INFO. Without the previous boot's address, a stored kallsyms
 * or its _text, the names would be those of another kernel layout, so
 * addresses stay numbers rather than be named wrongly.
 */
static struct shift *setup_shift(const char *file, struct tep_handle *tep,
				 struct bootrace_report *rep)
{
	struct shift *s;
	char *kallsyms;

	if (!rep->prev_text || tracedat_kallsyms_read(file, &kallsyms))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s || kernel_range(kallsyms, &s->text, &s->end) ||
	    !(s->lookup = tep_alloc()) || tep_parse_kallsyms(s->lookup, kallsyms)) {
		if (s && s->lookup)
			tep_free(s->lookup);
		free(s);
		free(kallsyms);
		return NULL;
	}
	free(kallsyms);
	rep->text = s->text;
	s->delta = rep->prev_text - s->text;
	if (s->delta && tep_set_function_resolver(tep, resolve, s)) {
		tep_free(s->lookup);
		free(s);
		return NULL;
	}
	rep->shifted = true;
	return s;
}

/*
 * What libtracecmd does not expose: stats, uname, LAST_BOOT_INFO. Also the
 * guard: libtracecmd 3.1.6 crashes on a file cut inside its data.
 */
static int read_options(const char *file, struct bootrace_report *rep,
			struct bootrace_error *err)
{
	struct tracedat_options o;
	struct bootrace_last_boot lb;
	struct bootrace_cpu_stats st;
	const char *what = NULL;
	int ret;

	ret = tracedat_options_read(file, &o, &what);
	if (ret == -EINVAL)
		return br_fail(err, ret, "%s is not a complete trace.dat (bad %s)", file,
			       what ? what : "header");
	if (ret)
		return br_fail(err, ret, "cannot read %s: %s", file, strerror(-ret));
	for (int i = 0; i < o.nr_cpustats; i++) {
		if (bootrace_cpu_stats_parse(o.cpustats[i], &st))
			continue;
		rep->overrun += st.overrun;
		rep->dropped += st.dropped_events + st.commit_overrun;
	}
	if (o.last_boot_info && !bootrace_last_boot_parse(o.last_boot_info, &lb) &&
	    lb.kind == BOOTRACE_LAST_BOOT_ADDRESS)
		rep->prev_text = lb.kernel_addr;
	rep->uname = o.uname;
	rep->instance = o.last_boot_instance;
	o.uname = o.last_boot_instance = NULL;
	tracedat_options_clear(&o);
	return 0;
}

static int setup_pass(struct pass *p, struct tracecmd_input *handle, unsigned int last)
{
	struct bootrace_report *rep = p->rep;

	p->tep = tracecmd_get_tep(handle);
	p->last = last;
	rep->nr_cpus = tep_get_cpus(p->tep);
	rep->cpus = calloc(rep->nr_cpus ? rep->nr_cpus : 1, sizeof(*rep->cpus));
	p->rings = calloc(rep->nr_cpus ? rep->nr_cpus : 1, sizeof(*p->rings));
	p->counts = calloc(MAX_EVENT_ID, sizeof(*p->counts));
	if (!rep->cpus || !p->rings || !p->counts)
		return -ENOMEM;
	for (int cpu = 0; last && cpu < rep->nr_cpus; cpu++) {
		p->rings[cpu].offsets = calloc(last, sizeof(*p->rings[cpu].offsets));
		if (!p->rings[cpu].offsets)
			return -ENOMEM;
	}
	p->sched_switch = tep_find_event_by_name(p->tep, "sched", "sched_switch");
	p->sched_wakeup = tep_find_event_by_name(p->tep, "sched", "sched_wakeup");
	p->sched_waking = tep_find_event_by_name(p->tep, "sched", "sched_waking");
	p->printk_console = tep_find_event_by_name(p->tep, "printk", "console");
	return 0;
}

static void free_pass(struct pass *p)
{
	for (int cpu = 0; p->rings && cpu < p->rep->nr_cpus; cpu++)
		free(p->rings[cpu].offsets);
	free(p->rings);
	free(p->counts);
}

int bootrace_report_read(struct bootrace_ctx *ctx, const struct bootrace_report_opts *opts,
			 struct bootrace_report *rep, struct bootrace_error *err)
{
	struct tracecmd_input *handle;
	struct pass p = { .rep = rep };
	struct shift *shift = NULL;
	int ret;

	memset(rep, 0, sizeof(*rep));
	ret = read_options(opts->file, rep, err);
	if (ret)
		goto input;
	handle = tracecmd_open(opts->file, TRACECMD_FL_LOAD_NO_PLUGINS);
	if (!handle) {
		ret = br_fail(err, -EINVAL, "libtracecmd cannot read %s: not a trace.dat?", opts->file);
		goto input;
	}
	ret = setup_pass(&p, handle, opts->last);
	if (!ret) {
		shift = setup_shift(opts->file, p.tep, rep);
		tracecmd_iterate_events(handle, NULL, 0, count_record, &p);
		rep->has_span = rep->records > 0;
		rep->lost = rep->overrun + rep->dropped + rep->missed;
		ret = collect_types(&p);
	}
	if (!ret && opts->last)
		ret = format_last(handle, &p);
	free_pass(&p);
	if (shift) {
		tep_reset_function_resolver(p.tep);
		tep_free(shift->lookup);
		free(shift);
	}
	tracecmd_close(handle);
	if (ret) {
		bootrace_report_clear(rep);
		return br_fail(err, ret, "cannot read %s: %s", opts->file, strerror(-ret));
	}
	return 0;
input:
	bootrace_report_clear(rep);
	if (err)
		err->origin = BOOTRACE_ERROR_INPUT;
	return ret;
}

void bootrace_report_clear(struct bootrace_report *rep)
{
	for (int cpu = 0; rep->cpus && cpu < rep->nr_cpus; cpu++) {
		for (int i = 0; i < rep->cpus[cpu].nr_lines; i++) {
			free(rep->cpus[cpu].lines[i].text);
			br_report_line_fields_clear(&rep->cpus[cpu].lines[i]);
		}
		free(rep->cpus[cpu].lines);
	}
	free(rep->cpus);
	free(rep->types);
	free(rep->uname);
	free(rep->instance);
	memset(rep, 0, sizeof(*rep));
}
