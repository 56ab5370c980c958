/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The trace.dat writer, checked against libtracecmd itself: a synthetic
 * trace with hand-built ring-buffer pages is written, then opened with
 * tracecmd_open() and read back record by record. The options reader is
 * checked on the same files and on malformed ones.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event-parse.h>
#include <trace-cmd.h>

#include "bootrace.h"
#include "config.h"
#include "tap.h"
#include "tracedat.h"
#include "tracedat-reader.h"

/*
 * libtracecmd parses the clock of a file with a TRACECLOCK option twice
 * (the option, then the string after the flyrecord table) and leaks the
 * first copy, for trace-cmd's own files too. Only LeakSanitizer calls
 * this; without it, it is an unused function.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:__isoc99_vsscanf\n";
}

/* As read from events/header_page of a 6.18 kernel, 4 KB sub-buffers. */
static const char header_page_4k[] =
	"\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
	"\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n"
	"\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n"
	"\tfield: char data;\toffset:16;\tsize:4080;\tsigned:0;\n";

/* The same for an instance with buffer_subbuf_size_kb=8. */
static const char header_page_8k[] =
	"\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
	"\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n"
	"\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n"
	"\tfield: char data;\toffset:16;\tsize:8176;\tsigned:0;\n";

static const char header_event[] =
	"# compressed entry header\n"
	"\ttype_len    :    5 bits\n"
	"\ttime_delta  :   27 bits\n"
	"\tarray       :   32 bits\n"
	"\n"
	"\tpadding     : type == 29\n"
	"\ttime_extend : type == 30\n"
	"\ttime_stamp : type == 31\n"
	"\tdata max type_len  == 28\n";

#define COMMON_FIELDS							\
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n" \
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n" \
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n" \
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"

#define PRINT_ID 5
static const char print_format[] =
	"name: print\nID: 5\nformat:\n" COMMON_FIELDS
	"\tfield:unsigned long ip;\toffset:8;\tsize:8;\tsigned:0;\n"
	"\tfield:char buf[];\toffset:16;\tsize:0;\tsigned:0;\n\n"
	"print fmt: \"%ps: %s\", (void *)REC->ip, REC->buf\n";

#define TICK_ID 1000
static const char tick_format[] =
	"name: tick\nID: 1000\nformat:\n" COMMON_FIELDS
	"\tfield:unsigned int cpu;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:unsigned long long seq;\toffset:16;\tsize:8;\tsigned:0;\n\n"
	"print fmt: \"cpu=%u seq=%llu\", REC->cpu, REC->seq\n";

static const char kallsyms[] =
	"ffffffff81000000 T _text\n"
	"ffffffff81234560 T bootrace_marker_fn\n";

#define NR_CPUS 4
/* Records per page, per CPU; CPU 2 stays empty, CPU 1 spans two pages. */
static const int cpu_pages[NR_CPUS][2] = { { 5, 0 }, { 4, 3 }, { 0, 0 }, { 3, 0 } };

#define STATS(entries, bytes, read)					\
	"entries: " #entries "\noverrun: 0\ncommit overrun: 0\nbytes: " #bytes	\
	"\noldest event ts:  1659.120569\nnow ts:  1660.351468\n"		\
	"dropped events: 0\nread events: " #read "\n"
static const char *const stats_text[NR_CPUS] = {
	STATS(5, 200, 0), STATS(7, 280, 2), STATS(0, 0, 0), STATS(3, 120, 0),
};

/* ---- hand-built ring-buffer pages ---- */

struct page {
	unsigned char *buf;
	size_t size, used;
};

static void page_start(struct page *p, unsigned long long ts)
{
	memset(p->buf, 0, p->size);
	memcpy(p->buf, &ts, sizeof(ts));
	p->used = 16;
}

/* An event whose payload fits type_len: length in 4-byte words. */
static void page_add(struct page *p, const void *payload, size_t len)
{
	uint32_t header = (len / 4) | (100u << 5);	/* delta: 100 ns */
	unsigned long long commit;

	memcpy(p->buf + p->used, &header, sizeof(header));
	memcpy(p->buf + p->used + 4, payload, len);
	p->used += 4 + len;
	commit = p->used - 16;
	memcpy(p->buf + 8, &commit, sizeof(commit));
}

static void add_tick(struct page *p, unsigned int cpu, unsigned long long seq)
{
	unsigned char ev[24] = { 0 };
	uint16_t type = TICK_ID;
	int pid = 100 + cpu;

	memcpy(ev, &type, 2);
	memcpy(ev + 4, &pid, 4);
	memcpy(ev + 8, &cpu, 4);
	memcpy(ev + 16, &seq, 8);
	page_add(p, ev, sizeof(ev));
}

static void add_print(struct page *p, unsigned long long ip, const char *msg)
{
	unsigned char ev[112] = { 0 };
	uint16_t type = PRINT_ID;
	int pid = 42;
	size_t len = 16 + strlen(msg) + 1;

	memcpy(ev, &type, 2);
	memcpy(ev + 4, &pid, 4);
	memcpy(ev + 8, &ip, 8);
	memcpy(ev + 16, msg, strlen(msg) + 1);
	page_add(p, ev, (len + 3) & ~3UL);
}

/* The seq of a tick is cpu * 1000 + its index, so a read can be checked. */
static int write_cpu(struct tracedat_writer *w, struct page *p, int cpu,
		     unsigned long long ip)
{
	int pg, i, n = 0, ret;

	ret = tracedat_cpu_begin(w, cpu);
	for (pg = 0; !ret && pg < 2 && cpu_pages[cpu][pg]; pg++) {
		page_start(p, 1000000ULL * (pg + 1) + cpu);
		for (i = 0; i < cpu_pages[cpu][pg]; i++, n++) {
			if (n % 2)
				add_print(p, ip, "marker from bootrace\n");
			else
				add_tick(p, cpu, cpu * 1000 + n);
		}
		ret = tracedat_cpu_write(w, p->buf, p->size);
	}
	return ret ? ret : tracedat_cpu_end(w);
}

static struct tracedat_blob blob(const char *s)
{
	return (struct tracedat_blob){ s, strlen(s) };
}

static struct tracedat_blob cpustats[NR_CPUS];
static struct tracedat_blob ftrace_formats[1];
static struct tracedat_event_format tick_event = { "tick", { 0 } };
static struct tracedat_system systems[1] = { { "bootrace", 1, &tick_event } };

static void fill_meta(struct tracedat_meta *m, unsigned int page_size)
{
	int i;

	for (i = 0; i < NR_CPUS; i++)
		cpustats[i] = blob(stats_text[i]);
	ftrace_formats[0] = blob(print_format);
	tick_event.format = blob(tick_format);
	*m = (struct tracedat_meta){
		.page_size = page_size,
		.nr_cpus = NR_CPUS,
		.header_page = blob(page_size == 4096 ? header_page_4k : header_page_8k),
		.header_event = blob(header_event),
		.nr_ftrace_formats = 1,
		.ftrace_formats = ftrace_formats,
		.nr_systems = 1,
		.systems = systems,
		.kallsyms = blob(kallsyms),
		.cmdlines = blob("42 marker-task\n"),
		.trace_clock = "[local] global counter uptime perf mono boot\n",
		.uname = "Linux testhost 7.2.13 x86_64",
		.cpustats = cpustats,
		.last_boot_instance = "backup",
		.last_boot_info = "ffffffff85000000\t[kernel]\n",
	};
}

static char tmpdir[] = "/tmp/test-tracedat.XXXXXX";

static int write_synthetic(const char *path, unsigned int page_size,
			   unsigned long long ip)
{
	struct tracedat_writer *w;
	struct tracedat_meta meta;
	struct page p = { calloc(1, page_size), page_size, 0 };
	int fd, cpu, ret;

	fill_meta(&meta, page_size);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || !p.buf)
		return -errno;
	ret = tracedat_begin(fd, &meta, &w);
	for (cpu = 0; !ret && cpu < NR_CPUS; cpu++)
		if (cpu_pages[cpu][0])
			ret = write_cpu(w, &p, cpu, ip);
	if (!ret)
		ret = tracedat_finish(w);
	tracedat_free(w);
	close(fd);
	free(p.buf);
	return ret;
}

/* ---- reading it back with libtracecmd ---- */

static void check_with_libtracecmd(const char *path, unsigned int page_size)
{
	struct tracecmd_input *h = tracecmd_open(path, 0);
	struct tep_record *rec;
	unsigned long long seq = 0;
	int cpu, count;

	tap_ok(h != NULL, "%u: tracecmd_open reads the file", page_size);
	if (!h)
		return;
	for (cpu = 0; cpu < NR_CPUS; cpu++) {
		count = 0;
		while ((rec = tracecmd_read_data(h, cpu))) {
			struct tep_event *ev;

			ev = tep_find_event_by_record(tracecmd_get_tep(h), rec);
			if (cpu == 3 && count == 2 && ev && ev->id == TICK_ID)
				tep_get_field_val(NULL, ev, "seq", rec, &seq, 0);
			count++;
			tracecmd_free_record(rec);
		}
		tap_is_int(count, cpu_pages[cpu][0] + cpu_pages[cpu][1],
			   "records of one CPU");
	}
	tap_is_int(seq, 3002, "field value read back");
	tracecmd_close(h);
}

static void check_options(const char *path, unsigned int page_size, int version)
{
	struct tracedat_options o;
	char why[TRACEDAT_WHY_MAX];
	int ret = tracedat_options_read(path, &o, NULL, why, sizeof(why));

	tap_is_int(ret, 0, "options of the written file read back");
	if (ret) {
		printf("# %s\n", why);
		return;
	}
	tap_is_int(o.version, version, "file version");
	tap_is_int(o.page_size, page_size, "page size is the sub-buffer size");
	tap_is_int(o.nr_cpus, NR_CPUS, "cpu count");
	tap_is_str(o.writer, "bootrace " BOOTRACE_VERSION, "VERSION names bootrace");
	tap_ok(tracedat_written_by_bootrace(&o), "and so the file is bootrace's");
	tap_is_int(o.nr_kernel_stats, NR_CPUS, "bootrace's own option: one per CPU");
	if (o.nr_kernel_stats == NR_CPUS)
		tap_is_str(o.kernel_stats[1], "CPU: 1\n" STATS(7, 280, 2),
			   "it keeps the kernel's stats from before reading");
	tap_is_int(o.nr_cpustats, NR_CPUS, "one CPUSTAT per CPU");
	if (o.nr_cpustats == NR_CPUS) {
		tap_is_str(o.cpustats[1].text, "CPU: 1\n" STATS(0, 0, 9),
			   "CPUSTAT: the stats after reading, as trace-cmd stores them");
		tap_is_str(o.cpustats[1].buffer, "", "of the top-level buffer");
	}
	tap_is_str(o.trace_clock, "[local] global counter uptime perf mono boot\n",
		   "TRACECLOCK");
	tap_is_str(o.uname, "Linux testhost 7.2.13 x86_64", "UNAME");
	tap_is_str(o.last_boot_instance, "backup", "LAST_BOOT_INFO instance");
	tap_is_str(o.last_boot_info, "ffffffff85000000\t[kernel]\n",
		   "LAST_BOOT_INFO text");
	tracedat_options_clear(&o);
}

/* ---- writer errors ---- */

static void check_writer_errors(void)
{
	struct tracedat_writer *w = NULL;
	struct tracedat_meta meta;
	int fd, ret;

	fill_meta(&meta, 4096);
	fd = open("/dev/full", O_WRONLY);
	ret = fd < 0 ? -ENOSPC : tracedat_begin(fd, &meta, &w);
	tap_is_int(ret, -ENOSPC, "a full disk comes back as -ENOSPC");
	tap_ok(w == NULL, "no writer after a failed begin");
	if (fd >= 0)
		close(fd);

	meta.page_size = 3000;
	tap_is_int(tracedat_begin(1, &meta, &w), -EINVAL,
		   "page size that is not a power of two is refused");
	fill_meta(&meta, 4096);
	meta.last_boot_instance = "a:b";
	tap_is_int(tracedat_begin(1, &meta, &w), -EINVAL,
		   "instance name with ':' is refused");

	fill_meta(&meta, 4096);
	fd = open("/dev/null", O_WRONLY);
	ret = tracedat_begin(fd, &meta, &w);
	tap_is_int(ret, 0, "begin on /dev/null");
	if (!ret) {
		tap_is_int(tracedat_cpu_write(w, "x", 1), -EINVAL,
			   "write outside a CPU is refused");
		tap_is_int(tracedat_cpu_begin(w, 2), 0, "begin CPU 2");
		tap_is_int(tracedat_cpu_begin(w, 3), -EINVAL,
			   "begin while a CPU is open is refused");
		tracedat_cpu_end(w);
		tap_is_int(tracedat_cpu_begin(w, 1), -EINVAL,
			   "CPUs must come in increasing order");
		tap_is_int(tracedat_cpu_begin(w, NR_CPUS), -EINVAL,
			   "CPU beyond nr_cpus is refused");
		tap_ok(tracedat_offset(w) % 4096 == 0, "CPU data starts on a page");
	}
	tracedat_free(w);
	close(fd);
}

/*
 * A file size limit makes write(2) return a short count and then EFBIG:
 * the short write must be continued and the error passed on.
 */
static void check_short_write(const char *path)
{
	struct rlimit lim = { 1000, 1000 };
	struct tracedat_writer *w;
	struct tracedat_meta meta;
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &lim);
		fill_meta(&meta, 4096);
		_exit(tracedat_begin(fd, &meta, &w) == -EFBIG ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "short write then EFBIG comes back as -EFBIG");
}

/* ---- malformed input for the options reader ---- */

static char *slurp(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) || !(buf = malloc(st.st_size))) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	*len = read(fd, buf, st.st_size);
	close(fd);
	return buf;
}

/* The file's options read back; the problem, if any, in @why (TRACEDAT_WHY_MAX). */
static int read_bytes_as_file(const char *path, const void *buf, size_t len, char *why)
{
	struct tracedat_options o;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int ret;

	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		return -999;
	close(fd);
	ret = tracedat_options_read(path, &o, NULL, why, TRACEDAT_WHY_MAX);
	if (!ret)
		tracedat_options_clear(&o);
	return ret;
}

static size_t find(const char *buf, size_t len, const char *s, size_t slen)
{
	const char *p = memmem(buf, len, s, slen);

	return p ? (size_t)(p - buf) : 0;
}

static void corrupt_u32(const char *good, size_t len, const char *path,
			size_t at, uint32_t value, const char *name)
{
	char *bad = malloc(len), why[TRACEDAT_WHY_MAX] = "";
	int ret;

	memcpy(bad, good, len);
	memcpy(bad + at, &value, sizeof(value));
	ret = read_bytes_as_file(path, bad, len, why);
	tap_ok(ret == -EINVAL && strstr(why, " at offset "), "absurd %s: -EINVAL (%s)", name, why);
	free(bad);
}

static int read_missing(void)
{
	struct tracedat_options o;
	char why[TRACEDAT_WHY_MAX];
	int ret = tracedat_options_read("/nonexistent/x.dat", &o, NULL, why, sizeof(why));

	if (!ret)
		tracedat_options_clear(&o);
	return ret;
}

static void check_malformed(const char *good_path, const char *path)
{
	size_t len = 0, fly, cut, at;
	char *good = slurp(good_path, &len), why[TRACEDAT_WHY_MAX];
	int bad_cuts = 0, ret;

	tap_ok(good != NULL, "read the synthetic file");
	if (!good)
		return;
	tap_is_int(read_bytes_as_file(path, "", 0, why), -EINVAL, "empty file");
	tap_ok(!strncmp(why, "magic at offset 0", 17), "empty file fails at the magic (%s)", why);
	ret = read_bytes_as_file(path, "\x17\x08\x45tracing6", 12, why);
	tap_is_int(ret, -EINVAL, "bad magic");
	tap_is_int(read_missing(), -ENOENT, "missing file is -ENOENT");

	/* Every cut before the end of the flyrecord tag must fail cleanly. */
	fly = find(good, len, "flyrecord", 10) + 10;
	for (cut = 0; cut < fly; cut++) {
		why[0] = '\0';
		if (read_bytes_as_file(path, good, cut, why) >= 0 || !strstr(why, " at offset "))
			bad_cuts++;
	}
	tap_is_int(bad_cuts, 0, "every truncation fails, naming the field and its offset");
	tap_is_int(read_bytes_as_file(path, good, fly, why), -EINVAL,
		   "a file cut after the flyrecord tag is refused");
	tap_ok(strstr(why, "flyrecord CPU table at offset") != NULL, "... naming the part (%s)", why);
	tap_is_int(read_bytes_as_file(path, good, len - 1, why), -EINVAL,
		   "a file missing its last byte of data is refused");
	tap_ok(strstr(why, "CPU 3 data of the top-level buffer") != NULL, "... naming the CPU (%s)", why);
	tap_is_int(read_bytes_as_file(path, good, len, why), 0, "the whole file is read");

	at = find(good, len, "header_page", 12) + 12;
	corrupt_u32(good, len, path, at, 0xfffffff0, "header_page size");
	at = find(good, len, "options  ", 10) + 10 + 2;
	corrupt_u32(good, len, path, at, 0xfffffff0, "option size");
	at = find(good, len, "bootrace", 9) - 4;
	corrupt_u32(good, len, path, at, 0x7fffffff, "number of systems");
	at = find(good, len, kallsyms, 10) - 4;
	corrupt_u32(good, len, path, at, 0xffffffff, "kallsyms size");
	free(good);
}

/* Random byte damage in the metadata must never crash the reader. */
static void check_fuzz(const char *good_path, const char *path)
{
	size_t len = 0, fly;
	char *good = slurp(good_path, &len), *bad, why[TRACEDAT_WHY_MAX];
	int i, j;

	if (!good)
		return;
	fly = find(good, len, "flyrecord", 10) + 10;
	bad = malloc(fly);
	srand(1);
	for (i = 0; i < 300; i++) {
		memcpy(bad, good, fly);
		for (j = 0; j < 4; j++)
			bad[rand() % fly] = rand();
		read_bytes_as_file(path, bad, fly, why);
	}
	tap_ok(1, "300 damaged files read without a crash");
	free(bad);
	free(good);
}

/*
 * collect --compress: the version 6 file as version 7 with zstd reads back
 * the same through libtracecmd and through bootrace's own reader.
 */
static void check_compressed(const char *v6, unsigned int page_size)
{
	char v7[96], *want = NULL, *got = NULL, why[TRACEDAT_WHY_MAX];
	const char *what = NULL;
	struct tracedat_options o;
	struct tracedat_layout l6, l7;
	struct stat st;
	int in, out, ret;

	if (!bootrace_compress_supported()) {
		tap_ok(1, "%u: version 7 with zstd # SKIP built without zstd (libzstd-dev)", page_size);
		return;
	}
	snprintf(v7, sizeof(v7), "%s/compressed-%u.dat", tmpdir, page_size);
	in = open(v6, O_RDONLY | O_CLOEXEC);
	out = open(v7, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ret = in < 0 || out < 0 ? -errno : tracedat_write_v7(in, out, &what);
	tap_is_int(ret, 0, "v6 written as v7 with zstd");
	if (ret)
		printf("# failed at %s\n", what ? what : "?");
	tap_is_int(tracedat_write_v7(out, in, &what), -EINVAL, "a v7 file is not taken as v6");
	close(in);
	close(out);
	check_with_libtracecmd(v7, page_size);
	check_options(v7, page_size, 7);
	ret = tracedat_options_read(v6, &o, &l6, why, sizeof(why));
	if (!ret)
		tracedat_options_clear(&o);
	ret = ret ?: tracedat_options_read(v7, &o, &l7, why, sizeof(why));
	if (!ret)
		tracedat_options_clear(&o);
	ret = ret ?: tracedat_kallsyms_read(v6, &l6, &want) ?: tracedat_kallsyms_read(v7, &l7, &got);
	tap_is_int(ret, 0, "kallsyms of both read back");
	tap_is_str(got, want, "the compressed kallsyms section holds the same text");
	free(want);
	free(got);
	tracedat_layout_clear(&l6);
	tracedat_layout_clear(&l7);

	/* Cut short (the BUFFER option is near the end): refused, and why. */
	if (stat(v7, &st) == 0 && truncate(v7, st.st_size - 200) == 0) {
		ret = tracedat_options_read(v7, &o, NULL, why, sizeof(why));
		tap_is_int(ret, -EINVAL, "a v7 file cut short is refused");
		tap_ok(ret && strstr(why, " at offset "), "the error names the part (%s)", why);
		if (!ret)
			tracedat_options_clear(&o);
	}
	unlink(v7);
}

static void cleanup(void)
{
	const char *names[] = { "synthetic-4096.dat", "synthetic-8192.dat",
				"scratch.dat" };
	char path[96];
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	rmdir(tmpdir);
}

/* A trace.dat of @meta and no CPU data at @path. */
static int write_metadata_only(const char *path, const struct tracedat_meta *meta)
{
	struct tracedat_writer *w = NULL;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int ret = fd < 0 ? -errno : tracedat_begin(fd, meta, &w);

	if (!ret)
		ret = tracedat_finish(w);
	tracedat_free(w);
	if (fd >= 0)
		close(fd);
	return ret;
}

/* kallsyms copied from a file as the section is written, size patched after. */
static void check_kallsyms_path(const char *path, const char *scratch)
{
	struct tracedat_meta meta;
	struct tracedat_options o;
	struct tracedat_layout l;
	char *text = NULL, syms[80], why[TRACEDAT_WHY_MAX];
	int fd, ret;

	fd = open(scratch, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ret = fd < 0 ? -errno : (int)write(fd, kallsyms, sizeof(kallsyms) - 1);
	if (fd >= 0)
		close(fd);
	tap_is_int(ret, sizeof(kallsyms) - 1, "kallsyms file for the writer");
	fill_meta(&meta, 4096);
	meta.kallsyms = (struct tracedat_blob){ 0 };
	meta.kallsyms_path = scratch;
	tap_is_int(write_metadata_only(path, &meta), 0, "write with kallsyms copied from a file");
	ret = tracedat_options_read(path, &o, &l, why, sizeof(why));
	if (!ret) {
		tracedat_options_clear(&o);
		ret = tracedat_kallsyms_read(path, &l, &text);
		tracedat_layout_clear(&l);
	}
	tap_is_int(ret, 0, "kallsyms read back");
	tap_is_str(text, kallsyms, "kallsyms copied whole, size patched in");
	free(text);
	snprintf(syms, sizeof(syms), "%s/none", tmpdir);
	meta.kallsyms_path = syms;
	tap_is_int(write_metadata_only(path, &meta), 0,
		   "a missing kallsyms file gives an empty section");
}

int main(void)
{
	char path[64], scratch[64], kpath[64];
	unsigned int sizes[] = { 4096, 8192 };
	/* A current-boot address, then a previous-boot one (LAST_BOOT_INFO). */
	unsigned long long ips[] = { 0xffffffff81234560ULL, 0xffffffff85234560ULL };
	unsigned int i;

	if (!mkdtemp(tmpdir))
		return 1;
	snprintf(scratch, sizeof(scratch), "%s/scratch.dat", tmpdir);
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/synthetic-%u.dat", tmpdir, sizes[i]);
		tap_is_int(write_synthetic(path, sizes[i], ips[i]),
			   0, "write synthetic trace.dat");
		check_with_libtracecmd(path, sizes[i]);
		check_options(path, sizes[i], 6);
		check_compressed(path, sizes[i]);
	}
	snprintf(kpath, sizeof(kpath), "%s/kallsyms-path.dat", tmpdir);
	check_kallsyms_path(kpath, scratch);
	check_writer_errors();
	check_short_write(scratch);
	check_malformed(path, scratch);
	check_fuzz(path, scratch);
	/* TEST_TRACEDAT_KEEP=1 keeps the files, to feed them to trace-cmd. */
	if (getenv("TEST_TRACEDAT_KEEP"))
		printf("# files kept in %s\n", tmpdir);
	else
		cleanup();
	return tap_done();
}
