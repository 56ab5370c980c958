/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private: what collect's output needs from collection.c. */
#ifndef BOOTRACE_COLLECTION_H
#define BOOTRACE_COLLECTION_H

#include <stdbool.h>

#include "bootrace.h"

/* The name of a new collection made now: "<UTC time>Z-<boot id>". */
int br_collection_new_name(char **name);

/*
 * The sidecar of a collection directory (open as @dirfd), from what
 * collect knows; written before the directory gets its visible name. @trace
 * is the trace file's name in it. Best effort: a collection without one
 * is still listed.
 */
void br_collection_info_write(int dirfd, const char *trace, bool partial,
			      const struct bootrace_collect_result *res);

#endif
