/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parsers for what the kernel shows in text: sizes as the kernel command
 * line writes them, per_cpu/cpuN/stats, last_boot_info and /proc/cmdline.
 * Pure functions, no I/O: the unit tests feed them malformed input.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootrace-local.h"


int bootrace_size_parse(const char *text, unsigned long long *bytes,
			struct bootrace_error *err)
{
	unsigned long long value = 0, shift = 0;
	const char *p = text;
	char sbuf[BR_SHOWN_MAX];

	if (!text || !*text)
		return br_fail(err, -EINVAL, "size is empty: give a number with an optional K, M or G suffix, e.g. 12M");
	for (; isdigit((unsigned char)*p); p++) {
		unsigned int digit = *p - '0';

		if (value > (ULLONG_MAX - digit) / 10)
			return br_fail(err, -ERANGE, "size '%s' is too large", br_shown(text, strlen(text), sbuf));
		value = value * 10 + digit;
	}
	if (p == text)
		return br_fail(err, -EINVAL, "size '%s' is not a number: use e.g. 12M, 4096 or 1G", br_shown(text, strlen(text), sbuf));
	switch (*p) {
	case '\0':
		break;
	case 'k': case 'K':
		shift = 10;
		p++;
		break;
	case 'm': case 'M':
		shift = 20;
		p++;
		break;
	case 'g': case 'G':
		shift = 30;
		p++;
		break;
	default:
		return br_fail(err, -EINVAL, "size '%s' has an unknown suffix: use K, M or G", br_shown(text, strlen(text), sbuf));
	}
	if (*p)
		return br_fail(err, -EINVAL, "size '%s' has trailing characters: use e.g. 12M", br_shown(text, strlen(text), sbuf));
	if (value == 0)
		return br_fail(err, -EINVAL, "size '%s' is zero", br_shown(text, strlen(text), sbuf));
	if (value > (ULLONG_MAX >> shift))
		return br_fail(err, -ERANGE, "size '%s' is too large", br_shown(text, strlen(text), sbuf));
	*bytes = value << shift;
	return 0;
}

static int parse_ull(const char *s, unsigned long long *out)
{
	char *end;

	errno = 0;
	while (*s == ' ' || *s == '\t')
		s++;
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	*out = strtoull(s, &end, 10);
	if (errno)
		return -errno;
	while (*end == ' ' || *end == '\t')
		end++;
	return *end ? -EINVAL : 0;
}

static int parse_seconds(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s)
		return -EINVAL;
	while (*end == ' ' || *end == '\t')
		end++;
	return *end ? -EINVAL : 0;
}

int bootrace_cpu_stats_parse(const char *text, struct bootrace_cpu_stats *st)
{
	static const struct {
		const char *key;
		size_t offset;
	} counters[] = {
		{ "entries", offsetof(struct bootrace_cpu_stats, entries) },
		{ "overrun", offsetof(struct bootrace_cpu_stats, overrun) },
		{ "commit overrun", offsetof(struct bootrace_cpu_stats, commit_overrun) },
		{ "bytes", offsetof(struct bootrace_cpu_stats, bytes) },
		{ "dropped events", offsetof(struct bootrace_cpu_stats, dropped_events) },
		{ "read events", offsetof(struct bootrace_cpu_stats, read_events) },
	};
	unsigned int found = 0;
	const char *line = text;
	char buf[256];

	if (!text)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		char *colon, *value;
		int ret = 0;

		if (n >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, line, n);
		buf[n] = '\0';
		line += n + (nl ? 1 : 0);
		if (!n)
			continue;
		colon = strchr(buf, ':');
		if (!colon)
			return -EINVAL;
		*colon = '\0';
		value = colon + 1;
		if (!strcmp(buf, "oldest event ts")) {
			ret = parse_seconds(value, &st->oldest_event_ts);
		} else if (!strcmp(buf, "now ts")) {
			ret = parse_seconds(value, &st->now_ts);
		} else {
			for (size_t i = 0; i < ARRAY_SIZE(counters); i++) {
				if (strcmp(buf, counters[i].key))
					continue;
				ret = parse_ull(value, (unsigned long long *)
						((char *)st + counters[i].offset));
				if (!ret)
					found |= 1u << i;
				break;
			}
		}
		/* Unknown keys are fine: newer kernels add lines. */
		if (ret)
			return ret;
	}
	/* entries and bytes are what collect and verify rely on. */
	return (found & 0x9) == 0x9 ? 0 : -EINVAL;
}

int bootrace_last_boot_parse(const char *text, struct bootrace_last_boot *lb)
{
	const char *p;
	char *end;

	memset(lb, 0, sizeof(*lb));
	if (!text)
		return 0;
	while (*text == ' ' || *text == '\n')
		text++;
	if (!*text)
		return 0;
	if (!strncmp(text, "# Current", 9)) {
		lb->kind = BOOTRACE_LAST_BOOT_CURRENT;
		return 0;
	}
	/* 6.12: "text delta:\t-52428800" */
	if (!strncmp(text, "text delta:", 11)) {
		errno = 0;
		lb->text_delta = strtoll(text + 11, &end, 10);
		if (errno || end == text + 11)
			return -EINVAL;
		lb->kind = BOOTRACE_LAST_BOOT_TEXT_DELTA;
		return 0;
	}
	/* 6.18+: "ffffffff82600000\t[kernel]" then one line per module. */
	if (!isxdigit((unsigned char)*text))
		return -EINVAL;	/* strtoull would take "-1" as an address */
	errno = 0;
	lb->kernel_addr = strtoull(text, &end, 16);
	if (errno || end == text || (*end != '\t' && *end != ' '))
		return -EINVAL;
	while (*end == '\t' || *end == ' ')
		end++;
	if (strncmp(end, "[kernel]", 8))
		return -EINVAL;
	lb->kind = BOOTRACE_LAST_BOOT_ADDRESS;
	for (p = strchr(end, '\n'); p && p[1]; p = strchr(p + 1, '\n'))
		lb->nr_modules++;
	return 0;
}

static void copy_name(char *dst, size_t size, const char *src, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* trace_instance=NAME[^FLAGS]@LABEL[,EVENTS] or BACKUP=SOURCE */
static void parse_trace_instance(const char *val, size_t n,
				 struct bootrace_cmdline_config *cfg)
{
	const char *eq = memchr(val, '=', n);
	const char *at = memchr(val, '@', n);
	const char *name_end;

	if (eq && (!at || eq < at)) {
		cfg->has_backup = true;
		copy_name(cfg->backup, sizeof(cfg->backup), val, eq - val);
		copy_name(cfg->backup_source, sizeof(cfg->backup_source),
			  eq + 1, n - (eq + 1 - val));
		return;
	}
	if (!at)
		return;
	name_end = memchr(val, '^', at - val);
	if (!name_end)
		name_end = at;
	cfg->has_persistent = true;
	copy_name(cfg->persistent, sizeof(cfg->persistent), val, name_end - val);
	/* Flags: NAME^traceoff^traceprintk@LABEL */
	for (const char *f = name_end; f < at; ) {
		const char *next = memchr(f + 1, '^', at - f - 1);
		size_t len = (next ? next : at) - (f + 1);

		if (len == 8 && !strncmp(f + 1, "traceoff", 8))
			cfg->persistent_traceoff = true;
		f = next ? next : at;
	}
	{
		const char *label = at + 1;
		const char *comma = memchr(label, ',', n - (label - val));
		size_t len = comma ? (size_t)(comma - label) : n - (label - val);

		copy_name(cfg->persistent_label, sizeof(cfg->persistent_label),
			  label, len);
	}
}

/*
 * The kernel's isspace() (lib/ctype.c): the C locale's whitespace, and
 * 0xa0, Latin-1's no-break space.
 */
static bool kernel_space(char c)
{
	unsigned char u = c;

	return u == ' ' || (u >= '\t' && u <= '\r') || u == 0xa0;
}

/*
 * PARAM=VALUE at @args, the '=' at @equals and the word ending at @end:
 * a quote opening the value, and one closing it or the quoted word, dropped.
 */
static void split_value(const char *args, size_t equals, size_t end, bool quoted,
			struct br_cmdline_word *w)
{
	size_t start = equals + 1;

	w->param_len = equals;
	if (start < end && args[start] == '"') {
		start++;
		if (end > start && args[end - 1] == '"')
			end--;
	} else if (quoted && end > start && args[end - 1] == '"') {
		end--;
	}
	w->val = args + start;
	w->val_len = end - start;
}

bool br_cmdline_word_next(const char **p, struct br_cmdline_word *w)
{
	const char *args = *p;
	bool in_quote = false, quoted = false;
	size_t i, equals = 0;

	while (kernel_space(*args))
		args++;
	if (!*args)
		return false;
	w->word = args;
	if (*args == '"') {
		args++;
		in_quote = quoted = true;
	}
	/* A '=' first in the word does not split it: 0 is "none yet". */
	for (i = 0; args[i] && (in_quote || !kernel_space(args[i])); i++) {
		if (!equals && args[i] == '=')
			equals = i;
		if (args[i] == '"')
			in_quote = !in_quote;
	}
	w->len = args + i - w->word;
	w->param = args;
	w->val = NULL;
	w->val_len = 0;
	if (equals)
		split_value(args, equals, i, quoted, w);
	else
		w->param_len = quoted && i && args[i - 1] == '"' ? i - 1 : i;
	while (kernel_space(args[i]))
		i++;
	*p = args + i;
	return true;
}

/* The kernel's parameqn(): '-' and '_' are the same in parameter names. */
bool br_cmdline_param_eq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((a[i] == '-' ? '_' : a[i]) != (b[i] == '-' ? '_' : b[i]))
			return false;
	return true;
}

bool br_cmdline_word_is(const struct br_cmdline_word *w, const char *param)
{
	size_t n = strlen(param);

	return w->val && w->param_len == n && br_cmdline_param_eq(w->param, param, n);
}

int bootrace_cmdline_config_parse(const char *cmdline,
				  struct bootrace_cmdline_config *cfg)
{
	const char *p = cmdline;
	struct br_cmdline_word w;

	memset(cfg, 0, sizeof(*cfg));
	if (!cmdline)
		return -EINVAL;
	while (br_cmdline_word_next(&p, &w)) {
		/* Everything after a lone "--" belongs to init. */
		if (!w.val && w.param_len == 2 && !strncmp(w.param, "--", 2))
			break;
		if (!w.val_len)
			continue;
		if (br_cmdline_word_is(&w, "reserve_mem")) {
			const char *last = NULL;

			for (const char *c = w.val; c < w.val + w.val_len; c++)
				if (*c == ':')
					last = c;
			if (last) {
				cfg->has_reserve_mem = true;
				copy_name(cfg->label, sizeof(cfg->label),
					  last + 1, w.val + w.val_len - last - 1);
			}
		} else if (br_cmdline_word_is(&w, "trace_instance")) {
			parse_trace_instance(w.val, w.val_len, cfg);
		}
	}
	return 0;
}
