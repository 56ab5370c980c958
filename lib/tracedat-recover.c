/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Counting a trace.dat's pages, and making a cut one whole (see tracedat-recover.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "ringbuf.h"
#include "tracedat-format.h"
#include "tracedat-recover.h"

/* Pages read back at a time: the trace is never held in memory whole. */
#define CHUNK_BYTES (256 * 1024)

static int pread_full(int fd, void *buf, size_t len, unsigned long long off, size_t *got)
{
	*got = 0;
	while (*got < len) {
		ssize_t n = pread(fd, (char *)buf + *got, len - *got, off + *got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		*got += n;
	}
	return 0;
}

/* A chunk of whole pages that fits CHUNK_BYTES (at least one page). */
static size_t chunk_size(unsigned int page_size)
{
	size_t pages = CHUNK_BYTES / page_size;

	return (pages ? pages : 1) * (size_t)page_size;
}

int tracedat_count_pages(int fd, unsigned long long offset, unsigned long long size,
			 unsigned int page_size, struct tracedat_count *count)
{
	size_t chunk = chunk_size(page_size), got;
	_cleanup_free_ char *buf = malloc(chunk);
	int ret;

	if (!buf)
		return -ENOMEM;
	for (unsigned long long done = 0; done < size; done += got) {
		size_t want = size - done < chunk ? size - done : chunk;

		ret = pread_full(fd, buf, want, offset + done, &got);
		if (ret)
			return ret;
		if (got < page_size)
			break;
		for (size_t at = 0; at + page_size <= got; at += page_size) {
			unsigned long long first, last;
			unsigned long n = br_page_span(buf + at, page_size, &first, &last);

			count->bytes += page_size;
			if (!n)
				continue;
			count->events += n;
			if (!count->has_span || first < count->first_ns)
				count->first_ns = first;
			if (!count->has_span || last > count->last_ns)
				count->last_ns = last;
			count->has_span = true;
		}
	}
	return 0;
}

/* Bytes of whole pages from @offset on, up to the first page that is not whole or EOF. */
static int whole_pages(int fd, unsigned long long offset, unsigned int page_size,
		       unsigned long long *size)
{
	size_t chunk = chunk_size(page_size), got;
	_cleanup_free_ char *buf = malloc(chunk);
	int ret;

	*size = 0;
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ret = pread_full(fd, buf, chunk, offset + *size, &got);
		if (ret)
			return ret;
		for (size_t at = 0; at + page_size <= got; at += page_size) {
			if (!br_page_whole(buf + at, page_size))
				return 0;
			*size += page_size;
		}
		if (got < chunk)
			return 0;
	}
}

/* The file starts as tracedat_begin() writes it, and the table is where @layout says. */
static bool layout_matches(int fd, const struct tracedat_layout *l)
{
	char head[18], tag[10];
	uint32_t page_size;
	size_t got;

	if (l->nr_cpus < 1 || l->nr_cpus > TRACEDAT_MAX_CPUS || l->table_offset < sizeof(head) + 10 ||
	    pread_full(fd, head, sizeof(head), 0, &got) || got != sizeof(head) ||
	    pread_full(fd, tag, sizeof(tag), l->table_offset - sizeof(tag), &got) || got != sizeof(tag))
		return false;
	memcpy(&page_size, head + 14, sizeof(page_size));
	return !memcmp(head, tracedat_magic, sizeof(tracedat_magic)) && !memcmp(head + 10, "6", 2) &&
	       page_size == l->page_size && !memcmp(tag, "flyrecord", sizeof(tag));
}

int tracedat_recover(int fd, const struct tracedat_layout *layout, struct tracedat_count *count)
{
	size_t table_len = 16ULL * layout->nr_cpus, got;
	_cleanup_free_ uint64_t *table = NULL;
	unsigned long long end;
	int last = -1, ret;
	struct stat st;

	if (!layout_matches(fd, layout))
		return -EINVAL;
	table = malloc(table_len);
	if (!table)
		return -ENOMEM;
	ret = pread_full(fd, table, table_len, layout->table_offset, &got);
	if (ret)
		return ret;
	if (got != table_len)
		return -EINVAL;
	/* CPUs begin in order: the last with an offset is the one that was being written. */
	for (int cpu = 0; cpu < layout->nr_cpus; cpu++)
		if (table[2 * cpu])
			last = cpu;
	if (last < 0)
		return -ENODATA;
	/*
	 * Its size is written when it ends; 0 may mean it did not. Its whole
	 * pages on disk say how far it got (a finished, empty CPU has none:
	 * the file was cut at its offset, or holds the zeros of the space
	 * reserved for the data).
	 */
	if (!table[2 * last + 1]) {
		unsigned long long size;

		ret = whole_pages(fd, table[2 * last], layout->page_size, &size);
		if (ret)
			return ret;
		table[2 * last + 1] = size;
	}
	end = table[2 * last] + table[2 * last + 1];
	for (int cpu = last + 1; cpu < layout->nr_cpus; cpu++) {
		table[2 * cpu] = end;
		table[2 * cpu + 1] = 0;
	}
	if (fstat(fd, &st) < 0)
		return -errno;
	for (int cpu = 0; cpu < layout->nr_cpus; cpu++)
		if (table[2 * cpu] < layout->table_offset + table_len ||
		    table[2 * cpu] + table[2 * cpu + 1] > end || end > (unsigned long long)st.st_size)
			return -EINVAL;
	if (pwrite(fd, table, table_len, layout->table_offset) != (ssize_t)table_len)
		return -EIO;
	/* The space reserved for pages never read goes back. */
	if (ftruncate(fd, end) < 0)
		return -errno;
	for (int cpu = 0; cpu < layout->nr_cpus && !ret; cpu++)
		ret = tracedat_count_pages(fd, table[2 * cpu], table[2 * cpu + 1], layout->page_size,
					   count);
	if (ret)
		return ret;
	return fsync(fd) < 0 ? -errno : 0;
}
