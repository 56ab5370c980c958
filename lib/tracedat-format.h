/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private: the constants of the trace.dat format shared by writer and reader. */
#ifndef BOOTRACE_TRACEDAT_FORMAT_H
#define BOOTRACE_TRACEDAT_FORMAT_H

#define TRACEDAT_MAX_CPUS	65536
/* One option's payload; keeps a corrupt size from turning into a huge malloc. */
#define TRACEDAT_MAX_OPTION	(64u << 20)
/* /proc/kallsyms is ~6 MB; a corrupt v7 size must not become a huge malloc. */
#define TRACEDAT_MAX_KALLSYMS	(256u << 20)
/* v7 chains option sections; a cycle in a corrupt file must end. */
#define TRACEDAT_MAX_OPTION_SECTIONS	1024

enum tracedat_option_id {
	OPT_DONE = 0,
	OPT_CPUSTAT = 2,
	OPT_BUFFER = 3,
	OPT_TRACECLOCK = 4,
	OPT_UNAME = 5,
	OPT_CPUCOUNT = 8,
	OPT_KALLSYMS = 19,
	OPT_LAST_BOOT_INFO = 24,
};

static const char tracedat_magic[] __attribute__((unused)) = { 0x17, 0x08, 0x44, 't', 'r', 'a', 'c',
				       'i', 'n', 'g' };

#endif
