/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>
#include <string.h>

#include "ringbuf.h"

/* The top bits of commit: RB_MISSED_EVENTS and RB_MISSED_STORED. */
#define COMMIT_FLAGS_MASK (3UL << 30)
#define MISSED_EVENTS (1UL << 31)

/* type_len values (include/linux/ring_buffer.h). */
#define TYPE_DATA_MAX 28
#define TYPE_PADDING 29
#define TYPE_TIME_EXTEND 30
#define TYPE_TIME_STAMP 31
#define TS_SHIFT 27

static unsigned long raw_commit(const void *page)
{
	unsigned long commit;

	memcpy(&commit, (const char *)page + 8, sizeof(commit));
	return commit;
}

unsigned long br_page_commit(const void *page)
{
	return raw_commit(page) & ~COMMIT_FLAGS_MASK;
}

bool br_page_missed_events(const void *page)
{
	return raw_commit(page) & MISSED_EVENTS;
}

unsigned long br_page_span(const void *page, size_t page_size,
			   unsigned long long *first, unsigned long long *last)
{
	const unsigned char *data = (const unsigned char *)page + BR_PAGE_HEADER_SIZE;
	unsigned long long ts;
	unsigned long count = 0;
	size_t end = br_page_commit(page), pos = 0;

	if (page_size < BR_PAGE_HEADER_SIZE)
		return 0;
	if (end > page_size - BR_PAGE_HEADER_SIZE)
		end = page_size - BR_PAGE_HEADER_SIZE;
	memcpy(&ts, page, sizeof(ts));
	while (pos + 4 <= end) {
		uint32_t header, array0 = 0;
		unsigned int type_len;
		unsigned long long delta;
		size_t length;

		memcpy(&header, data + pos, 4);
		type_len = header & 0x1f;
		delta = header >> 5;
		if (pos + 8 <= end)
			memcpy(&array0, data + pos + 4, 4);
		switch (type_len) {
		case TYPE_PADDING:
			/* Delta 0: the rest of the page is padding. */
			if (!delta)
				return count;
			length = 4 + (size_t)array0;
			break;
		case TYPE_TIME_EXTEND:
			ts += ((unsigned long long)array0 << TS_SHIFT) + delta;
			length = 8;
			break;
		case TYPE_TIME_STAMP:
			/* Absolute: the bits above 59 stay those of the page's clock. */
			ts = (ts & ~((1ULL << 59) - 1)) |
			     (((unsigned long long)array0 << TS_SHIFT) + delta);
			length = 8;
			break;
		case 0:
			/* Length in array[0], data after it. */
			ts += delta;
			length = 8 + (size_t)array0 - 4;
			if (array0 < 4)
				return count;
			if (!count++)
				*first = ts;
			*last = ts;
			break;
		default:
			ts += delta;
			length = 4 + (size_t)type_len * 4;
			if (!count++)
				*first = ts;
			*last = ts;
			break;
		}
		if (length < 4 || length > end - pos)
			break;
		pos += (length + 3) & ~(size_t)3;
	}
	return count;
}
