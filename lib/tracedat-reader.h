/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private: reading a trace.dat with every read checked against the file's
 * size before anything is allocated (verify is handed damaged files).
 * Shared by tracedat-read.c (options, kallsyms) and tracedat-v7.c (the
 * version 6 file it turns into version 7). Each returns 0, -EINVAL with
 * *what set to the part that did not parse, or -errno of pread(2).
 */
#ifndef BOOTRACE_TRACEDAT_READER_H
#define BOOTRACE_TRACEDAT_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tracedat.h"

struct tracedat_reader {
	int fd;
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
