/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private: what a struct bootrace_ctx holds (see context.c). */
#ifndef BOOTRACE_CONTEXT_H
#define BOOTRACE_CONTEXT_H

#include <stdbool.h>

#include "bootrace.h"

struct bootrace_ctx {
	bootrace_log_fn log_fn;
	void *log_data;
	enum bootrace_log_level log_level;
	struct bootrace_config config;
	char *config_file;		/* the file read, or NULL */
	char *state_dir;		/* over config.state_dir when set */
	char *root;			/* NULL: "/" */
	char *tracefs_dir;		/* NULL: find or mount */
	struct bootrace_tracefs *tfs;	/* opened on first use */
	char *proc_cmdline;
	bool proc_cmdline_read;		/* read, or set by a test */
};

#endif
