/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bootrace report: the last words of the previous boot. */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "bootrace-cmd.h"
#include "json.h"

#define DEFAULT_LAST 20

enum { OPT_JSON = 0x100 };

struct report_args {
	bool json;
	const char *what;
	struct collection_args collection;
	unsigned int last;
};

static const struct argp_option options[] = {
	{ "last", 'n', "N", 0, "Show the last N events of each CPU (default 20; 0: none)", 0 },
	{ "json", OPT_JSON, NULL, 0, "Print one JSON object", 0 },
	{ 0 }
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct report_args *args = state->input;
	char *end;
	unsigned long n;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &args->collection;
		break;
	case 'n':
		errno = 0;
		n = strtoul(arg, &end, 10);
		if (!*arg || *end || arg[0] == '-' || errno || n > 100000)
			argp_error(state, "--last needs a number from 0 to 100000, not '%s'", arg);
		args->last = n;
		break;
	case OPT_JSON:
		args->json = true;
		break;
	case ARGP_KEY_ARG:
		if (args->what)
			argp_error(state, "one collection or file at a time ('%s' is one too many)", arg);
		args->what = arg;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {
	options, parse_opt, "[COLLECTION|FILE]",
	"Show the last words of the previous boot: the time span of its trace, "
	"the events by type, lost events, and per CPU the last events before the "
	"end, formatted like trace-cmd report, with addresses resolved for the "
	"previous boot's kernel; every buffer of the file, named ones too. "
	"COLLECTION is a name from 'bootrace list' or a collection directory; "
	"FILE any trace.dat, checked before it is read. Default: the newest collection."
	"\v"
	"Exit status: 0 shown, 2 usage or I/O error (no such collection, "
	"unreadable or corrupt file).",
	collection_children, NULL, NULL,
};

static void print_lost(const struct bootrace_report *rep, FILE *out)
{
	fprintf(out, "warning: %llu events lost: %llu overwritten by newer ones (a larger reserve_mem size keeps more), "
		"%llu dropped, %llu in %llu gaps marked in the data",
		rep->lost, rep->overrun, rep->dropped, rep->missed, rep->missed_markers);
	if (rep->missed_pages)
		fprintf(out, "; %llu pages marked by the kernel as following lost events",
			rep->missed_pages);
	fputc('\n', out);
}

/* Every buffer, when the file has more than the top level (trace-cmd -B NAME). */
static void print_buffers(const struct bootrace_report *rep)
{
	if (rep->nr_buffers < 2)
		return;
	printf("buffers: ");
	for (int b = 0; b < rep->nr_buffers; b++) {
		const struct bootrace_buffer_summary *s = &rep->buffers[b];

		if (b)
			printf(", ");
		if (s->name[0]) {
			printf("'");
			print_escaped(stdout, s->name);
			printf("' (%llu events)", s->records);
		} else {
			printf("the top level (%llu events)", s->records);
		}
	}
	printf("; all shown, their events named by buffer\n");
}

/* A trace shown with another kernel's formats is a wrong answer: said first. */
static void print_decode(const struct bootrace_report *rep)
{
	if (rep->decode.decode == BOOTRACE_DECODE_UNSET || bootrace_decode_trusted(rep->decode.decode))
		return;
	printf("WARNING: ");
	print_escaped(stdout, rep->decode.words);
	printf("\nWARNING: the event names and fields below may be another kernel's (bootrace-collect(1), DECODING)\n");
	print_error("warning: the trace was decoded with formats that may not be those of the kernel that wrote it");
}

static void print_human(const struct bootrace_report *rep, const char *file)
{
	print_decode(rep);
	printf("file:    %s\n", file);
	if (rep->writer) {
		printf("written: ");
		print_escaped(stdout, rep->writer);
		printf("\n");
	}
	if (rep->uname) {
		printf("kernel:  ");
		print_escaped(stdout, rep->uname);
		printf(rep->decode.decode == BOOTRACE_DECODE_OWN ? " (the traced boot's)\n" :
		       " (the collecting boot's)\n");
	}
	print_buffers(rep);
	if (rep->shifted && rep->prev_text != rep->text)
		printf("symbols: previous boot's kernel text at 0x%llx, stored kallsyms at 0x%llx: shifted\n",
		       rep->prev_text, rep->text);
	else if (!rep->shifted)
		printf("symbols: not resolved (%s)\n", rep->prev_text ?
		       "no kallsyms with _text in the file" : "no previous-boot kernel address in the file");
	if (rep->has_span)
		printf("span:    %.6f to %.6f (%.6f s), %llu events on %d CPUs\n",
		       rep->first_ns / 1e9, rep->last_ns / 1e9,
		       (rep->last_ns - rep->first_ns) / 1e9, rep->records, rep->nr_cpus);
	else
		printf("span:    no events\n");
	if (rep->lost || rep->missed_pages)
		print_lost(rep, stdout);
	if (rep->nr_types) {
		printf("\nevents by type:\n");
		for (int i = 0; i < rep->nr_types; i++) {
			printf("  %10llu  ", rep->types[i].count);
			print_escaped(stdout, rep->types[i].name);
			printf("\n");
		}
	}
	for (int cpu = 0; cpu < rep->nr_cpus; cpu++) {
		const struct bootrace_report_cpu *c = &rep->cpus[cpu];

		if (!c->records) {
			printf("\nCPU %d: no events\n", cpu);
			continue;
		}
		printf("\nCPU %d: %llu events, %.6f to %.6f", cpu, c->records,
		       c->first_ns / 1e9, c->last_ns / 1e9);
		if (c->nr_lines)
			printf("; the last %d:\n", c->nr_lines);
		else
			printf("\n");
		for (int i = 0; i < c->nr_lines; i++) {
			print_escaped(stdout, c->lines[i].text);
			printf("\n");
		}
	}
}

/* The event's own fields, by name: numbers as numbers, arrays as strings. */
static void print_json_fields(struct json *j, const struct bootrace_report_line *line)
{
	json_object_begin(j, "fields");
	for (int i = 0; i < line->nr_fields; i++) {
		const struct bootrace_event_field *f = &line->fields[i];

		if (f->kind == BOOTRACE_FIELD_SIGNED)
			json_int(j, f->name, (long long)f->value);
		else if (f->kind == BOOTRACE_FIELD_UNSIGNED)
			json_uint(j, f->name, f->value);
		else
			json_string(j, f->name, f->text);
	}
	json_object_end(j);
}

static void print_json(const struct bootrace_report *rep, const char *file)
{
	struct json j;

	json_begin(&j, stdout);
	/* bootrace-report(1), JSON OUTPUT: bumped when a member changes meaning or goes. */
	json_uint(&j, "schema_version", 1);
	json_string(&j, "file", file);
	json_string(&j, "writer", rep->writer);
	json_string(&j, "uname", rep->uname);
	json_string(&j, "instance", rep->instance);
	json_bool(&j, "symbols_shifted", rep->shifted);
	json_uint(&j, "previous_kernel_text", rep->prev_text);
	json_uint(&j, "stored_kernel_text", rep->text);
	json_uint(&j, "events", rep->records);
	if (rep->decode.decode != BOOTRACE_DECODE_UNSET) {
		json_object_begin(&j, "decode");
		json_string(&j, "decode", bootrace_decode_name(rep->decode.decode));
		json_bool(&j, "trusted", bootrace_decode_trusted(rep->decode.decode));
		json_string(&j, "previous_boot", rep->decode.boot_id[0] ? rep->decode.boot_id : NULL);
		json_string(&j, "previous_kernel", rep->decode.release[0] ? rep->decode.release : NULL);
		json_string(&j, "words", rep->decode.words);
		json_object_end(&j);
	} else {
		json_null(&j, "decode");
	}
	json_string(&j, "panic", bootrace_panic_name(rep->panic));
	json_string(&j, "panic_message", rep->panic == BOOTRACE_PANIC_YES ? rep->panic_message : NULL);
	if (rep->has_span) {
		json_uint(&j, "first_ns", rep->first_ns);
		json_uint(&j, "last_ns", rep->last_ns);
	} else {
		json_null(&j, "first_ns");
		json_null(&j, "last_ns");
	}
	json_object_begin(&j, "lost");
	json_uint(&j, "total", rep->lost);
	json_uint(&j, "overrun", rep->overrun);
	json_uint(&j, "dropped", rep->dropped);
	json_uint(&j, "missed", rep->missed);
	json_uint(&j, "missed_markers", rep->missed_markers);
	json_uint(&j, "missed_pages", rep->missed_pages);
	json_object_end(&j);
	json_array_begin(&j, "buffers");
	for (int b = 0; b < rep->nr_buffers; b++) {
		json_object_begin(&j, NULL);
		json_string(&j, "name", rep->buffers[b].name);
		json_uint(&j, "events", rep->buffers[b].records);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_array_begin(&j, "types");
	for (int i = 0; i < rep->nr_types; i++) {
		json_object_begin(&j, NULL);
		json_string(&j, "name", rep->types[i].name);
		json_uint(&j, "count", rep->types[i].count);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_array_begin(&j, "cpus");
	for (int cpu = 0; cpu < rep->nr_cpus; cpu++) {
		const struct bootrace_report_cpu *c = &rep->cpus[cpu];

		json_object_begin(&j, NULL);
		json_int(&j, "cpu", cpu);
		json_uint(&j, "events", c->records);
		if (c->records) {
			json_uint(&j, "first_ns", c->first_ns);
			json_uint(&j, "last_ns", c->last_ns);
		}
		json_array_begin(&j, "last");
		for (int i = 0; i < c->nr_lines; i++) {
			json_object_begin(&j, NULL);
			json_uint(&j, "ts", c->lines[i].ts);
			json_string(&j, "text", c->lines[i].text);
			json_string(&j, "event", c->lines[i].event);
			json_int(&j, "pid", c->lines[i].pid);
			json_string(&j, "comm", c->lines[i].comm);
			print_json_fields(&j, &c->lines[i]);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_end(&j);
}

static int run(int argc, char **argv)
{
	struct report_args args = { .last = DEFAULT_LAST };
	struct bootrace_report_opts opts = { 0 };
	struct bootrace_report rep;
	struct bootrace_error err;
	char *file = NULL;
	int ret;

	argp_parse(&argp, argc, argv, 0, NULL, &args);
	ret = apply_collection_args(&args.collection);
	if (ret)
		return ret;
	ret = bootrace_collection_resolve(command_ctx(), args.what, &file, &err);
	if (ret) {
		print_error("%s", err.msg);
		return EXIT_USAGE;
	}
	opts.file = file;
	opts.last = args.last;
	ret = bootrace_report_read(command_ctx(), &opts, &rep, &err);
	if (ret) {
		print_error("%s", err.msg);
		free(file);
		return exit_code_for(ret, &err);
	}
	if (args.json) {
		print_json(&rep, file);
	} else {
		print_human(&rep, file);
	}
	if ((rep.lost || rep.missed_pages) && args.json && !global.quiet)
		print_lost(&rep, stderr);
	bootrace_report_clear(&rep);
	free(file);
	return EXIT_OK;
}

const struct command cmd_report = { "report", "show the last events of the previous boot", run };
