/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which metadata decodes the data of an instance: the decoder the boot
 * that wrote it left (decoder.c), found by the boot record and checked
 * against what the kernel says of that boot (last_boot_info, 7.1+: its
 * kernel text and modules, which move with every boot), else this
 * kernel's formats and an honest word on whether they fit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "bootrace-local.h"
#include "decoder.h"
#include "kernel-id.h"

static const char *const decode_names[] = {
	[BOOTRACE_DECODE_UNSET] = "unset",
	[BOOTRACE_DECODE_THIS_BOOT] = "this-boot",
	[BOOTRACE_DECODE_OWN] = "own",
	[BOOTRACE_DECODE_SAME_BUILD] = "same-build",
	[BOOTRACE_DECODE_OTHER_KERNEL] = "other-kernel",
	[BOOTRACE_DECODE_UNKNOWN] = "unknown",
};

const char *bootrace_decode_name(enum bootrace_decode decode)
{
	if ((size_t)decode >= ARRAY_SIZE(decode_names))
		return "unset";
	return decode_names[decode];
}

enum bootrace_decode bootrace_decode_parse(const char *name)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(decode_names); i++)
		if (!strcmp(name, decode_names[i]))
			return i;
	return BOOTRACE_DECODE_UNSET;
}

bool bootrace_decode_trusted(enum bootrace_decode decode)
{
	return decode == BOOTRACE_DECODE_THIS_BOOT || decode == BOOTRACE_DECODE_OWN ||
	       decode == BOOTRACE_DECODE_SAME_BUILD;
}

/* Where /proc/modules (@modules) says module @name was; 0 if it was not loaded. */
static unsigned long long module_address(const struct tracedat_blob *modules, const char *name)
{
	const char *p = modules->data, *end = modules->data + modules->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		unsigned long long at;
		char line[256], mod[64];

		if (n < sizeof(line)) {
			memcpy(line, p, n);
			line[n] = '\0';
			/* "NAME SIZE REFS DEPS STATE ADDR [TAINT]" */
			if (sscanf(line, "%63s %*s %*s %*s %*s %llx", mod, &at) == 2 && !strcmp(mod, name))
				return at;
		}
		p += n + 1;
	}
	return 0;
}

/*
 * last_boot_info lists, after "[kernel]", "ADDR\tNAME" for each module of
 * the traced boot. Module addresses are randomised per boot as well: the
 * same module elsewhere in the decoder's boot means another boot.
 */
static bool modules_agree(const char *last_boot_info, const struct tracedat_blob *modules,
			  char *why, size_t why_len)
{
	for (const char *line = strchr(last_boot_info, '\n'); line && line[1];
	     line = strchr(line + 1, '\n')) {
		unsigned long long at, mod_at;
		char name[64];

		if (sscanf(line + 1, "%llx %63s", &at, name) != 2)
			continue;
		mod_at = module_address(modules, name);
		if (mod_at && mod_at != at) {
			snprintf(why, why_len, "module %s was at %llx in the trace's boot, at %llx in the decoder's",
				 name, at, mod_at);
			return false;
		}
	}
	return true;
}

/*
 * Does the decoder describe the boot that wrote the data? Its kernel text
 * and modules must be where last_boot_info (7.1+) says the trace's were;
 * the boot record's build id, where the record names this boot, must be
 * its kernel's.
 */
static bool decoder_fits(const struct br_decoder *dec, const struct bootrace_instance_info *info,
			 const struct bootrace_boot_record *rec, unsigned long long prev_text,
			 char *why, size_t why_len)
{
	if (prev_text && dec->info.text && dec->info.text != prev_text) {
		snprintf(why, why_len, "its kernel text was at %llx, the trace's at %llx",
			 dec->info.text, prev_text);
		return false;
	}
	if (rec && rec->build_id[0] && strcmp(rec->build_id, dec->info.build_id)) {
		snprintf(why, why_len, "its build id %.12s is not %.12s, the boot record's",
			 dec->info.build_id, rec->build_id);
		return false;
	}
	if (prev_text && dec->modules.len && info->last_boot_info &&
	    !modules_agree(info->last_boot_info, &dec->modules, why, why_len))
		return false;
	return true;
}

/* The whole decoder, or (@whole false) only what its header says. */
static int load(struct bootrace_ctx *ctx, const char *boot_id, bool whole, struct br_decoder **out,
		struct bootrace_error *err)
{
	return whole ? br_decoder_load(ctx, boot_id, out, err) : br_decoder_load_info(ctx, boot_id, out, err);
}

/* Any other decoder whose kernel text is where the trace's was. */
static int find_by_text(struct bootrace_ctx *ctx, const struct bootrace_instance_info *info,
			unsigned long long prev_text, const char *skip, bool whole,
			struct br_decoder **out)
{
	struct bootrace_decoder_info *list;
	char now[BR_BOOT_ID_LEN] = "", why[256];
	int nr;

	*out = NULL;
	if (br_decoder_list(ctx, &list, &nr))
		return -ENOENT;
	br_boot_id(now);
	for (int i = 0; i < nr && !*out; i++) {
		struct br_decoder *dec;

		if (list[i].text != prev_text || !strcmp(list[i].boot_id, now) ||
		    (skip && !strcmp(list[i].boot_id, skip)))
			continue;
		if (load(ctx, list[i].boot_id, whole, &dec, NULL))
			continue;
		if (decoder_fits(dec, info, NULL, prev_text, why, sizeof(why)))
			*out = dec;
		else
			br_decoder_free(dec);
	}
	free(list);
	return *out ? 0 : -ENOENT;
}

static void this_kernel(char *release, size_t rlen, char *build_id, size_t blen)
{
	struct utsname uts;

	snprintf(release, rlen, "%s", uname(&uts) ? "" : uts.release);
	br_kernel_build_id(build_id, blen);
}

/* Without a decoder: what the boot record says about the kernel it ran. */
static void judge_without_decoder(struct bootrace_ctx *ctx, const struct bootrace_boot_record *rec,
				  bool rec_fits, const char *tried,
				  struct bootrace_previous_boot *prev)
{
	const char *state_dir = bootrace_ctx_state_dir(ctx);
	char release[128], build_id[72], why[400] = "";
	size_t n = sizeof(prev->words);

	this_kernel(release, sizeof(release), build_id, sizeof(build_id));
	if (tried[0])
		snprintf(why, sizeof(why), " (%s)", tried);
	if (rec_fits && rec->build_id[0] && build_id[0] && !strcmp(rec->build_id, build_id)) {
		prev->decode = BOOTRACE_DECODE_SAME_BUILD;
		snprintf(prev->words, n,
			 "boot %.8s ran this same kernel build (%s, build id %.12s, as its boot record says) but left no decoder%s: decoded with this boot's formats; module and dynamic event ids follow load order and may differ",
			 rec->boot_id, release, build_id, why);
	} else if (rec_fits && (rec->build_id[0] || rec->release[0])) {
		prev->decode = BOOTRACE_DECODE_OTHER_KERNEL;
		snprintf(prev->words, n,
			 "boot %.8s ran kernel %s (build id %.12s), this boot runs %s (build id %.12s), and %s/" BR_DECODER_DIR " holds no decoder of it that fits%s: decoded with this boot's formats, which are another kernel's (event names and fields are wrong where ids moved); symbols are left out",
			 rec->boot_id, rec->release[0] ? rec->release : "(unknown)",
			 rec->build_id[0] ? rec->build_id : "none", release,
			 build_id[0] ? build_id : "none", state_dir, why);
	} else {
		prev->decode = BOOTRACE_DECODE_UNKNOWN;
		snprintf(prev->words, n,
			 "nothing tells which kernel wrote this trace: %s/" BR_DECODER_DIR " holds no decoder of its boot and no boot record describes it%s. Decoded with this boot's formats, right only if that boot ran this same build (%s); symbols are left out. bootrace save-decoder, run at every boot by bootrace-decoder.service, keeps what decodes a boot",
			 state_dir, why, release);
	}
}

int br_decode_plan(struct bootrace_ctx *ctx, const struct bootrace_instance_info *info,
		   const struct bootrace_boot_record *rec, bool own_machine,
		   struct bootrace_previous_boot *prev, struct br_decoder **out)
{
	unsigned long long prev_text = 0;
	struct bootrace_error err = { .msg = "" };
	struct br_decoder *dec = NULL;
	char tried[384] = "", why[256] = "";
	bool rec_prev, rec_fits, whole = out != NULL;

	memset(prev, 0, sizeof(*prev));
	if (out)
		*out = NULL;
	if (info->last_boot.kind == BOOTRACE_LAST_BOOT_NONE ||
	    info->last_boot.kind == BOOTRACE_LAST_BOOT_CURRENT) {
		prev->decode = BOOTRACE_DECODE_THIS_BOOT;
		snprintf(prev->words, sizeof(prev->words),
			 "instance '%s' holds this boot's own events: decoded with this boot's formats",
			 info->name);
		return 0;
	}
	/* 7.1+: where the traced boot's kernel text was (before: 0). */
	if (info->last_boot.kind == BOOTRACE_LAST_BOOT_ADDRESS)
		prev_text = info->last_boot.kernel_addr;
	/*
	 * The record names the boot collect last left tracing; it is the one
	 * whose data this is unless a later boot traced without collecting,
	 * which the kernel text (7.1+) shows.
	 */
	rec_prev = own_machine && bootrace_boot_record_previous(rec);
	rec_fits = rec_prev && !(prev_text && rec->text && rec->text != prev_text);
	if (rec_prev && !rec_fits)
		snprintf(tried, sizeof(tried), "the boot record names boot %.8s, whose kernel text was at %llx, not at %llx as the trace's",
			 rec->boot_id, rec->text, prev_text);
	if (rec_fits) {
		int ret = load(ctx, rec->boot_id, whole, &dec, &err);

		if (!ret && !decoder_fits(dec, info, rec, prev_text, why, sizeof(why))) {
			snprintf(tried, sizeof(tried), "the decoder of boot %.8s does not fit: %s",
				 rec->boot_id, why);
			br_decoder_free(dec);
			dec = NULL;
		} else if (ret && ret != -ENOENT) {
			snprintf(tried, sizeof(tried), "%.300s", err.msg);
		}
	}
	if (!dec && prev_text)
		find_by_text(ctx, info, prev_text, rec_fits ? rec->boot_id : NULL, whole, &dec);
	if (dec) {
		prev->decode = BOOTRACE_DECODE_OWN;
		prev->has_decoder = true;
		snprintf(prev->boot_id, sizeof(prev->boot_id), "%.32s", dec->info.boot_id);
		snprintf(prev->release, sizeof(prev->release), "%s", dec->info.release);
		snprintf(prev->build_id, sizeof(prev->build_id), "%s", dec->info.build_id);
		snprintf(prev->words, sizeof(prev->words),
			 "decoded with what boot %.8s left: its kernel %s (build id %.12s), its %u event formats%s, %u modules",
			 dec->info.boot_id, dec->info.release,
			 dec->info.build_id[0] ? dec->info.build_id : "none", dec->info.nr_events,
			 dec->info.kallsyms ? ", its symbols" : " (no symbols: it was saved without root)",
			 dec->info.nr_modules);
		if (out)
			*out = dec;
		else
			br_decoder_free(dec);
		return 0;
	}
	if (rec_fits) {
		snprintf(prev->boot_id, sizeof(prev->boot_id), "%.32s", rec->boot_id);
		snprintf(prev->release, sizeof(prev->release), "%s", rec->release);
		snprintf(prev->build_id, sizeof(prev->build_id), "%s", rec->build_id);
	}
	judge_without_decoder(ctx, rec, rec_fits, tried, prev);
	return 0;
}
