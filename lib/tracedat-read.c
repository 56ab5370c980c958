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

#include "tracedat.h"
#include "tracedat-format.h"

/* ------------------------------------------------------------------ */
/* Reading the options back                                           */
/* ------------------------------------------------------------------ */

/* Every read is checked against the file size before anything is allocated. */
struct tracedat_reader {
	int fd;
	unsigned long long pos;
	unsigned long long size;
	bool swap;			/* file endianness differs from ours */
	const char **what;
};

static int fail(struct tracedat_reader *r, const char *what)
{
	*r->what = what;
	return -EINVAL;
}

static int rd_bytes(struct tracedat_reader *r, void *buf, size_t len,
		    const char *what)
{
	char *p = buf;

	if (len > r->size || r->pos > r->size - len)
		return fail(r, what);
	while (len) {
		ssize_t n = pread(r->fd, p, len, r->pos);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*r->what = what;
			return -errno;
		}
		if (n == 0)
			return fail(r, what);
		p += n;
		len -= n;
		r->pos += n;
	}
	return 0;
}

static int rd_skip(struct tracedat_reader *r, unsigned long long len,
		   const char *what)
{
	if (len > r->size || r->pos > r->size - len)
		return fail(r, what);
	r->pos += len;
	return 0;
}

/* A number of @size bytes in the file's byte order. */
static int rd_num(struct tracedat_reader *r, void *v, size_t size,
		  const char *what)
{
	int ret = rd_bytes(r, v, size, what);

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

static int rd_u16(struct tracedat_reader *r, uint16_t *v, const char *what)
{
	return rd_num(r, v, sizeof(*v), what);
}

static int rd_u32(struct tracedat_reader *r, uint32_t *v, const char *what)
{
	return rd_num(r, v, sizeof(*v), what);
}

static int rd_u64(struct tracedat_reader *r, uint64_t *v, const char *what)
{
	return rd_num(r, v, sizeof(*v), what);
}

/* A NUL-terminated string of at most @max - 1 characters. */
static int rd_string(struct tracedat_reader *r, char *buf, size_t max,
		     const char *what)
{
	size_t i;
	int ret;

	for (i = 0; i < max; i++) {
		ret = rd_bytes(r, &buf[i], 1, what);
		if (ret)
			return ret;
		if (!buf[i])
			return 0;
	}
	return fail(r, what);
}

static int skip_sized64(struct tracedat_reader *r, const char *what)
{
	uint64_t len;

	return rd_u64(r, &len, what) ?: rd_skip(r, len, what);
}

static int skip_sized32(struct tracedat_reader *r, const char *what)
{
	uint32_t len;

	return rd_u32(r, &len, what) ?: rd_skip(r, len, what);
}

static int expect(struct tracedat_reader *r, const char *tag, size_t len,
		  const char *what)
{
	char buf[16];
	int ret = rd_bytes(r, buf, len, what);

	if (!ret && memcmp(buf, tag, len))
		return fail(r, what);
	return ret;
}

static int read_initial(struct tracedat_reader *r, struct tracedat_options *o)
{
	char version[8], flags[2];
	uint32_t page_size;
	int ret;

	ret = expect(r, tracedat_magic, sizeof(tracedat_magic), "magic") ?:
	      rd_string(r, version, sizeof(version), "version");
	if (ret)
		return ret;
	if (strcmp(version, "6") && strcmp(version, "7"))
		return fail(r, "version");
	o->version = version[0] - '0';
	ret = rd_bytes(r, flags, sizeof(flags), "endianness");
	if (ret)
		return ret;
	if (flags[0] != 0 && flags[0] != 1)
		return fail(r, "endianness");
	r->swap = flags[0] != (__BYTE_ORDER == __BIG_ENDIAN);
	ret = rd_u32(r, &page_size, "page size");
	if (ret)
		return ret;
	if (!page_size || (page_size & (page_size - 1)))
		return fail(r, "page size");
	o->page_size = page_size;
	return 0;
}

static int skip_event_formats(struct tracedat_reader *r)
{
	uint32_t nr_systems, nr_events, i, j;
	char name[256];
	int ret;

	ret = rd_u32(r, &nr_systems, "event systems");
	for (i = 0; !ret && i < nr_systems; i++) {
		ret = rd_string(r, name, sizeof(name), "event systems") ?:
		      rd_u32(r, &nr_events, "event systems");
		for (j = 0; !ret && j < nr_events; j++)
			ret = skip_sized64(r, "event formats");
	}
	return ret;
}

/* Everything a v6 file has between the initial format and its options. */
static int skip_v6_metadata(struct tracedat_reader *r, struct tracedat_options *o)
{
	uint32_t nr, i, cpus;
	int ret;

	ret = expect(r, "header_page", 12, "header_page") ?:
	      skip_sized64(r, "header_page") ?:
	      expect(r, "header_event", 13, "header_event") ?:
	      skip_sized64(r, "header_event") ?:
	      rd_u32(r, &nr, "ftrace formats");
	for (i = 0; !ret && i < nr; i++)
		ret = skip_sized64(r, "ftrace formats");
	ret = ret ?: skip_event_formats(r) ?:
	      skip_sized32(r, "kallsyms") ?:
	      skip_sized32(r, "printk formats") ?:
	      skip_sized64(r, "cmdlines") ?:
	      rd_u32(r, &cpus, "cpu count");
	if (ret)
		return ret;
	if (cpus > TRACEDAT_MAX_CPUS)
		return fail(r, "cpu count");
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
		return fail(r, "LAST_BOOT_INFO option");
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

	ret = rd_u32(r, &len, "options");
	if (ret)
		return ret;
	if (len > TRACEDAT_MAX_OPTION)
		return fail(r, "options");
	text = malloc(len + 1);
	if (!text)
		return -ENOMEM;
	ret = rd_bytes(r, text, len, "options");
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
		ret = rd_u64(r, &offset, "flyrecord") ?: rd_u64(r, &size, "flyrecord");
		if (ret)
			return ret;
		if (offset > r->size || size > r->size - offset)
			return fail(r, "CPU data (it extends past the end of the file: truncated?)");
	}
	return 0;
}

static int read_v6_options(struct tracedat_reader *r, struct tracedat_options *o)
{
	char tag[10];
	uint16_t id;
	int ret;

	ret = rd_bytes(r, tag, sizeof(tag), "options");
	if (ret)
		return ret;
	if (!memcmp(tag, "options  ", 10)) {
		while (!(ret = rd_u16(r, &id, "options")) && id != OPT_DONE) {
			ret = read_option(r, o, id);
			if (ret)
				return ret;
		}
		if (!ret)
			ret = rd_bytes(r, tag, sizeof(tag), "flyrecord");
		if (ret)
			return ret;
	}
	if (!memcmp(tag, "latency  ", 10))
		return 0;
	if (memcmp(tag, "flyrecord", 10))
		return fail(r, "flyrecord");
	return check_cpu_data(r, o);
}

/* v7: "none" compression, then options sections chained by offset. */
static int read_v7_options(struct tracedat_reader *r, struct tracedat_options *o)
{
	uint16_t id, flags;
	uint32_t desc, len;
	uint64_t next, size;
	char name[32];
	int ret, sections;

	ret = rd_string(r, name, sizeof(name), "compression");
	if (!ret && strcmp(name, "none"))
		return fail(r, "compression (only uncompressed v7 is read)");
	ret = ret ?: rd_string(r, name, sizeof(name), "compression");
	ret = ret ?: rd_u64(r, &next, "options");
	for (sections = 0; !ret && next; sections++) {
		if (sections == TRACEDAT_MAX_OPTION_SECTIONS || next >= r->size)
			return fail(r, "options");
		r->pos = next;
		ret = rd_u16(r, &id, "options") ?: rd_u16(r, &flags, "options") ?:
		      rd_u32(r, &desc, "options") ?: rd_u64(r, &size, "options");
		if (!ret && (id != OPT_DONE || flags))
			return fail(r, "options");
		while (!ret && !(ret = rd_u16(r, &id, "options")) && id != OPT_DONE)
			ret = read_option(r, o, id);
		if (ret)
			break;
		ret = rd_u32(r, &len, "options");
		if (!ret && len != sizeof(next))
			return fail(r, "options");
		ret = ret ?: rd_u64(r, &next, "options");
	}
	return ret;
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
	ret = read_initial(&r, opts);
	if (!ret && opts->version == 6)
		ret = skip_v6_metadata(&r, opts) ?: read_v6_options(&r, opts);
	else if (!ret)
		ret = read_v7_options(&r, opts);
out:
	close(r.fd);
	if (ret)
		tracedat_options_free(opts);
	return ret;
}

/* The kallsyms section of a v6 file: up to it, as skip_v6_metadata(). */
static int read_v6_kallsyms(struct tracedat_reader *r, char **text)
{
	uint32_t nr, i, len;
	int ret;

	ret = expect(r, "header_page", 12, "header_page") ?:
	      skip_sized64(r, "header_page") ?:
	      expect(r, "header_event", 13, "header_event") ?:
	      skip_sized64(r, "header_event") ?:
	      rd_u32(r, &nr, "ftrace formats");
	for (i = 0; !ret && i < nr; i++)
		ret = skip_sized64(r, "ftrace formats");
	ret = ret ?: skip_event_formats(r) ?: rd_u32(r, &len, "kallsyms");
	if (ret)
		return ret;
	if (len > r->size - r->pos)
		return fail(r, "kallsyms");
	*text = malloc(len + 1);
	if (!*text)
		return -ENOMEM;
	ret = rd_bytes(r, *text, len, "kallsyms");
	if (ret) {
		free(*text);
		*text = NULL;
		return ret;
	}
	(*text)[len] = '\0';
	return 0;
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
	ret = read_initial(&r, &o);
	if (!ret)
		ret = o.version == 6 ? read_v6_kallsyms(&r, text) : -EOPNOTSUPP;
	close(r.fd);
	return ret;
}

void tracedat_options_free(struct tracedat_options *opts)
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
