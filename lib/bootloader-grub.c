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
#include <unistd.h>

#include "bootloader-local.h"
#include "shellvars.h"

#define DEFAULTS "/etc/default/grub"
#define DROPIN_DIR "/etc/default/grub.d"
#define DROPIN_NAME "bootrace.cfg"
#define DROPIN DROPIN_DIR "/" DROPIN_NAME
#define HEADER "# bootrace: kernel command line for a trace buffer kept across warm reboots.\n"
#define ASSIGN "GRUB_CMDLINE_LINUX=\"${GRUB_CMDLINE_LINUX:+$GRUB_CMDLINE_LINUX }"

static const char *const mkconfigs[] = {
	"/usr/sbin/grub-mkconfig", "/usr/sbin/grub2-mkconfig",
	"/usr/bin/grub-mkconfig", "/usr/bin/grub2-mkconfig",
};

static enum bl_presence grub_present(const char *root)
{
	return bl_exists(root, DEFAULTS) ? BL_CONFIGURED : BL_ABSENT;
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

/* ----------------------------------- the variables grub-mkconfig sees */

struct grub_vars {
	char *linux_args;		/* GRUB_CMDLINE_LINUX */
	char *linux_default;		/* GRUB_CMDLINE_LINUX_DEFAULT */
	char *grub_default;		/* GRUB_DEFAULT */
};

static void vars_clear(struct grub_vars *v)
{
	free(v->linux_args);
	free(v->linux_default);
	free(v->grub_default);
	memset(v, 0, sizeof(*v));
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add @s (taken, NULL: ENOMEM) to the NULL-terminated *@v of *@n strings. */
static int strv_push(char ***v, size_t *n, char *s)
{
	char **tmp;

	if (!s)
		return -ENOMEM;
	tmp = realloc(*v, (*n + 2) * sizeof(**v));
	if (!tmp) {
		free(s);
		return -ENOMEM;
	}
	*v = tmp;
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
	return 0;
}

/*
 * The names of the drop-ins grub-mkconfig sources, in the C locale's glob
 * order: grub.d/\*.cfg, with bootrace.cfg only if @with_ours. The glob
 * skips names that start with a dot, as sh's does.
 */
static int dropin_names(const char *root, bool with_ours, char ***names, size_t *nr)
{
	struct dirent *de;
	DIR *d;
	int ret = 0;

	*names = NULL;
	*nr = 0;
	d = bl_opendir(root, DROPIN_DIR);
	while (!ret && d && (de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (de->d_name[0] != '.' && n >= 4 && !strcmp(de->d_name + n - 4, ".cfg") &&
		    strcmp(de->d_name, DROPIN_NAME))
			ret = strv_push(names, nr, strdup(de->d_name));
	}
	if (d)
		closedir(d);
	if (!ret && with_ours)
		ret = strv_push(names, nr, strdup(DROPIN_NAME));
	if (!ret && *nr)
		qsort(*names, *nr, sizeof(**names), by_name);
	return ret;
}

/* Evaluate ROOT/REL (or @text in its place) on top of @vars; a missing file is skipped. */
static int eval_file(const char *root, const char *rel, const char *text,
		     struct br_shellvars *vars, struct bootrace_error *err)
{
	_cleanup_free_ char *own = NULL, *name = NULL;
	size_t len = 0;
	int ret = 0;

	if (asprintf(&name, "%s%s", bl_root_shown(root), rel) < 0)
		return br_fail(err, -ENOMEM, "out of memory");
	if (!text) {
		ret = bl_read(root, rel, &own, &len);
		if (ret == -ENOENT)
			return 0;
		if (ret)
			return br_fail(err, ret, "cannot read %s: %s; nothing was changed", name,
				       bl_read_error(ret));
		if (strlen(own) != len)
			return br_fail(err, -EINVAL, "%s holds a NUL byte, which no shell file does: nothing was changed",
				       name);
		text = own;
	}
	return br_shellvars_eval(vars, text, name, err);
}

/* One of the variables GRUB reads, which must be known; @fallback when unset. */
static int take_var(const struct br_shellvars *vars, const char *var, const char *fallback,
		    char **out, struct bootrace_error *err)
{
	const char *value;

	switch (br_shellvars_get(vars, var, &value)) {
	case BR_SHELLVAR_UNKNOWN:
		return br_fail(err, -EINVAL,
			       "%s: %s is set from the output of a command, which bootrace does not run (the file may come from an image): nothing was changed; give it a literal value, or use '--bootloader print'",
			       value, var);
	case BR_SHELLVAR_UNSET:
		value = fallback;
		break;
	case BR_SHELLVAR_SET:
		break;
	}
	*out = strdup(value);
	return *out ? 0 : br_fail(err, -ENOMEM, "out of memory");
}

/*
 * The variables grub-mkconfig sees once it has sourced /etc/default/grub
 * and grub.d/\*.cfg, with @dropin (a text, or NULL for none) standing in
 * for bootrace.cfg. Evaluated, never run: the files may be an image's,
 * and a shell would run its code as root on this machine.
 */
static int grub_eval(const char *root, const char *dropin, struct grub_vars *v,
		     struct bootrace_error *err)
{
	struct br_shellvars *vars = NULL;
	char **names = NULL;
	size_t nr = 0;
	int ret;

	memset(v, 0, sizeof(*v));
	ret = br_shellvars_new(&vars);
	if (!ret)
		ret = dropin_names(root, dropin != NULL, &names, &nr);
	if (ret) {
		br_shellvars_free(vars);
		return br_fail(err, ret, "out of memory");
	}
	ret = eval_file(root, DEFAULTS, NULL, vars, err);
	for (size_t i = 0; !ret && i < nr; i++) {
		_cleanup_free_ char *rel = NULL;
		bool ours = !strcmp(names[i], DROPIN_NAME);

		if (asprintf(&rel, "%s/%s", DROPIN_DIR, names[i]) < 0)
			ret = br_fail(err, -ENOMEM, "out of memory");
		else
			ret = eval_file(root, rel, ours ? dropin : NULL, vars, err);
	}
	if (!ret)
		ret = take_var(vars, "GRUB_CMDLINE_LINUX", "", &v->linux_args, err);
	if (!ret)
		ret = take_var(vars, "GRUB_CMDLINE_LINUX_DEFAULT", "", &v->linux_default, err);
	/* grub-mkconfig: GRUB_DEFAULT unset is entry 0. */
	if (!ret)
		ret = take_var(vars, "GRUB_DEFAULT", "0", &v->grub_default, err);
	bootrace_strv_free(names);
	br_shellvars_free(vars);
	if (ret)
		vars_clear(v);
	return ret;
}

/* ------------------------------------------------------- grub.cfg */

static const char *grub_cfg(const char *root)
{
	if (!bl_exists(root, "/boot/grub") && bl_exists(root, "/boot/grub2"))
		return "/boot/grub2/grub.cfg";
	return "/boot/grub/grub.cfg";
}

/* Does a linux line of grub.cfg carry @fragment? */
static bool cfg_has(const char *root, const char *fragment)
{
	_cleanup_free_ char *text = NULL;
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

/* ------------------------------------------------------------ plan */

/* grub-mkconfig must read grub.d: Debian's does, upstream's does not. */
static int check_mkconfig(const char *root, struct bootrace_error *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(mkconfigs); i++) {
		_cleanup_free_ char *text = NULL;

		if (bl_read(root, mkconfigs[i], &text, NULL))
			continue;
		if (!strstr(text, "default/grub.d"))
			return br_fail(err, -EOPNOTSUPP,
				       "%s%s does not read %s/*.cfg, so a drop-in there would be ignored: nothing was changed; "
				       "use '--bootloader print' (grubby on Fedora)",
				       bl_root_shown(root), mkconfigs[i], DROPIN_DIR);
		return 0;
	}
	return br_fail(err, -ENOENT, "%s%s exists but there is no grub-mkconfig under %s to regenerate grub.cfg: nothing was changed",
		       bl_root_shown(root), DEFAULTS, root);
}

/* /etc/default/grub readable, grub.d a directory if it is there, grub-mkconfig reading it. */
static int check_grub_files(const char *root, struct bootrace_error *err)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int rootfd = bl_open_root(root);
	struct stat st;
	int ret;

	ret = bl_read(root, DEFAULTS, &text, NULL);
	if (ret)
		return br_fail(err, ret, "cannot read %s%s: %s", bl_root_shown(root), DEFAULTS,
			       bl_read_error(ret));
	ret = rootfd < 0 ? rootfd : br_stat_below(rootfd, DROPIN_DIR, &st);
	if (ret == -ELOOP)
		return br_fail(err, -ELOOP, "%s%s: %s: nothing was changed", bl_root_shown(root),
			       DROPIN_DIR, bl_read_error(ret));
	if (!ret && !S_ISDIR(st.st_mode))
		return br_fail(err, -ENOTDIR, "%s%s is not a directory: nothing was changed",
			       bl_root_shown(root), DROPIN_DIR);
	return check_mkconfig(root, err);
}

/* The drop-in (*@old NULL if there is none), and in plan->installed bootrace's arguments in it. */
static int read_dropin(const char *root, struct bootrace_setup_plan *plan,
		       char **old, size_t *old_len, struct bootrace_error *err)
{
	int ret;

	*old = NULL;
	*old_len = 0;
	ret = bl_read(root, DROPIN, old, old_len);
	if (ret == -ENOENT)
		return 0;
	if (ret)
		return br_fail(err, ret, "cannot read %s%s: %s", bl_root_shown(root), DROPIN,
			       bl_read_error(ret));
	ret = dropin_fragment(*old, &plan->installed);
	if (ret == -EEXIST)
		ret = br_fail(err, ret, "%s%s was not written by bootrace (its first line differs): nothing was changed; move it away first",
			      bl_root_shown(root), DROPIN);
	else if (ret)
		ret = br_fail(err, ret, "out of memory");
	if (ret) {
		free(*old);
		*old = NULL;
	}
	return ret;
}

/* One variable, as sourced without bootrace's drop-in, against bootrace's names. */
static int check_variable(const char *root, const char *name, const char *value,
			  const struct bootrace_setup_opts *opts, struct bootrace_error *err)
{
	_cleanup_free_ char *where = NULL;

	if (asprintf(&where, "%s (from %s%s or %s/*.cfg)", name, bl_root_shown(root), DEFAULTS, DROPIN_DIR) < 0)
		return br_fail(err, -ENOMEM, "out of memory");
	return bl_conflicts(value, where, opts, err);
}

/*
 * The variables without bootrace's drop-in (which also proves the files
 * source cleanly), and, when installing, someone else's arguments there
 * that use bootrace's names.
 */
static int check_others(const char *root, const struct bootrace_setup_opts *opts,
			struct bootrace_error *err)
{
	struct grub_vars before;
	int ret;

	ret = grub_eval(root, NULL, &before, err);
	if (ret || opts->remove)
		goto out;
	ret = check_variable(root, "GRUB_CMDLINE_LINUX", before.linux_args, opts, err);
	if (!ret)
		ret = check_variable(root, "GRUB_CMDLINE_LINUX_DEFAULT", before.linux_default, opts, err);
out:
	vars_clear(&before);
	return ret;
}

/* A file sourced after bootrace.cfg may set the variable outright: bootrace's words must survive it. */
static int check_survives(const char *root, const char *text, const char *fragment,
			  struct bootrace_error *err)
{
	struct grub_vars after;
	int ret;

	ret = grub_eval(root, text, &after, err);
	if (!ret && !bl_has_words(after.linux_args, fragment))
		ret = br_fail(err, -EEXIST,
			      "a file in %s%s sorted after bootrace.cfg sets GRUB_CMDLINE_LINUX without keeping its value, so bootrace's arguments would be lost: nothing was changed",
			      bl_root_shown(root), DROPIN_DIR);
	vars_clear(&after);
	return ret;
}

/* The drop-in with @opts->fragment in place of @old (taken). */
static int plan_install(const struct bootrace_setup_opts *opts, struct bootrace_setup_plan *plan,
			char *old, size_t old_len, struct bootrace_error *err)
{
	_cleanup_free_ char *text = dropin_text(opts->fragment);
	size_t len;
	int ret;

	if (!text) {
		free(old);
		return br_fail(err, -ENOMEM, "out of memory");
	}
	ret = check_survives(plan->root, text, opts->fragment, err);
	if (ret) {
		free(old);
		return ret;
	}
	len = strlen(text);
	ret = bl_plan_edit(plan, DROPIN, 0, old, old_len, TAKE_PTR(text), len);
	plan->regenerate_stale = !cfg_has(plan->root, opts->fragment);
	return ret;
}

static int grub_plan(const struct bootrace_setup_opts *opts,
		     struct bootrace_setup_plan *plan, struct bootrace_error *err)
{
	const char *root = plan->root;
	char *old = NULL;
	size_t old_len;
	int ret;

	ret = check_grub_files(root, err);
	if (!ret)
		ret = read_dropin(root, plan, &old, &old_len, err);
	if (!ret)
		ret = check_others(root, opts, err);
	if (ret) {
		free(old);
		return ret;
	}
	if (opts->remove) {
		ret = bl_plan_edit(plan, DROPIN, 0, old, old_len, NULL, 0);
		plan->regenerate_stale = cfg_has(root, plan->installed);
	} else {
		ret = plan_install(opts, plan, old, old_len, err);
		if (ret && ret != -ENOMEM)
			return ret;
	}
	if (!ret && (plan->nr_edits || plan->regenerate_stale)) {
		plan->regenerate = regenerate_argv(root);
		if (!plan->regenerate)
			ret = -ENOMEM;
	}
	return ret == -ENOMEM ? br_fail(err, ret, "out of memory") : ret;
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

/* A "menuentry" or "submenu" line: the entry, added to @cur's. */
static struct entry *entry_add(struct entry *cur, const char *line)
{
	struct entry *e = calloc(1, sizeof(*e));
	const char *id = strstr(line, "$menuentry_id_option");

	if (!e)
		return NULL;
	e->submenu = line[0] == 's';
	e->title = quoted(line + (e->submenu ? 8 : 10));
	e->id = id ? quoted(id + 20) : NULL;
	e->parent = cur;
	if (cur->last)
		cur->last->next = e;
	else
		cur->first = e;
	cur->last = e;
	return e;
}

/* A "linux PATH ARGS" line: PATH. */
static char *linux_image(const char *line)
{
	const char *p = line + 5;

	while (*p == ' ' || *p == '\t')
		p++;
	return strndup(p, strcspn(p, " \t"));
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
			struct entry *e = entry_add(cur, line);

			if (!e)
				break;
			if (strchr(line, '{'))
				cur = e;
		} else if (!strncmp(line, "linux", 5) && (line[5] == ' ' || line[5] == '\t') &&
			   cur != &top && !cur->linux_path) {
			cur->linux_path = linux_image(line);
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

/* GRUB_DEFAULT, or with "saved" grubenv's saved_entry (default "0"). */
static int default_entry(const char *root, char **def, struct bootrace_error *err)
{
	_cleanup_free_ char *env = NULL;
	struct grub_vars v;
	const char *s;
	int ret;

	ret = grub_eval(root, NULL, &v, err);
	if (ret)
		return ret;
	*def = TAKE_PTR(v.grub_default);
	vars_clear(&v);
	if (*def && !strcmp(*def, "saved")) {
		free(*def);
		*def = NULL;
		s = !bl_read(root, "/boot/grub/grubenv", &env, NULL) ? strstr(env, "\nsaved_entry=") : NULL;
		*def = s ? strndup(s + 13, strcspn(s + 13, "\n")) : strdup("0");
	}
	return *def ? 0 : br_fail(err, -ENOMEM, "out of memory");
}

/* The kernel of entry @def of grub.cfg. */
static char *entry_kernel(const char *root, const char *def, char **how)
{
	_cleanup_free_ char *text = NULL;
	const struct entry *e;
	struct entry *list;
	char *release = NULL;

	if (bl_read(root, grub_cfg(root), &text, NULL))
		return NULL;
	list = parse_cfg(text);
	e = pick(list, def);
	if (e && e->linux_path) {
		release = bl_release_of_image(e->linux_path);
		if (release && asprintf(how, "GRUB_DEFAULT=%s in %s", def, grub_cfg(root)) < 0)
			*how = NULL;
	}
	entries_free(list);
	return release;
}

static int grub_next_kernel(const char *root, char **release, char **how,
			    struct bootrace_error *err)
{
	_cleanup_free_ char *def = NULL;
	int ret;

	*release = *how = NULL;
	ret = default_entry(root, &def, err);
	if (ret)
		return ret;
	/* The first entry is the newest kernel, as 10_linux sorts them. */
	if (!*def || !strcmp(def, "0")) {
		*release = bl_newest_kernel(root, NULL);
		if (*release)
			*how = strdup("GRUB_DEFAULT=0: the newest kernel in /boot");
	} else {
		*release = entry_kernel(root, def, how);
	}
	if (!*release)
		return br_fail(err, -ENOENT, "cannot tell which kernel GRUB boots next (GRUB_DEFAULT=%.60s)", def);
	return 0;
}

static int grub_next_boot(const char *root, struct bootrace_next_boot *nb,
			  struct bootrace_error *err)
{
	_cleanup_free_ char *text = NULL, *how = NULL;

	nb->config = bl_path(root, DROPIN);
	if (!bl_read(root, DROPIN, &text, NULL))
		dropin_fragment(text, &nb->fragment);
	nb->stale = nb->fragment ? !cfg_has(root, nb->fragment) : false;
	grub_next_kernel(root, &nb->kernel_release, &how, NULL);
	return 0;
}

const struct bl_backend bl_grub_backend = {
	.id = BOOTRACE_BOOTLOADER_GRUB,
	.name = "grub",
	.looks_for = DEFAULTS,
	.present = grub_present,
	.plan = grub_plan,
	.next_boot = grub_next_boot,
	.next_kernel = grub_next_kernel,
};
