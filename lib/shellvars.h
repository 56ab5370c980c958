/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private: the variables a shell file of assignments sets, found without
 * running it. /etc/default/grub and its drop-ins are sourced by
 * grub-mkconfig with /bin/sh, but in an image given with --root they come
 * from anywhere: running them as root on the host would run the image's
 * code. What GRUB reads from them is assignments, so those are evaluated
 * here as sh would (quotes, backslashes, $NAME and ${NAME...}); anything
 * else is refused with the line that holds it.
 */
#ifndef BOOTRACE_SHELLVARS_H
#define BOOTRACE_SHELLVARS_H

#include "bootrace.h"

struct br_shellvars;

int br_shellvars_new(struct br_shellvars **out);
void br_shellvars_free(struct br_shellvars *vars);

/*
 * Evaluate @text, the file @name (for messages), on top of @vars, as
 * "/bin/sh -c '. FILE'" would set its variables: lines of NAME=VALUE
 * words (also after "export" or "readonly"), "unset NAME", comments.
 * A value made by a command ($(...), `...`) or that sh would take from
 * somewhere else (~, $1, $((...)), ${#NAME}, ...) is not computed: the
 * variable becomes unknown, which is an error only if it is asked for.
 * Anything that is not an assignment (a command, if, a function, a
 * redirection) is -EINVAL, as is a syntax error, with "NAME:LINE: ..."
 * in @err.
 */
int br_shellvars_eval(struct br_shellvars *vars, const char *text, const char *name,
		      struct bootrace_error *err);

enum br_shellvar_state {
	BR_SHELLVAR_UNSET = 0,
	BR_SHELLVAR_SET,
	BR_SHELLVAR_UNKNOWN,	/* set from a command's output: *value is "NAME:LINE" */
};

/* The state of @var; its value (or where it became unknown) in *@value. */
enum br_shellvar_state br_shellvars_get(const struct br_shellvars *vars, const char *var,
					const char **value);

#endif
