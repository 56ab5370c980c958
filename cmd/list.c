/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bootrace list: the collections under the state directory. */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootrace-cmd.h"
#include "json.h"

enum { OPT_JSON = 0x100 };

struct list_args {
	bool json;
	struct collection_args collection;
};

static const struct argp_option options[] = {
	{ "json", OPT_JSON, NULL, 0, "Print one JSON object", 0 },
	{ 0 }
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct list_args *args = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &args->collection;
		break;
	case OPT_JSON:
		args->json = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {
	options, parse_opt, NULL,
	"List the collections of previous boots, oldest first: when each was "
	"collected, by which kernel, how many events over which time span, how "
	"many were lost, and the space it takes."
	"\v"
	"KERNEL is the release of the kernel that collected the trace: the ring "
	"buffer does not record which kernel wrote it, which is the same one "
	"unless the machine booted another. A name ending in .partial holds the "
	"data of a collection that failed after reading began; \"interrupted\" "
	"marks one whose collect was killed, finished by the next collect with "
	"every page that had reached the disk. Text from the collections is "
	"shown with control characters escaped (\\xNN). "
	"Exit status: 0 listed (also when there is none), 2 usage or I/O error.",
	collection_children, NULL, NULL,
};

static void print_json(const char *dir, const struct bootrace_collection *list, int nr)
{
	struct json j;

	json_begin(&j, stdout);
	/* bootrace-list(1), JSON OUTPUT: bumped when a member changes meaning or goes. */
	json_uint(&j, "schema_version", 1);
	json_string(&j, "state_dir", dir);
	json_array_begin(&j, "collections");
	for (int i = 0; i < nr; i++) {
		const struct bootrace_collection *c = &list[i];

		json_object_begin(&j, NULL);
		json_string(&j, "name", c->name);
		json_string(&j, "path", c->path);
		json_string(&j, "trace", c->trace);
		json_bool(&j, "partial", c->partial);
		json_bool(&j, "interrupted", c->interrupted);
		json_string(&j, "collected", c->collected);
		json_string(&j, "boot_id", c->has_info ? c->boot_id : NULL);
		json_string(&j, "kernel", c->has_info ? c->kernel : NULL);
		json_int(&j, "cpus", c->nr_cpus);
		json_uint(&j, "events", c->events);
		if (c->entries)
			json_uint(&j, "entries", c->entries);
		else
			json_null(&j, "entries");
		json_uint(&j, "lost", c->lost);
		if (c->has_span) {
			json_uint(&j, "first_ns", c->first_ns);
			json_uint(&j, "last_ns", c->last_ns);
		} else {
			json_null(&j, "first_ns");
			json_null(&j, "last_ns");
		}
		json_uint(&j, "size", c->size);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_end(&j);
}

/*
 * A field of a sidecar for a terminal: anyone who can write the state
 * directory (or name a task) could put escape sequences there. Everything
 * but printable ASCII becomes \xNN, and a backslash is doubled, as ls and
 * systemd show such names. The fields are ASCII when bootrace wrote them.
 */
static const char *shown(const char *s, char *buf, size_t size)
{
	size_t n = 0;

	for (; *s && n + 5 < size; s++) {
		unsigned char c = *s;

		if (c == '\\')
			n += snprintf(buf + n, size - n, "\\\\");
		else if (c < 0x20 || c >= 0x7f)
			n += snprintf(buf + n, size - n, "\\x%02x", c);
		else
			buf[n++] = c;
	}
	buf[n] = '\0';
	return buf;
}

static void print_table(const char *dir, const struct bootrace_collection *list, int nr)
{
	char field[PATH_MAX * 4 + 8];

	if (!nr) {
		printf("no collections in %s\n", shown(dir, field, sizeof(field)));
		return;
	}
	printf("%-20s  %-28s  %8s  %10s  %6s  %9s  %s\n",
	       "COLLECTED (UTC)", "KERNEL (collecting boot)", "EVENTS", "SPAN", "LOST", "SIZE", "NAME");
	for (int i = 0; i < nr; i++) {
		const struct bootrace_collection *c = &list[i];
		char span[32] = "-", size[32], collected[sizeof(c->collected) * 4 + 8];
		char kernel[sizeof(c->kernel) * 4 + 8];

		if (c->has_span)
			snprintf(span, sizeof(span), "%.3f s", (c->last_ns - c->first_ns) / 1e9);
		printf("%-20s  %-28.28s  %8llu  %10s  %6llu  %9s  %s%s\n",
		       shown(c->collected, collected, sizeof(collected)),
		       c->kernel[0] ? shown(c->kernel, kernel, sizeof(kernel)) : "?", c->events, span,
		       c->lost, human_bytes(c->size, size), shown(c->name, field, sizeof(field)),
		       c->interrupted ? "  (interrupted: finished by the next collect)" : "");
	}
}

static int run(int argc, char **argv)
{
	struct list_args args = { 0 };
	struct bootrace_collection *list;
	struct bootrace_error err;
	const char *dir;
	int nr, ret;

	argp_parse(&argp, argc, argv, 0, NULL, &args);
	ret = apply_collection_args(&args.collection);
	if (ret)
		return ret;
	dir = bootrace_ctx_state_dir(command_ctx());
	ret = bootrace_history_read(command_ctx(), &list, &nr, &err);
	if (ret == -ENOENT) {
		list = NULL;
		nr = 0;
	} else if (ret) {
		print_error("%s", err.msg);
		return EXIT_USAGE;
	}
	if (args.json)
		print_json(dir, list, nr);
	else
		print_table(dir, list, nr);
	bootrace_history_free(list, nr);
	return EXIT_OK;
}

const struct command cmd_list = { "list", "show the collections of previous boots", run };
