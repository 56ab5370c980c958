/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The trace.dat check and the sandbox, one rule at a time: a small but
 * complete version 7 file is built by hand, damaged in one place, and must
 * be refused with a message naming the field and its offset (or, for what
 * is only unusual, read). Then the child process the libraries run in:
 * what it sends comes back; a crash, a loop, a hang become errors with a
 * reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"
#include "tap.h"
#include "tracedat-reader.h"

static const char header_page[] =
	"\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
	"\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n"
	"\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n"
	"\tfield: char data;\toffset:16;\tsize:4080;\tsigned:0;\n";
static const char header_event[] = "# compressed entry header\n\ttype_len    :    5 bits\n";

#define PAGE 4096
#define RB_MISSED_EVENTS (1ULL << 31)
#define RB_MISSED_STORED (1ULL << 30)

/* What to build, and what to damage. */
struct v7_spec {
	uint32_t page_size;		/* in the initial format */
	uint16_t options_flags;		/* of the first options section */
	bool loop;			/* the last DONE points back */
	const char *printk;		/* a printk section of this text, or NULL */
	const char *clock;		/* TRACECLOCK */
	bool hook;			/* a HOOK option */
	bool no_header_info;		/* no HEADER_INFO option */
	int cpus;			/* with a page of data each */
	long long cpu0_at;		/* CPU 0's data offset, relative to its place */
	bool cpu0_at_zero;		/* or 0, the start of the file */
	uint64_t cpu0_size;		/* 0: a page */
	uint64_t commit;		/* CPU 0's page commit field */
	uint64_t stored;		/* after the data, with RB_MISSED_STORED */
	uint64_t fly_size;		/* the flyrecord section's size, when not 0 */
};

struct file {
	unsigned char data[65536];
	size_t len;
};

static void put(struct file *f, const void *p, size_t len)
{
	memcpy(f->data + f->len, p, len);
	f->len += len;
}

static void put16(struct file *f, uint16_t v) { put(f, &v, 2); }
static void put32(struct file *f, uint32_t v) { put(f, &v, 4); }
static void put64(struct file *f, uint64_t v) { put(f, &v, 8); }
static void set64(struct file *f, size_t at, uint64_t v) { memcpy(f->data + at, &v, 8); }

/* A section header; the offset of its size field, to set at its end. */
static size_t section(struct file *f, uint16_t id, uint16_t flags)
{
	put16(f, id);
	put16(f, flags);
	put32(f, 0);
	put64(f, 0);
	return f->len - 8;
}

static void section_end(struct file *f, size_t size_at)
{
	set64(f, size_at, f->len - size_at - 8);
}

static void option(struct file *f, uint16_t id, const char *text)
{
	put16(f, id);
	put32(f, strlen(text) + 1);
	put(f, text, strlen(text) + 1);
}

static void offset_option(struct file *f, uint16_t id, uint64_t at)
{
	put16(f, id);
	put32(f, 8);
	put64(f, at);
}

/* DONE and the next section's offset; where that offset is. */
static size_t done(struct file *f)
{
	put16(f, 0);
	put32(f, 8);
	put64(f, 0);
	return f->len - 8;
}

static void build(struct file *f, const struct v7_spec *spec)
{
	size_t first_at, size_at, next_at, second, fly, buffer_at, data_at;
	size_t headers, printk = 0;
	int cpus = spec->cpus ? spec->cpus : 1;

	f->len = 0;
	put(f, "\x17\x08\x44tracing7", 12);
	put(f, "\0\x08", 2);
	put32(f, spec->page_size ? spec->page_size : PAGE);
	put(f, "none", 5);
	put(f, "", 1);
	first_at = f->len;
	put64(f, 0);

	headers = f->len;
	size_at = section(f, 16, 0);
	put(f, "header_page", 12);
	put64(f, strlen(header_page));
	put(f, header_page, strlen(header_page));
	put(f, "header_event", 13);
	put64(f, strlen(header_event));
	put(f, header_event, strlen(header_event));
	section_end(f, size_at);
	if (spec->printk) {
		printk = f->len;
		size_at = section(f, 20, 0);
		put32(f, strlen(spec->printk));
		put(f, spec->printk, strlen(spec->printk));
		section_end(f, size_at);
	}

	set64(f, first_at, f->len);
	size_at = section(f, 0, spec->options_flags);
	if (!spec->no_header_info)
		offset_option(f, 16, headers);
	if (printk)
		offset_option(f, 20, printk);
	put16(f, 8);
	put32(f, 4);
	put32(f, cpus);
	option(f, 2, "CPU: 0\nentries: 1\n");
	option(f, 2, "\nBuffer: named\n\n");
	option(f, 2, "CPU: 0\nentries: 0\noverrun: 3\n");
	option(f, 4, spec->clock ? spec->clock : "[boot] local");
	if (spec->hook)
		option(f, 6, "sched:sched_switch,prev_pid/sched:sched_wakeup,pid");
	next_at = done(f);
	section_end(f, size_at);

	second = f->len;
	set64(f, next_at, second);
	size_at = section(f, 0, 0);
	option(f, 24, "backup:ffffffff82600000\t[kernel]\n");
	option(f, 5, "Linux guest 7.2.13 x86_64");
	/* BUFFER: section, name, clock, page size, CPUs, then per CPU id, offset, size. */
	put16(f, 3);
	put32(f, 8 + 1 + 6 + 4 + 4 + cpus * 20);
	buffer_at = f->len;
	put64(f, 0);
	put(f, "", 1);
	put(f, "local", 6);
	put32(f, PAGE);
	put32(f, cpus);
	for (int cpu = 0; cpu < cpus; cpu++) {
		put32(f, cpu);
		put64(f, 0);
		put64(f, 0);
	}
	next_at = done(f);
	set64(f, next_at, spec->loop ? second : 0);
	section_end(f, size_at);

	fly = f->len;
	set64(f, buffer_at, fly);
	size_at = section(f, 3, 0);
	f->len = (f->len + PAGE - 1) / PAGE * PAGE;
	data_at = f->len;
	for (int cpu = 0; cpu < cpus; cpu++) {
		uint64_t ts = 1000, commit = cpu ? 0 : spec->commit;
		size_t at = buffer_at + 8 + 1 + 6 + 8 + cpu * 20 + 4;

		memset(f->data + f->len, 0, PAGE);
		memcpy(f->data + f->len, &ts, 8);
		memcpy(f->data + f->len + 8, &commit, 8);
		/* The data, when there is some: one event of that length. */
		if ((commit & 0xffff) >= 8) {
			uint32_t head = (commit & 0xffff) / 4 - 1;

			memcpy(f->data + f->len + 16, &head, 4);
		}
		if (!cpu && (commit & RB_MISSED_STORED))
			memcpy(f->data + f->len + 16 + (commit & 0xffff), &spec->stored, 8);
		set64(f, at, !cpu && spec->cpu0_at_zero ? 0 : f->len + (cpu ? 0 : spec->cpu0_at));
		set64(f, at + 8, cpu || !spec->cpu0_size ? PAGE : spec->cpu0_size);
		f->len += PAGE;
	}
	section_end(f, size_at);
	if (spec->fly_size)
		set64(f, size_at, spec->fly_size);
	(void)data_at;
}

static char tmp[] = "/tmp/test-tracedat-check.XXXXXX";
static char path[64];

/* The file's check: 0 or -errno; the message in @why. */
static int check(const struct file *f, struct tracedat_options *o, struct tracedat_layout *l,
		 char why[TRACEDAT_WHY_MAX])
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, f->data, f->len) != (ssize_t)f->len)
		return -999;
	close(fd);
	return tracedat_options_read(path, o, l, why, TRACEDAT_WHY_MAX);
}

/* Built with @spec, the file must be refused, the message holding @words. */
static void refused(const struct v7_spec *spec, const char *words, const char *name)
{
	struct tracedat_options o;
	struct tracedat_layout l;
	char why[TRACEDAT_WHY_MAX] = "";
	struct file f;
	int ret;

	build(&f, spec);
	ret = check(&f, &o, &l, why);
	tap_ok(ret == -EINVAL && strstr(why, words) && strstr(why, " at offset "),
	       "%s: refused (%s)", name, why);
	if (!ret) {
		tracedat_options_clear(&o);
		tracedat_layout_clear(&l);
	}
}

static void test_whole(void)
{
	struct v7_spec spec = { 0 };
	struct tracedat_options o;
	struct tracedat_layout l;
	char why[TRACEDAT_WHY_MAX];
	struct file f;
	int ret;

	build(&f, &spec);
	ret = check(&f, &o, &l, why);
	tap_is_int(ret, 0, "a whole version 7 file is read");
	if (ret) {
		printf("# %s\n", why);
		return;
	}
	tap_is_int(o.nr_cpus, 1, "CPUCOUNT");
	tap_is_int(o.nr_cpustats, 2, "two CPUSTATs, the buffer's separator not one of them");
	if (o.nr_cpustats == 2) {
		tap_is_str(o.cpustats[0].buffer, "", "the first is the top level's");
		tap_is_str(o.cpustats[1].buffer, "named", "the next after \"Buffer: named\" is its");
	}
	tap_is_str(o.trace_clock, "[boot] local", "TRACECLOCK");
	tap_is_str(o.uname, "Linux guest 7.2.13 x86_64", "UNAME, from the second options section");
	tap_is_str(o.last_boot_instance, "backup", "LAST_BOOT_INFO");
	tap_ok(o.writer == NULL && !tracedat_written_by_bootrace(&o), "no VERSION: no writer");
	tap_is_int(l.nr_buffers, 1, "one buffer");
	tap_is_int(l.nr_buffers ? l.buffers[0].nr_cpus : 0, 1, "with one CPU");
	tap_ok(l.nr_buffers && l.buffers[0].cpus[0].offset % PAGE == 0, "its data page aligned");
	tap_ok(l.nr_buffers && !l.buffers[0].cpus[0].missed_pages, "no page marked");
	tracedat_options_clear(&o);
	tracedat_layout_clear(&l);
}

static void test_refusals(void)
{
	refused(&(struct v7_spec){ .page_size = 1 }, "page size at offset 14", "a page size of 1");
	refused(&(struct v7_spec){ .page_size = 3000 }, "page size", "a page size not a power of two");
	refused(&(struct v7_spec){ .fly_size = 0xfffffffffffffff0ULL }, "runs past the end of the file",
		"a section size near 2^64");
	refused(&(struct v7_spec){ .loop = true }, "loop back", "options sections in a loop");
	refused(&(struct v7_spec){ .options_flags = 1 }, "marked compressed in a file without compression",
		"a compressed section in a file without compression");
	refused(&(struct v7_spec){ .cpu0_at = -4096 }, "outside the place for CPU data",
		"CPU data inside the metadata");
	refused(&(struct v7_spec){ .cpu0_at_zero = true }, "CPU 0 data of the top-level buffer at offset 0",
		"CPU data at offset 0");
	refused(&(struct v7_spec){ .cpu0_at = 100, .cpu0_size = PAGE - 100 }, "not aligned",
		"CPU data not page aligned");
	refused(&(struct v7_spec){ .cpu0_size = 1ULL << 40 }, "run past the end of the file",
		"CPU data past the end of the file");
	refused(&(struct v7_spec){ .cpu0_size = 100 }, "not whole", "CPU data not whole pages");
	refused(&(struct v7_spec){ .cpus = 2, .cpu0_size = 2 * PAGE }, "overlaps",
		"two CPUs' data overlapping");
	refused(&(struct v7_spec){ .commit = PAGE }, "a page says it holds 4096 bytes",
		"a page longer than a page");
	refused(&(struct v7_spec){ .commit = 6 }, "an event runs past the end of its page's data",
		"an event longer than its page's data");
	refused(&(struct v7_spec){ .printk = "\x28\xb5\x2f\xfd\x01\x02 not text" }, "not text",
		"binary data in a section flagged not compressed");
	refused(&(struct v7_spec){ .printk = "0xffffffff81000000 no colon\n" }, "printk formats",
		"a printk format line without ':'");
	refused(&(struct v7_spec){ .clock = "[] local" }, "TRACECLOCK", "a clock of brackets only");
	refused(&(struct v7_spec){ .hook = true }, "HOOK option", "an event hook");
	refused(&(struct v7_spec){ .no_header_info = true }, "no HEADER_INFO option",
		"no option saying where the page header is");
}

static void test_marks(void)
{
	struct tracedat_options o;
	struct tracedat_layout l;
	char why[TRACEDAT_WHY_MAX];
	struct file f;

	/* 7.2 drops a corrupt sub-buffer: marked, and empty. */
	build(&f, &(struct v7_spec){ .commit = RB_MISSED_EVENTS });
	if (check(&f, &o, &l, why)) {
		tap_ok(0, "a dropped page is read (%s)", why);
		return;
	}
	tap_is_int(l.buffers[0].cpus[0].missed_pages, 1, "a page marked as after lost events is counted");
	tap_is_int(l.buffers[0].cpus[0].dropped_pages, 1, "and, empty, as dropped by the kernel");
	tracedat_options_clear(&o);
	tracedat_layout_clear(&l);
	build(&f, &(struct v7_spec){ .commit = RB_MISSED_EVENTS | RB_MISSED_STORED | 24, .stored = 17 });
	if (check(&f, &o, &l, why)) {
		tap_ok(0, "a page with a stored count is read (%s)", why);
		return;
	}
	tap_is_int(l.buffers[0].cpus[0].missed_events, 17, "the count the kernel stored after the data");
	tap_is_int(l.buffers[0].cpus[0].dropped_pages, 0, "a page with data is not a dropped one");
	tracedat_options_clear(&o);
	tracedat_layout_clear(&l);
}

/* ---- the sandbox ---- */

static int send_numbers(struct br_wire *out, char *why, size_t len, void *data)
{
	br_wire_u64(out, 42);
	br_wire_str(out, "forty-two");
	br_wire_str(out, NULL);
	return 0;
}

/* abort(): a crash that AddressSanitizer, in a sanitizer build, leaves to the kernel. */
static int crash(struct br_wire *out, char *why, size_t len, void *data)
{
	abort();
	return 0;
}

static int spin(struct br_wire *out, char *why, size_t len, void *data)
{
	for (volatile unsigned long i = 0;; i++)
		;
	return 0;
}

static int wait_forever(struct br_wire *out, char *why, size_t len, void *data)
{
	for (;;)
		pause();
	return 0;
}

static int refuse(struct br_wire *out, char *why, size_t len, void *data)
{
	snprintf(why, len, "libtracecmd cannot read it");
	return -EINVAL;
}

static void test_sandbox(void)
{
	struct br_sandbox_limits lim = { 0, 1 };
	struct br_wire w;
	char why[256], *s;
	int ret;

	ret = br_sandbox_run(&lim, send_numbers, NULL, &w, why, sizeof(why));
	tap_is_int(ret, 0, "the child's findings come back");
	tap_is_int(br_wire_get_u64(&w), 42, "a number");
	s = br_wire_get_str(&w);
	tap_is_str(s, "forty-two", "a string");
	free(s);
	tap_ok(br_wire_get_str(&w) == NULL && !w.failed, "NULL");
	tap_ok(br_wire_get_u64(&w) == 0 && w.failed, "reading past the end fails, never reads beyond");
	br_wire_free(&w);

	ret = br_sandbox_run(&lim, crash, NULL, &w, why, sizeof(why));
	tap_ok(ret == -EFAULT && strstr(why, "crashed (signal 6"), "a crash is an error: %s", why);
	ret = br_sandbox_run(&lim, spin, NULL, &w, why, sizeof(why));
	/* On a busy machine the waiting may run out before the CPU time. */
	tap_ok(ret == -ETIMEDOUT && (strstr(why, "1 s of CPU") || strstr(why, "did not finish")),
	       "a loop is stopped: %s", why);
	ret = br_sandbox_run(&lim, wait_forever, NULL, &w, why, sizeof(why));
	tap_ok(ret == -ETIMEDOUT && strstr(why, "did not finish in 2 s"), "a hang is stopped: %s", why);
	ret = br_sandbox_run(&lim, refuse, NULL, &w, why, sizeof(why));
	tap_ok(ret == -EINVAL && !strcmp(why, "libtracecmd cannot read it"),
	       "the child's own error and reason come back: %s", why);
}

int main(void)
{
	if (!mkdtemp(tmp))
		return 1;
	snprintf(path, sizeof(path), "%s/trace.dat", tmp);
	test_whole();
	test_refusals();
	test_marks();
	test_sandbox();
	unlink(path);
	rmdir(tmp);
	return tap_done();
}
