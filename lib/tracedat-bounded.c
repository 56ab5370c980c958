/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reads of a trace.dat bounded by its size (or, for a decompressed v7
 * section, by the bytes in memory): a size field in a damaged file never
 * turns into a read past the end or a huge allocation.
 */
#include <byteswap.h>
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "tracedat-format.h"
#include "tracedat-reader.h"

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
	if (r->mem) {
		memcpy(p, r->mem + r->pos, len);
		r->pos += len;
		return 0;
	}
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

