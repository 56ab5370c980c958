/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The last words of the previous boot: its time span, event counts by
 * type, lost events, and per CPU the last N events formatted as trace-cmd
 * report does, from every buffer of the file (a trace-cmd -B NAME file
 * keeps them in a named one). One pass over the file counts and remembers
 * where the last N records of each CPU are; only those are read again and
 * formatted.
 *
 * The file is checked first (tracedat_check()); libtracecmd and
 * libtraceevent then run in a sandboxed child (sandbox.c), which sends the
 * report back encoded, so a file they choke on is a "corrupt file" error.
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
#include "decode-check.h"
#include "report-event.h"
#include "report-local.h"
#include "sandbox.h"
#include "trace-input.h"
#include "tracedat-reader.h"

#define MAX_EVENT_ID 65536

/* The last N records of one CPU of one buffer. */
struct ring {
	struct report_mark *marks;
	unsigned int n, head;
};

struct pass {
	struct bootrace_report *rep;
	struct tep_handle *tep;
	unsigned int last;
	int buffer;			/* the one being counted */
	struct ring *rings;		/* [buffer * nr_cpus + cpu] */
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

/*
 * Whether @rec holds every field its format names: libtraceevent reads a
 * field where the format puts it and as long as it says (a dynamic one as
 * long as the record says), so a damaged record shorter than that has it
 * read past the record, and past the page.
 */
static bool record_fits(const struct tep_event *ev, const struct tep_record *rec)
{
	const struct tep_format_field *lists[] = { ev->format.common_fields, ev->format.fields };

	for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
		for (const struct tep_format_field *f = lists[i]; f; f = f->next) {
			unsigned long long loc, at;

			if (f->offset < 0 || f->size < 0 || f->offset + f->size > rec->size)
				return false;
			if (!(f->flags & TEP_FIELD_IS_DYNAMIC))
				continue;
			if (f->size != 4)
				return false;
			loc = tep_read_number(ev->tep, (char *)rec->data + f->offset, 4);
			at = (loc & 0xffff) + (f->flags & TEP_FIELD_IS_RELATIVE ? f->offset + 4 : 0);
			if (at + (loc >> 16) > (unsigned long long)rec->size)
				return false;
		}
	}
	return true;
}

/*
 * Whether the divisor @arg of a '/' or '%' in a print format is 0 for
 * @rec: libtraceevent divides without looking, and a format damaged into
 * "REC->gr/up_dead" (a word it takes as 0) kills the reader with SIGFPE.
 * A number, or a field read from the record; anything else is left to it.
 */
static bool zero_divisor(struct tep_event *ev, const struct tep_record *rec,
			 const struct tep_print_arg *arg)
{
	const struct tep_format_field *f;
	unsigned long long v;

	while (arg && arg->type == TEP_PRINT_TYPE)
		arg = arg->typecast.item;
	if (!arg)
		return true;
	switch (arg->type) {
	case TEP_PRINT_ATOM:
		/* As libtraceevent reads it: strtoull(atom, NULL, 0). */
		return !arg->atom.atom || !strtoull(arg->atom.atom, NULL, 0);
	case TEP_PRINT_FIELD:
		f = tep_find_any_field(ev, arg->field.name);
		/* Not found: libtraceevent warns and takes 0. */
		if (!f || f->offset < 0 || f->size <= 0 || f->size > 8 ||
		    f->offset + f->size > rec->size)
			return true;
		v = tep_read_number(ev->tep, (char *)rec->data + f->offset, f->size);
		return !v;
	default:
		return false;
	}
}

/* Whether a print argument of @ev, or one inside it, divides by 0 for @rec. */
static bool divides_by_zero(struct tep_event *ev, const struct tep_record *rec,
			    const struct tep_print_arg *arg, int depth)
{
	/* libtraceevent's own parser limits the nesting; so does this walk. */
	if (depth > 64)
		return true;
	for (; arg; arg = arg->next) {
		switch (arg->type) {
		case TEP_PRINT_OP:
			if (arg->op.op && (!strcmp(arg->op.op, "/") || !strcmp(arg->op.op, "%")) &&
			    zero_divisor(ev, rec, arg->op.right))
				return true;
			if (divides_by_zero(ev, rec, arg->op.left, depth + 1) ||
			    divides_by_zero(ev, rec, arg->op.right, depth + 1))
				return true;
			break;
		case TEP_PRINT_TYPE:
			if (divides_by_zero(ev, rec, arg->typecast.item, depth + 1))
				return true;
			break;
		case TEP_PRINT_FUNC:
			if (divides_by_zero(ev, rec, arg->func.args, depth + 1))
				return true;
			break;
		case TEP_PRINT_FLAGS:
			if (divides_by_zero(ev, rec, arg->flags.field, depth + 1))
				return true;
			break;
		case TEP_PRINT_SYMBOL:
			if (divides_by_zero(ev, rec, arg->symbol.field, depth + 1))
				return true;
			break;
		case TEP_PRINT_HEX:
		case TEP_PRINT_HEX_STR:
			if (divides_by_zero(ev, rec, arg->hex.field, depth + 1) ||
			    divides_by_zero(ev, rec, arg->hex.size, depth + 1))
				return true;
			break;
		case TEP_PRINT_INT_ARRAY:
			if (divides_by_zero(ev, rec, arg->int_array.field, depth + 1) ||
			    divides_by_zero(ev, rec, arg->int_array.count, depth + 1) ||
			    divides_by_zero(ev, rec, arg->int_array.el_size, depth + 1))
				return true;
			break;
		default:
			break;
		}
	}
	return false;
}

static int count_record(struct tracecmd_input *handle, struct tep_record *rec,
			int cpu, void *data)
{
	struct pass *p = data;
	struct bootrace_report *rep = p->rep;
	struct bootrace_report_cpu *c;
	struct tep_event *ev;
	int id;

	cpu = rec->cpu;
	if (cpu < 0 || cpu >= rep->nr_cpus)
		return 0;
	c = &rep->cpus[cpu];
	if (!c->records++ || rec->ts < c->first_ns)
		c->first_ns = rec->ts;
	if (rec->ts > c->last_ns)
		c->last_ns = rec->ts;
	if (!rep->records++ || rec->ts < rep->first_ns)
		rep->first_ns = rec->ts;
	if (rec->ts > rep->last_ns)
		rep->last_ns = rec->ts;
	rep->buffers[p->buffer].records++;
	if (rec->missed_events) {
		rep->missed_markers++;
		if (rec->missed_events > 0)
			rep->missed += rec->missed_events;
	}
	id = tep_data_type(p->tep, rec);
	if (id >= 0 && id < MAX_EVENT_ID)
		p->counts[id]++;
	ev = tep_find_event(p->tep, id);
	if (ev && !record_fits(ev, rec))
		ev = NULL;
	if (ev && ev == p->sched_switch) {
		note_comm(p, ev, rec, "prev_comm", "prev_pid");
		note_comm(p, ev, rec, "next_comm", "next_pid");
	} else if (ev && (ev == p->sched_wakeup || ev == p->sched_waking)) {
		note_comm(p, ev, rec, "comm", "pid");
	} else if (ev && ev == p->printk_console) {
		br_report_note_console(rep, p->tep, ev, rec);
	}
	if (p->last) {
		struct ring *r = &p->rings[p->buffer * rep->nr_cpus + cpu];

		r->marks[r->head] = (struct report_mark){ rec->ts, rec->offset, p->buffer };
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

/*
 * "[<buffer>: ]<comm>-<pid> [<cpu>] <secs>.<usecs>: <name>: <info>", as
 * trace-cmd report prints it; it names the buffer of events not in the
 * top level.
 */
static char *format_record(struct tep_handle *tep, struct tep_record *rec, const char *buffer)
{
	struct tep_event *ev = tep_find_event_by_record(tep, rec);
	struct trace_seq s;
	char name[136], *text = NULL;

	snprintf(name, sizeof(name), "%s:", ev ? ev->name : "unknown");
	trace_seq_init(&s);
	if (buffer[0])
		trace_seq_printf(&s, "%s: ", buffer);
	if (ev && !record_fits(ev, rec)) {
		trace_seq_printf(&s, "%16s-%-5s [%03d] %6llu.%06llu: %-20s [damaged: %d bytes, too few for its format]",
				 "?", "?", rec->cpu, rec->ts / 1000000000, rec->ts / 1000 % 1000000,
				 name, rec->size);
	} else if (ev && divides_by_zero(ev, rec, ev->print_fmt.args, 0)) {
		trace_seq_printf(&s, "%16s-%-5s [%03d] %6llu.%06llu: %-20s [not formatted: its print format divides by zero]",
				 "?", "?", rec->cpu, rec->ts / 1000000000, rec->ts / 1000 % 1000000,
				 name);
	} else {
		tep_print_event(tep, &s, rec, "%16s-%-5d [%03d] %6.1000d:",
				TEP_PRINT_COMM, TEP_PRINT_PID, TEP_PRINT_CPU, TEP_PRINT_TIME);
		trace_seq_printf(&s, " %-20s ", name);
		tep_print_event(tep, &s, rec, "%s", TEP_PRINT_INFO);
	}
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

static int cmp_mark(const void *a, const void *b)
{
	const struct report_mark *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->buffer - y->buffer;
}

/* The last N records of each CPU, over all buffers, read again by offset and formatted. */
static int format_last(const struct br_trace_input *in, struct pass *p)
{
	struct bootrace_report *rep = p->rep;
	struct report_mark *marks = calloc((size_t)in->nr * p->last, sizeof(*marks));

	if (!marks)
		return -ENOMEM;
	for (int cpu = 0; cpu < rep->nr_cpus; cpu++) {
		struct bootrace_report_cpu *c = &rep->cpus[cpu];
		unsigned int nr = 0, from;

		for (int b = 0; b < in->nr; b++) {
			const struct ring *r = &p->rings[b * rep->nr_cpus + cpu];
			unsigned int start = (r->head + p->last - r->n) % p->last;

			for (unsigned int i = 0; i < r->n; i++)
				marks[nr++] = r->marks[(start + i) % p->last];
		}
		qsort(marks, nr, sizeof(*marks), cmp_mark);
		from = nr > p->last ? nr - p->last : 0;
		c->lines = calloc(nr - from ? nr - from : 1, sizeof(*c->lines));
		if (!c->lines) {
			free(marks);
			return -ENOMEM;
		}
		for (unsigned int i = from; i < nr; i++) {
			struct tep_record *rec;
			int rcpu;

			rec = tracecmd_read_at(in->handles[marks[i].buffer], marks[i].offset, &rcpu);
			if (!rec)
				continue;
			c->lines[c->nr_lines].ts = rec->ts;
			c->lines[c->nr_lines].text = format_record(p->tep, rec,
								   in->names[marks[i].buffer]);
			if (c->lines[c->nr_lines].text)
				br_report_line_fields(p->tep, rec, &c->lines[c->nr_lines++]);
			tracecmd_free_record(rec);
		}
	}
	free(marks);
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
static struct shift *setup_shift(const struct report_job *job, struct tep_handle *tep,
				 struct bootrace_report *rep)
{
	struct shift *s;
	char *kallsyms;

	if (!job->prev_text || !job->kallsyms || !(kallsyms = strdup(job->kallsyms)))
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
	s->delta = job->prev_text - s->text;
	if (s->delta && tep_set_function_resolver(tep, resolve, s)) {
		tep_free(s->lookup);
		free(s);
		return NULL;
	}
	rep->shifted = true;
	return s;
}

static int setup_pass(struct pass *p, const struct br_trace_input *in, int nr_cpus,
		      unsigned int last)
{
	struct bootrace_report *rep = p->rep;
	int nr_rings = in->nr * nr_cpus;

	p->tep = tracecmd_get_tep(in->handles[0]);
	p->last = last;
	rep->nr_cpus = nr_cpus;
	rep->cpus = calloc(nr_cpus ? nr_cpus : 1, sizeof(*rep->cpus));
	rep->buffers = calloc(in->nr, sizeof(*rep->buffers));
	p->rings = calloc(nr_rings ? nr_rings : 1, sizeof(*p->rings));
	p->counts = calloc(MAX_EVENT_ID, sizeof(*p->counts));
	if (!rep->cpus || !rep->buffers || !p->rings || !p->counts)
		return -ENOMEM;
	rep->nr_buffers = in->nr;
	for (int b = 0; b < in->nr; b++)
		snprintf(rep->buffers[b].name, sizeof(rep->buffers[b].name), "%s", in->names[b]);
	for (int i = 0; last && i < nr_rings; i++) {
		p->rings[i].marks = calloc(last, sizeof(*p->rings[i].marks));
		if (!p->rings[i].marks)
			return -ENOMEM;
	}
	p->sched_switch = tep_find_event_by_name(p->tep, "sched", "sched_switch");
	p->sched_wakeup = tep_find_event_by_name(p->tep, "sched", "sched_wakeup");
	p->sched_waking = tep_find_event_by_name(p->tep, "sched", "sched_waking");
	p->printk_console = tep_find_event_by_name(p->tep, "printk", "console");
	return 0;
}

static void free_pass(struct pass *p, int nr_rings)
{
	for (int i = 0; p->rings && i < nr_rings; i++)
		free(p->rings[i].marks);
	free(p->rings);
	free(p->counts);
}

int report_collect(const struct report_job *job, struct bootrace_report *rep, char *why,
		   size_t why_len)
{
	struct br_trace_input in;
	struct pass p = { .rep = rep };
	struct shift *shift = NULL;
	int ret;

	memset(rep, 0, sizeof(*rep));
	ret = br_trace_input_open(job->file, &in, why, why_len);
	if (ret)
		return ret;
	ret = setup_pass(&p, &in, job->nr_cpus, job->last);
	if (!ret) {
		shift = setup_shift(job, p.tep, rep);
		for (p.buffer = 0; p.buffer < in.nr; p.buffer++)
			tracecmd_iterate_events(in.handles[p.buffer], NULL, 0, count_record, &p);
		rep->has_span = rep->records > 0;
		ret = collect_types(&p);
	}
	if (!ret && job->last)
		ret = format_last(&in, &p);
	if (ret)
		snprintf(why, why_len, "out of memory");
	free_pass(&p, in.nr * job->nr_cpus);
	if (shift) {
		tep_reset_function_resolver(p.tep);
		tep_free(shift->lookup);
		free(shift);
	}
	br_trace_input_close(&in);
	return ret;
}

/* In the sandbox: everything libtracecmd and libtraceevent tell, encoded. */
static int read_in_child(struct br_wire *out, char *why, size_t why_len, void *data)
{
	struct bootrace_report rep;
	int ret = report_collect(data, &rep, why, why_len);

	if (!ret)
		report_encode(out, &rep);
	bootrace_report_clear(&rep);
	return ret;
}

/* An error of the file the user gave: exit status 2, not a system problem. */
static int input_error(struct bootrace_error *err, int ret)
{
	if (err)
		err->origin = BOOTRACE_ERROR_INPUT;
	return ret;
}

/* Stats, uname, LAST_BOOT_INFO, writer: what the options say. */
static void take_options(const struct tracedat_options *o, struct bootrace_report *rep,
			 struct report_job *job)
{
	struct bootrace_last_boot lb;
	struct bootrace_cpu_stats st;

	for (int i = 0; i < o->nr_cpustats; i++) {
		if (bootrace_cpu_stats_parse(o->cpustats[i].text, &st))
			continue;
		rep->overrun += st.overrun;
		rep->dropped += st.dropped_events + st.commit_overrun;
	}
	if (o->last_boot_info && !bootrace_last_boot_parse(o->last_boot_info, &lb) &&
	    lb.kind == BOOTRACE_LAST_BOOT_ADDRESS)
		rep->prev_text = job->prev_text = lb.kernel_addr;
	if (o->decode)
		br_decode_marker_parse(o->decode, strlen(o->decode), &rep->decode);
}

static void take_strings(struct tracedat_options *o, struct bootrace_report *rep)
{
	rep->uname = TAKE_PTR(o->uname);
	rep->instance = TAKE_PTR(o->last_boot_instance);
	rep->writer = tracedat_writer_name(o);
}

int bootrace_report_read(struct bootrace_ctx *ctx, const struct bootrace_report_opts *opts,
			 struct bootrace_report *rep, struct bootrace_error *err)
{
	struct report_job job = { .file = opts->file, .last = opts->last };
	struct tracedat_options o;
	struct tracedat_layout l;
	struct br_sandbox_limits lim;
	struct br_wire found;
	char why[TRACEDAT_WHY_MAX];
	_cleanup_free_ char *kallsyms = NULL;
	int ret;

	memset(rep, 0, sizeof(*rep));
	if (access(opts->file, R_OK) < 0)
		return input_error(err, br_fail(err, -errno, "cannot read %s: %s", opts->file,
						strerror(errno)));
	ret = tracedat_options_read(opts->file, &o, &l, why, sizeof(why));
	if (ret)
		return input_error(err, br_fail(err, ret, "corrupt file %s: %s", opts->file, why));
	take_options(&o, rep, &job);
	take_strings(&o, rep);
	tracedat_options_clear(&o);
	for (int b = 0; b < l.nr_buffers; b++)
		for (int c = 0; c < l.buffers[b].nr_cpus; c++)
			rep->missed_pages += l.buffers[b].cpus[c].missed_pages;
	job.nr_cpus = l.nr_cpus;
	/* Read before the child: it may parse what bootrace has checked. */
	if (job.prev_text && !tracedat_kallsyms_read(opts->file, &l, &kallsyms))
		job.kallsyms = kallsyms;
	br_sandbox_limits_for(l.file_size, &lim);
	tracedat_layout_clear(&l);
	ret = br_sandbox_run(&lim, read_in_child, &job, &found, why, sizeof(why));
	if (ret) {
		bootrace_report_clear(rep);
		return input_error(err, br_fail(err, ret, "corrupt file %s: %s", opts->file, why));
	}
	ret = report_decode(&found, rep);
	br_wire_free(&found);
	if (ret) {
		bootrace_report_clear(rep);
		return br_fail(err, ret, "%s", ret == -ENOMEM ? "out of memory" :
			       "the reader of the file sent back no report");
	}
	rep->lost = rep->overrun + rep->dropped + rep->missed;
	br_dbg(ctx, "%s: %llu events in %d buffers", opts->file, rep->records, rep->nr_buffers);
	return 0;
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
	free(rep->buffers);
	free(rep->uname);
	free(rep->instance);
	free(rep->writer);
	memset(rep, 0, sizeof(*rep));
}
