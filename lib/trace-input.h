/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private: libtracecmd's handles on every buffer of a trace.dat, the
 * top level and each named one (trace-cmd record/extract -B NAME), for
 * the readers that run in the sandbox (verify's counts, report).
 */
#ifndef BOOTRACE_TRACE_INPUT_H
#define BOOTRACE_TRACE_INPUT_H

#include <stddef.h>

#include <trace-cmd.h>

struct br_trace_input {
	int nr;				/* handles[0] is the top level */
	struct tracecmd_input **handles;
	const char **names;		/* "" for the top level */
};

/* Open @path and each of its buffers. 0, or -EINVAL with the reason in @why. */
int br_trace_input_open(const char *path, struct br_trace_input *in, char *why, size_t why_len);
void br_trace_input_close(struct br_trace_input *in);

#endif
