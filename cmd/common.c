/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <argp.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootrace-cmd.h"
#include "config.h"

struct global_opts global;

static struct bootrace_ctx *ctx;

static void log_to_stderr(enum bootrace_log_level level, const char *msg, void *data)
{
	static const char *const prefix[] = {
		[BOOTRACE_LOG_ERR] = "error: ",
		[BOOTRACE_LOG_WARN] = "warning: ",
		[BOOTRACE_LOG_INFO] = "",
		[BOOTRACE_LOG_DEBUG] = "debug: ",
	};

	fprintf(stderr, "bootrace: %s%s\n", prefix[level], msg);
}

int command_ctx_init(void)
{
	if (bootrace_ctx_new(&ctx)) {
		print_error("out of memory");
		return EXIT_USAGE;
	}
	bootrace_ctx_set_log_fn(ctx, log_to_stderr, NULL);
	if (global.quiet)
		bootrace_ctx_set_log_level(ctx, BOOTRACE_LOG_ERR);
	else if (global.verbose)
		bootrace_ctx_set_log_level(ctx, global.verbose > 1 ? BOOTRACE_LOG_DEBUG : BOOTRACE_LOG_INFO);
	else
		bootrace_ctx_set_log_level(ctx, BOOTRACE_LOG_WARN);
	if (global.tracefs && bootrace_ctx_set_tracefs_dir(ctx, global.tracefs)) {
		print_error("out of memory");
		return EXIT_USAGE;
	}
	return 0;
}

struct bootrace_ctx *command_ctx(void)
{
	return ctx;
}

void command_ctx_free(void)
{
	bootrace_ctx_free(ctx);
	ctx = NULL;
}

void print_error(const char *fmt, ...)
{
	va_list ap;

	fputs("bootrace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void print_info(const char *fmt, ...)
{
	va_list ap;

	if (global.quiet)
		return;
	fputs("bootrace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int exit_code_for(int err, const struct bootrace_error *e)
{
	if (e && e->origin == BOOTRACE_ERROR_INPUT && err != -ENODATA)
		return EXIT_USAGE;
	switch (-err) {
	case 0:
		return EXIT_OK;
	case ENODATA:
		return EXIT_NO_DATA;
	case ENOENT:
	case ENODEV:
	case ENOTDIR:
	case EOPNOTSUPP:
	case EPERM:
		return EXIT_NOT_READY;
	case EACCES:
		return geteuid() ? EXIT_NOT_READY : EXIT_USAGE;
	default:
		return EXIT_USAGE;
	}
}

int command_tracefs(const struct bootrace_tracefs **tfs)
{
	struct bootrace_error err;
	int ret = bootrace_ctx_tracefs(ctx, tfs, &err);

	if (ret)
		print_error("%s", err.msg);
	return ret;
}

void set_command_name(char **argv, const char *name)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "bootrace %s", name);
	argv[0] = buf;
}

const char *human_bytes(unsigned long long bytes, char buf[32])
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = bytes;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, 32, "%llu B", bytes);
	else
		snprintf(buf, 32, "%.1f %s", v, unit[u]);
	return buf;
}

/* --state-dir and --config, shared by every command that finds collections. */
enum { OPT_STATE_DIR = 0x200, OPT_CONFIG };

static const struct argp_option collection_options[] = {
	{ "state-dir", OPT_STATE_DIR, "DIR", 0, "Where the collections and the boot record are (default: state_dir of the configuration file, " BOOTRACE_STATE_DIR ")", 0 },
	{ "config", OPT_CONFIG, "FILE", 0, "Read this configuration file (default " BOOTRACE_CONFIG_FILE ", if present)", 0 },
	{ 0 }
};

static error_t parse_collection(int key, char *arg, struct argp_state *state)
{
	struct collection_args *args = state->input;

	switch (key) {
	case OPT_STATE_DIR:
		if (!*arg)
			argp_error(state, "--state-dir needs a directory");
		args->state_dir = arg;
		break;
	case OPT_CONFIG:
		if (!*arg)
			argp_error(state, "--config needs a file name");
		args->config = arg;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp collection_argp = {
	collection_options, parse_collection, NULL, NULL, NULL, NULL, NULL,
};

const struct argp_child collection_children[] = {
	{ &collection_argp, 0, NULL, 0 },
	{ 0 }
};

int apply_collection_args(const struct collection_args *args)
{
	struct bootrace_error err;
	int ret = bootrace_ctx_load_config(ctx, args->config, &err);

	if (ret) {
		print_error("%s", ret == -ENOMEM ? "out of memory" : err.msg);
		return EXIT_USAGE;
	}
	if (args->state_dir && bootrace_ctx_set_state_dir(ctx, args->state_dir)) {
		print_error("out of memory");
		return EXIT_USAGE;
	}
	return 0;
}

/* The length of the UTF-8 sequence at @s if it is a valid, printable one; else 0. */
static size_t printable_utf8(const unsigned char *s)
{
	unsigned int cp, len, min;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	min = len == 4 ? 0x10000 : len == 3 ? 0x800 : 0x80;
	cp = s[0] & (0x7f >> len);
	for (unsigned int i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong, surrogates, past Unicode, and C1 controls (0x9b is CSI). */
	if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || cp < 0xa0)
		return 0;
	return len;
}

void print_escaped(FILE *out, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;

	while (*s) {
		size_t len = *s >= 0x80 ? printable_utf8(s) : 0;

		if (len) {
			fwrite(s, 1, len, out);
			s += len;
			continue;
		}
		if (*s == '\\')
			fputs("\\\\", out);
		else if (*s == '\n')
			fputs("\\n", out);
		else if (*s == '\t')
			fputs("\\t", out);
		else if (*s < 0x20 || *s >= 0x7f)
			fprintf(out, "\\x%02x", *s);
		else
			fputc(*s, out);
		s++;
	}
}
