/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private: the metadata of an instance, taken before draining it. */
#ifndef BOOTRACE_SNAPSHOT_H
#define BOOTRACE_SNAPSHOT_H

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

#endif
