/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The file operations every writer and reader of libbootrace goes through,
 * written once: bounded reads that refuse what is not a regular file,
 * atomic replacement (temporary file, fsync, rename, fsync of the
 * directory), mkdir -p, and running a program and waiting for it.
 */
#ifndef BOOTRACE_FILEIO_H
#define BOOTRACE_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Bound for the small text files bootrace reads: configuration, records, sidecars. */
#define BR_SMALL_FILE_MAX (1024 * 1024)

enum br_read_flags {
	/*
	 * A file bootrace did not write (state directory, image root, a path
	 * the user gave): never follow a link in its last component, never
	 * block (a FIFO), and refuse anything but a regular file (-EINVAL).
	 */
	BR_READ_UNTRUSTED = 1 << 0,
};

/*
 * Paths below a directory bootrace works in (its state directory, an image
 * given with --root) are resolved without leaving it and without following
 * any symbolic link on the way, the last component included: a link there
 * was made by someone else, and following it is how a write or a delete
 * lands outside. openat2(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS) where the
 * kernel has it (5.6+), else one component at a time with O_NOFOLLOW.
 * @rel is relative to @dirfd (leading '/' ignored: the top of @dirfd); a
 * ".." component is refused (-EXDEV) and a link -ELOOP. Whatever is
 * opened is then checked with fstat() on the descriptor, never by name.
 */

/* Open @rel below @dirfd with openat()'s @flags and @mode; the fd or -errno. */
int br_open_below(int dirfd, const char *rel, int flags, mode_t mode);
/* fstat() of @rel below @dirfd (the link itself if the last component is one: -ELOOP). */
int br_stat_below(int dirfd, const char *rel, struct stat *st);
/*
 * mkdir -p of @rel below @dirfd, each missing directory made with @mode;
 * returns an fd of the last one (O_DIRECTORY) or -errno (-ENOTDIR: a
 * component is a file, -ELOOP: a link).
 */
int br_mkdir_below(int dirfd, const char *rel, mode_t mode);
/* opendir() of @rel below @dirfd; NULL with errno set. */
DIR *br_opendir_below(int dirfd, const char *rel);
/* Open the directory @path (given by the user or the configuration) for the calls above. */
int br_open_dir(const char *path);

/*
 * Read the whole file @rel relative to directory fd @dirfd (AT_FDCWD: a
 * path; otherwise resolved below @dirfd as above), NUL-terminated; @len
 * (if non-NULL) excludes the NUL. At most @max bytes (0: no bound; tracefs
 * files report size 0 and are read to EOF): -EFBIG beyond. 0 or -errno.
 */
int br_read_at(int dirfd, const char *rel, size_t max, unsigned int flags,
	       char **text, size_t *len);

enum br_replace_flags {
	/* An existing file keeps its owner and mode (configuration files). */
	BR_REPLACE_KEEP_MODE = 1 << 0,
};

/*
 * Replace (or create) @name in directory fd @dirfd with @len bytes of
 * @data, atomically: a temporary file beside it, written, fsynced and
 * renamed over it, then the directory fsynced. A new file gets @mode. A
 * link at @name is replaced, never followed. @name is one component
 * (-EINVAL otherwise). 0 or -errno.
 */
int br_replace_at(int dirfd, const char *name, const void *data, size_t len,
		  mode_t mode, unsigned int flags);

/* Test seam: resolve by the O_NOFOLLOW walk even where openat2() exists. */
void br_fileio_force_walk(bool walk);

/*
 * Rename @from in @fromfd to @to in @tofd unless @to exists (-EEXIST):
 * renameat2(RENAME_NOREPLACE), or link and unlink where the filesystem
 * lacks it (files only).
 */
int br_rename_noreplace(int fromfd, const char *from, int tofd, const char *to);

/* fsync() the directory @path (to make a rename in it durable). */
int br_fsync_dir(const char *path);

/* mkdir -p: create @path and its missing parents with @mode. */
int br_mkdir_p(const char *path, mode_t mode);

/*
 * Write all of @buf to @fd, through short writes and EINTR: @off < 0
 * appends with write(2), otherwise pwrite(2) at @off. *@done counts what
 * made it, also on failure. 0 or -errno (-EIO when nothing more goes).
 */
int br_write_full(int fd, const void *buf, size_t len, off_t off, unsigned long long *done);

/*
 * Run @argv (argv[0] looked up in PATH unless it holds a '/': in @envp's
 * PATH when @envp is given), with @envp as its environment (NULL: ours),
 * and wait for it. Its standard output goes into *@out (NUL-terminated, at
 * most @max bytes; the rest is discarded) when @out is non-NULL, else to
 * our standard error. Returns its exit status (0-255), 128 + N when killed
 * by signal N, or -errno when it could not be started.
 */
int br_spawn_wait(char *const argv[], char *const envp[], char **out, size_t max);
/* br_spawn_wait(), and how many bytes it put in *@out (output may hold NUL bytes). */
int br_spawn_wait_len(char *const argv[], char *const envp[], char **out, size_t *out_len,
		      size_t max);

#endif
