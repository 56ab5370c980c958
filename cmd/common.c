/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <argp.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootrace-cmd.h"

struct global_opts global;

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

int open_tracefs(struct bootrace_tracefs **tfs)
{
	struct bootrace_error err;
	int ret = bootrace_tracefs_open(global.tracefs, tfs, &err);

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
	{ "state-dir", OPT_STATE_DIR, "DIR", 0, "Where the collections are (default: state_dir of the configuration file, " BOOTRACE_DEFAULT_STATE_DIR ")", 0 },
	{ "config", OPT_CONFIG, "FILE", 0, "Read this configuration file (default " BOOTRACE_DEFAULT_CONFIG ", if present)", 0 },
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

int load_collection_config(const struct collection_args *args, struct bootrace_config *cfg)
{
	struct bootrace_error err;
	char *dir;
	int ret = bootrace_config_init(cfg);

	if (!ret)
		ret = bootrace_config_load(args->config, cfg, &err);
	if (ret) {
		print_error("%s", ret == -ENOMEM ? "out of memory" : err.msg);
		bootrace_config_free(cfg);
		return EXIT_USAGE;
	}
	if (args->state_dir) {
		dir = strdup(args->state_dir);
		if (!dir) {
			bootrace_config_free(cfg);
			return EXIT_USAGE;
		}
		free(cfg->state_dir);
		cfg->state_dir = dir;
	}
	return 0;
}

int config_state_dir(const struct collection_args *args, char **out)
{
	struct bootrace_config cfg;
	int ret = load_collection_config(args, &cfg);

	if (ret)
		return ret;
	*out = strdup(cfg.state_dir);
	bootrace_config_free(&cfg);
	return *out ? 0 : EXIT_USAGE;
}
