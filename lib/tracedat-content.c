/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What is inside a trace.dat's metadata and options, checked for what
 * libtracecmd and libtraceevent do with it: they read a size and trust
 * it, parse text with strtok() and sscanf() and expect it to be text,
 * duplicate option payloads with strdup() and expect a NUL in them. Each
 * rule here stands for one way a reader of a damaged file would go wrong.
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
#if HAVE_ZSTD
#include <zstd.h>
#endif

static bool has_nul(const unsigned char *p, size_t len)
{
	return memchr(p, '\0', len) != NULL;
}

/* ------------------------------------------------------------------ */
/* Section content, decompressed                                       */
/* ------------------------------------------------------------------ */

#if HAVE_ZSTD
/* One block: compressed size, size, then the zstd data; all of it must come out. */
static int decompress(struct tracedat_check *c, const struct tracedat_section *s,
		      unsigned char *in, size_t len, unsigned char **out, size_t *out_len)
{
	uint32_t csize, usize;
	unsigned long long declared;
	size_t n;

	if (len < 8)
		return tdc_fail(c, "section", s->offset, "section %u: no compressed block", s->id);
	csize = tdc_u32(c, in);
	usize = tdc_u32(c, in + 4);
	if (csize > len - 8)
		return tdc_fail(c, "section", s->offset,
				"section %u: compressed size %u runs past its end", s->id, csize);
	if (usize > TRACEDAT_MAX_SECTION)
		return tdc_fail(c, "section", s->offset, "section %u: %u bytes uncompressed", s->id,
				usize);
	/* The frame says how much it holds: believe nothing bigger than that. */
	declared = ZSTD_getFrameContentSize(in + 8, csize);
	if (declared == ZSTD_CONTENTSIZE_ERROR ||
	    (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != usize))
		return tdc_fail(c, "section", s->offset,
				"section %u: not zstd data of %u bytes (flagged compressed)", s->id,
				usize);
	*out = malloc(usize ? usize : 1);
	if (!*out)
		return -ENOMEM;
	n = ZSTD_decompress(*out, usize, in + 8, csize);
	if (ZSTD_isError(n) || n != usize) {
		free(*out);
		*out = NULL;
		return tdc_fail(c, "section", s->offset, "section %u does not decompress: %s", s->id,
				ZSTD_isError(n) ? ZSTD_getErrorName(n) : "too short");
	}
	*out_len = usize;
	return 0;
}
#else
static int decompress(struct tracedat_check *c, const struct tracedat_section *s,
		      unsigned char *in, size_t len, unsigned char **out, size_t *out_len)
{
	return tdc_fail(c, "section", s->offset, "compressed, and built without libzstd");
}
#endif

int tdc_section_content(struct tracedat_check *c, const struct tracedat_section *s,
			unsigned char **buf, struct tracedat_reader *r)
{
	unsigned long long len = s->end - s->data;
	unsigned char *raw, *plain;
	size_t plain_len;
	int ret;

	*buf = NULL;
	if (len > TRACEDAT_MAX_SECTION)
		return tdc_fail(c, "section", s->offset, "section %u is %llu bytes: too large",
				s->id, len);
	raw = malloc(len ? len : 1);
	if (!raw)
		return -ENOMEM;
	c->r.pos = s->data;
	ret = tdr_bytes(&c->r, raw, len, "section");
	if (ret) {
		free(raw);
		return tdc_read_failed(c, ret);
	}
	plain = raw;
	plain_len = len;
	if (s->flags & SECTION_FL_COMPRESSED) {
		ret = decompress(c, s, raw, len, &plain, &plain_len);
		free(raw);
		if (ret)
			return ret;
	}
	*buf = plain;
	*r = (struct tracedat_reader){ .fd = -1, .mem = plain, .size = plain_len,
				       .swap = c->r.swap, .what = &c->what };
	c->base = s->flags & SECTION_FL_COMPRESSED ? s->offset : s->data;
	c->decompressed = s->flags & SECTION_FL_COMPRESSED;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Metadata parts                                                      */
/* ------------------------------------------------------------------ */

/*
 * @len bytes at @r's position, in memory: *@p points at them (for a
 * memory reader, in place; from a file, in *@copy, to be freed).
 */
static int blob(struct tracedat_check *c, struct tracedat_reader *r, unsigned long long len,
		const char *field, const unsigned char **p, unsigned char **copy)
{
	unsigned long long at = r->pos;

	*copy = NULL;
	if (len > r->size - r->pos || len > TRACEDAT_MAX_SECTION)
		return tdc_fail_at(c, r, at, field, "%llu bytes run past the end (%llu left)", len,
				   r->size - r->pos);
	if (r->mem) {
		*p = r->mem + r->pos;
		r->pos += len;
		return 0;
	}
	*copy = malloc(len ? len : 1);
	if (!*copy)
		return -ENOMEM;
	*p = *copy;
	return tdr_bytes(r, *copy, len, field) ? tdc_read_failed(c, -EIO) : 0;
}

/* A size of @width bytes, then that much text. */
static int sized_text(struct tracedat_check *c, struct tracedat_reader *r, int width,
		      const char *field, bool (*valid)(const unsigned char *, size_t))
{
	unsigned long long at = r->pos, len;
	const unsigned char *p;
	unsigned char *copy;
	uint32_t len32;
	uint64_t len64;
	int ret;

	ret = width == 8 ? tdr_u64(r, &len64, field) : tdr_u32(r, &len32, field);
	if (ret)
		return tdc_fail_at(c, r, at, field, "no size: truncated?");
	len = width == 8 ? len64 : len32;
	ret = blob(c, r, len, field, &p, &copy);
	if (!ret && !valid(p, len))
		ret = tdc_fail_at(c, r, at, field, "%llu bytes that are not text", len);
	free(copy);
	return ret;
}

static bool any_bytes(const unsigned char *p, size_t len)
{
	return true;
}

/* printk formats: "ADDR : FORMAT" lines; libtraceevent reads past a line without ':'. */
static bool printk_text(const unsigned char *p, size_t len)
{
	const unsigned char *end = p + len;

	if (!tdc_is_text(p, len))
		return false;
	while (p < end) {
		const unsigned char *nl = memchr(p, '\n', end - p);
		const unsigned char *eol = nl ? nl : end;

		if (eol > p && !memchr(p, ':', eol - p))
			return false;
		p = eol + 1;
	}
	return true;
}

static int expect_tag(struct tracedat_check *c, struct tracedat_reader *r, const char *tag,
		      size_t len)
{
	unsigned long long at = r->pos;
	char buf[16];

	if (tdr_bytes(r, buf, len, tag) || memcmp(buf, tag, len))
		return tdc_fail_at(c, r, at, tag, "no \"%s\" here", tag);
	return 0;
}

/*
 * events/header_page as the kernel prints it (ring_buffer_print_page_header()):
 * a timestamp, a commit field as wide as the kernel's long, "overwrite"
 * (since 2.6.33) and the data. libtraceevent takes the page layout from
 * it, and a page it cannot parse leaves libtracecmd unable to read the
 * data, crashing as it gives up: anything else is refused.
 */
static bool header_page_ok(struct tracedat_check *c, const unsigned char *p, size_t len)
{
	static const char *const names[] = { "u64 timestamp", "local_t commit", "int overwrite",
					     "char data" };
	unsigned int offset[4], size[4], sign, n;
	char line[128], want[64];
	const unsigned char *end = p + len;
	int field = 0;

	if (!tdc_is_text(p, len))
		return false;
	while (p < end && field < 4) {
		const unsigned char *nl = memchr(p, '\n', end - p);
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (l >= sizeof(line))
			return false;
		memcpy(line, p, l);
		line[l] = '\0';
		p += l + (nl != NULL);
		/* Kernels before "overwrite" go from commit to data. */
		if (field == 2 && strstr(line, "char data;"))
			field = 3;
		/* 7.x prints it as "char overwrite" (offset 8, size 1 either way). */
		snprintf(want, sizeof(want), "\tfield: %s;\toffset:%%u;\tsize:%%u;\tsigned:%%u;%%n",
			 field == 2 && strstr(line, "char overwrite;") ? "char overwrite" : names[field]);
		n = 0;
		if (sscanf(line, want, &offset[field], &size[field], &sign, &n) != 3 || n != l)
			return false;
		field++;
	}
	if (field != 4 || offset[0] != 0 || size[0] != 8 || offset[1] != 8 ||
	    (size[1] != 4 && size[1] != 8) || offset[3] != 8 + size[1] || !size[3])
		return false;
	c->l->commit_size = size[1];
	return true;
}

static int check_headers(struct tracedat_check *c, struct tracedat_reader *r)
{
	unsigned long long at;
	const unsigned char *p;
	unsigned char *copy;
	uint64_t len;
	int ret;

	ret = expect_tag(c, r, "header_page", 12);
	at = r->pos;
	if (!ret && tdr_u64(r, &len, "header_page"))
		ret = tdc_fail_at(c, r, at, "header_page", "no size: truncated?");
	ret = ret ?: blob(c, r, len, "header_page", &p, &copy);
	if (ret)
		return ret;
	if (!header_page_ok(c, p, len))
		ret = tdc_fail_at(c, r, at, "header_page",
				  "not the page header of a kernel (timestamp, commit, data)");
	free(copy);
	return ret ?: expect_tag(c, r, "header_event", 13) ?:
	       sized_text(c, r, 8, "header_event", tdc_is_text);
}

/* @count sized texts: each at least its 8-byte size, so no more than fit. */
static int check_formats(struct tracedat_check *c, struct tracedat_reader *r, uint32_t count,
			 const char *field, unsigned long long at)
{
	int ret = 0;

	if (count > (r->size - r->pos) / 8)
		return tdc_fail_at(c, r, at, field, "%u formats cannot fit in %llu bytes", count,
				   r->size - r->pos);
	for (uint32_t i = 0; !ret && i < count; i++)
		ret = sized_text(c, r, 8, field, tdc_is_text);
	return ret;
}

static int check_event_formats(struct tracedat_check *c, struct tracedat_reader *r)
{
	unsigned long long at = r->pos;
	char name[TRACEDAT_MAX_NAME];
	uint32_t systems, count;
	int ret;

	if (tdr_u32(r, &systems, "event systems"))
		return tdc_fail_at(c, r, at, "event systems", "no count: truncated?");
	if (systems > (r->size - r->pos) / 6)
		return tdc_fail_at(c, r, at, "event systems", "%u systems cannot fit", systems);
	for (uint32_t i = 0; i < systems; i++) {
		at = r->pos;
		ret = tdr_string(r, name, sizeof(name), "event system");
		if (ret || !name[0] || !tdc_is_text((const unsigned char *)name, strlen(name)))
			return tdc_fail_at(c, r, at, "event system",
					   "no name (or not text, or over %d bytes)",
					   TRACEDAT_MAX_NAME - 1);
		at = r->pos;
		if (tdr_u32(r, &count, "event formats"))
			return tdc_fail_at(c, r, at, "event formats", "no count: truncated?");
		ret = check_formats(c, r, count, "event format", at);
		if (ret)
			return ret;
	}
	return 0;
}

int tdc_check_part(struct tracedat_check *c, struct tracedat_reader *r, uint16_t id)
{
	unsigned long long at = r->pos;
	uint32_t count;

	switch (id) {
	case SECTION_HEADERS:
		return check_headers(c, r);
	case SECTION_FTRACE_EVENTS:
		if (tdr_u32(r, &count, "ftrace formats"))
			return tdc_fail_at(c, r, at, "ftrace formats", "no count: truncated?");
		return check_formats(c, r, count, "ftrace format", at);
	case SECTION_EVENT_FORMATS:
		return check_event_formats(c, r);
	case SECTION_KALLSYMS:
		return sized_text(c, r, 4, "kallsyms", tdc_is_text);
	case SECTION_PRINTK:
		return sized_text(c, r, 4, "printk formats", printk_text);
	case SECTION_CMDLINES:
		/* Task names may hold any byte: libtraceevent copies at most 16. */
		return sized_text(c, r, 8, "saved command lines", any_bytes);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Options                                                             */
/* ------------------------------------------------------------------ */

/*
 * TIME_SHIFT: trace id, flags, CPU count, then per CPU a sample count and
 * three arrays of that many; libtracecmd indexes the first two samples
 * of every CPU whatever the count.
 */
static int check_time_shift(struct tracedat_check *c, const unsigned char *p, uint32_t len,
			    unsigned long long at)
{
	uint32_t cpus, count, off = 16;

	if (len < 16)
		return 0;	/* libtracecmd ignores it */
	cpus = tdc_u32(c, p + 12);
	if (cpus > TRACEDAT_MAX_CPUS)
		return tdc_fail(c, "TIME_SHIFT option", at, "%u CPUs", cpus);
	for (uint32_t i = 0; i < cpus; i++) {
		if (len - off < 4)
			return tdc_fail(c, "TIME_SHIFT option", at, "CPU %u has no samples", i);
		count = tdc_u32(c, p + off);
		off += 4;
		if (count < 1 || count > (len - off) / 24)
			return tdc_fail(c, "TIME_SHIFT option", at, "CPU %u: %u samples", i, count);
		off += count * 24;
	}
	return 0;
}

/* GUEST: name, trace id, CPU count, then a (CPU, host task) pair per CPU. */
static int check_guest(struct tracedat_check *c, const unsigned char *p, uint32_t len,
		       unsigned long long at)
{
	const unsigned char *nul = memchr(p, '\0', len);
	uint32_t off, cpus;

	if (!nul || len - (nul + 1 - p) < 12)
		return tdc_fail(c, "GUEST option", at, "no name, trace id and CPU count");
	off = nul + 1 - p + 8;
	cpus = tdc_u32(c, p + off);
	if (cpus > (len - off - 4) / 8)
		return tdc_fail(c, "GUEST option", at, "%u CPUs do not fit", cpus);
	return 0;
}

int tdc_check_option(struct tracedat_check *c, uint16_t id, const unsigned char *p,
		     uint32_t len, unsigned long long at)
{
	switch (id) {
	case OPT_DATE:
	case OPT_OFFSET:
	case OPT_UNAME:
	case OPT_VERSION:
	case OPT_LAST_BOOT_INFO:
	case OPT_BOOTRACE_STATS:
	case OPT_BOOTRACE_DECODE:
	case OPT_BOOTRACE_MODULES:
		/* strtoll() and strdup(): the payload must end in a NUL. */
		if (!has_nul(p, len))
			return tdc_fail(c, "option", at, "option %u is not a NUL-terminated string", id);
		return 0;
	case OPT_TRACECLOCK:
		if (!has_nul(p, len) || !tdc_clock_ok((const char *)p, strlen((const char *)p)))
			return tdc_fail(c, "TRACECLOCK option", at, "not a list of clocks");
		return 0;
	case OPT_CPUSTAT:
		/* libtracecmd writes a newline over its last byte. */
		if (!len)
			return tdc_fail(c, "CPUSTAT option", at, "empty");
		return 0;
	case OPT_CPUCOUNT:
		if (len != 4 || tdc_u32(c, p) > TRACEDAT_MAX_CPUS)
			return tdc_fail(c, "CPUCOUNT option", at, "not a CPU count");
		return 0;
	case OPT_HOOK:
		/* libtracecmd dereferences a hook it failed to parse. */
		return tdc_fail(c, "HOOK option", at,
				"event hooks (trace-cmd record -H) are not supported");
	case OPT_TIME_SHIFT:
		return check_time_shift(c, p, len, at);
	case OPT_GUEST:
		return check_guest(c, p, len, at);
	}
	return 0;
}
