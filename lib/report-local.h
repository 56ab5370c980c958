/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private to report.c and report-wire.c: what the sandboxed reader of a
 * report is given, and how the report it builds travels back.
 */
#ifndef BOOTRACE_REPORT_LOCAL_H
#define BOOTRACE_REPORT_LOCAL_H

#include "bootrace.h"
#include "sandbox.h"

struct report_job {
	const char *file;
	unsigned int last;		/* events per CPU to format */
	int nr_cpus;			/* as the checked layout says */
	const char *kallsyms;		/* stored, checked text; NULL: none */
	unsigned long long prev_text;	/* previous boot's _text; 0: unknown */
};

/* Where one of the last records of a CPU is. */
struct report_mark {
	unsigned long long ts;
	unsigned long long offset;
	int buffer;
};

/*
 * What libtracecmd and libtraceevent tell of the file (not its options,
 * which the parent reads): in the sandbox, or in a test. 0, or -errno with
 * the reason in @why.
 */
int report_collect(const struct report_job *job, struct bootrace_report *rep, char *why,
		   size_t why_len);

/* What the reader found, to the parent and back. */
void report_encode(struct br_wire *w, const struct bootrace_report *rep);
/* 0, -ENOMEM, or -EIO when @w does not hold a report. */
int report_decode(struct br_wire *w, struct bootrace_report *rep);

#endif
