/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Events whose type ids follow load order. The kernel numbers events as
 * they register: built-in events in a fixed order for one build, but a
 * module's events when the module loads and dynamic events (kprobes,
 * uprobes, synthetic, ...) when they are made. Their ids can differ from
 * one boot to the next even on one kernel build, so only the decoder of
 * the boot that wrote them decodes them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootrace-local.h"
#include "load-order.h"

/* Systems the kernel makes only when asked to (tracefs dynamic_events). */
static const char *const dynamic_systems[] = {
	"kprobes", "uprobes", "synthetic", "eprobes", "fprobes", "tracepoints", "user_events",
};

static bool is_dynamic(const char *sys, size_t n)
{
	for (size_t i = 0; i < ARRAY_SIZE(dynamic_systems); i++)
		if (strlen(dynamic_systems[i]) == n && !strncmp(dynamic_systems[i], sys, n))
			return true;
	return false;
}

/*
 * The module that defines event @ev: its "event_EVENT" symbol (the
 * struct trace_event_call) is listed in kallsyms with "[MODULE]" after it.
 */
static bool event_module(const char *kallsyms, const char *ev, size_t ev_len, char *mod,
			 size_t mod_len)
{
	char sym[160];
	const char *p = kallsyms;

	if (!kallsyms || ev_len + 7 >= sizeof(sym))
		return false;
	snprintf(sym, sizeof(sym), " event_%.*s\t[", (int)ev_len, ev);
	while ((p = strstr(p, sym))) {
		const char *m = p + strlen(sym), *end = strchr(m, ']');

		if (end && (size_t)(end - m) < mod_len) {
			snprintf(mod, mod_len, "%.*s", (int)(end - m), m);
			return true;
		}
		p = m;
	}
	return false;
}

static void add(FILE *f, bool *first, const char *fmt, const char *a, size_t alen, const char *b)
{
	fprintf(f, "%s", *first ? "" : ", ");
	fprintf(f, fmt, (int)alen, a, b);
	*first = false;
}

/* Every event of system @sys in available_events that a module defines. */
static void module_events_of(const char *avail, const char *kallsyms, const char *sys, size_t n,
			     FILE *f, bool *first)
{
	for (const char *line = avail; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		size_t len = strcspn(line, "\n");
		char mod[64];

		if (len > n + 1 && line[n] == ':' && !strncmp(line, sys, n) &&
		    event_module(kallsyms, line + n + 1, len - n - 1, mod, sizeof(mod))) {
			add(f, first, "%.*s (module %s)", line, len, mod);
		}
	}
}

int br_events_load_order(const char *events, const char *avail, const char *kallsyms,
			 char **words)
{
	_cleanup_free_ char *list = NULL;
	size_t list_len = 0;
	bool first = true;
	FILE *f;

	*words = NULL;
	if (!events || !*events)
		return 0;
	f = open_memstream(&list, &list_len);
	if (!f)
		return -ENOMEM;
	for (const char *p = events; *p;) {
		size_t n = strcspn(p, ","), sys_len = strcspn(p, ":,");
		char mod[64];

		if (is_dynamic(p, sys_len))
			add(f, &first, "%.*s%s", p, n, " (a dynamic event)");
		else if (sys_len < n && p[sys_len + 1] != '*' &&
			 event_module(kallsyms, p + sys_len + 1, n - sys_len - 1, mod, sizeof(mod)))
			add(f, &first, "%.*s (module %s)", p, n, mod);
		else if (avail)
			module_events_of(avail, kallsyms, p, sys_len, f, &first);
		p += n;
		p += *p == ',';
	}
	if (fclose(f))
		return -ENOMEM;
	if (first)
		return 0;
	if (asprintf(words,
		     "events %s: their ids follow the order modules are loaded and dynamic events are made, even on one kernel build, "
		     "so only the decoder of the boot that wrote them decodes them (bootrace save-decoder, which the boot units run, keeps one per boot); "
		     "and a module's events exist only once it is loaded, after the kernel enabled the command line's events",
		     list) < 0)
		return -ENOMEM;
	return 1;
}

int bootrace_events_load_order(struct bootrace_ctx *ctx, const char *events, char **words)
{
	_cleanup_free_ char *avail = NULL, *kallsyms = NULL;
	const struct bootrace_tracefs *tfs;

	*words = NULL;
	if (!events || !*events)
		return 0;
	if (!bootrace_ctx_tracefs(ctx, &tfs, NULL))
		bootrace_tracefs_read(tfs, "available_events", &avail, NULL);
	/* Symbol names are listed for anyone; only their addresses are hidden. */
	br_read_at(AT_FDCWD, "/proc/kallsyms", 256u << 20, 0, &kallsyms, NULL);
	return br_events_load_order(events, avail, kallsyms, words);
}
