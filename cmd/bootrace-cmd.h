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
extern const struct command cmd_list, cmd_report;

/*
 * The state directory: @state_dir if given, else the configuration file's
 * (cmd/list.c). 0, or an exit code after printing the error.
 */
/* --state-dir and --config: an argp child, its input a struct collection_args. */
struct collection_args {
	const char *state_dir;
	const char *config;
};

/* The children list of a command that takes them: its own argp's children. */
extern const struct argp_child collection_children[];

/* The configuration file, with --state-dir over its state_dir; prints errors. */
int load_collection_config(const struct collection_args *args, struct bootrace_config *cfg);
/* Just the state directory that results. */
int config_state_dir(const struct collection_args *args, char **out);

/* "bootrace: " + message, on stderr. */
void print_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void print_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Exit code for a failure the library reported as -errno (@e may be NULL). */
int exit_code_for(int err, const struct bootrace_error *e);

/* Open tracefs as --tracefs says; prints the error itself. */
int open_tracefs(struct bootrace_tracefs **tfs);

/* "bootrace CMD" as argv[0], so argp's --help and usage name the command. */
void set_command_name(char **argv, const char *name);

/* Human sizes: "12.0 MiB". */
const char *human_bytes(unsigned long long bytes, char buf[32]);

#endif
