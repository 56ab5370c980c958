/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ring-buffer pages of every buffer, read once before any library
 * does: each page's header (timestamp, commit) must describe data that
 * fits in the page (libtracecmd walks whatever length it finds there),
 * and the pages the kernel marked as following lost events are counted.
 * Since 7.2 the kernel also marks the sub-buffers it dropped as corrupt
 * across a reboot that way: a marked page with no data is such a one,
 * and no reader sees it as a record.
 *
 * A page (linux/ring_buffer.h, struct buffer_data_page): a 64-bit
 * timestamp, a commit field as wide as the kernel's long holding the
 * length of the data and two flags, then the data; with the second flag
 * the kernel stored the number of lost events right after the data. The
 * data is events, each behind a 32-bit header (kernel/trace/ring_buffer.c):
 * its type or length in words in the low 5 bits; 0 means the length
 * follows in the next 32 bits, 29 is padding (as long as that word says,
 * or the rest of the page), 30 and 31 are 8-byte time stamps. Every event
 * must end inside the data, as libtracecmd takes each length as given.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "tracedat-check.h"
#if HAVE_ZSTD
#include <zstd.h>
#endif

#define RB_MISSED_EVENTS (1ULL << 31)
#define RB_MISSED_STORED (1ULL << 30)
/* libtracecmd's mask for the length in the commit field. */
#define COMMIT_LENGTH ((1ULL << 27) - 1)
/* Pages read at a time. */
#define PAGE_BATCH 64

struct page_scan {
	struct tracedat_check *c;
	struct tracedat_cpu_data *d;
	const char *field;
};

static unsigned long long number(const struct tracedat_check *c, const unsigned char *p,
				 unsigned int width)
{
	uint64_t v64;
	uint32_t v32;

	if (width == 4) {
		memcpy(&v32, p, 4);
		return c->r.swap ? __builtin_bswap32(v32) : v32;
	}
	memcpy(&v64, p, 8);
	return c->r.swap ? __builtin_bswap64(v64) : v64;
}

/* The events of a page's @length bytes of data each end inside it. */
static bool events_fit(const struct tracedat_check *c, const unsigned char *data,
		       unsigned long long length)
{
	unsigned long long pos = 0;

	while (pos < length) {
		uint32_t head, type;
		unsigned long long size;

		if (length - pos < 4)
			return false;
		head = tdc_u32(c, data + pos);
		type = head & 31;
		if (type == 29 && !(head >> 5))
			return true;	/* padding to the end of the page */
		if (type >= 1 && type <= 28)
			size = 4 + 4ULL * type;
		else if (type == 30 || type == 31)
			size = 8;
		else if (length - pos < 8)
			return false;
		else
			size = 4 + (unsigned long long)tdc_u32(c, data + pos + 4);
		if (size > length - pos)
			return false;
		pos += size;
	}
	return true;
}

/* One page at file offset @at (for messages). */
static int scan_page(struct page_scan *s, const unsigned char *page, unsigned long long at)
{
	struct tracedat_check *c = s->c;
	unsigned int width = c->l->commit_size, header = 8 + width;
	unsigned int room = c->l->page_size - header;
	unsigned long long commit = number(c, page + 8, width);
	unsigned long long length = commit & COMMIT_LENGTH;

	if (length > room)
		return tdc_fail(c, s->field, at, "a page says it holds %llu bytes, in %u", length,
				room);
	if (!events_fit(c, page + header, length))
		return tdc_fail(c, s->field, at, "an event runs past the end of its page's data");
	if (!(commit & RB_MISSED_EVENTS))
		return 0;
	s->d->missed_pages++;
	s->d->dropped_pages += length == 0;
	if (commit & RB_MISSED_STORED) {
		if (length + width > room)
			return tdc_fail(c, s->field, at, "no room after the data for the lost count");
		s->d->missed_events += number(c, page + header + length, width);
	}
	return 0;
}

static int scan_pages(struct page_scan *s, const unsigned char *buf, size_t len,
		      unsigned long long at)
{
	unsigned int page_size = s->c->l->page_size;
	int ret = 0;

	for (size_t off = 0; !ret && off + page_size <= len; off += page_size)
		ret = scan_page(s, buf + off, at + off);
	return ret;
}

static int scan_plain(struct page_scan *s, unsigned char *buf)
{
	struct tracedat_check *c = s->c;
	size_t batch = (size_t)c->l->page_size * PAGE_BATCH;
	int ret = 0;

	for (unsigned long long done = 0; !ret && done < s->d->size; done += batch) {
		size_t n = s->d->size - done < batch ? s->d->size - done : batch;

		c->r.pos = s->d->offset + done;
		ret = tdr_bytes(&c->r, buf, n, s->field);
		ret = ret ? tdc_read_failed(c, ret) : scan_pages(s, buf, n, s->d->offset + done);
	}
	return ret;
}

int tdc_chunks_extent(struct tracedat_check *c, struct tracedat_cpu_data *d, const char *field)
{
	unsigned long long pos = d->offset, file = c->l->file_size;
	unsigned char head[8];
	uint32_t chunks;

	c->r.pos = pos;
	if (file - pos < 4 || tdr_bytes(&c->r, head, 4, field))
		return tdc_fail(c, field, pos, "no chunk count: truncated?");
	chunks = tdc_u32(c, head);
	pos += 4;
	if (chunks > (file - pos) / 8)
		return tdc_fail(c, field, d->offset, "%u chunks cannot fit in the file", chunks);
	for (uint32_t i = 0; i < chunks; i++) {
		uint32_t csize;

		c->r.pos = pos;
		if (file - pos < 8 || tdr_bytes(&c->r, head, 8, field))
			return tdc_fail(c, field, pos, "chunk %u of %u: truncated?", i, chunks);
		csize = tdc_u32(c, head);
		pos += 8;
		if (csize > file - pos)
			return tdc_fail(c, field, pos - 8, "chunk %u: %u bytes run past the end",
					i, csize);
		pos += csize;
	}
	if (pos - d->offset != d->size && pos - d->offset != d->size + 4)
		return tdc_fail(c, field, d->offset, "its chunks take %llu bytes, not %llu",
				pos - d->offset, d->size);
	d->size = pos - d->offset;
	return 0;
}

#if HAVE_ZSTD
/* Each chunk: compressed size, size (whole pages), zstd data; checked by tdc_chunks_extent(). */
static int scan_compressed(struct page_scan *s)
{
	struct tracedat_check *c = s->c;
	unsigned char head[8], *in = NULL, *out = NULL;
	uint32_t chunks;
	int ret = 0;

	c->r.pos = s->d->offset;
	tdr_bytes(&c->r, head, 4, s->field);
	chunks = tdc_u32(c, head);
	for (uint32_t i = 0; !ret && i < chunks; i++) {
		unsigned long long at = c->r.pos;
		uint32_t csize, usize;
		size_t n;

		ret = tdr_bytes(&c->r, head, 8, s->field);
		if (ret) {
			ret = tdc_read_failed(c, ret);
			break;
		}
		csize = tdc_u32(c, head);
		usize = tdc_u32(c, head + 4);
		if (!usize || usize > TRACEDAT_MAX_CHUNK || usize % c->l->page_size) {
			ret = tdc_fail(c, s->field, at, "chunk %u: %u bytes, not whole pages", i,
				       usize);
			break;
		}
		free(in);
		free(out);
		in = malloc(csize ? csize : 1);
		out = malloc(usize);
		if (!in || !out) {
			ret = -ENOMEM;
			break;
		}
		ret = tdr_bytes(&c->r, in, csize, s->field);
		if (ret) {
			ret = tdc_read_failed(c, ret);
			break;
		}
		n = ZSTD_decompress(out, usize, in, csize);
		if (ZSTD_isError(n) || n != usize)
			ret = tdc_fail(c, s->field, at, "chunk %u does not decompress", i);
		else
			ret = scan_pages(s, out, usize, at);
	}
	free(in);
	free(out);
	return ret;
}
#else
static int scan_compressed(struct page_scan *s)
{
	return tdc_fail(s->c, s->field, s->d->offset, "compressed, and built without libzstd");
}
#endif

int tdc_check_pages(struct tracedat_check *c)
{
	struct tracedat_layout *l = c->l;
	unsigned char *buf = malloc((size_t)l->page_size * PAGE_BATCH);
	char field[128];
	int ret = buf ? 0 : -ENOMEM;

	for (int i = 0; !ret && i < l->nr_buffers; i++) {
		struct tracedat_buffer *b = &l->buffers[i];

		for (int j = 0; !ret && j < b->nr_cpus; j++) {
			struct page_scan s = { c, &b->cpus[j], field };

			if (!s.d->size)
				continue;
			snprintf(field, sizeof(field), "CPU %u data of %s%s%s", s.d->cpu,
				 b->name[0] ? "buffer '" : "the top-level buffer",
				 b->name, b->name[0] ? "'" : "");
			ret = b->compressed ? scan_compressed(&s) : scan_plain(&s, buf);
		}
	}
	free(buf);
	return ret;
}
