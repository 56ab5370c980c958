/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading back the options of a trace.dat (v6, and uncompressed v7), for
 * verify: the per-CPU stats, clock, uname and last-boot information that
 * libtracecmd does not expose. Every size is checked against the file
 * before anything is allocated: verify is handed damaged files.
 */
#include <byteswap.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "tracedat.h"
#include "tracedat-format.h"
#include "tracedat-reader.h"
#if HAVE_ZSTD
#include <zstd.h>
#endif

/* ------------------------------------------------------------------ */
/* Reading the options back                                           */
/* ------------------------------------------------------------------ */


int tdr_fail(struct tracedat_reader *r, const char *what)
{
	*r->what = what;
	return -EINVAL;
}

int tdr_bytes(struct tracedat_reader *r, void *buf, size_t len,
		    const char *what)
{
	char *p = buf;

	if (len > r->size || r->pos > r->size - len)
		return tdr_fail(r, what);
	while (len) {
		ssize_t n = pread(r->fd, p, len, r->pos);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*r->what = what;
			return -errno;
		}
		if (n == 0)
			return tdr_fail(r, what);
		p += n;
		len -= n;
		r->pos += n;
	}
	return 0;
}

int tdr_skip(struct tracedat_reader *r, unsigned long long len,
		   const char *what)
{
	if (len > r->size || r->pos > r->size - len)
		return tdr_fail(r, what);
	r->pos += len;
	return 0;
}

/* A number of @size bytes in the file's byte order. */
static int rd_num(struct tracedat_reader *r, void *v, size_t size,
		  const char *what)
{
	int ret = tdr_bytes(r, v, size, what);

	if (ret || !r->swap)
		return ret;
	if (size == 2)
		*(uint16_t *)v = bswap_16(*(uint16_t *)v);
	else if (size == 4)
		*(uint32_t *)v = bswap_32(*(uint32_t *)v);
	else
		*(uint64_t *)v = bswap_64(*(uint64_t *)v);
	return 0;
}

int tdr_u16(struct tracedat_reader *r, uint16_t *v, const char *what)
{
	return rd_num(r, v, sizeof(*v), what);
}

int tdr_u32(struct tracedat_reader *r, uint32_t *v, const char *what)
{
	return rd_num(r, v, sizeof(*v), what);
}

int tdr_u64(struct tracedat_reader *r, uint64_t *v, const char *what)
{
	return rd_num(r, v, sizeof(*v), what);
}

/* A NUL-terminated string of at most @max - 1 characters. */
int tdr_string(struct tracedat_reader *r, char *buf, size_t max,
		     const char *what)
{
	size_t i;
	int ret;

	for (i = 0; i < max; i++) {
		ret = tdr_bytes(r, &buf[i], 1, what);
		if (ret)
			return ret;
		if (!buf[i])
			return 0;
	}
	return tdr_fail(r, what);
}

int tdr_skip_sized64(struct tracedat_reader *r, const char *what)
{
	uint64_t len;

	return tdr_u64(r, &len, what) ?: tdr_skip(r, len, what);
}

int tdr_skip_sized32(struct tracedat_reader *r, const char *what)
{
	uint32_t len;

	return tdr_u32(r, &len, what) ?: tdr_skip(r, len, what);
}

int tdr_expect(struct tracedat_reader *r, const char *tag, size_t len,
		  const char *what)
{
	char buf[16];
	int ret = tdr_bytes(r, buf, len, what);

	if (!ret && memcmp(buf, tag, len))
		return tdr_fail(r, what);
	return ret;
}

int tdr_initial(struct tracedat_reader *r, struct tracedat_options *o)
{
	char version[8], flags[2];
	uint32_t page_size;
	int ret;

	ret = tdr_expect(r, tracedat_magic, sizeof(tracedat_magic), "magic") ?:
	      tdr_string(r, version, sizeof(version), "version");
	if (ret)
		return ret;
	if (strcmp(version, "6") && strcmp(version, "7"))
		return tdr_fail(r, "version");
	o->version = version[0] - '0';
	ret = tdr_bytes(r, flags, sizeof(flags), "endianness");
	if (ret)
		return ret;
	if (flags[0] != 0 && flags[0] != 1)
		return tdr_fail(r, "endianness");
	r->swap = flags[0] != (__BYTE_ORDER == __BIG_ENDIAN);
	ret = tdr_u32(r, &page_size, "page size");
	if (ret)
		return ret;
	if (!page_size || (page_size & (page_size - 1)))
		return tdr_fail(r, "page size");
	o->page_size = page_size;
	return 0;
}

int tdr_skip_event_formats(struct tracedat_reader *r)
{
	uint32_t nr_systems, nr_events, i, j;
	char name[256];
	int ret;

	ret = tdr_u32(r, &nr_systems, "event systems");
	for (i = 0; !ret && i < nr_systems; i++) {
		ret = tdr_string(r, name, sizeof(name), "event systems") ?:
		      tdr_u32(r, &nr_events, "event systems");
		for (j = 0; !ret && j < nr_events; j++)
			ret = tdr_skip_sized64(r, "event formats");
	}
	return ret;
}

/* A v6 file from its headers to the end of its event formats. */
static int skip_v6_formats(struct tracedat_reader *r)
{
	uint32_t nr, i;
	int ret;

	ret = tdr_expect(r, "header_page", 12, "header_page") ?:
	      tdr_skip_sized64(r, "header_page") ?:
	      tdr_expect(r, "header_event", 13, "header_event") ?:
	      tdr_skip_sized64(r, "header_event") ?:
	      tdr_u32(r, &nr, "ftrace formats");
	for (i = 0; !ret && i < nr; i++)
		ret = tdr_skip_sized64(r, "ftrace formats");
	return ret ?: tdr_skip_event_formats(r);
}

/* Everything a v6 file has between the initial format and its options. */
static int skip_v6_metadata(struct tracedat_reader *r, struct tracedat_options *o)
{
	uint32_t cpus;
	int ret;

	ret = skip_v6_formats(r) ?:
	      tdr_skip_sized32(r, "kallsyms") ?:
	      tdr_skip_sized32(r, "printk formats") ?:
	      tdr_skip_sized64(r, "cmdlines") ?:
	      tdr_u32(r, &cpus, "cpu count");
	if (ret)
		return ret;
	if (cpus > TRACEDAT_MAX_CPUS)
		return tdr_fail(r, "cpu count");
	o->nr_cpus = cpus;
	return 0;
}

static int add_cpustat(struct tracedat_options *o, char *text)
{
	char **grown = realloc(o->cpustats, (o->nr_cpustats + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	o->cpustats = grown;
	o->cpustats[o->nr_cpustats++] = text;
	return 0;
}

static int split_last_boot_info(struct tracedat_reader *r,
				struct tracedat_options *o, char *text)
{
	char *colon = strchr(text, ':');

	if (!colon) {
		free(text);
		return tdr_fail(r, "LAST_BOOT_INFO option");
	}
	o->last_boot_info = strdup(colon + 1);
	*colon = '\0';
	o->last_boot_instance = text;
	return o->last_boot_info ? 0 : -ENOMEM;
}

static void replace(char **slot, char *text)
{
	free(*slot);
	*slot = text;
}

/*
 * v7 BUFFER: the flyrecord section's offset, instance name, clock, page
 * size, then per CPU its id, data offset and size. Every CPU's data must
 * lie inside the file (see check_cpu_data()).
 */
static int check_buffer_option(struct tracedat_reader *r, const char *p, uint32_t len)
{
	const char *end = p + len, *name, *clock;
	uint32_t cpus;
	uint64_t offset, size;

	name = p + sizeof(uint64_t);
	clock = name < end ? memchr(name, '\0', end - name) : NULL;
	clock = clock ? memchr(clock + 1, '\0', end - clock - 1) : NULL;
	if (!clock || end - clock - 1 < (ptrdiff_t)(2 * sizeof(uint32_t)))
		return tdr_fail(r, "BUFFER option");
	p = clock + 1 + sizeof(uint32_t);
	memcpy(&cpus, p, sizeof(cpus));
	cpus = r->swap ? bswap_32(cpus) : cpus;
	p += sizeof(cpus);
	if (cpus > TRACEDAT_MAX_CPUS ||
	    (size_t)(end - p) < cpus * (sizeof(uint32_t) + 2 * sizeof(uint64_t)))
		return tdr_fail(r, "BUFFER option");
	for (uint32_t i = 0; i < cpus; i++) {
		p += sizeof(uint32_t);
		memcpy(&offset, p, sizeof(offset));
		memcpy(&size, p + sizeof(offset), sizeof(size));
		p += 2 * sizeof(uint64_t);
		if (r->swap) {
			offset = bswap_64(offset);
			size = bswap_64(size);
		}
		if (offset > r->size || size > r->size - offset)
			return tdr_fail(r, "CPU data (it extends past the end of the file: truncated?)");
	}
	return 0;
}

/* Keeps @text (the payload, NUL-terminated) or frees it. */
static int take_option(struct tracedat_reader *r, struct tracedat_options *o,
		       uint16_t id, char *text, uint32_t len)
{
	uint32_t cpus;

	switch (id) {
	case OPT_CPUSTAT:
		return add_cpustat(o, text);
	case OPT_TRACECLOCK:
		replace(&o->trace_clock, text);
		return 0;
	case OPT_UNAME:
		replace(&o->uname, text);
		return 0;
	case OPT_LAST_BOOT_INFO:
		free(o->last_boot_instance);
		free(o->last_boot_info);
		o->last_boot_instance = o->last_boot_info = NULL;
		return split_last_boot_info(r, o, text);
	case OPT_BUFFER:
		if (o->version == 7) {
			int ret = check_buffer_option(r, text, len);

			free(text);
			return ret;
		}
		break;
	case OPT_CPUCOUNT:
		if (len == sizeof(cpus) && o->version == 7) {
			memcpy(&cpus, text, sizeof(cpus));
			o->nr_cpus = r->swap ? bswap_32(cpus) : cpus;
		}
		break;
	}
	free(text);
	return 0;
}

static int read_option(struct tracedat_reader *r, struct tracedat_options *o,
		       uint16_t id)
{
	uint32_t len;
	char *text;
	int ret;

	ret = tdr_u32(r, &len, "options");
	if (ret)
		return ret;
	if (len > TRACEDAT_MAX_OPTION)
		return tdr_fail(r, "options");
	text = malloc(len + 1);
	if (!text)
		return -ENOMEM;
	ret = tdr_bytes(r, text, len, "options");
	if (ret) {
		free(text);
		return ret;
	}
	text[len] = '\0';
	return take_option(r, o, id, text, len);
}

/*
 * Every CPU's data must lie inside the file: libtracecmd (3.1.6) crashes
 * on a file cut inside the data instead of reporting it.
 */
static int check_cpu_data(struct tracedat_reader *r, struct tracedat_options *o)
{
	uint64_t offset, size;
	int ret;

	for (int cpu = 0; cpu < o->nr_cpus; cpu++) {
		ret = tdr_u64(r, &offset, "flyrecord") ?: tdr_u64(r, &size, "flyrecord");
		if (ret)
			return ret;
		if (offset > r->size || size > r->size - offset)
			return tdr_fail(r, "CPU data (it extends past the end of the file: truncated?)");
	}
	return 0;
}

static int read_v6_options(struct tracedat_reader *r, struct tracedat_options *o)
{
	char tag[10];
	uint16_t id;
	int ret;

	ret = tdr_bytes(r, tag, sizeof(tag), "options");
	if (ret)
		return ret;
	if (!memcmp(tag, "options  ", 10)) {
		while (!(ret = tdr_u16(r, &id, "options")) && id != OPT_DONE) {
			ret = read_option(r, o, id);
			if (ret)
				return ret;
		}
		if (!ret)
			ret = tdr_bytes(r, tag, sizeof(tag), "flyrecord");
		if (ret)
			return ret;
	}
	if (!memcmp(tag, "latency  ", 10))
		return 0;
	if (memcmp(tag, "flyrecord", 10))
		return tdr_fail(r, "flyrecord");
	return check_cpu_data(r, o);
}

/*
 * v7: the compression's name and version, then options sections chained by
 * offset. trace-cmd (and bootrace) never compress options sections, so
 * they are read whatever the compression of the rest. @fn gets each
 * option's id, with the file positioned at the option's 32-bit size.
 */
static int walk_v7_options(struct tracedat_reader *r,
			   int (*fn)(struct tracedat_reader *r, uint16_t id, void *ctx),
			   void *ctx)
{
	uint16_t id, flags;
	uint32_t desc, len;
	uint64_t next, size;
	char name[32];
	int ret, sections;

	ret = tdr_string(r, name, sizeof(name), "compression") ?:
	      tdr_string(r, name, sizeof(name), "compression") ?:
	      tdr_u64(r, &next, "options");
	for (sections = 0; !ret && next; sections++) {
		if (sections == TRACEDAT_MAX_OPTION_SECTIONS || next >= r->size)
			return tdr_fail(r, "options");
		r->pos = next;
		ret = tdr_u16(r, &id, "options") ?: tdr_u16(r, &flags, "options") ?:
		      tdr_u32(r, &desc, "options") ?: tdr_u64(r, &size, "options");
		if (!ret && (id != OPT_DONE || flags))
			return tdr_fail(r, "options");
		while (!ret && !(ret = tdr_u16(r, &id, "options")) && id != OPT_DONE)
			ret = fn(r, id, ctx);
		if (ret)
			break;
		ret = tdr_u32(r, &len, "options");
		if (!ret && len != sizeof(next))
			return tdr_fail(r, "options");
		ret = ret ?: tdr_u64(r, &next, "options");
	}
	return ret;
}

static int take_v7_option(struct tracedat_reader *r, uint16_t id, void *opts)
{
	return read_option(r, opts, id);
}

static int read_v7_options(struct tracedat_reader *r, struct tracedat_options *o)
{
	return walk_v7_options(r, take_v7_option, o);
}

int tracedat_options_read(const char *path, struct tracedat_options *opts,
			  const char **what)
{
	struct tracedat_reader r = { .what = what };
	const char *unused;
	off_t end;
	int ret;

	if (!what)
		r.what = what = &unused;
	*what = NULL;
	memset(opts, 0, sizeof(*opts));
	r.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r.fd < 0) {
		*what = "open";
		return -errno;
	}
	end = lseek(r.fd, 0, SEEK_END);
	if (end < 0) {
		ret = -errno;
		*what = "open";
		goto out;
	}
	r.size = end;
	ret = tdr_initial(&r, opts);
	if (!ret && opts->version == 6)
		ret = skip_v6_metadata(&r, opts) ?: read_v6_options(&r, opts);
	else if (!ret)
		ret = read_v7_options(&r, opts);
out:
	close(r.fd);
	if (ret)
		tracedat_options_clear(opts);
	return ret;
}

/* A 32-bit size, then the kallsyms text. */
static int read_kallsyms_text(struct tracedat_reader *r, char **text)
{
	uint32_t len;
	int ret = tdr_u32(r, &len, "kallsyms");

	if (ret)
		return ret;
	if (len > r->size - r->pos)
		return tdr_fail(r, "kallsyms");
	*text = malloc(len + 1);
	if (!*text)
		return -ENOMEM;
	ret = tdr_bytes(r, *text, len, "kallsyms");
	if (ret) {
		free(*text);
		*text = NULL;
		return ret;
	}
	(*text)[len] = '\0';
	return 0;
}

/* The kallsyms section of a v6 file: right after the event formats. */
static int read_v6_kallsyms(struct tracedat_reader *r, char **text)
{
	return skip_v6_formats(r) ?: read_kallsyms_text(r, text);
}

/* The KALLSYMS option: where the kallsyms section is. */
static int take_kallsyms_offset(struct tracedat_reader *r, uint16_t id, void *at)
{
	uint32_t len;
	int ret = tdr_u32(r, &len, "options");

	if (!ret && id == OPT_KALLSYMS && len == sizeof(uint64_t))
		return tdr_u64(r, at, "options");
	return ret ?: tdr_skip(r, len, "options");
}

/* Where a v7 file's KALLSYMS option says its kallsyms section is (0: none). */
static int find_v7_kallsyms(struct tracedat_reader *r, uint64_t *at)
{
	*at = 0;
	return walk_v7_options(r, take_kallsyms_offset, at);
}

#if HAVE_ZSTD
/* Compressed and real size, then one zstd frame: a 32-bit size and the text. */
static int read_compressed_kallsyms(struct tracedat_reader *r, char **text)
{
	uint32_t csize, usize, len;
	char *packed, *plain;
	int ret;

	ret = tdr_u32(r, &csize, "kallsyms") ?: tdr_u32(r, &usize, "kallsyms");
	if (ret)
		return ret;
	if (csize > r->size - r->pos || usize > TRACEDAT_MAX_KALLSYMS || usize < sizeof(len))
		return tdr_fail(r, "kallsyms");
	packed = malloc(csize);
	plain = malloc((size_t)usize + 1);
	ret = packed && plain ? tdr_bytes(r, packed, csize, "kallsyms") : -ENOMEM;
	if (!ret && ZSTD_decompress(plain, usize, packed, csize) != usize)
		ret = tdr_fail(r, "kallsyms (does not decompress)");
	free(packed);
	if (!ret) {
		memcpy(&len, plain, sizeof(len));
		len = r->swap ? bswap_32(len) : len;
		if (len > usize - sizeof(len))
			ret = tdr_fail(r, "kallsyms");
	}
	if (ret) {
		free(plain);
		return ret;
	}
	memmove(plain, plain + sizeof(len), len);
	plain[len] = '\0';
	*text = plain;
	return 0;
}
#else
static int read_compressed_kallsyms(struct tracedat_reader *r, char **text)
{
	return -EOPNOTSUPP;
}
#endif

static int read_v7_kallsyms(struct tracedat_reader *r, char **text)
{
	uint16_t id, flags;
	uint32_t desc;
	uint64_t at, size;
	int ret;

	ret = find_v7_kallsyms(r, &at);
	if (ret)
		return ret;
	if (!at) {
		*text = strdup("");
		return *text ? 0 : -ENOMEM;
	}
	r->pos = at;
	ret = tdr_u16(r, &id, "kallsyms") ?: tdr_u16(r, &flags, "kallsyms") ?:
	      tdr_u32(r, &desc, "kallsyms") ?: tdr_u64(r, &size, "kallsyms");
	if (ret)
		return ret;
	if (!(flags & 1))
		return read_kallsyms_text(r, text);
	return read_compressed_kallsyms(r, text);
}

int tracedat_kallsyms_read(const char *path, char **text)
{
	struct tracedat_reader r;
	struct tracedat_options o = { 0 };
	const char *what;
	off_t end;
	int ret;

	memset(&r, 0, sizeof(r));
	r.what = &what;
	*text = NULL;
	r.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r.fd < 0)
		return -errno;
	end = lseek(r.fd, 0, SEEK_END);
	r.size = end < 0 ? 0 : end;
	ret = tdr_initial(&r, &o);
	if (!ret)
		ret = o.version == 6 ? read_v6_kallsyms(&r, text) : read_v7_kallsyms(&r, text);
	close(r.fd);
	return ret;
}

void tracedat_options_clear(struct tracedat_options *opts)
{
	int i;

	for (i = 0; i < opts->nr_cpustats; i++)
		free(opts->cpustats[i]);
	free(opts->cpustats);
	free(opts->last_boot_instance);
	free(opts->last_boot_info);
	free(opts->trace_clock);
	free(opts->uname);
	memset(opts, 0, sizeof(*opts));
}
