/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bootrace save-decoder: keep what decodes this boot's trace after it. */
#include <argp.h>
#include <stdlib.h>
#include <string.h>

#include "bootrace-cmd.h"
#include "config.h"

struct save_args {
	struct collection_args collection;
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct save_args *args = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &args->collection;
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
	NULL, parse_opt, NULL,
	"Save this boot's decoder in the state directory (decoders/BOOT_ID): its "
	"event formats with their ids, header page and event, printk formats, "
	"kallsyms with module symbols, /proc/modules, uname and the kernel's "
	"build id. After the next warm reboot or crash, collect decodes this "
	"boot's trace with them, whichever kernel that boot runs. Running it again "
	"in the same boot replaces the decoder (a later one knows more modules); "
	"decoders of boots whose trace is gone are removed. Run as root: without "
	"it the kernel hides the symbols."
	"\v"
	"The boot units run it once collect is done (bootrace-decoder.service) and "
	"again late in boot (bootrace-decoder-late.service). Exit status: 0 saved, "
	"2 usage or I/O error, 3 system not ready (no tracefs).",
	collection_children, NULL, NULL,
};

static int run(int argc, char **argv)
{
	struct bootrace_decoder_info info;
	const struct bootrace_tracefs *tfs;
	struct bootrace_error err;
	struct save_args args = { 0 };
	char size[32];
	int ret;

	argp_parse(&argp, argc, argv, 0, NULL, &args);
	ret = apply_collection_args(&args.collection);
	if (ret)
		return ret;
	ret = command_tracefs(&tfs);
	if (ret)
		return exit_code_for(ret, NULL);
	ret = bootrace_decoder_save(command_ctx(), &info, &err);
	if (ret) {
		print_error("%s", err.msg);
		return exit_code_for(ret, &err);
	}
	/* One line: what the boot unit leaves in the journal. */
	printf("bootrace: saved the decoder of boot %s (kernel %s, %u event formats, %u modules%s) in %s, %s\n",
	       info.boot_id, info.release, info.nr_events, info.nr_modules,
	       info.kallsyms ? ", symbols" : ", no symbols: not root?", info.path,
	       human_bytes(info.size, size));
	if (!info.kallsyms)
		print_error("warning: the kernel hid its symbols (kptr_restrict): run as root, or this boot's addresses stay numbers");
	return EXIT_OK;
}

const struct command cmd_save_decoder = {
	"save-decoder", "keep what decodes this boot's trace after it", run
};
