/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bootrace: the command table and the global options. Each command lives
 * in its own file with its own argp; this file only dispatches.
 */
#include <argp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "bootrace-cmd.h"

const char *argp_program_version = "bootrace " BOOTRACE_VERSION;
const char *argp_program_bug_address = NULL;

static const struct command *commands[] = {
	&cmd_setup, &cmd_collect, &cmd_verify, &cmd_status,
	&cmd_list, &cmd_report, &cmd_save_decoder,
};

enum { OPT_TRACEFS = 0x100 };

static const struct argp_option global_options[] = {
	{ "verbose", 'v', NULL, 0, "Say more; repeat for debug output (also raises libtracefs, libtraceevent and libtracecmd logging)", 0 },
	{ "quiet", 'q', NULL, 0, "Print only errors", 0 },
	{ "tracefs", OPT_TRACEFS, "DIR", 0, "Use the tracefs mounted at DIR instead of finding (or mounting) it", 0 },
	{ 0 }
};

static int command_index = -1;

static error_t parse_global(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'v':
		global.verbose++;
		break;
	case 'q':
		global.quiet = true;
		break;
	case OPT_TRACEFS:
		if (!*arg)
			argp_error(state, "--tracefs needs a directory");
		global.tracefs = arg;
		break;
	case ARGP_KEY_ARG:
		/* The command and everything after it belong to the command. */
		command_index = state->next - 1;
		state->next = state->argc;
		break;
	case ARGP_KEY_END:
		if (command_index < 0)
			argp_error(state, "no command given: try 'bootrace status'");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const char global_doc[] =
	"Harvest the previous boot's persistent ftrace buffer into trace.dat."
	"\v"
	"Commands:\n"
	"  setup     install (or --print) the kernel command line that keeps a trace\n"
	"  collect   write the previous boot's trace to trace.dat\n"
	"  verify    prove a collected trace.dat is complete\n"
	"  status    show what the kernel offers and what to do next\n"
	"  list      show the collections of previous boots\n"
	"  report    show the last events of the previous boot\n"
	"  save-decoder  keep what decodes this boot's trace after it\n"
	"\n"
	"Run 'bootrace COMMAND --help' for a command's options.\n"
	"Exit status: 0 success, 1 failure or a failed check, 2 usage or I/O error,\n"
	"3 system not ready, 4 no previous-boot data. See bootrace(1).";

static const struct argp global_argp = {
	global_options, parse_global, "COMMAND [OPTION...]", global_doc,
	NULL, NULL, NULL,
};

int main(int argc, char **argv)
{
	const char *name;

	/*
	 * Everything bootrace creates holds kernel addresses or says what the
	 * machine boots with: its directories 0700 and files 0600 unless a
	 * caller gives a mode explicitly (configuration files keep theirs).
	 */
	umask(077);
	argp_err_exit_status = EXIT_USAGE;
	/* Messages say "bootrace: ...", wherever the binary was run from. */
	argv[0] = "bootrace";
	argp_parse(&global_argp, argc, argv, ARGP_IN_ORDER, NULL, NULL);

	if (command_ctx_init())
		return EXIT_USAGE;

	name = argv[command_index];
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(name, commands[i]->name))
			continue;
		int ret;

		set_command_name(argv + command_index, commands[i]->name);
		ret = commands[i]->run(argc - command_index, argv + command_index);
		command_ctx_free();
		return ret;
	}
	print_error("unknown command '%s': use setup, collect, verify, status, list, report or save-decoder (see 'bootrace --help')", name);
	return EXIT_USAGE;
}
