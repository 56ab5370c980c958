/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private: the structural check every trace.dat goes through before
 * libtracecmd or libtraceevent see a byte of it (verify and report are
 * handed files from other machines, and both libraries crash, loop or read
 * out of bounds on malformed input). In layers, each using only those
 * below it: tracedat-problem.c (the messages), tracedat-content.c (what is
 * inside the metadata and the options) and tracedat-pages.c (the
 * ring-buffer pages), tracedat-options.c (sections and buffers noted, each
 * option taken), then tracedat-check.c (the walk: header, sections,
 * options chain, buffers, CPU data).
 */
#ifndef BOOTRACE_TRACEDAT_CHECK_H
#define BOOTRACE_TRACEDAT_CHECK_H

#include <stdarg.h>
#include <stdint.h>

#include "tracedat.h"
#include "tracedat-reader.h"

/*
 * A metadata section: kallsyms of a big kernel with its modules is ~10 MB.
 * More is not a trace.dat, or a decompression bomb.
 */
#define TRACEDAT_MAX_SECTION	(64u << 20)
/* A system or buffer name, a clock: short words. */
#define TRACEDAT_MAX_NAME	256
/* Sections a file may have; a v7 file has about a dozen. */
#define TRACEDAT_MAX_SECTIONS	4096
/* Sub-buffer sizes the kernel can have (4 KiB pages up to order 12). */
#define TRACEDAT_MIN_PAGE	4096u
#define TRACEDAT_MAX_PAGE	(16u << 20)
/* One compressed chunk of CPU data, uncompressed (bootrace's: 64 pages). */
#define TRACEDAT_MAX_CHUNK	(16u << 20)

/* v7 section ids, and the v6 parts that match them. */
enum tracedat_section_id {
	SECTION_OPTIONS = 0,
	SECTION_FLYRECORD = 3,		/* BUFFER: CPU data of one buffer */
	SECTION_STRINGS = 15,
	SECTION_HEADERS = 16,
	SECTION_FTRACE_EVENTS = 17,
	SECTION_EVENT_FORMATS = 18,
	SECTION_KALLSYMS = 19,
	SECTION_PRINTK = 20,
	SECTION_CMDLINES = 21,
	SECTION_BUFFER_TEXT = 22,	/* a latency trace: text */
	SECTION_BTF = 23,
	SECTION_MODULES = 25,
};

#define SECTION_FL_COMPRESSED 1

/* The state of one check: the file, its layout so far, the first problem. */
struct tracedat_check {
	struct tracedat_reader r;
	const char *what;		/* the field a tdr_*() read failed on */
	struct tracedat_layout *l;
	tracedat_option_fn option_fn;
	void *option_data;
	bool has_trace_clock;		/* v6: a clock string follows the CPU table */
	/* Where a memory reader's bytes are: for messages. */
	unsigned long long base;	/* file offset of its first byte */
	bool decompressed;		/* base is the section, not the byte */
	char *why;
	size_t why_len;
};

/* ---- tracedat-problem.c ---- */

/* -EINVAL, with "<field> at offset <at>: <detail>" in c->why. */
int tdc_fail(struct tracedat_check *c, const char *field, unsigned long long at,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* -EINVAL for @field at position @pos of reader @r (the file, or a section's bytes). */
int tdc_fail_at(struct tracedat_check *c, const struct tracedat_reader *r,
		unsigned long long pos, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* A tdr_*() read that failed: the field it names ran past the end. */
int tdc_read_failed(struct tracedat_check *c, int ret);
/* A 32-bit number of the file's byte order at @p. */
uint32_t tdc_u32(const struct tracedat_check *c, const void *p);
/* Text that libtraceevent parses: no NUL, no control characters but tab and newline. */
bool tdc_is_text(const unsigned char *p, size_t len);
/* A clock as libtracecmd parses it: no "[" word without a name in it. */
bool tdc_clock_ok(const char *text, size_t len);

/* ---- tracedat-content.c ---- */

/*
 * One metadata part (section id @id: headers, ftrace and event formats,
 * kallsyms, printk formats, command lines) at @r's position, checked for
 * what libtracecmd and libtraceevent expect inside; @r ends after it.
 */
int tdc_check_part(struct tracedat_check *c, struct tracedat_reader *r, uint16_t id);
/* One option's payload, as libtracecmd (3.1.6 and 3.4) will take it. */
int tdc_check_option(struct tracedat_check *c, uint16_t id, const unsigned char *p,
		     uint32_t len, unsigned long long at);
/*
 * The content of v7 section @s, decompressed if it is compressed, into
 * *@buf (malloc()ed); a memory reader over it in @r, for messages.
 */
int tdc_section_content(struct tracedat_check *c, const struct tracedat_section *s,
			unsigned char **buf, struct tracedat_reader *r);

/* ---- tracedat-options.c ---- */

int tdc_add_section(struct tracedat_check *c, uint16_t id, uint16_t flags,
		    unsigned long long offset, unsigned long long data, unsigned long long end);
/* The section that starts at @offset, or NULL. */
const struct tracedat_section *tdc_section_at(const struct tracedat_layout *l,
					      unsigned long long offset);
/* A buffer named @name (described by an option at @at), refused if named twice. */
int tdc_add_buffer(struct tracedat_check *c, const char *name, unsigned long long at,
		   struct tracedat_buffer **out);
/* The top-level buffer first, whatever the order of the options. */
void tdc_top_buffer_first(struct tracedat_layout *l);
/* "the top-level buffer", "buffer 'NAME'", into @buf. */
const char *tdc_buffer_label(const struct tracedat_buffer *b, char buf[80]);
/*
 * The option @id (read already, at @at of @r) from its size on: checked,
 * noted, and handed to the caller's tracedat_option_fn.
 */
int tdc_read_option(struct tracedat_check *c, struct tracedat_reader *r, uint16_t id,
		    unsigned long long at);

/* ---- tracedat-pages.c ---- */

/*
 * Compressed CPU data: a chunk count, then each chunk's sizes and data.
 * trace-cmd 3.1.6 (and bootrace) give its size without the count, 3.4
 * with it: @d's size becomes what the chunks take, the count included.
 */
int tdc_chunks_extent(struct tracedat_check *c, struct tracedat_cpu_data *d, const char *field);
/* Every page of every buffer: commit sizes inside the page; missed-event marks counted. */
int tdc_check_pages(struct tracedat_check *c);

#endif
