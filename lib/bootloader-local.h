/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by lib/bootloader*.c: files under a root, words, edits. */
#ifndef BOOTLOADER_LOCAL_H
#define BOOTLOADER_LOCAL_H

#include <stdbool.h>
#include <stddef.h>

#include "bootrace-local.h"

/* ROOT + REL (REL starts with '/'); malloc()ed, NULL on ENOMEM. */
char *bl_path(const char *root, const char *rel);
/* Read ROOT/REL; refuses anything but a regular file (-EINVAL). */
int bl_read(const char *root, const char *rel, char **text, size_t *len);
bool bl_exists(const char *root, const char *rel);

/* Record an edit of REL unless old and new are the same; takes the texts. */
int bl_plan_edit(struct bootrace_setup_plan *plan, const char *rel,
		 bool existed, char *old_text, size_t old_len,
		 bool remove, char *new_text, size_t new_len);

/*
 * Is there, among the words of @cmdline, a reserve_mem= or trace_instance=
 * that uses bootrace's label or instance names? Fills @err naming @where.
 */
int bl_conflicts(const char *cmdline, const char *where,
		 const struct bootrace_setup_opts *opts,
		 struct bootrace_error *err);

/* Does @text hold @fragment as whole words? */
bool bl_has_words(const char *text, const char *fragment);

/* The newest kernel under ROOT/boot/vmlinuz-* and ROOT/usr/lib/modules/x/vmlinuz. */
char *bl_newest_kernel(const char *root, char **image);

/* The release in a kernel image path: ".../vmlinuz-6.12.1-amd64" -> "6.12.1-amd64". */
char *bl_release_of_image(const char *path);

/* NULL-terminated argv from the arguments, copied. */
char **bl_argv(const char *first, ...);

int bl_grub_plan(const struct bootrace_setup_opts *opts,
		 struct bootrace_setup_plan *plan, struct bootrace_error *err);
int bl_grub_next_boot(const char *root, struct bootrace_next_boot *nb,
		      struct bootrace_error *err);
int bl_grub_next_kernel(const char *root, char **release, char **how,
			struct bootrace_error *err);
bool bl_grub_present(const char *root);

int bl_ki_plan(const struct bootrace_setup_opts *opts,
	       struct bootrace_setup_plan *plan, struct bootrace_error *err);
int bl_ki_next_boot(const char *root, struct bootrace_next_boot *nb,
		    struct bootrace_error *err);
bool bl_ki_present(const char *root, bool configured_only);

#endif
