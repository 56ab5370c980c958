/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private: a boot's decoder, what decodes its ring buffer after it is
 * gone (decoder.c), and how collect picks the one of the boot whose data
 * it reads (decode-plan.c).
 */
#ifndef BOOTRACE_DECODER_H
#define BOOTRACE_DECODER_H

#include <stdlib.h>
#include <sys/mman.h>

#include "bootrace.h"
#include "snapshot.h"
#include "tracedat.h"

/* Under the state directory, one file per boot named by its boot id. */
#define BR_DECODER_DIR "decoders"

/*
 * Memory a decoder's body lies in: a private mapping of its file (what
 * save-decoder writes: nothing is read or copied but what is used), or
 * malloc()ed (a compressed decoder, decompressed). Inline, as both the
 * decoder and the snapshot that takes it over release it.
 */
struct br_backing {
	char *data;
	size_t mapped;			/* the mapping's length; 0: malloc()ed */
};

static inline void br_backing_release(struct br_backing *b)
{
	if (b->mapped)
		munmap(b->data, b->mapped);
	else
		free(b->data);
	b->data = NULL;
	b->mapped = 0;
}

struct br_decoder {
	struct bootrace_decoder_info info;
	/*
	 * Filled by br_decoder_load(): the names and texts below point into
	 * @backing, so that a decoder of ~10 MB takes that once, and only
	 * the pages that are used; owned here until the snapshot takes it all.
	 */
	struct br_backing backing;
	struct tracedat_blob header_page, header_event;
	struct tracedat_event_format *ftrace;
	int nr_ftrace;
	struct tracedat_system *systems;
	int nr_systems;
	struct tracedat_blob printk_formats;
	struct tracedat_blob kallsyms;	/* with module symbols */
	struct tracedat_blob modules;	/* /proc/modules */
	char *uname;			/* its own copy */
};

/* The whole decoder of @boot_id (header and body), checked. */
int br_decoder_load(struct bootrace_ctx *ctx, const char *boot_id, struct br_decoder **out,
		    struct bootrace_error *err);
/* Only its header: info, and no formats, symbols or modules. */
int br_decoder_load_info(struct bootrace_ctx *ctx, const char *boot_id, struct br_decoder **out,
			 struct bootrace_error *err);
void br_decoder_free(struct br_decoder *dec);

/*
 * How the data of @info is to be decoded: with the decoder of the boot
 * that wrote it (*dec set), with this boot's formats and why that is right
 * or not. @rec is the state directory's boot record; @own_machine: the
 * tracefs is this machine's, so its state directory describes its boots.
 * @dec NULL: only say how (status), from the decoders' headers, which
 * leaves out the check of modules against last_boot_info.
 */
int br_decode_plan(struct bootrace_ctx *ctx, const struct bootrace_instance_info *info,
		   const struct bootrace_boot_record *rec, bool own_machine,
		   struct bootrace_previous_boot *prev, struct br_decoder **dec);

/* The headers of the decoders in the state directory, the newest saved first. */
int br_decoder_list(struct bootrace_ctx *ctx, struct bootrace_decoder_info **out, int *nr);
/* Remove the decoders of boots that no longer matter; how many went. */
int br_decoder_prune(struct bootrace_ctx *ctx);

#endif
