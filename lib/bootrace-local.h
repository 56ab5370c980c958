/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private helpers shared by libbootrace's source files. */
#ifndef BOOTRACE_LOCAL_H
#define BOOTRACE_LOCAL_H

#include <stdarg.h>

#include "bootrace.h"
#include "fileio.h"
#include "macro.h"

#if defined(__GNUC__)
#define BR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define BR_PRINTF(f, a)
#endif

/* Fill @err (if non-NULL) and return @ret, which is a negative errno. */
int br_fail(struct bootrace_error *err, int ret, const char *fmt, ...)
	BR_PRINTF(3, 4);

/* A diagnostic through the context's log function; @ctx NULL drops it. */
void br_log(const struct bootrace_ctx *ctx, enum bootrace_log_level level,
	    const char *fmt, ...) BR_PRINTF(3, 4);
#define br_err(ctx, ...) br_log(ctx, BOOTRACE_LOG_ERR, __VA_ARGS__)
#define br_warn(ctx, ...) br_log(ctx, BOOTRACE_LOG_WARN, __VA_ARGS__)
#define br_info(ctx, ...) br_log(ctx, BOOTRACE_LOG_INFO, __VA_ARGS__)
#define br_dbg(ctx, ...) br_log(ctx, BOOTRACE_LOG_DEBUG, __VA_ARGS__)


/* Join path parts with '/'; malloc()ed, NULL on ENOMEM. */
char *br_path_join(const char *a, const char *b);

/*
 * A rejected value as it goes into a one-line message: control characters
 * escaped (a newline would split the line, an escape sequence would reach
 * the terminal) and long values cut. Returns @buf.
 */
#define BR_SHOWN_MAX 64
const char *br_shown(const char *s, size_t n, char buf[BR_SHOWN_MAX]);

/* What the running kernel's command line (the context's) configures. */
void br_cmdline_config_read(struct bootrace_ctx *ctx,
			    struct bootrace_cmdline_config *cfg);

/* Strip trailing whitespace in place; returns @s. */
char *br_strip(char *s);


/* ------------------------------------------------- tracefs (tracefs.c) */

/*
 * Open the tracefs mount at @dir, or find it (mounting it at
 * /sys/kernel/tracing if it is not mounted) when @dir is NULL.
 */
int br_tracefs_open(const struct bootrace_ctx *ctx, const char *dir,
		    struct bootrace_tracefs **out, struct bootrace_error *err);
void br_tracefs_free(struct bootrace_tracefs *tfs);
/* Instance names under instances/, NULL-terminated; free with bootrace_strv_free. */
int br_tracefs_instances(const struct bootrace_tracefs *tfs, char ***names);

/* ----------------------------------------------- instances (instance.c) */

int br_instance_info_read(const struct bootrace_ctx *ctx,
			  const struct bootrace_tracefs *tfs, const char *name,
			  struct bootrace_instance_info **out,
			  struct bootrace_error *err);
void br_instance_info_free(struct bootrace_instance_info *info);
/* Is the instance directory still there? */
bool br_instance_exists(const struct bootrace_tracefs *tfs, const char *name);
/*
 * Find the instance holding the previous boot: the backup named on the
 * command line if any, else the single instance that has last_boot_info and
 * no tracing_on, else (kernels before 6.19) the persistent instance named on
 * the command line while it still holds the previous boot (tracing off since
 * boot, "^traceoff"). -ENOENT with a message that says why when there is none.
 */
int br_backup_find(struct bootrace_ctx *ctx, const struct bootrace_tracefs *tfs,
		   char **name, struct bootrace_error *err);
/* Which kind @info is, given the kernel command line's configuration. */
enum bootrace_source_kind br_source_kind_of(const struct bootrace_instance_info *info,
					    const struct bootrace_cmdline_config *cfg);
/* What collect does with a source of that kind, in words (for the log). */
const char *br_source_kind_words(enum bootrace_source_kind kind);
enum bootrace_kernel_level br_kernel_level_of(int major, int minor);

/* ------------------------------------------- boot ids and the boot record */

/*
 * This boot's id as journalctl and systemd write it: 32 lower-case hex
 * digits, no dashes. The one reader of /proc/sys/kernel/random/boot_id.
 */
#define BR_BOOT_ID_LEN 33
int br_boot_id(char id[BR_BOOT_ID_LEN]);
/* Note in the state dir that @instance traces this boot. */
int br_boot_record_write(struct bootrace_ctx *ctx, const char *instance);
/* -ENOENT when no boot was ever noted. */
int br_boot_record_read(struct bootrace_ctx *ctx, struct bootrace_boot_record *rec);

/* ------------------------------------------------ configuration (config.c) */

/* Read @path into @cfg; -ENOENT passes through only when @optional is false. */
int br_config_load(struct bootrace_ctx *ctx, const char *path, bool optional,
		   struct bootrace_config *cfg, struct bootrace_error *err);

/* ------------------------------------- kernel command-line words (parse.c) */

/*
 * One word of a kernel command line as the kernel's next_arg()
 * (lib/cmdline.c) splits it: words are separated by the kernel's
 * whitespace (its isspace() also takes 0xa0), except inside double quotes;
 * PARAM=VALUE splits at the first '=' that is not the first character; a
 * quote opening the word or the value, and one closing it, belong to
 * neither param nor val.
 */
struct br_cmdline_word {
	const char *word;		/* as written, quotes included */
	size_t len;
	const char *param;		/* the name; the whole word without '=' */
	size_t param_len;
	const char *val;		/* after the '=', or NULL without one */
	size_t val_len;
};

/*
 * The word at *@p (whitespace before it skipped) into @w, and *@p moved
 * past it and the whitespace after it. false at the end of the line.
 */
bool br_cmdline_word_next(const char **p, struct br_cmdline_word *w);
/* The kernel's parameqn(): '-' and '_' are the same in parameter names. */
bool br_cmdline_param_eq(const char *a, const char *b, size_t n);
/* Is @w PARAM=VALUE for @param (named as the kernel compares names)? */
bool br_cmdline_word_is(const struct br_cmdline_word *w, const char *param);

#endif
