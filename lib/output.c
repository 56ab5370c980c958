/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The output file's life: checked before anything is read, written under
 * a temporary name in the target directory, made durable with fsync, and
 * only then renamed. The files hold kernel addresses, so they are 0600.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bootrace-local.h"
#include "output.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

static int mkdir_parents(const char *path, mode_t mode)
{
	char *copy = strdup(path);
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	for (char *p = copy + 1; *p && !ret; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST)
			ret = -errno;
		*p = '/';
	}
	if (!ret && mkdir(copy, mode) < 0 && errno != EEXIST)
		ret = -errno;
	free(copy);
	return ret;
}

/* A new directory per collection: STATE_DIR/2026-11-26T07:12:03[-N]. */
static int make_collection_dir(const char *state_dir, char **dir,
			       struct bootrace_error *err)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int ret;

	ret = mkdir_parents(state_dir, 0700);
	if (ret)
		return br_fail(err, ret, "cannot create %s: %s; choose a file with -o",
			       state_dir, strerror(-ret));
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (int n = 1; n < 100; n++) {
		int len = n == 1 ? asprintf(dir, "%s/%s", state_dir, stamp)
				 : asprintf(dir, "%s/%s-%d", state_dir, stamp, n);

		if (len < 0)
			return br_fail(err, -ENOMEM, "out of memory");
		if (mkdir(*dir, 0700) == 0)
			return 0;
		ret = -errno;
		free(*dir);
		*dir = NULL;
		if (ret != -EEXIST)
			return br_fail(err, ret, "cannot create a directory in %s: %s",
				       state_dir, strerror(-ret));
	}
	return br_fail(err, -EEXIST, "too many collections named %s in %s", stamp, state_dir);
}

static int check_final_path(const char *path, bool force, struct bootrace_error *err)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return br_fail(err, -errno, "cannot check %s: %s", path, strerror(errno));
	}
	if (S_ISLNK(st.st_mode))
		return br_fail(err, -ELOOP, "%s is a symbolic link: bootrace does not write through links; give the real path", path);
	if (S_ISDIR(st.st_mode))
		return br_fail(err, -EISDIR, "%s is a directory: give a file name, e.g. %s/trace.dat", path, path);
	if (!S_ISREG(st.st_mode))
		return br_fail(err, -EEXIST, "%s exists and is not a regular file", path);
	if (!force)
		return br_fail(err, -EEXIST, "%s already exists: use --force to overwrite it, or choose another name with -o", path);
	return 0;
}

static int resolve_paths(const struct bootrace_collect_opts *opts,
			 struct br_output *out, struct bootrace_error *err)
{
	char *copy;
	int ret;

	if (!opts->output) {
		ret = make_collection_dir(opts->state_dir, &out->dir, err);
		if (ret)
			return ret;
		out->created_dir = true;
		out->final_path = br_path_join(out->dir, "trace.dat");
		return out->final_path ? 0 : br_fail(err, -ENOMEM, "out of memory");
	}
	ret = check_final_path(opts->output, opts->force, err);
	if (ret)
		return ret;
	out->final_path = strdup(opts->output);
	copy = strdup(opts->output);
	out->dir = copy ? strdup(dirname(copy)) : NULL;
	free(copy);
	return out->final_path && out->dir ? 0 : br_fail(err, -ENOMEM, "out of memory");
}

static int prepare(const struct bootrace_collect_opts *opts,
		   struct br_output *out, struct bootrace_error *err);

/* Every failure here is about the path the user gave (or the default one). */
int br_output_prepare(const struct bootrace_collect_opts *opts,
		      struct br_output *out, struct bootrace_error *err)
{
	int ret = prepare(opts, out, err);

	if (ret && err)
		err->origin = BOOTRACE_ERROR_INPUT;
	return ret;
}

static int prepare(const struct bootrace_collect_opts *opts,
		   struct br_output *out, struct bootrace_error *err)
{
	char *base;
	int ret;

	out->fd = out->dirfd = -1;
	out->force = opts->force;
	ret = resolve_paths(opts, out, err);
	if (ret)
		return ret;
	out->dirfd = open(out->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (out->dirfd < 0)
		return br_fail(err, -errno, "cannot use directory %s: %s", out->dir, strerror(errno));
	base = strdup(out->final_path);
	if (!base || asprintf(&out->tmp_path, "%s/.%s.XXXXXX", out->dir, basename(base)) < 0) {
		free(base);
		out->tmp_path = NULL;
		return br_fail(err, -ENOMEM, "out of memory");
	}
	free(base);
	/* mkostemp creates the file 0600 and never follows a link. */
	out->fd = mkostemp(out->tmp_path, O_CLOEXEC);
	if (out->fd < 0) {
		ret = -errno;
		free(out->tmp_path);
		out->tmp_path = NULL;
		if (ret == -EACCES || ret == -EPERM || ret == -EROFS)
			return br_fail(err, ret, "cannot write in %s: %s; run as root or choose another place with -o",
				       out->dir, strerror(-ret));
		return br_fail(err, ret, "cannot create a file in %s: %s", out->dir, strerror(-ret));
	}
	return 0;
}

void br_output_discard(struct br_output *out)
{
	if (out->tmp_path)
		unlink(out->tmp_path);
	if (out->created_dir && out->dir)
		rmdir(out->dir);
}

void br_output_release(struct br_output *out)
{
	if (out->fd >= 0)
		close(out->fd);
	if (out->dirfd >= 0)
		close(out->dirfd);
	free(out->dir);
	free(out->tmp_path);
	free(out->final_path);
	memset(out, 0, sizeof(*out));
	out->fd = out->dirfd = -1;
}

static int rename_noreplace(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	/* Filesystems without RENAME_NOREPLACE: link() fails on an existing name. */
	if (link(from, to) < 0)
		return -errno;
	unlink(from);
	return 0;
}

/* FINAL.partial, or FINAL.partial.N if that exists. */
static int keep_partial(struct br_output *out, char **partial)
{
	for (int n = 1; n < 100; n++) {
		int ret = n == 1 ? asprintf(partial, "%s.partial", out->final_path)
				 : asprintf(partial, "%s.partial.%d", out->final_path, n);

		if (ret < 0)
			return -ENOMEM;
		ret = rename_noreplace(out->tmp_path, *partial);
		if (ret == 0)
			return 0;
		free(*partial);
		*partial = NULL;
		if (ret != -EEXIST)
			return ret;
	}
	return -EEXIST;
}

static int make_durable(struct br_output *out, struct tracedat_writer *writer)
{
	int ret = tracedat_finish(writer);

	/* Give back the blocks reserved beyond what was written. */
	if (ftruncate(out->fd, tracedat_offset(writer)) < 0 && !ret)
		ret = -errno;
	if (fsync(out->fd) < 0 && !ret)
		ret = -errno;
	return ret;
}

int br_output_commit(struct br_output *out, struct tracedat_writer *writer,
		     int drain_ret, int write_err,
		     struct bootrace_collect_result *res,
		     struct bootrace_error *err)
{
	int ret = make_durable(out, writer);

	if (!drain_ret && !ret) {
		if (out->force)
			ret = rename(out->tmp_path, out->final_path) < 0 ? -errno : 0;
		else
			ret = rename_noreplace(out->tmp_path, out->final_path);
		if (!ret) {
			fsync(out->dirfd);
			res->output = strdup(out->final_path);
			free(out->tmp_path);
			out->tmp_path = NULL;
			return 0;
		}
	}
	if (!drain_ret)
		drain_ret = ret;
	/* Reading began: the file is never removed, only renamed. */
	if (keep_partial(out, &res->partial) < 0) {
		res->partial = out->tmp_path;
		out->tmp_path = NULL;
	}
	fsync(out->dirfd);
	out->created_dir = false;
	br_fail(err, drain_ret, "collect failed after reading began: %s; the %llu bytes read are kept in %s%s",
		write_err ? strerror(-write_err) : strerror(-drain_ret), res->total_bytes,
		res->partial, write_err ? " (the file may be incomplete)" : " (a valid, shorter trace.dat)");
	return drain_ret;
}

void br_output_save_late(const char *base, int cpu, const void *page, size_t len)
{
	char *path;
	int fd;

	if (asprintf(&path, "%s.late-cpu%d", base, cpu) < 0)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0) {
		if (write(fd, page, len) == (ssize_t)len)
			fsync(fd);
		close(fd);
	}
	br_warn("CPU %d returned %zu bytes after draining; kept in %s", cpu, len, path);
	free(path);
}

int bootrace_collection_latest(const char *state_dir, char **path,
			       struct bootrace_error *err)
{
	struct dirent **list;
	int n, ret = -ENOENT;

	n = scandir(state_dir, &list, NULL, alphasort);
	if (n < 0)
		return br_fail(err, -errno, "no collections in %s (%s): give the trace.dat to verify",
			       state_dir, strerror(errno));
	/* Directory names are UTC timestamps: the last in order is the newest. */
	for (int i = n - 1; i >= 0; i--) {
		char *candidate;

		if (ret && list[i]->d_name[0] != '.' &&
		    asprintf(&candidate, "%s/%s/trace.dat", state_dir, list[i]->d_name) > 0) {
			if (!access(candidate, F_OK)) {
				*path = candidate;
				ret = 0;
			} else {
				free(candidate);
			}
		}
		free(list[i]);
	}
	free(list);
	if (ret)
		return br_fail(err, ret, "no collection in %s: run 'bootrace collect' first, or give the trace.dat to verify",
			       state_dir);
	return 0;
}
