/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private to libbootrace: a streaming writer of trace-cmd's trace.dat
 * (version 6, uncompressed, as described in trace-cmd.dat.v6(5)), and its
 * conversion to a compressed version 7 (trace-cmd.dat.v7(5)).
 *
 * libtracecmd's public API only reads trace.dat, so bootrace writes the
 * documented format itself. Version 6 is the one both trace-cmd 3.1.6
 * (Debian 12) and 3.4 read without a compression library in common.
 *
 * The writer never holds ring-buffer data in memory: everything before the
 * flyrecord section is written by tracedat_begin(), then each CPU's pages
 * are appended as they are read, and the per-CPU offset table is filled in
 * by tracedat_finish().
 */
#ifndef BOOTRACE_TRACEDAT_H
#define BOOTRACE_TRACEDAT_H

#include <stdbool.h>
#include <stddef.h>

/* A text blob: the bytes of one tracefs file. */
struct tracedat_blob {
	const char *data;
	size_t len;
};

struct tracedat_event_format {
	const char *name;		/* event name, for sorting/debug */
	struct tracedat_blob format;	/* events/SYSTEM/EVENT/format */
};

struct tracedat_system {
	const char *name;		/* e.g. "sched" */
	int nr_events;
	const struct tracedat_event_format *events;
};

struct tracedat_meta {
	/* Sub-buffer size of the instance: the "page size" of the file. */
	unsigned int page_size;
	int nr_cpus;
	struct tracedat_blob header_page;	/* events/header_page */
	struct tracedat_blob header_event;	/* events/header_event */
	int nr_ftrace_formats;			/* events/ftrace/ * /format */
	const struct tracedat_blob *ftrace_formats;
	int nr_systems;				/* every other system */
	const struct tracedat_system *systems;
	struct tracedat_blob kallsyms;		/* may be empty */
	/*
	 * Or a file to copy the kallsyms section from as it is written (e.g.
	 * /proc/kallsyms: megabytes that need not sit in memory); wins over
	 * the blob when set.
	 */
	const char *kallsyms_path;
	struct tracedat_blob printk_formats;	/* may be empty */
	struct tracedat_blob cmdlines;		/* may be empty */

	/* Options */
	/* e.g. "[local] global ..." as read; NULL: no clock recorded */
	const char *trace_clock;
	const char *uname;			/* "Linux host 7.2.13 #1 SMP x86_64" */
	/*
	 * nr_cpus per_cpu/cpuN/stats texts as read (NULL: omit); each is
	 * stored as "CPU: N\n" + text, as trace-cmd stores them.
	 */
	const struct tracedat_blob *cpustats;
	/* LAST_BOOT_INFO, NULL: omit. A name with ':' is refused (-EINVAL). */
	const char *last_boot_instance;
	const char *last_boot_info;
	/* Whose formats and symbols these are (decode-check.c's text); NULL: omit. */
	const char *decode;
	/* /proc/modules of the boot the symbols are of; empty: omit. */
	struct tracedat_blob modules;
	unsigned long long date_offset;		/* unused: 0 */
};

struct tracedat_writer;

/*
 * Write the headers, metadata and options to @fd (positioned at 0) and
 * reserve the flyrecord offset table. 0 or -errno (-EINVAL for bad
 * @meta). Everything after this is appended with write(2); the table
 * alone is written back with pwrite(2). Nothing is fsync()ed here.
 */
int tracedat_begin(int fd, const struct tracedat_meta *meta,
		   struct tracedat_writer **out);

/* Start CPU @cpu's data (CPUs in increasing order); pads to page_size. */
int tracedat_cpu_begin(struct tracedat_writer *w, int cpu);
/* Append raw ring-buffer pages (multiples of page_size, as read). */
int tracedat_cpu_write(struct tracedat_writer *w, const void *buf, size_t len);
/*
 * Append @len bytes waiting in the pipe @pipe_fd (pages spliced from
 * trace_pipe_raw), moved by splice(2) without passing through user space.
 * 0 or -errno; what reached the file is counted even on failure.
 */
int tracedat_cpu_splice(struct tracedat_writer *w, int pipe_fd, size_t len);
int tracedat_cpu_end(struct tracedat_writer *w);

/* Bytes written so far (where the file would be cut if stopped now). */
unsigned long long tracedat_offset(const struct tracedat_writer *w);
/* Where CPU @cpu's pages are in the file (size 0: none written). */
void tracedat_cpu_region(const struct tracedat_writer *w, int cpu,
			 unsigned long long *offset, unsigned long long *size);

/* Fill in the offset table for every CPU (CPUs never begun get size 0). */
int tracedat_finish(struct tracedat_writer *w);
/* Free the writer; does not close the fd. */
void tracedat_free(struct tracedat_writer *w);

/*
 * The finished version 6 file @in_fd, written to @out_fd (empty) as
 * version 7 with every section and each CPU's pages compressed with zstd,
 * as trace-cmd 3.x writes it. Nothing is fsync()ed. 0; -EOPNOTSUPP built
 * without zstd (or a file of the other byte order); -EINVAL with *what
 * set to the part of @in_fd that did not parse; -errno.
 */
int tracedat_write_v7(int in_fd, int out_fd, const char **what);

#endif /* BOOTRACE_TRACEDAT_H */
