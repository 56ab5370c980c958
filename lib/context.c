/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The context: one object holding what every area of the library shares
 * (tracefs, the root, the configuration and its state directory, the
 * kernel command line, the log function), in the spirit of libkmod's
 * kmod_ctx. Test seams are its fields, not globals.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include <event-parse.h>
#include <trace-cmd.h>
#include <tracefs.h>

#include "bootrace-local.h"
#include "config.h"
#include "context.h"

int bootrace_ctx_new(struct bootrace_ctx **out)
{
	struct bootrace_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return -ENOMEM;
	ctx->log_level = BOOTRACE_LOG_WARN;
	if (bootrace_config_init(&ctx->config)) {
		free(ctx);
		return -ENOMEM;
	}
	*out = ctx;
	return 0;
}

void bootrace_ctx_free(struct bootrace_ctx *ctx)
{
	if (!ctx)
		return;
	br_tracefs_free(ctx->tfs);
	bootrace_config_clear(&ctx->config);
	free(ctx->config_file);
	free(ctx->state_dir);
	free(ctx->root);
	free(ctx->tracefs_dir);
	free(ctx->proc_cmdline);
	free(ctx);
}

void bootrace_ctx_set_log_fn(struct bootrace_ctx *ctx, bootrace_log_fn fn, void *data)
{
	ctx->log_fn = fn;
	ctx->log_data = data;
}

void bootrace_ctx_set_log_level(struct bootrace_ctx *ctx, enum bootrace_log_level level)
{
	/*
	 * The libraries complain about every event format whose print format
	 * they cannot parse; that is noise unless the user asked for more.
	 */
	static const enum tep_loglevel tep_level[] = {
		[BOOTRACE_LOG_ERR] = TEP_LOG_CRITICAL,
		[BOOTRACE_LOG_WARN] = TEP_LOG_CRITICAL,
		[BOOTRACE_LOG_INFO] = TEP_LOG_WARNING,
		[BOOTRACE_LOG_DEBUG] = TEP_LOG_ALL,
	};

	if (level > BOOTRACE_LOG_DEBUG)
		level = BOOTRACE_LOG_DEBUG;
	ctx->log_level = level;
	/* One switch for every library, as trace-cmd's -v does. */
	tep_set_loglevel(tep_level[level]);
	tracefs_set_loglevel(tep_level[level]);
	tracecmd_set_loglevel(tep_level[level]);
}

/* Replace the string *@field by a copy of @value (NULL clears it). */
static int set_string(char **field, const char *value)
{
	char *copy = NULL;

	if (value) {
		copy = strdup(value);
		if (!copy)
			return -ENOMEM;
	}
	free(*field);
	*field = copy;
	return 0;
}

int bootrace_ctx_load_config(struct bootrace_ctx *ctx, const char *path,
			     struct bootrace_error *err)
{
	struct bootrace_config cfg;
	const char *file = path ? path : BOOTRACE_CONFIG_FILE;
	int ret = bootrace_config_init(&cfg);

	if (ret)
		return br_fail(err, ret, "out of memory");
	ret = br_config_load(ctx, file, !path, &cfg, err);
	if (ret == -ENOENT && !path) {
		/* The default file is optional: the defaults stand. */
		bootrace_config_clear(&cfg);
		return 0;
	}
	if (ret) {
		bootrace_config_clear(&cfg);
		return ret;
	}
	if (set_string(&ctx->config_file, file)) {
		bootrace_config_clear(&cfg);
		return br_fail(err, -ENOMEM, "out of memory");
	}
	bootrace_config_clear(&ctx->config);
	ctx->config = cfg;
	return 0;
}

int bootrace_ctx_set_state_dir(struct bootrace_ctx *ctx, const char *dir)
{
	return set_string(&ctx->state_dir, dir);
}

int bootrace_ctx_set_root(struct bootrace_ctx *ctx, const char *root)
{
	return set_string(&ctx->root, root);
}

int bootrace_ctx_set_tracefs_dir(struct bootrace_ctx *ctx, const char *dir)
{
	br_tracefs_free(ctx->tfs);
	ctx->tfs = NULL;
	return set_string(&ctx->tracefs_dir, dir);
}

int bootrace_ctx_set_proc_cmdline(struct bootrace_ctx *ctx, const char *cmdline)
{
	int ret = set_string(&ctx->proc_cmdline, cmdline);

	if (!ret)
		ctx->proc_cmdline_read = cmdline != NULL;
	return ret;
}

const char *bootrace_ctx_state_dir(const struct bootrace_ctx *ctx)
{
	return ctx->state_dir ? ctx->state_dir : ctx->config.state_dir;
}

const char *bootrace_ctx_root(const struct bootrace_ctx *ctx)
{
	return ctx->root ? ctx->root : "/";
}

bool bootrace_ctx_has_root(const struct bootrace_ctx *ctx)
{
	return ctx->root && strcmp(ctx->root, "/");
}

const struct bootrace_config *bootrace_ctx_config(const struct bootrace_ctx *ctx)
{
	return &ctx->config;
}

const char *bootrace_ctx_config_file(const struct bootrace_ctx *ctx)
{
	return ctx->config_file;
}

const char *bootrace_ctx_proc_cmdline(struct bootrace_ctx *ctx)
{
	if (!ctx->proc_cmdline_read) {
		char *text = NULL;

		ctx->proc_cmdline_read = true;
		if (!br_read_at(AT_FDCWD, "/proc/cmdline", BR_SMALL_FILE_MAX, 0, &text, NULL))
			ctx->proc_cmdline = br_strip(text);
	}
	return ctx->proc_cmdline ? ctx->proc_cmdline : "";
}

int bootrace_ctx_tracefs(struct bootrace_ctx *ctx, const struct bootrace_tracefs **tfs,
			 struct bootrace_error *err)
{
	int ret;

	if (!ctx->tfs) {
		ret = br_tracefs_open(ctx, ctx->tracefs_dir, &ctx->tfs, err);
		if (ret)
			return ret;
	}
	*tfs = ctx->tfs;
	return 0;
}

void br_cmdline_config_read(struct bootrace_ctx *ctx,
			    struct bootrace_cmdline_config *cfg)
{
	bootrace_cmdline_config_parse(bootrace_ctx_proc_cmdline(ctx), cfg);
}
