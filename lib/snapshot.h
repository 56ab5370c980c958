/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private: the metadata of an instance, taken before draining it. */
#ifndef BOOTRACE_SNAPSHOT_H
#define BOOTRACE_SNAPSHOT_H

#include <pthread.h>

#include "bootrace.h"
#include "tracedat.h"

struct br_backing;

struct br_snapshot {
	struct tracedat_meta meta;	/* points into the fields below */
	struct tracedat_event_format *ftrace;
	int nr_ftrace;
	struct tracedat_blob *ftrace_blobs;
	struct tracedat_system *systems;
	int nr_systems;
	struct tracedat_blob *cpustats;
	struct tracedat_blob clock;
	struct tracedat_blob modules;	/* /proc/modules of the boot the symbols are of */
	char *uname;
	/*
	 * A decoder's body: the formats (names and texts), printk formats,
	 * symbols and modules point into it (borrowed), and go with it.
	 */
	struct br_backing *backing;
	bool borrowed;
};

struct br_decoder;

/* Where the metadata of the data comes from (see br_decode_plan()). */
struct br_snapshot_plan {
	/* The boot that wrote the data left its decoder: formats, symbols, modules. */
	struct br_decoder *decoder;
	/*
	 * This kernel describes the data (it wrote it, or the same build
	 * did): its printk formats and, with kallsyms, its modules list.
	 */
	bool this_kernel;
	/* Store symbols: the decoder's, else (this_kernel) /proc/kallsyms. */
	bool kallsyms;
	/* Whose formats and symbols these are, for the file (decode-check.c's text). */
	const char *decode;
};

/*
 * Everything but the pages, read before the first page is consumed. The
 * decoder's formats, symbols and modules are taken out of it.
 */
int br_snapshot_take(const struct bootrace_tracefs *tfs,
		     const struct bootrace_instance_info *info,
		     const struct br_snapshot_plan *plan,
		     struct br_snapshot **out, struct bootrace_error *err);
void br_snapshot_free(struct br_snapshot *snap);

/* events/ of a tracefs or an instance: header page and event, every format. */
int br_snapshot_read_events(int events_fd, struct br_snapshot *snap);

/* /proc/kallsyms read on another thread while the formats are read. */
struct br_kallsyms_prefetch {
	int fd;			/* unnamed file in the output directory, or -1 */
	bool started;
	int ret;
	pthread_t thread;
	char path[32];		/* /proc/self/fd/N, for the writer */
};

void br_kallsyms_prefetch_start(struct br_kallsyms_prefetch *kp, const char *dir);
/* Join; on success, make @snap's writer copy from the prefetched file. */
void br_kallsyms_prefetch_finish(struct br_kallsyms_prefetch *kp, struct br_snapshot *snap);
void br_kallsyms_prefetch_release(struct br_kallsyms_prefetch *kp);

#endif
