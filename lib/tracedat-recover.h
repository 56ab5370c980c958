/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private: the pages of a version 6 trace.dat that tracedat.c writes,
 * counted, and a file cut short (collect killed, the power lost) made
 * whole again. tracedat.c writes each CPU's entry of the flyrecord table
 * as the CPU begins and ends, so at any instant the table on disk gives
 * every CPU's offset and every finished CPU's size; the one CPU being
 * written is as long as its whole pages on disk.
 */
#ifndef BOOTRACE_TRACEDAT_RECOVER_H
#define BOOTRACE_TRACEDAT_RECOVER_H

#include <stdbool.h>

struct tracedat_count {
	unsigned long long events;	/* data events, as trace-cmd counts records */
	unsigned long long bytes;	/* bytes of pages */
	bool has_span;
	unsigned long long first_ns, last_ns;	/* the trace clock of the first and last event */
};

/* Add the events of the @size bytes of pages at @offset of @fd to @count. */
int tracedat_count_pages(int fd, unsigned long long offset, unsigned long long size,
			 unsigned int page_size, struct tracedat_count *count);

/* Where tracedat_begin() put what recovery needs (collect notes it down). */
struct tracedat_layout {
	unsigned long long table_offset;
	int nr_cpus;
	unsigned int page_size;
};

struct tracedat_writer;
/* The layout of the file @w writes, known once tracedat_begin() returned. */
void tracedat_layout_of(const struct tracedat_writer *w, struct tracedat_layout *layout);

/*
 * Make the cut file @fd a valid trace.dat: the size of the CPU that was
 * being written found from its whole pages (a page cut short is left
 * out), the CPUs never begun placed empty after the data, the table
 * written, the file cut after the data and fsync()ed. Its events into
 * @count. -EINVAL: not the file @layout describes; -ENODATA: no CPU was
 * begun (nothing was read).
 */
int tracedat_recover(int fd, const struct tracedat_layout *layout, struct tracedat_count *count);

#endif
