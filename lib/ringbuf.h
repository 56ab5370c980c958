/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private: the kernel's ring-buffer pages as trace_pipe_raw gives them
 * (kernel/trace/ring_buffer.c): a header of a u64 timestamp and a long
 * commit (bytes of data, missed-events flags in its top bits), then
 * events, each behind a 32-bit header of a 5-bit type_len and a 27-bit
 * time delta. Only what bootrace needs without libtraceevent: sizes,
 * flags and timestamps.
 */
#ifndef BOOTRACE_RINGBUF_H
#define BOOTRACE_RINGBUF_H

#include <stdbool.h>
#include <stddef.h>

#define BR_PAGE_HEADER_SIZE 16

/* Bytes of event data on the page. */
unsigned long br_page_commit(const void *page);
/* The kernel marked the page: events were lost before it. */
bool br_page_missed_events(const void *page);

/*
 * The timestamps of the first and last data event on a page of
 * @page_size bytes; the number of data events (0: none, and the
 * timestamps untouched). Malformed event headers end the walk.
 */
unsigned long br_page_span(const void *page, size_t page_size,
			   unsigned long long *first, unsigned long long *last);

/*
 * Is this a whole page as the kernel wrote it: the commit within the
 * page, and every event header up to it well formed and ending exactly
 * there? A page cut short on disk (a write interrupted, zeros after it)
 * is not. An all-zero page is not either.
 */
bool br_page_whole(const void *page, size_t page_size);

#endif
