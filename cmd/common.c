/* SPDX-License-Identifier: GPL-2.0-or-later */
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
