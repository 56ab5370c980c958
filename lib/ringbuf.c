/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>
#include <string.h>

#include "ringbuf.h"

/*
 * The kernel marks lost events with RB_MISSED_EVENTS (1 << 31) and
 * RB_MISSED_STORED (1 << 30) added to a long commit: as int constants
 * they come out sign-extended, every bit from 31 up set on 64-bit. The
 * size is what is below them; trace-cmd's kbuffer takes the low 27 bits.
 */
#define COMMIT_SIZE_MASK ((1UL << 27) - 1)
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
	return raw_commit(page) & COMMIT_SIZE_MASK;
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

bool br_page_whole(const void *page, size_t page_size)
{
	const unsigned char *data = (const unsigned char *)page + BR_PAGE_HEADER_SIZE;
	unsigned long long ts;
	size_t end = br_page_commit(page), pos = 0;

	memcpy(&ts, page, sizeof(ts));
	if (page_size < BR_PAGE_HEADER_SIZE || end > page_size - BR_PAGE_HEADER_SIZE ||
	    (!ts && !end))
		return false;
	while (pos < end) {
		uint32_t header, array0 = 0;
		unsigned int type_len;
		size_t length;

		if (pos + 4 > end)
			return false;
		memcpy(&header, data + pos, 4);
		type_len = header & 0x1f;
		if (pos + 8 <= end)
			memcpy(&array0, data + pos + 4, 4);
		switch (type_len) {
		case TYPE_PADDING:
			/* Delta 0: the rest of the page is padding. */
			if (!(header >> 5))
				return true;
			length = 4 + (size_t)array0;
			break;
		case TYPE_TIME_EXTEND:
		case TYPE_TIME_STAMP:
			length = 8;
			break;
		case 0:
			/* What a zeroed tail looks like: never a real event. */
			if (array0 < 4)
				return false;
			length = 4 + (size_t)array0;
			break;
		default:
			length = 4 + (size_t)type_len * 4;
			break;
		}
		length = (length + 3) & ~(size_t)3;
		if (length > end - pos)
			return false;
		pos += length;
	}
	return true;
}
