/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bootrace setup: the kernel command line that keeps a trace across reboots. */
#include <argp.h>
#include <stdlib.h>
#include <string.h>

#include "bootrace-cmd.h"

enum {
	OPT_PRINT = 0x100, OPT_SIZE, OPT_ALIGN, OPT_LABEL, OPT_EVENTS,
	OPT_PERSISTENT, OPT_BACKUP,
};

static const struct argp_option options[] = {
	{ "print", OPT_PRINT, NULL, 0, "Print the kernel command-line fragment (required in this version)", 0 },
	{ "size", OPT_SIZE, "SIZE", 0, "Memory reserved for the trace, with K, M or G (default " BOOTRACE_DEFAULT_SIZE ")", 0 },
	{ "align", OPT_ALIGN, "BYTES", 0, "Alignment of the reserved memory, a power of two >= the page size (default 4096)", 0 },
	{ "label", OPT_LABEL, "NAME", 0, "reserve_mem label (default " BOOTRACE_DEFAULT_LABEL ")", 0 },
	{ "events", OPT_EVENTS, "LIST", 0, "Events enabled at boot: SYSTEM or SYSTEM:EVENT, comma-separated (default " BOOTRACE_DEFAULT_EVENTS "); '' for none", 0 },
	{ "persistent", OPT_PERSISTENT, "NAME", 0, "Persistent instance name (default " BOOTRACE_DEFAULT_PERSISTENT ")", 0 },
	{ "backup", OPT_BACKUP, "NAME", 0, "Backup instance name (default " BOOTRACE_DEFAULT_BACKUP ")", 0 },
	{ 0 }
};

struct setup_args {
	struct bootrace_cmdline_opts cmdline;
	bool print;
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct setup_args *args = state->input;
	struct bootrace_error err;

	switch (key) {
	case OPT_PRINT:
		args->print = true;
		break;
	case OPT_SIZE:
		args->cmdline.size = arg;
		break;
	case OPT_ALIGN:
		if (bootrace_size_parse(arg, &args->cmdline.align, &err))
			argp_error(state, "--align: %s", err.msg);
		break;
	case OPT_LABEL:
		args->cmdline.label = arg;
		break;
	case OPT_EVENTS:
		args->cmdline.events = arg;
		break;
	case OPT_PERSISTENT:
		args->cmdline.persistent = arg;
		break;
	case OPT_BACKUP:
		args->cmdline.backup = arg;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {
	options, parse_opt, NULL,
	"Compose the kernel command line that keeps an ftrace buffer across a warm "
	"reboot and copies it into a backup instance at the next boot."
	"\v"
	"Example:\n"
	"  bootrace setup --print --size 32M --events sched,irq,timer\n"
	"prints a line such as\n"
	"  reserve_mem=32M:4096:trace trace_instance=boot_map@trace,sched,irq,timer "
	"trace_instance=backup=boot_map\n"
	"to add to the kernel command line. Installing it into a bootloader is not "
	"done by this version: add the line yourself (GRUB_CMDLINE_LINUX, "
	"/etc/kernel/cmdline, QEMU -append).",
	NULL, NULL, NULL,
};

/* The running kernel's events, to reject a misspelt event now, not at boot. */
static char *available_events(void)
{
	struct bootrace_tracefs *tfs;
	struct bootrace_error err;
	char *text = NULL;

	if (bootrace_tracefs_open(global.tracefs, &tfs, &err)) {
		print_info("events not checked: %s", err.msg);
		return NULL;
	}
	if (bootrace_tracefs_read(tfs, "available_events", &text, NULL))
		print_info("events not checked: cannot read %s/available_events",
			   bootrace_tracefs_path(tfs));
	bootrace_tracefs_free(tfs);
	return text;
}

static int run(int argc, char **argv)
{
	struct setup_args args = { 0 };
	struct bootrace_error err;
	char *events = NULL, *fragment;
	int ret;

	bootrace_cmdline_opts_init(&args.cmdline);
	argp_parse(&argp, argc, argv, 0, NULL, &args);
	if (!args.print) {
		print_error("installing into a bootloader is not supported yet: use 'bootrace setup --print' and add the line to the kernel command line");
		return EXIT_USAGE;
	}
	/* Everything but the events' existence first: no tracefs needed. */
	ret = bootrace_cmdline_compose(&args.cmdline, &fragment, &err);
	if (ret) {
		print_error("%s", err.msg);
		return EXIT_USAGE;
	}
	free(fragment);
	if (args.cmdline.events && *args.cmdline.events) {
		events = available_events();
		args.cmdline.available_events = events;
	}
	ret = bootrace_cmdline_compose(&args.cmdline, &fragment, &err);
	free(events);
	if (ret) {
		print_error("%s", err.msg);
		return EXIT_USAGE;
	}
	printf("%s\n", fragment);
	free(fragment);
	return EXIT_OK;
}

const struct command cmd_setup = { "setup", "compose the kernel command line", run };
