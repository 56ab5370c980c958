/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private: events whose ids follow load order (load-order.c). */
#ifndef BOOTRACE_LOAD_ORDER_H
#define BOOTRACE_LOAD_ORDER_H

/*
 * bootrace_events_load_order() on given texts: @avail as available_events,
 * @kallsyms as /proc/kallsyms (either NULL: not looked at).
 */
int br_events_load_order(const char *events, const char *avail, const char *kallsyms,
			 char **words);

#endif
