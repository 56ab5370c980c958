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
	OPT_DATE = 1,
	OPT_CPUSTAT = 2,
	OPT_BUFFER = 3,
	OPT_TRACECLOCK = 4,
	OPT_UNAME = 5,
	OPT_HOOK = 6,
	OPT_OFFSET = 7,
	OPT_CPUCOUNT = 8,
	OPT_VERSION = 9,
	OPT_PROCMAPS = 10,
	OPT_TRACEID = 11,
	OPT_TIME_SHIFT = 12,
	OPT_GUEST = 13,
	OPT_TSC2NSEC = 14,
	OPT_KALLSYMS = 19,
	OPT_LAST_BOOT_INFO = 24,
	/*
	 * bootrace's own: each CPU's stats as the kernel gave them before
	 * collect read anything (CPUSTAT holds them after, as trace-cmd's
	 * do). libtracecmd skips options it does not know, and its own ids
	 * count up from 0 (25 in 3.4): this one stays clear of them.
	 */
	OPT_BOOTRACE_STATS = 0x6272,
	/*
	 * bootrace's own: whose event formats and symbols the file carries
	 * (collect's word, "decode=own\n..."; see decode-check.c), and the
	 * /proc/modules of the boot the symbols are of, which only a version
	 * 7 file can give trace-cmd, as MODULES_FILE.
	 */
	OPT_BOOTRACE_DECODE = 0x6273,
	OPT_BOOTRACE_MODULES = 0x6274,
};

static const char tracedat_magic[] __attribute__((unused)) = { 0x17, 0x08, 0x44, 't', 'r', 'a', 'c',
				       'i', 'n', 'g' };

#endif
