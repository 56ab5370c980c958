/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What report takes from single events besides their formatted text. */
#ifndef BOOTRACE_REPORT_EVENT_H
#define BOOTRACE_REPORT_EVENT_H

#include <event-parse.h>

#include "bootrace.h"

/*
 * The event's name, pid, comm and its own fields (the common ones left
 * out) into @line. Only what lies inside the record is read; on ENOMEM
 * the line keeps its text and has no fields.
 */
void br_report_line_fields(struct tep_handle *tep, struct tep_record *rec,
			   struct bootrace_report_line *line);
/* Free what br_report_line_fields() added; the text stays. */
void br_report_line_fields_clear(struct bootrace_report_line *line);

/*
 * A kernel message of the trace (a printk:console event @ev): note that
 * messages are traced, and the first panic among them.
 */
void br_report_note_console(struct bootrace_report *rep, struct tep_handle *tep,
			    struct tep_event *ev, struct tep_record *rec);

#endif
