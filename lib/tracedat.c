/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * trace.dat version 6 writer and a reader of its options (v6 and
 * uncompressed v7). The layout follows trace-cmd.dat.v6(5) and
 * trace-cmd.dat.v7(5); where the pages are silent, the behaviour of
 * trace-cmd's own reader (3.1.6 and 3.4) decides.
 */
#include <byteswap.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootrace.h"
#include "config.h"
#include "fileio.h"
#include "tracedat.h"
#include "tracedat-format.h"
#include "tracedat-recover.h"

struct tracedat_cpu_slot {
	unsigned long long offset;
	unsigned long long size;
};

struct tracedat_writer {
	int fd;
	unsigned int page_size;
	int nr_cpus;
	unsigned long long offset;	/* bytes written so far */
	unsigned long long table_offset; /* flyrecord per-CPU table */
	int open_cpu;			/* -1: no CPU being written */
	int last_cpu;			/* highest CPU begun, -1: none */
	unsigned long long queued;	/* queued for writeback up to here */
	struct tracedat_cpu_slot *cpus;
	/*
	 * The metadata is thousands of small fields: gathered here and
	 * written in large pieces until tracedat_begin() returns.
	 */
	char *buf;
	size_t buf_used;
};

#define METADATA_BUFFER (256 * 1024)

/* ------------------------------------------------------------------ */
/* Writing                                                            */
/* ------------------------------------------------------------------ */

static int write_u32(struct tracedat_writer *w, uint32_t v);
static int write_blob32(struct tracedat_writer *w, const struct tracedat_blob *b);

static int flush_buffer(struct tracedat_writer *w)
{
	unsigned long long done = 0;
	int ret;

	if (!w->buf_used)
		return 0;
	ret = br_write_full(w->fd, w->buf, w->buf_used, -1, &done);
	w->buf_used = 0;
	return ret;
}

static int write_all(struct tracedat_writer *w, const void *buf, size_t len)
{
	unsigned long long done = 0;
	int ret;

	if (!len)
		return 0;
	if (!w->buf)
		return br_write_full(w->fd, buf, len, -1, &w->offset);
	if (w->buf_used + len > METADATA_BUFFER) {
		ret = flush_buffer(w);
		if (ret)
			return ret;
	}
	if (len > METADATA_BUFFER) {
		ret = br_write_full(w->fd, buf, len, -1, &done);
		w->offset += done;
		return ret;
	}
	memcpy(w->buf + w->buf_used, buf, len);
	w->buf_used += len;
	w->offset += len;
	return 0;
}

/*
 * The kallsyms section, copied from a file whose size is known only once
 * read (/proc/kallsyms): a placeholder size, the text, then the real size.
 */
static int write_kallsyms(struct tracedat_writer *w, const struct tracedat_meta *m)
{
	unsigned long long size_at = w->offset, len = 0, done = 0;
	char chunk[64 * 1024];
	uint32_t size;
	ssize_t n;
	int fd, ret;

	if (!m->kallsyms_path)
		return write_blob32(w, &m->kallsyms);
	fd = open(m->kallsyms_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return write_u32(w, 0);	/* no symbols: an empty section, as trace-cmd */
	ret = write_u32(w, 0);
	while (!ret && (n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		len += n;
		ret = len > UINT32_MAX ? -EOVERFLOW : write_all(w, chunk, n);
	}
	close(fd);
	if (ret)
		return ret;
	size = len;
	ret = flush_buffer(w);
	return ret ?: br_write_full(w->fd, &size, sizeof(size), size_at, &done);
}

static int write_u16(struct tracedat_writer *w, uint16_t v)
{
	return write_all(w, &v, sizeof(v));
}

static int write_u32(struct tracedat_writer *w, uint32_t v)
{
	return write_all(w, &v, sizeof(v));
}

static int write_u64(struct tracedat_writer *w, uint64_t v)
{
	return write_all(w, &v, sizeof(v));
}

static int write_zeros(struct tracedat_writer *w, unsigned long long len)
{
	static const char zeros[4096];
	int ret;

	while (len) {
		size_t chunk = len < sizeof(zeros) ? len : sizeof(zeros);

		ret = write_all(w, zeros, chunk);
		if (ret)
			return ret;
		len -= chunk;
	}
	return 0;
}

static int write_blob64(struct tracedat_writer *w, const struct tracedat_blob *b)
{
	return write_u64(w, b->len) ?: write_all(w, b->data, b->len);
}

/* kallsyms and printk_formats carry only a 32-bit size in the format. */
static int write_blob32(struct tracedat_writer *w, const struct tracedat_blob *b)
{
	if (b->len > UINT32_MAX)
		return -EOVERFLOW;
	return write_u32(w, b->len) ?: write_all(w, b->data, b->len);
}

static int write_initial(struct tracedat_writer *w)
{
	/* Host order throughout, as trace-cmd writes; this byte says which. */
	const char endian_and_long[2] = { __BYTE_ORDER == __BIG_ENDIAN,
					  sizeof(long) };

	return write_all(w, tracedat_magic, sizeof(tracedat_magic)) ?:
	       write_all(w, "6", 2) ?:
	       write_all(w, endian_and_long, sizeof(endian_and_long)) ?:
	       write_u32(w, w->page_size);
}

static int write_headers(struct tracedat_writer *w, const struct tracedat_meta *m)
{
	return write_all(w, "header_page", 12) ?:
	       write_blob64(w, &m->header_page) ?:
	       write_all(w, "header_event", 13) ?:
	       write_blob64(w, &m->header_event);
}

static int write_system(struct tracedat_writer *w, const struct tracedat_system *s)
{
	int ret, i;

	ret = write_all(w, s->name, strlen(s->name) + 1) ?:
	      write_u32(w, s->nr_events);
	for (i = 0; !ret && i < s->nr_events; i++)
		ret = write_blob64(w, &s->events[i].format);
	return ret;
}

static int write_formats(struct tracedat_writer *w, const struct tracedat_meta *m)
{
	int ret, i;

	ret = write_u32(w, m->nr_ftrace_formats);
	for (i = 0; !ret && i < m->nr_ftrace_formats; i++)
		ret = write_blob64(w, &m->ftrace_formats[i]);
	ret = ret ?: write_u32(w, m->nr_systems);
	for (i = 0; !ret && i < m->nr_systems; i++)
		ret = write_system(w, &m->systems[i]);
	return ret;
}

/*
 * One option whose payload is the concatenation of @parts; every
 * payload here is text, and trace-cmd ends text options with a NUL.
 */
static int write_text_option(struct tracedat_writer *w, uint16_t id,
			     const struct tracedat_blob *parts, int nr)
{
	size_t len = 1;
	int ret, i;

	for (i = 0; i < nr; i++)
		len += parts[i].len;
	if (len > UINT32_MAX)
		return -EOVERFLOW;
	ret = write_u16(w, id) ?: write_u32(w, len);
	for (i = 0; !ret && i < nr; i++)
		ret = write_all(w, parts[i].data, parts[i].len);
	return ret ?: write_all(w, "", 1);
}

static struct tracedat_blob text(const char *s)
{
	return (struct tracedat_blob){ s, s ? strlen(s) : 0 };
}

/*
 * trace-cmd stores each CPU's stats as "CPU: N\n" followed by the
 * per_cpu/cpuN/stats text; its report --stat prints them one after the
 * other, so the prefix is what tells the CPUs apart.
 */
static int write_stats_option(struct tracedat_writer *w, uint16_t id, int cpu,
			      const struct tracedat_blob *stats)
{
	char prefix[32];
	struct tracedat_blob parts[2] = { { prefix, 0 }, *stats };

	parts[0].len = snprintf(prefix, sizeof(prefix), "CPU: %d\n", cpu);
	return write_text_option(w, id, parts, 2);
}

/*
 * CPUSTAT holds, for trace-cmd, the stats after reading: its report --stat
 * calls entries left there lost. collect reads every CPU until the kernel
 * has nothing left, and a 7.1+ backup instance is gone once read, so the
 * stats after are the ones before with the entries (and their bytes) moved
 * to "read events". Text that does not parse is stored as it is.
 */
static char *stats_after_reading(const struct tracedat_blob *before)
{
	struct bootrace_cpu_stats st;
	char *text, *out, *line, *next;
	size_t size = before->len + 64;
	FILE *f;

	text = strndup(before->data, before->len);
	if (!text || bootrace_cpu_stats_parse(text, &st)) {
		free(text);
		return NULL;
	}
	out = malloc(size);
	f = out ? fmemopen(out, size, "w") : NULL;
	for (line = text; f && line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!strncmp(line, "entries:", 8))
			fprintf(f, "entries: 0\n");
		else if (!strncmp(line, "bytes:", 6))
			fprintf(f, "bytes: 0\n");
		else if (!strncmp(line, "read events:", 12))
			fprintf(f, "read events: %llu\n", st.read_events + st.entries);
		else
			fprintf(f, "%s\n", line);
	}
	if (!f || fclose(f)) {
		free(out);
		out = NULL;
	}
	free(text);
	return out;
}

/* bootrace's own option keeps the stats before reading, which verify compares. */
static int write_cpustat(struct tracedat_writer *w, int cpu,
			 const struct tracedat_blob *stats)
{
	char *after = stats_after_reading(stats);
	struct tracedat_blob after_blob = { after, after ? strlen(after) : 0 };
	int ret;

	ret = write_stats_option(w, OPT_BOOTRACE_STATS, cpu, stats) ?:
	      write_stats_option(w, OPT_CPUSTAT, cpu, after ? &after_blob : stats);
	free(after);
	return ret;
}

/*
 * trace-cmd 3.4 skips everything up to the first ':' and applies the
 * rest to the whole file's symbol table, whatever the name says.
 */
static int write_last_boot_info(struct tracedat_writer *w,
				const struct tracedat_meta *m)
{
	struct tracedat_blob parts[3] = { text(m->last_boot_instance),
					  text(":"), text(m->last_boot_info) };

	return write_text_option(w, OPT_LAST_BOOT_INFO, parts, 3);
}

static int write_options(struct tracedat_writer *w, const struct tracedat_meta *m)
{
	struct tracedat_blob clock = text(m->trace_clock), uname = text(m->uname);
	struct tracedat_blob version = text("bootrace " BOOTRACE_VERSION), decode = text(m->decode);
	int ret, cpu;

	ret = write_all(w, "options  ", 10);
	/* trace-cmd report --version names the writer from it. */
	if (!ret)
		ret = write_text_option(w, OPT_VERSION, &version, 1);
	for (cpu = 0; !ret && m->cpustats && cpu < m->nr_cpus; cpu++)
		ret = write_cpustat(w, cpu, &m->cpustats[cpu]);
	if (!ret && m->trace_clock)
		ret = write_text_option(w, OPT_TRACECLOCK, &clock, 1);
	if (!ret && m->uname)
		ret = write_text_option(w, OPT_UNAME, &uname, 1);
	if (!ret && m->last_boot_instance)
		ret = write_last_boot_info(w, m);
	if (!ret && m->decode)
		ret = write_text_option(w, OPT_BOOTRACE_DECODE, &decode, 1);
	/* Version 7 makes a MODULES_FILE section of it (tracedat-v7.c). */
	if (!ret && m->modules.len)
		ret = write_text_option(w, OPT_BOOTRACE_MODULES, &m->modules, 1);
	/* In v6 the end of the options is a bare zero id, without a size. */
	return ret ?: write_u16(w, OPT_DONE);
}

/*
 * Both readers, when a TRACECLOCK option is present, read one more
 * sized string right after the flyrecord table: the clock in use, as
 * "[name]". Take it from the trace_clock text, which marks it so.
 */
static int write_selected_clock(struct tracedat_writer *w, const char *text)
{
	const char *open = strchr(text, '['), *close = NULL;
	char clock[64];
	int len;

	if (open)
		close = strchr(open, ']');
	if (open && close)
		len = snprintf(clock, sizeof(clock), "%.*s",
			       (int)(close - open + 1), open);
	else
		len = snprintf(clock, sizeof(clock), "[%.*s]",
			       (int)strcspn(text, " \n"), text);
	if (len < 0 || (size_t)len >= sizeof(clock))
		return -EINVAL;
	return write_u64(w, len) ?: write_all(w, clock, len);
}

static int write_flyrecord(struct tracedat_writer *w, const struct tracedat_meta *m)
{
	int ret = write_all(w, "flyrecord", 10);

	/* Filled in by tracedat_finish() once the data is known. */
	w->table_offset = w->offset;
	ret = ret ?: write_zeros(w, 16ULL * w->nr_cpus);
	if (!ret && m->trace_clock)
		ret = write_selected_clock(w, m->trace_clock);
	return ret;
}

static bool meta_valid(const struct tracedat_meta *m)
{
	unsigned int ps = m->page_size;

	/* Readers find page starts by masking, so it must be a power of two. */
	if (ps < 64 || (ps & (ps - 1)))
		return false;
	if (m->nr_cpus < 1 || m->nr_cpus > TRACEDAT_MAX_CPUS)
		return false;
	if (!m->header_page.len || !m->header_event.len)
		return false;
	if (m->nr_ftrace_formats < 0 || m->nr_systems < 0)
		return false;
	/* 3.4 takes the name up to the first ':' as the instance name. */
	if (m->last_boot_instance && strchr(m->last_boot_instance, ':'))
		return false;
	return true;
}

int tracedat_begin(int fd, const struct tracedat_meta *meta,
		   struct tracedat_writer **out)
{
	struct tracedat_writer *w;
	int ret;

	*out = NULL;
	if (fd < 0 || !meta_valid(meta))
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->cpus = calloc(meta->nr_cpus, sizeof(*w->cpus));
	if (!w->cpus) {
		free(w);
		return -ENOMEM;
	}
	w->fd = fd;
	w->page_size = meta->page_size;
	w->nr_cpus = meta->nr_cpus;
	w->open_cpu = -1;
	w->last_cpu = -1;

	w->buf = malloc(METADATA_BUFFER);
	ret = w->buf ? 0 : -ENOMEM;
	ret = ret ?:
	      write_initial(w) ?:
	      write_headers(w, meta) ?:
	      write_formats(w, meta) ?:
	      write_kallsyms(w, meta) ?:
	      write_blob32(w, &meta->printk_formats) ?:
	      write_blob64(w, &meta->cmdlines) ?:
	      write_u32(w, meta->nr_cpus) ?:
	      write_options(w, meta) ?:
	      write_flyrecord(w, meta);
	ret = ret ?: flush_buffer(w);
	/* From here on pages go straight to the file. */
	free(w->buf);
	w->buf = NULL;
	if (ret) {
		tracedat_free(w);
		return ret;
	}
	*out = w;
	return 0;
}

static unsigned long long page_align(const struct tracedat_writer *w,
				     unsigned long long off)
{
	return (off + w->page_size - 1) & ~(unsigned long long)(w->page_size - 1);
}

/*
 * The flyrecord table entries of CPUs @from to @to as they stand. Written
 * as each CPU begins (its offset, size 0) and ends (its size), so that a
 * file cut at any point says where every CPU's pages start: only the size
 * of the CPU being written is missing, and the pages tell it (see
 * tracedat-recover.c).
 */
static int write_table_entries(struct tracedat_writer *w, int from, int to)
{
	unsigned long long written = 0;
	uint64_t entries[2 * 16];
	int ret = 0;

	for (int cpu = from; !ret && cpu <= to;) {
		int n = 0;

		for (; cpu <= to && n < 16; cpu++, n++) {
			entries[2 * n] = w->cpus[cpu].offset;
			entries[2 * n + 1] = w->cpus[cpu].size;
		}
		written = 0;
		ret = br_write_full(w->fd, entries, n * 2 * sizeof(*entries),
				 w->table_offset + 16ULL * (cpu - n), &written);
	}
	return ret;
}

int tracedat_cpu_begin(struct tracedat_writer *w, int cpu)
{
	int skipped, ret;

	if (w->open_cpu >= 0 || cpu <= w->last_cpu || cpu >= w->nr_cpus)
		return -EINVAL;
	/* Readers map the data page by page, so each CPU starts on a page. */
	ret = write_zeros(w, page_align(w, w->offset) - w->offset);
	if (ret)
		return ret;
	/* CPUs skipped over stay empty, placed where trace-cmd puts them. */
	for (skipped = w->last_cpu + 1; skipped < cpu; skipped++)
		w->cpus[skipped].offset = w->offset;
	w->cpus[cpu].offset = w->offset;
	ret = write_table_entries(w, w->last_cpu + 1, cpu);
	if (ret)
		return ret;
	w->open_cpu = cpu;
	w->last_cpu = cpu;
	return 0;
}

/* Queue the data for writeback every this many bytes. */
#define WRITEBACK_STEP (8ULL << 20)

/*
 * The disk works while the next pages are read: what is written is
 * queued for writeback now (without waiting for it), so the final
 * fsync() finds little left to do. A failure here changes nothing;
 * fsync() still reports any error.
 */
static void start_writeback(struct tracedat_writer *w)
{
	if (w->offset - w->queued < WRITEBACK_STEP)
		return;
	sync_file_range(w->fd, w->queued, w->offset - w->queued, SYNC_FILE_RANGE_WRITE);
	w->queued = w->offset;
}

int tracedat_cpu_write(struct tracedat_writer *w, const void *buf, size_t len)
{
	unsigned long long before = w->offset;
	int ret;

	if (w->open_cpu < 0)
		return -EINVAL;
	ret = write_all(w, buf, len);
	/* Count what reached the file even on failure: it is there. */
	w->cpus[w->open_cpu].size += w->offset - before;
	start_writeback(w);
	return ret;
}

/*
 * splice(2) moves the pages from the pipe into the file without copying
 * them through user space. Filesystems that cannot take a splice get the
 * same bytes by read(2) from the pipe and write(2).
 */
static int splice_full(struct tracedat_writer *w, int pipe_fd, size_t len)
{
	bool copy = false;
	char buf[16384];
	ssize_t n;
	int ret;

	while (len) {
		if (!copy) {
			n = splice(pipe_fd, NULL, w->fd, NULL, len, SPLICE_F_MOVE);
			if (n < 0 && errno == EINVAL) {
				copy = true;
				continue;
			}
			if (n > 0)
				w->offset += n;
		} else {
			n = read(pipe_fd, buf, len < sizeof(buf) ? len : sizeof(buf));
			ret = n > 0 ? write_all(w, buf, n) : 0;
			if (ret)
				return ret;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		len -= n;
	}
	return 0;
}

int tracedat_cpu_splice(struct tracedat_writer *w, int pipe_fd, size_t len)
{
	unsigned long long before = w->offset;
	int ret;

	if (w->open_cpu < 0)
		return -EINVAL;
	ret = splice_full(w, pipe_fd, len);
	w->cpus[w->open_cpu].size += w->offset - before;
	start_writeback(w);
	return ret;
}

void tracedat_layout_of(const struct tracedat_writer *w, struct tracedat_layout *layout)
{
	layout->table_offset = w->table_offset;
	layout->nr_cpus = w->nr_cpus;
	layout->page_size = w->page_size;
}

int tracedat_cpu_end(struct tracedat_writer *w)
{
	int cpu = w->open_cpu;

	if (cpu < 0)
		return -EINVAL;
	w->open_cpu = -1;
	return write_table_entries(w, cpu, cpu);
}

unsigned long long tracedat_offset(const struct tracedat_writer *w)
{
	return w->offset;
}

void tracedat_cpu_region(const struct tracedat_writer *w, int cpu,
			 unsigned long long *offset, unsigned long long *size)
{
	*offset = *size = 0;
	if (cpu >= 0 && cpu < w->nr_cpus) {
		*offset = w->cpus[cpu].offset;
		*size = w->cpus[cpu].size;
	}
}

int tracedat_finish(struct tracedat_writer *w)
{
	unsigned long long empty_at = page_align(w, w->offset), written = 0;
	uint64_t *table;
	int cpu, ret;

	w->open_cpu = -1;
	table = calloc(w->nr_cpus, 2 * sizeof(*table));
	if (!table)
		return -ENOMEM;
	for (cpu = 0; cpu < w->nr_cpus; cpu++) {
		const struct tracedat_cpu_slot *s = &w->cpus[cpu];

		table[2 * cpu] = cpu > w->last_cpu ? empty_at : s->offset;
		/* A write cut short (a full disk) leaves part of a page: not a page to read. */
		table[2 * cpu + 1] = s->size / w->page_size * w->page_size;
	}
	ret = br_write_full(w->fd, table, w->nr_cpus * 2 * sizeof(*table),
			 w->table_offset, &written);
	free(table);
	return ret;
}

void tracedat_free(struct tracedat_writer *w)
{
	if (!w)
		return;
	free(w->cpus);
	free(w->buf);
	free(w);
}
