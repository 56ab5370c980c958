/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private: reading a trace.dat that bootrace did not necessarily write
 * (verify and report are handed files from other machines, and whatever a
 * user points them at). Everything is checked against the file before it
 * is used, and before libtracecmd or libtraceevent read it:
 *
 *   tracedat_check()        the layout: header, every section and option,
 *                           the buffers and their CPU data, the pages
 *   tracedat_options_read() what verify and report take from the options
 *   tracedat_kallsyms_read() the stored /proc/kallsyms, for report
 *
 * Below them, reads bounded by the file's size (tdr_*(), shared with
 * tracedat-v7.c). Each returns 0, -EINVAL with *what set to the part that
 * did not parse, or -errno of pread(2).
 */
#ifndef BOOTRACE_TRACEDAT_READER_H
#define BOOTRACE_TRACEDAT_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tracedat.h"

/* ---- the file's layout ---- */

#define TRACEDAT_WHY_MAX 256

/* A v7 section, or the part of a v6 file that holds the same. */
struct tracedat_section {
	uint16_t id;			/* v7 section id (see tracedat-check.h) */
	uint16_t flags;			/* v7: 1 = compressed */
	unsigned long long offset;	/* where it starts (its header in v7) */
	unsigned long long data;	/* where its content starts */
	unsigned long long end;		/* one past its last byte */
};

/* Where one CPU's pages are (compressed chunks in a compressed v7 buffer). */
struct tracedat_cpu_data {
	unsigned int cpu;
	unsigned long long offset;
	/* Compressed: the chunk count and all chunks (see tdc_chunks_extent()). */
	unsigned long long size;
	/* Filled by the page check: pages whose header says events were lost. */
	unsigned long long missed_pages;
	unsigned long long dropped_pages;	/* of those, empty: dropped as corrupt (7.2+) */
	unsigned long long missed_events;	/* counts the kernel stored there */
};

/* The top-level buffer or a named one (trace-cmd record/extract -B NAME). */
struct tracedat_buffer {
	char *name;			/* "" for the top level */
	unsigned int page_size;
	bool compressed;
	/* v7: its flyrecord section; v6: its table of CPU data. */
	unsigned long long at;
	/* Where its CPU data may be: after the metadata (v7: in its section). */
	unsigned long long data_start, data_end;
	int nr_cpus;			/* CPUs with an entry, data or not */
	struct tracedat_cpu_data *cpus;
};

struct tracedat_layout {
	int version;			/* 6 or 7 */
	bool swap;			/* the file's byte order is not ours */
	unsigned int long_size;		/* the traced user space's, 4 or 8 */
	unsigned int page_size;
	char compression[16];		/* v7: "none" or "zstd" */
	unsigned long long file_size;
	int nr_cpus;			/* the file's CPU count */
	int nr_sections;
	struct tracedat_section *sections;
	int nr_buffers;			/* the top-level buffer first */
	struct tracedat_buffer *buffers;
	unsigned int commit_size;	/* bytes of a page's commit field */
};

/* Every option, once checked: its id, payload and the buffer it follows. */
typedef int (*tracedat_option_fn)(void *data, uint16_t id, const char *payload,
				  uint32_t len, bool swap);

/*
 * Check the whole file at @fd against the format (trace-cmd.dat.v6(5),
 * trace-cmd.dat.v7(5)) and what libtracecmd 3.1.6 and 3.4 need to read it
 * safely; fill @layout and hand every option to @fn (may be NULL). 0;
 * -EINVAL with "<field> at offset <N>: <problem>" in @why; -ENOMEM; -errno
 * of reading.
 */
int tracedat_check(int fd, struct tracedat_layout *layout, tracedat_option_fn fn,
		   void *fn_data, char *why, size_t why_len);
void tracedat_layout_clear(struct tracedat_layout *layout);
/* The first section with @id, or NULL. */
const struct tracedat_section *tracedat_section_find(const struct tracedat_layout *l,
						     uint16_t id);

/* ---- what verify and report take from the options ---- */

struct tracedat_cpustat {
	char *buffer;			/* "" for the top level */
	char *text;			/* "CPU: N\n" and the stats, as stored */
};

struct tracedat_options {
	int nr_cpus;
	int nr_cpustats;
	/* CPUSTAT: what trace-cmd stores, the stats after reading. */
	struct tracedat_cpustat *cpustats;
	/* bootrace's own option: the stats before reading (NULL: none). */
	int nr_kernel_stats;
	char **kernel_stats;
	char *writer;			/* the VERSION option: who wrote it, or NULL */
	char *last_boot_instance;	/* NULL if no LAST_BOOT_INFO */
	char *last_boot_info;
	char *trace_clock;
	char *uname;
	/* bootrace's word on whose formats and symbols it carries (NULL: none). */
	char *decode;
	unsigned int page_size;
	int version;			/* file version, 6 or 7 */
};

/*
 * Check the file (tracedat_check()) and collect the options above, and
 * its layout if @layout is not NULL. -EINVAL with the problem in @why.
 */
int tracedat_options_read(const char *path, struct tracedat_options *opts,
			  struct tracedat_layout *layout, char *why, size_t why_len);
void tracedat_options_clear(struct tracedat_options *opts);

/*
 * The stored /proc/kallsyms text of the file @path whose layout
 * tracedat_check() gave, for report's KASLR shift. *text is malloc()ed,
 * "" when none was stored.
 */
int tracedat_kallsyms_read(const char *path, const struct tracedat_layout *l, char **text);

/* Was the file written by bootrace (its VERSION option says so)? */
bool tracedat_written_by_bootrace(const struct tracedat_options *opts);
/* Who wrote it, for people: "bootrace 0.1.0", "trace-cmd 3.1.6"; NULL unknown. */
char *tracedat_writer_name(const struct tracedat_options *opts);

/* ---- reads bounded by the file ---- */

struct tracedat_reader {
	int fd;
	/* Or, when set, @size bytes in memory (a decompressed v7 section). */
	const unsigned char *mem;
	unsigned long long pos;
	unsigned long long size;
	bool swap;			/* file endianness differs from ours */
	const char **what;
};

int tdr_fail(struct tracedat_reader *r, const char *what);
int tdr_bytes(struct tracedat_reader *r, void *buf, size_t len, const char *what);
int tdr_skip(struct tracedat_reader *r, unsigned long long len, const char *what);
int tdr_u16(struct tracedat_reader *r, uint16_t *v, const char *what);
int tdr_u32(struct tracedat_reader *r, uint32_t *v, const char *what);
int tdr_u64(struct tracedat_reader *r, uint64_t *v, const char *what);
/* A NUL-terminated string of at most @max - 1 characters. */
int tdr_string(struct tracedat_reader *r, char *buf, size_t max, const char *what);
/* A 64- or 32-bit size, then that many bytes. */
int tdr_skip_sized64(struct tracedat_reader *r, const char *what);
int tdr_skip_sized32(struct tracedat_reader *r, const char *what);
/* The next @len bytes must be @tag. */
int tdr_expect(struct tracedat_reader *r, const char *tag, size_t len, const char *what);
/* Magic, version (6 or 7), endianness and page size into @o. */
int tdr_initial(struct tracedat_reader *r, struct tracedat_options *o);
int tdr_skip_event_formats(struct tracedat_reader *r);

#endif
