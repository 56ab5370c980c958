/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Composing the kernel command-line fragment. Everything the user types
 * ends up inside a kernel parameter, so every part is checked against a
 * small character set: a space, quote, '=', '@', '^' or stray ',' could
 * otherwise add a parameter or change what the kernel parses.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootrace-local.h"

#define NAME_MAX_LEN 63
/* The kernel's RESERVE_MEM_NAME_SIZE (mm/memblock.c) is 16, with the NUL. */
#define LABEL_MAX_LEN 15
/* COMMAND_LINE_SIZE on x86 and arm64, for the whole command line. */
#define CMDLINE_MAX 2048

void bootrace_cmdline_opts_init(struct bootrace_cmdline_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->size = BOOTRACE_DEFAULT_SIZE;
	opts->align = BOOTRACE_DEFAULT_ALIGN;
	opts->label = BOOTRACE_DEFAULT_LABEL;
	opts->events = BOOTRACE_DEFAULT_EVENTS;
	opts->persistent = BOOTRACE_DEFAULT_PERSISTENT;
	opts->backup = BOOTRACE_DEFAULT_BACKUP;
}

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-';
}

/* Printable form of a rejected character for the message. */
static const char *char_name(char c, char buf[8])
{
	if (c == ' ')
		return "a space";
	if (c == '\t' || c == '\n')
		return "whitespace";
	if (isprint((unsigned char)c))
		snprintf(buf, 8, "'%c'", c);
	else
		snprintf(buf, 8, "0x%02x", (unsigned char)c);
	return buf;
}

int bootrace_name_check(const char *what, const char *name,
			struct bootrace_error *err)
{
	char cbuf[8], sbuf[BR_SHOWN_MAX];
	size_t len;

	if (!name || !*name)
		return br_fail(err, -EINVAL, "%s is empty: use letters, digits, '_' or '-'", what);
	len = strlen(name);
	if (len > NAME_MAX_LEN)
		return br_fail(err, -EINVAL, "%s '%s...' is longer than %d characters",
			       what, br_shown(name, 20, sbuf), NAME_MAX_LEN);
	if (!isalnum((unsigned char)name[0]))
		return br_fail(err, -EINVAL, "%s '%s' must start with a letter or digit",
			       what, br_shown(name, len, sbuf));
	for (size_t i = 0; i < len; i++)
		if (!name_char(name[i]))
			return br_fail(err, -EINVAL,
				       "%s '%s' contains %s: use only letters, digits, '_' and '-'",
				       what, br_shown(name, len, sbuf), char_name(name[i], cbuf));
	return 0;
}

/* Event system and event names as the kernel names them: [A-Za-z0-9_]. */
static bool event_word_ok(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

/* Does available_events (lines "system:event") list it? */
static bool event_available(const char *avail, const char *sys, size_t sys_len,
			    const char *ev, size_t ev_len)
{
	const char *line = avail;

	while (line && *line) {
		const char *colon = strchr(line, ':');
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		if (colon && colon < line + len &&
		    (size_t)(colon - line) == sys_len &&
		    !strncmp(line, sys, sys_len)) {
			const char *name = colon + 1;
			size_t name_len = line + len - name;

			if (!ev || (name_len == ev_len && !strncmp(name, ev, ev_len)))
				return true;
		}
		line = nl ? nl + 1 : NULL;
	}
	return false;
}

static int event_check(const char *item, size_t n, const char *avail,
		       struct bootrace_error *err)
{
	const char *colon = memchr(item, ':', n);
	size_t sys_len = colon ? (size_t)(colon - item) : n;
	const char *ev = colon ? colon + 1 : NULL;
	size_t ev_len = colon ? n - sys_len - 1 : 0;
	bool glob = ev && ev_len == 1 && *ev == '*';
	char sbuf[BR_SHOWN_MAX];

	if (!event_word_ok(item, sys_len) || (ev && !glob && !event_word_ok(ev, ev_len)))
		return br_fail(err, -EINVAL,
			       "event '%s' is malformed: use SYSTEM or SYSTEM:EVENT (letters, digits, '_'), e.g. sched or sched:sched_switch",
			       br_shown(item, n, sbuf));
	if (!avail)
		return 0;
	if (!event_available(avail, item, sys_len, glob ? NULL : ev, ev_len)) {
		if (ev && !glob && event_available(avail, item, sys_len, NULL, 0))
			return br_fail(err, -ENOENT,
				       "event '%.*s' does not exist in this kernel: see 'ls /sys/kernel/tracing/events/%.*s'",
				       (int)n, item, (int)sys_len, item);
		return br_fail(err, -ENOENT,
			       "event system '%.*s' does not exist in this kernel: see /sys/kernel/tracing/available_events",
			       (int)sys_len, item);
	}
	return 0;
}

static int events_check(const char *events, const char *avail,
			struct bootrace_error *err)
{
	const char *p = events;
	char sbuf[BR_SHOWN_MAX];

	if (!*events)
		return 0;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		int ret;

		if (!n)
			return br_fail(err, -EINVAL,
				       "events '%s' has an empty item: separate events with single commas, e.g. sched,irq",
				       br_shown(events, strlen(events), sbuf));
		ret = event_check(p, n, avail, err);
		if (ret)
			return ret;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static void format_size(unsigned long long bytes, char *buf, size_t len)
{
	static const char suffix[] = { 'G', 'M', 'K' };
	static const unsigned int shift[] = { 30, 20, 10 };

	for (size_t i = 0; i < ARRAY_SIZE(suffix); i++) {
		unsigned long long unit = 1ULL << shift[i];

		if (bytes % unit == 0) {
			snprintf(buf, len, "%llu%c", bytes / unit, suffix[i]);
			return;
		}
	}
	snprintf(buf, len, "%llu", bytes);
}

/* The ring buffer needs room for a few sub-buffers per CPU and its metadata. */
#define MIN_RESERVE_SIZE (1ULL << 20)

int bootrace_cmdline_compose(const struct bootrace_cmdline_opts *opts,
			     char **out, struct bootrace_error *err)
{
	unsigned long long size, page = sysconf(_SC_PAGESIZE);
	char size_text[32];
	const char *events = opts->events ? opts->events : "";
	const char *backup = opts->backup, *flags = "";
	int ret;

	ret = bootrace_size_parse(opts->size, &size, err);
	if (ret)
		return ret;
	if (size < MIN_RESERVE_SIZE)
		return br_fail(err, -EINVAL, "size %s is too small: the persistent buffer needs at least 1M", opts->size);
	if (opts->align < page || (opts->align & (opts->align - 1)))
		return br_fail(err, -EINVAL,
			       "alignment %llu is not a power of two of at least the page size (%llu)",
			       opts->align, page);
	if (opts->align > size)
		return br_fail(err, -EINVAL, "alignment %llu is larger than the size %s", opts->align, opts->size);
	ret = bootrace_name_check("label", opts->label, err);
	if (!ret && strlen(opts->label) > LABEL_MAX_LEN)
		return br_fail(err, -EINVAL,
			       "label '%s' is longer than %d characters: the kernel's reserve_mem= rejects it",
			       opts->label, LABEL_MAX_LEN);
	if (!ret)
		ret = bootrace_name_check("persistent instance name", opts->persistent, err);
	if (!ret && opts->backup)
		ret = bootrace_name_check("backup instance name", opts->backup, err);
	if (ret)
		return ret;
	if (opts->backup && !strcmp(opts->backup, opts->persistent))
		return br_fail(err, -EINVAL, "the backup and persistent instances must have different names (both '%s')",
			       opts->backup);
	ret = events_check(events, opts->available_events, err);
	if (ret)
		return ret;

	if (opts->kernel_release) {
		struct bootrace_kernel_release kr;

		ret = bootrace_kernel_release_parse(opts->kernel_release, &kr, err);
		if (ret)
			return ret;
		if (kr.level == BOOTRACE_KERNEL_TOO_OLD)
			return br_fail(err, -EOPNOTSUPP,
				       "kernel %s has no persistent trace instances: trace_instance=NAME@LABEL needs 6.12 or later",
				       opts->kernel_release);
		/*
		 * Before 6.19, trace_instance=B=P makes a junk instance named
		 * "B=P", and the previous boot stays in P: ^traceoff keeps this
		 * boot's events out of it until collect has read it and re-armed.
		 */
		if (kr.level == BOOTRACE_KERNEL_PERSISTENT) {
			backup = NULL;
			flags = "^traceoff";
		}
	}

	format_size(size, size_text, sizeof(size_text));
	ret = asprintf(out, "reserve_mem=%s:%llu:%s trace_instance=%s%s@%s%s%s%s%s%s",
		       size_text, opts->align, opts->label,
		       opts->persistent, flags, opts->label, *events ? "," : "", events,
		       backup ? " trace_instance=" : "",
		       backup ? backup : "",
		       backup ? "=" : "");
	if (ret < 0)
		return br_fail(err, -ENOMEM, "out of memory");
	if (backup) {
		char *full;

		if (asprintf(&full, "%s%s", *out, opts->persistent) < 0) {
			free(*out);
			return br_fail(err, -ENOMEM, "out of memory");
		}
		free(*out);
		*out = full;
	}
	/* A longer fragment could never fit the kernel's COMMAND_LINE_SIZE. */
	if (strlen(*out) >= CMDLINE_MAX) {
		char sbuf[BR_SHOWN_MAX];
		size_t len = strlen(*out);

		free(*out);
		*out = NULL;
		return br_fail(err, -EINVAL,
			       "events '%s' make the fragment %zu characters long: the kernel command line holds at most %d",
			       br_shown(events, strlen(events), sbuf), len, CMDLINE_MAX - 1);
	}
	return 0;
}
