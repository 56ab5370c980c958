/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * collect's outcome as one structured entry in the systemd journal, for
 * fleets that ship journals to a central place and query them there.
 * The fields and message ids are documented in bootrace-collect(1),
 * JOURNAL; catalog/bootrace.catalog explains each id to journalctl -x.
 */
#ifndef BOOTRACE_JOURNAL_H
#define BOOTRACE_JOURNAL_H

#include <stdbool.h>

#include "bootrace.h"

/* The previous boot's trace was collected. */
#define JOURNAL_ID_COLLECTED "ad2813783d9e42529a3f6115a61a5a56"
/* Nothing to collect: no previous-boot data, or no backup instance. */
#define JOURNAL_ID_NOTHING "556f782cb9c84ca4ae1148a44bb4d1f4"
/* collect failed; the data read so far, if any, is kept. */
#define JOURNAL_ID_FAILED "8192a602597e494fbe3498d283dfd23d"

struct journal_collect {
	const struct bootrace_collect_result *res;
	int error;			/* what bootrace_collect() returned */
	const struct bootrace_error *err;	/* its message when error != 0 */
	int exit_status;		/* what collect exits with */
	const char *message;		/* the one line a person reads */
};

/* Whether this bootrace was built with libsystemd (-Dlibsystemd). */
bool journal_supported(void);

/*
 * Send the entry of this collect run. True when journald took it; false
 * without libsystemd or without a running journald (the caller then
 * prints its plain line, as it always did).
 */
bool journal_log_collect(struct bootrace_ctx *ctx, const struct journal_collect *jc);

/*
 * Whether @fd is the journal itself (systemd's JOURNAL_STREAM, as in the
 * boot unit): a plain line written there would repeat the entry.
 */
bool journal_is_stream(int fd);

#endif
