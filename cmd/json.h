/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A tiny streaming JSON printer for --json output. */
#ifndef BOOTRACE_JSON_H
#define BOOTRACE_JSON_H

#include <stdbool.h>
#include <stdio.h>

struct json {
	FILE *out;
	int depth;
	bool need_comma[16];
};

void json_begin(struct json *j, FILE *out);
void json_end(struct json *j);
void json_object_begin(struct json *j, const char *key);
void json_object_end(struct json *j);
void json_array_begin(struct json *j, const char *key);
void json_array_end(struct json *j);
void json_string(struct json *j, const char *key, const char *value);
void json_uint(struct json *j, const char *key, unsigned long long value);
void json_int(struct json *j, const char *key, long long value);
void json_bool(struct json *j, const char *key, bool value);
void json_null(struct json *j, const char *key);

#endif
