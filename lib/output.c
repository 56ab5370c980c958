/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The output file's life: checked before anything is read, written under
 * a temporary name in the target directory, made durable with fsync, and
 * only then renamed. The files hold kernel addresses, so they are 0600.
 * A new collection notes before the first read what the next collect
 * needs to finish it if this one is killed (recover.c).
 */
#include <sys/file.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootrace-local.h"
#include "collection.h"
#include "output.h"
#include "recover.h"

/* Infix of the file collect --compress writes beside the temporary one. */
#define COMPRESSING "zst-"

static int rename_noreplace(const char *from, const char *to)
{
	return br_rename_noreplace(AT_FDCWD, from, AT_FDCWD, to);
}

/* One collect at a time per state directory: at boot and by hand can meet. */
static int lock_state_dir(const char *state_dir, struct br_output *out,
			  struct bootrace_error *err)
{
	char *path;

	if (out->lock_fd >= 0)
		return 0;
	if (asprintf(&path, "%s/.lock", state_dir) < 0)
		return br_fail(err, -ENOMEM, "out of memory");
	out->lock_fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	free(path);
	if (out->lock_fd < 0)
		return br_fail(err, -errno, "cannot lock %s: %s", state_dir, strerror(errno));
	if (flock(out->lock_fd, LOCK_EX | LOCK_NB) < 0)
		return br_fail(err, -EBUSY, "another bootrace collect is writing to %s; wait for it to finish",
			       state_dir);
	return 0;
}

int br_output_recover(struct bootrace_ctx *ctx, struct br_output *out, char ***recovered,
		      struct bootrace_error *err)
{
	const char *state_dir = bootrace_ctx_state_dir(ctx);
	_cleanup_close_ int statefd = -1;
	int ret;

	*recovered = NULL;
	/* No state directory yet, or none to be had: prepare says so. */
	if (br_mkdir_p(state_dir, 0700))
		return 0;
	ret = lock_state_dir(state_dir, out, err);
	if (ret)
		return ret;
	statefd = br_open_dir(state_dir);
	if (statefd < 0)
		return 0;
	return br_recover_state_dir(ctx, statefd, state_dir, recovered);
}

/*
 * A new collection is built in STATE_DIR/.new-XXXXXX and renamed to
 * STATE_DIR/<UTC time>Z-<boot id> only when it is complete (see
 * br_output_commit): a directory under a visible name is never half
 * written. The name is chosen now, so messages can give it.
 */
static int make_collection_dir(struct bootrace_ctx *ctx, struct br_output *out,
			       struct bootrace_error *err)
{
	const char *state_dir = bootrace_ctx_state_dir(ctx);
	_cleanup_free_ char *name = NULL;
	int ret;

	ret = br_mkdir_p(state_dir, 0700);
	if (ret)
		return br_fail(err, ret, "cannot create %s: %s; choose a file with -o",
			       state_dir, strerror(-ret));
	ret = lock_state_dir(state_dir, out, err);
	if (ret)
		return ret;
	if (br_collection_new_name(&name) ||
	    asprintf(&out->final_dir, "%s/%s", state_dir, name) < 0 ||
	    asprintf(&out->dir, "%s/.new-XXXXXX", state_dir) < 0) {
		out->dir = NULL;
		return br_fail(err, -ENOMEM, "out of memory");
	}
	out->state_dir = strdup(state_dir);
	if (!out->state_dir)
		return br_fail(err, -ENOMEM, "out of memory");
	if (!mkdtemp(out->dir)) {
		ret = -errno;
		free(out->dir);
		out->dir = NULL;
		return br_fail(err, ret, "cannot create a directory in %s: %s",
			       state_dir, strerror(-ret));
	}
	return 0;
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

static int resolve_paths(struct bootrace_ctx *ctx, const struct bootrace_collect_opts *opts,
			 struct br_output *out, struct bootrace_error *err)
{
	char *copy;
	int ret;

	if (!opts->output) {
		ret = make_collection_dir(ctx, out, err);
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

static int prepare(struct bootrace_ctx *ctx, const struct bootrace_collect_opts *opts,
		   struct br_output *out, struct bootrace_error *err);

/* Every failure here is about the path the user gave (or the default one). */
int br_output_prepare(struct bootrace_ctx *ctx, const struct bootrace_collect_opts *opts,
		      struct br_output *out, struct bootrace_error *err)
{
	int ret = prepare(ctx, opts, out, err);

	if (ret && err)
		err->origin = BOOTRACE_ERROR_INPUT;
	return ret;
}

static int prepare(struct bootrace_ctx *ctx, const struct bootrace_collect_opts *opts,
		   struct br_output *out, struct bootrace_error *err)
{
	char *base;
	int ret;

	out->fd = out->dirfd = -1;
	out->force = opts->force;
	out->compress = opts->compress;
	ret = resolve_paths(ctx, opts, out, err);
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

int br_output_mark(struct br_output *out, const struct tracedat_writer *writer,
		   const char *instance, unsigned long long entries,
		   struct bootrace_error *err)
{
	_cleanup_free_ char *text = NULL;
	struct tracedat_layout layout;
	int ret;

	if (!out->created_dir)
		return 0;
	tracedat_layout_of(writer, &layout);
	text = br_recover_marker_text(strrchr(out->final_dir, '/') + 1, strrchr(out->tmp_path, '/') + 1,
				      &layout, instance, entries);
	if (!text)
		return br_fail(err, -ENOMEM, "out of memory");
	ret = br_replace_at(out->dirfd, BR_COLLECTING_FILE, text, strlen(text), 0600, 0);
	if (ret)
		return br_fail(err, ret, "cannot write in %s: %s; nothing was read", out->dir,
			       strerror(-ret));
	out->marked = true;
	return 0;
}

void br_output_discard(struct br_output *out)
{
	if (out->tmp_path)
		unlink(out->tmp_path);
	if (out->marked)
		unlinkat(out->dirfd, BR_COLLECTING_FILE, 0);
	if (out->created_dir && out->dir)
		rmdir(out->dir);
}

void br_output_release(struct br_output *out)
{
	if (out->fd >= 0)
		close(out->fd);
	if (out->dirfd >= 0)
		close(out->dirfd);
	if (out->lock_fd >= 0)
		close(out->lock_fd);
	free(out->dir);
	free(out->final_dir);
	free(out->state_dir);
	free(out->tmp_path);
	free(out->final_path);
	memset(out, 0, sizeof(*out));
	out->fd = out->dirfd = out->lock_fd = -1;
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

/*
 * The directory is complete (its sidecar written before the trace took
 * its name): the note for the next collect goes, then the directory takes
 * its visible name (with ".partial" when the trace is not whole), and the
 * state directory is synced so the rename survives a crash. On return
 * *path (a file inside the directory) names its new place.
 */
static int seal_collection(struct br_output *out, bool partial, char **path)
{
	char *target = NULL, *moved;
	const char *base = strrchr(*path, '/') + 1;
	int ret = -EEXIST;

	/* Complete: nothing for the next collect to finish. */
	if (out->marked && !unlinkat(out->dirfd, BR_COLLECTING_FILE, 0)) {
		out->marked = false;
		fsync(out->dirfd);
	}
	for (int n = 1; n < 100 && ret == -EEXIST; n++) {
		free(target);
		const char *suffix = partial ? ".partial" : "";
		int len = n == 1 ? asprintf(&target, "%s%s", out->final_dir, suffix)
				 : asprintf(&target, "%s-%d%s", out->final_dir, n, suffix);

		if (len < 0)
			return -ENOMEM;
		ret = rename_noreplace(out->dir, target);
	}
	if (ret) {
		free(target);
		return ret;
	}
	if (asprintf(&moved, "%s/%s", target, base) < 0)
		moved = NULL;
	free(target);
	if (!moved)
		return -ENOMEM;
	free(*path);
	*path = moved;
	out->created_dir = false;
	br_fsync_dir(out->state_dir);
	return 0;
}

/*
 * --compress: the finished, fsync()ed version 6 file becomes version 7 with
 * zstd beside it, which then takes its temporary name. Any failure leaves
 * the version 6 file as it is: compression is never worth a lost trace.
 */
static void compress(struct bootrace_ctx *ctx, struct br_output *out)
{
	const char *what = NULL;
	char *path;
	int fd, ret;

	/* .NAME.zst-XXXXXX beside .NAME.XXXXXX: recovery drops it (see below). */
	if (asprintf(&path, "%.*s" COMPRESSING "XXXXXX", (int)strlen(out->tmp_path) - 6,
		     out->tmp_path) < 0)
		return;
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		br_warn(ctx, "cannot compress the trace (%s): it is kept uncompressed", strerror(errno));
		free(path);
		return;
	}
	ret = tracedat_write_v7(out->fd, fd, &what);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (!ret && rename(path, out->tmp_path) < 0)
		ret = -errno;
	close(fd);
	if (ret) {
		unlink(path);
		br_warn(ctx, "cannot compress the trace (%s%s%s): it is kept uncompressed", strerror(-ret),
			what ? " at " : "", what ? what : "");
	} else {
		br_info(ctx, "trace compressed with zstd (trace.dat version 7)");
	}
	free(path);
}

int br_output_commit(struct bootrace_ctx *ctx, struct br_output *out, struct tracedat_writer *writer,
		     int drain_ret, struct bootrace_collect_result *res,
		     struct bootrace_error *err)
{
	int ret = make_durable(out, writer);

	/*
	 * The sidecar before the trace takes its name: a directory with
	 * trace.dat in it also has its info, wherever a cut falls.
	 */
	if (out->created_dir)
		br_collection_info_write(out->dirfd, drain_ret || ret ? "trace.dat.partial" : "trace.dat",
					 drain_ret || ret, false, res);
	if (!drain_ret && !ret && out->compress)
		compress(ctx, out);
	if (!drain_ret && !ret) {
		if (out->force)
			ret = rename(out->tmp_path, out->final_path) < 0 ? -errno : 0;
		else
			ret = rename_noreplace(out->tmp_path, out->final_path);
		if (!ret) {
			fsync(out->dirfd);
			free(out->tmp_path);
			out->tmp_path = NULL;
			res->output = strdup(out->final_path);
			if (!res->output)
				ret = -ENOMEM;
			else if (out->created_dir)
				ret = seal_collection(out, false, &res->output);
			if (!ret)
				return 0;
			/* The file is whole, only the directory's name is not final. */
			res->partial = res->output;
			res->output = NULL;
			return br_fail(err, ret, "cannot name the collection %s: %s", out->final_dir,
				       strerror(-ret));
		}
		br_fail(err, ret, "cannot rename the trace to %s: %s", out->final_path, strerror(-ret));
	} else if (ret) {
		br_fail(err, ret, "cannot complete the trace: %s", strerror(-ret));
	}
	if (!drain_ret)
		drain_ret = ret;
	/* Reading began: the file is never removed, only renamed. */
	if (keep_partial(out, &res->partial) < 0) {
		res->partial = out->tmp_path;
		out->tmp_path = NULL;
	}
	fsync(out->dirfd);
	if (out->created_dir)
		seal_collection(out, true, &res->partial);
	out->created_dir = false;
	return drain_ret;
}

int br_output_save_late(const struct bootrace_ctx *ctx, const char *base, int cpu, const void *page,
			size_t len, const char *why)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	int ret = 0;

	if (asprintf(&path, "%s.late-cpu%d", base, cpu) < 0)
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		ret = -errno;
	for (size_t done = 0; !ret && done < len;) {
		ssize_t n = write(fd, (const char *)page + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			ret = n < 0 ? -errno : -EIO;
		else
			done += n;
	}
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (why && !ret)
		br_warn(ctx, "CPU %d: %zu bytes %s; kept in %s", cpu, len, why, path);
	else if (why)
		br_warn(ctx, "CPU %d: %zu bytes %s could not be kept in %s (%s): they are lost", cpu, len,
			why, path, strerror(-ret));
	return ret;
}
