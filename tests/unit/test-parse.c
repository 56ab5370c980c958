/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The text parsers: sizes, per_cpu/cpuN/stats, last_boot_info and the
 * kernel command line, fed real kernel texts and malformed input.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "bootrace.h"
#include "tap.h"

/* ------------------------------------------------------------ sizes */

static void size_ok(const char *text, unsigned long long want)
{
	struct bootrace_error err = { 0 };
	unsigned long long got = 0;
	int ret = bootrace_size_parse(text, &got, &err);

	tap_ok(ret == 0 && got == want, "size '%s' is %llu bytes", text, want);
	if (ret || got != want)
		printf("#   ret %d, got %llu, msg '%s'\n", ret, got, err.msg);
}

/*
 * A rejected size: the right errno, the value untouched, and one line that
 * names the value (@shown is how the message writes it).
 */
static void size_bad(const char *text, int want_ret, const char *shown)
{
	struct bootrace_error err = { 0 };
	unsigned long long got = 42;
	int ret = bootrace_size_parse(text, &got, &err);

	tap_ok(ret == want_ret && got == 42, "size '%s' is rejected with %d",
	       shown ? shown : "(null)", want_ret);
	if (ret != want_ret)
		printf("#   ret %d, msg '%s'\n", ret, err.msg);
	tap_ok(err.msg[0] && !strchr(err.msg, '\n') && (!shown || strstr(err.msg, shown)),
	       "size '%s': one-line message naming it", shown ? shown : "(null)");
	if (shown && !strstr(err.msg, shown))
		printf("#   msg '%s'\n", err.msg);
}

static void test_size(void)
{
	size_ok("12M", 12ULL << 20);
	size_ok("12m", 12ULL << 20);
	size_ok("1536K", 1536ULL << 10);
	size_ok("1536k", 1536ULL << 10);
	size_ok("1G", 1ULL << 30);
	size_ok("2g", 2ULL << 30);
	size_ok("4096", 4096);
	size_ok("1", 1);
	size_ok("007", 7);
	size_ok("18446744073709551615", ULLONG_MAX);
	size_ok("17179869183G", 17179869183ULL << 30);

	size_bad("", -EINVAL, NULL);
	size_bad(NULL, -EINVAL, NULL);
	size_bad("0", -EINVAL, "0");
	size_bad("0M", -EINVAL, "0M");
	size_bad("-1", -EINVAL, "-1");
	size_bad("-12M", -EINVAL, "-12M");
	size_bad("+12M", -EINVAL, "+12M");
	size_bad(" 12M", -EINVAL, " 12M");
	size_bad("12M ", -EINVAL, "12M ");
	size_bad("12 M", -EINVAL, "12 M");
	size_bad("12MB", -EINVAL, "12MB");
	size_bad("12MM", -EINVAL, "12MM");
	size_bad("12T", -EINVAL, "12T");
	size_bad("1.5M", -EINVAL, "1.5M");
	size_bad("0x1000", -EINVAL, "0x1000");
	size_bad("M", -EINVAL, "M");
	size_bad("twelve", -EINVAL, "twelve");
	size_bad("12M:4096:trace", -EINVAL, "12M:4096:trace");
	size_bad("12M reserve_mem=1G:4096:x", -EINVAL, "12M reserve_mem=1G:4096:x");
	size_bad("12M\n", -EINVAL, "12M\\n");
	size_bad("12\tM", -EINVAL, "12\\tM");
	size_bad("12\033[2J", -EINVAL, "12\\x1b[2J");
	size_bad("18446744073709551616", -ERANGE, "18446744073709551616");
	size_bad("99999999999999999999999", -ERANGE, "99999999999999999999999");
	size_bad("17179869184G", -ERANGE, "17179869184G");
	size_bad("18014398509481984M", -ERANGE, "18014398509481984M");
	size_bad("18014398509481984K", -ERANGE, "18014398509481984K");
}

/* ------------------------------------------------------------ stats */

/* per_cpu/cpu0/stats of an instance on this project's 6.18 host. */
static const char stats_618[] =
	"entries: 10\n"
	"overrun: 0\n"
	"commit overrun: 0\n"
	"bytes: 564\n"
	"oldest event ts:  1505.116097\n"
	"now ts:  1505.134227\n"
	"dropped events: 0\n"
	"read events: 0\n";

/* A 7.2 read-only backup after a busy boot (same keys, bigger numbers). */
static const char stats_72[] =
	"entries: 6051\n"
	"overrun: 1234\n"
	"commit overrun: 7\n"
	"bytes: 268096\n"
	"oldest event ts:    41.530817\n"
	"now ts:     3.087141\n"
	"dropped events: 3\n"
	"read events: 0\n";

static void stats_bad(const char *text, const char *name)
{
	struct bootrace_cpu_stats st;

	tap_ok(bootrace_cpu_stats_parse(text, &st) < 0, "stats rejected: %s", name);
}

static void test_stats(void)
{
	struct bootrace_cpu_stats st;
	char buf[1024];
	int ret;

	ret = bootrace_cpu_stats_parse(stats_618, &st);
	tap_is_int(ret, 0, "6.18 stats parse");
	tap_is_int(st.entries, 10, "6.18 entries");
	tap_is_int(st.bytes, 564, "6.18 bytes");
	tap_is_int(st.overrun, 0, "6.18 overrun");
	tap_ok(st.oldest_event_ts > 1505.116096 && st.oldest_event_ts < 1505.116098,
	       "6.18 oldest event ts");
	tap_ok(st.now_ts > 1505.134226 && st.now_ts < 1505.134228, "6.18 now ts");

	ret = bootrace_cpu_stats_parse(stats_72, &st);
	tap_is_int(ret, 0, "7.2 stats parse");
	tap_is_int(st.entries, 6051, "7.2 entries");
	tap_is_int(st.overrun, 1234, "7.2 overrun");
	tap_is_int(st.commit_overrun, 7, "7.2 commit overrun");
	tap_is_int(st.bytes, 268096, "7.2 bytes");
	tap_is_int(st.dropped_events, 3, "7.2 dropped events");
	tap_is_int(st.read_events, 0, "7.2 read events");

	/* trace-cmd's CPUSTAT option starts each CPU's text with "CPU: N". */
	snprintf(buf, sizeof(buf), "CPU: 1\n%s", stats_618);
	ret = bootrace_cpu_stats_parse(buf, &st);
	tap_ok(ret == 0 && st.entries == 10 && st.bytes == 564,
	       "stats with trace-cmd's 'CPU: N' line first");

	/* Newer kernels add lines: unknown keys are ignored. */
	snprintf(buf, sizeof(buf), "%slost pages: 12\nsome future key: 1 2 3\n", stats_618);
	ret = bootrace_cpu_stats_parse(buf, &st);
	tap_ok(ret == 0 && st.entries == 10, "unknown keys are ignored");

	ret = bootrace_cpu_stats_parse("bytes: 5\nentries: 3", &st);
	tap_ok(ret == 0 && st.entries == 3 && st.bytes == 5,
	       "entries and bytes alone, any order, no final newline");
	ret = bootrace_cpu_stats_parse("entries: 3\n\n\nbytes: 5\n\n", &st);
	tap_ok(ret == 0 && st.entries == 3 && st.bytes == 5, "blank lines are skipped");
	ret = bootrace_cpu_stats_parse("entries:\t 3 \nbytes:5\t\n", &st);
	tap_ok(ret == 0 && st.entries == 3 && st.bytes == 5, "blanks around numbers");
	ret = bootrace_cpu_stats_parse("entries: 18446744073709551615\nbytes: 1\n", &st);
	tap_ok(ret == 0 && st.entries == ULLONG_MAX, "largest counter");

	stats_bad(NULL, "NULL");
	stats_bad("", "empty");
	stats_bad("\n", "only a newline");
	stats_bad("entries: 10\noverrun: 0\n", "no bytes");
	stats_bad("overrun: 0\nbytes: 564\n", "no entries");
	stats_bad("CPU: 0\n", "only trace-cmd's CPU line");
	stats_bad("entries: 1x\nbytes: 5\n", "garbage after a number");
	stats_bad("entries: x1\nbytes: 5\n", "garbage before a number");
	stats_bad("entries: -1\nbytes: 5\n", "negative counter");
	stats_bad("entries: +1\nbytes: 5\n", "signed counter");
	stats_bad("entries: \nbytes: 5\n", "empty counter");
	stats_bad("entries: 0x10\nbytes: 5\n", "hex counter");
	stats_bad("entries: 1 2\nbytes: 5\n", "two numbers");
	stats_bad("entries: 18446744073709551616\nbytes: 5\n", "counter overflow");
	stats_bad("entries: 99999999999999999999999999\nbytes: 5\n", "huge counter");
	stats_bad("entries: 3\nbytes: 5\noldest event ts: soon\n", "garbage timestamp");
	stats_bad("entries: 3\nbytes: 5\nnow ts: 1.5s\n", "timestamp with a unit");
	stats_bad("entries: 3\nbytes: 5\nno colon here\n", "a line without a colon");
	stats_bad("entries 3\nbytes: 5\n", "entries without a colon");
	stats_bad("Entries: 3\nbytes: 5\n", "keys are case-sensitive");
	stats_bad(" entries: 3\nbytes: 5\n", "leading blank in a key");

	/* A line longer than any the kernel writes is refused, not cut. */
	memset(buf, 'x', 400);
	memcpy(buf, "entries: 3\nbytes: 5\nlong: ", 26);
	buf[400] = '\0';
	stats_bad(buf, "an overlong line");
	memset(buf, '1', 400);
	memcpy(buf, "bytes: 5\nentries: ", 18);
	buf[400] = '\0';
	stats_bad(buf, "an overlong number");
	/* 255 characters still fit. */
	memset(buf, 'y', sizeof(buf));
	memcpy(buf, "entries: 3\nbytes: 5\nlong:", 25);
	buf[20 + 255] = '\0';
	ret = bootrace_cpu_stats_parse(buf, &st);
	tap_ok(ret == 0 && st.entries == 3, "a 255-character unknown line is fine");
}

/* --------------------------------------------------- last_boot_info */

static void last_boot_bad(const char *text, const char *name)
{
	struct bootrace_last_boot lb;

	tap_ok(bootrace_last_boot_parse(text, &lb) < 0, "last_boot_info rejected: %s", name);
}

static void test_last_boot(void)
{
	struct bootrace_last_boot lb;
	int ret;

	ret = bootrace_last_boot_parse("# Current\n", &lb);
	tap_ok(ret == 0 && lb.kind == BOOTRACE_LAST_BOOT_CURRENT, "'# Current'");
	ret = bootrace_last_boot_parse("# Current", &lb);
	tap_ok(ret == 0 && lb.kind == BOOTRACE_LAST_BOOT_CURRENT, "'# Current' without newline");

	ret = bootrace_last_boot_parse("text delta:\t-52428800\n", &lb);
	tap_ok(ret == 0 && lb.kind == BOOTRACE_LAST_BOOT_TEXT_DELTA, "6.12 text delta");
	tap_is_int(lb.text_delta, -52428800, "6.12 text delta value");
	ret = bootrace_last_boot_parse("text delta: 4096\n", &lb);
	tap_ok(ret == 0 && lb.text_delta == 4096, "positive text delta");
	ret = bootrace_last_boot_parse("text delta:\t0\n", &lb);
	tap_ok(ret == 0 && lb.kind == BOOTRACE_LAST_BOOT_TEXT_DELTA && lb.text_delta == 0,
	       "zero text delta");

	ret = bootrace_last_boot_parse("ffffffff82600000\t[kernel]\n", &lb);
	tap_ok(ret == 0 && lb.kind == BOOTRACE_LAST_BOOT_ADDRESS, "7.1 kernel address");
	tap_ok(lb.kernel_addr == 0xffffffff82600000ULL, "kernel address value");
	tap_is_int(lb.nr_modules, 0, "no modules");

	ret = bootrace_last_boot_parse("ffffffff85a00000\t[kernel]\n"
				       "ffffffffc0a00000\tvirtio_net\n"
				       "ffffffffc0a20000\tnet_failover\n"
				       "ffffffffc0a30000\tfailover\n", &lb);
	tap_ok(ret == 0 && lb.kernel_addr == 0xffffffff85a00000ULL, "address with modules");
	tap_is_int(lb.nr_modules, 3, "three module lines");
	ret = bootrace_last_boot_parse("ffffffff85a00000\t[kernel]\nffffffffc0a00000\tfoo", &lb);
	tap_is_int(lb.nr_modules, 1, "last module line without newline");

	ret = bootrace_last_boot_parse("0\t[kernel]\n", &lb);
	tap_ok(ret == 0 && lb.kind == BOOTRACE_LAST_BOOT_ADDRESS && lb.kernel_addr == 0,
	       "6.18/7.0 '0\\t[kernel]'");
	ret = bootrace_last_boot_parse("FFFFFFFF82600000 [kernel]", &lb);
	tap_ok(ret == 0 && lb.kernel_addr == 0xffffffff82600000ULL,
	       "upper-case address, space separator");

	ret = bootrace_last_boot_parse("", &lb);
	tap_ok(ret == 0 && lb.kind == BOOTRACE_LAST_BOOT_NONE, "empty: none");
	ret = bootrace_last_boot_parse(NULL, &lb);
	tap_ok(ret == 0 && lb.kind == BOOTRACE_LAST_BOOT_NONE, "NULL: none");
	ret = bootrace_last_boot_parse("\n \n", &lb);
	tap_ok(ret == 0 && lb.kind == BOOTRACE_LAST_BOOT_NONE, "blank: none");

	last_boot_bad("garbage\n", "a word");
	last_boot_bad("# Curren", "a cut '# Current'");
	last_boot_bad("# current", "'# current' in lower case");
	last_boot_bad("text delta:\n", "text delta without number");
	last_boot_bad("text delta: abc\n", "text delta not a number");
	last_boot_bad("text delta: 99999999999999999999\n", "text delta overflow");
	last_boot_bad("ffffffff82600000\n", "address without [kernel]");
	last_boot_bad("ffffffff82600000[kernel]\n", "address glued to [kernel]");
	last_boot_bad("ffffffff82600000\t[kern]\n", "cut [kernel]");
	last_boot_bad("ffffffff82600000\tvmlinux\n", "a module line first");
	last_boot_bad("\t[kernel]\n", "no address");
	last_boot_bad("zzzz\t[kernel]\n", "non-hex address");
	last_boot_bad("-1\t[kernel]\n", "negative address");
	last_boot_bad("+ffffffff82600000\t[kernel]\n", "signed address");
	last_boot_bad("1ffffffff82600000\t[kernel]\n", "address overflow");
	last_boot_bad("\tffffffff82600000\t[kernel]\n", "leading tab");
}

/* ----------------------------------------------- kernel command line */

static void cfg_parse(const char *cmdline, struct bootrace_cmdline_config *cfg)
{
	/* Stale contents must not survive a parse. */
	memset(cfg, 'x', sizeof(*cfg));
	bootrace_cmdline_config_parse(cmdline, cfg);
}

static void cfg_none(const char *cmdline, const char *name)
{
	struct bootrace_cmdline_config cfg;

	cfg_parse(cmdline, &cfg);
	tap_ok(!cfg.has_reserve_mem && !cfg.has_persistent && !cfg.has_backup,
	       "no bootrace configuration: %s", name);
}

static void test_cmdline_config(void)
{
	struct bootrace_cmdline_config cfg;
	char buf[2048], name[201];
	int ret;

	cfg_parse("BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro reserve_mem=12M:4096:trace "
		  "trace_instance=boot_map@trace,sched,irq trace_instance=backup=boot_map quiet\n", &cfg);
	tap_ok(cfg.has_reserve_mem && cfg.has_persistent && cfg.has_backup,
	       "the documented line: all three parts");
	tap_is_str(cfg.label, "trace", "reserve_mem label");
	tap_is_str(cfg.persistent, "boot_map", "persistent name");
	tap_is_str(cfg.persistent_label, "trace", "persistent label without events");
	tap_is_str(cfg.backup, "backup", "backup name");
	tap_is_str(cfg.backup_source, "boot_map", "backup source");

	cfg_parse("trace_instance=backup=boot_map trace_instance=boot_map@trace reserve_mem=12M:4096:trace", &cfg);
	tap_ok(cfg.has_reserve_mem && cfg.has_persistent && cfg.has_backup, "reverse order");
	tap_is_str(cfg.persistent, "boot_map", "reverse order: persistent");
	tap_is_str(cfg.label, "trace", "reverse order: label");
	tap_is_str(cfg.backup_source, "boot_map", "reverse order: backup source");

	cfg_parse("reserve_mem=12M:4096:trace trace_instance=boot_map^traceoff@trace", &cfg);
	tap_is_str(cfg.persistent, "boot_map", "flags: name ends at '^'");
	tap_is_str(cfg.persistent_label, "trace", "flags: label");
	cfg_parse("trace_instance=boot_map^traceoff^traceprintk@trace,sched:sched_switch,syscalls:*", &cfg);
	tap_is_str(cfg.persistent, "boot_map", "two flags and events: name");
	tap_is_str(cfg.persistent_label, "trace", "two flags and events: label");

	cfg_parse("trace_instance=backup2=boot_map", &cfg);
	tap_ok(cfg.has_backup && !cfg.has_persistent, "backup form alone");
	tap_is_str(cfg.backup, "backup2", "backup form: name");
	tap_is_str(cfg.backup_source, "boot_map", "backup form: source");

	/* Quotes as the kernel's next_arg() handles them. */
	cfg_parse("\"trace_instance=boot_map@trace,sched\" \"reserve_mem=12M:4096:trace\"", &cfg);
	tap_ok(cfg.has_persistent && cfg.has_reserve_mem, "quoted parameters are parameters");
	tap_is_str(cfg.persistent, "boot_map", "quoted parameter: name without the quote");
	tap_is_str(cfg.label, "trace", "quoted parameter: label without the quote");
	cfg_parse("trace_instance=\"boot_map@trace,sched\" trace_instance=\"backup=boot_map\"", &cfg);
	tap_is_str(cfg.persistent, "boot_map", "quoted value: name without the quote");
	tap_is_str(cfg.persistent_label, "trace", "quoted value: label");
	tap_is_str(cfg.backup_source, "boot_map", "quoted value: backup source without the quote");
	cfg_parse("reserve_mem=\"12M:4096:trace\"", &cfg);
	tap_is_str(cfg.label, "trace", "quoted reserve_mem value: label without the quote");
	cfg_none("dyndbg=\"file x.c +p trace_instance=evil@trace reserve_mem=1M:4096:evil\" quiet",
		 "parameters inside another one's quotes");
	cfg_parse("foo=\"a b\" trace_instance=boot_map@trace", &cfg);
	tap_is_str(cfg.persistent, "boot_map", "a quoted value before ours");

	/* What follows a lone "--" goes to init. */
	cfg_none("quiet -- trace_instance=boot_map@trace reserve_mem=12M:4096:trace",
		 "parameters after ' -- '");
	cfg_none("quiet --\ttrace_instance=boot_map@trace", "parameters after '--' and a tab");
	cfg_none("-- trace_instance=boot_map@trace", "a line starting with '--'");
	cfg_parse("--foo trace_instance=boot_map@trace", &cfg);
	tap_ok(cfg.has_persistent, "'--foo' is not the init separator");
	cfg_parse("trace_instance=boot_map@trace --", &cfg);
	tap_ok(cfg.has_persistent, "'--' at the end");

	cfg_none("", "empty");
	cfg_none("\n", "a newline");
	cfg_none("quiet splash", "unrelated parameters");
	cfg_none("mitigations=auto console=ttyS0 quiet reboot=k panic=1 nomodule "
		 "rdinit=/process_api -- --firecracker-init --addr 0.0.0.0:2024",
		 "a real cmdline without bootrace");
	cfg_none("trace_instance= reserve_mem=", "empty values");
	cfg_none("trace_instance reserve_mem", "no values");
	cfg_none("trace_instance=foo", "instance without '@' or '='");
	cfg_none("trace_instance=foo,sched", "instance with events only");
	cfg_none("reserve_mem=12M", "reserve_mem without label");
	cfg_none("xtrace_instance=boot_map@trace xreserve_mem=12M:4096:trace",
		 "longer parameter names");
	cfg_none("trace_instance_x=boot_map@trace reserve_memx=12M:4096:trace",
		 "parameter names with a suffix");
	cfg_none("\"", "a lone quote");
	cfg_none("\"\"", "two quotes");
	cfg_none("=", "a lone '='");
	cfg_none("\"trace_instance", "an open quote");
	ret = bootrace_cmdline_config_parse(NULL, &cfg);
	tap_ok(ret < 0 && !cfg.has_persistent, "NULL is -EINVAL");

	cfg_parse("trace_instance=boot_map@trace\ttrace_instance=backup=boot_map\nreserve_mem=1M:4096:x", &cfg);
	tap_ok(cfg.has_persistent && cfg.has_backup && cfg.has_reserve_mem,
	       "tabs and newlines separate parameters");

	/* Overlong names are cut to the struct's size, never overflow it. */
	memset(name, 'n', 200);
	name[200] = '\0';
	snprintf(buf, sizeof(buf), "trace_instance=%s@%s,sched trace_instance=%s=%s reserve_mem=1M:1:%s",
		 name, name, name, name, name);
	cfg_parse(buf, &cfg);
	tap_ok(strlen(cfg.persistent) == 63 && strlen(cfg.persistent_label) == 63 &&
	       strlen(cfg.backup) == 63 && strlen(cfg.backup_source) == 63 &&
	       strlen(cfg.label) == 63, "overlong names are cut to 63 characters");
}

int main(void)
{
	test_size();
	test_stats();
	test_last_boot();
	test_cmdline_config();
	return tap_done();
}
