/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A setup plan's edits: shown as a unified diff (--dry-run), written
 * atomically (temporary file, fsync, rename, owner and mode kept) below
 * the root and never through a link in it, and the bootloader's
 * regeneration run after them.
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

/*
 * Every edit is made below the root, never through a link in it: an image
 * whose /etc/default is a link to the host's /etc must not get a file
 * written there (see br_open_below()).
 */

/* The directory part of REL ("/etc/kernel" of "/etc/kernel/cmdline"; "" for "/x"). */
static char *parent_of(const char *rel)
{
	const char *slash = strrchr(rel, '/');

	return strndup(rel, slash ? (size_t)(slash - rel) : 0);
}

/*
 * The deepest existing directory on the way to @rel must be writable (not
 * a read-only mount), and none on the way a link.
 */
static int check_writable(int rootfd, const char *root, const char *rel,
			  struct bootrace_error *err)
{
	_cleanup_free_ char *dir = parent_of(rel);
	_cleanup_close_ int fd = -1;
	struct statvfs sv;
	struct stat st;
	int ret;

	if (!dir)
		return br_fail(err, -ENOMEM, "out of memory");
	for (;;) {
		char *slash;

		ret = br_stat_below(rootfd, *dir ? dir : "/", &st);
		if (ret == -ELOOP)
			return br_fail(err, ret, "%s%s is a symbolic link: bootrace writes nothing through a link inside a root, where it could lead anywhere; nothing was changed",
				       bl_root_shown(root), dir);
		if (!ret && !S_ISDIR(st.st_mode))
			return br_fail(err, -ENOTDIR, "%s%s is not a directory: nothing was changed",
				       bl_root_shown(root), dir);
		if (!ret || !*dir)
			break;
		if (ret != -ENOENT)
			return br_fail(err, ret, "cannot look at %s%s: %s; nothing was changed",
				       bl_root_shown(root), dir, strerror(-ret));
		slash = strrchr(dir, '/');
		*slash = '\0';
	}
	fd = br_open_below(rootfd, *dir ? dir : "/", O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return br_fail(err, fd, "cannot open %s%s: %s", bl_root_shown(root), dir, strerror(-fd));
	if (!fstatvfs(fd, &sv) && (sv.f_flag & ST_RDONLY))
		return br_fail(err, -EROFS, "%s%s is on a read-only file system: nothing was changed; remount it read-write, or use --bootloader print",
			       bl_root_shown(root), *dir ? dir : "/");
	if (faccessat(fd, ".", W_OK, 0))
		return br_fail(err, -errno, "cannot write in %s%s: %s; nothing was changed",
			       bl_root_shown(root), *dir ? dir : "/", strerror(errno));
	return 0;
}

/* Write ROOT/REL as @e says, atomically, its missing directories made 0700. */
static int write_edit(int rootfd, const char *root, const struct bootrace_file_edit *e,
		      struct bootrace_error *err)
{
	_cleanup_free_ char *dir = parent_of(e->path);
	_cleanup_close_ int dirfd = -1;
	const char *name = strrchr(e->path, '/') + 1;
	int ret;

	if (!dir)
		return br_fail(err, -ENOMEM, "out of memory");
	dirfd = br_mkdir_below(rootfd, *dir ? dir : "/", 0700);
	if (dirfd < 0)
		return br_fail(err, dirfd, "cannot create %s%s: %s", bl_root_shown(root), dir,
			       bl_read_error(dirfd));
	/* bootrace's own file is always 0600; a configuration file keeps owner and mode. */
	ret = br_replace_at(dirfd, name, e->new_text, e->new_len, e->own_dir ? 0600 : 0644,
			    e->own_dir ? 0 : BR_REPLACE_KEEP_MODE);
	if (ret)
		return br_fail(err, ret, "cannot write %s%s: %s", bl_root_shown(root), e->path,
			       strerror(-ret));
	return 0;
}

/* Delete ROOT/REL, and bootrace's own directory once empty. */
static int remove_edit(int rootfd, const char *root, const struct bootrace_file_edit *e,
		       struct bootrace_error *err)
{
	_cleanup_free_ char *dir = parent_of(e->path), *up = NULL;
	_cleanup_close_ int dirfd = -1, upfd = -1;
	const char *name = strrchr(e->path, '/') + 1;

	if (!dir)
		return br_fail(err, -ENOMEM, "out of memory");
	dirfd = br_open_below(rootfd, *dir ? dir : "/", O_RDONLY | O_DIRECTORY, 0);
	if (dirfd < 0)
		return br_fail(err, dirfd, "cannot remove %s%s: %s", bl_root_shown(root), e->path,
			       bl_read_error(dirfd));
	if (unlinkat(dirfd, name, 0))
		return br_fail(err, -errno, "cannot remove %s%s: %s", bl_root_shown(root), e->path,
			       strerror(errno));
	fsync(dirfd);
	if (!e->own_dir || !*dir)
		return 0;
	up = parent_of(dir);
	upfd = up ? br_open_below(rootfd, *up ? up : "/", O_RDONLY | O_DIRECTORY, 0) : -1;
	if (upfd >= 0 && !unlinkat(upfd, strrchr(dir, '/') + 1, AT_REMOVEDIR))
		fsync(upfd);
	return 0;
}

int bootrace_setup_apply(const struct bootrace_setup_plan *plan,
			 struct bootrace_error *err)
{
	_cleanup_close_ int rootfd = bl_open_root(plan->root);
	int ret;

	if (rootfd < 0)
		return br_fail(err, rootfd, "cannot open %s: %s", plan->root, strerror(-rootfd));
	/* Refuse before the first change, not halfway. */
	for (int i = 0; i < plan->nr_edits; i++) {
		ret = check_writable(rootfd, plan->root, plan->edits[i].path, err);
		if (ret)
			return ret;
	}
	for (int i = 0; i < plan->nr_edits; i++) {
		const struct bootrace_file_edit *e = &plan->edits[i];

		ret = e->remove ? remove_edit(rootfd, plan->root, e, err) :
				  write_edit(rootfd, plan->root, e, err);
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
