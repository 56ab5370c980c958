/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the bootloader backends share: files under the root, the kernel
 * command line's words, the installed kernels, and recording an edit in a
 * plan. Calls nothing of bootloader.c or of the backends.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootloader-local.h"

/* ------------------------------------------------------ files under the root */

char *bl_path(const char *root, const char *rel)
{
	char *out;

	if (!root || !strcmp(root, "/"))
		return strdup(rel);
	if (asprintf(&out, "%s%s", root, rel) < 0)
		return NULL;
	return out;
}

const char *bl_root_shown(const char *root)
{
	return root && strcmp(root, "/") ? root : "";
}

int bl_open_root(const char *root)
{
	return br_open_dir(root && *root ? root : "/");
}

bool bl_exists(const char *root, const char *rel)
{
	_cleanup_close_ int rootfd = bl_open_root(root);
	struct stat st;

	return rootfd >= 0 && !br_stat_below(rootfd, rel, &st);
}

int bl_read(const char *root, const char *rel, char **text, size_t *len)
{
	_cleanup_close_ int rootfd = bl_open_root(root);

	if (rootfd < 0)
		return rootfd;
	return br_read_at(rootfd, rel, BR_SMALL_FILE_MAX, BR_READ_UNTRUSTED, text, len);
}

DIR *bl_opendir(const char *root, const char *rel)
{
	_cleanup_close_ int rootfd = bl_open_root(root);

	if (rootfd < 0) {
		errno = -rootfd;
		return NULL;
	}
	return br_opendir_below(rootfd, rel);
}

const char *bl_read_error(int ret)
{
	switch (ret) {
	case -EINVAL:
		return "not a regular file";
	case -ELOOP:
		return "a symbolic link is on the way, and bootrace follows none inside a root";
	case -EFBIG:
		return "larger than 1 MiB";
	default:
		return strerror(-ret);
	}
}

/* ------------------------------------------------------------ words */

static bool same(const char *a, size_t n, const char *b)
{
	return b && strlen(b) == n && !strncmp(a, b, n);
}

/* reserve_mem=SIZE:ALIGN:LABEL with bootrace's label. */
static bool reserve_mem_conflicts(const struct br_cmdline_word *w,
				  const struct bootrace_setup_opts *opts)
{
	const char *end = w->val + w->val_len, *label = NULL;

	for (const char *c = w->val; c < end; c++)
		if (*c == ':')
			label = c + 1;
	return label && same(label, end - label, opts->label);
}

/* trace_instance=NAME[^FLAGS][@LABEL[,EVENTS]] or NAME=SOURCE with bootrace's names. */
static bool trace_instance_conflicts(const struct br_cmdline_word *w,
				     const struct bootrace_setup_opts *opts)
{
	const char *v = w->val, *end = w->val + w->val_len;
	const char *at = memchr(v, '@', end - v), *eq = memchr(v, '=', end - v);
	const char *caret = memchr(v, '^', end - v);
	const char *name_end = at ? at : eq ? eq : end;
	const char *label_end;

	if (caret && caret < name_end)
		name_end = caret;
	if (same(v, name_end - v, opts->persistent) || same(v, name_end - v, opts->backup))
		return true;
	if (!at)
		return false;
	label_end = memchr(at, ',', end - at);
	return same(at + 1, (label_end ? label_end : end) - at - 1, opts->label);
}

int bl_conflicts(const char *cmdline, const char *where,
		 const struct bootrace_setup_opts *opts,
		 struct bootrace_error *err)
{
	struct br_cmdline_word w;
	bool bad;

	while (br_cmdline_word_next(&cmdline, &w)) {
		if (br_cmdline_word_is(&w, "reserve_mem"))
			bad = reserve_mem_conflicts(&w, opts);
		else if (br_cmdline_word_is(&w, "trace_instance"))
			bad = trace_instance_conflicts(&w, opts);
		else
			bad = false;
		if (bad)
			return br_fail(err, -EEXIST,
				       "%s already has '%.*s', which uses bootrace's label or instance names: "
				       "remove it there, or choose another --label, --persistent or --backup",
				       where, (int)(w.len > 120 ? 120 : w.len), w.word);
	}
	return 0;
}

/* The same parameter and value, as the kernel reads them. */
static bool same_word(const struct br_cmdline_word *a, const struct br_cmdline_word *b)
{
	return a->param_len == b->param_len && br_cmdline_param_eq(a->param, b->param, a->param_len) &&
	       !a->val == !b->val && a->val_len == b->val_len &&
	       (!a->val || !memcmp(a->val, b->val, a->val_len));
}

/* Do the words from @text on start with all the words of @fragment? */
static bool words_start_with(const char *text, const char *fragment)
{
	struct br_cmdline_word a, b;

	while (br_cmdline_word_next(&fragment, &b))
		if (!br_cmdline_word_next(&text, &a) || !same_word(&a, &b))
			return false;
	return true;
}

bool bl_has_words(const char *cmdline, const char *fragment)
{
	const char *p = cmdline, *probe = fragment;
	struct br_cmdline_word w;

	if (!br_cmdline_word_next(&probe, &w))
		return false;
	for (const char *at = p; br_cmdline_word_next(&p, &w); at = p)
		if (words_start_with(at, fragment))
			return true;
	return false;
}

/* ---------------------------------------------------------- kernels */

char *bl_release_of_image(const char *path)
{
	const char *base = strrchr(path, '/');
	static const char *const prefixes[] = { "vmlinuz-", "vmlinux-", "bzImage-", "kernel-" };

	base = base ? base + 1 : path;
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (!strncmp(base, prefixes[i], strlen(prefixes[i])))
			return strdup(base + strlen(prefixes[i]));
	return NULL;
}

static void consider(char **best, const char *release)
{
	struct bootrace_kernel_release kr;

	if (bootrace_kernel_release_parse(release, &kr, NULL))
		return;
	if (!*best || strverscmp(release, *best) > 0) {
		free(*best);
		*best = strdup(release);
	}
}

/* ROOT/boot/vmlinuz-RELEASE */
static void consider_boot(const char *root, char **best)
{
	struct dirent *de;
	DIR *d = bl_opendir(root, "/boot");

	while (d && (de = readdir(d)))
		if (!strncmp(de->d_name, "vmlinuz-", 8))
			consider(best, de->d_name + 8);
	if (d)
		closedir(d);
}

/* ROOT/usr/lib/modules/RELEASE/vmlinuz */
static void consider_modules(const char *root, char **best)
{
	struct dirent *de;
	DIR *d = bl_opendir(root, "/usr/lib/modules");

	while (d && (de = readdir(d))) {
		char rel[512];

		snprintf(rel, sizeof(rel), "/usr/lib/modules/%s/vmlinuz", de->d_name);
		if (de->d_name[0] != '.' && bl_exists(root, rel))
			consider(best, de->d_name);
	}
	if (d)
		closedir(d);
}

/* As Debian's /etc/grub.d/10_linux orders them: version_sort, newest first. */
char *bl_newest_kernel(const char *root, char **image)
{
	char *best = NULL;

	consider_boot(root, &best);
	consider_modules(root, &best);
	if (best && image) {
		char rel[512];

		snprintf(rel, sizeof(rel), "/boot/vmlinuz-%s", best);
		if (!bl_exists(root, rel))
			snprintf(rel, sizeof(rel), "/usr/lib/modules/%s/vmlinuz", best);
		*image = strdup(rel);
	}
	return best;
}

int bl_newest_kernel_next(const char *root, char **release, char **how,
			  struct bootrace_error *err)
{
	const char *shown = bl_root_shown(root);

	*release = bl_newest_kernel(root, NULL);
	if (!*release)
		return br_fail(err, -ENOENT, "no kernel found in %s/boot or %s/usr/lib/modules",
			       shown, shown);
	*how = strdup("the newest installed kernel");
	return 0;
}

char **bl_argv(const char *first, ...)
{
	char **argv = calloc(16, sizeof(*argv));
	const char *a;
	va_list ap;
	int n = 0;

	if (!argv)
		return NULL;
	va_start(ap, first);
	for (a = first; a && n < 15; a = va_arg(ap, const char *))
		if (!(argv[n++] = strdup(a)))
			break;
	va_end(ap);
	if (n && !argv[n - 1]) {
		bootrace_strv_free(argv);
		return NULL;
	}
	return argv;
}

/* ------------------------------------------------------------ plans */

int bl_plan_edit(struct bootrace_setup_plan *plan, const char *rel, unsigned int flags,
		 char *old_text, size_t old_len, char *new_text, size_t new_len)
{
	_cleanup_free_ char *old = old_text, *new = new_text;
	struct bootrace_file_edit *tmp, *e;

	if (!old && !new)
		return 0;
	if (old && new && old_len == new_len && !memcmp(old, new, new_len))
		return 0;
	tmp = realloc(plan->edits, (plan->nr_edits + 1) * sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	plan->edits = tmp;
	e = &plan->edits[plan->nr_edits];
	memset(e, 0, sizeof(*e));
	e->path = strdup(rel);
	if (!e->path)
		return -ENOMEM;
	plan->nr_edits++;
	e->existed = old != NULL;
	e->old_len = old ? old_len : 0;
	e->old_text = TAKE_PTR(old);
	e->remove = !new;
	e->new_len = new ? new_len : 0;
	e->new_text = TAKE_PTR(new);
	e->own_dir = flags & BL_EDIT_OWN_DIR;
	return 0;
}
