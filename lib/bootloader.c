/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Installing the command line into a bootloader, reversibly: a plan of
 * file edits under a root (so --dry-run can show it as a diff), applied
 * atomically, then the bootloader's own regeneration. This file only
 * dispatches: each bootloader is a struct bl_backend (bootloader-grub.c,
 * bootloader-kernel-install.c), what they share is in bootloader-util.c,
 * and writing a plan in bootloader-edit.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootloader-local.h"

/* In the order a tie in detection goes. */
static const struct bl_backend *const backends[] = {
	&bl_grub_backend,
	&bl_kernel_install_backend,
};

static const char *const other_names[] = {
	[BOOTRACE_BOOTLOADER_AUTO] = "auto",
	[BOOTRACE_BOOTLOADER_PRINT] = "print",
};

static const struct bl_backend *backend_of(enum bootrace_bootloader bl)
{
	for (size_t i = 0; i < ARRAY_SIZE(backends); i++)
		if (backends[i]->id == bl)
			return backends[i];
	return NULL;
}

const char *bootrace_bootloader_name(enum bootrace_bootloader bl)
{
	const struct bl_backend *b = backend_of(bl);

	if (b)
		return b->name;
	return bl < ARRAY_SIZE(other_names) && other_names[bl] ? other_names[bl] : "?";
}

int bootrace_bootloader_parse(const char *name, enum bootrace_bootloader *bl,
			      struct bootrace_error *err)
{
	for (enum bootrace_bootloader i = 0; i <= BOOTRACE_BOOTLOADER_PRINT; i++)
		if (name && !strcmp(name, bootrace_bootloader_name(i))) {
			*bl = i;
			return 0;
		}
	br_fail(err, -EINVAL, "unknown bootloader '%.40s': use grub, kernel-install or print", name ? name : "");
	if (err)
		err->origin = BOOTRACE_ERROR_INPUT;
	return -EINVAL;
}

/* The context's root; "" counts as "/". */
static const char *root_of(const struct bootrace_ctx *ctx)
{
	const char *root = bootrace_ctx_root(ctx);

	return root && *root ? root : "/";
}

/* "neither A nor B nor C": what the backends look for. */
static int no_bootloader(const char *root, struct bootrace_error *err)
{
	char looked[512] = "";
	size_t used = 0;

	for (size_t i = 0; i < ARRAY_SIZE(backends) && used < sizeof(looked); i++)
		used += snprintf(looked + used, sizeof(looked) - used, "%s%s",
				 i ? " nor " : "neither ", backends[i]->looks_for);
	return br_fail(err, -ENOENT,
		       "no known bootloader under %s (%s): use '--bootloader print' and add the line yourself",
		       root, looked);
}

static int detect(const char *root, const struct bl_backend **out, struct bootrace_error *err)
{
	enum bl_presence best = BL_ABSENT;

	*out = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(backends); i++) {
		enum bl_presence p = backends[i]->present(root);

		if (p > best) {
			best = p;
			*out = backends[i];
		}
	}
	return *out ? 0 : no_bootloader(root, err);
}

int bootrace_bootloader_detect(struct bootrace_ctx *ctx, enum bootrace_bootloader *bl,
			       struct bootrace_error *err)
{
	const struct bl_backend *b;
	int ret = detect(root_of(ctx), &b, err);

	if (!ret)
		*bl = b->id;
	return ret;
}

int bootrace_next_kernel(struct bootrace_ctx *ctx, enum bootrace_bootloader bl,
			 char **release, char **how, struct bootrace_error *err)
{
	const struct bl_backend *b = backend_of(bl);

	*release = NULL;
	*how = NULL;
	if (!b)
		return bl_newest_kernel_next(root_of(ctx), release, how, err);
	return b->next_kernel(root_of(ctx), release, how, err);
}

/* ------------------------------------------------------------ plans */

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

int bootrace_setup_plan(struct bootrace_ctx *ctx, const struct bootrace_setup_opts *opts,
			struct bootrace_setup_plan *plan,
			struct bootrace_error *err)
{
	const struct bl_backend *b = backend_of(opts->bootloader);
	int ret;

	memset(plan, 0, sizeof(*plan));
	plan->root = strdup(root_of(ctx));
	if (!plan->root)
		return br_fail(err, -ENOMEM, "out of memory");
	if (opts->bootloader == BOOTRACE_BOOTLOADER_AUTO) {
		ret = detect(plan->root, &b, err);
		if (ret)
			return ret;
	}
	plan->bootloader = opts->bootloader;
	if (!b)
		return 0;
	plan->bootloader = b->id;
	ret = b->plan(opts, plan, err);
	if (!ret && plan->regenerate) {
		plan->regenerate_text = shell_quote_join(plan->regenerate);
		if (!plan->regenerate_text)
			ret = br_fail(err, -ENOMEM, "out of memory");
	}
	return ret;
}

void bootrace_setup_plan_clear(struct bootrace_setup_plan *plan)
{
	for (int i = 0; i < plan->nr_edits; i++) {
		free(plan->edits[i].path);
		free(plan->edits[i].old_text);
		free(plan->edits[i].new_text);
	}
	free(plan->edits);
	bootrace_strv_free(plan->regenerate);
	free(plan->regenerate_text);
	free(plan->installed);
	free(plan->root);
	memset(plan, 0, sizeof(*plan));
}

/* ------------------------------------------------------- next boot */

int bootrace_next_boot_read(struct bootrace_ctx *ctx, struct bootrace_next_boot *nb,
			    struct bootrace_error *err)
{
	const struct bl_backend *b;
	const char *root = root_of(ctx);

	memset(nb, 0, sizeof(*nb));
	/* No bootloader of ours: nothing configures the next boot, not an error. */
	if (detect(root, &b, NULL))
		return 0;
	nb->bootloader = b->id;
	return b->next_boot(root, nb, err);
}

void bootrace_next_boot_clear(struct bootrace_next_boot *nb)
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
