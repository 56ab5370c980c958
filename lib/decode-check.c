/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Whether a trace is decoded with the formats of the kernel that wrote it,
 * as far as the file shows: each record's type id must name a format,
 * and its length must fit that format (a record shorter than the format's
 * fixed fields, or longer than they and the ring buffer's padding allow
 * without a variable-length field, was written under another format);
 * and collect's word on whose formats it stored (decode-plan.c), kept in
 * the file as bootrace's own option, must say they are the writer's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event-parse.h>

#include "bootrace-local.h"
#include "decode-check.h"

/* The ring buffer pads each event's data to 4 bytes, and may add 4 more. */
#define RB_SLACK 8

enum br_record_fit br_record_fit(const struct tep_event *ev, const struct tep_record *rec)
{
	const struct tep_format_field *lists[] = { ev->format.common_fields, ev->format.fields };
	unsigned long long fixed_end = 0;
	bool variable = false;

	for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
		for (const struct tep_format_field *f = lists[i]; f; f = f->next) {
			if (f->offset < 0 || f->size < 0)
				return BR_RECORD_SHORT;
			if (f->flags & (TEP_FIELD_IS_DYNAMIC | TEP_FIELD_IS_RELATIVE) ||
			    ((f->flags & TEP_FIELD_IS_ARRAY) && f->size == 0))
				variable = true;
			if ((unsigned long long)f->offset + f->size > fixed_end)
				fixed_end = (unsigned long long)f->offset + f->size;
		}
	}
	if (rec->size < 0 || (unsigned long long)rec->size < fixed_end)
		return BR_RECORD_SHORT;
	/* The struct's own trailing alignment, then the buffer's. */
	if (!variable && (unsigned long long)rec->size > ((fixed_end + 7) & ~7ULL) + RB_SLACK)
		return BR_RECORD_LONG;
	return BR_RECORD_FITS;
}

int br_decode_marker_text(const struct bootrace_previous_boot *prev, char **text)
{
	char *words = strdup(prev->words), *p;
	int n;

	if (!words)
		return -ENOMEM;
	/* One line per key: the words stay on theirs. */
	for (p = words; *p; p++)
		if (*p == '\n')
			*p = ' ';
	n = asprintf(text, "decode=%s\nprevious_boot=%s\nprevious_kernel=%s\nprevious_build_id=%s\nwords=%s\n",
		     bootrace_decode_name(prev->decode), prev->boot_id, prev->release,
		     prev->build_id, words);
	free(words);
	return n < 0 ? -ENOMEM : 0;
}

static void copy_value(char *dst, size_t size, const char *v, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

int br_decode_marker_parse(const char *text, size_t len, struct bootrace_previous_boot *prev)
{
	const char *p = text, *end = text + len;
	char name[32];

	memset(prev, 0, sizeof(*prev));
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p), *eq;
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		eq = memchr(p, '=', n);
		if (eq) {
			const char *v = eq + 1;
			size_t vn = n - (v - p), kn = eq - p;

			if (kn == 6 && !memcmp(p, "decode", 6)) {
				copy_value(name, sizeof(name), v, vn);
				prev->decode = bootrace_decode_parse(name);
			} else if (kn == 13 && !memcmp(p, "previous_boot", 13)) {
				copy_value(prev->boot_id, sizeof(prev->boot_id), v, vn);
			} else if (kn == 15 && !memcmp(p, "previous_kernel", 15)) {
				copy_value(prev->release, sizeof(prev->release), v, vn);
			} else if (kn == 17 && !memcmp(p, "previous_build_id", 17)) {
				copy_value(prev->build_id, sizeof(prev->build_id), v, vn);
			} else if (kn == 5 && !memcmp(p, "words", 5)) {
				copy_value(prev->words, sizeof(prev->words), v, vn);
			}
		}
		p += n + 1;
	}
	return prev->decode == BOOTRACE_DECODE_UNSET ? -EINVAL : 0;
}
