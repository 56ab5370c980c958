/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The layout of a trace.dat, checked before any library reads it.
 *
 * libtracecmd trusts every size and offset in the file: a page size of 1,
 * a CPU data offset of 0 or inside the metadata make tracecmd_open()
 * crash, a v7 section size near 2^64 makes its walk over the sections
 * loop forever. So bootrace walks the file first, the way libtracecmd
 * will (trace-cmd.dat.v6(5), trace-cmd.dat.v7(5)): the initial format,
 * every section from the first to the end of the file, the options chain,
 * each buffer's CPU data (page aligned, inside its section and the file,
 * after the metadata, no two overlapping), then what is inside the
 * metadata and the options (tracedat-content.c) and the pages
 * (tracedat-pages.c). The first problem ends the walk, named with its
 * offset.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "tracedat-check.h"
#include "tracedat-format.h"

/* tdr_*() results: a failed read becomes the message of the field it was reading. */
#define READ(c, call)							\
	({								\
		int _ret = (call);					\
		_ret ? tdc_read_failed(c, _ret) : 0;			\
	})

static int read_word(struct tracedat_check *c, const char *field, char *buf, size_t max)
{
	unsigned long long at = c->r.pos;
	int ret = tdr_string(&c->r, buf, max, field);

	if (ret == -EINVAL && c->r.pos - at >= max - 1)
		return tdc_fail(c, field, at, "longer than %zu bytes", max - 1);
	return ret ? tdc_read_failed(c, ret) : 0;
}

/* Magic, version, byte order, long size, page size; v7: the compression. */
static int check_initial(struct tracedat_check *c)
{
	struct tracedat_layout *l = c->l;
	unsigned char magic[sizeof(tracedat_magic)], flags[2];
	char version[8];
	uint32_t page_size;
	int ret;

	ret = READ(c, tdr_bytes(&c->r, magic, sizeof(magic), "magic"));
	if (ret)
		return ret;
	if (memcmp(magic, tracedat_magic, sizeof(magic)))
		return tdc_fail(c, "magic", 0, "not a trace.dat (no \"\\x17\\x08\\x44tracing\")");
	ret = read_word(c, "version", version, sizeof(version));
	if (ret)
		return ret;
	if (strcmp(version, "6") && strcmp(version, "7"))
		return tdc_fail(c, "version", sizeof(magic),
				"version '%.7s': bootrace reads versions 6 and 7", version);
	l->version = version[0] - '0';
	ret = READ(c, tdr_bytes(&c->r, flags, sizeof(flags), "byte order"));
	if (ret)
		return ret;
	if (flags[0] > 1)
		return tdc_fail(c, "byte order", c->r.pos - 2, "%u (0 little, 1 big endian)", flags[0]);
	if (flags[1] != 4 && flags[1] != 8)
		return tdc_fail(c, "long size", c->r.pos - 1, "%u (4 or 8 bytes)", flags[1]);
	c->r.swap = l->swap = flags[0] != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
	l->long_size = l->commit_size = flags[1];
	ret = READ(c, tdr_u32(&c->r, &page_size, "page size"));
	if (ret)
		return ret;
	/* Readers find a page's start by masking: a power of two, kernel-sized. */
	if (page_size < TRACEDAT_MIN_PAGE || page_size > TRACEDAT_MAX_PAGE ||
	    (page_size & (page_size - 1)))
		return tdc_fail(c, "page size", c->r.pos - 4,
				"%u (a power of two from %u to %u)", page_size,
				TRACEDAT_MIN_PAGE, TRACEDAT_MAX_PAGE);
	l->page_size = page_size;
	if (l->version == 6)
		return 0;

	char name[64], zversion[64];
	unsigned long long at = c->r.pos;

	ret = read_word(c, "compression", name, sizeof(name)) ?:
	      read_word(c, "compression version", zversion, sizeof(zversion));
	if (ret)
		return ret;
	/* zlib too is in trace-cmd 3.4, but bootrace cannot look inside it. */
	if (strcmp(name, "none") && strcmp(name, "zstd"))
		return tdc_fail(c, "compression", at,
				"'%s': bootrace reads files compressed with zstd or not at all",
				name);
#if !HAVE_ZSTD
	if (!strcmp(name, "zstd"))
		return tdc_fail(c, "compression", at, "zstd: this bootrace was built without libzstd");
#endif
	snprintf(l->compression, sizeof(l->compression), "%.15s", name);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Buffers and their CPU data                                          */
/* ------------------------------------------------------------------ */

/* @nr (offset, size) pairs at the reader's position: one buffer's CPUs (v6). */
static int read_cpu_table(struct tracedat_check *c, struct tracedat_buffer *b, int nr)
{
	b->cpus = calloc(nr ? nr : 1, sizeof(*b->cpus));
	if (!b->cpus)
		return -ENOMEM;
	for (int cpu = 0; cpu < nr; cpu++) {
		struct tracedat_cpu_data *d = &b->cpus[cpu];
		uint64_t offset, size;
		int ret = READ(c, tdr_u64(&c->r, &offset, "flyrecord CPU table")) ?:
			  READ(c, tdr_u64(&c->r, &size, "flyrecord CPU table"));

		if (ret)
			return ret;
		*d = (struct tracedat_cpu_data){ .cpu = cpu, .offset = offset, .size = size };
		b->nr_cpus++;
	}
	return 0;
}

static int cmp_data_offset(const void *a, const void *b)
{
	const struct tracedat_cpu_data *x = *(const struct tracedat_cpu_data *const *)a;
	const struct tracedat_cpu_data *y = *(const struct tracedat_cpu_data *const *)b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/*
 * Each CPU's data: inside the file and where its buffer keeps CPU data
 * (after the metadata; v7: inside its own section), page aligned, whole
 * pages when uncompressed; and no two CPUs' data overlap, in any buffer.
 */
static int check_cpu_data(struct tracedat_check *c)
{
	struct tracedat_layout *l = c->l;
	const struct tracedat_cpu_data **all;
	int nr = 0, total = 0, ret = 0;
	char label[80], field[128];

	for (int i = 0; i < l->nr_buffers; i++)
		total += l->buffers[i].nr_cpus;
	all = calloc(total ? total : 1, sizeof(*all));
	if (!all)
		return -ENOMEM;
	for (int i = 0; !ret && i < l->nr_buffers; i++) {
		const struct tracedat_buffer *b = &l->buffers[i];

		for (int j = 0; !ret && j < b->nr_cpus; j++) {
			struct tracedat_cpu_data *d = &b->cpus[j];

			if (!d->size)
				continue;
			snprintf(field, sizeof(field), "CPU %u data of %s", d->cpu,
				 tdc_buffer_label(b, label));
			if (b->compressed)
				ret = tdc_chunks_extent(c, d, field);
			if (ret)
				break;
			if (d->offset > l->file_size || d->size > l->file_size - d->offset)
				ret = tdc_fail(c, field, d->offset,
					       "%llu bytes run past the end of the file (%llu bytes): truncated?",
					       d->size, l->file_size);
			else if (d->offset < b->data_start || d->offset + d->size > b->data_end)
				ret = tdc_fail(c, field, d->offset,
					       "outside the place for CPU data (%llu to %llu)",
					       b->data_start, b->data_end);
			else if (d->offset % l->page_size)
				ret = tdc_fail(c, field, d->offset, "not aligned to the %u-byte page",
					       l->page_size);
			else if (!b->compressed && d->size % l->page_size)
				ret = tdc_fail(c, field, d->offset,
					       "%llu bytes, not whole %u-byte pages", d->size,
					       l->page_size);
			all[nr++] = d;
		}
	}
	if (!ret) {
		qsort(all, nr, sizeof(*all), cmp_data_offset);
		for (int i = 1; !ret && i < nr; i++)
			if (all[i - 1]->offset + all[i - 1]->size > all[i]->offset)
				ret = tdc_fail(c, "CPU data", all[i]->offset,
					       "CPU %u's data overlaps other CPU data (at %llu)",
					       all[i]->cpu, all[i - 1]->offset);
	}
	free(all);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Version 6                                                           */
/* ------------------------------------------------------------------ */

/* One metadata part, checked where it is, then noted as a section. */
static int v6_part(struct tracedat_check *c, uint16_t id)
{
	unsigned long long at = c->r.pos;
	int ret = tdc_check_part(c, &c->r, id);

	return ret ?: tdc_add_section(c, id, 0, at, at, c->r.pos);
}

static int v6_options(struct tracedat_check *c)
{
	unsigned long long at = c->r.pos;
	uint16_t id;
	int ret;

	for (;;) {
		unsigned long long opt_at = c->r.pos;

		ret = READ(c, tdr_u16(&c->r, &id, "options"));
		if (ret || id == OPT_DONE)
			break;
		ret = tdc_read_option(c, &c->r, id, opt_at);
		if (ret)
			return ret;
	}
	return ret ?: tdc_add_section(c, SECTION_OPTIONS, 0, at, at, c->r.pos);
}

/* After the CPU table: the clock in use, when a TRACECLOCK option says there is one. */
static int v6_clock(struct tracedat_check *c)
{
	unsigned long long at = c->r.pos;
	char clock[TRACEDAT_MAX_NAME];
	uint64_t len;
	int ret = READ(c, tdr_u64(&c->r, &len, "trace clock"));

	if (ret)
		return ret;
	if (len >= sizeof(clock))
		return tdc_fail(c, "trace clock", at, "%llu bytes long", (unsigned long long)len);
	ret = READ(c, tdr_bytes(&c->r, clock, len, "trace clock"));
	if (!ret && !tdc_clock_ok(clock, len))
		return tdc_fail(c, "trace clock", at, "'%.*s' is not a clock name", (int)len, clock);
	return ret;
}

/* A named buffer's table: "flyrecord" and one (offset, size) per CPU of the file. */
static int v6_named_buffer(struct tracedat_check *c, struct tracedat_buffer *b,
			   unsigned long long meta_end)
{
	char tag[10], label[80];

	if (b->at < meta_end || b->at >= c->l->file_size)
		return tdc_fail(c, "BUFFER option", b->at,
				"the table of %s is not after the metadata", tdc_buffer_label(b, label));
	c->r.pos = b->at;
	if (tdr_bytes(&c->r, tag, sizeof(tag), "buffer table") || memcmp(tag, "flyrecord", 10))
		return tdc_fail(c, "buffer table", b->at, "%s has no \"flyrecord\" table here",
				tdc_buffer_label(b, label));
	return read_cpu_table(c, b, c->l->nr_cpus) ?:
	       tdc_add_section(c, SECTION_FLYRECORD, 0, b->at, b->at, c->r.pos);
}

static int check_v6(struct tracedat_check *c)
{
	struct tracedat_layout *l = c->l;
	struct tracedat_buffer *top;
	unsigned long long at, meta_end;
	uint32_t cpus;
	char tag[10];
	int ret;

	ret = v6_part(c, SECTION_HEADERS) ?: v6_part(c, SECTION_FTRACE_EVENTS) ?:
	      v6_part(c, SECTION_EVENT_FORMATS) ?: v6_part(c, SECTION_KALLSYMS) ?:
	      v6_part(c, SECTION_PRINTK) ?: v6_part(c, SECTION_CMDLINES);
	at = c->r.pos;
	ret = ret ?: READ(c, tdr_u32(&c->r, &cpus, "CPU count"));
	if (ret)
		return ret;
	if (cpus > TRACEDAT_MAX_CPUS)
		return tdc_fail(c, "CPU count", at, "%u CPUs", cpus);
	l->nr_cpus = cpus;
	at = c->r.pos;
	ret = READ(c, tdr_bytes(&c->r, tag, sizeof(tag), "options"));
	if (!ret && !memcmp(tag, "options  ", 10)) {
		at += 10;
		ret = v6_options(c);
		at = c->r.pos;
		ret = ret ?: READ(c, tdr_bytes(&c->r, tag, sizeof(tag), "flyrecord"));
	}
	if (ret)
		return ret;
	/* libtracecmd iterates over CPU data such a file does not have, and crashes. */
	if (!memcmp(tag, "latency  ", 10))
		return tdc_fail(c, "latency", at,
				"a latency trace (text): bootrace reads flyrecord traces");
	if (memcmp(tag, "flyrecord", 10))
		return tdc_fail(c, "flyrecord", at, "neither \"flyrecord\" nor \"latency\"");
	ret = tdc_add_buffer(c, "", at, &top);
	if (ret)
		return ret;
	top->at = at;
	ret = read_cpu_table(c, top, cpus);
	if (!ret && c->has_trace_clock)
		ret = v6_clock(c);
	ret = ret ?: tdc_add_section(c, SECTION_FLYRECORD, 0, at, at, c->r.pos);
	meta_end = c->r.pos;
	tdc_top_buffer_first(l);
	for (int i = 1; !ret && i < l->nr_buffers; i++)
		ret = v6_named_buffer(c, &l->buffers[i], meta_end);
	for (int i = 0; i < l->nr_buffers; i++) {
		l->buffers[i].data_start = meta_end;
		l->buffers[i].data_end = l->file_size;
	}
	return ret;
}

/* ------------------------------------------------------------------ */
/* Version 7                                                           */
/* ------------------------------------------------------------------ */

/*
 * Every section, one after the other from the first to the end of the
 * file: libtracecmd walks them so (looking for the strings), and a size
 * that does not end inside the file sends that walk around forever.
 */
static int v7_sections(struct tracedat_check *c)
{
	struct tracedat_reader *r = &c->r;
	uint16_t id, flags;
	uint32_t desc;
	uint64_t size;
	int ret;

	while (r->pos < r->size) {
		unsigned long long at = r->pos;

		ret = READ(c, tdr_u16(r, &id, "section header")) ?:
		      READ(c, tdr_u16(r, &flags, "section header")) ?:
		      READ(c, tdr_u32(r, &desc, "section header")) ?:
		      READ(c, tdr_u64(r, &size, "section header"));
		if (ret)
			return ret;
		if (size > r->size - r->pos)
			return tdc_fail(c, "section", at,
					"section %u's size %llu runs past the end of the file (%llu bytes)",
					id, (unsigned long long)size, r->size);
		if (flags & ~SECTION_FL_COMPRESSED)
			return tdc_fail(c, "section", at, "section %u has unknown flags 0x%x", id, flags);
		if ((flags & SECTION_FL_COMPRESSED) && !strcmp(c->l->compression, "none"))
			return tdc_fail(c, "section", at,
					"section %u is marked compressed in a file without compression", id);
		ret = tdc_add_section(c, id, flags, at, r->pos, r->pos + size);
		if (ret)
			return ret;
		r->pos += size;
	}
	return 0;
}

/*
 * The options sections, chained by the offset in each DONE option. One of
 * them must say where the page header is (HEADER_INFO): without it
 * libtracecmd opens the file, then crashes on opening a buffer of it.
 */
static int v7_options(struct tracedat_check *c, unsigned long long first,
		      unsigned long long first_at)
{
	struct tracedat_layout *l = c->l;
	unsigned long long next = first, from = first_at;
	bool *seen = calloc(l->nr_sections ? l->nr_sections : 1, sizeof(*seen));
	bool header_info = false;
	int ret = seen ? 0 : -ENOMEM;

	while (!ret && next) {
		const struct tracedat_section *s = tdc_section_at(l, next);
		struct tracedat_reader r;
		unsigned char *buf = NULL;
		bool done = false;

		if (!s || s->id != SECTION_OPTIONS) {
			ret = tdc_fail(c, "options offset", from,
				       "%llu is not where an options section starts", next);
			break;
		}
		if (seen[s - l->sections]) {
			ret = tdc_fail(c, "options offset", from,
				       "the options sections loop back to %llu", next);
			break;
		}
		seen[s - l->sections] = true;
		ret = tdc_section_content(c, s, &buf, &r);
		while (!ret && !done) {
			unsigned long long at = r.pos;
			uint64_t off = 0;
			uint16_t id;

			if (tdr_u16(&r, &id, "options")) {
				ret = tdc_fail(c, "options section", s->offset, "no DONE option at its end");
			} else if (id != OPT_DONE) {
				ret = tdc_read_option(c, &r, id, at);
				header_info |= id == SECTION_HEADERS;
			} else {
				uint32_t len;

				done = true;
				from = c->base + at;
				if (tdr_u32(&r, &len, "DONE") || len != 8 || tdr_u64(&r, &off, "DONE"))
					ret = tdc_fail_at(c, &r, at, "DONE option",
							  "no offset of the next options section");
				next = off;
			}
		}
		free(buf);
	}
	free(seen);
	if (!ret && !header_info)
		ret = tdc_fail(c, "options", first,
			       "no HEADER_INFO option: the file does not say where its page header is");
	return ret;
}

/* Each buffer's section, and where its CPU data may be. */
static int v7_buffers(struct tracedat_check *c)
{
	struct tracedat_layout *l = c->l;
	char label[80];

	for (int i = 0; i < l->nr_buffers; i++) {
		struct tracedat_buffer *b = &l->buffers[i];
		const struct tracedat_section *s = tdc_section_at(l, b->at);

		if (!s || s->id != SECTION_FLYRECORD)
			return tdc_fail(c, "BUFFER option", b->at,
					"%s: no flyrecord section starts here", tdc_buffer_label(b, label));
		b->compressed = s->flags & SECTION_FL_COMPRESSED;
		b->data_start = s->data;
		b->data_end = s->end;
		for (int j = 0; j < b->nr_cpus; j++)
			if (b->cpus[j].cpu >= (unsigned int)l->nr_cpus)
				l->nr_cpus = b->cpus[j].cpu + 1;
	}
	return 0;
}

static int check_v7(struct tracedat_check *c)
{
	struct tracedat_layout *l = c->l;
	unsigned long long at = c->r.pos;
	uint64_t first;
	int ret;

	ret = READ(c, tdr_u64(&c->r, &first, "options offset")) ?: v7_sections(c);
	if (ret)
		return ret;
	/*
	 * The metadata, checked inside; every other compressed section but
	 * the CPU data (in chunks, see tracedat-pages.c) must decompress, as
	 * libtracecmd trusts the sizes of the block it decompresses.
	 */
	for (int i = 0; i < l->nr_sections; i++) {
		const struct tracedat_section *s = &l->sections[i];
		bool metadata = s->id >= SECTION_HEADERS && s->id <= SECTION_CMDLINES;
		struct tracedat_reader r;
		unsigned char *buf = NULL;

		if (!metadata && (s->id == SECTION_FLYRECORD || !(s->flags & SECTION_FL_COMPRESSED)))
			continue;
		ret = tdc_section_content(c, s, &buf, &r);
		if (!ret && metadata)
			ret = tdc_check_part(c, &r, s->id);
		if (!ret && metadata && r.pos != r.size)
			ret = tdc_fail_at(c, &r, r.pos, "section", "%llu bytes after section %u's content",
					  r.size - r.pos, s->id);
		free(buf);
		if (ret)
			return ret;
	}
	ret = v7_options(c, first, at);
	if (ret)
		return ret;
	if (!l->nr_buffers)
		return tdc_fail(c, "options", first, "no BUFFER option: the file holds no trace");
	tdc_top_buffer_first(l);
	return v7_buffers(c);
}

/* ------------------------------------------------------------------ */

int tracedat_check(int fd, struct tracedat_layout *layout, tracedat_option_fn fn,
		   void *fn_data, char *why, size_t why_len)
{
	struct tracedat_check c = {
		.r = { .fd = fd }, .l = layout, .option_fn = fn, .option_data = fn_data,
		.why = why, .why_len = why_len,
	};
	off_t end;
	int ret;

	c.r.what = &c.what;
	memset(layout, 0, sizeof(*layout));
	why[0] = '\0';
	end = lseek(fd, 0, SEEK_END);
	if (end < 0) {
		snprintf(why, why_len, "cannot seek: %s", strerror(errno));
		return -errno;
	}
	c.r.size = layout->file_size = end;
	ret = check_initial(&c);
	if (!ret)
		ret = layout->version == 6 ? check_v6(&c) : check_v7(&c);
	if (!ret)
		ret = check_cpu_data(&c) ?: tdc_check_pages(&c);
	if (ret == -ENOMEM)
		snprintf(why, why_len, "out of memory");
	if (ret)
		tracedat_layout_clear(layout);
	return ret;
}

void tracedat_layout_clear(struct tracedat_layout *l)
{
	for (int i = 0; i < l->nr_buffers; i++) {
		free(l->buffers[i].name);
		free(l->buffers[i].cpus);
	}
	free(l->buffers);
	free(l->sections);
	memset(l, 0, sizeof(*l));
}
