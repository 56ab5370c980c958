/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shell assignments evaluated without a shell (see shellvars.h). The
 * rules are those of POSIX sh for a simple command made only of
 * assignments (XCU 2.2 Quoting, 2.6 Word Expansions, 2.9.1 Simple
 * Commands): no field splitting and no pathname expansion in an
 * assignment's value, assignments of one line made left to right. dash,
 * Debian's /bin/sh, gives the same values; tests/unit/test-shellvars
 * compares them with it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootrace-local.h"
#include "shellvars.h"

struct shellvar {
	char *name;
	char *value;		/* or "FILE:LINE" where it became unknown */
	bool unknown;
};

struct br_shellvars {
	struct shellvar *v;
	size_t n;
};

int br_shellvars_new(struct br_shellvars **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void br_shellvars_free(struct br_shellvars *vars)
{
	if (!vars)
		return;
	for (size_t i = 0; i < vars->n; i++) {
		free(vars->v[i].name);
		free(vars->v[i].value);
	}
	free(vars->v);
	free(vars);
}

static struct shellvar *find(const struct br_shellvars *vars, const char *name, size_t len)
{
	for (size_t i = 0; i < vars->n; i++)
		if (strlen(vars->v[i].name) == len && !strncmp(vars->v[i].name, name, len))
			return &vars->v[i];
	return NULL;
}

enum br_shellvar_state br_shellvars_get(const struct br_shellvars *vars, const char *var,
					const char **value)
{
	const struct shellvar *v = find(vars, var, strlen(var));

	*value = v ? v->value : NULL;
	if (!v)
		return BR_SHELLVAR_UNSET;
	return v->unknown ? BR_SHELLVAR_UNKNOWN : BR_SHELLVAR_SET;
}

static int set(struct br_shellvars *vars, const char *name, size_t len, const char *value,
	       bool unknown)
{
	struct shellvar *v = find(vars, name, len), *tmp;
	char *copy = strdup(value);

	if (!copy)
		return -ENOMEM;
	if (!v) {
		tmp = realloc(vars->v, (vars->n + 1) * sizeof(*tmp));
		if (!tmp) {
			free(copy);
			return -ENOMEM;
		}
		vars->v = tmp;
		v = &vars->v[vars->n];
		v->name = strndup(name, len);
		if (!v->name) {
			free(copy);
			return -ENOMEM;
		}
		v->value = NULL;
		vars->n++;
	}
	free(v->value);
	v->value = copy;
	v->unknown = unknown;
	return 0;
}

static void unset(struct br_shellvars *vars, const char *name, size_t len)
{
	struct shellvar *v = find(vars, name, len);

	if (!v)
		return;
	free(v->name);
	free(v->value);
	*v = vars->v[--vars->n];
}

/* ------------------------------------------------------------ words */

/* A value being built; unknown once anything in it needs running code. */
struct text {
	char *s;
	size_t len, cap;
	bool unknown;
	bool oom;
};

static void put(struct text *t, const char *s, size_t n)
{
	char *tmp;

	if (t->oom)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 64;

		while (t->len + n + 1 > cap)
			cap *= 2;
		tmp = realloc(t->s, cap);
		if (!tmp) {
			t->oom = true;
			return;
		}
		t->s = tmp;
		t->cap = cap;
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

static void put_char(struct text *t, char c)
{
	put(t, &c, 1);
}

static const char *text_of(struct text *t)
{
	return t->s ? t->s : "";
}

struct parser {
	const char *p;
	const char *file;
	int line;
	struct br_shellvars *vars;
	struct bootrace_error *err;
};

static int fail(struct parser *ps, int line, const char *fmt, ...) BR_PRINTF(3, 4);

static int fail(struct parser *ps, int line, const char *fmt, ...)
{
	char msg[BOOTRACE_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return br_fail(ps->err, -EINVAL, "%s:%d: %s", ps->file, line, msg);
}

static int syntax_error(struct parser *ps, int line, const char *what)
{
	return fail(ps, line, "syntax error: %s; nothing was changed", what);
}

/* The next character, counting lines. */
static char take(struct parser *ps)
{
	char c = *ps->p;

	if (c) {
		ps->p++;
		if (c == '\n')
			ps->line++;
	}
	return c;
}

static bool name_start(char c)
{
	return isalpha((unsigned char)c) || c == '_';
}

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static size_t name_len(const char *p)
{
	size_t n = 0;

	if (!name_start(*p))
		return 0;
	while (name_char(p[n]))
		n++;
	return n;
}

/* Past the rest of a quoted string opened by @quote ('"' honours backslashes). */
static int skip_quoted(struct parser *ps, char quote, int line)
{
	for (;;) {
		char c = take(ps);

		if (!c)
			return syntax_error(ps, line, quote == '`' ? "a ` opened here is never closed" :
					    quote == '"' ? "a \" opened here is never closed" :
					    "a ' opened here is never closed");
		if (c == quote)
			return 0;
		if (c == '\\' && quote != '\'' && *ps->p)
			take(ps);
	}
}

/* Past a $( ... ) or $(( ... )) whose opening parentheses were read: never run. */
static int skip_parens(struct parser *ps, int depth, int line)
{
	while (depth > 0) {
		char c = take(ps);
		int ret = 0;

		switch (c) {
		case '\0':
			return syntax_error(ps, line, "a $( opened here is never closed");
		case '\\':
			take(ps);
			break;
		case '\'':
		case '"':
		case '`':
			ret = skip_quoted(ps, c, ps->line);
			break;
		case '(':
			depth++;
			break;
		case ')':
			depth--;
			break;
		}
		if (ret)
			return ret;
	}
	return 0;
}

static int word(struct parser *ps, struct text *out, char close, bool dq);

/*
 * ${NAME}, ${NAME-WORD}, ${NAME:-WORD}, ${NAME=WORD}, ${NAME:=WORD},
 * ${NAME+WORD}, ${NAME:+WORD}; the '{' is read. Everything else (${#N},
 * ${N%P}, ${N?W}, positional parameters) makes the value unknown.
 */
static int brace(struct parser *ps, struct text *out, bool dq)
{
	int line = ps->line, ret;
	struct text alt = { 0 };
	const struct shellvar *v;
	const char *name = ps->p;
	size_t len = name_len(name);
	bool colon = false, computable = true, null;
	char op = 0;

	if (!len) {
		/* ${#NAME}, ${1}, ${@}: not a plain variable. */
		if (!*ps->p || !strchr("#@*?$!-0123456789", *ps->p))
			return syntax_error(ps, line, "bad substitution after ${");
		computable = false;
		if (take(ps) == '#')
			len = name_len(ps->p);
		else
			while (isdigit((unsigned char)*ps->p))
				take(ps);
	}
	ps->p += len;
	if (*ps->p == ':') {
		colon = true;
		take(ps);
	}
	if (*ps->p && strchr("-=+?%#", *ps->p)) {
		op = take(ps);
		if (op == '?' || op == '%' || op == '#')
			computable = false;
		/* ${N%%P}, ${N##P} */
		if ((op == '%' || op == '#') && *ps->p == op)
			take(ps);
	} else if (colon || (*ps->p != '}' && *ps->p)) {
		return syntax_error(ps, line, "bad substitution after ${");
	}
	ret = word(ps, &alt, '}', dq);
	if (!ret && take(ps) != '}')
		ret = syntax_error(ps, line, "a ${ opened here is never closed");
	if (ret || !computable) {
		out->unknown = out->unknown || !ret;
		free(alt.s);
		return ret;
	}
	if (alt.oom) {
		free(alt.s);
		out->oom = true;
		return 0;
	}
	v = find(ps->vars, name, len);
	if (v && v->unknown) {
		out->unknown = true;
		free(alt.s);
		return 0;
	}
	null = !v || (colon && !*v->value);
	switch (op) {
	case 0:
		if (v)
			put(out, v->value, strlen(v->value));
		break;
	case '-':
	case '=':
		if (null) {
			put(out, text_of(&alt), alt.len);
			out->unknown |= alt.unknown;
			if (op == '=' && set(ps->vars, name, len, alt.unknown ? "" : text_of(&alt),
					     alt.unknown))
				out->oom = true;
		} else {
			put(out, v->value, strlen(v->value));
		}
		break;
	case '+':
		if (!null) {
			put(out, text_of(&alt), alt.len);
			out->unknown |= alt.unknown;
		}
		break;
	}
	free(alt.s);
	return 0;
}

/* After a '$' (read): a variable, a substitution, or a plain '$'. */
static int dollar(struct parser *ps, struct text *out, bool dq)
{
	const struct shellvar *v;
	size_t len;
	char c = *ps->p;

	if (c == '{') {
		take(ps);
		return brace(ps, out, dq);
	}
	if (c == '(') {
		/* $(command) and $((arithmetic)): not run, not computed. */
		int depth = ps->p[1] == '(' ? 2 : 1;

		ps->p += depth;
		out->unknown = true;
		return skip_parens(ps, depth, ps->line);
	}
	len = name_len(ps->p);
	if (len) {
		v = find(ps->vars, ps->p, len);
		ps->p += len;
		if (v && v->unknown)
			out->unknown = true;
		else if (v)
			put(out, v->value, strlen(v->value));
		return 0;
	}
	if (c && strchr("@*#?$!-0123456789", c)) {
		/* The positional and special parameters of whoever sources the file. */
		take(ps);
		out->unknown = true;
		return 0;
	}
	/* bash reads $'...' and $"..." differently from dash: refuse to guess. */
	if (!dq && (c == '\'' || c == '"'))
		out->unknown = true;
	put_char(out, '$');
	return 0;
}

/* Inside "...", the '"' read: backslash escapes only $ ` " \ and newline. */
static int dquote(struct parser *ps, struct text *out)
{
	int line = ps->line, ret = 0;

	for (;;) {
		char c = *ps->p;

		if (!c)
			return syntax_error(ps, line, "a \" opened here is never closed");
		if (c == '"') {
			take(ps);
			return 0;
		}
		take(ps);
		if (c == '\\') {
			char next = *ps->p;

			if (next == '\n') {
				take(ps);
			} else if (next && strchr("$`\"\\", next)) {
				put_char(out, take(ps));
			} else {
				put_char(out, '\\');
			}
		} else if (c == '$') {
			ret = dollar(ps, out, true);
		} else if (c == '`') {
			out->unknown = true;
			ret = skip_quoted(ps, '`', ps->line);
		} else {
			put_char(out, c);
		}
		if (ret)
			return ret;
	}
}

/* Characters that end a word at the top level: sh's blanks and operators. */
static bool ends_word(char c)
{
	return !c || strchr(" \t\n;&|<>()", c);
}

/*
 * One word into @out, up to an unquoted end: ends_word() at the top level
 * (@close '\0'), or @close inside ${...} (where @dq says whether that was
 * inside double quotes: single quotes are then plain characters).
 */
static int word(struct parser *ps, struct text *out, char close, bool dq)
{
	bool start = true;
	int ret = 0;

	for (;;) {
		char c = *ps->p;
		int line = ps->line;

		if (close ? c == close || !c : ends_word(c))
			return 0;
		take(ps);
		switch (c) {
		case '\\':
			if (*ps->p == '\n')
				take(ps);
			else if (*ps->p)
				put_char(out, take(ps));
			break;
		case '\'':
			if (dq) {
				put_char(out, c);
				break;
			}
			while (*ps->p && *ps->p != '\'')
				put_char(out, take(ps));
			if (!take(ps))
				return syntax_error(ps, line, "a ' opened here is never closed");
			break;
		case '"':
			ret = dquote(ps, out);
			break;
		case '$':
			ret = dollar(ps, out, dq);
			break;
		case '`':
			out->unknown = true;
			ret = skip_quoted(ps, '`', line);
			break;
		case '~':
			/* Tilde expansion: someone's home directory. */
			if (start && !dq)
				out->unknown = true;
			put_char(out, c);
			break;
		default:
			put_char(out, c);
			break;
		}
		if (ret)
			return ret;
		/* An assignment expands ~ after each unquoted ':' too. */
		start = c == ':' && !dq;
	}
}

/* ---------------------------------------------------------- commands */

/* The source line at @at, as a message shows it. */
static int not_assignment(struct parser *ps, const char *at, int line)
{
	char shown[BR_SHOWN_MAX];

	return fail(ps, line,
		    "'%s' is not a variable assignment: bootrace reads this file without running it (it may come from an image), so it cannot tell what that does; nothing was changed: make the file plain assignments, or use '--bootloader print'",
		    br_shown(at, strcspn(at, "\n"), shown));
}

static void skip_blanks(struct parser *ps)
{
	for (;;) {
		if (*ps->p == ' ' || *ps->p == '\t') {
			take(ps);
		} else if (ps->p[0] == '\\' && ps->p[1] == '\n') {
			take(ps);
			take(ps);
		} else {
			return;
		}
	}
}

/* A bare word (no quotes, no expansions) equal to @kw, ending there. */
static bool keyword(const char *p, const char *kw)
{
	size_t n = strlen(kw);

	return !strncmp(p, kw, n) && ends_word(p[n]);
}

enum command_kind { ASSIGN, EXPORT, UNSET };

/* One word of a command: NAME=VALUE, or NAME alone after export and unset. */
static int command_word(struct parser *ps, enum command_kind kind, const char *start, int line)
{
	const char *name = ps->p;
	size_t len = name_len(name);
	struct text value = { 0 };
	char where[64];
	int ret;

	if (!len || (name[len] != '=' && (kind == ASSIGN || !ends_word(name[len]))))
		return not_assignment(ps, start, line);
	ps->p += len;
	if (kind == UNSET) {
		if (*ps->p == '=')
			return not_assignment(ps, start, line);
		unset(ps->vars, name, len);
		return 0;
	}
	if (*ps->p != '=')
		return 0;	/* export NAME */
	take(ps);
	ret = word(ps, &value, '\0', false);
	if (ret) {
		free(value.s);
		return ret;
	}
	snprintf(where, sizeof(where), "%s:%d", ps->file, line);
	ret = value.oom ? -ENOMEM : set(ps->vars, name, len, value.unknown ? where : text_of(&value),
					  value.unknown);
	free(value.s);
	return ret == -ENOMEM ? br_fail(ps->err, ret, "out of memory") : ret;
}

/* One command, up to a newline, ';' or a comment: assignments only. */
static int command(struct parser *ps)
{
	const char *start = ps->p;
	enum command_kind kind = ASSIGN;
	int line = ps->line, ret;

	if (keyword(ps->p, "export") || keyword(ps->p, "readonly")) {
		kind = EXPORT;
		ps->p += strcspn(ps->p, " \t\n;");
	} else if (keyword(ps->p, "unset")) {
		kind = UNSET;
		ps->p += 5;
	}
	for (;;) {
		skip_blanks(ps);
		if (!*ps->p || *ps->p == '\n' || *ps->p == ';' || *ps->p == '#')
			return 0;
		if (ends_word(*ps->p))
			return not_assignment(ps, start, line);
		ret = command_word(ps, kind, start, line);
		if (ret)
			return ret;
		if (*ps->p && !strchr(" \t\n;", *ps->p) && !(ps->p[0] == '\\' && ps->p[1] == '\n'))
			return not_assignment(ps, start, line);
	}
}

int br_shellvars_eval(struct br_shellvars *vars, const char *text, const char *name,
		      struct bootrace_error *err)
{
	struct parser ps = { .p = text, .file = name, .line = 1, .vars = vars, .err = err };
	int ret;

	for (;;) {
		skip_blanks(&ps);
		switch (*ps.p) {
		case '\0':
			return 0;
		case '#':
			ps.p += strcspn(ps.p, "\n");
			break;
		case '\n':
		case ';':
			take(&ps);
			break;
		default:
			ret = command(&ps);
			if (ret)
				return ret;
			break;
		}
	}
}
