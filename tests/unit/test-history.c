/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bootrace.conf parsing against malformed and boundary input, retention
 * (keep, max_size, the newest never removed, nothing but what bootrace
 * made touched), and resolving a report argument.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootrace.h"
#include "config.h"
#include "tap.h"

static char warnings[4096];
static struct bootrace_ctx *ctx;
static char conf_path[4200];

static void capture(enum bootrace_log_level level, const char *msg, void *data)
{
	strncat(warnings, msg, sizeof(warnings) - strlen(warnings) - 2);
	strcat(warnings, "\n");
}

static int parse(const char *text, struct bootrace_config *cfg, struct bootrace_error *err)
{
	bootrace_config_clear(cfg);
	bootrace_config_init(cfg);
	warnings[0] = '\0';
	memset(err, 0, sizeof(*err));
	return bootrace_config_parse(ctx, text, "test.conf", cfg, err);
}

static void test_config(void)
{
	static const struct { const char *text, *needle; } bad[] = {
		{ "keep\n", "test.conf:1: expected 'key = value'" },
		{ "# c\n\nkeep = three\n", "test.conf:3: keep must be a number" },
		{ "keep = -1\n", "test.conf:1: keep" },
		{ "keep = 1 2\n", "test.conf:1: keep" },
		{ "keep = 99999999999999999999\n", "test.conf:1: keep" },
		{ "keep =\n", "test.conf:1: keep has no value" },
		{ "= 3\n", "test.conf:1: a value without a key" },
		{ "max_size = 12X\n", "test.conf:1: max_size must be a size" },
		{ "max_size = 99999999999G\n", "test.conf:1: max_size" },
		{ "state_dir = relative/dir\n", "test.conf:1: state_dir must be an absolute path" },
		{ "ke y = 3\n", "test.conf:1: 'ke y' is not a key" },
		{ "keep = 3\x01\n", "test.conf:1: control character" },
		{ "keep = 3\nkeep 4\n", "test.conf:2:" },
		{ "compress = gzip\n", "test.conf:1: compress must be 'zstd' or 'no'" },
	};
	struct bootrace_config cfg;
	struct bootrace_error err;
	int ret;

	bootrace_config_init(&cfg);
	tap_is_str(cfg.state_dir, BOOTRACE_STATE_DIR, "default state_dir (meson's localstatedir)");
	tap_is_int(cfg.keep, 10, "default keep");
	tap_is_int(cfg.max_size, 1ULL << 30, "default max_size 1G");

	ret = parse("", &cfg, &err);
	tap_ok(ret == 0 && cfg.keep == 10, "an empty file keeps the defaults");
	ret = parse("# only a comment\n   \n\t# indented comment", &cfg, &err);
	tap_ok(ret == 0, "comments and blank lines, no final newline");
	ret = parse("state_dir = /srv/crash\r\n  keep=3  \nmax_size\t=\t100M\n", &cfg, &err);
	tap_ok(ret == 0 && !strcmp(cfg.state_dir, "/srv/crash") && cfg.keep == 3 &&
	       cfg.max_size == 100ULL << 20, "values with blanks, tabs and CRLF");
	ret = parse("keep = 0\nmax_size = 0\n", &cfg, &err);
	tap_ok(ret == 0 && cfg.keep == 0 && cfg.max_size == 0, "0 means no limit");
	ret = parse("keep = unlimited\nmax_size = unlimited\n", &cfg, &err);
	tap_ok(ret == 0 && cfg.keep == 0 && cfg.max_size == 0, "'unlimited' means no limit");
	ret = parse("keep = 999999999\n", &cfg, &err);
	tap_ok(ret == 0 && cfg.keep == 999999999, "the largest keep");
	ret = parse("keep = 2\nkeep = 5\n", &cfg, &err);
	tap_ok(ret == 0 && cfg.keep == 5, "the last value of a key wins");
	tap_ok(!cfg.compress, "default: no compression");
	ret = parse("compress = zstd\n", &cfg, &err);
	tap_ok(ret == (bootrace_compress_supported() ? 0 : -EINVAL) &&
	       cfg.compress == bootrace_compress_supported(),
	       "compress = zstd (an error naming libzstd in a build without it)");
	ret = parse("compress = no\n", &cfg, &err);
	tap_ok(ret == 0 && !cfg.compress, "compress = no");
	ret = parse("colour = blue\nkeep = 4\n", &cfg, &err);
	tap_ok(ret == 0 && cfg.keep == 4 && strstr(warnings, "test.conf:1: unknown key 'colour'"),
	       "an unknown key is a warning naming the line, the rest still applies");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ret = parse(bad[i].text, &cfg, &err);
		tap_ok(ret == -EINVAL && strstr(err.msg, bad[i].needle) &&
		       err.origin == BOOTRACE_ERROR_INPUT && !strchr(err.msg, '\n'),
		       "malformed %zu: one line naming the line (%s)", i, err.msg);
	}
	bootrace_config_clear(&cfg);
}

static void test_config_load(const char *dir)
{
	struct bootrace_error err;
	char path[4096];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/missing.conf", dir);
	ret = bootrace_ctx_load_config(ctx, path, &err);
	tap_ok(ret == -ENOENT && strstr(err.msg, "missing.conf"), "a missing --config file is an error");
	snprintf(path, sizeof(path), "%s/nul.conf", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (write(fd, "keep = 1\0\nkeep = 2\n", 19) != 19)
		perror("write");
	close(fd);
	ret = bootrace_ctx_load_config(ctx, path, &err);
	tap_ok(ret == -EINVAL && strstr(err.msg, "NUL"), "a file with a NUL byte is refused");
	ret = bootrace_ctx_load_config(ctx, "/dev/zero", &err);
	tap_ok(ret == -EINVAL && strstr(err.msg, "/dev/zero"), "a device is refused, not read forever (%s)", err.msg);
	snprintf(path, sizeof(path), "%s/fifo.conf", dir);
	mkfifo(path, 0600);
	ret = bootrace_ctx_load_config(ctx, path, &err);
	tap_ok(ret == -EINVAL, "a FIFO is refused, not waited on");
	snprintf(path, sizeof(path), "%s/state.conf", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (write(fd, "state_dir = /srv/elsewhere\n", 26) != 26)
		perror("write");
	close(fd);
	ret = bootrace_ctx_load_config(ctx, path, &err);
	tap_ok(ret == 0 && !strcmp(bootrace_ctx_state_dir(ctx), "/srv/elsewhere"),
	       "the context's state directory is the configuration file's");
	bootrace_ctx_set_state_dir(ctx, "/srv/given");
	ret = bootrace_ctx_load_config(ctx, path, &err);
	tap_ok(ret == 0 && !strcmp(bootrace_ctx_state_dir(ctx), "/srv/given"),
	       "a state directory set on the context wins over the file's");
	bootrace_ctx_set_state_dir(ctx, NULL);
}

/* A collection as collect makes one: a 0700 directory of 0600 files (umask 077, as bootrace). */
static void make_collection(const char *state, const char *name, size_t bytes)
{
	char path[4096];
	char *buf = calloc(1, bytes ? bytes : 1);
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", state, name);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/%s/trace.dat", state, name);
	f = fopen(path, "w");
	fwrite(buf, 1, bytes, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/%s/info", state, name);
	f = fopen(path, "w");
	fprintf(f, "# written by bootrace collect; read by bootrace list\n"
		"collected=%.20s\nkernel=7.2.13\nevents=42\nlost=3\nfirst_ns=1000\nlast_ns=3000\n", name);
	fclose(f);
	free(buf);
}

static bool exists(const char *state, const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", state, name);
	return !access(path, F_OK);
}

#define C1 "2026-01-01T00:00:01Z-aaaa"
#define C2 "2026-01-01T00:00:02Z-bbbb"
#define C3 "2026-01-02T00:00:00Z-cccc.partial"
#define C4 "2026-02-01T00:00:00Z-dddd"

/* Retention limits, given as a user gives them: in the configuration file. */
static void set_limits(unsigned int keep, unsigned long long max_size)
{
	struct bootrace_error err;
	FILE *f = fopen(conf_path, "w");

	fprintf(f, "keep = %u\nmax_size = %llu\n", keep, max_size);
	fclose(f);
	if (bootrace_ctx_load_config(ctx, conf_path, &err))
		printf("# cannot load %s: %s\n", conf_path, err.msg);
}

static void test_retention(const char *dir)
{
	struct bootrace_collection *list;
	struct bootrace_error err;
	char state[4096], path[8192], **removed;
	int nr, ret;

	snprintf(state, sizeof(state), "%s/state", dir);
	mkdir(state, 0700);
	snprintf(conf_path, sizeof(conf_path), "%s/bootrace.conf", dir);
	bootrace_ctx_set_state_dir(ctx, state);
	set_limits(10, 1ULL << 30);

	ret = bootrace_history_read(ctx, &list, &nr, &err);
	tap_ok(ret == 0 && nr == 0, "an empty state directory lists nothing");
	bootrace_history_free(list, nr);
	ret = bootrace_history_prune(ctx, NULL, &err);
	tap_is_int(ret, 0, "retention on an empty directory removes nothing");

	make_collection(state, C4, 4096);
	make_collection(state, C2, 4096);
	make_collection(state, C1, 4096);
	make_collection(state, C3, 4096);
	/* Not collections: never listed, never removed. */
	mkdir(strcat(strcpy(path, state), "/notes"), 0700);
	mkdir(strcat(strcpy(path, state), "/.new-abcdef"), 0700);
	mkdir(strcat(strcpy(path, state), "/2026-13"), 0700);

	ret = bootrace_history_read(ctx, &list, &nr, &err);
	tap_ok(ret == 0 && nr == 4, "four collections listed, other directories not (%d)", nr);
	if (ret == 0 && nr == 4) {
		tap_is_str(list[0].name, C1, "oldest first");
		tap_is_str(list[3].name, C4, "newest last");
		tap_ok(list[2].partial && !list[1].partial, "a .partial directory is marked partial");
		tap_ok(list[0].has_info && list[0].events == 42 && list[0].lost == 3 &&
		       list[0].has_span && list[0].last_ns - list[0].first_ns == 2000 &&
		       !strcmp(list[0].kernel, "7.2.13"), "the sidecar's values");
		tap_ok(list[0].size >= 4096, "the size counts the files");
	}
	bootrace_history_free(list, nr);

	set_limits(0, 0);
	ret = bootrace_history_prune(ctx, NULL, &err);
	tap_is_int(ret, 0, "no limits: nothing removed");

	set_limits(3, 0);
	ret = bootrace_history_prune(ctx, &removed, &err);
	tap_ok(ret == 1 && removed && !strcmp(removed[0], C1) && !exists(state, C1) && exists(state, C2),
	       "keep = 3: the oldest of four removed");
	bootrace_strv_free(removed);

	set_limits(0, 2 * 4096 + 2048);
	ret = bootrace_history_prune(ctx, NULL, &err);
	tap_ok(ret == 1 && !exists(state, C2) && exists(state, C3) && exists(state, C4),
	       "max_size: the oldest removed until the rest fit (%d)", ret);

	set_limits(1, 1);
	make_collection(state, "2026-03-01T00:00:00Z-eeee", 8192);
	mkdir(strcat(strcpy(path, state), "/2026-02-01T00:00:00Z-dddd/sub"), 0700);
	warnings[0] = '\0';
	ret = bootrace_history_prune(ctx, NULL, &err);
	tap_ok(ret == 1 && exists(state, C4 "/sub") && exists(state, C4 "/trace.dat") && !exists(state, C3) &&
	       strstr(warnings, "left ") && strstr(warnings, C4 " alone: it holds 'sub'"),
	       "a collection holding a directory bootrace did not make is left alone, and said so");
	rmdir(strcat(strcpy(path, state), "/" C4 "/sub"));
	ret = bootrace_history_prune(ctx, NULL, &err);
	tap_ok(ret == 1 && !exists(state, C4) && exists(state, "2026-03-01T00:00:00Z-eeee"),
	       "the newest is never removed, even over max_size and keep = 1");
	/* Files bootrace did not write: another owner's mode, a name it never gives. */
	make_collection(state, "2026-02-15T00:00:00Z-gggg", 100);
	chmod(strcat(strcpy(path, state), "/2026-03-01T00:00:00Z-eeee/info"), 0644);
	ret = bootrace_history_prune(ctx, NULL, &err);
	tap_ok(ret == 0 && exists(state, "2026-03-01T00:00:00Z-eeee/info"),
	       "a collection with a file others may read is not bootrace's as it left it: not removed");
	/* A sidecar collect did not write (its first line): not a collection of bootrace's either. */
	chmod(strcat(strcpy(path, state), "/2026-03-01T00:00:00Z-eeee/info"), 0600);
	make_collection(state, "2026-02-20T00:00:00Z-hhhh", 100);
	{
		FILE *f = fopen(strcat(strcpy(path, state), "/2026-02-15T00:00:00Z-gggg/info"), "w");

		fputs("collected=2026-02-15T00:00:00Z\n", f);
		fclose(f);
	}
	ret = bootrace_history_prune(ctx, NULL, &err);
	tap_ok(ret == 1 && exists(state, "2026-02-15T00:00:00Z-gggg/info") &&
	       !exists(state, "2026-02-20T00:00:00Z-hhhh") && exists(state, "2026-03-01T00:00:00Z-eeee"),
	       "a sidecar without collect's first line: left alone; bootrace's older one removed");
	tap_ok(exists(state, "notes") && exists(state, ".new-abcdef") && exists(state, "2026-13"),
	       "directories not named like collections are left alone");

	/* Resolving report's argument. */
	{
		char *file = NULL;

		ret = bootrace_collection_resolve(ctx, NULL, &file, &err);
		tap_ok(ret == 0 && strstr(file, "2026-03-01T00:00:00Z-eeee/trace.dat"), "no argument: the newest");
		free(file);
		ret = bootrace_collection_resolve(ctx, "2026-03-01T00:00:00Z-eeee", &file, &err);
		tap_ok(ret == 0 && strstr(file, "eeee/trace.dat"), "a collection's name");
		free(file);
		ret = bootrace_collection_resolve(ctx, "no-such", &file, &err);
		tap_ok(ret == -ENOENT && err.origin == BOOTRACE_ERROR_INPUT && strstr(err.msg, "no-such"),
		       "an unknown name: an input error naming it");
		ret = bootrace_collection_resolve(ctx, "/no/such/file.dat", &file, &err);
		tap_ok(ret == -ENOENT && strstr(err.msg, "/no/such/file.dat"), "a missing path");
	}
}

/*
 * A directory someone else put in the state directory, with a trace.dat
 * in it, is not a collection: not listed, not the newest, not a name.
 */
static void test_foreign(const char *dir)
{
	struct bootrace_collection *list;
	struct bootrace_error err;
	char state[4096], path[8192], *file = NULL;
	int nr, ret;

	static const struct { const char *name; bool valid; } names[] = {
		{ "2026-11-26T07:12:03Z-8802d4b585764c32b2255d157633efb6", true },
		{ "2026-11-26T07:12:03Z-8802d4b585764c32b2255d157633efb6-2", true },
		{ "2026-11-26T07:12:03Z-8802d4b585764c32b2255d157633efb6.partial", true },
		{ "2026-11-26T07:12:03Z-interrupted.partial", true },
		{ "2026-11-26T07:12:03Z-", false },
		{ "2026-11-26T07:12:03Z-.partial", false },
		{ "2026-11-26T07:12:03Z", false },
		{ "2026-11-26T07:12:03Z-Mine", false },
		{ "2026-11-26T07:12:03Z-a.b", false },
		{ "2026-11-26T07:12:03Z-a b", false },
		{ "zzz-notmine", false },
		{ ".new-abcdef", false },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		tap_ok(bootrace_collection_name_valid(names[i].name) == names[i].valid,
		       "'%s' is %sa collection's name", names[i].name, names[i].valid ? "" : "not ");
	snprintf(state, sizeof(state), "%s/foreign", dir);
	mkdir(state, 0700);
	bootrace_ctx_set_state_dir(ctx, state);
	make_collection(state, "zzz-notmine", 100);
	ret = bootrace_collection_resolve(ctx, NULL, &file, &err);
	tap_ok(ret == -ENOENT && !file, "only a foreign directory: no newest collection (%s)", err.msg);
	make_collection(state, "2026-03-01T00:00:00Z-eeee", 100);
	ret = bootrace_collection_resolve(ctx, NULL, &file, &err);
	tap_ok(ret == 0 && file && strstr(file, "eeee/trace.dat"),
	       "the newest is the collection, not the foreign directory sorted after it");
	free(file);
	file = NULL;
	ret = bootrace_collection_resolve(ctx, "zzz-notmine", &file, &err);
	tap_ok(ret == -ENOENT && !file, "a foreign directory is not a collection's name");
	ret = bootrace_history_read(ctx, &list, &nr, &err);
	tap_ok(ret == 0 && nr == 1, "list shows the one collection only");
	bootrace_history_free(list, nr);
	set_limits(1, 0);
	make_collection(state, "2026-04-01T00:00:00Z-ffff", 100);
	ret = bootrace_history_prune(ctx, NULL, &err);
	tap_ok(ret == 1 && exists(state, "zzz-notmine/trace.dat") && exists(state, "zzz-notmine/info"),
	       "retention leaves the foreign directory and its files alone");
	snprintf(path, sizeof(path), "%s/zzz-notmine", state);
	tap_ok(exists(state, "zzz-notmine"), "and its name (%s)", path);
}

int main(void)
{
	char dir[] = "/tmp/bootrace-test-history.XXXXXX";
	char cmd[256];

	/* What the command does at start: the collections made here are as bootrace makes them. */
	umask(077);
	if (bootrace_ctx_new(&ctx))
		return 1;
	bootrace_ctx_set_log_fn(ctx, capture, NULL);
	bootrace_ctx_set_log_level(ctx, BOOTRACE_LOG_WARN);
	if (!mkdtemp(dir))
		return 1;
	test_config();
	test_config_load(dir);
	test_retention(dir);
	test_foreign(dir);
	bootrace_ctx_free(ctx);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		printf("# could not remove %s\n", dir);
	return tap_done();
}
