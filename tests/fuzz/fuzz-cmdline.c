/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: any bytes as a kernel command line, through the word
 * splitter the kernel's next_arg() is mirrored by (br_cmdline_word_next())
 * and bootrace_cmdline_config_parse(). Every word must lie inside the
 * line, its name and value inside the word, and each step must move on.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bootrace-local.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void within(const char *p, size_t len, const char *start, const char *end)
{
	if (p && (p < start || p + len > end))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bootrace_cmdline_config cfg;
	struct br_cmdline_word w;
	char *line = malloc(size + 1);
	const char *p, *end;

	if (!line)
		abort();
	memcpy(line, data, size);
	line[size] = '\0';
	end = line + strlen(line);
	for (p = line; ;) {
		const char *before = p;

		if (!br_cmdline_word_next(&p, &w))
			break;
		if (p <= before || p > end || !w.len)
			abort();
		within(w.word, w.len, line, end);
		within(w.param, w.param_len, w.word, w.word + w.len);
		within(w.val, w.val_len, w.word, w.word + w.len);
	}
	bootrace_cmdline_config_parse(line, &cfg);
	/* Names are NUL-terminated in their arrays whatever the line. */
	if (!memchr(cfg.label, '\0', sizeof(cfg.label)) ||
	    !memchr(cfg.persistent, '\0', sizeof(cfg.persistent)) ||
	    !memchr(cfg.backup, '\0', sizeof(cfg.backup)) ||
	    !memchr(cfg.backup_source, '\0', sizeof(cfg.backup_source)) ||
	    !memchr(cfg.persistent_label, '\0', sizeof(cfg.persistent_label)))
		abort();
	free(line);
	return 0;
}
