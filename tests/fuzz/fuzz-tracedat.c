/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: any bytes as a trace.dat, through bootrace's check
 * (tracedat_check(): header, sections, options, buffers, pages) and its
 * own readers of what it accepts (options, kallsyms). This is the code that
 * stands between a file and the libraries; it must never crash, hang or
 * read out of bounds, whatever the file.
 *
 * With BOOTRACE_FUZZ_LIBS=1 every file the check accepts is also read by
 * libtracecmd and libtraceevent in-process, as report reads it in its
 * sandbox (every buffer, the last events of each CPU formatted): a crash
 * there is a file bootrace lets through that the libraries cannot take.
 * bootrace survives it (the sandbox), but the check should refuse it with
 * a clear message instead.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "report-local.h"
#include "tracedat-reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_with_libraries(const char *path, const struct tracedat_layout *layout)
{
	struct report_job job = { .file = path, .last = 20, .nr_cpus = layout->nr_cpus };
	struct bootrace_report rep;
	char why[256];

	if (!report_collect(&job, &rep, why, sizeof(why)))
		bootrace_report_clear(&rep);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int libs = -1;
	struct tracedat_options opts;
	struct tracedat_layout layout;
	char path[64], why[TRACEDAT_WHY_MAX], *kallsyms;
	int fd;

	if (libs < 0)
		libs = getenv("BOOTRACE_FUZZ_LIBS") && !strcmp(getenv("BOOTRACE_FUZZ_LIBS"), "1");
	fd = memfd_create("trace.dat", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		perror("fuzz-tracedat: memfd");
		abort();
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (!tracedat_options_read(path, &opts, &layout, why, sizeof(why))) {
		if (!tracedat_kallsyms_read(path, &layout, &kallsyms))
			free(kallsyms);
		free(tracedat_writer_name(&opts));
		if (libs)
			read_with_libraries(path, &layout);
		tracedat_options_clear(&opts);
		tracedat_layout_clear(&layout);
	} else if (!why[0]) {
		/* Every refusal names what was wrong. */
		abort();
	}
	close(fd);
	return 0;
}
