/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: any bytes as bootrace.conf(5), through
 * bootrace_config_parse(). A refusal must say where (NAME:LINE).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bootrace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bootrace_ctx *ctx;
	struct bootrace_config cfg;
	struct bootrace_error err;
	char *text;

	if (!ctx && bootrace_ctx_new(&ctx))
		abort();
	/* The parser takes a C string, as br_config_load() reads the file. */
	text = malloc(size + 1);
	if (!text || bootrace_config_init(&cfg))
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	err.msg[0] = '\0';
	if (bootrace_config_parse(ctx, text, "fuzz.conf", &cfg, &err) &&
	    strncmp(err.msg, "fuzz.conf:", 10) && strcmp(err.msg, "out of memory"))
		abort();
	bootrace_config_clear(&cfg);
	free(text);
	return 0;
}
