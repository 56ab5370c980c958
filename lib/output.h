/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private: where collect writes, and how a file becomes final. */
#ifndef BOOTRACE_OUTPUT_H
#define BOOTRACE_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "bootrace.h"
#include "tracedat.h"

struct br_output {
	int fd;			/* the temporary file */
	int dirfd;
	char *dir;		/* a new collection: STATE_DIR/.new-XXXXXX */
	char *final_dir;	/* its name once complete */
	char *state_dir;
	char *tmp_path;
	char *final_path;
	bool created_dir;	/* a new collection directory: remove on discard */
	bool marked;		/* its BR_COLLECTING_FILE is written */
	bool force;
	bool compress;		/* turn the finished file into version 7 with zstd */
	int lock_fd;		/* STATE_DIR/.lock, held while collecting */
};

/* Nothing open yet: what br_output_release() can always be given. */
#define BR_OUTPUT_INIT { .fd = -1, .dirfd = -1, .lock_fd = -1 }

/*
 * Before anything else of a collect into the state directory: take its
 * lock (one collect per state directory) and finish what a collect killed
 * earlier left (see output.c): each becomes a visible collection marked
 * interrupted, its directory added to *@recovered (NULL-terminated,
 * NULL: none). Not being able to is not an error: prepare says why.
 */
int br_output_recover(struct bootrace_ctx *ctx, struct br_output *out, char ***recovered,
		      struct bootrace_error *err);
/* Check the output path and create the temporary file; reads nothing. */
int br_output_prepare(struct bootrace_ctx *ctx, const struct bootrace_collect_opts *opts,
		      struct br_output *out, struct bootrace_error *err);
/*
 * Note in a new collection what the next collect needs to finish it if
 * this one is killed; the last step before reading. @entries: what the
 * kernel holds. Nothing to do for -o.
 */
int br_output_mark(struct br_output *out, const struct tracedat_writer *writer,
		   const char *instance, unsigned long long entries,
		   struct bootrace_error *err);
/* Nothing was read: remove every trace of the attempt. */
void br_output_discard(struct br_output *out);
/*
 * Data was read: finish the file, fsync it, and rename it to its final
 * name when @drain_ret is 0, else to FINAL.partial; fills res->output or
 * res->partial. Returns @drain_ret or the first failure of its own, with
 * @err filled (what failed, without what is kept: the caller says it)
 * only for a failure of its own.
 */
int br_output_commit(struct bootrace_ctx *ctx, struct br_output *out, struct tracedat_writer *writer,
		     int drain_ret, struct bootrace_collect_result *res,
		     struct bootrace_error *err);
void br_output_release(struct br_output *out);
/*
 * Keep pages beside the output (BASE.late-cpuN); @why, if set, is logged.
 * 0 or -errno (then the pages are lost, and the caller says so).
 */
int br_output_save_late(const struct bootrace_ctx *ctx, const char *base, int cpu, const void *page,
			size_t len, const char *why);

#endif
