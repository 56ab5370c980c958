/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private: what collect's output needs from collection.c. */
#ifndef BOOTRACE_COLLECTION_H
#define BOOTRACE_COLLECTION_H

#include <stdbool.h>
#include <stddef.h>

#include "bootrace.h"

/* The name of a new collection made now: "<UTC time>Z-<boot id>". */
int br_collection_new_name(char **name);

/*
 * The sidecar of a collection directory (open as @dirfd), from what
 * collect knows; written before the directory gets its visible name. @trace
 * is the trace file's name in it. Best effort: a collection without one
 * is still listed.
 */
void br_collection_info_write(int dirfd, const char *trace, bool partial, bool interrupted,
			      const struct bootrace_collect_result *res);

/* The sidecar of the collection directory @dirfd into @c (its info fields). */
int br_collection_info_read(int dirfd, struct bootrace_collection *c);

/*
 * What a collection directory holds while collect writes it: where the
 * trace is and what the next collect needs to finish it should this one
 * be killed (see output.c). Removed before the directory gets its name.
 */
#define BR_COLLECTING_FILE ".collecting"

/*
 * Open the directory @name of @statefd only if bootrace made it and all
 * that is in it: a directory (no link) of this user, closed to others,
 * holding only regular files of this user, closed to others, named as
 * collect names them, its sidecar (if any) starting as collect writes it. The fd, or -EPERM with @why saying what is foreign
 * (else -errno).
 */
int br_collection_open_ours(int statefd, const char *name, char *why, size_t why_len);
/* Remove that directory and its files, if it is bootrace's (as above). */
int br_collection_remove_ours(int statefd, const char *name);

#endif
