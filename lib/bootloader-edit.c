/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A setup plan's edits: shown as a unified diff (--dry-run), written
 * atomically (temporary file, fsync, rename, owner and mode kept), and the
 * bootloader's regeneration run after them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "bootloader-local.h"

/* ------------------------------------------------------------- diff */

struct lines {
	const char **start;
	size_t *len;			/* with its '\n', if any */
	size_t n;
};

static int split_lines(const char *text, size_t len, struct lines *l)
{
	size_t cap = 1;

	for (size_t i = 0; i < len; i++)
		cap += text[i] == '\n';
	l->start = calloc(cap, sizeof(*l->start));
	l->len = calloc(cap, sizeof(*l->len));
	l->n = 0;
	if (!l->start || !l->len)
		return -ENOMEM;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (text + i)) + 1 : len - i;

		l->start[l->n] = text + i;
		l->len[l->n++] = n;
		i += n;
	}
	return 0;
}

static bool line_eq(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
	return a->len[i] == b->len[j] && !memcmp(a->start[i], b->start[j], a->len[i]);
}

static void put_line(FILE *f, char mark, const char *s, size_t n)
{
	fputc(mark, f);
	fwrite(s, 1, n, f);
	if (!n || s[n - 1] != '\n')
		fputs("\n\\ No newline at end of file\n", f);
}

#define CONTEXT 3

/* Our edits change one region of a file: one hunk, common lines around it. */
static void diff_edit(FILE *f, const struct bootrace_file_edit *e)
{
	struct lines a = { 0 }, b = { 0 };
	size_t pre = 0, suf = 0, from, a_end, b_end;

	if (split_lines(e->existed ? e->old_text : "", e->existed ? e->old_len : 0, &a) ||
	    split_lines(e->remove ? "" : e->new_text, e->remove ? 0 : e->new_len, &b))
		goto out;
	while (pre < a.n && pre < b.n && line_eq(&a, pre, &b, pre))
		pre++;
	while (suf < a.n - pre && suf < b.n - pre &&
	       line_eq(&a, a.n - 1 - suf, &b, b.n - 1 - suf))
		suf++;
	from = pre > CONTEXT ? pre - CONTEXT : 0;
	a_end = a.n - suf + (suf > CONTEXT ? CONTEXT : suf);
	b_end = b.n - suf + (suf > CONTEXT ? CONTEXT : suf);
	fprintf(f, "--- %s%s\n+++ %s%s\n",
		e->existed ? "a" : "/dev/null", e->existed ? e->path : "",
		e->remove ? "/dev/null" : "b", e->remove ? "" : e->path);
	fprintf(f, "@@ -%zu,%zu +%zu,%zu @@\n",
		a_end > from ? from + 1 : from, a_end - from,
		b_end > from ? from + 1 : from, b_end - from);
	for (size_t i = from; i < pre; i++)
		put_line(f, ' ', a.start[i], a.len[i]);
	for (size_t i = pre; i < a.n - suf; i++)
		put_line(f, '-', a.start[i], a.len[i]);
	for (size_t i = pre; i < b.n - suf; i++)
		put_line(f, '+', b.start[i], b.len[i]);
	for (size_t i = a.n - suf; i < a_end; i++)
		put_line(f, ' ', a.start[i], a.len[i]);
out:
	free(a.start);
	free(a.len);
	free(b.start);
	free(b.len);
}

int bootrace_setup_diff(const struct bootrace_setup_plan *plan, char **diff)
{
	size_t len;
	FILE *f = open_memstream(diff, &len);

	if (!f)
		return -ENOMEM;
	for (int i = 0; i < plan->nr_edits; i++)
		diff_edit(f, &plan->edits[i]);
	return fclose(f) ? -ENOMEM : 0;
}

/* ------------------------------------------------------------ apply */

/* The deepest existing ancestor of @path must be writable (not a read-only mount). */
static int check_writable(const char *path, struct bootrace_error *err)
{
	_cleanup_free_ char *dir = strdup(path);
	struct statvfs sv;

	if (!dir)
		return -ENOMEM;
	for (;;) {
		char *slash = strrchr(dir, '/');

		if (!slash)
			break;
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (!access(dir, F_OK))
			break;
		if (slash == dir)
			break;
	}
	if (!statvfs(dir, &sv) && (sv.f_flag & ST_RDONLY))
		return br_fail(err, -EROFS, "%s is on a read-only file system: nothing was changed; remount it read-write, or use --bootloader print",
			       dir);
	if (access(dir, W_OK))
		return br_fail(err, -errno, "cannot write in %s: %s; nothing was changed", dir, strerror(errno));
	return 0;
}

/* The directory for a file: 0755, or 0700 when it is bootrace's own (its parents 0755). */
static int make_dir(char *dir, bool own)
{
	char *slash = strrchr(dir, '/');
	int ret;

	if (!own)
		return br_mkdir_p(dir, 0755);
	if (slash && slash != dir) {
		*slash = '\0';
		ret = br_mkdir_p(dir, 0755);
		*slash = '/';
		if (ret)
			return ret;
	}
	return mkdir(dir, 0700) && errno != EEXIST ? -errno : 0;
}

/* Write @path (the root's, absolute) as @e says, atomically. */
static int write_edit(const char *path, const struct bootrace_file_edit *e,
		      struct bootrace_error *err)
{
	_cleanup_free_ char *dir = strdup(path);
	_cleanup_close_ int dirfd = -1;
	const char *name;
	int ret;

	if (!dir)
		return br_fail(err, -ENOMEM, "out of memory");
	name = strrchr(path, '/') + 1;
	/* "/NAME": the directory is "/". */
	dir[name - path - (name - path > 1)] = '\0';
	ret = make_dir(dir, e->own_dir);
	if (ret)
		return br_fail(err, ret, "cannot create %s: %s", dir, strerror(-ret));
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return br_fail(err, -errno, "cannot open %s: %s", dir, strerror(errno));
	/* bootrace's own file is always 0600; a configuration file keeps owner and mode. */
	ret = br_replace_at(dirfd, name, e->new_text, e->new_len, e->own_dir ? 0600 : 0644,
			    e->own_dir ? 0 : BR_REPLACE_KEEP_MODE);
	if (ret)
		return br_fail(err, ret, "cannot write %s: %s", path, strerror(-ret));
	return 0;
}

/* Delete @path (the root's, absolute), and bootrace's own directory once empty. */
static int remove_edit(const char *path, const struct bootrace_file_edit *e,
		       struct bootrace_error *err)
{
	_cleanup_free_ char *dir = strdup(path);

	if (!dir)
		return br_fail(err, -ENOMEM, "out of memory");
	if (unlink(path))
		return br_fail(err, -errno, "cannot remove %s: %s", path, strerror(errno));
	*strrchr(dir, '/') = '\0';
	br_fsync_dir(*dir ? dir : "/");
	if (e->own_dir && !rmdir(dir)) {
		*strrchr(dir, '/') = '\0';
		br_fsync_dir(*dir ? dir : "/");
	}
	return 0;
}

int bootrace_setup_apply(const struct bootrace_setup_plan *plan,
			 struct bootrace_error *err)
{
	int ret;

	/* Refuse before the first change, not halfway. */
	for (int i = 0; i < plan->nr_edits; i++) {
		_cleanup_free_ char *p = bl_path(plan->root, plan->edits[i].path);

		if (!p)
			return br_fail(err, -ENOMEM, "out of memory");
		ret = check_writable(p, err);
		if (ret)
			return ret;
	}
	for (int i = 0; i < plan->nr_edits; i++) {
		const struct bootrace_file_edit *e = &plan->edits[i];
		_cleanup_free_ char *p = bl_path(plan->root, e->path);

		if (!p)
			return br_fail(err, -ENOMEM, "out of memory");
		ret = e->remove ? remove_edit(p, e, err) : write_edit(p, e, err);
		if (ret)
			return ret;
	}
	return 0;
}

/* ------------------------------------------------------ regenerate */

#define REGENERATE_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Our environment with PATH replaced; the strings are environ's. */
static char **environment_with(const char *path)
{
	size_t n = 0, j = 0;
	char **envp;

	for (char **e = environ; e && *e; e++)
		n++;
	envp = calloc(n + 2, sizeof(*envp));
	if (!envp)
		return NULL;
	envp[j++] = (char *)path;
	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, "PATH=", 5))
			envp[j++] = *e;
	return envp;
}

int bootrace_setup_regenerate(const struct bootrace_setup_plan *plan,
			      struct bootrace_error *err)
{
	_cleanup_free_ char **envp = NULL;
	int ret;

	if (!plan->regenerate)
		return 0;
	envp = environment_with(REGENERATE_PATH);
	if (!envp)
		return br_fail(err, -ENOMEM, "out of memory");
	/* Its chatter goes to stderr: bootrace's stdout stays its own. */
	fflush(stdout);
	ret = br_spawn_wait(plan->regenerate, envp, NULL, 0);
	if (!ret)
		return 0;
	if (ret == -ENOENT || ret == 127)
		return br_fail(err, -ENOENT, "cannot run '%s': not found; the configuration is written, regenerate the boot files yourself",
			       plan->regenerate_text);
	if (ret < 0)
		return br_fail(err, ret, "cannot run %s: %s", plan->regenerate[0], strerror(-ret));
	return br_fail(err, -EIO, "'%s' failed (exit status %d): the configuration is written, but the boot files may not carry it yet",
		       plan->regenerate_text, ret);
}
