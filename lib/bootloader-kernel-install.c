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

#define CMDLINE "/etc/kernel/cmdline"
#define STATE "/var/lib/bootrace/setup-kernel-cmdline"
#define STATE_HEADER "# bootrace setup: what it added to /etc/kernel/cmdline, for --remove\n"

bool bl_ki_present(const char *root, bool configured_only)
{
	if (bl_exists(root, CMDLINE))
		return true;
	if (configured_only)
		return false;
	return (bl_exists(root, "/usr/bin/kernel-install") || bl_exists(root, "/bin/kernel-install")) &&
	       (bl_exists(root, "/boot/loader/entries") || bl_exists(root, "/efi/loader") ||
		bl_exists(root, "/boot/efi/loader") || bl_exists(root, "/etc/kernel/install.conf"));
}

struct ki_state {
	bool created;
	char *added;			/* the fragment, as appended */
	char *created_text;		/* the file as bootrace created it */
};

static void state_free(struct ki_state *s)
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

static int state_read(const char *root, struct ki_state *s, char **raw, size_t *raw_len)
{
	char *text, *created;
	int ret;

	memset(s, 0, sizeof(*s));
	*raw = NULL;
	ret = bl_read(root, STATE, &text, raw_len);
	if (ret)
		return ret;
	created = value(text, "created=");
	s->created = created && !strcmp(created, "yes");
	free(created);
	s->added = value(text, "added=");
	if (s->created) {
		char *line = value(text, "created_line=");

		if (line && asprintf(&s->created_text, "%s\n", line) < 0)
			s->created_text = NULL;
		free(line);
	}
	*raw = text;
	if (!s->added || strncmp(text, STATE_HEADER, strlen(STATE_HEADER)))
		return -EINVAL;
	return 0;
}

/* The arguments a bootloader adds by itself, which must not be copied. */
static bool injected(const char *w, size_t n)
{
	return (n >= 11 && !strncmp(w, "BOOT_IMAGE=", 11)) || (n >= 7 && !strncmp(w, "initrd=", 7));
}

/* /proc/cmdline minus BOOT_IMAGE= and initrd=, as kernel-install itself does. */
static char *from_proc(const char *text)
{
	char *out = malloc(strlen(text) + 2), *o = out;
	const char *p = text;

	if (!out)
		return NULL;
	while (*p) {
		const char *w;
		size_t n;

		while (isspace((unsigned char)*p))
			p++;
		w = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		n = p - w;
		if (!n || injected(w, n))
			continue;
		if (o != out)
			*o++ = ' ';
		memcpy(o, w, n);
		o += n;
	}
	*o++ = '\n';
	*o = '\0';
	return out;
}

/* Where " FRAGMENT" sits in @text, as whole words; NULL if not exactly once. */
static char *find_added(char *text, const char *fragment)
{
	size_t n = strlen(fragment);
	char *p = text, *found = NULL;

	while ((p = strstr(p, fragment))) {
		if (p > text && p[-1] == ' ' && (!p[n] || isspace((unsigned char)p[n]))) {
			if (found)
				return NULL;
			found = p - 1;
		}
		p++;
	}
	return found;
}

static int base_text(const char *root, char **text, const char **from,
		     struct bootrace_error *err)
{
	char *raw;
	int ret;

	/* kernel-install's own fallbacks when /etc/kernel/cmdline is absent. */
	if (!bl_read(root, "/usr/lib/kernel/cmdline", &raw, NULL)) {
		*from = "/usr/lib/kernel/cmdline";
	} else if (!(ret = bl_read(root, "/proc/cmdline", &raw, NULL))) {
		*from = "/proc/cmdline";
	} else {
		return br_fail(err, -ENOENT,
			       "%s%s does not exist and there is no %s/proc/cmdline to start it from: create it with the kernel command line of that system",
			       strcmp(root, "/") ? root : "", CMDLINE, strcmp(root, "/") ? root : "");
	}
	*text = from_proc(raw);
	free(raw);
	return *text ? 0 : br_fail(err, -ENOMEM, "out of memory");
}

int bl_ki_plan(const struct bootrace_setup_opts *opts,
	       struct bootrace_setup_plan *plan, struct bootrace_error *err)
{
	const char *root = opts->root, *shown = strcmp(opts->root, "/") ? opts->root : "";
	char *old = NULL, *raw_state = NULL, *text = NULL, *others = NULL, *image = NULL, *release;
	size_t old_len = 0, state_len = 0;
	struct ki_state st;
	bool created = false;
	const char *from = CMDLINE;
	char *where = NULL, *at = NULL;
	int ret;

	ret = state_read(root, &st, &raw_state, &state_len);
	if (ret == -EINVAL)
		return br_fail(err, ret, "%s%s is not what bootrace writes: nothing was changed; remove it if %s%s carries no bootrace arguments",
			       shown, STATE, shown, CMDLINE);
	if (ret && ret != -ENOENT)
		return br_fail(err, ret, "cannot read %s%s: %s", shown, STATE, strerror(-ret));
	ret = bl_read(root, CMDLINE, &old, &old_len);
	if (ret && ret != -ENOENT) {
		ret = br_fail(err, ret, "cannot read %s%s: %s", shown, CMDLINE,
			      ret == -EINVAL ? "not a regular file" : strerror(-ret));
		goto out;
	}
	if (!old && st.added) {
		ret = br_fail(err, -ENOENT, "%s%s is gone but %s%s says bootrace added to it: remove that state file", shown, CMDLINE, shown, STATE);
		goto out;
	}
	if (old && strlen(old) != old_len) {
		ret = br_fail(err, -EINVAL, "%s%s contains a NUL byte: nothing was changed", shown, CMDLINE);
		goto out;
	}
	if (old && st.added) {
		at = find_added(old, st.added);
		if (!at) {
			ret = br_fail(err, -EEXIST,
				      "%s%s no longer holds bootrace's arguments exactly once as it added them ('%.80s'): nothing was changed; fix the file by hand",
				      shown, CMDLINE, st.added);
			goto out;
		}
		plan->installed = strdup(st.added);
	}
	/* The file without bootrace's part: what --remove restores. */
	if (old) {
		size_t cut = at ? strlen(st.added) + 1 : 0, pos = at ? (size_t)(at - old) : 0;

		others = malloc(old_len + 1);
		if (!others) {
			ret = -ENOMEM;
			goto out;
		}
		memcpy(others, old, pos);
		memcpy(others + pos, old + pos + cut, old_len - pos - cut + 1);
	} else if (!opts->remove) {
		ret = base_text(root, &others, &from, err);
		if (ret)
			goto out;
		created = true;
	}
	if (others && !opts->remove) {
		if (asprintf(&where, "%s%s", shown, from) < 0)
			where = NULL;
		ret = bl_conflicts(others, where ? where : CMDLINE, opts, err);
		if (ret)
			goto out;
	}

	if (opts->remove) {
		if (!st.added)
			goto out;
		if (st.created && st.created_text && !strcmp(old, st.created_text)) {
			free(others);
			ret = bl_plan_edit(plan, CMDLINE, true, old, old_len, true, NULL, 0);
		} else
			ret = bl_plan_edit(plan, CMDLINE, true, old, old_len, false, others, strlen(others));
		old = others = NULL;
		if (!ret)
			ret = bl_plan_edit(plan, STATE, true, raw_state, state_len, true, NULL, 0);
		raw_state = NULL;
	} else {
		size_t len = strlen(others), end = len;
		char *state;

		/* Append after the last word, before the trailing newline. */
		while (end && isspace((unsigned char)others[end - 1]))
			end--;
		if (asprintf(&text, "%.*s%s%s%s", (int)end, others, end ? " " : "", opts->fragment, others + end) < 0) {
			text = NULL;
			ret = -ENOMEM;
			goto out;
		}
		if (!end) {
			/* " FRAGMENT" is what find_added looks for: keep the space. */
			free(text);
			if (asprintf(&text, " %s\n", opts->fragment) < 0) {
				text = NULL;
				ret = -ENOMEM;
				goto out;
			}
		}
		/* Still the file bootrace created, untouched since: --remove deletes it. */
		if (created || (st.created && st.created_text && !strcmp(old, st.created_text)))
			ret = asprintf(&state, STATE_HEADER "created=yes\nadded=%s\ncreated_line=%.*s\n",
				       opts->fragment, (int)strcspn(text, "\n"), text);
		else
			ret = asprintf(&state, STATE_HEADER "created=no\nadded=%s\n", opts->fragment);
		if (ret < 0) {
			ret = -ENOMEM;
			goto out;
		}
		/* The state first: a crash between the two leaves it able to --remove. */
		ret = bl_plan_edit(plan, STATE, raw_state != NULL, raw_state, state_len, false, state, strlen(state));
		raw_state = NULL;
		if (!ret)
			ret = bl_plan_edit(plan, CMDLINE, old != NULL, old, old_len, false, text, strlen(text));
		old = text = NULL;
		if (!ret && plan->nr_edits == 0)
			goto out;
	}
	if (!ret && plan->nr_edits) {
		release = bl_newest_kernel(root, &image);
		if (release)
			plan->regenerate = bl_argv("kernel-install", "add", release, image, NULL);
		free(release);
	}
out:
	if (ret == -ENOMEM)
		br_fail(err, ret, "out of memory");
	free(old);
	free(raw_state);
	free(text);
	free(others);
	free(where);
	free(image);
	state_free(&st);
	return ret;
}

int bl_ki_next_boot(const char *root, struct bootrace_next_boot *nb,
		    struct bootrace_error *err)
{
	struct ki_state st;
	char *raw = NULL;
	size_t len;

	nb->config = bl_path(root, CMDLINE);
	if (!state_read(root, &st, &raw, &len) && st.added) {
		nb->fragment = st.added;
		st.added = NULL;
	}
	free(raw);
	state_free(&st);
	nb->kernel_release = bl_newest_kernel(root, NULL);
	return 0;
}
