/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Installing the command line into a bootloader, reversibly: a plan of
 * file edits under a root (so --dry-run can show it as a diff), applied
 * atomically, then the bootloader's own regeneration. The GRUB and
 * kernel-install specifics live in bootloader-grub.c and
 * bootloader-kernel-install.c.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bootloader-local.h"

static const char *const names[] = {
	[BOOTRACE_BOOTLOADER_AUTO] = "auto",
	[BOOTRACE_BOOTLOADER_GRUB] = "grub",
	[BOOTRACE_BOOTLOADER_KERNEL_INSTALL] = "kernel-install",
	[BOOTRACE_BOOTLOADER_PRINT] = "print",
};

const char *bootrace_bootloader_name(enum bootrace_bootloader bl)
{
	return bl < ARRAY_SIZE(names) ? names[bl] : "?";
}

int bootrace_bootloader_parse(const char *name, enum bootrace_bootloader *bl,
			      struct bootrace_error *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (name && !strcmp(name, names[i])) {
			*bl = i;
			return 0;
		}
	br_fail(err, -EINVAL, "unknown bootloader '%.40s': use grub, kernel-install or print", name ? name : "");
	if (err)
		err->origin = BOOTRACE_ERROR_INPUT;
	return -EINVAL;
}

char *bl_path(const char *root, const char *rel)
{
	char *out;

	if (!root || !strcmp(root, "/"))
		return strdup(rel);
	if (asprintf(&out, "%s%s", root, rel) < 0)
		return NULL;
	return out;
}

bool bl_exists(const char *root, const char *rel)
{
	char *p = bl_path(root, rel);
	bool ok = p && !access(p, F_OK);

	free(p);
	return ok;
}

int bl_read(const char *root, const char *rel, char **text, size_t *len)
{
	char *p = bl_path(root, rel);
	struct stat st;
	int ret;

	if (!p)
		return -ENOMEM;
	if (lstat(p, &st))
		ret = -errno;
	else if (!S_ISREG(st.st_mode))
		ret = -EINVAL;
	else
		ret = br_read_file(p, text, len);
	free(p);
	return ret;
}

int bootrace_bootloader_detect(const char *root, enum bootrace_bootloader *bl,
			       struct bootrace_error *err)
{
	const char *shown = root ? root : "/";

	/* An /etc/kernel/cmdline is a deliberate choice; GRUB next; then kernel-install alone. */
	if (bl_ki_present(root, true))
		*bl = BOOTRACE_BOOTLOADER_KERNEL_INSTALL;
	else if (bl_grub_present(root))
		*bl = BOOTRACE_BOOTLOADER_GRUB;
	else if (bl_ki_present(root, false))
		*bl = BOOTRACE_BOOTLOADER_KERNEL_INSTALL;
	else
		return br_fail(err, -ENOENT,
			       "no known bootloader under %s (neither /etc/default/grub nor kernel-install with /etc/kernel/cmdline or loader entries): "
			       "use '--bootloader print' and add the line yourself", shown);
	return 0;
}

/* ------------------------------------------------------------ words */

static const char *word_next(const char *p, const char **w, size_t *n)
{
	bool quoted = false;

	while (*p && isspace((unsigned char)*p))
		p++;
	*w = p;
	while (*p && (quoted || !isspace((unsigned char)*p))) {
		if (*p == '"')
			quoted = !quoted;
		p++;
	}
	*n = p - *w;
	return p;
}

bool bl_has_words(const char *text, const char *fragment)
{
	size_t n = strlen(fragment);
	const char *p = text;

	if (!n)
		return false;
	while ((p = strstr(p, fragment))) {
		bool start = p == text || isspace((unsigned char)p[-1]) || p[-1] == '"';
		bool end = !p[n] || isspace((unsigned char)p[n]) || p[n] == '"';

		if (start && end)
			return true;
		p++;
	}
	return false;
}

static bool same(const char *a, size_t n, const char *b)
{
	return b && strlen(b) == n && !strncmp(a, b, n);
}

int bl_conflicts(const char *cmdline, const char *where,
		 const struct bootrace_setup_opts *opts,
		 struct bootrace_error *err)
{
	const char *p = cmdline, *w;
	size_t n;

	while (*(p = word_next(p, &w, &n)) || n) {
		const char *v = memchr(w, '=', n), *end = w + n;
		bool bad = false;

		if (!n)
			break;
		if (!v)
			continue;
		v++;
		if (v - w == 12 && !strncmp(w, "reserve_mem=", 12)) {
			const char *label = NULL;

			for (const char *c = v; c < end; c++)
				if (*c == ':')
					label = c + 1;
			bad = label && same(label, end - label, opts->label);
		} else if (v - w == 15 && !strncmp(w, "trace_instance=", 15)) {
			const char *at = memchr(v, '@', end - v), *eq = memchr(v, '=', end - v);
			const char *caret = memchr(v, '^', end - v);
			const char *name_end = at ? at : eq ? eq : end;

			if (caret && caret < name_end)
				name_end = caret;
			bad = same(v, name_end - v, opts->persistent) ||
			      same(v, name_end - v, opts->backup);
			if (at) {
				const char *le = memchr(at, ',', end - at);

				bad = bad || same(at + 1, (le ? le : end) - at - 1, opts->label);
			}
		}
		if (bad)
			return br_fail(err, -EEXIST,
				       "%s already has '%.*s', which uses bootrace's label or instance names: "
				       "remove it there, or choose another --label, --persistent or --backup",
				       where, (int)(n > 120 ? 120 : n), w);
	}
	return 0;
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

/* As Debian's /etc/grub.d/10_linux orders them: version_sort, newest first. */
char *bl_newest_kernel(const char *root, char **image)
{
	char *best = NULL, *dir;
	struct dirent *de;
	DIR *d;

	dir = bl_path(root, "/boot");
	d = dir ? opendir(dir) : NULL;
	while (d && (de = readdir(d)))
		if (!strncmp(de->d_name, "vmlinuz-", 8))
			consider(&best, de->d_name + 8);
	if (d)
		closedir(d);
	free(dir);
	dir = bl_path(root, "/usr/lib/modules");
	d = dir ? opendir(dir) : NULL;
	while (d && (de = readdir(d))) {
		char rel[512];

		snprintf(rel, sizeof(rel), "/usr/lib/modules/%s/vmlinuz", de->d_name);
		if (de->d_name[0] != '.' && bl_exists(root, rel))
			consider(&best, de->d_name);
	}
	if (d)
		closedir(d);
	free(dir);
	if (best && image) {
		char rel[512];

		snprintf(rel, sizeof(rel), "/boot/vmlinuz-%s", best);
		if (!bl_exists(root, rel))
			snprintf(rel, sizeof(rel), "/usr/lib/modules/%s/vmlinuz", best);
		*image = strdup(rel);
	}
	return best;
}

int bootrace_next_kernel(const char *root, enum bootrace_bootloader bl,
			 char **release, char **how, struct bootrace_error *err)
{
	*release = NULL;
	*how = NULL;
	if (bl == BOOTRACE_BOOTLOADER_GRUB)
		return bl_grub_next_kernel(root, release, how, err);
	*release = bl_newest_kernel(root, NULL);
	if (!*release)
		return br_fail(err, -ENOENT, "no kernel found in %s/boot or %s/usr/lib/modules",
			       root && strcmp(root, "/") ? root : "", root && strcmp(root, "/") ? root : "");
	*how = strdup("the newest installed kernel");
	return 0;
}

char **bl_argv(const char *first, ...)
{
	const char *a;
	char **argv = calloc(16, sizeof(*argv));
	va_list ap;
	int n = 0;

	if (!argv)
		return NULL;
	va_start(ap, first);
	for (a = first; a && n < 15; a = va_arg(ap, const char *))
		argv[n++] = strdup(a);
	va_end(ap);
	return argv;
}

/* ------------------------------------------------------------ plans */

int bl_plan_edit(struct bootrace_setup_plan *plan, const char *rel,
		 bool existed, char *old_text, size_t old_len,
		 bool remove, char *new_text, size_t new_len)
{
	struct bootrace_file_edit *tmp, *e;

	if (existed && !remove && old_len == new_len && !memcmp(old_text, new_text, new_len)) {
		free(old_text);
		free(new_text);
		return 0;
	}
	tmp = realloc(plan->edits, (plan->nr_edits + 1) * sizeof(*tmp));
	if (!tmp) {
		free(old_text);
		free(new_text);
		return -ENOMEM;
	}
	plan->edits = tmp;
	e = &plan->edits[plan->nr_edits++];
	memset(e, 0, sizeof(*e));
	e->path = strdup(rel);
	e->existed = existed;
	e->old_text = old_text;
	e->old_len = old_len;
	e->remove = remove;
	e->new_text = new_text;
	e->new_len = new_len;
	return e->path ? 0 : -ENOMEM;
}

static char *shell_quote_join(char **argv)
{
	size_t cap = 1;
	char *out, *p;

	for (char **a = argv; *a; a++)
		cap += strlen(*a) * 4 + 3;
	out = p = malloc(cap);
	if (!out)
		return NULL;
	for (char **a = argv; *a; a++) {
		bool plain = **a != '\0';

		for (const char *c = *a; *c; c++)
			if (!isalnum((unsigned char)*c) && !strchr("-_./=:,+@", *c))
				plain = false;
		if (a != argv)
			*p++ = ' ';
		if (plain) {
			p = stpcpy(p, *a);
			continue;
		}
		*p++ = '\'';
		for (const char *c = *a; *c; c++)
			p = *c == '\'' ? stpcpy(p, "'\\''") : (*p = *c, p + 1);
		*p++ = '\'';
	}
	*p = '\0';
	return out;
}

int bootrace_setup_plan(const struct bootrace_setup_opts *opts,
			struct bootrace_setup_plan *plan,
			struct bootrace_error *err)
{
	struct bootrace_setup_opts o = *opts;
	int ret;

	memset(plan, 0, sizeof(*plan));
	if (!o.root || !*o.root)
		o.root = "/";
	plan->root = strdup(o.root);
	if (!plan->root)
		return br_fail(err, -ENOMEM, "out of memory");
	if (o.bootloader == BOOTRACE_BOOTLOADER_AUTO) {
		ret = bootrace_bootloader_detect(o.root, &o.bootloader, err);
		if (ret)
			return ret;
	}
	plan->bootloader = o.bootloader;
	switch (o.bootloader) {
	case BOOTRACE_BOOTLOADER_GRUB:
		ret = bl_grub_plan(&o, plan, err);
		break;
	case BOOTRACE_BOOTLOADER_KERNEL_INSTALL:
		ret = bl_ki_plan(&o, plan, err);
		break;
	default:
		return 0;
	}
	if (!ret && plan->regenerate) {
		plan->regenerate_text = shell_quote_join(plan->regenerate);
		if (!plan->regenerate_text)
			ret = br_fail(err, -ENOMEM, "out of memory");
	}
	return ret;
}

void bootrace_setup_plan_free(struct bootrace_setup_plan *plan)
{
	for (int i = 0; i < plan->nr_edits; i++) {
		free(plan->edits[i].path);
		free(plan->edits[i].old_text);
		free(plan->edits[i].new_text);
	}
	free(plan->edits);
	if (plan->regenerate)
		for (char **a = plan->regenerate; *a; a++)
			free(*a);
	free(plan->regenerate);
	free(plan->regenerate_text);
	free(plan->installed);
	free(plan->root);
	memset(plan, 0, sizeof(*plan));
}

int bootrace_next_boot_read(const char *root, struct bootrace_next_boot *nb,
			    struct bootrace_error *err)
{
	enum bootrace_bootloader bl;

	memset(nb, 0, sizeof(*nb));
	if (!root || !*root)
		root = "/";
	if (bootrace_bootloader_detect(root, &bl, NULL))
		return 0;
	nb->bootloader = bl;
	if (bl == BOOTRACE_BOOTLOADER_GRUB)
		return bl_grub_next_boot(root, nb, err);
	return bl_ki_next_boot(root, nb, err);
}

void bootrace_next_boot_free(struct bootrace_next_boot *nb)
{
	free(nb->config);
	free(nb->fragment);
	free(nb->kernel_release);
	memset(nb, 0, sizeof(*nb));
}

bool bootrace_next_boot_matches(const struct bootrace_next_boot *nb,
				const char *proc_cmdline)
{
	struct bootrace_cmdline_config now;

	if (!nb->fragment)
		return !bootrace_cmdline_config_parse(proc_cmdline, &now) &&
		       !now.has_reserve_mem && !now.has_persistent;
	return bl_has_words(proc_cmdline, nb->fragment);
}
