/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared by lib/bootloader*.c. bootloader.c dispatches to the backends
 * (bootloader-grub.c, bootloader-kernel-install.c) through struct
 * bl_backend only; the backends call only the helpers of
 * bootloader-util.c declared here; bootloader-edit.c writes a plan.
 */
#ifndef BOOTLOADER_LOCAL_H
#define BOOTLOADER_LOCAL_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>

#include "bootrace-local.h"

/* ------------------------------------------------------------ backends */

/* How sure a backend is that it configures the next boot of a root. */
enum bl_presence {
	BL_ABSENT = 0,
	BL_INSTALLED,		/* its tools and boot files are there */
	BL_CONFIGURED,		/* its configuration is there */
	BL_CHOSEN,		/* a file only a deliberate choice leaves */
};

/*
 * One bootloader. Detection takes the backend with the highest presence;
 * every root is "/" or an absolute directory, and every path a backend
 * names (plan edits, messages) is inside it.
 */
struct bl_backend {
	enum bootrace_bootloader id;
	const char *name;		/* as --bootloader takes it */
	const char *looks_for;		/* for "no known bootloader": what it looks for */
	enum bl_presence (*present)(const char *root);
	/* The edits (in @plan, which holds the root) that install or remove. */
	int (*plan)(const struct bootrace_setup_opts *opts,
		    struct bootrace_setup_plan *plan, struct bootrace_error *err);
	/* What the files give the next boot; nb->bootloader is already set. */
	int (*next_boot)(const char *root, struct bootrace_next_boot *nb,
			 struct bootrace_error *err);
	/* The default entry's kernel: see bootrace_next_kernel(). */
	int (*next_kernel)(const char *root, char **release, char **how,
			   struct bootrace_error *err);
};

extern const struct bl_backend bl_grub_backend;
extern const struct bl_backend bl_kernel_install_backend;

/* ------------------------------------------ helpers (bootloader-util.c) */

/* ROOT + REL (REL starts with '/'); malloc()ed, NULL on ENOMEM. */
char *bl_path(const char *root, const char *rel);
/* @root as messages put it before a path: "" for "/". */
const char *bl_root_shown(const char *root);
/*
 * Every file under the root is reached below it (see br_open_below()):
 * never through a link, so an image cannot point a read or a write at the
 * host. The root itself (given by the user) is opened as it is.
 */
int bl_open_root(const char *root);
/*
 * Read ROOT/REL, which bootrace did not write: at most BR_SMALL_FILE_MAX
 * bytes; anything but a regular file is -EINVAL, a link on the way -ELOOP.
 */
int bl_read(const char *root, const char *rel, char **text, size_t *len);
/* What a failure of bl_read() means, for a message. */
const char *bl_read_error(int ret);
/* Is there a file or directory at ROOT/REL (reached without a link)? */
bool bl_exists(const char *root, const char *rel);
/* opendir() of ROOT/REL; NULL with errno set. */
DIR *bl_opendir(const char *root, const char *rel);

enum bl_edit_flags {
	/*
	 * The file is in bootrace's own directory (its state directory): a
	 * new file is 0600 in a directory made 0700, and the directory goes
	 * with the file once it is empty.
	 */
	BL_EDIT_OWN_DIR = 1 << 0,
};

/*
 * Record replacing REL's @old_text (NULL: there is no such file) by
 * @new_text (NULL: delete the file), unless that changes nothing. Takes
 * both texts, also on failure.
 */
int bl_plan_edit(struct bootrace_setup_plan *plan, const char *rel, unsigned int flags,
		 char *old_text, size_t old_len, char *new_text, size_t new_len);

/*
 * Is there, among the words of @cmdline, a reserve_mem= or trace_instance=
 * that uses bootrace's label or instance names? Fills @err naming @where.
 */
int bl_conflicts(const char *cmdline, const char *where,
		 const struct bootrace_setup_opts *opts,
		 struct bootrace_error *err);

/* Does @cmdline hold the words of @fragment, in a row, as the kernel reads them? */
bool bl_has_words(const char *cmdline, const char *fragment);

/* The newest kernel under ROOT/boot/vmlinuz-* and ROOT/usr/lib/modules/x/vmlinuz. */
char *bl_newest_kernel(const char *root, char **image);
/* bootrace_next_kernel() for bootloaders that boot the newest kernel. */
int bl_newest_kernel_next(const char *root, char **release, char **how,
			  struct bootrace_error *err);

/* The release in a kernel image path: ".../vmlinuz-6.12.1-amd64" -> "6.12.1-amd64". */
char *bl_release_of_image(const char *path);

/* NULL-terminated argv from the arguments, copied; NULL on ENOMEM. */
char **bl_argv(const char *first, ...);

#endif
