/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A report, from the sandboxed reader to the command: every number and
 * string the reader finds, in order. The parent trusts no count it
 * receives: each is checked against a bound before anything is allocated.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report-local.h"

/* More than any file can hold; a bigger count means a garbled stream. */
#define MAX_CPUS 65536
#define MAX_BUFFERS 4096
#define MAX_TYPES 65536
#define MAX_LINES 100000
#define MAX_FIELDS 4096

/* A last event's name, pid, comm and fields (report-event.c). */
static void encode_line_fields(struct br_wire *w, const struct bootrace_report_line *line)
{
	br_wire_str(w, line->event);
	br_wire_u64(w, (uint64_t)(int64_t)line->pid);
	br_wire_str(w, line->comm);
	br_wire_u64(w, line->nr_fields);
	for (int i = 0; i < line->nr_fields; i++) {
		br_wire_str(w, line->fields[i].name);
		br_wire_u64(w, line->fields[i].kind);
		br_wire_u64(w, line->fields[i].value);
		br_wire_str(w, line->fields[i].text);
	}
}

void report_encode(struct br_wire *w, const struct bootrace_report *rep)
{
	br_wire_u64(w, rep->records);
	br_wire_u64(w, rep->has_span);
	br_wire_u64(w, rep->first_ns);
	br_wire_u64(w, rep->last_ns);
	br_wire_u64(w, rep->missed);
	br_wire_u64(w, rep->missed_markers);
	br_wire_u64(w, rep->shifted);
	br_wire_u64(w, rep->text);
	br_wire_u64(w, rep->panic);
	br_wire_str(w, rep->panic_message);
	br_wire_u64(w, rep->nr_buffers);
	for (int b = 0; b < rep->nr_buffers; b++) {
		br_wire_str(w, rep->buffers[b].name);
		br_wire_u64(w, rep->buffers[b].records);
	}
	br_wire_u64(w, rep->nr_types);
	for (int t = 0; t < rep->nr_types; t++) {
		br_wire_str(w, rep->types[t].name);
		br_wire_u64(w, rep->types[t].count);
	}
	br_wire_u64(w, rep->nr_cpus);
	for (int cpu = 0; cpu < rep->nr_cpus; cpu++) {
		const struct bootrace_report_cpu *c = &rep->cpus[cpu];

		br_wire_u64(w, c->records);
		br_wire_u64(w, c->first_ns);
		br_wire_u64(w, c->last_ns);
		br_wire_u64(w, c->nr_lines);
		for (int i = 0; i < c->nr_lines; i++) {
			br_wire_u64(w, c->lines[i].ts);
			br_wire_str(w, c->lines[i].text);
			encode_line_fields(w, &c->lines[i]);
		}
	}
}

/* A count, or -1 when it is over @max (a garbled stream). */
static long long count(struct br_wire *w, unsigned long long max)
{
	unsigned long long n = br_wire_get_u64(w);

	return w->failed || n > max ? -1 : (long long)n;
}

static int decode_line_fields(struct br_wire *w, struct bootrace_report_line *line)
{
	long long nr;

	line->event = br_wire_get_str(w);
	line->pid = (int)(int64_t)br_wire_get_u64(w);
	line->comm = br_wire_get_str(w);
	nr = count(w, MAX_FIELDS);
	if (nr < 0)
		return -EIO;
	line->fields = calloc(nr ? nr : 1, sizeof(*line->fields));
	if (!line->fields)
		return -ENOMEM;
	for (; line->nr_fields < nr && !w->failed; line->nr_fields++) {
		struct bootrace_event_field *f = &line->fields[line->nr_fields];
		uint64_t kind;

		f->name = br_wire_get_str(w);
		kind = br_wire_get_u64(w);
		f->value = br_wire_get_u64(w);
		f->text = br_wire_get_str(w);
		if (!f->name || kind > BOOTRACE_FIELD_BYTES ||
		    (kind >= BOOTRACE_FIELD_STRING && !f->text)) {
			line->nr_fields++;
			return -EIO;
		}
		f->kind = kind;
	}
	return w->failed ? -EIO : 0;
}

static int decode_cpus(struct br_wire *w, struct bootrace_report *rep)
{
	long long nr = count(w, MAX_CPUS);

	if (nr < 0)
		return -EIO;
	rep->cpus = calloc(nr ? nr : 1, sizeof(*rep->cpus));
	if (!rep->cpus)
		return -ENOMEM;
	rep->nr_cpus = nr;
	for (int cpu = 0; cpu < rep->nr_cpus; cpu++) {
		struct bootrace_report_cpu *c = &rep->cpus[cpu];
		long long lines;
		int ret;

		c->records = br_wire_get_u64(w);
		c->first_ns = br_wire_get_u64(w);
		c->last_ns = br_wire_get_u64(w);
		lines = count(w, MAX_LINES);
		if (lines < 0)
			return -EIO;
		c->lines = calloc(lines ? lines : 1, sizeof(*c->lines));
		if (!c->lines)
			return -ENOMEM;
		for (; c->nr_lines < lines && !w->failed; c->nr_lines++) {
			c->lines[c->nr_lines].ts = br_wire_get_u64(w);
			c->lines[c->nr_lines].text = br_wire_get_str(w);
			if (!c->lines[c->nr_lines].text)
				return -EIO;
			ret = decode_line_fields(w, &c->lines[c->nr_lines]);
			if (ret) {
				c->nr_lines++;
				return ret;
			}
		}
	}
	return w->failed ? -EIO : 0;
}

int report_decode(struct br_wire *w, struct bootrace_report *rep)
{
	uint64_t panic;
	long long nr;

	rep->records = br_wire_get_u64(w);
	rep->has_span = br_wire_get_u64(w);
	rep->first_ns = br_wire_get_u64(w);
	rep->last_ns = br_wire_get_u64(w);
	rep->missed = br_wire_get_u64(w);
	rep->missed_markers = br_wire_get_u64(w);
	rep->shifted = br_wire_get_u64(w);
	rep->text = br_wire_get_u64(w);
	panic = br_wire_get_u64(w);
	rep->panic = panic > BOOTRACE_PANIC_YES ? BOOTRACE_PANIC_UNKNOWN : (enum bootrace_panic)panic;
	br_wire_get_strbuf(w, rep->panic_message, sizeof(rep->panic_message));
	nr = count(w, MAX_BUFFERS);
	if (nr < 1)
		return -EIO;
	rep->buffers = calloc(nr, sizeof(*rep->buffers));
	if (!rep->buffers)
		return -ENOMEM;
	for (rep->nr_buffers = 0; rep->nr_buffers < nr; rep->nr_buffers++) {
		struct bootrace_buffer_summary *b = &rep->buffers[rep->nr_buffers];

		br_wire_get_strbuf(w, b->name, sizeof(b->name));
		b->records = br_wire_get_u64(w);
	}
	nr = count(w, MAX_TYPES);
	if (nr < 0)
		return -EIO;
	rep->types = calloc(nr ? nr : 1, sizeof(*rep->types));
	if (!rep->types)
		return -ENOMEM;
	for (rep->nr_types = 0; rep->nr_types < nr; rep->nr_types++) {
		struct bootrace_event_count *t = &rep->types[rep->nr_types];

		br_wire_get_strbuf(w, t->name, sizeof(t->name));
		t->count = br_wire_get_u64(w);
	}
	return decode_cpus(w, rep);
}
