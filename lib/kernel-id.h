/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private: which kernel build this is, and where its text lies (kernel-id.c). */
#ifndef BOOTRACE_KERNEL_ID_H
#define BOOTRACE_KERNEL_ID_H

#include <stddef.h>

/* The GNU build id in ELF notes, as hex; -ENOENT when there is none. */
int br_notes_build_id(const unsigned char *notes, size_t len, char *hex, size_t hex_len);
/* This kernel's build id from /sys/kernel/notes ("" and -errno without one). */
int br_kernel_build_id(char *hex, size_t len);
/* The _text address in a kallsyms text; 0 when absent. */
unsigned long long br_kallsyms_text(const char *kallsyms, size_t len);
/* This kernel's _text this boot, from /proc/kallsyms; 0 when hidden (not root). */
unsigned long long br_kernel_text(void);

#endif
