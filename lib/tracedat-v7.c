/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * trace.dat version 7 compressed with zstd, made from a finished version 6
 * file (collect --compress). Laid out as trace-cmd 3.x writes it, which
 * both trace-cmd 3.1.6 and 3.4 read (trace-cmd.dat.v7(5)):
 *
 *   initial format, "zstd\0VERSION\0", offset of the first options section
 *   sections 16-21 (headers, ftrace and event formats, kallsyms, printk
 *     formats, saved cmdlines): the version 6 bytes, one zstd frame each
 *   section 25 (MODULES_FILE), when the version 6 file has bootrace's
 *     modules option: that /proc/modules text, one zstd frame
 *   options section: where those sections are, the version 6 options,
 *     CPUCOUNT, DONE -> the second options section
 *   flyrecord section: per CPU, page aligned, the pages in zstd chunks
 *   options section: BUFFER (the flyrecord section, each CPU's chunks),
 *     DONE -> none
 *   strings section: the sections' descriptions
 *
 * Sections follow each other without gaps ("trace-cmd dump" walks them).
 * Memory stays small whatever the trace's size: pages go through one
 * chunk at a time, the other sections through a streaming compressor.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "bootrace.h"
#include "tracedat.h"
#include "tracedat-format.h"
#include "tracedat-reader.h"

#if HAVE_ZSTD
#include <zstd.h>

/* Level 1: several hundred MB/s, and trace pages still shrink ~10 times. */
#define V7_ZSTD_LEVEL 1
/* Pages per compressed chunk of CPU data (trace-cmd reads chunk by chunk). */
#define V7_CHUNK_PAGES 64
#define V7_STREAM_BYTES (128 << 10)

enum v7_section {
	SEC_OPTIONS = 0,
	SEC_BUFFER = 3,
	SEC_STRINGS = 15,
	SEC_HEADERS = 16,	/* 16-21: the metadata sections, in file order */
	NR_META = 6,
	SEC_MODULES = 25,	/* MODULES_FILE: /proc/modules, trace-cmd 3.4 */
};
#define SEC_FL_COMPRESS 1

static const char *const meta_desc[NR_META] = {
	"headers", "ftrace events", "events format", "kallsyms", "printk", "command lines",
};

struct v7_writer {
	struct tracedat_reader in;	/* the version 6 file */
	int out;
	unsigned long long pos;		/* where the next byte goes in out */
	ZSTD_CCtx *cctx;
	char strings[256];
	size_t strings_len;
	unsigned char long_size;
	unsigned int page_size;
	/* The version 6 file's layout. */
	unsigned long long meta_start[NR_META], meta_end[NR_META];
	unsigned long long opts_start, opts_end;	/* options, without DONE */
	uint32_t nr_cpus;
	uint64_t *cpu_offset, *cpu_size;
	/* Where things went in out. */
	unsigned long long meta_out[NR_META];
	uint64_t *out_offset, *out_size;
	char clock[64];
	/* bootrace's modules option in the version 6 file: its text, and where that went. */
	unsigned long long modules_at, modules_len, modules_out;
	char *stream_in, *stream_out;	/* V7_STREAM_BYTES each */
};

static int out_write(struct v7_writer *v, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = pwrite(v->out, p, len, v->pos);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= n;
		v->pos += n;
	}
	return 0;
}

static int out_at(struct v7_writer *v, unsigned long long at, const void *buf, size_t len)
{
	return pwrite(v->out, buf, len, at) == (ssize_t)len ? 0 : -EIO;
}

/* Little-endian x86 and arm64 hosts only write their own byte order. */
static int out_u16(struct v7_writer *v, uint16_t x) { return out_write(v, &x, sizeof(x)); }
static int out_u32(struct v7_writer *v, uint32_t x) { return out_write(v, &x, sizeof(x)); }
static int out_u64(struct v7_writer *v, uint64_t x) { return out_write(v, &x, sizeof(x)); }

static int out_zeros(struct v7_writer *v, unsigned long long len)
{
	static const char zeros[4096];
	int ret = 0;

	while (!ret && len) {
		size_t n = len < sizeof(zeros) ? len : sizeof(zeros);

		ret = out_write(v, zeros, n);
		len -= n;
	}
	return ret;
}

/* A description's id: its offset in the strings section. */
static uint32_t string_id(struct v7_writer *v, const char *s)
{
	size_t at = 0;

	while (at < v->strings_len) {
		if (!strcmp(v->strings + at, s))
			return at;
		at += strlen(v->strings + at) + 1;
	}
	/* The table holds the fixed descriptions above; it cannot overflow. */
	memcpy(v->strings + at, s, strlen(s) + 1);
	v->strings_len += strlen(s) + 1;
	return at;
}

static int section_begin(struct v7_writer *v, uint16_t id, uint16_t flags, const char *desc,
			 unsigned long long *size_at)
{
	int ret = out_u16(v, id) ?: out_u16(v, flags) ?: out_u32(v, string_id(v, desc));

	*size_at = v->pos;
	return ret ?: out_u64(v, 0);
}

static int section_end(struct v7_writer *v, unsigned long long size_at)
{
	uint64_t size = v->pos - (size_at + sizeof(uint64_t));

	return out_at(v, size_at, &size, sizeof(size));
}

/*
 * One compressed block: compressed size, size, then one zstd frame of
 * @len bytes, taken from @mem or else from the input file at @from.
 */
static int compress_block(struct v7_writer *v, const void *mem, unsigned long long from,
			  unsigned long long len)
{
	char *inbuf = v->stream_in, *outbuf = v->stream_out;
	unsigned long long csize_at = v->pos, done = 0, csize = 0;
	uint32_t csize32;
	int ret;

	if (len > UINT32_MAX)
		return -EFBIG;
	ret = out_u32(v, 0) ?: out_u32(v, len);
	/* Parameters again: ZSTD_compressCCtx() (the CPU data) ignores them. */
	ZSTD_CCtx_reset(v->cctx, ZSTD_reset_session_and_parameters);
	ZSTD_CCtx_setParameter(v->cctx, ZSTD_c_compressionLevel, V7_ZSTD_LEVEL);
	ZSTD_CCtx_setPledgedSrcSize(v->cctx, len);
	for (bool last = false; !ret && !last;) {
		size_t n = len - done < V7_STREAM_BYTES ? len - done : V7_STREAM_BYTES;
		ZSTD_inBuffer in = { mem ? (const char *)mem + done : inbuf, n, 0 };
		size_t left;

		if (!mem) {
			v->in.pos = from + done;
			ret = tdr_bytes(&v->in, inbuf, n, "metadata");
			if (ret)
				break;
		}
		done += n;
		last = done == len;
		do {
			ZSTD_outBuffer out = { outbuf, V7_STREAM_BYTES, 0 };

			left = ZSTD_compressStream2(v->cctx, &out, &in,
						    last ? ZSTD_e_end : ZSTD_e_continue);
			if (ZSTD_isError(left))
				return -EIO;
			ret = out_write(v, outbuf, out.pos);
			csize += out.pos;
		} while (!ret && (last ? left != 0 : in.pos < in.size));
	}
	if (ret)
		return ret;
	if (csize > UINT32_MAX)
		return -EFBIG;
	csize32 = csize;
	return out_at(v, csize_at, &csize32, sizeof(csize32));
}

/* ---- the version 6 file ---- */

static int parse_v6(struct v7_writer *v)
{
	struct tracedat_options o = { 0 };
	struct tracedat_reader *r = &v->in;
	uint32_t nr;
	uint16_t id;
	char tag[10];
	int ret;

	ret = tdr_initial(r, &o);
	if (ret)
		return ret;
	if (o.version != 6)
		return tdr_fail(r, "version (a version 6 file is converted)");
	if (r->swap)
		return -EOPNOTSUPP;
	v->page_size = o.page_size;
	/* Magic, "6\0", endianness, then the size of a long. */
	v->meta_start[0] = r->pos;
	r->pos = sizeof(tracedat_magic) + 2 + 1;
	ret = tdr_bytes(r, &v->long_size, 1, "long size");
	r->pos = v->meta_start[0];
	ret = ret ?: tdr_expect(r, "header_page", 12, "header_page") ?:
	      tdr_skip_sized64(r, "header_page") ?:
	      tdr_expect(r, "header_event", 13, "header_event") ?:
	      tdr_skip_sized64(r, "header_event");
	v->meta_end[0] = v->meta_start[1] = r->pos;
	ret = ret ?: tdr_u32(r, &nr, "ftrace formats");
	for (uint32_t i = 0; !ret && i < nr; i++)
		ret = tdr_skip_sized64(r, "ftrace formats");
	v->meta_end[1] = v->meta_start[2] = r->pos;
	ret = ret ?: tdr_skip_event_formats(r);
	v->meta_end[2] = v->meta_start[3] = r->pos;
	ret = ret ?: tdr_skip_sized32(r, "kallsyms");
	v->meta_end[3] = v->meta_start[4] = r->pos;
	ret = ret ?: tdr_skip_sized32(r, "printk formats");
	v->meta_end[4] = v->meta_start[5] = r->pos;
	ret = ret ?: tdr_skip_sized64(r, "cmdlines");
	v->meta_end[5] = r->pos;
	ret = ret ?: tdr_u32(r, &v->nr_cpus, "cpu count") ?: tdr_bytes(r, tag, sizeof(tag), "options");
	if (ret)
		return ret;
	if (v->nr_cpus > TRACEDAT_MAX_CPUS)
		return tdr_fail(r, "cpu count");
	v->opts_start = v->opts_end = r->pos;
	if (!memcmp(tag, "options  ", sizeof(tag))) {
		while (!(ret = tdr_u16(r, &id, "options")) && id != OPT_DONE) {
			ret = tdr_skip_sized32(r, "options");
			if (ret)
				return ret;
		}
		v->opts_end = r->pos - sizeof(id);
		ret = ret ?: tdr_bytes(r, tag, sizeof(tag), "flyrecord");
	}
	if (!ret && memcmp(tag, "flyrecord", sizeof(tag)))
		ret = tdr_fail(r, "flyrecord");
	if (ret)
		return ret;
	v->cpu_offset = calloc(v->nr_cpus + 1, sizeof(*v->cpu_offset));
	v->cpu_size = calloc(v->nr_cpus + 1, sizeof(*v->cpu_size));
	v->out_offset = calloc(v->nr_cpus + 1, sizeof(*v->out_offset));
	v->out_size = calloc(v->nr_cpus + 1, sizeof(*v->out_size));
	if (!v->cpu_offset || !v->cpu_size || !v->out_offset || !v->out_size)
		return -ENOMEM;
	for (uint32_t cpu = 0; !ret && cpu < v->nr_cpus; cpu++) {
		ret = tdr_u64(r, &v->cpu_offset[cpu], "flyrecord") ?:
		      tdr_u64(r, &v->cpu_size[cpu], "flyrecord");
		if (!ret && (v->cpu_offset[cpu] > r->size ||
			     v->cpu_size[cpu] > r->size - v->cpu_offset[cpu]))
			ret = tdr_fail(r, "CPU data (it extends past the end of the file)");
	}
	return ret;
}

/* The clock BUFFER names: the selected one of the TRACECLOCK option. */
static int find_clock(struct v7_writer *v)
{
	struct tracedat_reader *r = &v->in;
	uint16_t id;
	uint32_t len;
	int ret = 0;

	strcpy(v->clock, "local");
	for (r->pos = v->opts_start; !ret && r->pos < v->opts_end;) {
		ret = tdr_u16(r, &id, "options") ?: tdr_u32(r, &len, "options");
		if (ret || id != OPT_TRACECLOCK) {
			ret = ret ?: tdr_skip(r, len, "options");
			continue;
		}
		char text[512] = "";
		const char *open, *close;

		ret = tdr_bytes(r, text, len < sizeof(text) - 1 ? len : sizeof(text) - 1, "options");
		open = strchr(text, '[');
		close = open ? strchr(open, ']') : NULL;
		if (!ret && close && (size_t)(close - open - 1) < sizeof(v->clock))
			snprintf(v->clock, sizeof(v->clock), "%.*s", (int)(close - open - 1), open + 1);
		break;
	}
	return ret;
}

/*
 * bootrace's own option with the modules list of the boot whose symbols
 * the file holds: trace-cmd 3.4 reads it only as MODULES_FILE, a version
 * 7 section, and shifts module addresses by it.
 */
static int find_modules(struct v7_writer *v)
{
	struct tracedat_reader *r = &v->in;
	uint16_t id;
	uint32_t len;
	int ret = 0;

	for (r->pos = v->opts_start; !ret && r->pos < v->opts_end;) {
		ret = tdr_u16(r, &id, "options") ?: tdr_u32(r, &len, "options");
		if (!ret && id == OPT_BOOTRACE_MODULES && len > 1) {
			/* The text without its NUL: /proc/modules as trace-cmd stores it. */
			v->modules_at = r->pos;
			v->modules_len = len - 1;
		}
		ret = ret ?: tdr_skip(r, len, "options");
	}
	return ret;
}

/* ---- the version 7 file ---- */

static int write_initial(struct v7_writer *v, unsigned long long *options_at)
{
	static const char version[] = "7";
	const char *zver = ZSTD_versionString();
	unsigned char flags[2] = { 0, v->long_size };
	int ret;

	ret = out_write(v, tracedat_magic, sizeof(tracedat_magic)) ?:
	      out_write(v, version, sizeof(version)) ?:
	      out_write(v, flags, sizeof(flags)) ?:
	      out_u32(v, v->page_size) ?:
	      out_write(v, "zstd", sizeof("zstd")) ?:
	      out_write(v, zver, strlen(zver) + 1);
	*options_at = v->pos;
	return ret ?: out_u64(v, 0);
}

static int write_meta(struct v7_writer *v)
{
	unsigned long long size_at;
	int ret = 0;

	for (int i = 0; !ret && i < NR_META; i++) {
		v->meta_out[i] = v->pos;
		ret = section_begin(v, SEC_HEADERS + i, SEC_FL_COMPRESS, meta_desc[i], &size_at) ?:
		      compress_block(v, NULL, v->meta_start[i], v->meta_end[i] - v->meta_start[i]) ?:
		      section_end(v, size_at);
	}
	if (!ret && v->modules_len) {
		v->modules_out = v->pos;
		ret = section_begin(v, SEC_MODULES, SEC_FL_COMPRESS, "modules", &size_at) ?:
		      compress_block(v, NULL, v->modules_at, v->modules_len) ?:
		      section_end(v, size_at);
	}
	return ret;
}

/* The first options section; *next_at: where DONE's next offset goes. */
static int write_options(struct v7_writer *v, unsigned long long *next_at)
{
	char *buf = v->stream_in;
	unsigned long long size_at, from = v->opts_start;
	int ret;

	ret = section_begin(v, SEC_OPTIONS, 0, "options", &size_at);
	for (int i = 0; !ret && i < NR_META; i++)
		ret = out_u16(v, SEC_HEADERS + i) ?: out_u32(v, 8) ?: out_u64(v, v->meta_out[i]);
	if (!ret && v->modules_len)
		ret = out_u16(v, SEC_MODULES) ?: out_u32(v, 8) ?: out_u64(v, v->modules_out);
	/* The version 6 options (CPUSTAT, TRACECLOCK, ...) are laid out alike. */
	while (!ret && from < v->opts_end) {
		size_t n = v->opts_end - from < V7_STREAM_BYTES ? v->opts_end - from : V7_STREAM_BYTES;

		v->in.pos = from;
		ret = tdr_bytes(&v->in, buf, n, "options") ?: out_write(v, buf, n);
		from += n;
	}
	ret = ret ?: out_u16(v, OPT_CPUCOUNT) ?: out_u32(v, 4) ?: out_u32(v, v->nr_cpus) ?:
	      out_u16(v, OPT_DONE) ?: out_u32(v, 8);
	*next_at = v->pos;
	return ret ?: out_u64(v, 0) ?: section_end(v, size_at);
}

static int write_cpu(struct v7_writer *v, uint32_t cpu, char *inbuf, char *outbuf,
		     size_t outcap)
{
	unsigned long long count_at, from = 0, pad;
	size_t chunk = (size_t)v->page_size * V7_CHUNK_PAGES;
	uint32_t chunks = 0;
	int ret;

	pad = (v->page_size - v->pos % v->page_size) % v->page_size;
	ret = out_zeros(v, pad);
	v->out_offset[cpu] = count_at = v->pos;
	ret = ret ?: out_u32(v, 0);
	while (!ret && from < v->cpu_size[cpu]) {
		size_t n = v->cpu_size[cpu] - from < chunk ? v->cpu_size[cpu] - from : chunk;
		size_t c;

		v->in.pos = v->cpu_offset[cpu] + from;
		ret = tdr_bytes(&v->in, inbuf, n, "CPU data");
		if (ret)
			break;
		c = ZSTD_compressCCtx(v->cctx, outbuf, outcap, inbuf, n, V7_ZSTD_LEVEL);
		if (ZSTD_isError(c))
			return -EIO;
		ret = out_u32(v, c) ?: out_u32(v, n) ?: out_write(v, outbuf, c);
		v->out_size[cpu] += 2 * sizeof(uint32_t) + c;
		from += n;
		chunks++;
	}
	return ret ?: out_at(v, count_at, &chunks, sizeof(chunks));
}

static int write_flyrecord(struct v7_writer *v, unsigned long long *section_at)
{
	size_t chunk = (size_t)v->page_size * V7_CHUNK_PAGES;
	size_t outcap = ZSTD_compressBound(chunk);
	char *inbuf = malloc(chunk), *outbuf = malloc(outcap);
	unsigned long long size_at;
	int ret = inbuf && outbuf ? 0 : -ENOMEM;

	*section_at = v->pos;
	ret = ret ?: section_begin(v, SEC_BUFFER, SEC_FL_COMPRESS, "buffer flyrecord ", &size_at);
	for (uint32_t cpu = 0; !ret && cpu < v->nr_cpus; cpu++)
		ret = write_cpu(v, cpu, inbuf, outbuf, outcap);
	free(inbuf);
	free(outbuf);
	return ret ?: section_end(v, size_at);
}

/* BUFFER names the top instance ("") and lists the CPUs that hold data. */
static int write_buffer_options(struct v7_writer *v, unsigned long long flyrecord_at)
{
	unsigned long long size_at;
	uint32_t with_data = 0, len;
	int ret;

	for (uint32_t cpu = 0; cpu < v->nr_cpus; cpu++)
		with_data += v->cpu_size[cpu] != 0;
	len = sizeof(uint64_t) + 1 + strlen(v->clock) + 1 + 2 * sizeof(uint32_t) +
	      with_data * (sizeof(uint32_t) + 2 * sizeof(uint64_t));
	ret = section_begin(v, SEC_OPTIONS, 0, "options", &size_at) ?:
	      out_u16(v, OPT_BUFFER) ?: out_u32(v, len) ?: out_u64(v, flyrecord_at) ?:
	      out_write(v, "", 1) ?: out_write(v, v->clock, strlen(v->clock) + 1) ?:
	      out_u32(v, v->page_size) ?: out_u32(v, with_data);
	for (uint32_t cpu = 0; !ret && cpu < v->nr_cpus; cpu++) {
		if (v->cpu_size[cpu])
			ret = out_u32(v, cpu) ?: out_u64(v, v->out_offset[cpu]) ?:
			      out_u64(v, v->out_size[cpu]);
	}
	ret = ret ?: out_u16(v, OPT_DONE) ?: out_u32(v, 8) ?: out_u64(v, 0);
	return ret ?: section_end(v, size_at);
}

static int write_strings(struct v7_writer *v)
{
	unsigned long long size_at;

	string_id(v, "strings");
	return section_begin(v, SEC_STRINGS, SEC_FL_COMPRESS, "strings", &size_at) ?:
	       compress_block(v, v->strings, 0, v->strings_len) ?:
	       section_end(v, size_at);
}

int tracedat_write_v7(int in_fd, int out_fd, const char **what)
{
	struct v7_writer v = { .out = out_fd, .in = { .fd = in_fd } };
	unsigned long long options_at, next_at, flyrecord_at;
	const char *unused;
	uint64_t second;
	off_t end;
	int ret;

	v.in.what = what ? what : &unused;
	*v.in.what = NULL;
	end = lseek(in_fd, 0, SEEK_END);
	if (end < 0)
		return -errno;
	v.in.size = end;
	v.cctx = ZSTD_createCCtx();
	v.stream_in = malloc(V7_STREAM_BYTES);
	v.stream_out = malloc(V7_STREAM_BYTES);
	if (!v.cctx || !v.stream_in || !v.stream_out) {
		ret = -ENOMEM;
		goto out;
	}
	ret = parse_v6(&v) ?: find_clock(&v) ?: find_modules(&v);
	/* Every description first: string ids must not move once written. */
	for (int i = 0; !ret && i < NR_META; i++)
		string_id(&v, meta_desc[i]);
	if (!ret && v.modules_len)
		string_id(&v, "modules");
	ret = ret ?: write_initial(&v, &options_at) ?: write_meta(&v);
	if (!ret) {
		uint64_t first = v.pos;

		ret = out_at(&v, options_at, &first, sizeof(first)) ?: write_options(&v, &next_at);
	}
	ret = ret ?: write_flyrecord(&v, &flyrecord_at);
	second = v.pos;
	ret = ret ?: out_at(&v, next_at, &second, sizeof(second)) ?:
	      write_buffer_options(&v, flyrecord_at) ?: write_strings(&v);
	if (!ret && ftruncate(out_fd, v.pos) < 0)
		ret = -errno;
out:
	ZSTD_freeCCtx(v.cctx);
	free(v.stream_in);
	free(v.stream_out);
	free(v.cpu_offset);
	free(v.cpu_size);
	free(v.out_offset);
	free(v.out_size);
	return ret;
}

#else /* !HAVE_ZSTD */

int tracedat_write_v7(int in_fd, int out_fd, const char **what)
{
	return -EOPNOTSUPP;
}

#endif

bool bootrace_compress_supported(void)
{
	return HAVE_ZSTD;
}
