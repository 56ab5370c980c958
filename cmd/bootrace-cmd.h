/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the bootrace commands share: options, exit codes, printing. */
#ifndef BOOTRACE_CMD_H
#define BOOTRACE_CMD_H

#include <argp.h>
#include <stdbool.h>
#include <stdio.h>

#include "bootrace.h"

/* Exit codes: the same for every command, documented in bootrace(1). */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,	/* a check failed, or collect failed after reading */
	EXIT_USAGE = 2,		/* bad option or argument, unreadable file, I/O */
	EXIT_NOT_READY = 3,	/* no tracefs, not root, no backup, old kernel */
	EXIT_NO_DATA = 4,	/* the backup instance holds nothing */
};

struct global_opts {
	int verbose;
	bool quiet;
	const char *tracefs;
};

extern struct global_opts global;

struct command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

extern const struct command cmd_setup, cmd_collect, cmd_verify, cmd_status;
extern const struct command cmd_list, cmd_report, cmd_save_decoder;

/* --state-dir and --config: an argp child, its input a struct collection_args. */
struct collection_args {
	const char *state_dir;
	const char *config;
};

/* The children list of a command that takes them: its own argp's children. */
extern const struct argp_child collection_children[];

/*
 * Give the context the configuration file (--config, else the default if
 * present) and --state-dir over its state_dir. 0, or an exit code after
 * printing the error.
 */
int apply_collection_args(const struct collection_args *args);

/* "bootrace: " + message, on stderr. */
void print_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void print_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Exit code for a failure the library reported as -errno (@e may be NULL). */
int exit_code_for(int err, const struct bootrace_error *e);

/*
 * The library context every command works with, made by main() from the
 * global options (--tracefs, -v, -q); command_ctx_init() prints its errors.
 */
int command_ctx_init(void);
struct bootrace_ctx *command_ctx(void);
void command_ctx_free(void);

/* tracefs as --tracefs says (found and mounted if need be); prints the error itself. */
int command_tracefs(const struct bootrace_tracefs **tfs);

/* "bootrace CMD" as argv[0], so argp's --help and usage name the command. */
void set_command_name(char **argv, const char *name);

/* Human sizes: "12.0 MiB". */
const char *human_bytes(unsigned long long bytes, char buf[32]);

/*
 * Text from a trace (task names, event fields) for a terminal, as systemd
 * shows untrusted strings: control characters, C1 controls and invalid
 * UTF-8 as C escapes (\n, \t, \xNN, a backslash doubled), so none reaches
 * the terminal.
 */
void print_escaped(FILE *out, const char *text);

#endif
