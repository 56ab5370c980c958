/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Composing the kernel command-line fragment: the documented defaults,
 * size and alignment rules, and every way a value could smuggle another
 * kernel parameter in. Every rejection must come with a one-line message
 * that names the rejected value. And the one tokenizer every reader of a
 * command line goes through, against the kernel's own next_arg() rules.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootloader-local.h"
#include "bootrace-local.h"
#include "bootrace.h"
#include "tap.h"

#define DEFAULT_LINE \
	"reserve_mem=12M:4096:trace trace_instance=boot_map@trace,sched,irq trace_instance=backup=boot_map"

/* A short available_events, as the kernel lists it. */
static const char avail[] =
	"sched:sched_switch\n"
	"sched:sched_wakeup\n"
	"sched:sched_process_exec\n"
	"irq:irq_handler_entry\n"
	"irq:softirq_entry\n"
	"syscalls:sys_enter_read\n"
	"timer:timer_start";	/* no final newline */

static void opts_init(struct bootrace_cmdline_opts *o)
{
	bootrace_cmdline_opts_init(o);
}

/* The message is one line that names @shown (the value as messages print it). */
static void check_msg(const struct bootrace_error *err, const char *shown, const char *name)
{
	int good = err->msg[0] && !strchr(err->msg, '\n') && !strchr(err->msg, '\033') &&
		   (!shown || strstr(err->msg, shown));

	tap_ok(good, "%s: one-line message naming the value", name);
	if (!good)
		printf("#   msg '%s'\n#   should name '%s'\n", err->msg, shown ? shown : "");
}

static void compose_ok(const struct bootrace_cmdline_opts *o, const char *want, const char *name)
{
	struct bootrace_error err = { 0 };
	char *out = NULL;
	int ret = bootrace_cmdline_compose(o, &out, &err);

	tap_ok(ret == 0, "%s: composed", name);
	if (ret)
		printf("#   ret %d, msg '%s'\n", ret, err.msg);
	tap_is_str(out, want, name);
	free(out);
}

static void compose_bad(const struct bootrace_cmdline_opts *o, int want_ret,
			const char *shown, const char *name)
{
	struct bootrace_error err = { 0 };
	char *out = NULL;
	int ret = bootrace_cmdline_compose(o, &out, &err);

	tap_ok(ret == want_ret && !out, "%s: rejected with %d", name, want_ret);
	if (ret != want_ret)
		printf("#   ret %d, out '%s', msg '%s'\n", ret, out ? out : "(null)", err.msg);
	check_msg(&err, shown, name);
	free(out);
}

static void name_bad(const char *value, const char *shown, const char *name)
{
	struct bootrace_error err = { 0 };
	int ret = bootrace_name_check("backup instance name", value, &err);

	tap_ok(ret == -EINVAL, "name_check rejects %s", name);
	check_msg(&err, shown, name);
	tap_ok(strstr(err.msg, "backup instance name") != NULL, "%s: message says which field", name);
}

static void test_name_check(void)
{
	static const char *const good[] = {
		"boot_map", "backup", "a", "Z", "0", "0abc", "A-b_c", "boot-map2",
		"x23456789012345678901234567890123456789012345678901234567890123",
	};
	char long_name[200];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		tap_ok(bootrace_name_check("name", good[i], NULL) == 0, "name '%s' is accepted", good[i]);

	name_bad("", NULL, "an empty name");
	name_bad(NULL, NULL, "a NULL name");
	name_bad("a b", "a b", "a space");
	name_bad("a\tb", "a\\tb", "a tab");
	name_bad("a\nb", "a\\nb", "a newline");
	name_bad("a\rb", "a\\x0db", "a carriage return");
	name_bad("a\033[2Jb", "a\\x1b[2Jb", "an escape sequence");
	name_bad("a\"b", "a\"b", "a double quote");
	name_bad("a'b", "a'b", "a single quote");
	name_bad("a=b", "a=b", "'='");
	name_bad("a@b", "a@b", "'@'");
	name_bad("a^b", "a^b", "'^'");
	name_bad("a,b", "a,b", "','");
	name_bad("a;b", "a;b", "';'");
	name_bad("a:b", "a:b", "':'");
	name_bad("a$b", "a$b", "'$'");
	name_bad("a/b", "a/b", "'/'");
	name_bad("..", "..", "'..'");
	name_bad("a*", "a*", "'*'");
	name_bad("b\xc3\xa4" "ck", "b\\xc3\\xa4ck", "non-ASCII");
	name_bad("-a", "-a", "a leading '-'");
	name_bad("_a", "_a", "a leading '_'");
	name_bad("--", "--", "'--'");
	name_bad("backup trace_instance=evil@trace", "backup trace_instance=evil@trace",
		 "a second parameter");
	name_bad("backup\" init=/bin/sh \"", "backup\" init=/bin/sh \"", "a quoted parameter");
	memset(long_name, 'a', 64);
	long_name[64] = '\0';
	name_bad(long_name, "aaaaaaaaaaaaaaaaaaaa", "64 characters");
	memset(long_name, 'b', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	name_bad(long_name, "bbbbbbbbbbbbbbbbbbbb", "199 characters");
}

static void test_defaults(void)
{
	struct bootrace_cmdline_opts o;

	opts_init(&o);
	compose_ok(&o, DEFAULT_LINE, "defaults");
	o.available_events = avail;
	compose_ok(&o, DEFAULT_LINE, "defaults checked against available_events");

	opts_init(&o);
	o.events = NULL;
	compose_ok(&o, "reserve_mem=12M:4096:trace trace_instance=boot_map@trace "
		   "trace_instance=backup=boot_map", "no events (NULL)");
	o.events = "";
	compose_ok(&o, "reserve_mem=12M:4096:trace trace_instance=boot_map@trace "
		   "trace_instance=backup=boot_map", "no events ('')");

	opts_init(&o);
	o.backup = NULL;
	compose_ok(&o, "reserve_mem=12M:4096:trace trace_instance=boot_map@trace,sched,irq",
		   "no backup");

	opts_init(&o);
	o.size = "32M";
	o.align = 1 << 20;
	o.label = "oops";
	o.events = "sched:sched_switch,syscalls:*,timer";
	o.persistent = "pstore-1";
	o.backup = "previous_boot";
	compose_ok(&o, "reserve_mem=32M:1048576:oops trace_instance=pstore-1@oops,"
		   "sched:sched_switch,syscalls:*,timer trace_instance=previous_boot=pstore-1",
		   "every field set");
}

static void test_sizes(void)
{
	static const struct { const char *in, *out; } sizes[] = {
		{ "12582912", "12M" }, { "1536K", "1536K" }, { "1536k", "1536K" },
		{ "1048576", "1M" }, { "1024K", "1M" }, { "2048M", "2G" }, { "1g", "1G" },
		{ "1572864", "1536K" }, { "1572868", "1572868" }, { "3G", "3G" },
	};
	struct bootrace_cmdline_opts o;
	char name[64];

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char want[256];

		opts_init(&o);
		o.size = sizes[i].in;
		snprintf(want, sizeof(want),
			 "reserve_mem=%s:4096:trace trace_instance=boot_map@trace,sched,irq "
			 "trace_instance=backup=boot_map", sizes[i].out);
		snprintf(name, sizeof(name), "size %s is written %s", sizes[i].in, sizes[i].out);
		compose_ok(&o, want, name);
	}

	opts_init(&o);
	o.size = "1M";
	o.align = 1 << 20;
	compose_ok(&o, "reserve_mem=1M:1048576:trace trace_instance=boot_map@trace,sched,irq "
		   "trace_instance=backup=boot_map", "alignment equal to the size");

	opts_init(&o);
	o.size = "1023K";
	compose_bad(&o, -EINVAL, "1023K", "size below 1M");
	o.size = "4096";
	compose_bad(&o, -EINVAL, "4096", "size of one page");
	o.size = "0";
	compose_bad(&o, -EINVAL, "0", "size 0");
	o.size = "";
	compose_bad(&o, -EINVAL, NULL, "empty size");
	o.size = NULL;
	compose_bad(&o, -EINVAL, NULL, "NULL size");
	o.size = "12MB";
	compose_bad(&o, -EINVAL, "12MB", "size 12MB");
	o.size = " 12M";
	compose_bad(&o, -EINVAL, " 12M", "size with a leading space");
	o.size = "-12M";
	compose_bad(&o, -EINVAL, "-12M", "negative size");
	o.size = "12M:4096:evil";
	compose_bad(&o, -EINVAL, "12M:4096:evil", "size carrying an align and label");
	o.size = "12M trace_instance=evil@trace";
	compose_bad(&o, -EINVAL, "12M trace_instance=evil@trace", "size carrying a parameter");
	o.size = "12M\ninit=/bin/sh";
	compose_bad(&o, -EINVAL, "12M\\ninit=/bin/sh", "size with a newline");
	o.size = "99999999999999999999";
	compose_bad(&o, -ERANGE, "99999999999999999999", "size overflow");
	o.size = "17179869184G";
	compose_bad(&o, -ERANGE, "17179869184G", "size overflow with a suffix");
}

static void test_align(void)
{
	unsigned long long page = sysconf(_SC_PAGESIZE);
	struct bootrace_cmdline_opts o;

	opts_init(&o);
	o.align = 0;
	compose_bad(&o, -EINVAL, "0", "alignment 0");
	o.align = 1;
	compose_bad(&o, -EINVAL, NULL, "alignment 1");
	o.align = page / 2;
	compose_bad(&o, -EINVAL, NULL, "alignment below the page size");
	o.align = page + 1;
	compose_bad(&o, -EINVAL, NULL, "alignment not a power of two");
	o.align = 3 * page;
	compose_bad(&o, -EINVAL, NULL, "alignment three pages");
	o.align = 16ULL << 20;
	compose_bad(&o, -EINVAL, "16777216", "alignment above the size");
	o.align = 1ULL << 63;
	compose_bad(&o, -EINVAL, "9223372036854775808", "alignment 2^63");
	o.align = ~0ULL;
	compose_bad(&o, -EINVAL, "18446744073709551615", "alignment 2^64-1");
	o.align = page * 2;
	{
		char want[256];

		snprintf(want, sizeof(want), "reserve_mem=12M:%llu:trace trace_instance=boot_map@trace,sched,irq "
			 "trace_instance=backup=boot_map", page * 2);
		compose_ok(&o, want, "alignment of two pages");
	}
}

/* One field of the options set to a hostile value. */
enum field { F_LABEL, F_PERSISTENT, F_BACKUP, F_EVENTS, F_SIZE };

static void set_field(struct bootrace_cmdline_opts *o, enum field f, const char *v)
{
	opts_init(o);
	switch (f) {
	case F_LABEL: o->label = v; break;
	case F_PERSISTENT: o->persistent = v; break;
	case F_BACKUP: o->backup = v; break;
	case F_EVENTS: o->events = v; break;
	case F_SIZE: o->size = v; break;
	}
}

static void test_injection(void)
{
	static const char *const field_name[] = { "label", "persistent", "backup", "events", "size" };
	static const struct { const char *value, *shown; } attempts[] = {
		{ "a b", "a b" },
		{ "a\tb", "a\\tb" },
		{ "a\nb", "a\\nb" },
		{ "a\"b", "a\"b" },
		{ "\"a\"", "\"a\"" },
		{ "a'b", "a'b" },
		{ "a=b", "a=b" },
		{ "a@b", "a@b" },
		{ "a^b", "a^b" },
		{ "a;b", "a;b" },
		{ "a$b", "a$b" },
		{ "$(reboot)", "$(reboot)" },
		{ "a`b`", "a`b`" },
		{ "a\\b", "a\\b" },
		{ "a\033]0;x\007", "a\\x1b]0;x\\x07" },
		{ "-a", "-a" },
		{ "x trace_instance=evil@trace", "x trace_instance=evil@trace" },
		{ "x init=/bin/sh", "x init=/bin/sh" },
		{ "x -- init", "x -- init" },
	};
	struct bootrace_cmdline_opts o;
	char name[128], long_value[4096];

	for (int f = F_LABEL; f <= F_SIZE; f++) {
		for (size_t i = 0; i < sizeof(attempts) / sizeof(attempts[0]); i++) {
			set_field(&o, f, attempts[i].value);
			snprintf(name, sizeof(name), "%s '%s'", field_name[f], attempts[i].shown);
			compose_bad(&o, -EINVAL, attempts[i].shown, name);
		}
		/* ',' is the events separator: only there is it allowed. */
		if (f != F_EVENTS) {
			set_field(&o, f, "a,b");
			snprintf(name, sizeof(name), "%s 'a,b'", field_name[f]);
			compose_bad(&o, -EINVAL, "a,b", name);
		}
		if (f != F_EVENTS && f != F_SIZE) {
			set_field(&o, f, "");
			snprintf(name, sizeof(name), "%s empty", field_name[f]);
			compose_bad(&o, -EINVAL, field_name[f], name);
		}
		/*
		 * A long value without a single bad character: an events list
		 * that long would not fit the kernel's 2048-byte command line.
		 */
		memset(long_value, f == F_SIZE ? '9' : 'a', sizeof(long_value) - 1);
		long_value[sizeof(long_value) - 1] = '\0';
		set_field(&o, f, long_value);
		snprintf(name, sizeof(name), "%s of 4095 characters", field_name[f]);
		compose_bad(&o, f == F_SIZE ? -ERANGE : -EINVAL,
			    f == F_SIZE ? "99999999999999999999" : "aaaaaaaaaaaaaaaaaaaa", name);
	}
}

static void test_label(void)
{
	struct bootrace_cmdline_opts o;

	/* The kernel's reserve_mem= takes labels of up to 15 characters. */
	opts_init(&o);
	o.label = "abcdefghijklmno";
	compose_ok(&o, "reserve_mem=12M:4096:abcdefghijklmno "
		   "trace_instance=boot_map@abcdefghijklmno,sched,irq trace_instance=backup=boot_map",
		   "label of 15 characters");
	o.label = "abcdefghijklmnop";
	compose_bad(&o, -EINVAL, "abcdefghijklmnop", "label of 16 characters");
	o.label = NULL;
	compose_bad(&o, -EINVAL, "label", "NULL label");
}

static void test_names(void)
{
	struct bootrace_cmdline_opts o;

	opts_init(&o);
	o.backup = "boot_map";
	compose_bad(&o, -EINVAL, "boot_map", "backup named like the persistent instance");
	o.backup = o.persistent = "same";
	compose_bad(&o, -EINVAL, "same", "backup and persistent both 'same'");
	opts_init(&o);
	o.persistent = NULL;
	compose_bad(&o, -EINVAL, "persistent", "NULL persistent name");
}

static void events_bad(const char *events, const char *with, int want_ret, const char *shown)
{
	struct bootrace_cmdline_opts o;
	char name[160];

	opts_init(&o);
	o.events = events;
	o.available_events = with;
	snprintf(name, sizeof(name), "events '%s' %s", shown,
		 with ? "with available_events" : "unchecked");
	compose_bad(&o, want_ret, shown, name);
}

static void events_ok(const char *events, const char *with)
{
	struct bootrace_cmdline_opts o;
	char want[512], name[160];

	opts_init(&o);
	o.events = events;
	o.available_events = with;
	snprintf(want, sizeof(want), "reserve_mem=12M:4096:trace trace_instance=boot_map@trace,%s "
		 "trace_instance=backup=boot_map", events);
	snprintf(name, sizeof(name), "events '%s' %s", events,
		 with ? "with available_events" : "unchecked");
	compose_ok(&o, want, name);
}

/*
 * bootrace accepts SYSTEM, SYSTEM:EVENT and SYSTEM:* only. The kernel's
 * ftrace_set_clr_event() would also take "sched:" and ":x" and "*:x", but a
 * typo there is more likely than intent, so they are refused.
 */
static void test_events(void)
{
	static const char *const malformed[] = {
		",sched", "sched,", "sched,,irq", ",", "sched:", ":x", ":", "a:b:c",
		"sched:sched_*", "*:sched_switch", "*", "sched:*x", "sched:**",
		"sched-x", "sched.switch", "sched/sched_switch", "sched:sched switch",
	};

	for (int checked = 0; checked < 2; checked++) {
		const char *with = checked ? avail : NULL;

		for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++)
			events_bad(malformed[i], with, -EINVAL, malformed[i]);
		events_ok("sched", with);
		events_ok("sched,irq", with);
		events_ok("sched:sched_switch", with);
		events_ok("syscalls:*", with);
		events_ok("sched:sched_switch,irq:irq_handler_entry,timer", with);
		events_ok("timer:timer_start", with);
	}
	/* Without available_events, any well-formed name passes. */
	events_ok("nosuchsystem", NULL);
	events_ok("sched:nosuchevent", NULL);

	events_bad("nosuchsystem", avail, -ENOENT, "nosuchsystem");
	events_bad("sched,nosuchsystem", avail, -ENOENT, "nosuchsystem");
	events_bad("sched:nosuchevent", avail, -ENOENT, "sched:nosuchevent");
	events_bad("nosuch:*", avail, -ENOENT, "nosuch");
	events_bad("nosuch:sched_switch", avail, -ENOENT, "nosuch");
	/* Prefixes of real names are not names. */
	events_bad("sch", avail, -ENOENT, "sch");
	events_bad("sched:sched_swit", avail, -ENOENT, "sched:sched_swit");
	events_bad("sched:sched_switchx", avail, -ENOENT, "sched:sched_switchx");
	events_bad("timer:timer_star", avail, -ENOENT, "timer:timer_star");
	/* An event name is not a system. */
	events_bad("sched_switch", avail, -ENOENT, "sched_switch");
	/* The fragment must fit the kernel's 2048-byte command line. */
	{
		size_t base = strlen(DEFAULT_LINE) - strlen("sched,irq");
		char events[2100];
		struct bootrace_cmdline_opts o;
		char *out = NULL;

		memset(events, 'e', sizeof(events));
		events[2047 - base] = '\0';
		opts_init(&o);
		o.events = events;
		tap_ok(bootrace_cmdline_compose(&o, &out, NULL) == 0 && strlen(out) == 2047,
		       "a fragment of 2047 characters");
		free(out);
		events[2047 - base] = 'e';
		events[2048 - base] = '\0';
		events_bad(events, NULL, -EINVAL, "eeeeeeeeeeeeeeeeeeee");
	}
	/* Empty available_events: nothing exists. */
	events_bad("sched", "", -ENOENT, "sched");
}


/* ------------------------------------------- the command-line tokenizer */

/* One word as next_arg() gives it: as written, its param, its value (NULL: no '='). */
struct want_word {
	const char *word, *param, *val;
};

static bool span_is(const char *s, size_t n, const char *want)
{
	return strlen(want) == n && !memcmp(s, want, n);
}

static void words_are(const char *line, const struct want_word *want, size_t n,
		      const char *name)
{
	const char *p = line;
	struct br_cmdline_word w;
	size_t i = 0;
	bool ok = true;

	while (ok && br_cmdline_word_next(&p, &w)) {
		ok = i < n && span_is(w.word, w.len, want[i].word) &&
		     span_is(w.param, w.param_len, want[i].param) &&
		     (want[i].val ? w.val && span_is(w.val, w.val_len, want[i].val) : !w.val);
		if (!ok)
			printf("#   word %zu: '%.*s' param '%.*s' val %s'%.*s'\n", i, (int)w.len, w.word,
			       (int)w.param_len, w.param, w.val ? "" : "(none) ",
			       (int)w.val_len, w.val ? w.val : "");
		i++;
	}
	tap_ok(ok && i == n && !*p, "words: %s", name);
	if (ok && i != n)
		printf("#   %zu words, want %zu\n", i, n);
}

#define WORDS(line, name, ...)                                                     \
	do {                                                                       \
		static const struct want_word want_[] = { __VA_ARGS__ };           \
		words_are(line, want_, ARRAY_SIZE(want_), name);                  \
	} while (0)

static void no_words(const char *line, const char *name)
{
	const char *p = line;
	struct br_cmdline_word w;

	tap_ok(!br_cmdline_word_next(&p, &w), "no words: %s", name);
}

static void test_words(void)
{
	no_words("", "empty");
	no_words(" \t\n\v\f\r", "whitespace only");
	WORDS("quiet", "one word", { "quiet", "quiet", NULL });
	WORDS("  ro\tquiet\nsplash \r\n", "any whitespace separates, none is kept",
	      { "ro", "ro", NULL }, { "quiet", "quiet", NULL }, { "splash", "splash", NULL });
	WORDS("a\xa0" "b", "0xa0 separates, as the kernel's isspace() says",
	      { "a", "a", NULL }, { "b", "b", NULL });
	WORDS("root=/dev/vda1 console=ttyS0,115200n8", "PARAM=VALUE",
	      { "root=/dev/vda1", "root", "/dev/vda1" },
	      { "console=ttyS0,115200n8", "console", "ttyS0,115200n8" });
	WORDS("trace_instance=backup=boot_map", "the first '=' splits",
	      { "trace_instance=backup=boot_map", "trace_instance", "backup=boot_map" });
	WORDS("a==b", "'=' twice", { "a==b", "a", "=b" });
	WORDS("a= b", "an empty value", { "a=", "a", "" }, { "b", "b", NULL });
	WORDS("=x =", "a leading '=' does not split",
	      { "=x", "=x", NULL }, { "=", "=", NULL });
	WORDS("=a=b", "a leading '=', then one that splits", { "=a=b", "=a", "b" });
	/* Quotes. */
	WORDS("dyndbg=\"file x.c +p\" quiet", "a quoted value keeps its spaces",
	      { "dyndbg=\"file x.c +p\"", "dyndbg", "file x.c +p" }, { "quiet", "quiet", NULL });
	WORDS("\"reserve_mem=12M:4096:trace\" ro", "a quoted word",
	      { "\"reserve_mem=12M:4096:trace\"", "reserve_mem", "12M:4096:trace" }, { "ro", "ro", NULL });
	WORDS("\"a b=c d\"", "a quoted word with spaces on both sides of '='",
	      { "\"a b=c d\"", "a b", "c d" });
	WORDS("\"foo bar\"", "a quoted word without '='", { "\"foo bar\"", "foo bar", NULL });
	WORDS("\"ro\" quiet", "quotes around a plain word", { "\"ro\"", "ro", NULL }, { "quiet", "quiet", NULL });
	WORDS("a=\"b\"c d", "a quote closing inside the value stays",
	      { "a=\"b\"c", "a", "b\"c" }, { "d", "d", NULL });
	WORDS("a\"b c\"d e", "quotes inside a word protect spaces",
	      { "a\"b c\"d", "a\"b c\"d", NULL }, { "e", "e", NULL });
	WORDS("a=\"b c", "an unterminated quote runs to the end", { "a=\"b c", "a", "b c" });
	WORDS("\"a=b c", "an unterminated opening quote runs to the end", { "\"a=b c", "a", "b c" });
	WORDS("a=\"", "a value of one quote is empty", { "a=\"", "a", "" });
	WORDS("\"a=\"b\"\"", "a quoted word with a quoted value", { "\"a=\"b\"\"", "a", "b\"" });
	WORDS("\"a\"=b", "a quote closing before '='", { "\"a\"=b", "a\"", "b" });
	WORDS("\"", "a lone quote", { "\"", "", NULL });
	WORDS("\"\" x", "two quotes", { "\"\"", "", NULL }, { "x", "x", NULL });
	WORDS("x=\"a\tb\nc\"", "quotes keep tabs and newlines", { "x=\"a\tb\nc\"", "x", "a\tb\nc" });
	WORDS("quiet -- init=/bin/sh", "'--' is a word; what it means is the caller's",
	      { "quiet", "quiet", NULL }, { "--", "--", NULL }, { "init=/bin/sh", "init", "/bin/sh" });
}

static void word_is(const char *text, const char *param, bool want, const char *name)
{
	const char *p = text;
	struct br_cmdline_word w;

	tap_ok(br_cmdline_word_next(&p, &w) && br_cmdline_word_is(&w, param) == want,
	       "word_is: %s", name);
}

static void test_word_is(void)
{
	word_is("reserve_mem=12M:4096:trace", "reserve_mem", true, "the parameter");
	word_is("reserve-mem=12M:4096:trace", "reserve_mem", true, "'-' is '_', as parameq() has it");
	word_is("trace-instance=boot_map@trace", "trace_instance", true, "'-' is '_' in trace-instance");
	word_is("\"trace_instance=boot_map@trace\"", "trace_instance", true, "quoted");
	word_is("reserve_mem", "reserve_mem", false, "without a value");
	word_is("reserve_memx=1", "reserve_mem", false, "a longer name");
	word_is("xreserve_mem=1", "reserve_mem", false, "a prefix");
	word_is("reserve_me=1", "reserve_mem", false, "a shorter name");
	word_is("RESERVE_MEM=1", "reserve_mem", false, "names are case-sensitive");
	tap_ok(br_cmdline_param_eq("a-b_c", "a_b-c", 5) && !br_cmdline_param_eq("a-b", "a.b", 3),
	       "param_eq: only '-' and '_' are alike");
}

static void has_words(const char *text, const char *fragment, bool want, const char *name)
{
	tap_ok(bl_has_words(text, fragment) == want, "has_words: %s", name);
}

/* Whether a command line carries bootrace's arguments, as the kernel reads it. */
static void test_has_words(void)
{
	static const char frag[] = "reserve_mem=12M:4096:trace trace_instance=boot_map@trace";

	has_words("ro reserve_mem=12M:4096:trace trace_instance=boot_map@trace quiet", frag, true, "in the middle");
	has_words("reserve_mem=12M:4096:trace  trace_instance=boot_map@trace", frag, true, "two spaces between");
	has_words("ro \"reserve_mem=12M:4096:trace\" trace_instance=\"boot_map@trace\"", frag, true,
		  "quoted as the kernel drops the quotes");
	has_words("ro reserve_mem=12M:4096:trace quiet trace_instance=boot_map@trace", frag, false, "not in a row");
	has_words("ro reserve_mem=12M:4096:trace", frag, false, "only the first");
	has_words("ro xreserve_mem=12M:4096:trace trace_instance=boot_map@trace", frag, false, "a longer word");
	has_words("ro reserve_mem=12M:4096:trace trace_instance=boot_map@tracex", frag, false, "a longer last word");
	has_words("dyndbg=\"reserve_mem=12M:4096:trace trace_instance=boot_map@trace\"", frag, false,
		  "inside another parameter's quotes");
	has_words("ro", "", false, "an empty fragment");
}

int main(void)
{
	test_name_check();
	test_defaults();
	test_sizes();
	test_align();
	test_injection();
	test_label();
	test_names();
	test_events();
	test_words();
	test_word_is();
	test_has_words();
	return tap_done();
}
