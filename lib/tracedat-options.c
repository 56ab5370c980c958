/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the check notes of a trace.dat as it walks it (sections, buffers),
 * and every option, checked on its way to the caller: BUFFER describes a
 * buffer, the v7 section options must point at sections of their kind,
 * the others go through tdc_check_option().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracedat-check.h"
#include "tracedat-format.h"

int tdc_add_section(struct tracedat_check *c, uint16_t id, uint16_t flags,
		    unsigned long long offset, unsigned long long data, unsigned long long end)
{
	struct tracedat_layout *l = c->l;
	struct tracedat_section *grown;

	if (l->nr_sections == TRACEDAT_MAX_SECTIONS)
		return tdc_fail(c, "section", offset, "more than %d sections", TRACEDAT_MAX_SECTIONS);
	grown = realloc(l->sections, (l->nr_sections + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	l->sections = grown;
	grown[l->nr_sections++] = (struct tracedat_section){ id, flags, offset, data, end };
	return 0;
}

const struct tracedat_section *tracedat_section_find(const struct tracedat_layout *l,
						     uint16_t id)
{
	for (int i = 0; i < l->nr_sections; i++)
		if (l->sections[i].id == id)
			return &l->sections[i];
	return NULL;
}

const struct tracedat_section *tdc_section_at(const struct tracedat_layout *l,
					      unsigned long long offset)
{
	for (int i = 0; i < l->nr_sections; i++)
		if (l->sections[i].offset == offset)
			return &l->sections[i];
	return NULL;
}

/* A NUL-terminated word of at most @max - 1 bytes at the reader's position. */
int tdc_add_buffer(struct tracedat_check *c, const char *name, unsigned long long at,
		   struct tracedat_buffer **out)
{
	struct tracedat_layout *l = c->l;
	struct tracedat_buffer *grown;

	for (int i = 0; i < l->nr_buffers; i++)
		if (!strcmp(l->buffers[i].name, name))
			return tdc_fail(c, "BUFFER option", at, "buffer '%s' is described twice", name);
	grown = realloc(l->buffers, (l->nr_buffers + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	l->buffers = grown;
	grown = &l->buffers[l->nr_buffers];
	memset(grown, 0, sizeof(*grown));
	grown->name = strdup(name);
	if (!grown->name)
		return -ENOMEM;
	grown->page_size = l->page_size;
	l->nr_buffers++;
	*out = grown;
	return 0;
}

/* The top-level buffer comes first, whatever the order of the options. */
void tdc_top_buffer_first(struct tracedat_layout *l)
{
	for (int i = 1; i < l->nr_buffers; i++) {
		if (!l->buffers[i].name[0]) {
			struct tracedat_buffer top = l->buffers[i];

			memmove(&l->buffers[1], &l->buffers[0], i * sizeof(top));
			l->buffers[0] = top;
			return;
		}
	}
}

const char *tdc_buffer_label(const struct tracedat_buffer *b, char buf[80])
{
	if (!b->name[0])
		return "the top-level buffer";
	snprintf(buf, 80, "buffer '%.60s'", b->name);
	return buf;
}

/*
 * BUFFER: v6, where the buffer's CPU table is and its name; v7 also its
 * clock, page size and each CPU's id, data offset and size.
 */
static int take_buffer_option(struct tracedat_check *c, const unsigned char *p, uint32_t len,
			      unsigned long long at)
{
	struct tracedat_reader r = { .mem = p, .size = len, .swap = c->r.swap, .what = &c->what };
	char name[TRACEDAT_MAX_NAME], clock[TRACEDAT_MAX_NAME];
	struct tracedat_buffer *b;
	uint32_t page_size, cpus;
	uint64_t offset;
	int ret;

	if (tdr_u64(&r, &offset, "BUFFER option") || tdr_string(&r, name, sizeof(name), "BUFFER option"))
		return tdc_fail(c, "BUFFER option", at, "no offset and name (or a name over %d bytes)",
				TRACEDAT_MAX_NAME - 1);
	if (!tdc_is_text((const unsigned char *)name, strlen(name)))
		return tdc_fail(c, "BUFFER option", at, "the buffer name is not text");
	ret = tdc_add_buffer(c, name, at, &b);
	if (ret)
		return ret;
	b->at = offset;
	if (c->l->version == 6)
		return 0;
	if (tdr_string(&r, clock, sizeof(clock), "BUFFER option") ||
	    tdr_u32(&r, &page_size, "BUFFER option") || tdr_u32(&r, &cpus, "BUFFER option"))
		return tdc_fail(c, "BUFFER option", at, "buffer '%s': no clock, page size and CPU count",
				name);
	if (!tdc_clock_ok(clock, strlen(clock)))
		return tdc_fail(c, "BUFFER option", at, "buffer '%s': clock '%s' is not a clock name",
				name, clock);
	if (page_size < TRACEDAT_MIN_PAGE || page_size > TRACEDAT_MAX_PAGE ||
	    (page_size & (page_size - 1)))
		return tdc_fail(c, "BUFFER option", at, "buffer '%s': page size %u", name, page_size);
	b->page_size = page_size;
	if (cpus > TRACEDAT_MAX_CPUS || (r.size - r.pos) / 20 < cpus)
		return tdc_fail(c, "BUFFER option", at, "buffer '%s': %u CPUs do not fit in %u bytes",
				name, cpus, len);
	b->cpus = calloc(cpus ? cpus : 1, sizeof(*b->cpus));
	if (!b->cpus)
		return -ENOMEM;
	for (uint32_t i = 0; i < cpus; i++) {
		struct tracedat_cpu_data *d = &b->cpus[i];
		uint32_t cpu;
		uint64_t data, size;

		tdr_u32(&r, &cpu, "BUFFER option");
		tdr_u64(&r, &data, "BUFFER option");
		tdr_u64(&r, &size, "BUFFER option");
		if (cpu >= TRACEDAT_MAX_CPUS)
			return tdc_fail(c, "BUFFER option", at, "buffer '%s': CPU %u", name, cpu);
		for (uint32_t j = 0; j < i; j++)
			if (b->cpus[j].cpu == cpu)
				return tdc_fail(c, "BUFFER option", at, "buffer '%s': CPU %u twice",
						name, cpu);
		*d = (struct tracedat_cpu_data){ .cpu = cpu, .offset = data, .size = size };
		b->nr_cpus++;
	}
	return 0;
}

/* v7 options holding the offset of a section (HEADER_INFO ... CMDLINES, BTF, MODULES). */
static bool is_section_option(uint16_t id)
{
	return (id >= SECTION_HEADERS && id <= SECTION_CMDLINES) || id == SECTION_BTF ||
	       id == SECTION_MODULES;
}

static int take_section_option(struct tracedat_check *c, uint16_t id, const unsigned char *p,
			       uint32_t len, unsigned long long at)
{
	struct tracedat_reader r = { .mem = p, .size = len, .swap = c->r.swap, .what = &c->what };
	const struct tracedat_section *s;
	uint64_t offset;

	if (len != 8 || tdr_u64(&r, &offset, "option"))
		return tdc_fail(c, "option", at, "option %u holds %u bytes, not a section's offset",
				id, len);
	s = tdc_section_at(c->l, offset);
	if (!s || s->id != id)
		return tdc_fail(c, "option", at, "option %u points at %llu, where no section %u starts",
				id, (unsigned long long)offset, id);
	return 0;
}

static int take_option(struct tracedat_check *c, uint16_t id, const unsigned char *p,
		       uint32_t len, unsigned long long at)
{
	int ret;

	if (id == OPT_BUFFER)
		ret = take_buffer_option(c, p, len, at);
	else if (c->l->version == 7 && id == SECTION_BUFFER_TEXT)
		ret = tdc_fail(c, "BUFFER_TEXT option", at,
			       "a latency trace (text) in a version 7 file: bootrace reads flyrecord traces");
	else if (c->l->version == 7 && is_section_option(id))
		ret = take_section_option(c, id, p, len, at);
	else
		ret = tdc_check_option(c, id, p, len, at);
	if (ret)
		return ret;
	if (id == OPT_TRACECLOCK)
		c->has_trace_clock = true;
	/* v7 has no CPU count of its own: the option's, checked to be 4 bytes. */
	if (id == OPT_CPUCOUNT && c->l->version == 7)
		c->l->nr_cpus = tdc_u32(c, p);
	return c->option_fn ? c->option_fn(c->option_data, id, (const char *)p, len, c->r.swap) : 0;
}

/* One option at the reader's position: id read already, then size and payload. */
int tdc_read_option(struct tracedat_check *c, struct tracedat_reader *r, uint16_t id,
		    unsigned long long at)
{
	unsigned char *payload;
	uint32_t len;
	int ret;

	ret = tdr_u32(r, &len, "option");
	if (ret)
		return tdc_fail_at(c, r, r->pos, "option", "option %u has no size", id);
	if (len > TRACEDAT_MAX_OPTION || len > r->size - r->pos)
		return tdc_fail_at(c, r, at, "option", "option %u's size %u runs past its end",
				   id, len);
	payload = malloc(len + 1);
	if (!payload)
		return -ENOMEM;
	ret = tdr_bytes(r, payload, len, "option");
	payload[len] = '\0';
	ret = ret ? tdc_read_failed(c, ret) : take_option(c, id, payload, len, c->base + at);
	free(payload);
	return ret;
}
