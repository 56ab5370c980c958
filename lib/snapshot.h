/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private: the metadata of an instance, taken before draining it. */
#ifndef BOOTRACE_SNAPSHOT_H
#define BOOTRACE_SNAPSHOT_H

#include <pthread.h>

#include "bootrace.h"
#include "tracedat.h"

struct br_snapshot {
	struct tracedat_meta meta;	/* points into the fields below */
	struct tracedat_event_format *ftrace;
	int nr_ftrace;
	struct tracedat_blob *ftrace_blobs;
	struct tracedat_system *systems;
	int nr_systems;
	struct tracedat_blob *cpustats;
	struct tracedat_blob clock;
	char *uname;
};

int br_snapshot_take(const struct bootrace_tracefs *tfs,
		     const struct bootrace_instance_info *info, bool kallsyms,
		     struct br_snapshot **out, struct bootrace_error *err);
void br_snapshot_free(struct br_snapshot *snap);

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
