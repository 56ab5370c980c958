/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private: what a collect killed outright (SIGKILL, a power cut) left in
 * the state directory, finished by the next one (see recover.c).
 */
#ifndef BOOTRACE_RECOVER_H
#define BOOTRACE_RECOVER_H

#include "bootrace.h"
#include "tracedat-recover.h"

/*
 * The text of BR_COLLECTING_FILE: the collection's name, its data file
 * and the file's layout, the instance and the events it held.
 */
char *br_recover_marker_text(const char *name, const char *trace,
			     const struct tracedat_layout *layout, const char *instance,
			     unsigned long long entries);

/*
 * Finish what collects killed earlier left in the state directory
 * @statefd (whose lock the caller holds): every .new-* directory
 * bootrace made becomes a visible collection marked interrupted whose
 * trace.dat holds every whole page that reached the disk (or is removed
 * if nothing had been read), every .old-* one (retention cut short) is
 * removed. Anything bootrace did not make is left alone, with a warning.
 * The directories made visible go into *@recovered (NULL-terminated, or
 * NULL when none).
 */
int br_recover_state_dir(struct bootrace_ctx *ctx, int statefd, const char *state_dir,
			 char ***recovered);

#endif
