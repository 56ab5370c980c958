/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The evaluation of /etc/default/grub without a shell, against the shell:
 * every file of assignments below is also sourced by /bin/sh (these are
 * the test's own texts, not an image's), and each variable must come out
 * the same. Then what must not be computed (commands) and what must be
 * refused (anything that is not an assignment, syntax errors).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shellvars.h"
#include "tap.h"

static const char *const names[] = { "A", "B", "C", "GRUB_CMDLINE_LINUX",
				     "GRUB_CMDLINE_LINUX_DEFAULT", "GRUB_DEFAULT" };

static const char *const same_as_sh[] = {
	"A=1\nB=2\n",
	"A='single quoted $B `x`'\n",
	"A=\"double $B\"\nB=x\nC=\"${B}y ${B:+plus} ${D:-minus} ${D-dash} ${D+p} ${B+q}\"\n",
	"A= B=\nC=${A:-empty}${A-unset}${A:+x}${A+set}\n",
	"GRUB_CMDLINE_LINUX='console=tty0\n  console=ttyS0,115200n8 reserve_mem=2M:4096:oops'\n"
	"GRUB_CMDLINE_LINUX=\"${GRUB_CMDLINE_LINUX:+$GRUB_CMDLINE_LINUX }reserve_mem=12M:4096:trace\"\n",
	"# a comment\n\n   A=indented # trailing comment\nB=a#b\n",
	"A=1; B=2;C=3\n",
	"A=one B=$A C=\"$B\"two\n",
	"export A=exported\nexport B\nreadonly C=ro\n",
	"A=x\nunset A\nB=${A-gone}\n",
	"A=back\\ slash\\\\\\ \\$B\nB=\"q\\\"uote\\$ \\a \\\\\"\n",
	"A=con\\\ntinued\nB=\"multi\\\nline\"\n",
	"A=\"$\" B=a$ C=\"$ x\"\n",
	"A=${B:=assigned}\nC=$B\n",
	"GRUB_DEFAULT=\"gnulinux-advanced-0b1c>gnulinux-6.12-advanced-0b1c\"\n",
	"A=\"${B:-\"nested quotes\"}\"\nC=\"${B:-'single'}\"\n",
	"A=*.cfg B=[x] C=~/nothome\n",
	"A='' B=\"\" C=x''y\"\"z\n",
	"GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`\nA=after\n",
	"GRUB_DISTRIBUTOR=$( . /etc/os-release; echo \"${NAME:-x}\" ) A=\"$(echo ')')\"done\nB=ok\n",
};

/* @text on one line, for a test's name. */
static const char *shown(const char *text)
{
	static char out[256];
	size_t n = 0;

	for (const char *p = text; *p && n < sizeof(out) - 3; p++)
		if (*p == '\n') {
			out[n++] = '\\';
			out[n++] = 'n';
		} else {
			out[n++] = *p;
		}
	out[n] = '\0';
	return out;
}

/* The variables as /bin/sh leaves them: "NAME=VALUE\n", or "NAME unset\n". */
static char *sh_values(const char *text)
{
	char file[] = "/tmp/bootrace-shellvars-XXXXXX", cmd[1024];
	static char out[8192];
	size_t n = 0;
	FILE *p;
	int fd = mkstemp(file);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return NULL;
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "env -i /bin/sh -c '. \"$1\" >/dev/null 2>&1; for v in A B C GRUB_CMDLINE_LINUX GRUB_CMDLINE_LINUX_DEFAULT GRUB_DEFAULT; do "
		 "eval \"if [ \\\"\\${$v+set}\\\" ]; then printf \\\"%%s=%%s\\\\n\\\" $v \\\"\\$$v\\\"; else echo $v unset; fi\"; done' sh %s",
		 file);
	p = popen(cmd, "r");
	if (!p)
		return NULL;
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	pclose(p);
	unlink(file);
	return out;
}

static char *our_values(const char *text, int *ret, char *err_msg)
{
	static char out[8192];
	struct bootrace_error err = { 0 };
	struct br_shellvars *vars;
	size_t n = 0;

	out[0] = '\0';
	br_shellvars_new(&vars);
	*ret = br_shellvars_eval(vars, text, "test", &err);
	strcpy(err_msg, err.msg);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *value;

		switch (br_shellvars_get(vars, names[i], &value)) {
		case BR_SHELLVAR_SET:
			n += snprintf(out + n, sizeof(out) - n, "%s=%s\n", names[i], value);
			break;
		case BR_SHELLVAR_UNSET:
			n += snprintf(out + n, sizeof(out) - n, "%s unset\n", names[i]);
			break;
		case BR_SHELLVAR_UNKNOWN:
			n += snprintf(out + n, sizeof(out) - n, "%s unknown(%s)\n", names[i], value);
			break;
		}
	}
	br_shellvars_free(vars);
	return out;
}

/* Like our_values(), but the value of one variable and its state. */
static enum br_shellvar_state one(const char *text, const char *name, const char **value, int *ret,
				  char *msg)
{
	static char keep[4096];
	struct bootrace_error err = { 0 };
	struct br_shellvars *vars;
	enum br_shellvar_state st;
	const char *v;

	br_shellvars_new(&vars);
	*ret = br_shellvars_eval(vars, text, "test", &err);
	strcpy(msg, err.msg);
	st = br_shellvars_get(vars, name, &v);
	snprintf(keep, sizeof(keep), "%s", v ? v : "");
	*value = keep;
	br_shellvars_free(vars);
	return st;
}

int main(void)
{
	char msg[BOOTRACE_ERROR_MAX];
	const char *value;
	int ret;

	for (size_t i = 0; i < sizeof(same_as_sh) / sizeof(same_as_sh[0]); i++) {
		const char *text = same_as_sh[i];
		char want[8192], *got;

		snprintf(want, sizeof(want), "%s", sh_values(text) ? sh_values(text) : "(sh failed)");
		got = our_values(text, &ret, msg);
		if (strstr(got, "unknown(")) {
			/* Not computed: those must be exactly the commands' variables. */
			char *line, *save = NULL, copy[8192];
			bool fine = !ret;

			snprintf(copy, sizeof(copy), "%s", got);
			for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
				if (!strstr(line, "unknown(") && !strstr(want, line))
					fine = false;
			tap_ok(fine && strstr(got, "GRUB_DISTRIBUTOR") == NULL,
			       "%s: what sh computes from assignments is the same; only command output is unknown", shown(text));
			if (!fine)
				printf("#   got:\n%s#   sh:\n%s", got, want);
			continue;
		}
		tap_ok(!ret && !strcmp(got, want), "%s: the same values as /bin/sh", shown(text));
		if (ret || strcmp(got, want))
			printf("#   ret %d %s\n#   got:\n%s#   sh:\n%s", ret, msg, got, want);
	}

	/* Commands are never run: the value is unknown, and says where. */
	tap_ok(one("A=1\nGRUB_CMDLINE_LINUX=\"$(cat /etc/hostname)\"\n", "GRUB_CMDLINE_LINUX", &value,
		   &ret, msg) == BR_SHELLVAR_UNKNOWN && !ret && !strcmp(value, "test:2"),
	       "a value from $(...) is unknown, set at test:2");
	tap_ok(one("B=`touch /tmp/x`\nA=\"pre $B post\"\n", "A", &value, &ret, msg) == BR_SHELLVAR_UNKNOWN,
	       "a variable made from an unknown one is unknown");
	tap_ok(one("B=`id`\nB=plain\nA=$B\n", "A", &value, &ret, msg) == BR_SHELLVAR_SET && !strcmp(value, "plain"),
	       "a variable set again from plain text is known again");
	tap_ok(one("A=${1:-x}\n", "A", &value, &ret, msg) == BR_SHELLVAR_UNKNOWN, "positional parameters are unknown");
	tap_ok(one("A=$((1+2))\n", "A", &value, &ret, msg) == BR_SHELLVAR_UNKNOWN, "arithmetic is not computed");
	tap_ok(one("A=${#B}\n", "A", &value, &ret, msg) == BR_SHELLVAR_UNKNOWN, "${#NAME} is not computed");
	tap_ok(one("A=~root\n", "A", &value, &ret, msg) == BR_SHELLVAR_UNKNOWN, "tilde expansion is not computed");

	/* Not assignments, or not sh: refused, with the line. */
	static const char *const refused[] = {
		"A=1\ntouch /tmp/owned\n",
		"if true; then A=1; fi\n",
		"A=1 command\n",
		"A=1 > /tmp/file\n",
		"f() { A=1; }\n",
		". /etc/other\n",
		"A=1 && B=2\n",
		"A=1 | cat\n",
		"A=x &\n",
		"unset -v A\n",
		"(A=1)\n",
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		one(refused[i], "A", &value, &ret, msg);
		tap_ok(ret == -EINVAL && strstr(msg, "is not a variable assignment") && strstr(msg, "test:"),
		       "refused, naming the line: %s", shown(refused[i]));
		if (ret != -EINVAL)
			printf("#   ret %d: %s\n", ret, msg);
	}
	static const char *const broken[] = {
		"A='never closed\n", "A=\"never closed\n", "A=${B\n", "A=$(echo\n", "A=`echo\n", "A=${B!}\n",
	};
	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		one(broken[i], "A", &value, &ret, msg);
		tap_ok(ret == -EINVAL && strstr(msg, "syntax error"), "a syntax error: %s", shown(broken[i]));
		if (ret != -EINVAL || !strstr(msg, "syntax error"))
			printf("#   ret %d: %s\n", ret, msg);
	}
	one("A=1\n\nB='two\nlines'\nC=$(\n", "A", &value, &ret, msg);
	tap_ok(strstr(msg, "test:5:") != NULL, "the line number counts lines inside quotes");
	if (!strstr(msg, "test:5:"))
		printf("#   %s\n", msg);
	one("A=1\n\033]0;title\007 x\n", "A", &value, &ret, msg);
	tap_ok(ret == -EINVAL && !strchr(msg, '\033') && !strchr(msg, '\007'),
	       "a refused line is shown with its control characters escaped");
	return tap_done();
}
