/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * GRUB (Debian, Ubuntu): a drop-in /etc/default/grub.d/bootrace.cfg that
 * appends to GRUB_CMDLINE_LINUX, then update-grub. The user's
 * /etc/default/grub is never edited.
 *
 * GRUB_CMDLINE_LINUX, not GRUB_CMDLINE_LINUX_DEFAULT: 10_linux gives the
 * first to the normal and the recovery entries, the second to the normal
 * ones only. After a crash people often boot the recovery entry; without
 * reserve_mem= there, that kernel uses the memory and the trace is lost.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bootloader-local.h"

#define DEFAULTS "/etc/default/grub"
#define DROPIN_DIR "/etc/default/grub.d"
#define DROPIN "/etc/default/grub.d/bootrace.cfg"
#define HEADER "# bootrace: kernel command line for a trace buffer kept across warm reboots.\n"
#define ASSIGN "GRUB_CMDLINE_LINUX=\"${GRUB_CMDLINE_LINUX:+$GRUB_CMDLINE_LINUX }"

static const char *const mkconfigs[] = {
	"/usr/sbin/grub-mkconfig", "/usr/sbin/grub2-mkconfig",
	"/usr/bin/grub-mkconfig", "/usr/bin/grub2-mkconfig",
};

bool bl_grub_present(const char *root)
{
	return bl_exists(root, DEFAULTS);
}

static const char *root_shown(const char *root)
{
	return strcmp(root, "/") ? root : "";
}

static char *dropin_text(const char *fragment)
{
	char *out;

	if (asprintf(&out, HEADER
		     "# Written by 'bootrace setup', replaced by its next run, deleted by\n"
		     "# 'bootrace setup --remove'. GRUB_CMDLINE_LINUX reaches the normal and the\n"
		     "# recovery entries: a recovery boot after a crash keeps the trace too.\n"
		     ASSIGN "%s\"\n", fragment) < 0)
		return NULL;
	return out;
}

/* bootrace's arguments in a drop-in it wrote; -EEXIST if someone else wrote it. */
static int dropin_fragment(const char *text, char **fragment)
{
	const char *a, *end;

	*fragment = NULL;
	if (strncmp(text, HEADER, strlen(HEADER)))
		return -EEXIST;
	a = strstr(text, "\n" ASSIGN);
	if (!a)
		return 0;
	a += strlen(ASSIGN) + 1;
	end = strchr(a, '"');
	if (!end)
		return -EEXIST;
	*fragment = strndup(a, end - a);
	return *fragment ? 0 : -ENOMEM;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct grub_vars {
	char *linux_args;		/* GRUB_CMDLINE_LINUX */
	char *linux_default;		/* GRUB_CMDLINE_LINUX_DEFAULT */
	char *grub_default;		/* GRUB_DEFAULT */
};

static void vars_free(struct grub_vars *v)
{
	free(v->linux_args);
	free(v->linux_default);
	free(v->grub_default);
	memset(v, 0, sizeof(*v));
}

/*
 * Source /etc/default/grub and grub.d/\*.cfg as grub-mkconfig does (in
 * the C locale's glob order), with @dropin (a file path, or NULL for
 * none) standing in for bootrace.cfg, and read the variables back. The
 * shell, not a parser of ours, reads quotes and multi-line values.
 */
static int grub_eval(const char *root, const char *dropin, struct grub_vars *v,
		     struct bootrace_error *err)
{
	static const char script[] =
		"d=$1; shift\n"
		"exec 3>&1 >/dev/null 2>&1\n"
		"[ -f \"$d\" ] && . \"$d\"\n"
		"for x; do [ -e \"$x\" ] && . \"$x\"; done\n"
		"printf '%s\\0%s\\0%s\\0' \"$GRUB_CMDLINE_LINUX\" \"$GRUB_CMDLINE_LINUX_DEFAULT\" \"${GRUB_DEFAULT-0}\" >&3\n";
	char *dir = bl_path(root, DROPIN_DIR), *defaults = bl_path(root, DEFAULTS);
	char **argv = NULL, *out = NULL;
	size_t nr = 0, cap = 8, len = 0;
	int pipefd[2], status, ret = 0;
	struct dirent *de;
	DIR *d;
	pid_t pid;

	memset(v, 0, sizeof(*v));
	argv = calloc(cap, sizeof(*argv));
	if (!dir || !defaults || !argv) {
		ret = -ENOMEM;
		goto out;
	}
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n < 4 || strcmp(de->d_name + n - 4, ".cfg") || !strcmp(de->d_name, "bootrace.cfg"))
			continue;
		if (nr + 6 >= cap) {
			char **tmp = realloc(argv, (cap *= 2) * sizeof(*argv));

			if (!tmp) {
				ret = -ENOMEM;
				break;
			}
			argv = tmp;
		}
		argv[4 + nr++] = br_path_join(dir, de->d_name);
	}
	if (d)
		closedir(d);
	/* Room for the drop-in, the shift below and the NULL. */
	if (!ret) {
		char **tmp = realloc(argv, (nr + 8) * sizeof(*argv));

		if (tmp)
			argv = tmp;
		else
			ret = -ENOMEM;
	}
	if (!ret && dropin)
		argv[4 + nr++] = strdup(dropin);
	argv[4 + nr] = NULL;
	if (ret)
		goto out;
	/* bootrace.cfg sorts among the others by its name. */
	if (dropin) {
		char *name = argv[4 + nr - 1];

		argv[4 + nr - 1] = br_path_join(dir, "bootrace.cfg");
		qsort(argv + 4, nr, sizeof(*argv), by_name);
		for (size_t i = 0; i < nr; i++)
			if (!strcmp(strrchr(argv[4 + i], '/'), "/bootrace.cfg")) {
				free(argv[4 + i]);
				argv[4 + i] = name;
			}
	} else {
		qsort(argv + 4, nr, sizeof(*argv), by_name);
	}
	argv[0] = "/bin/sh";
	argv[1] = "-c";
	argv[2] = (char *)script;
	argv[3] = "sh";
	/* $1 is the defaults file: shift it in front. */
	memmove(argv + 5, argv + 4, (nr + 1) * sizeof(*argv));
	argv[4] = defaults;
	if (pipe2(pipefd, O_CLOEXEC)) {
		ret = -errno;
		goto out_argv;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		goto out_argv;
	}
	if (!pid) {
		static char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };

		dup2(pipefd[1], STDOUT_FILENO);
		execve("/bin/sh", argv, envp);
		_exit(127);
	}
	close(pipefd[1]);
	{
		FILE *f = fdopen(pipefd[0], "r");
		char buf[4096];
		size_t n;

		out = NULL;
		while (f && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
			char *tmp = realloc(out, len + n + 1);

			if (!tmp)
				break;
			out = tmp;
			memcpy(out + len, buf, n);
			len += n;
		}
		if (f)
			fclose(f);
		else
			close(pipefd[0]);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!out || !WIFEXITED(status) || WEXITSTATUS(status)) {
		ret = br_fail(err, -EINVAL,
			      "cannot read %s%s and %s%s/*.cfg with /bin/sh (a syntax error?): nothing was changed",
			      root_shown(root), DEFAULTS, root_shown(root), DROPIN_DIR);
		goto out_argv;
	}
	out[len] = '\0';
	{
		const char *p = out, *end = out + len;

		v->linux_args = strdup(p);
		p += strlen(p) + 1;
		v->linux_default = strdup(p < end ? p : "");
		p += strlen(p) + 1;
		v->grub_default = strdup(p < end ? p : "0");
	}
	if (!v->linux_args || !v->linux_default || !v->grub_default)
		ret = -ENOMEM;
out_argv:
	for (size_t i = 5; i < 5 + nr; i++)
		free(argv[i]);
	argv[4] = NULL;
out:
	free(out);
	free(argv);
	free(dir);
	free(defaults);
	if (ret == -ENOMEM)
		br_fail(err, ret, "out of memory");
	return ret;
}

/* grub-mkconfig must read grub.d: Debian's does, upstream's does not. */
static int check_mkconfig(const char *root, struct bootrace_error *err)
{
	for (size_t i = 0; i < sizeof(mkconfigs) / sizeof(mkconfigs[0]); i++) {
		char *text;
		bool sources;

		if (bl_read(root, mkconfigs[i], &text, NULL))
			continue;
		sources = strstr(text, "default/grub.d") != NULL;
		free(text);
		if (!sources)
			return br_fail(err, -EOPNOTSUPP,
				       "%s%s does not read %s/*.cfg, so a drop-in there would be ignored: nothing was changed; "
				       "use '--bootloader print' (grubby on Fedora)",
				       root_shown(root), mkconfigs[i], DROPIN_DIR);
		return 0;
	}
	return br_fail(err, -ENOENT, "%s%s exists but there is no grub-mkconfig under %s to regenerate grub.cfg: nothing was changed",
		       root_shown(root), DEFAULTS, root);
}

static const char *grub_cfg(const char *root)
{
	if (!bl_exists(root, "/boot/grub") && bl_exists(root, "/boot/grub2"))
		return "/boot/grub2/grub.cfg";
	return "/boot/grub/grub.cfg";
}

/* Does a linux line of grub.cfg carry @fragment? */
static bool cfg_has(const char *root, const char *fragment)
{
	char *text;
	bool found = false;

	if (!fragment || bl_read(root, grub_cfg(root), &text, NULL))
		return false;
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (!strncmp(line, "linux", 5) && bl_has_words(line, fragment))
			found = true;
		line = nl ? nl + 1 : NULL;
	}
	free(text);
	return found;
}

static char **regenerate_argv(const char *root)
{
	if (bl_exists(root, "/usr/sbin/update-grub"))
		return bl_argv("update-grub", NULL);
	if (bl_exists(root, "/usr/sbin/grub2-mkconfig"))
		return bl_argv("grub2-mkconfig", "-o", grub_cfg(root), NULL);
	return bl_argv("grub-mkconfig", "-o", grub_cfg(root), NULL);
}

static int write_temp(const char *text, char *path)
{
	int fd;
	size_t len = strlen(text);

	strcpy(path, "/tmp/bootrace-grub.XXXXXX");
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len) {
		close(fd);
		unlink(path);
		return -EIO;
	}
	close(fd);
	return 0;
}

int bl_grub_plan(const struct bootrace_setup_opts *opts,
		 struct bootrace_setup_plan *plan, struct bootrace_error *err)
{
	const char *root = opts->root;
	char *old = NULL, *text = NULL, *where = NULL, tmp[64];
	struct grub_vars before = { 0 }, after = { 0 };
	size_t old_len = 0;
	struct stat st;
	char *dir = bl_path(root, DROPIN_DIR);
	int ret;

	if (!dir)
		return br_fail(err, -ENOMEM, "out of memory");
	ret = bl_read(root, DEFAULTS, &text, NULL);
	free(text);
	text = NULL;
	if (ret) {
		free(dir);
		return br_fail(err, ret, "cannot read %s%s: %s", root_shown(root), DEFAULTS,
			       ret == -EINVAL ? "not a regular file" : strerror(-ret));
	}
	if (!lstat(dir, &st) && !S_ISDIR(st.st_mode)) {
		ret = br_fail(err, -ENOTDIR, "%s is not a directory: nothing was changed", dir);
		free(dir);
		return ret;
	}
	free(dir);
	ret = check_mkconfig(root, err);
	if (ret)
		return ret;
	ret = bl_read(root, DROPIN, &old, &old_len);
	if (ret && ret != -ENOENT)
		return br_fail(err, ret, "cannot read %s%s: %s", root_shown(root), DROPIN,
			       ret == -EINVAL ? "not a regular file" : strerror(-ret));
	if (old) {
		ret = dropin_fragment(old, &plan->installed);
		if (ret == -EEXIST)
			ret = br_fail(err, ret, "%s%s was not written by bootrace (its first line differs): nothing was changed; move it away first",
				      root_shown(root), DROPIN);
		if (ret)
			goto out;
	}

	/* Someone else's arguments, without bootrace's drop-in. */
	ret = grub_eval(root, NULL, &before, err);
	if (ret)
		goto out;
	if (asprintf(&where, "GRUB_CMDLINE_LINUX (from %s%s or %s/*.cfg)", root_shown(root), DEFAULTS, DROPIN_DIR) < 0) {
		where = NULL;
		ret = br_fail(err, -ENOMEM, "out of memory");
		goto out;
	}
	ret = opts->remove ? 0 : bl_conflicts(before.linux_args, where, opts, err);
	if (!ret && !opts->remove) {
		free(where);
		if (asprintf(&where, "GRUB_CMDLINE_LINUX_DEFAULT (from %s%s or %s/*.cfg)", root_shown(root), DEFAULTS, DROPIN_DIR) < 0)
			where = NULL;
		ret = bl_conflicts(before.linux_default, where ? where : "GRUB_CMDLINE_LINUX_DEFAULT", opts, err);
	}
	if (ret)
		goto out;

	if (opts->remove) {
		if (old)
			ret = bl_plan_edit(plan, DROPIN, true, old, old_len, true, NULL, 0);
		old = NULL;
		plan->regenerate_stale = cfg_has(root, plan->installed);
	} else {
		text = dropin_text(opts->fragment);
		if (!text || (ret = write_temp(text, tmp))) {
			ret = br_fail(err, ret ? ret : -ENOMEM, "cannot write a temporary file in /tmp");
			goto out;
		}
		/* A file sourced after bootrace.cfg may set the variable outright. */
		ret = grub_eval(root, tmp, &after, err);
		unlink(tmp);
		if (!ret && !bl_has_words(after.linux_args, opts->fragment))
			ret = br_fail(err, -EEXIST,
				      "a file in %s%s sorted after bootrace.cfg sets GRUB_CMDLINE_LINUX without keeping its value, so bootrace's arguments would be lost: nothing was changed",
				      root_shown(root), DROPIN_DIR);
		if (ret)
			goto out;
		ret = bl_plan_edit(plan, DROPIN, old != NULL, old, old_len, false, text, strlen(text));
		old = text = NULL;
		plan->regenerate_stale = !cfg_has(root, opts->fragment);
	}
	if (!ret && (plan->nr_edits || plan->regenerate_stale)) {
		plan->regenerate = regenerate_argv(root);
		if (!plan->regenerate)
			ret = br_fail(err, -ENOMEM, "out of memory");
	}
	if (ret == -ENOMEM)
		br_fail(err, ret, "out of memory");
out:
	free(old);
	free(text);
	free(where);
	vars_free(&before);
	vars_free(&after);
	return ret;
}

/* ------------------------------------------- which kernel boots next */

struct entry {
	char *title, *id, *linux_path;
	bool submenu;
	struct entry *parent, *first, *last, *next;
};

static void entries_free(struct entry *e)
{
	while (e) {
		struct entry *next = e->next;

		entries_free(e->first);
		free(e->title);
		free(e->id);
		free(e->linux_path);
		free(e);
		e = next;
	}
}

/* The first quoted word after the keyword, and the one after "$menuentry_id_option". */
static char *quoted(const char *p)
{
	const char *q = strpbrk(p, "'\"");
	const char *end;

	if (!q)
		return NULL;
	end = strchr(q + 1, *q);
	return end ? strndup(q + 1, end - q - 1) : NULL;
}

static struct entry *parse_cfg(char *text)
{
	struct entry top = { 0 }, *cur = &top;

	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (!strncmp(line, "menuentry ", 10) || !strncmp(line, "submenu ", 8)) {
			struct entry *e = calloc(1, sizeof(*e));
			char *id = strstr(line, "$menuentry_id_option");

			if (!e)
				break;
			e->submenu = line[0] == 's';
			e->title = quoted(line + (e->submenu ? 8 : 10));
			e->id = id ? quoted(id + 20) : NULL;
			e->parent = cur;
			if (cur->last)
				cur->last->next = e;
			else
				cur->first = e;
			cur->last = e;
			if (strchr(line, '{'))
				cur = e;
		} else if (!strncmp(line, "linux", 5) && (line[5] == ' ' || line[5] == '\t') &&
			   cur != &top && !cur->linux_path) {
			char *p = line + 5, *end;

			while (*p == ' ' || *p == '\t')
				p++;
			end = p + strcspn(p, " \t");
			cur->linux_path = strndup(p, end - p);
		} else if (line[0] == '}' && cur != &top) {
			cur = cur->parent;
		}
		line = nl ? nl + 1 : NULL;
	}
	return top.first;
}

/* GRUB_DEFAULT: "N", "TITLE", "ID" or a ">"-separated path of those. */
static const struct entry *pick(const struct entry *list, const char *path)
{
	const char *sep = strchr(path, '>');
	size_t n = sep ? (size_t)(sep - path) : strlen(path);
	const struct entry *e = NULL;
	char *end;
	long idx = strtol(path, &end, 10);

	if (end == path + n && n) {
		for (e = list; e && idx > 0; e = e->next)
			idx--;
	} else {
		for (e = list; e; e = e->next)
			if ((e->title && strlen(e->title) == n && !strncmp(e->title, path, n)) ||
			    (e->id && strlen(e->id) == n && !strncmp(e->id, path, n)))
				break;
	}
	if (!e)
		return NULL;
	if (sep)
		return e->submenu ? pick(e->first, sep + 1) : NULL;
	return e->submenu ? e->first : e;
}

int bl_grub_next_kernel(const char *root, char **release, char **how,
			struct bootrace_error *err)
{
	struct grub_vars v;
	char *def = NULL, *text = NULL;
	int ret;

	*release = *how = NULL;
	ret = grub_eval(root, NULL, &v, err);
	if (ret)
		return ret;
	def = strdup(v.grub_default);
	vars_free(&v);
	if (!def)
		return br_fail(err, -ENOMEM, "out of memory");
	if (!strcmp(def, "saved")) {
		char *env, *s;

		free(def);
		def = strdup("0");
		if (!bl_read(root, "/boot/grub/grubenv", &env, NULL)) {
			s = strstr(env, "\nsaved_entry=");
			if (s) {
				free(def);
				def = strndup(s + 13, strcspn(s + 13, "\n"));
			}
			free(env);
		}
	}
	/* The first entry is the newest kernel, as 10_linux sorts them. */
	if (def && (!*def || !strcmp(def, "0"))) {
		*release = bl_newest_kernel(root, NULL);
		if (*release)
			*how = strdup("GRUB_DEFAULT=0: the newest kernel in /boot");
	} else if (def && !bl_read(root, grub_cfg(root), &text, NULL)) {
		struct entry *list = parse_cfg(text);
		const struct entry *e = pick(list, def);

		if (e && e->linux_path) {
			*release = bl_release_of_image(e->linux_path);
			if (*release && asprintf(how, "GRUB_DEFAULT=%s in %s", def, grub_cfg(root)) < 0)
				*how = NULL;
		}
		entries_free(list);
		free(text);
	}
	if (!*release)
		ret = br_fail(err, -ENOENT, "cannot tell which kernel GRUB boots next (GRUB_DEFAULT=%.60s)", def ? def : "?");
	free(def);
	return ret;
}

int bl_grub_next_boot(const char *root, struct bootrace_next_boot *nb,
		      struct bootrace_error *err)
{
	char *text, *how = NULL;

	nb->config = bl_path(root, DROPIN);
	if (!bl_read(root, DROPIN, &text, NULL)) {
		dropin_fragment(text, &nb->fragment);
		free(text);
	}
	nb->stale = nb->fragment ? !cfg_has(root, nb->fragment) : false;
	bl_grub_next_kernel(root, &nb->kernel_release, &how, NULL);
	free(how);
	return 0;
}
