/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bootrace.conf (BOOTRACE_CONFIG_FILE): where collections go, how many are kept, how much
 * space they may take. "key = value" lines; the file is optional, every
 * key has a documented default. A line that cannot be understood stops
 * everything with its number; a key this version does not know is only a
 * warning, so a newer file does not break an older bootrace at boot.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootrace-local.h"
#include "config.h"

#define LINE_MAX_SHOWN 64

int bootrace_config_init(struct bootrace_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->state_dir = strdup(BOOTRACE_STATE_DIR);
	cfg->keep = BOOTRACE_DEFAULT_KEEP;
	if (bootrace_size_parse(BOOTRACE_DEFAULT_MAX_SIZE, &cfg->max_size, NULL))
		cfg->max_size = 0;
	return cfg->state_dir ? 0 : -ENOMEM;
}

void bootrace_config_clear(struct bootrace_config *cfg)
{
	free(cfg->state_dir);
	memset(cfg, 0, sizeof(*cfg));
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* "unlimited" or 0 mean no limit; anything else as bootrace_size_parse(). */
static int parse_limit(const char *value, unsigned long long *out)
{
	if (!strcmp(value, "unlimited") || !strcmp(value, "0")) {
		*out = 0;
		return 0;
	}
	return bootrace_size_parse(value, out, NULL);
}

static int parse_count(const char *value, unsigned int *out)
{
	unsigned long long v = 0;

	if (!strcmp(value, "unlimited")) {
		*out = 0;
		return 0;
	}
	if (!*value || strlen(value) > 9)
		return -EINVAL;
	for (const char *p = value; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (*p - '0');
	}
	*out = v;
	return 0;
}

static int set_key(struct bootrace_ctx *ctx, struct bootrace_config *cfg, const char *key,
		   const char *value, const char *where, struct bootrace_error *err)
{
	if (!strcmp(key, "state_dir")) {
		char *dir;

		if (value[0] != '/')
			return br_fail(err, -EINVAL, "%s: state_dir must be an absolute path, not '%.*s'",
				       where, LINE_MAX_SHOWN, value);
		dir = strdup(value);
		if (!dir)
			return br_fail(err, -ENOMEM, "out of memory");
		free(cfg->state_dir);
		cfg->state_dir = dir;
		return 0;
	}
	if (!strcmp(key, "keep")) {
		if (parse_count(value, &cfg->keep))
			return br_fail(err, -EINVAL, "%s: keep must be a number of collections (0 or 'unlimited': no limit), not '%.*s'",
				       where, LINE_MAX_SHOWN, value);
		return 0;
	}
	if (!strcmp(key, "max_size")) {
		if (parse_limit(value, &cfg->max_size))
			return br_fail(err, -EINVAL, "%s: max_size must be a size such as 500M or 2G (0 or 'unlimited': no limit), not '%.*s'",
				       where, LINE_MAX_SHOWN, value);
		return 0;
	}
	if (!strcmp(key, "compress")) {
		bool on = !strcmp(value, "zstd") || !strcmp(value, "yes");

		if (!on && strcmp(value, "no") && strcmp(value, "none"))
			return br_fail(err, -EINVAL, "%s: compress must be 'zstd' or 'no', not '%.*s'",
				       where, LINE_MAX_SHOWN, value);
		if (on && !bootrace_compress_supported())
			return br_fail(err, -EINVAL, "%s: compress = zstd, but this bootrace was built without zstd (libzstd-dev)",
				       where);
		cfg->compress = on;
		return 0;
	}
	br_warn(ctx, "%s: unknown key '%.*s' ignored (known: state_dir, keep, max_size, compress)",
		where, LINE_MAX_SHOWN, key);
	return 0;
}

/* One line, NUL-terminated and modified in place. */
static int parse_line(struct bootrace_ctx *ctx, struct bootrace_config *cfg, char *line, const char *where,
		      struct bootrace_error *err)
{
	char *key, *eq, *value, *end;

	while (is_blank(*line))
		line++;
	if (!*line || *line == '#')
		return 0;
	for (const char *p = line; *p; p++)
		if ((unsigned char)*p < 0x20 && !is_blank(*p))
			return br_fail(err, -EINVAL, "%s: control character in the line", where);
	eq = strchr(line, '=');
	if (!eq)
		return br_fail(err, -EINVAL, "%s: expected 'key = value', got '%.*s'",
			       where, LINE_MAX_SHOWN, line);
	key = line;
	end = eq;
	while (end > key && is_blank(end[-1]))
		end--;
	*end = '\0';
	value = eq + 1;
	while (is_blank(*value))
		value++;
	end = value + strlen(value);
	while (end > value && is_blank(end[-1]))
		end--;
	*end = '\0';
	if (!*key)
		return br_fail(err, -EINVAL, "%s: a value without a key", where);
	for (const char *p = key; *p; p++)
		if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9')))
			return br_fail(err, -EINVAL, "%s: '%.*s' is not a key (letters, digits, '_')",
				       where, LINE_MAX_SHOWN, key);
	if (!*value)
		return br_fail(err, -EINVAL, "%s: %s has no value", where, key);
	return set_key(ctx, cfg, key, value, where, err);
}

int bootrace_config_parse(struct bootrace_ctx *ctx, const char *text, const char *name,
			  struct bootrace_config *cfg, struct bootrace_error *err)
{
	char *copy, *line, *next, where[PATH_MAX + 32];
	int ret = 0, lineno = 0;

	copy = strdup(text);
	if (!copy)
		return br_fail(err, -ENOMEM, "out of memory");
	for (line = copy; line && !ret; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		snprintf(where, sizeof(where), "%s:%d", name, lineno);
		ret = parse_line(ctx, cfg, line, where, err);
	}
	free(copy);
	if (ret && err)
		err->origin = BOOTRACE_ERROR_INPUT;
	return ret;
}

int br_config_load(struct bootrace_ctx *ctx, const char *path, bool optional,
		   struct bootrace_config *cfg, struct bootrace_error *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int ret;

	/* "--config /dev/null": no file, only the defaults. */
	if (!strcmp(path, "/dev/null"))
		return 0;
	/* Bounded, and never a FIFO or a device: --config is any path. */
	ret = br_read_at(AT_FDCWD, path, BR_SMALL_FILE_MAX, BR_READ_UNTRUSTED, &text, &len);
	if (ret == -ENOENT && optional)
		return ret;
	if (ret) {
		br_fail(err, ret, "cannot read %s: %s", path,
			ret == -EINVAL ? "not a regular file" :
			ret == -EFBIG ? "larger than 1 MiB, not a configuration file" : strerror(-ret));
		if (err)
			err->origin = BOOTRACE_ERROR_INPUT;
		return ret;
	}
	if (strlen(text) != len) {
		br_fail(err, -EINVAL, "%s: not a text file (it holds a NUL byte)", path);
		if (err)
			err->origin = BOOTRACE_ERROR_INPUT;
		return -EINVAL;
	}
	return bootrace_config_parse(ctx, text, path, cfg, err);
}
