/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An event as a script reads it: its name, pid, comm and each field's
 * value as the trace holds it (what trace-cmd report -R shows), beside
 * the formatted text. And whether the trace shows the kernel panicking:
 * only its own messages (printk:console, traced when the command line's
 * events include printk) can say so; sched and irq events cannot.
 *
 * The file may be damaged or crafted: every offset and length taken from
 * a record is checked against the record's size before it is read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootrace-local.h"
#include "report-event.h"

/* What panic() prints first, since 2.6: "Kernel panic - not syncing: WHY". */
#define PANIC_PREFIX "Kernel panic - not syncing"

const char *bootrace_panic_name(enum bootrace_panic panic)
{
	switch (panic) {
	case BOOTRACE_PANIC_NO:
		return "no";
	case BOOTRACE_PANIC_YES:
		return "yes";
	default:
		return "unknown";
	}
}

/* The bytes of field @f in @rec: fixed, or a (relative) dynamic array. */
static int field_bytes(struct tep_handle *tep, const struct tep_format_field *f,
		       const struct tep_record *rec, const unsigned char **data,
		       unsigned int *len)
{
	unsigned long long loc;
	unsigned int off, size;

	if (f->offset < 0 || f->size < 0 || rec->size < 0 ||
	    (unsigned int)f->offset + (unsigned int)f->size > (unsigned int)rec->size)
		return -EINVAL;
	off = f->offset;
	size = f->size;
	/* A flexible array ("char buf[]" of ftrace:print) runs to the record's end. */
	if (!size && (f->flags & TEP_FIELD_IS_ARRAY) && !(f->flags & TEP_FIELD_IS_DYNAMIC))
		size = rec->size - off;
	if (!size && !(f->flags & TEP_FIELD_IS_ARRAY))
		return -EINVAL;
	if (f->flags & TEP_FIELD_IS_DYNAMIC) {
		/* __data_loc: offset in the low 16 bits, length in the high 16. */
		if (size != 4)
			return -EINVAL;
		loc = tep_read_number(tep, (const char *)rec->data + off, 4);
		size = loc >> 16 & 0xffff;
		/* __rel_loc (5.18+): the offset counts from the end of the field. */
		off = (loc & 0xffff) + (f->flags & TEP_FIELD_IS_RELATIVE ? off + 4 : 0);
		if (off + size > (unsigned int)rec->size)
			return -EINVAL;
	}
	*data = (const unsigned char *)rec->data + off;
	*len = size;
	return 0;
}

/* Up to the first NUL; bytes that are not printable ASCII as \xNN. */
static char *text_of(const unsigned char *data, unsigned int len)
{
	char *text = malloc(4 * (size_t)len + 1), *p = text;

	if (!text)
		return NULL;
	for (unsigned int i = 0; i < len && data[i]; i++) {
		if (data[i] >= 0x20 && data[i] < 0x7f && data[i] != '\\')
			*p++ = data[i];
		else
			p += sprintf(p, "\\x%02x", data[i]);
	}
	*p = '\0';
	return text;
}

static char *hex_of(const unsigned char *data, unsigned int len)
{
	char *text = malloc(2 * (size_t)len + 1);

	if (!text)
		return NULL;
	for (unsigned int i = 0; i < len; i++)
		sprintf(text + 2 * i, "%02x", data[i]);
	text[2 * len] = '\0';
	return text;
}

static bool is_char_array(const struct tep_format_field *f)
{
	return (f->flags & TEP_FIELD_IS_STRING) ||
	       ((f->flags & TEP_FIELD_IS_ARRAY) && f->elementsize == 1 && f->type &&
		strstr(f->type, "char"));
}

static int read_field(struct tep_handle *tep, const struct tep_format_field *f,
		      const struct tep_record *rec, struct bootrace_event_field *out)
{
	const unsigned char *data;
	unsigned int len;

	if (field_bytes(tep, f, rec, &data, &len))
		return -EINVAL;
	out->name = strdup(f->name);
	if (!out->name)
		return -ENOMEM;
	if (is_char_array(f)) {
		out->kind = BOOTRACE_FIELD_STRING;
		out->text = text_of(data, len);
	} else if ((f->flags & (TEP_FIELD_IS_ARRAY | TEP_FIELD_IS_DYNAMIC)) ||
		   (len != 1 && len != 2 && len != 4 && len != 8)) {
		out->kind = BOOTRACE_FIELD_BYTES;
		out->text = hex_of(data, len);
	} else {
		out->value = tep_read_number(tep, data, len);
		out->kind = BOOTRACE_FIELD_UNSIGNED;
		if ((f->flags & TEP_FIELD_IS_SIGNED) && len < 8 && (out->value >> (8 * len - 1) & 1))
			out->value |= ~0ULL << (8 * len);
		if (f->flags & TEP_FIELD_IS_SIGNED)
			out->kind = BOOTRACE_FIELD_SIGNED;
		return 0;
	}
	if (!out->text) {
		free(out->name);
		out->name = NULL;
		return -ENOMEM;
	}
	return 0;
}

void br_report_line_fields(struct tep_handle *tep, struct tep_record *rec,
			   struct bootrace_report_line *line)
{
	struct tep_event *ev = tep_find_event_by_record(tep, rec);
	struct tep_format_field **fields;
	const char *comm;
	int n = 0;

	line->pid = tep_data_pid(tep, rec);
	comm = tep_data_comm_from_pid(tep, line->pid);
	line->comm = comm ? strdup(comm) : NULL;
	if (!ev)
		return;
	if (asprintf(&line->event, "%s:%s", ev->system, ev->name) < 0)
		line->event = NULL;
	fields = tep_event_fields(ev);
	if (!fields)
		return;
	while (fields[n])
		n++;
	line->fields = calloc(n ? n : 1, sizeof(*line->fields));
	for (int i = 0; line->fields && i < n; i++) {
		int ret = read_field(tep, fields[i], rec, &line->fields[line->nr_fields]);

		if (ret == -ENOMEM)
			break;
		if (!ret)
			line->nr_fields++;
	}
	free(fields);
}

void br_report_line_fields_clear(struct bootrace_report_line *line)
{
	for (int i = 0; i < line->nr_fields; i++) {
		free(line->fields[i].name);
		free(line->fields[i].text);
	}
	free(line->fields);
	free(line->event);
	free(line->comm);
	line->fields = NULL;
	line->nr_fields = 0;
	line->event = line->comm = NULL;
}

void br_report_note_console(struct bootrace_report *rep, struct tep_handle *tep,
			    struct tep_event *ev, struct tep_record *rec)
{
	struct tep_format_field *msg = tep_find_field(ev, "msg");
	_cleanup_free_ char *text = NULL;
	const unsigned char *data;
	unsigned int len;

	if (rep->panic == BOOTRACE_PANIC_UNKNOWN)
		rep->panic = BOOTRACE_PANIC_NO;
	if (rep->panic == BOOTRACE_PANIC_YES || !msg || field_bytes(tep, msg, rec, &data, &len))
		return;
	if (len < sizeof(PANIC_PREFIX) - 1 || memcmp(data, PANIC_PREFIX, sizeof(PANIC_PREFIX) - 1))
		return;
	/* printk keeps the message's own newline; one line is wanted. */
	len = strnlen((const char *)data, len);
	while (len && data[len - 1] == '\n')
		len--;
	text = text_of(data, len);
	rep->panic = BOOTRACE_PANIC_YES;
	snprintf(rep->panic_message, sizeof(rep->panic_message), "%s", text ? text : PANIC_PREFIX);
}
