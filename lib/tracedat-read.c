/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading back what verify and report need from a trace.dat and
 * libtracecmd does not expose: the per-CPU stats, the writer, clock, uname
 * and last-boot information, the stored kallsyms. The file is checked
 * whole first (tracedat-check.c), which hands over every option.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "tracedat.h"
#include "tracedat-check.h"
#include "tracedat-format.h"
#include "tracedat-reader.h"

/* ------------------------------------------------------------------ */
/* The options verify and report need                                  */
/* ------------------------------------------------------------------ */

struct collector {
	struct tracedat_options *o;
	char *buffer;			/* the buffer the next CPUSTATs are of */
};

static int add_cpustat(struct collector *col, char *text)
{
	struct tracedat_options *o = col->o;
	struct tracedat_cpustat *grown;
	char *buffer = strdup(col->buffer ? col->buffer : "");

	grown = buffer ? realloc(o->cpustats, (o->nr_cpustats + 1) * sizeof(*grown)) : NULL;
	if (!grown) {
		free(buffer);
		free(text);
		return -ENOMEM;
	}
	o->cpustats = grown;
	o->cpustats[o->nr_cpustats++] = (struct tracedat_cpustat){ buffer, text };
	return 0;
}

static int add_kernel_stats(struct tracedat_options *o, char *text)
{
	char **grown = realloc(o->kernel_stats, (o->nr_kernel_stats + 1) * sizeof(*grown));

	if (!grown) {
		free(text);
		return -ENOMEM;
	}
	o->kernel_stats = grown;
	o->kernel_stats[o->nr_kernel_stats++] = text;
	return 0;
}

/*
 * trace-cmd stores a named buffer's stats after a CPUSTAT of its own,
 * "\nBuffer: NAME\n\n"; the ones before the first are the top level's.
 */
static bool buffer_separator(struct collector *col, const char *text)
{
	const char *p = text + strspn(text, "\n");
	size_t len;

	if (strncmp(p, "Buffer: ", 8))
		return false;
	p += 8;
	len = strcspn(p, "\n");
	free(col->buffer);
	col->buffer = strndup(p, len);
	return true;
}

static void replace(char **slot, char *text)
{
	free(*slot);
	*slot = text;
}

/* LAST_BOOT_INFO: the instance, ':', then its last_boot_info; others are ignored. */
static void take_last_boot_info(struct tracedat_options *o, char *text)
{
	char *colon = strchr(text, ':');

	if (!colon) {
		free(text);
		return;
	}
	*colon = '\0';
	replace(&o->last_boot_info, strdup(colon + 1));
	replace(&o->last_boot_instance, text);
}

/* Every option, checked already; the text ones end in a NUL. */
static int collect_option(void *data, uint16_t id, const char *payload, uint32_t len,
			  bool swap)
{
	struct collector *col = data;
	struct tracedat_options *o = col->o;
	char *text;

	switch (id) {
	case OPT_CPUSTAT:
	case OPT_BOOTRACE_STATS:
	case OPT_TRACECLOCK:
	case OPT_UNAME:
	case OPT_VERSION:
	case OPT_LAST_BOOT_INFO:
	case OPT_BOOTRACE_DECODE:
		break;
	default:
		return 0;
	}
	text = strndup(payload, len);
	if (!text)
		return -ENOMEM;
	switch (id) {
	case OPT_CPUSTAT:
		if (buffer_separator(col, text)) {
			free(text);
			return col->buffer ? 0 : -ENOMEM;
		}
		return add_cpustat(col, text);
	case OPT_BOOTRACE_STATS:
		return add_kernel_stats(o, text);
	case OPT_TRACECLOCK:
		replace(&o->trace_clock, text);
		break;
	case OPT_UNAME:
		replace(&o->uname, text);
		break;
	case OPT_VERSION:
		replace(&o->writer, text);
		break;
	case OPT_LAST_BOOT_INFO:
		take_last_boot_info(o, text);
		break;
	case OPT_BOOTRACE_DECODE:
		replace(&o->decode, text);
		break;
	}
	return 0;
}

int tracedat_options_read(const char *path, struct tracedat_options *opts,
			  struct tracedat_layout *layout, char *why, size_t why_len)
{
	struct collector col = { .o = opts };
	struct tracedat_layout own;
	_cleanup_close_ int fd = -1;
	int ret;

	memset(opts, 0, sizeof(*opts));
	if (!layout)
		layout = &own;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, why_len, "cannot open %s: %s", path, strerror(errno));
		return -errno;
	}
	ret = tracedat_check(fd, layout, collect_option, &col, why, why_len);
	free(col.buffer);
	if (ret) {
		tracedat_options_clear(opts);
		return ret;
	}
	opts->version = layout->version;
	opts->page_size = layout->page_size;
	opts->nr_cpus = layout->nr_cpus;
	if (layout == &own)
		tracedat_layout_clear(&own);
	return 0;
}

void tracedat_options_clear(struct tracedat_options *opts)
{
	for (int i = 0; i < opts->nr_cpustats; i++) {
		free(opts->cpustats[i].buffer);
		free(opts->cpustats[i].text);
	}
	free(opts->cpustats);
	for (int i = 0; i < opts->nr_kernel_stats; i++)
		free(opts->kernel_stats[i]);
	free(opts->kernel_stats);
	free(opts->writer);
	free(opts->last_boot_instance);
	free(opts->last_boot_info);
	free(opts->trace_clock);
	free(opts->uname);
	free(opts->decode);
	memset(opts, 0, sizeof(*opts));
}

bool tracedat_written_by_bootrace(const struct tracedat_options *opts)
{
	return opts->writer && !strncmp(opts->writer, "bootrace ", 9);
}

char *tracedat_writer_name(const struct tracedat_options *opts)
{
	char *name;

	if (!opts->writer)
		return NULL;
	/* trace-cmd's VERSION is its bare version number (trace-cmd.dat.v7(5)). */
	if (opts->writer[0] >= '0' && opts->writer[0] <= '9')
		return asprintf(&name, "trace-cmd %s", opts->writer) < 0 ? NULL : name;
	return strdup(opts->writer);
}

/* ------------------------------------------------------------------ */
/* kallsyms                                                            */
/* ------------------------------------------------------------------ */

int tracedat_kallsyms_read(const char *path, const struct tracedat_layout *l, char **text)
{
	const struct tracedat_section *s = tracedat_section_find(l, OPT_KALLSYMS);
	struct tracedat_check c = { .l = (struct tracedat_layout *)l };
	struct tracedat_reader r;
	_cleanup_free_ unsigned char *buf = NULL;
	_cleanup_close_ int fd = -1;
	char why[TRACEDAT_WHY_MAX];
	uint32_t len;
	int ret;

	*text = NULL;
	if (!s) {
		*text = strdup("");
		return *text ? 0 : -ENOMEM;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	c.r = (struct tracedat_reader){ .fd = fd, .size = l->file_size, .swap = l->swap,
					.what = &c.what };
	c.why = why;
	c.why_len = sizeof(why);
	ret = tdc_section_content(&c, s, &buf, &r);
	if (ret)
		return ret;
	/* Checked already: a 32-bit size, then that much text. */
	if (tdr_u32(&r, &len, "kallsyms") || len > r.size - r.pos)
		return -EINVAL;
	*text = strndup((const char *)r.mem + r.pos, len);
	return *text ? 0 : -ENOMEM;
}
