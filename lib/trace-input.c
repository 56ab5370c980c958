/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every buffer of a trace.dat through libtracecmd. trace-cmd record and
 * extract with -B NAME put the events in a named buffer and leave the top
 * level empty; a reader of the top level alone sees no events at all.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace-input.h"

int br_trace_input_open(const char *path, struct br_trace_input *in, char *why, size_t why_len)
{
	struct tracecmd_input *top;
	int named;

	memset(in, 0, sizeof(*in));
	top = tracecmd_open(path, TRACECMD_FL_LOAD_NO_PLUGINS);
	if (!top) {
		snprintf(why, why_len, "libtracecmd cannot read it");
		return -EINVAL;
	}
	named = tracecmd_buffer_instances(top);
	in->handles = calloc(named + 1, sizeof(*in->handles));
	in->names = calloc(named + 1, sizeof(*in->names));
	if (!in->handles || !in->names) {
		tracecmd_close(top);
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	in->handles[0] = top;
	in->names[0] = "";
	in->nr = 1;
	for (int i = 0; i < named; i++) {
		const char *name = tracecmd_buffer_instance_name(top, i);

		in->handles[in->nr] = tracecmd_buffer_instance_handle(top, i);
		if (!in->handles[in->nr]) {
			snprintf(why, why_len, "libtracecmd cannot read buffer '%s'", name ? name : "?");
			br_trace_input_close(in);
			return -EINVAL;
		}
		in->names[in->nr++] = name ? name : "";
	}
	return 0;
}

void br_trace_input_close(struct br_trace_input *in)
{
	/* A buffer's handle holds a reference on the top level's: close it last. */
	for (int i = in->nr - 1; i >= 0; i--)
		tracecmd_close(in->handles[i]);
	free(in->handles);
	free(in->names);
	memset(in, 0, sizeof(*in));
}
