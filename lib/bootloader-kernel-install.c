/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * systemd-boot / UKI through kernel-install: /etc/kernel/cmdline holds the
 * whole command line (no comments), so what bootrace added, and whether it
 * created the file, is kept in a state file beside its collections; then
 * "kernel-install add" regenerates the default kernel's entry.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootloader-local.h"
#include "config.h"

#define CMDLINE "/etc/kernel/cmdline"
/* In the state directory under the root: bootrace's own, 0700, removed with the file. */
#define STATE BOOTRACE_STATE_DIR "/setup-kernel-cmdline"
#define STATE_HEADER "# bootrace setup: what it added to /etc/kernel/cmdline, for --remove\n"

static enum bl_presence ki_present(const char *root)
{
	if (bl_exists(root, CMDLINE))
		return BL_CHOSEN;
	if ((bl_exists(root, "/usr/bin/kernel-install") || bl_exists(root, "/bin/kernel-install")) &&
	    (bl_exists(root, "/boot/loader/entries") || bl_exists(root, "/efi/loader") ||
	     bl_exists(root, "/boot/efi/loader") || bl_exists(root, "/etc/kernel/install.conf")))
		return BL_INSTALLED;
	return BL_ABSENT;
}

/* ------------------------------------------------------ the state file */

struct ki_state {
	bool created;
	char *added;			/* the fragment, as appended */
	char *created_text;		/* the file as bootrace created it */
};

static void state_clear(struct ki_state *s)
{
	free(s->added);
	free(s->created_text);
	memset(s, 0, sizeof(*s));
}

static char *value(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	if (!p || (p != text && p[-1] != '\n'))
		return NULL;
	p += strlen(key);
	return strndup(p, strcspn(p, "\n"));
}

/* The state file into @s, and as it is into *@raw; -EINVAL if bootrace did not write it. */
static int state_read(const char *root, struct ki_state *s, char **raw, size_t *raw_len)
{
	_cleanup_free_ char *text = NULL, *created = NULL, *line = NULL;
	int ret;

	memset(s, 0, sizeof(*s));
	*raw = NULL;
	ret = bl_read(root, STATE, &text, raw_len);
	if (ret)
		return ret;
	created = value(text, "created=");
	s->created = created && !strcmp(created, "yes");
	s->added = value(text, "added=");
	line = s->created ? value(text, "created_line=") : NULL;
	if (line && asprintf(&s->created_text, "%s\n", line) < 0)
		s->created_text = NULL;
	if (!s->added || strncmp(text, STATE_HEADER, strlen(STATE_HEADER)))
		ret = -EINVAL;
	*raw = TAKE_PTR(text);
	return ret;
}

/* The state file bootrace writes for @text, which carries @fragment. */
static char *state_text(bool created, const char *fragment, const char *text)
{
	char *state;

	if (created)
		return asprintf(&state, STATE_HEADER "created=yes\nadded=%s\ncreated_line=%.*s\n",
				fragment, (int)strcspn(text, "\n"), text) < 0 ? NULL : state;
	return asprintf(&state, STATE_HEADER "created=no\nadded=%s\n", fragment) < 0 ? NULL : state;
}

/* ------------------------------------------------------ command lines */

/* The arguments a bootloader adds by itself, which must not be copied. */
static bool injected(const struct br_cmdline_word *w)
{
	return br_cmdline_word_is(w, "BOOT_IMAGE") || br_cmdline_word_is(w, "initrd");
}

/* /proc/cmdline minus BOOT_IMAGE= and initrd=, as kernel-install itself does. */
static char *from_proc(const char *text)
{
	char *out = malloc(strlen(text) + 2), *o = out;
	struct br_cmdline_word w;

	if (!out)
		return NULL;
	while (br_cmdline_word_next(&text, &w)) {
		if (injected(&w))
			continue;
		if (o != out)
			*o++ = ' ';
		memcpy(o, w.word, w.len);
		o += w.len;
	}
	*o++ = '\n';
	*o = '\0';
	return out;
}

/* Does a word of the line from @from on end right at @end? */
static bool word_ends_at(const char *from, const char *end)
{
	struct br_cmdline_word w;

	while (br_cmdline_word_next(&from, &w) && w.word < end)
		if (w.word + w.len == end)
			return true;
	return false;
}

/* Where " FRAGMENT" sits in @text, as whole words; NULL if not exactly once. */
static const char *find_added(const char *text, const char *fragment)
{
	size_t n = strlen(fragment);
	const char *p = text, *found = NULL;
	struct br_cmdline_word w;

	while (br_cmdline_word_next(&p, &w)) {
		if (w.word == text || w.word[-1] != ' ' || strncmp(w.word, fragment, n) ||
		    !word_ends_at(w.word, w.word + n))
			continue;
		if (found)
			return NULL;
		found = w.word - 1;
	}
	return found;
}

/* @others with " FRAGMENT" after its last word, before the trailing newline. */
static char *appended(const char *others, const char *fragment)
{
	size_t end = strlen(others);
	char *text;

	while (end && isspace((unsigned char)others[end - 1]))
		end--;
	/* " FRAGMENT" is what find_added looks for: keep the space in an empty file too. */
	if (!end)
		return asprintf(&text, " %s\n", fragment) < 0 ? NULL : text;
	return asprintf(&text, "%.*s %s%s", (int)end, others, fragment, others + end) < 0 ? NULL : text;
}

/* ------------------------------------------------------------ plan */

/* What the plan starts from. */
struct ki_files {
	const char *root, *shown;
	char *old;			/* /etc/kernel/cmdline, or NULL */
	size_t old_len;
	char *raw_state;		/* the state file as it is, or NULL */
	size_t state_len;
	struct ki_state st;
	const char *at;			/* where " ADDED" sits in old, or NULL */
	char *others;			/* the file without bootrace's part, or its start */
	const char *from;		/* where others came from */
	bool creating;			/* there is no /etc/kernel/cmdline: others makes one */
};

static void files_clear(struct ki_files *f)
{
	free(f->old);
	free(f->raw_state);
	free(f->others);
	state_clear(&f->st);
}

/* The state file, and /etc/kernel/cmdline with bootrace's part in it as the state says. */
static int read_files(struct ki_files *f, struct bootrace_setup_plan *plan,
		      struct bootrace_error *err)
{
	int ret = state_read(f->root, &f->st, &f->raw_state, &f->state_len);

	if (ret == -EINVAL)
		return br_fail(err, ret, "%s%s is not what bootrace writes: nothing was changed; remove it if %s%s carries no bootrace arguments",
			       f->shown, STATE, f->shown, CMDLINE);
	if (ret && ret != -ENOENT)
		return br_fail(err, ret, "cannot read %s%s: %s", f->shown, STATE, bl_read_error(ret));
	ret = bl_read(f->root, CMDLINE, &f->old, &f->old_len);
	if (ret && ret != -ENOENT)
		return br_fail(err, ret, "cannot read %s%s: %s", f->shown, CMDLINE, bl_read_error(ret));
	if (!f->old && f->st.added)
		return br_fail(err, -ENOENT, "%s%s is gone but %s%s says bootrace added to it: remove that state file",
			       f->shown, CMDLINE, f->shown, STATE);
	if (f->old && strlen(f->old) != f->old_len)
		return br_fail(err, -EINVAL, "%s%s contains a NUL byte: nothing was changed", f->shown, CMDLINE);
	if (!f->old || !f->st.added)
		return 0;
	f->at = find_added(f->old, f->st.added);
	if (!f->at)
		return br_fail(err, -EEXIST,
			       "%s%s no longer holds bootrace's arguments exactly once as it added them ('%.80s'): nothing was changed; fix the file by hand",
			       f->shown, CMDLINE, f->st.added);
	plan->installed = strdup(f->st.added);
	return plan->installed ? 0 : -ENOMEM;
}

/* kernel-install's own fallbacks when /etc/kernel/cmdline is absent. */
static int base_text(struct ki_files *f, struct bootrace_error *err)
{
	_cleanup_free_ char *raw = NULL;

	if (!bl_read(f->root, "/usr/lib/kernel/cmdline", &raw, NULL))
		f->from = "/usr/lib/kernel/cmdline";
	else if (!bl_read(f->root, "/proc/cmdline", &raw, NULL))
		f->from = "/proc/cmdline";
	else
		return br_fail(err, -ENOENT,
			       "%s%s does not exist and there is no %s/proc/cmdline to start it from: create it with the kernel command line of that system",
			       f->shown, CMDLINE, f->shown);
	f->others = from_proc(raw);
	f->creating = true;
	return f->others ? 0 : -ENOMEM;
}

/* The file without bootrace's part (what --remove restores), or what a new one starts from. */
static int others_text(struct ki_files *f, bool remove, struct bootrace_error *err)
{
	size_t cut = f->at ? strlen(f->st.added) + 1 : 0;
	size_t pos = f->at ? (size_t)(f->at - f->old) : 0;

	if (!f->old)
		return remove ? 0 : base_text(f, err);
	f->others = malloc(f->old_len + 1);
	if (!f->others)
		return -ENOMEM;
	memcpy(f->others, f->old, pos);
	memcpy(f->others + pos, f->old + pos + cut, f->old_len - pos - cut + 1);
	return 0;
}

/* Someone else's arguments using bootrace's names. */
static int check_others(const struct ki_files *f, const struct bootrace_setup_opts *opts,
			struct bootrace_error *err)
{
	_cleanup_free_ char *where = NULL;

	if (asprintf(&where, "%s%s", f->shown, f->from) < 0)
		where = NULL;
	return bl_conflicts(f->others, where ? where : CMDLINE, opts, err);
}

/* Is /etc/kernel/cmdline still the file bootrace created, untouched since? */
static bool still_created(const struct ki_files *f)
{
	return f->st.created && f->st.created_text && !strcmp(f->old, f->st.created_text);
}

/* --remove: the file back without bootrace's part (deleted if bootrace made it), the state gone. */
static int plan_remove(struct ki_files *f, struct bootrace_setup_plan *plan)
{
	char *new_text = NULL;
	size_t new_len = 0;
	int ret;

	if (!f->st.added)
		return 0;
	if (!still_created(f)) {
		new_len = strlen(f->others);
		new_text = TAKE_PTR(f->others);
	}
	ret = bl_plan_edit(plan, CMDLINE, 0, TAKE_PTR(f->old), f->old_len, new_text, new_len);
	if (!ret)
		ret = bl_plan_edit(plan, STATE, BL_EDIT_OWN_DIR, TAKE_PTR(f->raw_state), f->state_len, NULL, 0);
	return ret;
}

/* Setup: the fragment appended to the others, and the state that says so. */
static int plan_install(struct ki_files *f, const struct bootrace_setup_opts *opts,
			struct bootrace_setup_plan *plan)
{
	_cleanup_free_ char *text = appended(f->others, opts->fragment);
	char *state;
	size_t len;
	int ret;

	if (!text)
		return -ENOMEM;
	/* Still the file bootrace created, untouched since: --remove deletes it. */
	state = state_text(f->creating || still_created(f), opts->fragment, text);
	if (!state)
		return -ENOMEM;
	/* The state first: a crash between the two leaves it able to --remove. */
	ret = bl_plan_edit(plan, STATE, BL_EDIT_OWN_DIR, TAKE_PTR(f->raw_state), f->state_len,
			   state, strlen(state));
	len = strlen(text);
	if (!ret)
		ret = bl_plan_edit(plan, CMDLINE, 0, TAKE_PTR(f->old), f->old_len, TAKE_PTR(text), len);
	return ret;
}

/* kernel-install add for the newest kernel, when something changed. */
static int plan_regenerate(const char *root, struct bootrace_setup_plan *plan)
{
	_cleanup_free_ char *image = NULL, *release = NULL;

	if (!plan->nr_edits)
		return 0;
	release = bl_newest_kernel(root, &image);
	if (!release)
		return 0;
	plan->regenerate = bl_argv("kernel-install", "add", release, image, NULL);
	return plan->regenerate ? 0 : -ENOMEM;
}

static int ki_plan(const struct bootrace_setup_opts *opts,
		   struct bootrace_setup_plan *plan, struct bootrace_error *err)
{
	struct ki_files f = {
		.root = plan->root, .shown = bl_root_shown(plan->root), .from = CMDLINE,
	};
	int ret;

	ret = read_files(&f, plan, err);
	if (!ret)
		ret = others_text(&f, opts->remove, err);
	if (!ret && f.others && !opts->remove)
		ret = check_others(&f, opts, err);
	if (!ret)
		ret = opts->remove ? plan_remove(&f, plan) : plan_install(&f, opts, plan);
	if (!ret)
		ret = plan_regenerate(f.root, plan);
	files_clear(&f);
	return ret == -ENOMEM ? br_fail(err, ret, "out of memory") : ret;
}

/* ------------------------------------------------------- next boot */

static int ki_next_boot(const char *root, struct bootrace_next_boot *nb,
			struct bootrace_error *err)
{
	_cleanup_free_ char *raw = NULL;
	struct ki_state st;
	size_t len;

	nb->config = bl_path(root, CMDLINE);
	if (!state_read(root, &st, &raw, &len))
		nb->fragment = TAKE_PTR(st.added);
	state_clear(&st);
	nb->kernel_release = bl_newest_kernel(root, NULL);
	return 0;
}

const struct bl_backend bl_kernel_install_backend = {
	.id = BOOTRACE_BOOTLOADER_KERNEL_INSTALL,
	.name = "kernel-install",
	.looks_for = "kernel-install with /etc/kernel/cmdline or loader entries",
	.present = ki_present,
	.plan = ki_plan,
	.next_boot = ki_next_boot,
	.next_kernel = bl_newest_kernel_next,
};
