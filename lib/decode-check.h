/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private: whether a trace is decoded with its writer's formats (decode-check.c). */
#ifndef BOOTRACE_DECODE_CHECK_H
#define BOOTRACE_DECODE_CHECK_H

#include <stddef.h>

#include "bootrace.h"

struct tep_event;
struct tep_record;

enum br_record_fit {
	BR_RECORD_FITS = 0,
	BR_RECORD_SHORT,	/* shorter than the format's fixed fields */
	BR_RECORD_LONG,		/* longer than they can be, and nothing of variable size */
};

/* Does @rec's length fit @ev, the format its type id names? */
enum br_record_fit br_record_fit(const struct tep_event *ev, const struct tep_record *rec);

/*
 * Collect's word on whose formats a file carries, as the text of
 * bootrace's own option ("decode=own\nprevious_boot=..."), and back.
 * parse: -EINVAL when it says nothing known.
 */
int br_decode_marker_text(const struct bootrace_previous_boot *prev, char **text);
int br_decode_marker_parse(const char *text, size_t len, struct bootrace_previous_boot *prev);

#endif
